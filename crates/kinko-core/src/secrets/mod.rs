//! The Secrets Manager semantics: versions and staging labels, idempotency
//! tokens, the deletion lifecycle, filters and paging, resource policies and
//! replication, over the [`kinko_store::Store`] and the keyring. Names and
//! ARNs are [`kinko_model::secrets`]'; wire shapes live in `kinko-aws`, and
//! this module knows none.

mod access;
mod create;
mod delete;
mod describe;
pub mod error;
mod get;
mod list;
mod meta;
pub mod model;
pub mod password;
mod policy;
mod put;
mod replication;
pub mod service;
pub mod stages;
mod suffix;
mod tags;

pub use access::SecretAccess;
pub use error::SecretsError;
pub use model::*;
pub use password::{PasswordOptions, random_password};
pub use service::{Clock, DEFAULT_KEY, MAX_VALUE_LEN, SecretsManager, SystemClock};

#[cfg(test)]
mod tests;
