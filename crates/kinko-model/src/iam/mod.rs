//! The IAM policy language and its evaluator: parse a JSON policy document
//! once ([`Policy::parse_identity`], [`Policy::parse_resource`]), then decide
//! each request with [`evaluate`] as AWS does within one account.
//!
//! Pure code: no I/O, no clock (the request's time is in its [`Context`]).
//! Everything a policy says is compiled at parse time, so evaluating a
//! statement without policy variables allocates nothing; only the
//! [`Decision`] naming the deciding statement is allocated.

mod condition;
mod evaluate;
mod keys;
mod policy;
mod variables;
mod wildcard;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod trust_tests;

use std::fmt;
use std::net::IpAddr;

use crate::Tag;

pub use evaluate::{
    KEY_POLICY_NAME, Policies, RESOURCE_POLICY_NAME, TRUST_POLICY_NAME, decide, evaluate,
};
pub use policy::{
    MAX_POLICY_CHARS, MAX_RESOURCE_POLICY_CHARS, Policy, PolicyError, StatementLocation, Version,
};

/// Condition-key values of one request.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub account_id: &'a str,
    /// aws:PrincipalArn — for an assumed-role session, the ROLE's ARN.
    pub principal_arn: &'a str,
    /// The caller as it signs (user ARN, or arn:aws:sts::ACCT:assumed-role/ROLE/SESSION).
    pub caller_arn: &'a str,
    /// aws:username (users only).
    pub username: Option<&'a str>,
    /// aws:PrincipalTag/KEY.
    pub principal_tags: &'a [Tag],
    /// aws:ResourceTag/KEY and the service forms ssm:ResourceTag/KEY,
    /// secretsmanager:ResourceTag/KEY. None: not loaded / no resource.
    pub resource_tags: Option<&'a [Tag]>,
    pub source_ip: Option<IpAddr>,
    /// aws:CurrentTime, aws:EpochTime.
    pub current_time: jiff::Timestamp,
    /// aws:SecureTransport.
    pub secure_transport: bool,
    /// aws:SourceIdentity: set when the caller is a role session that
    /// carries one.
    pub source_identity: Option<&'a str>,
    /// The AssumeRole being decided (its trust policy evaluation only):
    /// `sts:ExternalId`, `sts:SourceIdentity`, `sts:RoleSessionName`,
    /// `sts:TransitiveTagKeys`, `aws:RequestTag/KEY`, `aws:TagKeys`.
    pub sts: Option<&'a StsRequest<'a>>,
    /// Any other key (lower-case key, value), e.g. from `kinko policy
    /// simulate --context`. Also consulted for a known key the fields above
    /// leave empty (aws:username, aws:SourceIp, tags…). A multivalued key
    /// (aws:TagKeys) may appear several times.
    pub extra: &'a [(String, String)],
}

/// What an AssumeRole request asks for, as its trust policy's conditions
/// see it.
#[derive(Debug, Clone, Copy)]
pub struct StsRequest<'a> {
    pub role_session_name: &'a str,
    pub external_id: Option<&'a str>,
    /// The source identity the new session will carry (asked for, or
    /// inherited from the calling session).
    pub source_identity: Option<&'a str>,
    /// The session tags the request passes.
    pub request_tags: &'a [Tag],
    pub transitive_tag_keys: &'a [String],
}

/// One authorization question: may the caller in `context` do `action` on `resource`?
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:Operation`, e.g. `ssm:GetParameter`.
    pub action: &'a str,
    /// The resource's ARN, or `*` for operations on no particular resource.
    pub resource: &'a str,
    pub context: &'a Context<'a>,
}

/// What the policies decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    /// A Deny statement applied: nothing can override it.
    ExplicitDeny,
    /// No statement allowed the request.
    ImplicitDeny,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        })
    }
}

/// Which statement decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The identity policy's name, or [`RESOURCE_POLICY_NAME`].
    pub policy: String,
    /// 0-based position in the document's Statement list.
    pub index: usize,
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(sid) => write!(f, "{}#{sid}", self.policy),
            None => write!(f, "{}#{}", self.policy, self.index),
        }
    }
}

/// The outcome and, unless it is an implicit deny, the statement behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub statement: Option<StatementRef>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}
