//! [`Caller`]: who is calling and where, as every service sees it.

/// Who is calling and where, built once per request by the server after
/// authentication: the region partitions the data, the account goes into
/// every ARN, and `arn` becomes a parameter's `LastModifiedUser`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub region: String,
    pub account_id: String,
    /// The caller as it signed: a user's ARN, or a role session's
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
    pub arn: String,
}
