//! The KMS subset's domain types: key state, the metadata core keeps in a
//! key record's `metadata` JSON, and the operations' inputs and outputs.

use std::collections::BTreeMap;

use kinko_crypto::SecretBytes;
use kinko_model::Tag;
use kinko_store::KmsKeyRecord;
use serde::{Deserialize, Serialize};

use super::key_spec::{KeySpec, KeyUsage};

/// `KeyState` as AWS names it (the subset kinko reaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
    /// Never stored: an EXTERNAL key whose material is absent or expired
    /// (see `import.rs`).
    PendingImport,
    /// A multi-Region primary scheduled for deletion while replicas of it
    /// remain (see `multi_region.rs`).
    PendingReplicaDeletion,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
            KeyState::PendingReplicaDeletion => "PendingReplicaDeletion",
        }
    }

    /// Scheduled for deletion, whether or not the waiting period has begun
    /// (a multi-Region primary waits for its replicas first).
    pub fn is_pending_deletion(self) -> bool {
        matches!(
            self,
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        )
    }
}

/// What core keeps in `KmsKeyRecord::metadata`. Every member has a
/// default, so records written before a member existed (the keyring writes
/// `{}` for managed keys) still parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StoredKeyMeta {
    /// `None` = derived from the record's `enabled` flag.
    pub key_state: Option<KeyState>,
    pub deletion_date_ms: Option<i64>,
    pub pending_window_in_days: Option<u32>,
    pub tags: Vec<StoredTag>,
    /// The key policy as the caller sent it; `None` = the default policy.
    pub policy: Option<String>,
    /// The key's grants, in creation order (see `kms::grants`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<super::grants::StoredGrant>,
    /// `None` = `SYMMETRIC_DEFAULT` (and every record written before other
    /// specs existed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<KeySpec>,
    /// `None` = `ENCRYPT_DECRYPT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<KeyUsage>,
    /// An asymmetric key's private key (PKCS#8 DER) or an HMAC key, sealed
    /// under this key's own material (see `asymmetric::secret_aad`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed_secret: Option<SealedSecret>,
    /// An asymmetric key's public key, DER SubjectPublicKeyInfo, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Automatic rotation; `None` = disabled (see `rotation.rs`).
    pub rotation: Option<super::rotation::RotationSchedule>,
    /// `Some` exactly for an `Origin: EXTERNAL` key (see `import.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import: Option<super::import::ImportState>,
    /// A multi-Region key's member facts (see `multi_region.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<super::multi_region::StoredMultiRegion>,
}

/// A sealed key secret, base64 in the metadata JSON. Ciphertext only, yet
/// `Debug` shows none of it: a log line has no use for it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedSecret(pub String);

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedSecret(<sealed>)")
    }
}

impl StoredKeyMeta {
    /// Parses a record's metadata; a corrupt document is a fault of ours.
    pub fn parse(record: &KmsKeyRecord) -> Result<Self, serde_json::Error> {
        if record.metadata.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(&record.metadata)
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// The key's state: the stored one, or the one `enabled` implies; an
    /// EXTERNAL key without usable material is `PendingImport` (pending
    /// deletion outranks it, as on AWS).
    pub fn state(&self, record: &KmsKeyRecord) -> KeyState {
        self.state_at(record, super::now_ms())
    }

    /// [`StoredKeyMeta::state`] at `now_ms` (expiry of imported material).
    pub fn state_at(&self, record: &KmsKeyRecord, now_ms: i64) -> KeyState {
        let stored = match self.key_state {
            Some(state) => state,
            None if record.enabled => KeyState::Enabled,
            None => KeyState::Disabled,
        };
        match &self.import {
            Some(import) if stored != KeyState::PendingDeletion && !import.usable_at(now_ms) => {
                KeyState::PendingImport
            }
            _ => stored,
        }
    }
}

/// A tag as kept in the metadata JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTag {
    pub key: String,
    pub value: String,
}

/// `KeyMetadata` (spec §3). The constant `Origin` is added by the wire
/// layer (and `MultiRegion`, from `multi_region`), and the algorithm lists
/// it derives from `key_spec` and `key_usage` ([`super::key_algorithms`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMetadata {
    pub account_id: String,
    pub key_id: String,
    pub arn: String,
    pub creation_ms: i64,
    pub enabled: bool,
    pub description: String,
    pub key_state: KeyState,
    /// `AWS` or `CUSTOMER`.
    pub key_manager: String,
    pub deletion_date_ms: Option<i64>,
    pub pending_deletion_window_in_days: Option<u32>,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsage,
    /// `CurrentKeyMaterialId` (64 hex), where the operation reads it.
    pub current_key_material_id: Option<String>,
    /// `AWS_KMS`, or `EXTERNAL` for imported key material.
    pub origin: &'static str,
    /// `ExpirationModel` and `ValidTo`: EXTERNAL keys only.
    pub expiration_model: Option<&'static str>,
    pub valid_to_ms: Option<i64>,
    /// `MultiRegionConfiguration`; `None` = a single-Region key.
    pub multi_region: Option<super::multi_region::MultiRegionConfiguration>,
}

pub const KEY_USAGE: &str = "ENCRYPT_DECRYPT";
pub const KEY_SPEC: &str = "SYMMETRIC_DEFAULT";
pub const ORIGIN: &str = "AWS_KMS";
pub const ORIGIN_EXTERNAL: &str = "EXTERNAL";
pub const ENCRYPTION_ALGORITHM: &str = "SYMMETRIC_DEFAULT";

#[derive(Debug, Clone, Default)]
pub struct CreateKeyInput {
    pub description: Option<String>,
    pub key_usage: Option<String>,
    pub key_spec: Option<String>,
    pub origin: Option<String>,
    pub policy: Option<String>,
    pub tags: Vec<Tag>,
    pub multi_region: bool,
    pub custom_key_store_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListEntry {
    pub key_id: String,
    pub key_arn: String,
}

/// One page of a listing. `next_marker` is `Some` exactly when truncated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    pub fn truncated(&self) -> bool {
        self.next_marker.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasEntry {
    pub alias_name: String,
    pub alias_arn: String,
    /// `None` for a predefined `alias/aws/*` whose key is not created yet.
    pub target_key_id: Option<String>,
    pub creation_ms: Option<i64>,
    pub last_updated_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleKeyDeletionOutput {
    /// The key ARN.
    pub key_id: String,
    /// `None` for a multi-Region primary that still has replicas: its
    /// waiting period has not begun.
    pub deletion_date_ms: Option<i64>,
    pub key_state: KeyState,
    pub pending_window_in_days: u32,
}

/// An encryption context: sorted, so its canonical encoding is stable.
pub type EncryptionContext = BTreeMap<String, String>;

#[derive(Debug)]
pub struct EncryptInput {
    pub key_id: String,
    pub plaintext: SecretBytes,
    pub encryption_context: EncryptionContext,
    pub encryption_algorithm: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptOutput {
    pub ciphertext_blob: Vec<u8>,
    /// The key ARN.
    pub key_id: String,
    pub encryption_algorithm: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct DecryptInput {
    pub ciphertext_blob: Vec<u8>,
    pub encryption_context: EncryptionContext,
    pub key_id: Option<String>,
    pub encryption_algorithm: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct DecryptOutput {
    /// The key ARN.
    pub key_id: String,
    pub plaintext: SecretBytes,
    pub encryption_algorithm: &'static str,
    /// The material that decrypted it (64 hex); `None` for an asymmetric
    /// key, as AWS sends it only for symmetric ones.
    pub key_material_id: Option<String>,
}

/// `KeySpec` or `NumberOfBytes` of GenerateDataKey, exactly one (the wire
/// layer checks that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeySize {
    Aes256,
    Aes128,
    Bytes(usize),
}

impl DataKeySize {
    pub fn byte_len(self) -> usize {
        match self {
            DataKeySize::Aes256 => 32,
            DataKeySize::Aes128 => 16,
            DataKeySize::Bytes(n) => n,
        }
    }
}

#[derive(Debug, Clone)]
pub struct GenerateDataKeyInput {
    pub key_id: String,
    pub size: DataKeySize,
    pub encryption_context: EncryptionContext,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct GenerateDataKeyOutput {
    pub ciphertext_blob: Vec<u8>,
    pub plaintext: SecretBytes,
    /// The key ARN.
    pub key_id: String,
    /// The material that encrypted it (64 hex).
    pub key_material_id: String,
}
