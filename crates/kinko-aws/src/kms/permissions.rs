//! Handlers of who may use a key: GetKeyPolicy, PutKeyPolicy,
//! ListKeyPolicies, CreateGrant, ListGrants, ListRetirableGrants,
//! RetireGrant, RevokeGrant; UpdateKeyDescription rides along (another
//! key-administration write, added with them); and the `GrantTokens`
//! check every operation shares.
//!
//! The lockout safety check (PutKeyPolicy, CreateKey with `Policy`) asks
//! the caller's [`crate::Access`] whether the new policy would still let it
//! call PutKeyPolicy, as KMS does; `BypassPolicyLockoutSafetyCheck` skips it.

use kinko_core::kms::{
    CreateGrantInput, DEFAULT_POLICY_NAME, GRANT_OPERATIONS, GrantRef, KmsError, check_key_policy,
};
use kinko_core::kms::{KeyAccess, Kms};
use serde::Serialize;

use super::access::{authorize_key, key_check};
use super::permission_shapes::*;
use crate::wire::{Violations, parse_body};
use crate::{AwsError, Check, MessageKey, RequestContext};

const KEY_ID_MAX: usize = 2048;
const PRINCIPAL_PATTERN: &str = r"^[\w+=,.@:/-]+$";
const GRANT_NAME_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";
const POLICY_NAME_PATTERN: &str = r"[\w]+";
const POLICY_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
/// `GrantTokens`: at most 10, each 1–8192 characters (the model).
const MAX_GRANT_TOKENS: usize = 10;
const GRANT_TOKEN_MAX: usize = 8192;

/// The lockout check's refusal, as KMS words it.
const LOCKOUT: &str =
    "The new key policy will not allow you to update the key policy in the future.";

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(value).map_err(|_| AwsError::internal())
}

/// KMS models `ValidationException` with a lower-case `message`.
fn finish(v: Violations) -> Result<(), AwsError> {
    v.finish().map_err(|e| e.with_key(MessageKey::Lower))
}

fn present<T>(value: Option<T>) -> Result<T, AwsError> {
    value.ok_or_else(AwsError::internal)
}

fn empty() -> Result<Vec<u8>, AwsError> {
    Ok(b"{}".to_vec())
}

fn check_key_id(v: &mut Violations, key_id: &Option<String>) {
    if let Some(k) = v.required(key_id, "keyId") {
        v.length(k, "keyId", 1, KEY_ID_MAX);
    }
}

fn check_principal(v: &mut Violations, value: &str, path: &str) {
    v.length(value, path, 1, 256);
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || "+=,.@:/-".contains(c));
    v.pattern(value, path, ok, PRINCIPAL_PATTERN);
}

fn check_policy_name(v: &mut Violations, name: &Option<String>) {
    if let Some(n) = name {
        v.length(n, "policyName", 1, 128);
        let ok = !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_');
        v.pattern(n, "policyName", ok, POLICY_NAME_PATTERN);
    }
}

fn check_paging(v: &mut Violations, limit: Option<i64>, marker: &Option<String>) {
    v.range(limit, "limit", 1, 1000);
    v.opt_length(marker, "marker", 1, 1024);
}

/// `Limit` as asked, at most `max` (the operations' documented maximum,
/// below the model's 1000), `default` when absent.
fn limit(value: Option<i64>, default: usize, max: usize) -> usize {
    value
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(default)
        .min(max)
}

/// The key `key_ref` names, for an access check; a reference to no key is
/// `NotFoundException` before any check, as for every key operation.
async fn key_facts(kms: &Kms, ctx: &RequestContext, key_ref: &str) -> Result<KeyAccess, AwsError> {
    Ok(kms.key_access(&ctx.caller.region, key_ref).await?)
}

/// Every request's `GrantTokens` must be tokens kinko issued
/// (`InvalidGrantTokenException` otherwise). The body is read for them only
/// when it names the member, so the hot paths pay one substring search.
pub(super) fn check_grant_tokens(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<(), AwsError> {
    if !body.windows(11).any(|w| w == b"GrantTokens") {
        return Ok(());
    }
    let req: GrantTokensOnly = parse_body(body)?;
    let tokens = req.grant_tokens.unwrap_or_default();
    let mut v = Violations::new();
    v.count(tokens.len(), "grantTokens", 0, MAX_GRANT_TOKENS);
    for (i, t) in tokens.iter().enumerate() {
        v.length(
            t,
            &format!("grantTokens.{}.member", i + 1),
            1,
            GRANT_TOKEN_MAX,
        );
    }
    finish(v)?;
    kms.check_grant_tokens(&ctx.caller.region, &tokens)?;
    Ok(())
}

/// Whether `policy` would let the caller call PutKeyPolicy on `key_arn`.
fn lockout_check(
    ctx: &RequestContext,
    key_arn: &str,
    policy: &str,
    bypass: Option<bool>,
) -> Result<(), AwsError> {
    if bypass == Some(true) {
        return Ok(());
    }
    if ctx
        .access
        .permits(&Check::key("kms:PutKeyPolicy", key_arn, policy, &[]))
    {
        Ok(())
    } else {
        Err(KmsError::MalformedPolicyDocument(LOCKOUT.into()).into())
    }
}

/// CreateKey's lockout safety check, after its access check: the key does
/// not exist yet, so the policy is asked about `key/*` of the caller's
/// account and region. A policy that does not parse is left to CreateKey,
/// which says why.
pub(super) fn check_new_key_lockout(
    ctx: &RequestContext,
    policy: &str,
    bypass: Option<bool>,
) -> Result<(), AwsError> {
    if check_key_policy(policy).is_err() {
        return Ok(());
    }
    let arn = format!(
        "arn:aws:kms:{}:{}:key/*",
        ctx.caller.region, ctx.caller.account_id
    );
    lockout_check(ctx, &arn, policy, bypass)
}

pub(super) async fn get_key_policy(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: KeyPolicyRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id);
    check_policy_name(&mut v, &req.policy_name);
    finish(v)?;
    let key_id = present(req.key_id)?;
    let key = key_facts(kms, ctx, &key_id).await?;
    authorize_key(ctx, "kms:GetKeyPolicy", &key)?;
    let policy = kms
        .get_key_policy(&ctx.caller.region, &key_id, req.policy_name.as_deref())
        .await?;
    encode(&GetKeyPolicyResponse {
        policy: &policy,
        policy_name: DEFAULT_POLICY_NAME,
    })
}

pub(super) async fn put_key_policy(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: KeyPolicyRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id);
    check_policy_name(&mut v, &req.policy_name);
    if let Some(p) = v.required(&req.policy, "policy") {
        v.length(p, "policy", 1, 131_072);
        let ok = !p.is_empty()
            && p.chars()
                .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'));
        v.pattern(p, "policy", ok, POLICY_PATTERN);
    }
    finish(v)?;
    let key_id = present(req.key_id)?;
    let policy = present(req.policy)?;
    let key = key_facts(kms, ctx, &key_id).await?;
    authorize_key(ctx, "kms:PutKeyPolicy", &key)?;
    kinko_core::kms::check_policy_name(req.policy_name.as_deref())?;
    if !key.customer_managed {
        return Err(KmsError::managed_key(&key.arn).into());
    }
    check_key_policy(&policy)?;
    lockout_check(
        ctx,
        &key.arn,
        &policy,
        req.bypass_policy_lockout_safety_check,
    )?;
    kms.put_key_policy(
        &ctx.caller.region,
        &key_id,
        req.policy_name.as_deref(),
        &policy,
    )
    .await?;
    empty()
}

pub(super) async fn list_key_policies(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: super::shapes::ListRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id);
    check_paging(&mut v, req.limit, &req.marker);
    finish(v)?;
    let key_id = present(req.key_id)?;
    let key = key_facts(kms, ctx, &key_id).await?;
    authorize_key(ctx, "kms:ListKeyPolicies", &key)?;
    let page = kms
        .list_key_policies(
            &ctx.caller.region,
            &key_id,
            limit(req.limit, 100, 1000),
            req.marker.as_deref(),
        )
        .await?;
    encode(&ListKeyPoliciesResponse {
        policy_names: page.items.iter().map(String::as_str).collect(),
        next_marker: page.next_marker.as_deref(),
        truncated: page.truncated(),
    })
}

pub(super) async fn update_key_description(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: UpdateKeyDescriptionRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id);
    if let Some(d) = v.required(&req.description, "description") {
        v.length(d, "description", 0, 8192);
    }
    finish(v)?;
    let key_id = present(req.key_id)?;
    let description = present(req.description)?;
    let key = key_facts(kms, ctx, &key_id).await?;
    authorize_key(ctx, "kms:UpdateKeyDescription", &key)?;
    kms.update_key_description(&ctx.caller.region, &key_id, &description)
        .await?;
    empty()
}

pub(super) async fn create_grant(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: CreateGrantRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id);
    if let Some(p) = v.required(&req.grantee_principal, "granteePrincipal") {
        check_principal(&mut v, p, "granteePrincipal");
    }
    if let Some(p) = &req.retiring_principal {
        check_principal(&mut v, p, "retiringPrincipal");
    }
    if let Some(ops) = v.required(&req.operations, "operations") {
        for (i, op) in ops.iter().enumerate() {
            v.enum_value(
                &Some(op.clone()),
                &format!("operations.{}.member", i + 1),
                &GRANT_OPERATIONS,
            );
        }
    }
    if let Some(name) = &req.name {
        v.length(name, "name", 1, 256);
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'));
        v.pattern(name, "name", ok, GRANT_NAME_PATTERN);
    }
    finish(v)?;
    let input = CreateGrantInput {
        key_id: present(req.key_id)?,
        grantee_principal: present(req.grantee_principal)?,
        retiring_principal: req.retiring_principal,
        operations: present(req.operations)?,
        constraints: req.constraints.map(Into::into),
        name: req.name,
        dry_run: req.dry_run.unwrap_or(false),
    };
    let key = key_facts(kms, ctx, &input.key_id).await?;
    let asked = input.as_grant();
    let mut check = key_check(
        "kms:CreateGrant",
        &key,
        ctx.access.wants_resource_tags("kms:CreateGrant"),
    );
    check.requested_grant = Some(&asked);
    ctx.authorize(check)?;
    let out = kms.create_grant(&ctx.caller.region, input).await?;
    encode(&CreateGrantResponse {
        grant_token: &out.grant_token,
        grant_id: &out.grant_id,
    })
}

pub(super) async fn list_grants(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ListGrantsRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_paging(&mut v, req.limit, &req.marker);
    check_key_id(&mut v, &req.key_id);
    v.opt_length(&req.grant_id, "grantId", 1, 128);
    if let Some(p) = &req.grantee_principal {
        check_principal(&mut v, p, "granteePrincipal");
    }
    finish(v)?;
    let key_id = present(req.key_id)?;
    let key = key_facts(kms, ctx, &key_id).await?;
    authorize_key(ctx, "kms:ListGrants", &key)?;
    let page = kms
        .list_grants(
            &ctx.caller.region,
            &key_id,
            req.grant_id.as_deref(),
            req.grantee_principal.as_deref(),
            limit(req.limit, 50, 100),
            req.marker.as_deref(),
        )
        .await?;
    encode(&ListGrantsResponse {
        grants: page.items.iter().map(Into::into).collect(),
        next_marker: page.next_marker.as_deref(),
        truncated: page.truncated(),
    })
}

/// Authorized against the retiring principal, not a key (the operation's
/// documentation): it lists grants on any key of the region.
pub(super) async fn list_retirable_grants(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ListRetirableGrantsRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_paging(&mut v, req.limit, &req.marker);
    if let Some(p) = v.required(&req.retiring_principal, "retiringPrincipal") {
        check_principal(&mut v, p, "retiringPrincipal");
    }
    finish(v)?;
    let retiring = present(req.retiring_principal)?;
    ctx.authorize(Check::new("kms:ListRetirableGrants", &retiring))?;
    let page = kms
        .list_retirable_grants(
            &ctx.caller.region,
            &retiring,
            limit(req.limit, 50, 100),
            req.marker.as_deref(),
        )
        .await?;
    encode(&ListGrantsResponse {
        grants: page.items.iter().map(Into::into).collect(),
        next_marker: page.next_marker.as_deref(),
        truncated: page.truncated(),
    })
}

fn grant_request(body: &[u8], need_ids: bool) -> Result<GrantRequest, AwsError> {
    let req: GrantRequest = parse_body(body)?;
    let mut v = Violations::new();
    if need_ids {
        check_key_id(&mut v, &req.key_id);
        if let Some(g) = v.required(&req.grant_id, "grantId") {
            v.length(g, "grantId", 1, 128);
        }
    } else {
        v.opt_length(&req.grant_token, "grantToken", 1, GRANT_TOKEN_MAX);
        v.opt_length(&req.key_id, "keyId", 1, KEY_ID_MAX);
        v.opt_length(&req.grant_id, "grantId", 1, 128);
    }
    finish(v)?;
    Ok(req)
}

/// RetireGrant: by the grant's retiring principal, by its grantee when it
/// allows `RetireGrant`, or by a principal the key's policies allow
/// `kms:RetireGrant` — all decided by one key check carrying the grant.
pub(super) async fn retire_grant(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req = grant_request(body, false)?;
    let target = match (req.grant_token, req.key_id, req.grant_id) {
        (Some(token), _, _) => GrantRef::Token(token),
        (None, Some(key_id), Some(grant_id)) => GrantRef::Id { key_id, grant_id },
        _ => {
            return Err(AwsError::new(
                "ValidationException",
                "Specify either GrantToken or both KeyId and GrantId.",
            ));
        }
    };
    let (key_id, grant_id) = kms.retire_target(&ctx.caller.region, &target)?;
    let key = key_facts(kms, ctx, &key_id).await?;
    // Only the grant being retired may allow its own retirement.
    let grants: Vec<_> = key
        .grants
        .iter()
        .filter(|g| g.grant_id == grant_id)
        .cloned()
        .collect();
    let wants_tags = ctx.access.wants_resource_tags("kms:RetireGrant");
    let mut check = key_check("kms:RetireGrant", &key, wants_tags);
    check.grants = &grants;
    ctx.authorize(check)?;
    kms.delete_grant(
        &ctx.caller.region,
        &key_id,
        &grant_id,
        req.dry_run.unwrap_or(false),
    )
    .await?;
    empty()
}

pub(super) async fn revoke_grant(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req = grant_request(body, true)?;
    let key_id = present(req.key_id)?;
    let grant_id = present(req.grant_id)?;
    let key = key_facts(kms, ctx, &key_id).await?;
    authorize_key(ctx, "kms:RevokeGrant", &key)?;
    kms.delete_grant(
        &ctx.caller.region,
        &key_id,
        &grant_id,
        req.dry_run.unwrap_or(false),
    )
    .await?;
    empty()
}
