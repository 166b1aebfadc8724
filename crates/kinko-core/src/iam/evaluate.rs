//! AWS's policy evaluation within one account ("Policy evaluation logic",
//! IAM User Guide): an explicit Deny in any applicable policy wins; else an
//! Allow in an identity policy, or in the resource policy for a principal it
//! names, allows; else the request is implicitly denied.

use super::policy::{Effect, PrincipalEntry, Principals, Statement};
use super::{Context, Decision, Outcome, Policy, Request, StatementRef};

/// The policy name resource-policy statements are reported under.
pub const RESOURCE_POLICY_NAME: &str = "resource-policy";

/// AWS's evaluation within one account: an explicit Deny in any policy wins;
/// otherwise Allow when an identity statement allows, or a resource-policy
/// statement allows and its Principal names the caller; otherwise implicit
/// deny. `identity` = (policy name, policy). `resource` = the resource's
/// policy.
///
/// The first deciding statement is reported: the first Deny that applies, or
/// else the first Allow. Nothing is allocated until the decision is built.
pub fn evaluate(
    identity: &[(&str, &Policy)],
    resource: Option<&Policy>,
    request: &Request<'_>,
) -> Decision {
    let mut allow: Option<(&str, usize, &Statement)> = None;
    for (name, policy) in identity {
        for (index, statement) in policy.statements.iter().enumerate() {
            match statement.effect {
                Effect::Deny if statement.applies(request) => {
                    return decision(Outcome::ExplicitDeny, name, index, statement);
                }
                // Once an Allow is found, later Allows need no evaluation.
                Effect::Allow if allow.is_none() && statement.applies(request) => {
                    allow = Some((name, index, statement));
                }
                _ => {}
            }
        }
    }
    if let Some(policy) = resource {
        for (index, statement) in policy.statements.iter().enumerate() {
            let naming = statement
                .principals
                .as_ref()
                .map_or(Naming::No, |principals| names(principals, request.context));
            match statement.effect {
                // For a Deny, naming the caller's account is naming the caller.
                Effect::Deny if naming != Naming::No && statement.applies(request) => {
                    return decision(
                        Outcome::ExplicitDeny,
                        RESOURCE_POLICY_NAME,
                        index,
                        statement,
                    );
                }
                // An Allow naming only the account delegates to the account's identity
                // policies: it grants nothing by itself ("Cross-account policy
                // evaluation logic" / "How IAM roles differ from resource-based policies").
                Effect::Allow
                    if allow.is_none()
                        && naming == Naming::Caller
                        && statement.applies(request) =>
                {
                    allow = Some((RESOURCE_POLICY_NAME, index, statement));
                }
                _ => {}
            }
        }
    }
    match allow {
        Some((name, index, statement)) => decision(Outcome::Allow, name, index, statement),
        None => Decision {
            outcome: Outcome::ImplicitDeny,
            statement: None,
        },
    }
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
    /// Named: `*`, its own ARN, or (for a role session) its role's ARN.
    Caller,
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
        Naming::Caller
    } else {
        Naming::No
    }
}

fn entry_names(entry: &PrincipalEntry, context: &Context<'_>) -> Naming {
    match entry {
        PrincipalEntry::Anyone => Naming::Caller,
        PrincipalEntry::Arn(arn) if **arn == *context.caller_arn => Naming::Caller,
        PrincipalEntry::Arn(arn) if **arn == *context.principal_arn => Naming::Caller,
        PrincipalEntry::Account(account) if **account == *context.account_id => Naming::Account,
        _ => Naming::No,
    }
}
