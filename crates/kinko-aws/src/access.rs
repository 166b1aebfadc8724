//! Step 3 of a request: may this caller do this action on this resource?
//!
//! Handlers decode and validate their request, then ask the request's
//! [`Authorizer`] about every (action, resource ARN) the operation touches,
//! before they read or write anything. The server builds one authorizer per
//! request with the caller's policies already loaded, so a check is a
//! synchronous, allocation-light evaluation; it also remembers every
//! decision for the audit record.

use kinko_model::Tag;
use kinko_model::iam::StsRequest;

use crate::AwsError;

/// One question to the authorizer.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// `service:Operation`, as IAM spells it (`ssm:GetParameter`).
    pub action: &'static str,
    /// The resource ARN, or `*` for operations without one (ListSecrets).
    pub resource: &'a str,
    /// The resource's tags, when the handler loaded them (see
    /// [`Authorizer::wants_resource_tags`]). `None`: the resource has none or
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
}

impl<'a> Check<'a> {
    pub fn new(action: &'static str, resource: &'a str) -> Self {
        Self {
            action,
            resource,
            resource_tags: None,
            resource_policy: None,
            trust: false,
            sts: None,
        }
    }

    /// `action` (`sts:AssumeRole`, `sts:TagSession`, `sts:SetSourceIdentity`)
    /// on a role, decided by its trust policy: the trust policy must allow
    /// the caller; naming only the account also needs an identity-policy
    /// allow. `trust_policy` is `None` for a role that does not exist,
    /// which nothing allows.
    pub fn trust(
        action: &'static str,
        role_arn: &'a str,
        trust_policy: Option<&'a str>,
        sts: &'a StsRequest<'a>,
    ) -> Self {
        Self {
            action,
            resource: role_arn,
            resource_tags: None,
            resource_policy: trust_policy,
            trust: true,
            sts: Some(sts),
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

/// Decides checks for one request's caller.
pub trait Authorizer: Send + Sync {
    /// Whether a policy that could decide `action` for this caller has a
    /// resource-tag condition, so the handler must load the resource's tags
    /// before calling [`Authorizer::authorize`]. Cheap: no I/O.
    fn wants_resource_tags(&self, action: &str) -> bool;

    /// `Ok` when allowed; otherwise AWS's `AccessDeniedException` naming the
    /// caller, the action and the resource (never a value). Every call is
    /// recorded for the audit log, allowed or not.
    fn authorize(&self, check: &Check<'_>) -> Result<(), AwsError>;

    /// Whether `check` would be allowed, without recording it: for list
    /// operations that show a caller only what it may see (kinko's choice
    /// where AWS would answer AccessDenied for the whole list).
    fn permits(&self, check: &Check<'_>) -> bool;
}

/// Allows everything: `--dev` mode and handler unit tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn wants_resource_tags(&self, _action: &str) -> bool {
        false
    }

    fn authorize(&self, _check: &Check<'_>) -> Result<(), AwsError> {
        Ok(())
    }

    fn permits(&self, _check: &Check<'_>) -> bool {
        true
    }
}

/// AWS's `AccessDeniedException` for a denied check. `explicit` says
/// whether a Deny statement decided (AWS words the two cases differently).
pub fn access_denied(caller_arn: &str, check: &Check<'_>, explicit: bool) -> AwsError {
    let why = if explicit {
        "with an explicit deny in a policy"
    } else {
        "because no policy allows the action"
    };
    AwsError::new(
        "AccessDeniedException",
        format!(
            "User: {caller_arn} is not authorized to perform: {} on resource: {} {why}",
            check.action, check.resource
        ),
    )
}
