//! ReplicateKey and UpdatePrimaryRegion: model constraints, the checks AWS
//! documents under "Required permissions", and the calls into core.
//!
//! - ReplicateKey: `kms:ReplicateKey` on the primary key (its policy and
//!   grants decide, as for any key operation), then `kms:CreateKey` on `*`
//!   for the replica, and `kms:TagResource` on `*` when `Tags` are sent (AWS
//!   asks those in the replica Region's IAM policy; kinko's policies are one
//!   account-wide set, so `*` is what they match). A `Policy` gets the
//!   lockout safety check unless `BypassPolicyLockoutSafetyCheck`.
//! - UpdatePrimaryRegion: `kms:UpdatePrimaryRegion` on the current primary
//!   and on the replica that becomes primary (each under its own key policy).

use kinko_core::kms::Kms;
use kinko_core::kms::multi_region::ReplicateKeyInput;

use super::super::access::{authorize_key, check_key};
use super::super::multi_region_shapes::*;
use super::super::permissions;
use super::super::shapes::TagOut;
use super::{check_key_id, check_tag_list, empty, encode, finish, present};
use crate::wire::{Violations, parse_body};
use crate::{AwsError, Check, RequestContext};

const REGION_PATTERN: &str = r"^([a-z]+-){2,3}\d+$";

/// `RegionType`: 1–32 characters of `^([a-z]+-){2,3}\d+$`.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (last, words) = match parts.split_last() {
        Some(split) => split,
        None => return false,
    };
    (2..=3).contains(&words.len())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|c| c.is_ascii_digit())
}

fn check_region<'a>(
    v: &mut Violations,
    region: &'a Option<String>,
    path: &str,
) -> Option<&'a String> {
    let r = v.required(region, path)?;
    v.length(r, path, 1, 32);
    v.pattern(r, path, is_region(r), REGION_PATTERN);
    Some(r)
}

pub(super) async fn replicate_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ReplicateKeyRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    check_region(&mut v, &req.replica_region, "replicaRegion");
    v.opt_length(&req.policy, "policy", 1, 131_072);
    v.opt_length(&req.description, "description", 0, 8192);
    let tags = check_tag_list(&mut v, req.tags.as_deref().unwrap_or_default());
    finish(v)?;
    let key_id = present(req.key_id)?;
    let replica_region = present(req.replica_region)?;
    check_key(kms, ctx, "kms:ReplicateKey", &key_id).await?;
    ctx.authorize(Check::new("kms:CreateKey", "*"))?;
    if !tags.is_empty() {
        ctx.authorize(Check::new("kms:TagResource", "*"))?;
    }
    if let Some(policy) = &req.policy {
        permissions::check_new_key_lockout(ctx, policy, req.bypass_policy_lockout_safety_check)?;
    }
    let out = kms
        .replicate_key(
            &ctx.caller.region,
            ReplicateKeyInput {
                key_id,
                replica_region,
                policy: req.policy,
                description: req.description,
                tags,
            },
        )
        .await?;
    encode(&ReplicateKeyResponse {
        replica_key_metadata: (&out.replica_key_metadata).into(),
        replica_policy: &out.replica_policy,
        replica_tags: out
            .replica_tags
            .iter()
            .map(|t| TagOut {
                tag_key: &t.key,
                tag_value: &t.value,
            })
            .collect(),
    })
}

pub(super) async fn update_primary_region(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: UpdatePrimaryRegionRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    check_region(&mut v, &req.primary_region, "primaryRegion");
    finish(v)?;
    let key_id = present(req.key_id)?;
    let primary_region = present(req.primary_region)?;
    let Some(primary) = kms.access_facts(&ctx.caller.region, &key_id).await? else {
        // Names no key: the operation answers NotFoundException.
        kms.update_primary_region(&ctx.caller.region, &key_id, &primary_region)
            .await?;
        return empty();
    };
    authorize_key(ctx, "kms:UpdatePrimaryRegion", &primary)?;
    if primary_region != ctx.caller.region
        && let Some(replica) = kms.access_facts(&primary_region, &primary.key_id).await?
    {
        authorize_key(ctx, "kms:UpdatePrimaryRegion", &replica)?;
    }
    kms.update_primary_region(&ctx.caller.region, &key_id, &primary_region)
        .await?;
    empty()
}

#[cfg(test)]
mod tests {
    use super::is_region;

    #[test]
    fn region_pattern_is_the_models() {
        for ok in [
            "us-east-1",
            "eu-west-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-10",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "useast1",
            "us--1",
            "US-east-1",
            "a-b-c-d-1",
            "us-east-1a",
            "-us-east-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
