//! The audit log: `QueryAuditLog` and `VerifyAuditLog`.

use serde::{Deserialize, Serialize};

/// `QueryAuditLog`: filters, then paging by seq; every member optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryAuditLogRequest {
    /// Only records after this seq (the `NextSeq` of the last answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<i64>,
    /// The last N matching records instead of the first `Limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tail: Option<usize>,
    /// 1 to 1000; 100 when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// A substring of the principal's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// An operation or checked action; a trailing `*` matches a prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `allow` or `deny` (text, so that a wrong one gets a message naming it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Records at or after this time (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<f64>,
    /// Records before this time (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<f64>,
}

/// `QueryAuditLog`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryAuditLogResponse {
    /// Each a stored row: an [`AuditRecord`](crate::audit::AuditRecord)'s
    /// fields plus `seq`, `prevHash` and `hash` (or, for a row whose text is
    /// not a JSON object, that text under `record`). JSON values, so that a
    /// row edited by hand is still shown as it is.
    pub records: Vec<serde_json::Value>,
    /// Where to continue from, when more rows may match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_seq: Option<i64>,
}

/// The first place the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditProblem {
    pub seq: i64,
    pub reason: String,
}

/// `VerifyAuditLog`: the chain's head as the head table records it, and
/// either the number of records checked or the first problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyAuditLogResponse {
    pub intact: bool,
    /// Sent as `null` when the chain is broken.
    pub records: Option<u64>,
    /// 0 for an empty log.
    pub head_seq: i64,
    pub head_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<AuditProblem>,
}
