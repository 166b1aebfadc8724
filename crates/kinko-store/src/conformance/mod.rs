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
pub mod changes;
pub mod identity;
pub mod keys;
pub mod meta;
pub mod parameters;
pub mod policy_actions;
pub mod secrets;
pub mod webhooks;

use std::sync::Arc;

use kinko_model::Tag;
use kinko_model::principals::PrincipalKind;
use kinko_model::ssm::{ParameterType, VersionSelector};

use crate::{
    Change, ParameterLookup, ParameterQuery, ParameterRecord, ParameterRows, ParameterVersion,
    ParameterWrite, PutOutcome, Store, StoreError,
};

pub use audit::{audit_chain, concurrent_audit_appenders, test_link};
pub use meta::{backup_round_trip, fill_for_backup, restore_refuses_non_empty};

/// The change a property's mutation records when the property is not about
/// the feed (the feed's own properties check what is appended).
pub fn test_change() -> Change {
    let origin = crate::ChangeOrigin {
        time_ms: 1_000,
        region: "conformance".into(),
        account: "000000000000".into(),
        actor: "arn:aws:iam::000000000000:user/conformance".into(),
    };
    Change::new(
        &origin,
        crate::ChangeSource::Ssm,
        "ConformanceWrite",
        "arn:aws:ssm:conformance:000000000000:parameter/conformance".into(),
        "conformance",
    )
}

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
    audit::run(store.clone()).await;
    webhooks::run(store.clone()).await;
    policy_actions::run(store.clone()).await;
    changes::run(store).await;
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

// ---- parameter helpers (the backup filler writes parameters too) ----

/// A version with every optional field set, so round trips are checked.
pub fn full_version(version: u32, value: &[u8]) -> ParameterVersion {
    ParameterVersion {
        version,
        value: value.to_vec(),
        parameter_type: ParameterType::SecureString,
        key_id: Some("alias/aws/ssm".to_owned()),
        description: Some(format!("version {version}")),
        allowed_pattern: Some("^.*$".to_owned()),
        tier: "Advanced".to_owned(),
        policies: Some(r#"[{"Type":"Expiration"}]"#.to_owned()),
        data_type: "text".to_owned(),
        labels: Vec::new(),
        last_modified_ms: 1_700_000_000_000 + i64::from(version),
        last_modified_user: "arn:aws:iam::000000000000:user/alice".to_owned(),
    }
}

/// A version with every optional field empty.
pub fn plain_version(version: u32, value: &[u8]) -> ParameterVersion {
    ParameterVersion {
        version,
        value: value.to_vec(),
        parameter_type: ParameterType::String,
        key_id: None,
        description: None,
        allowed_pattern: None,
        tier: "Standard".to_owned(),
        policies: None,
        data_type: "text".to_owned(),
        labels: Vec::new(),
        last_modified_ms: 1_700_000_000_000,
        last_modified_user: "arn:aws:iam::000000000000:user/bob".to_owned(),
    }
}

pub(crate) fn create(name: &str, value: &[u8]) -> ParameterWrite {
    ParameterWrite {
        name: name.to_owned(),
        display_name: name.to_owned(),
        expected_latest: None,
        version: plain_version(1, value),
        tags: Vec::new(),
        max_versions: 100,
    }
}

pub(crate) fn overwrite(name: &str, latest: u32, value: &[u8]) -> ParameterWrite {
    ParameterWrite {
        name: name.to_owned(),
        display_name: name.to_owned(),
        expected_latest: Some(latest),
        version: plain_version(latest + 1, value),
        tags: Vec::new(),
        max_versions: 100,
    }
}

pub(crate) async fn put(store: &dyn ParameterRows, region: &str, write: ParameterWrite) {
    let outcome = store
        .put_parameter_version(region, write, test_change())
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Written);
}

/// Creates `name` with versions 1..=count (values `v1`, `v2`, ...).
pub(crate) async fn put_versions(store: &dyn ParameterRows, region: &str, name: &str, count: u32) {
    put(store, region, create(name, b"v1")).await;
    for latest in 1..count {
        let value = format!("v{}", latest + 1);
        put(store, region, overwrite(name, latest, value.as_bytes())).await;
    }
}

pub(crate) async fn found(
    store: &dyn ParameterRows,
    region: &str,
    name: &str,
    selector: VersionSelector,
) -> ParameterRecord {
    match store.get_parameter(region, name, &selector).await.unwrap() {
        ParameterLookup::Found(record) => record,
        other => panic!("{name} {selector:?} in {region}: expected Found, got {other:?}"),
    }
}

pub(crate) async fn lookup(
    store: &dyn ParameterRows,
    region: &str,
    name: &str,
    selector: VersionSelector,
) -> ParameterLookup {
    store.get_parameter(region, name, &selector).await.unwrap()
}

pub(crate) async fn labels_of(
    store: &dyn ParameterRows,
    region: &str,
    name: &str,
    version: u32,
) -> Vec<String> {
    found(store, region, name, VersionSelector::Version(version))
        .await
        .version
        .labels
}

pub(crate) async fn history_numbers(
    store: &dyn ParameterRows,
    region: &str,
    name: &str,
) -> Vec<u32> {
    store
        .parameter_history(region, name)
        .await
        .unwrap()
        .expect("parameter exists")
        .iter()
        .map(|v| v.version)
        .collect()
}

/// Once a backend test has rewritten `name`'s stored type text (in region
/// `region`) to one no `ParameterType` has, every read of the row is a
/// `StoreError` that names the parameter, never a panic or a guess.
pub async fn unknown_parameter_type_is_a_corrupt_row(
    store: &dyn ParameterRows,
    region: &str,
    name: &str,
) {
    let expect_corrupt = |what: &str, err: StoreError| match err {
        StoreError::Backend(message) => assert!(
            message.contains(name) && message.contains("parameter type"),
            "{what}: {message}"
        ),
        other => panic!("{what}: expected a Backend error, got {other:?}"),
    };
    let got = store
        .get_parameter(region, name, &VersionSelector::Latest)
        .await;
    expect_corrupt("get", got.unwrap_err());
    let got = store.parameter_history(region, name).await;
    expect_corrupt("history", got.unwrap_err());
    let query = ParameterQuery {
        prefix: None,
        after: None,
        limit: 10,
    };
    let got = store.list_parameters(region, &query).await;
    expect_corrupt("list", got.unwrap_err());
}
