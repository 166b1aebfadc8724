//! Hit and miss counts of an in-memory cache (the keyring's keys, the
//! access keys), for the server's metrics. Counting is two relaxed atomic
//! adds: nothing on a request's path waits for it.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What a [`CacheStats`] has counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    pub hits: u64,
    pub misses: u64,
}

impl CacheStats {
    /// Counts one lookup: found fresh (`hit`) or not.
    pub fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hits_and_misses_apart() {
        let stats = CacheStats::default();
        stats.count(true);
        stats.count(true);
        stats.count(false);
        assert_eq!(stats.counts(), CacheCounts { hits: 2, misses: 1 });
    }
}
