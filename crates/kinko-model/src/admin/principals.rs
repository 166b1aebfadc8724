//! Principals and their inline policies.

use serde::{Deserialize, Serialize};

use super::pascal_tags;
use crate::principals::PrincipalKind;
use crate::{Epoch, Tag, TagShape};

/// `CreatePrincipal`: `Type` is `User` (the default) or `Role`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePrincipalRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Text, not [`PrincipalKind`], so that a wrong one gets a message
    /// naming it.
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagShape>>,
    /// Roles only: who may assume the role (IAM JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<String>,
}

/// `GetPrincipal`, `DeletePrincipal`: a principal's name or ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrincipalNameRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `TagPrincipal`: tags to set (upserted by key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagPrincipalRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagShape>>,
}

/// `UntagPrincipal`: tag keys to remove (unknown keys are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagPrincipalRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_keys: Option<Vec<String>>,
}

/// `PutTrustPolicy`: a role's new trust policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutTrustPolicyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<String>,
}

/// `PutPolicy` (with a document), `GetPolicy` and `DeletePolicy` (without).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyRequest {
    /// The principal's name or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<String>,
}

/// `ListPolicies`, `CreateAccessKey`, `ListAccessKeys`: a principal's name
/// or ARN (for `ListAccessKeys`, none means every principal's keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrincipalRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
}

/// A user or a role, as every principal operation answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: PrincipalKind,
    pub arn: String,
    /// `AIDA…` for a user, `AROA…` for a role.
    pub unique_id: String,
    pub create_date: Epoch,
    /// Sorted by key.
    #[serde(with = "pascal_tags")]
    pub tags: Vec<Tag>,
    /// Roles only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<String>,
}

/// `CreatePrincipal`, `GetPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrincipalResponse {
    pub principal: Principal,
}

/// `ListPrincipals`: every principal, in name order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPrincipalsResponse {
    pub principals: Vec<Principal>,
}

/// `GetPolicy`: the document as it was put.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyResponse {
    pub policy_name: String,
    pub policy_document: String,
    pub update_date: Epoch,
}

/// One policy of `ListPolicies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicySummary {
    pub policy_name: String,
    pub update_date: Epoch,
}

/// `ListPolicies`: a principal's policies, in name order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPoliciesResponse {
    pub policies: Vec<PolicySummary>,
}
