//! The one signing step the in-process forms share (the `tower::Layer` and
//! the reqwest middleware): look the host's rules up and apply them to the
//! request's parts, so both sign exactly alike.

use http::request::Parts;

use crate::cache::RuleCache;
use crate::layer::SigningError;
use crate::rules::looked_for;

/// Signs `parts` with the rules of its URI's host.
///
/// The URI must be absolute (`https://host/path`), as a client sends it.
/// A host without rules is an error ([`SigningError::NoRules`], naming the
/// parameters looked for) unless `pass_unconfigured`, then the request is
/// left as it is. Never fails with [`SigningError::Inner`]: that variant is
/// the caller's, for what happens after signing.
pub async fn sign_parts<E>(
    cache: &RuleCache,
    pass_unconfigured: bool,
    parts: &mut Parts,
) -> Result<(), SigningError<E>> {
    let host = parts
        .uri
        .host()
        .map(str::to_ascii_lowercase)
        .ok_or(SigningError::NoHost)?;
    let rules = cache.rules_for(&host).await.map_err(SigningError::Source)?;
    if rules.is_empty() {
        if pass_unconfigured {
            return Ok(());
        }
        return Err(SigningError::NoRules {
            looked_for: looked_for(cache.prefix(), &host),
            host,
        });
    }
    rules
        .apply(&mut parts.uri, &mut parts.headers)
        .map_err(SigningError::Apply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::RulesError;
    use kinko_model::fake::FakeSource;
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::time::Duration;

    /// A source that is down.
    fn down() -> Arc<FakeSource> {
        let source = FakeSource::new(&[]);
        source.set_unavailable(true);
        Arc::new(source)
    }

    fn parts(uri: &str) -> Parts {
        http::Request::get(uri).body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn a_store_outage_without_cached_rules_fails_and_leaves_the_request_alone() {
        let cache = RuleCache::new(down(), "/p", Duration::from_secs(60));
        let mut request = parts("https://h/x");
        let err = sign_parts::<Infallible>(&cache, true, &mut request)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, SigningError::Source(RulesError::Unavailable { path, .. }) if path == "/p/h/"),
            "{err:?}"
        );
        assert_eq!(request.uri, "https://h/x");
        assert!(request.headers.is_empty());
    }
}
