//! The KMS subset (`TrentService.*`): customer keys and their states,
//! aliases, and the encrypt/decrypt/data-key operations over the
//! [`Keyring`]. Wire shapes live in `kinko-aws`; this module knows none.
//!
//! The operations live in `keys` (CreateKey ... CancelKeyDeletion),
//! `aliases` and `crypto`; this module holds what they share: resolving
//! the four key reference forms with AWS's error texts, and paging markers.
//!
//! A key's state is kept in the record's `metadata` JSON ([`StoredKeyMeta`])
//! and mirrored in its `enabled` flag, which is what the keyring checks on
//! every open: disabling a key (or scheduling its deletion) therefore makes
//! SSM SecureStrings and secrets sealed under it unreadable until it is
//! enabled again, and nothing is lost.

mod aliases;
mod asymmetric;
pub mod context;
mod crypto;
mod data_key_pair;
pub mod error;
pub mod grants;
pub mod import;
mod key_pair;
pub mod key_spec;
mod keys;
mod mac;
pub mod managers;
pub mod model;
pub mod multi_region;
mod policy;
mod reencrypt;
pub mod rotation;
mod tags;
pub mod wrapping;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinko_store::{KeyRows, KmsKeyRecord, Store};

pub use asymmetric::{
    DeriveSharedSecretInput, DeriveSharedSecretOutput, PublicKeyOutput, SignInput, SignOutput,
    VerifyInput, VerifyOutput,
};
pub use context::context_aad;
pub use crypto::{MAX_CIPHERTEXT, MAX_PLAINTEXT, MAX_RANDOM_BYTES};
pub use data_key_pair::{GenerateDataKeyPairInput, GenerateDataKeyPairOutput};
pub use error::KmsError;
pub use grants::{
    CreateGrantInput, CreateGrantOutput, GRANT_OPERATIONS, GrantConstraints, GrantEntry, GrantRef,
    MAX_GRANTS_PER_KEY, StoredGrant,
};
pub use key_spec::{
    EncryptionAlgorithm, KEY_AGREEMENT_ECDH, KeyAlgorithms, KeySpec, KeyUsage, MacAlgorithm,
    SigningAlgorithm, key_algorithms,
};
pub use keys::{
    DEFAULT_PENDING_WINDOW_DAYS, MAX_PENDING_WINDOW_DAYS, MAX_TAGS, MIN_PENDING_WINDOW_DAYS,
};
use kinko_model::Tag;
use kinko_model::arn::{Arn, arn};
pub use mac::{MacInput, MacOutput};
pub use managers::KeyManagers;
pub use model::*;
pub use policy::{
    DEFAULT_POLICY_NAME, MAX_KEY_POLICY_CHARS, check_key_policy, check_policy_name,
    default_key_policy,
};
pub use reencrypt::{ReEncryptInput, ReEncryptOutput};
pub use tags::MAX_TAGS_PER_PAGE;

use crate::keyring::{Keyring, KeyringError, is_managed_alias};
use crate::write_locks::WriteLocks;

pub struct Kms {
    /// Only the key and alias rows; key material comes through the keyring.
    store: Arc<dyn KeyRows>,
    keyring: Arc<Keyring>,
    /// Serializes this server's read-modify-writes of one key's metadata
    /// (grants, policy): key records have no compare-and-set.
    locks: WriteLocks,
}

/// A key record with its parsed metadata and ARN.
#[derive(Debug, Clone)]
struct KeyHandle {
    record: KmsKeyRecord,
    meta: StoredKeyMeta,
    arn: String,
}

impl KeyHandle {
    fn state(&self) -> KeyState {
        self.meta.state(&self.record)
    }

    fn is_managed(&self) -> bool {
        self.record.key_manager == "AWS"
    }

    /// The key's tags in the model's type, in stored order.
    fn tags(&self) -> Vec<Tag> {
        self.meta
            .tags
            .iter()
            .map(|t| Tag {
                key: t.key.clone(),
                value: t.value.clone(),
            })
            .collect()
    }

    fn spec(&self) -> KeySpec {
        self.meta.key_spec.unwrap_or_default()
    }

    fn usage(&self) -> KeyUsage {
        self.meta.key_usage.unwrap_or_default()
    }

    /// `InvalidKeyUsageException` unless the key's usage is `wanted`, in
    /// the words AWS uses for Encrypt (observed) and, by analogy, for every
    /// other operation.
    fn check_usage(&self, wanted: KeyUsage, op: &str) -> Result<(), KmsError> {
        if self.usage() == wanted {
            Ok(())
        } else {
            Err(KmsError::InvalidKeyUsage(format!(
                "{} key usage is {} which is not valid for {op}.",
                self.arn,
                self.usage().as_str()
            )))
        }
    }

    /// `InvalidKeyUsageException` for an algorithm the key's spec does not
    /// have (text unconfirmed; the one KMS emulators send).
    fn incompatible(&self, algorithm: &str) -> KmsError {
        KmsError::InvalidKeyUsage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}.",
            self.spec().as_str()
        ))
    }

    /// Encrypt, Decrypt and GenerateDataKey need an enabled key.
    fn check_usable(&self) -> Result<(), KmsError> {
        match self.state() {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(KmsError::disabled(&self.arn)),
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                Err(KmsError::pending_deletion(&self.arn))
            }
            KeyState::PendingImport => Err(KmsError::pending_import(&self.arn)),
        }
    }
}

/// A key reference split into what it names.
enum Target {
    KeyId(String),
    Alias(String),
}

impl Kms {
    pub fn new(store: Arc<dyn KeyRows>, keyring: Arc<Keyring>) -> Self {
        Kms {
            store,
            keyring,
            locks: WriteLocks::new(),
        }
    }

    /// KMS over a fresh in-memory SQLite database with a random root key:
    /// for `--dev` mode and tests of the layers above.
    pub fn in_memory(account_id: &str) -> Result<Self, KmsError> {
        let store: Arc<dyn Store> = Arc::new(kinko_store::SqliteStore::open_in_memory()?);
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            kinko_crypto::RootKey::generate(),
            account_id.to_owned(),
        ));
        Ok(Self::new(store, keyring))
    }

    fn account_id(&self) -> &str {
        self.keyring.account_id()
    }

    fn key_arn(&self, region: &str, key_id: &str) -> String {
        self.keyring.key_arn(region, key_id)
    }

    fn alias_arn(&self, region: &str, alias: &str) -> String {
        arn("kms", region, self.account_id(), alias)
    }

    /// Splits a key id, key ARN, alias name or alias ARN, with AWS's texts
    /// for the malformed ones.
    fn parse_ref(&self, region: &str, key_ref: &str) -> Result<Target, KmsError> {
        let invalid_id = || KmsError::NotFound(format!("Invalid keyId '{key_ref}'"));
        if key_ref.starts_with("arn:") {
            let parsed = Arn::parse(key_ref).ok_or_else(invalid_id)?;
            if parsed.service != "kms" {
                return Err(invalid_id());
            }
            if parsed.region != region {
                return Err(KmsError::NotFound(format!("Invalid arn {}", parsed.region)));
            }
            if parsed.account_id != self.account_id() {
                return Err(KmsError::NotFound(format!(
                    "Key '{key_ref}' does not exist"
                )));
            }
            if parsed.resource.starts_with("alias/") {
                return Ok(Target::Alias(parsed.resource.to_owned()));
            }
            return match parsed.resource.strip_prefix("key/") {
                Some(id) if is_key_id(id) => Ok(Target::KeyId(id.to_owned())),
                _ => Err(invalid_id()),
            };
        }
        if key_ref.starts_with("alias/") {
            return Ok(Target::Alias(key_ref.to_owned()));
        }
        if is_key_id(key_ref) {
            Ok(Target::KeyId(key_ref.to_owned()))
        } else {
            Err(invalid_id())
        }
    }

    /// Loads the key any of the four reference forms names. The predefined
    /// `alias/aws/*` get their key on first use, as on AWS.
    async fn load(&self, region: &str, key_ref: &str) -> Result<KeyHandle, KmsError> {
        match self.parse_ref(region, key_ref)? {
            Target::KeyId(id) => self.load_id(region, &id).await,
            Target::Alias(alias) => {
                let key_id = self.alias_target(region, &alias).await?;
                self.load_id(region, &key_id).await
            }
        }
    }

    /// Loads a key named by key id or key ARN only (CreateAlias's
    /// `TargetKeyId`, ListAliases's `KeyId`).
    async fn load_key_only(&self, region: &str, key_ref: &str) -> Result<KeyHandle, KmsError> {
        match self.parse_ref(region, key_ref)? {
            Target::KeyId(id) => self.load_id(region, &id).await,
            Target::Alias(_) => Err(KmsError::Validation(
                "Aliases must refer to keys. Not aliases".into(),
            )),
        }
    }

    async fn alias_target(&self, region: &str, alias: &str) -> Result<String, KmsError> {
        if let Some(key_id) = self.store.get_kms_alias(region, alias).await? {
            return Ok(key_id);
        }
        if is_managed_alias(alias) {
            let resolved = self
                .keyring
                .resolve(region, alias)
                .await
                .map_err(keyring_error)?;
            return Ok(resolved.key_id);
        }
        Err(self.alias_not_found(region, alias))
    }

    fn alias_not_found(&self, region: &str, alias: &str) -> KmsError {
        KmsError::NotFound(format!(
            "Alias {} is not found.",
            self.alias_arn(region, alias)
        ))
    }

    async fn load_id(&self, region: &str, key_id: &str) -> Result<KeyHandle, KmsError> {
        let arn = self.key_arn(region, key_id);
        let record = self
            .store
            .get_kms_key(region, key_id)
            .await?
            .ok_or_else(|| KmsError::NotFound(format!("Key '{arn}' does not exist")))?;
        self.handle_of(record)
    }

    fn handle_of(&self, record: KmsKeyRecord) -> Result<KeyHandle, KmsError> {
        let arn = self.key_arn(&record.region, &record.key_id);
        let meta = StoredKeyMeta::parse(&record)
            .map_err(|e| KmsError::Internal(format!("metadata of key {}: {e}", record.key_id)))?;
        Ok(KeyHandle { record, meta, arn })
    }

    /// Loads a key for a read-modify-write of its record, holding this
    /// server's lock on it; read again under the lock, so a write that
    /// finished while we waited is not overwritten.
    async fn load_locked(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<(tokio::sync::MutexGuard<'_, ()>, KeyHandle), KmsError> {
        let key_id = self.load(region, key_ref).await?.record.key_id;
        let guard = self.locks.lock(&(region, key_id.as_str())).await;
        let key = self.load_id(region, &key_id).await?;
        Ok((guard, key))
    }

    /// Writes a key's new state: `enabled` mirrors it, so the keyring (and
    /// through it SSM and Secrets Manager) sees it; then drops this node's
    /// cached copy so the change takes effect at once.
    async fn save_state(
        &self,
        mut key: KeyHandle,
        state: KeyState,
        operation: &str,
    ) -> Result<KeyHandle, KmsError> {
        key.meta.key_state = Some(state);
        if !matches!(
            state,
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        ) {
            key.meta.deletion_date_ms = None;
            key.meta.pending_window_in_days = None;
        }
        key.record.enabled = state == KeyState::Enabled;
        key.record.metadata = key
            .meta
            .to_json()
            .map_err(|e| KmsError::Internal(format!("metadata: {e}")))?;
        let change = self
            .keyring
            .key_change(&key.record.region, &key.record.key_id, operation)
            .with("keyState", state.as_str());
        self.store
            .update_kms_key(key.record.clone(), change)
            .await?;
        self.keyring
            .invalidate(&key.record.region, &key.record.key_id);
        Ok(key)
    }

    fn metadata_of(&self, key: &KeyHandle) -> KeyMetadata {
        KeyMetadata {
            account_id: self.account_id().to_owned(),
            key_id: key.record.key_id.clone(),
            arn: key.arn.clone(),
            creation_ms: key.record.created_ms,
            enabled: key.state() == KeyState::Enabled,
            description: key.record.description.clone(),
            key_state: key.state(),
            key_manager: key.record.key_manager.clone(),
            deletion_date_ms: key.meta.deletion_date_ms,
            pending_deletion_window_in_days: key.meta.pending_window_in_days,
            key_spec: key.spec(),
            key_usage: key.usage(),
            current_key_material_id: None,
            origin: if key.meta.import.is_some() {
                ORIGIN_EXTERNAL
            } else {
                ORIGIN
            },
            expiration_model: key.meta.import.as_ref().and_then(|i| i.expiration_model()),
            valid_to_ms: key.meta.import.as_ref().and_then(|i| i.valid_to_ms()),
            multi_region: None,
        }
    }

    /// An opaque paging marker naming the last item returned, MACed so a
    /// forged or foreign marker is `InvalidMarkerException`.
    fn marker(&self, kind: &str, last: &str) -> String {
        let tag = self.keyring.token_mac(&marker_input(kind, last));
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(last),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    fn parse_marker(&self, kind: &str, marker: &str) -> Result<String, KmsError> {
        let (last, tag) = marker
            .split_once('.')
            .ok_or_else(KmsError::invalid_marker)?;
        let last = URL_SAFE_NO_PAD
            .decode(last)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(KmsError::invalid_marker)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| KmsError::invalid_marker())?;
        if self
            .keyring
            .verify_token_mac(&marker_input(kind, &last), &tag)
        {
            Ok(last)
        } else {
            Err(KmsError::invalid_marker())
        }
    }

    /// Pages items sorted by `name`: those after the marker, `limit` of them.
    fn page<T>(
        &self,
        kind: &str,
        items: Vec<T>,
        name: impl Fn(&T) -> &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<T>, KmsError> {
        let after = marker.map(|m| self.parse_marker(kind, m)).transpose()?;
        let mut rest: Vec<T> = items
            .into_iter()
            .filter(|item| after.as_deref().is_none_or(|a| name(item) > a))
            .collect();
        let limit = limit.max(1);
        let next_marker = if rest.len() > limit {
            rest.truncate(limit);
            rest.last().map(|last| self.marker(kind, name(last)))
        } else {
            None
        };
        Ok(Page {
            items: rest,
            next_marker,
        })
    }
}

/// What an access check needs to know about a key (see [`Kms::access_facts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAccess {
    pub key_id: String,
    /// `arn:<partition>:kms:<region>:<account>:key/<key_id>`: the resource
    /// every key operation is authorized against, whichever form named it.
    pub arn: String,
    pub tags: Vec<Tag>,
    /// `CUSTOMER` rather than `AWS`.
    pub customer_managed: bool,
    /// The key policy that governs it (the default one when none was set).
    pub policy: String,
    pub grants: Vec<StoredGrant>,
}

impl KeyAccess {
    fn of(key: &KeyHandle, account_id: &str) -> KeyAccess {
        KeyAccess {
            key_id: key.record.key_id.clone(),
            arn: key.arn.clone(),
            tags: key.tags(),
            customer_managed: !key.is_managed(),
            policy: key.effective_policy(account_id),
            grants: key.meta.grants.clone(),
        }
    }

    /// From a key record, for the SSM and Secrets Manager checks on the
    /// key a value is sealed under. Metadata that does not parse gives an
    /// empty policy, which the evaluator cannot read and so denies (fail
    /// closed: the lost policy may have held a Deny).
    pub fn of_record(record: KmsKeyRecord, arn: String, account_id: &str) -> KeyAccess {
        match StoredKeyMeta::parse(&record) {
            Ok(meta) => KeyAccess::of(&KeyHandle { record, meta, arn }, account_id),
            Err(error) => {
                tracing::error!(%error, key_id = %record.key_id, "a key's stored metadata does not parse; its checks deny");
                KeyAccess {
                    key_id: record.key_id,
                    arn,
                    tags: Vec::new(),
                    customer_managed: record.key_manager != "AWS",
                    policy: String::new(),
                    grants: Vec::new(),
                }
            }
        }
    }
}

impl Kms {
    fn access_of(&self, key: &KeyHandle) -> KeyAccess {
        KeyAccess::of(key, self.account_id())
    }

    /// The key a key id, key ARN, alias name or alias ARN names, for the
    /// access check that precedes an operation on it. `None` when it names
    /// no key (the operation then answers its own `NotFoundException`).
    pub async fn access_facts(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<Option<KeyAccess>, KmsError> {
        match self.load(region, key_ref).await {
            Ok(key) => Ok(Some(self.access_of(&key))),
            Err(KmsError::NotFound(_) | KmsError::Validation(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// As [`Kms::access_facts`], for operations that answer a reference to
    /// no key with its `NotFoundException` before anything else.
    pub async fn key_access(&self, region: &str, key_ref: &str) -> Result<KeyAccess, KmsError> {
        let key = self.load(region, key_ref).await?;
        Ok(self.access_of(&key))
    }

    /// The key a ciphertext blob names (Decrypt needs no `KeyId`). `None`
    /// for a blob that is not one of ours or names no key here.
    pub async fn ciphertext_facts(
        &self,
        region: &str,
        ciphertext_blob: &[u8],
    ) -> Result<Option<KeyAccess>, KmsError> {
        let Ok(key_id) = kinko_crypto::envelope::key_id(ciphertext_blob) else {
            return Ok(None);
        };
        if !is_key_id(key_id) {
            return Ok(None);
        }
        match self.load_id(region, key_id).await {
            Ok(key) => Ok(Some(self.access_of(&key))),
            Err(KmsError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The ARN of `alias/NAME` in `region` (whether it exists or not).
    pub fn alias_resource_arn(&self, region: &str, alias: &str) -> String {
        self.alias_arn(region, alias)
    }

    /// The key an existing alias points to now; `None` when the alias does
    /// not exist (or is a predefined one whose key is not created yet).
    pub async fn alias_facts(
        &self,
        region: &str,
        alias: &str,
    ) -> Result<Option<KeyAccess>, KmsError> {
        let Some(key_id) = self.store.get_kms_alias(region, alias).await? else {
            return Ok(None);
        };
        match self.load_id(region, &key_id).await {
            Ok(key) => Ok(Some(self.access_of(&key))),
            Err(KmsError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn marker_input(kind: &str, last: &str) -> Vec<u8> {
    format!("kms-marker\0{kind}\0{last}").into_bytes()
}

/// A lower-case UUID, the form of every single-Region key id kinko
/// creates, or a multi-Region key's `mrk-` id.
fn is_key_id(s: &str) -> bool {
    if s.starts_with(multi_region::MRK_PREFIX) {
        return multi_region::is_mrk_id(s);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

fn keyring_error(e: KeyringError) -> KmsError {
    match e {
        KeyringError::KeyNotFound(r) => KmsError::NotFound(format!("Key '{r}' does not exist")),
        KeyringError::KeyDisabled(arn) => KmsError::disabled(&arn),
        KeyringError::NotSymmetric(arn) => KmsError::InvalidKeyUsage(format!(
            "{arn} key usage is not ENCRYPT_DECRYPT with SYMMETRIC_DEFAULT."
        )),
        KeyringError::Decrypt => KmsError::InvalidCiphertext,
        KeyringError::Store(kinko_store::StoreError::Unavailable(m)) => KmsError::Unavailable(m),
        KeyringError::Store(kinko_store::StoreError::OutOfSpace) => KmsError::OutOfSpace,
        other => KmsError::Internal(format!("keyring: {other}")),
    }
}

impl From<KeyringError> for KmsError {
    fn from(e: KeyringError) -> Self {
        keyring_error(e)
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[cfg(test)]
mod tests;
