//! Access keys: the AKID/secret pairs SigV4 requests are verified against.
//!
//! A secret access key is stored sealed under a key derived from the root
//! key (never in the clear), and cached opened in memory after first use,
//! because every request needs it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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

pub struct Credentials {
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    cache: RwLock<HashMap<String, Arc<ActiveKey>>>,
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
        }
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
            && let Some(key) = cache.get(access_key_id)
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
            cache.insert(access_key_id.to_owned(), key.clone());
        }
        Ok(Some(key))
    }
}
