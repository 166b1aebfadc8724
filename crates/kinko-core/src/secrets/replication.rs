//! Replication within kinko's regions. A replica is a secret record with
//! the same name (and ARN suffix) in another region, `primary_region` set,
//! read-only, and written in the same `write_secrets` batch as every change
//! to its primary. The primary lists its replicas in its metadata.

use kinko_model::arn::{Arn, arn};
use kinko_store::{SecretRecord, SecretState, SecretVersion, SecretWrite, WriteOutcome};

use super::error::SecretsError;
use super::meta::{FAILED, IN_SYNC, ReplicaMeta, SYNC_MESSAGE, SecretMeta};
use super::model::{Caller, ReplicaRegion, ReplicationOutput, ReplicationStatus, SecretValue};
use super::service::{MAX_WRITE_ATTEMPTS, SecretsManager, check_live, check_primary};

/// The ARN of `primary_arn`'s replica in `region`: same account, name and suffix.
fn replica_arn(primary_arn: &str, region: &str) -> Result<String, SecretsError> {
    let parsed = Arn::parse(primary_arn)
        .ok_or_else(|| SecretsError::Internal(format!("stored ARN {primary_arn} is malformed")))?;
    Ok(arn(
        "secretsmanager",
        region,
        parsed.account_id,
        parsed.resource,
    ))
}

fn name_taken_message(region: &str) -> String {
    format!(
        "Replication failed: Secret name already exists in the destination Region {region}. Use ForceOverwriteReplicaSecret to overwrite it."
    )
}

/// Checks the regions asked for: well-formed, distinct, not the primary's.
pub(super) fn check_regions(
    primary_region: &str,
    regions: &[ReplicaRegion],
) -> Result<(), SecretsError> {
    for (i, r) in regions.iter().enumerate() {
        let well_formed = !r.region.is_empty()
            && r.region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(SecretsError::InvalidParameter(format!(
                "Invalid Region: {}.",
                r.region
            )));
        }
        if r.region == primary_region {
            return Err(SecretsError::InvalidParameter(
                "Invalid replica Region: a secret can't be replicated to its primary Region."
                    .into(),
            ));
        }
        if regions[..i].iter().any(|o| o.region == r.region) {
            return Err(SecretsError::InvalidParameter(format!(
                "Duplicate Region in the request: {}.",
                r.region
            )));
        }
    }
    Ok(())
}

pub(super) fn statuses(meta: &SecretMeta) -> Vec<ReplicationStatus> {
    meta.replicas
        .iter()
        .map(|r| ReplicationStatus {
            region: r.region.clone(),
            kms_key_id: Some(
                r.kms_key_id
                    .clone()
                    .unwrap_or_else(|| super::service::DEFAULT_KEY.to_owned()),
            ),
            status: r.status.clone(),
            status_message: Some(r.message.clone()),
            last_accessed_ms: None,
        })
        .collect()
}

impl SecretsManager {
    /// Writes that create a replica of `primary` in each region, and the
    /// replica entries for the primary's metadata (a taken name gives a
    /// `Failed` entry, unless `force`). `values` holds the plaintext of
    /// every version of `primary`.
    pub(super) async fn replica_creates(
        &self,
        primary: &SecretState,
        values: &[(String, SecretValue)],
        regions: &[ReplicaRegion],
        force: bool,
    ) -> Result<(Vec<SecretWrite>, Vec<ReplicaMeta>), SecretsError> {
        let mut writes = Vec::new();
        let mut metas = Vec::new();
        for target in regions {
            let existing = self
                .store
                .get_secret(&target.region, &primary.record.name)
                .await?;
            if let Some(existing) = existing {
                if !force {
                    metas.push(ReplicaMeta {
                        region: target.region.clone(),
                        kms_key_id: target.kms_key_id.clone(),
                        status: FAILED.into(),
                        message: name_taken_message(&target.region),
                    });
                    continue;
                }
                writes.push(SecretWrite::Delete {
                    region: target.region.clone(),
                    name: existing.record.name.clone(),
                    expected_revision: existing.record.revision,
                });
            }
            let record = SecretRecord {
                region: target.region.clone(),
                arn: replica_arn(&primary.record.arn, &target.region)?,
                kms_key_id: target.kms_key_id.clone(),
                last_accessed_ms: None,
                primary_region: Some(primary.record.region.clone()),
                metadata: SecretMeta::default().render(),
                revision: 0,
                ..primary.record.clone()
            };
            let versions = match self.seal_copies(&record, primary, values).await {
                Ok(versions) => versions,
                // A key missing or disabled in the target region fails that
                // replica only, as on AWS.
                Err(SecretsError::EncryptionFailure(m)) => {
                    if let Some(SecretWrite::Delete { .. }) = writes.last() {
                        writes.pop();
                    }
                    metas.push(ReplicaMeta {
                        region: target.region.clone(),
                        kms_key_id: target.kms_key_id.clone(),
                        status: FAILED.into(),
                        message: format!("Replication failed: {m}"),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            writes.push(SecretWrite::Create {
                state: SecretState { record, versions },
            });
            metas.push(ReplicaMeta {
                region: target.region.clone(),
                kms_key_id: target.kms_key_id.clone(),
                status: IN_SYNC.into(),
                message: SYNC_MESSAGE.into(),
            });
        }
        Ok((writes, metas))
    }

    /// Every version of `primary` sealed for the replica `record`.
    async fn seal_copies(
        &self,
        record: &SecretRecord,
        primary: &SecretState,
        values: &[(String, SecretValue)],
    ) -> Result<Vec<SecretVersion>, SecretsError> {
        let mut versions = Vec::with_capacity(primary.versions.len());
        for v in &primary.versions {
            let Some((_, plain)) = values.iter().find(|(id, _)| *id == v.version_id) else {
                continue;
            };
            versions.push(SecretVersion {
                value: self.seal(record, &v.version_id, plain).await?,
                kms_key_id: record.kms_key_id.clone(),
                last_accessed_ms: None,
                ..v.clone()
            });
        }
        Ok(versions)
    }

    /// The writes that keep every in-sync replica of `primary` (its new
    /// record) in step with a change: record fields, new versions sealed
    /// under the replica's key, stage moves, removed versions.
    pub(super) async fn replica_writes(
        &self,
        primary: &SecretRecord,
        upsert: &[SecretVersion],
        delete: &[String],
        new_values: &[(String, SecretValue)],
    ) -> Result<Vec<SecretWrite>, SecretsError> {
        let meta = SecretMeta::parse(&primary.metadata)?;
        let mut writes = Vec::new();
        for r in meta.in_sync() {
            let Some(rs) = self.store.get_secret(&r.region, &primary.name).await? else {
                continue;
            };
            if rs.record.primary_region.as_deref() != Some(primary.region.as_str()) {
                continue;
            }
            let record = SecretRecord {
                description: primary.description.clone(),
                tags: primary.tags.clone(),
                tagged: primary.tagged,
                resource_policy: primary.resource_policy.clone(),
                last_changed_ms: primary.last_changed_ms,
                deleted_ms: primary.deleted_ms,
                deletion_date_ms: primary.deletion_date_ms,
                ..rs.record.clone()
            };
            let mut versions = Vec::new();
            for v in upsert {
                if let Some(old) = rs.versions.iter().find(|o| o.version_id == v.version_id) {
                    if old.stages != v.stages {
                        versions.push(SecretVersion {
                            stages: v.stages.clone(),
                            ..old.clone()
                        });
                    }
                } else if let Some((_, plain)) =
                    new_values.iter().find(|(id, _)| *id == v.version_id)
                {
                    versions.push(SecretVersion {
                        value: self.seal(&record, &v.version_id, plain).await?,
                        kms_key_id: record.kms_key_id.clone(),
                        last_accessed_ms: None,
                        ..v.clone()
                    });
                }
            }
            let deleted = delete
                .iter()
                .filter(|id| rs.versions.iter().any(|v| &v.version_id == *id))
                .cloned()
                .collect();
            writes.push(SecretWrite::Update {
                expected_revision: rs.record.revision,
                record,
                upsert_versions: versions,
                delete_versions: deleted,
            });
        }
        Ok(writes)
    }

    /// Delete writes for every in-sync replica of `primary`.
    pub(super) async fn replica_deletes(
        &self,
        primary: &SecretRecord,
    ) -> Result<Vec<SecretWrite>, SecretsError> {
        let meta = SecretMeta::parse(&primary.metadata)?;
        let mut writes = Vec::new();
        for r in meta.in_sync() {
            if let Some(rs) = self.store.get_secret(&r.region, &primary.name).await?
                && rs.record.primary_region.as_deref() == Some(primary.region.as_str())
            {
                writes.push(SecretWrite::Delete {
                    region: r.region.clone(),
                    name: rs.record.name.clone(),
                    expected_revision: rs.record.revision,
                });
            }
        }
        Ok(writes)
    }

    /// Every version's plaintext, for copying a secret to a new replica.
    pub(super) async fn open_all(
        &self,
        state: &SecretState,
    ) -> Result<Vec<(String, SecretValue)>, SecretsError> {
        let mut out = Vec::with_capacity(state.versions.len());
        for v in &state.versions {
            out.push((v.version_id.clone(), self.open(&state.record, v).await?));
        }
        Ok(out)
    }

    pub async fn replicate_secret_to_regions(
        &self,
        caller: &Caller,
        secret_id: &str,
        regions: &[ReplicaRegion],
        force_overwrite: bool,
    ) -> Result<ReplicationOutput, SecretsError> {
        check_regions(&caller.region, regions)?;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, secret_id).await?;
            check_primary(&state.record)?;
            check_live(&state.record)?;
            let mut meta = SecretMeta::parse(&state.record.metadata)?;
            if let Some(r) = regions
                .iter()
                .find(|r| meta.in_sync().any(|m| m.region == r.region))
            {
                return Err(SecretsError::InvalidParameter(format!(
                    "The secret is already replicated to Region {}.",
                    r.region
                )));
            }
            let values = self.open_all(&state).await?;
            let (creates, metas) = self
                .replica_creates(&state, &values, regions, force_overwrite)
                .await?;
            meta.replicas
                .retain(|m| !regions.iter().any(|r| r.region == m.region));
            meta.replicas.extend(metas);
            let mut record = state.record.clone();
            record.metadata = meta.render();
            let mut writes = vec![SecretWrite::Update {
                expected_revision: state.record.revision,
                record: record.clone(),
                upsert_versions: Vec::new(),
                delete_versions: Vec::new(),
            }];
            writes.extend(creates);
            let change = self.change(caller, "ReplicateSecretToRegions", Some(&state), &state);
            if self.store.write_secrets(writes, vec![change]).await? == WriteOutcome::Written {
                return Ok(ReplicationOutput {
                    arn: record.arn,
                    replication_status: statuses(&meta),
                });
            }
        }
        Err(SecretsError::too_much_contention(secret_id))
    }

    pub async fn remove_regions_from_replication(
        &self,
        caller: &Caller,
        secret_id: &str,
        regions: &[String],
    ) -> Result<ReplicationOutput, SecretsError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, secret_id).await?;
            check_primary(&state.record)?;
            let mut meta = SecretMeta::parse(&state.record.metadata)?;
            if let Some(r) = regions
                .iter()
                .find(|r| !meta.replicas.iter().any(|m| &m.region == *r))
            {
                return Err(SecretsError::InvalidParameter(format!(
                    "The secret isn't replicated to Region {r}."
                )));
            }
            let mut writes = Vec::new();
            for m in meta.in_sync() {
                if !regions.contains(&m.region) {
                    continue;
                }
                if let Some(rs) = self.store.get_secret(&m.region, &state.record.name).await?
                    && rs.record.primary_region.as_deref() == Some(caller.region.as_str())
                {
                    writes.push(SecretWrite::Delete {
                        region: m.region.clone(),
                        name: rs.record.name.clone(),
                        expected_revision: rs.record.revision,
                    });
                }
            }
            meta.replicas.retain(|m| !regions.contains(&m.region));
            let mut record = state.record.clone();
            record.metadata = meta.render();
            writes.insert(
                0,
                SecretWrite::Update {
                    expected_revision: state.record.revision,
                    record: record.clone(),
                    upsert_versions: Vec::new(),
                    delete_versions: Vec::new(),
                },
            );
            let change = self.change(caller, "RemoveRegionsFromReplication", Some(&state), &state);
            if self.store.write_secrets(writes, vec![change]).await? == WriteOutcome::Written {
                return Ok(ReplicationOutput {
                    arn: record.arn,
                    replication_status: statuses(&meta),
                });
            }
        }
        Err(SecretsError::too_much_contention(secret_id))
    }

    /// Called in the replica's region: makes the replica a standalone
    /// secret and drops it from its primary's list.
    pub async fn stop_replication_to_replica(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<String, SecretsError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, secret_id).await?;
            let Some(primary_region) = state.record.primary_region.clone() else {
                return Err(SecretsError::InvalidRequest(
                    "StopReplicationToReplica must be called on a replica secret, in the replica's Region."
                        .into(),
                ));
            };
            let mut record = state.record.clone();
            record.primary_region = None;
            record.metadata = SecretMeta::default().render();
            let mut writes = vec![SecretWrite::Update {
                expected_revision: state.record.revision,
                record: record.clone(),
                upsert_versions: Vec::new(),
                delete_versions: Vec::new(),
            }];
            if let Some(primary) = self
                .store
                .get_secret(&primary_region, &state.record.name)
                .await?
            {
                let mut meta = SecretMeta::parse(&primary.record.metadata)?;
                meta.replicas.retain(|m| m.region != caller.region);
                let mut precord = primary.record.clone();
                precord.metadata = meta.render();
                writes.push(SecretWrite::Update {
                    expected_revision: primary.record.revision,
                    record: precord,
                    upsert_versions: Vec::new(),
                    delete_versions: Vec::new(),
                });
            }
            let change = self.change(caller, "StopReplicationToReplica", Some(&state), &state);
            if self.store.write_secrets(writes, vec![change]).await? == WriteOutcome::Written {
                return Ok(record.arn);
            }
        }
        Err(SecretsError::too_much_contention(secret_id))
    }
}
