//! The server's root key at start-up, and the refusals that keep a server
//! from starting with a wrong or unsafe one.
//!
//! Every refusal is one line that says what is wrong and what to do, and
//! never shows the key. Above all, a server never replaces a key it cannot
//! find with a new one while the data directory already holds a store: the
//! new key could not open the data, and the old one would be overwritten in
//! the operator's mind ("the server made a key, so that must be it").

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use kinko_crypto::{CryptoError, RootKey};

use crate::data_dir::{self, DataDir, FileError};

/// Where the root key comes from, in order of precedence.
#[derive(Debug, Clone)]
pub enum RootKeySource {
    /// Base64 in `KINKO_ROOT_KEY` (containers, secrets injected by the platform).
    Env(kinko_crypto::SecretString),
    /// A passphrase in `KINKO_ROOT_PASSPHRASE`, stretched with Argon2id.
    Passphrase(kinko_crypto::SecretString),
    /// A key file (created 0600 on first start when it is the default one).
    File { path: PathBuf, create: bool },
}

impl RootKeySource {
    /// `KINKO_ROOT_KEY`, else `KINKO_ROOT_PASSPHRASE` (an empty one counts
    /// as unset): the sources that win over any key file. One rule for
    /// `kinko server` and `kinko restore`, so a restore checks the backup
    /// against the key the servers will use.
    pub fn from_env() -> Option<RootKeySource> {
        let non_empty = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(text) = non_empty("KINKO_ROOT_KEY") {
            Some(RootKeySource::Env(text.into()))
        } else {
            non_empty("KINKO_ROOT_PASSPHRASE").map(|text| RootKeySource::Passphrase(text.into()))
        }
    }

    /// Where the key came from, for the refusal of a key that does not
    /// open the store.
    pub fn describe(&self) -> String {
        match self {
            RootKeySource::Env(_) => "KINKO_ROOT_KEY".to_owned(),
            RootKeySource::Passphrase(_) => "KINKO_ROOT_PASSPHRASE".to_owned(),
            RootKeySource::File { path, .. } => path.display().to_string(),
        }
    }
}

/// Why no root key could be had; never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    #[error(
        "KINKO_ROOT_KEY is not a root key ({reason}): set it to the base64 key this store was created with, or unset it"
    )]
    EnvInvalid { reason: String },
    #[error(
        "{} is missing, but {} holds a store: restore the salt file from your backup \
         (with a new salt, KINKO_ROOT_PASSPHRASE would give another key)",
        salt.display(), database.display()
    )]
    SaltMissing { salt: PathBuf, database: PathBuf },
    #[error("cannot read {}: {error}", path.display())]
    SaltUnreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot derive the root key from KINKO_ROOT_PASSPHRASE: {0}")]
    Passphrase(CryptoError),
    #[error(
        "the root key file {} is missing, but {} holds a store sealed under it: \
         restore the key file from your backup, or give the key with --root-key-file or KINKO_ROOT_KEY \
         (a new key could not open the data)",
        path.display(), database.display()
    )]
    FileMissingBesideStore { path: PathBuf, database: PathBuf },
    #[error(
        "the root key file {} does not exist: give --root-key-file the key file this store was created with",
        path.display()
    )]
    FileDoesNotExist { path: PathBuf },
    /// A key file refused, with what to do about it.
    #[error("{0}{hint}", hint = file_hint(.0))]
    File(CryptoError),
    #[error(transparent)]
    Write(#[from] FileError),
}

/// What to do about a refused key file (the permissions error already
/// says `chmod 600`).
fn file_hint(err: &CryptoError) -> &'static str {
    match err {
        CryptoError::KeyFileInvalid { .. } => {
            ": restore the key file from your backup (one line, the base64 of 32 bytes)"
        }
        CryptoError::NotAKeyFile { .. } => ": point the server at the key file itself",
        _ => "",
    }
}

/// The root key from `source`, creating the default key file (or the
/// passphrase's salt) only on a first start, when no store exists yet.
pub fn load(source: &RootKeySource, data: &DataDir) -> Result<RootKey, RootKeyError> {
    match source {
        RootKeySource::Env(text) => {
            RootKey::from_base64(text).map_err(|err| RootKeyError::EnvInvalid {
                reason: reason(&err),
            })
        }
        RootKeySource::Passphrase(passphrase) => {
            let salt_path = data.root_salt();
            let salt = match std::fs::read(&salt_path) {
                Ok(salt) => salt,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    if data.holds_a_store() {
                        return Err(RootKeyError::SaltMissing {
                            salt: salt_path,
                            database: data.database(),
                        });
                    }
                    let salt = kinko_crypto::random_bytes(16);
                    data_dir::write_private(&salt_path, &salt)?;
                    salt
                }
                Err(error) => {
                    return Err(RootKeyError::SaltUnreadable {
                        path: salt_path,
                        error,
                    });
                }
            };
            RootKey::from_passphrase(passphrase, &salt).map_err(RootKeyError::Passphrase)
        }
        RootKeySource::File { path, create: true } => {
            if is_missing(path) && data.holds_a_store() {
                return Err(RootKeyError::FileMissingBesideStore {
                    path: path.clone(),
                    database: data.database(),
                });
            }
            let (key, created) = RootKey::load_or_create_file(path).map_err(RootKeyError::File)?;
            if created {
                // Said once, to the operator starting the server: the one
                // moment the key can still be backed up before data exists.
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
            CryptoError::Io { source, .. } if source.kind() == ErrorKind::NotFound => {
                RootKeyError::FileDoesNotExist { path: path.clone() }
            }
            other => RootKeyError::File(other),
        }),
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

#[cfg(test)]
mod tests;
