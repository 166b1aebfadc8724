//! Step 1 of a request: who is calling, and in which region.
//!
//! Verifies SigV4 (header or presigned form) against the access keys in the
//! store. In dev mode any credentials are accepted, but the region is still
//! read from the credential scope so that data stays partitioned as on AWS.

use std::sync::Arc;

use http::HeaderMap;
use kinko_aws::AwsError;
use kinko_aws::sigv4::{self, AuthError, SignedRequest};

use crate::app::AppState;

/// The verified caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub region: String,
    pub principal_arn: String,
    pub access_key_id: Option<String>,
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
) -> Result<Caller, AwsError> {
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
        return Ok(Caller {
            principal_arn: kinko_core::arn::iam_user(&region, &state.settings.account_id, "dev"),
            region,
            access_key_id: None,
        });
    }

    let auth = sigv4::parse(&request)?;
    sigv4::check_time(&auth, jiff::Timestamp::now())?;
    sigv4::check_scope(&auth, signing_name, is_region)?;
    let key = state
        .credentials
        .lookup(&auth.access_key_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "access key lookup failed");
            AwsError::internal()
        })?
        .ok_or(AuthError::UnrecognizedClient)?;
    if !key.active {
        return Err(AuthError::UnrecognizedClient.into());
    }
    sigv4::verify(&request, &auth, &key.secret, &state.signing_keys, false)?;
    Ok(Caller {
        region: auth.region,
        principal_arn: key.principal_arn.clone(),
        access_key_id: Some(auth.access_key_id),
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
