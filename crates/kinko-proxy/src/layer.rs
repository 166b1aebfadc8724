//! The same signing in-process: a `tower::Layer` over any HTTP client
//! service, so a Rust program signs its own outgoing requests without a
//! proxy process (what the original tool's RoundTripper did).
//!
//! The request's URI must be absolute (`https://host/path`), as a client
//! sends it; the host's rules come from the shared [`RuleCache`], and the
//! signing itself is [`crate::sign::sign_parts`], the same as the reqwest
//! middleware's.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Request;
use kinko_model::value_source::ValueSource;
use tower::{Layer, Service};

use crate::cache::{RuleCache, RulesError};
use crate::rules::ApplyError;
use crate::sign::sign_parts;

/// Why a request was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SigningError<E> {
    #[error("the request has no host to look signing rules up for")]
    NoHost,
    #[error("no signing rule for {host}; looked for: {}", looked_for.join(", "))]
    NoRules {
        host: String,
        looked_for: Vec<String>,
    },
    #[error(transparent)]
    Source(RulesError),
    #[error(transparent)]
    Apply(ApplyError),
    /// The wrapped service failed.
    #[error("{0}")]
    Inner(E),
}

/// Signs requests with the rules under a prefix.
#[derive(Debug, Clone)]
pub struct SigningLayer {
    cache: Arc<RuleCache>,
    pass_unconfigured: bool,
}

impl SigningLayer {
    pub fn new(source: Arc<dyn ValueSource>, prefix: impl Into<String>, ttl: Duration) -> Self {
        Self::with_cache(Arc::new(RuleCache::new(source, prefix, ttl)))
    }

    /// Shares a cache (with a proxy, or between several clients).
    pub fn with_cache(cache: Arc<RuleCache>) -> Self {
        SigningLayer {
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

impl<S> Layer<S> for SigningLayer {
    type Service = SigningService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SigningService {
            inner,
            cache: self.cache.clone(),
            pass_unconfigured: self.pass_unconfigured,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SigningService<S> {
    inner: S,
    cache: Arc<RuleCache>,
    pass_unconfigured: bool,
}

impl<S, B> Service<Request<B>> for SigningService<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = SigningError<S::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(SigningError::Inner)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The ready service is taken; a fresh clone waits for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let cache = self.cache.clone();
        let pass_unconfigured = self.pass_unconfigured;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            sign_parts(&cache, pass_unconfigured, &mut parts).await?;
            inner
                .call(Request::from_parts(parts, body))
                .await
                .map_err(SigningError::Inner)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::source;
    use tower::ServiceExt;

    /// A "client" that answers with what it was asked to send.
    type Echoed = (String, http::HeaderMap);
    type Never = std::convert::Infallible;

    fn echo() -> impl Service<
        Request<()>,
        Response = Echoed,
        Error = Never,
        Future = impl Future<Output = Result<Echoed, Never>> + Send,
    > + Clone
    + Send
    + 'static {
        tower::service_fn(|request: Request<()>| async move {
            Ok::<_, std::convert::Infallible>((
                request.uri().to_string(),
                request.headers().clone(),
            ))
        })
    }

    fn layer() -> SigningLayer {
        SigningLayer::new(
            source(&[
                ("/proxy/api.example.com/headers/Authorization", "Bearer xyz"),
                ("/proxy/api.example.com/queries/key", "k"),
                ("/proxy/hooks.example.com/rewrite/path", "/services/T/B/S"),
            ]),
            "/proxy",
            Duration::from_secs(60),
        )
    }

    #[tokio::test]
    async fn requests_are_signed_before_the_inner_service_sees_them() {
        let service = layer().layer(echo());
        let request = Request::get("https://API.example.com/v1/me?x=1")
            .body(())
            .unwrap();
        let (uri, headers) = service.clone().oneshot(request).await.unwrap();
        assert_eq!(uri, "https://API.example.com/v1/me?x=1&key=k");
        assert_eq!(headers["authorization"], "Bearer xyz");

        let request = Request::post("https://hooks.example.com/")
            .body(())
            .unwrap();
        let (uri, _) = service.oneshot(request).await.unwrap();
        assert_eq!(uri, "https://hooks.example.com/services/T/B/S");
    }

    #[tokio::test]
    async fn unconfigured_hosts_fail_or_pass_unsigned() {
        let request = || {
            Request::get("https://elsewhere.example.com/")
                .body(())
                .unwrap()
        };
        let err = layer().layer(echo()).oneshot(request()).await.unwrap_err();
        assert!(
            matches!(&err, SigningError::NoRules { host, .. } if host == "elsewhere.example.com"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("/proxy/elsewhere.example.com/headers/{Header-Name}")
        );
        let (uri, headers) = layer()
            .pass_unconfigured(true)
            .layer(echo())
            .oneshot(request())
            .await
            .unwrap();
        assert_eq!(uri, "https://elsewhere.example.com/");
        assert!(headers.get("authorization").is_none());

        let relative = Request::get("/only/a/path").body(()).unwrap();
        let err = layer().layer(echo()).oneshot(relative).await.unwrap_err();
        assert!(matches!(err, SigningError::NoHost));
    }
}
