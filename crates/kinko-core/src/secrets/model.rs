//! Inputs and outputs of the Secrets Manager operations, independent of the
//! wire. Values travel in [`SecretValue`] (zeroizing, redacted `Debug`) from
//! decode to seal and from open to encode.

use kinko_crypto::{SecretBytes, SecretString};
use kinko_model::Tag;

pub use crate::ssm::Caller;

/// A secret's value: `SecretString` or `SecretBinary`.
#[derive(Debug, Clone)]
pub enum SecretValue {
    Text(SecretString),
    Binary(SecretBytes),
}

impl SecretValue {
    /// The bytes that are sealed.
    pub fn bytes(&self) -> &[u8] {
        match self {
            SecretValue::Text(s) => s.expose().as_bytes(),
            SecretValue::Binary(b) => b.expose(),
        }
    }

    pub fn is_binary(&self) -> bool {
        matches!(self, SecretValue::Binary(_))
    }

    /// Same kind and same bytes, compared in constant time.
    pub fn same_as(&self, other: &SecretValue) -> bool {
        self.is_binary() == other.is_binary()
            && aws_lc_rs::constant_time::verify_slices_are_equal(self.bytes(), other.bytes())
                .is_ok()
    }
}

/// A region to replicate to, with the key to use there (`None` = the
/// region's `aws/secretsmanager` key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaRegion {
    pub region: String,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationStatus {
    pub region: String,
    pub kms_key_id: Option<String>,
    /// `InSync` or `Failed`.
    pub status: String,
    pub status_message: Option<String>,
    pub last_accessed_ms: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct CreateSecretInput {
    pub name: String,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub value: Option<SecretValue>,
    pub tags: Vec<Tag>,
    pub add_replica_regions: Vec<ReplicaRegion>,
    pub force_overwrite_replica_secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSecretOutput {
    pub arn: String,
    pub name: String,
    pub version_id: Option<String>,
    pub replication_status: Vec<ReplicationStatus>,
}

/// `{ARN, Name}` and, where the operation made or names one, a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretIdentity {
    pub arn: String,
    pub name: String,
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct GetSecretValueInput {
    pub secret_id: String,
    pub version_id: Option<String>,
    pub version_stage: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SecretValueOutput {
    pub arn: String,
    pub name: String,
    pub version_id: String,
    pub value: SecretValue,
    /// Empty for a deprecated version (the wire omits it then).
    pub version_stages: Vec<String>,
    pub created_ms: i64,
    /// The customer-managed KMS key (ARN) the value was decrypted with;
    /// `None` for the AWS-managed key. The caller needs `kms:Decrypt` on it.
    pub kms_key_arn: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct BatchGetSecretValueInput {
    pub secret_ids: Option<Vec<String>>,
    pub filters: Option<Vec<SecretFilter>>,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    pub secret_id: String,
    pub error_code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct BatchGetSecretValueOutput {
    pub values: Vec<SecretValueOutput>,
    pub errors: Vec<BatchError>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PutSecretValueInput {
    pub secret_id: String,
    pub client_request_token: Option<String>,
    pub value: Option<SecretValue>,
    /// `None` = `[AWSCURRENT]`.
    pub version_stages: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutSecretValueOutput {
    pub arn: String,
    pub name: String,
    pub version_id: String,
    pub version_stages: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateSecretInput {
    pub secret_id: String,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    /// `Some("")` = back to `aws/secretsmanager`.
    pub kms_key_id: Option<String>,
    pub value: Option<SecretValue>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateSecretVersionStageInput {
    pub secret_id: String,
    pub version_stage: String,
    pub remove_from_version_id: Option<String>,
    pub move_to_version_id: Option<String>,
}

/// DescribeSecret's answer, also a ListSecrets entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretDescription {
    pub arn: String,
    pub name: String,
    pub description: Option<String>,
    /// `None` for the default key.
    pub kms_key_id: Option<String>,
    pub last_changed_ms: i64,
    pub last_accessed_ms: Option<i64>,
    pub deleted_ms: Option<i64>,
    /// `None` when the secret was never tagged.
    pub tags: Option<Vec<Tag>>,
    /// Labelled versions only, oldest first.
    pub version_ids_to_stages: Vec<(String, Vec<String>)>,
    pub created_ms: i64,
    pub primary_region: Option<String>,
    pub replication_status: Vec<ReplicationStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    Description,
    Name,
    TagKey,
    TagValue,
    PrimaryRegion,
    OwningService,
    All,
}

impl FilterKey {
    pub const ALL: [&'static str; 7] = [
        "description",
        "name",
        "tag-key",
        "tag-value",
        "primary-region",
        "owning-service",
        "all",
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "description" => FilterKey::Description,
            "name" => FilterKey::Name,
            "tag-key" => FilterKey::TagKey,
            "tag-value" => FilterKey::TagValue,
            "primary-region" => FilterKey::PrimaryRegion,
            "owning-service" => FilterKey::OwningService,
            "all" => FilterKey::All,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFilter {
    pub key: FilterKey,
    /// A value starting with `!` negates.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    #[default]
    CreatedDate,
    LastAccessedDate,
    LastChangedDate,
    Name,
}

impl SortBy {
    pub const ALL: [&'static str; 4] = [
        "created-date",
        "last-accessed-date",
        "last-changed-date",
        "name",
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created-date" => SortBy::CreatedDate,
            "last-accessed-date" => SortBy::LastAccessedDate,
            "last-changed-date" => SortBy::LastChangedDate,
            "name" => SortBy::Name,
            _ => return None,
        })
    }
}

/// kinko's default is ascending (AWS leaves it undocumented).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Clone, Default)]
pub struct ListSecretsInput {
    pub include_planned_deletion: bool,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
    pub filters: Vec<SecretFilter>,
    pub sort_by: SortBy,
    pub sort_order: SortOrder,
}

#[derive(Debug, Clone)]
pub struct ListSecretsOutput {
    pub secrets: Vec<SecretDescription>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ListSecretVersionIdsInput {
    pub secret_id: String,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
    pub include_deprecated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    pub version_id: String,
    /// `None` for a deprecated version.
    pub version_stages: Option<Vec<String>>,
    pub last_accessed_ms: Option<i64>,
    pub created_ms: i64,
    /// `["DefaultEncryptionKey"]` for the AWS-managed key.
    pub kms_key_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ListSecretVersionIdsOutput {
    pub arn: String,
    pub name: String,
    pub versions: Vec<VersionEntry>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DeleteSecretInput {
    pub secret_id: String,
    pub recovery_window_in_days: Option<i64>,
    pub force_delete_without_recovery: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSecretOutput {
    pub arn: String,
    pub name: String,
    pub deletion_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicyOutput {
    pub arn: String,
    pub name: String,
    pub resource_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyValidationError {
    pub check_name: String,
    pub error_message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateResourcePolicyOutput {
    pub passed: bool,
    pub errors: Vec<PolicyValidationError>,
}

/// Replication calls' answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationOutput {
    pub arn: String,
    pub replication_status: Vec<ReplicationStatus>,
}
