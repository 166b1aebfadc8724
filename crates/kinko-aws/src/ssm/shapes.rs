//! The SSM request and response shapes, with the model's PascalCase member
//! names. Requests hold every member as `Option` so a missing required
//! member becomes a `ValidationException` (see `decode`), not a serde
//! error. Responses borrow from the domain outputs: no copies of values.

use kinko_core::ssm::policies::InlinePolicy;
use serde::{Deserialize, Serialize};

use kinko_model::{Epoch, TagShape};

pub use crate::wire::{Exposed, WireSecret};

// ---- requests ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutParameterRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub value: Option<WireSecret>,
    #[serde(rename = "Type")]
    pub parameter_type: Option<String>,
    pub key_id: Option<String>,
    pub overwrite: Option<bool>,
    pub allowed_pattern: Option<String>,
    pub tags: Option<Vec<TagShape>>,
    pub tier: Option<String>,
    pub policies: Option<String>,
    pub data_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterRequest {
    pub name: Option<String>,
    pub with_decryption: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersRequest {
    pub names: Option<Vec<String>>,
    pub with_decryption: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterStringFilterShape {
    pub key: Option<String>,
    pub option: Option<String>,
    pub values: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParametersFilterShape {
    pub key: Option<String>,
    pub values: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersByPathRequest {
    pub path: Option<String>,
    pub recursive: Option<bool>,
    pub parameter_filters: Option<Vec<ParameterStringFilterShape>>,
    pub with_decryption: Option<bool>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParameterRequest {
    pub name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParametersRequest {
    pub names: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeParametersRequest {
    pub filters: Option<Vec<ParametersFilterShape>>,
    pub parameter_filters: Option<Vec<ParameterStringFilterShape>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub shared: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterHistoryRequest {
    pub name: Option<String>,
    pub with_decryption: Option<bool>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelParameterVersionRequest {
    pub name: Option<String>,
    pub parameter_version: Option<i64>,
    pub labels: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddTagsToResourceRequest {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub tags: Option<Vec<TagShape>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTagsFromResourceRequest {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceRequest {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

// ---- responses ----

#[derive(Serialize)]
pub struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutParameterResponse<'a> {
    pub version: u32,
    pub tier: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterShape<'a> {
    pub name: &'a str,
    #[serde(rename = "Type")]
    pub parameter_type: &'a str,
    pub value: Exposed<'a>,
    pub version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<&'a str>,
    pub last_modified_date: Epoch,
    #[serde(rename = "ARN")]
    pub arn: &'a str,
    /// Absent for a Secrets Manager reference, as on AWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<&'a str>,
    /// The GetSecretValue result of a referenced secret, as a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_result: Option<super::source_result::SourceResult>,
}

impl<'a> From<&'a kinko_core::ssm::Parameter> for ParameterShape<'a> {
    fn from(p: &'a kinko_core::ssm::Parameter) -> Self {
        ParameterShape {
            name: &p.name,
            parameter_type: p.parameter_type.as_str(),
            value: Exposed(&p.value),
            version: p.version,
            selector: p.selector.as_deref(),
            last_modified_date: Epoch(p.last_modified_ms),
            arn: &p.arn,
            data_type: (!p.data_type.is_empty()).then_some(p.data_type.as_str()),
            source_result: p
                .source
                .as_deref()
                .map(super::source_result::SourceResult::new),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterResponse<'a> {
    pub parameter: ParameterShape<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersResponse<'a> {
    pub parameters: Vec<ParameterShape<'a>>,
    pub invalid_parameters: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParametersPageResponse<'a> {
    pub parameters: Vec<ParameterShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParametersResponse<'a> {
    pub deleted_parameters: &'a [String],
    pub invalid_parameters: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicyShape<'a> {
    pub policy_text: &'a str,
    pub policy_type: &'a str,
    pub policy_status: &'a str,
}

pub fn policy_shapes(p: &[InlinePolicy]) -> Vec<InlinePolicyShape<'_>> {
    p.iter()
        .map(|p| InlinePolicyShape {
            policy_text: &p.text,
            policy_type: &p.policy_type,
            policy_status: p.status,
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterMetadataShape<'a> {
    pub name: &'a str,
    #[serde(rename = "ARN")]
    pub arn: &'a str,
    #[serde(rename = "Type")]
    pub parameter_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<&'a str>,
    pub last_modified_date: Epoch,
    pub last_modified_user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<&'a str>,
    pub version: u32,
    pub tier: &'a str,
    pub policies: Vec<InlinePolicyShape<'a>>,
    pub data_type: &'a str,
}

impl<'a> From<&'a kinko_core::ssm::ParameterMetadata> for ParameterMetadataShape<'a> {
    fn from(p: &'a kinko_core::ssm::ParameterMetadata) -> Self {
        ParameterMetadataShape {
            name: &p.name,
            arn: &p.arn,
            parameter_type: p.parameter_type.as_str(),
            key_id: p.key_id.as_deref(),
            last_modified_date: Epoch(p.last_modified_ms),
            last_modified_user: &p.last_modified_user,
            description: p.description.as_deref(),
            allowed_pattern: p.allowed_pattern.as_deref(),
            version: p.version,
            tier: &p.tier,
            policies: policy_shapes(&p.policies),
            data_type: &p.data_type,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeParametersResponse<'a> {
    pub parameters: Vec<ParameterMetadataShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterHistoryShape<'a> {
    pub name: &'a str,
    #[serde(rename = "Type")]
    pub parameter_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<&'a str>,
    pub last_modified_date: Epoch,
    pub last_modified_user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub value: Exposed<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<&'a str>,
    pub version: u32,
    pub labels: &'a [String],
    pub tier: &'a str,
    pub policies: Vec<InlinePolicyShape<'a>>,
    pub data_type: &'a str,
}

impl<'a> From<&'a kinko_core::ssm::ParameterHistoryEntry> for ParameterHistoryShape<'a> {
    fn from(p: &'a kinko_core::ssm::ParameterHistoryEntry) -> Self {
        ParameterHistoryShape {
            name: &p.name,
            parameter_type: p.parameter_type.as_str(),
            key_id: p.key_id.as_deref(),
            last_modified_date: Epoch(p.last_modified_ms),
            last_modified_user: &p.last_modified_user,
            description: p.description.as_deref(),
            value: Exposed(&p.value),
            allowed_pattern: p.allowed_pattern.as_deref(),
            version: p.version,
            labels: &p.labels,
            tier: &p.tier,
            policies: policy_shapes(&p.policies),
            data_type: &p.data_type,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterHistoryResponse<'a> {
    pub parameters: Vec<ParameterHistoryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelParameterVersionResponse<'a> {
    pub invalid_labels: &'a [String],
    pub parameter_version: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnlabelParameterVersionResponse<'a> {
    pub removed_labels: &'a [String],
    pub invalid_labels: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagOut<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceResponse<'a> {
    pub tag_list: Vec<TagOut<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_a_number_with_milliseconds() {
        assert_eq!(
            serde_json::to_string(&Epoch(1530018761888)).unwrap(),
            "1530018761.888"
        );
        assert_eq!(
            serde_json::to_string(&Epoch(1530018761000)).unwrap(),
            "1530018761.0"
        );
    }
}
