//! One conformance suite for every [`Store`] backend.
//!
//! Each property is a pub async fn over the part of a store it exercises
//! (`&dyn ParameterRows`, …), grouped by area in a module whose `run` runs
//! them all; [`run_all`] runs every area.
//! Every property works in its own regions, so they can share one store. A
//! backend's tests call `run_all` on a fresh store (SQLite: a temp file and
//! an in-memory database; PostgreSQL: a fresh schema), and the `kinko-store`
//! feature `conformance` exposes this module to other crates.
//!
//! These are assertions, so they panic on failure like any test.

// A test suite compiled outside `cfg(test)` when the feature is on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod audit;
pub mod identity;
pub mod keys;
pub mod meta;
pub mod parameters;
pub mod secrets;

use std::sync::Arc;

use kinko_model::Tag;
use kinko_model::principals::PrincipalKind;

use crate::Store;

pub use audit::{audit_chain, concurrent_audit_appenders, test_link};
pub use meta::{backup_round_trip, fill_for_backup, restore_refuses_non_empty};
pub use parameters::{full_version, plain_version};

/// A fresh unique id for a principal the suite creates.
pub(crate) fn fresh_id(kind: PrincipalKind) -> String {
    crate::unique_id::fresh(kind).expect("the system random number generator works")
}

/// Runs every property of every area against `store`.
pub async fn run_all(store: Arc<dyn Store>) {
    parameters::run(store.clone()).await;
    keys::run(store.clone()).await;
    identity::run(store.clone()).await;
    meta::run(store.clone()).await;
    secrets::run(store.clone()).await;
    audit::run(store).await;
}

pub(crate) fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
