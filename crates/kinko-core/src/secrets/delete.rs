//! DeleteSecret (scheduled or forced), RestoreSecret, and the purge of
//! secrets whose recovery window has passed (§4).

use kinko_model::secrets::{SecretRef, secret_arn};
use kinko_store::{SecretRecord, SecretWrite, WriteOutcome};

use super::error::SecretsError;
use super::meta::SecretMeta;
use super::model::{Caller, DeleteSecretInput, DeleteSecretOutput, SecretIdentity};
use super::service::{
    DAY_MS, MAX_WRITE_ATTEMPTS, Plan, SecretsManager, check_primary, identity, secret_change,
};
use super::suffix::random_suffix;

pub const DEFAULT_RECOVERY_DAYS: i64 = 30;

/// AWS refuses to delete a primary that still has replicas (observed text):
/// they must be removed with RemoveRegionsFromReplication first.
fn check_no_replicas(record: &SecretRecord) -> Result<(), SecretsError> {
    let meta = SecretMeta::parse(&record.metadata)?;
    if meta.replicas.is_empty() {
        return Ok(());
    }
    let mut regions: Vec<&str> = meta.replicas.iter().map(|r| r.region.as_str()).collect();
    regions.sort_unstable();
    Err(SecretsError::InvalidParameter(format!(
        "You can't delete secret {} that still has replica regions [{}].",
        record.arn,
        regions.join(", ")
    )))
}

impl SecretsManager {
    pub async fn delete_secret(
        &self,
        caller: &Caller,
        input: &DeleteSecretInput,
    ) -> Result<DeleteSecretOutput, SecretsError> {
        let force = input.force_delete_without_recovery == Some(true);
        if force && input.recovery_window_in_days.is_some() {
            return Err(SecretsError::InvalidParameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                    .into(),
            ));
        }
        let days = input
            .recovery_window_in_days
            .unwrap_or(DEFAULT_RECOVERY_DAYS);
        if !(7..=30).contains(&days) {
            return Err(SecretsError::InvalidParameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).".into(),
            ));
        }
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let now = self.now();
            let Some(state) = self.find(caller, &input.secret_id).await? else {
                if force {
                    // Succeeds on a missing secret too (model doc).
                    let name = SecretRef::parse(&input.secret_id).name().to_owned();
                    return Ok(DeleteSecretOutput {
                        arn: secret_arn(
                            &caller.region,
                            &caller.account_id,
                            &name,
                            &random_suffix(),
                        ),
                        name,
                        deletion_ms: now,
                    });
                }
                return Err(SecretsError::secret_not_found());
            };
            check_primary(&state.record)?;
            check_no_replicas(&state.record)?;
            let out = |deletion_ms| DeleteSecretOutput {
                arn: state.record.arn.clone(),
                name: state.record.name.clone(),
                deletion_ms,
            };
            if force {
                let mut writes = vec![SecretWrite::Delete {
                    region: state.record.region.clone(),
                    name: state.record.name.clone(),
                    expected_revision: state.record.revision,
                }];
                writes.extend(self.replica_deletes(&state.record).await?);
                let change = self.change(caller, "DeleteSecret", Some(&state), &state);
                let change = change.with("forceDeleteWithoutRecovery", true);
                if self.store.write_secrets(writes, vec![change]).await? == WriteOutcome::Written {
                    return Ok(out(now));
                }
                continue;
            }
            if state.record.deleted_ms.is_some() {
                return Err(SecretsError::InvalidRequest(
                    "You tried to perform the operation on a secret that's currently marked deleted."
                        .into(),
                ));
            }
            let deletion = now + days * DAY_MS;
            let mut next = state.clone();
            next.record.deleted_ms = Some(now);
            next.record.deletion_date_ms = Some(deletion);
            let plan = Plan {
                state: next,
                new_values: Vec::new(),
            };
            if self.commit(caller, "DeleteSecret", &state, plan).await? == WriteOutcome::Written {
                return Ok(out(deletion));
            }
        }
        Err(SecretsError::too_much_contention(&input.secret_id))
    }

    /// Cancels a scheduled deletion; a no-op on a live secret.
    pub async fn restore_secret(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<SecretIdentity, SecretsError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, secret_id).await?;
            check_primary(&state.record)?;
            if state.record.deleted_ms.is_none() {
                return Ok(identity(&state.record, None));
            }
            let mut next = state.clone();
            next.record.deleted_ms = None;
            next.record.deletion_date_ms = None;
            let plan = Plan {
                state: next,
                new_values: Vec::new(),
            };
            if self.commit(caller, "RestoreSecret", &state, plan).await? == WriteOutcome::Written {
                return Ok(identity(&state.record, None));
            }
        }
        Err(SecretsError::too_much_contention(secret_id))
    }

    /// Deletes every secret (of every region) whose deletion date is at or
    /// before `now_ms`, with its replicas. Returns how many were purged. A
    /// secret restored or changed meanwhile is left for the next round.
    pub async fn purge_due(&self, now_ms: i64) -> Result<usize, SecretsError> {
        let due = self.store.secrets_due_for_purge(now_ms).await?;
        let mut purged = 0;
        for record in due {
            // Replicas go with their primary.
            if record.primary_region.is_some() {
                continue;
            }
            let Some(state) = self.store.get_secret(&record.region, &record.name).await? else {
                continue;
            };
            if state.record.deletion_date_ms.is_none_or(|d| d > now_ms) {
                continue;
            }
            let mut writes = vec![SecretWrite::Delete {
                region: state.record.region.clone(),
                name: state.record.name.clone(),
                expected_revision: state.record.revision,
            }];
            writes.extend(self.replica_deletes(&state.record).await?);
            // The ARN holds the account: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx.
            let account = state.record.arn.split(':').nth(4).unwrap_or_default();
            let origin = crate::changes::server_origin(account, &state.record.region, now_ms);
            let change = secret_change(&origin, "PurgeSecret", Some(&state), &state);
            if self.store.write_secrets(writes, vec![change]).await? == WriteOutcome::Written {
                tracing::info!(secret = %state.record.arn, "purged secret after its recovery window");
                purged += 1;
            }
        }
        Ok(purged)
    }
}
