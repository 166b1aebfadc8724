//! The one place that knows AWS error codes (`__type`), HTTP statuses and
//! which message key each error uses on the wire.
//!
//! Every service's domain error converts into [`AwsError`] here, so the
//! mapping can be read (and checked against the spec) in one file.

use serde_json::{Map, Value};

/// Which JSON member carries the message, as each service model names it
/// (see shared/spec/aws-json-protocol.md §4). Modeled-exception deserializers
/// read exactly the modeled key, so this matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKey {
    /// `message` (most SSM Parameter* errors, KMS, generic errors).
    Lower,
    /// `Message` (Secrets Manager, some SSM errors).
    Upper,
    /// The model has no message member; only `__type` is sent.
    None,
}

/// An error as the client will see it: HTTP status, `__type` and message.
///
/// Messages must never contain a secret value: build them from names, ARNs
/// and limits only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub code: &'static str,
    pub status: u16,
    pub message: String,
    pub message_key: MessageKey,
}

impl AwsError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            status: 400,
            message: message.into(),
            message_key: MessageKey::Lower,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_key(mut self, key: MessageKey) -> Self {
        self.message_key = key;
        self
    }

    /// `ValidationException` with a free-form message (`Message` key, as SSM models it).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message).with_key(MessageKey::Upper)
    }

    /// The body was not JSON, or a member had the wrong JSON type.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    /// The target (a client's header) is quoted boundedly, see [`echo`].
    pub fn unknown_operation(target: &str) -> Self {
        Self::new(
            "UnknownOperationException",
            format!(
                "The operation '{}' is not supported by this server.",
                echo(target)
            ),
        )
    }

    /// A fault of ours (500). The message is generic on purpose: the cause is logged, not sent.
    pub fn internal() -> Self {
        Self::new(
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
        .with_status(500)
    }

    /// The store is unreachable (a database restarting): 503, which clients retry.
    pub fn unavailable() -> Self {
        Self::new(
            "ServiceUnavailable",
            "The service is unavailable. Please try again later.",
        )
        .with_status(503)
    }

    /// The audit log cannot be written, so a request that could not be
    /// recorded is refused (503, which clients retry) until it can.
    /// `since` is when the log became unwritable (RFC 3339).
    pub fn audit_unavailable(since: &str) -> Self {
        Self::new(
            "ServiceUnavailable",
            format!(
                "The audit log cannot be written (since {since}), so this server refuses requests until it can record them. Please try again later."
            ),
        )
        .with_status(503)
    }

    /// The store's disk is full. A 503 as well, which the SDKs retry (a
    /// write may succeed once the operator frees space), with a message
    /// that says why and that nothing was written; never a path.
    pub fn out_of_space() -> Self {
        tracing::error!("the store is out of disk space: writes fail until space is freed");
        Self::new(
            "ServiceUnavailable",
            "The server is out of disk space; nothing was written. Try again later.",
        )
        .with_status(503)
    }

    /// The request body broke off before its end: the client closed the
    /// connection (or it was cut) with fewer bytes sent than its
    /// `Content-Length` announced, or a chunked body without its last
    /// chunk. S3's code for it; not a `SerializationException`, which would
    /// blame the JSON, nor a 413, which would blame the size.
    pub fn incomplete_body(received: usize, content_length: Option<u64>) -> Self {
        let message = match content_length {
            Some(expected) => format!(
                "The request body is incomplete: {received} of the {expected} bytes its Content-Length announced arrived."
            ),
            None => format!(
                "The request body is incomplete: it broke off after {received} bytes, before its end."
            ),
        };
        Self::new("IncompleteBody", message)
    }

    /// A request body over the server's limit (413). `content_length` when
    /// the header announced it, so it was refused before being read.
    pub fn body_too_large(limit: usize, content_length: Option<u64>) -> Self {
        let message = match content_length {
            Some(length) => format!(
                "The request body ({length} bytes by its Content-Length) is larger than the {limit} bytes this server accepts."
            ),
            None => {
                format!("The request body is larger than the {limit} bytes this server accepts.")
            }
        };
        Self::new("RequestEntityTooLarge", message).with_status(413)
    }

    /// The JSON body AWS sends: `{"__type": code, "message"|"Message": text}`.
    pub fn to_body(&self) -> Vec<u8> {
        let mut body = Map::new();
        body.insert("__type".into(), Value::String(self.code.into()));
        match self.message_key {
            MessageKey::Lower => {
                body.insert("message".into(), Value::String(self.message.clone()));
            }
            MessageKey::Upper => {
                body.insert("Message".into(), Value::String(self.message.clone()));
            }
            MessageKey::None => {}
        }
        serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

/// Formats AWS's validation-error sentence from its parts:
/// `1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: ...`.
pub fn validation_errors(errors: &[String]) -> AwsError {
    let n = errors.len();
    let noun = if n == 1 { "error" } else { "errors" };
    AwsError::validation(format!(
        "{n} validation {noun} detected: {}",
        errors.join("; ")
    ))
}

mod echo;
pub use echo::{ECHO_MAX, echo, echo_authorization};

// One file per service: the rows of the one error table that map each
// service's domain errors onto AWS codes, statuses and message keys.
mod admin;
pub use admin::store_error;
mod kms;
mod secretsmanager;
mod ssm;

/// AWS's `AccessDeniedException` for a denied check.
impl From<kinko_core::iam::Denied> for AwsError {
    fn from(denied: kinko_core::iam::Denied) -> Self {
        AwsError::new("AccessDeniedException", denied.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every service answers a full disk the same way: a 503 the SDKs retry,
    /// saying the disk is full and nothing was written.
    #[test]
    fn a_full_store_is_a_retryable_503_in_every_service() {
        let answers = [
            AwsError::from(kinko_core::ssm::SsmError::OutOfSpace),
            AwsError::from(kinko_core::secrets::SecretsError::OutOfSpace),
            AwsError::from(kinko_core::kms::KmsError::OutOfSpace),
            store_error(kinko_store::StoreError::OutOfSpace),
        ];
        for answer in answers {
            assert_eq!(answer.code, "ServiceUnavailable");
            assert_eq!(answer.status, 503);
            let body: Value = serde_json::from_slice(&answer.to_body()).unwrap();
            assert_eq!(
                body["message"],
                "The server is out of disk space; nothing was written. Try again later."
            );
        }
    }
}
