//! The KMS subset's domain types: key state, the metadata core keeps in a
//! key record's `metadata` JSON, and the operations' inputs and outputs.

use std::collections::BTreeMap;

use kinko_crypto::SecretBytes;
use kinko_model::Tag;
use kinko_store::KmsKeyRecord;
use serde::{Deserialize, Serialize};

/// `KeyState` as AWS names it (the subset kinko reaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
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

    /// The key's state: the stored one, or the one `enabled` implies.
    pub fn state(&self, record: &KmsKeyRecord) -> KeyState {
        match self.key_state {
            Some(state) => state,
            None if record.enabled => KeyState::Enabled,
            None => KeyState::Disabled,
        }
    }
}

/// A tag as kept in the metadata JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTag {
    pub key: String,
    pub value: String,
}

/// `KeyMetadata` of a symmetric key (spec §3). The constant members
/// (`KeyUsage`, `KeySpec`, `Origin`, ...) are added by the wire layer.
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
}

pub const KEY_USAGE: &str = "ENCRYPT_DECRYPT";
pub const KEY_SPEC: &str = "SYMMETRIC_DEFAULT";
pub const ORIGIN: &str = "AWS_KMS";
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
    pub deletion_date_ms: i64,
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
}
