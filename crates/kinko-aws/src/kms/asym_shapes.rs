//! Request and response shapes of the asymmetric, HMAC and key-agreement
//! operations (Sign, Verify, GetPublicKey, GenerateMac, VerifyMac,
//! DeriveSharedSecret, GenerateDataKeyPair*, ReEncrypt), in the same
//! conventions as `shapes`: every request member optional, blobs base64,
//! plaintext-bearing blobs straight into zeroizing memory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::shapes::{Blob, ExposedBlob, WireBlob, WirePlaintext};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignRequest {
    pub key_id: Option<String>,
    pub message: Option<WirePlaintext>,
    pub message_type: Option<String>,
    pub signing_algorithm: Option<String>,
    /// Verify only.
    pub signature: Option<WireBlob>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyRequest {
    pub key_id: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MacRequest {
    pub key_id: Option<String>,
    pub message: Option<WirePlaintext>,
    pub mac_algorithm: Option<String>,
    /// VerifyMac only.
    pub mac: Option<WireBlob>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretRequest {
    pub key_id: Option<String>,
    pub key_agreement_algorithm: Option<String>,
    pub public_key: Option<WireBlob>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
    /// Nitro Enclaves attestation: refused (no enclave here).
    pub recipient: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairRequest {
    pub key_id: Option<String>,
    pub key_pair_spec: Option<String>,
    pub encryption_context: Option<BTreeMap<String, String>>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
    pub recipient: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptRequest {
    pub ciphertext_blob: Option<WireBlob>,
    pub source_encryption_context: Option<BTreeMap<String, String>>,
    pub source_key_id: Option<String>,
    pub destination_key_id: Option<String>,
    pub destination_encryption_context: Option<BTreeMap<String, String>>,
    pub source_encryption_algorithm: Option<String>,
    pub destination_encryption_algorithm: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignResponse<'a> {
    pub key_id: &'a str,
    pub signature: Blob<'a>,
    pub signing_algorithm: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyResponse<'a> {
    pub key_id: &'a str,
    pub signature_valid: bool,
    pub signing_algorithm: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyResponse<'a> {
    pub key_id: &'a str,
    pub public_key: Blob<'a>,
    pub customer_master_key_spec: &'static str,
    pub key_spec: &'static str,
    pub key_usage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<&'static str>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacResponse<'a> {
    pub mac: Blob<'a>,
    pub mac_algorithm: &'static str,
    pub key_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacResponse<'a> {
    pub key_id: &'a str,
    pub mac_valid: bool,
    pub mac_algorithm: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretResponse<'a> {
    pub key_id: &'a str,
    pub shared_secret: ExposedBlob<'a>,
    pub key_agreement_algorithm: &'static str,
    pub key_origin: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairResponse<'a> {
    pub private_key_ciphertext_blob: Blob<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key_plaintext: Option<ExposedBlob<'a>>,
    pub public_key: Blob<'a>,
    pub key_id: &'a str,
    pub key_pair_spec: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse<'a> {
    pub ciphertext_blob: Blob<'a>,
    pub source_key_id: &'a str,
    pub key_id: &'a str,
    pub source_encryption_algorithm: &'static str,
    pub destination_encryption_algorithm: &'static str,
}
