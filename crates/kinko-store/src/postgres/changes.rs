//! The change feed on PostgreSQL, shared by every server on the database.
//!
//! An append locks the one-row `change_head` (`UPDATE … RETURNING`) and
//! holds the lock to its commit; every mutation appends as its last step,
//! so appenders on all servers queue there only for their commit, and
//! numbers are given out in commit order: a reader following `seq > after`
//! never misses a transaction that committed after a higher number.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{PostgresStore, execute, query, query_opt};
use crate::{Change, ChangeBounds, ChangeRecord, ChangeRows, ChangeSource, StoreError};

/// Appends `changes` in the caller's (write) transaction; returns their numbers.
pub(super) async fn append_changes(
    conn: &impl GenericClient,
    changes: &[Change],
) -> Result<Vec<i64>, StoreError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(changes.len())
        .map_err(|_| StoreError::Backend("too many changes in one write".to_owned()))?;
    let row = query_opt(
        conn,
        "UPDATE change_head SET seq = seq + $1 WHERE id = 1 RETURNING seq",
        &[&count],
    )
    .await?
    .ok_or_else(|| StoreError::Backend("the change head row is missing".to_owned()))?;
    let last: i64 = row.try_get(0)?;
    let first = last - count + 1;
    let seqs: Vec<i64> = (first..=last).collect();
    let times: Vec<i64> = changes.iter().map(|c| c.time_ms).collect();
    let regions: Vec<&str> = changes.iter().map(|c| c.region.as_str()).collect();
    let accounts: Vec<&str> = changes.iter().map(|c| c.account.as_str()).collect();
    let sources: Vec<&str> = changes.iter().map(|c| c.source.as_str()).collect();
    let operations: Vec<&str> = changes.iter().map(|c| c.operation.as_str()).collect();
    let resources: Vec<&str> = changes.iter().map(|c| c.resource.as_str()).collect();
    let names: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
    let versions: Vec<Option<&str>> = changes.iter().map(|c| c.version.as_deref()).collect();
    let actors: Vec<&str> = changes.iter().map(|c| c.actor.as_str()).collect();
    let details: Vec<String> = changes.iter().map(Change::detail_text).collect();
    execute(
        conn,
        "INSERT INTO changes (seq, time_ms, region, account, source, operation, resource, \
         name, version, actor, detail) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
         $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[])",
        &[
            &seqs,
            &times,
            &regions,
            &accounts,
            &sources,
            &operations,
            &resources,
            &names,
            &versions,
            &actors,
            &details,
        ],
    )
    .await?;
    Ok(seqs)
}

/// Appends one change in the caller's (write) transaction: the head's bump
/// and the insert in one statement, one round trip, as the last step of the
/// mutation (the head's row lock is held from here to the commit).
pub(super) async fn append_change(conn: &impl GenericClient, c: &Change) -> Result<(), StoreError> {
    let inserted = execute(
        conn,
        "WITH head AS (UPDATE change_head SET seq = seq + 1 WHERE id = 1 RETURNING seq) \
         INSERT INTO changes (seq, time_ms, region, account, source, operation, resource, \
         name, version, actor, detail) \
         SELECT head.seq, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM head",
        &[
            &c.time_ms,
            &c.region,
            &c.account,
            &c.source.as_str(),
            &c.operation,
            &c.resource,
            &c.name,
            &c.version,
            &c.actor,
            &c.detail_text(),
        ],
    )
    .await?;
    if inserted == 1 {
        Ok(())
    } else {
        Err(StoreError::Backend(
            "the change head row is missing".to_owned(),
        ))
    }
}

/// [`append_change`] after a mutation whose outcome says it wrote:
/// `()` always, `bool` when true (a delete that found nothing).
pub(super) async fn append_if<T: crate::changes::Wrote>(
    conn: &impl GenericClient,
    change: &Change,
    out: T,
) -> Result<T, StoreError> {
    if out.wrote() {
        append_change(conn, change).await?;
    }
    Ok(out)
}

fn change_row(row: &Row) -> Result<ChangeRecord, StoreError> {
    let seq: i64 = row.try_get(0)?;
    let source: String = row.try_get(4)?;
    let detail: String = row.try_get(10)?;
    Ok(ChangeRecord {
        seq,
        change: Change {
            time_ms: row.try_get(1)?,
            region: row.try_get(2)?,
            account: row.try_get(3)?,
            source: ChangeSource::from_stored(seq, &source)?,
            operation: row.try_get(5)?,
            resource: row.try_get(6)?,
            name: row.try_get(7)?,
            version: row.try_get(8)?,
            actor: row.try_get(9)?,
            detail: Change::detail_from_text(seq, &detail)?,
        },
    })
}

#[async_trait]
impl ChangeRows for PostgresStore {
    async fn read_changes(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        with_client!(self, |client| {
            let rows = query(
                &client,
                "SELECT seq, time_ms, region, account, source, operation, resource, name, \
                 version, actor, detail FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &limit],
            )
            .await?;
            rows.iter().map(change_row).collect()
        })
    }

    async fn change_bounds(&self) -> Result<ChangeBounds, StoreError> {
        with_client!(self, |client| {
            let row = query_opt(
                &client,
                "SELECT trimmed_through, seq FROM change_head WHERE id = 1",
                &[],
            )
            .await?
            .ok_or_else(|| StoreError::Backend("the change head row is missing".to_owned()))?;
            Ok(ChangeBounds {
                trimmed_through: row.try_get(0)?,
                head: row.try_get(1)?,
            })
        })
    }

    async fn trim_changes(&self, before_ms: i64) -> Result<u64, StoreError> {
        transaction!(self, write, |tx| async {
            let row = query_opt(
                &tx,
                "SELECT MAX(seq) FROM changes WHERE time_ms < $1",
                &[&before_ms],
            )
            .await?;
            let last: Option<i64> = match row {
                Some(row) => row.try_get(0)?,
                None => None,
            };
            let Some(last) = last else {
                return Ok(0);
            };
            let deleted = execute(&tx, "DELETE FROM changes WHERE seq <= $1", &[&last]).await?;
            execute(
                &tx,
                "UPDATE change_head SET trimmed_through = GREATEST(trimmed_through, $1) WHERE id = 1",
                &[&last],
            )
            .await?;
            Ok(deleted)
        })
    }

    async fn append_changes(&self, changes: &[Change]) -> Result<Vec<i64>, StoreError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        transaction!(self, write, |tx| append_changes(&tx, changes))
    }
}
