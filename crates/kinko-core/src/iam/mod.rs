//! Step 3 of a request: may this caller do this action on this resource?
//!
//! Handlers decode and validate their request, then ask the request's
//! [`Access`] about every (action, resource ARN) the operation touches,
//! before they read or write anything. The server builds one [`Access`] per
//! request with the caller's policies already loaded, so a check is a
//! synchronous, allocation-light evaluation; it also remembers every
//! decision for the audit record. Authorization is decided here and only
//! here: the wire crate maps a [`Denied`] onto AWS's error.

mod access;
mod resource_policies;

#[cfg(feature = "test-util")]
pub use access::Script;
pub use access::{Access, RequestFacts};
pub use resource_policies::ResourcePolicies;

use kinko_model::Tag;
use kinko_model::iam::StsRequest;

use crate::kms::{EncryptionContext, StoredGrant};

/// One question to [`Access`].
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// `service:Operation`, as IAM spells it (`ssm:GetParameter`).
    pub action: &'a str,
    /// The resource ARN, or `*` for operations without one (ListSecrets).
    pub resource: &'a str,
    /// The resource's tags, when the handler loaded them (see
    /// [`Access::wants_resource_tags`]). `None`: the resource has none or
    /// they were not needed.
    pub resource_tags: Option<&'a [Tag]>,
    /// A resource policy (Secrets Manager's, a role's trust policy), as
    /// stored: JSON text.
    pub resource_policy: Option<&'a str>,
    /// The resource policy is a role's trust policy, which must allow the
    /// caller itself (see [`Check::trust`]).
    pub trust: bool,
    /// The AssumeRole being decided: its `sts:` and request-tag keys.
    pub sts: Option<&'a StsRequest<'a>>,
    /// The resource policy is a KMS key policy, which must allow the
    /// caller or delegate to the account (see [`Check::key`]).
    pub key_policy: bool,
    /// A KMS key's grants: one naming the caller as grantee (or, for
    /// `kms:RetireGrant`, as retiring principal) may allow what the
    /// policies do not.
    pub grants: &'a [StoredGrant],
    /// The request's encryption context, which grant constraints are
    /// checked against (`None`: the operation takes none).
    pub encryption_context: Option<&'a EncryptionContext>,
    /// CreateGrant authorized by a grant: the operations and constraints
    /// of the grant asked for, which may be no wider than the grant's.
    pub requested_grant: Option<&'a StoredGrant>,
}

impl<'a> Check<'a> {
    pub fn new(action: &'a str, resource: &'a str) -> Self {
        Self {
            action,
            resource,
            resource_tags: None,
            resource_policy: None,
            trust: false,
            sts: None,
            key_policy: false,
            grants: &[],
            encryption_context: None,
            requested_grant: None,
        }
    }

    /// `action` on a KMS key, decided as KMS does (developer guide, "Key
    /// policies" and "Grants"): an explicit Deny anywhere wins; otherwise
    /// the key policy must allow the caller itself, or name the account
    /// (delegating to the caller's identity policies, which must allow
    /// too), or one of the key's `grants` must allow. `key_policy` is the
    /// key's policy text (the default one when none was set).
    pub fn key(
        action: &'a str,
        key_arn: &'a str,
        key_policy: &'a str,
        grants: &'a [StoredGrant],
    ) -> Self {
        Self {
            resource_policy: Some(key_policy),
            key_policy: true,
            grants,
            ..Self::new(action, key_arn)
        }
    }

    /// The request's encryption context, for grant constraints.
    pub fn with_context(mut self, context: &'a EncryptionContext) -> Self {
        self.encryption_context = Some(context);
        self
    }

    /// `action` (`sts:AssumeRole`, `sts:TagSession`, `sts:SetSourceIdentity`)
    /// on a role, decided by its trust policy: the trust policy must allow
    /// the caller; naming only the account also needs an identity-policy
    /// allow. `trust_policy` is `None` for a role that does not exist,
    /// which nothing allows.
    pub fn trust(
        action: &'a str,
        role_arn: &'a str,
        trust_policy: Option<&'a str>,
        sts: &'a StsRequest<'a>,
    ) -> Self {
        Self {
            resource_policy: trust_policy,
            trust: true,
            sts: Some(sts),
            ..Self::new(action, role_arn)
        }
    }

    pub fn with_tags(mut self, tags: &'a [Tag]) -> Self {
        self.resource_tags = Some(tags);
        self
    }

    pub fn with_policy(mut self, policy: Option<&'a str>) -> Self {
        self.resource_policy = policy;
        self
    }
}

/// A denied check: names the caller, the action and the resource (never a
/// value). `explicit` says whether a Deny statement decided (AWS words the
/// two cases differently).
/// A KMS key check denied for want of an allow says so as KMS does:
/// `because no resource-based policy allows the kms:Encrypt action`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "User: {caller_arn} is not authorized to perform: {action} on resource: {resource} {}",
    match (*.explicit, *.key_policy) {
        (true, _) => "with an explicit deny in a policy".to_owned(),
        (false, true) => format!("because no resource-based policy allows the {action} action"),
        (false, false) => "because no policy allows the action".to_owned(),
    }
)]
pub struct Denied {
    pub caller_arn: String,
    pub action: String,
    pub resource: String,
    pub explicit: bool,
    /// Decided with a KMS key policy.
    pub key_policy: bool,
}

impl Denied {
    pub fn new(caller_arn: &str, check: &Check<'_>, explicit: bool) -> Self {
        Self {
            caller_arn: caller_arn.to_owned(),
            action: check.action.to_owned(),
            resource: check.resource.to_owned(),
            explicit,
            key_policy: check.key_policy,
        }
    }
}

#[cfg(test)]
mod tests;
