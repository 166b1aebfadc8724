//! The tamper-evident audit log: one record per request, hash-chained.
//!
//! - [`record`]: what a record holds (never a value or a secret key) and its
//!   JSON shape;
//! - [`chain`]: the link hash, the verifier that finds the first deleted,
//!   altered or reordered record, and [`verify`] over a whole store;
//! - [`query`](mod@query): filters, tail and paging for `QueryAuditLog`.
//!
//! The store appends rows and moves the chain head in one transaction,
//! calling [`link`] for each row; the server's batched writer lives in
//! `kinko_server::audit`.

pub mod chain;
pub mod query;
pub mod record;

pub use chain::{ChainVerifier, Problem, VerifiedChain, link, verify};
pub use query::{AuditQuery, DEFAULT_LIMIT, MAX_LIMIT, MAX_SCAN, query};
pub use record::{AuditRecord, OUTAGE_OPERATION, Outage, ResourceDecision, Verdict, row_json};

#[cfg(test)]
mod tests;
