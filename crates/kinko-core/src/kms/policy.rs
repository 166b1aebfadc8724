//! Key policies (spec §10): GetKeyPolicy, PutKeyPolicy, ListKeyPolicies,
//! and UpdateKeyDescription beside them (the other key-administration
//! write that has no state rule of its own).
//!
//! A key created without `Policy` keeps `None` and is governed by the
//! default key policy, which delegates to IAM: what kinko did before key
//! policies were enforced. The lockout safety check of PutKeyPolicy is an
//! authorization question, so the wire layer asks `iam::Access` about it
//! before calling [`Kms::put_key_policy`].
//!
//! Choices where AWS is silent: a `PolicyName` other than `default` is
//! `NotFoundException`; AWS managed keys show the default policy (kinko
//! enforces no `kms:ViaService` conditions: the services it fronts use
//! those keys in-process) and refuse PutKeyPolicy and UpdateKeyDescription
//! as they refuse DisableKey; a policy may be replaced and read in any key
//! state, while UpdateKeyDescription, like TagResource, is refused on a key
//! pending deletion.

use super::model::Page;
use super::{KeyHandle, Kms, KmsError};

/// The only key policy name.
pub const DEFAULT_POLICY_NAME: &str = "default";

/// KMS's quota on a key policy document ("Key policy document size:
/// 32 KB"); the model's own limit (131,072) is checked by the wire layer.
pub const MAX_KEY_POLICY_CHARS: usize = 32_768;

/// The policy a key gets when CreateKey has no `Policy` (developer guide,
/// "Default key policy"): it delegates every `kms:` action to IAM.
pub fn default_key_policy(account_id: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Id":"key-default-1","Statement":[{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account_id}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    )
}

/// Checks a key policy as the evaluator will read it, with AWS's codes:
/// too long is `LimitExceededException`, anything the parser refuses is
/// `MalformedPolicyDocumentException` saying why.
pub fn check_key_policy(policy: &str) -> Result<(), KmsError> {
    if policy.chars().count() > MAX_KEY_POLICY_CHARS {
        return Err(KmsError::LimitExceeded(format!(
            "The key policy is longer than {MAX_KEY_POLICY_CHARS} characters."
        )));
    }
    kinko_model::iam::Policy::parse_resource(policy)
        .map(drop)
        .map_err(|error| {
            KmsError::MalformedPolicyDocument(format!("The key policy is not valid: {error}"))
        })
}

/// `PolicyName`, when given, must be `default`.
pub fn check_policy_name(name: Option<&str>) -> Result<(), KmsError> {
    match name {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(other) => Err(KmsError::NotFound(format!(
            "Key policy {other} does not exist; the only key policy name is default."
        ))),
    }
}

impl KeyHandle {
    /// The policy that governs the key: the one set, or the default.
    pub(super) fn effective_policy(&self, account_id: &str) -> String {
        self.meta
            .policy
            .clone()
            .unwrap_or_else(|| default_key_policy(account_id))
    }
}

impl Kms {
    pub async fn get_key_policy(
        &self,
        region: &str,
        key_ref: &str,
        policy_name: Option<&str>,
    ) -> Result<String, KmsError> {
        let key = self.load(region, key_ref).await?;
        check_policy_name(policy_name)?;
        Ok(key.effective_policy(self.account_id()))
    }

    /// Replaces the key policy. The caller has passed the access check and
    /// the lockout safety check (or bypassed it).
    pub async fn put_key_policy(
        &self,
        region: &str,
        key_ref: &str,
        policy_name: Option<&str>,
        policy: &str,
    ) -> Result<(), KmsError> {
        let (_guard, mut key) = self.load_locked(region, key_ref).await?;
        check_policy_name(policy_name)?;
        if key.is_managed() {
            return Err(KmsError::managed_key(&key.arn));
        }
        check_key_policy(policy)?;
        key.meta.policy = Some(policy.to_owned());
        self.save_meta(key, "PutKeyPolicy").await
    }

    /// `["default"]`, paged as ListKeyPolicies pages (it never truncates).
    pub async fn list_key_policies(
        &self,
        region: &str,
        key_ref: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<String>, KmsError> {
        let key = self.load(region, key_ref).await?;
        let kind = format!("policies:{}", key.record.key_id);
        self.page(
            &kind,
            vec![DEFAULT_POLICY_NAME.to_owned()],
            String::as_str,
            limit,
            marker,
        )
    }

    pub async fn update_key_description(
        &self,
        region: &str,
        key_ref: &str,
        description: &str,
    ) -> Result<(), KmsError> {
        let (_guard, mut key) = self.load_locked(region, key_ref).await?;
        if key.is_managed() {
            return Err(KmsError::managed_key(&key.arn));
        }
        if key.state().is_pending_deletion() {
            return Err(KmsError::pending_deletion(&key.arn));
        }
        description.clone_into(&mut key.record.description);
        self.save_meta(key, "UpdateKeyDescription").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_parses_and_names_the_account() {
        let text = default_key_policy("111122223333");
        check_key_policy(&text).unwrap();
        assert!(text.contains(r#""AWS":"arn:aws:iam::111122223333:root""#));
    }

    #[test]
    fn policy_checks_say_what_is_wrong() {
        let err = check_key_policy("{").unwrap_err();
        assert!(
            matches!(err, KmsError::MalformedPolicyDocument(ref m) if m.starts_with("The key policy is not valid: ")),
            "{err:?}"
        );
        // A resource policy statement needs a Principal.
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
        assert!(matches!(
            check_key_policy(no_principal),
            Err(KmsError::MalformedPolicyDocument(_))
        ));
        let long = format!(
            r#"{{"Version":"2012-10-17","Id":"{}","Statement":[]}}"#,
            "x".repeat(MAX_KEY_POLICY_CHARS)
        );
        assert!(matches!(
            check_key_policy(&long),
            Err(KmsError::LimitExceeded(_))
        ));
        assert!(check_policy_name(None).is_ok());
        assert!(check_policy_name(Some("default")).is_ok());
        assert!(matches!(
            check_policy_name(Some("other")),
            Err(KmsError::NotFound(_))
        ));
    }
}
