//! AWS Signature Version 4 verification, server side
//! (shared/spec/aws-json-protocol.md §6).
//!
//! The order of the checks matters: [`parse`] and [`check_time`] and
//! [`check_scope`] run before the access key is looked up, so a malformed or
//! stale request costs no store access; [`verify`] then rebuilds the
//! canonical request from exactly the signed headers and compares the
//! signature in constant time.
//!
//! ```text
//! let auth = sigv4::parse(&req)?;
//! sigv4::check_time(&auth, now)?;
//! sigv4::check_scope(&auth, "ssm", |r| r == "us-east-1")?;
//! let secret = keys.lookup(&auth.access_key_id).ok_or(AuthError::UnrecognizedClient)?;
//! sigv4::verify(&req, &auth, &secret, &cache, dev_mode)?;
//! ```
//!
//! Everything here is framework-free: the server hands in a [`SignedRequest`]
//! borrowed from its own request type. With HTTP/2 there is no `Host` header;
//! the server must insert one from the `:authority` before calling in.

mod canonical;
mod error;
mod key_cache;
mod parse;
mod scope;
mod skew;
mod verify;

#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod test_support;

pub use error::AuthError;
pub use key_cache::SigningKeyCache;
pub use parse::{Authorization, parse, scope_service};
pub use scope::check_scope;
pub use skew::check_time;
pub use verify::verify;

use crate::error::AwsError;

/// The only algorithm accepted (SigV4a and SigV2 are rejected).
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// What the verifier needs from an HTTP request; framework-free.
///
/// No `Debug`: the headers carry the `Authorization` and session token.
#[derive(Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `POST`, as received.
    pub method: &'a str,
    /// The raw path as received, still percent-encoded.
    pub path: &'a str,
    /// The raw query string without `?`; may be empty.
    pub query: &'a str,
    pub headers: &'a http::HeaderMap,
    /// The exact body bytes.
    pub body: &'a [u8],
}

impl From<AuthError> for AwsError {
    fn from(err: AuthError) -> Self {
        AwsError::new(err.code(), err.message())
    }
}
