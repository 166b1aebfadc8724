//! One conformance suite for every [`Store`] backend.
//!
//! Each property is a pub async fn over a store; [`run_all`] runs them all.
//! Every property works in its own regions, so they can share one store. A
//! backend's tests call `run_all` on a fresh store (SQLite: a temp file and
//! an in-memory database; PostgreSQL: a fresh schema), and the `kinko-store`
//! feature `conformance` exposes this module to other crates.
//!
//! These are assertions, so they panic on failure like any test.

// A test suite compiled outside `cfg(test)` when the feature is on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;

use kinko_model::Tag;
use kinko_model::principals::PrincipalKind;
use kinko_model::ssm::VersionSelector;

use crate::{
    AUDIT_GENESIS, AccessKeyRecord, AuditRow, KeyUse, KmsAliasRecord, KmsKeyRecord,
    ParameterLookup, ParameterQuery, ParameterRecord, ParameterVersion, ParameterWrite,
    PolicyRecord, PrincipalRecord, PutOutcome, SecretRecord, SecretState, SecretVersion,
    SecretWrite, Store, StoreError, UnlabelOutcome, WriteOutcome,
};

/// A fresh unique id for a principal the suite creates.
fn fresh_id(kind: PrincipalKind) -> String {
    crate::unique_id::fresh(kind).expect("the system random number generator works")
}

/// Runs every property against `store`.
pub async fn run_all(store: Arc<dyn Store>) {
    create_read_overwrite(&*store).await;
    compare_and_swap(&*store).await;
    delete_and_recreate(&*store).await;
    version_cap(&*store).await;
    labels(&*store).await;
    unlabel(&*store).await;
    tags(&*store).await;
    listing(&*store).await;
    regions_isolated(&*store).await;
    kms_keys(&*store).await;
    kms_management(&*store).await;
    access_keys(&*store).await;
    meta(&*store).await;
    secrets(&*store).await;
    principals(&*store).await;
    policies(&*store).await;
    principal_cascade(&*store).await;
    access_key_management(&*store).await;
    audit_chain(&*store).await;
    concurrent_writers(Arc::clone(&store)).await;
    concurrent_audit_appenders(vec![store]).await;
}

// ---- helpers ----

/// A version with every optional field set, so round trips are checked.
pub fn full_version(version: u32, value: &[u8]) -> ParameterVersion {
    ParameterVersion {
        version,
        value: value.to_vec(),
        parameter_type: "SecureString".to_owned(),
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
        parameter_type: "String".to_owned(),
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

fn create(name: &str, value: &[u8]) -> ParameterWrite {
    ParameterWrite {
        name: name.to_owned(),
        display_name: name.to_owned(),
        expected_latest: None,
        version: plain_version(1, value),
        tags: Vec::new(),
        max_versions: 100,
    }
}

fn overwrite(name: &str, latest: u32, value: &[u8]) -> ParameterWrite {
    ParameterWrite {
        name: name.to_owned(),
        display_name: name.to_owned(),
        expected_latest: Some(latest),
        version: plain_version(latest + 1, value),
        tags: Vec::new(),
        max_versions: 100,
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

async fn put(store: &dyn Store, region: &str, write: ParameterWrite) {
    let outcome = store.put_parameter_version(region, write).await.unwrap();
    assert_eq!(outcome, PutOutcome::Written);
}

/// Creates `name` with versions 1..=count (values `v1`, `v2`, ...).
async fn put_versions(store: &dyn Store, region: &str, name: &str, count: u32) {
    put(store, region, create(name, b"v1")).await;
    for latest in 1..count {
        let value = format!("v{}", latest + 1);
        put(store, region, overwrite(name, latest, value.as_bytes())).await;
    }
}

async fn found(
    store: &dyn Store,
    region: &str,
    name: &str,
    selector: VersionSelector,
) -> ParameterRecord {
    match store.get_parameter(region, name, &selector).await.unwrap() {
        ParameterLookup::Found(record) => record,
        other => panic!("{name} {selector:?} in {region}: expected Found, got {other:?}"),
    }
}

async fn lookup(
    store: &dyn Store,
    region: &str,
    name: &str,
    selector: VersionSelector,
) -> ParameterLookup {
    store.get_parameter(region, name, &selector).await.unwrap()
}

async fn labels_of(store: &dyn Store, region: &str, name: &str, version: u32) -> Vec<String> {
    found(store, region, name, VersionSelector::Version(version))
        .await
        .version
        .labels
}

async fn history_numbers(store: &dyn Store, region: &str, name: &str) -> Vec<u32> {
    store
        .parameter_history(region, name)
        .await
        .unwrap()
        .expect("parameter exists")
        .iter()
        .map(|v| v.version)
        .collect()
}

// ---- parameters ----

/// Create, read back every field, overwrite, read by version, history.
pub async fn create_read_overwrite(store: &dyn Store) {
    let region = "conf-basic";
    let name = "/app/db/password";
    assert_eq!(
        lookup(store, region, name, VersionSelector::Latest).await,
        ParameterLookup::NotFound
    );
    assert_eq!(store.parameter_history(region, name).await.unwrap(), None);

    // Binary ciphertext with NUL and 0xFF bytes must round-trip untouched.
    let first_value = vec![0u8, 1, 2, 0xFF, 0, 0x7F];
    let first = full_version(1, &first_value);
    let write = ParameterWrite {
        name: name.to_owned(),
        display_name: "/App/DB/password".to_owned(),
        expected_latest: None,
        version: first.clone(),
        tags: vec![tag("team", "core"), tag("env", "prod")],
        max_versions: 100,
    };
    put(store, region, write).await;

    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(
        record,
        ParameterRecord {
            name: name.to_owned(),
            display_name: "/App/DB/password".to_owned(),
            latest_version: 1,
            version: first.clone(),
            tags: vec![tag("env", "prod"), tag("team", "core")],
        }
    );

    let second = plain_version(2, b"");
    put(
        store,
        region,
        ParameterWrite {
            version: second.clone(),
            ..overwrite(name, 1, b"")
        },
    )
    .await;

    let latest = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(latest.latest_version, 2);
    assert_eq!(latest.version, second);
    assert_eq!(latest.display_name, "/App/DB/password", "display name kept");
    assert_eq!(latest.tags.len(), 2, "tags kept on overwrite");

    let old = found(store, region, name, VersionSelector::Version(1)).await;
    assert_eq!(old.latest_version, 2);
    assert_eq!(old.version, first);

    assert_eq!(
        lookup(store, region, name, VersionSelector::Version(3)).await,
        ParameterLookup::VersionNotFound
    );
    assert_eq!(
        lookup(
            store,
            region,
            name,
            VersionSelector::Label("nope".to_owned())
        )
        .await,
        ParameterLookup::VersionNotFound
    );
    assert_eq!(
        lookup(store, region, "/app/db", VersionSelector::Latest).await,
        ParameterLookup::NotFound,
        "a prefix of a name is not that name"
    );

    let history = store
        .parameter_history(region, name)
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(history, vec![first, second]);
}

/// `expected_latest` is a compare-and-swap: a stale write changes nothing.
pub async fn compare_and_swap(store: &dyn Store) {
    let region = "conf-cas";
    let name = "cas";

    let missing = store
        .put_parameter_version(region, overwrite(name, 1, b"x"))
        .await
        .unwrap();
    assert_eq!(
        missing,
        PutOutcome::Conflict,
        "overwrite of a missing parameter"
    );
    assert_eq!(
        lookup(store, region, name, VersionSelector::Latest).await,
        ParameterLookup::NotFound
    );

    put(store, region, create(name, b"one")).await;
    let again = store
        .put_parameter_version(region, create(name, b"other"))
        .await
        .unwrap();
    assert_eq!(
        again,
        PutOutcome::Conflict,
        "create of an existing parameter"
    );

    put(store, region, overwrite(name, 1, b"two")).await;
    let stale = store
        .put_parameter_version(region, overwrite(name, 1, b"stale"))
        .await
        .unwrap();
    assert_eq!(
        stale,
        PutOutcome::Conflict,
        "write based on version 1 after 2"
    );

    let tagged = ParameterWrite {
        tags: vec![tag("k", "v")],
        ..overwrite(name, 2, b"three")
    };
    match store.put_parameter_version(region, tagged).await {
        Err(StoreError::TagsOnOverwrite) => {}
        other => panic!("expected TagsOnOverwrite, got {other:?}"),
    }

    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(record.latest_version, 2);
    assert_eq!(record.version.value, b"two");
    assert!(record.tags.is_empty());
    assert_eq!(history_numbers(store, region, name).await, vec![1, 2]);
}

/// Deleting removes everything; re-creating starts at version 1 with none
/// of the old versions, labels or tags.
pub async fn delete_and_recreate(store: &dyn Store) {
    let region = "conf-delete";
    let name = "/svc/token";
    put(
        store,
        region,
        ParameterWrite {
            tags: vec![tag("owner", "ops")],
            ..create(name, b"v1")
        },
    )
    .await;
    put(store, region, overwrite(name, 1, b"v2")).await;
    put(store, region, overwrite(name, 2, b"v3")).await;
    store
        .label_parameter_version(region, name, Some(2), &strings(&["stable"]), 10)
        .await
        .unwrap();
    put(store, region, create("/svc/token2", b"neighbour")).await;

    assert!(store.delete_parameter(region, name).await.unwrap());
    assert!(
        !store.delete_parameter(region, name).await.unwrap(),
        "already gone"
    );
    assert_eq!(
        lookup(store, region, name, VersionSelector::Latest).await,
        ParameterLookup::NotFound
    );
    assert_eq!(store.parameter_history(region, name).await.unwrap(), None);
    assert_eq!(
        lookup(
            store,
            region,
            name,
            VersionSelector::Label("stable".to_owned())
        )
        .await,
        ParameterLookup::NotFound
    );
    assert_eq!(
        found(store, region, "/svc/token2", VersionSelector::Latest)
            .await
            .version
            .value,
        b"neighbour",
        "a neighbour survives"
    );
    assert!(
        !store
            .delete_parameter(region, "never-existed")
            .await
            .unwrap()
    );

    put(store, region, create(name, b"fresh")).await;
    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(record.latest_version, 1);
    assert_eq!(record.version.value, b"fresh");
    assert!(record.version.labels.is_empty());
    assert!(record.tags.is_empty(), "old tags must not reappear");
    assert_eq!(history_numbers(store, region, name).await, vec![1]);
    assert_eq!(
        lookup(
            store,
            region,
            name,
            VersionSelector::Label("stable".to_owned())
        )
        .await,
        ParameterLookup::VersionNotFound,
        "old labels must not reappear"
    );
    assert_eq!(
        lookup(store, region, name, VersionSelector::Version(2)).await,
        ParameterLookup::VersionNotFound
    );
}

/// At `max_versions` the oldest version is dropped, unless it is labelled.
pub async fn version_cap(store: &dyn Store) {
    let region = "conf-cap";
    let name = "capped";
    put_versions(store, region, name, 100).await;
    assert_eq!(
        history_numbers(store, region, name).await,
        (1..=100).collect::<Vec<_>>()
    );

    put(store, region, overwrite(name, 100, b"v101")).await;
    assert_eq!(
        history_numbers(store, region, name).await,
        (2..=101).collect::<Vec<_>>()
    );
    assert_eq!(
        lookup(store, region, name, VersionSelector::Version(1)).await,
        ParameterLookup::VersionNotFound
    );

    store
        .label_parameter_version(region, name, Some(2), &strings(&["pinned"]), 10)
        .await
        .unwrap();
    match store
        .put_parameter_version(region, overwrite(name, 101, b"v102"))
        .await
    {
        Err(StoreError::OldestVersionLabelled { version: 2 }) => {}
        other => panic!("expected OldestVersionLabelled {{ version: 2 }}, got {other:?}"),
    }
    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(record.latest_version, 101, "nothing written");
    assert_eq!(record.version.value, b"v101");
    assert_eq!(
        history_numbers(store, region, name).await,
        (2..=101).collect::<Vec<_>>()
    );

    // A labelled version that is not the oldest does not block.
    let outcome = store
        .unlabel_parameter_version(region, name, 2, &strings(&["pinned"]))
        .await
        .unwrap();
    assert_eq!(outcome.removed, strings(&["pinned"]));
    store
        .label_parameter_version(region, name, Some(50), &strings(&["pinned"]), 10)
        .await
        .unwrap();
    put(store, region, overwrite(name, 101, b"v102")).await;
    assert_eq!(
        history_numbers(store, region, name).await,
        (3..=102).collect::<Vec<_>>()
    );

    // A smaller cap keeps exactly that many.
    let small = "small";
    put(
        store,
        region,
        ParameterWrite {
            max_versions: 3,
            ..create(small, b"v1")
        },
    )
    .await;
    for latest in 1..5 {
        put(
            store,
            region,
            ParameterWrite {
                max_versions: 3,
                ..overwrite(small, latest, b"v")
            },
        )
        .await;
    }
    assert_eq!(history_numbers(store, region, small).await, vec![3, 4, 5]);
}

/// Labels attach, move atomically between versions, and respect the limit.
pub async fn labels(store: &dyn Store) {
    let region = "conf-labels";
    let name = "labelled";
    put_versions(store, region, name, 3).await;

    let version = store
        .label_parameter_version(region, name, Some(1), &strings(&["zeta", "alpha"]), 10)
        .await
        .unwrap();
    assert_eq!(version, 1);
    assert_eq!(
        labels_of(store, region, name, 1).await,
        strings(&["alpha", "zeta"]),
        "sorted"
    );

    // `None` labels the latest; "alpha" moves off version 1.
    let version = store
        .label_parameter_version(region, name, None, &strings(&["alpha"]), 10)
        .await
        .unwrap();
    assert_eq!(version, 3);
    assert_eq!(labels_of(store, region, name, 1).await, strings(&["zeta"]));
    assert_eq!(labels_of(store, region, name, 3).await, strings(&["alpha"]));
    let by_label = found(
        store,
        region,
        name,
        VersionSelector::Label("alpha".to_owned()),
    )
    .await;
    assert_eq!(by_label.version.version, 3);
    assert_eq!(by_label.version.value, b"v3");
    assert_eq!(by_label.latest_version, 3);

    // Relabelling with a label already there is a no-op.
    store
        .label_parameter_version(region, name, Some(3), &strings(&["alpha"]), 1)
        .await
        .unwrap();
    assert_eq!(labels_of(store, region, name, 3).await, strings(&["alpha"]));

    match store
        .label_parameter_version(region, name, Some(9), &strings(&["x"]), 10)
        .await
    {
        Err(StoreError::VersionNotFound) => {}
        other => panic!("expected VersionNotFound, got {other:?}"),
    }
    match store
        .label_parameter_version(region, "missing", None, &strings(&["x"]), 10)
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }

    // The limit counts the target version's labels after the move; on
    // failure nothing moves, not even the labels that would fit.
    store
        .label_parameter_version(region, name, Some(2), &strings(&["x", "y", "z"]), 3)
        .await
        .unwrap();
    match store
        .label_parameter_version(region, name, Some(2), &strings(&["alpha", "w"]), 3)
        .await
    {
        Err(StoreError::LabelLimitExceeded { max: 3 }) => {}
        other => panic!("expected LabelLimitExceeded {{ max: 3 }}, got {other:?}"),
    }
    assert_eq!(
        labels_of(store, region, name, 2).await,
        strings(&["x", "y", "z"])
    );
    assert_eq!(labels_of(store, region, name, 3).await, strings(&["alpha"]));
    assert_eq!(
        lookup(store, region, name, VersionSelector::Label("w".to_owned())).await,
        ParameterLookup::VersionNotFound
    );

    // Moving a label within the limit from one full version to another.
    store
        .label_parameter_version(region, name, Some(3), &strings(&["x"]), 3)
        .await
        .unwrap();
    assert_eq!(
        labels_of(store, region, name, 2).await,
        strings(&["y", "z"])
    );
    assert_eq!(
        labels_of(store, region, name, 3).await,
        strings(&["alpha", "x"])
    );

    // History reports each version's labels.
    let history = store
        .parameter_history(region, name)
        .await
        .unwrap()
        .expect("exists");
    let labels: Vec<Vec<String>> = history.into_iter().map(|v| v.labels).collect();
    assert_eq!(
        labels,
        vec![
            strings(&["zeta"]),
            strings(&["y", "z"]),
            strings(&["alpha", "x"])
        ]
    );
}

/// Unlabel removes labels on the named version and reports the others.
pub async fn unlabel(store: &dyn Store) {
    let region = "conf-unlabel";
    let name = "u";
    put_versions(store, region, name, 2).await;
    store
        .label_parameter_version(region, name, Some(1), &strings(&["b"]), 10)
        .await
        .unwrap();
    store
        .label_parameter_version(region, name, Some(2), &strings(&["a", "c"]), 10)
        .await
        .unwrap();

    let outcome = store
        .unlabel_parameter_version(region, name, 2, &strings(&["a", "nope", "b"]))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        UnlabelOutcome {
            removed: strings(&["a"]),
            invalid: strings(&["nope", "b"]),
        }
    );
    assert_eq!(labels_of(store, region, name, 2).await, strings(&["c"]));
    assert_eq!(
        labels_of(store, region, name, 1).await,
        strings(&["b"]),
        "b was on another version"
    );
    assert_eq!(
        lookup(store, region, name, VersionSelector::Label("a".to_owned())).await,
        ParameterLookup::VersionNotFound
    );

    match store
        .unlabel_parameter_version(region, name, 7, &strings(&["c"]))
        .await
    {
        Err(StoreError::VersionNotFound) => {}
        other => panic!("expected VersionNotFound, got {other:?}"),
    }
    match store
        .unlabel_parameter_version(region, "missing", 1, &strings(&["c"]))
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }
    assert_eq!(labels_of(store, region, name, 2).await, strings(&["c"]));
}

/// Tags upsert by key, are removed by key, come back sorted, and are capped.
pub async fn tags(store: &dyn Store) {
    let region = "conf-tags";
    let name = "tagged";
    put(
        store,
        region,
        ParameterWrite {
            tags: vec![tag("m", "1")],
            ..create(name, b"v")
        },
    )
    .await;

    store
        .add_parameter_tags(region, name, &[tag("z", "26"), tag("a", "1")], 10)
        .await
        .unwrap();
    store
        .add_parameter_tags(region, name, &[tag("m", "13")], 10)
        .await
        .unwrap();
    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(
        record.tags,
        vec![tag("a", "1"), tag("m", "13"), tag("z", "26")]
    );

    store
        .remove_parameter_tags(region, name, &strings(&["a", "unknown"]))
        .await
        .unwrap();
    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(record.tags, vec![tag("m", "13"), tag("z", "26")]);

    // Upserting existing keys does not count against the cap.
    store
        .add_parameter_tags(region, name, &[tag("m", "x"), tag("z", "y")], 2)
        .await
        .unwrap();
    match store
        .add_parameter_tags(region, name, &[tag("m", "changed"), tag("new", "n")], 2)
        .await
    {
        Err(StoreError::TooManyTags { max: 2 }) => {}
        other => panic!("expected TooManyTags {{ max: 2 }}, got {other:?}"),
    }
    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(
        record.tags,
        vec![tag("m", "x"), tag("z", "y")],
        "nothing changed"
    );

    match store
        .add_parameter_tags(region, "missing", &[tag("k", "v")], 10)
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }
    match store
        .remove_parameter_tags(region, "missing", &strings(&["k"]))
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }
}

/// Name order, prefix (with LIKE wildcards and separators in names), the
/// `after` cursor and `limit`; each record carries its latest version.
pub async fn listing(store: &dyn Store) {
    let region = "conf-list";
    let names = [
        "/a/", "/a/b", "/a/b/c", "/a_b", "/a%b", "/a.b", "/a-b", "/ab", "/aXb", "/a\\b", "/b",
        "a_", "a", "ä/x", "Z",
    ];
    for name in names {
        put(store, region, create(name, name.as_bytes())).await;
    }
    put(store, "conf-list-other", create("/a/b/other", b"x")).await;
    // Only the latest version, with its own labels, is listed.
    put(store, region, overwrite("/a/b", 1, b"latest")).await;
    store
        .label_parameter_version(region, "/a/b", Some(1), &strings(&["old"]), 10)
        .await
        .unwrap();
    store
        .label_parameter_version(region, "/a/b", Some(2), &strings(&["new"]), 10)
        .await
        .unwrap();
    store
        .add_parameter_tags(region, "/a/b", &[tag("k", "v")], 10)
        .await
        .unwrap();

    let mut sorted: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    sorted.sort();

    let list = |prefix: Option<&str>, after: Option<&str>, limit: usize| ParameterQuery {
        prefix: prefix.map(str::to_owned),
        after: after.map(str::to_owned),
        limit,
    };
    let names_of = |records: Vec<ParameterRecord>| -> Vec<String> {
        records.into_iter().map(|r| r.name).collect()
    };

    let all = store
        .list_parameters(region, &list(None, None, 1000))
        .await
        .unwrap();
    let ab = all.iter().find(|r| r.name == "/a/b").expect("listed");
    assert_eq!(ab.latest_version, 2);
    assert_eq!(ab.version.version, 2);
    assert_eq!(ab.version.value, b"latest");
    assert_eq!(ab.version.labels, strings(&["new"]));
    assert_eq!(ab.tags, vec![tag("k", "v")]);
    let a = all.iter().find(|r| r.name == "/a_b").expect("listed");
    assert_eq!(a.version, plain_version(1, b"/a_b"));
    assert!(a.tags.is_empty());
    assert_eq!(names_of(all), sorted, "byte order of names");

    // Paging with `after` visits every name exactly once.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_parameters(region, &list(None, after.as_deref(), 4))
            .await
            .unwrap();
        assert!(page.len() <= 4);
        let Some(last) = page.last() else { break };
        after = Some(last.name.clone());
        paged.extend(names_of(page));
    }
    assert_eq!(paged, sorted);

    let cases: &[(&str, &[&str])] = &[
        ("/a_", &["/a_b"]),
        ("/a%", &["/a%b"]),
        ("/a.", &["/a.b"]),
        ("/a-", &["/a-b"]),
        ("/a\\", &["/a\\b"]),
        ("/a/", &["/a/", "/a/b", "/a/b/c"]),
        ("/a/b", &["/a/b", "/a/b/c"]),
        ("a", &["a", "a_"]),
        ("ä", &["ä/x"]),
        ("/c", &[]),
        ("/a/b/c/d", &[]),
    ];
    for (prefix, expected) in cases {
        let got = store
            .list_parameters(region, &list(Some(prefix), None, 100))
            .await
            .unwrap();
        assert_eq!(names_of(got), strings(expected), "prefix {prefix:?}");
    }

    let page = store
        .list_parameters(region, &list(Some("/a/"), Some("/a/"), 1))
        .await
        .unwrap();
    assert_eq!(
        names_of(page),
        strings(&["/a/b"]),
        "prefix, after and limit together"
    );
    let page = store
        .list_parameters(region, &list(Some("/a/"), Some("/a/b/c"), 10))
        .await
        .unwrap();
    assert!(page.is_empty());
    let page = store
        .list_parameters(region, &list(None, None, 0))
        .await
        .unwrap();
    assert!(page.is_empty(), "limit 0 returns nothing");
    let empty = store
        .list_parameters("conf-list-empty", &list(None, None, 10))
        .await
        .unwrap();
    assert!(empty.is_empty());
}

/// The same name in two regions is two parameters.
pub async fn regions_isolated(store: &dyn Store) {
    let (east, west) = ("conf-region-east", "conf-region-west");
    let name = "/shared/name";
    put(store, east, create(name, b"east")).await;
    put(store, west, create(name, b"west")).await;
    put(store, west, overwrite(name, 1, b"west2")).await;
    store
        .label_parameter_version(west, name, Some(2), &strings(&["prod"]), 10)
        .await
        .unwrap();
    store
        .add_parameter_tags(west, name, &[tag("side", "west")], 10)
        .await
        .unwrap();

    let e = found(store, east, name, VersionSelector::Latest).await;
    assert_eq!(
        (e.latest_version, e.version.value.as_slice()),
        (1, &b"east"[..])
    );
    assert!(e.version.labels.is_empty());
    assert!(e.tags.is_empty());
    assert_eq!(
        lookup(store, east, name, VersionSelector::Label("prod".to_owned())).await,
        ParameterLookup::VersionNotFound
    );

    assert!(store.delete_parameter(east, name).await.unwrap());
    let w = found(store, west, name, VersionSelector::Latest).await;
    assert_eq!(w.version.value, b"west2");
    assert_eq!(w.version.labels, strings(&["prod"]));
    assert_eq!(w.tags, vec![tag("side", "west")]);

    let listed = store
        .list_parameters(
            east,
            &ParameterQuery {
                limit: 10,
                ..ParameterQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(listed.is_empty());
}

// ---- keys and metadata ----

fn kms_key(region: &str, key_id: &str) -> KmsKeyRecord {
    KmsKeyRecord {
        region: region.to_owned(),
        key_id: key_id.to_owned(),
        wrapped_material: vec![9, 0, 8, 0xFF],
        description: format!("key {key_id}"),
        enabled: true,
        key_manager: "AWS".to_owned(),
        created_ms: 1_700_000_000_123,
        metadata: r#"{"KeyState":"Enabled"}"#.to_owned(),
    }
}

/// Keys and aliases are created together, read back, and never duplicated.
pub async fn kms_keys(store: &dyn Store) {
    let region = "conf-kms";
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(store.get_kms_key(region, id).await.unwrap(), None);
    assert_eq!(
        store.get_kms_alias(region, "alias/aws/ssm").await.unwrap(),
        None
    );

    let key = kms_key(region, id);
    store
        .create_kms_key(key.clone(), Some("alias/aws/ssm"))
        .await
        .unwrap();
    assert_eq!(
        store.get_kms_key(region, id).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(
        store.get_kms_alias(region, "alias/aws/ssm").await.unwrap(),
        Some(id.to_owned())
    );

    match store.create_kms_key(kms_key(region, id), None).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("duplicate key id: expected AlreadyExists, got {other:?}"),
    }
    let other = "other-key";
    match store
        .create_kms_key(kms_key(region, other), Some("alias/aws/ssm"))
        .await
    {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("duplicate alias: expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.get_kms_key(region, other).await.unwrap(),
        None,
        "a refused create leaves no key behind"
    );

    let disabled = KmsKeyRecord {
        enabled: false,
        key_manager: "CUSTOMER".to_owned(),
        ..kms_key(region, other)
    };
    store.create_kms_key(disabled.clone(), None).await.unwrap();
    assert_eq!(
        store.get_kms_key(region, other).await.unwrap(),
        Some(disabled)
    );

    // Another region has its own keys and aliases.
    let elsewhere = "conf-kms-other";
    assert_eq!(store.get_kms_key(elsewhere, id).await.unwrap(), None);
    assert_eq!(
        store
            .get_kms_alias(elsewhere, "alias/aws/ssm")
            .await
            .unwrap(),
        None
    );
    let there = kms_key(elsewhere, id);
    store
        .create_kms_key(there.clone(), Some("alias/aws/ssm"))
        .await
        .unwrap();
    assert_eq!(store.get_kms_key(elsewhere, id).await.unwrap(), Some(there));
}

/// Listing, updating keys; creating, re-pointing, listing and deleting aliases.
pub async fn kms_management(store: &dyn Store) {
    let region = "conf-kms-manage";
    assert!(store.list_kms_keys(region).await.unwrap().is_empty());
    assert!(store.list_kms_aliases(region).await.unwrap().is_empty());

    let (first, second) = ("b-key", "a-key");
    store
        .create_kms_key(kms_key(region, first), Some("alias/aws/ssm"))
        .await
        .unwrap();
    store
        .create_kms_key(kms_key(region, second), None)
        .await
        .unwrap();
    store
        .create_kms_key(kms_key("conf-kms-manage-other", "c-key"), Some("alias/x"))
        .await
        .unwrap();
    assert_eq!(
        store.list_kms_keys(region).await.unwrap(),
        vec![kms_key(region, second), kms_key(region, first)],
        "key id order, one region"
    );
    let created = kms_key(region, first).created_ms;
    assert_eq!(
        store.list_kms_aliases(region).await.unwrap(),
        vec![KmsAliasRecord {
            region: region.to_owned(),
            alias: "alias/aws/ssm".to_owned(),
            key_id: first.to_owned(),
            created_ms: created,
            updated_ms: created,
        }],
        "an alias made with its key carries the key's creation time"
    );

    // Update replaces the mutable fields only.
    let updated = KmsKeyRecord {
        wrapped_material: vec![7, 7, 7],
        description: "rotated".to_owned(),
        enabled: false,
        metadata: r#"{"KeyState":"Disabled"}"#.to_owned(),
        ..kms_key(region, first)
    };
    store.update_kms_key(updated.clone()).await.unwrap();
    assert_eq!(
        store.get_kms_key(region, first).await.unwrap(),
        Some(updated)
    );
    match store.update_kms_key(kms_key(region, "no-such-key")).await {
        Err(StoreError::NotFound) => {}
        other => panic!("update of a missing key: expected NotFound, got {other:?}"),
    }
    assert_eq!(
        store.get_kms_key(region, "no-such-key").await.unwrap(),
        None
    );

    let alias = KmsAliasRecord {
        region: region.to_owned(),
        alias: "alias/app".to_owned(),
        key_id: second.to_owned(),
        created_ms: 10,
        updated_ms: 11,
    };
    store.create_kms_alias(alias.clone()).await.unwrap();
    assert_eq!(
        store.get_kms_alias(region, "alias/app").await.unwrap(),
        Some(second.to_owned())
    );
    match store.create_kms_alias(alias.clone()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("duplicate alias: expected AlreadyExists, got {other:?}"),
    }
    let dangling = KmsAliasRecord {
        alias: "alias/dangling".to_owned(),
        key_id: "no-such-key".to_owned(),
        ..alias.clone()
    };
    match store.create_kms_alias(dangling).await {
        Err(StoreError::NotFound) => {}
        other => panic!("alias to a missing key: expected NotFound, got {other:?}"),
    }

    store
        .update_kms_alias(region, "alias/app", first, 20)
        .await
        .unwrap();
    let aliases = store.list_kms_aliases(region).await.unwrap();
    let names: Vec<&str> = aliases.iter().map(|a| a.alias.as_str()).collect();
    assert_eq!(names, vec!["alias/app", "alias/aws/ssm"], "alias order");
    assert_eq!(
        aliases[0],
        KmsAliasRecord {
            key_id: first.to_owned(),
            updated_ms: 20,
            ..alias.clone()
        }
    );
    match store
        .update_kms_alias(region, "alias/none", first, 21)
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("update of a missing alias: expected NotFound, got {other:?}"),
    }
    match store
        .update_kms_alias(region, "alias/app", "no-such-key", 21)
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("alias moved to a missing key: expected NotFound, got {other:?}"),
    }
    assert_eq!(
        store.get_kms_alias(region, "alias/app").await.unwrap(),
        Some(first.to_owned()),
        "a refused update changes nothing"
    );

    assert!(store.delete_kms_alias(region, "alias/app").await.unwrap());
    assert!(!store.delete_kms_alias(region, "alias/app").await.unwrap());
    assert_eq!(
        store.get_kms_alias(region, "alias/app").await.unwrap(),
        None
    );
    assert!(
        store.get_kms_key(region, first).await.unwrap().is_some(),
        "deleting an alias keeps its key"
    );
    assert_eq!(
        store
            .get_kms_alias("conf-kms-manage-other", "alias/x")
            .await
            .unwrap(),
        Some("c-key".to_owned())
    );
}

/// Access keys are created once and read back whole.
pub async fn access_keys(store: &dyn Store) {
    let id = "AKIACONFORMANCE0001";
    assert_eq!(store.get_access_key(id).await.unwrap(), None);
    let key = AccessKeyRecord {
        access_key_id: id.to_owned(),
        principal_arn: "arn:aws:iam::000000000000:user/alice".to_owned(),
        sealed_secret: vec![1, 0, 2, 0xFE],
        active: true,
        created_ms: 1_700_000_000_456,
        retire_ms: None,
        last_used_ms: None,
        last_used_operation: None,
    };
    store.create_access_key(key.clone()).await.unwrap();
    assert_eq!(store.get_access_key(id).await.unwrap(), Some(key.clone()));

    let impostor = AccessKeyRecord {
        principal_arn: "arn:aws:iam::000000000000:user/mallory".to_owned(),
        ..key.clone()
    };
    match store.create_access_key(impostor).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(store.get_access_key(id).await.unwrap(), Some(key));

    let inactive = AccessKeyRecord {
        access_key_id: "AKIACONFORMANCE0002".to_owned(),
        principal_arn: "arn:aws:iam::000000000000:role/deploy".to_owned(),
        sealed_secret: Vec::new(),
        active: false,
        created_ms: 0,
        retire_ms: None,
        last_used_ms: None,
        last_used_operation: None,
    };
    store.create_access_key(inactive.clone()).await.unwrap();
    assert_eq!(
        store.get_access_key("AKIACONFORMANCE0002").await.unwrap(),
        Some(inactive)
    );
    assert_eq!(
        store.get_access_key("akiaconformance0001").await.unwrap(),
        None,
        "ids are exact"
    );
}

/// `init_meta` is first-writer-wins.
pub async fn meta(store: &dyn Store) {
    let key = "conformance.check";
    assert_eq!(store.get_meta(key).await.unwrap(), None);
    assert_eq!(
        store.init_meta(key, &[1, 0, 2]).await.unwrap(),
        vec![1, 0, 2]
    );
    assert_eq!(
        store.init_meta(key, b"second").await.unwrap(),
        vec![1, 0, 2]
    );
    assert_eq!(store.get_meta(key).await.unwrap(), Some(vec![1, 0, 2]));
    assert_eq!(store.get_meta("conformance.other").await.unwrap(), None);
}

// ---- Secrets Manager ----

fn secret_record(region: &str, name: &str) -> SecretRecord {
    SecretRecord {
        region: region.to_owned(),
        name: name.to_owned(),
        arn: format!("arn:aws:secretsmanager:{region}:000000000000:secret:{name}-AbCdEf"),
        description: Some("db credentials".to_owned()),
        kms_key_id: None,
        tags: vec![tag("z", "last"), tag("a", "first")],
        tagged: true,
        resource_policy: None,
        created_ms: 1_000,
        last_changed_ms: 1_000,
        last_accessed_ms: None,
        deleted_ms: None,
        deletion_date_ms: None,
        primary_region: None,
        metadata: "{}".to_owned(),
        revision: 42, // ignored on create
    }
}

fn secret_version(id: &str, value: &[u8], stages: &[&str], created_ms: i64) -> SecretVersion {
    SecretVersion {
        version_id: id.to_owned(),
        value: value.to_vec(),
        binary: false,
        stages: strings(stages),
        created_ms,
        last_accessed_ms: None,
        kms_key_id: Some("alias/aws/secretsmanager".to_owned()),
    }
}

async fn write_secrets(store: &dyn Store, writes: Vec<SecretWrite>) -> WriteOutcome {
    store.write_secrets(writes).await.unwrap()
}

async fn secret(store: &dyn Store, region: &str, name: &str) -> SecretState {
    store
        .get_secret(region, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("secret {name} in {region} missing"))
}

/// Create, compare-and-swap update, all-or-nothing batches, purge scan,
/// delete and re-create.
pub async fn secrets(store: &dyn Store) {
    let (region, replica_region) = ("conf-secrets", "conf-secrets-replica");
    let name = "prod/db";
    assert_eq!(store.get_secret(region, name).await.unwrap(), None);
    assert!(store.list_secrets(region).await.unwrap().is_empty());

    let v1 = secret_version("v1", &[0, 1, 0xFF], &["AWSPREVIOUS"], 1_000);
    let v2 = SecretVersion {
        binary: true,
        last_accessed_ms: Some(1_500),
        kms_key_id: None,
        ..secret_version("v2", b"\x00two", &["AWSPENDING", "AWSCURRENT"], 2_000)
    };
    let created = SecretState {
        record: secret_record(region, name),
        versions: vec![v1.clone(), v2.clone()],
    };
    let outcome = write_secrets(
        store,
        vec![SecretWrite::Create {
            state: created.clone(),
        }],
    )
    .await;
    assert_eq!(outcome, WriteOutcome::Written);

    let stored = secret(store, region, name).await;
    let mut expected = created.clone();
    expected.record.revision = 1;
    expected.versions[1].stages = strings(&["AWSCURRENT", "AWSPENDING"]);
    assert_eq!(
        stored, expected,
        "revision starts at 1, tags keep their order, stages sorted"
    );

    let again = write_secrets(
        store,
        vec![SecretWrite::Create {
            state: created.clone(),
        }],
    )
    .await;
    assert_eq!(
        again,
        WriteOutcome::Conflict,
        "create of an existing secret"
    );

    // Update: new record fields and tags, one version replaced, one added,
    // one deleted.
    let updated_record = SecretRecord {
        description: None,
        tags: vec![tag("z", "last"), tag("a", "first"), tag("m", "middle")],
        last_changed_ms: 3_000,
        last_accessed_ms: Some(2_900),
        resource_policy: Some(r#"{"Version":"2012-10-17"}"#.to_owned()),
        metadata: r#"{"RotationEnabled":false}"#.to_owned(),
        ..secret_record(region, name)
    };
    let v2_previous = SecretVersion {
        stages: strings(&["AWSPREVIOUS"]),
        ..v2.clone()
    };
    let v3 = secret_version("v3", b"three", &["AWSCURRENT"], 3_000);
    let update = SecretWrite::Update {
        expected_revision: 1,
        record: updated_record.clone(),
        upsert_versions: vec![v3.clone(), v2_previous.clone()],
        delete_versions: strings(&["v1"]),
    };
    assert_eq!(
        write_secrets(store, vec![update.clone()]).await,
        WriteOutcome::Written
    );
    let stored = secret(store, region, name).await;
    assert_eq!(
        stored,
        SecretState {
            record: SecretRecord {
                revision: 2,
                ..updated_record.clone()
            },
            versions: vec![v2_previous.clone(), v3.clone()],
        },
        "versions oldest first"
    );

    // A stale revision changes nothing.
    assert_eq!(
        write_secrets(store, vec![update]).await,
        WriteOutcome::Conflict
    );
    assert_eq!(secret(store, region, name).await, stored);

    // A batch is all-or-nothing: the replica create is undone by the conflict.
    let replica = SecretState {
        record: SecretRecord {
            primary_region: Some(region.to_owned()),
            ..secret_record(replica_region, name)
        },
        versions: vec![v3.clone()],
    };
    let stale_delete = SecretWrite::Delete {
        region: region.to_owned(),
        name: name.to_owned(),
        expected_revision: 1,
    };
    let outcome = write_secrets(
        store,
        vec![
            SecretWrite::Create {
                state: replica.clone(),
            },
            stale_delete,
        ],
    )
    .await;
    assert_eq!(outcome, WriteOutcome::Conflict);
    assert_eq!(store.get_secret(replica_region, name).await.unwrap(), None);
    assert_eq!(secret(store, region, name).await, stored);

    // Primary and replica move together; the primary is scheduled for deletion.
    let scheduled = SecretRecord {
        deleted_ms: Some(4_000),
        deletion_date_ms: Some(10_000),
        ..updated_record.clone()
    };
    let outcome = write_secrets(
        store,
        vec![
            SecretWrite::Update {
                expected_revision: 2,
                record: scheduled.clone(),
                upsert_versions: Vec::new(),
                delete_versions: Vec::new(),
            },
            SecretWrite::Create {
                state: replica.clone(),
            },
        ],
    )
    .await;
    assert_eq!(outcome, WriteOutcome::Written);
    let stored = secret(store, region, name).await;
    assert_eq!(stored.record.revision, 3);
    assert_eq!(
        stored.versions,
        vec![v2_previous, v3.clone()],
        "versions untouched"
    );
    assert_eq!(secret(store, replica_region, name).await.record.revision, 1);

    // Listing is per region, in name order.
    let other = SecretState {
        record: secret_record(region, "a/first"),
        versions: Vec::new(),
    };
    assert_eq!(
        write_secrets(store, vec![SecretWrite::Create { state: other }]).await,
        WriteOutcome::Written
    );
    let listed: Vec<String> = store
        .list_secrets(region)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.record.name)
        .collect();
    assert_eq!(listed, strings(&["a/first", name]));
    assert_eq!(store.list_secrets(replica_region).await.unwrap().len(), 1);

    // The purge scan sees deletion dates at or before `now`, in every region.
    assert!(store.secrets_due_for_purge(9_999).await.unwrap().is_empty());
    let due = store.secrets_due_for_purge(10_000).await.unwrap();
    assert_eq!(
        due,
        vec![SecretRecord {
            revision: 3,
            ..scheduled
        }]
    );

    // Delete checks the revision; a re-created secret starts clean.
    let delete = |expected_revision| SecretWrite::Delete {
        region: region.to_owned(),
        name: name.to_owned(),
        expected_revision,
    };
    assert_eq!(
        write_secrets(store, vec![delete(2)]).await,
        WriteOutcome::Conflict
    );
    assert_eq!(
        write_secrets(store, vec![delete(3)]).await,
        WriteOutcome::Written
    );
    assert_eq!(store.get_secret(region, name).await.unwrap(), None);
    assert_eq!(
        write_secrets(store, vec![delete(3)]).await,
        WriteOutcome::Conflict
    );
    assert!(
        store
            .secrets_due_for_purge(10_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .get_secret(replica_region, name)
            .await
            .unwrap()
            .is_some()
    );

    let fresh = SecretState {
        record: SecretRecord {
            tags: Vec::new(),
            tagged: false,
            ..secret_record(region, name)
        },
        versions: vec![secret_version("n1", b"new", &["AWSCURRENT"], 5_000)],
    };
    assert_eq!(
        write_secrets(
            store,
            vec![SecretWrite::Create {
                state: fresh.clone()
            }]
        )
        .await,
        WriteOutcome::Written
    );
    let stored = secret(store, region, name).await;
    assert_eq!(stored.record.revision, 1);
    assert!(stored.record.tags.is_empty(), "old tags must not reappear");
    assert_eq!(
        stored.versions, fresh.versions,
        "old versions must not reappear"
    );
}

// ---- principals, policies, access-key management ----

const ACCOUNT_ARN: &str = "arn:aws:iam::000000000000";

fn principal(name: &str, kind: PrincipalKind) -> PrincipalRecord {
    let (path, trust_policy) = match kind {
        PrincipalKind::User => ("user", None),
        PrincipalKind::Role => (
            "role",
            Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#.to_owned()),
        ),
    };
    PrincipalRecord {
        name: name.to_owned(),
        kind,
        arn: format!("{ACCOUNT_ARN}:{path}/{name}"),
        unique_id: fresh_id(kind),
        tags: Vec::new(),
        trust_policy,
        created_ms: 1_700_000_000_000,
    }
}

fn policy(principal_arn: &str, name: &str, document: &str, updated_ms: i64) -> PolicyRecord {
    PolicyRecord {
        principal_arn: principal_arn.to_owned(),
        name: name.to_owned(),
        document: document.to_owned(),
        updated_ms,
    }
}

fn access_key(id: &str, principal_arn: &str, created_ms: i64) -> AccessKeyRecord {
    AccessKeyRecord {
        access_key_id: id.to_owned(),
        principal_arn: principal_arn.to_owned(),
        sealed_secret: vec![0xA5, 0, 1],
        active: true,
        created_ms,
        retire_ms: None,
        last_used_ms: None,
        last_used_operation: None,
    }
}

fn key_use(id: &str, used_ms: i64, operation: &str) -> KeyUse {
    KeyUse {
        access_key_id: id.to_owned(),
        used_ms,
        operation: operation.to_owned(),
    }
}

/// Principals are created once per name and per arn, read back by either,
/// listed in name order, and updated only in their tags and trust policy.
pub async fn principals(store: &dyn Store) {
    assert_eq!(store.get_principal("conf-p-alice").await.unwrap(), None);
    let mut alice = principal("conf-p-alice", PrincipalKind::User);
    alice.tags = vec![tag("team", "core"), tag("env", "prod")];
    store.create_principal(alice.clone()).await.unwrap();
    // The store keeps tags sorted by key.
    alice.tags = vec![tag("env", "prod"), tag("team", "core")];
    assert_eq!(
        store.get_principal("conf-p-alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.get_principal_by_arn(&alice.arn).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store
            .get_principal_by_arn(&format!("{ACCOUNT_ARN}:user/conf-p-nobody"))
            .await
            .unwrap(),
        None
    );

    let deploy = principal("conf-p-deploy", PrincipalKind::Role);
    store.create_principal(deploy.clone()).await.unwrap();
    let builder = principal("conf-p-builder", PrincipalKind::User);
    store.create_principal(builder.clone()).await.unwrap();

    // The name is unique across kinds, and so is the arn.
    let same_name = principal("conf-p-alice", PrincipalKind::Role);
    match store.create_principal(same_name).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists for a taken name, got {other:?}"),
    }
    let same_arn = PrincipalRecord {
        name: "conf-p-alias-of-alice".to_owned(),
        unique_id: fresh_id(PrincipalKind::User),
        ..alice.clone()
    };
    match store.create_principal(same_arn).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists for a taken arn, got {other:?}"),
    }
    // So is the unique id: a recreated principal never takes an old one.
    let same_id = PrincipalRecord {
        unique_id: alice.unique_id.clone(),
        ..principal("conf-p-alias-of-alice", PrincipalKind::User)
    };
    match store.create_principal(same_id).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists for a taken unique id, got {other:?}"),
    }
    assert_eq!(
        store.get_principal("conf-p-alias-of-alice").await.unwrap(),
        None
    );

    let listed: Vec<PrincipalRecord> = store
        .list_principals()
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.name.starts_with("conf-p-"))
        .collect();
    assert_eq!(listed, vec![alice.clone(), builder, deploy.clone()]);

    // Only tags and the trust policy change.
    let update = PrincipalRecord {
        kind: PrincipalKind::User,
        arn: format!("{ACCOUNT_ARN}:user/conf-p-moved"),
        unique_id: fresh_id(PrincipalKind::User),
        tags: vec![tag("z", "1"), tag("a", "2")],
        trust_policy: Some("{\"Statement\":[]}".to_owned()),
        created_ms: 5,
        ..deploy.clone()
    };
    store.update_principal(update).await.unwrap();
    let updated = store.get_principal("conf-p-deploy").await.unwrap().unwrap();
    assert_eq!(
        updated,
        PrincipalRecord {
            tags: vec![tag("a", "2"), tag("z", "1")],
            trust_policy: Some("{\"Statement\":[]}".to_owned()),
            ..deploy.clone()
        }
    );
    match store
        .update_principal(principal("conf-p-ghost", PrincipalKind::User))
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(
        store.get_principal("conf-p-ghost").await.unwrap().is_none(),
        "an update never creates"
    );
    assert!(!store.delete_principal("conf-p-ghost").await.unwrap());
}

/// Inline policies are upserted by (principal, name), listed in name order,
/// and need an existing principal.
pub async fn policies(store: &dyn Store) {
    let dev = principal("conf-pol-dev", PrincipalKind::User);
    let other = principal("conf-pol-other", PrincipalKind::Role);
    store.create_principal(dev.clone()).await.unwrap();
    store.create_principal(other.clone()).await.unwrap();

    let orphan = policy(&format!("{ACCOUNT_ARN}:user/conf-pol-none"), "p", "{}", 1);
    match store.put_policy(orphan).await {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound for an unknown principal, got {other:?}"),
    }

    let write = policy(&dev.arn, "write", r#"{"Statement":"w"}"#, 10);
    let read = policy(&dev.arn, "read", r#"{"Statement":"r"}"#, 11);
    store.put_policy(write.clone()).await.unwrap();
    store.put_policy(read.clone()).await.unwrap();
    store
        .put_policy(policy(&other.arn, "read", "{}", 12))
        .await
        .unwrap();
    assert_eq!(
        store.list_policies(&dev.arn).await.unwrap(),
        vec![read.clone(), write.clone()],
        "name order, this principal's only"
    );

    let rewritten = policy(&dev.arn, "write", r#"{"Statement":"w2"}"#, 20);
    store.put_policy(rewritten.clone()).await.unwrap();
    assert_eq!(
        store.get_policy(&dev.arn, "write").await.unwrap(),
        Some(rewritten.clone())
    );
    assert_eq!(
        store.list_policies(&dev.arn).await.unwrap(),
        vec![read.clone(), rewritten],
        "an upsert replaces, never duplicates"
    );
    assert_eq!(store.get_policy(&dev.arn, "absent").await.unwrap(), None);
    assert_eq!(store.get_policy(&other.arn, "write").await.unwrap(), None);

    assert!(store.delete_policy(&dev.arn, "write").await.unwrap());
    assert!(!store.delete_policy(&dev.arn, "write").await.unwrap());
    assert_eq!(store.list_policies(&dev.arn).await.unwrap(), vec![read]);
    assert_eq!(store.list_policies(&other.arn).await.unwrap().len(), 1);
    assert!(
        store
            .list_policies(&format!("{ACCOUNT_ARN}:user/conf-pol-none"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Deleting a principal removes its policies and access keys with it, and
/// nothing of another principal's.
pub async fn principal_cascade(store: &dyn Store) {
    let gone = principal("conf-cascade-gone", PrincipalKind::User);
    let kept = principal("conf-cascade-kept", PrincipalKind::User);
    store.create_principal(gone.clone()).await.unwrap();
    store.create_principal(kept.clone()).await.unwrap();
    for name in ["a", "b"] {
        store
            .put_policy(policy(&gone.arn, name, "{}", 1))
            .await
            .unwrap();
    }
    store
        .put_policy(policy(&kept.arn, "a", "{}", 1))
        .await
        .unwrap();
    for (id, arn) in [
        ("AKIACASCADEGONE1", &gone.arn),
        ("AKIACASCADEGONE2", &gone.arn),
        ("AKIACASCADEKEPT1", &kept.arn),
    ] {
        store
            .create_access_key(access_key(id, arn, 1))
            .await
            .unwrap();
    }

    assert!(store.delete_principal("conf-cascade-gone").await.unwrap());
    assert_eq!(
        store.get_principal("conf-cascade-gone").await.unwrap(),
        None
    );
    assert_eq!(store.get_principal_by_arn(&gone.arn).await.unwrap(), None);
    assert!(store.list_policies(&gone.arn).await.unwrap().is_empty());
    assert!(
        store
            .list_access_keys(Some(&gone.arn))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.get_access_key("AKIACASCADEGONE1").await.unwrap(),
        None
    );
    assert!(!store.delete_principal("conf-cascade-gone").await.unwrap());

    assert_eq!(store.list_policies(&kept.arn).await.unwrap().len(), 1);
    assert_eq!(
        store
            .list_access_keys(Some(&kept.arn))
            .await
            .unwrap()
            .iter()
            .map(|k| k.access_key_id.as_str())
            .collect::<Vec<_>>(),
        vec!["AKIACASCADEKEPT1"]
    );

    // The name is free again, and the new principal starts clean.
    store.create_principal(gone.clone()).await.unwrap();
    assert!(store.list_policies(&gone.arn).await.unwrap().is_empty());
}

/// The usable-key limit, listing, updates, deletion and last-use records.
pub async fn access_key_management(store: &dyn Store) {
    let arn = format!("{ACCOUNT_ARN}:user/conf-keys");
    let other = format!("{ACCOUNT_ARN}:user/conf-keys-other");
    let now = 10_000;
    let limited = |id: &str, created_ms: i64| access_key(id, &arn, created_ms);

    store
        .create_access_key_limited(limited("AKIAKEYS2", 2), 2, now)
        .await
        .unwrap();
    store
        .create_access_key_limited(limited("AKIAKEYS1", 2), 2, now)
        .await
        .unwrap();
    match store
        .create_access_key_limited(limited("AKIAKEYS3", 3), 2, now)
        .await
    {
        Err(StoreError::LimitExceeded { max: 2 }) => {}
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_eq!(store.get_access_key("AKIAKEYS3").await.unwrap(), None);
    // Another principal's keys do not count.
    store
        .create_access_key_limited(access_key("AKIAKEYSOTHER", &other, 1), 2, now)
        .await
        .unwrap();
    // A taken id is refused even when the limit allows the key.
    match store
        .create_access_key_limited(access_key("AKIAKEYS1", &other, 1), 2, now)
        .await
    {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }

    // An inactive key does not count.
    store
        .update_access_key("AKIAKEYS1", false, None)
        .await
        .unwrap();
    store
        .create_access_key_limited(limited("AKIAKEYS3", 3), 2, now)
        .await
        .unwrap();
    // A key retiring later still counts; one retired at or before now does not.
    store
        .update_access_key("AKIAKEYS2", true, Some(now + 1))
        .await
        .unwrap();
    match store
        .create_access_key_limited(limited("AKIAKEYS4", 4), 2, now)
        .await
    {
        Err(StoreError::LimitExceeded { max: 2 }) => {}
        other => panic!("expected LimitExceeded with a key still in its grace, got {other:?}"),
    }
    store
        .update_access_key("AKIAKEYS2", true, Some(now))
        .await
        .unwrap();
    store
        .create_access_key_limited(limited("AKIAKEYS4", 4), 2, now)
        .await
        .unwrap();

    let key2 = store.get_access_key("AKIAKEYS2").await.unwrap().unwrap();
    assert!(key2.active);
    assert_eq!(key2.retire_ms, Some(now));
    let listed: Vec<(String, bool)> = store
        .list_access_keys(Some(&arn))
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.access_key_id, k.active))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("AKIAKEYS1".to_owned(), false),
            ("AKIAKEYS2".to_owned(), true),
            ("AKIAKEYS3".to_owned(), true),
            ("AKIAKEYS4".to_owned(), true),
        ],
        "created_ms, then id order"
    );
    let all = store.list_access_keys(None).await.unwrap();
    for id in ["AKIAKEYS1", "AKIAKEYS4", "AKIAKEYSOTHER"] {
        assert!(all.iter().any(|k| k.access_key_id == id), "{id} listed");
    }
    let order: Vec<(i64, String)> = all
        .iter()
        .map(|k| (k.created_ms, k.access_key_id.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "all keys in created_ms, then id order");

    match store.update_access_key("AKIANOSUCHKEY", true, None).await {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(store.delete_access_key("AKIAKEYS4").await.unwrap());
    assert!(!store.delete_access_key("AKIAKEYS4").await.unwrap());
    assert_eq!(store.get_access_key("AKIAKEYS4").await.unwrap(), None);

    // Last use: the newest wins, within a batch and across batches.
    store.record_key_use(&[]).await.unwrap();
    store
        .record_key_use(&[
            key_use("AKIAKEYS3", 500, "GetParameter"),
            key_use("AKIAKEYS3", 700, "PutParameter"),
            key_use("AKIANOSUCHKEY", 900, "Ignored"),
            key_use("AKIAKEYS3", 600, "DeleteParameter"),
            key_use("AKIAKEYS2", 100, "GetSecretValue"),
        ])
        .await
        .unwrap();
    let last_use = |key: AccessKeyRecord| (key.last_used_ms, key.last_used_operation);
    let key3 = store.get_access_key("AKIAKEYS3").await.unwrap().unwrap();
    assert_eq!(last_use(key3), (Some(700), Some("PutParameter".to_owned())));
    store
        .record_key_use(&[key_use("AKIAKEYS3", 650, "Older")])
        .await
        .unwrap();
    let key3 = store.get_access_key("AKIAKEYS3").await.unwrap().unwrap();
    assert_eq!(
        last_use(key3.clone()),
        (Some(700), Some("PutParameter".to_owned())),
        "an older use never overwrites a newer one"
    );
    store
        .record_key_use(&[key_use("AKIAKEYS3", 800, "Newer")])
        .await
        .unwrap();
    let key3 = store.get_access_key("AKIAKEYS3").await.unwrap().unwrap();
    assert_eq!(
        last_use(key3.clone()),
        (Some(800), Some("Newer".to_owned()))
    );
    assert!(key3.active, "a use changes nothing else");
    let key2 = store.get_access_key("AKIAKEYS2").await.unwrap().unwrap();
    assert_eq!(
        last_use(key2),
        (Some(100), Some("GetSecretValue".to_owned()))
    );
    let key1 = store.get_access_key("AKIAKEYS1").await.unwrap().unwrap();
    assert_eq!(last_use(key1), (None, None));
    assert_eq!(store.get_access_key("AKIANOSUCHKEY").await.unwrap(), None);
    // The listing carries last use too.
    let listed = store.list_access_keys(Some(&arn)).await.unwrap();
    assert_eq!(listed[2].last_used_ms, Some(800));
}

// ---- audit chain ----

/// A stand-in for kinko-core's chain hash: any deterministic function of all
/// four inputs lets the tests check which prev hash each row was linked to.
pub fn test_link(prev_hash: &str, seq: i64, time_ms: i64, record: &str) -> String {
    use std::hash::{Hash, Hasher};
    // `DefaultHasher::new()` uses fixed keys: the same in every call of one build.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (prev_hash, seq, time_ms, record).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Checks that `rows` (read from seq 1) form one gap-free chain from genesis
/// whose end is the recorded head.
async fn assert_intact_chain(store: &dyn Store, rows: &[AuditRow]) {
    let mut prev = AUDIT_GENESIS.to_owned();
    for (index, row) in rows.iter().enumerate() {
        assert_eq!(row.seq, index as i64 + 1, "gap-free seq");
        assert_eq!(
            row.prev_hash, prev,
            "row {} links to the row before",
            row.seq
        );
        assert_eq!(
            row.hash,
            test_link(&row.prev_hash, row.seq, row.time_ms, &row.record),
            "row {} hashed by link",
            row.seq
        );
        prev = row.hash.clone();
    }
    let expected = rows.last().map(|row| (row.seq, row.hash.clone()));
    assert_eq!(store.audit_head().await.unwrap(), expected);
}

async fn read_all_audit(store: &dyn Store) -> Vec<AuditRow> {
    let mut rows = Vec::new();
    loop {
        let after = rows.last().map_or(0, |row: &AuditRow| row.seq);
        let page = store.read_audit(after, 7).await.unwrap();
        if page.is_empty() {
            return rows;
        }
        rows.extend(page);
    }
}

/// Appends extend one chain from genesis across calls; reads page by seq.
/// Needs a store nothing else appended to (as in [`run_all`]).
pub async fn audit_chain(store: &dyn Store) {
    assert_eq!(store.audit_head().await.unwrap(), None, "a fresh chain");
    assert!(store.read_audit(0, 10).await.unwrap().is_empty());
    assert!(store.append_audit(&[], test_link).await.unwrap().is_empty());
    assert_eq!(
        store.audit_head().await.unwrap(),
        None,
        "an empty append moves nothing"
    );

    let first = store
        .append_audit(
            &[
                (1_000, r#"{"op":"GetParameter"}"#.to_owned()),
                (1_001, r#"{"op":"PutParameter"}"#.to_owned()),
            ],
            test_link,
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].seq, 1);
    assert_eq!(first[0].prev_hash, AUDIT_GENESIS);
    assert_eq!(
        first[0].hash,
        test_link(AUDIT_GENESIS, 1, 1_000, r#"{"op":"GetParameter"}"#)
    );
    assert_eq!(first[1].seq, 2);
    assert_eq!(first[1].prev_hash, first[0].hash);
    assert_eq!(
        store.audit_head().await.unwrap(),
        Some((2, first[1].hash.clone()))
    );

    // The next call continues where the last one ended.
    let second = store
        .append_audit(&[(999, "{\"op\":\"late clock\"}".to_owned())], test_link)
        .await
        .unwrap();
    assert_eq!(second[0].seq, 3);
    assert_eq!(second[0].prev_hash, first[1].hash);
    assert_eq!(second[0].time_ms, 999, "time is stored as given");

    let batch: Vec<(i64, String)> = (0..17)
        .map(|i| (2_000 + i, format!("{{\"n\":{i}}}")))
        .collect();
    let third = store.append_audit(&batch, test_link).await.unwrap();
    assert_eq!(
        third.iter().map(|row| row.seq).collect::<Vec<_>>(),
        (4..=20).collect::<Vec<_>>()
    );

    // The rows returned are the rows stored.
    let mut written = first;
    written.extend(second);
    written.extend(third);
    let stored = read_all_audit(store).await;
    assert_eq!(stored, written);
    assert_intact_chain(store, &stored).await;

    // Paging: strictly after `after_seq`, at most `limit`, ascending.
    let page = store.read_audit(5, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|row| row.seq).collect::<Vec<_>>(),
        vec![6, 7, 8]
    );
    assert_eq!(store.read_audit(18, 100).await.unwrap().len(), 2);
    assert!(store.read_audit(20, 100).await.unwrap().is_empty());
    assert!(store.read_audit(0, 0).await.unwrap().is_empty());
    assert_eq!(store.read_audit(-5, 1).await.unwrap()[0].seq, 1);
    assert_eq!(store.read_audit(0, usize::MAX).await.unwrap().len(), 20);
}

const AUDIT_APPENDERS: usize = 8;
const AUDIT_BATCHES: usize = 10;
const AUDIT_BATCH: usize = 3;

/// Many tasks append batches at once, spread over `stores` (clones of one
/// store, or stores on one database acting as several servers): the result
/// is one gap-free chain holding every record once, each batch contiguous.
pub async fn concurrent_audit_appenders(stores: Vec<Arc<dyn Store>>) {
    let first = &stores[0];
    let before = read_all_audit(&**first).await;
    let mut tasks = Vec::new();
    for appender in 0..AUDIT_APPENDERS {
        let store = Arc::clone(&stores[appender % stores.len()]);
        tasks.push(tokio::spawn(async move {
            for batch in 0..AUDIT_BATCHES {
                let records: Vec<(i64, String)> = (0..AUDIT_BATCH)
                    .map(|i| (5_000, format!("{appender}-{batch}-{i}")))
                    .collect();
                let rows = store.append_audit(&records, test_link).await.unwrap();
                assert_eq!(rows.len(), AUDIT_BATCH);
                for pair in rows.windows(2) {
                    assert_eq!(pair[1].seq, pair[0].seq + 1, "a batch is contiguous");
                    assert_eq!(pair[1].prev_hash, pair[0].hash);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("appender task");
    }

    let rows = read_all_audit(&**first).await;
    assert_eq!(
        rows.len(),
        before.len() + AUDIT_APPENDERS * AUDIT_BATCHES * AUDIT_BATCH
    );
    assert_eq!(rows[..before.len()], before[..], "earlier rows untouched");
    assert_intact_chain(&**first, &rows).await;
    let records: BTreeSet<&str> = rows[before.len()..]
        .iter()
        .map(|row| row.record.as_str())
        .collect();
    assert_eq!(
        records.len(),
        AUDIT_APPENDERS * AUDIT_BATCHES * AUDIT_BATCH,
        "every record once"
    );
    for chunk in rows[before.len()..].chunks(AUDIT_BATCH) {
        let batch_of = |record: &str| record.rsplit_once('-').map(|(batch, _)| batch.to_owned());
        assert!(
            chunk
                .iter()
                .all(|row| batch_of(&row.record) == batch_of(&chunk[0].record)),
            "batches are not interleaved"
        );
    }
}

// ---- concurrency ----

const WRITERS: u32 = 16;
const WRITES_PER_WRITER: u32 = 10;

/// 16 tasks each read the latest version and compare-and-swap a new one,
/// retrying on conflict, 10 times: no update is lost and no version number
/// is used twice.
pub async fn concurrent_writers(store: Arc<dyn Store>) {
    let region = "conf-concurrent";
    let name = "/contended";
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for write in 0..WRITES_PER_WRITER {
                let value = format!("{writer}-{write}").into_bytes();
                loop {
                    let latest = match store
                        .get_parameter(region, name, &VersionSelector::Latest)
                        .await
                        .unwrap()
                    {
                        ParameterLookup::Found(record) => Some(record.latest_version),
                        ParameterLookup::NotFound => None,
                        ParameterLookup::VersionNotFound => panic!("latest version missing"),
                    };
                    let write = ParameterWrite {
                        name: name.to_owned(),
                        display_name: name.to_owned(),
                        expected_latest: latest,
                        version: plain_version(latest.map_or(1, |v| v + 1), &value),
                        tags: Vec::new(),
                        max_versions: 1000,
                    };
                    match store.put_parameter_version(region, write).await.unwrap() {
                        PutOutcome::Written => break,
                        PutOutcome::Conflict => tokio::task::yield_now().await,
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer task");
    }

    let total = WRITERS * WRITES_PER_WRITER;
    let history = store
        .parameter_history(region, name)
        .await
        .unwrap()
        .expect("exists");
    let numbers: Vec<u32> = history.iter().map(|v| v.version).collect();
    assert_eq!(numbers, (1..=total).collect::<Vec<_>>());
    let values: BTreeSet<Vec<u8>> = history.into_iter().map(|v| v.value).collect();
    let expected: BTreeSet<Vec<u8>> = (0..WRITERS)
        .flat_map(|w| (0..WRITES_PER_WRITER).map(move |i| format!("{w}-{i}").into_bytes()))
        .collect();
    assert_eq!(values, expected, "every write present exactly once");
    let record = found(&*store, region, name, VersionSelector::Latest).await;
    assert_eq!(record.latest_version, total);
}

// ---- backup and restore (each on fresh, empty stores: not part of run_all) ----

/// Fills an empty `store` with one of everything a backup must carry:
/// a parameter whose oldest versions were dropped (so numbering starts
/// above 1), labels, tags, parameters in two regions, a disabled KMS key
/// with an alias, a secret with versions and stages, access keys (one with
/// rotation and last-use facts), principals with tags and policies, meta,
/// and an audit row (which a backup must not carry).
pub async fn fill_for_backup(store: &dyn Store) {
    let mut first = create("/backup/db", b"sealed-1");
    first.version = full_version(1, b"sealed-1");
    first.tags = vec![tag("team", "core"), tag("env", "prod")];
    put(store, "us-east-1", first).await;
    for latest in 1..4 {
        let mut next = overwrite(
            "/backup/db",
            latest,
            format!("sealed-{}", latest + 1).as_bytes(),
        );
        next.max_versions = 3;
        put(store, "us-east-1", next).await;
    }
    store
        .label_parameter_version(
            "us-east-1",
            "/backup/db",
            Some(3),
            &strings(&["prod", "blue"]),
            10,
        )
        .await
        .unwrap();
    store
        .label_parameter_version("us-east-1", "/backup/db", None, &strings(&["latest"]), 10)
        .await
        .unwrap();
    put(store, "eu-west-1", create("/backup/plain", b"plain")).await;

    let mut key = kms_key("us-east-1", "backup-key");
    key.enabled = false;
    store
        .create_kms_key(key, Some("alias/backup"))
        .await
        .unwrap();
    store
        .create_kms_key(kms_key("eu-west-1", "other-key"), None)
        .await
        .unwrap();

    let mut state = SecretState {
        record: secret_record("us-east-1", "backup/secret"),
        versions: vec![
            secret_version("v1", b"old", &["AWSPREVIOUS"], 1_000),
            secret_version("v2", b"new", &["AWSCURRENT", "custom"], 2_000),
            secret_version("v0", b"deprecated", &[], 500),
        ],
    };
    state.versions[1].binary = true;
    state.versions[1].last_accessed_ms = Some(3_000);
    state.record.deletion_date_ms = Some(9_000);
    state.record.deleted_ms = Some(8_000);
    assert_eq!(
        write_secrets(store, vec![SecretWrite::Create { state }]).await,
        WriteOutcome::Written
    );

    store
        .create_access_key(AccessKeyRecord {
            access_key_id: "AKIABACKUP".to_owned(),
            principal_arn: "arn:aws:iam::000000000000:user/admin".to_owned(),
            sealed_secret: vec![1, 2, 3, 4],
            active: true,
            created_ms: 1_700_000_000_000,
            retire_ms: None,
            last_used_ms: None,
            last_used_operation: None,
        })
        .await
        .unwrap();
    let mut used = access_key(
        "AKIABACKUPDEV",
        &format!("{ACCOUNT_ARN}:user/backup-dev"),
        1_700_000_000_001,
    );
    used.retire_ms = Some(1_800_000_000_000);
    store.create_access_key(used).await.unwrap();
    store
        .record_key_use(&[key_use("AKIABACKUPDEV", 1_700_000_000_500, "GetParameter")])
        .await
        .unwrap();

    let mut dev = principal("backup-dev", PrincipalKind::User);
    dev.tags = vec![tag("team", "core")];
    store.create_principal(dev.clone()).await.unwrap();
    let role = principal("backup-deploy", PrincipalKind::Role);
    store.create_principal(role.clone()).await.unwrap();
    for (arn, name) in [(&dev.arn, "write"), (&dev.arn, "read"), (&role.arn, "read")] {
        store
            .put_policy(policy(
                arn,
                name,
                r#"{"Version":"2012-10-17","Statement":[]}"#,
                7,
            ))
            .await
            .unwrap();
    }
    store
        .append_audit(&[(1, "{\"op\":\"backup fill\"}".to_owned())], test_link)
        .await
        .unwrap();
    store.init_meta("root-key-check", b"check").await.unwrap();
}

/// Exports `source` (filled by [`fill_for_backup`]) and imports it into the
/// empty `target`: the target then exports exactly the same snapshot, and
/// reads through the ordinary methods see every version, label and stage.
pub async fn backup_round_trip(source: &dyn Store, target: &dyn Store) {
    let exported = source.export_snapshot().await.unwrap();
    assert_eq!(exported.parameters.len(), 2);
    let db = &exported.parameters[1];
    assert_eq!(
        (db.region.as_str(), db.name.as_str()),
        ("us-east-1", "/backup/db")
    );
    assert_eq!(
        db.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 3, 4],
        "the dropped version stays dropped"
    );
    assert_eq!(exported.kms_keys.len(), 2);
    assert_eq!(exported.kms_aliases.len(), 1);
    assert_eq!(exported.secrets.len(), 1);
    assert_eq!(exported.access_keys.len(), 2);
    assert_eq!(
        exported
            .principals
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["backup-deploy", "backup-dev"],
        "name order"
    );
    assert_eq!(
        exported
            .policies
            .iter()
            .map(|p| (p.principal_arn.as_str(), p.name.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("arn:aws:iam::000000000000:role/backup-deploy", "read"),
            ("arn:aws:iam::000000000000:user/backup-dev", "read"),
            ("arn:aws:iam::000000000000:user/backup-dev", "write"),
        ],
        "(principal arn, name) order"
    );
    assert!(
        exported
            .meta
            .contains(&("root-key-check".to_owned(), b"check".to_vec()))
    );

    target.import_snapshot(&exported).await.unwrap();
    assert_eq!(target.export_snapshot().await.unwrap(), exported);

    assert_eq!(
        history_numbers(target, "us-east-1", "/backup/db").await,
        vec![2, 3, 4]
    );
    assert_eq!(
        labels_of(target, "us-east-1", "/backup/db", 3).await,
        strings(&["blue", "prod"])
    );
    let by_label = found(
        target,
        "us-east-1",
        "/backup/db",
        VersionSelector::Label("latest".into()),
    )
    .await;
    assert_eq!(by_label.version.version, 4);
    assert_eq!(by_label.latest_version, 4);
    assert_eq!(by_label.tags, vec![tag("env", "prod"), tag("team", "core")]);
    // The restored parameter keeps working: the next version is 5.
    put(target, "us-east-1", overwrite("/backup/db", 4, b"sealed-5")).await;
    let key = target
        .get_kms_key("us-east-1", "backup-key")
        .await
        .unwrap()
        .unwrap();
    assert!(!key.enabled);
    assert_eq!(
        target
            .get_kms_alias("us-east-1", "alias/backup")
            .await
            .unwrap()
            .as_deref(),
        Some("backup-key")
    );
    let restored = secret(target, "us-east-1", "backup/secret").await;
    let stages: Vec<_> = restored
        .versions
        .iter()
        .map(|v| (v.version_id.as_str(), v.stages.clone()))
        .collect();
    assert_eq!(
        stages,
        vec![
            ("v0", Vec::new()),
            ("v1", strings(&["AWSPREVIOUS"])),
            ("v2", strings(&["AWSCURRENT", "custom"])),
        ],
        "oldest first, deprecated versions kept"
    );
    assert_eq!(
        restored.record.tags,
        vec![tag("z", "last"), tag("a", "first")]
    );
    assert_eq!(restored.record.deletion_date_ms, Some(9_000));
    let access = target.get_access_key("AKIABACKUP").await.unwrap().unwrap();
    assert_eq!(access.sealed_secret, vec![1, 2, 3, 4]);
    let used = target
        .get_access_key("AKIABACKUPDEV")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.retire_ms, Some(1_800_000_000_000));
    assert_eq!(used.last_used_ms, Some(1_700_000_000_500));
    assert_eq!(used.last_used_operation.as_deref(), Some("GetParameter"));
    let dev = target.get_principal("backup-dev").await.unwrap().unwrap();
    assert_eq!(dev.tags, vec![tag("team", "core")]);
    let source_dev = source.get_principal("backup-dev").await.unwrap().unwrap();
    assert_eq!(
        dev.unique_id, source_dev.unique_id,
        "a restored principal keeps its unique id, so its sessions stay valid"
    );
    assert!(dev.unique_id.starts_with("AIDA"), "{}", dev.unique_id);
    assert_eq!(
        target
            .get_principal("backup-deploy")
            .await
            .unwrap()
            .unwrap()
            .kind,
        PrincipalKind::Role
    );
    assert_eq!(target.list_policies(&dev.arn).await.unwrap().len(), 2);
    assert_eq!(
        target.audit_head().await.unwrap(),
        None,
        "the audit log is not part of a backup"
    );
}

/// A restore into a store that holds data, or whose root-key check value
/// differs, writes nothing and says why.
pub async fn restore_refuses_non_empty(filled: &dyn Store, other: &dyn Store) {
    let snapshot = filled.export_snapshot().await.unwrap();
    let err = filled.import_snapshot(&snapshot).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");

    other
        .init_meta("root-key-check", b"another root key")
        .await
        .unwrap();
    let err = other.import_snapshot(&snapshot).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");
    assert!(
        other.export_snapshot().await.unwrap().is_empty(),
        "a refused restore writes nothing"
    );
}
