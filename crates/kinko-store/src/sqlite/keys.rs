//! KMS-style keys and aliases, SigV4 access keys, and server metadata.

use rusqlite::{Connection, OptionalExtension, params};

use async_trait::async_trait;

use super::SqliteStore;
use super::changes::append_change;
use crate::KeyRows;
use crate::{
    AccessKeyRecord, Change, KmsAliasRecord, KmsKeyMaterialRecord, KmsKeyRecord, StoreError,
};

pub(super) fn get_kms_key(
    conn: &Connection,
    region: &str,
    key_id: &str,
) -> Result<Option<KmsKeyRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT wrapped_material, description, enabled, key_manager, created_ms, metadata \
         FROM kms_keys WHERE region = ?1 AND key_id = ?2",
    )?;
    let key = stmt
        .query_row(params![region, key_id], |row| {
            Ok(KmsKeyRecord {
                region: region.to_owned(),
                key_id: key_id.to_owned(),
                wrapped_material: row.get(0)?,
                description: row.get(1)?,
                enabled: row.get(2)?,
                key_manager: row.get(3)?,
                created_ms: row.get(4)?,
                metadata: row.get(5)?,
            })
        })
        .optional()?;
    Ok(key)
}

pub(super) fn get_kms_alias(
    conn: &Connection,
    region: &str,
    alias: &str,
) -> Result<Option<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT key_id FROM kms_aliases WHERE region = ?1 AND alias = ?2")?;
    Ok(stmt
        .query_row(params![region, alias], |row| row.get(0))
        .optional()?)
}

/// Runs inside the caller's IMMEDIATE transaction: both existence checks and
/// both inserts are one atomic step.
pub(super) fn create_kms_key(
    conn: &Connection,
    key: &KmsKeyRecord,
    alias: Option<&str>,
) -> Result<(), StoreError> {
    if kms_key_exists(conn, &key.region, &key.key_id)? {
        return Err(StoreError::AlreadyExists);
    }
    if let Some(alias) = alias
        && get_kms_alias(conn, &key.region, alias)?.is_some()
    {
        return Err(StoreError::AlreadyExists);
    }
    conn.prepare_cached(
        "INSERT INTO kms_keys (region, key_id, wrapped_material, description, enabled, \
         key_manager, created_ms, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        key.region,
        key.key_id,
        key.wrapped_material,
        key.description,
        key.enabled,
        key.key_manager,
        key.created_ms,
        key.metadata,
    ])?;
    if let Some(alias) = alias {
        insert_alias(
            conn,
            &KmsAliasRecord {
                region: key.region.clone(),
                alias: alias.to_owned(),
                key_id: key.key_id.clone(),
                created_ms: key.created_ms,
                updated_ms: key.created_ms,
            },
        )?;
    }
    Ok(())
}

pub(super) fn insert_alias(conn: &Connection, alias: &KmsAliasRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO kms_aliases (region, alias, key_id, created_ms, updated_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        alias.region,
        alias.alias,
        alias.key_id,
        alias.created_ms,
        alias.updated_ms,
    ])?;
    Ok(())
}

fn kms_key_exists(conn: &Connection, region: &str, key_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM kms_keys WHERE region = ?1 AND key_id = ?2")?
        .exists(params![region, key_id])?)
}

pub(super) fn list_kms_keys(
    conn: &Connection,
    region: &str,
) -> Result<Vec<KmsKeyRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key_id, wrapped_material, description, enabled, key_manager, created_ms, \
         metadata FROM kms_keys WHERE region = ?1 ORDER BY key_id",
    )?;
    let keys = stmt
        .query_map(params![region], |row| {
            Ok(KmsKeyRecord {
                region: region.to_owned(),
                key_id: row.get(0)?,
                wrapped_material: row.get(1)?,
                description: row.get(2)?,
                enabled: row.get(3)?,
                key_manager: row.get(4)?,
                created_ms: row.get(5)?,
                metadata: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(keys)
}

/// Replaces the mutable fields; `key_manager` and `created_ms` are fixed at
/// creation and kept.
pub(super) fn update_kms_key(conn: &Connection, key: &KmsKeyRecord) -> Result<(), StoreError> {
    let updated = conn
        .prepare_cached(
            "UPDATE kms_keys SET wrapped_material = ?3, description = ?4, enabled = ?5, \
             metadata = ?6 WHERE region = ?1 AND key_id = ?2",
        )?
        .execute(params![
            key.region,
            key.key_id,
            key.wrapped_material,
            key.description,
            key.enabled,
            key.metadata,
        ])?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn list_kms_key_materials(
    conn: &Connection,
    region: &str,
    key_id: &str,
) -> Result<Vec<KmsKeyMaterialRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, material_id, wrapped_material, rotation_type, created_ms \
         FROM kms_key_materials WHERE region = ?1 AND key_id = ?2 ORDER BY version",
    )?;
    let materials = stmt
        .query_map(params![region, key_id], |row| {
            Ok(KmsKeyMaterialRecord {
                region: region.to_owned(),
                key_id: key_id.to_owned(),
                version: row.get(0)?,
                material_id: row.get(1)?,
                wrapped_material: row.get(2)?,
                rotation_type: row.get(3)?,
                created_ms: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(materials)
}

/// Runs inside the caller's IMMEDIATE transaction, so the checks and the
/// insert are one step.
pub(super) fn add_kms_key_material(
    conn: &Connection,
    m: &KmsKeyMaterialRecord,
) -> Result<(), StoreError> {
    if !kms_key_exists(conn, &m.region, &m.key_id)? {
        return Err(StoreError::NotFound);
    }
    let inserted = conn
        .prepare_cached(
            "INSERT INTO kms_key_materials (region, key_id, version, material_id, \
             wrapped_material, rotation_type, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (region, key_id, version) DO NOTHING",
        )?
        .execute(params![
            m.region,
            m.key_id,
            m.version,
            m.material_id,
            m.wrapped_material,
            m.rotation_type,
            m.created_ms,
        ])?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

pub(super) fn list_kms_regions(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT region FROM kms_keys ORDER BY region")?;
    let regions = stmt
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(regions)
}

pub(super) fn list_kms_aliases(
    conn: &Connection,
    region: &str,
) -> Result<Vec<KmsAliasRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT alias, key_id, created_ms, updated_ms FROM kms_aliases WHERE region = ?1 \
         ORDER BY alias",
    )?;
    let aliases = stmt
        .query_map(params![region], |row| {
            Ok(KmsAliasRecord {
                region: region.to_owned(),
                alias: row.get(0)?,
                key_id: row.get(1)?,
                created_ms: row.get(2)?,
                updated_ms: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(aliases)
}

/// Errors: `AlreadyExists` for a taken alias, `NotFound` when the target key
/// does not exist in the alias's region (an alias never dangles).
pub(super) fn create_kms_alias(
    conn: &Connection,
    alias: &KmsAliasRecord,
) -> Result<(), StoreError> {
    if get_kms_alias(conn, &alias.region, &alias.alias)?.is_some() {
        return Err(StoreError::AlreadyExists);
    }
    if !kms_key_exists(conn, &alias.region, &alias.key_id)? {
        return Err(StoreError::NotFound);
    }
    insert_alias(conn, alias)
}

/// Errors: `NotFound` when the alias or the new target key does not exist.
pub(super) fn update_kms_alias(
    conn: &Connection,
    region: &str,
    alias: &str,
    key_id: &str,
    updated_ms: i64,
) -> Result<(), StoreError> {
    if !kms_key_exists(conn, region, key_id)? {
        return Err(StoreError::NotFound);
    }
    let updated = conn
        .prepare_cached(
            "UPDATE kms_aliases SET key_id = ?3, updated_ms = ?4 WHERE region = ?1 AND alias = ?2",
        )?
        .execute(params![region, alias, key_id, updated_ms])?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn delete_kms_alias(
    conn: &Connection,
    region: &str,
    alias: &str,
) -> Result<bool, StoreError> {
    let deleted = conn
        .prepare_cached("DELETE FROM kms_aliases WHERE region = ?1 AND alias = ?2")?
        .execute(params![region, alias])?;
    Ok(deleted > 0)
}

/// The columns [`access_key_from_row`] reads, in its order.
pub(super) const ACCESS_KEY_COLUMNS: &str = "access_key_id, principal_arn, sealed_secret, active, \
     created_ms, retire_ms, last_used_ms, last_used_operation";

pub(super) fn access_key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        access_key_id: row.get(0)?,
        principal_arn: row.get(1)?,
        sealed_secret: row.get(2)?,
        active: row.get(3)?,
        created_ms: row.get(4)?,
        retire_ms: row.get(5)?,
        last_used_ms: row.get(6)?,
        last_used_operation: row.get(7)?,
    })
}

pub(super) fn get_access_key(
    conn: &Connection,
    access_key_id: &str,
) -> Result<Option<AccessKeyRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE access_key_id = ?1"
    ))?;
    Ok(stmt
        .query_row(params![access_key_id], access_key_from_row)
        .optional()?)
}

/// Inserts every field as given (a restore keeps last-use facts).
pub(super) fn create_access_key(
    conn: &Connection,
    key: &AccessKeyRecord,
) -> Result<(), StoreError> {
    let inserted = conn
        .prepare_cached(&format!(
            "INSERT INTO access_keys ({ACCESS_KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (access_key_id) DO NOTHING"
        ))?
        .execute(params![
            key.access_key_id,
            key.principal_arn,
            key.sealed_secret,
            key.active,
            key.created_ms,
            key.retire_ms,
            key.last_used_ms,
            key.last_used_operation,
        ])?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

pub(super) fn get_meta(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
    Ok(stmt.query_row(params![key], |row| row.get(0)).optional()?)
}

/// First writer wins: the insert is skipped when the key exists, and the
/// value read back is whichever was stored first.
pub(super) fn init_meta(conn: &Connection, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
    )?
    .execute(params![key, value])?;
    get_meta(conn, key)?
        .ok_or_else(|| StoreError::Backend("meta value vanished inside its transaction".to_owned()))
}

#[async_trait]
impl KeyRows for SqliteStore {
    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError> {
        let (region, key_id) = (region.to_owned(), key_id.to_owned());
        self.read(move |conn| get_kms_key(conn, &region, &key_id))
            .await
    }

    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError> {
        let (region, alias) = (region.to_owned(), alias.to_owned());
        self.read(move |conn| get_kms_alias(conn, &region, &alias))
            .await
    }

    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
        change: Change,
    ) -> Result<(), StoreError> {
        let alias = alias.map(str::to_owned);
        self.write(move |conn| {
            create_kms_key(conn, &key, alias.as_deref())?;
            append_change(conn, &change)
        })
        .await
    }

    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
        let region = region.to_owned();
        self.read(move |conn| list_kms_keys(conn, &region)).await
    }

    async fn update_kms_key(&self, key: KmsKeyRecord, change: Change) -> Result<(), StoreError> {
        self.write(move |conn| {
            update_kms_key(conn, &key)?;
            append_change(conn, &change)
        })
        .await
    }

    async fn list_kms_key_materials(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Vec<KmsKeyMaterialRecord>, StoreError> {
        let (region, key_id) = (region.to_owned(), key_id.to_owned());
        self.read(move |conn| list_kms_key_materials(conn, &region, &key_id))
            .await
    }

    async fn add_kms_key_material(
        &self,
        material: KmsKeyMaterialRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            add_kms_key_material(conn, &material)?;
            append_change(conn, &change)
        })
        .await
    }

    async fn list_kms_regions(&self) -> Result<Vec<String>, StoreError> {
        self.read(list_kms_regions).await
    }

    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
        let region = region.to_owned();
        self.read(move |conn| list_kms_aliases(conn, &region)).await
    }

    async fn create_kms_alias(
        &self,
        alias: KmsAliasRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            create_kms_alias(conn, &alias)?;
            append_change(conn, &change)
        })
        .await
    }

    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
        change: Change,
    ) -> Result<(), StoreError> {
        let (region, alias, key_id) = (region.to_owned(), alias.to_owned(), key_id.to_owned());
        self.write(move |conn| {
            update_kms_alias(conn, &region, &alias, &key_id, updated_ms)?;
            append_change(conn, &change)
        })
        .await
    }

    async fn delete_kms_alias(
        &self,
        region: &str,
        alias: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        let (region, alias) = (region.to_owned(), alias.to_owned());
        self.write(move |conn| {
            let deleted = delete_kms_alias(conn, &region, &alias)?;
            if deleted {
                append_change(conn, &change)?;
            }
            Ok(deleted)
        })
        .await
    }
}
