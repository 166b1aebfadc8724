//! The audit chain: hash-linked rows, appended in batches.

use async_trait::async_trait;

use crate::StoreError;

/// One stored audit record and its link in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditRow {
    /// 1, 2, 3, … with no gaps, in append order.
    pub seq: i64,
    pub time_ms: i64,
    /// The record as JSON (built by kinko-core; the store does not look inside).
    pub record: String,
    /// Hex hash of the row before (64 zeros for seq 1).
    pub prev_hash: String,
    /// Hex hash of this row: `link(prev_hash, seq, time_ms, record)`.
    pub hash: String,
}

/// The hash function the chain uses, owned by kinko-core (the store only calls it
/// inside its append transaction so that several servers extend one chain).
pub type AuditLink = fn(prev_hash: &str, seq: i64, time_ms: i64, record: &str) -> String;

/// The genesis `prev_hash`.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Audit rows: what the audit writer, `kinko audit` and chain verification need.
#[async_trait]
pub trait AuditRows: Send + Sync {
    /// Appends records in order in ONE transaction: reads the chain head (the
    /// last seq and hash) under a lock that serialises appenders across every
    /// server sharing the store (PostgreSQL: `SELECT … FOR UPDATE` on a
    /// one-row head table; SQLite: the single writer), computes each row's
    /// hash with `link`, inserts the rows and moves the head. Returns the rows written.
    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError>;

    /// Rows with seq > `after_seq`, ascending, at most `limit`.
    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError>;

    /// The head as recorded in the head table: (seq, hash), or `None` when
    /// nothing was appended. `kinko audit verify` compares it with the last
    /// row, to notice deleted tail rows.
    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError>;
}
