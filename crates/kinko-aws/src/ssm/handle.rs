//! One handler per operation: parse the body, check the model's
//! constraints, call `kinko_core::ssm::ParameterStore`, encode the result.

use kinko_core::ssm::{
    Caller, DescribeParametersInput, GetParameterHistoryInput, GetParametersByPathInput,
    LegacyFilter, ParameterFilter, ParameterStore, ParameterType, PutParameterInput, ReadName,
    Tier,
};
use kinko_model::ssm::{ParameterName, ParameterPath, ParameterRef, parameter_arn};
use kinko_model::{Tag, TagShape};

use serde::Serialize;

use super::access::{check_decrypt, check_parameter, check_read, check_value_key};
use super::decode::{
    FILTER_KEY_PATTERN, KEY_ID_PATTERN, TAG_PATTERN, is_filter_key, is_key_id, is_tag_text,
};
use super::shapes::*;
use crate::wire::{MemberRule, Violations, parse_body};
use crate::{AwsError, Check, RequestContext};

const NAME_MAX: usize = 2048;

/// Runs `AmazonSSM.<operation>` for an authenticated caller.
pub async fn handle(
    store: &ParameterStore,
    operation: &str,
    body: &[u8],
    ctx: &RequestContext,
) -> Result<Vec<u8>, AwsError> {
    let caller = &ctx.caller;
    match operation {
        "PutParameter" => put_parameter(store, ctx, caller, body).await,
        "GetParameter" => get_parameter(store, ctx, caller, body).await,
        "GetParameters" => get_parameters(store, ctx, caller, body).await,
        "DeleteParameter" => delete_parameter(store, ctx, caller, body).await,
        "DeleteParameters" => delete_parameters(store, ctx, caller, body).await,
        "GetParametersByPath" => get_parameters_by_path(store, ctx, caller, body).await,
        "DescribeParameters" => describe_parameters(store, ctx, caller, body).await,
        "GetParameterHistory" => get_parameter_history(store, ctx, caller, body).await,
        "LabelParameterVersion" => label_parameter_version(store, ctx, caller, body).await,
        "UnlabelParameterVersion" => unlabel_parameter_version(store, ctx, caller, body).await,
        "AddTagsToResource" => add_tags_to_resource(store, ctx, caller, body).await,
        "RemoveTagsFromResource" => remove_tags_from_resource(store, ctx, caller, body).await,
        "ListTagsForResource" => list_tags_for_resource(store, ctx, caller, body).await,
        _ => Err(AwsError::unknown_operation(&format!(
            "AmazonSSM.{operation}"
        ))),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(value).map_err(|_| AwsError::internal())
}

fn check_name(v: &mut Violations, name: &Option<String>, path: &str) {
    if let Some(n) = v.required(name, path) {
        v.length(n, path, 1, NAME_MAX);
    }
}

fn check_names(v: &mut Violations, names: &Option<Vec<String>>, path: &str) {
    if let Some(list) = v.required(names, path) {
        v.list_length(list, path, 1, 10);
        v.members(list, path, MemberRule::length(1, NAME_MAX));
    }
}

/// Checks a tag list; returns the tags when all are well-formed.
fn check_tags(v: &mut Violations, tags: &[TagShape], path: &str) -> Vec<Tag> {
    v.count(tags.len(), path, 0, 1000);
    let mut out = Vec::with_capacity(tags.len());
    for (i, t) in tags.iter().enumerate() {
        let base = format!("{path}.{}.member", i + 1);
        let key_path = format!("{base}.key");
        let value_path = format!("{base}.value");
        let key = v.required(&t.key, &key_path);
        let value = v.required(&t.value, &value_path);
        if let Some(k) = key {
            v.length(k, &key_path, 1, 128);
            v.pattern(k, &key_path, is_tag_text(k), TAG_PATTERN);
        }
        if let Some(val) = value {
            v.length(val, &value_path, 0, 256);
            v.pattern(val, &value_path, is_tag_text(val), TAG_PATTERN);
        }
        if let (Some(k), Some(val)) = (key, value) {
            out.push(Tag {
                key: k.clone(),
                value: val.clone(),
            });
        }
    }
    out
}

async fn put_parameter(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: PutParameterRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_name(&mut v, &req.name, "name");
    v.opt_length(&req.description, "description", 0, 1024);
    if let Some(value) = v.required(&req.value, "value") {
        v.secret_length(value.0.expose().chars().count(), "value", 1, 8192);
    }
    v.enum_value(&req.parameter_type, "type", &ParameterType::ALL);
    if let Some(k) = &req.key_id {
        v.length(k, "keyId", 1, 256);
        v.pattern(k, "keyId", is_key_id(k), KEY_ID_PATTERN);
    }
    v.opt_length(&req.allowed_pattern, "allowedPattern", 0, 1024);
    let tags = check_tags(&mut v, req.tags.as_deref().unwrap_or_default(), "tags");
    v.enum_value(&req.tier, "tier", &Tier::ALL);
    v.opt_length(&req.policies, "policies", 1, 4096);
    v.opt_length(&req.data_type, "dataType", 0, 128);
    v.finish()?;

    let (Some(name), Some(value)) = (req.name, req.value) else {
        return Err(AwsError::internal());
    };
    let input = PutParameterInput {
        name,
        value: value.0,
        parameter_type: req.parameter_type.as_deref().and_then(ParameterType::parse),
        description: req.description,
        key_id: req.key_id,
        overwrite: req.overwrite.unwrap_or(false),
        allowed_pattern: req.allowed_pattern,
        tags,
        tier: req.tier.as_deref().and_then(Tier::parse),
        policies: req.policies,
        data_type: req.data_type,
    };
    if let Ok(parsed) = ParameterName::parse(&input.name) {
        check_parameter(store, ctx, "ssm:PutParameter", parsed.canonical()).await?;
        if !input.tags.is_empty() {
            check_parameter(store, ctx, "ssm:AddTagsToResource", parsed.canonical()).await?;
        }
        if let Some(key) = store.put_key_arn(caller, &input).await? {
            check_value_key(store, ctx, "kms:Encrypt", &key).await?;
        }
    }
    let out = store.put_parameter(caller, input).await?;
    encode(&PutParameterResponse {
        version: out.version,
        tier: &out.tier,
    })
}

async fn get_parameter(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: GetParameterRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_name(&mut v, &req.name, "name");
    v.finish()?;
    let name = ReadName::parse(req.name.as_deref().unwrap_or_default(), caller);
    let with_decryption = req.with_decryption.unwrap_or(false);
    check_read(store, ctx, "ssm:GetParameter", &name, with_decryption).await?;
    let p = store.read_parameter(caller, &name, with_decryption).await?;
    check_decrypt(store, ctx, [&p.kms_key_arn]).await?;
    encode(&GetParameterResponse {
        parameter: ParameterShape::from(&p),
    })
}

async fn get_parameters(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: GetParametersRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_names(&mut v, &req.names, "names");
    v.finish()?;
    let names: Vec<ReadName> = (req.names.iter().flatten())
        .map(|name| ReadName::parse(name, caller))
        .collect();
    let with_decryption = req.with_decryption.unwrap_or(false);
    // Every name first: one denial denies the whole call, as on AWS.
    for (i, name) in names.iter().enumerate() {
        if names[..i].iter().any(|n| n.as_sent() == name.as_sent()) {
            continue;
        }
        check_read(store, ctx, "ssm:GetParameters", name, with_decryption).await?;
    }
    let out = store
        .read_parameters(caller, &names, with_decryption)
        .await?;
    check_decrypt(store, ctx, out.parameters.iter().map(|p| &p.kms_key_arn)).await?;
    encode(&GetParametersResponse {
        parameters: out.parameters.iter().map(ParameterShape::from).collect(),
        invalid_parameters: &out.invalid_parameters,
    })
}

async fn delete_parameter(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: DeleteParameterRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_name(&mut v, &req.name, "name");
    v.finish()?;
    let name = req.name.as_deref().unwrap_or_default();
    if let Ok(parsed) = ParameterName::parse(name) {
        check_parameter(store, ctx, "ssm:DeleteParameter", parsed.canonical()).await?;
    }
    store.delete_parameter(caller, name).await?;
    encode(&Empty {})
}

async fn delete_parameters(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: DeleteParametersRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_names(&mut v, &req.names, "names");
    v.finish()?;
    let names = req.names.as_deref().unwrap_or_default();
    // Every name first: one denial denies the whole call, and nothing is deleted.
    for name in names {
        if let Ok(parsed) = ParameterName::parse(name) {
            check_parameter(store, ctx, "ssm:DeleteParameters", parsed.canonical()).await?;
        }
    }
    let out = store.delete_parameters(caller, names).await?;
    encode(&DeleteParametersResponse {
        deleted_parameters: &out.deleted,
        invalid_parameters: &out.invalid,
    })
}

fn check_filter_values(v: &mut Violations, values: &[String], path: &str) {
    v.list_length(values, path, 1, 50);
    v.members(values, path, MemberRule::length(1, 1024));
}

/// `ParameterStringFilter` list: model constraints here, semantics in core.
fn check_parameter_filters(
    v: &mut Violations,
    filters: Option<Vec<ParameterStringFilterShape>>,
) -> Vec<ParameterFilter> {
    let filters = filters.unwrap_or_default();
    let mut out = Vec::with_capacity(filters.len());
    for (i, f) in filters.into_iter().enumerate() {
        let base = format!("parameterFilters.{}.member", i + 1);
        let key_path = format!("{base}.key");
        if let Some(key) = v.required(&f.key, &key_path) {
            v.length(key, &key_path, 1, 132);
            v.pattern(key, &key_path, is_filter_key(key), FILTER_KEY_PATTERN);
        }
        v.opt_length(&f.option, &format!("{base}.option"), 1, 10);
        if let Some(values) = &f.values {
            check_filter_values(v, values, &format!("{base}.values"));
        }
        out.push(ParameterFilter {
            key: f.key.unwrap_or_default(),
            option: f.option,
            values: f.values.unwrap_or_default(),
        });
    }
    out
}

fn to_max_results(value: Option<i64>, default: usize) -> usize {
    value
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(default)
}

async fn get_parameters_by_path(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: GetParametersByPathRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_name(&mut v, &req.path, "path");
    let parameter_filters = check_parameter_filters(&mut v, req.parameter_filters);
    v.range(req.max_results, "maxResults", 1, 10);
    v.finish()?;
    let input = GetParametersByPathInput {
        path: req.path.unwrap_or_default(),
        recursive: req.recursive.unwrap_or(false),
        parameter_filters,
        with_decryption: req.with_decryption.unwrap_or(false),
        max_results: to_max_results(req.max_results, 10),
        next_token: req.next_token,
    };
    // AWS authorizes the path as sent, not the parameters returned.
    if ParameterPath::parse(&input.path).is_ok() {
        let arn = parameter_arn(
            &ctx.caller.region,
            &ctx.caller.account_id,
            input.path.trim_matches(' '),
        );
        ctx.authorize(Check::new("ssm:GetParametersByPath", &arn))?;
    }
    let page = store.get_parameters_by_path(caller, &input).await?;
    check_decrypt(store, ctx, page.parameters.iter().map(|p| &p.kms_key_arn)).await?;
    encode(&ParametersPageResponse {
        parameters: page.parameters.iter().map(ParameterShape::from).collect(),
        next_token: page.next_token.as_deref(),
    })
}

async fn describe_parameters(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: DescribeParametersRequest = parse_body(body)?;
    let mut v = Violations::new();
    let legacy = req.filters.unwrap_or_default();
    let mut filters = Vec::with_capacity(legacy.len());
    for (i, f) in legacy.into_iter().enumerate() {
        let base = format!("filters.{}.member", i + 1);
        let key_path = format!("{base}.key");
        v.required(&f.key, &key_path);
        v.enum_value(&f.key, &key_path, &["Name", "Type", "KeyId"]);
        let values_path = format!("{base}.values");
        if let Some(values) = v.required(&f.values, &values_path) {
            check_filter_values(&mut v, values, &values_path);
        }
        filters.push(LegacyFilter {
            key: f.key.unwrap_or_default(),
            values: f.values.unwrap_or_default(),
        });
    }
    let parameter_filters = check_parameter_filters(&mut v, req.parameter_filters);
    v.range(req.max_results, "maxResults", 1, 50);
    v.finish()?;
    if req.shared == Some(true) {
        // kinko has no cross-account sharing: nobody shares with this caller.
        return encode(&DescribeParametersResponse {
            parameters: Vec::new(),
            next_token: None,
        });
    }
    let input = DescribeParametersInput {
        filters,
        parameter_filters,
        max_results: to_max_results(req.max_results, 10),
        next_token: req.next_token,
    };
    let page = describe_visible(store, ctx, caller, &input).await?;
    encode(&DescribeParametersResponse {
        parameters: page
            .parameters
            .iter()
            .map(ParameterMetadataShape::from)
            .collect(),
        next_token: page.next_token.as_deref(),
    })
}

async fn get_parameter_history(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: GetParameterHistoryRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_name(&mut v, &req.name, "name");
    v.range(req.max_results, "maxResults", 1, 50);
    v.finish()?;
    let input = GetParameterHistoryInput {
        name: req.name.unwrap_or_default(),
        with_decryption: req.with_decryption.unwrap_or(false),
        max_results: to_max_results(req.max_results, 50),
        next_token: req.next_token,
    };
    if let Ok(r) = ParameterRef::parse(&input.name, &ctx.caller.region, &ctx.caller.account_id) {
        check_parameter(store, ctx, "ssm:GetParameterHistory", r.name.canonical()).await?;
    }
    let page = store.get_parameter_history(caller, &input).await?;
    check_decrypt(store, ctx, page.parameters.iter().map(|p| &p.kms_key_arn)).await?;
    encode(&GetParameterHistoryResponse {
        parameters: page
            .parameters
            .iter()
            .map(ParameterHistoryShape::from)
            .collect(),
        next_token: page.next_token.as_deref(),
    })
}

fn check_labels(v: &mut Violations, labels: &Option<Vec<String>>) {
    if let Some(list) = v.required(labels, "labels") {
        v.list_length(list, "labels", 1, 10);
        v.members(list, "labels", MemberRule::length(1, 100));
    }
}

/// `ParameterVersion` is a long in the model; versions above u32 do not exist.
fn to_version(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

async fn label_parameter_version(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: LabelParameterVersionRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_name(&mut v, &req.name, "name");
    check_labels(&mut v, &req.labels);
    v.finish()?;
    check_named(store, ctx, "ssm:LabelParameterVersion", &req.name).await?;
    let out = store
        .label_parameter_version(
            caller,
            req.name.as_deref().unwrap_or_default(),
            req.parameter_version.map(to_version),
            req.labels.as_deref().unwrap_or_default(),
        )
        .await?;
    encode(&LabelParameterVersionResponse {
        invalid_labels: &out.invalid_labels,
        parameter_version: out.version,
    })
}

async fn unlabel_parameter_version(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: LabelParameterVersionRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_name(&mut v, &req.name, "name");
    v.required(&req.parameter_version, "parameterVersion");
    check_labels(&mut v, &req.labels);
    v.finish()?;
    check_named(store, ctx, "ssm:UnlabelParameterVersion", &req.name).await?;
    let out = store
        .unlabel_parameter_version(
            caller,
            req.name.as_deref().unwrap_or_default(),
            to_version(req.parameter_version.unwrap_or_default()),
            req.labels.as_deref().unwrap_or_default(),
        )
        .await?;
    encode(&UnlabelParameterVersionResponse {
        removed_labels: &out.removed_labels,
        invalid_labels: &out.invalid_labels,
    })
}

fn check_resource(
    v: &mut Violations,
    resource_type: &Option<String>,
    resource_id: &Option<String>,
) {
    // An unknown type is AWS's `InvalidResourceType` (from core), not an
    // enum violation.
    v.required(resource_type, "resourceType");
    v.required(resource_id, "resourceId");
}

async fn add_tags_to_resource(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: AddTagsToResourceRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_resource(&mut v, &req.resource_type, &req.resource_id);
    let tags = match v.required(&req.tags, "tags") {
        Some(t) => check_tags(&mut v, t, "tags"),
        None => Vec::new(),
    };
    v.finish()?;
    check_tagged(
        store,
        ctx,
        "ssm:AddTagsToResource",
        &req.resource_type,
        &req.resource_id,
    )
    .await?;
    store
        .add_tags_to_resource(
            caller,
            req.resource_type.as_deref().unwrap_or_default(),
            req.resource_id.as_deref().unwrap_or_default(),
            &tags,
        )
        .await?;
    encode(&Empty {})
}

async fn remove_tags_from_resource(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: RemoveTagsFromResourceRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_resource(&mut v, &req.resource_type, &req.resource_id);
    if let Some(keys) = v.required(&req.tag_keys, "tagKeys") {
        v.members(
            keys,
            "tagKeys",
            MemberRule::length(1, 128).with_pattern(is_tag_text, TAG_PATTERN),
        );
    }
    v.finish()?;
    check_tagged(
        store,
        ctx,
        "ssm:RemoveTagsFromResource",
        &req.resource_type,
        &req.resource_id,
    )
    .await?;
    store
        .remove_tags_from_resource(
            caller,
            req.resource_type.as_deref().unwrap_or_default(),
            req.resource_id.as_deref().unwrap_or_default(),
            req.tag_keys.as_deref().unwrap_or_default(),
        )
        .await?;
    encode(&Empty {})
}

async fn list_tags_for_resource(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ListTagsForResourceRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_resource(&mut v, &req.resource_type, &req.resource_id);
    v.finish()?;
    check_tagged(
        store,
        ctx,
        "ssm:ListTagsForResource",
        &req.resource_type,
        &req.resource_id,
    )
    .await?;
    let tags = store
        .list_tags_for_resource(
            caller,
            req.resource_type.as_deref().unwrap_or_default(),
            req.resource_id.as_deref().unwrap_or_default(),
        )
        .await?;
    encode(&ListTagsForResourceResponse {
        tag_list: tags
            .iter()
            .map(|t| TagOut {
                key: &t.key,
                value: &t.value,
            })
            .collect(),
    })
}

/// The check of an operation on one parameter named by `name` (no ARN, no
/// selector); a malformed name is left to the operation's validation.
async fn check_named(
    store: &ParameterStore,
    ctx: &RequestContext,
    action: &'static str,
    name: &Option<String>,
) -> Result<(), AwsError> {
    match name.as_deref().map(ParameterName::parse) {
        Some(Ok(parsed)) => check_parameter(store, ctx, action, parsed.canonical()).await,
        _ => Ok(()),
    }
}

/// The check of a tagging operation: only `Parameter` resources exist here;
/// other types fail validation without touching data.
async fn check_tagged(
    store: &ParameterStore,
    ctx: &RequestContext,
    action: &'static str,
    resource_type: &Option<String>,
    resource_id: &Option<String>,
) -> Result<(), AwsError> {
    if resource_type.as_deref() != Some("Parameter") {
        return Ok(());
    }
    check_named(store, ctx, action, resource_id).await
}

/// DescribeParameters under the rule in `access`: everything when `*` is
/// allowed; otherwise the parameters the caller may describe, or AWS's
/// denial on `*` when it reaches none.
async fn describe_visible(
    store: &ParameterStore,
    ctx: &RequestContext,
    caller: &Caller,
    input: &DescribeParametersInput,
) -> Result<kinko_core::ssm::MetadataPage, AwsError> {
    const ACTION: &str = "ssm:DescribeParameters";
    if ctx.access.permits(&Check::new(ACTION, "*")) {
        ctx.authorize(Check::new(ACTION, "*"))?;
        return Ok(store.describe_parameters(caller, input).await?);
    }
    let any_visible = std::sync::atomic::AtomicBool::new(false);
    let visible = |arn: &str| {
        let ok = ctx.access.permits(&Check::new(ACTION, arn));
        if ok {
            any_visible.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        ok
    };
    let page = store
        .describe_parameters_visible(caller, input, &visible)
        .await?;
    if !any_visible.load(std::sync::atomic::Ordering::Relaxed) {
        ctx.authorize(Check::new(ACTION, "*"))?;
    }
    Ok(page)
}
