//! KMS-style keys and aliases, SigV4 access keys, and server metadata.
//!
//! Inserts use `ON CONFLICT DO NOTHING` and read the row count: of two
//! servers creating the same key at once, exactly one sees it inserted.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{execute, query, query_opt};
use async_trait::async_trait;

use super::PostgresStore;
use super::changes::append_change;
use crate::KeyRows;
use crate::{
    AccessKeyRecord, Change, KmsAliasRecord, KmsKeyMaterialRecord, KmsKeyRecord, StoreError,
};

const KEY_COLUMNS: &str =
    "region, key_id, wrapped_material, description, enabled, key_manager, created_ms, metadata";

fn key_from_row(row: &Row) -> Result<KmsKeyRecord, StoreError> {
    Ok(KmsKeyRecord {
        region: row.try_get(0)?,
        key_id: row.try_get(1)?,
        wrapped_material: row.try_get(2)?,
        description: row.try_get(3)?,
        enabled: row.try_get(4)?,
        key_manager: row.try_get(5)?,
        created_ms: row.try_get(6)?,
        metadata: row.try_get(7)?,
    })
}

pub(super) async fn get_kms_key(
    conn: &impl GenericClient,
    region: &str,
    key_id: &str,
) -> Result<Option<KmsKeyRecord>, StoreError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM kms_keys WHERE region = $1 AND key_id = $2");
    let row = query_opt(conn, &sql, &[&region, &key_id]).await?;
    row.as_ref().map(key_from_row).transpose()
}

pub(super) async fn get_kms_alias(
    conn: &impl GenericClient,
    region: &str,
    alias: &str,
) -> Result<Option<String>, StoreError> {
    let row = query_opt(
        conn,
        "SELECT key_id FROM kms_aliases WHERE region = $1 AND alias = $2",
        &[&region, &alias],
    )
    .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

async fn kms_key_exists(
    conn: &impl GenericClient,
    region: &str,
    key_id: &str,
) -> Result<bool, StoreError> {
    let row = query_opt(
        conn,
        "SELECT 1 FROM kms_keys WHERE region = $1 AND key_id = $2",
        &[&region, &key_id],
    )
    .await?;
    Ok(row.is_some())
}

/// Runs inside the caller's transaction: the key and its alias are
/// inserted together or not at all.
pub(super) async fn create_kms_key(
    conn: &impl GenericClient,
    key: &KmsKeyRecord,
    alias: Option<&str>,
) -> Result<(), StoreError> {
    if let Some(alias) = alias
        && get_kms_alias(conn, &key.region, alias).await?.is_some()
    {
        return Err(StoreError::AlreadyExists);
    }
    let params: [&(dyn ToSql + Sync); 8] = [
        &key.region,
        &key.key_id,
        &key.wrapped_material,
        &key.description,
        &key.enabled,
        &key.key_manager,
        &key.created_ms,
        &key.metadata,
    ];
    let inserted = execute(
        conn,
        "INSERT INTO kms_keys (region, key_id, wrapped_material, description, enabled, \
         key_manager, created_ms, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (region, key_id) DO NOTHING",
        &params,
    )
    .await?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
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
        )
        .await?;
    }
    Ok(())
}

/// Errors: `AlreadyExists` when the alias is taken (also by a concurrent
/// creator that committed first).
pub(super) async fn insert_alias(
    conn: &impl GenericClient,
    alias: &KmsAliasRecord,
) -> Result<(), StoreError> {
    let inserted = execute(
        conn,
        "INSERT INTO kms_aliases (region, alias, key_id, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region, alias) DO NOTHING",
        &[
            &alias.region,
            &alias.alias,
            &alias.key_id,
            &alias.created_ms,
            &alias.updated_ms,
        ],
    )
    .await?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

pub(super) async fn list_kms_keys(
    conn: &impl GenericClient,
    region: &str,
) -> Result<Vec<KmsKeyRecord>, StoreError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM kms_keys WHERE region = $1 ORDER BY key_id");
    let rows = query(conn, &sql, &[&region]).await?;
    rows.iter().map(key_from_row).collect()
}

/// Replaces the mutable fields; `key_manager` and `created_ms` are fixed at
/// creation and kept.
pub(super) async fn update_kms_key(
    conn: &impl GenericClient,
    key: &KmsKeyRecord,
) -> Result<(), StoreError> {
    let updated = execute(
        conn,
        "UPDATE kms_keys SET wrapped_material = $3, description = $4, enabled = $5, \
         metadata = $6 WHERE region = $1 AND key_id = $2",
        &[
            &key.region,
            &key.key_id,
            &key.wrapped_material,
            &key.description,
            &key.enabled,
            &key.metadata,
        ],
    )
    .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn list_kms_key_materials(
    conn: &impl GenericClient,
    region: &str,
    key_id: &str,
) -> Result<Vec<KmsKeyMaterialRecord>, StoreError> {
    let rows = query(
        conn,
        "SELECT version, material_id, wrapped_material, rotation_type, created_ms \
         FROM kms_key_materials WHERE region = $1 AND key_id = $2 ORDER BY version",
        &[&region, &key_id],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(KmsKeyMaterialRecord {
                region: region.to_owned(),
                key_id: key_id.to_owned(),
                version: row.try_get(0)?,
                material_id: row.try_get(1)?,
                wrapped_material: row.try_get(2)?,
                rotation_type: row.try_get(3)?,
                created_ms: row.try_get(4)?,
            })
        })
        .collect()
}

/// Runs inside the caller's transaction. Of two servers adding the same
/// version at once, exactly one sees it inserted.
pub(super) async fn add_kms_key_material(
    conn: &impl GenericClient,
    m: &KmsKeyMaterialRecord,
) -> Result<(), StoreError> {
    if !kms_key_exists(conn, &m.region, &m.key_id).await? {
        return Err(StoreError::NotFound);
    }
    let params: [&(dyn ToSql + Sync); 7] = [
        &m.region,
        &m.key_id,
        &m.version,
        &m.material_id,
        &m.wrapped_material,
        &m.rotation_type,
        &m.created_ms,
    ];
    let inserted = execute(
        conn,
        "INSERT INTO kms_key_materials (region, key_id, version, material_id, \
         wrapped_material, rotation_type, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (region, key_id, version) DO NOTHING",
        &params,
    )
    .await?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

pub(super) async fn list_kms_regions(conn: &impl GenericClient) -> Result<Vec<String>, StoreError> {
    let rows = query(
        conn,
        "SELECT DISTINCT region FROM kms_keys ORDER BY region",
        &[],
    )
    .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

pub(super) async fn list_kms_aliases(
    conn: &impl GenericClient,
    region: &str,
) -> Result<Vec<KmsAliasRecord>, StoreError> {
    let rows = query(
        conn,
        "SELECT alias, key_id, created_ms, updated_ms FROM kms_aliases WHERE region = $1 \
         ORDER BY alias",
        &[&region],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(KmsAliasRecord {
                region: region.to_owned(),
                alias: row.try_get(0)?,
                key_id: row.try_get(1)?,
                created_ms: row.try_get(2)?,
                updated_ms: row.try_get(3)?,
            })
        })
        .collect()
}

/// Errors: `AlreadyExists` for a taken alias, `NotFound` when the target key
/// does not exist in the alias's region (an alias never dangles).
pub(super) async fn create_kms_alias(
    conn: &impl GenericClient,
    alias: &KmsAliasRecord,
) -> Result<(), StoreError> {
    if get_kms_alias(conn, &alias.region, &alias.alias)
        .await?
        .is_some()
    {
        return Err(StoreError::AlreadyExists);
    }
    if !kms_key_exists(conn, &alias.region, &alias.key_id).await? {
        return Err(StoreError::NotFound);
    }
    insert_alias(conn, alias).await
}

/// Errors: `NotFound` when the alias or the new target key does not exist.
pub(super) async fn update_kms_alias(
    conn: &impl GenericClient,
    region: &str,
    alias: &str,
    key_id: &str,
    updated_ms: i64,
) -> Result<(), StoreError> {
    if !kms_key_exists(conn, region, key_id).await? {
        return Err(StoreError::NotFound);
    }
    let updated = execute(
        conn,
        "UPDATE kms_aliases SET key_id = $3, updated_ms = $4 WHERE region = $1 AND alias = $2",
        &[&region, &alias, &key_id, &updated_ms],
    )
    .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn delete_kms_alias(
    conn: &impl GenericClient,
    region: &str,
    alias: &str,
) -> Result<bool, StoreError> {
    let deleted = execute(
        conn,
        "DELETE FROM kms_aliases WHERE region = $1 AND alias = $2",
        &[&region, &alias],
    )
    .await?;
    Ok(deleted > 0)
}

/// The columns [`access_key_from_row`] reads, in its order.
pub(super) const ACCESS_KEY_COLUMNS: &str = "access_key_id, principal_arn, sealed_secret, active, \
     created_ms, retire_ms, last_used_ms, last_used_operation";

pub(super) fn access_key_from_row(row: &Row) -> Result<AccessKeyRecord, StoreError> {
    Ok(AccessKeyRecord {
        access_key_id: row.try_get(0)?,
        principal_arn: row.try_get(1)?,
        sealed_secret: row.try_get(2)?,
        active: row.try_get(3)?,
        created_ms: row.try_get(4)?,
        retire_ms: row.try_get(5)?,
        last_used_ms: row.try_get(6)?,
        last_used_operation: row.try_get(7)?,
    })
}

pub(super) async fn get_access_key(
    conn: &impl GenericClient,
    access_key_id: &str,
) -> Result<Option<AccessKeyRecord>, StoreError> {
    let sql = format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE access_key_id = $1");
    let row = query_opt(conn, &sql, &[&access_key_id]).await?;
    row.as_ref().map(access_key_from_row).transpose()
}

/// Inserts every field as given (a restore keeps last-use facts).
pub(super) async fn create_access_key(
    conn: &impl GenericClient,
    key: &AccessKeyRecord,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO access_keys ({ACCESS_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (access_key_id) DO NOTHING"
    );
    let params: [&(dyn ToSql + Sync); 8] = [
        &key.access_key_id,
        &key.principal_arn,
        &key.sealed_secret,
        &key.active,
        &key.created_ms,
        &key.retire_ms,
        &key.last_used_ms,
        &key.last_used_operation,
    ];
    let inserted = execute(conn, &sql, &params).await?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

pub(super) async fn get_meta(
    conn: &impl GenericClient,
    key: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = query_opt(conn, "SELECT value FROM meta WHERE key = $1", &[&key]).await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// First writer wins, across servers: the insert is skipped when the key
/// exists (waiting for a concurrent inserter to commit or roll back), and
/// the read that follows, a separate statement at READ COMMITTED, sees
/// whichever value was stored first.
pub(super) async fn init_meta(
    conn: &impl GenericClient,
    key: &str,
    value: &[u8],
) -> Result<Vec<u8>, StoreError> {
    execute(
        conn,
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        &[&key, &value],
    )
    .await?;
    get_meta(conn, key)
        .await?
        .ok_or_else(|| StoreError::Backend("meta value vanished after its insert".to_owned()))
}

#[async_trait]
impl KeyRows for PostgresStore {
    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError> {
        with_client!(self, |client| get_kms_key(&client, region, key_id).await)
    }

    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError> {
        with_client!(self, |client| {
            get_kms_alias(&client, region, alias).await
        })
    }

    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            create_kms_key(&tx, &key, alias).await?;
            append_change(&tx, &change).await
        })
    }

    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
        with_client!(self, |client| list_kms_keys(&client, region).await)
    }

    async fn update_kms_key(&self, key: KmsKeyRecord, change: Change) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            update_kms_key(&tx, &key).await?;
            append_change(&tx, &change).await
        })
    }

    async fn list_kms_key_materials(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Vec<KmsKeyMaterialRecord>, StoreError> {
        with_client!(self, |client| list_kms_key_materials(
            &client, region, key_id
        )
        .await)
    }

    async fn add_kms_key_material(
        &self,
        material: KmsKeyMaterialRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            add_kms_key_material(&tx, &material).await?;
            append_change(&tx, &change).await
        })
    }

    async fn list_kms_regions(&self) -> Result<Vec<String>, StoreError> {
        with_client!(self, |client| list_kms_regions(&client).await)
    }

    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
        with_client!(self, |client| list_kms_aliases(&client, region).await)
    }

    async fn create_kms_alias(
        &self,
        alias: KmsAliasRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            create_kms_alias(&tx, &alias).await?;
            append_change(&tx, &change).await
        })
    }

    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            update_kms_alias(&tx, region, alias, key_id, updated_ms).await?;
            append_change(&tx, &change).await
        })
    }

    async fn delete_kms_alias(
        &self,
        region: &str,
        alias: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        transaction!(self, write, |tx| async {
            let deleted = delete_kms_alias(&tx, region, alias).await?;
            if deleted {
                append_change(&tx, &change).await?;
            }
            Ok(deleted)
        })
    }
}
