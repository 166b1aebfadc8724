//! The keys of providers registered with a JWKS URL, or with neither a
//! JWKS nor a URL (then OIDC discovery: `ISSUER/.well-known/openid-configuration`
//! names the `jwks_uri`), fetched when a token needs them and cached.
//!
//! The cache is per server process, per provider:
//! - keys are fetched on first use and again once they are [`KEYS_TTL`] old;
//! - a token whose `kid` is not among the cached keys (the issuer rotated
//!   its keys) fetches them again at once, but at most once per
//!   [`UNKNOWN_KEY_REFRESH`]: a flood of tokens with made-up key ids costs
//!   the issuer one request a minute, not one per token;
//! - after a failed fetch none is tried for [`FAILURE_BACKOFF`]; meanwhile
//!   the keys fetched before (if any) keep verifying, and without them the
//!   answer is `IDPCommunicationError`, as AWS answers for an issuer it
//!   cannot reach.
//!
//! Concurrent requests for one provider wait for one fetch, not one each.
//! The HTTP itself is the server's ([`JwksFetcher`]): this crate sees no
//! HTTP types.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use super::{Jwks, KeySource, TokenError, UnverifiedToken, bounded};

/// How long fetched keys are used before they are fetched again.
pub const KEYS_TTL: Duration = Duration::from_secs(3600);
/// The least time between two fetches caused by an unknown `kid`.
pub const UNKNOWN_KEY_REFRESH: Duration = Duration::from_secs(60);
/// The least time after a failed fetch before the next one.
pub const FAILURE_BACKOFF: Duration = Duration::from_secs(10);

/// Gets one document over HTTP(S): the server's client (rustls with the
/// system's roots, a timeout, no redirects, a size limit).
#[async_trait]
pub trait JwksFetcher: Send + Sync {
    /// The body of a `200 OK` answer to `GET url`; anything else is an
    /// error whose text says what happened (it is shown to the caller of
    /// AssumeRoleWithWebIdentity, so it names no secret: there is none).
    async fn get(&self, url: &str) -> Result<String, FetchError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// The cache (one per [`crate::principals::Identity`]).
#[derive(Default)]
pub struct RemoteKeys {
    fetcher: Option<Arc<dyn JwksFetcher>>,
    /// By provider ARN and key source, so a provider registered again with
    /// another URL starts afresh.
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Entry>>>>,
}

#[derive(Default)]
struct Entry {
    keys: Option<(Arc<Jwks>, Instant)>,
    last_unknown_key_refresh: Option<Instant>,
    last_failure: Option<(Instant, String)>,
}

impl RemoteKeys {
    pub fn new(fetcher: Arc<dyn JwksFetcher>) -> RemoteKeys {
        RemoteKeys {
            fetcher: Some(fetcher),
            entries: Mutex::default(),
        }
    }

    /// The keys to verify `token` (of the provider `arn`, issuer `issuer`)
    /// with, fetched or cached as the module says, at `now`.
    pub async fn keys_for(
        &self,
        arn: &str,
        issuer: &str,
        source: &KeySource,
        token: &UnverifiedToken,
        now: Instant,
    ) -> Result<Arc<Jwks>, TokenError> {
        let entry = {
            let mut entries = self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            entries
                .entry(format!("{arn} {}", source.describe()))
                .or_default()
                .clone()
        };
        let mut entry = entry.lock().await;
        let fetch = match &entry.keys {
            None => true,
            Some((_, at)) if now.duration_since(*at) >= KEYS_TTL => true,
            Some((keys, _)) if !token.has_key_in(keys) => {
                let allowed = entry
                    .last_unknown_key_refresh
                    .is_none_or(|at| now.duration_since(at) >= UNKNOWN_KEY_REFRESH);
                if allowed {
                    entry.last_unknown_key_refresh = Some(now);
                }
                allowed
            }
            Some(_) => false,
        };
        let backing_off = entry
            .last_failure
            .as_ref()
            .is_some_and(|(at, _)| now.duration_since(*at) < FAILURE_BACKOFF);
        if fetch && !backing_off {
            match self.fetch(issuer, source).await {
                Ok(keys) => {
                    entry.keys = Some((Arc::new(keys), now));
                    entry.last_failure = None;
                }
                Err(FetchError(why)) => {
                    tracing::warn!(provider = arn, error = %why, "fetching an OIDC provider's keys failed");
                    entry.last_failure = Some((now, why));
                }
            }
        }
        match (&entry.keys, &entry.last_failure) {
            (Some((keys, _)), _) => Ok(keys.clone()),
            (None, Some((_, why))) => Err(TokenError::Communication(why.clone())),
            (None, None) => Err(TokenError::Communication(
                "The identity provider's keys could not be fetched".to_owned(),
            )),
        }
    }

    async fn fetch(&self, issuer: &str, source: &KeySource) -> Result<Jwks, FetchError> {
        let Some(fetcher) = &self.fetcher else {
            return Err(FetchError(
                "This kinko server fetches no identity provider keys; register the provider \
                 with its JWKS"
                    .to_owned(),
            ));
        };
        let url = match source {
            KeySource::Url(url) => url.clone(),
            KeySource::Discovery => discover(fetcher.as_ref(), issuer).await?,
            KeySource::Inline { jwks, .. } => return Ok(jwks.clone()),
        };
        let text = fetcher.get(&url).await?;
        Jwks::parse(&text)
            .map_err(|e| FetchError(format!("The JWKS at {} is not usable: {e}", bounded(&url))))
    }
}

/// OpenID Connect Discovery 1.0 §4: the issuer's configuration names its
/// `jwks_uri`, and must name the issuer itself (§4.3).
async fn discover(fetcher: &dyn JwksFetcher, issuer: &str) -> Result<String, FetchError> {
    #[derive(Deserialize)]
    struct Configuration {
        issuer: Option<String>,
        jwks_uri: Option<String>,
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let text = fetcher.get(&url).await?;
    let bad = |why: &str| FetchError(format!("The OpenID configuration at {url} {why}"));
    let configuration: Configuration =
        serde_json::from_str(&text).map_err(|_| bad("is not a JSON object"))?;
    if configuration
        .issuer
        .as_deref()
        .map(|i| i.trim_end_matches('/'))
        != Some(issuer.trim_end_matches('/'))
    {
        return Err(bad("names another issuer"));
    }
    let jwks_uri = configuration
        .jwks_uri
        .ok_or_else(|| bad("has no \"jwks_uri\""))?;
    super::check_jwks_url(&jwks_uri).map_err(|why| bad(&format!("names a bad jwks_uri: {why}")))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use base64::Engine;
    use serde_json::json;

    use super::*;
    use crate::web_identity::token;

    const ISSUER: &str = "https://issuer.example.test";
    const JWKS_URL: &str = "https://issuer.example.test/keys";

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A key set of EC keys with these ids (the points are not checked until a signature is).
    fn jwks(kids: &[&str]) -> String {
        let keys: Vec<_> = kids
            .iter()
            .map(|kid| {
                json!({"kty": "EC", "crv": "P-256", "kid": kid,
                              "x": b64(&[1; 32]), "y": b64(&[2; 32])})
            })
            .collect();
        json!({ "keys": keys }).to_string()
    }

    /// A token naming `kid` (its signature is never checked here).
    fn token(kid: &str) -> UnverifiedToken {
        let header = b64(json!({"alg": "ES256", "kid": kid}).to_string().as_bytes());
        let claims = b64(json!({"iss": ISSUER}).to_string().as_bytes());
        token::parse(&format!("{header}.{claims}.{}", b64(b"sig"))).unwrap()
    }

    /// An issuer whose documents the test sets, counting the requests.
    #[derive(Default)]
    struct Issuer {
        documents: StdMutex<HashMap<String, String>>,
        requests: StdMutex<Vec<String>>,
    }

    impl Issuer {
        fn serve(&self, url: &str, body: String) {
            self.documents.lock().unwrap().insert(url.to_owned(), body);
        }
        fn stop(&self) {
            self.documents.lock().unwrap().clear();
        }
        fn requests(&self) -> usize {
            self.requests.lock().unwrap().len()
        }
    }

    #[async_trait]
    impl JwksFetcher for Arc<Issuer> {
        async fn get(&self, url: &str) -> Result<String, FetchError> {
            self.requests.lock().unwrap().push(url.to_owned());
            self.documents
                .lock()
                .unwrap()
                .get(url)
                .cloned()
                .ok_or_else(|| FetchError(format!("Could not fetch {url}: Connection refused")))
        }
    }

    fn new_cache() -> (Arc<Issuer>, RemoteKeys) {
        let issuer = Arc::new(Issuer::default());
        (issuer.clone(), RemoteKeys::new(Arc::new(issuer)))
    }

    fn kids(keys: &Jwks) -> Vec<String> {
        keys.keys.iter().filter_map(|k| k.kid.clone()).collect()
    }

    const ARN: &str = "arn:aws:iam::000000000000:oidc-provider/issuer.example.test";

    #[tokio::test]
    async fn a_rotated_key_is_fetched_once_and_made_up_ones_are_rate_limited() {
        let (issuer, cache) = new_cache();
        let source = KeySource::Url(JWKS_URL.to_owned());
        let t0 = Instant::now();
        issuer.serve(JWKS_URL, jwks(&["k1"]));
        let keys = cache
            .keys_for(ARN, ISSUER, &source, &token("k1"), t0)
            .await
            .unwrap();
        assert_eq!(kids(&keys), ["k1"]);
        // Cached: no second request for a known key.
        cache
            .keys_for(ARN, ISSUER, &source, &token("k1"), t0)
            .await
            .unwrap();
        assert_eq!(issuer.requests(), 1);

        // The issuer rotates: the first token with the new kid fetches again.
        issuer.serve(JWKS_URL, jwks(&["k2"]));
        let keys = cache
            .keys_for(ARN, ISSUER, &source, &token("k2"), t0)
            .await
            .unwrap();
        assert_eq!(kids(&keys), ["k2"]);
        assert_eq!(issuer.requests(), 2);

        // A flood of made-up key ids: no fetch within the interval.
        for n in 0..20 {
            let at = t0 + Duration::from_secs(n);
            let keys = cache
                .keys_for(ARN, ISSUER, &source, &token(&format!("bogus{n}")), at)
                .await
                .unwrap();
            assert_eq!(kids(&keys), ["k2"]);
        }
        assert_eq!(issuer.requests(), 2);
        // After it, one more.
        let later = t0 + UNKNOWN_KEY_REFRESH;
        cache
            .keys_for(ARN, ISSUER, &source, &token("bogus"), later)
            .await
            .unwrap();
        cache
            .keys_for(ARN, ISSUER, &source, &token("bogus"), later)
            .await
            .unwrap();
        assert_eq!(issuer.requests(), 3);
        // Keys are fetched again once they are old, whatever the token.
        cache
            .keys_for(ARN, ISSUER, &source, &token("k2"), later + KEYS_TTL)
            .await
            .unwrap();
        assert_eq!(issuer.requests(), 4);
    }

    #[tokio::test]
    async fn an_unreachable_issuer_is_a_communication_error_and_is_not_hammered() {
        let (issuer, cache) = new_cache();
        let source = KeySource::Url(JWKS_URL.to_owned());
        let t0 = Instant::now();
        let err = cache
            .keys_for(ARN, ISSUER, &source, &token("k1"), t0)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            TokenError::Communication(format!("Could not fetch {JWKS_URL}: Connection refused"))
        );
        let again = cache
            .keys_for(ARN, ISSUER, &source, &token("k1"), t0)
            .await
            .unwrap_err();
        assert_eq!(again, err);
        assert_eq!(issuer.requests(), 1);

        // Back: fetched after the backoff.
        issuer.serve(JWKS_URL, jwks(&["k1"]));
        let keys = cache
            .keys_for(ARN, ISSUER, &source, &token("k1"), t0 + FAILURE_BACKOFF)
            .await
            .unwrap();
        assert_eq!(kids(&keys), ["k1"]);

        // Down again when the keys are old: the old keys keep verifying.
        issuer.stop();
        let late = t0 + FAILURE_BACKOFF + KEYS_TTL;
        let keys = cache
            .keys_for(ARN, ISSUER, &source, &token("k1"), late)
            .await
            .unwrap();
        assert_eq!(kids(&keys), ["k1"]);
    }

    #[tokio::test]
    async fn discovery_reads_the_jwks_uri_of_the_issuers_configuration() {
        let (issuer, cache) = new_cache();
        let configuration = format!("{ISSUER}/.well-known/openid-configuration");
        issuer.serve(
            &configuration,
            json!({"issuer": ISSUER, "jwks_uri": JWKS_URL}).to_string(),
        );
        issuer.serve(JWKS_URL, jwks(&["k1"]));
        let keys = cache
            .keys_for(
                ARN,
                ISSUER,
                &KeySource::Discovery,
                &token("k1"),
                Instant::now(),
            )
            .await
            .unwrap();
        assert_eq!(kids(&keys), ["k1"]);
        assert_eq!(
            *issuer.requests.lock().unwrap(),
            [configuration.clone(), JWKS_URL.to_owned()]
        );

        // A configuration for another issuer, or a plain-http jwks_uri, is refused.
        for (body, why) in [
            (
                json!({"issuer": "https://evil.example.test", "jwks_uri": JWKS_URL}),
                "names another issuer",
            ),
            (
                json!({"issuer": ISSUER, "jwks_uri": "http://evil.example.test/keys"}),
                "names a bad jwks_uri",
            ),
            (json!({"issuer": ISSUER}), "has no \"jwks_uri\""),
        ] {
            let (issuer, cache) = new_cache();
            issuer.serve(&configuration, body.to_string());
            let err = cache
                .keys_for(
                    ARN,
                    ISSUER,
                    &KeySource::Discovery,
                    &token("k1"),
                    Instant::now(),
                )
                .await
                .unwrap_err();
            let TokenError::Communication(text) = err else {
                panic!("{err:?}")
            };
            assert!(
                text.starts_with(&format!(
                    "The OpenID configuration at {configuration} {why}"
                )),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn without_a_fetcher_fetched_keys_are_a_communication_error() {
        let cache = RemoteKeys::default();
        let err = cache
            .keys_for(
                ARN,
                ISSUER,
                &KeySource::Url(JWKS_URL.into()),
                &token("k1"),
                Instant::now(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::Communication(_)), "{err:?}");
    }

    #[test]
    fn jwks_urls_are_https_or_loopback_http() {
        use crate::web_identity::check_jwks_url;
        for good in [
            "https://keys.example.test/jwks.json",
            "https://keys.example.test:8443/a?b=c",
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]:9000/jwks",
        ] {
            assert_eq!(check_jwks_url(good).as_deref(), Ok(good));
        }
        for bad in [
            "",
            "ftp://keys.example.test/jwks",
            "http://keys.example.test/jwks",
            "http://10.0.0.1/jwks",
            "https://user@keys.example.test/jwks",
            "https://keys.example.test/jwks#frag",
            "https:///jwks",
        ] {
            assert!(check_jwks_url(bad).is_err(), "{bad}");
        }
    }
}
