//! The SSM Parameter Store's errors: one variant per AWS error name, so the
//! wire layer maps them one to one (`kinko-aws/src/error.rs`).
//!
//! Messages are built from names, versions and limits only, never from a
//! parameter value, so they are safe to send and to log.

use kinko_model::ssm::NameError;
use kinko_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsmError {
    #[error("ParameterNotFound: {0}")]
    ParameterNotFound(String),
    #[error("ParameterVersionNotFound: {0}")]
    ParameterVersionNotFound(String),
    #[error("ParameterAlreadyExists: {0}")]
    ParameterAlreadyExists(String),
    #[error("ParameterLimitExceeded: {0}")]
    ParameterLimitExceeded(String),
    #[error("ParameterMaxVersionLimitExceeded: {0}")]
    ParameterMaxVersionLimitExceeded(String),
    #[error("ParameterVersionLabelLimitExceeded: {0}")]
    ParameterVersionLabelLimitExceeded(String),
    #[error("ParameterPatternMismatchException: {0}")]
    ParameterPatternMismatch(String),
    #[error("HierarchyLevelLimitExceededException: {0}")]
    HierarchyLevelLimitExceeded(String),
    #[error("HierarchyTypeMismatchException: {0}")]
    HierarchyTypeMismatch(String),
    #[error("InvalidAllowedPatternException: {0}")]
    InvalidAllowedPattern(String),
    #[error("InvalidKeyId: {0}")]
    InvalidKeyId(String),
    #[error("UnsupportedParameterType: {0}")]
    UnsupportedParameterType(String),
    #[error("PoliciesLimitExceededException: {0}")]
    PoliciesLimitExceeded(String),
    #[error("InvalidPolicyTypeException: {0}")]
    InvalidPolicyType(String),
    #[error("InvalidPolicyAttributeException: {0}")]
    InvalidPolicyAttribute(String),
    #[error("IncompatiblePolicyException: {0}")]
    IncompatiblePolicy(String),
    #[error("InvalidFilterKey: {0}")]
    InvalidFilterKey(String),
    #[error("InvalidFilterOption: {0}")]
    InvalidFilterOption(String),
    #[error("InvalidFilterValue: {0}")]
    InvalidFilterValue(String),
    #[error("InvalidNextToken: {0}")]
    InvalidNextToken(String),
    #[error("InvalidResourceId")]
    InvalidResourceId,
    #[error("InvalidResourceType")]
    InvalidResourceType,
    #[error("TooManyTagsError")]
    TooManyTags,
    #[error("TooManyUpdates: {0}")]
    TooManyUpdates(String),
    #[error("ValidationException: {0}")]
    Validation(String),
    #[error("AccessDeniedException: {0}")]
    AccessDenied(String),
    /// The store is unreachable for now (retryable, 503).
    #[error("ServiceUnavailable: {0}")]
    Unavailable(String),
    /// The store's disk is full: nothing was written (retryable, 503,
    /// with a message that says so once space is freed).
    #[error("ServiceUnavailable: the store is out of disk space")]
    OutOfSpace,
    /// A stored value failed authentication: altered or moved in the
    /// database. A fault on the server's side, with a message that says so.
    #[error("InternalServerError: {0}")]
    Tampered(String),
    /// A fault of ours. The text is for the log; the wire sends a generic one.
    #[error("InternalServerError: {0}")]
    Internal(String),
}

impl SsmError {
    pub fn not_found(name_as_sent: &str) -> Self {
        NameError::not_found(name_as_sent).into()
    }

    pub fn version_not_found(version: &str, name: &str) -> Self {
        SsmError::ParameterVersionNotFound(format!(
            "Systems Manager could not find version {version} of {name}. Verify the version and try again."
        ))
    }

    pub fn invalid_next_token() -> Self {
        SsmError::InvalidNextToken("The specified token isn't valid.".into())
    }

    pub fn too_many_updates() -> Self {
        SsmError::TooManyUpdates(
            "There are concurrent updates for the resource that you are trying to update. Wait a few minutes and try again."
                .into(),
        )
    }
}

/// A refused name, path or reference: the same AWS error, the same text.
impl From<NameError> for SsmError {
    fn from(e: NameError) -> Self {
        match e {
            NameError::Validation(m) => SsmError::Validation(m),
            NameError::HierarchyLevelLimitExceeded(m) => SsmError::HierarchyLevelLimitExceeded(m),
            NameError::AccessDenied(m) => SsmError::AccessDenied(m),
            NameError::ParameterNotFound(m) => SsmError::ParameterNotFound(m),
        }
    }
}

/// Store failures that carry no SSM meaning of their own. Operations map the
/// meaningful ones (`ParameterNotFound`, `OldestVersionLabelled`, ...) first,
/// with the name the caller sent.
impl From<StoreError> for SsmError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(msg) => SsmError::Unavailable(msg),
            StoreError::OutOfSpace => SsmError::OutOfSpace,
            StoreError::TooManyTags { .. } => SsmError::TooManyTags,
            StoreError::LabelLimitExceeded { .. } => SsmError::ParameterVersionLabelLimitExceeded(
                "A parameter version can have maximum 10 labels. Move one or more labels to another version and try again."
                    .into(),
            ),
            StoreError::TagsOnOverwrite => SsmError::Validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
                    .into(),
            ),
            other => SsmError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused name keeps its AWS error and text on the way to the wire.
    #[test]
    fn name_errors_keep_their_code_and_text() {
        let text = || "why".to_owned();
        assert_eq!(
            SsmError::from(NameError::Validation(text())),
            SsmError::Validation(text())
        );
        assert_eq!(
            SsmError::from(NameError::HierarchyLevelLimitExceeded(text())),
            SsmError::HierarchyLevelLimitExceeded(text())
        );
        assert_eq!(
            SsmError::from(NameError::AccessDenied(text())),
            SsmError::AccessDenied(text())
        );
        assert_eq!(
            SsmError::not_found("/a:2:3"),
            SsmError::ParameterNotFound("Parameter /a:2:3 not found.".into())
        );
    }
}
