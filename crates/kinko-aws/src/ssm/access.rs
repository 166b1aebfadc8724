//! Which IAM action and resource each Parameter Store operation is
//! authorized against, as AWS's Service Authorization Reference and the
//! Parameter Store guide define them, and the checks that do it.
//!
//! | Operation | Action | Resource |
//! |---|---|---|
//! | PutParameter | `ssm:PutParameter` | the parameter; also `ssm:AddTagsToResource` on it when `Tags` are sent, and `kms:Encrypt` on a customer-managed key a SecureString is sealed under |
//! | GetParameter | `ssm:GetParameter` | the parameter (name without `:selector`) |
//! | GetParameters | `ssm:GetParameters` | every parameter named; one denial denies the whole call, as on AWS |
//! | GetParametersByPath | `ssm:GetParametersByPath` | the path as sent (`Path=/app/prod` → `parameter/app/prod`), not the parameters returned |
//! | GetParameterHistory | `ssm:GetParameterHistory` | the parameter |
//! | DescribeParameters | `ssm:DescribeParameters` | `*` (see below) |
//! | DeleteParameter | `ssm:DeleteParameter` | the parameter |
//! | DeleteParameters | `ssm:DeleteParameters` | every parameter named; one denial denies the whole call |
//! | LabelParameterVersion | `ssm:LabelParameterVersion` | the parameter |
//! | UnlabelParameterVersion | `ssm:UnlabelParameterVersion` | the parameter |
//! | AddTagsToResource | `ssm:AddTagsToResource` | the parameter |
//! | RemoveTagsFromResource | `ssm:RemoveTagsFromResource` | the parameter |
//! | ListTagsForResource | `ssm:ListTagsForResource` | the parameter |
//!
//! A parameter's resource is `arn:aws:ssm:R:A:parameter/NAME`
//! ([`parameter_arn`], no double slash for `/NAME`).
//!
//! Values: a read that decrypts a SecureString sealed under a
//! customer-managed key also needs `kms:Decrypt` on that key
//! (`arn:aws:kms:R:A:key/ID`), checked after the read and before the value
//! is returned, once per key per request; the AWS-managed `alias/aws/ssm`
//! needs nothing (its key policy lets SSM use it for the account).
//!
//! `/aws/reference/secretsmanager/ID` reads are checked as the parameter
//! `parameter/aws/reference/secretsmanager/ID` and, as on AWS, also need
//! `secretsmanager:GetSecretValue` on the secret (with its resource policy
//! and tags), and `kms:Decrypt` when the secret's key is customer managed.
//!
//! DescribeParameters: when `*` is allowed the caller sees every parameter
//! (AWS). Otherwise kinko shows only the parameters whose ARN the caller may
//! describe (so a developer allowed `parameter/app/*` sees `/app`); when the
//! request reaches no parameter the caller may describe, the check on `*`
//! is made and recorded, and its AccessDeniedException answered, as AWS.
//!
//! Tags are loaded for a check only when a policy has a tag condition on
//! the action ([`crate::Access::wants_resource_tags`]). Requests whose
//! names are malformed are not checked: they fail validation without
//! touching data.

use kinko_core::ssm::{ParameterStore, ReadName};
use kinko_model::ssm::parameter_arn;

use crate::{AwsError, Check, RequestContext};

/// Authorizes `action` on the parameter with canonical name `canonical`,
/// with its tags when a policy needs them.
pub(super) async fn check_parameter(
    store: &ParameterStore,
    ctx: &RequestContext,
    action: &'static str,
    canonical: &str,
) -> Result<(), AwsError> {
    let arn = parameter_arn(&ctx.caller.region, &ctx.caller.account_id, canonical);
    if ctx.access.wants_resource_tags(action) {
        let tags = store.parameter_tags(&ctx.caller.region, canonical).await?;
        ctx.authorize(Check::new(action, &arn).with_tags(&tags))
    } else {
        ctx.authorize(Check::new(action, &arn))
    }
}

/// The checks for a name a Get operation reads: the parameter itself, and
/// for a Secrets Manager reference the secret behind it.
pub(super) async fn check_read(
    store: &ParameterStore,
    ctx: &RequestContext,
    action: &'static str,
    name: &ReadName,
    with_decryption: bool,
) -> Result<(), AwsError> {
    match name {
        ReadName::SecretReference(raw) => {
            let reference = kinko_core::ssm::reference_name(raw).unwrap_or(raw);
            let arn = parameter_arn(&ctx.caller.region, &ctx.caller.account_id, reference);
            ctx.authorize(Check::new(action, &arn))?;
            // Without decryption the read is refused before any secret is read.
            if with_decryption
                && let Some(secret) = store.reference_access(&ctx.caller, raw).await?
            {
                ctx.authorize(
                    Check::new("secretsmanager:GetSecretValue", &secret.arn)
                        .with_tags(&secret.tags)
                        .with_policy(secret.resource_policy.as_deref()),
                )?;
            }
            Ok(())
        }
        ReadName::Parameter(r) => check_parameter(store, ctx, action, r.name.canonical()).await,
        // Malformed or foreign: the operation answers without reading.
        ReadName::Invalid { .. } => Ok(()),
    }
}

/// `kms:Decrypt` on every distinct customer-managed key a read decrypted
/// with, before the values leave.
/// The key's policy and grants decide with the caller's policies.
pub(super) async fn check_decrypt<'a>(
    store: &ParameterStore,
    ctx: &RequestContext,
    keys: impl IntoIterator<Item = &'a Option<String>>,
) -> Result<(), AwsError> {
    // Collected before the first await: the iterator need not be `Send`.
    let mut distinct: Vec<String> = Vec::new();
    for key in keys.into_iter().flatten() {
        if !distinct.contains(key) {
            distinct.push(key.clone());
        }
    }
    for key in &distinct {
        check_value_key(store, ctx, "kms:Decrypt", key).await?;
    }
    Ok(())
}

/// `action` on the customer-managed key `key_arn`, with its key policy
/// and grants.
pub(super) async fn check_value_key(
    store: &ParameterStore,
    ctx: &RequestContext,
    action: &'static str,
    key_arn: &str,
) -> Result<(), AwsError> {
    let facts = store.kms_key_access(&ctx.caller.region, key_arn).await?;
    crate::kms::authorize_value_key(ctx, action, key_arn, facts.as_ref())
}
