//! A client for kinko's admin API (`X-Amz-Target: KinkoAdmin.<Operation>`):
//! AWS JSON 1.1 over `POST /`, SigV4-signed with the service name `kinko`.
//!
//! The admin API has no SDK, so requests are signed with `aws-sigv4` (the
//! SDK's own signer) and sent with a plain hyper client. The server and the
//! credentials are found the way the aws CLI finds them: the default
//! credential chain (environment, profiles, SSO, `credential_process`), and
//! `--endpoint-url`, `AWS_ENDPOINT_URL_KINKO`, `AWS_ENDPOINT_URL` or the
//! profile's `endpoint_url` for the server.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;

mod operations;

/// The `X-Amz-Target` prefix of every admin operation.
pub const TARGET_PREFIX: &str = "KinkoAdmin";
/// The service name in the SigV4 credential scope.
pub const SIGNING_SERVICE: &str = "kinko";
/// The signing region when none is configured (the server accepts any).
pub const DEFAULT_REGION: &str = "us-east-1";
/// Environment variables naming the server, most specific first.
const ENDPOINT_VARIABLES: [&str; 2] = ["AWS_ENDPOINT_URL_KINKO", "AWS_ENDPOINT_URL"];
/// A PEM file of extra trusted roots, as the aws CLI reads it.
const CA_BUNDLE_VARIABLE: &str = "AWS_CA_BUNDLE";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A bound on one whole call, so a hung server does not hang a script.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Cached temporary credentials are refreshed this long before they expire.
const CREDENTIALS_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// How much of a non-AWS error body is shown.
const BODY_EXCERPT: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "no kinko server endpoint: pass --endpoint-url, set AWS_ENDPOINT_URL \
         (or AWS_ENDPOINT_URL_KINKO, or endpoint_url in your aws profile), \
         or run `eval \"$(kinko env)\"`"
    )]
    NoEndpoint,
    #[error("invalid endpoint URL {url:?}: {reason}")]
    BadEndpoint { url: String, reason: String },
    #[error(
        "no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
         choose a profile with AWS_PROFILE, or run `eval \"$(kinko env)\"`): {0}"
    )]
    NoCredentials(String),
    #[error("cannot load AWS credentials: {0}")]
    Credentials(String),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("cannot sign the request: {0}")]
    Signing(String),
    #[error("cannot reach the kinko server at {endpoint}: {reason}")]
    Transport { endpoint: String, reason: String },
    #[error("the kinko server at {endpoint} did not answer within {seconds}s")]
    Timeout { endpoint: String, seconds: u64 },
    /// An AWS-shaped error answer (`__type` and `message`).
    #[error("{code}: {message}")]
    Api { code: String, message: String },
    /// An error answer that is not AWS-shaped (a proxy, another server).
    #[error("HTTP {status} that is not an AWS error (is this a kinko server?): {body}")]
    Http { status: u16, body: String },
    #[error("invalid answer from the server: {0}")]
    BadResponse(String),
    /// A JSON answer that is not the operation's response shape (another
    /// server, or another version of kinko). The reason never quotes the
    /// answer, which may hold a secret.
    #[error("the server's answer to {operation} is not what kinko expects: {reason}")]
    Decode {
        operation: &'static str,
        reason: String,
    },
}

impl AdminError {
    /// The AWS error code of an API error (`AccessDeniedException`, …).
    pub fn code(&self) -> Option<&str> {
        match self {
            AdminError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Where to look beyond the standard configuration (the CLI's own flags).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--endpoint-url`: wins over every other source.
    pub endpoint_url: Option<String>,
    /// `--profile`: instead of `AWS_PROFILE` / `default`.
    pub profile: Option<String>,
    /// `--region`: instead of `AWS_REGION` / the profile's region.
    pub region: Option<String>,
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A signed-request client for one kinko server and one set of credentials.
pub struct AdminClient {
    /// The URL every request is posted to (the endpoint, path `/` by default).
    url: String,
    /// The `Host` header: the URL's authority, signed as sent.
    host: String,
    region: String,
    provider: SharedCredentialsProvider,
    /// The last credentials loaded, reused until they near their expiry
    /// (`audit tail --follow` calls once a second; `credential_process`
    /// should not run that often).
    cached: tokio::sync::Mutex<Option<Credentials>>,
    http: HttpClient,
}

impl fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClient")
            .field("url", &self.url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl AdminClient {
    /// The server and credentials from the environment and aws profiles,
    /// as the aws CLI finds them; `endpoint_override` is `--endpoint-url`.
    pub async fn from_env(endpoint_override: Option<String>) -> Result<AdminClient, AdminError> {
        Self::load(LoadOptions {
            endpoint_url: endpoint_override,
            ..LoadOptions::default()
        })
        .await
    }

    /// [`AdminClient::from_env`] with a chosen profile or region.
    pub async fn load(options: LoadOptions) -> Result<AdminClient, AdminError> {
        let config = load_config(&options).await;
        // The SDK config's endpoint is `AWS_ENDPOINT_URL`, else the
        // profile's `endpoint_url`.
        let endpoint = choose_endpoint(
            options.endpoint_url.as_deref(),
            |name| std::env::var(name).ok(),
            config.endpoint_url(),
        )?;
        let region = config
            .region()
            .map_or(DEFAULT_REGION, Region::as_ref)
            .to_owned();
        let provider = config.credentials_provider().ok_or_else(|| {
            AdminError::NoCredentials("no credential provider is configured".to_owned())
        })?;
        let extra_roots = match std::env::var(CA_BUNDLE_VARIABLE) {
            Ok(path) if !path.is_empty() => read_ca_bundle(&path)?,
            _ => Vec::new(),
        };
        Self::build(&endpoint, region, provider, &extra_roots)
    }

    /// A client with explicit settings (tests, and callers that already
    /// hold credentials).
    pub fn new(
        endpoint: &str,
        region: impl Into<String>,
        credentials: SharedCredentialsProvider,
    ) -> Result<AdminClient, AdminError> {
        Self::build(endpoint, region.into(), credentials, &[])
    }

    fn build(
        endpoint: &str,
        region: String,
        provider: SharedCredentialsProvider,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<AdminClient, AdminError> {
        let (url, host) = request_url(endpoint)?;
        let tls = tls_config(extra_roots, url.starts_with("https://"))?;
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        Ok(AdminClient {
            url,
            host,
            region,
            provider,
            cached: tokio::sync::Mutex::new(None),
            http: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    /// The URL requests are posted to.
    pub fn endpoint(&self) -> &str {
        &self.url
    }

    /// The region in the signing scope.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The access key id requests are signed with (to recognise this
    /// client's own calls in the audit log).
    pub async fn access_key_id(&self) -> Result<String, AdminError> {
        Ok(self.credentials().await?.access_key_id().to_owned())
    }

    /// Calls `KinkoAdmin.<operation>` with `body`; the answer's JSON object
    /// (`{}` for an empty answer), or the AWS error as [`AdminError::Api`].
    /// Private: callers use the typed methods (`operations.rs`), which this
    /// carries; its own tests pin the transport with raw JSON.
    async fn call(&self, operation: &str, body: &Value) -> Result<Value, AdminError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| AdminError::Signing(format!("cannot encode the request: {e}")))?;
        let target = format!("{TARGET_PREFIX}.{operation}");
        let credentials = self.credentials().await?;
        let request = self.signed_request(&target, payload, credentials)?;
        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| AdminError::Transport {
                    endpoint: self.url.clone(),
                    reason: error_chain(&e),
                })?;
            let status = response.status().as_u16();
            let error_type = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| AdminError::Transport {
                    endpoint: self.url.clone(),
                    reason: error_chain(&e),
                })?
                .to_bytes();
            Ok::<_, AdminError>((status, error_type, body))
        };
        let (status, error_type, body) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| AdminError::Timeout {
            endpoint: self.url.clone(),
            seconds: REQUEST_TIMEOUT.as_secs(),
        })??;
        if (200..300).contains(&status) {
            success_body(&body)
        } else {
            Err(error_from_response(status, error_type.as_deref(), &body))
        }
    }

    /// `POST /` with the target, signed for `credentials` (the signer adds
    /// `x-amz-security-token` when they hold a session token).
    fn signed_request(
        &self,
        target: &str,
        payload: Vec<u8>,
        credentials: Credentials,
    ) -> Result<http::Request<Full<Bytes>>, AdminError> {
        let headers = [
            ("content-type", CONTENT_TYPE),
            ("host", self.host.as_str()),
            ("x-amz-target", target),
        ];
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SIGNING_SERVICE)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AdminError::Signing(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(&payload),
        )
        .map_err(|e| AdminError::Signing(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| AdminError::Signing(e.to_string()))?
            .into_parts();
        let mut builder = http::Request::builder()
            .method(http::Method::POST)
            .uri(self.url.as_str());
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let mut request = builder
            .body(Full::new(Bytes::from(payload)))
            .map_err(|e| AdminError::Signing(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }

    /// The cached credentials while fresh, else newly loaded ones.
    async fn credentials(&self) -> Result<Credentials, AdminError> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref()
            && is_fresh(credentials, SystemTime::now())
        {
            return Ok(credentials.clone());
        }
        let credentials = self
            .provider
            .provide_credentials()
            .await
            .map_err(|e| credentials_error(&e))?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }
}

/// The standard aws configuration, with the region looked up in the
/// environment and profile only: probing the instance metadata service for
/// a region would stall every command off EC2, and any region will do.
async fn load_config(options: &LoadOptions) -> SdkConfig {
    let mut profile_region = aws_config::profile::region::ProfileFileRegionProvider::builder();
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &options.profile {
        profile_region = profile_region.profile_name(profile);
        loader = loader.profile_name(profile);
    }
    let region = RegionProviderChain::first_try(options.region.clone().map(Region::new))
        .or_else(aws_config::environment::region::EnvironmentVariableRegionProvider::new())
        .or_else(profile_region.build());
    loader.region(region).load().await
}

/// Picks the server: `endpoint_override` (`--endpoint-url`), else
/// `AWS_ENDPOINT_URL_KINKO`, else `AWS_ENDPOINT_URL` (read through `env`),
/// else the profile's endpoint. Empty values count as unset.
pub fn choose_endpoint(
    endpoint_override: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    profile_endpoint: Option<&str>,
) -> Result<String, AdminError> {
    let set = |value: &str| !value.trim().is_empty();
    let chosen = endpoint_override
        .filter(|v| set(v))
        .map(str::to_owned)
        .or_else(|| {
            ENDPOINT_VARIABLES
                .iter()
                .find_map(|name| env(name).filter(|v| set(v)))
        })
        .or_else(|| profile_endpoint.filter(|v| set(v)).map(str::to_owned))
        .ok_or(AdminError::NoEndpoint)?;
    let chosen = chosen.trim().to_owned();
    request_url(&chosen)?;
    Ok(chosen)
}

/// The URL to post to and its `Host`: `http(s)://authority[/path]`, with
/// `/` as the default path.
fn request_url(endpoint: &str) -> Result<(String, String), AdminError> {
    let bad = |reason: &str| AdminError::BadEndpoint {
        url: endpoint.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
    let scheme = uri
        .scheme_str()
        .ok_or_else(|| bad("it needs a scheme, like http://127.0.0.1:4566"))?;
    if scheme != "http" && scheme != "https" {
        return Err(bad("the scheme must be http or https"));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| bad("it has no host"))?
        .as_str();
    if authority.contains('@') {
        return Err(bad("credentials do not belong in the endpoint URL"));
    }
    if uri.query().is_some() {
        return Err(bad("it must not have a query string"));
    }
    let path = match uri.path() {
        "" => "/",
        path => path,
    };
    Ok((
        format!("{scheme}://{authority}{path}"),
        authority.to_owned(),
    ))
}

/// The JSON object of a successful answer (`{}` when the body is empty).
fn success_body(body: &[u8]) -> Result<Value, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AdminError::BadResponse(format!("the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(AdminError::BadResponse(
            "the body is not a JSON object".to_owned(),
        ));
    }
    Ok(value)
}

/// Maps an error answer to [`AdminError::Api`] when it is AWS-shaped: the
/// code from `__type` (or the `x-amzn-ErrorType` header), without a
/// namespace (`ns#Code`) or a trailing `:url`; the message from `message`
/// or `Message`.
pub fn error_from_response(status: u16, error_type: Option<&str>, body: &[u8]) -> AdminError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code = field("__type")
        .or_else(|| field("code"))
        .or_else(|| field("Code"))
        .or_else(|| error_type.map(str::to_owned))
        .map(|raw| short_code(&raw))
        .filter(|code| !code.is_empty());
    match code {
        Some(code) => {
            let message = field("message")
                .or_else(|| field("Message"))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("HTTP {status}"));
            AdminError::Api { code, message }
        }
        None => {
            let text = String::from_utf8_lossy(body);
            let mut excerpt: String = text.trim().chars().take(BODY_EXCERPT).collect();
            if excerpt.is_empty() {
                excerpt = "(empty body)".to_owned();
            } else if text.trim().chars().count() > BODY_EXCERPT {
                excerpt.push('…');
            }
            AdminError::Http {
                status,
                body: excerpt,
            }
        }
    }
}

/// `aws.protocols#AccessDeniedException:http://…` → `AccessDeniedException`.
fn short_code(raw: &str) -> String {
    let without_namespace = raw.rsplit('#').next().unwrap_or(raw);
    without_namespace
        .split(':')
        .next()
        .unwrap_or(without_namespace)
        .trim()
        .to_owned()
}

fn is_fresh(credentials: &Credentials, now: SystemTime) -> bool {
    match credentials.expiry() {
        None => true,
        Some(expiry) => expiry > now + CREDENTIALS_REFRESH_MARGIN,
    }
}

fn credentials_error(error: &CredentialsError) -> AdminError {
    match error {
        CredentialsError::CredentialsNotLoaded(_) => AdminError::NoCredentials(error_chain(error)),
        _ => AdminError::Credentials(error_chain(error)),
    }
}

/// An error and its causes on one line (the SDK's errors keep the useful
/// part in their sources).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The certificates of `AWS_CA_BUNDLE`.
fn read_ca_bundle(path: &str) -> Result<Vec<CertificateDer<'static>>, AdminError> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| AdminError::Tls(format!("cannot read {CA_BUNDLE_VARIABLE} {path}: {e}")))?;
    if certificates.is_empty() {
        return Err(AdminError::Tls(format!(
            "{CA_BUNDLE_VARIABLE} {path} holds no PEM certificate"
        )));
    }
    Ok(certificates)
}

/// The system's roots plus `extra`; for an `https` endpoint at least one
/// root must be usable.
fn tls_config(
    extra: &[CertificateDer<'static>],
    need_roots: bool,
) -> Result<rustls::ClientConfig, AdminError> {
    let mut builder = kinko_crypto::tls::ClientConfigBuilder::new();
    if need_roots {
        builder.add_system_roots();
    }
    for certificate in extra {
        builder
            .add_root(certificate.clone())
            .map_err(|e| AdminError::Tls(format!("unusable certificate in the CA bundle: {e}")))?;
    }
    if need_roots && builder.is_empty() {
        return Err(AdminError::Tls(format!(
            "no trusted root certificates: the system has none and {CA_BUNDLE_VARIABLE} is not set"
        )));
    }
    builder.build().map_err(|e| AdminError::Tls(e.to_string()))
}

/// Epoch seconds (as the admin API sends dates) as RFC 3339 UTC, to the
/// second: `2024-05-01T10:00:00Z`.
pub fn format_epoch(seconds: f64) -> String {
    let whole = seconds.floor();
    if !whole.is_finite() || whole < i64::MIN as f64 || whole > i64::MAX as f64 {
        return seconds.to_string();
    }
    match jiff::Timestamp::from_second(whole as i64) {
        Ok(timestamp) => timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => seconds.to_string(),
    }
}

/// An RFC 3339 time (`2024-05-01T10:00:00Z`, any offset) as epoch seconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|e| format!("{text:?} is not an RFC 3339 time: {e}"))
}

#[cfg(test)]
mod tests;
