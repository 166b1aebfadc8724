//! The guard of a singleton job: work that exactly one node of a cluster
//! runs at a time (purging deleted secrets).
//!
//! On PostgreSQL the guard owns a dedicated connection holding a
//! session-level advisory lock: the lock goes when the guard is dropped, and
//! also when the connection dies (the node crashed, the network split, the
//! database restarted), which is what lets another node take the job over.
//! A job therefore checks [`SingletonGuard::is_held`] before each run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Proof that this node holds a singleton job; dropping it lets the job go.
pub struct SingletonGuard {
    /// Cleared by the backend when the lock is lost.
    held: Arc<AtomicBool>,
    /// Whatever keeps the lock alive (a connection), dropped with the guard.
    _holder: Option<Box<dyn Send + Sync>>,
}

impl std::fmt::Debug for SingletonGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingletonGuard")
            .field("held", &self.is_held())
            .finish_non_exhaustive()
    }
}

impl SingletonGuard {
    /// A guard for a store that only one process uses: always held.
    pub fn local() -> SingletonGuard {
        SingletonGuard {
            held: Arc::new(AtomicBool::new(true)),
            _holder: None,
        }
    }

    /// A guard that is held while `held` is true and keeps `holder` alive.
    pub fn new(held: Arc<AtomicBool>, holder: Box<dyn Send + Sync>) -> SingletonGuard {
        SingletonGuard {
            held,
            _holder: Some(holder),
        }
    }

    /// Whether the lock is still ours. `false` once the connection that held
    /// it died: another node may be running the job now.
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_is_held_until_its_backend_says_otherwise() {
        assert!(SingletonGuard::local().is_held());
        let held = Arc::new(AtomicBool::new(true));
        let guard = SingletonGuard::new(held.clone(), Box::new(()));
        assert!(guard.is_held());
        held.store(false, Ordering::Release);
        assert!(!guard.is_held());
    }
}
