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

tokio::task_local! {
    /// The ARN of the caller whose request is running, for the services
    /// that are not handed their caller (KMS and IAM operations take a
    /// region or nothing): set once per request by the API layer.
    static ACTOR: String;
}

/// Runs `request` with `actor` as the actor of every change it makes,
/// including those of services that do not take the caller.
pub async fn acting_as<F: std::future::Future>(actor: String, request: F) -> F::Output {
    ACTOR.scope(actor, request).await
}

/// The origin of changes made without a caller in hand: the request's
/// caller when one is running ([`acting_as`]); otherwise (scheduled
/// purges, rotations, policy actions) the account's root acts.
pub fn server_origin(account: &str, region: &str, now_ms: i64) -> ChangeOrigin {
    let actor = ACTOR
        .try_with(Clone::clone)
        .unwrap_or_else(|_| format!("arn:aws:iam::{account}:root"));
    ChangeOrigin {
        time_ms: now_ms,
        region: region.to_owned(),
        account: account.to_owned(),
        actor,
    }
}

/// A change to an IAM resource (a principal, its policies and keys, an
/// identity provider): global, so no region; the account is the ARN's.
/// The actor is the request's caller ([`acting_as`]), or the account root.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_s_caller_acts_and_the_root_acts_outside_one() {
        let outside = server_origin("123456789012", "us-east-1", 0);
        assert_eq!(outside.actor, "arn:aws:iam::123456789012:root");
        let alice = "arn:aws:iam::123456789012:user/alice".to_owned();
        let inside = acting_as(alice.clone(), async {
            iam_change(
                "arn:aws:iam::123456789012:user/bob",
                "bob",
                "CreatePrincipal",
            )
        })
        .await;
        assert_eq!(inside.actor, alice);
    }
}
