//! Parameters (SSM Parameter Store): versions, labels and tags.

use async_trait::async_trait;
use kinko_model::Tag;
use kinko_model::ssm::{ParameterType, VersionSelector};

use crate::{Change, StoreError};

/// One version of a parameter, as stored. `value` is a sealed envelope
/// (see `kinko_crypto::envelope`), never plaintext, whatever the type.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParameterVersion {
    pub version: u32,
    /// Sealed envelope bytes.
    #[serde(with = "crate::backup::base64_bytes")]
    pub value: Vec<u8>,
    /// Stored as its wire name (`ParameterType::as_str`) in the same TEXT
    /// column as before the type was an enum; backups hold the same text.
    pub parameter_type: ParameterType,
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

/// Reads [`ParameterType::as_str`]'s form back from a row of parameter
/// `name`; anything else is a corrupt row, reported, never a panic.
pub(crate) fn parameter_type_from_stored(
    name: &str,
    text: &str,
) -> Result<ParameterType, StoreError> {
    ParameterType::parse(text).ok_or_else(|| {
        StoreError::Backend(format!(
            "unknown parameter type {text:?} stored for parameter {name}"
        ))
    })
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

/// Parameter rows: what `kinko-core`'s SSM service needs of a store.
///
/// Every mutation takes the [`Change`] that describes it and appends it to
/// the change feed in the same transaction, only when something was written
/// (a conflict, an error or a no-op appends nothing).
#[async_trait]
pub trait ParameterRows: Send + Sync {
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
        change: Change,
    ) -> Result<PutOutcome, StoreError>;

    /// Deletes every version, label and tag. `false` when it did not exist.
    /// The store adds the deleted parameter's `type` and `description` to
    /// the change's detail.
    async fn delete_parameter(
        &self,
        region: &str,
        name: &str,
        change: Change,
    ) -> Result<bool, StoreError>;

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
        change: Change,
    ) -> Result<u32, StoreError>;

    /// Errors: `ParameterNotFound`, `VersionNotFound`. The change is
    /// appended (with the removed `labels`) only when a label was removed.
    async fn unlabel_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: u32,
        labels: &[String],
        change: Change,
    ) -> Result<UnlabelOutcome, StoreError>;

    /// Upserts tags by key. Errors: `ParameterNotFound`, `TooManyTags`.
    async fn add_parameter_tags(
        &self,
        region: &str,
        name: &str,
        tags: &[Tag],
        max_tags: usize,
        change: Change,
    ) -> Result<(), StoreError>;

    /// Unknown keys are ignored. Errors: `ParameterNotFound`.
    async fn remove_parameter_tags(
        &self,
        region: &str,
        name: &str,
        keys: &[String],
        change: Change,
    ) -> Result<(), StoreError>;
}
