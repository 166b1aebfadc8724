//! Handlers of GetParametersForImport, ImportKeyMaterial and
//! DeleteImportedKeyMaterial: parse, check the model's constraints,
//! authorize on the key, call `kinko_core::kms::Kms`, encode. A child of
//! `handle`, whose helpers it shares. The token and the material never
//! reach a log: they are ciphertext blobs handed to the core as they came.

use kinko_core::kms::Kms;
use kinko_core::kms::import::{GetParametersForImportInput, ImportKeyMaterialInput};

use super::super::access::check_key;
use super::super::import_shapes::*;
use super::{check_key_id, encode, finish, present};
use crate::wire::{Violations, parse_body};
use crate::{AwsError, RequestContext};

const WRAPPING_ALGORITHMS: [&str; 6] = [
    "RSAES_PKCS1_V1_5",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
    "SM2PKE",
];
const WRAPPING_KEY_SPECS: [&str; 4] = ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"];
const EXPIRATION_MODELS: [&str; 2] = ["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"];
const IMPORT_TYPES: [&str; 2] = ["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"];
const MAX_CIPHERTEXT_BLOB: usize = 6144;
const MATERIAL_ID_PATTERN: &str = "^[a-f0-9]+$";
const MATERIAL_DESCRIPTION_PATTERN: &str = "^[a-zA-Z0-9:/_\\s.-]+$";

fn check_material_id(v: &mut Violations, id: &Option<String>, path: &str) {
    if let Some(id) = id {
        v.length(id, path, 64, 64);
        let ok = !id.is_empty() && id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        v.pattern(id, path, ok, MATERIAL_ID_PATTERN);
    }
}

pub(super) async fn get_parameters_for_import(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: GetParametersForImportRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    v.required(&req.wrapping_algorithm, "wrappingAlgorithm");
    v.enum_value(
        &req.wrapping_algorithm,
        "wrappingAlgorithm",
        &WRAPPING_ALGORITHMS,
    );
    v.required(&req.wrapping_key_spec, "wrappingKeySpec");
    v.enum_value(
        &req.wrapping_key_spec,
        "wrappingKeySpec",
        &WRAPPING_KEY_SPECS,
    );
    finish(v)?;
    let input = GetParametersForImportInput {
        key_id: present(req.key_id)?,
        wrapping_algorithm: present(req.wrapping_algorithm)?,
        wrapping_key_spec: present(req.wrapping_key_spec)?,
    };
    check_key(kms, ctx, "kms:GetParametersForImport", &input.key_id).await?;
    let out = kms
        .get_parameters_for_import(&ctx.caller.region, input)
        .await?;
    encode(&GetParametersForImportResponse {
        key_id: &out.key_id,
        import_token: super::super::shapes::Blob(&out.import_token),
        public_key: super::super::shapes::Blob(&out.public_key),
        parameters_valid_to: kinko_model::Epoch(out.parameters_valid_to_ms),
    })
}

pub(super) async fn import_key_material(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ImportKeyMaterialRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    if let Some(t) = v.required(&req.import_token, "importToken") {
        v.secret_length(t.0.len(), "importToken", 1, MAX_CIPHERTEXT_BLOB);
    }
    if let Some(m) = v.required(&req.encrypted_key_material, "encryptedKeyMaterial") {
        v.secret_length(m.0.len(), "encryptedKeyMaterial", 1, MAX_CIPHERTEXT_BLOB);
    }
    v.enum_value(&req.expiration_model, "expirationModel", &EXPIRATION_MODELS);
    v.enum_value(&req.import_type, "importType", &IMPORT_TYPES);
    if let Some(d) = &req.key_material_description {
        v.length(d, "keyMaterialDescription", 0, 256);
        let ok = !d.is_empty()
            && d.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || c.is_whitespace()
                    || matches!(c, ':' | '/' | '_' | '.' | '-')
            });
        v.pattern(
            d,
            "keyMaterialDescription",
            ok,
            MATERIAL_DESCRIPTION_PATTERN,
        );
    }
    check_material_id(&mut v, &req.key_material_id, "keyMaterialId");
    finish(v)?;
    let input = ImportKeyMaterialInput {
        key_id: present(req.key_id)?,
        import_token: present(req.import_token)?.0,
        encrypted_key_material: present(req.encrypted_key_material)?.0,
        expiration_model: req.expiration_model,
        valid_to_ms: req.valid_to.map(|t| t.millis()),
        import_type: req.import_type,
        key_material_description: req.key_material_description,
        key_material_id: req.key_material_id,
    };
    check_key(kms, ctx, "kms:ImportKeyMaterial", &input.key_id).await?;
    let out = kms.import_key_material(&ctx.caller.region, input).await?;
    encode(&KeyMaterialResponse {
        key_id: &out.key_id,
        key_material_id: &out.key_material_id,
    })
}

pub(super) async fn delete_imported_key_material(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: DeleteImportedKeyMaterialRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    check_material_id(&mut v, &req.key_material_id, "keyMaterialId");
    finish(v)?;
    let key_id = present(req.key_id)?;
    check_key(kms, ctx, "kms:DeleteImportedKeyMaterial", &key_id).await?;
    let out = kms
        .delete_imported_key_material(&ctx.caller.region, &key_id, req.key_material_id.as_deref())
        .await?;
    encode(&KeyMaterialResponse {
        key_id: &out.key_id,
        key_material_id: &out.key_material_id,
    })
}
