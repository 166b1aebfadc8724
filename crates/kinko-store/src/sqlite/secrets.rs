//! Secrets Manager secrets: records, versions with staging labels, tags.
//!
//! The store applies what `kinko-core` decided; its own job is the
//! compare-and-swap on each secret's `revision` and applying a batch of
//! writes (a primary and its replicas) all-or-nothing.

use kinko_model::Tag;
use rusqlite::{Connection, OptionalExtension, Row, params};

use async_trait::async_trait;

use super::SqliteStore;
use crate::SecretRows;
use crate::{
    Change, SecretRecord, SecretState, SecretVersion, SecretWrite, StoreError, WriteOutcome,
};

const RECORD_COLUMNS: &str = "region, name, arn, description, kms_key_id, tagged, resource_policy, \
     created_ms, last_changed_ms, last_accessed_ms, deleted_ms, deletion_date_ms, primary_region, \
     metadata, revision";

/// Reads [`RECORD_COLUMNS`]; tags are filled in later.
fn record_from_row(row: &Row<'_>) -> rusqlite::Result<SecretRecord> {
    Ok(SecretRecord {
        region: row.get(0)?,
        name: row.get(1)?,
        arn: row.get(2)?,
        description: row.get(3)?,
        kms_key_id: row.get(4)?,
        tags: Vec::new(),
        tagged: row.get(5)?,
        resource_policy: row.get(6)?,
        created_ms: row.get(7)?,
        last_changed_ms: row.get(8)?,
        last_accessed_ms: row.get(9)?,
        deleted_ms: row.get(10)?,
        deletion_date_ms: row.get(11)?,
        primary_region: row.get(12)?,
        metadata: row.get(13)?,
        revision: revision_from_row(row, 14)?,
    })
}

/// Revisions are `u64` in the records and INTEGER (i64) in SQLite; both
/// directions are checked rather than cast.
fn revision_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<u64> {
    let stored: i64 = row.get(at)?;
    u64::try_from(stored).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(at, stored))
}

fn revision_to_sql(revision: u64) -> Result<i64, StoreError> {
    i64::try_from(revision)
        .map_err(|_| StoreError::Backend("secret revision out of range".to_owned()))
}

fn tags_of(conn: &Connection, region: &str, name: &str) -> Result<Vec<Tag>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM secret_tags WHERE region = ?1 AND name = ?2 ORDER BY position",
    )?;
    let tags = stmt
        .query_map(params![region, name], |row| {
            Ok(Tag {
                key: row.get(0)?,
                value: row.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(tags)
}

fn versions_of(
    conn: &Connection,
    region: &str,
    name: &str,
) -> Result<Vec<SecretVersion>, StoreError> {
    let mut versions = {
        let mut stmt = conn.prepare_cached(
            "SELECT version_id, value, is_binary, created_ms, last_accessed_ms, kms_key_id \
             FROM secret_versions WHERE region = ?1 AND name = ?2 ORDER BY created_ms, rowid",
        )?;
        stmt.query_map(params![region, name], |row| {
            Ok(SecretVersion {
                version_id: row.get(0)?,
                value: row.get(1)?,
                binary: row.get(2)?,
                stages: Vec::new(),
                created_ms: row.get(3)?,
                last_accessed_ms: row.get(4)?,
                kms_key_id: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
    };
    let mut stmt = conn.prepare_cached(
        "SELECT version_id, stage FROM secret_version_stages WHERE region = ?1 AND name = ?2 \
         ORDER BY version_id, stage",
    )?;
    let mut rows = stmt.query(params![region, name])?;
    while let Some(row) = rows.next()? {
        let version_id: String = row.get(0)?;
        if let Some(version) = versions.iter_mut().find(|v| v.version_id == version_id) {
            version.stages.push(row.get(1)?);
        }
    }
    Ok(versions)
}

fn complete(conn: &Connection, mut record: SecretRecord) -> Result<SecretState, StoreError> {
    record.tags = tags_of(conn, &record.region, &record.name)?;
    let versions = versions_of(conn, &record.region, &record.name)?;
    Ok(SecretState { record, versions })
}

/// GetSecretValue's read, the hot path: two statements instead of four —
/// the record with its tags (as JSON), then the versions with their stages
/// (as JSON). Each statement costs more to step than the rows it returns.
pub(super) fn get_secret(
    conn: &Connection,
    region: &str,
    name: &str,
) -> Result<Option<SecretState>, StoreError> {
    const RECORD_WITH_TAGS: &str = "SELECT region, name, arn, description, kms_key_id, tagged, resource_policy, \
         created_ms, last_changed_ms, last_accessed_ms, deleted_ms, deletion_date_ms, \
         primary_region, metadata, revision, \
         (SELECT json_group_array(json_array(t.key, t.value)) FROM \
            (SELECT key, value FROM secret_tags \
             WHERE region = s.region AND name = s.name ORDER BY position) t) \
         FROM secrets s WHERE region = ?1 AND name = ?2";
    let found = conn
        .prepare_cached(RECORD_WITH_TAGS)?
        .query_row(params![region, name], |row| {
            Ok((record_from_row(row)?, row.get::<_, String>(15)?))
        })
        .optional()?;
    let Some((mut record, tags)) = found else {
        return Ok(None);
    };
    let pairs: Vec<(String, String)> = serde_json::from_str(&tags)
        .map_err(|_| StoreError::Backend("stored secret tags are not valid".to_owned()))?;
    record.tags = pairs
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect();

    let mut stmt = conn.prepare_cached(
        "SELECT v.version_id, v.value, v.is_binary, v.created_ms, v.last_accessed_ms, \
         v.kms_key_id, \
         (SELECT json_group_array(st.stage) FROM \
            (SELECT stage FROM secret_version_stages \
             WHERE region = v.region AND name = v.name AND version_id = v.version_id \
             ORDER BY stage) st) \
         FROM secret_versions v WHERE v.region = ?1 AND v.name = ?2 \
         ORDER BY v.created_ms, v.rowid",
    )?;
    let versions = stmt
        .query_map(params![region, name], |row| {
            Ok((
                SecretVersion {
                    version_id: row.get(0)?,
                    value: row.get(1)?,
                    binary: row.get(2)?,
                    stages: Vec::new(),
                    created_ms: row.get(3)?,
                    last_accessed_ms: row.get(4)?,
                    kms_key_id: row.get(5)?,
                },
                row.get::<_, String>(6)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|(mut version, stages)| {
            version.stages = serde_json::from_str(&stages).map_err(|_| {
                StoreError::Backend("stored secret stages are not valid".to_owned())
            })?;
            Ok(version)
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(SecretState { record, versions }))
}

pub(super) fn list_secrets(
    conn: &Connection,
    region: &str,
) -> Result<Vec<SecretState>, StoreError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM secrets WHERE region = ?1 ORDER BY name");
    let records = conn
        .prepare_cached(&sql)?
        .query_map(params![region], record_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    records
        .into_iter()
        .map(|record| complete(conn, record))
        .collect()
}

pub(super) fn secrets_due_for_purge(
    conn: &Connection,
    now_ms: i64,
) -> Result<Vec<SecretRecord>, StoreError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM secrets \
         WHERE deletion_date_ms IS NOT NULL AND deletion_date_ms <= ?1 ORDER BY region, name"
    );
    let records = conn
        .prepare_cached(&sql)?
        .query_map(params![now_ms], record_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    records
        .into_iter()
        .map(|mut record| {
            record.tags = tags_of(conn, &record.region, &record.name)?;
            Ok(record)
        })
        .collect()
}

/// Applies the batch inside the caller's IMMEDIATE transaction. A conflict
/// anywhere rolls back the writes already applied (a savepoint), so the
/// caller's transaction commits nothing; an `Err` rolls back everything.
pub(super) fn write_secrets(
    conn: &Connection,
    writes: &[SecretWrite],
    changes: &[Change],
) -> Result<WriteOutcome, StoreError> {
    conn.execute_batch("SAVEPOINT secret_batch")?;
    for write in writes {
        if apply(conn, write)? == WriteOutcome::Conflict {
            conn.execute_batch("ROLLBACK TO secret_batch; RELEASE secret_batch")?;
            return Ok(WriteOutcome::Conflict);
        }
    }
    super::changes::append_changes(conn, changes)?;
    conn.execute_batch("RELEASE secret_batch")?;
    Ok(WriteOutcome::Written)
}

fn stored_revision(conn: &Connection, region: &str, name: &str) -> Result<Option<u64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT revision FROM secrets WHERE region = ?1 AND name = ?2")?
        .query_row(params![region, name], |row| revision_from_row(row, 0))
        .optional()?)
}

fn apply(conn: &Connection, write: &SecretWrite) -> Result<WriteOutcome, StoreError> {
    match write {
        SecretWrite::Create { state } => {
            let record = &state.record;
            if stored_revision(conn, &record.region, &record.name)?.is_some() {
                return Ok(WriteOutcome::Conflict);
            }
            insert_record(conn, record, 1)?;
            replace_tags(conn, record)?;
            for version in &state.versions {
                upsert_version(conn, &record.region, &record.name, version)?;
            }
        }
        SecretWrite::Update {
            expected_revision,
            record,
            upsert_versions,
            delete_versions,
        } => {
            let stored = stored_revision(conn, &record.region, &record.name)?;
            if stored != Some(*expected_revision) {
                return Ok(WriteOutcome::Conflict);
            }
            let revision = expected_revision
                .checked_add(1)
                .ok_or_else(|| StoreError::Backend("secret revision overflow".to_owned()))?;
            update_record(conn, record, revision)?;
            replace_tags(conn, record)?;
            let mut delete = conn.prepare_cached(
                "DELETE FROM secret_versions WHERE region = ?1 AND name = ?2 AND version_id = ?3",
            )?;
            for version_id in delete_versions {
                delete.execute(params![record.region, record.name, version_id])?;
            }
            for version in upsert_versions {
                upsert_version(conn, &record.region, &record.name, version)?;
            }
        }
        SecretWrite::Delete {
            region,
            name,
            expected_revision,
        } => {
            if stored_revision(conn, region, name)? != Some(*expected_revision) {
                return Ok(WriteOutcome::Conflict);
            }
            // Versions, stages and tags go with it (ON DELETE CASCADE).
            conn.prepare_cached("DELETE FROM secrets WHERE region = ?1 AND name = ?2")?
                .execute(params![region, name])?;
        }
    }
    Ok(WriteOutcome::Written)
}

pub(super) fn insert_record(
    conn: &Connection,
    r: &SecretRecord,
    revision: u64,
) -> Result<(), StoreError> {
    let revision = revision_to_sql(revision)?;
    let sql = format!(
        "INSERT INTO secrets ({RECORD_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    );
    conn.prepare_cached(&sql)?.execute(params![
        r.region,
        r.name,
        r.arn,
        r.description,
        r.kms_key_id,
        r.tagged,
        r.resource_policy,
        r.created_ms,
        r.last_changed_ms,
        r.last_accessed_ms,
        r.deleted_ms,
        r.deletion_date_ms,
        r.primary_region,
        r.metadata,
        revision,
    ])?;
    Ok(())
}

fn update_record(conn: &Connection, r: &SecretRecord, revision: u64) -> Result<(), StoreError> {
    let revision = revision_to_sql(revision)?;
    conn.prepare_cached(
        "UPDATE secrets SET arn = ?3, description = ?4, kms_key_id = ?5, tagged = ?6, \
         resource_policy = ?7, created_ms = ?8, last_changed_ms = ?9, last_accessed_ms = ?10, \
         deleted_ms = ?11, deletion_date_ms = ?12, primary_region = ?13, metadata = ?14, \
         revision = ?15 WHERE region = ?1 AND name = ?2",
    )?
    .execute(params![
        r.region,
        r.name,
        r.arn,
        r.description,
        r.kms_key_id,
        r.tagged,
        r.resource_policy,
        r.created_ms,
        r.last_changed_ms,
        r.last_accessed_ms,
        r.deleted_ms,
        r.deletion_date_ms,
        r.primary_region,
        r.metadata,
        revision,
    ])?;
    Ok(())
}

/// The record's tag list is the whole truth: replace, keeping its order.
pub(super) fn replace_tags(conn: &Connection, r: &SecretRecord) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM secret_tags WHERE region = ?1 AND name = ?2")?
        .execute(params![r.region, r.name])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO secret_tags (region, name, position, key, value) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, tag) in (0_i64..).zip(&r.tags) {
        insert.execute(params![r.region, r.name, position, tag.key, tag.value])?;
    }
    Ok(())
}

/// Inserts or replaces one version and sets its stages to exactly `stages`.
pub(super) fn upsert_version(
    conn: &Connection,
    region: &str,
    name: &str,
    v: &SecretVersion,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO secret_versions (region, name, version_id, value, is_binary, created_ms, \
         last_accessed_ms, kms_key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (region, name, version_id) DO UPDATE SET value = excluded.value, \
         is_binary = excluded.is_binary, created_ms = excluded.created_ms, \
         last_accessed_ms = excluded.last_accessed_ms, kms_key_id = excluded.kms_key_id",
    )?
    .execute(params![
        region,
        name,
        v.version_id,
        v.value,
        v.binary,
        v.created_ms,
        v.last_accessed_ms,
        v.kms_key_id,
    ])?;
    conn.prepare_cached(
        "DELETE FROM secret_version_stages WHERE region = ?1 AND name = ?2 AND version_id = ?3",
    )?
    .execute(params![region, name, v.version_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO secret_version_stages (region, name, version_id, stage) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    )?;
    for stage in &v.stages {
        insert.execute(params![region, name, v.version_id, stage])?;
    }
    Ok(())
}

#[async_trait]
impl SecretRows for SqliteStore {
    async fn get_secret(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<SecretState>, StoreError> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.read(move |conn| get_secret(conn, &region, &name))
            .await
    }

    async fn list_secrets(&self, region: &str) -> Result<Vec<SecretState>, StoreError> {
        let region = region.to_owned();
        self.read(move |conn| list_secrets(conn, &region)).await
    }

    async fn secrets_due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRecord>, StoreError> {
        self.read(move |conn| secrets_due_for_purge(conn, now_ms))
            .await
    }

    async fn write_secrets(
        &self,
        writes: Vec<SecretWrite>,
        changes: Vec<Change>,
    ) -> Result<WriteOutcome, StoreError> {
        self.write(move |conn| write_secrets(conn, &writes, &changes))
            .await
    }
}
