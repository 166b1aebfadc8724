//! AWS's policy evaluation within one account ("Policy evaluation logic",
//! IAM User Guide): an explicit Deny in any applicable policy wins; else an
//! Allow in an identity policy, or in the resource policy for a principal it
//! names, allows — narrowed by a role session's session policies; else the
//! request is implicitly denied. A role's trust policy is the exception:
//! it must allow the caller itself ([`Policies::resource_must_allow`]).

use super::policy::{Effect, PrincipalEntry, Principals, Statement};
use super::{Context, Decision, Outcome, Policy, Request, StatementRef};

/// The policy name resource-policy statements are reported under.
pub const RESOURCE_POLICY_NAME: &str = "resource-policy";

/// The name a role's trust policy statements are reported under.
pub const TRUST_POLICY_NAME: &str = "trust-policy";

/// The name a KMS key policy's statements are reported under.
pub const KEY_POLICY_NAME: &str = "key-policy";

/// Every policy that applies to one request.
#[derive(Debug, Clone, Copy)]
pub struct Policies<'a> {
    /// The caller's identity policies (for a role session: the role's), as
    /// (policy name, policy).
    pub identity: &'a [(&'a str, &'a Policy)],
    /// A role session's session policies (AssumeRole's `Policy` and
    /// `PolicyArns`), as (name, policy). `None`: the session has none, so
    /// nothing narrows it; `Some(&[])`: it had some that no longer exist, so
    /// nothing is allowed.
    pub session: Option<&'a [(&'a str, &'a Policy)]>,
    /// The resource's policy (a Secrets Manager resource policy, a role's
    /// trust policy).
    pub resource: Option<&'a Policy>,
    /// The name the resource policy's statements are reported under.
    pub resource_name: &'a str,
    /// The resource policy must itself allow the caller, as a role trust
    /// policy must ("IAM role trust policies and KMS key policies are
    /// exceptions to this logic, because they must explicitly allow access
    /// for principals"). Naming the account then delegates to the identity
    /// policies, which must also allow; naming the caller is enough alone.
    pub resource_must_allow: bool,
}

impl<'a> Policies<'a> {
    /// Identity policies and, optionally, a resource policy: the ordinary case.
    pub fn new(identity: &'a [(&'a str, &'a Policy)], resource: Option<&'a Policy>) -> Self {
        Policies {
            identity,
            session: None,
            resource,
            resource_name: RESOURCE_POLICY_NAME,
            resource_must_allow: false,
        }
    }

    /// A role's trust policy deciding `sts:AssumeRole` (or `sts:TagSession`,
    /// `sts:SetSourceIdentity`) for the caller's `identity` policies.
    pub fn trust(identity: &'a [(&'a str, &'a Policy)], trust: Option<&'a Policy>) -> Self {
        Policies {
            identity,
            session: None,
            resource: trust,
            resource_name: TRUST_POLICY_NAME,
            resource_must_allow: true,
        }
    }

    /// A KMS key's policy deciding a `kms:` action on the key: like a trust
    /// policy it must allow the caller itself, or name the account and so
    /// delegate to the identity policies (KMS developer guide, "Default key
    /// policy"; IAM "policy-eval-denyallow"). Without a key policy nothing
    /// is allowed.
    pub fn key(identity: &'a [(&'a str, &'a Policy)], key_policy: Option<&'a Policy>) -> Self {
        Policies {
            identity,
            session: None,
            resource: key_policy,
            resource_name: KEY_POLICY_NAME,
            resource_must_allow: true,
        }
    }

    /// The same policies, narrowed by a role session's session policies.
    pub fn with_session(mut self, session: Option<&'a [(&'a str, &'a Policy)]>) -> Self {
        self.session = session;
        self
    }
}

/// AWS's evaluation within one account: an explicit Deny in any policy wins;
/// otherwise Allow when an identity statement allows, or a resource-policy
/// statement allows and its Principal names the caller; otherwise implicit
/// deny. `identity` = (policy name, policy). `resource` = the resource's
/// policy.
pub fn evaluate(
    identity: &[(&str, &Policy)],
    resource: Option<&Policy>,
    request: &Request<'_>,
) -> Decision {
    decide(&Policies::new(identity, resource), request)
}

/// The whole decision, with session policies and trust policies:
///
/// 1. a Deny that applies in any identity, session or resource policy (the
///    last only when its Principal names the caller or its account) wins;
/// 2. a resource-policy Allow naming the caller's own ARN (a user, or the
///    role session's ARN) allows alone: session policies do not limit it;
/// 3. an identity Allow, or a resource-policy Allow naming the caller's role
///    or everyone, allows when the session policies (if any) allow too;
/// 4. for a trust policy, an identity Allow counts only when the trust
///    policy allows the caller's account, and not when a role assumes
///    itself (that needs the trust policy to name it, AWS's 2022 rule);
/// 5. otherwise the request is implicitly denied.
///
/// The first deciding statement is reported: the first Deny that applies;
/// else for a trust policy its Allow (or, when it delegates to the account,
/// the identity Allow), and otherwise the identity Allow before the
/// resource policy's. Nothing is allocated until the decision is built.
pub fn decide(policies: &Policies<'_>, request: &Request<'_>) -> Decision {
    let mut identity_allow: Option<(&str, usize, &Statement)> = None;
    for (name, policy) in policies.identity {
        for (index, statement) in policy.statements.iter().enumerate() {
            match statement.effect {
                Effect::Deny if statement.applies(request) => {
                    return decision(Outcome::ExplicitDeny, name, index, statement);
                }
                // Once an Allow is found, later Allows need no evaluation.
                Effect::Allow if identity_allow.is_none() && statement.applies(request) => {
                    identity_allow = Some((name, index, statement));
                }
                _ => {}
            }
        }
    }
    let mut session_allows = policies.session.is_none();
    for (name, policy) in policies.session.unwrap_or_default() {
        for (index, statement) in policy.statements.iter().enumerate() {
            match statement.effect {
                Effect::Deny if statement.applies(request) => {
                    return decision(Outcome::ExplicitDeny, name, index, statement);
                }
                Effect::Allow if !session_allows && statement.applies(request) => {
                    session_allows = true;
                }
                _ => {}
            }
        }
    }
    // The first applying Allow of the resource policy, per how it names the caller.
    let mut resource_allow: [Option<(usize, &Statement)>; 3] = [None, None, None];
    if let Some(policy) = policies.resource {
        for (index, statement) in policy.statements.iter().enumerate() {
            let naming = statement
                .principals
                .as_ref()
                .map_or(Naming::No, |principals| names(principals, request.context));
            match (statement.effect, naming.slot()) {
                // For a Deny, naming the caller's account is naming the caller.
                (Effect::Deny, Some(_)) if statement.applies(request) => {
                    return decision(
                        Outcome::ExplicitDeny,
                        policies.resource_name,
                        index,
                        statement,
                    );
                }
                (Effect::Allow, Some(slot))
                    if resource_allow[slot].is_none() && statement.applies(request) =>
                {
                    resource_allow[slot] = Some((index, statement));
                }
                _ => {}
            }
        }
    }
    let [by_caller, by_principal, by_account] = resource_allow;
    let resource = |(index, statement): (usize, &Statement)| {
        decision(Outcome::Allow, policies.resource_name, index, statement)
    };
    let identity = identity_allow
        .filter(|_| session_allows)
        .map(|(name, index, statement)| decision(Outcome::Allow, name, index, statement));
    let allowed = if policies.resource_must_allow {
        // An Allow naming only the account delegates to the account's
        // identity policies: it grants nothing by itself ("How IAM roles
        // differ from resource-based policies"), and never lets a role
        // assume itself.
        let delegates = by_account.is_some() && request.resource != request.context.principal_arn;
        by_caller
            .map(resource)
            .or_else(|| by_principal.filter(|_| session_allows).map(resource))
            .or_else(|| identity.filter(|_| delegates))
    } else {
        identity
            .or_else(|| by_caller.map(resource))
            .or_else(|| by_principal.filter(|_| session_allows).map(resource))
    };
    allowed.unwrap_or(Decision {
        outcome: Outcome::ImplicitDeny,
        statement: None,
    })
}

fn decision(outcome: Outcome, policy: &str, index: usize, statement: &Statement) -> Decision {
    Decision {
        outcome,
        statement: Some(StatementRef {
            policy: policy.to_owned(),
            index,
            sid: statement.sid.as_deref().map(str::to_owned),
        }),
    }
}

/// How a statement's Principal / NotPrincipal relates to the caller,
/// weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Naming {
    /// Not named.
    No,
    /// Named only through its account (the account id or its root ARN).
    Account,
    /// Named as everyone (`*`), or through the caller's role (a role
    /// session's role ARN): a session's session policies still apply.
    Principal,
    /// Named by the caller's own ARN: a user's, or the role session's
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
    Caller,
}

impl Naming {
    /// The index into the per-naming allows of [`decide`].
    fn slot(self) -> Option<usize> {
        match self {
            Naming::No => None,
            Naming::Caller => Some(0),
            Naming::Principal => Some(1),
            Naming::Account => Some(2),
        }
    }
}

fn names(principals: &Principals, context: &Context<'_>) -> Naming {
    let best = principals
        .entries
        .iter()
        .map(|entry| entry_names(entry, context))
        .max()
        .unwrap_or(Naming::No);
    if !principals.not {
        return best;
    }
    // NotPrincipal: the statement is about everyone it does not list. An
    // account listed there covers every principal of the account.
    if best == Naming::No {
        Naming::Principal
    } else {
        Naming::No
    }
}

fn entry_names(entry: &PrincipalEntry, context: &Context<'_>) -> Naming {
    match entry {
        PrincipalEntry::Anyone => Naming::Principal,
        PrincipalEntry::Arn(arn) if **arn == *context.caller_arn => Naming::Caller,
        PrincipalEntry::Arn(arn) if **arn == *context.principal_arn => Naming::Principal,
        // Only a web-identity caller has a provider's ARN as its own.
        PrincipalEntry::Federated(provider) if **provider == *context.caller_arn => Naming::Caller,
        PrincipalEntry::Account(account) if **account == *context.account_id => Naming::Account,
        _ => Naming::No,
    }
}
