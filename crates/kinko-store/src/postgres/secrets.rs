//! Secrets Manager secrets: records, versions with staging labels, tags.
//!
//! As on SQLite, the store applies what `kinko-core` decided; its own job is
//! the compare-and-swap on each secret's `revision` and applying a batch (a
//! primary and its replicas) all-or-nothing. Across servers, a batch first
//! takes a transaction-scoped advisory lock per secret it touches, in sorted
//! order: concurrent batches on the same secrets run one after the other
//! (the second then sees the first's revision) and can never deadlock, and
//! a create of a name that does not exist yet has something to lock too.

use std::collections::BTreeSet;

use deadpool_postgres::GenericClient;
use kinko_model::Tag;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{execute, query, query_opt, to_i64, to_u64};
use async_trait::async_trait;

use super::PostgresStore;
use crate::SecretRows;
use crate::{
    Change, SecretRecord, SecretState, SecretVersion, SecretWrite, StoreError, WriteOutcome,
};

const RECORD_COLUMNS: &str = "region, name, arn, description, kms_key_id, tagged, resource_policy, \
     created_ms, last_changed_ms, last_accessed_ms, deleted_ms, deletion_date_ms, primary_region, \
     metadata, revision";

/// Reads [`RECORD_COLUMNS`]; tags are filled in later.
fn record_from_row(row: &Row) -> Result<SecretRecord, StoreError> {
    Ok(SecretRecord {
        region: row.try_get(0)?,
        name: row.try_get(1)?,
        arn: row.try_get(2)?,
        description: row.try_get(3)?,
        kms_key_id: row.try_get(4)?,
        tags: Vec::new(),
        tagged: row.try_get(5)?,
        resource_policy: row.try_get(6)?,
        created_ms: row.try_get(7)?,
        last_changed_ms: row.try_get(8)?,
        last_accessed_ms: row.try_get(9)?,
        deleted_ms: row.try_get(10)?,
        deletion_date_ms: row.try_get(11)?,
        primary_region: row.try_get(12)?,
        metadata: row.try_get(13)?,
        revision: to_u64(row.try_get(14)?)?,
    })
}

async fn tags_of(
    conn: &impl GenericClient,
    region: &str,
    name: &str,
) -> Result<Vec<Tag>, StoreError> {
    let rows = query(
        conn,
        "SELECT key, value FROM secret_tags WHERE region = $1 AND name = $2 ORDER BY position",
        &[&region, &name],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Tag {
                key: row.try_get(0)?,
                value: row.try_get(1)?,
            })
        })
        .collect()
}

async fn versions_of(
    conn: &impl GenericClient,
    region: &str,
    name: &str,
) -> Result<Vec<SecretVersion>, StoreError> {
    let rows = query(
        conn,
        "SELECT version_id, value, is_binary, created_ms, last_accessed_ms, kms_key_id \
         FROM secret_versions WHERE region = $1 AND name = $2 ORDER BY created_ms, seq",
        &[&region, &name],
    )
    .await?;
    let mut versions = rows
        .iter()
        .map(|row| {
            Ok(SecretVersion {
                version_id: row.try_get(0)?,
                value: row.try_get(1)?,
                binary: row.try_get(2)?,
                stages: Vec::new(),
                created_ms: row.try_get(3)?,
                last_accessed_ms: row.try_get(4)?,
                kms_key_id: row.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let rows = query(
        conn,
        "SELECT version_id, stage FROM secret_version_stages WHERE region = $1 AND name = $2 \
         ORDER BY version_id, stage",
        &[&region, &name],
    )
    .await?;
    for row in &rows {
        let version_id: String = row.try_get(0)?;
        if let Some(version) = versions.iter_mut().find(|v| v.version_id == version_id) {
            version.stages.push(row.try_get(1)?);
        }
    }
    Ok(versions)
}

async fn complete(
    conn: &impl GenericClient,
    mut record: SecretRecord,
) -> Result<SecretState, StoreError> {
    record.tags = tags_of(conn, &record.region, &record.name).await?;
    let versions = versions_of(conn, &record.region, &record.name).await?;
    Ok(SecretState { record, versions })
}

pub(super) async fn get_secret(
    conn: &impl GenericClient,
    region: &str,
    name: &str,
) -> Result<Option<SecretState>, StoreError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM secrets WHERE region = $1 AND name = $2");
    let Some(row) = query_opt(conn, &sql, &[&region, &name]).await? else {
        return Ok(None);
    };
    Ok(Some(complete(conn, record_from_row(&row)?).await?))
}

pub(super) async fn list_secrets(
    conn: &impl GenericClient,
    region: &str,
) -> Result<Vec<SecretState>, StoreError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM secrets WHERE region = $1 ORDER BY name");
    let rows = query(conn, &sql, &[&region]).await?;
    let mut states = Vec::with_capacity(rows.len());
    for row in &rows {
        states.push(complete(conn, record_from_row(row)?).await?);
    }
    Ok(states)
}

pub(super) async fn secrets_due_for_purge(
    conn: &impl GenericClient,
    now_ms: i64,
) -> Result<Vec<SecretRecord>, StoreError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM secrets \
         WHERE deletion_date_ms IS NOT NULL AND deletion_date_ms <= $1 ORDER BY region, name"
    );
    let rows = query(conn, &sql, &[&now_ms]).await?;
    let mut records = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut record = record_from_row(row)?;
        record.tags = tags_of(conn, &record.region, &record.name).await?;
        records.push(record);
    }
    Ok(records)
}

/// The `(region, name)` a write touches.
fn target(write: &SecretWrite) -> (&str, &str) {
    match write {
        SecretWrite::Create { state } => (&state.record.region, &state.record.name),
        SecretWrite::Update { record, .. } => (&record.region, &record.name),
        SecretWrite::Delete { region, name, .. } => (region, name),
    }
}

/// Applies the batch inside the caller's transaction. On `Conflict` the
/// caller rolls the transaction back, undoing the writes already applied.
pub(super) async fn write_secrets(
    conn: &impl GenericClient,
    writes: &[SecretWrite],
    changes: &[Change],
) -> Result<WriteOutcome, StoreError> {
    let targets: BTreeSet<(&str, &str)> = writes.iter().map(target).collect();
    for (region, name) in targets {
        // A region name never contains '/', so "region/name" is unambiguous.
        let key = format!("kinko-secret:{region}/{name}");
        execute(
            conn,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&key],
        )
        .await?;
    }
    for write in writes {
        if apply(conn, write).await? == WriteOutcome::Conflict {
            return Ok(WriteOutcome::Conflict);
        }
    }
    // Last: the change head's row lock is held from here to the commit.
    super::changes::append_changes(conn, changes).await?;
    Ok(WriteOutcome::Written)
}

async fn stored_revision(
    conn: &impl GenericClient,
    region: &str,
    name: &str,
) -> Result<Option<u64>, StoreError> {
    let row = query_opt(
        conn,
        "SELECT revision FROM secrets WHERE region = $1 AND name = $2 FOR UPDATE",
        &[&region, &name],
    )
    .await?;
    row.map(|row| to_u64(row.try_get(0)?)).transpose()
}

async fn apply(conn: &impl GenericClient, write: &SecretWrite) -> Result<WriteOutcome, StoreError> {
    match write {
        SecretWrite::Create { state } => {
            let record = &state.record;
            if !insert_record(conn, record, 1).await? {
                return Ok(WriteOutcome::Conflict);
            }
            replace_tags(conn, record).await?;
            for version in &state.versions {
                upsert_version(conn, &record.region, &record.name, version).await?;
            }
        }
        SecretWrite::Update {
            expected_revision,
            record,
            upsert_versions,
            delete_versions,
        } => {
            let stored = stored_revision(conn, &record.region, &record.name).await?;
            if stored != Some(*expected_revision) {
                return Ok(WriteOutcome::Conflict);
            }
            let revision = expected_revision
                .checked_add(1)
                .ok_or_else(|| StoreError::Backend("secret revision overflow".to_owned()))?;
            update_record(conn, record, revision).await?;
            replace_tags(conn, record).await?;
            for version_id in delete_versions {
                execute(
                    conn,
                    "DELETE FROM secret_versions \
                     WHERE region = $1 AND name = $2 AND version_id = $3",
                    &[&record.region, &record.name, version_id],
                )
                .await?;
            }
            for version in upsert_versions {
                upsert_version(conn, &record.region, &record.name, version).await?;
            }
        }
        SecretWrite::Delete {
            region,
            name,
            expected_revision,
        } => {
            if stored_revision(conn, region, name).await? != Some(*expected_revision) {
                return Ok(WriteOutcome::Conflict);
            }
            // Versions, stages and tags go with it (ON DELETE CASCADE).
            execute(
                conn,
                "DELETE FROM secrets WHERE region = $1 AND name = $2",
                &[region, name],
            )
            .await?;
        }
    }
    Ok(WriteOutcome::Written)
}

/// `false` when the secret already exists.
pub(super) async fn insert_record(
    conn: &impl GenericClient,
    r: &SecretRecord,
    revision: u64,
) -> Result<bool, StoreError> {
    let revision = to_i64(revision)?;
    let sql = format!(
        "INSERT INTO secrets ({RECORD_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (region, name) DO NOTHING"
    );
    let params: [&(dyn ToSql + Sync); 15] = [
        &r.region,
        &r.name,
        &r.arn,
        &r.description,
        &r.kms_key_id,
        &r.tagged,
        &r.resource_policy,
        &r.created_ms,
        &r.last_changed_ms,
        &r.last_accessed_ms,
        &r.deleted_ms,
        &r.deletion_date_ms,
        &r.primary_region,
        &r.metadata,
        &revision,
    ];
    Ok(execute(conn, &sql, &params).await? > 0)
}

async fn update_record(
    conn: &impl GenericClient,
    r: &SecretRecord,
    revision: u64,
) -> Result<(), StoreError> {
    let revision = to_i64(revision)?;
    let params: [&(dyn ToSql + Sync); 15] = [
        &r.region,
        &r.name,
        &r.arn,
        &r.description,
        &r.kms_key_id,
        &r.tagged,
        &r.resource_policy,
        &r.created_ms,
        &r.last_changed_ms,
        &r.last_accessed_ms,
        &r.deleted_ms,
        &r.deletion_date_ms,
        &r.primary_region,
        &r.metadata,
        &revision,
    ];
    execute(
        conn,
        "UPDATE secrets SET arn = $3, description = $4, kms_key_id = $5, tagged = $6, \
         resource_policy = $7, created_ms = $8, last_changed_ms = $9, last_accessed_ms = $10, \
         deleted_ms = $11, deletion_date_ms = $12, primary_region = $13, metadata = $14, \
         revision = $15 WHERE region = $1 AND name = $2",
        &params,
    )
    .await?;
    Ok(())
}

/// The record's tag list is the whole truth: replace, keeping its order.
pub(super) async fn replace_tags(
    conn: &impl GenericClient,
    r: &SecretRecord,
) -> Result<(), StoreError> {
    execute(
        conn,
        "DELETE FROM secret_tags WHERE region = $1 AND name = $2",
        &[&r.region, &r.name],
    )
    .await?;
    for (position, tag) in (0_i64..).zip(&r.tags) {
        execute(
            conn,
            "INSERT INTO secret_tags (region, name, position, key, value) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&r.region, &r.name, &position, &tag.key, &tag.value],
        )
        .await?;
    }
    Ok(())
}

/// Inserts or replaces one version and sets its stages to exactly `stages`.
pub(super) async fn upsert_version(
    conn: &impl GenericClient,
    region: &str,
    name: &str,
    v: &SecretVersion,
) -> Result<(), StoreError> {
    let params: [&(dyn ToSql + Sync); 8] = [
        &region,
        &name,
        &v.version_id,
        &v.value,
        &v.binary,
        &v.created_ms,
        &v.last_accessed_ms,
        &v.kms_key_id,
    ];
    execute(
        conn,
        "INSERT INTO secret_versions (region, name, version_id, value, is_binary, created_ms, \
         last_accessed_ms, kms_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (region, name, version_id) DO UPDATE SET value = excluded.value, \
         is_binary = excluded.is_binary, created_ms = excluded.created_ms, \
         last_accessed_ms = excluded.last_accessed_ms, kms_key_id = excluded.kms_key_id",
        &params,
    )
    .await?;
    execute(
        conn,
        "DELETE FROM secret_version_stages WHERE region = $1 AND name = $2 AND version_id = $3",
        &[&region, &name, &v.version_id],
    )
    .await?;
    for stage in &v.stages {
        execute(
            conn,
            "INSERT INTO secret_version_stages (region, name, version_id, stage) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&region, &name, &v.version_id, stage],
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl SecretRows for PostgresStore {
    async fn get_secret(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<SecretState>, StoreError> {
        transaction!(self, read, |tx| get_secret(&tx, region, name))
    }

    async fn list_secrets(&self, region: &str) -> Result<Vec<SecretState>, StoreError> {
        transaction!(self, read, |tx| list_secrets(&tx, region))
    }

    async fn secrets_due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRecord>, StoreError> {
        transaction!(self, read, |tx| secrets_due_for_purge(&tx, now_ms))
    }

    async fn write_secrets(
        &self,
        writes: Vec<SecretWrite>,
        changes: Vec<Change>,
    ) -> Result<WriteOutcome, StoreError> {
        with_client!(self, |client| {
            let tx = client.transaction().await?;
            match write_secrets(&tx, &writes, &changes).await {
                Ok(WriteOutcome::Written) => {
                    tx.commit().await?;
                    Ok(WriteOutcome::Written)
                }
                // Nothing of the batch may stay: undo the writes already applied.
                Ok(WriteOutcome::Conflict) => {
                    tx.rollback().await?;
                    Ok(WriteOutcome::Conflict)
                }
                Err(err) => {
                    let _ = tx.rollback().await;
                    Err(err)
                }
            }
        })
    }
}
