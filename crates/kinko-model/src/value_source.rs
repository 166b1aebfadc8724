//! The `ValueSource` trait: where the client tools (`exec`, `render`, the
//! proxy, the agent) get secret values from, without knowing whether it is a
//! kinko server or AWS, or how it batches.

use async_trait::async_trait;
use kinko_crypto::SecretString;

use crate::references::Reference;

/// Why a reference did not resolve. Names the reference and the reason;
/// never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{reference}`: {kind}")]
pub struct ResolveError {
    /// The reference, in its native spelling.
    pub reference: String,
    pub kind: ResolveErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveErrorKind {
    #[error("not found")]
    NotFound,
    #[error("no permission: {0}")]
    AccessDenied(String),
    #[error("the secret is not a JSON object, so it has no key `{0}`")]
    NotJson(String),
    #[error("the secret's JSON has no key `{0}`")]
    NoSuchKey(String),
    #[error("the secret has no string value (binary secrets cannot be referenced)")]
    Binary,
    #[error("rejected: {0}")]
    Invalid(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl ResolveError {
    pub fn new(reference: &Reference, kind: ResolveErrorKind) -> Self {
        ResolveError {
            reference: reference.to_string(),
            kind,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ResolveErrorKind::NotFound
    }
}

/// One parameter under a path, as `GetParametersByPath` lists it.
#[derive(Debug, Clone)]
pub struct PathValue {
    pub name: String,
    pub value: SecretString,
}

impl PathValue {
    pub fn new(name: impl Into<String>, value: impl Into<SecretString>) -> Self {
        PathValue {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A source of secret values.
///
/// Implementations fetch all the references of one call in as few requests
/// as their backend allows, concurrently, so a tool resolves everything it
/// needs in one round of calls.
#[async_trait]
pub trait ValueSource: Send + Sync {
    /// Resolves every reference. One result per input, in the same order.
    async fn resolve(&self, references: &[Reference]) -> Vec<Result<SecretString, ResolveError>>;

    /// Whether each reference exists and may be read, without decrypting
    /// or returning values. One result per input, in the same order.
    async fn check(&self, references: &[Reference]) -> Vec<Result<(), ResolveError>>;

    /// Every parameter under `path` (recursively), decrypted, sorted by name.
    async fn parameters_by_path(&self, path: &str) -> Result<Vec<PathValue>, ResolveError>;
}

/// The value of top-level `key` in a secret's JSON object: a string as it
/// is, anything else as its JSON text (`42`, `true`, `{"a":1}`), as
/// CloudFormation and ECS do.
pub fn json_key(secret: &SecretString, key: &str) -> Result<SecretString, ResolveErrorKind> {
    let document: serde_json::Value = serde_json::from_str(secret.expose())
        .map_err(|_| ResolveErrorKind::NotJson(key.to_owned()))?;
    let serde_json::Value::Object(map) = document else {
        return Err(ResolveErrorKind::NotJson(key.to_owned()));
    };
    match map.get(key) {
        Some(serde_json::Value::String(s)) => Ok(SecretString::new(s.clone())),
        Some(other) => Ok(SecretString::new(other.to_string())),
        None => Err(ResolveErrorKind::NoSuchKey(key.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_are_picked_from_objects_only() {
        let secret = SecretString::new(r#"{"user":"app","port":5432,"tls":{"on":true}}"#.into());
        assert_eq!(json_key(&secret, "user").unwrap().expose(), "app");
        assert_eq!(json_key(&secret, "port").unwrap().expose(), "5432");
        assert_eq!(json_key(&secret, "tls").unwrap().expose(), r#"{"on":true}"#);
        assert_eq!(
            json_key(&secret, "nope").unwrap_err(),
            ResolveErrorKind::NoSuchKey("nope".into())
        );
        let plain = SecretString::new("hunter2".into());
        let err = json_key(&plain, "user").unwrap_err();
        assert_eq!(err, ResolveErrorKind::NotJson("user".into()));
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn errors_name_the_reference() {
        let r = crate::references::parse("ssm:/app/db").unwrap();
        let e = ResolveError::new(&r, ResolveErrorKind::NotFound);
        assert_eq!(e.to_string(), "`ssm:/app/db`: not found");
        assert!(e.is_not_found());
    }
}
