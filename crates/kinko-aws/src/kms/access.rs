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
//! | Decrypt | `kms:Decrypt` | the key the ciphertext names |
//! | GenerateDataKey | `kms:GenerateDataKey` | the key |
//! | GenerateDataKeyWithoutPlaintext | `kms:GenerateDataKeyWithoutPlaintext` | the key |
//! | GenerateRandom | `kms:GenerateRandom` | `*` |
//! | TagResource / UntagResource | same-named action | the key |
//! | ListResourceTags | `kms:ListResourceTags` | the key |
//!
//! "The key" is its key ARN, `arn:aws:kms:R:A:key/ID`, whichever of the four
//! forms (key id, key ARN, alias name, alias ARN) named it: an alias is
//! resolved to the key it points to, as AWS authorizes. The alias resource is
//! `arn:aws:kms:R:A:alias/NAME`. Key tags go with the check when a policy
//! has a tag condition. A reference to no key (or a ciphertext that is not
//! ours) is not checked: there is nothing to protect, and the operation
//! answers `NotFoundException` (`InvalidCiphertextException`) itself.

use kinko_core::kms::{KeyAccess, Kms};

use crate::{AwsError, Check, RequestContext};

/// Authorizes `action` on a key, with its tags when a policy needs them.
pub(super) fn authorize_key(
    ctx: &RequestContext,
    action: &'static str,
    key: &KeyAccess,
) -> Result<(), AwsError> {
    let check = Check::new(action, &key.arn);
    if ctx.access.wants_resource_tags(action) {
        ctx.authorize(check.with_tags(&key.tags))
    } else {
        ctx.authorize(check)
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
