//! GetSecretValue and BatchGetSecretValue: the hot read path.

use kinko_store::{SecretState, SecretVersion, SecretWrite};

use super::access::SecretAccess;
use super::error::SecretsError;
use super::list::{Candidates, matches_all};
use super::model::{
    BatchError, BatchGetSecretValueInput, BatchGetSecretValueOutput, Caller, GetSecretValueInput,
    SecretValueOutput,
};
use super::service::{SecretsManager, check_live, day_of};
use super::stages::{CURRENT, holder};

/// BatchGetSecretValue's page size limit (and default).
pub const BATCH_MAX: usize = 20;

/// The version a `VersionId`/`VersionStage` pair names (neither: AWSCURRENT).
pub(super) fn select_version<'a>(
    versions: &'a [SecretVersion],
    version_id: Option<&str>,
    version_stage: Option<&str>,
) -> Result<&'a SecretVersion, SecretsError> {
    match version_id {
        Some(id) => {
            let v = versions
                .iter()
                .find(|v| v.version_id == id)
                .ok_or_else(|| SecretsError::version_not_found(id))?;
            if let Some(stage) = version_stage
                && !v.stages.iter().any(|s| s == stage)
            {
                return Err(SecretsError::InvalidRequest(
                    "You provided a VersionStage that is not associated to the provided VersionId."
                        .into(),
                ));
            }
            Ok(v)
        }
        None => {
            let stage = version_stage.unwrap_or(CURRENT);
            holder(versions, stage).ok_or_else(|| SecretsError::stage_not_found(stage))
        }
    }
}

impl SecretsManager {
    pub async fn get_secret_value(
        &self,
        caller: &Caller,
        input: &GetSecretValueInput,
    ) -> Result<SecretValueOutput, SecretsError> {
        let state = self.resolve(caller, &input.secret_id).await?;
        self.read_value(
            &state,
            input.version_id.as_deref(),
            input.version_stage.as_deref(),
        )
        .await
    }

    pub(super) async fn read_value(
        &self,
        state: &SecretState,
        version_id: Option<&str>,
        version_stage: Option<&str>,
    ) -> Result<SecretValueOutput, SecretsError> {
        check_live(&state.record)?;
        let version = select_version(&state.versions, version_id, version_stage)?;
        let value = self.open(&state.record, version).await?;
        // The key the envelope names (a replica seals under its own): a
        // remembered answer after the first read of each key.
        let kms_key_arn = self
            .key_managers
            .customer_key_of_sealed(&self.keyring, &state.record.region, &version.value)
            .await?;
        self.touch(state, &version.version_id).await;
        Ok(SecretValueOutput {
            arn: state.record.arn.clone(),
            name: state.record.name.clone(),
            version_id: version.version_id.clone(),
            value,
            version_stages: version.stages.clone(),
            created_ms: version.created_ms,
            kms_key_arn,
        })
    }

    /// Records `LastAccessedDate` (to the day, as AWS does): at most one
    /// write per secret per day. Best effort: a lost race or a store hiccup
    /// must not fail the read.
    async fn touch(&self, state: &SecretState, version_id: &str) {
        let today = day_of(self.now());
        let version = state.versions.iter().find(|v| v.version_id == version_id);
        let version_fresh = version.is_some_and(|v| v.last_accessed_ms == Some(today));
        if state.record.last_accessed_ms == Some(today) && version_fresh {
            return;
        }
        let mut record = state.record.clone();
        record.last_accessed_ms = Some(today);
        let upsert = version
            .filter(|_| !version_fresh)
            .map(|v| SecretVersion {
                last_accessed_ms: Some(today),
                ..v.clone()
            })
            .into_iter()
            .collect();
        let write = SecretWrite::Update {
            expected_revision: state.record.revision,
            record,
            upsert_versions: upsert,
            delete_versions: Vec::new(),
        };
        if let Err(e) = self.store.write_secrets(vec![write], Vec::new()).await {
            tracing::warn!(error = %e, secret = %state.record.name, "could not record LastAccessedDate");
        }
    }

    pub async fn batch_get_secret_value(
        &self,
        caller: &Caller,
        input: &BatchGetSecretValueInput,
    ) -> Result<BatchGetSecretValueOutput, SecretsError> {
        self.batch_get_secret_value_checked(caller, input, &|_| Ok(()))
            .await
    }

    /// BatchGetSecretValue with a per-secret access check (AWS requires
    /// `secretsmanager:GetSecretValue` on each): a secret `authorize`
    /// refuses is not opened and lands in `Errors` with the refusal.
    pub async fn batch_get_secret_value_checked(
        &self,
        caller: &Caller,
        input: &BatchGetSecretValueInput,
        authorize: &(dyn Fn(&SecretAccess) -> Result<(), SecretsError> + Sync),
    ) -> Result<BatchGetSecretValueOutput, SecretsError> {
        match (&input.secret_ids, &input.filters) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(SecretsError::InvalidParameter(
                    "Either 'SecretIdList' or 'Filters' must be provided, but not both.".into(),
                ));
            }
            _ => {}
        }
        if input.max_results.is_some() && input.filters.is_none() {
            return Err(SecretsError::InvalidParameter(
                "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided."
                    .into(),
            ));
        }
        let mut values = Vec::new();
        let mut errors = Vec::new();
        let mut next_token = None;
        if let Some(ids) = &input.secret_ids {
            for id in ids {
                let result = match self.find(caller, id).await? {
                    Some(state) => match authorize(&SecretAccess::of(&state.record)) {
                        Ok(()) => self.read_value(&state, None, None).await,
                        Err(e) => Err(e),
                    },
                    None => authorize(&SecretAccess::requested(
                        &caller.region,
                        &caller.account_id,
                        id,
                    ))
                    .and_then(|()| Err(SecretsError::secret_not_found())),
                };
                match result {
                    Ok(v) => values.push(v),
                    Err(e) => errors.push(batch_error(id, e)?),
                }
            }
        } else if let Some(filters) = &input.filters {
            let all = self.store.list_secrets(&caller.region).await?;
            let candidates: Vec<SecretState> = all
                .into_iter()
                .filter(|s| s.record.deleted_ms.is_none() && matches_all(filters, s))
                .collect();
            let page = Candidates::new("BatchGetSecretValue", caller, &format!("{filters:?}"))
                .page(
                    self,
                    candidates,
                    input.max_results.unwrap_or(BATCH_MAX),
                    input.next_token.as_deref(),
                )?;
            next_token = page.next_token;
            for state in page.items {
                let checked = match authorize(&SecretAccess::of(&state.record)) {
                    Ok(()) => self.read_value(&state, None, None).await,
                    Err(e) => Err(e),
                };
                match checked {
                    Ok(v) => values.push(v),
                    Err(e) => errors.push(batch_error(&state.record.name, e)?),
                }
            }
        }
        Ok(BatchGetSecretValueOutput {
            values,
            errors,
            next_token,
        })
    }
}

/// Per-secret failures go to `Errors`; faults still fail the call.
fn batch_error(secret_id: &str, e: SecretsError) -> Result<BatchError, SecretsError> {
    let (code, message) = match e {
        SecretsError::ResourceNotFound(m) => ("ResourceNotFoundException", m),
        SecretsError::InvalidRequest(m) => ("InvalidRequestException", m),
        SecretsError::InvalidParameter(m) => ("InvalidParameterException", m),
        SecretsError::DecryptionFailure(m) => ("DecryptionFailure", m),
        SecretsError::AccessDenied(m) => ("AccessDeniedException", m),
        other => return Err(other),
    };
    Ok(BatchError {
        secret_id: secret_id.to_owned(),
        error_code: code,
        message,
    })
}
