//! Multi-Region keys: CreateKey `MultiRegion`, ReplicateKey,
//! UpdatePrimaryRegion, and the `MultiRegionConfiguration` every member
//! reports.
//!
//! kinko's regions are partitions of one store, so a replica is an ordinary
//! key record in its region with the primary's key id, a copy of its
//! wrapped original material (the root-key wrap is bound to the key id, not
//! the region), its sealed private or HMAC key, spec and usage, and a policy,
//! tags, description and state of its own.
//!
//! # Where the shared facts live, and why
//!
//! What every member must agree on is kept once, in the record of the region
//! the key was created in (its *home*, [`StoredMultiRegion::home_region`]),
//! which is never removed (kinko purges no KMS key):
//! - the current primary's region ([`StoredMultiRegion::primary_region`]);
//! - the automatic rotation schedule (`StoredKeyMeta::rotation`);
//! - the rotated materials: the keyring reads a member's rotated materials
//!   from the home region's rows (`keyring::materials_region`).
//!
//! So each change is one write: a rotation is one material insert that
//! every member decrypts and encrypts with at once, UpdatePrimaryRegion is
//! one update of the home record, and ReplicateKey is one insert of the
//! replica's record (whose `AlreadyExists` is also what refuses a second
//! replica in a region, race-free). Nothing can be half-written. Which regions
//! hold members is not stored at all: it is the set of regions holding a
//! record with the key id.
//!
//! These writes are serialised on this server by one lock per key id (the
//! key write locks); another server's concurrent ReplicateKey into the same
//! region still loses on the insert.
//!
//! Choices where AWS is silent or kinko differs:
//! - A replica is created `Enabled` at once (AWS shows `Creating` for a few
//!   seconds); UpdatePrimaryRegion completes at once (no `Updating`).
//! - ReplicateKey into the primary's own region is `AlreadyExistsException`
//!   (that region already holds the key); UpdatePrimaryRegion to the current
//!   primary's region is `ValidationException`, and to a region without a
//!   replica `NotFoundException`.
//! - A replica whose deletion date has passed counts as deleted: it leaves
//!   every member's `ReplicaKeys`, a primary in `PendingReplicaDeletion`
//!   whose last replica is so deleted reports `PendingDeletion` with its
//!   waiting period counted from then, and ReplicateKey may create a new
//!   replica in that region (replacing the old record).

use serde::{Deserialize, Serialize};

use super::keys::check_tags;
use super::model::{KeyMetadata, KeyState, StoredKeyMeta};
use super::{KeyHandle, Kms, KmsError, now_ms};
use kinko_model::Tag;
use kinko_store::{KmsKeyRecord, StoreError};

pub const MRK_PREFIX: &str = "mrk-";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A multi-Region key's facts in its metadata JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMultiRegion {
    /// The region the key was created in (see the module doc).
    pub home_region: String,
    /// The current primary's region; kept only in the home record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
}

impl StoredMultiRegion {
    /// A new primary's facts: it is its own home.
    pub fn home(region: &str) -> Self {
        StoredMultiRegion {
            home_region: region.to_owned(),
            primary_region: Some(region.to_owned()),
        }
    }
}

/// `MultiRegionKeyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiRegionKeyType {
    Primary,
    Replica,
}

impl MultiRegionKeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            MultiRegionKeyType::Primary => "PRIMARY",
            MultiRegionKeyType::Replica => "REPLICA",
        }
    }
}

/// `MultiRegionKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiRegionKey {
    pub arn: String,
    pub region: String,
}

/// `MultiRegionConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiRegionConfiguration {
    pub key_type: MultiRegionKeyType,
    pub primary_key: MultiRegionKey,
    /// In region order.
    pub replica_keys: Vec<MultiRegionKey>,
}

#[derive(Debug, Clone, Default)]
pub struct ReplicateKeyInput {
    pub key_id: String,
    pub replica_region: String,
    pub policy: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone)]
pub struct ReplicateKeyOutput {
    pub replica_key_metadata: KeyMetadata,
    /// The replica's key policy (the default one when none was given).
    pub replica_policy: String,
    pub replica_tags: Vec<Tag>,
}

/// A fresh multi-Region key id: `mrk-` and 32 lowercase hex digits.
pub fn new_mrk_id() -> String {
    let hex: String = kinko_crypto::random_bytes(16)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{MRK_PREFIX}{hex}")
}

/// Whether `s` is [`new_mrk_id`]'s form.
pub fn is_mrk_id(s: &str) -> bool {
    s.strip_prefix(MRK_PREFIX).is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The members of one multi-Region key as read now.
struct Members {
    /// The home record, which holds the shared facts.
    home: KeyHandle,
    primary_region: String,
    /// Every member that is not deleted, in region order, the primary too.
    live: Vec<KeyHandle>,
}

impl Members {
    fn replicas(&self) -> impl Iterator<Item = &KeyHandle> {
        self.live
            .iter()
            .filter(|m| m.record.region != self.primary_region)
    }
}

/// A replica whose deletion date has passed (see the module doc).
fn is_deleted(key: &KeyHandle, now: i64) -> bool {
    key.state() == KeyState::PendingDeletion && key.meta.deletion_date_ms.is_some_and(|d| d <= now)
}

impl KeyHandle {
    pub(super) fn multi_region(&self) -> Option<&StoredMultiRegion> {
        self.meta.multi_region.as_ref()
    }
}

impl Kms {
    /// This server's lock on a multi-Region key's member set, by key id
    /// (one for all its regions).
    pub(super) async fn lock_multi_region(&self, key_id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        self.locks.lock(&("multi-region", key_id)).await
    }

    /// The record holding a key's shared facts: the home record of a
    /// multi-Region key, the key itself otherwise.
    pub(super) async fn shared_of(&self, key: &KeyHandle) -> Result<KeyHandle, KmsError> {
        match key.multi_region() {
            Some(m) if m.home_region != key.record.region => {
                self.load_id(&m.home_region, &key.record.key_id).await
            }
            _ => Ok(key.clone()),
        }
    }

    async fn members(&self, key: &KeyHandle) -> Result<Option<Members>, KmsError> {
        if key.multi_region().is_none() {
            return Ok(None);
        }
        let home = self.shared_of(key).await?;
        let primary_region = home
            .multi_region()
            .and_then(|m| m.primary_region.clone())
            .ok_or_else(|| KmsError::Internal(format!("{} names no primary region", home.arn)))?;
        let now = now_ms();
        let mut live = Vec::new();
        for region in self.store.list_kms_regions().await? {
            let member = if region == key.record.region {
                key.clone()
            } else {
                match self.store.get_kms_key(&region, &key.record.key_id).await? {
                    Some(record) => self.handle_of(record)?,
                    None => continue,
                }
            };
            if member.multi_region().is_some() && !is_deleted(&member, now) {
                live.push(member);
            }
        }
        Ok(Some(Members {
            home,
            primary_region,
            live,
        }))
    }

    /// Whether `key` is a multi-Region primary with replicas that are not
    /// deleted (ScheduleKeyDeletion then waits for them).
    pub(super) async fn has_live_replicas(&self, key: &KeyHandle) -> Result<bool, KmsError> {
        Ok(match self.members(key).await? {
            Some(m) => m.primary_region == key.record.region && m.replicas().next().is_some(),
            None => false,
        })
    }

    /// Whether `key` is a replica (of a multi-Region key whose primary is
    /// in another region).
    pub(super) async fn is_replica(&self, key: &KeyHandle) -> Result<bool, KmsError> {
        Ok(match self.members(key).await? {
            Some(m) => m.primary_region != key.record.region,
            None => false,
        })
    }

    /// Every member's region, `key`'s own too (whose caches a rotation must
    /// drop: the material rows it added are the home region's).
    pub(super) async fn member_regions(&self, key: &KeyHandle) -> Result<Vec<String>, KmsError> {
        Ok(match self.members(key).await? {
            Some(m) => m.live.iter().map(|k| k.record.region.clone()).collect(),
            None => vec![key.record.region.clone()],
        })
    }

    /// Adds `MultiRegionConfiguration` to a key's metadata, and reports a
    /// primary waiting for replicas that are all deleted now as
    /// `PendingDeletion` (see the module doc).
    pub(super) async fn add_multi_region(
        &self,
        key: &KeyHandle,
        metadata: &mut KeyMetadata,
    ) -> Result<(), KmsError> {
        let Some(members) = self.members(key).await? else {
            return Ok(());
        };
        let entry = |region: &str| MultiRegionKey {
            arn: self.key_arn(region, &key.record.key_id),
            region: region.to_owned(),
        };
        let is_primary = members.primary_region == key.record.region;
        metadata.multi_region = Some(MultiRegionConfiguration {
            key_type: if is_primary {
                MultiRegionKeyType::Primary
            } else {
                MultiRegionKeyType::Replica
            },
            primary_key: entry(&members.primary_region),
            replica_keys: members
                .replicas()
                .map(|r| entry(&r.record.region))
                .collect(),
        });
        if key.state() == KeyState::PendingReplicaDeletion
            && is_primary
            && members.replicas().next().is_none()
        {
            let last_replica_gone = self.last_replica_deletion(&key.record.key_id).await?;
            let window = i64::from(key.meta.pending_window_in_days.unwrap_or(30));
            metadata.key_state = KeyState::PendingDeletion;
            metadata.deletion_date_ms =
                Some(last_replica_gone.unwrap_or(key.record.created_ms) + window * DAY_MS);
        }
        Ok(())
    }

    /// When the last deleted replica of a key was deleted.
    async fn last_replica_deletion(&self, key_id: &str) -> Result<Option<i64>, KmsError> {
        let mut last = None;
        for region in self.store.list_kms_regions().await? {
            if let Some(record) = self.store.get_kms_key(&region, key_id).await? {
                let member = self.handle_of(record)?;
                if member.state() == KeyState::PendingDeletion {
                    last = last.max(member.meta.deletion_date_ms);
                }
            }
        }
        Ok(last)
    }

    /// ReplicateKey (spec §13): a replica of the primary `key_id` in
    /// `replica_region`. The policy's lockout check is the wire layer's.
    pub async fn replicate_key(
        &self,
        region: &str,
        input: ReplicateKeyInput,
    ) -> Result<ReplicateKeyOutput, KmsError> {
        let key_id = self.load(region, &input.key_id).await?.record.key_id;
        let _guard = self.lock_multi_region(&key_id).await;
        let primary = self.load_id(region, &key_id).await?;
        let members = self.members(&primary).await?.ok_or_else(|| {
            KmsError::UnsupportedOperation(format!("{} is not a multi-Region key.", primary.arn))
        })?;
        if members.primary_region != region {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} is not a multi-Region primary key; only a primary key can be replicated.",
                primary.arn
            )));
        }
        match primary.state() {
            KeyState::Enabled => {}
            KeyState::Disabled => return Err(KmsError::disabled(&primary.arn)),
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                return Err(KmsError::pending_deletion(&primary.arn));
            }
            KeyState::PendingImport => return Err(KmsError::pending_import(&primary.arn)),
        }
        let replica_arn = self.key_arn(&input.replica_region, &key_id);
        let already = || {
            KmsError::AlreadyExists(format!(
                "{replica_arn} already exists in {}.",
                input.replica_region
            ))
        };
        if input.replica_region == region {
            return Err(already());
        }
        if let Some(policy) = &input.policy
            && let Err(error) = kinko_model::iam::Policy::parse_resource(policy)
        {
            return Err(KmsError::MalformedPolicyDocument(format!(
                "The key policy is not valid: {error}"
            )));
        }
        let tags = check_tags(&input.tags)?;
        let existing = self
            .store
            .get_kms_key(&input.replica_region, &key_id)
            .await?
            .map(|r| self.handle_of(r))
            .transpose()?;
        // A deleted replica's record is replaced; the home record keeps
        // the shared facts it holds.
        let (multi_region, rotation) = match &existing {
            Some(old) if is_deleted(old, now_ms()) && old.multi_region().is_some() => {
                (old.meta.multi_region.clone(), old.meta.rotation)
            }
            Some(_) => return Err(already()),
            None => (
                Some(StoredMultiRegion {
                    home_region: members.home.record.region.clone(),
                    primary_region: None,
                }),
                None,
            ),
        };
        let meta = StoredKeyMeta {
            key_state: Some(KeyState::Enabled),
            tags,
            policy: input.policy,
            key_spec: primary.meta.key_spec,
            key_usage: primary.meta.key_usage,
            sealed_secret: primary.meta.sealed_secret.clone(),
            public_key: primary.meta.public_key.clone(),
            rotation,
            multi_region,
            ..StoredKeyMeta::default()
        };
        let record = KmsKeyRecord {
            region: input.replica_region.clone(),
            key_id: key_id.clone(),
            // The original material, wrapped under the root key with the
            // key id as AAD: the same for every member.
            wrapped_material: members.home.record.wrapped_material.clone(),
            description: input.description.unwrap_or_default(),
            enabled: true,
            key_manager: "CUSTOMER".to_owned(),
            created_ms: now_ms(),
            metadata: meta
                .to_json()
                .map_err(|e| KmsError::Internal(format!("metadata: {e}")))?,
        };
        let change = self
            .keyring
            .key_change(&record.region, &record.key_id, "ReplicateKey");
        let written = match existing {
            Some(_) => self.store.update_kms_key(record, change).await,
            None => self.store.create_kms_key(record, None, change).await,
        };
        match written {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => return Err(already()),
            Err(e) => return Err(e.into()),
        }
        self.keyring.invalidate(&input.replica_region, &key_id);
        tracing::info!(region, replica_region = %input.replica_region, key_id, "replicated multi-Region key");
        let replica = self.load_id(&input.replica_region, &key_id).await?;
        let replica_policy = replica.effective_policy(self.account_id());
        let replica_tags = replica.tags();
        let replica_key_metadata = self.metadata_with_material(&replica).await?;
        Ok(ReplicateKeyOutput {
            replica_key_metadata,
            replica_policy,
            replica_tags,
        })
    }

    /// UpdatePrimaryRegion: the replica in `primary_region` becomes the
    /// primary and the primary `key_ref` (in `region`) a replica.
    pub async fn update_primary_region(
        &self,
        region: &str,
        key_ref: &str,
        primary_region: &str,
    ) -> Result<(), KmsError> {
        let key_id = self.load(region, key_ref).await?.record.key_id;
        let _guard = self.lock_multi_region(&key_id).await;
        let primary = self.load_id(region, &key_id).await?;
        // The write below is to the home record: under its key lock too, so
        // it cannot overwrite a concurrent grant, tag or policy change there.
        let home_region = primary
            .multi_region()
            .map_or_else(|| region.to_owned(), |m| m.home_region.clone());
        let _home_guard = self
            .locks
            .lock(&(home_region.as_str(), key_id.as_str()))
            .await;
        let primary = self.load_id(region, &key_id).await?;
        let members = self.members(&primary).await?.ok_or_else(|| {
            KmsError::UnsupportedOperation(format!("{} is not a multi-Region key.", primary.arn))
        })?;
        if members.primary_region != region {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} is not a multi-Region primary key.",
                primary.arn
            )));
        }
        if primary_region == region {
            return Err(KmsError::Validation(format!(
                "{primary_region} is already the primary Region of {}.",
                primary.arn
            )));
        }
        let replica = members
            .replicas()
            .find(|r| r.record.region == primary_region)
            .cloned()
            .ok_or_else(|| {
                KmsError::NotFound(format!(
                    "Key '{}' does not exist",
                    self.key_arn(primary_region, &key_id)
                ))
            })?;
        for member in [&primary, &replica] {
            match member.state() {
                KeyState::Enabled => {}
                KeyState::Disabled => return Err(KmsError::disabled(&member.arn)),
                KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                    return Err(KmsError::pending_deletion(&member.arn));
                }
                KeyState::PendingImport => return Err(KmsError::pending_import(&member.arn)),
            }
        }
        let mut home = members.home;
        if let Some(m) = home.meta.multi_region.as_mut() {
            m.primary_region = Some(primary_region.to_owned());
        }
        home.record.metadata = home
            .meta
            .to_json()
            .map_err(|e| KmsError::Internal(format!("metadata: {e}")))?;
        let change = self
            .keyring
            .key_change(&home.record.region, &key_id, "UpdatePrimaryRegion")
            .with("primaryRegion", primary_region);
        self.store
            .update_kms_key(home.record.clone(), change)
            .await?;
        self.keyring.invalidate(&home.record.region, &key_id);
        tracing::info!(
            from = region,
            to = primary_region,
            key_id,
            "moved the primary of a multi-Region key"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests;
