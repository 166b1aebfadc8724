//! Rules cached per host: read once, refreshed after a TTL so a rotated
//! token takes effect without a restart, refreshed by one request at a time
//! per host (the others wait for it rather than all calling the store), and
//! kept when the store is down so calls with a cached rule go on working.
//!
//! The rules are the parameters under a path, read from any
//! [`ValueSource`] (the binary's is the AWS SDK's, against kinko or real
//! AWS), so this crate links no SDK.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use kinko_model::value_source::{PathValue, ResolveErrorKind, ValueSource};
use tokio::time::Instant;

use crate::rules::{Rules, rule_path};

/// Why the rules under a path could not be read. Says what failed, never
/// a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The store refused the call (no permission, bad credentials).
    #[error("the parameter store refused to list {path}: {reason}")]
    Denied { path: String, reason: String },
    /// The store could not be reached or failed.
    #[error("the parameter store is unavailable while listing {path}: {reason}")]
    Unavailable { path: String, reason: String },
}

/// Every parameter under `path` (which ends in `/`), recursively and
/// decrypted. An unknown path is an empty list, not an error.
async fn parameters_under(
    source: &dyn ValueSource,
    path: &str,
) -> Result<Vec<PathValue>, RulesError> {
    // GetParametersByPath wants the path without its trailing slash.
    let trimmed = path.trim_end_matches('/');
    let api_path = if trimmed.is_empty() { "/" } else { trimmed };
    match source.parameters_by_path(api_path).await {
        Ok(values) => Ok(values),
        Err(error) if error.is_not_found() => Ok(Vec::new()),
        Err(error) => Err(match error.kind {
            ResolveErrorKind::AccessDenied(reason) => RulesError::Denied {
                path: path.to_owned(),
                reason,
            },
            other => RulesError::Unavailable {
                path: path.to_owned(),
                reason: other.to_string(),
            },
        }),
    }
}

/// After a failed refresh, how long stale rules are served before the
/// store is asked again (at most the TTL).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Beyond this many hosts, expired entries are dropped on insert, so a
/// client asking for endless host names cannot grow the cache without end.
const PRUNE_ABOVE: usize = 4096;

pub struct RuleCache {
    source: Arc<dyn ValueSource>,
    prefix: String,
    ttl: Duration,
    entries: Mutex<HashMap<String, Arc<HostEntry>>>,
}

#[derive(Default)]
struct HostEntry {
    current: RwLock<Option<Cached>>,
    /// Held by the one request that refreshes this host.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Cached {
    rules: Arc<Rules>,
    refresh_at: Instant,
}

impl HostEntry {
    fn fresh(&self, now: Instant) -> Option<Arc<Rules>> {
        let current = match self.current.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        current
            .as_ref()
            .filter(|c| now < c.refresh_at)
            .map(|c| c.rules.clone())
    }

    fn stale(&self) -> Option<Arc<Rules>> {
        let current = match self.current.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        current.as_ref().map(|c| c.rules.clone())
    }

    fn store(&self, rules: Arc<Rules>, refresh_at: Instant) {
        let mut current = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *current = Some(Cached { rules, refresh_at });
    }
}

impl std::fmt::Debug for RuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleCache")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl RuleCache {
    pub fn new(source: Arc<dyn ValueSource>, prefix: impl Into<String>, ttl: Duration) -> Self {
        RuleCache {
            source,
            prefix: prefix.into(),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The parameter prefix rules are read under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The rules of `host` (lower-case, without a port); empty rules when
    /// the host has none. An error only when the store fails and nothing
    /// is cached for the host.
    pub async fn rules_for(&self, host: &str) -> Result<Arc<Rules>, RulesError> {
        let entry = self.entry(host);
        if let Some(rules) = entry.fresh(Instant::now()) {
            return Ok(rules);
        }
        let _refreshing = entry.refresh.lock().await;
        // Someone else may have refreshed while this request waited.
        if let Some(rules) = entry.fresh(Instant::now()) {
            return Ok(rules);
        }
        let path = rule_path(&self.prefix, host);
        match parameters_under(&*self.source, &path).await {
            Ok(parameters) => {
                let rules = Rules::from_parameters(&self.prefix, host, &parameters);
                for name in rules.ignored() {
                    tracing::warn!(parameter = %name, "ignoring a parameter that is not a usable signing rule");
                }
                let rules = Arc::new(rules);
                entry.store(rules.clone(), Instant::now() + self.ttl);
                Ok(rules)
            }
            Err(error) => match entry.stale() {
                Some(rules) => {
                    tracing::warn!(%host, %error, "cannot refresh signing rules; serving the cached ones");
                    entry.store(
                        rules.clone(),
                        Instant::now() + self.ttl.min(RETRY_AFTER_FAILURE),
                    );
                    Ok(rules)
                }
                None => Err(error),
            },
        }
    }

    fn entry(&self, host: &str) -> Arc<HostEntry> {
        let mut entries = match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(entry) = entries.get(host) {
            return entry.clone();
        }
        if entries.len() >= PRUNE_ABOVE {
            let now = Instant::now();
            entries.retain(|_, e| Arc::strong_count(e) > 1 || e.fresh(now).is_some());
        }
        let entry = Arc::new(HostEntry::default());
        entries.insert(host.to_owned(), entry.clone());
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_model::fake::FakeSource;

    /// A store with one header rule whose value can be changed, that can
    /// be made to fail, and counts its calls.
    fn fake_store(value: &str, delay: Duration) -> Arc<FakeSource> {
        Arc::new(FakeSource::new(&[("/p/h/headers/X-Token", value)]).with_delay(delay))
    }

    fn token(rules: &Rules) -> String {
        let mut uri: http::Uri = "http://h/".parse().unwrap();
        let mut headers = http::HeaderMap::new();
        rules.apply(&mut uri, &mut headers).unwrap();
        headers["x-token"].to_str().unwrap().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn rules_are_cached_until_the_ttl_then_refreshed() {
        let store = fake_store("one", Duration::ZERO);
        let cache = RuleCache::new(store.clone(), "/p", Duration::from_secs(60));
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        store.set_parameter("/p/h/headers/X-Token", "two");
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        assert_eq!(store.path_calls(), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "two");
        assert_eq!(store.path_calls(), 2);
        // A host without rules is cached as empty too.
        assert!(cache.rules_for("other").await.unwrap().is_empty());
        assert!(cache.rules_for("other").await.unwrap().is_empty());
        assert_eq!(store.path_calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_make_one_call() {
        let store = fake_store("one", Duration::from_millis(100));
        let cache = Arc::new(RuleCache::new(store.clone(), "/p", Duration::from_secs(60)));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { token(&cache.rules_for("h").await.unwrap()) })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), "one");
        }
        assert_eq!(store.path_calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_serves_cached_rules_and_fails_without_them() {
        let store = fake_store("one", Duration::ZERO);
        let cache = RuleCache::new(store.clone(), "/p", Duration::from_secs(60));
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        store.set_unavailable(true);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        // Not asked again at once after a failure.
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        assert_eq!(store.path_calls(), 2);
        let err = cache.rules_for("never-seen").await.unwrap_err();
        assert!(err.to_string().contains("/p/never-seen/"), "{err}");
        // Back up: the next refresh picks up the new value.
        store.set_unavailable(false);
        store.set_parameter("/p/h/headers/X-Token", "two");
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "two");
    }
}
