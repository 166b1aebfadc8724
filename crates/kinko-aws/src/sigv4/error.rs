//! The SigV4 failures, with AWS's `__type` codes and message texts (§6.6).

/// Why a request was not authenticated. Every message is AWS's own text
/// (clients and their retry/clock-skew logic key on these) and none carries
/// a secret: at most the access key id, dates, scope parts and the
/// canonical request, which AWS itself sends back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header and no presigned query: an anonymous call.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// The header or query is malformed or lacks a part.
    #[error("{0}")]
    IncompleteSignature(String),
    /// Signature mismatch, clock skew, or a bad credential scope.
    #[error("{0}")]
    InvalidSignature(String),
    /// The access key id is unknown (or a session token is invalid).
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// A session token has expired.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl AuthError {
    /// The `__type` AWS sends for this error.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::ExpiredToken => "ExpiredTokenException",
        }
    }

    /// The message AWS sends for this error.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AwsError;

    #[test]
    fn codes_and_messages_are_aws_texts() {
        let cases = [
            (
                AuthError::MissingAuthenticationToken,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ),
            (
                AuthError::UnrecognizedClient,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
            (
                AuthError::ExpiredToken,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
            (
                AuthError::IncompleteSignature("x".into()),
                "IncompleteSignatureException",
                "x",
            ),
            (
                AuthError::InvalidSignature("y".into()),
                "InvalidSignatureException",
                "y",
            ),
        ];
        for (err, code, message) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.message(), message);
            let aws = AwsError::from(err);
            assert_eq!(aws.code, code);
            assert_eq!(aws.status, 400);
            assert_eq!(aws.message, message);
            assert_eq!(aws.message_key, crate::MessageKey::Lower);
        }
    }
}
