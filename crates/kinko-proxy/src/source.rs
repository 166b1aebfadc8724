//! Where signing rules come from.
//!
//! The proxy only needs "every parameter under this path", so it asks for
//! that through a trait of its own: the binary adapts the AWS SDK (kinko or
//! real AWS) to it, tests use a map, and this crate links no SDK.

use async_trait::async_trait;
use kinko_crypto::SecretString;

/// One parameter under a path: its full name and its (decrypted) value.
#[derive(Debug, Clone)]
pub struct RuleParameter {
    pub name: String,
    pub value: SecretString,
}

impl RuleParameter {
    pub fn new(name: impl Into<String>, value: impl Into<SecretString>) -> Self {
        RuleParameter {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Why the rules could not be read. Says what failed, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSourceError {
    /// The store refused the call (no permission, bad credentials).
    #[error("the parameter store refused to list {path}: {reason}")]
    Denied { path: String, reason: String },
    /// The store could not be reached or failed.
    #[error("the parameter store is unavailable while listing {path}: {reason}")]
    Unavailable { path: String, reason: String },
}

/// A source of signing rules: the parameters under a path.
#[async_trait]
pub trait RuleSource: Send + Sync {
    /// Every parameter under `path` (which ends in `/`), recursively and
    /// decrypted. An unknown path is an empty list, not an error.
    async fn parameters_under(&self, path: &str) -> Result<Vec<RuleParameter>, RuleSourceError>;
}
