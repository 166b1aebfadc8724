//! CreateSecret, with `ClientRequestToken` idempotency and replicas.

use kinko_model::secrets::{SecretName, secret_arn};
use kinko_store::{SecretRecord, SecretState, SecretVersion, SecretWrite, WriteOutcome};

use super::error::SecretsError;
use super::meta::SecretMeta;
use super::model::{Caller, CreateSecretInput, CreateSecretOutput};
use super::replication::{check_regions, statuses};
use super::service::{MAX_WRITE_ATTEMPTS, SecretsManager, append_version, require_token};
use super::suffix::random_suffix;
use super::tags::{MAX_TAGS, check_tags};

impl SecretsManager {
    pub async fn create_secret(
        &self,
        caller: &Caller,
        input: CreateSecretInput,
    ) -> Result<CreateSecretOutput, SecretsError> {
        let token = require_token(input.client_request_token.as_deref())?.to_owned();
        let name = SecretName::parse(&input.name)?;
        check_tags(&input.tags)?;
        if input.tags.len() > MAX_TAGS {
            return Err(SecretsError::LimitExceeded(format!(
                "A secret can have at most {MAX_TAGS} tags."
            )));
        }
        check_regions(&caller.region, &input.add_replica_regions)?;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            if let Some(existing) = self.store.get_secret(&caller.region, name.as_str()).await? {
                return self.create_retry(&existing, &token, &input).await;
            }
            let now = self.now();
            let arn = secret_arn(
                &caller.region,
                &caller.account_id,
                name.as_str(),
                &random_suffix(),
            );
            let record = SecretRecord {
                region: caller.region.clone(),
                name: name.as_str().to_owned(),
                arn,
                description: input.description.clone().filter(|d| !d.is_empty()),
                kms_key_id: input.kms_key_id.clone().filter(|k| !k.is_empty()),
                tags: input.tags.clone(),
                tagged: !input.tags.is_empty(),
                resource_policy: None,
                created_ms: now,
                last_changed_ms: now,
                last_accessed_ms: None,
                deleted_ms: None,
                deletion_date_ms: None,
                primary_region: None,
                metadata: SecretMeta::default().render(),
                revision: 0,
            };
            let mut state = SecretState {
                record,
                versions: Vec::new(),
            };
            let mut values = Vec::new();
            if let Some(value) = &input.value {
                let sealed = self.seal(&state.record, &token, value).await?;
                let version = SecretVersion {
                    version_id: token.clone(),
                    value: sealed,
                    binary: value.is_binary(),
                    stages: Vec::new(),
                    created_ms: now,
                    last_accessed_ms: None,
                    kms_key_id: state.record.kms_key_id.clone(),
                };
                append_version(&mut state, version, None);
                values.push((token.clone(), value.clone()));
            }
            let (replicas, metas) = self
                .replica_creates(
                    &state,
                    &values,
                    &input.add_replica_regions,
                    input.force_overwrite_replica_secret,
                )
                .await?;
            let meta = SecretMeta { replicas: metas };
            state.record.metadata = meta.render();
            let out = CreateSecretOutput {
                arn: state.record.arn.clone(),
                name: state.record.name.clone(),
                version_id: input.value.as_ref().map(|_| token.clone()),
                replication_status: statuses(&meta),
            };
            let change = self.change(caller, "CreateSecret", None, &state);
            let mut writes = vec![SecretWrite::Create { state }];
            writes.extend(replicas);
            if self.store.write_secrets(writes, vec![change]).await? == WriteOutcome::Written {
                return Ok(out);
            }
        }
        Err(SecretsError::too_much_contention(name.as_str()))
    }

    /// The name is taken: a retry of this very create (same token, same
    /// value) succeeds; anything else is refused.
    async fn create_retry(
        &self,
        existing: &SecretState,
        token: &str,
        input: &CreateSecretInput,
    ) -> Result<CreateSecretOutput, SecretsError> {
        let record = &existing.record;
        if record.deleted_ms.is_some() {
            return Err(SecretsError::InvalidRequest(
                "You can't create this secret because a secret with this name is already scheduled for deletion."
                    .into(),
            ));
        }
        let exists = || {
            SecretsError::ResourceExists(format!(
                "The operation failed because the secret {} already exists.",
                record.name
            ))
        };
        if record.primary_region.is_some() {
            return Err(exists());
        }
        let (Some(version), Some(value)) = (
            existing.versions.iter().find(|v| v.version_id == token),
            input.value.as_ref(),
        ) else {
            return Err(exists());
        };
        let stored = self.open(record, version).await?;
        if !stored.same_as(value) {
            return Err(token_in_use(token, &record.arn));
        }
        let meta = SecretMeta::parse(&record.metadata)?;
        Ok(CreateSecretOutput {
            arn: record.arn.clone(),
            name: record.name.clone(),
            version_id: Some(token.to_owned()),
            replication_status: statuses(&meta),
        })
    }
}

pub(super) fn token_in_use(token: &str, arn: &str) -> SecretsError {
    SecretsError::ResourceExists(format!(
        "You can't use ClientRequestToken {token} because that value is already in use for a version of secret {arn}."
    ))
}
