//! Step 1 of a request: who is calling, and in which region.
//!
//! Verifies SigV4 (header or presigned form) against the access keys in the
//! store. In dev mode any credentials are accepted, but the region is still
//! read from the credential scope so that data stays partitioned as on AWS.

use std::sync::Arc;

use http::HeaderMap;
use kinko_aws::AwsError;
use kinko_aws::sigv4::{self, AuthError, SignedRequest};
use kinko_core::credentials::{CredentialsError, SessionError};
use kinko_core::principals::SessionAccess;

use crate::app::AppState;

/// A verified signer: who signed, with which key, in which region.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub region: String,
    /// The caller as it signed: a user's ARN, or a role session's
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
    pub principal_arn: String,
    /// Whose policies apply: the user, or the session's role.
    pub policy_arn: String,
    pub access_key_id: Option<String>,
    /// A long-term key (its last use is recorded), not a session.
    pub long_term_key: bool,
    /// A role session: its claims, its role's policies and its session
    /// policies (checked to belong to the role as it is now).
    pub session: Option<Arc<SessionAccess>>,
}

/// What the audit log records of a request whose authentication failed:
/// the key id it claimed, if the signature could be parsed at all.
pub fn claimed_key_id(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<String> {
    let request = SignedRequest {
        method,
        path,
        query,
        headers,
        body,
    };
    // Bounded: whatever it is, the client chose it.
    sigv4::parse(&request)
        .ok()
        .map(|auth| kinko_aws::error::echo(&auth.access_key_id))
}

/// The session token of a request: the header, or the presigned query's
/// `X-Amz-Security-Token`.
fn session_token(headers: &HeaderMap, query: &str) -> Option<String> {
    if let Some(token) = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(token.to_owned());
    }
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "X-Amz-Security-Token").then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// A region name as AWS spells them (`us-east-1`, `eu-north-1`,
/// `us-gov-west-1`, `cn-north-1`). Any such region is served: each is its own
/// data partition, as on AWS.
pub fn is_region(name: &str) -> bool {
    let mut parts = name.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 2
        && rest
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && rest[..rest.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

pub async fn authenticate(
    state: &Arc<AppState>,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    signing_name: &str,
) -> Result<Authenticated, AwsError> {
    let request = SignedRequest {
        method,
        path,
        query,
        headers,
        body,
    };
    if state.settings.dev {
        // Any credentials: take the region from the scope when there is one.
        let region = sigv4::parse(&request)
            .ok()
            .map(|auth| auth.region)
            .filter(|r| is_region(r))
            .unwrap_or_else(|| state.settings.default_region.clone());
        let principal_arn = kinko_model::arn::iam_user(&region, &state.settings.account_id, "dev");
        return Ok(Authenticated {
            policy_arn: principal_arn.clone(),
            principal_arn,
            region,
            access_key_id: None,
            long_term_key: false,
            session: None,
        });
    }

    let auth = sigv4::parse(&request)?;
    sigv4::check_time(&auth, jiff::Timestamp::now())?;
    sigv4::check_scope(&auth, signing_name, is_region)?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    if let Some(token) = session_token(headers, query) {
        let session = state
            .credentials
            .open_session(&auth.access_key_id, &token, now_ms)
            .map_err(|e| match e {
                SessionError::Invalid => AwsError::from(AuthError::UnrecognizedClient),
                SessionError::Expired => AwsError::from(AuthError::ExpiredToken),
            })?;
        sigv4::verify(&request, &auth, &session.secret, &state.signing_keys, false)?;
        // A session of a role that is gone, or was deleted and created
        // again (another unique id), is refused as an unknown token: it
        // never gains the new role's permissions.
        let session = state
            .services
            .identity
            .session_access(session.claims)
            .await
            .map_err(AwsError::from)?
            .ok_or(AuthError::UnrecognizedClient)?;
        return Ok(Authenticated {
            region: auth.region,
            principal_arn: session.claims.session_arn.clone(),
            policy_arn: session.claims.role_arn.clone(),
            access_key_id: Some(auth.access_key_id),
            long_term_key: false,
            session: Some(Arc::new(session)),
        });
    }
    let key = state
        .credentials
        .lookup(&auth.access_key_id)
        .await
        .map_err(|e| match e {
            // A store that is slow, down or full is the SDK's to retry (503).
            CredentialsError::Store(e) => kinko_aws::error::store_error(e),
            e => {
                tracing::error!(error = %e, "access key lookup failed");
                AwsError::internal()
            }
        })?
        .ok_or(AuthError::UnrecognizedClient)?;
    // A deactivated key, or one past a rotation's grace, is refused as AWS
    // refuses an inactive key.
    if !key.usable_at(now_ms) {
        return Err(AuthError::UnrecognizedClient.into());
    }
    sigv4::verify(&request, &auth, &key.secret, &state.signing_keys, false)?;
    Ok(Authenticated {
        region: auth.region,
        principal_arn: key.principal_arn.clone(),
        policy_arn: key.principal_arn.clone(),
        access_key_id: Some(auth.access_key_id),
        long_term_key: true,
        session: None,
    })
}

#[cfg(test)]
mod tests {
    use super::is_region;

    #[test]
    fn regions_are_recognised() {
        for ok in [
            "us-east-1",
            "eu-north-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-2",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-EAST-1",
            "xx-foo",
            "us-east-1a",
            "us--1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
