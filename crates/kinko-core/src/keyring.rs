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
//! # Rotated keys
//!
//! A key rotated by KMS (RotateKeyOnDemand, automatic rotation) has several
//! materials; the cache entry holds them all, the envelope names the one
//! it was sealed with (see [`materials`] for the format choice), and a
//! material this node has not seen yet (rotated on another node) makes
//! `open` re-read the record once.
//!
//! Aliases are not cached (they can be re-pointed): `seal` with an alias reads
//! the alias from the store each time; `seal` is on the write path only.

use crate::cache_stats::{CacheCounts, CacheStats};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use kinko_crypto::{CryptoError, KeyMaterial, RootKey, SecretBytes, envelope};
use kinko_store::{
    Change, ChangeSource, Invalidation, KeyRows, KmsKeyMaterialRecord, KmsKeyRecord, MetaRows,
    Store, StoreError,
};

pub mod materials;

use materials::{Material, Materials};
pub use materials::{material_id_hex, original_material_id, parse_material_id};

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
    /// The key ARN of an asymmetric or HMAC key asked to seal a value.
    #[error("{0} is not a symmetric encryption key.")]
    NotSymmetric(String),
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

/// Whether a key record is a symmetric encryption key (see
/// [`CachedKey::seals_values`]). Unreadable metadata seals nothing.
fn seals_values(record: &KmsKeyRecord) -> bool {
    use crate::kms::{KeySpec, KeyUsage, StoredKeyMeta};
    StoredKeyMeta::parse(record).is_ok_and(|meta| {
        meta.key_spec.is_none_or(|s| s == KeySpec::SymmetricDefault)
            && meta.key_usage.is_none_or(|u| u == KeyUsage::EncryptDecrypt)
    })
}

/// Where a key's rotated materials are kept when not in its own region: a
/// multi-Region key's members all read those of its home region (see
/// `kms::multi_region`), so one insert rotates every member at once.
fn materials_region(record: &KmsKeyRecord) -> Option<String> {
    crate::kms::StoredKeyMeta::parse(record)
        .ok()
        .and_then(|meta| meta.multi_region)
        .map(|m| m.home_region)
        .filter(|home| *home != record.region)
}

/// A key reference resolved to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    /// The bare key id (a UUID).
    pub key_id: String,
    /// `arn:<partition>:kms:<region>:<account>:key/<key_id>`.
    pub arn: String,
    /// The key's current material (64 hex): the one `seal` used.
    pub material_id: String,
}

/// An unwrapped key with the record facts `open` needs.
struct CachedKey {
    materials: Materials,
    enabled: bool,
    /// A symmetric encryption key: the only kind SSM, Secrets Manager and
    /// KMS's Encrypt may seal values under (an RSA, ECC or HMAC key's
    /// 32-byte material exists only to seal that key's own secret).
    seals_values: bool,
    /// An imported-material (EXTERNAL) key's gate: material absent or
    /// expired makes the key unusable, checked at each use (see
    /// `kms::import::MaterialGate`).
    gate: crate::kms::import::MaterialGate,
    arn: String,
    loaded_at: Instant,
}

impl CachedKey {
    /// Enabled, and (for imported material) present and not expired now.
    fn usable(&self) -> bool {
        self.enabled && self.gate.open_at(jiff::Timestamp::now().as_millisecond())
    }
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
    cache_stats: CacheStats,
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
            cache_stats: CacheStats::default(),
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
            material_id: material_id_hex(&key.1.materials.current().0.id),
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
        if !key.usable() {
            return Err(KeyringError::KeyDisabled(key.arn.clone()));
        }
        if !key.seals_values {
            return Err(KeyringError::NotSymmetric(key.arn.clone()));
        }
        let (current, is_original) = key.materials.current();
        let sealed = if is_original {
            envelope::seal(&current.material, &key_id, plaintext, aad)
        } else {
            envelope::seal_with_material(&current.material, &key_id, &current.id, plaintext, aad)
        }
        .map_err(crypto_error)?;
        let resolved = ResolvedKey {
            key_id,
            arn: key.arn.clone(),
            material_id: material_id_hex(&current.id),
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
        self.open_reporting_material(region, sealed, aad)
            .await
            .map(|(plain, _)| plain)
    }

    /// [`Keyring::open`], also naming the material that opened it (64 hex,
    /// AWS's `KeyMaterialId` in a Decrypt response).
    pub async fn open_reporting_material(
        &self,
        region: &str,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<(SecretBytes, String), KeyringError> {
        let header = envelope::header(sealed).map_err(crypto_error)?;
        let key_id = header.key_id;
        let mut key = match self.cached(region, key_id) {
            Some(key) => key,
            None => self.load_key_id(region, key_id, key_id).await?,
        };
        if key.materials.find(header.material_id).is_none() {
            // Rotated on another node since this entry was cached.
            key = self.load_key_id(region, key_id, key_id).await?;
        }
        if !key.usable() {
            return Err(KeyringError::KeyDisabled(key.arn.clone()));
        }
        // A material id the key has never had: not ours to open.
        let material = key
            .materials
            .find(header.material_id)
            .ok_or(KeyringError::Decrypt)?;
        let plain = envelope::open(&material.material, sealed, aad).map_err(crypto_error)?;
        Ok((plain, material_id_hex(&material.id)))
    }

    /// Adds a fresh material to a key and makes it current (KMS rotation):
    /// wrapped under the root key, inserted as the key's next version. Old
    /// materials stay, so everything sealed before keeps opening. Errors:
    /// `Store(AlreadyExists)` when a concurrent rotation took the version,
    /// `Store(NotFound)` when the key is gone. `at_ms` is the rotation's
    /// date as recorded (the scheduler's clock for automatic ones).
    pub async fn rotate(
        &self,
        region: &str,
        key_id: &str,
        rotation_type: &str,
        at_ms: i64,
    ) -> Result<KmsKeyMaterialRecord, KeyringError> {
        let existing = self.keys.list_kms_key_materials(region, key_id).await?;
        let version = existing.last().map_or(1, |m| m.version + 1);
        let id = material_id_hex(&materials::new_material_id());
        let material = KeyMaterial::generate();
        let record = KmsKeyMaterialRecord {
            region: region.to_owned(),
            key_id: key_id.to_owned(),
            version,
            wrapped_material: self
                .root
                .wrap_key(&materials::wrap_id(key_id, &id), &material),
            material_id: id,
            rotation_type: rotation_type.to_owned(),
            created_ms: at_ms,
        };
        let operation = if rotation_type == "ON_DEMAND" {
            "RotateKeyOnDemand"
        } else {
            "RotateKeyOnSchedule"
        };
        let change = self
            .key_change(region, key_id, operation)
            .with_version(version);
        self.keys
            .add_kms_key_material(record.clone(), change)
            .await?;
        self.invalidate(region, key_id);
        tracing::info!(
            region,
            key_id,
            version,
            rotation_type,
            "rotated key material"
        );
        Ok(record)
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
        self.create_customer_key_with(region, description, |_| Ok::<_, KeyringError>(metadata))
            .await
    }

    /// Like [`Keyring::create_customer_key`], for a key that keeps secrets
    /// of its own (an asymmetric private key, an HMAC key): `metadata` is
    /// given the new key's id and a [`KeySealer`] over its fresh material,
    /// so those secrets are sealed under the key itself and the record is
    /// written once, whole. Root-key rotation re-wraps only the material,
    /// and what is sealed under it stays readable.
    pub async fn create_customer_key_with<E: From<KeyringError>>(
        &self,
        region: &str,
        description: String,
        metadata: impl FnOnce(&KeySealer<'_>) -> Result<String, E>,
    ) -> Result<KmsKeyRecord, E> {
        self.create_customer_key_with_id(region, new_key_id(), description, metadata)
            .await
    }

    /// [`Keyring::create_customer_key_with`] under a key id the caller
    /// chose (a multi-Region key's `mrk-` id).
    pub async fn create_customer_key_with_id<E: From<KeyringError>>(
        &self,
        region: &str,
        key_id: String,
        description: String,
        metadata: impl FnOnce(&KeySealer<'_>) -> Result<String, E>,
    ) -> Result<KmsKeyRecord, E> {
        let material = KeyMaterial::generate();
        let metadata = metadata(&KeySealer {
            key_id: &key_id,
            material: &material,
        })?;
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
        let change = self.key_change(region, &key_id, "CreateKey");
        self.keys
            .create_kms_key(record.clone(), None, change)
            .await
            .map_err(KeyringError::from)?;
        tracing::info!(region, key_id, "created customer key");
        Ok(record)
    }

    /// Opens what a [`KeySealer`] sealed under the key `key_id`, with the
    /// (cached) material of that key. The envelope must name that key: a
    /// blob sealed under another key is `Decrypt`, never opened with it.
    /// Disabled key → `KeyDisabled`.
    pub async fn open_with_key(
        &self,
        region: &str,
        key_id: &str,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<SecretBytes, KeyringError> {
        let header = envelope::header(sealed).map_err(crypto_error)?;
        if header.key_id != key_id {
            return Err(KeyringError::Decrypt);
        }
        let key = self.key_by_id(region, key_id, key_id).await?;
        if !key.usable() {
            return Err(KeyringError::KeyDisabled(key.arn.clone()));
        }
        let material = key
            .materials
            .find(header.material_id)
            .ok_or(KeyringError::Decrypt)?;
        envelope::open(&material.material, sealed, aad).map_err(crypto_error)
    }

    /// Wraps caller-supplied material (KMS ImportKeyMaterial of a
    /// symmetric key) under the root key as a key's own material, for
    /// `KmsKeyRecord::wrapped_material`.
    pub fn wrap_material(&self, key_id: &str, material: &KeyMaterial) -> Vec<u8> {
        self.root.wrap_key(key_id, material)
    }

    /// Seals under an existing key's original material whatever its state,
    /// for what the key keeps of its own (an imported private or HMAC key,
    /// sealed before the key becomes usable). Opened by
    /// [`Keyring::open_with_key`].
    pub async fn seal_with_key(
        &self,
        region: &str,
        key_id: &str,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, KeyringError> {
        let key = self.load_key_id(region, key_id, key_id).await?;
        let material = key.materials.find(None).ok_or(KeyringError::Decrypt)?;
        envelope::seal(&material.material, key_id, plaintext, aad).map_err(crypto_error)
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

    /// How often a key was found in the cache (for the metrics).
    pub fn cache_counts(&self) -> CacheCounts {
        self.cache_stats.counts()
    }

    /// A fresh cache entry, if any.
    fn cached(&self, region: &str, key_id: &str) -> Option<Arc<CachedKey>> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let fresh = cache
            .get(region)
            .and_then(|keys| keys.get(key_id))
            .filter(|key| key.loaded_at.elapsed() < self.cache_ttl)
            .map(Arc::clone);
        self.cache_stats.count(fresh.is_some());
        fresh
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
        let change = self
            .key_change(region, &key_id, "CreateKey")
            .with("alias", alias)
            .with("keyManager", "AWS");
        match self.keys.create_kms_key(record, Some(alias), change).await {
            Ok(()) => {
                tracing::info!(region, alias, key_id, "created AWS-managed key");
                let key = Arc::new(CachedKey {
                    materials: Materials::new(Material {
                        id: original_material_id(&key_id),
                        material,
                    }),
                    enabled: true,
                    seals_values: true,
                    gate: crate::kms::import::MaterialGate::Open,
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
        let unwrap_error = |err| match err {
            CryptoError::Decrypt => KeyringError::WrongRootKey,
            other => KeyringError::Crypto(other),
        };
        let material = self
            .root
            .unwrap_key(&record.key_id, &record.wrapped_material)
            .map_err(unwrap_error)?;
        let mut materials = Materials::new(Material {
            id: original_material_id(&record.key_id),
            material,
        });
        let materials_region = materials_region(&record);
        for rotated in self
            .keys
            .list_kms_key_materials(materials_region.as_deref().unwrap_or(region), key_id)
            .await?
        {
            let id = parse_material_id(&rotated.material_id).ok_or(KeyringError::Crypto(
                CryptoError::Malformed("stored material id is not 64 hex"),
            ))?;
            let material = self
                .root
                .unwrap_key(
                    &materials::wrap_id(key_id, &rotated.material_id),
                    &rotated.wrapped_material,
                )
                .map_err(unwrap_error)?;
            materials.push(Material { id, material });
        }
        let key = Arc::new(CachedKey {
            materials,
            enabled: record.enabled,
            seals_values: seals_values(&record),
            gate: crate::kms::import::MaterialGate::of(&record),
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

    /// The change-feed record of `operation` on key `key_id`. KMS calls
    /// reach the keyring without their caller: the actor is the running
    /// request's ([`crate::changes::acting_as`]), or the account root for
    /// scheduled work.
    pub fn key_change(&self, region: &str, key_id: &str, operation: &str) -> Change {
        let origin = crate::changes::server_origin(
            &self.account_id,
            region,
            jiff::Timestamp::now().as_millisecond(),
        );
        Change::new(
            &origin,
            ChangeSource::Kms,
            operation,
            self.key_arn(region, key_id),
            key_id,
        )
    }
}

/// Seals under a key that is being created (see
/// [`Keyring::create_customer_key_with`]); shows no material in `Debug`.
pub struct KeySealer<'a> {
    key_id: &'a str,
    material: &'a KeyMaterial,
}

impl KeySealer<'_> {
    pub fn key_id(&self) -> &str {
        self.key_id
    }

    /// An envelope naming the new key, opened by [`Keyring::open_with_key`].
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyringError> {
        envelope::seal(self.material, self.key_id, plaintext, aad).map_err(crypto_error)
    }
}

impl std::fmt::Debug for KeySealer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySealer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A random (version 4) UUID in lower case, as AWS key ids are.
pub(crate) fn new_key_id() -> String {
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
