//! The root key: the top of the key hierarchy, held only in memory.
//!
//! It comes from one of three places:
//!
//! - a key file ([`RootKey::load_file`]): one line, the standard base64
//!   (with padding) of 32 random bytes, optionally followed by a newline.
//!   Like ssh with its private keys, a file that group or others could read
//!   is refused. A symbolic link is followed (Kubernetes mounts secrets as
//!   links into a `..data` directory), but what it points at must be a
//!   regular file with such a mode too;
//! - an environment variable (`KINKO_ROOT_KEY`, [`RootKey::from_base64`]),
//!   in the same base64 form;
//! - a passphrase ([`RootKey::from_passphrase`]) through Argon2id.
//!
//! The root key only wraps key material and derives purpose keys; values
//! are never sealed under it directly, so replacing it means re-wrapping the
//! few KMS-style keys, never the stored values.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::hkdf;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::aes_gcm::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::{CryptoError, KeyMaterial, SecretString};

/// Argon2id memory cost in KiB: 64 MiB, the first recommended option of
/// RFC 9106 §4 scaled for a server that derives the key once at start.
const ARGON2_M_KIB: u32 = 64 * 1024;
/// Argon2id passes: 3, as RFC 9106's second recommended option.
const ARGON2_T: u32 = 3;
/// One lane: a start-up cost, not a per-request one, so no need for threads.
const ARGON2_P: u32 = 1;
/// Shortest salt accepted for the passphrase derivation.
pub const MIN_SALT_LEN: usize = 16;

const WRAP_MAGIC: &[u8; 3] = b"kkw";
const WRAP_VERSION: u8 = 1;
const WRAP_AAD_PREFIX: &[u8] = b"kinko-key-v1\0";
const WRAPPED_LEN: usize = 4 + NONCE_LEN + KEY_LEN + TAG_LEN;
const DERIVE_SALT: &[u8] = b"kinko-root-derive-v1";
/// Longest key file read: a key line is 45 bytes; anything much longer is
/// not a key file, and is not read into memory whole.
const MAX_KEY_FILE_LEN: u64 = 1024;

/// The 256-bit root key. `Debug` is redacted; the bytes are zeroized on drop.
pub struct RootKey(Zeroizing<[u8; KEY_LEN]>);

impl RootKey {
    /// A fresh random root key.
    pub fn generate() -> RootKey {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        crate::random::fill(&mut bytes[..]);
        RootKey(bytes)
    }

    /// Reads a key file (one line of standard base64 of 32 bytes).
    ///
    /// Refuses with `NotAKeyFile` anything but a regular file (after
    /// following symbolic links), with `KeyFilePermissions` a file whose mode
    /// has any group or other bit set (`mode & 0o077 != 0`; on non-unix
    /// systems there is no such check), and with `KeyFileInvalid` a file that
    /// holds no key. A missing file is `Io` with `NotFound`.
    pub fn load_file(path: &Path) -> Result<RootKey, CryptoError> {
        let io_err = |source| CryptoError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Look before opening: opening a FIFO would wait for a writer.
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(match std::fs::read_link(path) {
                    Ok(target) => not_a_key_file(
                        path,
                        format!(
                            "a symbolic link to {}, which does not exist",
                            target.display()
                        ),
                    ),
                    Err(_) => io_err(e),
                });
            }
            Err(e) => return Err(io_err(e)),
        };
        check_regular(path, &meta)?;
        let file = std::fs::File::open(path).map_err(io_err)?;
        // Again on what was opened, in case the path changed in between.
        check_regular(path, &file.metadata().map_err(io_err)?)?;
        check_permissions(path, &file)?;
        let invalid = |reason: &str| CryptoError::KeyFileInvalid {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        };
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_KEY_FILE_LEN + 1),
            &mut bytes,
        )
        .map_err(io_err)?;
        if bytes.is_empty() {
            return Err(invalid("the file is empty"));
        }
        if bytes.len() as u64 > MAX_KEY_FILE_LEN {
            return Err(invalid("the file is far longer than one key line"));
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid("the file is not text"))?;
        decode_key(text).map_err(|err| match err {
            CryptoError::InvalidKey(reason) => invalid(&reason),
            other => other,
        })
    }

    /// Creates a key file with mode 0600 from the start (never a moment with
    /// a wider mode), writes a fresh key and fsyncs it. Fails if the file
    /// exists.
    pub fn create_file(path: &Path) -> Result<RootKey, CryptoError> {
        let io_err = |source| CryptoError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io_err)?;
        let key = RootKey::generate();
        let mut line = Zeroizing::new(STANDARD.encode(&key.0[..]));
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        Ok(key)
    }

    /// Loads the key file if it exists, else creates it; `true` = created.
    /// Two processes racing to create it both end up with the same key.
    pub fn load_or_create_file(path: &Path) -> Result<(RootKey, bool), CryptoError> {
        match RootKey::create_file(path) {
            Ok(key) => Ok((key, true)),
            Err(CryptoError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                Ok((RootKey::load_file(path)?, false))
            }
            Err(err) => Err(err),
        }
    }

    /// From the base64 text of an environment variable (`KINKO_ROOT_KEY`);
    /// surrounding whitespace is ignored.
    pub fn from_base64(text: &SecretString) -> Result<RootKey, CryptoError> {
        decode_key(text.expose())
    }

    /// Argon2id over the passphrase with m = 64 MiB, t = 3, p = 1 (see the
    /// constants for why). The salt must be at least 16 bytes; kinko keeps a
    /// random one next to the data, since it is not secret.
    pub fn from_passphrase(passphrase: &SecretString, salt: &[u8]) -> Result<RootKey, CryptoError> {
        derive_argon2(passphrase, salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)
    }

    /// Wraps key material under the root key: AES-256-GCM with AAD =
    /// `b"kinko-key-v1\0"` + `key_id`, so wrapped material copied onto
    /// another key id fails to unwrap.
    ///
    /// Layout (64 bytes): magic `b"kkw"`, version `0x01`, 12-byte nonce,
    /// 32 bytes of ciphertext, 16-byte tag.
    pub fn wrap_key(&self, key_id: &str, material: &KeyMaterial) -> Vec<u8> {
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.extend_from_slice(WRAP_MAGIC);
        out.push(WRAP_VERSION);
        let aad = wrap_aad(key_id);
        // Sealing 32 bytes under a valid 32-byte key cannot fail: the only
        // error AES-GCM reports is an input beyond 64 GiB.
        if aes_gcm::seal_append(&self.0, &aad, material.bytes(), &mut out).is_err() {
            unreachable!("AES-256-GCM failed to seal 32 bytes");
        }
        out
    }

    /// Reverses [`RootKey::wrap_key`]. A wrong root key, a wrong key id or
    /// tampering gives `Decrypt`; bytes of the wrong shape give `Malformed`.
    pub fn unwrap_key(&self, key_id: &str, wrapped: &[u8]) -> Result<KeyMaterial, CryptoError> {
        if wrapped.len() != WRAPPED_LEN {
            return Err(CryptoError::Malformed("wrapped key has the wrong length"));
        }
        if &wrapped[..3] != WRAP_MAGIC || wrapped[3] != WRAP_VERSION {
            return Err(CryptoError::Malformed("not a kinko wrapped key"));
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&wrapped[4..4 + NONCE_LEN]);
        let mut buf = Zeroizing::new([0u8; KEY_LEN + TAG_LEN]);
        buf.copy_from_slice(&wrapped[4 + NONCE_LEN..]);
        let aad = wrap_aad(key_id);
        let plain = aes_gcm::open_in_place(&self.0, nonce, &aad, &mut buf[..])?;
        let mut material = Zeroizing::new([0u8; KEY_LEN]);
        material.copy_from_slice(plain);
        Ok(KeyMaterial::from_bytes(material))
    }

    /// A key for one purpose (HKDF-SHA256, info = `purpose`): kinko's own
    /// sealing and MACs use these, never the root key itself. Every node
    /// sharing the root key derives the same key.
    pub fn derive(&self, purpose: &str) -> KeyMaterial {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, DERIVE_SALT).extract(&self.0[..]);
        let info = [purpose.as_bytes()];
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        // 32 bytes is within HKDF-SHA256's limit of 255 * 32.
        let filled = prk
            .expand(&info, hkdf::HKDF_SHA256)
            .and_then(|okm| okm.fill(&mut out[..]));
        if filled.is_err() {
            unreachable!("HKDF-SHA256 failed to expand 32 bytes");
        }
        KeyMaterial::from_bytes(out)
    }
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

fn wrap_aad(key_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_AAD_PREFIX.len() + key_id.len());
    aad.extend_from_slice(WRAP_AAD_PREFIX);
    aad.extend_from_slice(key_id.as_bytes());
    aad
}

/// Decodes standard base64 of exactly 32 bytes into a fixed buffer, so no
/// growing `Vec` leaves copies of the key behind. Errors never echo input.
fn decode_key(text: &str) -> Result<RootKey, CryptoError> {
    let mut buf = Zeroizing::new([0u8; 64]);
    let len = STANDARD
        .decode_slice(text.trim(), &mut buf[..])
        .map_err(|_| CryptoError::InvalidKey("expected the standard base64 of 32 bytes".into()))?;
    if len != KEY_LEN {
        return Err(CryptoError::InvalidKey(format!(
            "expected 32 bytes of key, got {len}"
        )));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&buf[..KEY_LEN]);
    Ok(RootKey(key))
}

fn derive_argon2(
    passphrase: &SecretString,
    salt: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<RootKey, CryptoError> {
    if salt.len() < MIN_SALT_LEN {
        return Err(CryptoError::Kdf(format!(
            "the salt must be at least {MIN_SALT_LEN} bytes"
        )));
    }
    let params = argon2::Params::new(m_kib, t, p, Some(KEY_LEN))
        .map_err(|e| CryptoError::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(passphrase.expose().as_bytes(), salt, &mut key[..])
        .map_err(|e| CryptoError::Kdf(e.to_string()))?;
    Ok(RootKey(key))
}

fn not_a_key_file(path: &Path, what: String) -> CryptoError {
    CryptoError::NotAKeyFile {
        path: path.to_path_buf(),
        what,
    }
}

/// Refuses anything but a regular file, naming what it is instead.
fn check_regular(path: &Path, meta: &std::fs::Metadata) -> Result<(), CryptoError> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a directory"
    } else {
        "a special file (a device, FIFO or socket)"
    };
    Err(not_a_key_file(path, what.to_owned()))
}

#[cfg(unix)]
fn check_permissions(path: &Path, file: &std::fs::File) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = file.metadata().map_err(|source| CryptoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(CryptoError::KeyFilePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _file: &std::fs::File) -> Result<(), CryptoError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_from(bytes: [u8; 32]) -> RootKey {
        RootKey(Zeroizing::new(bytes))
    }

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn created_file_is_0600_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let created = RootKey::create_file(&path).unwrap();
        #[cfg(unix)]
        assert_eq!(mode_of(&path), 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n'));
        assert_eq!(STANDARD.decode(text.trim()).unwrap(), created.0.to_vec());
        let loaded = RootKey::load_file(&path).unwrap();
        assert_eq!(*loaded.0, *created.0);
    }

    #[test]
    fn create_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        RootKey::create_file(&path).unwrap();
        let err = RootKey::create_file(&path).unwrap_err();
        assert!(
            matches!(err, CryptoError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists)
        );
    }

    #[test]
    fn load_or_create_creates_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let (first, created) = RootKey::load_or_create_file(&path).unwrap();
        assert!(created);
        let (second, created) = RootKey::load_or_create_file(&path).unwrap();
        assert!(!created);
        assert_eq!(*first.0, *second.0);
    }

    #[cfg(unix)]
    #[test]
    fn load_refuses_group_or_other_access() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        RootKey::create_file(&path).unwrap();
        for mode in [0o640, 0o644, 0o604, 0o660] {
            set_mode(&path, mode);
            let err = RootKey::load_file(&path).unwrap_err();
            match err {
                CryptoError::KeyFilePermissions { path: p, mode: m } => {
                    assert_eq!(p, path);
                    assert_eq!(m & 0o777, mode);
                }
                other => panic!("expected KeyFilePermissions, got {other:?}"),
            }
        }
        set_mode(&path, 0o400);
        assert!(RootKey::load_file(&path).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn garbage_key_file_is_invalid_key_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [
            ("a", &b"not base64 at all!!\n"[..]),
            ("b", b"c2hvcnQ=\n"),
            ("c", b"\xff\xfe\x00binary"),
            ("d", b""),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            set_mode(&path, 0o600);
            let err = RootKey::load_file(&path).unwrap_err();
            assert!(
                matches!(err, CryptoError::KeyFileInvalid { .. }),
                "{name}: {err:?}"
            );
            let shown = err.to_string();
            assert!(shown.contains(&path.display().to_string()), "{shown}");
            assert!(!shown.contains("base64 at all"), "{shown}");
            assert!(!shown.contains("c2hvcnQ"), "{shown}");
            assert!(!shown.contains('\n'), "one line: {shown}");
        }
    }

    /// A key cut short by a full disk or a bad copy: named as such, with
    /// the length found and never the bytes.
    #[cfg(unix)]
    #[test]
    fn a_truncated_or_oversized_key_file_is_refused_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        RootKey::create_file(&path).unwrap();
        let full = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &full[..20]).unwrap();
        let shown = RootKey::load_file(&path).unwrap_err().to_string();
        assert!(shown.contains("does not hold a root key"), "{shown}");
        assert!(shown.contains("got 15"), "20 base64 characters: {shown}");
        assert!(!shown.contains(&full[..20]), "{shown}");

        let long = "A".repeat(2 * MAX_KEY_FILE_LEN as usize);
        std::fs::write(&path, &long).unwrap();
        let shown = RootKey::load_file(&path).unwrap_err().to_string();
        assert!(shown.contains("far longer"), "{shown}");
    }

    /// Directories, FIFOs and dangling links are not key files (and a FIFO
    /// is refused without blocking on it); a link to a good key file is.
    #[cfg(unix)]
    #[test]
    fn only_a_regular_file_or_a_link_to_one_is_a_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a-directory");
        std::fs::create_dir(&sub).unwrap();
        let err = RootKey::load_file(&sub).unwrap_err();
        assert!(
            matches!(&err, CryptoError::NotAKeyFile { what, .. } if what == "a directory"),
            "{err:?}"
        );

        let fifo = dir.path().join("a-fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = RootKey::load_file(&fifo).unwrap_err();
        assert!(matches!(err, CryptoError::NotAKeyFile { .. }), "{err:?}");

        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let shown = RootKey::load_file(&dangling).unwrap_err().to_string();
        assert!(shown.contains("symbolic link to"), "{shown}");
        assert!(shown.contains("does not exist"), "{shown}");
        // Creating never writes through a link, dangling or not.
        assert!(RootKey::load_or_create_file(&dangling).is_err());
        assert!(!dir.path().join("nowhere").exists());

        let key = dir.path().join("real.key");
        let created = RootKey::create_file(&key).unwrap();
        let link = dir.path().join("link.key");
        std::os::unix::fs::symlink(&key, &link).unwrap();
        assert_eq!(*RootKey::load_file(&link).unwrap().0, *created.0);
        // The mode checked is the target's, not the link's (always 0777).
        set_mode(&key, 0o644);
        assert!(matches!(
            RootKey::load_file(&link),
            Err(CryptoError::KeyFilePermissions { .. })
        ));
    }

    #[test]
    fn missing_file_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = RootKey::load_file(&dir.path().join("absent")).unwrap_err();
        assert!(matches!(err, CryptoError::Io { .. }));
    }

    #[test]
    fn from_base64_accepts_32_bytes_only() {
        let text = SecretString::new(format!("  {}\n", STANDARD.encode([9u8; 32])));
        let key = RootKey::from_base64(&text).unwrap();
        assert_eq!(*key.0, [9u8; 32]);
        let short = SecretString::new(STANDARD.encode([9u8; 31]));
        assert!(matches!(
            RootKey::from_base64(&short),
            Err(CryptoError::InvalidKey(_))
        ));
        let long = SecretString::new(STANDARD.encode([9u8; 33]));
        assert!(matches!(
            RootKey::from_base64(&long),
            Err(CryptoError::InvalidKey(_))
        ));
        let bad = SecretString::from("!!!!");
        assert!(matches!(
            RootKey::from_base64(&bad),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    #[test]
    fn argon2_is_deterministic_per_salt() {
        // Small parameters: the derivation logic is the same, debug builds
        // stay fast. One call at the real parameters follows.
        let pass = SecretString::from("correct horse battery staple");
        let salt_a = [1u8; 16];
        let salt_b = [2u8; 16];
        let a1 = derive_argon2(&pass, &salt_a, 64, 1, 1).unwrap();
        let a2 = derive_argon2(&pass, &salt_a, 64, 1, 1).unwrap();
        let b = derive_argon2(&pass, &salt_b, 64, 1, 1).unwrap();
        let other = derive_argon2(&SecretString::from("other"), &salt_a, 64, 1, 1).unwrap();
        assert_eq!(*a1.0, *a2.0);
        assert_ne!(*a1.0, *b.0);
        assert_ne!(*a1.0, *other.0);
    }

    #[test]
    fn from_passphrase_uses_the_documented_parameters() {
        let pass = SecretString::from("pw");
        let salt = [3u8; 16];
        let real = RootKey::from_passphrase(&pass, &salt).unwrap();
        let expected = derive_argon2(&pass, &salt, 64 * 1024, 3, 1).unwrap();
        assert_eq!(*real.0, *expected.0);
        let cheaper = derive_argon2(&pass, &salt, 64, 3, 1).unwrap();
        assert_ne!(*real.0, *cheaper.0);
    }

    #[test]
    fn short_salt_is_refused() {
        let err = RootKey::from_passphrase(&SecretString::from("pw"), &[0u8; 15]).unwrap_err();
        assert!(matches!(err, CryptoError::Kdf(_)));
    }

    #[test]
    fn wrap_unwrap_round_trip_and_binding() {
        let root = RootKey::generate();
        let material = KeyMaterial::generate();
        let wrapped = root.wrap_key("key-a", &material);
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        let back = root.unwrap_key("key-a", &wrapped).unwrap();
        assert_eq!(back.bytes(), material.bytes());

        assert!(matches!(
            root.unwrap_key("key-b", &wrapped),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            RootKey::generate().unwrap_key("key-a", &wrapped),
            Err(CryptoError::Decrypt)
        ));
        for i in 0..wrapped.len() {
            let mut bad = wrapped.clone();
            bad[i] ^= 0x10;
            assert!(root.unwrap_key("key-a", &bad).is_err(), "byte {i}");
        }
        assert!(matches!(
            root.unwrap_key("key-a", &wrapped[1..]),
            Err(CryptoError::Malformed(_))
        ));
    }

    #[test]
    fn rotation_rewraps_without_touching_envelopes() {
        let old_root = RootKey::generate();
        let material = KeyMaterial::generate();
        let wrapped = old_root.wrap_key("k", &material);
        let sealed = crate::envelope::seal(&material, "k", b"value", b"aad").unwrap();

        let new_root = RootKey::generate();
        let unwrapped = old_root.unwrap_key("k", &wrapped).unwrap();
        let rewrapped = new_root.wrap_key("k", &unwrapped);
        let reopened_key = new_root.unwrap_key("k", &rewrapped).unwrap();
        let value = crate::envelope::open(&reopened_key, &sealed, b"aad").unwrap();
        assert_eq!(value.expose(), b"value");
    }

    #[test]
    fn derive_is_deterministic_per_purpose() {
        let root = key_from([5u8; 32]);
        let same = key_from([5u8; 32]);
        assert_eq!(root.derive("a").bytes(), same.derive("a").bytes());
        assert_ne!(root.derive("a").bytes(), root.derive("b").bytes());
        assert_ne!(
            root.derive("a").bytes(),
            key_from([6u8; 32]).derive("a").bytes()
        );
        assert_ne!(root.derive("a").bytes(), &[5u8; 32]);
    }

    #[test]
    fn debug_is_redacted() {
        let root = key_from([0x41; 32]);
        let shown = format!("{root:?}");
        assert_eq!(shown, "RootKey(<redacted>)");
        assert!(!shown.contains(&STANDARD.encode([0x41u8; 32])));
    }
}
