//! The storage layer: the [`Store`] trait, its records, and its backends.
//!
//! A store only ever holds ciphertext: every value arrives already sealed by
//! `kinko-crypto` (see `kinko-core`), so a stolen database file is useless
//! without the root key. The store does not link `kinko-crypto`: it cannot
//! open what it keeps. Its vocabulary (tags, principal kinds, version
//! selectors) is `kinko-model`'s. The store's job is durability and atomicity:
//! version allocation, label moves and tag updates happen in one transaction,
//! and concurrent writers never lose an update.
//!
//! Data is partitioned by region, as on AWS: every parameter and key record is
//! addressed by `(region, name)`.
//!
//! Semantics that belong to the AWS APIs (name rules, which errors to return,
//! what an overwrite keeps) live in `kinko-core`; the store offers the few
//! atomic primitives those semantics need (compare-and-swap on the latest
//! version, label moves, tag upserts with a cap).

pub mod backup;
pub mod postgres;
pub mod singleton;
pub mod sqlite;
mod unique_id;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

use async_trait::async_trait;
use kinko_model::Tag;
use kinko_model::principals::PrincipalKind;
use kinko_model::ssm::VersionSelector;

pub use postgres::PostgresStore;
pub use singleton::SingletonGuard;
pub use sqlite::SqliteStore;

/// One version of a parameter, as stored. `value` is a sealed envelope
/// (see `kinko_crypto::envelope`), never plaintext, whatever the type.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParameterVersion {
    pub version: u32,
    /// Sealed envelope bytes.
    #[serde(with = "backup::base64_bytes")]
    pub value: Vec<u8>,
    /// `String`, `StringList` or `SecureString`.
    pub parameter_type: String,
    /// KMS key the value was sealed with, as the caller named it
    /// (`alias/aws/ssm`, a key id, an ARN); `None` for non-SecureString.
    pub key_id: Option<String>,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    /// Effective tier: `Standard` or `Advanced`.
    pub tier: String,
    /// Parameter policies as the JSON text the caller sent.
    pub policies: Option<String>,
    /// `text`, `aws:ec2:image`, `aws:ssm:integration`.
    pub data_type: String,
    /// Labels on this version, sorted.
    pub labels: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// ARN of the principal that wrote this version.
    pub last_modified_user: String,
}

impl std::fmt::Debug for ParameterVersion {
    // The value is ciphertext, but there is no reason to print it either.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParameterVersion")
            .field("version", &self.version)
            .field(
                "value",
                &format_args!("<{} sealed bytes>", self.value.len()),
            )
            .field("parameter_type", &self.parameter_type)
            .field("key_id", &self.key_id)
            .field("tier", &self.tier)
            .field("data_type", &self.data_type)
            .field("labels", &self.labels)
            .field("last_modified_ms", &self.last_modified_ms)
            .finish_non_exhaustive()
    }
}

/// A parameter with one of its versions (the latest, unless a selector
/// chose another) and its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterRecord {
    /// The canonical name the store is keyed by (chosen by `kinko-core`).
    pub name: String,
    /// The name as the caller spelled it when the parameter was created.
    pub display_name: String,
    /// Highest version number that exists.
    pub latest_version: u32,
    /// The selected version.
    pub version: ParameterVersion,
    /// Tags, sorted by key.
    pub tags: Vec<Tag>,
}

// Returned by value once per lookup; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterLookup {
    Found(ParameterRecord),
    /// The parameter exists but the selected version or label does not.
    VersionNotFound,
    NotFound,
}

/// A new version to write with compare-and-swap on the latest version.
#[derive(Debug, Clone)]
pub struct ParameterWrite {
    /// Canonical name.
    pub name: String,
    /// Used only when the write creates the parameter.
    pub display_name: String,
    /// The latest version the caller based this write on; `None` means the
    /// parameter must not exist yet. `version.version` must be this + 1
    /// (or 1 on create).
    pub expected_latest: Option<u32>,
    pub version: ParameterVersion,
    /// Tags to set; only allowed when creating.
    pub tags: Vec<Tag>,
    /// How many versions are kept (AWS: 100). When a write would exceed it,
    /// the oldest version is dropped, unless it carries a label.
    pub max_versions: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Written,
    /// The latest version is not `expected_latest` (another writer won);
    /// nothing was written. The caller re-reads and retries.
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlabelOutcome {
    pub removed: Vec<String>,
    pub invalid: Vec<String>,
}

/// A page request over parameters in name order.
#[derive(Debug, Clone, Default)]
pub struct ParameterQuery {
    /// Only names that start with this string.
    pub prefix: Option<String>,
    /// Only names strictly greater than this one (the paging cursor).
    pub after: Option<String>,
    /// At most this many records.
    pub limit: usize,
}

/// A KMS-style key. `wrapped_material` is the key material wrapped under the
/// root key; the store never sees it in the clear.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KmsKeyRecord {
    pub region: String,
    /// The key id (a UUID, as on AWS).
    pub key_id: String,
    #[serde(with = "backup::base64_bytes")]
    pub wrapped_material: Vec<u8>,
    pub description: String,
    pub enabled: bool,
    /// `AWS` for the managed keys (`alias/aws/ssm`), `CUSTOMER` otherwise.
    pub key_manager: String,
    pub created_ms: i64,
    /// Further KMS metadata as JSON, owned by `kinko-core`, so that later
    /// features (key state, deletion date) need no schema change.
    pub metadata: String,
}

impl std::fmt::Debug for KmsKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsKeyRecord")
            .field("region", &self.region)
            .field("key_id", &self.key_id)
            .field("enabled", &self.enabled)
            .field("key_manager", &self.key_manager)
            .finish_non_exhaustive()
    }
}

/// An access key for SigV4. The secret is sealed (see `kinko-core`).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    /// ARN of the principal that owns the key.
    pub principal_arn: String,
    #[serde(with = "backup::base64_bytes")]
    pub sealed_secret: Vec<u8>,
    pub active: bool,
    pub created_ms: i64,
    /// The key stops authenticating at this time (set by key rotation).
    #[serde(default)]
    pub retire_ms: Option<i64>,
    /// When the key last authenticated a request (written in batches).
    #[serde(default)]
    pub last_used_ms: Option<i64>,
    /// The operation of that last use.
    #[serde(default)]
    pub last_used_operation: Option<String>,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("principal_arn", &self.principal_arn)
            .field("active", &self.active)
            .field("retire_ms", &self.retire_ms)
            .field("last_used_ms", &self.last_used_ms)
            .finish_non_exhaustive()
    }
}

/// Reads [`PrincipalKind::as_str`]'s form back; anything else is a corrupt row.
pub(crate) fn principal_kind_from_stored(text: &str) -> Result<PrincipalKind, StoreError> {
    match text {
        "User" => Ok(PrincipalKind::User),
        "Role" => Ok(PrincipalKind::Role),
        other => Err(StoreError::Backend(format!(
            "unknown principal kind {other:?} in the store"
        ))),
    }
}

/// Principal tags are stored as one JSON array, sorted by key.
pub(crate) fn tags_to_stored(tags: &[Tag]) -> Result<String, StoreError> {
    let mut sorted = tags.to_vec();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    serde_json::to_string(&sorted)
        .map_err(|err| StoreError::Backend(format!("cannot encode principal tags: {err}")))
}

pub(crate) fn tags_from_stored(text: &str) -> Result<Vec<Tag>, StoreError> {
    serde_json::from_str(text)
        .map_err(|err| StoreError::Backend(format!("corrupt principal tags in the store: {err}")))
}

/// A user or a role. Names are unique across both kinds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrincipalRecord {
    pub name: String,
    pub kind: PrincipalKind,
    /// `arn:aws:iam::ACCT:user/NAME` or `…:role/NAME`; unique.
    pub arn: String,
    /// `AIDA…` / `AROA…` ([`PrincipalKind::unique_id_from`]); unique, never
    /// reused: a principal deleted and created again under the same name
    /// gets a new one. Role sessions are bound to it. Empty only in a
    /// backup written before ids existed (see `backup`).
    #[serde(default)]
    pub unique_id: String,
    /// Sorted by key.
    pub tags: Vec<Tag>,
    /// Roles: who may assume the role (IAM JSON). `None` for users.
    pub trust_policy: Option<String>,
    pub created_ms: i64,
}

/// An inline identity policy attached to a principal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyRecord {
    pub principal_arn: String,
    pub name: String,
    /// The IAM JSON document as the caller sent it.
    pub document: String,
    pub updated_ms: i64,
}

/// One stored audit record and its link in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditRow {
    /// 1, 2, 3, … with no gaps, in append order.
    pub seq: i64,
    pub time_ms: i64,
    /// The record as JSON (built by kinko-core; the store does not look inside).
    pub record: String,
    /// Hex hash of the row before (64 zeros for seq 1).
    pub prev_hash: String,
    /// Hex hash of this row: `link(prev_hash, seq, time_ms, record)`.
    pub hash: String,
}

/// The hash function the chain uses, owned by kinko-core (the store only calls it
/// inside its append transaction so that several servers extend one chain).
pub type AuditLink = fn(prev_hash: &str, seq: i64, time_ms: i64, record: &str) -> String;

/// The genesis `prev_hash`.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Last-use facts for access keys, written in batches (never per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub access_key_id: String,
    pub used_ms: i64,
    pub operation: String,
}

/// A KMS alias (`alias/NAME`) and the key it points to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KmsAliasRecord {
    pub region: String,
    /// `alias/NAME`.
    pub alias: String,
    pub key_id: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A Secrets Manager secret's metadata. Values live in [`SecretVersion`]s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecretRecord {
    pub region: String,
    /// The secret name (the store key within a region).
    pub name: String,
    /// Full ARN, with AWS's 6-character random suffix.
    pub arn: String,
    pub description: Option<String>,
    /// The KMS key as the caller named it; `None` = `alias/aws/secretsmanager`.
    pub kms_key_id: Option<String>,
    /// Tags in the order they were first added (AWS keeps append order).
    pub tags: Vec<Tag>,
    /// Whether tags were ever set (DescribeSecret omits `Tags` until then).
    pub tagged: bool,
    /// The resource policy JSON, as the caller sent it.
    pub resource_policy: Option<String>,
    pub created_ms: i64,
    pub last_changed_ms: i64,
    pub last_accessed_ms: Option<i64>,
    /// Set while the secret is scheduled for deletion.
    pub deleted_ms: Option<i64>,
    /// When a scheduled deletion becomes a purge.
    pub deletion_date_ms: Option<i64>,
    /// For a replica: the region of its primary. `None` for a primary.
    pub primary_region: Option<String>,
    /// Further Secrets Manager state as JSON owned by `kinko-core` (rotation
    /// configuration, replication status), so later features need no schema change.
    pub metadata: String,
    /// Incremented by every write; the compare-and-swap token of [`SecretWrite`].
    pub revision: u64,
}

/// One version of a secret. `value` is sealed, never plaintext.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecretVersion {
    /// The `ClientRequestToken` that created it.
    pub version_id: String,
    #[serde(with = "backup::base64_bytes")]
    pub value: Vec<u8>,
    /// `SecretBinary` rather than `SecretString`.
    pub binary: bool,
    /// Staging labels, sorted; empty = deprecated.
    pub stages: Vec<String>,
    pub created_ms: i64,
    pub last_accessed_ms: Option<i64>,
    /// The KMS key the value was sealed under, as the caller named it.
    pub kms_key_id: Option<String>,
}

impl std::fmt::Debug for SecretVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretVersion")
            .field("version_id", &self.version_id)
            .field(
                "value",
                &format_args!("<{} sealed bytes>", self.value.len()),
            )
            .field("binary", &self.binary)
            .field("stages", &self.stages)
            .field("created_ms", &self.created_ms)
            .finish_non_exhaustive()
    }
}

/// A secret with every version it keeps, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecretState {
    pub record: SecretRecord,
    pub versions: Vec<SecretVersion>,
}

/// One atomic change to one secret, based on the revision the caller read.
///
/// All semantics (stage moves, idempotency, deletion rules) are decided in
/// `kinko-core`; the store applies the result all-or-nothing.
#[derive(Debug, Clone)]
pub enum SecretWrite {
    /// Create a secret that must not exist in `record.region` (`record.revision` is ignored;
    /// the stored secret starts at revision 1).
    Create { state: SecretState },
    /// Replace the record and upsert/delete versions, if the stored revision is `expected_revision`.
    Update {
        expected_revision: u64,
        record: SecretRecord,
        upsert_versions: Vec<SecretVersion>,
        delete_versions: Vec<String>,
    },
    /// Remove the secret and all its versions, if the stored revision is `expected_revision`.
    Delete {
        region: String,
        name: String,
        expected_revision: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// A secret to create already exists, or a revision did not match:
    /// nothing of the batch was written. The caller re-reads and retries.
    Conflict,
}

/// A parameter with every version it keeps, as a backup holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParameterExport {
    pub region: String,
    /// Canonical name.
    pub name: String,
    pub display_name: String,
    pub latest_version: u32,
    /// Every kept version, oldest first, with its labels.
    pub versions: Vec<ParameterVersion>,
    /// Tags, sorted by key.
    pub tags: Vec<Tag>,
}

/// Everything a store holds, read in one snapshot: what `kinko backup`
/// writes and `kinko restore` loads. Values, key material and access-key
/// secrets stay sealed under the root key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// In (region, name) order.
    pub parameters: Vec<ParameterExport>,
    /// In (region, key id) order.
    pub kms_keys: Vec<KmsKeyRecord>,
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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("parameter not found")]
    ParameterNotFound,
    #[error("parameter version not found")]
    VersionNotFound,
    #[error("the version would carry more than {max} labels")]
    LabelLimitExceeded { max: usize },
    #[error("version {version}, the oldest, carries a label and cannot be dropped")]
    OldestVersionLabelled { version: u32 },
    #[error("the resource would carry more than {max} tags")]
    TooManyTags { max: usize },
    #[error("already exists")]
    AlreadyExists,
    #[error("not found")]
    NotFound,
    #[error("limit of {max} exceeded")]
    LimitExceeded { max: usize },
    #[error("tags can only be set when a parameter is created")]
    TagsOnOverwrite,
    /// A restore found data in the target store; it only loads into an empty one.
    #[error("the target store is not empty ({0}); restore only loads into an empty store")]
    NotEmpty(String),
    /// What this backend does not offer (a test double's store).
    #[error("not supported by this store: {0}")]
    Unsupported(&'static str),
    /// The backend cannot be reached (a database restarting) or did not
    /// answer in time. Retryable.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The disk under the store is full (SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `disk_full`): the write was rolled back, nothing of it
    /// was kept. Retryable once space is freed; reads keep working.
    #[error("the store is out of disk space; the write was not made")]
    OutOfSpace,
    /// Anything else the backend reported. Never contains a value.
    #[error("store failure: {0}")]
    Backend(String),
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- parameters ----

    async fn get_parameter(
        &self,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<ParameterLookup, StoreError>;

    /// Every kept version, oldest first, or `None` when the parameter does not exist.
    async fn parameter_history(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<Vec<ParameterVersion>>, StoreError>;

    /// Compare-and-swap write of a new version (see [`ParameterWrite`]).
    /// Errors: `OldestVersionLabelled`, `TagsOnOverwrite`, `TooManyTags`.
    async fn put_parameter_version(
        &self,
        region: &str,
        write: ParameterWrite,
    ) -> Result<PutOutcome, StoreError>;

    /// Deletes every version, label and tag. `false` when it did not exist.
    async fn delete_parameter(&self, region: &str, name: &str) -> Result<bool, StoreError>;

    /// Latest version of each parameter, in name order.
    async fn list_parameters(
        &self,
        region: &str,
        query: &ParameterQuery,
    ) -> Result<Vec<ParameterRecord>, StoreError>;

    /// Attaches `labels` to `version` (the latest when `None`), moving each
    /// label off any other version of the parameter, atomically. Returns the
    /// version labelled. Labels already on that version are no-ops.
    /// Errors: `ParameterNotFound`, `VersionNotFound`, `LabelLimitExceeded`.
    async fn label_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: Option<u32>,
        labels: &[String],
        max_labels: usize,
    ) -> Result<u32, StoreError>;

    /// Errors: `ParameterNotFound`, `VersionNotFound`.
    async fn unlabel_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: u32,
        labels: &[String],
    ) -> Result<UnlabelOutcome, StoreError>;

    /// Upserts tags by key. Errors: `ParameterNotFound`, `TooManyTags`.
    async fn add_parameter_tags(
        &self,
        region: &str,
        name: &str,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError>;

    /// Unknown keys are ignored. Errors: `ParameterNotFound`.
    async fn remove_parameter_tags(
        &self,
        region: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(), StoreError>;

    // ---- KMS-style keys ----

    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError>;

    /// The key id an alias (`alias/aws/ssm`) points to.
    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError>;

    /// Inserts a key and, when given, an alias to it, in one transaction.
    /// Errors: `AlreadyExists` when the key id or the alias exists.
    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Every key of a region, in key id order.
    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError>;

    /// Replaces a key's mutable fields (`enabled`, `description`, `metadata`,
    /// `wrapped_material` for re-wrapping). Errors: `NotFound` if absent.
    async fn update_kms_key(&self, key: KmsKeyRecord) -> Result<(), StoreError>;

    /// Every alias of a region, in alias order.
    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError>;

    /// Errors: `AlreadyExists`.
    async fn create_kms_alias(&self, alias: KmsAliasRecord) -> Result<(), StoreError>;

    /// Points an existing alias at another key. Errors: `NotFound`.
    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
    ) -> Result<(), StoreError>;

    /// `false` when it did not exist.
    async fn delete_kms_alias(&self, region: &str, alias: &str) -> Result<bool, StoreError>;

    // ---- Secrets Manager ----

    async fn get_secret(&self, region: &str, name: &str)
    -> Result<Option<SecretState>, StoreError>;

    /// Every secret of a region with its versions, in name order. (Filtering,
    /// sorting and paging are Secrets Manager semantics, done in `kinko-core`.)
    async fn list_secrets(&self, region: &str) -> Result<Vec<SecretState>, StoreError>;

    /// Secrets of every region whose `deletion_date_ms` is at or before `now_ms`.
    async fn secrets_due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRecord>, StoreError>;

    /// Applies every write in one transaction (a primary and its replicas move
    /// together), or none of them.
    async fn write_secrets(&self, writes: Vec<SecretWrite>) -> Result<WriteOutcome, StoreError>;

    // ---- access keys ----

    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, StoreError>;

    /// Errors: `AlreadyExists`.
    async fn create_access_key(&self, key: AccessKeyRecord) -> Result<(), StoreError>;

    // ---- principals and policies ----
    //
    // Defaults say `Unsupported`, so test doubles of the trait need not
    // implement them; both real backends do.

    /// Errors: `AlreadyExists` (name or arn taken).
    async fn create_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        let _ = principal;
        Err(StoreError::Unsupported("create_principal"))
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        let _ = name;
        Err(StoreError::Unsupported("get_principal"))
    }

    async fn get_principal_by_arn(&self, arn: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        let _ = arn;
        Err(StoreError::Unsupported("get_principal_by_arn"))
    }

    /// Name order.
    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        Err(StoreError::Unsupported("list_principals"))
    }

    /// Replaces tags and trust_policy. Errors: `NotFound`.
    async fn update_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        let _ = principal;
        Err(StoreError::Unsupported("update_principal"))
    }

    /// Deletes the principal with its policies and access keys, in one
    /// transaction. `false` if absent.
    async fn delete_principal(&self, name: &str) -> Result<bool, StoreError> {
        let _ = name;
        Err(StoreError::Unsupported("delete_principal"))
    }

    /// Upsert by (principal_arn, name). Errors: `NotFound` when no principal has that arn.
    async fn put_policy(&self, policy: PolicyRecord) -> Result<(), StoreError> {
        let _ = policy;
        Err(StoreError::Unsupported("put_policy"))
    }

    async fn get_policy(
        &self,
        principal_arn: &str,
        name: &str,
    ) -> Result<Option<PolicyRecord>, StoreError> {
        let _ = (principal_arn, name);
        Err(StoreError::Unsupported("get_policy"))
    }

    /// Name order.
    async fn list_policies(&self, principal_arn: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        let _ = principal_arn;
        Err(StoreError::Unsupported("list_policies"))
    }

    async fn delete_policy(&self, principal_arn: &str, name: &str) -> Result<bool, StoreError> {
        let _ = (principal_arn, name);
        Err(StoreError::Unsupported("delete_policy"))
    }

    // ---- access key management ----

    /// Creates the key unless its principal already has `max_usable` usable
    /// keys (active and `retire_ms` None or > `now_ms`), checked in the same
    /// transaction. Errors: `AlreadyExists`, `LimitExceeded`.
    async fn create_access_key_limited(
        &self,
        key: AccessKeyRecord,
        max_usable: usize,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let _ = (key, max_usable, now_ms);
        Err(StoreError::Unsupported("create_access_key_limited"))
    }

    /// One principal's keys (all principals when `None`), in created_ms then id order.
    async fn list_access_keys(
        &self,
        principal_arn: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let _ = principal_arn;
        Err(StoreError::Unsupported("list_access_keys"))
    }

    /// Sets `active` and `retire_ms`. Errors: `NotFound`.
    async fn update_access_key(
        &self,
        access_key_id: &str,
        active: bool,
        retire_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let _ = (access_key_id, active, retire_ms);
        Err(StoreError::Unsupported("update_access_key"))
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        let _ = access_key_id;
        Err(StoreError::Unsupported("delete_access_key"))
    }

    /// Records last use, keeping the newest `used_ms` per key. Unknown ids are ignored.
    async fn record_key_use(&self, uses: &[KeyUse]) -> Result<(), StoreError> {
        let _ = uses;
        Err(StoreError::Unsupported("record_key_use"))
    }

    // ---- audit chain ----

    /// Appends records in order in ONE transaction: reads the chain head (the
    /// last seq and hash) under a lock that serialises appenders across every
    /// server sharing the store (PostgreSQL: `SELECT … FOR UPDATE` on a
    /// one-row head table; SQLite: the single writer), computes each row's
    /// hash with `link`, inserts the rows and moves the head. Returns the rows written.
    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let _ = (records, link);
        Err(StoreError::Unsupported("append_audit"))
    }

    /// Rows with seq > `after_seq`, ascending, at most `limit`.
    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let _ = (after_seq, limit);
        Err(StoreError::Unsupported("read_audit"))
    }

    /// The head as recorded in the head table: (seq, hash), or `None` when
    /// nothing was appended. `kinko audit verify` compares it with the last
    /// row, to notice deleted tail rows.
    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        Err(StoreError::Unsupported("audit_head"))
    }

    // ---- server metadata (schema facts, the root-key check value) ----

    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Sets the value only when the key is absent; returns the value now stored.
    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError>;

    // ---- backup and restore ----
    //
    // Defaults say `Unsupported`, so test doubles of the trait need not
    // implement them; both real backends do.

    /// Everything the store holds, read in one consistent snapshot.
    async fn export_snapshot(&self) -> Result<Snapshot, StoreError> {
        Err(StoreError::Unsupported("export_snapshot"))
    }

    /// Loads `snapshot` in one transaction, keeping version numbers, labels,
    /// stages and timestamps as they are. Errors: `NotEmpty` when the store
    /// holds any parameter, secret, key or access key, or a meta key of the
    /// snapshot with a different value (another root key's check value).
    async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let _ = snapshot;
        Err(StoreError::Unsupported("import_snapshot"))
    }

    // ---- several servers on one store ----

    /// Tells every node sharing the store (this one included) to forget a
    /// cache entry. A no-op for a store only one process uses.
    async fn publish_invalidation(&self, event: &Invalidation) -> Result<(), StoreError> {
        let _ = event;
        Ok(())
    }

    /// Invalidations published by any node, or `None` when the store has no
    /// peers to hear from (SQLite: one process).
    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<Invalidation>> {
        None
    }

    /// Tries to become the one node running the job named `job`; `None`
    /// when another node holds it. The job is ours while the guard lives and
    /// [`SingletonGuard::is_held`] says so. Single-process stores always grant it.
    async fn try_singleton_lock(&self, job: &str) -> Result<Option<SingletonGuard>, StoreError> {
        let _ = job;
        Ok(Some(SingletonGuard::local()))
    }
}
