//! The change-feed record each mutation hands to the store, which appends
//! it in the mutation's own transaction (see `kinko_store::changes`).
//!
//! Services build records here, from the caller and what they know of the
//! write; the store adds what only it sees at that moment (the version a
//! label landed on, a deleted parameter's type). A record names what
//! changed, never a value.

use kinko_model::ssm::{ParameterName, parameter_arn};
use kinko_store::{Change, ChangeOrigin, ChangeSource};

use crate::Caller;

impl Caller {
    /// Who, where and when, for every change this request makes.
    pub fn change_origin(&self, now_ms: i64) -> ChangeOrigin {
        ChangeOrigin {
            time_ms: now_ms,
            region: self.region.clone(),
            account: self.account_id.clone(),
            actor: self.arn.clone(),
        }
    }

    /// A change this request makes to parameter `name`.
    pub fn parameter_change(&self, now_ms: i64, operation: &str, name: &ParameterName) -> Change {
        Change::new(
            &self.change_origin(now_ms),
            ChangeSource::Ssm,
            operation,
            parameter_arn(&self.region, &self.account_id, name.canonical()),
            name.as_str(),
        )
    }
}

/// The origin of changes no caller asked for (scheduled purges, rotations,
/// the managed keys the server creates): the account's root acts.
pub fn server_origin(account: &str, region: &str, now_ms: i64) -> ChangeOrigin {
    ChangeOrigin {
        time_ms: now_ms,
        region: region.to_owned(),
        account: account.to_owned(),
        actor: format!("arn:aws:iam::{account}:root"),
    }
}

/// A change to an IAM resource (a principal, its policies and keys, an
/// identity provider): global, so no region; the account is the ARN's. The
/// admin API reaches the identity service without its caller, so the
/// account acts (`actor` is the account root).
pub fn iam_change(resource_arn: &str, name: &str, operation: &str) -> Change {
    let account = resource_arn.split(':').nth(4).unwrap_or_default();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    Change::new(
        &server_origin(account, "", now_ms),
        ChangeSource::Iam,
        operation,
        resource_arn.to_owned(),
        name,
    )
}

/// A change for tests that write through the store directly.
#[cfg(test)]
pub(crate) fn test_change() -> Change {
    iam_change("arn:aws:iam::000000000000:user/test", "test", "TestWrite")
}
