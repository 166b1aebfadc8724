//! Which keys are customer managed: the access checks need it to decide
//! whether reading a SecureString or a secret also needs `kms:Decrypt` (an
//! AWS-managed key's policy lets the service use it on the caller's
//! behalf; a customer-managed key's does not).
//!
//! A key's manager never changes, so the answer is remembered per key id
//! for the life of the process: after the first sight of a key this costs
//! no store read.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use kinko_crypto::envelope;
use kinko_store::{KeyRows, StoreError};

use super::KeyAccess;
use crate::keyring::{Keyring, KeyringError};

/// Region → key id → "customer managed".
#[derive(Debug, Default)]
pub struct KeyManagers {
    known: RwLock<HashMap<String, HashMap<String, bool>>>,
}

impl KeyManagers {
    pub fn new() -> Self {
        Self::default()
    }

    fn remembered(&self, region: &str, key_id: &str) -> Option<bool> {
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        known.get(region)?.get(key_id).copied()
    }

    fn remember(&self, region: &str, key_id: &str, customer: bool) {
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        known
            .entry(region.to_owned())
            .or_default()
            .insert(key_id.to_owned(), customer);
    }

    /// Whether the key `key_id` of `region` is customer managed. A key that
    /// does not exist is not (the operation itself will fail on it).
    pub async fn is_customer_managed(
        &self,
        store: &dyn KeyRows,
        region: &str,
        key_id: &str,
    ) -> Result<bool, StoreError> {
        if let Some(customer) = self.remembered(region, key_id) {
            return Ok(customer);
        }
        let Some(record) = store.get_kms_key(region, key_id).await? else {
            return Ok(false);
        };
        let customer = record.key_manager != "AWS";
        self.remember(region, key_id, customer);
        Ok(customer)
    }

    /// The ARN of the key a sealed value names, when that key is customer
    /// managed. `None` for AWS-managed keys and for bytes that are not an
    /// envelope (opening them fails anyway).
    pub async fn customer_key_of_sealed(
        &self,
        keyring: &Keyring,
        region: &str,
        sealed: &[u8],
    ) -> Result<Option<String>, StoreError> {
        let Ok(key_id) = envelope::key_id(sealed) else {
            return Ok(None);
        };
        Ok(self
            .is_customer_managed(keyring.key_rows(), region, key_id)
            .await?
            .then(|| keyring.key_arn(region, key_id)))
    }

    /// The access facts (policy, grants, tags) of the customer-managed key
    /// `key_arn` (as [`Self::customer_key_of_sealed`] or
    /// [`Self::customer_key_of_ref`] named it), read from its record now:
    /// its policy and grants may have changed since the last request.
    /// `None` when the key no longer exists.
    pub async fn key_access(
        &self,
        keyring: &Keyring,
        region: &str,
        key_arn: &str,
    ) -> Result<Option<KeyAccess>, StoreError> {
        let Some((_, key_id)) = key_arn.rsplit_once(":key/") else {
            return Ok(None);
        };
        Ok(keyring
            .key_rows()
            .get_kms_key(region, key_id)
            .await?
            .map(|record| KeyAccess::of_record(record, key_arn.to_owned(), keyring.account_id())))
    }

    /// The ARN of the key a reference (key id, key ARN, alias name or alias
    /// ARN) names, when that key is customer managed. A reference to no key
    /// is `None`: the operation then fails with its own error.
    pub async fn customer_key_of_ref(
        &self,
        keyring: &Keyring,
        region: &str,
        key_ref: &str,
    ) -> Result<Option<String>, StoreError> {
        let resolved = match keyring.resolve(region, key_ref).await {
            Ok(r) => r,
            Err(KeyringError::Store(e)) => return Err(e),
            Err(_) => return Ok(None),
        };
        Ok(self
            .is_customer_managed(keyring.key_rows(), region, &resolved.key_id)
            .await?
            .then_some(resolved.arn))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kinko_crypto::RootKey;
    use kinko_store::{SqliteStore, Store};

    use super::*;
    use crate::kms::{CreateKeyInput, Kms};

    #[tokio::test]
    async fn tells_customer_keys_from_aws_managed_ones() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let keyring = Arc::new(Keyring::new(store.clone(), RootKey::generate(), "1".into()));
        let kms = Kms::new(store.clone(), keyring.clone());
        let key = kms
            .create_key("us-east-1", CreateKeyInput::default())
            .await
            .unwrap();
        let managers = KeyManagers::new();
        let found = managers
            .customer_key_of_ref(&keyring, "us-east-1", &key.key_id)
            .await
            .unwrap();
        assert_eq!(found.as_deref(), Some(key.arn.as_str()));
        let managed = managers
            .customer_key_of_ref(&keyring, "us-east-1", "alias/aws/ssm")
            .await
            .unwrap();
        assert_eq!(managed, None);
        let missing = managers
            .customer_key_of_ref(&keyring, "us-east-1", "alias/nope")
            .await
            .unwrap();
        assert_eq!(missing, None);

        let (sealed, _) = keyring
            .seal("us-east-1", &key.key_id, b"v", b"aad")
            .await
            .unwrap();
        let of_sealed = managers
            .customer_key_of_sealed(&keyring, "us-east-1", &sealed)
            .await
            .unwrap();
        assert_eq!(of_sealed.as_deref(), Some(key.arn.as_str()));
        assert_eq!(
            managers
                .customer_key_of_sealed(&keyring, "us-east-1", b"not an envelope")
                .await
                .unwrap(),
            None
        );
        // Remembered: the answer no longer needs the store.
        assert_eq!(managers.remembered("us-east-1", &key.key_id), Some(true));
    }
}
