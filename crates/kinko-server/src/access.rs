//! Step 3 of a request: the [`Authorizer`] a request's handlers ask.
//!
//! One [`RequestAccess`] is built per request with the caller's principal
//! and parsed policies (cached by `Identity`) and the request's condition
//! facts (source address, TLS, time), so each check is a synchronous
//! evaluation. Every check is remembered for the request's audit record.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use kinko_aws::access::access_denied;
use kinko_aws::{AwsError, Check};
use kinko_core::principals::{PrincipalAccess, SessionAccess};
use kinko_model::audit::{ResourceDecision, Verdict};
use kinko_model::iam::{self, Context, Outcome, Policies, Policy};
use kinko_model::principals::PrincipalKind;

/// Resource policies (Secrets Manager's, role trust policies) parsed once
/// per distinct text. Bounded: cleared when it grows past [`Self::MAX`].
#[derive(Default)]
pub struct ResourcePolicies {
    parsed: Mutex<HashMap<String, StoredPolicy>>,
}

/// A stored resource policy as the evaluator sees it.
#[derive(Clone)]
enum StoredPolicy {
    Parsed(Arc<Policy>),
    /// The stored text does not parse (it was validated when stored, so it
    /// was edited in the database or written by another version). It
    /// denies: it may have held a Deny, and ignoring it would widen access.
    Unreadable,
}

impl ResourcePolicies {
    const MAX: usize = 4096;

    fn get(&self, text: &str) -> StoredPolicy {
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = parsed.get(text) {
            return found.clone();
        }
        let policy = match Policy::parse_resource(text) {
            Ok(p) => StoredPolicy::Parsed(Arc::new(p)),
            Err(error) => {
                tracing::error!(%error, "a stored resource policy does not parse; it denies every request it applies to");
                StoredPolicy::Unreadable
            }
        };
        if parsed.len() >= Self::MAX {
            parsed.clear();
        }
        parsed.insert(text.to_owned(), policy.clone());
        policy
    }
}

/// What the audit record says when a policy could not be read.
const UNREADABLE_RESOURCE_POLICY: &str =
    "the resource's stored policy does not parse; denied (fail closed)";

/// The request's condition facts.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts {
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub time: jiff::Timestamp,
}

pub struct RequestAccess {
    /// The caller as it signed (a user, or a role session's ARN).
    caller_arn: String,
    /// `None` when the principal was deleted while its key or session was
    /// still cached: nothing is allowed.
    principal: Option<Arc<PrincipalAccess>>,
    /// A role session: its tags, source identity and session policies.
    session: Option<Arc<SessionAccess>>,
    account_id: String,
    facts: RequestFacts,
    resource_policies: Arc<ResourcePolicies>,
    decisions: Mutex<Vec<ResourceDecision>>,
}

impl RequestAccess {
    /// For a role session, `principal` is `session`'s role.
    pub fn new(
        caller_arn: String,
        principal: Option<Arc<PrincipalAccess>>,
        session: Option<Arc<SessionAccess>>,
        account_id: String,
        facts: RequestFacts,
        resource_policies: Arc<ResourcePolicies>,
    ) -> Self {
        Self {
            caller_arn,
            principal,
            session,
            account_id,
            facts,
            resource_policies,
            decisions: Mutex::new(Vec::new()),
        }
    }

    /// The checks made so far, for the audit record.
    pub fn take_decisions(&self) -> Vec<ResourceDecision> {
        std::mem::take(
            &mut *self
                .decisions
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The decision, and why it was made without evaluating (a policy
    /// that could not be read denies).
    fn decide(&self, check: &Check<'_>) -> (iam::Decision, Option<String>) {
        let denied = |reason: String| {
            let decision = iam::Decision {
                outcome: Outcome::ExplicitDeny,
                statement: None,
            };
            (decision, Some(reason))
        };
        let resource_policy = match check
            .resource_policy
            .map(|text| self.resource_policies.get(text))
        {
            None => None,
            Some(StoredPolicy::Parsed(policy)) => Some(policy),
            Some(StoredPolicy::Unreadable) => {
                return denied(UNREADABLE_RESOURCE_POLICY.to_owned());
            }
        };
        let Some(access) = &self.principal else {
            let decision = iam::Decision {
                outcome: Outcome::ImplicitDeny,
                statement: None,
            };
            return (decision, None);
        };
        if let Some(name) = access.unreadable.first() {
            return denied(format!(
                "the caller's stored policy {name} does not parse; denied (fail closed)"
            ));
        }
        if let Some(name) = self.session.as_ref().and_then(|s| s.unreadable.as_ref()) {
            return denied(format!(
                "the session policy {name} does not parse; denied (fail closed)"
            ));
        }
        let principal = &access.principal;
        // A session's tags override its role's; its session policies narrow it.
        let (principal_tags, source_identity, session_policies) = match &self.session {
            Some(session) => (
                session.principal_tags.as_slice(),
                session.claims.source_identity.as_deref(),
                session.session_policies(),
            ),
            None => (principal.tags.as_slice(), None, None),
        };
        let context = Context {
            account_id: &self.account_id,
            principal_arn: &principal.arn,
            caller_arn: &self.caller_arn,
            username: (principal.kind == PrincipalKind::User).then_some(principal.name.as_str()),
            principal_tags,
            resource_tags: check.resource_tags,
            source_ip: self.facts.source_ip,
            current_time: self.facts.time,
            secure_transport: self.facts.secure_transport,
            source_identity,
            sts: check.sts,
            extra: &[],
        };
        let identity = access.policy_refs();
        let policies = if check.trust {
            Policies::trust(&identity, resource_policy.as_deref())
        } else {
            Policies::new(&identity, resource_policy.as_deref())
        };
        let decision = iam::decide(
            &policies.with_session(session_policies.as_deref()),
            &iam::Request {
                action: check.action,
                resource: check.resource,
                context: &context,
            },
        );
        (decision, None)
    }
}

impl kinko_aws::Authorizer for RequestAccess {
    fn wants_resource_tags(&self, action: &str) -> bool {
        let by_identity = self.principal.as_ref().is_some_and(|access| {
            access
                .policies
                .iter()
                .any(|(_, policy)| policy.needs_resource_tags(action))
        });
        let by_session = self.session.as_ref().is_some_and(|session| {
            session.session_policies().is_some_and(|policies| {
                policies
                    .iter()
                    .any(|(_, policy)| policy.needs_resource_tags(action))
            })
        });
        by_identity || by_session
    }

    fn authorize(&self, check: &Check<'_>) -> Result<(), AwsError> {
        let (decision, reason) = self.decide(check);
        let allowed = decision.allowed();
        self.decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ResourceDecision {
                action: check.action.to_owned(),
                resource: check.resource.to_owned(),
                decision: if allowed {
                    Verdict::Allow
                } else {
                    Verdict::Deny
                },
                statement: decision.statement.as_ref().map(ToString::to_string),
                reason,
            });
        if allowed {
            Ok(())
        } else {
            Err(access_denied(
                &self.caller_arn,
                check,
                decision.outcome == Outcome::ExplicitDeny,
            ))
        }
    }

    fn permits(&self, check: &Check<'_>) -> bool {
        self.decide(check).0.allowed()
    }
}
