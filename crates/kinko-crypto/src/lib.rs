//! kinko-crypto: the root key, per-key material, envelope encryption and the
//! zeroizing secret newtypes every other crate holds plaintext in.
//!
//! Everything here is synchronous and does no I/O except reading and creating
//! the root key file. The primitives come from aws-lc-rs (AES-256-GCM,
//! HKDF-SHA256, HMAC-SHA256, the system RNG), which rustls and the AWS SDK
//! link anyway; passphrases go through Argon2id.
//!
//! The key hierarchy, from the top:
//!
//! - [`RootKey`]: from a key file, an environment variable or a passphrase.
//!   It only wraps [`KeyMaterial`] ([`RootKey::wrap_key`]) and derives
//!   purpose keys ([`RootKey::derive`]); it never touches a value directly,
//!   so rotating it re-wraps the (few) keys, never the (many) values.
//! - [`KeyMaterial`]: one KMS-style key, stored wrapped.
//! - a fresh data key per value, wrapped under the KeyMaterial inside the
//!   value's [`envelope`].

mod aes_gcm;
pub mod envelope;
mod error;
mod key_material;
mod random;
mod root_key;
mod secret;
#[cfg(feature = "tls")]
pub mod tls;

pub use error::CryptoError;
pub use key_material::KeyMaterial;
pub use random::random_bytes;
pub use root_key::RootKey;
pub use secret::{SecretBytes, SecretString};
