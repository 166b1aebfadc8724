//! PutSecretValue, UpdateSecret and UpdateSecretVersionStage: the writes
//! that add versions or move staging labels (rules in `stages`).

use kinko_store::{SecretState, SecretVersion, WriteOutcome};

use super::create::token_in_use;
use super::error::SecretsError;
use super::model::{
    Caller, PutSecretValueInput, PutSecretValueOutput, SecretIdentity, SecretValue,
    UpdateSecretInput, UpdateSecretVersionStageInput,
};
use super::service::{
    MAX_WRITE_ATTEMPTS, Plan, SecretsManager, append_version, check_live, check_primary, identity,
    require_token,
};
use super::stages::{CURRENT, PENDING, PREVIOUS, move_stage};

/// What a value write with a token does on this secret.
enum TokenUse {
    /// The token is new: write a version.
    Fresh,
    /// A retry with the same value: no new version, answer with this one.
    Retry(Vec<String>),
}

impl SecretsManager {
    /// §2: a token already used on this secret is a retry when the value is
    /// the same, and a conflict otherwise.
    async fn token_use(
        &self,
        state: &SecretState,
        token: &str,
        value: &SecretValue,
    ) -> Result<TokenUse, SecretsError> {
        let Some(version) = state.versions.iter().find(|v| v.version_id == token) else {
            return Ok(TokenUse::Fresh);
        };
        let stored = self.open(&state.record, version).await?;
        if stored.same_as(value) {
            Ok(TokenUse::Retry(version.stages.clone()))
        } else {
            Err(token_in_use(token, &state.record.arn))
        }
    }

    /// A new version of `state`'s secret, sealed under its key.
    async fn new_version(
        &self,
        state: &SecretState,
        token: &str,
        value: &SecretValue,
    ) -> Result<SecretVersion, SecretsError> {
        Ok(SecretVersion {
            version_id: token.to_owned(),
            value: self.seal(&state.record, token, value).await?,
            binary: value.is_binary(),
            stages: Vec::new(),
            created_ms: self.now(),
            last_accessed_ms: None,
            kms_key_id: state.record.kms_key_id.clone(),
        })
    }

    pub async fn put_secret_value(
        &self,
        caller: &Caller,
        input: PutSecretValueInput,
    ) -> Result<PutSecretValueOutput, SecretsError> {
        let token = require_token(input.client_request_token.as_deref())?;
        let Some(value) = input.value.as_ref() else {
            return Err(SecretsError::InvalidRequest(
                "You must provide either SecretString or SecretBinary.".into(),
            ));
        };
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, &input.secret_id).await?;
            check_primary(&state.record)?;
            check_live(&state.record)?;
            let out = |stages| PutSecretValueOutput {
                arn: state.record.arn.clone(),
                name: state.record.name.clone(),
                version_id: token.to_owned(),
                version_stages: stages,
            };
            if let TokenUse::Retry(stages) = self.token_use(&state, token, value).await? {
                return Ok(out(stages));
            }
            let version = self.new_version(&state, token, value).await?;
            let mut next = state.clone();
            next.record.last_changed_ms = self.now();
            append_version(&mut next, version, input.version_stages.as_deref());
            let stages = next
                .versions
                .iter()
                .find(|v| v.version_id == token)
                .map(|v| v.stages.clone())
                .unwrap_or_default();
            let plan = Plan {
                state: next,
                new_values: vec![(token.to_owned(), value.clone())],
            };
            if self.commit(caller, "PutSecretValue", &state, plan).await? == WriteOutcome::Written {
                return Ok(out(stages));
            }
        }
        Err(SecretsError::too_much_contention(&input.secret_id))
    }

    pub async fn update_secret(
        &self,
        caller: &Caller,
        input: UpdateSecretInput,
    ) -> Result<SecretIdentity, SecretsError> {
        let token = match &input.value {
            Some(_) => Some(require_token(input.client_request_token.as_deref())?),
            None => None,
        };
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, &input.secret_id).await?;
            check_primary(&state.record)?;
            check_live(&state.record)?;
            let mut next = state.clone();
            next.record.last_changed_ms = self.now();
            if let Some(d) = &input.description {
                next.record.description = Some(d.clone()).filter(|d| !d.is_empty());
            }
            if let Some(k) = &input.kms_key_id {
                let key = Some(k.clone()).filter(|k| !k.is_empty());
                if key != next.record.kms_key_id {
                    next.record.kms_key_id = key;
                    self.reencrypt(&state, &mut next).await?;
                }
            }
            let mut new_values = Vec::new();
            let mut version_id = None;
            if let (Some(token), Some(value)) = (token, &input.value) {
                version_id = Some(token.to_owned());
                match self.token_use(&state, token, value).await? {
                    TokenUse::Retry(_) => {}
                    TokenUse::Fresh => {
                        let version = self.new_version(&next, token, value).await?;
                        append_version(&mut next, version, None);
                        new_values.push((token.to_owned(), value.clone()));
                    }
                }
            }
            let plan = Plan {
                state: next,
                new_values,
            };
            if self.commit(caller, "UpdateSecret", &state, plan).await? == WriteOutcome::Written {
                return Ok(identity(&state.record, version_id));
            }
        }
        Err(SecretsError::too_much_contention(&input.secret_id))
    }

    /// A new KMS key: re-seal the versions AWS re-encrypts (those labelled
    /// AWSCURRENT, AWSPENDING or AWSPREVIOUS) under `next`'s key.
    async fn reencrypt(
        &self,
        before: &SecretState,
        next: &mut SecretState,
    ) -> Result<(), SecretsError> {
        for i in 0..next.versions.len() {
            let v = &next.versions[i];
            if !v
                .stages
                .iter()
                .any(|s| s == CURRENT || s == PENDING || s == PREVIOUS)
            {
                continue;
            }
            let plain = self.open(&before.record, v).await?;
            let sealed = self.seal(&next.record, &v.version_id, &plain).await?;
            let key = next.record.kms_key_id.clone();
            let v = &mut next.versions[i];
            v.value = sealed;
            v.kms_key_id = key;
        }
        Ok(())
    }

    pub async fn update_secret_version_stage(
        &self,
        caller: &Caller,
        input: &UpdateSecretVersionStageInput,
    ) -> Result<SecretIdentity, SecretsError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, &input.secret_id).await?;
            check_primary(&state.record)?;
            check_live(&state.record)?;
            let mut next = state.clone();
            move_stage(
                &mut next.versions,
                &input.version_stage,
                input.remove_from_version_id.as_deref(),
                input.move_to_version_id.as_deref(),
            )?;
            next.record.last_changed_ms = self.now();
            let plan = Plan {
                state: next,
                new_values: Vec::new(),
            };
            if self
                .commit(caller, "UpdateSecretVersionStage", &state, plan)
                .await?
                == WriteOutcome::Written
            {
                return Ok(identity(&state.record, None));
            }
        }
        Err(SecretsError::too_much_contention(&input.secret_id))
    }
}
