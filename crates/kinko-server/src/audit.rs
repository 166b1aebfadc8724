//! The audit writer: every request's [`AuditRecord`] goes into the store's
//! hash chain, and optionally out to a JSON-lines sink (stdout or a file).
//!
//! Audit writes are asynchronous. A handler queues its record and answers;
//! a single writer task appends what is queued in batches (up to
//! [`BATCH_MAX`] records, gathered for at most [`BATCH_WINDOW`]) with one
//! store transaction per batch, so a record lands within about 20 ms of the
//! response. A synchronous insert per request would put every read behind
//! the store's single writer (SQLite's one write connection, PostgreSQL's
//! lock on the chain head) and cap reads at that writer's rate; batching
//! costs one transaction per 512 requests instead. The price: the log is
//! not in the request's transaction, so a `kill -9` or a power cut can lose
//! the last batch, as CloudTrail's delivery can. A graceful shutdown
//! ([`AuditLog::shutdown`]) writes everything queued.
//!
//! **When the log cannot be written** (the store fails, the disk is full, a
//! store that cannot keep audit records at all), kinko stops serving, as
//! Vault refuses requests that no audit device can record, rather than
//! serving requests whose records may never land:
//! - the first failed append makes the log *unavailable* (not a full
//!   queue later): [`AuditLog::admit`] refuses every new API request from
//!   then on, before it reads or writes anything, and the server answers
//!   it `503 ServiceUnavailable` (which the SDKs retry); `GET /health`
//!   answers 503 too;
//! - the batch that failed, and the records of requests that were already
//!   in flight, stay queued and are retried in order with backoff (up to
//!   [`RETRY_MAX`] apart): never dropped;
//! - refused requests cannot each be recorded, so they are counted; the
//!   first append that succeeds again is followed by one summary record
//!   (operation `kinko:AuditLogUnavailable`, with `outage.since`,
//!   `outage.until` and `outage.refusedRequests`), and serving resumes;
//! - one warning line when the log becomes unavailable (with the store's
//!   error) and one when it is written again, not one per request.
//!
//! Records are never dropped for load either: the queue is bounded
//! ([`QUEUE_CAPACITY`]) and a full queue makes [`AuditLog::record`] wait.
//! Only a shutdown with the store still failing, after
//! [`RETRIES_AT_SHUTDOWN`] more attempts, gives the queued records up (with
//! an error line saying how many), so that the process can exit.
//! Warnings name the error and a count, never a record's content.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kinko_core::audit::{link, row_json};
use kinko_model::audit::{AuditRecord, Outage};
use kinko_store::{AuditRow, AuditRows};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Records waiting for the writer before [`AuditLog::record`] waits.
pub const QUEUE_CAPACITY: usize = 16 * 1024;
/// Records appended in one store transaction at most.
pub const BATCH_MAX: usize = 512;
/// How long the writer gathers a batch after its first record.
pub const BATCH_WINDOW: Duration = Duration::from_millis(20);

/// First and longest wait between attempts when the store fails. Requests
/// are refused meanwhile, so the longest wait is also the longest the
/// server stays unavailable after the store has recovered: short.
const RETRY_FIRST: Duration = Duration::from_millis(50);
pub const RETRY_MAX: Duration = Duration::from_secs(1);
/// Once shutdown was asked for, a failing store gets this many more
/// attempts; then the batch is given up so the server can exit.
pub const RETRIES_AT_SHUTDOWN: u32 = 5;

/// Where appended records are also written, one JSON object per line
/// (the object `QueryAuditLog` returns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSink {
    Stdout,
    /// Appended to; created with mode 0600 when missing.
    File(PathBuf),
}

enum Command {
    Record { time_ms: i64, json: String },
    Shutdown,
}

/// Why a request is refused: the audit log cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable {
    since_ms: i64,
}

impl Unavailable {
    /// When the first append failed.
    pub fn since(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.since_ms).unwrap_or_default()
    }
}

/// Whether the log can be written, shared by the writer (which changes it)
/// and every request (which reads it first).
#[derive(Default)]
struct Health {
    /// The fast path: one atomic load per request while all is well.
    unavailable: AtomicBool,
    /// The outage under way. A refusal is counted under this lock, so each
    /// is counted into exactly the outage it happened in, and none is
    /// missed when the outage closes.
    outage: Mutex<Option<OpenOutage>>,
}

struct OpenOutage {
    since_ms: i64,
    refused: u64,
}

impl Health {
    fn outage(&self) -> std::sync::MutexGuard<'_, Option<OpenOutage>> {
        self.outage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the log unavailable; true when it was available until now.
    fn fail(&self, now_ms: i64) -> bool {
        let mut outage = self.outage();
        if outage.is_some() {
            return false;
        }
        *outage = Some(OpenOutage {
            since_ms: now_ms,
            refused: 0,
        });
        self.unavailable.store(true, Ordering::Release);
        true
    }

    /// Marks the log available again; the outage that ends, if one did.
    fn recover(&self, now_ms: i64) -> Option<Outage> {
        if !self.unavailable.load(Ordering::Acquire) {
            return None;
        }
        let open = self.outage().take()?;
        self.unavailable.store(false, Ordering::Release);
        Some(Outage {
            since_ms: open.since_ms,
            until_ms: now_ms.max(open.since_ms),
            refused_requests: open.refused,
        })
    }

    fn admit(&self) -> Result<(), Unavailable> {
        if !self.unavailable.load(Ordering::Acquire) {
            return Ok(());
        }
        match self.outage().as_mut() {
            Some(open) => {
                open.refused += 1;
                Err(Unavailable {
                    since_ms: open.since_ms,
                })
            }
            // It recovered between the two looks.
            None => Ok(()),
        }
    }

    fn unavailable_since(&self) -> Option<i64> {
        if !self.unavailable.load(Ordering::Acquire) {
            return None;
        }
        self.outage().as_ref().map(|open| open.since_ms)
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The handle to the writer task; clones share it.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Command>,
    /// Becomes true (or is dropped) when the writer has stopped.
    stopped: watch::Receiver<bool>,
    shutting_down: Arc<AtomicBool>,
    health: Arc<Health>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("queued", &(QUEUE_CAPACITY - self.tx.capacity()))
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Starts the writer task (on the current Tokio runtime). Records are
    /// appended in batches (up to 512 records or every ~20 ms) in one store
    /// transaction each, so auditing every request costs little per
    /// request; each appended row is then written to the sink as one JSON
    /// line (the same object QueryAuditLog returns).
    ///
    /// Fails only when the file sink cannot be opened.
    pub fn start(store: Arc<dyn AuditRows>, sink: Option<AuditSink>) -> std::io::Result<AuditLog> {
        let sink = sink.map(SinkWriter::open).transpose()?;
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (stopped_tx, stopped) = watch::channel(false);
        let shutting_down = Arc::new(AtomicBool::new(false));
        let health = Arc::new(Health::default());
        let writer = Writer {
            store,
            sink: sink.map(|s| Arc::new(Mutex::new(s))),
            shutting_down: shutting_down.clone(),
            health: health.clone(),
        };
        tokio::spawn(async move {
            writer.run(rx).await;
            let _ = stopped_tx.send(true);
        });
        Ok(AuditLog {
            tx,
            stopped,
            shutting_down,
            health,
        })
    }

    /// Lets a request in, or refuses it while the log cannot be written
    /// (and counts it for the outage's summary record). Called first, for
    /// every request that needs a record.
    pub fn admit(&self) -> Result<(), Unavailable> {
        self.health.admit()
    }

    /// Since when the log cannot be written; `None` while it can. Counts
    /// nothing (for `/health`).
    pub fn unavailable_since(&self) -> Option<jiff::Timestamp> {
        let since_ms = self.health.unavailable_since()?;
        Some(Unavailable { since_ms }.since())
    }

    /// Queues one record. Waits when the queue (bounded, 16k) is full:
    /// back-pressure, never drops.
    pub async fn record(&self, record: AuditRecord) {
        let json = match record.to_json() {
            Ok(json) => json,
            Err(_) => {
                // Only a time outside years 0–9999 can fail to encode.
                tracing::error!("an audit record could not be encoded; it is not kept");
                return;
            }
        };
        let command = Command::Record {
            time_ms: record.time_ms,
            json,
        };
        if self.tx.send(command).await.is_err() {
            tracing::warn!("the audit log was shut down; a record after it is not kept");
        }
    }

    /// Flushes everything queued so far and stops the writer (graceful
    /// shutdown). Later calls return at once.
    pub async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
        // Fails only when the writer is gone already.
        let _ = self.tx.send(Command::Shutdown).await;
        let mut stopped = self.stopped.clone();
        // An error means the writer ended (and dropped its sender): stopped too.
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }
}

struct Writer {
    store: Arc<dyn AuditRows>,
    sink: Option<Arc<Mutex<SinkWriter>>>,
    shutting_down: Arc<AtomicBool>,
    health: Arc<Health>,
}

impl Writer {
    /// Gathers batches until a shutdown command or until every handle is
    /// dropped, writing each batch before reading further.
    async fn run(self, mut rx: mpsc::Receiver<Command>) {
        let mut commands = Vec::with_capacity(BATCH_MAX);
        let mut stop = false;
        while !stop {
            let mut batch: Vec<(i64, String)> = Vec::new();
            // Wait as long as it takes for the first record of a batch...
            if rx.recv_many(&mut commands, BATCH_MAX).await == 0 {
                break;
            }
            stop |= take(&mut commands, &mut batch);
            // ...then gather more for at most the window.
            let deadline = Instant::now() + BATCH_WINDOW;
            while !stop && batch.len() < BATCH_MAX {
                let room = BATCH_MAX - batch.len();
                tokio::select! {
                    received = rx.recv_many(&mut commands, room) => {
                        if received == 0 {
                            stop = true;
                        }
                        stop |= take(&mut commands, &mut batch);
                    }
                    () = tokio::time::sleep_until(deadline) => break,
                }
            }
            if !batch.is_empty() {
                self.write(batch).await;
            }
        }
    }

    /// Appends one batch, retrying while the store fails, then writes the
    /// rows to the sink. The first append that succeeds after failures
    /// ends the outage: its summary record is appended next (retried the
    /// same way), so the log says what it could not hold.
    async fn write(&self, batch: Vec<(i64, String)>) {
        let mut pending = batch;
        loop {
            let Some(rows) = self.append(&pending).await else {
                return;
            };
            if let Some(sink) = &self.sink {
                write_sink(sink.clone(), &rows).await;
            }
            let Some(outage) = self.health.recover(now_ms()) else {
                return;
            };
            tracing::warn!(
                refused_requests = outage.refused_requests,
                unavailable_ms = outage.until_ms - outage.since_ms,
                "the audit log is written again; serving requests"
            );
            let summary = AuditRecord::outage_summary(outage, uuid::Uuid::new_v4().to_string());
            match summary.to_json() {
                Ok(json) => pending = vec![(summary.time_ms, json)],
                Err(_) => {
                    // Only a time outside years 0–9999 can fail to encode.
                    tracing::error!("the audit outage summary could not be encoded");
                    return;
                }
            }
        }
    }

    /// Appends `batch` in one transaction, retrying with backoff while the
    /// store fails; the first failure makes the log unavailable (requests
    /// are refused until an append succeeds). `None` only when shutdown
    /// gave the batch up.
    async fn append(&self, batch: &[(i64, String)]) -> Option<Vec<AuditRow>> {
        let mut delay = RETRY_FIRST;
        let mut failures = 0u32;
        let mut failures_at_shutdown = 0u32;
        loop {
            let error = match self.store.append_audit(batch, link).await {
                Ok(rows) => return Some(rows),
                Err(error) => error,
            };
            failures += 1;
            if self.health.fail(now_ms()) {
                tracing::warn!(
                    %error,
                    records = batch.len(),
                    "the audit log cannot be written: refusing requests (503) until it can"
                );
            } else {
                tracing::debug!(%error, attempt = failures, "appending to the audit log failed again");
            }
            if self.shutting_down.load(Ordering::Relaxed) {
                failures_at_shutdown += 1;
                if failures_at_shutdown > RETRIES_AT_SHUTDOWN {
                    let refused = self.health.outage().as_ref().map_or(0, |o| o.refused);
                    tracing::error!(
                        %error,
                        records = batch.len(),
                        refused_requests = refused,
                        "shutting down with the store failing; audit records are lost"
                    );
                    return None;
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_MAX);
        }
    }
}

/// Moves queued records into the batch; true when a shutdown was among them
/// (records queued after it are kept too: they are here already).
fn take(commands: &mut Vec<Command>, batch: &mut Vec<(i64, String)>) -> bool {
    let mut stop = false;
    for command in commands.drain(..) {
        match command {
            Command::Record { time_ms, json } => batch.push((time_ms, json)),
            Command::Shutdown => stop = true,
        }
    }
    stop
}

async fn write_sink(sink: Arc<Mutex<SinkWriter>>, rows: &[AuditRow]) {
    let mut text = String::new();
    for row in rows {
        text.push_str(&row_json(row).to_string());
        text.push('\n');
    }
    let written = tokio::task::spawn_blocking(move || {
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(text.as_bytes())
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, records = rows.len(), "writing to the audit sink failed");
        }
        Err(_) => tracing::warn!(records = rows.len(), "the audit sink writer stopped"),
    }
}

enum SinkWriter {
    Stdout,
    File(std::fs::File),
}

impl SinkWriter {
    fn open(sink: AuditSink) -> std::io::Result<SinkWriter> {
        match sink {
            AuditSink::Stdout => Ok(SinkWriter::Stdout),
            AuditSink::File(path) => {
                let mut options = std::fs::OpenOptions::new();
                options.create(true).append(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                Ok(SinkWriter::File(options.open(path)?))
            }
        }
    }

    fn write(&mut self, text: &[u8]) -> std::io::Result<()> {
        match self {
            SinkWriter::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(text)?;
                out.flush()
            }
            SinkWriter::File(file) => file.write_all(text),
        }
    }
}

#[cfg(test)]
mod tests {
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
}
