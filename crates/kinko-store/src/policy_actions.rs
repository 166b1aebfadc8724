//! What the parameter-policy runner needs of a store: the parameters whose
//! latest version carries policies, and a once-only record of each action
//! it takes (a notification sent, a parameter expired), written with its
//! change record in one transaction, so a policy fires once however many
//! servers scan and however often.

use async_trait::async_trait;

use crate::{Change, StoreError};

/// A parameter's latest version with policies, as the runner scans them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyCandidate {
    pub region: String,
    /// Canonical name.
    pub name: String,
    pub display_name: String,
    pub latest_version: u32,
    /// The stored type name (`String`, `StringList`, `SecureString`).
    pub parameter_type: String,
    /// The policies' JSON text, as validated on write.
    pub policies: String,
    pub last_modified_ms: i64,
}

/// What a due policy does beyond announcing itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyEffect {
    /// A notification: the change record alone.
    Notify,
    /// `Expiration`: the parameter is deleted, if its latest version is
    /// still the one whose policy fired (a newer write may have replaced
    /// the policies).
    Expire { expected_latest: u32 },
}

#[async_trait]
pub trait PolicyActionRows: Send + Sync {
    /// Latest versions that carry policies, in (region, name) order after
    /// `after`, at most `limit`.
    async fn parameters_with_policies(
        &self,
        after: Option<(String, String)>,
        limit: usize,
    ) -> Result<Vec<PolicyCandidate>, StoreError>;

    /// Runs the action `key` of a parameter once: records `key`, applies
    /// `effect` and appends `change`, all in one transaction. `false` (and
    /// nothing written) when `key` already ran, the parameter is gone, or
    /// an `Expire` finds a newer version. Keys go with their parameter.
    async fn run_policy_action(
        &self,
        region: &str,
        name: &str,
        key: &str,
        effect: PolicyEffect,
        change: Change,
    ) -> Result<bool, StoreError>;
}
