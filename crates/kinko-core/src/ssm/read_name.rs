//! [`ReadName`]: a name a Get operation reads, parsed once at the edge so
//! that the access check and the read act on the same parse.

use kinko_model::ssm::{NameError, ParameterRef};

use super::get::SECRETS_REFERENCE;
use super::model::Caller;

/// One name of GetParameter or GetParameters, as the caller's region and
/// account read it.
#[derive(Debug, Clone)]
pub enum ReadName {
    /// `/aws/reference/secretsmanager/<secret-id>[:<selector>]`, as sent:
    /// a Secrets Manager secret dressed as a parameter.
    SecretReference(String),
    /// A parameter by name or ARN, with an optional `:version`/`:label`.
    Parameter(ParameterRef),
    /// Malformed, or an ARN of another region or account: answered without
    /// reading (GetParameter's error; GetParameters' `InvalidParameters`).
    Invalid { as_sent: String, error: NameError },
}

impl ReadName {
    pub fn parse(raw: &str, caller: &Caller) -> Self {
        if raw.starts_with(SECRETS_REFERENCE) {
            return Self::SecretReference(raw.to_owned());
        }
        match ParameterRef::parse(raw, &caller.region, &caller.account_id) {
            Ok(r) => Self::Parameter(r),
            Err(error) => Self::Invalid {
                as_sent: raw.to_owned(),
                error,
            },
        }
    }

    /// The name exactly as sent.
    pub fn as_sent(&self) -> &str {
        match self {
            Self::SecretReference(raw) => raw,
            Self::Parameter(r) => &r.as_sent,
            Self::Invalid { as_sent, .. } => as_sent,
        }
    }
}
