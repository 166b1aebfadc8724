//! Secrets Manager's errors: one variant per AWS error name, so the wire
//! layer maps them one to one (`kinko-aws/src/error/secretsmanager.rs`).
//!
//! Messages are built from names, ARNs, version ids and limits only, never
//! from a secret value, so they are safe to send and to log.

use kinko_model::secrets::NameError;
use kinko_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    #[error("ResourceNotFoundException: {0}")]
    ResourceNotFound(String),
    #[error("ResourceExistsException: {0}")]
    ResourceExists(String),
    #[error("InvalidParameterException: {0}")]
    InvalidParameter(String),
    #[error("InvalidRequestException: {0}")]
    InvalidRequest(String),
    /// A model-level constraint AWS reports as `ValidationException`
    /// (the name charset).
    #[error("ValidationException: {0}")]
    Validation(String),
    #[error("LimitExceededException: {0}")]
    LimitExceeded(String),
    #[error("EncryptionFailure: {0}")]
    EncryptionFailure(String),
    #[error("DecryptionFailure: {0}")]
    DecryptionFailure(String),
    #[error("MalformedPolicyDocumentException: {0}")]
    MalformedPolicyDocument(String),
    #[error("PublicPolicyException: {0}")]
    PublicPolicy(String),
    #[error("PreconditionNotMetException: {0}")]
    PreconditionNotMet(String),
    #[error("InvalidNextTokenException: {0}")]
    InvalidNextToken(String),
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
    #[error("InternalServiceError: {0}")]
    Tampered(String),
    /// A fault of ours. The text is for the log; the wire sends a generic one.
    #[error("InternalServiceError: {0}")]
    Internal(String),
}

impl SecretsError {
    pub fn secret_not_found() -> Self {
        SecretsError::ResourceNotFound("Secrets Manager can't find the specified secret.".into())
    }

    pub fn version_not_found(version_id: &str) -> Self {
        SecretsError::ResourceNotFound(format!(
            "Secrets Manager can't find the specified secret value for VersionId: {version_id}"
        ))
    }

    pub fn stage_not_found(stage: &str) -> Self {
        SecretsError::ResourceNotFound(format!(
            "Secrets Manager can't find the specified secret value for staging label: {stage}"
        ))
    }

    pub fn marked_for_deletion() -> Self {
        SecretsError::InvalidRequest(
            "You can't perform this operation on the secret because it was marked for deletion."
                .into(),
        )
    }

    pub fn missing_token() -> Self {
        SecretsError::InvalidRequest(
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.".into(),
        )
    }

    /// AWS answers this with `InvalidParameterException` (observed on the
    /// wire in the cloud-nuke issue #435 logs).
    pub fn replica_read_only() -> Self {
        SecretsError::InvalidParameter(
            "Operation not permitted on a replica secret. Call must be made in primary secret's region."
                .into(),
        )
    }

    pub fn invalid_next_token() -> Self {
        SecretsError::InvalidNextToken("The nextToken provided is invalid.".into())
    }

    /// Compare-and-swap lost too often: a fault the client may retry.
    pub fn too_much_contention(name: &str) -> Self {
        SecretsError::Internal(format!(
            "gave up writing secret {name} after repeated concurrent updates"
        ))
    }
}

/// A refused secret name: the same AWS error, the same text.
impl From<NameError> for SecretsError {
    fn from(e: NameError) -> Self {
        match e {
            NameError::Validation(m) => SecretsError::Validation(m),
        }
    }
}

/// Store failures that carry no Secrets Manager meaning of their own.
impl From<StoreError> for SecretsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(msg) => SecretsError::Unavailable(msg),
            StoreError::OutOfSpace => SecretsError::OutOfSpace,
            other => SecretsError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_model::secrets::SecretName;

    #[test]
    fn a_refused_name_is_a_validation_exception_with_aws_text() {
        let err = SecretsError::from(SecretName::parse("a b").unwrap_err());
        assert!(
            matches!(&err, SecretsError::Validation(m) if m.starts_with("Invalid name.")),
            "{err:?}"
        );
    }
}
