//! The KMS subset's errors: one variant per AWS error name, so the wire
//! layer maps them one to one (`kinko-aws/src/error/kms.rs`).
//!
//! Messages are built from key ids, ARNs, alias names and limits only, never
//! from a plaintext or a data key, so they are safe to send and to log.

use kinko_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmsError {
    #[error("NotFoundException: {0}")]
    NotFound(String),
    #[error("InvalidArnException: {0}")]
    InvalidArn(String),
    #[error("AlreadyExistsException: {0}")]
    AlreadyExists(String),
    /// A semantic validation failure (texts AWS sends outside the model's
    /// constraint sentences, e.g. `Alias must start with the prefix "alias/"...`).
    #[error("ValidationException: {0}")]
    Validation(String),
    /// `alias/aws/...` is reserved. AWS sends no message text.
    #[error("NotAuthorizedException")]
    NotAuthorized,
    #[error("DisabledException: {0}")]
    Disabled(String),
    #[error("KMSInvalidStateException: {0}")]
    InvalidState(String),
    /// Corrupt, foreign, or bound to another encryption context. AWS sends an
    /// empty message, and so do we: the reason would help an attacker.
    #[error("InvalidCiphertextException")]
    InvalidCiphertext,
    #[error("IncorrectKeyException: {0}")]
    IncorrectKey(String),
    /// Verify's signature does not verify. No message: AWS's is not
    /// recorded, and the reason would only help an attacker.
    #[error("KMSInvalidSignatureException")]
    InvalidSignature,
    /// VerifyMac's MAC does not match (no message, as above).
    #[error("KMSInvalidMacException")]
    InvalidMac,
    #[error("InvalidKeyUsageException: {0}")]
    InvalidKeyUsage(String),
    #[error("DryRunOperationException: {0}")]
    DryRun(String),
    #[error("UnsupportedOperationException: {0}")]
    UnsupportedOperation(String),
    #[error("TagException: {0}")]
    Tag(String),
    #[error("InvalidMarkerException: {0}")]
    InvalidMarker(String),
    /// A quota (25 on-demand rotations per key).
    #[error("LimitExceededException: {0}")]
    LimitExceeded(String),
    /// A rotation of the key is already under way.
    #[error("ConflictException: {0}")]
    Conflict(String),
    #[error("MalformedPolicyDocumentException: {0}")]
    MalformedPolicyDocument(String),
    #[error("InvalidGrantTokenException: {0}")]
    InvalidGrantToken(String),
    #[error("InvalidGrantIdException: {0}")]
    InvalidGrantId(String),
    /// ImportKeyMaterial's token is not one of ours, was altered, or is
    /// for another key.
    #[error("InvalidImportTokenException: {0}")]
    InvalidImportToken(String),
    #[error("ExpiredImportTokenException: {0}")]
    ExpiredImportToken(String),
    /// Imported material that is not the key's, or not valid for its spec.
    #[error("IncorrectKeyMaterialException: {0}")]
    IncorrectKeyMaterial(String),
    /// The store is unreachable for now (retryable, 503).
    #[error("ServiceUnavailable: {0}")]
    Unavailable(String),
    /// The store's disk is full: nothing was written (retryable, 503,
    /// with a message that says so once space is freed).
    #[error("ServiceUnavailable: the store is out of disk space")]
    OutOfSpace,
    /// A fault of ours. The text is for the log; the wire sends a generic one.
    #[error("KMSInternalException: {0}")]
    Internal(String),
}

impl KmsError {
    pub fn disabled(arn: &str) -> Self {
        KmsError::Disabled(format!("{arn} is disabled."))
    }

    pub fn pending_deletion(arn: &str) -> Self {
        KmsError::InvalidState(format!("{arn} is pending deletion."))
    }

    /// An EXTERNAL key without (usable) key material.
    pub fn pending_import(arn: &str) -> Self {
        KmsError::InvalidState(format!("{arn} is pending import."))
    }

    pub fn incorrect_key() -> Self {
        KmsError::IncorrectKey(
            "The key ID in the request does not identify a CMK that can perform this operation."
                .into(),
        )
    }

    pub fn dry_run() -> Self {
        KmsError::DryRun("The request would have succeeded, but the DryRun option is set.".into())
    }

    pub fn invalid_marker() -> Self {
        KmsError::InvalidMarker("The marker is not valid.".into())
    }

    /// AWS-managed keys cannot be disabled, deleted or aliased by callers.
    pub fn managed_key(arn: &str) -> Self {
        KmsError::UnsupportedOperation(format!(
            "{arn} is an AWS managed key; this operation is not allowed on it."
        ))
    }
}

/// Store failures that carry no KMS meaning of their own; operations map
/// the meaningful ones (`AlreadyExists`, `NotFound`) first, with the name
/// the caller sent.
impl From<StoreError> for KmsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(msg) => KmsError::Unavailable(msg),
            StoreError::OutOfSpace => KmsError::OutOfSpace,
            other => KmsError::Internal(other.to_string()),
        }
    }
}
