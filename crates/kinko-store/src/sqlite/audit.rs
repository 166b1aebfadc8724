//! The hash-chained audit log.
//!
//! Appends run on the single writer in one IMMEDIATE transaction, which
//! also holds SQLite's write lock against other processes on the file: the
//! head read, the inserts and the head move cannot interleave with another
//! appender.

use rusqlite::{Connection, OptionalExtension, params};

use std::sync::Arc;

use async_trait::async_trait;

use super::{SqliteStore, read_in, run_blocking};
use crate::AuditRows;
use crate::{AuditLink, AuditRow, StoreError};

/// The head row, `(seq, hash)`; `(0, genesis)` before the first append.
fn head(conn: &Connection) -> Result<Option<(i64, String)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

pub(super) fn append_audit(
    conn: &Connection,
    records: &[(i64, String)],
    link: AuditLink,
) -> Result<Vec<AuditRow>, StoreError> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let (mut seq, mut prev_hash) = head(conn)?
        .ok_or_else(|| StoreError::Backend("the audit head row is missing".to_owned()))?;
    let mut rows = Vec::with_capacity(records.len());
    let mut insert = conn.prepare_cached(
        "INSERT INTO audit_log (seq, time_ms, record, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (time_ms, record) in records {
        seq += 1;
        let hash = link(&prev_hash, seq, *time_ms, record);
        insert.execute(params![seq, time_ms, record, prev_hash, hash])?;
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
    conn.prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")?
        .execute(params![seq, prev_hash])?;
    Ok(rows)
}

pub(super) fn read_audit(
    conn: &Connection,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<AuditRow>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(conn
        .prepare_cached(
            "SELECT seq, time_ms, record, prev_hash, hash FROM audit_log WHERE seq > ?1 \
             ORDER BY seq LIMIT ?2",
        )?
        .query_map(params![after_seq, limit], |row| {
            Ok(AuditRow {
                seq: row.get(0)?,
                time_ms: row.get(1)?,
                record: row.get(2)?,
                prev_hash: row.get(3)?,
                hash: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// `None` before the first append (the head is seq 0) or without a head row.
pub(super) fn audit_head(conn: &Connection) -> Result<Option<(i64, String)>, StoreError> {
    Ok(head(conn)?.filter(|(seq, _)| *seq > 0))
}

#[async_trait]
impl AuditRows for SqliteStore {
    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let records = records.to_vec();
        self.write(move |conn| append_audit(conn, &records, link))
            .await
    }

    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        // On the blocking pool: a page of audit rows is not a point read.
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            read_in(&mut shared.reader(), |conn| {
                read_audit(conn, after_seq, limit)
            })
        })
        .await
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        self.read(audit_head).await
    }
}
