//! Unique ids the store makes itself: only for principals restored from a
//! backup written before ids existed (new principals get theirs from
//! `kinko-core`; rows older than ids got theirs in a schema migration).
//!
//! The random bytes come from the operating system through `getrandom`, so
//! the store needs no `kinko-crypto`. An id is not a secret, only unique.

use kinko_model::principals::{PrincipalKind, UNIQUE_ID_RANDOM_CHARS};

/// A fresh `AIDA…`/`AROA…` id of `kind`.
pub(crate) fn fresh(kind: PrincipalKind) -> Result<String, getrandom::Error> {
    let mut random = [0u8; UNIQUE_ID_RANDOM_CHARS];
    getrandom::fill(&mut random)?;
    Ok(kind.unique_id_from(random))
}
