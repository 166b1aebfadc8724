//! The key-rotation operations on the wire: EnableKeyRotation,
//! DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand and
//! ListKeyRotations (shapes, model constraints, handlers).

use kinko_core::kms::Kms;
use kinko_core::kms::rotation::{
    DEFAULT_ROTATIONS_PER_PAGE, IncludeKeyMaterial, MAX_ROTATION_PERIOD_DAYS,
    MAX_ROTATIONS_PER_PAGE, MIN_ROTATION_PERIOD_DAYS, RotationEntry,
};
use kinko_model::Epoch;
use serde::{Deserialize, Serialize};

use super::access::check_key;
use super::handle::{check_key_id, empty, encode, finish, limit, present};
use crate::wire::{Violations, parse_body};
use crate::{AwsError, RequestContext};

const INCLUDE_KEY_MATERIAL: [&str; 2] = ["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotationRequest {
    key_id: Option<String>,
    rotation_period_in_days: Option<i64>,
    include_key_material: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetKeyRotationStatusResponse<'a> {
    key_rotation_enabled: bool,
    key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_period_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_rotation_date: Option<Epoch>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyIdResponse<'a> {
    key_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RotationsListEntry<'a> {
    key_id: &'a str,
    key_material_id: &'a str,
    key_material_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_date: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_to: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_description: Option<&'a str>,
}

impl<'a> From<&'a RotationEntry> for RotationsListEntry<'a> {
    fn from(e: &'a RotationEntry) -> Self {
        RotationsListEntry {
            key_id: &e.key_id,
            key_material_id: &e.key_material_id,
            key_material_state: e.key_material_state,
            rotation_date: e.rotation_date_ms.map(Epoch),
            rotation_type: e.rotation_type.as_deref(),
            import_state: e.imported.as_ref().map(|i| i.import_state),
            expiration_model: e.imported.as_ref().and_then(|i| i.expiration_model),
            valid_to: e.imported.as_ref().and_then(|i| i.valid_to_ms).map(Epoch),
            key_material_description: e.imported.as_ref().and_then(|i| i.description.as_deref()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListKeyRotationsResponse<'a> {
    rotations: Vec<RotationsListEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<&'a str>,
    truncated: bool,
}

/// Parses a request whose required member is `KeyId`, checks it, and
/// authorizes `action` on the key it names.
async fn key_request(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
    action: &'static str,
    more: impl FnOnce(&mut Violations, &RotationRequest),
) -> Result<(RotationRequest, String), AwsError> {
    let req: RotationRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    more(&mut v, &req);
    finish(v)?;
    let key_id = present(req.key_id.clone())?;
    check_key(kms, ctx, action, &key_id).await?;
    Ok((req, key_id))
}

pub(super) async fn enable_key_rotation(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (req, key_id) = key_request(kms, ctx, body, "kms:EnableKeyRotation", |v, r| {
        v.range(
            r.rotation_period_in_days,
            "rotationPeriodInDays",
            i64::from(MIN_ROTATION_PERIOD_DAYS),
            i64::from(MAX_ROTATION_PERIOD_DAYS),
        );
    })
    .await?;
    // In range (checked above), so it fits.
    let days = req
        .rotation_period_in_days
        .map(|d| u32::try_from(d).map_err(|_| AwsError::internal()))
        .transpose()?;
    kms.enable_key_rotation(&ctx.caller.region, &key_id, days)
        .await?;
    empty()
}

pub(super) async fn disable_key_rotation(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (_, key_id) = key_request(kms, ctx, body, "kms:DisableKeyRotation", |_, _| {}).await?;
    kms.disable_key_rotation(&ctx.caller.region, &key_id)
        .await?;
    empty()
}

pub(super) async fn get_key_rotation_status(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (_, key_id) = key_request(kms, ctx, body, "kms:GetKeyRotationStatus", |_, _| {}).await?;
    let status = kms
        .get_key_rotation_status(&ctx.caller.region, &key_id)
        .await?;
    encode(&GetKeyRotationStatusResponse {
        key_rotation_enabled: status.enabled,
        key_id: &status.key_id,
        rotation_period_in_days: status.period_days,
        next_rotation_date: status.next_rotation_ms.map(Epoch),
    })
}

pub(super) async fn rotate_key_on_demand(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (_, key_id) = key_request(kms, ctx, body, "kms:RotateKeyOnDemand", |_, _| {}).await?;
    let rotated = kms
        .rotate_key_on_demand(&ctx.caller.region, &key_id)
        .await?;
    encode(&KeyIdResponse { key_id: &rotated })
}

pub(super) async fn list_key_rotations(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (req, key_id) = key_request(kms, ctx, body, "kms:ListKeyRotations", |v, r| {
        v.enum_value(
            &r.include_key_material,
            "includeKeyMaterial",
            &INCLUDE_KEY_MATERIAL,
        );
        v.range(r.limit, "limit", 1, 1000);
        v.opt_length(&r.marker, "marker", 1, 1024);
    })
    .await?;
    let include = match req.include_key_material.as_deref() {
        Some("ALL_KEY_MATERIAL") => IncludeKeyMaterial::AllKeyMaterial,
        _ => IncludeKeyMaterial::RotationsOnly,
    };
    let page = kms
        .list_key_rotations(
            &ctx.caller.region,
            &key_id,
            include,
            limit(req.limit, DEFAULT_ROTATIONS_PER_PAGE).min(MAX_ROTATIONS_PER_PAGE),
            req.marker.as_deref(),
        )
        .await?;
    encode(&ListKeyRotationsResponse {
        rotations: page.items.iter().map(Into::into).collect(),
        next_marker: page.next_marker.as_deref(),
        truncated: page.truncated(),
    })
}
