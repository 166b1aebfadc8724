use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use kinko_core::audit::verify;
use kinko_model::audit::{OUTAGE_OPERATION, ResourceDecision, Verdict};
use kinko_store::SqliteStore;

use super::*;
use crate::test_store::{Fault, FaultyAuditStore};

fn record(request_id: &str) -> AuditRecord {
    AuditRecord {
        time_ms: 1_714_564_800_000,
        request_id: request_id.to_owned(),
        principal: Some("arn:aws:iam::123456789012:user/alice".into()),
        access_key_id: Some("AKIAEXAMPLE".into()),
        source_ip: Some("127.0.0.1".into()),
        operation: "ssm:GetParameter".into(),
        resources: vec![ResourceDecision {
            action: "ssm:GetParameter".into(),
            resource: "arn:aws:ssm:us-east-1:123456789012:parameter/app/x".into(),
            decision: Verdict::Allow,
            statement: None,
            reason: None,
        }],
        decision: Verdict::Allow,
        statement: None,
        error_code: None,
        status: 200,
        latency_ms: 0.25,
        outage: None,
    }
}

fn parsed(row: &AuditRow) -> AuditRecord {
    serde_json::from_str(&row.record).unwrap()
}

/// Waits (generously) for what the writer task does in the background.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..2_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("gave up waiting until {what}");
}

async fn all_rows(store: &dyn AuditRows) -> Vec<AuditRow> {
    let mut rows: Vec<AuditRow> = Vec::new();
    loop {
        let after = rows.last().map_or(0, |r| r.seq);
        let page = store.read_audit(after, 1000).await.unwrap();
        if page.is_empty() {
            return rows;
        }
        rows.extend(page);
    }
}

fn request_id(row: &AuditRow) -> String {
    let record: AuditRecord = serde_json::from_str(&row.record).unwrap();
    record.request_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_records_make_one_gap_free_chain() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn AuditRows> =
        Arc::new(SqliteStore::open(&dir.path().join("kinko.db")).unwrap());
    let sink_path = dir.path().join("audit.jsonl");
    let log = AuditLog::start(store.clone(), Some(AuditSink::File(sink_path.clone()))).unwrap();

    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..250 {
                    log.record(record(&format!("t{task}-{i}"))).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    log.shutdown().await;

    let verified = verify(store.as_ref()).await.unwrap().unwrap();
    assert_eq!(verified.records, 2_000);
    assert_eq!(verified.head_seq, 2_000);

    // Each task's records are in the order it queued them.
    let rows = all_rows(store.as_ref()).await;
    let mut next = [0; 8];
    for row in &rows {
        let id = request_id(row);
        let (task, i) = id[1..].split_once('-').unwrap();
        let (task, i): (usize, i32) = (task.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[task], "task {task} out of order");
        next[task] += 1;
    }
    assert_eq!(next, [250; 8]);

    // The sink: 0600, one line per record, the QueryAuditLog object.
    let mode = std::fs::metadata(&sink_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&sink_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2_000);
    for (line, row) in lines.iter().zip(&rows) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value, row_json(row));
        assert_eq!(value["seq"], row.seq);
        assert_eq!(value["time"], "2024-05-01T12:00:00.000Z");
    }
}

#[tokio::test]
async fn shutdown_flushes_what_is_queued() {
    let store: Arc<dyn AuditRows> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let log = AuditLog::start(store.clone(), None).unwrap();
    for i in 0..1_000 {
        log.record(record(&format!("r{i}"))).await;
    }
    log.shutdown().await;
    let rows = all_rows(store.as_ref()).await;
    assert_eq!(rows.len(), 1_000);
    assert_eq!(request_id(&rows[999]), "r999");

    // Later calls neither hang nor write.
    log.shutdown().await;
    log.record(record("late")).await;
    assert_eq!(all_rows(store.as_ref()).await.len(), 1_000);
}

#[tokio::test]
async fn dropping_every_handle_flushes_too() {
    let store: Arc<dyn AuditRows> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let log = AuditLog::start(store.clone(), None).unwrap();
    let stopped = log.stopped.clone();
    log.record(record("only")).await;
    drop(log);
    let mut stopped = stopped;
    let _ = stopped.wait_for(|s| *s).await;
    assert_eq!(all_rows(store.as_ref()).await.len(), 1);
}

#[tokio::test]
async fn file_sink_appends_to_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    std::fs::write(&path, "earlier\n").unwrap();
    let store: Arc<dyn AuditRows> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let log = AuditLog::start(store, Some(AuditSink::File(path.clone()))).unwrap();
    log.record(record("a")).await;
    log.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("earlier\n"));
    assert_eq!(text.lines().count(), 2);
}

#[tokio::test]
async fn unopenable_sink_fails_start() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn AuditRows> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let missing = dir.path().join("no-such-dir").join("audit.jsonl");
    assert!(AuditLog::start(store, Some(AuditSink::File(missing))).is_err());
}

#[tokio::test]
async fn store_failures_are_retried_in_order() {
    let store = Arc::new(FaultyAuditStore::new());
    store.fail_next(3, Fault::Unavailable);
    let log = AuditLog::start(store.clone(), None).unwrap();
    for i in 0..50 {
        log.record(record(&format!("r{i}"))).await;
    }
    log.shutdown().await;
    assert!(store.attempts.load(Ordering::SeqCst) >= 4);
    let rows = all_rows(store.as_ref()).await;
    let ids: Vec<String> = rows.iter().map(request_id).collect();
    let mut expected: Vec<String> = (0..50).map(|i| format!("r{i}")).collect();
    // The outage's summary follows the batch that ended it.
    let summary = rows
        .iter()
        .position(|row| parsed(row).operation == OUTAGE_OPERATION)
        .expect("an outage summary");
    expected.insert(summary, ids[summary].clone());
    assert_eq!(ids, expected);
    assert!(verify(store.as_ref()).await.unwrap().is_ok());
}

#[tokio::test]
async fn shutdown_gives_up_on_a_store_that_stays_down() {
    let store = Arc::new(FaultyAuditStore::new());
    store.fail_until_healed(Fault::Unavailable);
    let log = AuditLog::start(store.clone(), None).unwrap();
    log.record(record("lost")).await;
    log.shutdown().await;
    assert!(store.attempts.load(Ordering::SeqCst) > RETRIES_AT_SHUTDOWN as usize);
    assert!(all_rows(store.as_ref()).await.is_empty());
}

#[tokio::test]
async fn the_first_failed_append_refuses_requests_and_nothing_is_lost() {
    let store = Arc::new(FaultyAuditStore::new());
    let log = AuditLog::start(store.clone(), None).unwrap();
    assert_eq!(log.admit(), Ok(()));
    assert_eq!(log.unavailable_since(), None);

    // One record and one failed append are enough: the queue (16k)
    // is far from full.
    store.fail_until_healed(Fault::DiskFull);
    let before = jiff::Timestamp::now();
    log.record(record("acknowledged-1")).await;
    eventually("the log is unavailable", || {
        log.unavailable_since().is_some()
    })
    .await;
    let since = log.unavailable_since().unwrap();
    assert!(since.as_millisecond() >= before.as_millisecond());
    // Requests already in flight still queue their records.
    log.record(record("acknowledged-2")).await;
    // New requests are refused, and counted.
    for _ in 0..3 {
        let refused = log.admit().unwrap_err();
        assert_eq!(refused.since(), since);
    }
    // Retried meanwhile, in the background, without giving up.
    let attempts = store.attempts.load(Ordering::SeqCst);
    eventually("the writer retries", || {
        store.attempts.load(Ordering::SeqCst) > attempts
    })
    .await;
    assert!(all_rows(store.as_ref()).await.is_empty());

    store.heal();
    eventually("the log is available again", || {
        log.unavailable_since().is_none()
    })
    .await;
    assert_eq!(log.admit(), Ok(()));
    log.record(record("after")).await;
    log.shutdown().await;

    // Every acknowledged record, in order; the summary right after the
    // batch whose append ended the outage; the chain verifies.
    let rows = all_rows(store.as_ref()).await;
    let ids: Vec<String> = rows.iter().map(request_id).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert_eq!(ids[0], "acknowledged-1");
    assert_eq!(ids[2], "acknowledged-2");
    assert_eq!(ids[3], "after");
    let summary = parsed(&rows[1]);
    assert_eq!(summary.operation, OUTAGE_OPERATION);
    assert_eq!(summary.status, 503);
    assert_eq!(summary.decision, Verdict::Deny);
    let outage = summary.outage.expect("outage details");
    assert_eq!(outage.refused_requests, 3);
    assert_eq!(outage.since_ms, since.as_millisecond());
    assert!(outage.until_ms >= outage.since_ms);
    assert_eq!(summary.time_ms, outage.until_ms);
    let verified = verify(store.as_ref()).await.unwrap().unwrap();
    assert_eq!(verified.records, 4);
}

#[tokio::test]
async fn a_store_that_keeps_no_audit_records_is_an_outage_not_a_drop() {
    // Before: `Unsupported` dropped the batch. Now it is an outage like
    // any other: the batch is kept until the store takes it.
    let store = Arc::new(FaultyAuditStore::new());
    store.fail_next(2, Fault::Unsupported);
    let log = AuditLog::start(store.clone(), None).unwrap();
    log.record(record("kept")).await;
    log.shutdown().await;
    let rows = all_rows(store.as_ref()).await;
    assert_eq!(request_id(&rows[0]), "kept");
    let summary = parsed(&rows[1]);
    assert_eq!(summary.operation, OUTAGE_OPERATION);
    assert_eq!(summary.outage.unwrap().refused_requests, 0);
    assert!(verify(store.as_ref()).await.unwrap().is_ok());
}

#[tokio::test]
async fn a_summary_that_cannot_be_written_is_retried_too() {
    // The batch fails, then lands; its outage's summary fails (a second
    // outage), then lands; the second outage's summary lands.
    let store = Arc::new(FaultyAuditStore::new());
    store.fail_next(1, Fault::Unavailable);
    store.pass_next(1);
    store.fail_next(1, Fault::DiskFull);
    let log = AuditLog::start(store.clone(), None).unwrap();
    log.record(record("first")).await;
    log.shutdown().await;
    assert_eq!(store.attempts.load(Ordering::SeqCst), 5);
    let rows = all_rows(store.as_ref()).await;
    let operations: Vec<String> = rows.iter().map(|r| parsed(r).operation).collect();
    assert_eq!(
        operations,
        ["ssm:GetParameter", OUTAGE_OPERATION, OUTAGE_OPERATION]
    );
    assert!(verify(store.as_ref()).await.unwrap().is_ok());
}

// ------------------------------------------------ tampering in SQLite

/// A store file holding 20 records written through the log.
async fn written_log(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("kinko.db");
    let store: Arc<dyn AuditRows> = Arc::new(SqliteStore::open(&path).unwrap());
    let log = AuditLog::start(store.clone(), None).unwrap();
    for i in 1..=20 {
        log.record(record(&format!("req-{i}"))).await;
    }
    log.shutdown().await;
    assert!(verify(store.as_ref()).await.unwrap().is_ok());
    path
}

async fn tamper_and_verify(sql: &str) -> kinko_core::audit::Problem {
    let dir = tempfile::tempdir().unwrap();
    let path = written_log(dir.path()).await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    verify(&store).await.unwrap().unwrap_err()
}

#[tokio::test]
async fn verify_names_an_updated_record() {
    let problem = tamper_and_verify(
        "UPDATE audit_log SET record = replace(record, 'alice', 'mallory') WHERE seq = 5",
    )
    .await;
    assert_eq!(problem.seq, 5);
    assert_eq!(
        problem.reason,
        "record 5 was altered (its hash does not match its contents)"
    );
}

#[tokio::test]
async fn verify_names_a_deleted_middle_record() {
    let problem = tamper_and_verify("DELETE FROM audit_log WHERE seq = 9").await;
    assert_eq!(problem.seq, 9);
    assert_eq!(problem.reason, "record 9 is missing (8 is followed by 10)");
}

#[tokio::test]
async fn verify_names_a_deleted_last_record() {
    let problem = tamper_and_verify("DELETE FROM audit_log WHERE seq = 20").await;
    assert_eq!(problem.seq, 20);
    assert_eq!(
        problem.reason,
        "the last record was deleted (head says 20, log ends at 19)"
    );
}

#[tokio::test]
async fn verify_names_swapped_records() {
    let problem = tamper_and_verify(
        "UPDATE audit_log SET seq = -1 WHERE seq = 7;
         UPDATE audit_log SET seq = 7 WHERE seq = 8;
         UPDATE audit_log SET seq = 8 WHERE seq = -1;",
    )
    .await;
    assert_eq!(problem.seq, 7);
    assert_eq!(
        problem.reason,
        "records are out of order at 7 (it holds the record written as 8)"
    );
}
