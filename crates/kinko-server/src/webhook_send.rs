//! The HTTP client that delivers webhooks (`kinko_core::webhooks`): the
//! same stack as the OIDC key fetcher (rustls over aws-lc-rs with the
//! system's roots), a timeout over the whole exchange, redirects never
//! followed (a 3xx is a failed attempt: the subscription's URL is what was
//! registered, not wherever it points), the answer's body not read beyond
//! what closing the exchange needs. Errors say what failed, never the URL.
//! Every address a name resolves to is checked against the addresses no
//! webhook goes to (cloud metadata, link-local; see
//! `kinko_core::webhooks::is_forbidden_address`), so a name pointed at
//! 169.254.169.254 cannot turn a subscription into a credential thief.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::rt::TokioExecutor;
use kinko_core::clock::Clock;
use kinko_core::keyring::Keyring;
use kinko_core::secrets::SecretsManager;
use kinko_core::ssm::ParameterStore;
use kinko_core::webhooks::{Answer, WebhookSender, Webhooks, check_url, is_forbidden_address};
use kinko_store::Store;

/// Connecting, sending and reading the status together (Standard
/// Webhooks suggests 15–30 s).
const TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The system resolver, keeping only the addresses a webhook may go to.
#[derive(Clone)]
struct AllowedAddresses(GaiResolver);

type Resolving =
    Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, std::io::Error>> + Send>>;

impl tower::Service<Name> for AllowedAddresses {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let resolving = self.0.call(name);
        Box::pin(async move {
            let allowed: Vec<SocketAddr> = resolving
                .await?
                .filter(|addr| !is_forbidden_address(addr.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the host resolves only to addresses webhooks are never sent to \
                     (link-local, cloud metadata, multicast)",
                ));
            }
            Ok(allowed.into_iter())
        })
    }
}

pub struct HttpWebhookSender {
    client: Client<HttpsConnector<HttpConnector<AllowedAddresses>>, Full<Bytes>>,
}

impl HttpWebhookSender {
    pub fn new() -> Result<HttpWebhookSender, String> {
        let mut builder = kinko_crypto::tls::ClientConfigBuilder::new();
        let roots = builder.add_system_roots();
        if roots.added == 0 {
            tracing::warn!(
                "no system root certificates: webhooks to https:// URLs cannot be delivered"
            );
        }
        let tls = builder.build().map_err(|e| e.to_string())?;
        let mut connector = HttpConnector::new_with_resolver(AllowedAddresses(GaiResolver::new()));
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        Ok(HttpWebhookSender {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Answer, String> {
        // Checked here too: a URL read from a parameter at delivery time.
        check_url(url).map_err(|e| e.to_string())?;
        let uri: http::Uri = url.parse().map_err(|_| "the URL is not valid".to_owned())?;
        let mut request = http::Request::post(uri).header(
            http::header::USER_AGENT,
            concat!("kinko/", env!("CARGO_PKG_VERSION")),
        );
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|_| "the request could not be built".to_owned())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| connect_reason(&e))?;
            let status = response.status().as_u16();
            let retry_after_s = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after_seconds(v, jiff::Timestamp::now()));
            // Drained (bounded by the timeout) so the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok(Answer {
                status,
                retry_after_s,
            })
        };
        match tokio::time::timeout(TIMEOUT, exchange).await {
            Ok(answer) => answer,
            Err(_) => Err(format!("no answer within {}s", TIMEOUT.as_secs())),
        }
    }
}

/// A `Retry-After` value as seconds from `now`: delta-seconds, or an
/// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`); a date past is 0.
fn retry_after_seconds(value: &str, now: jiff::Timestamp) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let date = jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", value)
        .ok()?
        .to_datetime()
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    let seconds = date.as_second().saturating_sub(now.as_second());
    Some(u64::try_from(seconds).unwrap_or(0))
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

/// A sender for a server whose TLS client could not be built: every
/// attempt fails and says why (and is retried, so a fixed server delivers).
struct NoClient(String);

#[async_trait]
impl WebhookSender for NoClient {
    async fn post(&self, _: &str, _: &[(&str, String)], _: &[u8]) -> Result<Answer, String> {
        Err(format!("no HTTP client: {}", self.0))
    }
}

/// The webhooks service over `store`, delivering over HTTP.
pub fn webhooks(
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    clock: Arc<dyn Clock>,
    secrets: Arc<SecretsManager>,
) -> Arc<Webhooks> {
    let sender: Arc<dyn WebhookSender> = match HttpWebhookSender::new() {
        Ok(sender) => Arc::new(sender),
        Err(e) => {
            tracing::warn!(error = %e, "no HTTP client for webhooks");
            Arc::new(NoClient(e))
        }
    };
    let parameters = ParameterStore::new(store.clone(), keyring.clone()).with_secrets(secrets);
    Arc::new(Webhooks::new(
        store.clone(),
        store,
        keyring,
        clock,
        sender,
        Arc::new(parameters),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_receiver_says_why_without_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let sender = HttpWebhookSender::new().unwrap();
        let url = format!("http://127.0.0.1:{port}/hook-token-123");
        let err = sender.post(&url, &[], b"{}").await.unwrap_err();
        assert!(!err.contains("hook-token-123"), "{err}");
        assert!(!err.is_empty());
        let err = sender
            .post("http://10.1.2.3/x", &[], b"{}")
            .await
            .unwrap_err();
        assert!(err.contains("https://"), "{err}");
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        let now: jiff::Timestamp = "2015-10-21T07:27:00Z".parse().unwrap();
        assert_eq!(retry_after_seconds("120", now), Some(120));
        assert_eq!(
            retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(60)
        );
        assert_eq!(
            retry_after_seconds("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_seconds("soon", now), None);
        assert_eq!(retry_after_seconds("-5", now), None);
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_a_metadata_address_is_not_sent_to() {
        let mut resolver = AllowedAddresses(GaiResolver::new());
        let name: Name = "169.254.169.254".parse().unwrap();
        let err = tower::Service::call(&mut resolver, name).await.unwrap_err();
        assert!(err.to_string().contains("cloud metadata"), "{err}");
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = tower::Service::call(&mut resolver, name)
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
