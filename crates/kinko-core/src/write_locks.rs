//! Per-resource write serialisation inside one server.
//!
//! Writes are compare-and-swap against the store, which is what keeps
//! several servers on one database correct. But when many clients of the
//! *same* server write one name at once, CAS alone makes them race, fail and
//! retry (measured: 32 concurrent writers on one parameter reached ~400
//! writes/s). Queueing them on a lock per name first turns that herd into a
//! line; CAS still guards against the other servers.

use std::hash::{BuildHasher, Hash};

use tokio::sync::{Mutex, MutexGuard};

/// A fixed set of striped locks: a name maps to one stripe, so unrelated
/// names rarely wait on each other and no per-name entry is ever allocated.
pub struct WriteLocks {
    stripes: Vec<Mutex<()>>,
    hasher: std::collections::hash_map::RandomState,
}

const STRIPES: usize = 256;

impl WriteLocks {
    pub fn new() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Waits for the lock of `key` (e.g. `(region, name)`).
    pub async fn lock<K: Hash>(&self, key: &K) -> MutexGuard<'_, ()> {
        let stripe = (self.hasher.hash_one(key) as usize) % self.stripes.len();
        self.stripes[stripe].lock().await
    }
}

impl Default for WriteLocks {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_name_is_one_lock() {
        let locks = WriteLocks::new();
        let guard = locks.lock(&("us-east-1", "/a")).await;
        // The same key is held: a second lock attempt must not succeed now.
        let second = locks.lock(&("us-east-1", "/a"));
        tokio::pin!(second);
        assert!(futures_poll_once(second.as_mut()).await.is_none());
        drop(guard);
        assert!(futures_poll_once(second.as_mut()).await.is_some());
    }

    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            out = f => Some(out),
            () = std::future::ready(()) => None,
        }
    }
}
