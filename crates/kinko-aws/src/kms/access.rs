//! Which IAM action and resource each KMS operation is authorized against,
//! as AWS's Service Authorization Reference and the operations' "Required
//! permissions" define them, and the checks that do it.
//!
//! | Operation | Action | Resource |
//! |---|---|---|
//! | CreateKey | `kms:CreateKey` | `*`; also `kms:TagResource` on `*` when `Tags` are sent |
//! | DescribeKey | `kms:DescribeKey` | the key |
//! | ListKeys | `kms:ListKeys` | `*` |
//! | EnableKey / DisableKey | `kms:EnableKey` / `kms:DisableKey` | the key |
//! | ScheduleKeyDeletion / CancelKeyDeletion | same-named action | the key |
//! | CreateAlias | `kms:CreateAlias` | the alias and the target key |
//! | UpdateAlias | `kms:UpdateAlias` | the alias, its current key and the new target key |
//! | DeleteAlias | `kms:DeleteAlias` | the alias and its key |
//! | ListAliases | `kms:ListAliases` | `*` |
//! | Encrypt | `kms:Encrypt` | the key |
//! | Decrypt | `kms:Decrypt` | the key the ciphertext names, and the `KeyId` key when given (an RSA ciphertext names none) |
//! | GenerateDataKey | `kms:GenerateDataKey` | the key |
//! | GenerateDataKeyWithoutPlaintext | `kms:GenerateDataKeyWithoutPlaintext` | the key |
//! | GenerateRandom | `kms:GenerateRandom` | `*` |
//! | TagResource / UntagResource | same-named action | the key |
//! | ListResourceTags | `kms:ListResourceTags` | the key |
//! | GetKeyPolicy / PutKeyPolicy / ListKeyPolicies | same-named action | the key; PutKeyPolicy then asks again whether the new policy still allows the caller `kms:PutKeyPolicy` (the lockout safety check) |
//! | UpdateKeyDescription | `kms:UpdateKeyDescription` | the key |
//! | CreateGrant | `kms:CreateGrant` | the key; a grant allowing CreateGrant allows only grants no wider than itself |
//! | ListGrants / RevokeGrant | same-named action | the key |
//! | ListRetirableGrants | `kms:ListRetirableGrants` | the retiring principal's ARN (IAM only, as documented) |
//! | RetireGrant | `kms:RetireGrant` | the key; the grant itself allows its retiring principal, and its grantee when it includes `RetireGrant` |
//! | Sign / Verify | `kms:Sign` / `kms:Verify` | the key |
//! | GetPublicKey | `kms:GetPublicKey` | the key |
//! | GenerateMac / VerifyMac | `kms:GenerateMac` / `kms:VerifyMac` | the key |
//! | DeriveSharedSecret | `kms:DeriveSharedSecret` | the key |
//! | GenerateDataKeyPair | `kms:GenerateDataKeyPair` | the key |
//! | GenerateDataKeyPairWithoutPlaintext | `kms:GenerateDataKeyPairWithoutPlaintext` | the key |
//! | ReEncrypt | `kms:ReEncryptFrom` on the source key (as for Decrypt: the blob's key and `SourceKeyId`), `kms:ReEncryptTo` on the destination key | two keys |
//! | EnableKeyRotation / DisableKeyRotation | same-named action | the key |
//! | GetKeyRotationStatus / RotateKeyOnDemand | same-named action | the key |
//! | ListKeyRotations | `kms:ListKeyRotations` | the key |
//! | GetParametersForImport / ImportKeyMaterial / DeleteImportedKeyMaterial | same-named action | the key |
//! | ReplicateKey | `kms:ReplicateKey` | the primary key; then `kms:CreateKey` on `*` (and `kms:TagResource` on `*` with `Tags`) for the replica |
//! | UpdatePrimaryRegion | `kms:UpdatePrimaryRegion` | the primary key and the replica that becomes primary |
//!
//! Every key check is decided with the key's policy (the default one when
//! none was set) and its grants: see `kinko_core::iam::Check::key`. The
//! encryption context of Encrypt, Decrypt and GenerateDataKey goes with the
//! check, for grant constraints.
//!
//! "The key" is its key ARN, `arn:aws:kms:R:A:key/ID`, whichever of the four
//! forms (key id, key ARN, alias name, alias ARN) named it: an alias is
//! resolved to the key it points to, as AWS authorizes. The alias resource is
//! `arn:aws:kms:R:A:alias/NAME`. Key tags go with the check when a policy
//! has a tag condition. A reference to no key (or a ciphertext that is not
//! ours) is not checked: there is nothing to protect, and the operation
//! answers `NotFoundException` (`InvalidCiphertextException`) itself.

use kinko_core::kms::{EncryptionContext, KeyAccess, Kms};

use crate::{AwsError, Check, RequestContext};

/// The check of `action` on a key: its key policy and grants decide with
/// the caller's policies; its tags go along when a policy needs them (a
/// key policy's own tag conditions see them always).
pub fn key_check<'a>(action: &'a str, key: &'a KeyAccess, wants_tags: bool) -> Check<'a> {
    let check = Check::key(action, &key.arn, &key.policy, &key.grants);
    if wants_tags || key.policy.contains("ResourceTag") {
        check.with_tags(&key.tags)
    } else {
        check
    }
}

/// Authorizes `action` on a key, with its tags when a policy needs them.
pub(super) fn authorize_key(
    ctx: &RequestContext,
    action: &'static str,
    key: &KeyAccess,
) -> Result<(), AwsError> {
    ctx.authorize(key_check(
        action,
        key,
        ctx.access.wants_resource_tags(action),
    ))
}

/// As [`authorize_key`], for an operation that takes an encryption
/// context (which grant constraints are checked against).
pub(super) fn authorize_key_with_context(
    ctx: &RequestContext,
    action: &'static str,
    key: &KeyAccess,
    context: &EncryptionContext,
) -> Result<(), AwsError> {
    let wants_tags = ctx.access.wants_resource_tags(action);
    ctx.authorize(key_check(action, key, wants_tags).with_context(context))
}

/// `action` (`kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey`) on the
/// customer-managed key `key_arn` an SSM or Secrets Manager value is sealed
/// under: its key policy and grants decide as for a KMS call. `facts` is
/// `None` when the key no longer exists (the read or write then fails on
/// it); the caller's policies alone are asked.
pub(crate) fn authorize_value_key(
    ctx: &RequestContext,
    action: &'static str,
    key_arn: &str,
    facts: Option<&KeyAccess>,
) -> Result<(), AwsError> {
    match facts {
        Some(key) => authorize_key(ctx, action, key),
        None => ctx.authorize(Check::new(action, key_arn)),
    }
}

/// Authorizes `action` on the key `key_ref` names, if it names one.
pub(super) async fn check_key(
    kms: &Kms,
    ctx: &RequestContext,
    action: &'static str,
    key_ref: &str,
) -> Result<(), AwsError> {
    match kms.access_facts(&ctx.caller.region, key_ref).await? {
        Some(key) => authorize_key(ctx, action, &key),
        None => Ok(()),
    }
}

/// As [`check_key`], with the request's encryption context.
pub(super) async fn check_key_with_context(
    kms: &Kms,
    ctx: &RequestContext,
    action: &'static str,
    key_ref: &str,
    context: &EncryptionContext,
) -> Result<(), AwsError> {
    match kms.access_facts(&ctx.caller.region, key_ref).await? {
        Some(key) => authorize_key_with_context(ctx, action, &key, context),
        None => Ok(()),
    }
}

/// Authorizes `action` on `alias/NAME` and, with `and_its_key`, on the key
/// it points to now. A name without the `alias/` prefix fails validation
/// in the operation and is not checked.
pub(super) async fn check_alias(
    kms: &Kms,
    ctx: &RequestContext,
    action: &'static str,
    alias: &str,
    and_its_key: bool,
) -> Result<(), AwsError> {
    if !alias.starts_with("alias/") {
        return Ok(());
    }
    let arn = kms.alias_resource_arn(&ctx.caller.region, alias);
    ctx.authorize(Check::new(action, &arn))?;
    if and_its_key && let Some(key) = kms.alias_facts(&ctx.caller.region, alias).await? {
        authorize_key(ctx, action, &key)?;
    }
    Ok(())
}

/// Authorizes `action` on every key a ciphertext operation may use: the
/// key a kinko blob names, whatever `KeyId` says, and the `KeyId` key (an
/// RSA ciphertext names no key, and the named key is the one that opens
/// it). Either may be absent or name nothing; the operation then answers
/// for it.
pub(super) async fn check_ciphertext_keys(
    kms: &Kms,
    ctx: &RequestContext,
    action: &'static str,
    ciphertext_blob: &[u8],
    key_id: Option<&str>,
    context: &EncryptionContext,
) -> Result<(), AwsError> {
    let blob_key = kms
        .ciphertext_facts(&ctx.caller.region, ciphertext_blob)
        .await?;
    if let Some(key) = &blob_key {
        authorize_key_with_context(ctx, action, key, context)?;
    }
    if let Some(key_ref) = key_id
        && let Some(key) = kms.access_facts(&ctx.caller.region, key_ref).await?
        && blob_key.as_ref().is_none_or(|b| b.key_id != key.key_id)
    {
        authorize_key_with_context(ctx, action, &key, context)?;
    }
    Ok(())
}
