//! CreateAlias, UpdateAlias, DeleteAlias and ListAliases (spec §4 for the
//! rules and texts).

use kinko_store::{KmsAliasRecord, StoreError};

use super::model::{AliasEntry, Page};
use super::{KeyHandle, Kms, KmsError, now_ms};
use crate::keyring::managed_aliases;

const RESERVED_PREFIX: &str = "alias/aws/";

/// The alias-name rules that are semantics rather than model constraints.
fn check_alias_name(alias: &str) -> Result<(), KmsError> {
    if !alias.starts_with("alias/") {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
                .into(),
        ));
    }
    if alias.starts_with(RESERVED_PREFIX) {
        return Err(KmsError::NotAuthorized);
    }
    Ok(())
}

/// An alias may point only at an existing customer key that is not pending
/// deletion.
fn check_target(key: &KeyHandle) -> Result<(), KmsError> {
    if key.is_managed() {
        return Err(KmsError::managed_key(&key.arn));
    }
    if key.state().is_pending_deletion() {
        return Err(KmsError::pending_deletion(&key.arn));
    }
    Ok(())
}

impl Kms {
    /// An alias's change: the alias's ARN and name, the key it points to.
    fn alias_change(
        &self,
        region: &str,
        alias: &str,
        operation: &str,
        key_id: &str,
    ) -> kinko_store::Change {
        let mut change = self
            .keyring
            .key_change(region, alias, operation)
            .with("targetKeyId", key_id);
        change.resource = self.alias_arn(region, alias);
        change
    }

    pub async fn create_alias(
        &self,
        region: &str,
        alias: &str,
        target_key_id: &str,
    ) -> Result<(), KmsError> {
        check_alias_name(alias)?;
        let key = self.load_key_only(region, target_key_id).await?;
        check_target(&key)?;
        let now = now_ms();
        let record = KmsAliasRecord {
            region: region.to_owned(),
            alias: alias.to_owned(),
            key_id: key.record.key_id.clone(),
            created_ms: now,
            updated_ms: now,
        };
        let change = self.alias_change(region, alias, "CreateAlias", &key.record.key_id);
        match self.store.create_kms_alias(record, change).await {
            Ok(()) => Ok(()),
            Err(StoreError::AlreadyExists) => Err(KmsError::AlreadyExists(format!(
                "An alias with the name {} already exists",
                self.alias_arn(region, alias)
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update_alias(
        &self,
        region: &str,
        alias: &str,
        target_key_id: &str,
    ) -> Result<(), KmsError> {
        check_alias_name(alias)?;
        if self.store.get_kms_alias(region, alias).await?.is_none() {
            return Err(self.alias_not_found(region, alias));
        }
        let key = self.load_key_only(region, target_key_id).await?;
        check_target(&key)?;
        match self
            .store
            .update_kms_alias(
                region,
                alias,
                &key.record.key_id,
                now_ms(),
                self.alias_change(region, alias, "UpdateAlias", &key.record.key_id),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(self.alias_not_found(region, alias)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_alias(&self, region: &str, alias: &str) -> Result<(), KmsError> {
        check_alias_name(alias)?;
        let mut change = self.keyring.key_change(region, alias, "DeleteAlias");
        change.resource = self.alias_arn(region, alias);
        if self.store.delete_kms_alias(region, alias, change).await? {
            Ok(())
        } else {
            Err(self.alias_not_found(region, alias))
        }
    }

    /// Aliases in name order. Without a `key_ref` filter the predefined
    /// `alias/aws/*` are listed even before their key exists (without a
    /// target, as AWS lists them). `key_ref` is a key id or key ARN.
    pub async fn list_aliases(
        &self,
        region: &str,
        key_ref: Option<&str>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<AliasEntry>, KmsError> {
        let filter = match key_ref {
            Some(r) => Some(self.load_key_only(region, r).await?.record.key_id),
            None => None,
        };
        let stored = self.store.list_kms_aliases(region).await?;
        let mut entries: Vec<AliasEntry> = stored
            .into_iter()
            .filter(|a| filter.as_deref().is_none_or(|k| a.key_id == k))
            .map(|a| AliasEntry {
                alias_arn: self.alias_arn(region, &a.alias),
                alias_name: a.alias,
                target_key_id: Some(a.key_id),
                creation_ms: Some(a.created_ms),
                last_updated_ms: Some(a.updated_ms),
            })
            .collect();
        if filter.is_none() {
            for name in managed_aliases() {
                if !entries.iter().any(|e| e.alias_name == name) {
                    entries.push(AliasEntry {
                        alias_name: name.to_owned(),
                        alias_arn: self.alias_arn(region, name),
                        target_key_id: None,
                        creation_ms: None,
                        last_updated_ms: None,
                    });
                }
            }
        }
        entries.sort_by(|a, b| a.alias_name.cmp(&b.alias_name));
        self.page("aliases", entries, |a| a.alias_name.as_str(), limit, marker)
    }
}
