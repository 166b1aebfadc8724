//! The KMS rows of the error table (shared/spec/kms-subset.md). KMS models
//! every error with a lower-case `message` member.

use super::AwsError;

impl From<kinko_core::kms::KmsError> for AwsError {
    fn from(e: kinko_core::kms::KmsError) -> Self {
        use kinko_core::kms::KmsError as E;
        let lower = |code: &'static str, m: String| AwsError::new(code, m);
        match e {
            E::NotFound(m) => lower("NotFoundException", m),
            E::InvalidArn(m) => lower("InvalidArnException", m),
            E::AlreadyExists(m) => lower("AlreadyExistsException", m),
            E::Validation(m) => lower("ValidationException", m),
            E::NotAuthorized => lower("NotAuthorizedException", String::new()),
            E::Disabled(m) => lower("DisabledException", m),
            E::InvalidState(m) => lower("KMSInvalidStateException", m),
            E::InvalidCiphertext => lower("InvalidCiphertextException", String::new()),
            E::IncorrectKey(m) => lower("IncorrectKeyException", m),
            E::InvalidSignature => lower("KMSInvalidSignatureException", String::new()),
            E::InvalidMac => lower("KMSInvalidMacException", String::new()),
            E::InvalidKeyUsage(m) => lower("InvalidKeyUsageException", m),
            E::DryRun(m) => lower("DryRunOperationException", m),
            E::UnsupportedOperation(m) => lower("UnsupportedOperationException", m),
            E::Tag(m) => lower("TagException", m),
            E::InvalidMarker(m) => lower("InvalidMarkerException", m),
            E::MalformedPolicyDocument(m) => lower("MalformedPolicyDocumentException", m),
            E::InvalidGrantToken(m) => lower("InvalidGrantTokenException", m),
            E::InvalidGrantId(m) => lower("InvalidGrantIdException", m),
            E::LimitExceeded(m) => lower("LimitExceededException", m),
            E::Conflict(m) => lower("ConflictException", m),
            E::InvalidImportToken(m) => lower("InvalidImportTokenException", m),
            E::ExpiredImportToken(m) => lower("ExpiredImportTokenException", m),
            E::IncorrectKeyMaterial(m) => lower("IncorrectKeyMaterialException", m),
            E::OutOfSpace => AwsError::out_of_space(),
            E::Unavailable(cause) => {
                tracing::warn!(%cause, "store unavailable");
                AwsError::unavailable()
            }
            E::Internal(cause) => {
                tracing::error!(%cause, "kms internal error");
                lower(
                    "KMSInternalException",
                    "An internal error occurred. Try again later.".into(),
                )
                .with_status(500)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use kinko_core::kms::KmsError;

    use crate::{AwsError, MessageKey};

    #[test]
    fn rows_use_lower_case_message_and_aws_codes() {
        let cases = [
            (
                KmsError::disabled("arn:k"),
                "DisabledException",
                "arn:k is disabled.",
                400,
            ),
            (
                KmsError::InvalidCiphertext,
                "InvalidCiphertextException",
                "",
                400,
            ),
            (KmsError::NotAuthorized, "NotAuthorizedException", "", 400),
            (
                KmsError::pending_deletion("arn:k"),
                "KMSInvalidStateException",
                "arn:k is pending deletion.",
                400,
            ),
            (
                KmsError::InvalidImportToken("t".into()),
                "InvalidImportTokenException",
                "t",
                400,
            ),
            (
                KmsError::ExpiredImportToken("e".into()),
                "ExpiredImportTokenException",
                "e",
                400,
            ),
            (
                KmsError::IncorrectKeyMaterial("m".into()),
                "IncorrectKeyMaterialException",
                "m",
                400,
            ),
            (
                KmsError::pending_import("arn:k"),
                "KMSInvalidStateException",
                "arn:k is pending import.",
                400,
            ),
            (
                KmsError::Internal("disk on fire".into()),
                "KMSInternalException",
                "An internal error occurred. Try again later.",
                500,
            ),
        ];
        for (err, code, message, status) in cases {
            let aws = AwsError::from(err);
            assert_eq!(aws.code, code);
            assert_eq!(aws.message, message);
            assert_eq!(aws.status, status);
            assert_eq!(aws.message_key, MessageKey::Lower);
            let body: serde_json::Value = serde_json::from_slice(&aws.to_body()).unwrap();
            assert_eq!(body["message"], message);
            assert!(body.get("Message").is_none());
        }
        assert_eq!(
            AwsError::from(KmsError::Unavailable("x".into())).status,
            503
        );
    }
}
