//! The parameter-policy runner's rows on PostgreSQL: every server may
//! scan; the action rows' primary key lets one of them act.

use async_trait::async_trait;

use super::changes::append_change;
use super::parameters::delete_parameter;
use super::{PostgresStore, execute, query, query_opt, to_u32};
use crate::{Change, PolicyActionRows, PolicyCandidate, PolicyEffect, StoreError};

#[async_trait]
impl PolicyActionRows for PostgresStore {
    async fn parameters_with_policies(
        &self,
        after: Option<(String, String)>,
        limit: usize,
    ) -> Result<Vec<PolicyCandidate>, StoreError> {
        let (region, name) = after.unwrap_or_default();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        transaction!(self, read, |tx| async {
            let rows = query(
                &tx,
                "SELECT p.region, p.name, p.display_name, p.latest_version, v.parameter_type, \
                 v.policies, v.modified_ms FROM parameters p JOIN parameter_versions v \
                 ON v.region = p.region AND v.name = p.name AND v.version = p.latest_version \
                 WHERE (p.region, p.name) > ($1, $2) \
                 AND v.policies IS NOT NULL AND v.policies <> '[]' \
                 ORDER BY p.region, p.name LIMIT $3",
                &[&region, &name, &limit],
            )
            .await?;
            rows.iter()
                .map(|row| {
                    let latest: i64 = row.try_get(3)?;
                    Ok(PolicyCandidate {
                        region: row.try_get(0)?,
                        name: row.try_get(1)?,
                        display_name: row.try_get(2)?,
                        latest_version: to_u32(latest)?,
                        parameter_type: row.try_get(4)?,
                        policies: row.try_get(5)?,
                        last_modified_ms: row.try_get(6)?,
                    })
                })
                .collect()
        })
    }

    async fn run_policy_action(
        &self,
        region: &str,
        name: &str,
        key: &str,
        effect: PolicyEffect,
        change: Change,
    ) -> Result<bool, StoreError> {
        transaction!(self, write, |tx| async {
            let latest = query_opt(
                &tx,
                "SELECT latest_version FROM parameters WHERE region = $1 AND name = $2 FOR UPDATE",
                &[&region, &name],
            )
            .await?;
            let Some(row) = latest else {
                return Ok(false);
            };
            let latest = to_u32(row.try_get(0)?)?;
            match effect {
                PolicyEffect::Expire { expected_latest } => {
                    if latest != expected_latest {
                        return Ok(false);
                    }
                    delete_parameter(&tx, region, name, change).await
                }
                PolicyEffect::Notify => {
                    let inserted = execute(
                        &tx,
                        "INSERT INTO parameter_policy_actions (region, name, action, ran_ms) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        &[&region, &name, &key, &change.time_ms],
                    )
                    .await?;
                    if inserted == 0 {
                        return Ok(false);
                    }
                    append_change(&tx, &change).await?;
                    Ok(true)
                }
            }
        })
    }
}
