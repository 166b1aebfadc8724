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
//! Records are never dropped for load: the queue is bounded
//! ([`QUEUE_CAPACITY`]) and a full queue makes [`AuditLog::record`] wait.
//! When the store fails (PostgreSQL restarting) the writer keeps the batch
//! and retries with backoff, in order; requests wait on the full queue
//! meanwhile. Warnings name the error and a count, never a record's content.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kinko_core::audit::{AuditRecord, link, row_json};
use kinko_store::{AuditRow, Store, StoreError};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Records waiting for the writer before [`AuditLog::record`] waits.
pub const QUEUE_CAPACITY: usize = 16 * 1024;
/// Records appended in one store transaction at most.
pub const BATCH_MAX: usize = 512;
/// How long the writer gathers a batch after its first record.
pub const BATCH_WINDOW: Duration = Duration::from_millis(20);

/// First and longest wait between attempts when the store fails.
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// Once shutdown was asked for, a failing store gets this many more
/// attempts; then the batch is given up so the server can exit.
const RETRIES_AT_SHUTDOWN: u32 = 5;

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

/// The handle to the writer task; clones share it.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Command>,
    /// Becomes true (or is dropped) when the writer has stopped.
    stopped: watch::Receiver<bool>,
    shutting_down: Arc<AtomicBool>,
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
    pub fn start(store: Arc<dyn Store>, sink: Option<AuditSink>) -> std::io::Result<AuditLog> {
        let sink = sink.map(SinkWriter::open).transpose()?;
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (stopped_tx, stopped) = watch::channel(false);
        let shutting_down = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            store,
            sink: sink.map(|s| Arc::new(Mutex::new(s))),
            shutting_down: shutting_down.clone(),
        };
        tokio::spawn(async move {
            writer.run(rx).await;
            let _ = stopped_tx.send(true);
        });
        Ok(AuditLog {
            tx,
            stopped,
            shutting_down,
        })
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
    store: Arc<dyn Store>,
    sink: Option<Arc<Mutex<SinkWriter>>>,
    shutting_down: Arc<AtomicBool>,
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
                self.write(&batch).await;
            }
        }
    }

    /// Appends one batch, retrying while the store fails, then writes the
    /// rows to the sink.
    async fn write(&self, batch: &[(i64, String)]) {
        let mut delay = RETRY_FIRST;
        let mut failures = 0u32;
        let mut failures_at_shutdown = 0u32;
        let rows = loop {
            match self.store.append_audit(batch, link).await {
                Ok(rows) => break rows,
                Err(StoreError::Unsupported(_)) => {
                    tracing::error!(
                        records = batch.len(),
                        "this store cannot keep audit records; the batch is not kept"
                    );
                    return;
                }
                Err(error) => {
                    failures += 1;
                    if self.shutting_down.load(Ordering::Relaxed) {
                        failures_at_shutdown += 1;
                        if failures_at_shutdown > RETRIES_AT_SHUTDOWN {
                            tracing::error!(
                                %error,
                                records = batch.len(),
                                "shutting down with the store failing; audit records are lost"
                            );
                            return;
                        }
                    }
                    tracing::warn!(
                        %error,
                        records = batch.len(),
                        attempt = failures,
                        "appending to the audit log failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
        };
        if let Some(sink) = &self.sink {
            write_sink(sink.clone(), &rows).await;
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
    use std::sync::atomic::AtomicUsize;

    use async_trait::async_trait;
    use kinko_core::audit::{ResourceDecision, Verdict, verify};
    use kinko_store::{
        AccessKeyRecord, AuditLink, KmsAliasRecord, KmsKeyRecord, ParameterLookup, ParameterQuery,
        ParameterRecord, ParameterVersion, ParameterWrite, PutOutcome, SecretRecord, SecretState,
        SecretWrite, SqliteStore, Tag, UnlabelOutcome, VersionSelector, WriteOutcome,
    };

    use super::*;

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
        }
    }

    async fn all_rows(store: &dyn Store) -> Vec<AuditRow> {
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
        let store: Arc<dyn Store> =
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
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
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
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
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
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
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
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let missing = dir.path().join("no-such-dir").join("audit.jsonl");
        assert!(AuditLog::start(store, Some(AuditSink::File(missing))).is_err());
    }

    #[tokio::test]
    async fn store_failures_are_retried_in_order() {
        let store = Arc::new(FlakyStore {
            inner: SqliteStore::open_in_memory().unwrap(),
            failures_left: AtomicUsize::new(3),
            attempts: AtomicUsize::new(0),
        });
        let log = AuditLog::start(store.clone(), None).unwrap();
        for i in 0..50 {
            log.record(record(&format!("r{i}"))).await;
        }
        log.shutdown().await;
        assert!(store.attempts.load(Ordering::SeqCst) >= 4);
        let rows = all_rows(store.as_ref()).await;
        let ids: Vec<String> = rows.iter().map(request_id).collect();
        let expected: Vec<String> = (0..50).map(|i| format!("r{i}")).collect();
        assert_eq!(ids, expected);
        assert!(verify(store.as_ref()).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn shutdown_gives_up_on_a_store_that_stays_down() {
        let store = Arc::new(FlakyStore {
            inner: SqliteStore::open_in_memory().unwrap(),
            failures_left: AtomicUsize::new(usize::MAX),
            attempts: AtomicUsize::new(0),
        });
        let log = AuditLog::start(store.clone(), None).unwrap();
        log.record(record("lost")).await;
        log.shutdown().await;
        assert!(store.attempts.load(Ordering::SeqCst) > RETRIES_AT_SHUTDOWN as usize);
        assert!(all_rows(store.as_ref()).await.is_empty());
    }

    // ------------------------------------------------ tampering in SQLite

    /// A store file holding 20 records written through the log.
    async fn written_log(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("kinko.db");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
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

    // --------------------------------------------------- a flaky store

    /// SQLite's audit chain behind appends that fail the first few times.
    struct FlakyStore {
        inner: SqliteStore,
        failures_left: AtomicUsize,
        attempts: AtomicUsize,
    }

    fn unused<T>() -> Result<T, StoreError> {
        Err(StoreError::Unsupported("not in this test"))
    }

    #[async_trait]
    impl Store for FlakyStore {
        async fn append_audit(
            &self,
            records: &[(i64, String)],
            link: AuditLink,
        ) -> Result<Vec<AuditRow>, StoreError> {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            let left = self.failures_left.load(Ordering::SeqCst);
            if left > 0 {
                self.failures_left.store(left - 1, Ordering::SeqCst);
                return Err(StoreError::Unavailable("restarting".into()));
            }
            self.inner.append_audit(records, link).await
        }
        async fn read_audit(
            &self,
            after_seq: i64,
            limit: usize,
        ) -> Result<Vec<AuditRow>, StoreError> {
            self.inner.read_audit(after_seq, limit).await
        }
        async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
            self.inner.audit_head().await
        }

        async fn get_parameter(
            &self,
            _: &str,
            _: &str,
            _: &VersionSelector,
        ) -> Result<ParameterLookup, StoreError> {
            unused()
        }
        async fn parameter_history(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<Vec<ParameterVersion>>, StoreError> {
            unused()
        }
        async fn put_parameter_version(
            &self,
            _: &str,
            _: ParameterWrite,
        ) -> Result<PutOutcome, StoreError> {
            unused()
        }
        async fn delete_parameter(&self, _: &str, _: &str) -> Result<bool, StoreError> {
            unused()
        }
        async fn list_parameters(
            &self,
            _: &str,
            _: &ParameterQuery,
        ) -> Result<Vec<ParameterRecord>, StoreError> {
            unused()
        }
        async fn label_parameter_version(
            &self,
            _: &str,
            _: &str,
            _: Option<u32>,
            _: &[String],
            _: usize,
        ) -> Result<u32, StoreError> {
            unused()
        }
        async fn unlabel_parameter_version(
            &self,
            _: &str,
            _: &str,
            _: u32,
            _: &[String],
        ) -> Result<UnlabelOutcome, StoreError> {
            unused()
        }
        async fn add_parameter_tags(
            &self,
            _: &str,
            _: &str,
            _: &[Tag],
            _: usize,
        ) -> Result<(), StoreError> {
            unused()
        }
        async fn remove_parameter_tags(
            &self,
            _: &str,
            _: &str,
            _: &[String],
        ) -> Result<(), StoreError> {
            unused()
        }
        async fn get_kms_key(&self, _: &str, _: &str) -> Result<Option<KmsKeyRecord>, StoreError> {
            unused()
        }
        async fn get_kms_alias(&self, _: &str, _: &str) -> Result<Option<String>, StoreError> {
            unused()
        }
        async fn create_kms_key(&self, _: KmsKeyRecord, _: Option<&str>) -> Result<(), StoreError> {
            unused()
        }
        async fn list_kms_keys(&self, _: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
            unused()
        }
        async fn update_kms_key(&self, _: KmsKeyRecord) -> Result<(), StoreError> {
            unused()
        }
        async fn list_kms_aliases(&self, _: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
            unused()
        }
        async fn create_kms_alias(&self, _: KmsAliasRecord) -> Result<(), StoreError> {
            unused()
        }
        async fn update_kms_alias(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: i64,
        ) -> Result<(), StoreError> {
            unused()
        }
        async fn delete_kms_alias(&self, _: &str, _: &str) -> Result<bool, StoreError> {
            unused()
        }
        async fn get_secret(&self, _: &str, _: &str) -> Result<Option<SecretState>, StoreError> {
            unused()
        }
        async fn list_secrets(&self, _: &str) -> Result<Vec<SecretState>, StoreError> {
            unused()
        }
        async fn secrets_due_for_purge(&self, _: i64) -> Result<Vec<SecretRecord>, StoreError> {
            unused()
        }
        async fn write_secrets(&self, _: Vec<SecretWrite>) -> Result<WriteOutcome, StoreError> {
            unused()
        }
        async fn get_access_key(&self, _: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
            unused()
        }
        async fn create_access_key(&self, _: AccessKeyRecord) -> Result<(), StoreError> {
            unused()
        }
        async fn get_meta(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
            unused()
        }
        async fn init_meta(&self, _: &str, _: &[u8]) -> Result<Vec<u8>, StoreError> {
            unused()
        }
    }
}
