//! The parameter-policy runner's rows on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::changes::append_change;
use super::parameters::delete_parameter;
use crate::{Change, PolicyActionRows, PolicyCandidate, PolicyEffect, StoreError};

fn candidates(
    conn: &Connection,
    after: Option<(String, String)>,
    limit: usize,
) -> Result<Vec<PolicyCandidate>, StoreError> {
    let (region, name) = after.unwrap_or_default();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn
        .prepare_cached(
            "SELECT p.region, p.name, p.display_name, p.latest_version, v.parameter_type, \
             v.policies, v.modified_ms FROM parameters p JOIN parameter_versions v \
             ON v.region = p.region AND v.name = p.name AND v.version = p.latest_version \
             WHERE (p.region, p.name) > (?1, ?2) \
             AND v.policies IS NOT NULL AND v.policies <> '[]' \
             ORDER BY p.region, p.name LIMIT ?3",
        )?
        .query_map(params![region, name, limit], |row| {
            Ok(PolicyCandidate {
                region: row.get(0)?,
                name: row.get(1)?,
                display_name: row.get(2)?,
                latest_version: row.get(3)?,
                parameter_type: row.get(4)?,
                policies: row.get(5)?,
                last_modified_ms: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn run(
    conn: &Connection,
    region: &str,
    name: &str,
    key: &str,
    effect: PolicyEffect,
    change: Change,
) -> Result<bool, StoreError> {
    let latest: Option<u32> = conn
        .prepare_cached("SELECT latest_version FROM parameters WHERE region = ?1 AND name = ?2")?
        .query_row(params![region, name], |row| row.get(0))
        .optional()?;
    let Some(latest) = latest else {
        return Ok(false);
    };
    match effect {
        PolicyEffect::Expire { expected_latest } => {
            if latest != expected_latest {
                return Ok(false);
            }
            // The parameter, its versions, labels, tags and actions go.
            delete_parameter(conn, region, name, change)
        }
        PolicyEffect::Notify => {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO parameter_policy_actions (region, name, action, ran_ms) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                )?
                .execute(params![region, name, key, change.time_ms])?;
            if inserted == 0 {
                return Ok(false);
            }
            append_change(conn, &change)?;
            Ok(true)
        }
    }
}

#[async_trait]
impl PolicyActionRows for SqliteStore {
    async fn parameters_with_policies(
        &self,
        after: Option<(String, String)>,
        limit: usize,
    ) -> Result<Vec<PolicyCandidate>, StoreError> {
        self.read(move |conn| candidates(conn, after, limit)).await
    }

    async fn run_policy_action(
        &self,
        region: &str,
        name: &str,
        key: &str,
        effect: PolicyEffect,
        change: Change,
    ) -> Result<bool, StoreError> {
        let (region, name, key) = (region.to_owned(), name.to_owned(), key.to_owned());
        self.write(move |conn| run(conn, &region, &name, &key, effect, change))
            .await
    }
}
