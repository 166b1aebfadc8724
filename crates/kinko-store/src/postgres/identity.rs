//! Principals, their inline policies, and access-key management.
//!
//! Across servers, the checks that guard a write are made atomic with locks
//! taken inside the caller's transaction:
//!
//! - `put_policy` reads its principal `FOR KEY SHARE`, so a concurrent
//!   `delete_principal` (which takes the row `FOR UPDATE`) runs before or after it;
//! - `create_access_key_limited` and `delete_principal` take a transaction-scoped
//!   advisory lock on the principal's ARN, so two creates for one principal
//!   count its usable keys one after the other and cannot both pass the limit;
//! - `record_key_use` updates rows in access key id order, so two batches
//!   touching the same keys never deadlock.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::keys::{ACCESS_KEY_COLUMNS, access_key_from_row, create_access_key};
use super::{count, execute, query, query_one, query_opt};
use async_trait::async_trait;

use super::PostgresStore;
use super::changes::append_if;
use crate::IdentityRows;
use crate::{
    AccessKeyRecord, Change, KeyUse, OidcProviderRecord, PolicyRecord, PrincipalRecord, StoreError,
    tags_from_stored, tags_to_stored,
};

const PRINCIPAL_COLUMNS: &str = "name, kind, arn, tags, trust_policy, created_ms, unique_id";

const POLICY_COLUMNS: &str = "principal_arn, name, document, updated_ms";

fn principal_from_row(row: &Row) -> Result<PrincipalRecord, StoreError> {
    let kind: String = row.try_get(1)?;
    let tags: String = row.try_get(3)?;
    Ok(PrincipalRecord {
        name: row.try_get(0)?,
        kind: crate::principal_kind_from_stored(&kind)?,
        arn: row.try_get(2)?,
        unique_id: row.try_get(6)?,
        tags: tags_from_stored(&tags)?,
        trust_policy: row.try_get(4)?,
        created_ms: row.try_get(5)?,
    })
}

fn policy_from_row(row: &Row) -> Result<PolicyRecord, StoreError> {
    Ok(PolicyRecord {
        principal_arn: row.try_get(0)?,
        name: row.try_get(1)?,
        document: row.try_get(2)?,
        updated_ms: row.try_get(3)?,
    })
}

/// Serialises key creation and principal deletion for one principal.
async fn lock_principal_keys(conn: &impl GenericClient, arn: &str) -> Result<(), StoreError> {
    execute(
        conn,
        "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':kinko-keys:' || $1, 0))",
        &[&arn],
    )
    .await?;
    Ok(())
}

/// Errors: `AlreadyExists` when the name, the arn or the unique id is taken.
pub(super) async fn create_principal(
    conn: &impl GenericClient,
    principal: &PrincipalRecord,
) -> Result<(), StoreError> {
    let tags = tags_to_stored(&principal.tags)?;
    let kind = principal.kind.as_str();
    let params: [&(dyn ToSql + Sync); 7] = [
        &principal.name,
        &kind,
        &principal.arn,
        &tags,
        &principal.trust_policy,
        &principal.created_ms,
        &principal.unique_id,
    ];
    // No conflict target: a clash on either unique column skips the insert.
    let sql = format!(
        "INSERT INTO principals ({PRINCIPAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT DO NOTHING"
    );
    if execute(conn, &sql, &params).await? == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

pub(super) async fn get_principal(
    conn: &impl GenericClient,
    name: &str,
) -> Result<Option<PrincipalRecord>, StoreError> {
    let sql = format!("SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE name = $1");
    let row = query_opt(conn, &sql, &[&name]).await?;
    row.as_ref().map(principal_from_row).transpose()
}

pub(super) async fn get_principal_by_arn(
    conn: &impl GenericClient,
    arn: &str,
) -> Result<Option<PrincipalRecord>, StoreError> {
    let sql = format!("SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE arn = $1");
    let row = query_opt(conn, &sql, &[&arn]).await?;
    row.as_ref().map(principal_from_row).transpose()
}

pub(super) async fn list_principals(
    conn: &impl GenericClient,
) -> Result<Vec<PrincipalRecord>, StoreError> {
    let sql = format!("SELECT {PRINCIPAL_COLUMNS} FROM principals ORDER BY name");
    let rows = query(conn, &sql, &[]).await?;
    rows.iter().map(principal_from_row).collect()
}

/// Replaces tags and trust policy; name, kind, arn, unique id and creation time stay.
pub(super) async fn update_principal(
    conn: &impl GenericClient,
    principal: &PrincipalRecord,
) -> Result<(), StoreError> {
    let tags = tags_to_stored(&principal.tags)?;
    let updated = execute(
        conn,
        "UPDATE principals SET tags = $2, trust_policy = $3 WHERE name = $1",
        &[&principal.name, &tags, &principal.trust_policy],
    )
    .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Removes the principal, its policies and its access keys (in the caller's transaction).
pub(super) async fn delete_principal(
    conn: &impl GenericClient,
    name: &str,
) -> Result<bool, StoreError> {
    let row = query_opt(
        conn,
        "SELECT arn FROM principals WHERE name = $1 FOR UPDATE",
        &[&name],
    )
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let arn: String = row.try_get(0)?;
    lock_principal_keys(conn, &arn).await?;
    execute(
        conn,
        "DELETE FROM access_keys WHERE principal_arn = $1",
        &[&arn],
    )
    .await?;
    execute(
        conn,
        "DELETE FROM principal_policies WHERE principal_arn = $1",
        &[&arn],
    )
    .await?;
    execute(conn, "DELETE FROM principals WHERE name = $1", &[&name]).await?;
    Ok(true)
}

/// Upsert, in the caller's transaction. Errors: `NotFound` when no principal has the arn.
pub(super) async fn put_policy(
    conn: &impl GenericClient,
    policy: &PolicyRecord,
) -> Result<(), StoreError> {
    let principal = query_opt(
        conn,
        "SELECT 1 FROM principals WHERE arn = $1 FOR KEY SHARE",
        &[&policy.principal_arn],
    )
    .await?;
    if principal.is_none() {
        return Err(StoreError::NotFound);
    }
    let sql = format!(
        "INSERT INTO principal_policies ({POLICY_COLUMNS}) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (principal_arn, name) \
         DO UPDATE SET document = excluded.document, updated_ms = excluded.updated_ms"
    );
    execute(
        conn,
        &sql,
        &[
            &policy.principal_arn,
            &policy.name,
            &policy.document,
            &policy.updated_ms,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn get_policy(
    conn: &impl GenericClient,
    principal_arn: &str,
    name: &str,
) -> Result<Option<PolicyRecord>, StoreError> {
    let sql = format!(
        "SELECT {POLICY_COLUMNS} FROM principal_policies WHERE principal_arn = $1 AND name = $2"
    );
    let row = query_opt(conn, &sql, &[&principal_arn, &name]).await?;
    row.as_ref().map(policy_from_row).transpose()
}

pub(super) async fn list_policies(
    conn: &impl GenericClient,
    principal_arn: &str,
) -> Result<Vec<PolicyRecord>, StoreError> {
    let sql = format!(
        "SELECT {POLICY_COLUMNS} FROM principal_policies WHERE principal_arn = $1 ORDER BY name"
    );
    let rows = query(conn, &sql, &[&principal_arn]).await?;
    rows.iter().map(policy_from_row).collect()
}

/// Every policy of every principal, in (principal arn, name) order: for export.
pub(super) async fn all_policies(
    conn: &impl GenericClient,
) -> Result<Vec<PolicyRecord>, StoreError> {
    let sql =
        format!("SELECT {POLICY_COLUMNS} FROM principal_policies ORDER BY principal_arn, name");
    let rows = query(conn, &sql, &[]).await?;
    rows.iter().map(policy_from_row).collect()
}

pub(super) async fn delete_policy(
    conn: &impl GenericClient,
    principal_arn: &str,
    name: &str,
) -> Result<bool, StoreError> {
    let deleted = execute(
        conn,
        "DELETE FROM principal_policies WHERE principal_arn = $1 AND name = $2",
        &[&principal_arn, &name],
    )
    .await?;
    Ok(deleted > 0)
}

/// In the caller's transaction. Errors: `LimitExceeded` when the principal
/// already has `max_usable` usable keys, `AlreadyExists` for a taken id.
pub(super) async fn create_access_key_limited(
    conn: &impl GenericClient,
    key: &AccessKeyRecord,
    max_usable: usize,
    now_ms: i64,
) -> Result<(), StoreError> {
    lock_principal_keys(conn, &key.principal_arn).await?;
    let usable = query_one(
        conn,
        "SELECT COUNT(*) FROM access_keys WHERE principal_arn = $1 AND active \
         AND (retire_ms IS NULL OR retire_ms > $2)",
        &[&key.principal_arn, &now_ms],
    )
    .await?;
    if count(&usable)? >= max_usable {
        return Err(StoreError::LimitExceeded { max: max_usable });
    }
    create_access_key(conn, key).await
}

pub(super) async fn list_access_keys(
    conn: &impl GenericClient,
    principal_arn: Option<&str>,
) -> Result<Vec<AccessKeyRecord>, StoreError> {
    let rows = match principal_arn {
        Some(arn) => {
            let sql = format!(
                "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE principal_arn = $1 \
                 ORDER BY created_ms, access_key_id"
            );
            query(conn, &sql, &[&arn]).await?
        }
        None => {
            let sql = format!(
                "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys ORDER BY created_ms, access_key_id"
            );
            query(conn, &sql, &[]).await?
        }
    };
    rows.iter().map(access_key_from_row).collect()
}

pub(super) async fn update_access_key(
    conn: &impl GenericClient,
    access_key_id: &str,
    active: bool,
    retire_ms: Option<i64>,
) -> Result<(), StoreError> {
    let updated = execute(
        conn,
        "UPDATE access_keys SET active = $2, retire_ms = $3 WHERE access_key_id = $1",
        &[&access_key_id, &active, &retire_ms],
    )
    .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn delete_access_key(
    conn: &impl GenericClient,
    access_key_id: &str,
) -> Result<bool, StoreError> {
    let deleted = execute(
        conn,
        "DELETE FROM access_keys WHERE access_key_id = $1",
        &[&access_key_id],
    )
    .await?;
    Ok(deleted > 0)
}

/// The newest use per key, in access key id order (the lock order).
fn newest_per_key(uses: &[KeyUse]) -> Vec<&KeyUse> {
    let mut sorted: Vec<&KeyUse> = uses.iter().collect();
    // Newest first within a key, so the dedup below keeps it.
    sorted.sort_by(|a, b| {
        a.access_key_id
            .cmp(&b.access_key_id)
            .then(b.used_ms.cmp(&a.used_ms))
    });
    sorted.dedup_by(|later, first| later.access_key_id == first.access_key_id);
    sorted
}

/// In the caller's transaction. Only ever moves `last_used_ms` forward, so
/// batches from several servers may commit in any order.
pub(super) async fn record_key_use(
    conn: &impl GenericClient,
    uses: &[KeyUse],
) -> Result<(), StoreError> {
    for used in newest_per_key(uses) {
        execute(
            conn,
            "UPDATE access_keys SET last_used_ms = $2, last_used_operation = $3 \
             WHERE access_key_id = $1 AND (last_used_ms IS NULL OR last_used_ms < $2)",
            &[&used.access_key_id, &used.used_ms, &used.operation],
        )
        .await?;
    }
    Ok(())
}

/// Errors: `AlreadyExists` for a taken arn.
pub(super) async fn create_oidc_provider(
    conn: &impl GenericClient,
    provider: &OidcProviderRecord,
) -> Result<(), StoreError> {
    let inserted = execute(
        conn,
        "INSERT INTO oidc_providers (arn, config, created_ms) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
        &[&provider.arn, &provider.config, &provider.created_ms],
    )
    .await?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

fn oidc_provider_from_row(row: &Row) -> Result<OidcProviderRecord, StoreError> {
    Ok(OidcProviderRecord {
        arn: row.try_get(0)?,
        config: row.try_get(1)?,
        created_ms: row.try_get(2)?,
    })
}

pub(super) async fn get_oidc_provider(
    conn: &impl GenericClient,
    arn: &str,
) -> Result<Option<OidcProviderRecord>, StoreError> {
    let row = query_opt(
        conn,
        "SELECT arn, config, created_ms FROM oidc_providers WHERE arn = $1",
        &[&arn],
    )
    .await?;
    row.as_ref().map(oidc_provider_from_row).transpose()
}

/// Every provider, in arn order (also for export).
pub(super) async fn list_oidc_providers(
    conn: &impl GenericClient,
) -> Result<Vec<OidcProviderRecord>, StoreError> {
    let rows = query(
        conn,
        "SELECT arn, config, created_ms FROM oidc_providers ORDER BY arn",
        &[],
    )
    .await?;
    rows.iter().map(oidc_provider_from_row).collect()
}

pub(super) async fn delete_oidc_provider(
    conn: &impl GenericClient,
    arn: &str,
) -> Result<bool, StoreError> {
    let deleted = execute(conn, "DELETE FROM oidc_providers WHERE arn = $1", &[&arn]).await?;
    Ok(deleted > 0)
}

#[async_trait]
impl IdentityRows for PostgresStore {
    async fn create_oidc_provider(
        &self,
        provider: OidcProviderRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            let out = create_oidc_provider(&tx, &provider).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn get_oidc_provider(&self, arn: &str) -> Result<Option<OidcProviderRecord>, StoreError> {
        with_client!(self, |client| get_oidc_provider(&client, arn).await)
    }

    async fn list_oidc_providers(&self) -> Result<Vec<OidcProviderRecord>, StoreError> {
        with_client!(self, |client| list_oidc_providers(&client).await)
    }

    async fn delete_oidc_provider(&self, arn: &str, change: Change) -> Result<bool, StoreError> {
        transaction!(self, write, |tx| async {
            let out = delete_oidc_provider(&tx, arn).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, StoreError> {
        with_client!(self, |client| {
            super::keys::get_access_key(&client, access_key_id).await
        })
    }

    async fn create_access_key(
        &self,
        key: AccessKeyRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            let out = super::keys::create_access_key(&tx, &key).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn create_principal(
        &self,
        principal: PrincipalRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            let out = create_principal(&tx, &principal).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        with_client!(self, |client| get_principal(&client, name).await)
    }

    async fn get_principal_by_arn(&self, arn: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        with_client!(self, |client| get_principal_by_arn(&client, arn).await)
    }

    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        with_client!(self, |client| list_principals(&client).await)
    }

    async fn update_principal(
        &self,
        principal: PrincipalRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            let out = update_principal(&tx, &principal).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn delete_principal(&self, name: &str, change: Change) -> Result<bool, StoreError> {
        transaction!(self, write, |tx| async {
            let out = delete_principal(&tx, name).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn put_policy(&self, policy: PolicyRecord, change: Change) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            let out = put_policy(&tx, &policy).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn get_policy(
        &self,
        principal_arn: &str,
        name: &str,
    ) -> Result<Option<PolicyRecord>, StoreError> {
        with_client!(self, |client| {
            get_policy(&client, principal_arn, name).await
        })
    }

    async fn list_policies(&self, principal_arn: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        with_client!(self, |client| {
            list_policies(&client, principal_arn).await
        })
    }

    async fn delete_policy(
        &self,
        principal_arn: &str,
        name: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        transaction!(self, write, |tx| async {
            let out = delete_policy(&tx, principal_arn, name).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn create_access_key_limited(
        &self,
        key: AccessKeyRecord,
        max_usable: usize,
        now_ms: i64,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            let out = create_access_key_limited(&tx, &key, max_usable, now_ms).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn list_access_keys(
        &self,
        principal_arn: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        with_client!(self, |client| {
            list_access_keys(&client, principal_arn).await
        })
    }

    async fn update_access_key(
        &self,
        access_key_id: &str,
        active: bool,
        retire_ms: Option<i64>,
        change: Change,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            let out = update_access_key(&tx, access_key_id, active, retire_ms).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn delete_access_key(
        &self,
        access_key_id: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        transaction!(self, write, |tx| async {
            let out = delete_access_key(&tx, access_key_id).await?;
            append_if(&tx, &change, out).await
        })
    }

    async fn record_key_use(&self, uses: &[KeyUse]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        transaction!(self, write, |tx| record_key_use(&tx, uses))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(id: &str, used_ms: i64, operation: &str) -> KeyUse {
        KeyUse {
            access_key_id: id.to_owned(),
            used_ms,
            operation: operation.to_owned(),
        }
    }

    #[test]
    fn newest_per_key_keeps_one_newest_use_per_key_in_id_order() {
        let uses = [
            used("B", 5, "b-old"),
            used("A", 1, "a-old"),
            used("B", 9, "b-new"),
            used("A", 3, "a-new"),
            used("C", 2, "c"),
        ];
        let kept: Vec<_> = newest_per_key(&uses)
            .into_iter()
            .map(|u| (u.access_key_id.as_str(), u.used_ms, u.operation.as_str()))
            .collect();
        assert_eq!(
            kept,
            vec![("A", 3, "a-new"), ("B", 9, "b-new"), ("C", 2, "c")]
        );
        assert!(newest_per_key(&[]).is_empty());
    }
}
