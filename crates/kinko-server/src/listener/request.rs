//! The service hyper calls for each request of one connection: it tags the
//! request with what the connection knows ([`ConnectionInfo`]), reports it
//! to the connection's [`Tracker`], and gives its body a deadline.
//!
//! The body deadline is enforced here rather than in the app so that a
//! stalled body costs neither a connection nor a task forever. When the
//! request timeout passes while the app is still waiting for body bytes,
//! the app's future is dropped and the client gets a 408
//! `RequestTimeoutException` (which the AWS SDKs retry). Dropping is safe
//! only because the app reads the whole body before it acts on a request;
//! once the body is in, the handler always runs to its end.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Version, header};
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use tower::ServiceExt;

use super::ConnectionInfo;
use super::activity::Tracker;
use super::limits::Timeout;

#[derive(Clone)]
pub(crate) struct RequestService {
    app: Router,
    info: ConnectionInfo,
    tracker: Tracker,
    request_timeout: Timeout,
}

impl RequestService {
    pub fn new(
        app: Router,
        info: ConnectionInfo,
        tracker: Tracker,
        request_timeout: Timeout,
    ) -> Self {
        RequestService {
            app,
            info,
            tracker,
            request_timeout,
        }
    }
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for RequestService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let version = request.version();
        let busy = self.tracker.request_started(version == Version::HTTP_2);
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(self.info);
        let (body, received) = WatchedBody::new(body);
        let request = Request::from_parts(parts, Body::new(body));
        let response = self.app.clone().oneshot(request);
        let timeout = self.request_timeout.get();
        let remote = self.info.remote;
        Box::pin(async move {
            let _busy = busy;
            let mut response = std::pin::pin!(response);
            if received.get() {
                return response.await;
            }
            tokio::select! {
                answer = &mut response => return answer,
                () = tokio::time::sleep(timeout) => {}
            }
            if received.get() {
                // The body is in and the handler is at work: let it finish.
                return response.await;
            }
            Ok(body_timeout(version, timeout, remote))
        })
    }
}

/// The answer to a request whose body did not arrive in time. HTTP/1
/// connections are closed after it: the rest of the body may still come.
fn body_timeout(
    version: Version,
    timeout: std::time::Duration,
    remote: std::net::SocketAddr,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::info!(
        %request_id,
        %remote,
        status = 408,
        error = "RequestTimeoutException",
        "request body not received within the request timeout"
    );
    let error = kinko_aws::AwsError::new(
        "RequestTimeoutException",
        format!(
            "The request body was not received within {timeout:?} of its headers; send it promptly or raise the server's --request-timeout."
        ),
    );
    let mut response = Response::new(Body::from(error.to_body()));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if version < Version::HTTP_2 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Whether a request body is done with: read to its end, failed, or
/// dropped by the app (which then no longer waits for it).
#[derive(Clone)]
struct Received(Arc<AtomicBool>);

impl Received {
    fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// A request body that sets [`Received`] when it is done with.
struct WatchedBody {
    inner: Incoming,
    received: Received,
}

impl WatchedBody {
    fn new(inner: Incoming) -> (WatchedBody, Received) {
        let received = Received(Arc::new(AtomicBool::new(false)));
        if inner.is_end_stream() {
            received.set();
        }
        let body = WatchedBody {
            inner,
            received: received.clone(),
        };
        (body, received)
    }
}

impl hyper::body::Body for WatchedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let result = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(result, Poll::Ready(None | Some(Err(_)))) {
            self.received.set();
        }
        result
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for WatchedBody {
    fn drop(&mut self) {
        self.received.set();
    }
}
