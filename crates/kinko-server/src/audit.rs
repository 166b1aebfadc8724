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
use prometheus_client::metrics::histogram::Histogram;
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
    /// Seconds each batch's append took (the metrics read it).
    write_seconds: Histogram,
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
        let write_seconds = crate::metrics::seconds_histogram();
        let writer = Writer {
            store,
            sink: sink.map(|s| Arc::new(Mutex::new(s))),
            shutting_down: shutting_down.clone(),
            health: health.clone(),
            write_seconds: write_seconds.clone(),
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
            write_seconds,
        })
    }

    /// Records queued for the writer now.
    pub fn queued(&self) -> usize {
        QUEUE_CAPACITY.saturating_sub(self.tx.capacity())
    }

    /// The histogram of batch append times (shared, not a copy).
    pub fn write_seconds(&self) -> Histogram {
        self.write_seconds.clone()
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
    write_seconds: Histogram,
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
            let started = std::time::Instant::now();
            let error = match self.store.append_audit(batch, link).await {
                Ok(rows) => {
                    self.write_seconds.observe(started.elapsed().as_secs_f64());
                    return Some(rows);
                }
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
mod tests;
