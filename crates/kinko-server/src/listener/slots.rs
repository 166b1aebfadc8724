//! The connection cap: a slot per open connection, and when all are taken,
//! room made by closing the connection that has gone longest without a
//! request in flight.
//!
//! While no slot is free the server accepts no more connections (the kernel
//! keeps them in the listen backlog), so it holds at most one socket beyond
//! the cap. Waiting alone would leave well-behaved clients queued behind
//! an attacker's idle or trickling connections until their timeouts pass;
//! closing the longest-stalled connection serves them at once, at the cost
//! of an idle keep-alive connection (which clients reopen) or a connection
//! that has not managed to send a request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::activity::Tracker;
use super::limits::MaxConnections;

/// How often the "connection limit reached" warning may repeat.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// How long to wait for an evicted connection to free its slot before
/// asking another (an evicted connection that turned busy first finishes
/// its requests).
const EVICT_AGAIN_AFTER: Duration = Duration::from_millis(100);

pub(crate) struct Slots {
    permits: Arc<Semaphore>,
    max: MaxConnections,
    open: Mutex<Open>,
    warning: Mutex<FullWarning>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    connections: BTreeMap<u64, Tracker>,
}

#[derive(Default)]
struct FullWarning {
    last: Option<Instant>,
    /// Times the cap was hit since the last warning line.
    hits: u64,
}

/// A free slot, not yet holding a connection.
pub(crate) struct Permit(OwnedSemaphorePermit);

/// An open connection's slot: freed when dropped.
pub(crate) struct Slot {
    id: u64,
    slots: Arc<Slots>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.open().connections.remove(&self.id);
    }
}

impl Slots {
    pub fn new(max: MaxConnections) -> Arc<Slots> {
        Arc::new(Slots {
            permits: Arc::new(Semaphore::new(max.get())),
            max,
            open: Mutex::default(),
            warning: Mutex::default(),
        })
    }

    fn open(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for the next connection: at once if one is free; otherwise
    /// the open connection stalled longest is asked to close, and this waits
    /// for its slot.
    pub async fn reserve(&self) -> Permit {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Permit(permit);
        }
        self.warn_full();
        loop {
            self.evict_longest_stalled();
            tokio::select! {
                permit = self.permits.clone().acquire_owned() => match permit {
                    Ok(permit) => return Permit(permit),
                    // Never closed; if it were, no slot would ever free up,
                    // and the caller's shutdown still ends the wait.
                    Err(_) => std::future::pending::<()>().await,
                },
                () = tokio::time::sleep(EVICT_AGAIN_AFTER) => {}
            }
        }
    }

    /// Puts an accepted connection in its slot.
    pub fn fill(self: &Arc<Self>, permit: Permit, tracker: Tracker) -> Slot {
        let mut open = self.open();
        let id = open.next_id;
        open.next_id += 1;
        open.connections.insert(id, tracker);
        Slot {
            id,
            slots: self.clone(),
            _permit: permit.0,
        }
    }

    /// Resolves once every slot is free (every connection closed).
    pub async fn all_free(&self) {
        let all = u32::try_from(self.max.get()).unwrap_or(u32::MAX);
        let _ = self.permits.acquire_many(all).await;
    }

    fn evict_longest_stalled(&self) {
        let open = self.open();
        let longest = open
            .connections
            .values()
            .filter_map(|tracker| {
                let activity = tracker.current();
                let since = activity.stalled_since()?;
                (!activity.evicted).then_some((since, tracker))
            })
            .min_by_key(|(since, _)| *since);
        if let Some((_, tracker)) = longest {
            tracker.evict();
        }
    }

    /// One line when the cap is first hit, then at most one a minute.
    fn warn_full(&self) {
        let mut warning = self.warning.lock().unwrap_or_else(PoisonError::into_inner);
        warning.hits += 1;
        let now = Instant::now();
        if warning.last.is_some_and(|last| now < last + WARN_EVERY) {
            return;
        }
        let max = self.max.get();
        if warning.last.is_none() {
            tracing::warn!(
                max_connections = max,
                "connection limit reached: {max} connections are open; closing those stalled longest to make room \
                 (if this is normal load, raise --max-connections and the open-files limit); \
                 this warning repeats at most once a minute"
            );
        } else {
            tracing::warn!(
                max_connections = max,
                times = warning.hits,
                "connection limit reached {} times in the last minute or more ({max} connections open)",
                warning.hits
            );
        }
        warning.last = Some(now);
        warning.hits = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_server_evicts_the_connection_stalled_longest() {
        let slots = Slots::new(MaxConnections::new(3).unwrap());
        let t0 = Instant::now();
        let busy = Tracker::new(t0);
        let stalled_longest = Tracker::new(t0 + Duration::from_secs(1));
        let stalled = Tracker::new(t0 + Duration::from_secs(2));
        let busy_slot = slots.fill(slots.reserve().await, busy.clone());
        let _request = busy.request_started(false);
        let _a = slots.fill(slots.reserve().await, stalled_longest.clone());
        let _b = slots.fill(slots.reserve().await, stalled.clone());

        // Full: the reservation asks the connection stalled longest (not the
        // busy one, accepted before it) to close, and waits for a slot.
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.reserve().await }
        });
        while !stalled_longest.current().evicted {
            tokio::task::yield_now().await;
        }
        assert!(!busy.current().evicted);
        assert!(!stalled.current().evicted);
        assert!(!waiting.is_finished());
        // Any connection closing frees its slot.
        drop(busy_slot);
        let permit = waiting.await.unwrap();
        drop(permit);
    }

    #[tokio::test]
    async fn all_free_waits_for_every_connection() {
        let slots = Slots::new(MaxConnections::new(3).unwrap());
        let slot = slots.fill(slots.reserve().await, Tracker::new(Instant::now()));
        let drained = tokio::spawn({
            let slots = slots.clone();
            async move { slots.all_free().await }
        });
        tokio::task::yield_now().await;
        assert!(!drained.is_finished());
        drop(slot);
        drained.await.unwrap();
    }
}
