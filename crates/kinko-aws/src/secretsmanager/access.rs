//! Which IAM action and resource each Secrets Manager operation is
//! authorized against, as AWS's Service Authorization Reference and the
//! operations' "Required permissions" define them, and the checks that do it.
//!
//! | Operation | Action | Resource |
//! |---|---|---|
//! | CreateSecret | `secretsmanager:CreateSecret` | `secret:NAME` (no suffix yet); also `secretsmanager:TagResource` with `Tags`, `secretsmanager:ReplicateSecretToRegions` with `AddReplicaRegions`, `kms:GenerateDataKey` on a customer-managed key when a value is sent |
//! | GetSecretValue | `secretsmanager:GetSecretValue` | the secret; `kms:Decrypt` on a customer-managed key, after the read, before the value leaves |
//! | BatchGetSecretValue | `secretsmanager:BatchGetSecretValue` | `*`; `secretsmanager:ListSecrets` on `*` with `Filters`; `secretsmanager:GetSecretValue` (and `kms:Decrypt`) per secret, a denial going to `Errors` |
//! | PutSecretValue | `secretsmanager:PutSecretValue` | the secret; `kms:GenerateDataKey` on its customer-managed key |
//! | UpdateSecret | `secretsmanager:UpdateSecret` | the secret; with a value, `kms:GenerateDataKey` on the (new or current) customer-managed key |
//! | UpdateSecretVersionStage | `secretsmanager:UpdateSecretVersionStage` | the secret |
//! | DescribeSecret | `secretsmanager:DescribeSecret` | the secret |
//! | ListSecrets | `secretsmanager:ListSecrets` | `*` (see below) |
//! | ListSecretVersionIds | `secretsmanager:ListSecretVersionIds` | the secret |
//! | DeleteSecret / RestoreSecret | `secretsmanager:DeleteSecret` / `secretsmanager:RestoreSecret` | the secret |
//! | TagResource / UntagResource | `secretsmanager:TagResource` / `secretsmanager:UntagResource` | the secret |
//! | GetRandomPassword | `secretsmanager:GetRandomPassword` | `*` |
//! | Get/Put/DeleteResourcePolicy | `secretsmanager:GetResourcePolicy` / `PutResourcePolicy` / `DeleteResourcePolicy` | the secret |
//! | ValidateResourcePolicy | `secretsmanager:ValidateResourcePolicy` | the secret, or `*` without `SecretId` |
//! | ReplicateSecretToRegions / RemoveRegionsFromReplication | same-named action | the primary secret |
//! | StopReplicationToReplica | `secretsmanager:StopReplicationToReplica` | the replica (the caller's region) |
//! | RotateSecret / CancelRotateSecret | same-named action | the secret |
//!
//! "The secret" is its full ARN (with the random suffix), checked with its
//! resource policy and tags; a secret that does not exist is checked as
//! the ARN the request names (`…:secret:NAME`, or the ARN as sent), with
//! no policy, so a denied caller cannot probe which secrets exist.
//! The AWS-managed `alias/aws/secretsmanager` needs no `kms:*` permission.
//!
//! ListSecrets: when `*` is allowed the caller sees every secret (AWS).
//! Otherwise kinko lists only the secrets the caller may list (policy,
//! resource policy and tags decide per secret); when it may list none, the
//! check on `*` is made and recorded, and its AccessDeniedException
//! answered, as AWS.

use kinko_core::secrets::{Caller, SecretAccess, SecretsManager};

use crate::{AwsError, Check, RequestContext};

/// The check of `action` on a secret's facts.
pub(super) fn check<'a>(action: &'static str, facts: &'a SecretAccess) -> Check<'a> {
    Check::new(action, &facts.arn)
        .with_tags(&facts.tags)
        .with_policy(facts.resource_policy.as_deref())
}

/// Authorizes `action` on the secret `secret_id` names (or the ARN it
/// requests); returns the facts for further checks.
pub(super) async fn check_secret(
    s: &SecretsManager,
    c: &Caller,
    ctx: &RequestContext,
    action: &'static str,
    secret_id: &str,
) -> Result<SecretAccess, AwsError> {
    let facts = s.access_facts_or_requested(c, secret_id).await?;
    ctx.authorize(check(action, &facts))?;
    Ok(facts)
}

/// `kms:GenerateDataKey` on the customer-managed key a value is sealed
/// under, before it is written.
pub(super) async fn check_seal_key(
    s: &SecretsManager,
    ctx: &RequestContext,
    key_ref: Option<&str>,
) -> Result<(), AwsError> {
    if let Some(key) = s.customer_key_arn(&ctx.caller.region, key_ref).await? {
        check_value_key(s, ctx, "kms:GenerateDataKey", &key).await?;
    }
    Ok(())
}

/// `kms:Decrypt` on the customer-managed key a value was opened with.
pub(super) async fn check_decrypt(
    s: &SecretsManager,
    ctx: &RequestContext,
    key: Option<&str>,
) -> Result<(), AwsError> {
    match key {
        Some(key) => check_value_key(s, ctx, "kms:Decrypt", key).await,
        None => Ok(()),
    }
}

/// `action` on the customer-managed key `key_arn`, with its key policy and
/// grants.
async fn check_value_key(
    s: &SecretsManager,
    ctx: &RequestContext,
    action: &'static str,
    key_arn: &str,
) -> Result<(), AwsError> {
    let facts = s.kms_key_access(&ctx.caller.region, key_arn).await?;
    crate::kms::authorize_value_key(ctx, action, key_arn, facts.as_ref())
}
