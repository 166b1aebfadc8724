//! CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! ScheduleKeyDeletion and CancelKeyDeletion.

use std::collections::HashSet;

use super::model::{
    CreateKeyInput, KEY_SPEC, KEY_USAGE, KeyListEntry, KeyMetadata, KeyState, ORIGIN, Page,
    ScheduleKeyDeletionOutput, StoredKeyMeta, StoredTag,
};
use super::{Kms, KmsError, keyring_error, now_ms};

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

impl Kms {
    pub async fn create_key(
        &self,
        region: &str,
        input: CreateKeyInput,
    ) -> Result<KeyMetadata, KmsError> {
        unsupported_unless(&input.key_usage, KEY_USAGE, "KeyUsage")?;
        unsupported_unless(&input.key_spec, KEY_SPEC, "KeySpec")?;
        unsupported_unless(&input.origin, ORIGIN, "Origin")?;
        if input.multi_region {
            return Err(KmsError::UnsupportedOperation(
                "Multi-Region keys are not supported by this server.".into(),
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
        let meta = StoredKeyMeta {
            key_state: Some(KeyState::Enabled),
            tags: check_tags(&input.tags)?,
            policy: input.policy,
            ..StoredKeyMeta::default()
        };
        let json = meta
            .to_json()
            .map_err(|e| KmsError::Internal(format!("metadata: {e}")))?;
        let record = self
            .keyring
            .create_customer_key(region, input.description.unwrap_or_default(), json)
            .await
            .map_err(keyring_error)?;
        let key = self.load_id(region, &record.key_id).await?;
        Ok(self.metadata_of(&key))
    }

    pub async fn describe_key(&self, region: &str, key_ref: &str) -> Result<KeyMetadata, KmsError> {
        let key = self.load(region, key_ref).await?;
        Ok(self.metadata_of(&key))
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
        let key = self.load(region, key_ref).await?;
        match key.state() {
            KeyState::PendingDeletion => Err(KmsError::pending_deletion(&key.arn)),
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => self.save_state(key, KeyState::Enabled).await.map(drop),
        }
    }

    pub async fn disable_key(&self, region: &str, key_ref: &str) -> Result<(), KmsError> {
        let key = self.load(region, key_ref).await?;
        if key.is_managed() {
            return Err(KmsError::managed_key(&key.arn));
        }
        match key.state() {
            KeyState::PendingDeletion => Err(KmsError::pending_deletion(&key.arn)),
            KeyState::Disabled => Ok(()),
            KeyState::Enabled => self.save_state(key, KeyState::Disabled).await.map(drop),
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
        let mut key = self.load(region, key_ref).await?;
        if key.is_managed() {
            return Err(KmsError::managed_key(&key.arn));
        }
        if key.state() == KeyState::PendingDeletion {
            return Err(KmsError::pending_deletion(&key.arn));
        }
        let deletion_date_ms = now_ms() + i64::from(days) * DAY_MS;
        key.meta.deletion_date_ms = Some(deletion_date_ms);
        key.meta.pending_window_in_days = Some(days);
        let key = self.save_state(key, KeyState::PendingDeletion).await?;
        Ok(ScheduleKeyDeletionOutput {
            key_id: key.arn,
            deletion_date_ms,
            key_state: KeyState::PendingDeletion,
            pending_window_in_days: days,
        })
    }

    /// Returns the key ARN. The key comes back `Disabled`, as on AWS.
    pub async fn cancel_key_deletion(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<String, KmsError> {
        let key = self.load(region, key_ref).await?;
        if key.state() != KeyState::PendingDeletion {
            return Err(KmsError::InvalidState(format!(
                "{} is not pending deletion.",
                key.arn
            )));
        }
        let key = self.save_state(key, KeyState::Disabled).await?;
        Ok(key.arn)
    }
}
