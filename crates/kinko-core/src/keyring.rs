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
use kinko_store::{Invalidation, KeyRows, KmsKeyRecord, MetaRows, Store, StoreError};

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

/// Takes two parts of the store: [`KeyRows`] for the keys and aliases it
/// resolves, [`MetaRows`] for the root-key check value and for telling the
/// other servers when a key changed.
pub struct Keyring {
    keys: Arc<dyn KeyRows>,
    meta: Arc<dyn MetaRows>,
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
    /// Over one whole store: the composition root's way.
    pub fn new(store: Arc<dyn Store>, root: RootKey, account_id: String) -> Self {
        Keyring::with_parts(store.clone(), store, root, account_id)
    }

    /// The key rows this keyring resolves keys from: what a service asks
    /// about a key's facts (its manager) goes to the same rows.
    pub fn key_rows(&self) -> &dyn KeyRows {
        self.keys.as_ref()
    }

    /// Over the two parts it uses, which may be different objects (a test's
    /// wrapper around one of them).
    pub fn with_parts(
        keys: Arc<dyn KeyRows>,
        meta: Arc<dyn MetaRows>,
        root: RootKey,
        account_id: String,
    ) -> Self {
        let internal = root.derive(INTERNAL_PURPOSE);
        let token_mac = root.derive(TOKEN_MAC_PURPOSE);
        Keyring {
            keys,
            meta,
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
        let stored = self.meta.init_meta(ROOT_CHECK_META, &fresh).await?;
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
        self.keys.create_kms_key(record.clone(), None).await?;
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
        let meta = Arc::clone(&self.meta);
        let event = Invalidation::KmsKey {
            region: region.to_owned(),
            key_id: key_id.to_owned(),
        };
        runtime.spawn(async move {
            if let Err(error) = meta.publish_invalidation(&event).await {
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
        if let Some(key_id) = self.keys.get_kms_alias(region, alias).await? {
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
        match self.keys.create_kms_key(record, Some(alias)).await {
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
                .keys
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
            .keys
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
mod tests;
