//! kinko's semantics, independent of the wire: the SSM Parameter Store,
//! Secrets Manager and KMS rules over the store, the keyring that seals and
//! opens values, principals and the access keys that SigV4 verifies
//! against, and the audit log's hash chain.
//!
//! The vocabulary these speak (validated names, ARNs, tags, the IAM policy
//! language, audit records) is `kinko-model`'s. Nothing here knows HTTP or
//! JSON field names; `kinko-aws` maps wire shapes onto these types and these
//! errors onto AWS error codes.

pub mod audit;
pub mod cache_stats;
mod caller;
pub mod changes;
pub mod clock;
pub mod credentials;
pub mod iam;
pub mod keyring;
pub mod kms;
pub mod principals;
pub mod secrets;
pub mod ssm;
mod store_failure;
pub mod web_identity;
pub mod webhooks;
pub mod write_locks;

pub use caller::Caller;
pub use store_failure::StoreFailure;
