//! The forward proxy: takes absolute-form requests (`GET http://host/path`),
//! signs them with the host's rules and forwards them over HTTPS.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::{Authority, Scheme};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kinko_model::value_source::ValueSource;
use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::cache::RuleCache;
use crate::hop::remove_hop_by_hop;
use crate::host_glob::{self, HostGlob};
use crate::rules::looked_for;
use crate::upstream::{self, UpstreamClient, UpstreamError};

/// The body of every answer: the upstream's, streamed, or our own.
pub type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// What `kinko proxy` was started with.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Parameter prefix the rules live under (`/proxy`).
    pub prefix: String,
    /// How long rules are used before they are read again.
    pub ttl: Duration,
    /// Hosts that may be called; empty: every host.
    pub allow_hosts: Vec<HostGlob>,
    /// Extra trusted roots (`--ca-file`), with the file they came from.
    pub ca_certificates: Vec<(String, Vec<rustls_pki_types::CertificateDer<'static>>)>,
    /// Also trust the system's roots.
    pub system_roots: bool,
    /// Forward `http://` requests as plain HTTP instead of upgrading them
    /// (for tests and benchmarks against a local upstream).
    pub allow_plain_upstream: bool,
    /// Time to establish a connection to the upstream.
    pub connect_timeout: Duration,
    /// Time from sending a request until the upstream's response headers.
    /// Bodies are not limited: a large download takes what it takes.
    pub timeout: Duration,
}

impl ProxyConfig {
    /// Defaults: `/proxy`, 5 minutes TTL, every host, system roots, 10 s
    /// to connect, 60 s for the response headers.
    pub fn new() -> Self {
        ProxyConfig {
            prefix: "/proxy".into(),
            ttl: Duration::from_secs(300),
            allow_hosts: Vec::new(),
            ca_certificates: Vec::new(),
            system_roots: true,
            allow_plain_upstream: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
        }
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// The proxy: cheap to clone, one per listener.
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

struct Inner {
    config: ProxyConfig,
    cache: RuleCache,
    client: UpstreamClient,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A refusal or failure answered by the proxy itself.
pub(crate) struct Answer {
    status: StatusCode,
    message: String,
}

impl Answer {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Answer {
            status,
            message: message.into(),
        }
    }
}

impl Proxy {
    pub fn new(config: ProxyConfig, source: Arc<dyn ValueSource>) -> Result<Self, UpstreamError> {
        let tls = upstream::tls_config(&config.ca_certificates, config.system_roots)?;
        let client = upstream::client(tls, config.allow_plain_upstream, config.connect_timeout);
        let cache = RuleCache::new(source, config.prefix.clone(), config.ttl);
        Ok(Proxy {
            inner: Arc::new(Inner {
                config,
                cache,
                client,
            }),
        })
    }

    /// Accepts connections until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        tokio::pin!(shutdown);
        let heartbeat = tokio::spawn(timer_heartbeat());
        let _stop_heartbeat = AbortOnDrop(heartbeat);
        loop {
            let (stream, _peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Out of file descriptors and the like: keep serving.
                        tracing::warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => return Ok(()),
            };
            let _ = stream.set_nodelay(true);
            let proxy = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let proxy = proxy.clone();
                    async move { Ok::<_, Infallible>(proxy.handle(request).await) }
                });
                if let Err(error) = client_connection()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%error, "client connection ended with an error");
                }
            });
        }
    }

    /// Answers one request from a client.
    pub async fn handle(&self, request: Request<Incoming>) -> Response<ProxyBody> {
        let started = Instant::now();
        let method = request.method().clone();
        let host = request
            .uri()
            .host()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        // Only the path is logged: the query may hold the client's own
        // secrets, and the signed request's path and query hold ours.
        let path = request.uri().path().to_owned();
        let response = match self.forward(request).await {
            Ok(response) => response,
            Err(answer) => text_response(answer),
        };
        tracing::info!(
            host = %host,
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            latency_ms = %Millis(started.elapsed()),
            "proxied"
        );
        response
    }

    async fn forward(&self, request: Request<Incoming>) -> Result<Response<ProxyBody>, Answer> {
        let config = &self.inner.config;
        let Prepared {
            request: upstream,
            scheme: upstream_scheme,
            authority,
        } = self.prepare(request).await?;

        // Named in errors only: formatting it on every request costs.
        let shown = || format!("{upstream_scheme}://{authority}");
        let mut response =
            match tokio::time::timeout(config.timeout, self.inner.client.request(upstream)).await {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => {
                    let status = if timed_out(&error) {
                        StatusCode::GATEWAY_TIMEOUT
                    } else {
                        StatusCode::BAD_GATEWAY
                    };
                    return Err(Answer::new(
                        status,
                        format!(
                            "kinko proxy cannot reach the upstream {}: {}",
                            shown(),
                            chain(&error)
                        ),
                    ));
                }
                Err(_elapsed) => {
                    return Err(Answer::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        format!(
                            "kinko proxy: the upstream {} did not answer within {:?} (--timeout)",
                            shown(),
                            config.timeout
                        ),
                    ));
                }
            };
        remove_hop_by_hop(response.headers_mut());
        Ok(response.map(BodyExt::boxed))
    }

    /// Everything the proxy decides about a request before it is sent:
    /// refusals (CONNECT, origin-form, a host not allowed, a scheme other
    /// than http/https, a host without rules), hop-by-hop headers removed,
    /// the upstream URI with its scheme, and the host's rules applied.
    pub(crate) async fn prepare<B>(&self, request: Request<B>) -> Result<Prepared<B>, Answer> {
        let config = &self.inner.config;
        if request.method() == Method::CONNECT {
            return Err(Answer::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "kinko proxy refuses CONNECT: a request tunnelled inside TLS cannot be signed. \
                 Send plain http:// URLs through the proxy (http_proxy, not https_proxy); \
                 it adds the credentials and forwards them over HTTPS.",
            ));
        }
        let (mut parts, body) = request.into_parts();
        let (Some(scheme), Some(authority)) =
            (parts.uri.scheme().cloned(), parts.uri.authority().cloned())
        else {
            return Err(Answer::new(
                StatusCode::BAD_REQUEST,
                "kinko proxy is a forward proxy: send absolute-form requests \
                 (GET http://host/path), for example with http_proxy=http://this-address",
            ));
        };
        let host = authority.host().to_ascii_lowercase();
        if !host_glob::allowed(&config.allow_hosts, &host) {
            return Err(Answer::new(
                StatusCode::FORBIDDEN,
                format!("kinko proxy: {host} is not an allowed host (see --allow-host)"),
            ));
        }
        let upstream_scheme = if scheme == Scheme::HTTP && config.allow_plain_upstream {
            Scheme::HTTP
        } else if scheme == Scheme::HTTP || scheme == Scheme::HTTPS {
            Scheme::HTTPS
        } else {
            return Err(Answer::new(
                StatusCode::BAD_REQUEST,
                format!("kinko proxy forwards http:// URLs only, not {scheme}://"),
            ));
        };

        let rules = self.inner.cache.rules_for(&host).await.map_err(|error| {
            Answer::new(
                StatusCode::BAD_GATEWAY,
                format!("kinko proxy cannot read the signing rules of {host}: {error}"),
            )
        })?;
        if rules.is_empty() {
            return Err(Answer::new(
                StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                format!(
                    "kinko proxy has no signing rule for {host}; it looked for parameters named:\n{}\n",
                    looked_for(self.inner.cache.prefix(), &host).join("\n")
                ),
            ));
        }

        remove_hop_by_hop(&mut parts.headers);
        parts.headers.remove(header::HOST);
        // `Expect: 100-continue` was answered on the client's hop.
        parts.headers.remove(header::EXPECT);
        parts.version = Version::HTTP_11;
        parts.uri = with_scheme(&parts.uri, upstream_scheme.clone(), authority.clone())
            .map_err(|()| Answer::new(StatusCode::BAD_REQUEST, "kinko proxy: invalid URL"))?;
        rules
            .apply(&mut parts.uri, &mut parts.headers)
            .map_err(|error| {
                Answer::new(StatusCode::BAD_GATEWAY, format!("kinko proxy: {error}"))
            })?;
        Ok(Prepared {
            request: Request::from_parts(parts, body),
            scheme: upstream_scheme,
            authority,
        })
    }
}

/// A request as it goes upstream, with where it goes.
pub(crate) struct Prepared<B> {
    pub(crate) request: Request<B>,
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
}

/// How a client connection is served: HTTP/1.1 with keep-alive (the
/// proxy's listener, and the fuzz target's in-process connections).
pub(crate) fn client_connection() -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true);
    builder
}

/// A duration as milliseconds with three decimals (`12.345`), written from
/// integers: the float formatting it replaces was a visible part of the
/// per-request log line's cost.
struct Millis(Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let micros = self.0.as_micros();
        write!(f, "{}.{:03}", micros / 1000, micros % 1000)
    }
}

/// Keeps a timer due within a second, so that the `--timeout` timer every
/// request arms is never the runtime's earliest. Tokio wakes its I/O driver
/// (an eventfd write, and one more `epoll_wait` return, often on the other
/// thread) whenever a new timer is due before all the others: without this,
/// with no other timer pending, on every request (strace counts in
/// bench/proxy/README.md). The heartbeat costs one wake-up a second.
async fn timer_heartbeat() {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        interval.tick().await;
    }
}

/// Stops a spawned task when the owner goes (returns or is cancelled).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `uri` with another scheme and authority, same path and query.
fn with_scheme(uri: &Uri, scheme: Scheme, authority: Authority) -> Result<Uri, ()> {
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(scheme);
    parts.authority = Some(authority);
    parts.path_and_query = Some(
        uri.path_and_query()
            .cloned()
            .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/")),
    );
    Uri::from_parts(parts).map_err(|_| ())
}

/// An error and its causes, `a: b: c`. The client's errors name the
/// failure (refused, certificate, DNS), never the request's URL.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether an upstream error is a timeout (connecting, for instance).
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        source = cause.source();
    }
    false
}

pub(crate) fn text_response(answer: Answer) -> Response<ProxyBody> {
    let mut message = answer.message;
    if !message.ends_with('\n') {
        message.push('\n');
    }
    let mut response = Response::new(
        Full::new(Bytes::from(message))
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = answer.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if answer.status == StatusCode::METHOD_NOT_ALLOWED {
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{plain_upstream, source};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn latencies_are_logged_in_milliseconds_with_three_decimals() {
        let shown = |micros| Millis(Duration::from_micros(micros)).to_string();
        assert_eq!(shown(0), "0.000");
        assert_eq!(shown(7), "0.007");
        assert_eq!(shown(12_345), "12.345");
        assert_eq!(shown(60_000_001), "60000.001");
    }

    async fn start(config: ProxyConfig, rules: &[(&str, &str)]) -> u16 {
        let proxy = Proxy::new(config, source(rules)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(proxy.serve(listener, std::future::pending()));
        port
    }

    fn plain_config() -> ProxyConfig {
        ProxyConfig {
            allow_plain_upstream: true,
            timeout: Duration::from_millis(500),
            ..ProxyConfig::new()
        }
    }

    /// Sends raw request text to the proxy; returns the whole response.
    async fn send(proxy: u16, request: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", proxy))
            .await
            .unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        String::from_utf8(response).unwrap()
    }

    fn get(target: &str, extra: &str) -> String {
        format!("GET {target} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n")
    }

    #[tokio::test]
    async fn signs_strips_hop_headers_and_streams_the_answer_back() {
        let (upstream, seen) = plain_upstream().await;
        let proxy = start(
            plain_config(),
            &[
                ("/proxy/127.0.0.1/headers/X-Api-Key", "k-123"),
                ("/proxy/127.0.0.1/queries/token", "q-456"),
            ],
        )
        .await;
        let response = send(
            proxy,
            &get(
                &format!("http://127.0.0.1:{upstream}/v1/items?page=2"),
                "Proxy-Authorization: Basic eDp5\r\nProxy-Connection: keep-alive\r\nX-App: 1\r\n",
            ),
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("upstream says hi"), "{response}");
        assert!(
            !response
                .to_ascii_lowercase()
                .contains("keep-alive: timeout"),
            "{response}"
        );
        let seen = seen.lock().unwrap();
        let (target, headers) = &seen[0];
        assert_eq!(target, "/v1/items?page=2&token=q-456");
        assert_eq!(headers["x-api-key"], "k-123");
        assert_eq!(headers["x-app"], "1");
        assert_eq!(headers["host"], format!("127.0.0.1:{upstream}").as_str());
        assert!(headers.get("proxy-authorization").is_none());
        assert!(headers.get("proxy-connection").is_none());
    }

    #[tokio::test]
    async fn refusals_say_why() {
        let mut config = plain_config();
        config.allow_hosts = vec![
            "127.0.0.1".parse().unwrap(),
            "*.example.com".parse().unwrap(),
        ];
        let proxy = start(config, &[("/proxy/127.0.0.1/headers/X-Api-Key", "k")]).await;

        let response = send(proxy, "CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\nConnection: close\r\n\r\n").await;
        assert!(
            response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{response}"
        );
        assert!(response.contains("refuses CONNECT"), "{response}");

        let response = send(proxy, &get("/just/a/path", "")).await;
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{response}"
        );
        assert!(response.contains("absolute-form"), "{response}");

        let response = send(proxy, &get("http://evil.test/", "")).await;
        assert!(
            response.starts_with("HTTP/1.1 403 Forbidden\r\n"),
            "{response}"
        );
        assert!(
            response.contains("evil.test is not an allowed host"),
            "{response}"
        );

        let response = send(proxy, &get("http://api.example.com/", "")).await;
        assert!(
            response.starts_with("HTTP/1.1 407 Proxy Authentication Required\r\n"),
            "{response}"
        );
        assert!(
            response.contains("/proxy/api.example.com/headers/{Header-Name}\n"),
            "{response}"
        );
        assert!(
            response.contains("/proxy/api.example.com/basic/username\n"),
            "{response}"
        );
        assert!(
            response.contains("/proxy/api.example.com/rewite/path\n"),
            "{response}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_502_and_a_silent_upstream_504() {
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let (stream, _) = silent.accept().await.unwrap();
                held.push(stream);
            }
        });
        let proxy = start(
            plain_config(),
            &[("/proxy/127.0.0.1/headers/X-Api-Key", "k-secret")],
        )
        .await;

        let response = send(proxy, &get(&format!("http://127.0.0.1:{closed}/a?b=c"), "")).await;
        assert!(
            response.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
            "{response}"
        );
        assert!(
            response.contains(&format!(
                "cannot reach the upstream http://127.0.0.1:{closed}"
            )),
            "{response}"
        );
        assert!(
            response.to_ascii_lowercase().contains("refused"),
            "{response}"
        );

        let response = send(proxy, &get(&format!("http://127.0.0.1:{silent_port}/"), "")).await;
        assert!(
            response.starts_with("HTTP/1.1 504 Gateway Timeout\r\n"),
            "{response}"
        );
        assert!(
            response.contains("did not answer within 500ms"),
            "{response}"
        );
        assert!(!response.contains("k-secret"));
    }

    #[tokio::test]
    async fn without_plain_upstream_http_is_upgraded_to_https() {
        // The plain upstream cannot speak TLS: the handshake fails, which
        // shows the proxy tried HTTPS.
        let (upstream, seen) = plain_upstream().await;
        let config = ProxyConfig {
            timeout: Duration::from_secs(5),
            ..ProxyConfig::new()
        };
        let proxy = start(config, &[("/proxy/127.0.0.1/headers/X-Api-Key", "k")]).await;
        let response = send(proxy, &get(&format!("http://127.0.0.1:{upstream}/"), "")).await;
        assert!(
            response.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
            "{response}"
        );
        assert!(
            response.contains(&format!("https://127.0.0.1:{upstream}")),
            "{response}"
        );
        assert!(seen.lock().unwrap().is_empty());
    }
}
