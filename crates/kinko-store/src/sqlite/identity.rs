//! Principals, their inline policies, and access-key management.
//!
//! Every write runs inside the caller's IMMEDIATE transaction on the single
//! writer, so a check and the write it guards (the usable-key limit, the
//! principal a policy needs) are atomic without further locking.

use rusqlite::{Connection, OptionalExtension, params};

use super::keys::{ACCESS_KEY_COLUMNS, access_key_from_row, create_access_key};
use async_trait::async_trait;

use super::SqliteStore;
use super::changes::append_if;
use crate::IdentityRows;
use crate::{
    AccessKeyRecord, Change, KeyUse, OidcProviderRecord, PolicyRecord, PrincipalRecord, StoreError,
    tags_from_stored, tags_to_stored,
};

const PRINCIPAL_COLUMNS: &str = "name, kind, arn, tags, trust_policy, created_ms, unique_id";

/// The raw columns of a principal row; the kind and tags are decoded after
/// rusqlite is done, so their errors stay `StoreError`s.
type PrincipalRow = (String, String, String, String, Option<String>, i64, String);

fn principal_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PrincipalRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn principal_from(
    (name, kind, arn, tags, trust_policy, created_ms, unique_id): PrincipalRow,
) -> Result<PrincipalRecord, StoreError> {
    Ok(PrincipalRecord {
        name,
        kind: crate::principal_kind_from_stored(&kind)?,
        arn,
        unique_id,
        tags: tags_from_stored(&tags)?,
        trust_policy,
        created_ms,
    })
}

/// Errors: `AlreadyExists` when the name, the arn or the unique id is taken.
pub(super) fn create_principal(
    conn: &Connection,
    principal: &PrincipalRecord,
) -> Result<(), StoreError> {
    // No conflict target: a clash on either unique column skips the insert.
    let inserted = conn
        .prepare_cached(&format!(
            "INSERT INTO principals ({PRINCIPAL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT DO NOTHING"
        ))?
        .execute(params![
            principal.name,
            principal.kind.as_str(),
            principal.arn,
            tags_to_stored(&principal.tags)?,
            principal.trust_policy,
            principal.created_ms,
            principal.unique_id,
        ])?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

pub(super) fn get_principal(
    conn: &Connection,
    name: &str,
) -> Result<Option<PrincipalRecord>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE name = ?1"
        ))?
        .query_row(params![name], principal_row)
        .optional()?;
    row.map(principal_from).transpose()
}

pub(super) fn get_principal_by_arn(
    conn: &Connection,
    arn: &str,
) -> Result<Option<PrincipalRecord>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE arn = ?1"
        ))?
        .query_row(params![arn], principal_row)
        .optional()?;
    row.map(principal_from).transpose()
}

pub(super) fn list_principals(conn: &Connection) -> Result<Vec<PrincipalRecord>, StoreError> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals ORDER BY name"
        ))?
        .query_map([], principal_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(principal_from).collect()
}

/// Replaces tags and trust policy; name, kind, arn, unique id and creation time stay.
pub(super) fn update_principal(
    conn: &Connection,
    principal: &PrincipalRecord,
) -> Result<(), StoreError> {
    let updated = conn
        .prepare_cached("UPDATE principals SET tags = ?2, trust_policy = ?3 WHERE name = ?1")?
        .execute(params![
            principal.name,
            tags_to_stored(&principal.tags)?,
            principal.trust_policy,
        ])?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Removes the principal, its policies and its access keys.
pub(super) fn delete_principal(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    let arn: Option<String> = conn
        .prepare_cached("SELECT arn FROM principals WHERE name = ?1")?
        .query_row(params![name], |row| row.get(0))
        .optional()?;
    let Some(arn) = arn else {
        return Ok(false);
    };
    conn.prepare_cached("DELETE FROM access_keys WHERE principal_arn = ?1")?
        .execute(params![arn])?;
    conn.prepare_cached("DELETE FROM principal_policies WHERE principal_arn = ?1")?
        .execute(params![arn])?;
    conn.prepare_cached("DELETE FROM principals WHERE name = ?1")?
        .execute(params![name])?;
    Ok(true)
}

/// Upsert. Errors: `NotFound` when no principal has the arn.
pub(super) fn put_policy(conn: &Connection, policy: &PolicyRecord) -> Result<(), StoreError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM principals WHERE arn = ?1")?
        .exists(params![policy.principal_arn])?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    conn.prepare_cached(
        "INSERT INTO principal_policies (principal_arn, name, document, updated_ms) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (principal_arn, name) \
         DO UPDATE SET document = excluded.document, updated_ms = excluded.updated_ms",
    )?
    .execute(params![
        policy.principal_arn,
        policy.name,
        policy.document,
        policy.updated_ms,
    ])?;
    Ok(())
}

fn policy_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PolicyRecord> {
    Ok(PolicyRecord {
        principal_arn: row.get(0)?,
        name: row.get(1)?,
        document: row.get(2)?,
        updated_ms: row.get(3)?,
    })
}

pub(super) fn get_policy(
    conn: &Connection,
    principal_arn: &str,
    name: &str,
) -> Result<Option<PolicyRecord>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT principal_arn, name, document, updated_ms FROM principal_policies \
             WHERE principal_arn = ?1 AND name = ?2",
        )?
        .query_row(params![principal_arn, name], policy_from_row)
        .optional()?)
}

pub(super) fn list_policies(
    conn: &Connection,
    principal_arn: &str,
) -> Result<Vec<PolicyRecord>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT principal_arn, name, document, updated_ms FROM principal_policies \
             WHERE principal_arn = ?1 ORDER BY name",
        )?
        .query_map(params![principal_arn], policy_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Every policy of every principal, in (principal arn, name) order: for export.
pub(super) fn all_policies(conn: &Connection) -> Result<Vec<PolicyRecord>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT principal_arn, name, document, updated_ms FROM principal_policies \
             ORDER BY principal_arn, name",
        )?
        .query_map([], policy_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn delete_policy(
    conn: &Connection,
    principal_arn: &str,
    name: &str,
) -> Result<bool, StoreError> {
    let deleted = conn
        .prepare_cached("DELETE FROM principal_policies WHERE principal_arn = ?1 AND name = ?2")?
        .execute(params![principal_arn, name])?;
    Ok(deleted > 0)
}

/// Errors: `LimitExceeded` when the principal already has `max_usable`
/// usable keys, `AlreadyExists` for a taken id.
pub(super) fn create_access_key_limited(
    conn: &Connection,
    key: &AccessKeyRecord,
    max_usable: usize,
    now_ms: i64,
) -> Result<(), StoreError> {
    let usable: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM access_keys WHERE principal_arn = ?1 AND active \
             AND (retire_ms IS NULL OR retire_ms > ?2)",
        )?
        .query_row(params![key.principal_arn, now_ms], |row| row.get(0))?;
    if usize::try_from(usable).unwrap_or(usize::MAX) >= max_usable {
        return Err(StoreError::LimitExceeded { max: max_usable });
    }
    create_access_key(conn, key)
}

pub(super) fn list_access_keys(
    conn: &Connection,
    principal_arn: Option<&str>,
) -> Result<Vec<AccessKeyRecord>, StoreError> {
    let keys = match principal_arn {
        Some(arn) => conn
            .prepare_cached(&format!(
                "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE principal_arn = ?1 \
                 ORDER BY created_ms, access_key_id"
            ))?
            .query_map(params![arn], access_key_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
        None => conn
            .prepare_cached(&format!(
                "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys ORDER BY created_ms, access_key_id"
            ))?
            .query_map([], access_key_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
    };
    Ok(keys)
}

pub(super) fn update_access_key(
    conn: &Connection,
    access_key_id: &str,
    active: bool,
    retire_ms: Option<i64>,
) -> Result<(), StoreError> {
    let updated = conn
        .prepare_cached(
            "UPDATE access_keys SET active = ?2, retire_ms = ?3 WHERE access_key_id = ?1",
        )?
        .execute(params![access_key_id, active, retire_ms])?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn delete_access_key(
    conn: &Connection,
    access_key_id: &str,
) -> Result<bool, StoreError> {
    let deleted = conn
        .prepare_cached("DELETE FROM access_keys WHERE access_key_id = ?1")?
        .execute(params![access_key_id])?;
    Ok(deleted > 0)
}

/// Only ever moves `last_used_ms` forward, so batches from several servers
/// may arrive in any order.
pub(super) fn record_key_use(conn: &Connection, uses: &[KeyUse]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE access_keys SET last_used_ms = ?2, last_used_operation = ?3 \
         WHERE access_key_id = ?1 AND (last_used_ms IS NULL OR last_used_ms < ?2)",
    )?;
    for used in uses {
        stmt.execute(params![used.access_key_id, used.used_ms, used.operation])?;
    }
    Ok(())
}

/// Errors: `AlreadyExists` for a taken arn.
pub(super) fn create_oidc_provider(
    conn: &Connection,
    provider: &OidcProviderRecord,
) -> Result<(), StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO oidc_providers (arn, config, created_ms) VALUES (?1, ?2, ?3) \
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![provider.arn, provider.config, provider.created_ms])?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

fn oidc_provider_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OidcProviderRecord> {
    Ok(OidcProviderRecord {
        arn: row.get(0)?,
        config: row.get(1)?,
        created_ms: row.get(2)?,
    })
}

pub(super) fn get_oidc_provider(
    conn: &Connection,
    arn: &str,
) -> Result<Option<OidcProviderRecord>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT arn, config, created_ms FROM oidc_providers WHERE arn = ?1")?
        .query_row(params![arn], oidc_provider_from_row)
        .optional()?)
}

/// Every provider, in arn order (also for export).
pub(super) fn list_oidc_providers(
    conn: &Connection,
) -> Result<Vec<OidcProviderRecord>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT arn, config, created_ms FROM oidc_providers ORDER BY arn")?
        .query_map([], oidc_provider_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn delete_oidc_provider(conn: &Connection, arn: &str) -> Result<bool, StoreError> {
    let deleted = conn
        .prepare_cached("DELETE FROM oidc_providers WHERE arn = ?1")?
        .execute(params![arn])?;
    Ok(deleted > 0)
}

#[async_trait]
impl IdentityRows for SqliteStore {
    async fn create_oidc_provider(
        &self,
        provider: OidcProviderRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let out = create_oidc_provider(conn, &provider)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn get_oidc_provider(&self, arn: &str) -> Result<Option<OidcProviderRecord>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |conn| get_oidc_provider(conn, &arn)).await
    }

    async fn list_oidc_providers(&self) -> Result<Vec<OidcProviderRecord>, StoreError> {
        self.read(list_oidc_providers).await
    }

    async fn delete_oidc_provider(&self, arn: &str, change: Change) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        self.write(move |conn| {
            let out = delete_oidc_provider(conn, &arn)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.read(move |conn| super::keys::get_access_key(conn, &access_key_id))
            .await
    }

    async fn create_access_key(
        &self,
        key: AccessKeyRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let out = super::keys::create_access_key(conn, &key)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn create_principal(
        &self,
        principal: PrincipalRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let out = create_principal(conn, &principal)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| get_principal(conn, &name)).await
    }

    async fn get_principal_by_arn(&self, arn: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |conn| get_principal_by_arn(conn, &arn))
            .await
    }

    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        self.read(list_principals).await
    }

    async fn update_principal(
        &self,
        principal: PrincipalRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let out = update_principal(conn, &principal)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn delete_principal(&self, name: &str, change: Change) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.write(move |conn| {
            let out = delete_principal(conn, &name)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn put_policy(&self, policy: PolicyRecord, change: Change) -> Result<(), StoreError> {
        self.write(move |conn| {
            let out = put_policy(conn, &policy)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn get_policy(
        &self,
        principal_arn: &str,
        name: &str,
    ) -> Result<Option<PolicyRecord>, StoreError> {
        let (principal_arn, name) = (principal_arn.to_owned(), name.to_owned());
        self.read(move |conn| get_policy(conn, &principal_arn, &name))
            .await
    }

    async fn list_policies(&self, principal_arn: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        let principal_arn = principal_arn.to_owned();
        self.read(move |conn| list_policies(conn, &principal_arn))
            .await
    }

    async fn delete_policy(
        &self,
        principal_arn: &str,
        name: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        let (principal_arn, name) = (principal_arn.to_owned(), name.to_owned());
        self.write(move |conn| {
            let out = delete_policy(conn, &principal_arn, &name)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn create_access_key_limited(
        &self,
        key: AccessKeyRecord,
        max_usable: usize,
        now_ms: i64,
        change: Change,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let out = create_access_key_limited(conn, &key, max_usable, now_ms)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn list_access_keys(
        &self,
        principal_arn: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let principal_arn = principal_arn.map(str::to_owned);
        self.read(move |conn| list_access_keys(conn, principal_arn.as_deref()))
            .await
    }

    async fn update_access_key(
        &self,
        access_key_id: &str,
        active: bool,
        retire_ms: Option<i64>,
        change: Change,
    ) -> Result<(), StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.write(move |conn| {
            let out = update_access_key(conn, &access_key_id, active, retire_ms)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn delete_access_key(
        &self,
        access_key_id: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.write(move |conn| {
            let out = delete_access_key(conn, &access_key_id)?;
            append_if(conn, &change, out)
        })
        .await
    }

    async fn record_key_use(&self, uses: &[KeyUse]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        let uses = uses.to_vec();
        self.write(move |conn| record_key_use(conn, &uses)).await
    }
}
