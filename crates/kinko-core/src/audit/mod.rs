//! The tamper-evident audit log: one record per request, hash-chained.
//!
//! What a record holds (never a value or a secret key) and its JSON shape
//! are [`kinko_model::audit`]'s; here is what needs the store:
//!
//! - [`chain`]: the link hash, the verifier that finds the first deleted,
//!   altered or reordered record, and [`verify`] over a whole store;
//! - [`query`](mod@query): filters, tail and paging for `QueryAuditLog`;
//! - [`row_json`]: a stored row as the JSON that query and the sink show.
//!
//! The store appends rows and moves the chain head in one transaction,
//! calling [`link`] for each row; the server's batched writer lives in
//! `kinko_server::audit`.

pub mod chain;
pub mod query;
mod row;

pub use chain::{ChainVerifier, Problem, VerifiedChain, head, link, verify};
pub use query::{AuditQuery, DEFAULT_LIMIT, MAX_LIMIT, MAX_SCAN, query};
pub use row::row_json;

use std::sync::Arc;

use kinko_store::{AuditRows, StoreError};

/// The audit rows as the admin API reads them (QueryAuditLog,
/// VerifyAuditLog): only that part of the store.
#[derive(Clone)]
pub struct AuditReader {
    rows: Arc<dyn AuditRows>,
}

impl AuditReader {
    pub fn new(rows: Arc<dyn AuditRows>) -> Self {
        Self { rows }
    }

    /// Records matching `q`, and the sequence number to go on from.
    pub async fn query(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<serde_json::Value>, Option<i64>), StoreError> {
        query(self.rows.as_ref(), q).await
    }

    /// Walks the whole chain: the first problem, or what was verified.
    pub async fn verify(&self) -> Result<Result<VerifiedChain, Problem>, StoreError> {
        verify(self.rows.as_ref()).await
    }

    /// The head row's sequence number and hash.
    pub async fn head(&self) -> Result<(i64, String), StoreError> {
        head(self.rows.as_ref()).await
    }
}

#[cfg(test)]
mod tests;
