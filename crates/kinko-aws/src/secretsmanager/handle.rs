//! One handler per operation: parse the body, check the model's
//! constraints, call `kinko_core::secrets::SecretsManager`, encode the result.

use kinko_core::secrets::{
    BatchGetSecretValueInput, Caller, CreateSecretInput, DeleteSecretInput, FilterKey,
    GetSecretValueInput, ListSecretVersionIdsInput, ListSecretsInput, PasswordOptions,
    PutSecretValueInput, ReplicaRegion, SecretAccess, SecretFilter, SecretValue, SecretsError,
    SecretsManager, SortBy, SortOrder, UpdateSecretInput, UpdateSecretVersionStageInput,
    random_password,
};
use kinko_model::{Epoch, Tag, TagShape};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::access::{check, check_decrypt, check_seal_key, check_secret};
use super::shapes::*;
use crate::wire::{MemberRule, Violations, parse_body};
use crate::{AwsError, Check, RequestContext};

mod policy;
mod replication;

use policy::*;
use replication::*;

const SECRET_ID_MAX: usize = 2048;
const VALUE_MAX: usize = 65_536;
const FILTER_VALUE_PATTERN: &str = "^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$";
const REGION_PATTERN: &str = "^([a-z]+-)+\\d+$";
/// `FilterValueStringType`: no minimum length in the model.
const FILTER_VALUE: MemberRule = MemberRule {
    min: None,
    max: 512,
    pattern: Some((is_filter_value, FILTER_VALUE_PATTERN)),
};

/// Runs `secretsmanager.<operation>` for an authenticated caller.
pub async fn handle(
    service: &SecretsManager,
    operation: &str,
    body: &[u8],
    ctx: &RequestContext,
) -> Result<Vec<u8>, AwsError> {
    let caller = &ctx.caller;
    let c = caller;
    let s = service;
    match operation {
        "CreateSecret" => create_secret(s, c, ctx, body).await,
        "GetSecretValue" => get_secret_value(s, c, ctx, body).await,
        "BatchGetSecretValue" => batch_get_secret_value(s, c, ctx, body).await,
        "PutSecretValue" => put_secret_value(s, c, ctx, body).await,
        "UpdateSecret" => update_secret(s, c, ctx, body).await,
        "UpdateSecretVersionStage" => update_secret_version_stage(s, c, ctx, body).await,
        "DescribeSecret" => describe_secret(s, c, ctx, body).await,
        "ListSecrets" => list_secrets(s, c, ctx, body).await,
        "ListSecretVersionIds" => list_secret_version_ids(s, c, ctx, body).await,
        "DeleteSecret" => delete_secret(s, c, ctx, body).await,
        "RestoreSecret" => restore_secret(s, c, ctx, body).await,
        "TagResource" => tag_resource(s, c, ctx, body).await,
        "UntagResource" => untag_resource(s, c, ctx, body).await,
        "GetRandomPassword" => get_random_password(ctx, body),
        "GetResourcePolicy" => get_resource_policy(s, c, ctx, body).await,
        "PutResourcePolicy" => put_resource_policy(s, c, ctx, body).await,
        "DeleteResourcePolicy" => delete_resource_policy(s, c, ctx, body).await,
        "ValidateResourcePolicy" => validate_resource_policy(s, c, ctx, body).await,
        "ReplicateSecretToRegions" => replicate_secret_to_regions(s, c, ctx, body).await,
        "RemoveRegionsFromReplication" => remove_regions_from_replication(s, c, ctx, body).await,
        "StopReplicationToReplica" => stop_replication_to_replica(s, c, ctx, body).await,
        "RotateSecret" | "CancelRotateSecret" => rotation(s, c, ctx, operation, body).await,
        _ => Err(AwsError::unknown_operation(&format!(
            "secretsmanager.{operation}"
        ))),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(value).map_err(|_| AwsError::internal())
}

/// A required member that `Violations::finish` has already vouched for.
fn present<T>(value: Option<T>) -> Result<T, AwsError> {
    value.ok_or_else(AwsError::internal)
}

fn check_secret_id(v: &mut Violations, id: &Option<String>) {
    if let Some(id) = v.required(id, "secretId") {
        v.length(id, "secretId", 1, SECRET_ID_MAX);
    }
}

fn check_token(v: &mut Violations, token: &Option<String>) {
    v.opt_length(token, "clientRequestToken", 32, 64);
}

fn check_max_results(v: &mut Violations, value: Option<i64>, max: i64) {
    v.range(value, "maxResults", 1, max);
}

fn check_next_token(v: &mut Violations, token: &Option<String>) {
    v.opt_length(token, "nextToken", 1, 4096);
}

/// `SecretString` or `SecretBinary`: lengths checked without quoting the value.
fn check_value(
    v: &mut Violations,
    string: Option<WireSecret>,
    binary: Option<WireBlob>,
) -> Result<Option<SecretValue>, AwsError> {
    if let Some(s) = &string {
        v.secret_length(s.0.expose().chars().count(), "secretString", 1, VALUE_MAX);
    }
    if let Some(b) = &binary {
        v.secret_length(b.0.len(), "secretBinary", 1, VALUE_MAX);
    }
    match (string, binary) {
        (Some(_), Some(_)) => Err(SecretsError::InvalidParameter(
            "You can't specify both a binary secret value and a string secret value in the same secret."
                .into(),
        )
        .into()),
        (Some(s), None) => Ok(Some(SecretValue::Text(s.0))),
        (None, Some(b)) => Ok(Some(SecretValue::Binary(b.0))),
        (None, None) => Ok(None),
    }
}

fn check_tags(v: &mut Violations, tags: &[TagShape], path: &str) -> Vec<Tag> {
    let mut out = Vec::with_capacity(tags.len());
    for (i, t) in tags.iter().enumerate() {
        let base = format!("{path}.{}.member", i + 1);
        let key_path = format!("{base}.key");
        let value_path = format!("{base}.value");
        if let Some(k) = &t.key {
            v.length(k, &key_path, 1, 128);
        }
        if let Some(val) = &t.value {
            v.length(val, &value_path, 0, 256);
        }
        out.push(Tag {
            key: t.key.clone().unwrap_or_default(),
            value: t.value.clone().unwrap_or_default(),
        });
    }
    out
}

fn check_regions(
    v: &mut Violations,
    regions: &[ReplicaRegionShape],
    path: &str,
) -> Vec<ReplicaRegion> {
    let mut out = Vec::with_capacity(regions.len());
    for (i, r) in regions.iter().enumerate() {
        let base = format!("{path}.{}.member", i + 1);
        if let Some(region) = &r.region {
            v.length(region, &format!("{base}.region"), 1, 128);
            v.pattern(
                region,
                &format!("{base}.region"),
                is_region(region),
                REGION_PATTERN,
            );
        }
        v.opt_length(&r.kms_key_id, &format!("{base}.kmsKeyId"), 0, 2048);
        if let Some(region) = &r.region {
            out.push(ReplicaRegion {
                region: region.clone(),
                kms_key_id: r.kms_key_id.clone().filter(|k| !k.is_empty()),
            });
        }
    }
    out
}

/// `^([a-z]+-)+\d+$`
fn is_region(s: &str) -> bool {
    let Some((head, digits)) = s.rsplit_once('-') else {
        return false;
    };
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && head
            .split('-')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

fn is_filter_value(s: &str) -> bool {
    let rest = s.strip_prefix('!').unwrap_or(s);
    rest.chars()
        .all(|c| c.is_ascii_alphanumeric() || " :_@/+=.-!".contains(c))
}

fn check_filters(v: &mut Violations, filters: &[FilterShape]) -> Vec<SecretFilter> {
    v.count(filters.len(), "filters", 0, 10);
    let mut out = Vec::with_capacity(filters.len());
    for (i, f) in filters.iter().enumerate() {
        let base = format!("filters.{}.member", i + 1);
        v.enum_value(&f.key, &format!("{base}.key"), &FilterKey::ALL);
        let values = f.values.clone().unwrap_or_default();
        let path = format!("{base}.values");
        v.list_length(&values, &path, 1, 10);
        v.members(&values, &path, FILTER_VALUE);
        if let Some(key) = f.key.as_deref().and_then(FilterKey::parse) {
            out.push(SecretFilter { key, values });
        }
    }
    out
}

fn usize_of(n: Option<i64>) -> Option<usize> {
    n.and_then(|n| usize::try_from(n).ok())
}

async fn create_secret(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: CreateSecretRequest = parse_body(body)?;
    let mut v = Violations::new();
    if let Some(n) = v.required(&req.name, "name") {
        v.length(n, "name", 1, 512);
    }
    check_token(&mut v, &req.client_request_token);
    v.opt_length(&req.description, "description", 0, 2048);
    v.opt_length(&req.kms_key_id, "kmsKeyId", 0, 2048);
    let tags = check_tags(&mut v, req.tags.as_deref().unwrap_or_default(), "tags");
    let regions = check_regions(
        &mut v,
        req.add_replica_regions.as_deref().unwrap_or_default(),
        "addReplicaRegions",
    );
    let value = check_value(&mut v, req.secret_string, req.secret_binary)?;
    v.finish()?;
    // The name's character set is checked before any authorization or key
    // check: a bad name is AWS's ValidationException whoever asks.
    if let Some(n) = &req.name {
        kinko_model::secrets::SecretName::parse(n).map_err(SecretsError::from)?;
    }
    let input = CreateSecretInput {
        name: present(req.name)?,
        client_request_token: req.client_request_token,
        description: req.description,
        kms_key_id: req.kms_key_id,
        value,
        tags,
        add_replica_regions: regions,
        force_overwrite_replica_secret: req.force_overwrite_replica_secret.unwrap_or(false),
    };
    // The secret does not exist yet: its resource is the name without suffix.
    let facts = SecretAccess::requested(&ctx.caller.region, &ctx.caller.account_id, &input.name);
    ctx.authorize(check("secretsmanager:CreateSecret", &facts))?;
    if !input.tags.is_empty() {
        ctx.authorize(check("secretsmanager:TagResource", &facts))?;
    }
    if !input.add_replica_regions.is_empty() {
        ctx.authorize(check("secretsmanager:ReplicateSecretToRegions", &facts))?;
    }
    if input.value.is_some() {
        check_seal_key(s, ctx, input.kms_key_id.as_deref()).await?;
    }
    let out = s.create_secret(c, input).await?;
    encode(&CreateSecretResponse {
        arn: &out.arn,
        name: &out.name,
        version_id: out.version_id.as_deref(),
        replication_status: Statuses(&out.replication_status),
    })
}

async fn get_secret_value(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: GetSecretValueRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    v.opt_length(&req.version_id, "versionId", 32, 64);
    v.opt_length(&req.version_stage, "versionStage", 1, 256);
    v.finish()?;
    let input = GetSecretValueInput {
        secret_id: present(req.secret_id)?,
        version_id: req.version_id,
        version_stage: req.version_stage,
    };
    let out = s
        .get_secret_value_checked(c, &input, |facts| {
            ctx.authorize(check("secretsmanager:GetSecretValue", facts))
        })
        .await?;
    check_decrypt(s, ctx, out.kms_key_arn.as_deref()).await?;
    encode(&ValueShape(&out))
}

async fn batch_get_secret_value(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: BatchGetSecretValueRequest = parse_body(body)?;
    let mut v = Violations::new();
    if let Some(ids) = &req.secret_id_list {
        v.list_length(ids, "secretIdList", 1, 20);
        v.members(ids, "secretIdList", MemberRule::length(1, SECRET_ID_MAX));
    }
    let filters = req.filters.as_deref().map(|f| check_filters(&mut v, f));
    check_max_results(&mut v, req.max_results, 20);
    check_next_token(&mut v, &req.next_token);
    v.finish()?;
    let input = BatchGetSecretValueInput {
        secret_ids: req.secret_id_list,
        filters,
        max_results: usize_of(req.max_results),
        next_token: req.next_token,
    };
    ctx.authorize(Check::new("secretsmanager:BatchGetSecretValue", "*"))?;
    if input.filters.is_some() {
        ctx.authorize(Check::new("secretsmanager:ListSecrets", "*"))?;
    }
    // Each secret needs GetSecretValue; a denial is that secret's error.
    let per_secret = |facts: &SecretAccess| {
        ctx.authorize(check("secretsmanager:GetSecretValue", facts))
            .map_err(|e| SecretsError::AccessDenied(e.message))
    };
    let out = s
        .batch_get_secret_value_checked(c, &input, &per_secret)
        .await?;
    let mut values: Vec<ValueShape<'_>> = Vec::with_capacity(out.values.len());
    let mut errors: Vec<Value> = out
        .errors
        .iter()
        .map(|e| json!({"SecretId": e.secret_id, "ErrorCode": e.error_code, "Message": e.message}))
        .collect();
    for v in &out.values {
        match check_decrypt(s, ctx, v.kms_key_arn.as_deref()).await {
            Ok(()) => values.push(ValueShape(v)),
            Err(e) => {
                errors.push(json!({"SecretId": v.name, "ErrorCode": e.code, "Message": e.message}))
            }
        }
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Response<'a> {
        secret_values: Vec<ValueShape<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<&'a str>,
        errors: Vec<Value>,
    }
    encode(&Response {
        secret_values: values,
        next_token: out.next_token.as_deref(),
        errors,
    })
}

fn check_stages(v: &mut Violations, stages: &Option<Vec<String>>) {
    if let Some(list) = stages {
        v.list_length(list, "versionStages", 1, 20);
        v.members(list, "versionStages", MemberRule::length(1, 256));
    }
}

async fn put_secret_value(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: PutSecretValueRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    check_token(&mut v, &req.client_request_token);
    check_stages(&mut v, &req.version_stages);
    let value = check_value(&mut v, req.secret_string, req.secret_binary)?;
    v.finish()?;
    let input = PutSecretValueInput {
        secret_id: present(req.secret_id)?,
        client_request_token: req.client_request_token,
        value,
        version_stages: req.version_stages,
    };
    let facts = check_secret(s, c, ctx, "secretsmanager:PutSecretValue", &input.secret_id).await?;
    if input.value.is_some() && facts.exists {
        check_seal_key(s, ctx, facts.kms_key_id.as_deref()).await?;
    }
    let out = s.put_secret_value(c, input).await?;
    let mut m = Map::new();
    m.insert("ARN".into(), out.arn.into());
    m.insert("Name".into(), out.name.into());
    m.insert("VersionId".into(), out.version_id.into());
    m.insert("VersionStages".into(), out.version_stages.into());
    encode(&m)
}

async fn update_secret(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: UpdateSecretRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    check_token(&mut v, &req.client_request_token);
    v.opt_length(&req.description, "description", 0, 2048);
    v.opt_length(&req.kms_key_id, "kmsKeyId", 0, 2048);
    let value = check_value(&mut v, req.secret_string, req.secret_binary)?;
    v.finish()?;
    let input = UpdateSecretInput {
        secret_id: present(req.secret_id)?,
        client_request_token: req.client_request_token,
        description: req.description,
        kms_key_id: req.kms_key_id,
        value,
    };
    let facts = check_secret(s, c, ctx, "secretsmanager:UpdateSecret", &input.secret_id).await?;
    if input.value.is_some() && facts.exists {
        let key = match input.kms_key_id.as_deref() {
            Some(k) => Some(k),
            None => facts.kms_key_id.as_deref(),
        };
        check_seal_key(s, ctx, key).await?;
    }
    let out = s.update_secret(c, input).await?;
    encode(&IdentityResponse {
        arn: &out.arn,
        name: &out.name,
        version_id: out.version_id.as_deref(),
    })
}

async fn update_secret_version_stage(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: UpdateSecretVersionStageRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    if let Some(st) = v.required(&req.version_stage, "versionStage") {
        v.length(st, "versionStage", 1, 256);
    }
    v.opt_length(&req.remove_from_version_id, "removeFromVersionId", 32, 64);
    v.opt_length(&req.move_to_version_id, "moveToVersionId", 32, 64);
    v.finish()?;
    let input = UpdateSecretVersionStageInput {
        secret_id: present(req.secret_id)?,
        version_stage: present(req.version_stage)?,
        remove_from_version_id: req.remove_from_version_id,
        move_to_version_id: req.move_to_version_id,
    };
    check_secret(
        s,
        c,
        ctx,
        "secretsmanager:UpdateSecretVersionStage",
        &input.secret_id,
    )
    .await?;
    let out = s.update_secret_version_stage(c, &input).await?;
    encode(&IdentityResponse {
        arn: &out.arn,
        name: &out.name,
        version_id: None,
    })
}

fn secret_id_of(body: &[u8]) -> Result<String, AwsError> {
    let req: SecretIdRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    v.finish()?;
    present(req.secret_id)
}

async fn describe_secret(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let id = secret_id_of(body)?;
    check_secret(s, c, ctx, "secretsmanager:DescribeSecret", &id).await?;
    let d = s.describe_secret(c, &id).await?;
    encode(&DescriptionShape {
        d: &d,
        list_entry: false,
    })
}

async fn list_secrets(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ListSecretsRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_max_results(&mut v, req.max_results, 100);
    check_next_token(&mut v, &req.next_token);
    let filters = check_filters(&mut v, req.filters.as_deref().unwrap_or_default());
    v.enum_value(&req.sort_order, "sortOrder", &["asc", "desc"]);
    v.enum_value(&req.sort_by, "sortBy", &SortBy::ALL);
    v.finish()?;
    let input = ListSecretsInput {
        include_planned_deletion: req.include_planned_deletion.unwrap_or(false),
        max_results: usize_of(req.max_results),
        next_token: req.next_token,
        filters,
        sort_by: req
            .sort_by
            .as_deref()
            .and_then(SortBy::parse)
            .unwrap_or_default(),
        sort_order: match req.sort_order.as_deref() {
            Some("desc") => SortOrder::Desc,
            _ => SortOrder::Asc,
        },
    };
    let out = list_visible(s, c, ctx, &input).await?;
    let list: Vec<DescriptionShape<'_>> = out
        .secrets
        .iter()
        .map(|d| DescriptionShape {
            d,
            list_entry: true,
        })
        .collect();
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Response<'a> {
        secret_list: Vec<DescriptionShape<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<&'a str>,
    }
    encode(&Response {
        secret_list: list,
        next_token: out.next_token.as_deref(),
    })
}

async fn list_secret_version_ids(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ListSecretVersionIdsRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    check_max_results(&mut v, req.max_results, 100);
    check_next_token(&mut v, &req.next_token);
    v.finish()?;
    let input = ListSecretVersionIdsInput {
        secret_id: present(req.secret_id)?,
        max_results: usize_of(req.max_results),
        next_token: req.next_token,
        include_deprecated: req.include_deprecated.unwrap_or(false),
    };
    check_secret(
        s,
        c,
        ctx,
        "secretsmanager:ListSecretVersionIds",
        &input.secret_id,
    )
    .await?;
    let out = s.list_secret_version_ids(c, &input).await?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Response<'a> {
        versions: Vec<VersionShape<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<&'a str>,
        #[serde(rename = "ARN")]
        arn: &'a str,
        name: &'a str,
    }
    encode(&Response {
        versions: out.versions.iter().map(VersionShape).collect(),
        next_token: out.next_token.as_deref(),
        arn: &out.arn,
        name: &out.name,
    })
}

async fn delete_secret(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: DeleteSecretRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    v.finish()?;
    let input = DeleteSecretInput {
        secret_id: present(req.secret_id)?,
        recovery_window_in_days: req.recovery_window_in_days,
        force_delete_without_recovery: req.force_delete_without_recovery,
    };
    check_secret(s, c, ctx, "secretsmanager:DeleteSecret", &input.secret_id).await?;
    let out = s.delete_secret(c, &input).await?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Response<'a> {
        #[serde(rename = "ARN")]
        arn: &'a str,
        name: &'a str,
        deletion_date: Epoch,
    }
    encode(&Response {
        arn: &out.arn,
        name: &out.name,
        deletion_date: Epoch(out.deletion_ms),
    })
}

async fn restore_secret(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let id = secret_id_of(body)?;
    check_secret(s, c, ctx, "secretsmanager:RestoreSecret", &id).await?;
    let out = s.restore_secret(c, &id).await?;
    encode(&IdentityResponse {
        arn: &out.arn,
        name: &out.name,
        version_id: None,
    })
}

async fn tag_resource(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: TagResourceRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    let tags = v
        .required(&req.tags, "tags")
        .map(|t| check_tags(&mut v, t, "tags"));
    v.finish()?;
    let id = present(req.secret_id)?;
    check_secret(s, c, ctx, "secretsmanager:TagResource", &id).await?;
    s.tag_resource(c, &id, &present(tags)?).await?;
    Ok(b"{}".to_vec())
}

async fn untag_resource(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: UntagResourceRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    if let Some(keys) = v.required(&req.tag_keys, "tagKeys") {
        v.members(keys, "tagKeys", MemberRule::length(1, 128));
    }
    v.finish()?;
    let id = present(req.secret_id)?;
    check_secret(s, c, ctx, "secretsmanager:UntagResource", &id).await?;
    s.untag_resource(c, &id, &present(req.tag_keys)?).await?;
    Ok(b"{}".to_vec())
}

fn get_random_password(ctx: &RequestContext, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let req: GetRandomPasswordRequest = parse_body(body)?;
    let mut v = Violations::new();
    v.range(req.password_length, "passwordLength", 1, 4096);
    v.opt_length(&req.exclude_characters, "excludeCharacters", 0, 4096);
    v.finish()?;
    let options = PasswordOptions {
        length: usize_of(req.password_length),
        exclude_characters: req.exclude_characters,
        exclude_numbers: req.exclude_numbers.unwrap_or(false),
        exclude_punctuation: req.exclude_punctuation.unwrap_or(false),
        exclude_uppercase: req.exclude_uppercase.unwrap_or(false),
        exclude_lowercase: req.exclude_lowercase.unwrap_or(false),
        include_space: req.include_space.unwrap_or(false),
        require_each_included_type: req.require_each_included_type,
    };
    ctx.authorize(Check::new("secretsmanager:GetRandomPassword", "*"))?;
    let password = random_password(&options)?;
    #[derive(Serialize)]
    struct Response<'a> {
        #[serde(rename = "RandomPassword")]
        random_password: &'a str,
    }
    encode(&Response {
        random_password: password.expose(),
    })
}
