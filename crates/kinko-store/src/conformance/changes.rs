//! The change feed: numbering, paging, bounds, trimming; and that the
//! feed is one for many appenders (no number given twice, none skipped).

use std::sync::Arc;

use crate::{Change, ChangeOrigin, ChangeRows, ChangeSource, Store};

/// A change to a made-up parameter `name` at `time_ms`.
pub fn sample_change(name: &str, time_ms: i64) -> Change {
    let origin = ChangeOrigin {
        time_ms,
        region: "conformance-changes".into(),
        account: "000000000000".into(),
        actor: "arn:aws:iam::000000000000:user/alice".into(),
    };
    Change::new(
        &origin,
        ChangeSource::Ssm,
        "PutParameter",
        format!("arn:aws:ssm:conformance-changes:000000000000:parameter/{name}"),
        name,
    )
    .with_version(1)
    .with("event", "Create")
    .with("type", "String")
}

pub async fn run(store: Arc<dyn Store>) {
    append_read_and_page(&*store).await;
    trim_moves_the_bound(&*store).await;
    mutations_append_exactly_their_change(&*store).await;
    concurrent_appenders_get_distinct_consecutive_numbers(store).await;
}

pub async fn append_read_and_page(store: &dyn ChangeRows) {
    let before = store.change_bounds().await.unwrap();
    let changes: Vec<Change> = (0..5)
        .map(|i| sample_change(&format!("page-{i}"), 1_000 + i))
        .collect();
    let numbers = store.append_changes(&changes).await.unwrap();
    let expected: Vec<i64> = (before.head + 1..=before.head + 5).collect();
    assert_eq!(numbers, expected, "numbers follow the head, one each");
    let after = store.change_bounds().await.unwrap();
    assert_eq!(after.head, before.head + 5);

    let first = store.read_changes(before.head, 2).await.unwrap();
    let rest = store.read_changes(first[1].seq, 100).await.unwrap();
    let read: Vec<Change> = first
        .iter()
        .chain(&rest)
        .map(|r| r.change.clone())
        .collect();
    assert_eq!(read, changes, "every field round-trips, in order");
    assert!(store.read_changes(after.head, 10).await.unwrap().is_empty());
    assert!(store.append_changes(&[]).await.unwrap().is_empty());
    assert_eq!(
        store.change_bounds().await.unwrap(),
        after,
        "an empty append changes nothing"
    );
}

pub async fn trim_moves_the_bound(store: &dyn ChangeRows) {
    let start = store.change_bounds().await.unwrap();
    // Times far above the other properties' so only these are "new".
    let old = sample_change("trim-old", 5_000_000_000_000);
    let new = sample_change("trim-new", 5_000_000_100_000);
    let numbers = store.append_changes(&[old, new.clone()]).await.unwrap();
    let trimmed = store.trim_changes(5_000_000_050_000).await.unwrap();
    assert!(trimmed >= 1, "the old record and everything before it go");
    let bounds = store.change_bounds().await.unwrap();
    assert_eq!(bounds.trimmed_through, numbers[0]);
    assert!(
        !bounds.can_resume_from(start.head),
        "a reader behind the trim must resync"
    );
    assert!(bounds.can_resume_from(numbers[0]));
    assert!(
        !bounds.can_resume_from(bounds.head + 1),
        "a reader ahead of the feed read another one"
    );
    let left = store.read_changes(0, 100).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].change, new);
    assert_eq!(
        store.trim_changes(0).await.unwrap(),
        0,
        "nothing older than 0"
    );
    assert_eq!(
        store.change_bounds().await.unwrap().trimmed_through,
        numbers[0]
    );
}

pub async fn concurrent_appenders_get_distinct_consecutive_numbers(store: Arc<dyn Store>) {
    let start = store.change_bounds().await.unwrap().head;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for i in 0..10 {
                let change = sample_change(&format!("concurrent-{t}-{i}"), 6_000_000_000_000);
                numbers.extend(store.append_changes(&[change]).await.unwrap());
            }
            numbers
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort_unstable();
    let expected: Vec<i64> = (start + 1..=start + 80).collect();
    assert_eq!(all, expected);
    let read = store.read_changes(start, 1000).await.unwrap();
    let seqs: Vec<i64> = read.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, expected, "every number given out is in the feed");
}

/// A mutation's change is in the feed exactly when the mutation wrote: a
/// write appends its change, numbered next; a conflict, a failed write or
/// a delete of nothing appends none (the same transaction commits both or
/// neither).
pub async fn mutations_append_exactly_their_change(store: &dyn Store) {
    use crate::conformance::{create, overwrite};
    use crate::{PutOutcome, StoreError};
    let region = "conformance-changes-mutations";
    let appended = |head: i64| async move { store.read_changes(head, 100).await.unwrap() };

    let head = store.change_bounds().await.unwrap().head;
    let put = sample_change("feed-param", 7_000_000_000_000);
    let outcome = store
        .put_parameter_version(region, create("/feed/param", b"v1"), put.clone())
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Written);
    let records = appended(head).await;
    assert_eq!(records.len(), 1, "one write, one record");
    assert_eq!(records[0].seq, head + 1);
    assert_eq!(records[0].change, put);

    let head = head + 1;
    let again = store
        .put_parameter_version(region, create("/feed/param", b"v1"), put.clone())
        .await
        .unwrap();
    assert_eq!(again, PutOutcome::Conflict);
    let labelled = store
        .label_parameter_version(
            region,
            "/feed/param",
            Some(9),
            &["x".into()],
            10,
            put.clone(),
        )
        .await;
    assert!(matches!(labelled, Err(StoreError::VersionNotFound)));
    let too_many: Vec<String> = (0..3).map(|i| format!("l{i}")).collect();
    let limited = store
        .label_parameter_version(region, "/feed/param", None, &too_many, 2, put.clone())
        .await;
    assert!(matches!(
        limited,
        Err(StoreError::LabelLimitExceeded { .. })
    ));
    let missing = store
        .delete_parameter(region, "/feed/nothing", put.clone())
        .await
        .unwrap();
    assert!(!missing);
    assert!(
        appended(head).await.is_empty(),
        "a conflict, a failed write and a delete of nothing append nothing"
    );

    let overwrite_write = overwrite("/feed/param", 1, b"v2");
    store
        .put_parameter_version(region, overwrite_write, put.clone().with_version(2))
        .await
        .unwrap();
    let label = sample_change("feed-param", 7_000_000_000_001);
    let version = store
        .label_parameter_version(region, "/feed/param", None, &["prod".into()], 10, label)
        .await
        .unwrap();
    assert_eq!(version, 2);
    let deleted = store
        .delete_parameter(
            region,
            "/feed/param",
            sample_change("feed-param", 7_000_000_000_002),
        )
        .await
        .unwrap();
    assert!(deleted);
    let records = appended(head).await;
    assert_eq!(records.len(), 3, "overwrite, label, delete");
    assert_eq!(
        records[1].change.version.as_deref(),
        Some("2"),
        "the store names the version a label landed on"
    );
    assert_eq!(
        records[2]
            .change
            .detail
            .get("type")
            .and_then(|t| t.as_str()),
        Some("String"),
        "the store adds the deleted parameter's type"
    );
}
