//! Test support: the audit part ([`AuditRows`]) of the real (in-memory)
//! SQLite store, whose appends can be made to fail — a full disk, a
//! database restarting — and healed again. Not a fake: only `append_audit`
//! is intercepted. The audit writer takes this; the rest of a server under
//! test takes [`FaultyAuditStore::store`], the same database.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use kinko_store::{AuditLink, AuditRow, AuditRows, SqliteStore, StoreError};

/// What a failing append answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// `StoreError::Unavailable` (PostgreSQL restarting).
    Unavailable,
    /// `StoreError::Backend` (SQLite: "database or disk is full").
    DiskFull,
    /// `StoreError::Unsupported` (a store that keeps no audit records).
    Unsupported,
}

pub(crate) struct FaultyAuditStore {
    inner: SqliteStore,
    /// What the next appends do, in order (`None`: pass through).
    plan: Mutex<VecDeque<Option<Fault>>>,
    /// What appends do once the plan is used up (`None`: pass through).
    then: Mutex<Option<Fault>>,
    /// Every `append_audit` call, failed or not.
    pub(crate) attempts: AtomicUsize,
}

impl FaultyAuditStore {
    pub(crate) fn new() -> Self {
        Self {
            inner: SqliteStore::open_in_memory().expect("in-memory SQLite"),
            plan: Mutex::new(VecDeque::new()),
            then: Mutex::new(None),
            attempts: AtomicUsize::new(0),
        }
    }

    /// The whole store under the audit part: clones share one database, so
    /// what the server writes and what the audit writer appends meet there.
    pub(crate) fn store(&self) -> SqliteStore {
        self.inner.clone()
    }

    /// The next `n` appends (after those already planned) fail with `fault`.
    pub(crate) fn fail_next(&self, n: usize, fault: Fault) {
        self.plan
            .lock()
            .unwrap()
            .extend((0..n).map(|_| Some(fault)));
    }

    /// The next `n` appends (after those already planned) go through.
    pub(crate) fn pass_next(&self, n: usize) {
        self.plan.lock().unwrap().extend((0..n).map(|_| None));
    }

    /// Every append fails with `fault` until [`Self::heal`].
    pub(crate) fn fail_until_healed(&self, fault: Fault) {
        *self.then.lock().unwrap() = Some(fault);
    }

    /// Appends go through again (the plan is dropped).
    pub(crate) fn heal(&self) {
        self.plan.lock().unwrap().clear();
        *self.then.lock().unwrap() = None;
    }

    fn injected(&self) -> Option<StoreError> {
        let planned = self.plan.lock().unwrap().pop_front();
        let fault = match planned {
            Some(step) => step,
            None => *self.then.lock().unwrap(),
        }?;
        Some(match fault {
            Fault::Unavailable => StoreError::Unavailable("injected: restarting".into()),
            Fault::DiskFull => StoreError::Backend("injected: database or disk is full".into()),
            Fault::Unsupported => StoreError::Unsupported("append_audit"),
        })
    }
}

#[async_trait]
impl AuditRows for FaultyAuditStore {
    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if let Some(error) = self.injected() {
            return Err(error);
        }
        self.inner.append_audit(records, link).await
    }

    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        self.inner.read_audit(after_seq, limit).await
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        self.inner.audit_head().await
    }
}
