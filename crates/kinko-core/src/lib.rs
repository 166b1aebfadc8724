//! kinko's semantics, independent of the wire: validated names, the SSM
//! Parameter Store rules, the keyring that seals and opens values, and the
//! access keys that SigV4 verifies against.
//!
//! Nothing here knows HTTP or JSON field names; `kinko-aws` maps wire shapes
//! onto these types and these errors onto AWS error codes.

pub mod arn;
pub mod audit;
pub mod credentials;
pub mod iam;
pub mod keyring;
pub mod kms;
pub mod principals;
pub mod references;
pub mod secrets;
pub mod ssm;
pub mod value_source;
pub mod write_locks;
