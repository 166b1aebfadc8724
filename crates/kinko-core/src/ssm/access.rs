//! What the access checks in front of the Parameter Store operations need
//! beyond the names in the request: a parameter's tags (only when a policy
//! has a tag condition), the KMS key a write would seal under, and the
//! secret behind an `/aws/reference/secretsmanager/…` name.

use kinko_model::Tag;
use kinko_model::ssm::ParameterName;
use kinko_model::ssm::VersionSelector;
use kinko_store::ParameterLookup;

use super::error::SsmError;
use super::get::{SECRETS_REFERENCE, split_reference};
use super::model::{Caller, PutParameterInput};
use super::service::{DEFAULT_KEY, ParameterStore};
use super::types::ParameterType;
use crate::secrets::SecretAccess;

/// The secret id an `/aws/reference/secretsmanager/<secret-id>[:<selector>]`
/// name reads; `None` for any other name.
pub fn reference_secret_id(name: &str) -> Option<&str> {
    let reference = name.strip_prefix(SECRETS_REFERENCE)?;
    Some(split_reference(reference).0)
}

/// The name part of a reference name, without its `:<selector>`: what the
/// `ssm:GetParameter` check is made on.
pub fn reference_name(name: &str) -> Option<&str> {
    let secret_id = reference_secret_id(name)?;
    name.get(..SECRETS_REFERENCE.len() + secret_id.len())
}

impl ParameterStore {
    /// The key policy, grants and tags of the customer-managed key
    /// `key_arn` a SecureString is (or will be) sealed under, for its
    /// `kms:` check. `None`: the key no longer exists.
    pub async fn kms_key_access(
        &self,
        region: &str,
        key_arn: &str,
    ) -> Result<Option<crate::kms::KeyAccess>, SsmError> {
        Ok(self
            .key_managers
            .key_access(&self.keyring, region, key_arn)
            .await?)
    }

    /// The tags of a parameter by canonical name; none when it does not
    /// exist. One store read: call it only when a policy needs them.
    pub async fn parameter_tags(
        &self,
        region: &str,
        canonical: &str,
    ) -> Result<Vec<Tag>, SsmError> {
        match self
            .store
            .get_parameter(region, canonical, &VersionSelector::Latest)
            .await?
        {
            ParameterLookup::Found(r) => Ok(r.tags),
            ParameterLookup::NotFound | ParameterLookup::VersionNotFound => Ok(Vec::new()),
        }
    }

    /// The customer-managed key (ARN) PutParameter would seal `input`'s
    /// value under, if any: the named `KeyId`, or for an overwrite of a
    /// SecureString without one, the key of the current version. `None`
    /// for `String`/`StringList`, the AWS-managed default and an unknown
    /// key (the write then fails with `InvalidKeyId`).
    pub async fn put_key_arn(
        &self,
        caller: &Caller,
        input: &PutParameterInput,
    ) -> Result<Option<String>, SsmError> {
        if input
            .parameter_type
            .is_some_and(|t| t != ParameterType::SecureString)
        {
            return Ok(None);
        }
        let key_ref = match &input.key_id {
            Some(k) => Some(k.clone()),
            None => {
                let Ok(name) = ParameterName::parse(&input.name) else {
                    return Ok(None);
                };
                match self
                    .store
                    .get_parameter(&caller.region, name.canonical(), &VersionSelector::Latest)
                    .await?
                {
                    ParameterLookup::Found(r)
                        if r.version.parameter_type == ParameterType::SecureString =>
                    {
                        r.version.key_id
                    }
                    _ => None,
                }
            }
        };
        let Some(key_ref) = key_ref.filter(|k| k != DEFAULT_KEY) else {
            return Ok(None);
        };
        Ok(self
            .key_managers
            .customer_key_of_ref(&self.keyring, &caller.region, &key_ref)
            .await?)
    }

    /// The secret an `/aws/reference/secretsmanager/…` name reads, for the
    /// `secretsmanager:GetSecretValue` check AWS makes on such reads (the
    /// requested ARN's facts when it names no secret). `None` when `name`
    /// is not a reference or this store serves none.
    pub async fn reference_access(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Option<SecretAccess>, SsmError> {
        let (Some(secret_id), Some(secrets)) = (reference_secret_id(name), &self.secrets) else {
            return Ok(None);
        };
        if secret_id.is_empty() {
            return Ok(None);
        }
        secrets
            .access_facts_or_requested(caller, secret_id)
            .await
            .map(Some)
            .map_err(|e| match e {
                crate::secrets::SecretsError::Unavailable(m) => SsmError::Unavailable(m),
                crate::secrets::SecretsError::OutOfSpace => SsmError::OutOfSpace,
                other => SsmError::Internal(other.to_string()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_names() {
        let n = "/aws/reference/secretsmanager/app/db:AWSPREVIOUS";
        assert_eq!(reference_secret_id(n), Some("app/db"));
        assert_eq!(
            reference_name(n),
            Some("/aws/reference/secretsmanager/app/db")
        );
        let arn =
            "/aws/reference/secretsmanager/arn:aws:secretsmanager:us-east-1:1:secret:db-AbC123";
        assert_eq!(
            reference_secret_id(arn),
            Some("arn:aws:secretsmanager:us-east-1:1:secret:db-AbC123")
        );
        assert_eq!(reference_name(arn), Some(arn));
        assert_eq!(reference_secret_id("/app/db"), None);
    }
}
