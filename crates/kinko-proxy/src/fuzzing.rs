//! For the fuzz targets only (`fuzz/` in the repository), not a public API:
//! the proxy's own request handling, driven in-process with no upstream.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Empty};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::proxy::{Prepared, Proxy, ProxyBody, client_connection, text_response};

/// Serves one client connection on `io` as [`Proxy::serve`] serves a TCP
/// connection (hyper parses the request line, URI and headers; the proxy
/// refuses, checks the host, reads the rules, strips hop-by-hop headers,
/// rewrites the URI and signs), except that a request the proxy would
/// forward is not sent: `inspect` sees its parts as they would go upstream,
/// and the client is answered `200` with an empty body.
pub async fn serve_without_upstream<I, F>(
    proxy: &Proxy,
    io: I,
    inspect: F,
) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Fn(&http::request::Parts) + Clone + Send + Sync + 'static,
{
    let proxy = proxy.clone();
    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
        let proxy = proxy.clone();
        let inspect = inspect.clone();
        async move {
            let response = match proxy.prepare(request).await {
                Ok(Prepared { request, .. }) => {
                    let (parts, _body) = request.into_parts();
                    inspect(&parts);
                    Response::new(
                        Empty::<Bytes>::new()
                            .map_err(|never: Infallible| match never {})
                            .boxed(),
                    )
                }
                Err(answer) => text_response(answer),
            };
            Ok::<Response<ProxyBody>, Infallible>(response)
        }
    });
    client_connection()
        .serve_connection(TokioIo::new(io), service)
        .await
}
