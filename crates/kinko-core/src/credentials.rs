//! Access keys: the AKID/secret pairs SigV4 requests are verified against.
//!
//! A secret access key is stored sealed under a key derived from the root
//! key (never in the clear), and cached opened in memory after first use,
//! because every request needs it.
//!
//! A cached key is trusted for [`DEFAULT_CACHE_TTL`] and then re-read, so a
//! change made on another server sharing the store (a key deactivated)
//! takes effect here within that time even if its invalidation was missed;
//! the server applies invalidations it hears with [`Credentials::forget`].

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use kinko_crypto::{SecretString, random_bytes};
use kinko_store::{AccessKeyRecord, Store, StoreError};

use crate::keyring::{Keyring, KeyringError};

/// An access key with its secret, as a client needs it.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub principal_arn: String,
}

/// A key as the verifier needs it: the secret and who it belongs to.
#[derive(Debug)]
pub struct ActiveKey {
    pub secret: SecretString,
    pub principal_arn: String,
    pub active: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("the stored secret of access key {0} is not valid")]
    CorruptSecret(String),
}

/// How long a cached access key is trusted before its record is read again
/// (the same bound as the keyring's).
pub const DEFAULT_CACHE_TTL: Duration = crate::keyring::DEFAULT_CACHE_TTL;

pub struct Credentials {
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    cache: RwLock<HashMap<String, (Instant, Arc<ActiveKey>)>>,
    cache_ttl: Duration,
}

/// AWS access key ids are 20 upper-case alphanumerics starting `AKIA`.
const AKID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Secret keys are 40 characters of base64-ish text.
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_text(alphabet: &[u8], len: usize) -> String {
    random_bytes(len)
        .into_iter()
        .map(|b| alphabet[usize::from(b) % alphabet.len()] as char)
        .collect()
}

fn aad(access_key_id: &str) -> Vec<u8> {
    format!("access-key:{access_key_id}").into_bytes()
}

impl Credentials {
    pub fn new(store: Arc<dyn Store>, keyring: Arc<Keyring>) -> Self {
        Self {
            store,
            keyring,
            cache: RwLock::new(HashMap::new()),
            cache_ttl: DEFAULT_CACHE_TTL,
        }
    }

    /// Sets how long cached keys are trusted (see the module doc).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Forgets one cached key, so the next request re-reads its record.
    pub fn forget(&self, access_key_id: &str) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(access_key_id);
    }

    /// Forgets every cached key (invalidations may have been missed).
    pub fn forget_all(&self) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Creates a new active access key for a principal.
    pub async fn create(&self, principal_arn: &str) -> Result<AccessKey, CredentialsError> {
        let access_key_id = format!("AKIA{}", random_text(AKID_ALPHABET, 16));
        let secret = SecretString::new(random_text(SECRET_ALPHABET, 40));
        let sealed_secret = self
            .keyring
            .seal_internal(secret.expose().as_bytes(), &aad(&access_key_id))?;
        self.store
            .create_access_key(AccessKeyRecord {
                access_key_id: access_key_id.clone(),
                principal_arn: principal_arn.to_owned(),
                sealed_secret,
                active: true,
                created_ms: jiff::Timestamp::now().as_millisecond(),
            })
            .await?;
        Ok(AccessKey {
            access_key_id,
            secret_access_key: secret,
            principal_arn: principal_arn.to_owned(),
        })
    }

    /// The key and its opened secret, or `None` for an unknown key id.
    pub async fn lookup(
        &self,
        access_key_id: &str,
    ) -> Result<Option<Arc<ActiveKey>>, CredentialsError> {
        if let Ok(cache) = self.cache.read()
            && let Some((loaded_at, key)) = cache.get(access_key_id)
            && loaded_at.elapsed() < self.cache_ttl
        {
            return Ok(Some(key.clone()));
        }
        let Some(record) = self.store.get_access_key(access_key_id).await? else {
            return Ok(None);
        };
        let secret = self
            .keyring
            .open_internal(&record.sealed_secret, &aad(access_key_id))?
            .into_secret_string()
            .map_err(|_| CredentialsError::CorruptSecret(access_key_id.to_owned()))?;
        let key = Arc::new(ActiveKey {
            secret,
            principal_arn: record.principal_arn,
            active: record.active,
        });
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(access_key_id.to_owned(), (Instant::now(), key.clone()));
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use kinko_crypto::RootKey;
    use kinko_store::{
        KmsAliasRecord, KmsKeyRecord, ParameterLookup, ParameterQuery, ParameterRecord,
        ParameterVersion, ParameterWrite, PutOutcome, SecretRecord, SecretState, SecretWrite, Tag,
        UnlabelOutcome, VersionSelector, WriteOutcome,
    };

    use super::*;

    /// A store with only access keys, whose records a test can change
    /// behind the cache's back (as another server would).
    #[derive(Default)]
    struct AccessKeyStore {
        keys: Mutex<HashMap<String, AccessKeyRecord>>,
    }

    fn unused<T>() -> Result<T, StoreError> {
        Err(StoreError::Unsupported("not in this test"))
    }

    #[async_trait]
    impl Store for AccessKeyStore {
        async fn get_parameter(
            &self,
            _: &str,
            _: &str,
            _: &VersionSelector,
        ) -> Result<ParameterLookup, StoreError> {
            unused()
        }
        async fn parameter_history(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<Vec<ParameterVersion>>, StoreError> {
            unused()
        }
        async fn put_parameter_version(
            &self,
            _: &str,
            _: ParameterWrite,
        ) -> Result<PutOutcome, StoreError> {
            unused()
        }
        async fn delete_parameter(&self, _: &str, _: &str) -> Result<bool, StoreError> {
            unused()
        }
        async fn list_parameters(
            &self,
            _: &str,
            _: &ParameterQuery,
        ) -> Result<Vec<ParameterRecord>, StoreError> {
            unused()
        }
        async fn label_parameter_version(
            &self,
            _: &str,
            _: &str,
            _: Option<u32>,
            _: &[String],
            _: usize,
        ) -> Result<u32, StoreError> {
            unused()
        }
        async fn unlabel_parameter_version(
            &self,
            _: &str,
            _: &str,
            _: u32,
            _: &[String],
        ) -> Result<UnlabelOutcome, StoreError> {
            unused()
        }
        async fn add_parameter_tags(
            &self,
            _: &str,
            _: &str,
            _: &[Tag],
            _: usize,
        ) -> Result<(), StoreError> {
            unused()
        }
        async fn remove_parameter_tags(
            &self,
            _: &str,
            _: &str,
            _: &[String],
        ) -> Result<(), StoreError> {
            unused()
        }
        async fn get_kms_key(&self, _: &str, _: &str) -> Result<Option<KmsKeyRecord>, StoreError> {
            unused()
        }
        async fn get_kms_alias(&self, _: &str, _: &str) -> Result<Option<String>, StoreError> {
            unused()
        }
        async fn create_kms_key(&self, _: KmsKeyRecord, _: Option<&str>) -> Result<(), StoreError> {
            unused()
        }
        async fn list_kms_keys(&self, _: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
            unused()
        }
        async fn update_kms_key(&self, _: KmsKeyRecord) -> Result<(), StoreError> {
            unused()
        }
        async fn list_kms_aliases(&self, _: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
            unused()
        }
        async fn create_kms_alias(&self, _: KmsAliasRecord) -> Result<(), StoreError> {
            unused()
        }
        async fn update_kms_alias(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: i64,
        ) -> Result<(), StoreError> {
            unused()
        }
        async fn delete_kms_alias(&self, _: &str, _: &str) -> Result<bool, StoreError> {
            unused()
        }
        async fn get_secret(&self, _: &str, _: &str) -> Result<Option<SecretState>, StoreError> {
            unused()
        }
        async fn list_secrets(&self, _: &str) -> Result<Vec<SecretState>, StoreError> {
            unused()
        }
        async fn secrets_due_for_purge(&self, _: i64) -> Result<Vec<SecretRecord>, StoreError> {
            unused()
        }
        async fn write_secrets(&self, _: Vec<SecretWrite>) -> Result<WriteOutcome, StoreError> {
            unused()
        }
        async fn get_access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
            Ok(self.keys.lock().unwrap().get(id).cloned())
        }
        async fn create_access_key(&self, key: AccessKeyRecord) -> Result<(), StoreError> {
            self.keys
                .lock()
                .unwrap()
                .insert(key.access_key_id.clone(), key);
            Ok(())
        }
        async fn get_meta(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
            unused()
        }
        async fn init_meta(&self, _: &str, _: &[u8]) -> Result<Vec<u8>, StoreError> {
            unused()
        }
    }

    fn credentials(store: &Arc<AccessKeyStore>, ttl: Duration) -> Credentials {
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            RootKey::generate(),
            "000000000000".to_owned(),
        ));
        Credentials::new(store.clone(), keyring).with_cache_ttl(ttl)
    }

    fn deactivate(store: &AccessKeyStore, id: &str) {
        store.keys.lock().unwrap().get_mut(id).unwrap().active = false;
    }

    async fn active(credentials: &Credentials, id: &str) -> bool {
        credentials.lookup(id).await.unwrap().unwrap().active
    }

    #[tokio::test]
    async fn a_cached_key_is_reread_after_forget() {
        let store = Arc::new(AccessKeyStore::default());
        let credentials = credentials(&store, DEFAULT_CACHE_TTL);
        let key = credentials
            .create("arn:aws:iam::000000000000:user/a")
            .await
            .unwrap();
        let id = key.access_key_id.as_str();
        assert!(active(&credentials, id).await);

        deactivate(&store, id);
        assert!(active(&credentials, id).await, "still cached");
        credentials.forget(id);
        assert!(!active(&credentials, id).await);

        store.keys.lock().unwrap().get_mut(id).unwrap().active = true;
        assert!(!active(&credentials, id).await, "still cached");
        credentials.forget_all();
        assert!(active(&credentials, id).await);
    }

    #[tokio::test]
    async fn an_expired_entry_is_reread() {
        let store = Arc::new(AccessKeyStore::default());
        let credentials = credentials(&store, Duration::ZERO);
        let key = credentials
            .create("arn:aws:iam::000000000000:user/a")
            .await
            .unwrap();
        let id = key.access_key_id.as_str();
        assert!(active(&credentials, id).await);
        deactivate(&store, id);
        assert!(!active(&credentials, id).await, "a zero TTL trusts nothing");
    }
}
