//! CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! ScheduleKeyDeletion and CancelKeyDeletion.

use std::collections::HashSet;

use super::asymmetric::KeySecrets;
use super::import::ImportState;
use super::key_spec::{KeySpec, KeyUsage, check_spec_and_usage};
use super::model::{
    CreateKeyInput, KeyListEntry, KeyMetadata, KeyState, ORIGIN, ORIGIN_EXTERNAL, Page,
    ScheduleKeyDeletionOutput, StoredKeyMeta, StoredTag,
};
use super::{Kms, KmsError, now_ms};

pub const MAX_TAGS: usize = 50;
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;
pub const MIN_PENDING_WINDOW_DAYS: u32 = 7;
pub const MAX_PENDING_WINDOW_DAYS: u32 = 30;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Checks the tag rules the model cannot express (spec §4 CreateKey).
pub(super) fn check_tags(tags: &[kinko_model::Tag]) -> Result<Vec<StoredTag>, KmsError> {
    if tags.len() > MAX_TAGS {
        return Err(KmsError::Tag("Too many tags".into()));
    }
    let mut seen = HashSet::new();
    for tag in tags {
        if tag.key.starts_with("aws:") {
            return Err(KmsError::Tag(
                "Tags beginning with aws: are reserved".into(),
            ));
        }
        if !seen.insert(tag.key.as_str()) {
            return Err(KmsError::Tag("Duplicate tag keys".into()));
        }
    }
    Ok(tags
        .iter()
        .map(|t| StoredTag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect())
}

fn unsupported_unless(
    given: &Option<String>,
    supported: &str,
    member: &str,
) -> Result<(), KmsError> {
    match given {
        Some(v) if v != supported => Err(KmsError::UnsupportedOperation(format!(
            "{member} {v} is not supported by this server; only {supported} is."
        ))),
        _ => Ok(()),
    }
}

/// The spec and usage of a CreateKey: SM2, Edwards and ML-DSA (in the
/// model, not made here) are `UnsupportedOperationException`; a pair that
/// does not go together is `ValidationException` (`check_spec_and_usage`).
fn spec_and_usage(input: &CreateKeyInput) -> Result<(KeySpec, KeyUsage), KmsError> {
    let spec = match input.key_spec.as_deref() {
        None => KeySpec::SymmetricDefault,
        Some(name) => KeySpec::parse(name).ok_or_else(|| {
            KmsError::UnsupportedOperation(format!(
                "KeySpec {name} is not supported by this server."
            ))
        })?,
    };
    let usage = input
        .key_usage
        .as_deref()
        .map(|name| {
            KeyUsage::parse(name).ok_or_else(|| {
                KmsError::UnsupportedOperation(format!(
                    "KeyUsage {name} is not supported by this server."
                ))
            })
        })
        .transpose()?;
    check_spec_and_usage(spec, usage)
}

impl Kms {
    pub async fn create_key(
        &self,
        region: &str,
        input: CreateKeyInput,
    ) -> Result<KeyMetadata, KmsError> {
        let (spec, usage) = spec_and_usage(&input)?;
        let external = input.origin.as_deref() == Some(ORIGIN_EXTERNAL);
        if !external {
            unsupported_unless(&input.origin, ORIGIN, "Origin")?;
        }
        // AWS allows it (each replica then needs its own import); kinko
        // does not yet, so no replica can exist without its material.
        if external && input.multi_region {
            return Err(KmsError::UnsupportedOperation(
                "Multi-Region keys with imported key material are not supported by this server."
                    .into(),
            ));
        }
        if input.custom_key_store_id.is_some() {
            return Err(KmsError::UnsupportedOperation(
                "Custom key stores are not supported by this server.".into(),
            ));
        }
        // Checked by the parser that will evaluate it, so no stored key
        // policy is one the evaluator cannot read.
        if let Some(policy) = &input.policy
            && let Err(error) = kinko_model::iam::Policy::parse_resource(policy)
        {
            return Err(KmsError::MalformedPolicyDocument(format!(
                "The key policy is not valid: {error}"
            )));
        }
        let symmetric = spec == KeySpec::SymmetricDefault;
        let mut meta = StoredKeyMeta {
            key_state: Some(KeyState::Enabled),
            tags: check_tags(&input.tags)?,
            policy: input.policy,
            key_spec: (!symmetric).then_some(spec),
            key_usage: (!symmetric).then_some(usage),
            // No material yet: `PendingImport` until ImportKeyMaterial.
            import: external.then(ImportState::default),
            ..StoredKeyMeta::default()
        };
        let key_id = if input.multi_region {
            meta.multi_region = Some(super::multi_region::StoredMultiRegion::home(region));
            super::multi_region::new_mrk_id()
        } else {
            crate::keyring::new_key_id()
        };
        let secrets = if external {
            None
        } else {
            KeySecrets::generate(spec).await?
        };
        let description = input.description.unwrap_or_default();
        let record = self
            .keyring
            .create_customer_key_with_id(region, key_id, description, |sealer| {
                if let Some(secrets) = &secrets {
                    let (sealed, public_key) = secrets.seal(sealer, spec)?;
                    meta.sealed_secret = Some(sealed);
                    meta.public_key = public_key;
                }
                meta.to_json()
                    .map_err(|e| KmsError::Internal(format!("metadata: {e}")))
            })
            .await?;
        let key = self.load_id(region, &record.key_id).await?;
        self.metadata_with_material(&key).await
    }

    pub async fn describe_key(&self, region: &str, key_ref: &str) -> Result<KeyMetadata, KmsError> {
        let key = self.load(region, key_ref).await?;
        self.metadata_with_material(&key).await
    }

    /// Every key of the region (customer and AWS-managed), in key id order.
    pub async fn list_keys(
        &self,
        region: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<KeyListEntry>, KmsError> {
        let mut keys: Vec<KeyListEntry> = self
            .store
            .list_kms_keys(region)
            .await?
            .into_iter()
            .map(|r| KeyListEntry {
                key_arn: self.key_arn(region, &r.key_id),
                key_id: r.key_id,
            })
            .collect();
        keys.sort_by(|a, b| a.key_id.cmp(&b.key_id));
        self.page("keys", keys, |k| k.key_id.as_str(), limit, marker)
    }

    pub async fn enable_key(&self, region: &str, key_ref: &str) -> Result<(), KmsError> {
        let (_guard, key) = self.load_locked(region, key_ref).await?;
        match key.state() {
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                Err(KmsError::pending_deletion(&key.arn))
            }
            KeyState::PendingImport => Err(KmsError::pending_import(&key.arn)),
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => self
                .save_state(key, KeyState::Enabled, "EnableKey")
                .await
                .map(drop),
        }
    }

    pub async fn disable_key(&self, region: &str, key_ref: &str) -> Result<(), KmsError> {
        let (_guard, key) = self.load_locked(region, key_ref).await?;
        if key.is_managed() {
            return Err(KmsError::managed_key(&key.arn));
        }
        match key.state() {
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                Err(KmsError::pending_deletion(&key.arn))
            }
            KeyState::PendingImport => Err(KmsError::pending_import(&key.arn)),
            KeyState::Disabled => Ok(()),
            KeyState::Enabled => self
                .save_state(key, KeyState::Disabled, "DisableKey")
                .await
                .map(drop),
        }
    }

    /// `window_days` defaults to 30; 7–30 is checked by the wire layer (a
    /// model constraint) and again here.
    pub async fn schedule_key_deletion(
        &self,
        region: &str,
        key_ref: &str,
        window_days: Option<u32>,
    ) -> Result<ScheduleKeyDeletionOutput, KmsError> {
        let days = window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        if !(MIN_PENDING_WINDOW_DAYS..=MAX_PENDING_WINDOW_DAYS).contains(&days) {
            return Err(KmsError::Validation(format!(
                "PendingWindowInDays must be between {MIN_PENDING_WINDOW_DAYS} and {MAX_PENDING_WINDOW_DAYS}."
            )));
        }
        let key_id = self.load(region, key_ref).await?.record.key_id;
        // A multi-Region key's member set must not change between the
        // replica check below and the write (ReplicateKey takes this lock).
        // Always the member-set lock first, then the key's own.
        let probe = self.load_id(region, &key_id).await?;
        let _multi_region_guard = match probe.multi_region() {
            Some(_) => Some(self.lock_multi_region(&key_id).await),
            None => None,
        };
        let _key_guard = self.locks.lock(&(region, key_id.as_str())).await;
        let mut key = self.load_id(region, &key_id).await?;
        if key.is_managed() {
            return Err(KmsError::managed_key(&key.arn));
        }
        if matches!(
            key.state(),
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        ) {
            return Err(KmsError::pending_deletion(&key.arn));
        }
        // A primary with replicas waits for them (see `multi_region.rs`).
        let (state, deletion_date_ms) = if self.has_live_replicas(&key).await? {
            (KeyState::PendingReplicaDeletion, None)
        } else {
            (
                KeyState::PendingDeletion,
                Some(now_ms() + i64::from(days) * DAY_MS),
            )
        };
        key.meta.deletion_date_ms = deletion_date_ms;
        key.meta.pending_window_in_days = Some(days);
        let key = self.save_state(key, state, "ScheduleKeyDeletion").await?;
        Ok(ScheduleKeyDeletionOutput {
            key_id: key.arn,
            deletion_date_ms,
            key_state: state,
            pending_window_in_days: days,
        })
    }

    /// Returns the key ARN. The key comes back `Disabled`, as on AWS.
    pub async fn cancel_key_deletion(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<String, KmsError> {
        let (_guard, key) = self.load_locked(region, key_ref).await?;
        if !matches!(
            key.state(),
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        ) {
            return Err(KmsError::InvalidState(format!(
                "{} is not pending deletion.",
                key.arn
            )));
        }
        let key = self
            .save_state(key, KeyState::Disabled, "CancelKeyDeletion")
            .await?;
        Ok(key.arn)
    }
}
