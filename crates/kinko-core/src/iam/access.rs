//! [`Access`]: what one request's caller may do, decided in one place.
//!
//! One is built per request, after authentication, with the caller's
//! principal and parsed policies (cached by `Identity`) and the request's
//! condition facts (source address, TLS, time), so each check is a
//! synchronous evaluation. Every `authorize` is remembered for the
//! request's audit record. `kinko policy simulate` asks the same
//! evaluation with facts it is given ([`Access::simulating`]).

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use kinko_model::audit::{ResourceDecision, Verdict};
use kinko_model::iam::{self, Context, Outcome, Policies};
use kinko_model::principals::PrincipalKind;

use super::resource_policies::{ResourcePolicies, StoredPolicy, UNREADABLE_RESOURCE_POLICY};
use super::{Check, Denied};
use crate::kms::grants;
use crate::principals::{PrincipalAccess, SessionAccess};

/// The name a KMS grant is reported under when it decides (its `Sid` is
/// the grant id).
pub const GRANT_POLICY_NAME: &str = "grant";

/// The request's condition facts.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts {
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub time: jiff::Timestamp,
}

/// Decides checks for one request's caller.
pub struct Access {
    /// The caller as it signed (a user, or a role session's ARN).
    caller_arn: String,
    rules: Rules,
    decisions: Mutex<Vec<ResourceDecision>>,
}

/// What decides a check.
enum Rules {
    /// Everything is allowed and nothing recorded: `--dev`, handler tests.
    Unrestricted,
    /// The caller's policies, as IAM evaluates them.
    Policies(CallerPolicies),
    /// A test's own rules (see [`Script`]).
    #[cfg(feature = "test-util")]
    Scripted(Arc<dyn Script>),
}

/// Rules a test decides checks by, so handler tests can deny one
/// (action, resource) and see every check a handler made, with the tags
/// and policy it carried. Only with the `test-util` feature.
#[cfg(feature = "test-util")]
pub trait Script: Send + Sync {
    /// As [`Access::wants_resource_tags`].
    fn wants_resource_tags(&self, action: &str) -> bool;
    /// Whether `check` is allowed. `recorded`: asked by
    /// [`Access::authorize`] (`false`: by [`Access::permits`]).
    fn allows(&self, check: &Check<'_>, recorded: bool) -> bool;
}

/// What a policy-bound caller's checks are evaluated with.
struct CallerPolicies {
    /// `None` when the principal was deleted while its key or session was
    /// still cached: nothing is allowed.
    principal: Option<Arc<PrincipalAccess>>,
    /// A role session: its tags, source identity and session policies.
    session: Option<Arc<SessionAccess>>,
    account_id: String,
    facts: RequestFacts,
    /// Context keys beyond the facts (`kinko policy simulate`, and a web
    /// identity token's claims).
    extra: Vec<(String, String)>,
    resource_policies: Arc<ResourcePolicies>,
    /// The caller is an identity provider's user (AssumeRoleWithWebIdentity):
    /// no principal of kinko's, no identity policies; only a trust policy
    /// naming the provider can allow it.
    web_identity: bool,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("caller_arn", &self.caller_arn)
            .field("unrestricted", &matches!(self.rules, Rules::Unrestricted))
            .finish_non_exhaustive()
    }
}

impl Access {
    /// A caller bound by its policies. For a role session, `principal` is
    /// `session`'s role.
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
            rules: Rules::Policies(CallerPolicies {
                principal,
                session,
                account_id,
                facts,
                extra: Vec::new(),
                resource_policies,
                web_identity: false,
            }),
            decisions: Mutex::new(Vec::new()),
        }
    }

    /// The caller of AssumeRoleWithWebIdentity: a user of the OIDC provider
    /// `provider_arn` (its ARN is the caller's, which a trust policy's
    /// `Federated` principal names), with the token's claims as condition
    /// keys (`extra`, lower-cased names: `HOST:aud`, `HOST:sub`, …).
    pub fn web_identity(
        provider_arn: String,
        account_id: String,
        facts: RequestFacts,
        claims: Vec<(String, String)>,
        resource_policies: Arc<ResourcePolicies>,
    ) -> Self {
        Self {
            caller_arn: provider_arn,
            rules: Rules::Policies(CallerPolicies {
                principal: None,
                session: None,
                account_id,
                facts,
                extra: claims,
                resource_policies,
                web_identity: true,
            }),
            decisions: Mutex::new(Vec::new()),
        }
    }

    /// `principal`'s checks as a request with `facts` and the `extra`
    /// context keys (lower-cased names) would get them: what
    /// `kinko policy simulate` asks, through [`Access::explain`].
    pub fn simulating(
        principal: Arc<PrincipalAccess>,
        account_id: String,
        facts: RequestFacts,
        extra: Vec<(String, String)>,
    ) -> Self {
        Self {
            caller_arn: principal.principal.arn.clone(),
            rules: Rules::Policies(CallerPolicies {
                principal: Some(principal),
                session: None,
                account_id,
                facts,
                extra,
                resource_policies: Arc::new(ResourcePolicies::default()),
                web_identity: false,
            }),
            decisions: Mutex::new(Vec::new()),
        }
    }

    /// A caller whose checks `script` decides; they are recorded as a
    /// policy-bound caller's are.
    #[cfg(feature = "test-util")]
    pub fn scripted(caller_arn: impl Into<String>, script: Arc<dyn Script>) -> Self {
        Self {
            caller_arn: caller_arn.into(),
            rules: Rules::Scripted(script),
            decisions: Mutex::new(Vec::new()),
        }
    }

    /// A caller allowed everything, whose checks are not recorded: `--dev`
    /// mode (any credentials) and handler tests.
    pub fn unrestricted(caller_arn: impl Into<String>) -> Self {
        Self {
            caller_arn: caller_arn.into(),
            rules: Rules::Unrestricted,
            decisions: Mutex::new(Vec::new()),
        }
    }

    /// The caller as it signed.
    pub fn caller_arn(&self) -> &str {
        &self.caller_arn
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

    /// Whether a policy that could decide `action` for this caller has a
    /// resource-tag condition, so the handler must load the resource's tags
    /// before calling [`Access::authorize`]. Cheap: no I/O.
    pub fn wants_resource_tags(&self, action: &str) -> bool {
        let policies = match &self.rules {
            Rules::Unrestricted => return false,
            Rules::Policies(policies) => policies,
            #[cfg(feature = "test-util")]
            Rules::Scripted(script) => return script.wants_resource_tags(action),
        };
        let by_identity = policies.principal.as_ref().is_some_and(|access| {
            access
                .policies
                .iter()
                .any(|(_, policy)| policy.needs_resource_tags(action))
        });
        let by_session = policies.session.as_ref().is_some_and(|session| {
            session.session_policies().is_some_and(|policies| {
                policies
                    .iter()
                    .any(|(_, policy)| policy.needs_resource_tags(action))
            })
        });
        by_identity || by_session
    }

    /// `Ok` when allowed; otherwise a [`Denied`] naming the caller, the
    /// action and the resource. Every call is recorded for the audit log,
    /// allowed or not (an unrestricted caller's are not).
    pub fn authorize(&self, check: &Check<'_>) -> Result<(), Denied> {
        if matches!(self.rules, Rules::Unrestricted) {
            return Ok(());
        }
        let (decision, reason) = self.decide(check, true);
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
            Err(Denied::new(
                &self.caller_arn,
                check,
                decision.outcome == Outcome::ExplicitDeny,
            ))
        }
    }

    /// Whether `check` would be allowed, without recording it: for list
    /// operations that show a caller only what it may see (kinko's choice
    /// where AWS would answer AccessDenied for the whole list).
    pub fn permits(&self, check: &Check<'_>) -> bool {
        self.decide(check, false).0.allowed()
    }

    /// The decision `check` would get and, when it was made without
    /// evaluating (a policy that does not parse), why; not recorded.
    pub fn explain(&self, check: &Check<'_>) -> (iam::Decision, Option<String>) {
        self.decide(check, false)
    }

    #[cfg_attr(not(feature = "test-util"), allow(unused_variables))]
    fn decide(&self, check: &Check<'_>, recorded: bool) -> (iam::Decision, Option<String>) {
        let outcome = |outcome| iam::Decision {
            outcome,
            statement: None,
        };
        match &self.rules {
            Rules::Unrestricted => (outcome(Outcome::Allow), None),
            Rules::Policies(policies) => policies.decide(&self.caller_arn, check),
            #[cfg(feature = "test-util")]
            Rules::Scripted(script) => {
                let allowed = script.allows(check, recorded);
                let verdict = if allowed {
                    Outcome::Allow
                } else {
                    Outcome::ImplicitDeny
                };
                (outcome(verdict), None)
            }
        }
    }
}

impl CallerPolicies {
    /// A web identity's check: no identity policies, so only a resource
    /// (trust) policy naming the provider allows.
    fn decide_web_identity(
        &self,
        caller_arn: &str,
        check: &Check<'_>,
        resource_policy: Option<&kinko_model::iam::Policy>,
    ) -> iam::Decision {
        let context = Context {
            account_id: &self.account_id,
            principal_arn: caller_arn,
            caller_arn,
            username: None,
            principal_tags: &[],
            resource_tags: check.resource_tags,
            source_ip: self.facts.source_ip,
            current_time: self.facts.time,
            secure_transport: self.facts.secure_transport,
            source_identity: None,
            sts: check.sts,
            extra: &self.extra,
        };
        let policies = if check.trust {
            Policies::trust(&[], resource_policy)
        } else {
            Policies::new(&[], resource_policy)
        };
        iam::decide(
            &policies,
            &iam::Request {
                action: check.action,
                resource: check.resource,
                context: &context,
            },
        )
    }

    /// The decision, and why it was made without evaluating (a policy
    /// that could not be read denies).
    fn decide(&self, caller_arn: &str, check: &Check<'_>) -> (iam::Decision, Option<String>) {
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
            if self.web_identity {
                return (
                    self.decide_web_identity(caller_arn, check, resource_policy.as_deref()),
                    None,
                );
            }
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
            caller_arn,
            username: (principal.kind == PrincipalKind::User).then_some(principal.name.as_str()),
            principal_tags,
            resource_tags: check.resource_tags,
            source_ip: self.facts.source_ip,
            current_time: self.facts.time,
            secure_transport: self.facts.secure_transport,
            source_identity,
            sts: check.sts,
            extra: &self.extra,
        };
        let identity = access.policy_refs();
        let policies = if check.trust {
            Policies::trust(&identity, resource_policy.as_deref())
        } else if check.key_policy {
            Policies::key(&identity, resource_policy.as_deref())
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
        // A grant adds to what the policies allow; it never lifts a Deny.
        if decision.outcome == Outcome::ImplicitDeny
            && let Some((index, grant)) = grants::allowing(
                check.grants,
                &[caller_arn, principal.arn.as_str()],
                check.action,
                check.encryption_context,
                check.requested_grant,
            )
        {
            let decision = iam::Decision {
                outcome: Outcome::Allow,
                statement: Some(iam::StatementRef {
                    policy: GRANT_POLICY_NAME.to_owned(),
                    index,
                    sid: Some(grant.grant_id.clone()),
                }),
            };
            return (decision, None);
        }
        (decision, None)
    }
}
