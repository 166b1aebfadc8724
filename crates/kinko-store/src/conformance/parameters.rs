//! Parameters: versions, compare-and-swap, the version cap, labels, tags,
//! listing, regions, and concurrent writers.

use super::test_change;
use std::collections::BTreeSet;
use std::sync::Arc;

use kinko_model::ssm::VersionSelector;

use super::*;
use crate::*;

/// Every property of this area against `store`.
pub async fn run(store: Arc<dyn ParameterRows>) {
    create_read_overwrite(&*store).await;
    compare_and_swap(&*store).await;
    delete_and_recreate(&*store).await;
    version_cap(&*store).await;
    labels(&*store).await;
    unlabel(&*store).await;
    tags(&*store).await;
    listing(&*store).await;
    regions_isolated(&*store).await;
    concurrent_writers(store).await;
}

// ---- parameters ----

/// Create, read back every field, overwrite, read by version, history.
pub async fn create_read_overwrite(store: &dyn ParameterRows) {
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
pub async fn compare_and_swap(store: &dyn ParameterRows) {
    let region = "conf-cas";
    let name = "cas";

    let missing = store
        .put_parameter_version(region, overwrite(name, 1, b"x"), test_change())
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
        .put_parameter_version(region, create(name, b"other"), test_change())
        .await
        .unwrap();
    assert_eq!(
        again,
        PutOutcome::Conflict,
        "create of an existing parameter"
    );

    put(store, region, overwrite(name, 1, b"two")).await;
    let stale = store
        .put_parameter_version(region, overwrite(name, 1, b"stale"), test_change())
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
    match store
        .put_parameter_version(region, tagged, test_change())
        .await
    {
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
pub async fn delete_and_recreate(store: &dyn ParameterRows) {
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
        .label_parameter_version(
            region,
            name,
            Some(2),
            &strings(&["stable"]),
            10,
            test_change(),
        )
        .await
        .unwrap();
    put(store, region, create("/svc/token2", b"neighbour")).await;

    assert!(
        store
            .delete_parameter(region, name, test_change())
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_parameter(region, name, test_change())
            .await
            .unwrap(),
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
            .delete_parameter(region, "never-existed", test_change())
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
pub async fn version_cap(store: &dyn ParameterRows) {
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
        .label_parameter_version(
            region,
            name,
            Some(2),
            &strings(&["pinned"]),
            10,
            test_change(),
        )
        .await
        .unwrap();
    match store
        .put_parameter_version(region, overwrite(name, 101, b"v102"), test_change())
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
        .unlabel_parameter_version(region, name, 2, &strings(&["pinned"]), test_change())
        .await
        .unwrap();
    assert_eq!(outcome.removed, strings(&["pinned"]));
    store
        .label_parameter_version(
            region,
            name,
            Some(50),
            &strings(&["pinned"]),
            10,
            test_change(),
        )
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
pub async fn labels(store: &dyn ParameterRows) {
    let region = "conf-labels";
    let name = "labelled";
    put_versions(store, region, name, 3).await;

    let version = store
        .label_parameter_version(
            region,
            name,
            Some(1),
            &strings(&["zeta", "alpha"]),
            10,
            test_change(),
        )
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
        .label_parameter_version(region, name, None, &strings(&["alpha"]), 10, test_change())
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
        .label_parameter_version(
            region,
            name,
            Some(3),
            &strings(&["alpha"]),
            1,
            test_change(),
        )
        .await
        .unwrap();
    assert_eq!(labels_of(store, region, name, 3).await, strings(&["alpha"]));

    match store
        .label_parameter_version(region, name, Some(9), &strings(&["x"]), 10, test_change())
        .await
    {
        Err(StoreError::VersionNotFound) => {}
        other => panic!("expected VersionNotFound, got {other:?}"),
    }
    match store
        .label_parameter_version(region, "missing", None, &strings(&["x"]), 10, test_change())
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }

    // The limit counts the target version's labels after the move; on
    // failure nothing moves, not even the labels that would fit.
    store
        .label_parameter_version(
            region,
            name,
            Some(2),
            &strings(&["x", "y", "z"]),
            3,
            test_change(),
        )
        .await
        .unwrap();
    match store
        .label_parameter_version(
            region,
            name,
            Some(2),
            &strings(&["alpha", "w"]),
            3,
            test_change(),
        )
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
        .label_parameter_version(region, name, Some(3), &strings(&["x"]), 3, test_change())
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
pub async fn unlabel(store: &dyn ParameterRows) {
    let region = "conf-unlabel";
    let name = "u";
    put_versions(store, region, name, 2).await;
    store
        .label_parameter_version(region, name, Some(1), &strings(&["b"]), 10, test_change())
        .await
        .unwrap();
    store
        .label_parameter_version(
            region,
            name,
            Some(2),
            &strings(&["a", "c"]),
            10,
            test_change(),
        )
        .await
        .unwrap();

    let outcome = store
        .unlabel_parameter_version(
            region,
            name,
            2,
            &strings(&["a", "nope", "b"]),
            test_change(),
        )
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
        .unlabel_parameter_version(region, name, 7, &strings(&["c"]), test_change())
        .await
    {
        Err(StoreError::VersionNotFound) => {}
        other => panic!("expected VersionNotFound, got {other:?}"),
    }
    match store
        .unlabel_parameter_version(region, "missing", 1, &strings(&["c"]), test_change())
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }
    assert_eq!(labels_of(store, region, name, 2).await, strings(&["c"]));
}

/// Tags upsert by key, are removed by key, come back sorted, and are capped.
pub async fn tags(store: &dyn ParameterRows) {
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
        .add_parameter_tags(
            region,
            name,
            &[tag("z", "26"), tag("a", "1")],
            10,
            test_change(),
        )
        .await
        .unwrap();
    store
        .add_parameter_tags(region, name, &[tag("m", "13")], 10, test_change())
        .await
        .unwrap();
    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(
        record.tags,
        vec![tag("a", "1"), tag("m", "13"), tag("z", "26")]
    );

    store
        .remove_parameter_tags(region, name, &strings(&["a", "unknown"]), test_change())
        .await
        .unwrap();
    let record = found(store, region, name, VersionSelector::Latest).await;
    assert_eq!(record.tags, vec![tag("m", "13"), tag("z", "26")]);

    // Upserting existing keys does not count against the cap.
    store
        .add_parameter_tags(
            region,
            name,
            &[tag("m", "x"), tag("z", "y")],
            2,
            test_change(),
        )
        .await
        .unwrap();
    match store
        .add_parameter_tags(
            region,
            name,
            &[tag("m", "changed"), tag("new", "n")],
            2,
            test_change(),
        )
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
        .add_parameter_tags(region, "missing", &[tag("k", "v")], 10, test_change())
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }
    match store
        .remove_parameter_tags(region, "missing", &strings(&["k"]), test_change())
        .await
    {
        Err(StoreError::ParameterNotFound) => {}
        other => panic!("expected ParameterNotFound, got {other:?}"),
    }
}

/// Name order, prefix (with LIKE wildcards and separators in names), the
/// `after` cursor and `limit`; each record carries its latest version.
pub async fn listing(store: &dyn ParameterRows) {
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
        .label_parameter_version(
            region,
            "/a/b",
            Some(1),
            &strings(&["old"]),
            10,
            test_change(),
        )
        .await
        .unwrap();
    store
        .label_parameter_version(
            region,
            "/a/b",
            Some(2),
            &strings(&["new"]),
            10,
            test_change(),
        )
        .await
        .unwrap();
    store
        .add_parameter_tags(region, "/a/b", &[tag("k", "v")], 10, test_change())
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
pub async fn regions_isolated(store: &dyn ParameterRows) {
    let (east, west) = ("conf-region-east", "conf-region-west");
    let name = "/shared/name";
    put(store, east, create(name, b"east")).await;
    put(store, west, create(name, b"west")).await;
    put(store, west, overwrite(name, 1, b"west2")).await;
    store
        .label_parameter_version(west, name, Some(2), &strings(&["prod"]), 10, test_change())
        .await
        .unwrap();
    store
        .add_parameter_tags(west, name, &[tag("side", "west")], 10, test_change())
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

    assert!(
        store
            .delete_parameter(east, name, test_change())
            .await
            .unwrap()
    );
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

// ---- concurrency ----

pub(crate) const WRITERS: u32 = 16;
pub(crate) const WRITES_PER_WRITER: u32 = 10;

/// 16 tasks each read the latest version and compare-and-swap a new one,
/// retrying on conflict, 10 times: no update is lost and no version number
/// is used twice.
pub async fn concurrent_writers(store: Arc<dyn ParameterRows>) {
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
                    match store
                        .put_parameter_version(region, write, test_change())
                        .await
                        .unwrap()
                    {
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
