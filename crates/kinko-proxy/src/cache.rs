//! Rules cached per host: read once, refreshed after a TTL so a rotated
//! token takes effect without a restart, refreshed by one request at a time
//! per host (the others wait for it rather than all calling the store), and
//! kept when the store is down so calls with a cached rule go on working.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::rules::{Rules, rule_path};
use crate::source::{RuleSource, RuleSourceError};

/// After a failed refresh, how long stale rules are served before the
/// store is asked again (at most the TTL).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Beyond this many hosts, expired entries are dropped on insert, so a
/// client asking for endless host names cannot grow the cache without end.
const PRUNE_ABOVE: usize = 4096;

pub struct RuleCache {
    source: Arc<dyn RuleSource>,
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
    pub fn new(source: Arc<dyn RuleSource>, prefix: impl Into<String>, ttl: Duration) -> Self {
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
    pub async fn rules_for(&self, host: &str) -> Result<Arc<Rules>, RuleSourceError> {
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
        match self.source.parameters_under(&path).await {
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
    use crate::source::RuleParameter;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A store with one header rule whose value can be changed, that can
    /// be made to fail, and counts its calls.
    struct FakeStore {
        value: Mutex<String>,
        down: AtomicBool,
        calls: AtomicUsize,
        delay: Duration,
    }

    impl FakeStore {
        fn new(value: &str, delay: Duration) -> Arc<Self> {
            Arc::new(FakeStore {
                value: Mutex::new(value.to_owned()),
                down: AtomicBool::new(false),
                calls: AtomicUsize::new(0),
                delay,
            })
        }
    }

    #[async_trait]
    impl RuleSource for FakeStore {
        async fn parameters_under(
            &self,
            path: &str,
        ) -> Result<Vec<RuleParameter>, RuleSourceError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            if self.down.load(Ordering::SeqCst) {
                return Err(RuleSourceError::Unavailable {
                    path: path.to_owned(),
                    reason: "connection refused".into(),
                });
            }
            if path != "/p/h/" {
                return Ok(Vec::new());
            }
            let value = self.value.lock().unwrap().clone();
            Ok(vec![RuleParameter::new("/p/h/headers/X-Token", value)])
        }
    }

    fn token(rules: &Rules) -> String {
        let mut uri: http::Uri = "http://h/".parse().unwrap();
        let mut headers = http::HeaderMap::new();
        rules.apply(&mut uri, &mut headers).unwrap();
        headers["x-token"].to_str().unwrap().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn rules_are_cached_until_the_ttl_then_refreshed() {
        let store = FakeStore::new("one", Duration::ZERO);
        let cache = RuleCache::new(store.clone(), "/p", Duration::from_secs(60));
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        *store.value.lock().unwrap() = "two".into();
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        assert_eq!(store.calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "two");
        assert_eq!(store.calls.load(Ordering::SeqCst), 2);
        // A host without rules is cached as empty too.
        assert!(cache.rules_for("other").await.unwrap().is_empty());
        assert!(cache.rules_for("other").await.unwrap().is_empty());
        assert_eq!(store.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_make_one_call() {
        let store = FakeStore::new("one", Duration::from_millis(100));
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
        assert_eq!(store.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_serves_cached_rules_and_fails_without_them() {
        let store = FakeStore::new("one", Duration::ZERO);
        let cache = RuleCache::new(store.clone(), "/p", Duration::from_secs(60));
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        store.down.store(true, Ordering::SeqCst);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        // Not asked again at once after a failure.
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "one");
        assert_eq!(store.calls.load(Ordering::SeqCst), 2);
        let err = cache.rules_for("never-seen").await.unwrap_err();
        assert!(err.to_string().contains("/p/never-seen/"), "{err}");
        // Back up: the next refresh picks up the new value.
        store.down.store(false, Ordering::SeqCst);
        *store.value.lock().unwrap() = "two".into();
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(token(&cache.rules_for("h").await.unwrap()), "two");
    }
}
