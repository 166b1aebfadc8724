//! The change feed on SQLite. Appends run inside the caller's write
//! transaction (the single writer), so numbers follow commit order.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::{SqliteStore, read_in, run_blocking};
use crate::{Change, ChangeBounds, ChangeRecord, ChangeRows, ChangeSource, StoreError};

/// Appends `changes` in the caller's transaction; returns their numbers.
pub(super) fn append_changes(
    conn: &Connection,
    changes: &[Change],
) -> Result<Vec<i64>, StoreError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let mut seq: i64 = conn
        .prepare_cached("SELECT seq FROM change_head WHERE id = 1")?
        .query_row([], |row| row.get(0))?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO changes (seq, time_ms, region, account, source, operation, resource, \
         name, version, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut numbers = Vec::with_capacity(changes.len());
    for c in changes {
        seq += 1;
        insert.execute(params![
            seq,
            c.time_ms,
            c.region,
            c.account,
            c.source.as_str(),
            c.operation,
            c.resource,
            c.name,
            c.version,
            c.actor,
            c.detail_text(),
        ])?;
        numbers.push(seq);
    }
    conn.prepare_cached("UPDATE change_head SET seq = ?1 WHERE id = 1")?
        .execute(params![seq])?;
    Ok(numbers)
}

/// [`append_changes`] of one change, for the mutations that make one.
pub(super) fn append_change(conn: &Connection, change: &Change) -> Result<(), StoreError> {
    append_changes(conn, std::slice::from_ref(change)).map(drop)
}

/// [`append_change`] after a mutation whose outcome says it wrote:
/// `()` always, `bool` when true (a delete that found nothing).
pub(super) fn append_if<T: crate::changes::Wrote>(
    conn: &Connection,
    change: &Change,
    out: T,
) -> Result<T, StoreError> {
    if out.wrote() {
        append_change(conn, change)?;
    }
    Ok(out)
}

fn read_changes(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<ChangeRecord>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT seq, time_ms, region, account, source, operation, resource, name, version, \
         actor, detail FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![after, limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, String>(7)?,
                row.get::<_, Option<String>>(8)?,
                row.get::<_, String>(9)?,
                row.get::<_, String>(10)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(
            |(
                seq,
                time_ms,
                region,
                account,
                source,
                operation,
                resource,
                name,
                version,
                actor,
                detail,
            )| {
                Ok(ChangeRecord {
                    seq,
                    change: Change {
                        time_ms,
                        region,
                        account,
                        source: ChangeSource::from_stored(seq, &source)?,
                        operation,
                        resource,
                        name,
                        version,
                        actor,
                        detail: Change::detail_from_text(seq, &detail)?,
                    },
                })
            },
        )
        .collect()
}

fn change_bounds(conn: &Connection) -> Result<ChangeBounds, StoreError> {
    Ok(conn
        .prepare_cached("SELECT trimmed_through, seq FROM change_head WHERE id = 1")?
        .query_row([], |row| {
            Ok(ChangeBounds {
                trimmed_through: row.get(0)?,
                head: row.get(1)?,
            })
        })?)
}

fn trim_changes(conn: &Connection, before_ms: i64) -> Result<u64, StoreError> {
    // Trimmed in number order: the newest record trimmed is the bound, and
    // no record below it survives (times may step back across a clock change).
    let last: Option<i64> = conn
        .prepare_cached("SELECT MAX(seq) FROM changes WHERE time_ms < ?1")?
        .query_row(params![before_ms], |row| row.get(0))?;
    let Some(last) = last else {
        return Ok(0);
    };
    let deleted = conn
        .prepare_cached("DELETE FROM changes WHERE seq <= ?1")?
        .execute(params![last])?;
    conn.prepare_cached(
        "UPDATE change_head SET trimmed_through = MAX(trimmed_through, ?1) WHERE id = 1",
    )?
    .execute(params![last])?;
    Ok(deleted as u64)
}

#[async_trait]
impl ChangeRows for SqliteStore {
    async fn read_changes(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        // On the blocking pool: a page of the feed is not a point read.
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            read_in(&mut shared.reader(), |conn| {
                read_changes(conn, after, limit)
            })
        })
        .await
    }

    async fn change_bounds(&self) -> Result<ChangeBounds, StoreError> {
        self.read(change_bounds).await
    }

    async fn trim_changes(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.write(move |conn| trim_changes(conn, before_ms)).await
    }

    async fn append_changes(&self, changes: &[Change]) -> Result<Vec<i64>, StoreError> {
        let changes = changes.to_vec();
        self.write(move |conn| append_changes(conn, &changes)).await
    }
}
