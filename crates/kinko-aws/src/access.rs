//! Step 3 of a request: may this caller do this action on this resource?
//!
//! Handlers decode and validate their request, then ask the request's
//! [`Authorizer`] about every (action, resource ARN) the operation touches,
//! before they read or write anything. The server builds one authorizer per
//! request with the caller's policies already loaded, so a check is a
//! synchronous, allocation-light evaluation; it also remembers every
//! decision for the audit record.

use kinko_core::iam::{Access, Denied};

use crate::AwsError;

pub use kinko_core::iam::Check;

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

/// The one concrete [`Access`] (kinko-core's iam module) decides.
impl Authorizer for Access {
    fn wants_resource_tags(&self, action: &str) -> bool {
        Access::wants_resource_tags(self, action)
    }

    fn authorize(&self, check: &Check<'_>) -> Result<(), AwsError> {
        Access::authorize(self, check).map_err(AwsError::from)
    }

    fn permits(&self, check: &Check<'_>) -> bool {
        Access::permits(self, check)
    }
}

/// AWS's `AccessDeniedException` for a denied check. `explicit` says
/// whether a Deny statement decided (AWS words the two cases differently).
pub fn access_denied(caller_arn: &str, check: &Check<'_>, explicit: bool) -> AwsError {
    Denied::new(caller_arn, check, explicit).into()
}

impl From<Denied> for AwsError {
    fn from(denied: Denied) -> Self {
        AwsError::new("AccessDeniedException", denied.to_string())
    }
}
