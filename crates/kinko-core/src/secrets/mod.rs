//! The Secrets Manager semantics: names and ARNs, versions and staging
//! labels, idempotency tokens, the deletion lifecycle, filters and paging,
//! resource policies and replication, over the [`kinko_store::Store`] and
//! the keyring. Wire shapes live in `kinko-aws`; this module knows none.

mod access;
mod create;
mod delete;
mod describe;
pub mod error;
mod get;
mod list;
mod meta;
pub mod model;
pub mod names;
pub mod password;
mod policy;
mod put;
mod replication;
pub mod service;
pub mod stages;
mod tags;

pub use access::SecretAccess;
pub use error::SecretsError;
/// Re-exported so the wire layer needs no dependency on the store.
pub use kinko_store::Tag;
pub use model::*;
pub use names::{SecretName, SecretRef};
pub use password::{PasswordOptions, random_password};
pub use service::{Clock, DEFAULT_KEY, MAX_VALUE_LEN, SecretsManager, SystemClock};

#[cfg(test)]
mod tests;
