//! The audit chain, alone and with concurrent appenders.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::*;

/// Every property of this area against `store`.
pub async fn run(store: Arc<dyn AuditRows>) {
    audit_chain(&*store).await;
    concurrent_audit_appenders(vec![store]).await;
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
pub(crate) async fn assert_intact_chain(store: &dyn AuditRows, rows: &[AuditRow]) {
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

pub(crate) async fn read_all_audit(store: &dyn AuditRows) -> Vec<AuditRow> {
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
pub async fn audit_chain(store: &dyn AuditRows) {
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

pub(crate) const AUDIT_APPENDERS: usize = 8;
pub(crate) const AUDIT_BATCHES: usize = 10;
pub(crate) const AUDIT_BATCH: usize = 3;

/// Many tasks append batches at once, spread over `stores` (clones of one
/// store, or stores on one database acting as several servers): the result
/// is one gap-free chain holding every record once, each batch contiguous.
pub async fn concurrent_audit_appenders(stores: Vec<Arc<dyn AuditRows>>) {
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
