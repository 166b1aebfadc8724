//! The HTTP client that fetches OIDC providers' JWKS and OpenID
//! configurations for `kinko_core::web_identity::remote`: rustls over
//! aws-lc-rs trusting the system's roots (kinko-crypto's one TLS client
//! set-up), plain HTTP to loopback addresses only, a timeout over the whole
//! exchange, no redirects followed (a 3xx is an error: the provider's URL
//! is registered, not wherever it points), and a size limit on the body.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kinko_core::web_identity::{self, FetchError, JwksFetcher};

/// Connecting, sending and reading the answer together.
const TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A JWKS is a few kilobytes; an OpenID configuration too.
const MAX_BODY_BYTES: usize = 256 * 1024;

pub struct HttpJwksFetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl HttpJwksFetcher {
    /// A client trusting the system's roots. With none (a bare container),
    /// https fetches fail with a TLS error that says so.
    pub fn new() -> Result<HttpJwksFetcher, String> {
        let mut builder = kinko_crypto::tls::ClientConfigBuilder::new();
        let roots = builder.add_system_roots();
        if roots.added == 0 {
            tracing::warn!(
                "no system root certificates: OIDC providers' keys cannot be fetched over https"
            );
        }
        let tls = builder.build().map_err(|e| e.to_string())?;
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        Ok(HttpJwksFetcher {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }
}

#[async_trait]
impl JwksFetcher for HttpJwksFetcher {
    async fn get(&self, url: &str) -> Result<String, FetchError> {
        let failed = |why: String| FetchError(format!("Could not fetch {url}: {why}"));
        // Checked again here: a discovered jwks_uri, or a stored URL from
        // an older release, is held to the same rule as a registered one.
        web_identity::check_jwks_url(url).map_err(FetchError)?;
        let uri: http::Uri = url.parse().map_err(|_| failed("not a URL".to_owned()))?;
        let request = http::Request::get(uri)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::USER_AGENT, "kinko")
            .body(Empty::new())
            .map_err(|e| failed(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| failed(connect_reason(&e)))?;
            let status = response.status();
            if status.is_redirection() {
                return Err(failed(format!(
                    "it answered {status}; redirects are not followed"
                )));
            }
            if status != http::StatusCode::OK {
                return Err(failed(format!("it answered {status}")));
            }
            let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|_| {
                    failed(format!(
                        "the answer is not readable or larger than {MAX_BODY_BYTES} bytes"
                    ))
                })?
                .to_bytes();
            String::from_utf8(body.to_vec()).map_err(|_| failed("the answer is not UTF-8".into()))
        };
        match tokio::time::timeout(TIMEOUT, exchange).await {
            Ok(answer) => answer,
            Err(_) => Err(failed(format!("no answer within {}s", TIMEOUT.as_secs()))),
        }
    }
}

/// The innermost cause of a failed request (`Connection refused`, a TLS
/// verification error), which hyper's own text hides.
fn connect_reason(error: &hyper_util::client::legacy::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_http_goes_to_loopback_only() {
        let fetcher = HttpJwksFetcher::new().unwrap();
        let err = fetcher
            .get("http://keys.example.test/jwks.json")
            .await
            .unwrap_err();
        assert!(err.0.contains("must use https://"), "{err}");
    }

    #[tokio::test]
    async fn an_unreachable_issuer_says_why() {
        // A port nothing listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let fetcher = HttpJwksFetcher::new().unwrap();
        let url = format!("http://127.0.0.1:{port}/jwks.json");
        let err = fetcher.get(&url).await.unwrap_err();
        assert!(
            err.0.starts_with(&format!("Could not fetch {url}: ")),
            "{err}"
        );
    }
}
