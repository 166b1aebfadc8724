//! Web identity federation: the OpenID Connect providers registered with
//! kinko (IAM's `CreateOpenIDConnectProvider`), and the ID tokens
//! AssumeRoleWithWebIdentity exchanges for a role session.
//!
//! A provider is its issuer URL, its client ids (the `aud` values it
//! accepts) and where its keys come from ([`KeySource`]): a JWKS given when
//! it is registered (then a request never waits on, or fails with, the
//! identity provider, and a provider that rotates its keys is registered
//! again), a JWKS URL, or OIDC discovery from the issuer URL (both fetched
//! and cached by [`remote`]). Thumbprints are accepted and kept, as IAM
//! keeps them, but not used: fetched keys come over TLS checked against the
//! system's roots, which is what AWS does for the well-known issuers.

pub mod jwks;
pub mod remote;
pub mod token;

use serde::{Deserialize, Serialize};

pub use jwks::{Jwks, JwksError};
pub use remote::{FetchError, JwksFetcher, RemoteKeys};
pub use token::{TokenError, UnverifiedToken, VerifiedToken};

/// Up to this many client ids per provider (IAM's limit).
pub const MAX_CLIENT_IDS: usize = 100;
/// Up to this many thumbprints per provider (IAM's limit).
pub const MAX_THUMBPRINTS: usize = 5;

/// A registered provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// `arn:aws:iam::ACCT:oidc-provider/HOST/PATH`.
    pub arn: String,
    /// `https://HOST/PATH`, what the tokens' `iss` is.
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub keys: KeySource,
    pub created_ms: i64,
}

/// Where a provider's verification keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The JWKS given at registration, as given and parsed.
    Inline { text: String, jwks: Jwks },
    /// A JWKS URL, fetched and cached.
    Url(String),
    /// `ISSUER/.well-known/openid-configuration`'s `jwks_uri`, fetched and cached.
    Discovery,
}

impl KeySource {
    /// `inline`, the URL, or `discovery`: how the admin API and the cache name it.
    pub fn describe(&self) -> &str {
        match self {
            KeySource::Inline { .. } => "inline",
            KeySource::Url(url) => url,
            KeySource::Discovery => "discovery",
        }
    }
}

/// The stored form (the store keeps it as one JSON text).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StoredConfig {
    pub url: String,
    pub client_ids: Vec<String>,
    #[serde(default)]
    pub thumbprints: Vec<String>,
    /// Inline keys; neither this nor `jwks_url`: discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
}

/// The provider's name in its ARN and in condition keys
/// (`token.actions.githubusercontent.com:sub`): the issuer without its
/// scheme and without a trailing `/`.
pub fn provider_name(issuer: &str) -> &str {
    issuer
        .strip_prefix("https://")
        .unwrap_or(issuer)
        .trim_end_matches('/')
}

/// A provider URL as IAM takes it: `https://`, a host, an optional path, no
/// query, fragment or user info, at most 255 characters. Returns it
/// without a trailing `/`.
pub fn check_url(url: &str) -> Result<String, String> {
    if url.is_empty() || url.chars().count() > 255 {
        return Err(format!(
            "The provider URL must be 1 to 255 characters long; it is {}.",
            url.chars().count()
        ));
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(format!(
            "The provider URL {} must begin with https://.",
            bounded(url)
        ));
    };
    let rest = rest.trim_end_matches('/');
    let host = rest.split('/').next().unwrap_or_default();
    let bad = rest.contains(['?', '#', '@', ' ']) || host.is_empty();
    if bad {
        return Err(format!(
            "The provider URL {} must be https://HOST[/PATH], without a query, a fragment or user info.",
            bounded(url)
        ));
    }
    Ok(format!("https://{rest}"))
}

/// A JWKS URL kinko will fetch: `https://`, or `http://` to a loopback
/// host only (`127.0.0.0/8`, `[::1]`, `localhost`: a JWKS served beside
/// kinko, or a test's), at most 2048 characters, no user info or fragment.
/// Keys fetched over plain HTTP from anywhere else could be anyone's.
pub fn check_jwks_url(url: &str) -> Result<String, String> {
    if url.is_empty() || url.chars().count() > 2048 {
        return Err(format!(
            "The JWKS URL must be 1 to 2048 characters long; it is {}.",
            url.chars().count()
        ));
    }
    let (https, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => {
            return Err(format!(
                "The JWKS URL {} must begin with https:// (or http:// to a loopback address).",
                bounded(url)
            ));
        }
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || url.contains(['#', ' ']) {
        return Err(format!(
            "The JWKS URL {} must be a URL with a host, without user info or a fragment.",
            bounded(url)
        ));
    }
    if !https && !is_loopback(authority) {
        return Err(format!(
            "The JWKS URL {} must use https://; plain http:// is accepted for loopback \
             addresses only.",
            bounded(url)
        ));
    }
    Ok(url.to_owned())
}

/// Whether `host[:port]` names this machine.
pub fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Client text as an error quotes it: at most 128 characters.
pub(crate) fn bounded(text: &str) -> String {
    let mut out: String = text.chars().take(128).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
