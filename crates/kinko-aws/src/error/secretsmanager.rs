//! The Secrets Manager rows of the error table
//! (shared/spec/secrets-manager.md §6). The body key is always `Message`.

use super::{AwsError, MessageKey};

impl From<kinko_core::secrets::SecretsError> for AwsError {
    fn from(e: kinko_core::secrets::SecretsError) -> Self {
        use kinko_core::secrets::SecretsError as E;
        let upper =
            |code: &'static str, m: String| AwsError::new(code, m).with_key(MessageKey::Upper);
        match e {
            E::ResourceNotFound(m) => upper("ResourceNotFoundException", m),
            E::ResourceExists(m) => upper("ResourceExistsException", m),
            E::InvalidParameter(m) => upper("InvalidParameterException", m),
            E::InvalidRequest(m) => upper("InvalidRequestException", m),
            E::Validation(m) => AwsError::validation(m),
            E::LimitExceeded(m) => upper("LimitExceededException", m),
            E::EncryptionFailure(m) => upper("EncryptionFailure", m),
            E::DecryptionFailure(m) => upper("DecryptionFailure", m),
            E::MalformedPolicyDocument(m) => upper("MalformedPolicyDocumentException", m),
            E::PublicPolicy(m) => upper("PublicPolicyException", m),
            E::PreconditionNotMet(m) => upper("PreconditionNotMetException", m),
            E::InvalidNextToken(m) => upper("InvalidNextTokenException", m),
            E::AccessDenied(m) => upper("AccessDeniedException", m),
            E::OutOfSpace => AwsError::out_of_space(),
            E::Unavailable(cause) => {
                tracing::warn!(%cause, "store unavailable");
                AwsError::unavailable()
            }
            E::Tampered(m) => {
                tracing::error!(message = %m, "stored secret failed authentication");
                upper("InternalServiceError", m).with_status(500)
            }
            E::Internal(cause) => {
                tracing::error!(%cause, "secretsmanager internal error");
                upper(
                    "InternalServiceError",
                    "An error occurred on the server side.".into(),
                )
                .with_status(500)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use kinko_core::secrets::SecretsError;

    use crate::AwsError;

    #[test]
    fn rows_use_message_and_fault_statuses() {
        let e: AwsError = SecretsError::secret_not_found().into();
        assert_eq!(e.status, 400);
        assert_eq!(
            String::from_utf8(e.to_body()).unwrap(),
            r#"{"Message":"Secrets Manager can't find the specified secret.","__type":"ResourceNotFoundException"}"#
        );
        let e: AwsError = SecretsError::Internal("db on fire".into()).into();
        assert_eq!((e.code, e.status), ("InternalServiceError", 500));
        assert!(!e.message.contains("fire"));
        let e: AwsError = SecretsError::Validation("Invalid name.".into()).into();
        assert_eq!(e.code, "ValidationException");
        let e: AwsError = SecretsError::Unavailable("x".into()).into();
        assert_eq!(e.status, 503);
    }
}
