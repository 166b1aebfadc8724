//! Replication to other regions, and rotation (which kinko has no rotator for).

use super::*;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicationResponse<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    replication_status: Statuses<'a>,
}

pub(super) async fn replicate_secret_to_regions(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ReplicateSecretToRegionsRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    let regions = match v.required(&req.add_replica_regions, "addReplicaRegions") {
        Some(list) => {
            v.count(list.len(), "addReplicaRegions", 1, usize::MAX);
            check_regions(&mut v, list, "addReplicaRegions")
        }
        None => Vec::new(),
    };
    v.finish()?;
    let id = present(req.secret_id)?;
    check_secret(s, c, ctx, "secretsmanager:ReplicateSecretToRegions", &id).await?;
    let out = s
        .replicate_secret_to_regions(
            c,
            &id,
            &regions,
            req.force_overwrite_replica_secret.unwrap_or(false),
        )
        .await?;
    encode(&ReplicationResponse {
        arn: &out.arn,
        replication_status: Statuses(&out.replication_status),
    })
}

pub(super) async fn remove_regions_from_replication(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: RemoveRegionsFromReplicationRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    if let Some(list) = v.required(&req.remove_replica_regions, "removeReplicaRegions") {
        v.list_length(list, "removeReplicaRegions", 1, usize::MAX);
        v.members(
            list,
            "removeReplicaRegions",
            MemberRule::length(1, 128).with_pattern(is_region, REGION_PATTERN),
        );
    }
    v.finish()?;
    let id = present(req.secret_id)?;
    check_secret(
        s,
        c,
        ctx,
        "secretsmanager:RemoveRegionsFromReplication",
        &id,
    )
    .await?;
    let out = s
        .remove_regions_from_replication(c, &id, &present(req.remove_replica_regions)?)
        .await?;
    encode(&ReplicationResponse {
        arn: &out.arn,
        replication_status: Statuses(&out.replication_status),
    })
}

pub(super) async fn stop_replication_to_replica(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let id = secret_id_of(body)?;
    check_secret(s, c, ctx, "secretsmanager:StopReplicationToReplica", &id).await?;
    let arn = s.stop_replication_to_replica(c, &id).await?;
    encode(&json!({ "ARN": arn }))
}

/// Rotation needs a rotator (kinko has no Lambda, and the rotation issue
/// has not landed): no secret has one, so the answer is AWS's own for a
/// secret without a rotation function.
pub(super) async fn rotation(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    operation: &str,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: RotateSecretRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_secret_id(&mut v, &req.secret_id);
    if operation == "RotateSecret" {
        check_token(&mut v, &req.client_request_token);
    }
    v.finish()?;
    if operation == "RotateSecret" && req.client_request_token.is_none() {
        return Err(SecretsError::missing_token().into());
    }
    let action = if operation == "RotateSecret" {
        "secretsmanager:RotateSecret"
    } else {
        "secretsmanager:CancelRotateSecret"
    };
    if let Some(id) = &req.secret_id {
        check_secret(s, c, ctx, action, id).await?;
    }
    // The secret must exist (ResourceNotFoundException otherwise), as on AWS.
    if let Some(id) = &req.secret_id {
        s.describe_secret(c, id).await?;
    }
    // No secret here has a rotation function configured: AWS's documented
    // InvalidRequestException cause for that (moto records the same text,
    // for CancelRotateSecret too). A RotationLambdaARN in the request is a
    // Lambda this server does not invoke through the API.
    let message = match (operation, &req.rotation_lambda_arn) {
        ("RotateSecret", Some(_)) => {
            "This kinko server does not invoke a RotationLambdaARN through RotateSecret."
        }
        _ => ROTATION_NOT_CONFIGURED,
    };
    Err(SecretsError::InvalidRequest(message.into()).into())
}

/// AWS's text (the model's InvalidRequestException documentation).
pub(super) const ROTATION_NOT_CONFIGURED: &str = "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.";

/// ListSecrets under the rule in `access`: every secret when `*` is allowed;
/// otherwise the secrets the caller may list, or AWS's denial on `*` when
/// it may list none.
pub(super) async fn list_visible(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    input: &ListSecretsInput,
) -> Result<kinko_core::secrets::ListSecretsOutput, AwsError> {
    const ACTION: &str = "secretsmanager:ListSecrets";
    if ctx.access.permits(&Check::new(ACTION, "*")) {
        ctx.authorize(Check::new(ACTION, "*"))?;
        return Ok(s.list_secrets(c, input).await?);
    }
    let any_visible = std::sync::atomic::AtomicBool::new(false);
    let visible = |facts: &SecretAccess| {
        let ok = ctx.access.permits(&check(ACTION, facts));
        if ok {
            any_visible.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        ok
    };
    let out = s.list_secrets_visible(c, input, &visible).await?;
    if !any_visible.load(std::sync::atomic::Ordering::Relaxed) {
        ctx.authorize(Check::new(ACTION, "*"))?;
    }
    Ok(out)
}
