//! The SDK's HTTP client, replaced by a call into a `tower::Service` in this
//! process (as s3s-aws does for S3): the SDK signs, retries and parses
//! errors exactly as against a real endpoint; only the socket is gone.
//!
//! A request goes to the service as the server's listener would hand it on:
//! the URI the SDK used, a `Host` header equal to the host SigV4 signed, and
//! the caller's extensions (the connection facts the listener inserts). The
//! service runs on a task of its own, as it would in a server process, so a
//! client that stops waiting (a read timeout) does not cut the server's work
//! off halfway. The response body is read to its end before the SDK sees it:
//! the AWS JSON APIs answer small, whole documents.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http::{Extensions, HeaderValue, Uri, header};
use http_body_util::BodyExt;
use tower::{Service, ServiceExt};

/// A whole response, or why there is none.
type Reply = Result<http::Response<Bytes>, BoxError>;

/// The service with its types erased: one request in, its buffered
/// response out.
type Handler = Arc<
    dyn Fn(http::Request<SdkBody>) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync,
>;

/// Calls one service in-process; cheap to clone (the service is shared).
#[derive(Clone)]
pub(crate) struct Connector {
    handler: Handler,
    /// Put into every request, as the listener puts what the connection
    /// knows.
    extensions: Extensions,
}

impl Connector {
    pub fn new<S, B>(service: S) -> Connector
    where
        S: Service<http::Request<SdkBody>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let handler: Handler = Arc::new(move |request| {
            let service = service.clone();
            Box::pin(async move {
                let response = service.oneshot(request).await.map_err(Into::into)?;
                let (parts, body) = response.into_parts();
                let body = body.collect().await.map_err(Into::into)?.to_bytes();
                Ok(http::Response::from_parts(parts, body))
            })
        });
        Connector {
            handler,
            extensions: Extensions::new(),
        }
    }

    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.extensions.insert(value);
    }

    /// Hands `request` to the service as the listener would, on a task of
    /// its own, and waits for the whole response.
    pub async fn exchange(&self, mut request: http::Request<SdkBody>) -> Reply {
        if !request.headers().contains_key(header::HOST)
            && let Some(host) = host_header(request.uri())
        {
            request.headers_mut().insert(header::HOST, host);
        }
        request.extensions_mut().extend(self.extensions.clone());
        match tokio::spawn((self.handler)(request)).await {
            Ok(reply) => reply,
            // The service panicked (the router catches its own panics; a
            // bare service may not).
            Err(join) => Err(join.into()),
        }
    }

    pub fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InProcessConnector")
    }
}

impl HttpClient for Connector {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // No connection to open, so no connect timeout; the read timeout
        // bounds the wait for the response.
        SharedHttpConnector::new(Connection {
            connector: self.clone(),
            read_timeout: settings.read_timeout(),
        })
    }
}

/// What the SDK sends each request through.
#[derive(Debug, Clone)]
struct Connection {
    connector: Connector,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connection {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let connection = self.clone();
        HttpConnectorFuture::new(async move { connection.send(request).await })
    }
}

impl Connection {
    async fn send(self, request: HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let request = request
            .try_into_http1x()
            .map_err(|e| ConnectorError::user(e.into()))?;
        let exchange = self.connector.exchange(request);
        let reply = match self.read_timeout {
            None => exchange.await,
            Some(limit) => tokio::time::timeout(limit, exchange).await.map_err(|_| {
                ConnectorError::timeout(format!("no response within {limit:?}").into())
            })?,
        };
        // No answer is what a closed connection gives a real client.
        let response = reply.map_err(ConnectorError::io)?;
        HttpResponse::try_from(response.map(SdkBody::from))
            .map_err(|e| ConnectorError::other(e.into(), None))
    }
}

/// The `Host` header for `uri` as SigV4 signs it (and hyper's client sends
/// it): the authority, without the scheme's default port.
pub(super) fn host_header(uri: &Uri) -> Option<HeaderValue> {
    let authority = uri.authority()?;
    let default_port = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    let host = match authority.port_u16() {
        Some(port) if port == default_port => authority.host(),
        _ => authority.as_str(),
    };
    HeaderValue::from_str(host).ok()
}
