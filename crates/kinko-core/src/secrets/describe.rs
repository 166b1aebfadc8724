//! DescribeSecret and ListSecretVersionIds.

use kinko_store::SecretState;

use super::error::SecretsError;
use super::meta::SecretMeta;
use super::model::{
    Caller, ListSecretVersionIdsInput, ListSecretVersionIdsOutput, SecretDescription, VersionEntry,
};
use super::replication::statuses;
use super::service::{DEFAULT_KEY, SecretsManager, check_live};
use crate::ssm::paging::TokenScope;

/// What ListSecretVersionIds reports for the AWS-managed key (observed).
pub const DEFAULT_KEY_LABEL: &str = "DefaultEncryptionKey";

impl SecretsManager {
    pub async fn describe_secret(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<SecretDescription, SecretsError> {
        let state = self.resolve(caller, secret_id).await?;
        self.describe(&state).await
    }

    pub(super) async fn describe(
        &self,
        state: &SecretState,
    ) -> Result<SecretDescription, SecretsError> {
        let r = &state.record;
        let meta = SecretMeta::parse(&r.metadata)?;
        let replicated = !meta.replicas.is_empty();
        let primary_region = match (&r.primary_region, replicated) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => Some(r.region.clone()),
            (None, false) => None,
        };
        Ok(SecretDescription {
            arn: r.arn.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            kms_key_id: r.kms_key_id.clone(),
            last_changed_ms: r.last_changed_ms,
            last_accessed_ms: r.last_accessed_ms,
            deleted_ms: r.deleted_ms,
            tags: r.tagged.then(|| r.tags.clone()),
            version_ids_to_stages: state
                .versions
                .iter()
                .filter(|v| !v.stages.is_empty())
                .map(|v| (v.version_id.clone(), v.stages.clone()))
                .collect(),
            created_ms: r.created_ms,
            primary_region,
            replication_status: statuses(&meta),
        })
    }

    pub async fn list_secret_version_ids(
        &self,
        caller: &Caller,
        input: &ListSecretVersionIdsInput,
    ) -> Result<ListSecretVersionIdsOutput, SecretsError> {
        let state = self.resolve(caller, &input.secret_id).await?;
        check_live(&state.record)?;
        let scope = TokenScope::new(
            "ListSecretVersionIds",
            &caller.region,
            &format!("{}|{}", state.record.arn, input.include_deprecated),
        );
        // Newest first; the cursor is the position in that order.
        let mut versions: Vec<_> = state
            .versions
            .iter()
            .filter(|v| input.include_deprecated || !v.stages.is_empty())
            .collect();
        versions.sort_by(|a, b| {
            b.created_ms
                .cmp(&a.created_ms)
                .then_with(|| a.version_id.cmp(&b.version_id))
        });
        let start = match input.next_token.as_deref() {
            Some(t) => scope
                .open(self.keyring.as_ref(), t)
                .ok()
                .and_then(|c| c.parse::<usize>().ok())
                .ok_or_else(SecretsError::invalid_next_token)?,
            None => 0,
        };
        let max = input.max_results.unwrap_or(100).max(1);
        let end = (start + max).min(versions.len());
        let next_token =
            (end < versions.len()).then(|| scope.issue(self.keyring.as_ref(), &end.to_string()));
        let entries = versions
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|v| VersionEntry {
                version_id: v.version_id.clone(),
                version_stages: (!v.stages.is_empty()).then(|| v.stages.clone()),
                last_accessed_ms: v.last_accessed_ms,
                created_ms: v.created_ms,
                kms_key_ids: vec![match v.kms_key_id.as_deref() {
                    None | Some(DEFAULT_KEY) => DEFAULT_KEY_LABEL.to_owned(),
                    Some(k) => k.to_owned(),
                }],
            })
            .collect();
        Ok(ListSecretVersionIdsOutput {
            arn: state.record.arn.clone(),
            name: state.record.name.clone(),
            versions: entries,
            next_token,
        })
    }
}
