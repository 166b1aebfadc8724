//! Schema migrations, applied in order on open.
//!
//! The schema version is SQLite's `user_version` header field: it lives in the
//! database file itself and is updated in the same transaction as the
//! migration, so a crash mid-migration leaves the old schema, never half of one.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// Every migration, in order; `user_version` N means the first N are applied.
/// Never edit a shipped file: append a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_secrets.sql"),
    include_str!("../../migrations/sqlite/0003_identity.sql"),
    include_str!("../../migrations/sqlite/0004_principal_ids.sql"),
    include_str!("../../migrations/sqlite/0005_kms_key_materials.sql"),
    include_str!("../../migrations/sqlite/0006_oidc_providers.sql"),
    include_str!("../../migrations/sqlite/0007_changes.sql"),
    include_str!("../../migrations/sqlite/0008_webhooks.sql"),
    include_str!("../../migrations/sqlite/0009_parameter_policy_actions.sql"),
];

/// Brings the schema up to date. A database written by a newer kinko (more
/// migrations than this build knows) is refused rather than misread.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let known = MIGRATIONS.len();
    let applied = usize::try_from(current)
        .map_err(|_| StoreError::Backend(format!("invalid schema version {current}")))?;
    if applied > known {
        return Err(StoreError::Backend(format!(
            "database schema version {applied} is newer than this kinko supports ({known})"
        )));
    }
    for sql in &MIGRATIONS[applied..] {
        tx.execute_batch(sql)?;
    }
    if applied < known {
        tx.pragma_update(None, "user_version", known as i64)?;
    }
    tx.commit()?;
    Ok(())
}

/// The schema version this build writes.
#[cfg(test)]
pub(super) fn latest_version() -> usize {
    MIGRATIONS.len()
}
