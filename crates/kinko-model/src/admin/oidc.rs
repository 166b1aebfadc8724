//! OpenID Connect identity providers (IAM's `CreateOpenIDConnectProvider`
//! and friends, with the provider's JWKS given at registration, or the URL
//! the server fetches it from, or neither for OIDC discovery).

use serde::{Deserialize, Serialize};

/// `CreateOpenIDConnectProvider`: IAM's members, plus `Jwks` (the key
/// set's JSON text) or `JwksUrl` (where the server fetches it); neither:
/// the server discovers it from `Url`'s `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateOidcProviderRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(rename = "ClientIDList", default)]
    pub client_id_list: Vec<String>,
    #[serde(default)]
    pub thumbprint_list: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
}

/// `GetOpenIDConnectProvider`, `DeleteOpenIDConnectProvider`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OidcProviderArnRequest {
    #[serde(
        rename = "OpenIDConnectProviderArn",
        skip_serializing_if = "Option::is_none"
    )]
    pub arn: Option<String>,
}

/// One provider as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OidcProviderShape {
    #[serde(rename = "OpenIDConnectProviderArn")]
    pub arn: String,
    pub url: String,
    #[serde(rename = "ClientIDList")]
    pub client_id_list: Vec<String>,
    pub thumbprint_list: Vec<String>,
    /// The key ids of the JWKS's usable keys (given at registration; empty
    /// when the keys are fetched).
    pub key_ids: Vec<String>,
    /// `inline` (the JWKS was given), `url` (fetched from `JwksUrl`) or
    /// `discovery` (fetched from the issuer's OpenID configuration).
    #[serde(default)]
    pub key_source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    pub create_date: crate::Epoch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OidcProviderResponse {
    #[serde(rename = "OpenIDConnectProvider")]
    pub provider: OidcProviderShape,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListOidcProvidersResponse {
    #[serde(rename = "OpenIDConnectProviderList")]
    pub providers: Vec<OidcProviderShape>,
}
