//! The shapes of GetParametersForImport, ImportKeyMaterial and
//! DeleteImportedKeyMaterial (botocore `kms/2014-11-01`), with the model's
//! PascalCase names. The import token and the encrypted material are
//! ciphertext: plain blobs.

use kinko_model::Epoch;
use serde::{Deserialize, Serialize};

use super::shapes::{Blob, WireBlob};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportRequest {
    pub key_id: Option<String>,
    pub wrapping_algorithm: Option<String>,
    pub wrapping_key_spec: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyMaterialRequest {
    pub key_id: Option<String>,
    pub import_token: Option<WireBlob>,
    pub encrypted_key_material: Option<WireBlob>,
    pub valid_to: Option<Epoch>,
    pub expiration_model: Option<String>,
    pub import_type: Option<String>,
    pub key_material_description: Option<String>,
    pub key_material_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteImportedKeyMaterialRequest {
    pub key_id: Option<String>,
    pub key_material_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse<'a> {
    pub key_id: &'a str,
    pub import_token: Blob<'a>,
    pub public_key: Blob<'a>,
    pub parameters_valid_to: Epoch,
}

/// ImportKeyMaterial's and DeleteImportedKeyMaterial's response.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMaterialResponse<'a> {
    pub key_id: &'a str,
    pub key_material_id: &'a str,
}
