//! The upstream side's connection pool: keep-alive HTTP/1.1 connections per
//! scheme and authority, each driven by one task for its whole life.
//!
//! A connection is handed back to the pool by the response body itself,
//! when the last byte has been read, so a request costs no task of its own
//! (hyper-util's legacy client spawns one per HTTP/1.1 request to wait for
//! that moment, which a proxy forwarding small answers pays for on every
//! call). A body dropped before its end takes the connection with it: it
//! cannot carry another request.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::Instant;
use tower::ServiceExt as _;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a request could not be sent or answered. The causes name the
/// failure (refused, certificate, reset), never the request's URL.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("the request has no scheme and authority")]
    NotAbsolute,
    #[error("cannot connect")]
    Connect(#[source] BoxError),
    #[error("the HTTP/1.1 handshake failed")]
    Handshake(#[source] hyper::Error),
    #[error("the request failed")]
    Send(#[source] hyper::Error),
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    scheme: Scheme,
    authority: Authority,
}

struct Idle {
    sender: SendRequest<Incoming>,
    since: Instant,
}

/// Pooled keep-alive connections to upstreams. Cheap to share (`Arc`).
pub struct Pool {
    connector: HttpsConnector<HttpConnector>,
    idle: Mutex<HashMap<Key, Vec<Idle>>>,
    idle_timeout: Duration,
    max_idle_per_host: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("idle_timeout", &self.idle_timeout)
            .field("max_idle_per_host", &self.max_idle_per_host)
            .finish_non_exhaustive()
    }
}

impl Pool {
    pub fn new(
        connector: HttpsConnector<HttpConnector>,
        idle_timeout: Duration,
        max_idle_per_host: usize,
    ) -> Arc<Self> {
        Arc::new(Pool {
            connector,
            idle: Mutex::new(HashMap::new()),
            idle_timeout,
            max_idle_per_host,
        })
    }

    /// Sends `request` (absolute URI) over a pooled connection, or a new
    /// one; the answer's body hands the connection back when read out.
    pub async fn request(
        self: &Arc<Self>,
        mut request: Request<Incoming>,
    ) -> Result<Response<PooledBody>, PoolError> {
        let (Some(scheme), Some(authority)) = (
            request.uri().scheme().cloned(),
            request.uri().authority().cloned(),
        ) else {
            return Err(PoolError::NotAbsolute);
        };
        let key = Key { scheme, authority };
        let target = request.uri().clone();
        if !request.headers().contains_key(header::HOST) {
            request
                .headers_mut()
                .insert(header::HOST, host_header(&key.scheme, &key.authority));
        }
        *request.uri_mut() = origin_form(request.uri());

        // A pooled connection the upstream closed just as the request went
        // out hands the request back unsent: it is tried once more on a
        // new connection.
        let (mut sender, reused) = match self.checkout(&key).await {
            Some(sender) => (sender, true),
            None => (self.connect(&target).await?, false),
        };
        let response = match sender.try_send_request(request).await {
            Ok(response) => response,
            Err(mut error) => match error.take_message() {
                Some(request) if reused => {
                    sender = self.connect(&target).await?;
                    sender
                        .send_request(request)
                        .await
                        .map_err(PoolError::Send)?
                }
                _ => return Err(PoolError::Send(error.into_error())),
            },
        };
        let (parts, body) = response.into_parts();
        let mut body = PooledBody {
            inner: body,
            lease: Some(Lease {
                pool: self.clone(),
                key,
                sender,
            }),
        };
        if body.inner.is_end_stream() {
            body.release();
        }
        Ok(Response::from_parts(parts, body))
    }

    /// The most recently used live connection to `key`, ready for a request.
    async fn checkout(&self, key: &Key) -> Option<SendRequest<Incoming>> {
        loop {
            let idle = {
                let mut pool = lock(&self.idle);
                let list = pool.get_mut(key)?;
                let idle = list.pop();
                if list.is_empty() {
                    pool.remove(key);
                }
                idle?
            };
            let mut sender = idle.sender;
            if sender.is_closed() || idle.since.elapsed() >= self.idle_timeout {
                continue;
            }
            // Ready at once unless the connection is still finishing the
            // previous exchange; an error means it is closing.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(&self, target: &Uri) -> Result<SendRequest<Incoming>, PoolError> {
        let stream = self
            .connector
            .clone()
            .oneshot(target.clone())
            .await
            .map_err(PoolError::Connect)?;
        let (sender, connection) = http1::Builder::new()
            .handshake(stream)
            .await
            .map_err(PoolError::Handshake)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }

    fn checkin(&self, key: Key, sender: SendRequest<Incoming>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut pool = lock(&self.idle);
        let list = pool.entry(key).or_default();
        list.retain(|idle| {
            !idle.sender.is_closed() && now.duration_since(idle.since) < self.idle_timeout
        });
        if list.len() < self.max_idle_per_host {
            list.push(Idle { sender, since: now });
        }
    }

    /// Idle connections to every upstream (for tests).
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        lock(&self.idle).values().map(Vec::len).sum()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// `Host` for an authority: without user info, the port only when it is
/// not the scheme's default.
fn host_header(scheme: &Scheme, authority: &Authority) -> HeaderValue {
    let default_port = if *scheme == Scheme::HTTPS { 443 } else { 80 };
    let text = match authority.port_u16() {
        Some(port) if port != default_port => format!("{}:{port}", authority.host()),
        _ => authority.host().to_owned(),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The request target an HTTP/1.1 origin server expects: path and query.
fn origin_form(uri: &Uri) -> Uri {
    let path_and_query = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    Uri::from(path_and_query)
}

struct Lease {
    pool: Arc<Pool>,
    key: Key,
    sender: SendRequest<Incoming>,
}

/// An upstream answer's body; read to its end, it hands its connection
/// back to the pool.
pub struct PooledBody {
    inner: Incoming,
    lease: Option<Lease>,
}

impl PooledBody {
    fn release(&mut self) {
        if let Some(lease) = self.lease.take() {
            lease.pool.checkin(lease.key, lease.sender);
        }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &frame {
            None => this.release(),
            Some(Ok(_)) if this.inner.is_end_stream() => this.release(),
            Some(Ok(_)) => {}
            // A broken body leaves a connection in no state to reuse.
            Some(Err(_)) => this.lease = None,
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream;
    use http_body_util::{BodyExt, Full};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// An upstream that counts its connections and answers each request
    /// with its target; `/close` answers with `Connection: close`.
    async fn upstream() -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let service = service_fn(|request: Request<Incoming>| async move {
                        let mut response = Response::new(Full::new(Bytes::from(format!(
                            "{} {}",
                            request.uri(),
                            request.headers()[header::HOST].to_str().unwrap()
                        ))));
                        if request.uri().path() == "/close" {
                            response
                                .headers_mut()
                                .insert(header::CONNECTION, HeaderValue::from_static("close"));
                        }
                        Ok::<_, Infallible>(response)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (port, connections)
    }

    /// A pooled request through a client without a body of its own: the
    /// proxy's requests carry `Incoming`, so the tests get one from a
    /// loopback hyper server that forwards what it receives.
    async fn through(pool: Arc<Pool>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let pool = pool.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let pool = pool.clone();
                        async move {
                            let text = match pool.request(request).await {
                                Ok(response) => {
                                    let body = response.into_body().collect().await.unwrap();
                                    String::from_utf8(body.to_bytes().to_vec()).unwrap()
                                }
                                Err(error) => format!("error: {error}"),
                            };
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        port
    }

    fn pool() -> Arc<Pool> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        Pool::new(
            upstream::connector(tls, true, Duration::from_secs(5)),
            Duration::from_secs(90),
            4,
        )
    }

    async fn get(front: u16, target: &str) -> String {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", front))
            .await
            .unwrap();
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        let request = Request::get(target)
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap();
        String::from_utf8(body.to_bytes().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn connections_are_reused_after_the_body_is_read() {
        let (port, connections) = upstream().await;
        let pool = pool();
        let front = through(pool.clone()).await;
        for i in 0..5 {
            let answer = get(front, &format!("http://127.0.0.1:{port}/n/{i}?q=1")).await;
            assert_eq!(answer, format!("/n/{i}?q=1 127.0.0.1:{port}"));
        }
        assert_eq!(connections.load(Ordering::SeqCst), 1);
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn a_connection_the_upstream_closes_is_not_reused() {
        let (port, connections) = upstream().await;
        let pool = pool();
        let front = through(pool.clone()).await;
        assert!(
            get(front, &format!("http://127.0.0.1:{port}/close"))
                .await
                .starts_with("/close")
        );
        assert_eq!(
            get(front, &format!("http://127.0.0.1:{port}/after")).await,
            format!("/after 127.0.0.1:{port}")
        );
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_error_with_its_cause() {
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let front = through(pool()).await;
        let answer = get(front, &format!("http://127.0.0.1:{closed}/")).await;
        assert_eq!(answer, "error: cannot connect");
    }

    #[test]
    fn host_headers_leave_out_default_ports() {
        let host = |scheme: Scheme, authority: &str| {
            host_header(&scheme, &authority.parse().unwrap())
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            host(Scheme::HTTPS, "api.example.com:443"),
            "api.example.com"
        );
        assert_eq!(host(Scheme::HTTP, "h:80"), "h");
        assert_eq!(host(Scheme::HTTP, "h:8080"), "h:8080");
        assert_eq!(host(Scheme::HTTPS, "user@h"), "h");
        assert_eq!(
            origin_form(&"http://h:1/a/b?c=d".parse().unwrap()),
            "/a/b?c=d"
        );
        assert_eq!(origin_form(&"http://h".parse().unwrap()), "/");
    }
}
