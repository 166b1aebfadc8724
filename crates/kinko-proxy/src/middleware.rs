//! The same signing for reqwest: a `reqwest_middleware::Middleware`, so a
//! program built on reqwest signs its own calls in-process, without a proxy
//! process (the RoundTripper use of the original tool).
//!
//! ```ignore
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(SigningMiddleware::new(source, "/proxy", Duration::from_secs(300)))
//!     .build();
//! ```
//!
//! The signed URL (added query parameters, a rewritten path) is the
//! service's secret, so it is not handed back: a response's `url()` and a
//! reqwest error's URL name the URL the caller asked for. Redirects are the
//! client's business: reqwest drops `Authorization` on a redirect to another
//! host, but not other headers; build the client with
//! `redirect::Policy::none()` when a header rule holds the token.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::Extensions;
use kinko_model::value_source::ValueSource;
use reqwest::{Request, Response, ResponseBuilderExt as _, Url};
use reqwest_middleware::{Error, Middleware, Next};

use crate::cache::RuleCache;
use crate::layer::SigningError;
use crate::sign::sign_parts;

/// What the middleware fails a request with, inside
/// [`reqwest_middleware::Error::Middleware`] (downcast to read it).
pub type MiddlewareSigningError = SigningError<Infallible>;

/// Signs reqwest requests with the rules under a prefix.
#[derive(Debug, Clone)]
pub struct SigningMiddleware {
    cache: Arc<RuleCache>,
    pass_unconfigured: bool,
}

impl SigningMiddleware {
    pub fn new(source: Arc<dyn ValueSource>, prefix: impl Into<String>, ttl: Duration) -> Self {
        Self::with_cache(Arc::new(RuleCache::new(source, prefix, ttl)))
    }

    /// Shares a cache (with a proxy, a [`crate::SigningLayer`], or other
    /// clients).
    pub fn with_cache(cache: Arc<RuleCache>) -> Self {
        SigningMiddleware {
            cache,
            pass_unconfigured: false,
        }
    }

    /// Send requests to hosts without rules unsigned instead of failing
    /// them with [`SigningError::NoRules`].
    pub fn pass_unconfigured(mut self, pass: bool) -> Self {
        self.pass_unconfigured = pass;
        self
    }
}

#[async_trait]
impl Middleware for SigningMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let asked = request.url().clone();
        let request: http::Request<reqwest::Body> = request
            .try_into()
            .map_err(|error: reqwest::Error| Error::Reqwest(error.with_url(asked.clone())))?;
        let (mut parts, body) = request.into_parts();
        sign_parts::<Infallible>(&self.cache, self.pass_unconfigured, &mut parts)
            .await
            .map_err(Error::middleware)?;
        // The signed URI holds secrets: a failure to turn it back into a URL
        // names the URL asked for, never the signed one.
        let signed = Request::try_from(http::Request::from_parts(parts, body))
            .map_err(|error| Error::Reqwest(error.with_url(asked.clone())))?;
        let sent = signed.url().clone();
        match next.run(signed, extensions).await {
            Ok(response) if response.url() == &sent && sent != asked => {
                Ok(with_url(response, asked))
            }
            Ok(response) => Ok(response),
            Err(Error::Reqwest(error)) => Err(Error::Reqwest(error.with_url(asked))),
            Err(error) => Err(error),
        }
    }
}

/// `response` reporting `url` as its URL (the signed one holds secrets).
fn with_url(response: Response, url: Url) -> Response {
    let response: http::Response<reqwest::Body> = response.into();
    let (mut parts, body) = response.into_parts();
    if let Ok(marker) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(marker.into_parts().0.extensions);
    }
    Response::from(http::Response::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{plain_upstream, source};
    use std::sync::Mutex;

    fn client(rules: &[(&str, &str)], pass: bool) -> reqwest_middleware::ClientWithMiddleware {
        let source = source(rules);
        let middleware = SigningMiddleware::new(source, "/proxy", Duration::from_secs(60))
            .pass_unconfigured(pass);
        let inner = reqwest::Client::builder().no_proxy().build().unwrap();
        reqwest_middleware::ClientBuilder::new(inner)
            .with(middleware)
            .build()
    }

    #[tokio::test]
    async fn each_rule_kind_arrives_at_the_upstream() {
        let (port, seen) = plain_upstream().await;
        let client = client(
            &[
                ("/proxy/127.0.0.1/headers/X-Api-Key", "k-123"),
                ("/proxy/127.0.0.1/basic/username", "alice"),
                ("/proxy/127.0.0.1/basic/password", "s3cr:t"),
                ("/proxy/127.0.0.1/queries/token", "q 456"),
                ("/proxy/127.0.0.1/rewrite/path", "/services/T0/B0/XYZ"),
            ],
            false,
        );
        let asked = format!("http://127.0.0.1:{port}/anything?page=2&token=mine");
        let response = client
            .get(&asked)
            .header("x-app", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        // The URL handed back is the one asked for, not the signed one.
        assert_eq!(response.url().as_str(), asked);
        assert_eq!(response.text().await.unwrap(), "upstream says hi");

        let seen = seen.lock().unwrap();
        let (target, headers) = &seen[0];
        assert_eq!(target, "/services/T0/B0/XYZ?page=2&token=q%20456");
        assert_eq!(headers["x-api-key"], "k-123");
        // base64("alice:s3cr:t")
        assert_eq!(headers["authorization"], "Basic YWxpY2U6czNjcjp0");
        assert_eq!(headers["x-app"], "1");
    }

    #[tokio::test]
    async fn header_rules_alone_leave_the_url_and_bodies_go_through() {
        let (port, seen) = plain_upstream().await;
        let client = client(
            &[("/proxy/127.0.0.1/headers/Authorization", "token t")],
            false,
        );
        let response = client
            .post(format!("http://127.0.0.1:{port}/v1/items"))
            .body("a body")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].0, "/v1/items");
        assert_eq!(seen[0].1["authorization"], "token t");
        assert_eq!(seen[0].1["content-length"], "6");
    }

    #[tokio::test]
    async fn no_rule_is_a_clear_error_and_nothing_is_sent() {
        let (port, seen) = plain_upstream().await;
        let client = client(&[("/proxy/other.example.com/headers/X-Key", "k")], false);
        let err = client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_middleware(), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("no signing rule for 127.0.0.1"), "{text}");
        assert!(
            text.contains("/proxy/127.0.0.1/headers/{Header-Name}"),
            "{text}"
        );
        let Error::Middleware(inner) = &err else {
            panic!("{err:?}")
        };
        assert!(matches!(
            inner.downcast_ref::<MiddlewareSigningError>(),
            Some(SigningError::NoRules { host, .. }) if host == "127.0.0.1"
        ));
        assert!(seen.lock().unwrap().is_empty());

        // Unless unconfigured hosts may pass unsigned.
        let client = client_passing();
        let response = client
            .get(format!("http://127.0.0.1:{port}/open"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(seen.lock().unwrap()[0].0, "/open");
    }

    fn client_passing() -> reqwest_middleware::ClientWithMiddleware {
        client(&[], true)
    }

    /// Records every tracing event and span field as text.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<String>>);

    impl tracing::field::Visit for Capture {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            let line = format!("{}={value:?} ", field.name());
            self.0.lock().unwrap().push_str(&line);
        }
    }

    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            span.record(&mut self.clone());
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
            values.record(&mut self.clone());
        }
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            event.record(&mut self.clone());
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[tokio::test]
    async fn values_appear_in_no_debug_error_or_log_output() {
        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        let (port, _seen) = plain_upstream().await;
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let rules = [
            ("/proxy/127.0.0.1/headers/X-Api-Key", "header-secret"),
            ("/proxy/127.0.0.1/queries/token", "query-secret"),
            ("/proxy/127.0.0.1/rewrite/path", "/path-secret"),
            ("/proxy/127.0.0.1/basic/username", "user-secret"),
        ];
        let source = source(&rules);
        let middleware = SigningMiddleware::new(source, "/proxy", Duration::from_secs(60));
        let client = reqwest_middleware::ClientBuilder::new(
            reqwest::Client::builder().no_proxy().build().unwrap(),
        )
        .with(middleware.clone())
        .build();

        let response = client
            .get(format!("http://127.0.0.1:{port}/a?b=c"))
            .send()
            .await
            .unwrap();
        let mut shown = format!("{response:?} {middleware:?} {client:?}");
        let err = client
            .get(format!("http://127.0.0.1:{closed}/a?b=c"))
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Reqwest(ref e) if e.is_connect()),
            "{err:?}"
        );
        assert_eq!(
            err.url().map(Url::as_str),
            Some(format!("http://127.0.0.1:{closed}/a?b=c").as_str())
        );
        shown.push_str(&format!(
            "{err:?} {err} {:?}",
            std::error::Error::source(&err)
        ));
        shown.push_str(&capture.0.lock().unwrap());
        for secret in [
            "header-secret",
            "query-secret",
            "path-secret",
            "user-secret",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // base64 of "user-secret:" neither.
        assert!(!shown.contains("dXNlci1zZWNyZXQ6"), "{shown}");
    }
}
