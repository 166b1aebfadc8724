//! The one error type of this crate. No variant ever carries key bytes or
//! plaintext: messages say what went wrong, never with what.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The root key file can be read by group or others (like ssh, refuse it).
    #[error(
        "root key file {} has mode {mode:04o}; it must not be accessible by group or others (chmod 600)",
        path.display()
    )]
    KeyFilePermissions { path: PathBuf, mode: u32 },
    /// The path is not a regular file: a directory, a device, a FIFO (whose
    /// open would block), or a symbolic link to nothing or to one of those.
    #[error("root key file {} is {what}, not a key file", path.display())]
    NotAKeyFile { path: PathBuf, what: String },
    /// The file is there but holds no key: empty, truncated, garbled.
    /// The reason says what is wrong with the content, never the content.
    #[error("root key file {} does not hold a root key: {reason}", path.display())]
    KeyFileInvalid { path: PathBuf, reason: String },
    #[error("root key file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The text describes what is wrong with the key, never the key itself.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// Tampering, a wrong key or a wrong AAD: AES-GCM cannot tell them apart.
    #[error("ciphertext failed authentication")]
    Decrypt,
    /// The bytes are not something this crate produced (or are truncated).
    #[error("{0}")]
    Malformed(&'static str),
    #[error("key derivation failed: {0}")]
    Kdf(String),
}
