//! `SimulatePolicy`: what the policies decide for one (action, resource).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TagShape;

/// `SimulatePolicy`: may `Principal` do `Action` on `Resource`?
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SimulatePolicyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Condition-key values (`aws:SourceIp`, `aws:CurrentTime`, …); a
    /// multivalued key (`aws:TagKeys`) has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_tags: Option<Vec<TagShape>>,
    /// A resource policy to decide with (else a role's stored trust policy
    /// for `sts:AssumeRole` on a role).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

/// The outcome, spelled as IAM's simulator spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SimulationDecision {
    #[serde(rename = "allowed")]
    Allowed,
    #[serde(rename = "explicitDeny")]
    ExplicitDeny,
    #[serde(rename = "implicitDeny")]
    ImplicitDeny,
}

/// The statement that decided: its policy, position and `Sid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MatchedStatement {
    pub policy: String,
    /// 0-based position in the policy's `Statement` list.
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// `SimulatePolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SimulatePolicyResponse {
    pub decision: SimulationDecision,
    /// Why the decision needed no statement: a stored policy that does
    /// not parse denies everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Absent for an implicit deny.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_statement: Option<MatchedStatement>,
}
