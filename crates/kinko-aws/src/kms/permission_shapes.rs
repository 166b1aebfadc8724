//! Shapes of the key-policy, grant and UpdateKeyDescription operations,
//! with the model's PascalCase member names; every request member is an
//! `Option` so a missing required one is a `ValidationException`.

use std::collections::BTreeMap;

use kinko_core::kms::{GrantConstraints, GrantEntry};
use kinko_model::Epoch;
use serde::{Deserialize, Serialize};

// ---- requests ----

/// GetKeyPolicy and PutKeyPolicy.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyPolicyRequest {
    pub key_id: Option<String>,
    pub policy_name: Option<String>,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateKeyDescriptionRequest {
    pub key_id: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ConstraintsShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<BTreeMap<String, String>>,
}

impl From<ConstraintsShape> for GrantConstraints {
    fn from(c: ConstraintsShape) -> Self {
        GrantConstraints {
            encryption_context_subset: c.encryption_context_subset,
            encryption_context_equals: c.encryption_context_equals,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantRequest {
    pub key_id: Option<String>,
    pub grantee_principal: Option<String>,
    pub retiring_principal: Option<String>,
    pub operations: Option<Vec<String>>,
    pub constraints: Option<ConstraintsShape>,
    pub name: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListGrantsRequest {
    pub limit: Option<i64>,
    pub marker: Option<String>,
    pub key_id: Option<String>,
    pub grant_id: Option<String>,
    pub grantee_principal: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRetirableGrantsRequest {
    pub limit: Option<i64>,
    pub marker: Option<String>,
    pub retiring_principal: Option<String>,
}

/// RetireGrant and RevokeGrant.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantRequest {
    pub grant_token: Option<String>,
    pub key_id: Option<String>,
    pub grant_id: Option<String>,
    pub dry_run: Option<bool>,
}

/// The `GrantTokens` member any request may carry.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantTokensOnly {
    pub grant_tokens: Option<Vec<String>>,
}

// ---- responses ----

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse<'a> {
    pub policy: &'a str,
    pub policy_name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyPoliciesResponse<'a> {
    pub policy_names: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<&'a str>,
    pub truncated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantResponse<'a> {
    pub grant_token: &'a str,
    pub grant_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraintsOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<&'a BTreeMap<String, String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantListEntryShape<'a> {
    /// The key ARN, as AWS lists it.
    pub key_id: &'a str,
    pub grant_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    pub creation_date: Epoch,
    pub grantee_principal: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<&'a str>,
    pub issuing_account: &'a str,
    pub operations: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraintsOut<'a>>,
}

impl<'a> From<&'a GrantEntry> for GrantListEntryShape<'a> {
    fn from(e: &'a GrantEntry) -> Self {
        let g = &e.grant;
        GrantListEntryShape {
            key_id: &e.key_arn,
            grant_id: &g.grant_id,
            name: g.name.as_deref(),
            creation_date: Epoch(g.creation_ms),
            grantee_principal: &g.grantee_principal,
            retiring_principal: g.retiring_principal.as_deref(),
            issuing_account: &e.issuing_account,
            operations: &g.operations,
            constraints: g.constraints.as_ref().map(|c| GrantConstraintsOut {
                encryption_context_subset: c.encryption_context_subset.as_ref(),
                encryption_context_equals: c.encryption_context_equals.as_ref(),
            }),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListGrantsResponse<'a> {
    pub grants: Vec<GrantListEntryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<&'a str>,
    pub truncated: bool,
}
