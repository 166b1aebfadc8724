//! The keyring: KMS-style keys from the store, unwrapped with the root key,
//! cached in memory, and used to seal and open values.
//!
//! Values are sealed with [`kinko_crypto::envelope`] under a KMS-style key;
//! the envelope records the key id, so [`Keyring::open`] needs no key
//! reference. The store holds key material only wrapped under the root key.
//!
//! # Cache and disabling keys
//!
//! `open` is on the hot path of every GetParameter, so the unwrapped
//! material is cached together with the record's `enabled` flag: a cached
//! `open` makes no store round trip and takes one read lock. A disable must
//! still take effect, so:
//!
//! - the KMS DisableKey/EnableKey path calls [`Keyring::invalidate`] after
//!   writing the record, which makes the next use on this node re-read it;
//! - [`Keyring::invalidate`] also publishes the change through the store
//!   (`Store::publish_invalidation`: NOTIFY on PostgreSQL), and every server
//!   applies what it hears with [`Keyring::forget`] (the server's
//!   invalidation task), so a disable on one server takes effect on the
//!   others within moments;
//! - every cache entry is also re-read after [`DEFAULT_CACHE_TTL`], so that a
//!   notification that never arrived (a database restart, a node that was
//!   partitioned) delays a disable by that much at most.
//!
//! Aliases are not cached (they can be re-pointed): `seal` with an alias reads
//! the alias from the store each time; `seal` is on the write path only.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use kinko_crypto::{CryptoError, KeyMaterial, RootKey, SecretBytes, envelope};
use kinko_store::{Invalidation, KmsKeyRecord, Store, StoreError};

use kinko_model::arn::{Arn, arn};

/// How long a cached key (material and `enabled` flag) is trusted before the
/// record is read again. Bounds how long another node's DisableKey takes to
/// be seen here.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);

/// Meta key of the root-key check value.
const ROOT_CHECK_META: &str = "root-key-check";
/// Purpose of the key derived for the check value, and its envelope key id.
const ROOT_CHECK_PURPOSE: &str = "root-key-check";
const ROOT_CHECK_PLAINTEXT: &[u8] = b"kinko root key check v1";
const ROOT_CHECK_AAD: &[u8] = b"kinko-root-key-check";
/// Purpose (and envelope key id) of the key for kinko's own secrets.
const INTERNAL_PURPOSE: &str = "kinko-internal-seal";
const TOKEN_MAC_PURPOSE: &str = "kinko-token-mac";

/// The AWS-managed aliases created on first use, with their descriptions.
const MANAGED_ALIASES: &[(&str, &str)] = &[
    (
        "alias/aws/ssm",
        "Default key that protects my SSM parameters when no other key is defined",
    ),
    (
        "alias/aws/secretsmanager",
        "Default key that protects my Secrets Manager data when no other key is defined",
    ),
];

/// Whether `alias` is one of the AWS-managed aliases this keyring creates on
/// first use.
pub fn is_managed_alias(alias: &str) -> bool {
    MANAGED_ALIASES.iter().any(|(name, _)| *name == alias)
}

/// The AWS-managed aliases, in name order.
pub fn managed_aliases() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = MANAGED_ALIASES.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names
}

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The key reference as the caller gave it.
    #[error("key '{0}' does not exist")]
    KeyNotFound(String),
    /// The key ARN.
    #[error("{0} is disabled.")]
    KeyDisabled(String),
    /// A tampered ciphertext, or one moved to another resource (wrong AAD).
    #[error("the stored value failed authentication")]
    Decrypt,
    /// Key material or the check value do not open under this root key.
    #[error("the root key is not the one this store was initialised with")]
    WrongRootKey,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(CryptoError),
}

fn crypto_error(err: CryptoError) -> KeyringError {
    match err {
        CryptoError::Decrypt => KeyringError::Decrypt,
        other => KeyringError::Crypto(other),
    }
}

/// A key reference resolved to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    /// The bare key id (a UUID).
    pub key_id: String,
    /// `arn:<partition>:kms:<region>:<account>:key/<key_id>`.
    pub arn: String,
}

/// An unwrapped key with the record facts `open` needs.
struct CachedKey {
    material: KeyMaterial,
    enabled: bool,
    arn: String,
    loaded_at: Instant,
}

/// Region → key id → key. Nested so that lookups borrow `&str` and the hot
/// path allocates nothing.
type KeyCache = HashMap<String, HashMap<String, Arc<CachedKey>>>;

pub struct Keyring {
    store: Arc<dyn Store>,
    root: RootKey,
    account_id: String,
    internal: KeyMaterial,
    token_mac: KeyMaterial,
    cache: RwLock<KeyCache>,
    cache_ttl: Duration,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    pub fn new(store: Arc<dyn Store>, root: RootKey, account_id: String) -> Self {
        let internal = root.derive(INTERNAL_PURPOSE);
        let token_mac = root.derive(TOKEN_MAC_PURPOSE);
        Keyring {
            store,
            root,
            account_id,
            internal,
            token_mac,
            cache: RwLock::new(HashMap::new()),
            cache_ttl: DEFAULT_CACHE_TTL,
        }
    }

    /// Sets how long cached keys are trusted (see the module doc).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// On the first start, records a check value sealed under a key derived
    /// from the root key; on later starts opens it. Starting with the wrong
    /// root key then fails here, loudly, instead of failing every read.
    pub async fn verify_root_key(&self) -> Result<(), KeyringError> {
        let check_key = self.root.derive(ROOT_CHECK_PURPOSE);
        let fresh = envelope::seal(
            &check_key,
            ROOT_CHECK_PURPOSE,
            ROOT_CHECK_PLAINTEXT,
            ROOT_CHECK_AAD,
        )
        .map_err(KeyringError::Crypto)?;
        let stored = self.store.init_meta(ROOT_CHECK_META, &fresh).await?;
        match envelope::open(&check_key, &stored, ROOT_CHECK_AAD) {
            Ok(plain) if plain.expose() == ROOT_CHECK_PLAINTEXT => Ok(()),
            Ok(_) | Err(CryptoError::Decrypt) => Err(KeyringError::WrongRootKey),
            Err(other) => Err(KeyringError::Crypto(other)),
        }
    }

    /// Resolves a key id, key ARN, `alias/NAME` or alias ARN in `region`.
    /// The AWS-managed aliases (`alias/aws/ssm`, `alias/aws/secretsmanager`)
    /// get a fresh key on first use. Unknown → `KeyNotFound(key_ref)`.
    pub async fn resolve(&self, region: &str, key_ref: &str) -> Result<ResolvedKey, KeyringError> {
        let key = self.load_ref(region, key_ref).await?;
        Ok(ResolvedKey {
            key_id: key.0,
            arn: key.1.arn.clone(),
        })
    }

    /// Seals under the referenced key. Disabled key → `KeyDisabled`.
    pub async fn seal(
        &self,
        region: &str,
        key_ref: &str,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<(Vec<u8>, ResolvedKey), KeyringError> {
        let (key_id, key) = self.load_ref(region, key_ref).await?;
        if !key.enabled {
            return Err(KeyringError::KeyDisabled(key.arn.clone()));
        }
        let sealed =
            envelope::seal(&key.material, &key_id, plaintext, aad).map_err(crypto_error)?;
        let resolved = ResolvedKey {
            key_id,
            arn: key.arn.clone(),
        };
        Ok((sealed, resolved))
    }

    /// Opens a sealed value with the key its envelope names (in `region`).
    /// Disabled key → `KeyDisabled`; tampering or a wrong `aad` → `Decrypt`.
    /// A cached key costs no store round trip (see the module doc).
    pub async fn open(
        &self,
        region: &str,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<SecretBytes, KeyringError> {
        let key_id = envelope::key_id(sealed).map_err(crypto_error)?;
        let key = match self.cached(region, key_id) {
            Some(key) => key,
            None => self.load_key_id(region, key_id, key_id).await?,
        };
        if !key.enabled {
            return Err(KeyringError::KeyDisabled(key.arn.clone()));
        }
        envelope::open(&key.material, sealed, aad).map_err(crypto_error)
    }

    /// The account every key ARN of this keyring names.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Creates a customer key (`KeyManager` `CUSTOMER`) with fresh material,
    /// stored wrapped under the root key, and returns its record. The KMS
    /// CreateKey path owns `description` and the `metadata` JSON.
    pub async fn create_customer_key(
        &self,
        region: &str,
        description: String,
        metadata: String,
    ) -> Result<KmsKeyRecord, KeyringError> {
        let key_id = new_key_id();
        let material = KeyMaterial::generate();
        let record = KmsKeyRecord {
            region: region.to_owned(),
            key_id: key_id.clone(),
            wrapped_material: self.root.wrap_key(&key_id, &material),
            description,
            enabled: true,
            key_manager: "CUSTOMER".to_owned(),
            created_ms: jiff::Timestamp::now().as_millisecond(),
            metadata,
        };
        self.store.create_kms_key(record.clone(), None).await?;
        tracing::info!(region, key_id, "created customer key");
        Ok(record)
    }

    /// Forgets the cached key so the next use re-reads its record, here and
    /// (through the store) on every other server. The KMS
    /// DisableKey/EnableKey (and later deletion) paths call this after
    /// writing the record.
    ///
    /// The publish runs in the background: the caller's write is already
    /// durable, and a publish that fails (the database going away) is
    /// covered by the peers' cache TTL.
    pub fn invalidate(&self, region: &str, key_id: &str) {
        self.forget(region, key_id);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let store = Arc::clone(&self.store);
        let event = Invalidation::KmsKey {
            region: region.to_owned(),
            key_id: key_id.to_owned(),
        };
        runtime.spawn(async move {
            if let Err(error) = store.publish_invalidation(&event).await {
                tracing::warn!(%error, "could not tell the other servers about a key change");
            }
        });
    }

    /// Forgets one cached key on this server only: what a server does with
    /// an invalidation it heard from another one.
    pub fn forget(&self, region: &str, key_id: &str) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(keys) = cache.get_mut(region) {
            keys.remove(key_id);
        }
    }

    /// Forgets every cached key on this server (notifications may have been
    /// missed).
    pub fn forget_all(&self) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Seals kinko's own secrets (access-key secrets) under a key derived
    /// from the root key, not a KMS key.
    pub fn seal_internal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyringError> {
        envelope::seal(&self.internal, INTERNAL_PURPOSE, plaintext, aad).map_err(crypto_error)
    }

    pub fn open_internal(&self, sealed: &[u8], aad: &[u8]) -> Result<SecretBytes, KeyringError> {
        envelope::open(&self.internal, sealed, aad).map_err(crypto_error)
    }

    /// MAC for opaque tokens (paging NextToken), the same on every node that
    /// shares the root key.
    pub fn token_mac(&self, data: &[u8]) -> [u8; 32] {
        self.token_mac.mac(data)
    }

    /// Constant-time check of a [`Keyring::token_mac`] tag.
    pub fn verify_token_mac(&self, data: &[u8], tag: &[u8]) -> bool {
        self.token_mac.verify_mac(data, tag)
    }

    /// A fresh cache entry, if any.
    fn cached(&self, region: &str, key_id: &str) -> Option<Arc<CachedKey>> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let key = cache.get(region)?.get(key_id)?;
        (key.loaded_at.elapsed() < self.cache_ttl).then(|| Arc::clone(key))
    }

    fn remember(&self, region: &str, key_id: &str, key: Arc<CachedKey>) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(region.to_owned())
            .or_default()
            .insert(key_id.to_owned(), key);
    }

    /// Resolves any key reference to `(key id, key)`.
    async fn load_ref(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<(String, Arc<CachedKey>), KeyringError> {
        let not_found = || KeyringError::KeyNotFound(key_ref.to_owned());
        let target = match Arn::parse(key_ref) {
            Some(parsed) => {
                if parsed.service != "kms"
                    || parsed.region != region
                    || parsed.account_id != self.account_id
                {
                    return Err(not_found());
                }
                parsed.resource
            }
            None => key_ref,
        };
        if target.starts_with("alias/") {
            let key_id = self.alias_target(region, target, key_ref).await?;
            let key = self.key_by_id(region, &key_id, key_ref).await?;
            Ok((key_id, key))
        } else {
            let key_id = match target.strip_prefix("key/") {
                Some(id) => id,
                // `key/ID` is only a form inside an ARN.
                None if key_ref.starts_with("arn:") => return Err(not_found()),
                None => target,
            };
            if key_id.is_empty() {
                return Err(not_found());
            }
            let key = self.key_by_id(region, key_id, key_ref).await?;
            Ok((key_id.to_owned(), key))
        }
    }

    async fn key_by_id(
        &self,
        region: &str,
        key_id: &str,
        key_ref: &str,
    ) -> Result<Arc<CachedKey>, KeyringError> {
        match self.cached(region, key_id) {
            Some(key) => Ok(key),
            None => self.load_key_id(region, key_id, key_ref).await,
        }
    }

    /// The key id an alias points to, creating an AWS-managed alias's key on
    /// first use.
    async fn alias_target(
        &self,
        region: &str,
        alias: &str,
        key_ref: &str,
    ) -> Result<String, KeyringError> {
        if let Some(key_id) = self.store.get_kms_alias(region, alias).await? {
            return Ok(key_id);
        }
        let Some((_, description)) = MANAGED_ALIASES.iter().find(|(name, _)| *name == alias) else {
            return Err(KeyringError::KeyNotFound(key_ref.to_owned()));
        };
        let key_id = new_key_id();
        let material = KeyMaterial::generate();
        let record = KmsKeyRecord {
            region: region.to_owned(),
            key_id: key_id.clone(),
            wrapped_material: self.root.wrap_key(&key_id, &material),
            description: (*description).to_owned(),
            enabled: true,
            key_manager: "AWS".to_owned(),
            created_ms: jiff::Timestamp::now().as_millisecond(),
            metadata: "{}".to_owned(),
        };
        match self.store.create_kms_key(record, Some(alias)).await {
            Ok(()) => {
                tracing::info!(region, alias, key_id, "created AWS-managed key");
                let key = Arc::new(CachedKey {
                    material,
                    enabled: true,
                    arn: self.key_arn(region, &key_id),
                    loaded_at: Instant::now(),
                });
                self.remember(region, &key_id, key);
                Ok(key_id)
            }
            // Another request (or node) created it first: use theirs.
            Err(StoreError::AlreadyExists) => self
                .store
                .get_kms_alias(region, alias)
                .await?
                .ok_or_else(|| KeyringError::KeyNotFound(key_ref.to_owned())),
            Err(err) => Err(err.into()),
        }
    }

    /// Reads and unwraps a key record, and caches it.
    async fn load_key_id(
        &self,
        region: &str,
        key_id: &str,
        key_ref: &str,
    ) -> Result<Arc<CachedKey>, KeyringError> {
        let record = self
            .store
            .get_kms_key(region, key_id)
            .await?
            .ok_or_else(|| KeyringError::KeyNotFound(key_ref.to_owned()))?;
        let material = self
            .root
            .unwrap_key(&record.key_id, &record.wrapped_material)
            .map_err(|err| match err {
                CryptoError::Decrypt => KeyringError::WrongRootKey,
                other => KeyringError::Crypto(other),
            })?;
        let key = Arc::new(CachedKey {
            material,
            enabled: record.enabled,
            arn: self.key_arn(region, key_id),
            loaded_at: Instant::now(),
        });
        self.remember(region, key_id, Arc::clone(&key));
        Ok(key)
    }

    /// `arn:<partition>:kms:<region>:<account>:key/<key_id>`.
    pub fn key_arn(&self, region: &str, key_id: &str) -> String {
        arn("kms", region, &self.account_id, &format!("key/{key_id}"))
    }
}

/// A random (version 4) UUID in lower case, as AWS key ids are.
fn new_key_id() -> String {
    let mut b = kinko_crypto::random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use kinko_model::Tag;
    use kinko_model::ssm::VersionSelector;
    use kinko_store::{
        AccessKeyRecord, ParameterLookup, ParameterQuery, ParameterRecord, ParameterVersion,
        ParameterWrite, PutOutcome, UnlabelOutcome,
    };

    use super::*;

    const REGION: &str = "us-east-1";
    const ACCOUNT: &str = "111122223333";

    /// An in-memory store with only the key and meta methods.
    #[derive(Default)]
    struct FakeStore {
        keys: Mutex<HashMap<(String, String), KmsKeyRecord>>,
        aliases: Mutex<HashMap<(String, String), String>>,
        meta: Mutex<HashMap<String, Vec<u8>>>,
        key_reads: AtomicUsize,
        alias_reads: AtomicUsize,
        /// When set, the first two alias reads wait for each other, so two
        /// concurrent resolves both miss the alias and both try to create.
        alias_barrier: Option<tokio::sync::Barrier>,
        /// Invalidations published through the store.
        published: Mutex<Vec<Invalidation>>,
    }

    impl FakeStore {
        fn set_enabled(&self, key_id: &str, enabled: bool) {
            let mut keys = self.keys.lock().unwrap();
            keys.get_mut(&(REGION.to_owned(), key_id.to_owned()))
                .unwrap()
                .enabled = enabled;
        }
    }

    fn unused<T>() -> Result<T, StoreError> {
        Err(StoreError::Backend("unused".into()))
    }

    #[async_trait]
    impl Store for FakeStore {
        async fn list_kms_keys(&self, _: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
            unused()
        }
        async fn update_kms_key(&self, _: KmsKeyRecord) -> Result<(), StoreError> {
            unused()
        }
        async fn list_kms_aliases(
            &self,
            _: &str,
        ) -> Result<Vec<kinko_store::KmsAliasRecord>, StoreError> {
            unused()
        }
        async fn create_kms_alias(&self, _: kinko_store::KmsAliasRecord) -> Result<(), StoreError> {
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
        async fn get_secret(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<kinko_store::SecretState>, StoreError> {
            unused()
        }
        async fn list_secrets(&self, _: &str) -> Result<Vec<kinko_store::SecretState>, StoreError> {
            unused()
        }
        async fn secrets_due_for_purge(
            &self,
            _: i64,
        ) -> Result<Vec<kinko_store::SecretRecord>, StoreError> {
            unused()
        }
        async fn write_secrets(
            &self,
            _: Vec<kinko_store::SecretWrite>,
        ) -> Result<kinko_store::WriteOutcome, StoreError> {
            unused()
        }
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

        async fn get_kms_key(
            &self,
            region: &str,
            key_id: &str,
        ) -> Result<Option<KmsKeyRecord>, StoreError> {
            self.key_reads.fetch_add(1, Ordering::SeqCst);
            let keys = self.keys.lock().unwrap();
            Ok(keys.get(&(region.to_owned(), key_id.to_owned())).cloned())
        }

        async fn get_kms_alias(
            &self,
            region: &str,
            alias: &str,
        ) -> Result<Option<String>, StoreError> {
            let n = self.alias_reads.fetch_add(1, Ordering::SeqCst);
            let found = self
                .aliases
                .lock()
                .unwrap()
                .get(&(region.to_owned(), alias.to_owned()))
                .cloned();
            if let Some(barrier) = &self.alias_barrier
                && n < 2
            {
                barrier.wait().await;
            }
            Ok(found)
        }

        async fn create_kms_key(
            &self,
            key: KmsKeyRecord,
            alias: Option<&str>,
        ) -> Result<(), StoreError> {
            let mut keys = self.keys.lock().unwrap();
            let mut aliases = self.aliases.lock().unwrap();
            let key_slot = (key.region.clone(), key.key_id.clone());
            if keys.contains_key(&key_slot) {
                return Err(StoreError::AlreadyExists);
            }
            if let Some(alias) = alias {
                let alias_slot = (key.region.clone(), alias.to_owned());
                if aliases.contains_key(&alias_slot) {
                    return Err(StoreError::AlreadyExists);
                }
                aliases.insert(alias_slot, key.key_id.clone());
            }
            keys.insert(key_slot, key);
            Ok(())
        }

        async fn get_access_key(&self, _: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
            unused()
        }
        async fn create_access_key(&self, _: AccessKeyRecord) -> Result<(), StoreError> {
            unused()
        }

        async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.meta.lock().unwrap().get(key).cloned())
        }

        async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
            let mut meta = self.meta.lock().unwrap();
            Ok(meta
                .entry(key.to_owned())
                .or_insert_with(|| value.to_vec())
                .clone())
        }
        async fn publish_invalidation(&self, event: &Invalidation) -> Result<(), StoreError> {
            self.published.lock().unwrap().push(event.clone());
            Ok(())
        }
    }

    fn root_from(byte: u8) -> RootKey {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode([byte; 32]);
        RootKey::from_base64(&text.into()).unwrap()
    }

    fn keyring(store: &Arc<FakeStore>) -> Keyring {
        Keyring::new(store.clone(), root_from(1), ACCOUNT.to_owned())
    }

    fn customer_key(store: &FakeStore, root: &RootKey, key_id: &str) {
        let record = KmsKeyRecord {
            region: REGION.to_owned(),
            key_id: key_id.to_owned(),
            wrapped_material: root.wrap_key(key_id, &KeyMaterial::generate()),
            description: String::new(),
            enabled: true,
            key_manager: "CUSTOMER".to_owned(),
            created_ms: 0,
            metadata: "{}".to_owned(),
        };
        store
            .keys
            .lock()
            .unwrap()
            .insert((REGION.to_owned(), key_id.to_owned()), record);
    }

    #[tokio::test]
    async fn managed_alias_is_created_once_under_concurrency() {
        let store = Arc::new(FakeStore {
            alias_barrier: Some(tokio::sync::Barrier::new(2)),
            ..FakeStore::default()
        });
        let ring = keyring(&store);
        let (a, b) = tokio::join!(
            ring.resolve(REGION, "alias/aws/ssm"),
            ring.resolve(REGION, "alias/aws/ssm")
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b);
        // Both saw no alias, so both tried to create: the race was real.
        assert!(store.alias_reads.load(Ordering::SeqCst) >= 3);

        let keys = store.keys.lock().unwrap();
        assert_eq!(keys.len(), 1);
        let record = keys.values().next().unwrap();
        assert_eq!(record.key_id, a.key_id);
        assert_eq!(record.key_manager, "AWS");
        assert!(record.enabled);
        assert_eq!(
            record.description,
            "Default key that protects my SSM parameters when no other key is defined"
        );
        assert_eq!(
            a.arn,
            format!("arn:aws:kms:us-east-1:111122223333:key/{}", a.key_id)
        );
        assert_eq!(a.key_id.len(), 36);
        assert_eq!(a.key_id.matches('-').count(), 4);
    }

    #[tokio::test]
    async fn managed_alias_seals_and_reuses_the_key() {
        let store = Arc::new(FakeStore::default());
        let ring = keyring(&store);
        let (sealed, key) = ring
            .seal(REGION, "alias/aws/ssm", b"db-password", b"arn:param/a:1")
            .await
            .unwrap();
        let again = ring.resolve(REGION, "alias/aws/ssm").await.unwrap();
        assert_eq!(again, key);
        assert_eq!(envelope::key_id(&sealed).unwrap(), key.key_id);
        assert_eq!(store.keys.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn seal_open_round_trip_with_a_fresh_keyring() {
        let store = Arc::new(FakeStore::default());
        let ring = keyring(&store);
        let (sealed, _) = ring
            .seal(REGION, "alias/aws/ssm", b"s3cr3t", b"arn:param/a:1")
            .await
            .unwrap();
        let opened = ring.open(REGION, &sealed, b"arn:param/a:1").await.unwrap();
        assert_eq!(opened.expose(), b"s3cr3t");

        // Another server process with the same root key, empty cache.
        let other = keyring(&store);
        let opened = other.open(REGION, &sealed, b"arn:param/a:1").await.unwrap();
        assert_eq!(opened.expose(), b"s3cr3t");
    }

    #[tokio::test]
    async fn open_with_another_aad_is_decrypt() {
        let store = Arc::new(FakeStore::default());
        let ring = keyring(&store);
        let (sealed, _) = ring
            .seal(REGION, "alias/aws/ssm", b"s3cr3t", b"arn:param/a:1")
            .await
            .unwrap();
        let err = ring
            .open(REGION, &sealed, b"arn:param/b:1")
            .await
            .unwrap_err();
        assert!(matches!(err, KeyringError::Decrypt));
        assert_eq!(err.to_string(), "the stored value failed authentication");
    }

    #[tokio::test]
    async fn cached_open_makes_no_store_read() {
        let store = Arc::new(FakeStore::default());
        let root = root_from(1);
        customer_key(&store, &root, "k-1");
        let ring = keyring(&store);
        let (sealed, _) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();
        let reads = store.key_reads.load(Ordering::SeqCst);
        for _ in 0..3 {
            ring.open(REGION, &sealed, b"aad").await.unwrap();
        }
        assert_eq!(store.key_reads.load(Ordering::SeqCst), reads);
    }

    #[tokio::test]
    async fn all_key_reference_forms_resolve() {
        let store = Arc::new(FakeStore::default());
        let root = root_from(1);
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        customer_key(&store, &root, id);
        store
            .aliases
            .lock()
            .unwrap()
            .insert((REGION.to_owned(), "alias/app".to_owned()), id.to_owned());
        let ring = keyring(&store);
        let key_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}");
        for key_ref in [
            id.to_owned(),
            key_arn.clone(),
            "alias/app".to_owned(),
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"),
        ] {
            let resolved = ring.resolve(REGION, &key_ref).await.unwrap();
            assert_eq!(resolved.key_id, id, "{key_ref}");
            assert_eq!(resolved.arn, key_arn, "{key_ref}");
        }
    }

    #[tokio::test]
    async fn unknown_keys_are_not_found_with_the_reference_given() {
        let store = Arc::new(FakeStore::default());
        let root = root_from(1);
        customer_key(&store, &root, "k-1");
        let ring = keyring(&store);
        for key_ref in [
            "no-such-key",
            "alias/nope",
            "alias/aws/other",
            "arn:aws:kms:us-east-1:111122223333:key/no-such-key",
            "arn:aws:kms:us-east-1:111122223333:alias/nope",
            // Right key id, but another region or account, or not KMS.
            "arn:aws:kms:eu-west-1:111122223333:key/k-1",
            "arn:aws:kms:us-east-1:999999999999:key/k-1",
            "arn:aws:ssm:us-east-1:111122223333:key/k-1",
            "arn:aws:kms:us-east-1:111122223333:k-1",
        ] {
            match ring.resolve(REGION, key_ref).await {
                Err(KeyringError::KeyNotFound(given)) => assert_eq!(given, key_ref),
                other => panic!("{key_ref}: expected KeyNotFound, got {other:?}"),
            }
        }
        assert!(store.keys.lock().unwrap().len() == 1, "nothing was created");
    }

    #[tokio::test]
    async fn disabled_key_refuses_seal_and_open_after_invalidate() {
        let store = Arc::new(FakeStore::default());
        let root = root_from(1);
        customer_key(&store, &root, "k-1");
        let ring = keyring(&store);
        let (sealed, key) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();

        store.set_enabled("k-1", false);
        // Cached until invalidated (or the TTL passes).
        assert!(ring.open(REGION, &sealed, b"aad").await.is_ok());
        ring.invalidate(REGION, "k-1");
        match ring.open(REGION, &sealed, b"aad").await {
            Err(KeyringError::KeyDisabled(arn)) => assert_eq!(arn, key.arn),
            other => panic!("expected KeyDisabled, got {other:?}"),
        }
        assert!(matches!(
            ring.seal(REGION, "k-1", b"v", b"aad").await,
            Err(KeyringError::KeyDisabled(_))
        ));

        store.set_enabled("k-1", true);
        ring.invalidate(REGION, "k-1");
        assert_eq!(
            ring.open(REGION, &sealed, b"aad").await.unwrap().expose(),
            b"v"
        );
    }

    /// A disable on this server is published for the others; what a server
    /// hears from the others (`forget`, `forget_all`) is applied here only.
    #[tokio::test]
    async fn invalidate_publishes_and_forget_applies_locally() {
        let store = Arc::new(FakeStore::default());
        let root = root_from(1);
        customer_key(&store, &root, "k-1");
        let ring = keyring(&store);
        let (sealed, _) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();

        ring.invalidate(REGION, "k-1");
        let expected = Invalidation::KmsKey {
            region: REGION.to_owned(),
            key_id: "k-1".to_owned(),
        };
        for _ in 0..200 {
            if !store.published.lock().unwrap().is_empty() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(*store.published.lock().unwrap(), vec![expected]);

        assert!(
            ring.open(REGION, &sealed, b"aad").await.is_ok(),
            "re-read and cached"
        );
        store.set_enabled("k-1", false);
        assert!(ring.open(REGION, &sealed, b"aad").await.is_ok(), "cached");
        ring.forget(REGION, "k-1");
        assert!(matches!(
            ring.open(REGION, &sealed, b"aad").await,
            Err(KeyringError::KeyDisabled(_))
        ));
        store.set_enabled("k-1", true);
        assert!(ring.open(REGION, &sealed, b"aad").await.is_err(), "cached");
        ring.forget_all();
        assert!(ring.open(REGION, &sealed, b"aad").await.is_ok());
        assert_eq!(
            store.published.lock().unwrap().len(),
            1,
            "forget publishes nothing"
        );
    }

    #[tokio::test]
    async fn zero_ttl_rereads_the_record_every_time() {
        let store = Arc::new(FakeStore::default());
        let root = root_from(1);
        customer_key(&store, &root, "k-1");
        let ring = keyring(&store).with_cache_ttl(Duration::ZERO);
        let (sealed, _) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();
        store.set_enabled("k-1", false);
        assert!(matches!(
            ring.open(REGION, &sealed, b"aad").await,
            Err(KeyringError::KeyDisabled(_))
        ));
    }

    #[tokio::test]
    async fn verify_root_key_accepts_the_same_key_and_rejects_another() {
        let store = Arc::new(FakeStore::default());
        keyring(&store).verify_root_key().await.unwrap();
        assert!(store.meta.lock().unwrap().contains_key("root-key-check"));
        // A restart with the same root key.
        keyring(&store).verify_root_key().await.unwrap();

        let wrong = Keyring::new(store.clone(), root_from(2), ACCOUNT.to_owned());
        assert!(matches!(
            wrong.verify_root_key().await,
            Err(KeyringError::WrongRootKey)
        ));
    }

    #[tokio::test]
    async fn key_wrapped_under_another_root_is_wrong_root_key() {
        let store = Arc::new(FakeStore::default());
        customer_key(&store, &root_from(9), "k-1");
        let ring = keyring(&store);
        assert!(matches!(
            ring.resolve(REGION, "k-1").await,
            Err(KeyringError::WrongRootKey)
        ));
    }

    #[tokio::test]
    async fn garbage_ciphertext_is_a_crypto_error() {
        let store = Arc::new(FakeStore::default());
        let ring = keyring(&store);
        assert!(matches!(
            ring.open(REGION, b"not an envelope", b"").await,
            Err(KeyringError::Crypto(CryptoError::Malformed(_)))
        ));
    }

    #[test]
    fn internal_seal_round_trips_and_binds_aad() {
        let store = Arc::new(FakeStore::default());
        let ring = keyring(&store);
        let sealed = ring.seal_internal(b"secret-key", b"AKIA1").unwrap();
        assert_eq!(
            ring.open_internal(&sealed, b"AKIA1").unwrap().expose(),
            b"secret-key"
        );
        assert!(matches!(
            ring.open_internal(&sealed, b"AKIA2"),
            Err(KeyringError::Decrypt)
        ));
        // Another node with the same root key opens it; another root does not.
        let same = keyring(&store);
        assert!(same.open_internal(&sealed, b"AKIA1").is_ok());
        let other = Keyring::new(store.clone(), root_from(2), ACCOUNT.to_owned());
        assert!(matches!(
            other.open_internal(&sealed, b"AKIA1"),
            Err(KeyringError::Decrypt)
        ));
    }

    #[test]
    fn token_mac_is_shared_by_nodes_with_the_same_root() {
        let store = Arc::new(FakeStore::default());
        let a = keyring(&store);
        let b = keyring(&store);
        let tag = a.token_mac(b"page-2");
        assert_eq!(tag, b.token_mac(b"page-2"));
        assert!(b.verify_token_mac(b"page-2", &tag));
        assert!(!b.verify_token_mac(b"page-3", &tag));
        let other = Keyring::new(store.clone(), root_from(2), ACCOUNT.to_owned());
        assert!(!other.verify_token_mac(b"page-2", &tag));
    }

    #[tokio::test]
    async fn customer_keys_are_created_wrapped_and_usable() {
        let store = Arc::new(FakeStore::default());
        let ring = keyring(&store);
        let record = ring
            .create_customer_key(REGION, "app".into(), "{\"x\":1}".into())
            .await
            .unwrap();
        assert_eq!(record.key_manager, "CUSTOMER");
        assert!(record.enabled);
        let stored = store
            .keys
            .lock()
            .unwrap()
            .get(&(REGION.to_owned(), record.key_id.clone()))
            .cloned()
            .unwrap();
        assert_eq!(stored, record);
        assert_eq!(stored.description, "app");
        assert_eq!(stored.metadata, "{\"x\":1}");
        // Another node with the same root opens what this one sealed.
        let (sealed, key) = ring.seal(REGION, &record.key_id, b"v", b"a").await.unwrap();
        assert_eq!(key.arn, ring.key_arn(REGION, &record.key_id));
        let other = keyring(&store);
        assert_eq!(
            other.open(REGION, &sealed, b"a").await.unwrap().expose(),
            b"v"
        );
        assert_eq!(ring.account_id(), ACCOUNT);
        assert!(is_managed_alias("alias/aws/ssm"));
        assert!(!is_managed_alias("alias/aws/other"));
        assert_eq!(
            managed_aliases(),
            ["alias/aws/secretsmanager", "alias/aws/ssm"]
        );
    }

    #[test]
    fn key_ids_are_v4_uuids() {
        let id = new_key_id();
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(
            id.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(id, new_key_id());
    }
}
