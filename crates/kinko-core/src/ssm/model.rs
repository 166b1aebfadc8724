//! Inputs and outputs of the Parameter Store operations, independent of the
//! wire. Values travel in [`SecretString`] from decode to seal and from open
//! to encode, so they never reach a `Debug` print.

use kinko_crypto::SecretString;
use kinko_model::Tag;

use super::filters::{LegacyFilter, ParameterFilter};
use super::policies::InlinePolicy;
use super::types::{ParameterType, Tier};

pub use crate::Caller;

#[derive(Debug, Clone)]
pub struct PutParameterInput {
    pub name: String,
    pub value: SecretString,
    pub parameter_type: Option<ParameterType>,
    pub description: Option<String>,
    pub key_id: Option<String>,
    pub overwrite: bool,
    pub allowed_pattern: Option<String>,
    pub tags: Vec<Tag>,
    pub tier: Option<Tier>,
    pub policies: Option<String>,
    pub data_type: Option<String>,
}

impl PutParameterInput {
    /// A create of a `String` parameter with everything else defaulted.
    pub fn new(
        name: impl Into<String>,
        value: SecretString,
        parameter_type: Option<ParameterType>,
    ) -> Self {
        PutParameterInput {
            name: name.into(),
            value,
            parameter_type,
            description: None,
            key_id: None,
            overwrite: false,
            allowed_pattern: None,
            tags: Vec::new(),
            tier: None,
            policies: None,
            data_type: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutParameterOutput {
    pub version: u32,
    /// Effective tier: `Standard` or `Advanced`.
    pub tier: String,
}

/// `Parameter` as the Get operations return it. For a SecureString read
/// without decryption, `value` holds the base64 of the sealed envelope.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub parameter_type: ParameterType,
    pub value: SecretString,
    pub version: u32,
    /// `":7"` / `":prod"` when the caller used a selector.
    pub selector: Option<String>,
    pub last_modified_ms: i64,
    pub arn: String,
    /// Empty for a Secrets Manager reference: AWS sends no `DataType` there.
    pub data_type: String,
    /// The KMS key of a SecureString as it was named at write time.
    pub key_id: Option<String>,
    /// The customer-managed KMS key (ARN) this read decrypted with; `None`
    /// when nothing was decrypted or the key is AWS managed. The caller
    /// needs `kms:Decrypt` on it to see the value.
    pub kms_key_arn: Option<String>,
    /// For `/aws/reference/secretsmanager/…`: the secret's GetSecretValue
    /// result, which AWS returns (as a JSON string) in `SourceResult`.
    pub source: Option<Box<crate::secrets::SecretValueOutput>>,
}

#[derive(Debug, Clone)]
pub struct GetParametersOutput {
    /// Sorted by name.
    pub parameters: Vec<Parameter>,
    /// The strings as sent that named nothing.
    pub invalid_parameters: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ParametersPage {
    pub parameters: Vec<Parameter>,
    pub next_token: Option<String>,
}

/// `ParameterMetadata` (DescribeParameters): everything but the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterMetadata {
    pub name: String,
    pub arn: String,
    pub parameter_type: ParameterType,
    pub key_id: Option<String>,
    pub last_modified_ms: i64,
    pub last_modified_user: String,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub version: u32,
    pub tier: String,
    pub policies: Vec<InlinePolicy>,
    pub data_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataPage {
    pub parameters: Vec<ParameterMetadata>,
    pub next_token: Option<String>,
}

/// One version in `GetParameterHistory`.
#[derive(Debug, Clone)]
pub struct ParameterHistoryEntry {
    pub name: String,
    pub parameter_type: ParameterType,
    pub key_id: Option<String>,
    pub last_modified_ms: i64,
    pub last_modified_user: String,
    pub description: Option<String>,
    pub value: SecretString,
    pub allowed_pattern: Option<String>,
    pub version: u32,
    pub labels: Vec<String>,
    pub tier: String,
    pub policies: Vec<InlinePolicy>,
    pub data_type: String,
    /// As [`Parameter::kms_key_arn`].
    pub kms_key_arn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HistoryPage {
    pub parameters: Vec<ParameterHistoryEntry>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteParametersOutput {
    pub deleted: Vec<String>,
    pub invalid: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelOutput {
    pub invalid_labels: Vec<String>,
    pub version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlabelOutput {
    pub removed_labels: Vec<String>,
    pub invalid_labels: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct GetParametersByPathInput {
    pub path: String,
    pub recursive: bool,
    pub parameter_filters: Vec<ParameterFilter>,
    pub with_decryption: bool,
    /// 1–10 (checked on the wire).
    pub max_results: usize,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DescribeParametersInput {
    /// The deprecated `Filters`.
    pub filters: Vec<LegacyFilter>,
    pub parameter_filters: Vec<ParameterFilter>,
    /// 1–50 (checked on the wire).
    pub max_results: usize,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct GetParameterHistoryInput {
    pub name: String,
    pub with_decryption: bool,
    /// 1–50 (checked on the wire).
    pub max_results: usize,
    pub next_token: Option<String>,
}
