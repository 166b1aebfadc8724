//! What the tests of the proxy, the tower Layer and the reqwest middleware
//! share: rules from a list (in `kinko_model`'s fake source), and a
//! plain-HTTP upstream that records what it receives.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kinko_model::fake::FakeSource;
use tokio::net::TcpListener;

/// Rules from a list of (parameter name, value), in the shared fake source.
pub fn source(rules: &[(&str, &str)]) -> Arc<FakeSource> {
    Arc::new(FakeSource::new(rules))
}

/// What a plain-HTTP upstream received: request target and headers.
pub type Seen = Arc<Mutex<Vec<(String, http::HeaderMap)>>>;

/// An upstream on a free loopback port answering `upstream says hi` (with a
/// hop-by-hop `keep-alive` header the proxy must drop).
pub async fn plain_upstream() -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let recorded = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<Incoming>| {
                    let recorded = recorded.clone();
                    async move {
                        recorded
                            .lock()
                            .unwrap()
                            .push((request.uri().to_string(), request.headers().clone()));
                        let mut response =
                            http::Response::new(Full::new(Bytes::from_static(b"upstream says hi")));
                        response
                            .headers_mut()
                            .insert("keep-alive", HeaderValue::from_static("timeout=5"));
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, seen)
}
