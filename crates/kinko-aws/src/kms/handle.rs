//! One handler per operation: parse the body, check the model's
//! constraints, call `kinko_core::kms::Kms`, encode the result.

use kinko_core::kms::{
    CreateKeyInput, DataKeySize, DecryptInput, EncryptInput, GenerateDataKeyInput, Kms,
    MAX_CIPHERTEXT, MAX_PENDING_WINDOW_DAYS, MAX_PLAINTEXT, MAX_RANDOM_BYTES, MAX_TAGS_PER_PAGE,
    MIN_PENDING_WINDOW_DAYS,
};
use kinko_model::Tag;
use serde::Serialize;

use super::access::{check_alias, check_ciphertext_keys, check_key, check_key_with_context};
use super::permissions;
use super::rotation;
use super::shapes::*;
use crate::wire::{Violations, parse_body};
use crate::{AwsError, Check, MessageKey, RequestContext};

mod asym;
mod import;
mod multi_region;

const KEY_ID_MAX: usize = 2048;
const ALIAS_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";
/// In the order of AWS's observed enum error, `KEY_AGREEMENT` (newer) last.
const KEY_USAGES: [&str; 4] = [
    "ENCRYPT_DECRYPT",
    "SIGN_VERIFY",
    "GENERATE_VERIFY_MAC",
    "KEY_AGREEMENT",
];
const KEY_SPECS: [&str; 17] = [
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
];
const ORIGINS: [&str; 4] = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];
const ENCRYPTION_ALGORITHMS: [&str; 4] = [
    "SYMMETRIC_DEFAULT",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "SM2PKE",
];
const DATA_KEY_SPECS: [&str; 2] = ["AES_256", "AES_128"];

/// Runs `TrentService.<operation>` for an authenticated caller.
pub async fn handle(
    kms: &Kms,
    operation: &str,
    body: &[u8],
    ctx: &RequestContext,
) -> Result<Vec<u8>, AwsError> {
    permissions::check_grant_tokens(kms, ctx, body)?;
    match operation {
        "CreateKey" => create_key(kms, ctx, body).await,
        "DescribeKey" => describe_key(kms, ctx, body).await,
        "ListKeys" => list_keys(kms, ctx, body).await,
        "EnableKey" => enable_key(kms, ctx, body).await,
        "DisableKey" => disable_key(kms, ctx, body).await,
        "ScheduleKeyDeletion" => schedule_key_deletion(kms, ctx, body).await,
        "CancelKeyDeletion" => cancel_key_deletion(kms, ctx, body).await,
        "CreateAlias" => create_alias(kms, ctx, body).await,
        "UpdateAlias" => update_alias(kms, ctx, body).await,
        "DeleteAlias" => delete_alias(kms, ctx, body).await,
        "ListAliases" => list_aliases(kms, ctx, body).await,
        "Encrypt" => encrypt(kms, ctx, body).await,
        "Decrypt" => decrypt(kms, ctx, body).await,
        "GenerateDataKey" => generate_data_key(kms, ctx, body, true).await,
        "GenerateDataKeyWithoutPlaintext" => generate_data_key(kms, ctx, body, false).await,
        "GenerateRandom" => generate_random(kms, ctx, body),
        "TagResource" => tag_resource(kms, ctx, body).await,
        "UntagResource" => untag_resource(kms, ctx, body).await,
        "ListResourceTags" => list_resource_tags(kms, ctx, body).await,
        "GetKeyPolicy" => permissions::get_key_policy(kms, ctx, body).await,
        "PutKeyPolicy" => permissions::put_key_policy(kms, ctx, body).await,
        "ListKeyPolicies" => permissions::list_key_policies(kms, ctx, body).await,
        "UpdateKeyDescription" => permissions::update_key_description(kms, ctx, body).await,
        "CreateGrant" => permissions::create_grant(kms, ctx, body).await,
        "ListGrants" => permissions::list_grants(kms, ctx, body).await,
        "ListRetirableGrants" => permissions::list_retirable_grants(kms, ctx, body).await,
        "RetireGrant" => permissions::retire_grant(kms, ctx, body).await,
        "RevokeGrant" => permissions::revoke_grant(kms, ctx, body).await,
        "Sign" => asym::sign(kms, ctx, body).await,
        "Verify" => asym::verify(kms, ctx, body).await,
        "GetPublicKey" => asym::get_public_key(kms, ctx, body).await,
        "GenerateMac" => asym::generate_mac(kms, ctx, body).await,
        "VerifyMac" => asym::verify_mac(kms, ctx, body).await,
        "DeriveSharedSecret" => asym::derive_shared_secret(kms, ctx, body).await,
        "GenerateDataKeyPair" => asym::generate_data_key_pair(kms, ctx, body, true).await,
        "GenerateDataKeyPairWithoutPlaintext" => {
            asym::generate_data_key_pair(kms, ctx, body, false).await
        }
        "ReEncrypt" => asym::re_encrypt(kms, ctx, body).await,
        "EnableKeyRotation" => rotation::enable_key_rotation(kms, ctx, body).await,
        "DisableKeyRotation" => rotation::disable_key_rotation(kms, ctx, body).await,
        "GetKeyRotationStatus" => rotation::get_key_rotation_status(kms, ctx, body).await,
        "RotateKeyOnDemand" => rotation::rotate_key_on_demand(kms, ctx, body).await,
        "ListKeyRotations" => rotation::list_key_rotations(kms, ctx, body).await,
        "GetParametersForImport" => import::get_parameters_for_import(kms, ctx, body).await,
        "ImportKeyMaterial" => import::import_key_material(kms, ctx, body).await,
        "DeleteImportedKeyMaterial" => import::delete_imported_key_material(kms, ctx, body).await,
        "ReplicateKey" => multi_region::replicate_key(kms, ctx, body).await,
        "UpdatePrimaryRegion" => multi_region::update_primary_region(kms, ctx, body).await,
        _ => Err(AwsError::unknown_operation(&format!(
            "TrentService.{operation}"
        ))),
    }
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(value).map_err(|_| AwsError::internal())
}

/// KMS models `ValidationException` with a lower-case `message`.
pub(super) fn finish(v: Violations) -> Result<(), AwsError> {
    v.finish().map_err(|e| e.with_key(MessageKey::Lower))
}

fn validation(message: &str) -> AwsError {
    AwsError::new("ValidationException", message)
}

/// A required `KeyId` (any of the four forms; the core tells them apart).
pub(super) fn check_key_id<'a>(
    v: &mut Violations,
    key_id: &'a Option<String>,
    path: &str,
) -> Option<&'a String> {
    let k = v.required(key_id, path)?;
    v.length(k, path, 1, KEY_ID_MAX);
    Some(k)
}

fn check_alias_name<'a>(v: &mut Violations, alias: &'a Option<String>) -> Option<&'a String> {
    let a = v.required(alias, "aliasName")?;
    v.length(a, "aliasName", 1, 256);
    let ok = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'));
    v.pattern(a, "aliasName", ok, ALIAS_PATTERN);
    Some(a)
}

pub(super) fn limit(value: Option<i64>, default: usize) -> usize {
    value
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(default)
}

pub(super) fn empty() -> Result<Vec<u8>, AwsError> {
    Ok(b"{}".to_vec())
}

/// Passes (or, without the checks having run, cannot) the required value on.
pub(super) fn present<T>(value: Option<T>) -> Result<T, AwsError> {
    value.ok_or_else(AwsError::internal)
}

/// The members' lengths of a `Tags` list (AWS names each by position);
/// the tags whose members are all present.
pub(super) fn check_tag_list(v: &mut Violations, shapes: &[TagShape]) -> Vec<Tag> {
    let mut tags = Vec::new();
    for (i, t) in shapes.iter().enumerate() {
        let key_path = format!("tags.{}.member.tagKey", i + 1);
        let value_path = format!("tags.{}.member.tagValue", i + 1);
        let key = v.required(&t.tag_key, &key_path);
        let value = v.required(&t.tag_value, &value_path);
        if let Some(k) = key {
            v.length(k, &key_path, 1, 128);
        }
        if let Some(val) = value {
            v.length(val, &value_path, 0, 256);
        }
        if let (Some(k), Some(val)) = (key, value) {
            tags.push(Tag {
                key: k.clone(),
                value: val.clone(),
            });
        }
    }
    tags
}

async fn tag_resource(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let req: TagResourceRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    v.required(&req.tags, "tags");
    let tags = check_tag_list(&mut v, req.tags.as_deref().unwrap_or_default());
    finish(v)?;
    let key_id = present(req.key_id)?;
    check_key(kms, ctx, "kms:TagResource", &key_id).await?;
    kms.tag_resource(&ctx.caller.region, &key_id, &tags).await?;
    empty()
}

async fn untag_resource(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let req: UntagResourceRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    v.required(&req.tag_keys, "tagKeys");
    if let Some(keys) = &req.tag_keys {
        v.members(keys, "tagKeys", crate::wire::MemberRule::length(1, 128));
    }
    finish(v)?;
    let key_id = present(req.key_id)?;
    let tag_keys = present(req.tag_keys)?;
    check_key(kms, ctx, "kms:UntagResource", &key_id).await?;
    kms.untag_resource(&ctx.caller.region, &key_id, &tag_keys)
        .await?;
    empty()
}

async fn list_resource_tags(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ListRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    finish(v)?;
    check_list(&req, 1000)?;
    let key_id = present(req.key_id)?;
    check_key(kms, ctx, "kms:ListResourceTags", &key_id).await?;
    let page = kms
        .list_resource_tags(
            &ctx.caller.region,
            &key_id,
            limit(req.limit, MAX_TAGS_PER_PAGE),
            req.marker.as_deref(),
        )
        .await?;
    encode(&ListResourceTagsResponse {
        tags: page
            .items
            .iter()
            .map(|t| TagOut {
                tag_key: &t.key,
                tag_value: &t.value,
            })
            .collect(),
        next_marker: page.next_marker.as_deref(),
        truncated: page.truncated(),
    })
}

async fn create_key(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let req: CreateKeyRequest = parse_body(body)?;
    let mut v = Violations::new();
    v.opt_length(&req.description, "description", 0, 8192);
    v.enum_value(&req.key_usage, "keyUsage", &KEY_USAGES);
    v.enum_value(&req.key_spec, "keySpec", &KEY_SPECS);
    v.enum_value(
        &req.customer_master_key_spec,
        "customerMasterKeySpec",
        &KEY_SPECS,
    );
    v.enum_value(&req.origin, "origin", &ORIGINS);
    v.opt_length(&req.policy, "policy", 1, 131_072);
    v.opt_length(&req.custom_key_store_id, "customKeyStoreId", 1, 64);
    let tags = check_tag_list(&mut v, req.tags.as_deref().unwrap_or_default());
    finish(v)?;
    let bypass_lockout_check = req.bypass_policy_lockout_safety_check;
    let input = CreateKeyInput {
        description: req.description,
        key_usage: req.key_usage,
        key_spec: req.key_spec.or(req.customer_master_key_spec),
        origin: req.origin,
        policy: req.policy,
        tags,
        multi_region: req.multi_region.unwrap_or(false),
        custom_key_store_id: req.custom_key_store_id.or(req.xks_key_id),
    };
    ctx.authorize(Check::new("kms:CreateKey", "*"))?;
    if !input.tags.is_empty() {
        ctx.authorize(Check::new("kms:TagResource", "*"))?;
    }
    if let Some(policy) = &input.policy {
        permissions::check_new_key_lockout(ctx, policy, bypass_lockout_check)?;
    }
    let meta = kms.create_key(region, input).await?;
    encode(&KeyMetadataResponse {
        key_metadata: (&meta).into(),
    })
}

fn key_id_only(body: &[u8]) -> Result<(String, Option<i64>), AwsError> {
    let req: KeyIdRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    v.range(
        req.pending_window_in_days,
        "pendingWindowInDays",
        i64::from(MIN_PENDING_WINDOW_DAYS),
        i64::from(MAX_PENDING_WINDOW_DAYS),
    );
    finish(v)?;
    Ok((present(req.key_id)?, req.pending_window_in_days))
}

async fn describe_key(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (key_id, _) = key_id_only(body)?;
    check_key(kms, ctx, "kms:DescribeKey", &key_id).await?;
    let meta = kms.describe_key(region, &key_id).await?;
    encode(&KeyMetadataResponse {
        key_metadata: (&meta).into(),
    })
}

async fn enable_key(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (key_id, _) = key_id_only(body)?;
    check_key(kms, ctx, "kms:EnableKey", &key_id).await?;
    kms.enable_key(region, &key_id).await?;
    empty()
}

async fn disable_key(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (key_id, _) = key_id_only(body)?;
    check_key(kms, ctx, "kms:DisableKey", &key_id).await?;
    kms.disable_key(region, &key_id).await?;
    empty()
}

async fn schedule_key_deletion(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (key_id, days) = key_id_only(body)?;
    let days = days.and_then(|d| u32::try_from(d).ok());
    check_key(kms, ctx, "kms:ScheduleKeyDeletion", &key_id).await?;
    let out = kms.schedule_key_deletion(region, &key_id, days).await?;
    encode(&ScheduleKeyDeletionResponse::from(&out))
}

async fn cancel_key_deletion(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (key_id, _) = key_id_only(body)?;
    check_key(kms, ctx, "kms:CancelKeyDeletion", &key_id).await?;
    let arn = kms.cancel_key_deletion(region, &key_id).await?;
    encode(&KeyIdResponse { key_id: &arn })
}

fn check_list(req: &ListRequest, max: i64) -> Result<(), AwsError> {
    let mut v = Violations::new();
    v.range(req.limit, "limit", 1, max);
    v.opt_length(&req.marker, "marker", 1, 1024);
    if let Some(k) = &req.key_id {
        v.length(k, "keyId", 1, KEY_ID_MAX);
    }
    finish(v)
}

async fn list_keys(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let req: ListRequest = parse_body(body)?;
    check_list(&req, 1000)?;
    ctx.authorize(Check::new("kms:ListKeys", "*"))?;
    let page = kms
        .list_keys(region, limit(req.limit, 100), req.marker.as_deref())
        .await?;
    encode(&ListKeysResponse {
        keys: page.items.iter().map(Into::into).collect(),
        next_marker: page.next_marker.as_deref(),
        truncated: page.truncated(),
    })
}

async fn list_aliases(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let req: ListRequest = parse_body(body)?;
    check_list(&req, 100)?;
    ctx.authorize(Check::new("kms:ListAliases", "*"))?;
    let page = kms
        .list_aliases(
            region,
            req.key_id.as_deref(),
            limit(req.limit, 50),
            req.marker.as_deref(),
        )
        .await?;
    encode(&ListAliasesResponse {
        aliases: page.items.iter().map(Into::into).collect(),
        next_marker: page.next_marker.as_deref(),
        truncated: page.truncated(),
    })
}

fn alias_and_target(body: &[u8], need_target: bool) -> Result<(String, Option<String>), AwsError> {
    let req: AliasRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_alias_name(&mut v, &req.alias_name);
    if need_target {
        check_key_id(&mut v, &req.target_key_id, "targetKeyId");
    }
    finish(v)?;
    Ok((present(req.alias_name)?, req.target_key_id))
}

async fn create_alias(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (alias, target) = alias_and_target(body, true)?;
    let target = present(target)?;
    check_alias(kms, ctx, "kms:CreateAlias", &alias, false).await?;
    check_key(kms, ctx, "kms:CreateAlias", &target).await?;
    kms.create_alias(region, &alias, &target).await?;
    empty()
}

async fn update_alias(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (alias, target) = alias_and_target(body, true)?;
    let target = present(target)?;
    check_alias(kms, ctx, "kms:UpdateAlias", &alias, true).await?;
    check_key(kms, ctx, "kms:UpdateAlias", &target).await?;
    kms.update_alias(region, &alias, &target).await?;
    empty()
}

async fn delete_alias(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let (alias, _) = alias_and_target(body, false)?;
    check_alias(kms, ctx, "kms:DeleteAlias", &alias, true).await?;
    kms.delete_alias(region, &alias).await?;
    empty()
}

async fn encrypt(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let req: EncryptRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    if let Some(p) = v.required(&req.plaintext, "plaintext") {
        // The value is sensitive: AWS leaves it out of the sentence.
        v.secret_length(p.0.len(), "plaintext", 1, MAX_PLAINTEXT);
    }
    v.enum_value(
        &req.encryption_algorithm,
        "encryptionAlgorithm",
        &ENCRYPTION_ALGORITHMS,
    );
    finish(v)?;
    let input = EncryptInput {
        key_id: present(req.key_id)?,
        plaintext: present(req.plaintext)?.0,
        encryption_context: req.encryption_context.unwrap_or_default(),
        encryption_algorithm: req.encryption_algorithm,
        dry_run: req.dry_run.unwrap_or(false),
    };
    check_key_with_context(
        kms,
        ctx,
        "kms:Encrypt",
        &input.key_id,
        &input.encryption_context,
    )
    .await?;
    let out = kms.encrypt(region, input).await?;
    encode(&EncryptResponse {
        ciphertext_blob: Blob(&out.ciphertext_blob),
        key_id: &out.key_id,
        encryption_algorithm: out.encryption_algorithm,
    })
}

async fn decrypt(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let req: DecryptRequest = parse_body(body)?;
    let mut v = Violations::new();
    if let Some(b) = v.required(&req.ciphertext_blob, "ciphertextBlob") {
        v.secret_length(b.0.len(), "ciphertextBlob", 1, MAX_CIPHERTEXT);
    }
    if let Some(k) = &req.key_id {
        v.length(k, "keyId", 1, KEY_ID_MAX);
    }
    v.enum_value(
        &req.encryption_algorithm,
        "encryptionAlgorithm",
        &ENCRYPTION_ALGORITHMS,
    );
    finish(v)?;
    let input = DecryptInput {
        ciphertext_blob: present(req.ciphertext_blob)?.0,
        encryption_context: req.encryption_context.unwrap_or_default(),
        key_id: req.key_id,
        encryption_algorithm: req.encryption_algorithm,
        dry_run: req.dry_run.unwrap_or(false),
    };
    check_ciphertext_keys(
        kms,
        ctx,
        "kms:Decrypt",
        &input.ciphertext_blob,
        input.key_id.as_deref(),
        &input.encryption_context,
    )
    .await?;
    let out = kms.decrypt(region, input).await?;
    encode(&DecryptResponse {
        key_id: &out.key_id,
        plaintext: ExposedBlob(&out.plaintext),
        encryption_algorithm: out.encryption_algorithm,
        key_material_id: out.key_material_id.as_deref(),
    })
}

async fn generate_data_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
    with_plaintext: bool,
) -> Result<Vec<u8>, AwsError> {
    let region = ctx.caller.region.as_str();
    let req: GenerateDataKeyRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    v.enum_value(&req.key_spec, "keySpec", &DATA_KEY_SPECS);
    v.range(req.number_of_bytes, "numberOfBytes", 1, 1024);
    finish(v)?;
    let size = match (req.key_spec.as_deref(), req.number_of_bytes) {
        (Some("AES_256"), None) => DataKeySize::Aes256,
        (Some(_), None) => DataKeySize::Aes128,
        (None, Some(n)) => DataKeySize::Bytes(usize::try_from(n).unwrap_or(0)),
        _ => {
            return Err(validation(
                "Please specify either number of bytes or key spec.",
            ));
        }
    };
    let input = GenerateDataKeyInput {
        key_id: present(req.key_id)?,
        size,
        encryption_context: req.encryption_context.unwrap_or_default(),
        dry_run: req.dry_run.unwrap_or(false),
    };
    let action = if with_plaintext {
        "kms:GenerateDataKey"
    } else {
        "kms:GenerateDataKeyWithoutPlaintext"
    };
    check_key_with_context(kms, ctx, action, &input.key_id, &input.encryption_context).await?;
    let out = kms.generate_data_key(region, input).await?;
    encode(&GenerateDataKeyResponse {
        ciphertext_blob: Blob(&out.ciphertext_blob),
        plaintext: with_plaintext.then_some(ExposedBlob(&out.plaintext)),
        key_id: &out.key_id,
        key_material_id: &out.key_material_id,
    })
}

fn generate_random(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let req: GenerateRandomRequest = parse_body(body)?;
    let Some(n) = req.number_of_bytes else {
        return Err(validation("NumberOfBytes is required."));
    };
    let mut v = Violations::new();
    v.range(Some(n), "numberOfBytes", 1, MAX_RANDOM_BYTES as i64);
    finish(v)?;
    ctx.authorize(Check::new("kms:GenerateRandom", "*"))?;
    let bytes = kms.generate_random(usize::try_from(n).unwrap_or(0))?;
    encode(&GenerateRandomResponse {
        plaintext: ExposedBlob(&bytes),
    })
}
