//! The SSM Parameter Store rows of the error table (shared/spec/ssm-parameter-store.md §6).

use super::{AwsError, MessageKey};

impl From<kinko_core::ssm::SsmError> for AwsError {
    fn from(e: kinko_core::ssm::SsmError) -> Self {
        use kinko_core::ssm::SsmError as E;
        let lower = |code: &'static str, m: String| AwsError::new(code, m);
        let upper =
            |code: &'static str, m: String| AwsError::new(code, m).with_key(MessageKey::Upper);
        let bare = |code: &'static str| AwsError::new(code, "").with_key(MessageKey::None);
        match e {
            E::ParameterNotFound(m) => lower("ParameterNotFound", m),
            E::ParameterVersionNotFound(m) => lower("ParameterVersionNotFound", m),
            E::ParameterAlreadyExists(m) => lower("ParameterAlreadyExists", m),
            E::ParameterLimitExceeded(m) => lower("ParameterLimitExceeded", m),
            E::ParameterMaxVersionLimitExceeded(m) => lower("ParameterMaxVersionLimitExceeded", m),
            E::ParameterVersionLabelLimitExceeded(m) => {
                lower("ParameterVersionLabelLimitExceeded", m)
            }
            E::ParameterPatternMismatch(m) => lower("ParameterPatternMismatchException", m),
            E::HierarchyLevelLimitExceeded(m) => lower("HierarchyLevelLimitExceededException", m),
            E::HierarchyTypeMismatch(m) => lower("HierarchyTypeMismatchException", m),
            E::InvalidAllowedPattern(m) => lower("InvalidAllowedPatternException", m),
            E::InvalidKeyId(m) => lower("InvalidKeyId", m),
            E::UnsupportedParameterType(m) => lower("UnsupportedParameterType", m),
            E::PoliciesLimitExceeded(m) => lower("PoliciesLimitExceededException", m),
            E::InvalidPolicyType(m) => lower("InvalidPolicyTypeException", m),
            E::InvalidPolicyAttribute(m) => lower("InvalidPolicyAttributeException", m),
            E::IncompatiblePolicy(m) => lower("IncompatiblePolicyException", m),
            // The model has no message member here, but the text helps
            // botocore users (it reads `message` generically); harmless for
            // the other SDKs.
            E::InvalidFilterKey(m) => lower("InvalidFilterKey", m),
            E::InvalidFilterOption(m) => lower("InvalidFilterOption", m),
            E::InvalidFilterValue(m) => upper("InvalidFilterValue", m),
            E::InvalidNextToken(m) => upper("InvalidNextToken", m),
            E::InvalidResourceId => bare("InvalidResourceId"),
            E::InvalidResourceType => bare("InvalidResourceType"),
            E::TooManyTags => bare("TooManyTagsError"),
            E::TooManyUpdates(m) => upper("TooManyUpdates", m),
            E::Validation(m) => AwsError::validation(m),
            E::AccessDenied(m) => upper("AccessDeniedException", m),
            E::OutOfSpace => AwsError::out_of_space(),
            E::Unavailable(cause) => {
                tracing::warn!(%cause, "store unavailable");
                AwsError::unavailable()
            }
            E::Tampered(m) => {
                tracing::error!(message = %m, "stored value failed authentication");
                upper("InternalServerError", m).with_status(500)
            }
            E::Internal(cause) => {
                tracing::error!(%cause, "ssm internal error");
                upper(
                    "InternalServerError",
                    "An internal error occurred. Try again later.".into(),
                )
                .with_status(500)
            }
        }
    }
}
