//! What the access checks in front of the operations need to know about a
//! secret: its full ARN (with the random suffix), its resource policy, its
//! tags and its KMS key. Resolved the way the operations resolve a
//! `SecretId` (name, full ARN or partial ARN), so the check is made on the
//! very secret the operation then touches.

use kinko_model::Tag;
use kinko_model::arn::arn;
use kinko_store::SecretRecord;

use super::error::SecretsError;
use super::model::{Caller, GetSecretValueInput, SecretValueOutput};
use super::service::{DEFAULT_KEY, SecretsManager};

/// The resource of an access check on one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretAccess {
    /// The full ARN; for a secret that does not exist (yet), the ARN the
    /// request names: `…:secret:NAME` without a suffix, or the ARN as sent.
    pub arn: String,
    /// The resource policy JSON, as stored.
    pub resource_policy: Option<String>,
    pub tags: Vec<Tag>,
    /// The KMS key new values are sealed under, as named; `None` = the
    /// AWS-managed `alias/aws/secretsmanager`.
    pub kms_key_id: Option<String>,
    /// Whether the secret exists (in any state).
    pub exists: bool,
}

impl SecretAccess {
    /// The facts of a secret that does not exist: the ARN the request
    /// names, no policy, no tags.
    pub fn requested(region: &str, account_id: &str, secret_id: &str) -> Self {
        let arn = if secret_id.starts_with("arn:") {
            secret_id.to_owned()
        } else {
            arn(
                "secretsmanager",
                region,
                account_id,
                &format!("secret:{secret_id}"),
            )
        };
        SecretAccess {
            arn,
            resource_policy: None,
            tags: Vec::new(),
            kms_key_id: None,
            exists: false,
        }
    }

    pub(super) fn of(record: &SecretRecord) -> Self {
        SecretAccess {
            arn: record.arn.clone(),
            resource_policy: record.resource_policy.clone(),
            tags: record.tags.clone(),
            kms_key_id: record.kms_key_id.clone(),
            exists: true,
        }
    }
}

impl SecretsManager {
    /// The key policy, grants and tags of the customer-managed key
    /// `key_arn` a secret is (or will be) sealed under, for its `kms:`
    /// check. `None`: the key no longer exists.
    pub async fn kms_key_access(
        &self,
        region: &str,
        key_arn: &str,
    ) -> Result<Option<crate::kms::KeyAccess>, SecretsError> {
        Ok(self
            .key_managers
            .key_access(&self.keyring, region, key_arn)
            .await?)
    }

    /// The facts of the secret `secret_id` names in the caller's region;
    /// `None` when it names none.
    pub async fn access_facts(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<Option<SecretAccess>, SecretsError> {
        Ok(self
            .find(caller, secret_id)
            .await?
            .map(|state| SecretAccess::of(&state.record)))
    }

    /// [`SecretsManager::access_facts`], or the requested ARN's facts when
    /// the secret does not exist.
    pub async fn access_facts_or_requested(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<SecretAccess, SecretsError> {
        Ok(self
            .access_facts(caller, secret_id)
            .await?
            .unwrap_or_else(|| {
                SecretAccess::requested(&caller.region, &caller.account_id, secret_id)
            }))
    }

    /// The ARN of the customer-managed key `key_ref` names in `region`;
    /// `None` for the default key, an AWS-managed key, or a reference to no
    /// key (the operation then fails with its own error).
    pub async fn customer_key_arn(
        &self,
        region: &str,
        key_ref: Option<&str>,
    ) -> Result<Option<String>, SecretsError> {
        let Some(key_ref) = key_ref.filter(|k| !k.is_empty() && *k != DEFAULT_KEY) else {
            return Ok(None);
        };
        Ok(self
            .key_managers
            .customer_key_of_ref(&self.keyring, region, key_ref)
            .await?)
    }

    /// GetSecretValue with its access check between the lookup and the
    /// read: `authorize` sees the secret's facts (the requested ARN's when
    /// it does not exist) and may refuse; nothing is opened before it
    /// agrees. One store read, as without the check.
    pub async fn get_secret_value_checked<E: From<SecretsError>>(
        &self,
        caller: &Caller,
        input: &GetSecretValueInput,
        authorize: impl FnOnce(&SecretAccess) -> Result<(), E>,
    ) -> Result<SecretValueOutput, E> {
        let Some(state) = self.find(caller, &input.secret_id).await? else {
            authorize(&SecretAccess::requested(
                &caller.region,
                &caller.account_id,
                &input.secret_id,
            ))?;
            return Err(SecretsError::secret_not_found().into());
        };
        authorize(&SecretAccess::of(&state.record))?;
        Ok(self
            .read_value(
                &state,
                input.version_id.as_deref(),
                input.version_stage.as_deref(),
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{CreateSecretInput, SecretValue};

    fn caller() -> Caller {
        Caller {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
        }
    }

    #[tokio::test]
    async fn facts_resolve_every_spelling_of_a_secret_id() {
        let s = SecretsManager::in_memory("123456789012").unwrap();
        let c = caller();
        let created = s
            .create_secret(
                &c,
                CreateSecretInput {
                    name: "app/db".into(),
                    client_request_token: Some("11111111-1111-4111-8111-111111111111".into()),
                    tags: vec![Tag {
                        key: "env".into(),
                        value: "prod".into(),
                    }],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let partial = created.arn[..created.arn.len() - 7].to_owned();
        for id in ["app/db", created.arn.as_str(), partial.as_str()] {
            let f = s.access_facts(&c, id).await.unwrap().unwrap();
            assert_eq!(f.arn, created.arn, "{id}");
            assert!(f.exists);
            assert_eq!(f.tags.len(), 1);
        }
        assert_eq!(s.access_facts(&c, "nope").await.unwrap(), None);
        let requested = s.access_facts_or_requested(&c, "nope").await.unwrap();
        assert_eq!(
            requested.arn,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"
        );
        assert!(!requested.exists);
        let by_arn = SecretAccess::requested("us-east-1", "1", "arn:aws:secretsmanager:x");
        assert_eq!(by_arn.arn, "arn:aws:secretsmanager:x");
    }

    #[tokio::test]
    async fn a_refused_check_opens_nothing() {
        let s = SecretsManager::in_memory("123456789012").unwrap();
        let c = caller();
        s.create_secret(
            &c,
            CreateSecretInput {
                name: "x".into(),
                client_request_token: Some("11111111-1111-4111-8111-111111111111".into()),
                value: Some(SecretValue::Text(kinko_crypto::SecretString::from("v"))),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let input = GetSecretValueInput {
            secret_id: "x".into(),
            ..Default::default()
        };
        let refused = s
            .get_secret_value_checked(&c, &input, |_| Err(SecretsError::AccessDenied("no".into())))
            .await;
        assert!(matches!(refused, Err(SecretsError::AccessDenied(_))));
        // LastAccessedDate was not touched by the refused read.
        let d = s.describe_secret(&c, "x").await.unwrap();
        assert_eq!(d.last_accessed_ms, None);
        let out = s
            .get_secret_value_checked(&c, &input, |_| Ok::<(), SecretsError>(()))
            .await
            .unwrap();
        assert_eq!(out.kms_key_arn, None);
    }
}
