//! Reading the audit log: filters, tail and paging for `QueryAuditLog`.
//!
//! The store offers only "rows after seq N", so filters are applied here.
//! One call looks at no more than [`MAX_SCAN`] rows: a filter that matches
//! rarely returns fewer records than asked (maybe none) with a `NextSeq`
//! to continue from, instead of reading the whole log in one request.

use kinko_model::audit::{AuditRecord, Verdict};
use kinko_store::{AuditRow, AuditRows, StoreError};

use super::row_json;

/// Records returned when the caller gives no limit (0).
pub const DEFAULT_LIMIT: usize = 100;
/// The most records one call returns (a larger limit or tail is cut to it).
pub const MAX_LIMIT: usize = 1000;
/// The most rows one call reads from the store.
pub const MAX_SCAN: usize = 50_000;
/// Rows read per store call.
const PAGE: usize = 1000;

/// What to return. Absent filters match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// Only records after this seq (the `NextSeq` of a previous call).
    pub after_seq: Option<i64>,
    /// The last N matching records (up to [`MAX_LIMIT`]) instead of the
    /// first `limit` after `after_seq`; `limit` is then not used.
    pub tail: Option<usize>,
    /// 1..=[`MAX_LIMIT`]; 0 means [`DEFAULT_LIMIT`].
    pub limit: usize,
    /// A substring of the principal's ARN (so a bare name matches too).
    pub principal: Option<String>,
    /// The request's operation or one of its checked actions, ignoring
    /// case; a trailing `*` matches a prefix (`ssm:*`).
    pub action: Option<String>,
    pub decision: Option<Verdict>,
    /// Records at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Records before this time (ms since the epoch, exclusive).
    pub until_ms: Option<i64>,
}

impl AuditQuery {
    fn has_record_filters(&self) -> bool {
        self.principal.is_some() || self.action.is_some() || self.decision.is_some()
    }

    fn matches(&self, row: &AuditRow) -> bool {
        if self.since_ms.is_some_and(|since| row.time_ms < since)
            || self.until_ms.is_some_and(|until| row.time_ms >= until)
        {
            return false;
        }
        if !self.has_record_filters() {
            return true;
        }
        // A row that is not a record (edited by hand) matches no filter.
        let Ok(record) = serde_json::from_str::<AuditRecord>(&row.record) else {
            return false;
        };
        if let Some(principal) = &self.principal
            && !record
                .principal
                .as_deref()
                .is_some_and(|arn| arn.contains(principal.as_str()))
        {
            return false;
        }
        if let Some(action) = &self.action
            && !(action_matches(action, &record.operation)
                || record
                    .resources
                    .iter()
                    .any(|r| action_matches(action, &r.action)))
        {
            return false;
        }
        if let Some(decision) = self.decision
            && record.decision != decision
        {
            return false;
        }
        true
    }
}

fn action_matches(pattern: &str, action: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => action
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix)),
        None => pattern.eq_ignore_ascii_case(action),
    }
}

/// Matching records in seq order, each as the JSON object `QueryAuditLog`
/// returns (see [`row_json`]), and the seq to continue after when more may
/// match (never in tail mode).
pub async fn query(
    store: &dyn AuditRows,
    q: &AuditQuery,
) -> Result<(Vec<serde_json::Value>, Option<i64>), StoreError> {
    match q.tail {
        Some(n) => Ok((tail(store, q, n.min(MAX_LIMIT)).await?, None)),
        None => forward(store, q).await,
    }
}

/// The first `limit` matches after `after_seq`.
async fn forward(
    store: &dyn AuditRows,
    q: &AuditQuery,
) -> Result<(Vec<serde_json::Value>, Option<i64>), StoreError> {
    let limit = match q.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };
    let mut after = q.after_seq.unwrap_or(0).max(0);
    let mut found = Vec::new();
    let mut scanned = 0;
    loop {
        let rows = store.read_audit(after, PAGE).await?;
        let at_end = rows.len() < PAGE;
        for (i, row) in rows.iter().enumerate() {
            after = row.seq;
            scanned += 1;
            if q.matches(row) {
                found.push(row_json(row));
                if found.len() == limit {
                    let more = !at_end || i + 1 < rows.len();
                    return Ok((found, more.then_some(after)));
                }
            }
        }
        if at_end {
            return Ok((found, None));
        }
        if scanned >= MAX_SCAN {
            return Ok((found, Some(after)));
        }
    }
}

/// The last `n` matches after `after_seq`, walking back from the head in
/// windows of [`PAGE`] rows.
async fn tail(
    store: &dyn AuditRows,
    q: &AuditQuery,
    n: usize,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let floor = q.after_seq.unwrap_or(0).max(0);
    let Some((head_seq, _)) = store.audit_head().await? else {
        return Ok(Vec::new());
    };
    let mut found: Vec<serde_json::Value> = Vec::new(); // newest first
    let mut hi = head_seq;
    let mut scanned = 0;
    while hi > floor && found.len() < n && scanned < MAX_SCAN {
        let lo = (hi - PAGE as i64).max(floor);
        let rows = store.read_audit(lo, PAGE).await?;
        // With deleted rows the page can run past `hi`: those were seen already.
        for row in rows.iter().rev().filter(|row| row.seq <= hi) {
            scanned += 1;
            if q.matches(row) {
                found.push(row_json(row));
                if found.len() == n {
                    break;
                }
            }
        }
        hi = lo;
    }
    found.reverse();
    Ok(found)
}
