//! The hash-chained audit log, extended by every server sharing the database.
//!
//! An append locks the one-row `audit_head` (`SELECT … FOR UPDATE`) for the
//! rest of its transaction: appenders on any server queue on that row, and
//! each one reads the head the previous one committed (READ COMMITTED
//! re-reads a locked row once its locker commits). The rows go in with one
//! `INSERT … SELECT FROM UNNEST`, so a batch costs a fixed number of round trips.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{execute, query, query_opt};
use async_trait::async_trait;

use super::PostgresStore;
use crate::AuditRows;
use crate::{AuditLink, AuditRow, StoreError};

fn audit_row(row: &Row) -> Result<AuditRow, StoreError> {
    Ok(AuditRow {
        seq: row.try_get(0)?,
        time_ms: row.try_get(1)?,
        record: row.try_get(2)?,
        prev_hash: row.try_get(3)?,
        hash: row.try_get(4)?,
    })
}

/// In the caller's (write) transaction.
pub(super) async fn append_audit(
    conn: &impl GenericClient,
    records: &[(i64, String)],
    link: AuditLink,
) -> Result<Vec<AuditRow>, StoreError> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let head = query_opt(
        conn,
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        &[],
    )
    .await?
    .ok_or_else(|| StoreError::Backend("the audit head row is missing".to_owned()))?;
    let mut seq: i64 = head.try_get(0)?;
    let mut prev_hash: String = head.try_get(1)?;

    let mut rows = Vec::with_capacity(records.len());
    for (time_ms, record) in records {
        seq += 1;
        let hash = link(&prev_hash, seq, *time_ms, record);
        let row = AuditRow {
            seq,
            time_ms: *time_ms,
            record: record.clone(),
            prev_hash,
            hash,
        };
        prev_hash = row.hash.clone();
        rows.push(row);
    }

    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let times: Vec<i64> = rows.iter().map(|r| r.time_ms).collect();
    let texts: Vec<&str> = rows.iter().map(|r| r.record.as_str()).collect();
    let prevs: Vec<&str> = rows.iter().map(|r| r.prev_hash.as_str()).collect();
    let hashes: Vec<&str> = rows.iter().map(|r| r.hash.as_str()).collect();
    execute(
        conn,
        "INSERT INTO audit_log (seq, time_ms, record, prev_hash, hash) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[])",
        &[&seqs, &times, &texts, &prevs, &hashes],
    )
    .await?;
    execute(
        conn,
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
        &[&seq, &prev_hash],
    )
    .await?;
    Ok(rows)
}

pub(super) async fn read_audit(
    conn: &impl GenericClient,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<AuditRow>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = query(
        conn,
        "SELECT seq, time_ms, record, prev_hash, hash FROM audit_log WHERE seq > $1 \
         ORDER BY seq LIMIT $2",
        &[&after_seq, &limit],
    )
    .await?;
    rows.iter().map(audit_row).collect()
}

/// `None` before the first append (the head is seq 0) or without a head row.
pub(super) async fn audit_head(
    conn: &impl GenericClient,
) -> Result<Option<(i64, String)>, StoreError> {
    let row = query_opt(conn, "SELECT seq, hash FROM audit_head WHERE id = 1", &[]).await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let seq: i64 = row.try_get(0)?;
    if seq <= 0 {
        return Ok(None);
    }
    Ok(Some((seq, row.try_get(1)?)))
}

#[async_trait]
impl AuditRows for PostgresStore {
    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        transaction!(self, write, |tx| append_audit(&tx, records, link))
    }

    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        with_client!(self, |client| {
            read_audit(&client, after_seq, limit).await
        })
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        with_client!(self, |client| audit_head(&client).await)
    }
}
