//! The resource-policy operations: get, put, delete, validate.

use super::*;

pub(super) async fn get_resource_policy(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let id = secret_id_of(body)?;
    check_secret(s, c, ctx, "secretsmanager:GetResourcePolicy", &id).await?;
    let out = s.get_resource_policy(c, &id).await?;
    let mut m = Map::new();
    m.insert("ARN".into(), out.arn.into());
    m.insert("Name".into(), out.name.into());
    if let Some(p) = out.resource_policy {
        m.insert("ResourcePolicy".into(), p.into());
    }
    encode(&m)
}

pub(super) async fn put_resource_policy(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: PutResourcePolicyRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    if let Some(p) = v.required(&req.resource_policy, "resourcePolicy") {
        v.length(p, "resourcePolicy", 1, 20480);
    }
    v.finish()?;
    let id = present(req.secret_id)?;
    check_secret(s, c, ctx, "secretsmanager:PutResourcePolicy", &id).await?;
    let out = s
        .put_resource_policy(
            c,
            &id,
            &present(req.resource_policy)?,
            req.block_public_policy.unwrap_or(false),
        )
        .await?;
    encode(&IdentityResponse {
        arn: &out.arn,
        name: &out.name,
        version_id: None,
    })
}

pub(super) async fn delete_resource_policy(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let id = secret_id_of(body)?;
    check_secret(s, c, ctx, "secretsmanager:DeleteResourcePolicy", &id).await?;
    let out = s.delete_resource_policy(c, &id).await?;
    encode(&IdentityResponse {
        arn: &out.arn,
        name: &out.name,
        version_id: None,
    })
}

pub(super) async fn validate_resource_policy(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ValidateResourcePolicyRequest = parse_body(body)?;
    let mut v = Violations::new();
    v.opt_length(&req.secret_id, "secretId", 1, SECRET_ID_MAX);
    if let Some(p) = v.required(&req.resource_policy, "resourcePolicy") {
        v.length(p, "resourcePolicy", 1, 20480);
    }
    v.finish()?;
    match req.secret_id.as_deref() {
        Some(id) => {
            check_secret(s, c, ctx, "secretsmanager:ValidateResourcePolicy", id).await?;
        }
        None => ctx.authorize(Check::new("secretsmanager:ValidateResourcePolicy", "*"))?,
    }
    let out = s
        .validate_resource_policy(c, req.secret_id.as_deref(), &present(req.resource_policy)?)
        .await?;
    let errors: Vec<Value> = out
        .errors
        .iter()
        .map(|e| json!({"CheckName": e.check_name, "ErrorMessage": e.error_message}))
        .collect();
    encode(&json!({"PolicyValidationPassed": out.passed, "ValidationErrors": errors}))
}
