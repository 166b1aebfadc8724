//! Export and import of a whole store (`kinko backup` / `kinko restore`),
//! each inside the caller's one transaction: an export reads one snapshot,
//! an import writes all or nothing.

use rusqlite::{Connection, params};

use super::{identity, keys, parameters, secrets};
use crate::{ParameterExport, Snapshot, StoreError};

fn regions_of(conn: &Connection, table: &str) -> Result<Vec<String>, StoreError> {
    // `table` is one of our own table names, never input.
    let mut stmt = conn.prepare(&format!(
        "SELECT DISTINCT region FROM {table} ORDER BY region"
    ))?;
    let regions = stmt
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(regions)
}

pub(super) fn export(conn: &Connection) -> Result<Snapshot, StoreError> {
    let mut snapshot = Snapshot::default();

    let heads = conn
        .prepare("SELECT region, name, display_name, latest_version FROM parameters ORDER BY region, name")?
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, u32>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (region, name, display_name, latest_version) in heads {
        let versions = parameters::parameter_history(conn, &region, &name)?.unwrap_or_default();
        let tags = parameters::tags_of(conn, &region, &name)?;
        snapshot.parameters.push(ParameterExport {
            region,
            name,
            display_name,
            latest_version,
            versions,
            tags,
        });
    }

    for region in regions_of(conn, "kms_keys")? {
        snapshot
            .kms_keys
            .extend(keys::list_kms_keys(conn, &region)?);
    }
    for key in &snapshot.kms_keys {
        snapshot
            .kms_key_materials
            .extend(keys::list_kms_key_materials(
                conn,
                &key.region,
                &key.key_id,
            )?);
    }
    for region in regions_of(conn, "kms_aliases")? {
        snapshot
            .kms_aliases
            .extend(keys::list_kms_aliases(conn, &region)?);
    }
    for region in regions_of(conn, "secrets")? {
        snapshot
            .secrets
            .extend(secrets::list_secrets(conn, &region)?);
    }

    snapshot.access_keys = conn
        .prepare(&format!(
            "SELECT {} FROM access_keys ORDER BY access_key_id",
            keys::ACCESS_KEY_COLUMNS
        ))?
        .query_map([], keys::access_key_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    snapshot.principals = identity::list_principals(conn)?;
    snapshot.policies = identity::all_policies(conn)?;
    snapshot.oidc_providers = identity::list_oidc_providers(conn)?;
    snapshot.meta = conn
        .prepare("SELECT key, value FROM meta ORDER BY key")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(snapshot)
}

/// Which kind of data the store already holds, if any.
fn first_data(conn: &Connection) -> Result<Option<&'static str>, StoreError> {
    for (table, what) in [
        ("parameters", "parameters"),
        ("secrets", "secrets"),
        ("kms_keys", "KMS keys"),
        ("access_keys", "access keys"),
        ("principals", "principals"),
        ("principal_policies", "policies"),
        ("oidc_providers", "OpenID Connect providers"),
    ] {
        if conn
            .prepare(&format!("SELECT 1 FROM {table} LIMIT 1"))?
            .exists([])?
        {
            return Ok(Some(what));
        }
    }
    Ok(None)
}

pub(super) fn import(conn: &Connection, snapshot: &Snapshot) -> Result<(), StoreError> {
    if let Some(what) = first_data(conn)? {
        return Err(StoreError::NotEmpty(format!("it holds {what}")));
    }
    for (key, value) in &snapshot.meta {
        let stored = keys::init_meta(conn, key, value)?;
        if &stored != value {
            return Err(StoreError::NotEmpty(format!(
                "its meta value {key:?} differs from the backup's"
            )));
        }
    }

    for p in &snapshot.parameters {
        conn.prepare_cached(
            "INSERT INTO parameters (region, name, display_name, latest_version) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![p.region, p.name, p.display_name, p.latest_version])?;
        for v in &p.versions {
            conn.prepare_cached(
                "INSERT INTO parameter_versions (region, name, version, value, parameter_type, \
                 key_id, description, allowed_pattern, tier, policies, data_type, modified_ms, \
                 modified_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                p.region,
                p.name,
                v.version,
                v.value,
                v.parameter_type.as_str(),
                v.key_id,
                v.description,
                v.allowed_pattern,
                v.tier,
                v.policies,
                v.data_type,
                v.last_modified_ms,
                v.last_modified_user,
            ])?;
            for label in &v.labels {
                conn.prepare_cached(
                    "INSERT INTO parameter_labels (region, name, label, version) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![p.region, p.name, label, v.version])?;
            }
        }
        for tag in &p.tags {
            conn.prepare_cached(
                "INSERT INTO parameter_tags (region, name, key, value) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![p.region, p.name, tag.key, tag.value])?;
        }
    }

    for key in &snapshot.kms_keys {
        keys::create_kms_key(conn, key, None)?;
    }
    for material in &snapshot.kms_key_materials {
        keys::add_kms_key_material(conn, material)?;
    }
    for alias in &snapshot.kms_aliases {
        keys::insert_alias(conn, alias)?;
    }
    for state in &snapshot.secrets {
        secrets::insert_record(conn, &state.record, state.record.revision)?;
        secrets::replace_tags(conn, &state.record)?;
        for version in &state.versions {
            secrets::upsert_version(conn, &state.record.region, &state.record.name, version)?;
        }
    }
    for key in &snapshot.access_keys {
        keys::create_access_key(conn, key)?;
    }
    for principal in &snapshot.principals {
        identity::create_principal(conn, principal)?;
    }
    for policy in &snapshot.policies {
        identity::put_policy(conn, policy)?;
    }
    for provider in &snapshot.oidc_providers {
        identity::create_oidc_provider(conn, provider)?;
    }
    Ok(())
}
