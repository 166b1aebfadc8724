//! The KMS request and response shapes, with the model's PascalCase member
//! names. Requests hold every member as `Option` so a missing required
//! member becomes a `ValidationException` (see `ssm::decode`), not a serde
//! error. Blobs travel as standard base64 strings; a plaintext blob is
//! decoded straight into zeroizing memory.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_core::kms::{AliasEntry, KeyListEntry, KeyMetadata, ScheduleKeyDeletionOutput};
use kinko_crypto::{SecretBytes, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use kinko_model::Epoch;

/// A base64 blob that holds a plaintext (Encrypt's `Plaintext`).
pub struct WirePlaintext(pub SecretBytes);

impl<'de> Deserialize<'de> for WirePlaintext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = SecretString::new(String::deserialize(d)?);
        STANDARD
            .decode(text.expose())
            .map(|bytes| WirePlaintext(SecretBytes::new(bytes)))
            .map_err(|_| serde::de::Error::custom("blob is not base64"))
    }
}

/// A base64 blob that holds no secret (`CiphertextBlob`).
pub struct WireBlob(pub Vec<u8>);

impl<'de> Deserialize<'de> for WireBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text)
            .map(WireBlob)
            .map_err(|_| serde::de::Error::custom("blob is not base64"))
    }
}

/// Writes a plaintext blob as base64 (the only place it is exposed).
pub struct ExposedBlob<'a>(pub &'a SecretBytes);

impl Serialize for ExposedBlob<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = SecretString::new(STANDARD.encode(self.0.expose()));
        s.serialize_str(text.expose())
    }
}

pub struct Blob<'a>(pub &'a [u8]);

impl Serialize for Blob<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(self.0))
    }
}

// ---- requests ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagShape {
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyRequest {
    pub description: Option<String>,
    pub key_usage: Option<String>,
    pub key_spec: Option<String>,
    pub customer_master_key_spec: Option<String>,
    pub origin: Option<String>,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
    pub tags: Option<Vec<TagShape>>,
    pub multi_region: Option<bool>,
    pub custom_key_store_id: Option<String>,
    pub xks_key_id: Option<String>,
}

/// Every request whose only required member is `KeyId` (DescribeKey,
/// EnableKey, DisableKey, CancelKeyDeletion, ScheduleKeyDeletion).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdRequest {
    pub key_id: Option<String>,
    pub pending_window_in_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRequest {
    pub key_id: Option<String>,
    pub limit: Option<i64>,
    pub marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    pub key_id: Option<String>,
    pub tags: Option<Vec<TagShape>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    pub key_id: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasRequest {
    pub alias_name: Option<String>,
    pub target_key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptRequest {
    pub key_id: Option<String>,
    pub plaintext: Option<WirePlaintext>,
    pub encryption_context: Option<BTreeMap<String, String>>,
    pub encryption_algorithm: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptRequest {
    pub ciphertext_blob: Option<WireBlob>,
    pub encryption_context: Option<BTreeMap<String, String>>,
    pub key_id: Option<String>,
    pub encryption_algorithm: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyRequest {
    pub key_id: Option<String>,
    pub key_spec: Option<String>,
    pub number_of_bytes: Option<i64>,
    pub encryption_context: Option<BTreeMap<String, String>>,
    pub dry_run: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomRequest {
    pub number_of_bytes: Option<i64>,
}

// ---- responses ----

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataShape<'a> {
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: &'a str,
    pub key_id: &'a str,
    pub arn: &'a str,
    pub creation_date: Epoch,
    pub enabled: bool,
    pub description: &'a str,
    pub key_usage: &'static str,
    pub key_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<u32>,
    pub origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    pub key_manager: &'a str,
    pub customer_master_key_spec: &'static str,
    pub key_spec: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<&'static str>>,
    pub multi_region: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region_configuration:
        Option<super::multi_region_shapes::MultiRegionConfigurationShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<&'a str>,
}

impl<'a> From<&'a KeyMetadata> for KeyMetadataShape<'a> {
    fn from(m: &'a KeyMetadata) -> Self {
        use kinko_core::kms::key_algorithms;
        let algorithms = key_algorithms(m.key_spec, m.key_usage);
        KeyMetadataShape {
            aws_account_id: &m.account_id,
            key_id: &m.key_id,
            arn: &m.arn,
            creation_date: Epoch(m.creation_ms),
            enabled: m.enabled,
            description: &m.description,
            key_usage: m.key_usage.as_str(),
            key_state: m.key_state.as_str(),
            deletion_date: m.deletion_date_ms.map(Epoch),
            pending_deletion_window_in_days: m.pending_deletion_window_in_days,
            origin: m.origin,
            valid_to: m.valid_to_ms.map(Epoch),
            expiration_model: m.expiration_model,
            key_manager: &m.key_manager,
            customer_master_key_spec: m.key_spec.as_str(),
            key_spec: m.key_spec.as_str(),
            encryption_algorithms: algorithms.encryption,
            signing_algorithms: algorithms.signing,
            mac_algorithms: algorithms.mac,
            key_agreement_algorithms: algorithms.key_agreement,
            multi_region: m.multi_region.is_some(),
            multi_region_configuration: m.multi_region.as_ref().map(Into::into),
            current_key_material_id: m.current_key_material_id.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse<'a> {
    pub key_metadata: KeyMetadataShape<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntryShape<'a> {
    pub key_id: &'a str,
    pub key_arn: &'a str,
}

impl<'a> From<&'a KeyListEntry> for KeyListEntryShape<'a> {
    fn from(k: &'a KeyListEntry) -> Self {
        KeyListEntryShape {
            key_id: &k.key_id,
            key_arn: &k.key_arn,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse<'a> {
    pub keys: Vec<KeyListEntryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<&'a str>,
    pub truncated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasShape<'a> {
    pub alias_name: &'a str,
    pub alias_arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<Epoch>,
}

impl<'a> From<&'a AliasEntry> for AliasShape<'a> {
    fn from(a: &'a AliasEntry) -> Self {
        AliasShape {
            alias_name: &a.alias_name,
            alias_arn: &a.alias_arn,
            target_key_id: a.target_key_id.as_deref(),
            creation_date: a.creation_ms.map(Epoch),
            last_updated_date: a.last_updated_ms.map(Epoch),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagOut<'a> {
    pub tag_key: &'a str,
    pub tag_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse<'a> {
    pub tags: Vec<TagOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<&'a str>,
    pub truncated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse<'a> {
    pub aliases: Vec<AliasShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<&'a str>,
    pub truncated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse<'a> {
    pub key_id: &'a str,
    /// Absent for a multi-Region primary that still has replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<Epoch>,
    pub key_state: &'static str,
    pub pending_window_in_days: u32,
}

impl<'a> From<&'a ScheduleKeyDeletionOutput> for ScheduleKeyDeletionResponse<'a> {
    fn from(o: &'a ScheduleKeyDeletionOutput) -> Self {
        ScheduleKeyDeletionResponse {
            key_id: &o.key_id,
            deletion_date: o.deletion_date_ms.map(Epoch),
            key_state: o.key_state.as_str(),
            pending_window_in_days: o.pending_window_in_days,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse<'a> {
    pub key_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse<'a> {
    pub ciphertext_blob: Blob<'a>,
    pub key_id: &'a str,
    pub encryption_algorithm: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse<'a> {
    pub key_id: &'a str,
    pub plaintext: ExposedBlob<'a>,
    pub encryption_algorithm: &'static str,
    /// Only for symmetric keys, as AWS sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse<'a> {
    pub ciphertext_blob: Blob<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<ExposedBlob<'a>>,
    pub key_id: &'a str,
    pub key_material_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomResponse<'a> {
    pub plaintext: ExposedBlob<'a>,
}
