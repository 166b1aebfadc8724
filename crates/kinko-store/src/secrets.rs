//! Secrets Manager secrets and their versions.

use async_trait::async_trait;
use kinko_model::Tag;

use crate::{Change, StoreError};

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
    #[serde(with = "crate::backup::base64_bytes")]
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

/// Secret rows: what `kinko-core`'s Secrets Manager service needs.
#[async_trait]
pub trait SecretRows: Send + Sync {
    async fn get_secret(&self, region: &str, name: &str)
    -> Result<Option<SecretState>, StoreError>;

    /// Every secret of a region with its versions, in name order. (Filtering,
    /// sorting and paging are Secrets Manager semantics, done in `kinko-core`.)
    async fn list_secrets(&self, region: &str) -> Result<Vec<SecretState>, StoreError>;

    /// Secrets of every region whose `deletion_date_ms` is at or before `now_ms`.
    async fn secrets_due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRecord>, StoreError>;

    /// Applies every write in one transaction (a primary and its replicas move
    /// together), or none of them, and appends `changes` to the change feed
    /// in the same transaction when the writes were applied.
    async fn write_secrets(
        &self,
        writes: Vec<SecretWrite>,
        changes: Vec<Change>,
    ) -> Result<WriteOutcome, StoreError>;
}
