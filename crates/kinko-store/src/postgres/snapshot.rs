//! Export and import of a whole store (`kinko backup` / `kinko restore`),
//! each inside the caller's one transaction: an export reads one
//! REPEATABLE READ snapshot, an import writes all or nothing.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::{execute, identity, keys, parameters, query, secrets, to_u32};
use crate::{ParameterExport, Snapshot, StoreError};

async fn regions_of(conn: &impl GenericClient, table: &str) -> Result<Vec<String>, StoreError> {
    // `table` is one of our own table names, never input.
    let rows = query(
        conn,
        &format!("SELECT DISTINCT region FROM {table} ORDER BY region"),
        &[],
    )
    .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

pub(super) async fn export(conn: &impl GenericClient) -> Result<Snapshot, StoreError> {
    let mut snapshot = Snapshot::default();

    let heads = query(
        conn,
        "SELECT region, name, display_name, latest_version FROM parameters ORDER BY region, name",
        &[],
    )
    .await?;
    for row in &heads {
        let region: String = row.try_get(0)?;
        let name: String = row.try_get(1)?;
        let versions = parameters::parameter_history(conn, &region, &name)
            .await?
            .unwrap_or_default();
        let tags = parameters::tags_of(conn, &region, &name).await?;
        snapshot.parameters.push(ParameterExport {
            display_name: row.try_get(2)?,
            latest_version: to_u32(row.try_get(3)?)?,
            region,
            name,
            versions,
            tags,
        });
    }

    for region in regions_of(conn, "kms_keys").await? {
        snapshot
            .kms_keys
            .extend(keys::list_kms_keys(conn, &region).await?);
    }
    for key in &snapshot.kms_keys {
        snapshot
            .kms_key_materials
            .extend(keys::list_kms_key_materials(conn, &key.region, &key.key_id).await?);
    }
    for region in regions_of(conn, "kms_aliases").await? {
        snapshot
            .kms_aliases
            .extend(keys::list_kms_aliases(conn, &region).await?);
    }
    for region in regions_of(conn, "secrets").await? {
        snapshot
            .secrets
            .extend(secrets::list_secrets(conn, &region).await?);
    }

    let sql = format!(
        "SELECT {} FROM access_keys ORDER BY access_key_id",
        keys::ACCESS_KEY_COLUMNS
    );
    for row in &query(conn, &sql, &[]).await? {
        snapshot.access_keys.push(keys::access_key_from_row(row)?);
    }
    snapshot.principals = identity::list_principals(conn).await?;
    snapshot.policies = identity::all_policies(conn).await?;
    snapshot.oidc_providers = identity::list_oidc_providers(conn).await?;
    let rows = query(conn, "SELECT key, value FROM meta ORDER BY key", &[]).await?;
    for row in &rows {
        snapshot.meta.push((row.try_get(0)?, row.try_get(1)?));
    }
    Ok(snapshot)
}

/// Which kind of data the store already holds, if any.
async fn first_data(conn: &impl GenericClient) -> Result<Option<&'static str>, StoreError> {
    for (table, what) in [
        ("parameters", "parameters"),
        ("secrets", "secrets"),
        ("kms_keys", "KMS keys"),
        ("access_keys", "access keys"),
        ("principals", "principals"),
        ("principal_policies", "policies"),
        ("oidc_providers", "OpenID Connect providers"),
    ] {
        let rows = query(conn, &format!("SELECT 1 FROM {table} LIMIT 1"), &[]).await?;
        if !rows.is_empty() {
            return Ok(Some(what));
        }
    }
    Ok(None)
}

pub(super) async fn import(
    conn: &impl GenericClient,
    snapshot: &Snapshot,
) -> Result<(), StoreError> {
    // Two restores into one empty database at once: the second waits here,
    // then finds the first one's data.
    execute(
        conn,
        "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':kinko-restore', 0))",
        &[],
    )
    .await?;
    if let Some(what) = first_data(conn).await? {
        return Err(StoreError::NotEmpty(format!("it holds {what}")));
    }
    for (key, value) in &snapshot.meta {
        let stored = keys::init_meta(conn, key, value).await?;
        if &stored != value {
            return Err(StoreError::NotEmpty(format!(
                "its meta value {key:?} differs from the backup's"
            )));
        }
    }

    for p in &snapshot.parameters {
        execute(
            conn,
            "INSERT INTO parameters (region, name, display_name, latest_version) \
             VALUES ($1, $2, $3, $4)",
            &[
                &p.region,
                &p.name,
                &p.display_name,
                &i64::from(p.latest_version),
            ],
        )
        .await?;
        for v in &p.versions {
            let version = i64::from(v.version);
            let params: [&(dyn ToSql + Sync); 13] = [
                &p.region,
                &p.name,
                &version,
                &v.value,
                &v.parameter_type.as_str(),
                &v.key_id,
                &v.description,
                &v.allowed_pattern,
                &v.tier,
                &v.policies,
                &v.data_type,
                &v.last_modified_ms,
                &v.last_modified_user,
            ];
            execute(
                conn,
                "INSERT INTO parameter_versions (region, name, version, value, parameter_type, \
                 key_id, description, allowed_pattern, tier, policies, data_type, modified_ms, \
                 modified_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &params,
            )
            .await?;
            for label in &v.labels {
                execute(
                    conn,
                    "INSERT INTO parameter_labels (region, name, label, version) \
                     VALUES ($1, $2, $3, $4)",
                    &[&p.region, &p.name, label, &version],
                )
                .await?;
            }
        }
        for tag in &p.tags {
            execute(
                conn,
                "INSERT INTO parameter_tags (region, name, key, value) VALUES ($1, $2, $3, $4)",
                &[&p.region, &p.name, &tag.key, &tag.value],
            )
            .await?;
        }
    }

    for key in &snapshot.kms_keys {
        keys::create_kms_key(conn, key, None).await?;
    }
    for material in &snapshot.kms_key_materials {
        keys::add_kms_key_material(conn, material).await?;
    }
    for alias in &snapshot.kms_aliases {
        keys::insert_alias(conn, alias).await?;
    }
    for state in &snapshot.secrets {
        let record = &state.record;
        if !secrets::insert_record(conn, record, record.revision).await? {
            return Err(StoreError::AlreadyExists);
        }
        secrets::replace_tags(conn, record).await?;
        for version in &state.versions {
            secrets::upsert_version(conn, &record.region, &record.name, version).await?;
        }
    }
    for key in &snapshot.access_keys {
        keys::create_access_key(conn, key).await?;
    }
    for principal in &snapshot.principals {
        identity::create_principal(conn, principal).await?;
    }
    for policy in &snapshot.policies {
        identity::put_policy(conn, policy).await?;
    }
    for provider in &snapshot.oidc_providers {
        identity::create_oidc_provider(conn, provider).await?;
    }
    Ok(())
}
