//! Key rotation: EnableKeyRotation, DisableKeyRotation,
//! GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations, and the
//! scheduled rotation of keys whose `NextRotationDate` has passed.
//!
//! A rotation is real: [`Keyring::rotate`](crate::keyring::Keyring::rotate)
//! adds a fresh material (wrapped under the root key, in the store's
//! insert-only material rows) that becomes current for new encryptions;
//! every older material keeps decrypting, and the key id and ARN never
//! change. Rotations complete synchronously, so `OnDemandRotationStartDate`
//! (an in-progress rotation) is never reported.
//!
//! The automatic schedule is kept in the key's metadata JSON
//! ([`RotationSchedule`]): the period and the time it counts from (when
//! rotation was enabled, or the last automatic rotation). AWS-managed keys
//! always rotate every 365 days, counted from their creation or their last
//! rotation, and that cannot be changed.
//!
//! A multi-Region key rotates as one: only its primary may rotate or change
//! the schedule (a replica is `UnsupportedOperationException`), and the
//! schedule and the rotated materials are those of the key's home record,
//! which every member reads (see `multi_region.rs`).
//!
//! Choices where AWS is silent (documented so an aws CLI user knows):
//! - `KeyId` of these operations takes a key id or key ARN only, as the
//!   model's documentation says; an alias is `NotFoundException: Invalid
//!   keyId '<alias>'` (AWS's exact text for this case unconfirmed).
//! - The responses' `KeyId` (GetKeyRotationStatus, RotateKeyOnDemand,
//!   ListKeyRotations entries) is the bare key id, as AWS's examples show.
//! - Changing the period of an enabled key keeps the date it counts from;
//!   a next rotation date that is then in the past rotates at the
//!   scheduler's next run.
//! - GetKeyRotationStatus and ListKeyRotations answer in every key state
//!   (they only read); the others refuse a disabled key
//!   (`DisabledException`) and one pending deletion
//!   (`KMSInvalidStateException`).

use serde::{Deserialize, Serialize};

use super::model::{KeyMetadata, KeyState, Page};
use super::{KeyHandle, Kms, KmsError, Target, keyring_error, now_ms};
use crate::keyring::{KeyringError, material_id_hex, original_material_id};
use kinko_store::StoreError;

pub const MIN_ROTATION_PERIOD_DAYS: u32 = 90;
pub const MAX_ROTATION_PERIOD_DAYS: u32 = 2560;
pub const DEFAULT_ROTATION_PERIOD_DAYS: u32 = 365;
/// AWS-managed keys rotate yearly, and that cannot be changed.
pub const MANAGED_ROTATION_PERIOD_DAYS: u32 = 365;
/// On-demand rotations per key (RotateKeyOnDemand's model documentation).
pub const MAX_ON_DEMAND_ROTATIONS: usize = 25;
pub const MAX_ROTATIONS_PER_PAGE: usize = 1000;
pub const DEFAULT_ROTATIONS_PER_PAGE: usize = 100;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub const ROTATION_TYPE_AUTOMATIC: &str = "AUTOMATIC";
pub const ROTATION_TYPE_ON_DEMAND: &str = "ON_DEMAND";

/// A customer key's automatic rotation, in its metadata JSON; absent =
/// automatic rotation disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationSchedule {
    pub period_days: u32,
    /// When rotation was enabled, or the last automatic rotation.
    pub since_ms: i64,
}

impl RotationSchedule {
    pub fn next_rotation_ms(&self) -> i64 {
        self.since_ms + i64::from(self.period_days) * DAY_MS
    }
}

/// GetKeyRotationStatus's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationStatus {
    pub key_id: String,
    pub enabled: bool,
    pub period_days: Option<u32>,
    pub next_rotation_ms: Option<i64>,
}

/// `IncludeKeyMaterial` of ListKeyRotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeKeyMaterial {
    /// Only materials made by rotations (AWS's default).
    #[default]
    RotationsOnly,
    /// The first material too.
    AllKeyMaterial,
}

/// One ListKeyRotations entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationEntry {
    pub key_id: String,
    pub key_material_id: String,
    /// `CURRENT` or `NON_CURRENT`.
    pub key_material_state: &'static str,
    /// `None` for the first material.
    pub rotation_date_ms: Option<i64>,
    /// `AUTOMATIC` / `ON_DEMAND`; `None` for the first material.
    pub rotation_type: Option<String>,
    /// Imported material only (EXTERNAL keys, see `import.rs`).
    pub imported: Option<ImportedEntry>,
}

/// What ListKeyRotations adds for imported material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    /// `IMPORTED`, or `PENDING_IMPORT` once deleted or expired.
    pub import_state: &'static str,
    pub expiration_model: Option<&'static str>,
    pub valid_to_ms: Option<i64>,
    pub description: Option<String>,
}

impl Kms {
    /// A key named by key id or key ARN (the rotation operations' form).
    async fn load_rotatable_ref(&self, region: &str, key_ref: &str) -> Result<KeyHandle, KmsError> {
        match self.parse_ref(region, key_ref)? {
            Target::KeyId(id) => self.load_id(region, &id).await,
            Target::Alias(_) => Err(KmsError::NotFound(format!("Invalid keyId '{key_ref}'"))),
        }
    }

    /// The key, loaded again under the lock of the record its rotation
    /// schedule lives in (its home record for a multi-Region key), so a
    /// schedule change cannot overwrite a concurrent grant, tag or policy
    /// change to that record.
    async fn load_rotatable_locked(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<(tokio::sync::MutexGuard<'_, ()>, KeyHandle), KmsError> {
        let key = self.load_rotatable_ref(region, key_ref).await?;
        let home = key
            .multi_region()
            .map_or_else(|| key.record.region.clone(), |m| m.home_region.clone());
        let guard = self
            .locks
            .lock(&(home.as_str(), key.record.key_id.as_str()))
            .await;
        let key = self.load_id(region, &key.record.key_id).await?;
        Ok((guard, key))
    }

    /// Only symmetric encryption keys rotate (AWS: asymmetric and HMAC keys
    /// cannot); the text is kinko's, AWS's is unconfirmed.
    fn check_symmetric(key: &KeyHandle) -> Result<(), KmsError> {
        if key.spec().family() == super::key_spec::SpecFamily::Symmetric {
            return Ok(());
        }
        Err(KmsError::UnsupportedOperation(format!(
            "{} has key spec {}; only symmetric encryption keys can be rotated.",
            key.arn,
            key.spec().as_str()
        )))
    }

    /// Only a multi-Region primary's rotation may be changed or run (AWS:
    /// rotation is a shared property, managed on the primary).
    async fn check_not_replica(&self, key: &KeyHandle) -> Result<(), KmsError> {
        if self.is_replica(key).await? {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} is a multi-Region replica key; manage its rotation on the primary key.",
                key.arn
            )));
        }
        Ok(())
    }

    /// A customer key whose rotation may be changed or run now.
    fn check_rotation_change(key: &KeyHandle) -> Result<(), KmsError> {
        Self::check_symmetric(key)?;
        key.refuse_external()?;
        if key.is_managed() {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} is an AWS managed key; its rotation cannot be changed.",
                key.arn
            )));
        }
        key.check_usable()
    }

    pub async fn enable_key_rotation(
        &self,
        region: &str,
        key_ref: &str,
        period_days: Option<u32>,
    ) -> Result<(), KmsError> {
        let days = period_days.unwrap_or(DEFAULT_ROTATION_PERIOD_DAYS);
        if !(MIN_ROTATION_PERIOD_DAYS..=MAX_ROTATION_PERIOD_DAYS).contains(&days) {
            return Err(KmsError::Validation(format!(
                "RotationPeriodInDays must be between {MIN_ROTATION_PERIOD_DAYS} and {MAX_ROTATION_PERIOD_DAYS}."
            )));
        }
        let (_guard, key) = self.load_rotatable_locked(region, key_ref).await?;
        Self::check_rotation_change(&key)?;
        self.check_not_replica(&key).await?;
        // A multi-Region key's schedule is shared, in its home record.
        let mut key = self.shared_of(&key).await?;
        let since_ms = key.meta.rotation.map_or_else(now_ms, |r| r.since_ms);
        key.meta.rotation = Some(RotationSchedule {
            period_days: days,
            since_ms,
        });
        let state = key.state();
        self.save_state(key, state, "EnableKeyRotation")
            .await
            .map(drop)
    }

    pub async fn disable_key_rotation(&self, region: &str, key_ref: &str) -> Result<(), KmsError> {
        let (_guard, key) = self.load_rotatable_locked(region, key_ref).await?;
        Self::check_rotation_change(&key)?;
        self.check_not_replica(&key).await?;
        let mut key = self.shared_of(&key).await?;
        key.meta.rotation = None;
        let state = key.state();
        self.save_state(key, state, "DisableKeyRotation")
            .await
            .map(drop)
    }

    pub async fn get_key_rotation_status(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<RotationStatus, KmsError> {
        let key = self.load_rotatable_ref(region, key_ref).await?;
        let schedule = self.schedule_of(&key).await?;
        Ok(RotationStatus {
            key_id: key.record.key_id.clone(),
            enabled: schedule.is_some(),
            period_days: schedule.map(|s| s.period_days),
            next_rotation_ms: schedule.map(|s| s.next_rotation_ms()),
        })
    }

    /// The schedule in force: the stored one, or a managed key's fixed one,
    /// counted from the latest automatic rotation if that is later. The
    /// material rows thus move the schedule on by themselves: a rotation
    /// needs no second write, and a key rotated by one run of
    /// [`Kms::rotate_due`] is no longer due for the next.
    async fn schedule_of(&self, key: &KeyHandle) -> Result<Option<RotationSchedule>, KmsError> {
        let key = &self.shared_of(key).await?;
        let stored = if key.is_managed() {
            RotationSchedule {
                period_days: MANAGED_ROTATION_PERIOD_DAYS,
                since_ms: key.record.created_ms,
            }
        } else {
            match key.meta.rotation {
                Some(schedule) => schedule,
                None => return Ok(None),
            }
        };
        let last_automatic = self
            .store
            .list_kms_key_materials(&key.record.region, &key.record.key_id)
            .await?
            .iter()
            .filter(|m| m.rotation_type == ROTATION_TYPE_AUTOMATIC)
            .map(|m| m.created_ms)
            .max();
        Ok(Some(RotationSchedule {
            since_ms: last_automatic.map_or(stored.since_ms, |t| t.max(stored.since_ms)),
            ..stored
        }))
    }

    /// Rotates now; returns the key id. More than
    /// [`MAX_ON_DEMAND_ROTATIONS`] → `LimitExceededException`; a
    /// concurrent rotation of the same key → `ConflictException`.
    pub async fn rotate_key_on_demand(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<String, KmsError> {
        let key = self.load_rotatable_ref(region, key_ref).await?;
        Self::check_symmetric(&key)?;
        key.refuse_external()?;
        if key.is_managed() {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} is an AWS managed key; it cannot be rotated on demand.",
                key.arn
            )));
        }
        key.check_usable()?;
        self.check_not_replica(&key).await?;
        let shared = self.shared_of(&key).await?;
        let done = self
            .store
            .list_kms_key_materials(&shared.record.region, &key.record.key_id)
            .await?
            .iter()
            .filter(|m| m.rotation_type == ROTATION_TYPE_ON_DEMAND)
            .count();
        if done >= MAX_ON_DEMAND_ROTATIONS {
            return Err(KmsError::LimitExceeded(format!(
                "{} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.",
                key.arn
            )));
        }
        self.rotate(&key, ROTATION_TYPE_ON_DEMAND, now_ms()).await?;
        Ok(key.record.key_id)
    }

    async fn rotate(
        &self,
        key: &KeyHandle,
        rotation_type: &str,
        at_ms: i64,
    ) -> Result<(), KmsError> {
        // A multi-Region key's materials are its home region's rows, which
        // every member reads: one insert rotates them all.
        let shared = self.shared_of(key).await?;
        match self
            .keyring
            .rotate(
                &shared.record.region,
                &key.record.key_id,
                rotation_type,
                at_ms,
            )
            .await
        {
            Ok(_) => {
                for region in self.member_regions(key).await? {
                    self.keyring.invalidate(&region, &key.record.key_id);
                }
                Ok(())
            }
            Err(KeyringError::Store(StoreError::AlreadyExists)) => Err(KmsError::Conflict(
                format!("A rotation of {} is already in progress.", key.arn),
            )),
            Err(KeyringError::Store(StoreError::NotFound)) => Err(KmsError::NotFound(format!(
                "Key '{}' does not exist",
                key.arn
            ))),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// The key's materials, oldest first, paged by their position.
    pub async fn list_key_rotations(
        &self,
        region: &str,
        key_ref: &str,
        include: IncludeKeyMaterial,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<RotationEntry>, KmsError> {
        let key = self.load_rotatable_ref(region, key_ref).await?;
        let key_id = key.record.key_id.clone();
        if let Some(import) = &key.meta.import {
            // One material, never rotated: listed with ALL_KEY_MATERIAL
            // once it was first imported.
            let entries = match (&import.material_id, include) {
                (Some(id), IncludeKeyMaterial::AllKeyMaterial) => vec![RotationEntry {
                    key_id: key_id.clone(),
                    key_material_id: id.clone(),
                    key_material_state: "CURRENT",
                    rotation_date_ms: None,
                    rotation_type: None,
                    imported: Some(ImportedEntry {
                        import_state: if import.usable_at(now_ms()) {
                            "IMPORTED"
                        } else {
                            "PENDING_IMPORT"
                        },
                        expiration_model: import.expiration_model(),
                        valid_to_ms: import.valid_to_ms(),
                        description: import.description.clone(),
                    }),
                }],
                _ => Vec::new(),
            };
            return Ok(Page {
                items: entries,
                next_marker: None,
            });
        }
        let shared = self.shared_of(&key).await?;
        let rotated = self
            .store
            .list_kms_key_materials(&shared.record.region, &key_id)
            .await?;
        let current_version = rotated.last().map_or(0, |m| m.version);
        let state = |version: i64| {
            if version == current_version {
                "CURRENT"
            } else {
                "NON_CURRENT"
            }
        };
        // Paging names each entry by its zero-padded version, so the
        // marker order is the list order.
        let mut entries: Vec<(String, RotationEntry)> = Vec::new();
        if include == IncludeKeyMaterial::AllKeyMaterial {
            entries.push((
                format!("{:020}", 0),
                RotationEntry {
                    key_id: key_id.clone(),
                    key_material_id: material_id_hex(&original_material_id(&key_id)),
                    key_material_state: state(0),
                    rotation_date_ms: None,
                    rotation_type: None,
                    imported: None,
                },
            ));
        }
        for m in rotated {
            entries.push((
                format!("{:020}", m.version),
                RotationEntry {
                    key_id: key_id.clone(),
                    key_material_id: m.material_id,
                    key_material_state: state(m.version),
                    rotation_date_ms: Some(m.created_ms),
                    rotation_type: Some(m.rotation_type),
                    imported: None,
                },
            ));
        }
        let page = self.page(
            &format!("rotations\0{key_id}"),
            entries,
            |(name, _)| name.as_str(),
            limit,
            marker,
        )?;
        Ok(Page {
            items: page.items.into_iter().map(|(_, e)| e).collect(),
            next_marker: page.next_marker,
        })
    }

    /// KeyMetadata with `CurrentKeyMaterialId` (read through the keyring's
    /// cache).
    pub(super) async fn metadata_with_material(
        &self,
        key: &KeyHandle,
    ) -> Result<KeyMetadata, KmsError> {
        let mut metadata = self.metadata_of(key);
        if key.is_external() {
            // The imported material's id, while present (symmetric only,
            // as AWS shows it).
            metadata.current_key_material_id = key
                .imported_material_id()
                .filter(|_| key.spec() == super::KeySpec::SymmetricDefault)
                .map(str::to_owned);
            return Ok(metadata);
        }
        let resolved = self
            .keyring
            .resolve(&key.record.region, &key.record.key_id)
            .await
            .map_err(keyring_error)?;
        metadata.current_key_material_id = Some(resolved.material_id);
        self.add_multi_region(key, &mut metadata).await?;
        Ok(metadata)
    }

    /// Rotates every key in every region whose automatic rotation is due at
    /// `now_ms`: enabled customer keys with rotation enabled, and
    /// AWS-managed keys yearly. Disabled keys and keys pending deletion are
    /// not rotated (as on AWS) and are rotated once they are enabled again.
    /// Returns how many keys were rotated.
    ///
    /// The server runs this as a singleton job (one node at a time). Should
    /// two runs overlap anyway, the material row a rotation inserts is what
    /// moves the schedule on ([`Kms::schedule_of`]), and of two inserts of
    /// the same version one is `AlreadyExists` (skipped).
    pub async fn rotate_due(&self, now_ms: i64) -> Result<usize, KmsError> {
        let mut rotated = 0;
        for region in self.store.list_kms_regions().await? {
            for record in self.store.list_kms_keys(&region).await? {
                let key = self.load_id(&region, &record.key_id).await?;
                // Only a multi-Region primary rotates (for all members).
                if key.state() != KeyState::Enabled || self.is_replica(&key).await? {
                    continue;
                }
                let Some(schedule) = self.schedule_of(&key).await? else {
                    continue;
                };
                if schedule.next_rotation_ms() > now_ms {
                    continue;
                }
                match self.rotate(&key, ROTATION_TYPE_AUTOMATIC, now_ms).await {
                    Ok(()) => rotated += 1,
                    // Rotated by a concurrent run, or deleted meanwhile.
                    Err(KmsError::Conflict(_) | KmsError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(rotated)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kinko_crypto::{RootKey, SecretBytes};
    use kinko_store::{SqliteStore, Store};

    use super::*;
    use crate::keyring::Keyring;
    use crate::kms::{CreateKeyInput, DecryptInput, EncryptInput, EncryptionContext};

    const REGION: &str = "us-east-1";

    fn kms() -> Kms {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            RootKey::generate(),
            "111122223333".to_owned(),
        ));
        Kms::new(store, keyring)
    }

    async fn new_key(kms: &Kms) -> String {
        kms.create_key(REGION, CreateKeyInput::default())
            .await
            .unwrap()
            .key_id
    }

    async fn encrypt(kms: &Kms, key: &str, plain: &[u8]) -> Vec<u8> {
        kms.encrypt(
            REGION,
            EncryptInput {
                key_id: key.to_owned(),
                plaintext: SecretBytes::new(plain.to_vec()),
                encryption_context: EncryptionContext::new(),
                encryption_algorithm: None,
                dry_run: false,
            },
        )
        .await
        .unwrap()
        .ciphertext_blob
    }

    async fn decrypt(kms: &Kms, blob: &[u8]) -> (Vec<u8>, String) {
        let out = kms
            .decrypt(
                REGION,
                DecryptInput {
                    ciphertext_blob: blob.to_vec(),
                    ..DecryptInput::default()
                },
            )
            .await
            .unwrap();
        (
            out.plaintext.expose().to_vec(),
            out.key_material_id
                .expect("a symmetric key reports its material"),
        )
    }

    async fn current_material(kms: &Kms, key: &str) -> String {
        kms.describe_key(REGION, key)
            .await
            .unwrap()
            .current_key_material_id
            .unwrap()
    }

    #[tokio::test]
    async fn on_demand_rotation_keeps_old_ciphertexts_and_lists_both() {
        let kms = kms();
        let key = new_key(&kms).await;
        let first = current_material(&kms, &key).await;
        assert_eq!(first.len(), 64);
        let old = encrypt(&kms, &key, b"before").await;
        assert_eq!(
            decrypt(&kms, &old).await,
            (b"before".to_vec(), first.clone())
        );

        assert_eq!(kms.rotate_key_on_demand(REGION, &key).await.unwrap(), key);
        let second = current_material(&kms, &key).await;
        assert_ne!(second, first);
        let new = encrypt(&kms, &key, b"after").await;
        assert_eq!(
            decrypt(&kms, &new).await,
            (b"after".to_vec(), second.clone())
        );
        assert_eq!(
            decrypt(&kms, &old).await,
            (b"before".to_vec(), first.clone())
        );

        let only = kms
            .list_key_rotations(REGION, &key, IncludeKeyMaterial::RotationsOnly, 100, None)
            .await
            .unwrap();
        assert_eq!(only.items.len(), 1);
        assert_eq!(only.items[0].key_material_id, second);
        assert_eq!(only.items[0].key_material_state, "CURRENT");
        assert_eq!(only.items[0].rotation_type.as_deref(), Some("ON_DEMAND"));
        let all = kms
            .list_key_rotations(REGION, &key, IncludeKeyMaterial::AllKeyMaterial, 100, None)
            .await
            .unwrap();
        let ids: Vec<_> = all
            .items
            .iter()
            .map(|e| (e.key_material_id.as_str(), e.key_material_state))
            .collect();
        assert_eq!(
            ids,
            vec![
                (first.as_str(), "NON_CURRENT"),
                (second.as_str(), "CURRENT")
            ]
        );
        assert_eq!(all.items[0].rotation_date_ms, None);

        // Paging: one at a time, then a forged marker.
        let page = kms
            .list_key_rotations(REGION, &key, IncludeKeyMaterial::AllKeyMaterial, 1, None)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let marker = page.next_marker.unwrap();
        let rest = kms
            .list_key_rotations(
                REGION,
                &key,
                IncludeKeyMaterial::AllKeyMaterial,
                1,
                Some(&marker),
            )
            .await
            .unwrap();
        assert_eq!(rest.items[0].key_material_id, second);
        assert!(!rest.truncated());
        assert!(matches!(
            kms.list_key_rotations(
                REGION,
                &key,
                IncludeKeyMaterial::RotationsOnly,
                1,
                Some("x.y")
            )
            .await,
            Err(KmsError::InvalidMarker(_))
        ));
    }

    #[tokio::test]
    async fn on_demand_rotations_stop_at_the_limit() {
        let kms = kms();
        let key = new_key(&kms).await;
        for _ in 0..MAX_ON_DEMAND_ROTATIONS {
            kms.rotate_key_on_demand(REGION, &key).await.unwrap();
        }
        let err = kms.rotate_key_on_demand(REGION, &key).await.unwrap_err();
        assert!(matches!(err, KmsError::LimitExceeded(_)), "{err}");
        assert!(err.to_string().contains("25"), "{err}");
        // Every material still decrypts what it sealed... the current one too.
        let blob = encrypt(&kms, &key, b"x").await;
        assert_eq!(decrypt(&kms, &blob).await.0, b"x");
    }

    #[tokio::test]
    async fn rotation_status_round_trips_and_checks_its_input() {
        let kms = kms();
        let key = new_key(&kms).await;
        let off = kms.get_key_rotation_status(REGION, &key).await.unwrap();
        assert_eq!(
            (off.enabled, off.period_days, off.next_rotation_ms),
            (false, None, None)
        );
        let before = now_ms();
        kms.enable_key_rotation(REGION, &key, None).await.unwrap();
        let on = kms.get_key_rotation_status(REGION, &key).await.unwrap();
        assert!(on.enabled);
        assert_eq!(on.period_days, Some(365));
        let next = on.next_rotation_ms.unwrap();
        assert!(next >= before + 365 * DAY_MS && next <= now_ms() + 365 * DAY_MS);
        kms.enable_key_rotation(REGION, &key, Some(90))
            .await
            .unwrap();
        let changed = kms.get_key_rotation_status(REGION, &key).await.unwrap();
        assert_eq!(changed.period_days, Some(90));
        assert_eq!(
            changed.next_rotation_ms.unwrap() - next,
            (90 - 365) * DAY_MS,
            "counted from the same date"
        );
        for bad in [89, 2561, 0] {
            let err = kms
                .enable_key_rotation(REGION, &key, Some(bad))
                .await
                .unwrap_err();
            assert!(matches!(err, KmsError::Validation(_)), "{bad}: {err}");
        }
        kms.disable_key_rotation(REGION, &key).await.unwrap();
        assert!(
            !kms.get_key_rotation_status(REGION, &key)
                .await
                .unwrap()
                .enabled
        );
        // An alias is not a key id here.
        let err = kms
            .get_key_rotation_status(REGION, "alias/aws/ssm")
            .await
            .unwrap_err();
        assert!(matches!(err, KmsError::NotFound(_)), "{err}");
    }

    #[tokio::test]
    async fn disabled_pending_and_managed_keys_are_refused() {
        let kms = kms();
        let key = new_key(&kms).await;
        kms.disable_key(REGION, &key).await.unwrap();
        for err in [
            kms.enable_key_rotation(REGION, &key, None)
                .await
                .unwrap_err(),
            kms.disable_key_rotation(REGION, &key).await.unwrap_err(),
            kms.rotate_key_on_demand(REGION, &key).await.unwrap_err(),
        ] {
            assert!(matches!(err, KmsError::Disabled(_)), "{err}");
        }
        // Reading still works.
        kms.get_key_rotation_status(REGION, &key).await.unwrap();
        kms.enable_key(REGION, &key).await.unwrap();
        kms.schedule_key_deletion(REGION, &key, None).await.unwrap();
        let err = kms.rotate_key_on_demand(REGION, &key).await.unwrap_err();
        assert!(matches!(err, KmsError::InvalidState(_)), "{err}");

        let managed = kms
            .describe_key(REGION, "alias/aws/ssm")
            .await
            .unwrap()
            .key_id;
        let status = kms.get_key_rotation_status(REGION, &managed).await.unwrap();
        assert!(status.enabled);
        assert_eq!(status.period_days, Some(365));
        for err in [
            kms.enable_key_rotation(REGION, &managed, Some(100))
                .await
                .unwrap_err(),
            kms.disable_key_rotation(REGION, &managed)
                .await
                .unwrap_err(),
            kms.rotate_key_on_demand(REGION, &managed)
                .await
                .unwrap_err(),
        ] {
            assert!(matches!(err, KmsError::UnsupportedOperation(_)), "{err}");
        }
    }

    #[tokio::test]
    async fn due_keys_rotate_once_and_others_not_at_all() {
        let kms = kms();
        let due = new_key(&kms).await;
        let not_enabled = new_key(&kms).await;
        let disabled = new_key(&kms).await;
        kms.enable_key_rotation(REGION, &due, Some(90))
            .await
            .unwrap();
        kms.enable_key_rotation(REGION, &disabled, Some(90))
            .await
            .unwrap();
        kms.disable_key(REGION, &disabled).await.unwrap();
        let managed = kms
            .describe_key(REGION, "alias/aws/ssm")
            .await
            .unwrap()
            .key_id;
        let old = encrypt(&kms, &due, b"old").await;

        assert_eq!(
            kms.rotate_due(now_ms()).await.unwrap(),
            0,
            "nothing due yet"
        );
        let in_100_days = now_ms() + 100 * DAY_MS;
        assert_eq!(kms.rotate_due(in_100_days).await.unwrap(), 1, "only `due`");
        assert_eq!(
            kms.rotate_due(in_100_days).await.unwrap(),
            0,
            "the rotation moved the schedule on"
        );
        let rotations = kms
            .list_key_rotations(REGION, &due, IncludeKeyMaterial::RotationsOnly, 10, None)
            .await
            .unwrap();
        assert_eq!(rotations.items.len(), 1);
        assert_eq!(
            rotations.items[0].rotation_type.as_deref(),
            Some("AUTOMATIC")
        );
        assert_eq!(decrypt(&kms, &old).await.0, b"old");
        let next = kms
            .get_key_rotation_status(REGION, &due)
            .await
            .unwrap()
            .next_rotation_ms
            .unwrap();
        assert_eq!(next, in_100_days + 90 * DAY_MS, "counted from the rotation");

        // A year on: the managed key rotates too; the disabled one never.
        let in_400_days = now_ms() + 400 * DAY_MS;
        assert_eq!(kms.rotate_due(in_400_days).await.unwrap(), 2);
        for (key, count) in [(&managed, 1), (&not_enabled, 0), (&disabled, 0)] {
            let list = kms
                .list_key_rotations(REGION, key, IncludeKeyMaterial::RotationsOnly, 10, None)
                .await
                .unwrap();
            assert_eq!(list.items.len(), count, "{key}");
        }
    }
}
