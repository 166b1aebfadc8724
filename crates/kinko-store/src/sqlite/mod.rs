//! SQLite backend: one database file in WAL mode, or one in-memory database
//! for `kinko server --dev` and tests.
//!
//! # Concurrency
//!
//! rusqlite is synchronous, so every call runs on tokio's blocking pool.
//! Writes go through one writer connection behind a mutex, each in a
//! `BEGIN IMMEDIATE` transaction, which makes read-check-write sequences
//! (compare-and-swap on the latest version, label moves, tag caps) atomic even
//! against another process holding the file. Reads use a small pool of
//! `query_only` connections: WAL lets them run beside the writer and beside
//! each other, each inside one deferred transaction so a multi-query read
//! sees one snapshot. Statements are prepared once per connection and cached.
//!
//! The in-memory store uses its single connection for reads and writes: a
//! private in-memory database is visible to one connection only, and the
//! shared-cache alternative answers concurrent access with `SQLITE_LOCKED`
//! instead of waiting.
//!
//! # Durability
//!
//! The file store runs WAL with `synchronous=NORMAL`: a commit is appended
//! to the WAL with `write()` and the WAL is fsynced at checkpoints. An
//! acknowledged write therefore survives `kill -9` of the server (the data
//! is in the OS page cache, which the kernel writes out; the
//! `acknowledged_write_survives_kill_9` test kills a writer process and
//! reopens), but an OS crash or power loss can roll back the last few
//! commits (never corrupt the file). `FULL` fsyncs the WAL on every commit
//! and would also survive power loss, but measurement here says it cannot
//! reach the ~1,000 single-row write transactions/s target: the commit rate
//! is bound by fsync latency (~2.5 ms on this VM's disk), not by CPU.
//!
//! Measured on the 2-core build machine (debug build, other builds running,
//! a temp file on ext4 / virtio disk, 2,000 single-row
//! `put_parameter_version` transactions through the async API, one writer;
//! the ignored `write_rate` test, run with
//! `cargo test -p kinko-store write_rate -- --ignored --nocapture`):
//!
//! | synchronous | run 1 | run 2 |
//! |---|---|---|
//! | FULL   |   438 writes/s |   372 writes/s |
//! | NORMAL | 3,170 writes/s | 4,272 writes/s |
//!
//! Hence NORMAL. Deployments that need power-loss durability per write
//! should use the PostgreSQL backend (or a disk with a fast fsync, where
//! FULL would be worth revisiting).
//!
//! # Files
//!
//! The database file is created with mode 0600 before SQLite opens it (the
//! values are sealed, but wrapped keys and access-key records live there
//! too); SQLite gives the `-wal` and `-shm` files the mode of the database
//! file, and [`SqliteStore::open`] sets 0600 on them as well when it created
//! the database.

mod audit;
mod identity;
mod keys;
mod migrations;
mod parameters;
mod secrets;
mod snapshot;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use async_trait::async_trait;
use kinko_model::Tag;
use kinko_model::ssm::VersionSelector;
use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use crate::{
    AccessKeyRecord, AuditLink, AuditRow, KeyUse, KmsAliasRecord, KmsKeyRecord, ParameterLookup,
    ParameterQuery, ParameterRecord, ParameterVersion, ParameterWrite, PolicyRecord,
    PrincipalRecord, PutOutcome, SecretRecord, SecretState, SecretWrite, Store, StoreError,
    UnlabelOutcome, WriteOutcome,
};

/// Reader connections for a file store: enough for both cores plus requests
/// waiting on their results, few enough to keep file handles modest.
const READERS: usize = 4;

/// How long a statement waits for a lock held by another connection (or
/// process) before the call fails with [`StoreError::Unavailable`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements cached per connection; the store uses about 30.
const STATEMENT_CACHE: usize = 64;

/// A [`Store`] over SQLite. Cheap to clone: clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

struct Shared {
    writer: Mutex<Connection>,
    /// Empty for the in-memory store, whose reads use `writer`.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("readers", &self.shared.readers.len())
            .finish_non_exhaustive()
    }
}

/// The `synchronous` pragma; see "Durability" above for why `Normal`. Only
/// the measurement test opens with `Full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Synchronous {
    #[cfg_attr(not(test), allow(dead_code))]
    Full,
    Normal,
}

impl Synchronous {
    fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

impl SqliteStore {
    /// Opens (creating it, mode 0600, if missing) the database at `path`
    /// and brings its schema up to date. The parent directory must exist.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, Synchronous::Normal)
    }

    /// A fresh, empty database that lives as long as this store (and its
    /// clones). For `kinko server --dev` and tests.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        Ok(SqliteStore {
            shared: Arc::new(Shared {
                writer: Mutex::new(conn),
                readers: Vec::new(),
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    fn open_with(path: &Path, synchronous: Synchronous) -> Result<SqliteStore, StoreError> {
        let created = files::create_private(path)?;
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!(
                "the database refused WAL mode (journal_mode is {mode})"
            )));
        }
        writer.pragma_update(None, "synchronous", synchronous.pragma_value())?;
        migrations::migrate(&mut writer)?;
        if created {
            files::restrict_sidecars(path)?;
        }
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open(path)?;
            configure(&reader)?;
            reader.pragma_update(None, "query_only", true)?;
            readers.push(Mutex::new(reader));
        }
        Ok(SqliteStore {
            shared: Arc::new(Shared {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    /// Runs `f` on a reader connection inside one deferred transaction.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        // A free reader runs the read right here: an indexed point read
        // takes microseconds, less than handing it to the blocking pool and
        // waking a thread (a fifth of a GetParameter's CPU, measured with
        // perf). Only when every reader is busy does the read queue there.
        if let Some(mut conn) = self.shared.try_reader() {
            return read_in(&mut conn, f);
        }
        let shared = Arc::clone(&self.shared);
        run_blocking(move || read_in(&mut shared.reader(), f)).await
    }

    /// Runs `f` on the writer inside one IMMEDIATE transaction, committed
    /// when `f` returns `Ok` and rolled back (nothing written) on `Err`.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let mut conn = lock(&shared.writer);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

/// One read in one deferred transaction, so multi-query reads are consistent.
///
/// BEGIN and COMMIT run as cached statements: `Connection::transaction`
/// parses both on every call, which callgrind showed as ~5% of a read.
fn read_in<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if !conn.is_autocommit() {
        // A read that panicked left its transaction open: close it first.
        conn.prepare_cached("ROLLBACK")?.execute([])?;
    }
    conn.prepare_cached("BEGIN DEFERRED")?.execute([])?;
    match f(conn) {
        Ok(out) => {
            conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(out)
        }
        Err(err) => {
            // A read changed nothing; if the rollback fails, the next read
            // closes the transaction before it begins.
            let _ = conn
                .prepare_cached("ROLLBACK")
                .and_then(|mut s| s.execute([]));
            Err(err)
        }
    }
}

impl Shared {
    /// A reader connection nobody is using, without waiting.
    fn try_reader(&self) -> Option<MutexGuard<'_, Connection>> {
        let count = self.readers.len();
        if count == 0 {
            return None;
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % count;
        (0..count).find_map(
            |offset| match self.readers[(start + offset) % count].try_lock() {
                Ok(guard) => Some(guard),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            },
        )
    }

    /// A free reader if there is one, else waits for one in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let count = self.readers.len();
        if count == 0 {
            return lock(&self.writer);
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % count;
        for offset in 0..count {
            match self.readers[(start + offset) % count].try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        lock(&self.readers[start])
    }
}

/// A panic while holding a connection rolled its transaction back (the
/// `Transaction` guard drops during unwinding), so the connection is still
/// sound: keep serving instead of failing every later call.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // The bundled SQLite has STAT4, which marks bound parameters as
    // "re-prepare on bind": every cached statement was being re-parsed on
    // every execution (half of a GetParameter's instructions, measured with
    // callgrind). Our queries are fixed and indexed; a stable plan is what we want.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

async fn run_blocking<T, F>(f: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        // A panic message is not ours to repeat: it could quote anything.
        Err(err) if err.is_panic() => Err(StoreError::Backend("store task panicked".to_owned())),
        Err(_) => Err(StoreError::Backend("store task cancelled".to_owned())),
    }
}

/// Lock contention that outlasted the busy timeout is retryable; a full
/// disk is [`StoreError::OutOfSpace`] (SQLite rolled the transaction back,
/// and the WAL and the database file stay sound, so writes succeed again
/// once space is freed); anything else is a backend failure. rusqlite's
/// messages name columns and constraints, never bound values.
impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(err.to_string())
            }
            Some(ErrorCode::DiskFull) => StoreError::OutOfSpace,
            _ => StoreError::Backend(err.to_string()),
        }
    }
}

/// Creating the database file with the right mode before SQLite touches it.
mod files {
    use std::path::Path;

    use crate::StoreError;

    /// Creates `path` with mode 0600 if it does not exist; `true` when it
    /// created it.
    #[cfg(unix)]
    pub(super) fn create_private(path: &Path) -> Result<bool, StoreError> {
        use std::os::unix::fs::OpenOptionsExt;
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => {
                // The umask can only clear bits; set exactly 0600 anyway.
                set_private(path)?;
                Ok(true)
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(err) => Err(io_error("create", path, &err)),
        }
    }

    #[cfg(not(unix))]
    pub(super) fn create_private(path: &Path) -> Result<bool, StoreError> {
        Ok(!path.exists())
    }

    /// Sets 0600 on the `-wal` and `-shm` files that exist.
    pub(super) fn restrict_sidecars(path: &Path) -> Result<(), StoreError> {
        for suffix in ["-wal", "-shm"] {
            let mut sidecar = path.as_os_str().to_owned();
            sidecar.push(suffix);
            let sidecar = Path::new(&sidecar);
            if sidecar.exists() {
                set_private(sidecar)?;
            }
        }
        Ok(())
    }

    #[cfg(unix)]
    fn set_private(path: &Path) -> Result<(), StoreError> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|err| io_error("set permissions on", path, &err))
    }

    #[cfg(not(unix))]
    fn set_private(_path: &Path) -> Result<(), StoreError> {
        Ok(())
    }

    fn io_error(action: &str, path: &Path, err: &std::io::Error) -> StoreError {
        StoreError::Backend(format!("cannot {action} {}: {err}", path.display()))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get_parameter(
        &self,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<ParameterLookup, StoreError> {
        let (region, name, selector) = (region.to_owned(), name.to_owned(), selector.clone());
        self.read(move |conn| parameters::get_parameter(conn, &region, &name, &selector))
            .await
    }

    async fn parameter_history(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<Vec<ParameterVersion>>, StoreError> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.read(move |conn| parameters::parameter_history(conn, &region, &name))
            .await
    }

    async fn put_parameter_version(
        &self,
        region: &str,
        write: ParameterWrite,
    ) -> Result<PutOutcome, StoreError> {
        let region = region.to_owned();
        self.write(move |conn| parameters::put_parameter_version(conn, &region, &write))
            .await
    }

    async fn delete_parameter(&self, region: &str, name: &str) -> Result<bool, StoreError> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.write(move |conn| parameters::delete_parameter(conn, &region, &name))
            .await
    }

    async fn list_parameters(
        &self,
        region: &str,
        query: &ParameterQuery,
    ) -> Result<Vec<ParameterRecord>, StoreError> {
        let (region, query) = (region.to_owned(), query.clone());
        self.read(move |conn| parameters::list_parameters(conn, &region, &query))
            .await
    }

    async fn label_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: Option<u32>,
        labels: &[String],
        max_labels: usize,
    ) -> Result<u32, StoreError> {
        let (region, name, labels) = (region.to_owned(), name.to_owned(), labels.to_vec());
        self.write(move |conn| {
            parameters::label_parameter_version(conn, &region, &name, version, &labels, max_labels)
        })
        .await
    }

    async fn unlabel_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: u32,
        labels: &[String],
    ) -> Result<UnlabelOutcome, StoreError> {
        let (region, name, labels) = (region.to_owned(), name.to_owned(), labels.to_vec());
        self.write(move |conn| {
            parameters::unlabel_parameter_version(conn, &region, &name, version, &labels)
        })
        .await
    }

    async fn add_parameter_tags(
        &self,
        region: &str,
        name: &str,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        let (region, name, tags) = (region.to_owned(), name.to_owned(), tags.to_vec());
        self.write(move |conn| {
            parameters::add_parameter_tags(conn, &region, &name, &tags, max_tags)
        })
        .await
    }

    async fn remove_parameter_tags(
        &self,
        region: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(), StoreError> {
        let (region, name, keys) = (region.to_owned(), name.to_owned(), keys.to_vec());
        self.write(move |conn| parameters::remove_parameter_tags(conn, &region, &name, &keys))
            .await
    }

    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError> {
        let (region, key_id) = (region.to_owned(), key_id.to_owned());
        self.read(move |conn| keys::get_kms_key(conn, &region, &key_id))
            .await
    }

    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError> {
        let (region, alias) = (region.to_owned(), alias.to_owned());
        self.read(move |conn| keys::get_kms_alias(conn, &region, &alias))
            .await
    }

    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
    ) -> Result<(), StoreError> {
        let alias = alias.map(str::to_owned);
        self.write(move |conn| keys::create_kms_key(conn, &key, alias.as_deref()))
            .await
    }

    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
        let region = region.to_owned();
        self.read(move |conn| keys::list_kms_keys(conn, &region))
            .await
    }

    async fn update_kms_key(&self, key: KmsKeyRecord) -> Result<(), StoreError> {
        self.write(move |conn| keys::update_kms_key(conn, &key))
            .await
    }

    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
        let region = region.to_owned();
        self.read(move |conn| keys::list_kms_aliases(conn, &region))
            .await
    }

    async fn create_kms_alias(&self, alias: KmsAliasRecord) -> Result<(), StoreError> {
        self.write(move |conn| keys::create_kms_alias(conn, &alias))
            .await
    }

    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
    ) -> Result<(), StoreError> {
        let (region, alias, key_id) = (region.to_owned(), alias.to_owned(), key_id.to_owned());
        self.write(move |conn| keys::update_kms_alias(conn, &region, &alias, &key_id, updated_ms))
            .await
    }

    async fn delete_kms_alias(&self, region: &str, alias: &str) -> Result<bool, StoreError> {
        let (region, alias) = (region.to_owned(), alias.to_owned());
        self.write(move |conn| keys::delete_kms_alias(conn, &region, &alias))
            .await
    }

    async fn get_secret(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<SecretState>, StoreError> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.read(move |conn| secrets::get_secret(conn, &region, &name))
            .await
    }

    async fn list_secrets(&self, region: &str) -> Result<Vec<SecretState>, StoreError> {
        let region = region.to_owned();
        self.read(move |conn| secrets::list_secrets(conn, &region))
            .await
    }

    async fn secrets_due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRecord>, StoreError> {
        self.read(move |conn| secrets::secrets_due_for_purge(conn, now_ms))
            .await
    }

    async fn write_secrets(&self, writes: Vec<SecretWrite>) -> Result<WriteOutcome, StoreError> {
        self.write(move |conn| secrets::write_secrets(conn, &writes))
            .await
    }

    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.read(move |conn| keys::get_access_key(conn, &access_key_id))
            .await
    }

    async fn create_access_key(&self, key: AccessKeyRecord) -> Result<(), StoreError> {
        self.write(move |conn| keys::create_access_key(conn, &key))
            .await
    }

    async fn create_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        self.write(move |conn| identity::create_principal(conn, &principal))
            .await
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| identity::get_principal(conn, &name))
            .await
    }

    async fn get_principal_by_arn(&self, arn: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |conn| identity::get_principal_by_arn(conn, &arn))
            .await
    }

    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        self.read(identity::list_principals).await
    }

    async fn update_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        self.write(move |conn| identity::update_principal(conn, &principal))
            .await
    }

    async fn delete_principal(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.write(move |conn| identity::delete_principal(conn, &name))
            .await
    }

    async fn put_policy(&self, policy: PolicyRecord) -> Result<(), StoreError> {
        self.write(move |conn| identity::put_policy(conn, &policy))
            .await
    }

    async fn get_policy(
        &self,
        principal_arn: &str,
        name: &str,
    ) -> Result<Option<PolicyRecord>, StoreError> {
        let (principal_arn, name) = (principal_arn.to_owned(), name.to_owned());
        self.read(move |conn| identity::get_policy(conn, &principal_arn, &name))
            .await
    }

    async fn list_policies(&self, principal_arn: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        let principal_arn = principal_arn.to_owned();
        self.read(move |conn| identity::list_policies(conn, &principal_arn))
            .await
    }

    async fn delete_policy(&self, principal_arn: &str, name: &str) -> Result<bool, StoreError> {
        let (principal_arn, name) = (principal_arn.to_owned(), name.to_owned());
        self.write(move |conn| identity::delete_policy(conn, &principal_arn, &name))
            .await
    }

    async fn create_access_key_limited(
        &self,
        key: AccessKeyRecord,
        max_usable: usize,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(move |conn| identity::create_access_key_limited(conn, &key, max_usable, now_ms))
            .await
    }

    async fn list_access_keys(
        &self,
        principal_arn: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let principal_arn = principal_arn.map(str::to_owned);
        self.read(move |conn| identity::list_access_keys(conn, principal_arn.as_deref()))
            .await
    }

    async fn update_access_key(
        &self,
        access_key_id: &str,
        active: bool,
        retire_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.write(move |conn| identity::update_access_key(conn, &access_key_id, active, retire_ms))
            .await
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.write(move |conn| identity::delete_access_key(conn, &access_key_id))
            .await
    }

    async fn record_key_use(&self, uses: &[KeyUse]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        let uses = uses.to_vec();
        self.write(move |conn| identity::record_key_use(conn, &uses))
            .await
    }

    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let records = records.to_vec();
        self.write(move |conn| audit::append_audit(conn, &records, link))
            .await
    }

    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        // On the blocking pool: a page of audit rows is not a point read.
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            read_in(&mut shared.reader(), |conn| {
                audit::read_audit(conn, after_seq, limit)
            })
        })
        .await
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        self.read(audit::audit_head).await
    }

    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = key.to_owned();
        self.read(move |conn| keys::get_meta(conn, &key)).await
    }

    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (key, value) = (key.to_owned(), value.to_vec());
        self.write(move |conn| keys::init_meta(conn, &key, &value))
            .await
    }

    async fn export_snapshot(&self) -> Result<crate::Snapshot, StoreError> {
        // On the blocking pool even when a reader is free: an export reads
        // everything, far too long to run on an async worker.
        let shared = Arc::clone(&self.shared);
        run_blocking(move || read_in(&mut shared.reader(), snapshot::export)).await
    }

    async fn import_snapshot(&self, snapshot: &crate::Snapshot) -> Result<(), StoreError> {
        let snapshot = snapshot.clone();
        self.write(move |conn| snapshot::import(conn, &snapshot))
            .await
    }
}

#[cfg(test)]
mod tests;
