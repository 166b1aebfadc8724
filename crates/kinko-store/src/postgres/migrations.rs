//! Schema migrations, applied in order by `PostgresStore::open` or by
//! `kinko migrate`.
//!
//! The schema version is one row in `kinko_schema_version`, written in the
//! same transaction as the migrations (PostgreSQL DDL is transactional), so
//! a failure mid-way leaves the old schema, never half of one. The
//! transaction first takes an advisory lock, so servers starting together
//! against an empty database migrate once, one after the other.

use deadpool_postgres::Client;

use crate::StoreError;

/// Every migration, in order; version N means the first N are applied.
/// Never edit a shipped file: append a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_identity.sql"),
    include_str!("../../migrations/postgres/0003_principal_ids.sql"),
    include_str!("../../migrations/postgres/0004_kms_key_materials.sql"),
    include_str!("../../migrations/postgres/0005_oidc_providers.sql"),
    include_str!("../../migrations/postgres/0006_changes.sql"),
    include_str!("../../migrations/postgres/0007_webhooks.sql"),
    include_str!("../../migrations/postgres/0008_parameter_policy_actions.sql"),
];

/// Advisory lock key held while migrating ("kinko" in ASCII, then 1).
const MIGRATION_LOCK: i64 = 0x6b69_6e6b_6f01;

/// What a migration run found and left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Schema version before the run (0 for an empty schema).
    pub from: usize,
    /// Schema version after it: the latest this build knows.
    pub to: usize,
}

pub(super) async fn migrate(client: &mut Client) -> Result<Migration, StoreError> {
    let tx = client.transaction().await?;
    // Waiting for another server's migration, or a long ALTER, is no
    // request's deadline: lift the session's statement timeouts here.
    tx.batch_execute(super::NO_SERVER_TIMEOUTS).await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS kinko_schema_version (version BIGINT NOT NULL)")
        .await?;
    let current: Option<i64> = tx
        .query_opt("SELECT version FROM kinko_schema_version", &[])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    let applied = match current {
        None => 0,
        Some(version) => usize::try_from(version)
            .map_err(|_| StoreError::Backend(format!("invalid schema version {version}")))?,
    };
    let known = MIGRATIONS.len();
    if applied > known {
        return Err(StoreError::Backend(format!(
            "database schema version {applied} is newer than this kinko supports ({known})"
        )));
    }
    for sql in &MIGRATIONS[applied..] {
        tx.batch_execute(sql).await?;
    }
    if applied < known {
        let version = i64::try_from(known)
            .map_err(|_| StoreError::Backend("too many migrations".to_owned()))?;
        tx.execute("DELETE FROM kinko_schema_version", &[]).await?;
        tx.execute(
            "INSERT INTO kinko_schema_version (version) VALUES ($1)",
            &[&version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Migration {
        from: applied,
        to: known,
    })
}

/// The schema version this build writes.
#[cfg(test)]
pub(super) fn latest_version() -> usize {
    MIGRATIONS.len()
}
