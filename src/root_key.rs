//! The server's root key at start-up, and the refusals that keep a server
//! from starting with a wrong or unsafe one.
//!
//! Every refusal is one line that says what is wrong and what to do, and
//! never shows the key. Above all, a server never replaces a key it cannot
//! find with a new one while the data directory already holds a store: the
//! new key could not open the data, and the old one would be overwritten in
//! the operator's mind ("the server made a key, so that must be it").

use std::io::ErrorKind;
use std::path::Path;

use anyhow::{anyhow, bail};
use kinko_crypto::{CryptoError, RootKey};

use crate::config::RootKeySource;
use crate::paths::{self, DataDir};

/// The root key from `source`, creating the default key file (or the
/// passphrase's salt) only on a first start, when no store exists yet.
pub fn load(source: &RootKeySource, data: &DataDir) -> anyhow::Result<RootKey> {
    match source {
        RootKeySource::Env(text) => RootKey::from_base64(text).map_err(|err| {
            anyhow!(
                "KINKO_ROOT_KEY is not a root key ({}): set it to the base64 key this store was created with, or unset it",
                reason(&err)
            )
        }),
        RootKeySource::Passphrase(passphrase) => {
            let salt_path = data.root_salt();
            let salt = match std::fs::read(&salt_path) {
                Ok(salt) => salt,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    if holds_a_store(data) {
                        bail!(
                            "{} is missing, but {} holds a store: restore the salt file from your backup \
                             (with a new salt, KINKO_ROOT_PASSPHRASE would give another key)",
                            salt_path.display(),
                            data.database().display()
                        );
                    }
                    let salt = kinko_crypto::random_bytes(16);
                    paths::write_private(&salt_path, &salt)?;
                    salt
                }
                Err(e) => bail!("cannot read {}: {e}", salt_path.display()),
            };
            RootKey::from_passphrase(passphrase, &salt).map_err(|err| {
                anyhow!("cannot derive the root key from KINKO_ROOT_PASSPHRASE: {err}")
            })
        }
        RootKeySource::File { path, create: true } => {
            if is_missing(path) && holds_a_store(data) {
                bail!(
                    "the root key file {} is missing, but {} holds a store sealed under it: \
                     restore the key file from your backup, or give the key with --root-key-file or KINKO_ROOT_KEY \
                     (a new key could not open the data)",
                    path.display(),
                    data.database().display()
                );
            }
            let (key, created) = RootKey::load_or_create_file(path).map_err(file_error)?;
            if created {
                eprintln!(
                    "created the root key {} (mode 0600): back it up; without it the data cannot be read",
                    path.display()
                );
            }
            Ok(key)
        }
        RootKeySource::File {
            path,
            create: false,
        } => RootKey::load_file(path).map_err(|err| match err {
            CryptoError::Io { source, .. } if source.kind() == ErrorKind::NotFound => anyhow!(
                "the root key file {} does not exist: give --root-key-file the key file this store was created with",
                path.display()
            ),
            other => file_error(other),
        }),
    }
}

/// Where the key came from, for the refusal of a key that does not open
/// the store.
pub fn describe(source: &RootKeySource) -> String {
    match source {
        RootKeySource::Env(_) => "KINKO_ROOT_KEY".to_owned(),
        RootKeySource::Passphrase(_) => "KINKO_ROOT_PASSPHRASE".to_owned(),
        RootKeySource::File { path, .. } => path.display().to_string(),
    }
}

/// A key file refused, with what to do about it.
fn file_error(err: CryptoError) -> anyhow::Error {
    match err {
        // Its message already says `chmod 600`.
        err @ CryptoError::KeyFilePermissions { .. } => anyhow!("{err}"),
        err @ CryptoError::KeyFileInvalid { .. } => anyhow!(
            "{err}: restore the key file from your backup (one line, the base64 of 32 bytes)"
        ),
        err @ CryptoError::NotAKeyFile { .. } => {
            anyhow!("{err}: point the server at the key file itself")
        }
        other => anyhow!("{other}"),
    }
}

/// What is wrong with key text, never the text.
fn reason(err: &CryptoError) -> String {
    match err {
        CryptoError::InvalidKey(reason) => reason.clone(),
        other => other.to_string(),
    }
}

/// Nothing at `path`, not even a dangling symbolic link (creating the file
/// would write through it).
fn is_missing(path: &Path) -> bool {
    matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == ErrorKind::NotFound)
}

/// Whether the data directory's SQLite store exists with something in it
/// (an empty file holds no data a new key could fail to open).
fn holds_a_store(data: &DataDir) -> bool {
    std::fs::metadata(data.database()).is_ok_and(|meta| meta.len() > 0)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn data_dir() -> (tempfile::TempDir, DataDir) {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("data"));
        data.create().unwrap();
        (dir, data)
    }

    fn default_file(data: &DataDir) -> RootKeySource {
        RootKeySource::File {
            path: data.root_key(),
            create: true,
        }
    }

    #[test]
    fn a_first_start_creates_the_key_and_the_next_loads_it() {
        let (_dir, data) = data_dir();
        load(&default_file(&data), &data).unwrap();
        assert!(data.root_key().exists());
        std::fs::write(data.database(), b"SQLite format 3\0").unwrap();
        load(&default_file(&data), &data).unwrap();
    }

    #[test]
    fn a_missing_key_beside_a_store_is_refused_and_not_created() {
        let (_dir, data) = data_dir();
        std::fs::write(data.database(), b"SQLite format 3\0").unwrap();
        let err = load(&default_file(&data), &data).unwrap_err().to_string();
        assert!(err.contains("is missing"), "{err}");
        assert!(err.contains("restore the key file"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        assert!(!data.root_key().exists(), "no new key was made");
    }

    #[test]
    fn a_missing_salt_beside_a_store_is_refused_and_not_created() {
        let (_dir, data) = data_dir();
        std::fs::write(data.database(), b"SQLite format 3\0").unwrap();
        let source = RootKeySource::Passphrase("correct horse".into());
        let err = load(&source, &data).unwrap_err().to_string();
        assert!(err.contains("root.salt is missing"), "{err}");
        assert!(!data.root_salt().exists());
    }

    #[test]
    fn an_empty_database_file_is_no_store() {
        let (_dir, data) = data_dir();
        std::fs::write(data.database(), b"").unwrap();
        load(&default_file(&data), &data).unwrap();
    }

    #[test]
    fn a_bad_env_key_is_named_and_not_shown() {
        let (_dir, data) = data_dir();
        for text in [
            "not base64 !!",
            "c2hvcnQ=",
            "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB",
        ] {
            let err = load(&RootKeySource::Env(text.into()), &data)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("KINKO_ROOT_KEY is not a root key"), "{err}");
            assert!(!err.contains(text), "{err}");
        }
    }

    #[test]
    fn a_given_key_file_that_does_not_exist_is_never_created() {
        let (dir, data) = data_dir();
        let path: PathBuf = dir.path().join("given.key");
        let source = RootKeySource::File {
            path: path.clone(),
            create: false,
        };
        let err = load(&source, &data).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
        assert!(!path.exists());
    }
}
