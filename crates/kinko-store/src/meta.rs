//! What is left when the areas are taken out: server metadata, whole-store
//! snapshots for backup and restore, and what several servers sharing one
//! store tell each other (cache invalidations, singleton jobs).

use async_trait::async_trait;

use crate::{
    AccessKeyRecord, KmsAliasRecord, KmsKeyMaterialRecord, KmsKeyRecord, OidcProviderRecord,
    ParameterExport, PolicyRecord, PrincipalRecord, SecretState, SingletonGuard, StoreError,
};

/// Everything a store holds, read in one snapshot: what `kinko backup`
/// writes and `kinko restore` loads. Values, key material and access-key
/// secrets stay sealed under the root key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// In (region, name) order.
    pub parameters: Vec<ParameterExport>,
    /// In (region, key id) order.
    pub kms_keys: Vec<KmsKeyRecord>,
    /// The keys' rotated materials, in (region, key id, version) order.
    pub kms_key_materials: Vec<KmsKeyMaterialRecord>,
    /// In (region, alias) order.
    pub kms_aliases: Vec<KmsAliasRecord>,
    /// In (region, name) order, each with its versions.
    pub secrets: Vec<SecretState>,
    /// In access key id order.
    pub access_keys: Vec<AccessKeyRecord>,
    /// In name order.
    pub principals: Vec<PrincipalRecord>,
    /// In (principal arn, name) order.
    pub policies: Vec<PolicyRecord>,
    /// OpenID Connect identity providers, in arn order.
    pub oidc_providers: Vec<OidcProviderRecord>,
    /// Server metadata (the root-key check value, the admin key id), in key order.
    pub meta: Vec<(String, Vec<u8>)>,
}

impl Snapshot {
    /// Whether the snapshot holds no user data (meta does not count: a
    /// freshly opened store may already carry its root-key check value).
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty()
            && self.kms_keys.is_empty()
            && self.kms_aliases.is_empty()
            && self.secrets.is_empty()
            && self.access_keys.is_empty()
            && self.principals.is_empty()
            && self.policies.is_empty()
            && self.oidc_providers.is_empty()
    }
}

/// A cache entry that a node must forget because the record behind it
/// changed, possibly on another node sharing the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// A KMS key's record (enabled flag, material) changed.
    KmsKey { region: String, key_id: String },
    /// An access key changed (deactivated, deleted).
    AccessKey { access_key_id: String },
    /// A principal's policies, tags or keys changed.
    Principal { arn: String },
    /// Notifications may have been missed (the listener reconnected):
    /// forget everything.
    All,
}

/// Metadata, snapshots and cluster coordination: the store as a whole.
#[async_trait]
pub trait MetaRows: Send + Sync {
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Sets the value only when the key is absent; returns the value now stored.
    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError>;

    // ---- backup and restore ----

    /// Everything the store holds, read in one consistent snapshot.
    async fn export_snapshot(&self) -> Result<Snapshot, StoreError>;

    /// Loads `snapshot` in one transaction, keeping version numbers, labels,
    /// stages and timestamps as they are. Errors: `NotEmpty` when the store
    /// holds any parameter, secret, key or access key, or a meta key of the
    /// snapshot with a different value (another root key's check value).
    async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError>;

    // ---- several servers on one store ----

    /// Tells every node sharing the store (this one included) to forget a
    /// cache entry. A no-op for a store only one process uses.
    async fn publish_invalidation(&self, event: &Invalidation) -> Result<(), StoreError>;

    /// Invalidations published by any node, or `None` when the store has no
    /// peers to hear from (SQLite: one process).
    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<Invalidation>>;

    /// Tries to become the one node running the job named `job`; `None`
    /// when another node holds it. The job is ours while the guard lives and
    /// [`SingletonGuard::is_held`] says so. Single-process stores always grant it.
    async fn try_singleton_lock(&self, job: &str) -> Result<Option<SingletonGuard>, StoreError>;
}
