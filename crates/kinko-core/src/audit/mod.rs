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

#[cfg(test)]
mod tests;
