//! PostgreSQL backend: several kinko servers share one database.
//!
//! # Concurrency
//!
//! Every write is one transaction at READ COMMITTED that first locks what it
//! changes, so read-check-write sequences are atomic across connections and
//! across servers:
//!
//! - parameters: `SELECT … FOR UPDATE` on the parameter's row before the
//!   compare-and-swap, a label move or a tag cap check; a create is an
//!   `INSERT … ON CONFLICT DO NOTHING`, so of two concurrent creates one
//!   inserts and the other sees [`PutOutcome::Conflict`].
//! - secrets: a batch takes a transaction-scoped advisory lock per secret,
//!   in sorted order (so two batches never deadlock, and a create of a name
//!   that does not exist yet is serialized too), then checks revisions.
//! - KMS keys, aliases, access keys, principals, meta: single-row inserts
//!   with `ON CONFLICT DO NOTHING`, whose row count says who won.
//! - principals, policies, access-key limits: see `identity.rs`.
//! - the audit chain: every append locks the one-row head (see `audit.rs`).
//!
//! Reads that take several queries run in one REPEATABLE READ, READ ONLY
//! transaction, so they see one snapshot; single-query reads (the access key
//! lookup on every request) run without one.
//!
//! # Connections
//!
//! A deadpool pool of tokio-postgres connections; statements are prepared
//! once per connection and cached. Connections the server closed are
//! dropped when they return to the pool, so the store recovers by itself
//! when PostgreSQL is back.
//!
//! # Deadlines
//!
//! Every store call has one deadline, the store's timeout (default
//! [`DEFAULT_TIMEOUT`], `kinko server --store-timeout`): waiting for a
//! pooled connection, opening one and every statement of the call must fit
//! in it, or the call fails with [`StoreError::Unavailable`] (a retryable
//! 503). So a PostgreSQL that answers slowly, a stalled network or a lock
//! another session holds never leaves a request hanging. A call that ran
//! out of time closes its connection instead of handing it back: it may be
//! mid-statement or stalled, and must not make the next call wait too.
//!
//! The server side is bounded as well: every pooled session sets
//! `statement_timeout` and `idle_in_transaction_session_timeout` to the same
//! timeout (settings in the URL's `options` win), so PostgreSQL cancels a
//! statement kinko stopped waiting for and ends a session whose kinko went
//! silent mid-transaction, releasing its row locks for the other servers.
//! Migrations and backup snapshots run without either limit.
//!
//! A write is acknowledged only after its COMMIT returned. A call that
//! timed out before that is not acknowledged: it was rolled back, or, if
//! the deadline passed while the COMMIT was on its way, it may have
//! committed. Either way nothing acknowledged is lost.
//!
//! The schema is whatever `search_path` selects (set it with
//! `?options=-csearch_path%3Dkinko` in the URL); TLS to PostgreSQL is not
//! supported yet (the connection uses `NoTls`, so `sslmode=require` fails).

#[macro_use]
mod macros;

mod audit;
mod changes;
mod cluster;
mod identity;
mod keys;
mod meta;
mod migrations;
mod parameters;
mod policy_actions;
pub mod schema;
mod secrets;
mod snapshot;
mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{
    Client, GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime,
};
use deadpool_postgres::{Hook, HookError};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::{Invalidation, StoreError};

pub use migrations::Migration;

/// Connections per server: enough for both cores and the requests waiting
/// on the database, few enough that a handful of servers stay well under
/// PostgreSQL's default `max_connections` (100).
const POOL_SIZE: usize = 16;

/// How long one store call may take, from waiting for a connection to its
/// last row, unless the server is given another: short, because a client
/// retrying a 503 beats a hung request; as long as SQLite's lock wait.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Server-side limits lifted for the statements that may rightly take
/// long: migrations, and backup snapshots of the whole store.
const NO_SERVER_TIMEOUTS: &str =
    "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0";

/// A [`crate::Store`] over PostgreSQL. Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// For the sessions outside the pool (LISTEN, advisory locks).
    config: Arc<tokio_postgres::Config>,
    /// Invalidations heard on LISTEN, once someone asked for them; the
    /// listener task ends when the last clone of the store is gone.
    invalidations: Arc<Mutex<Option<Arc<tokio::sync::broadcast::Sender<Invalidation>>>>>,
    /// The deadline of one store call (see "Deadlines").
    timeout: Duration,
}

impl std::fmt::Debug for PostgresStore {
    // The URL may carry a password: never print the configuration.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresStore")
            .field("max_size", &status.max_size)
            .field("size", &status.size)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db?options=…`) and
    /// brings the schema up to date, with the [`DEFAULT_TIMEOUT`]. Fails
    /// (as `Unavailable`) when PostgreSQL cannot be reached.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        Self::open_with_timeout(url, DEFAULT_TIMEOUT).await
    }

    /// [`Self::open`] with `timeout` as the deadline of every store call.
    pub async fn open_with_timeout(
        url: &str,
        timeout: Duration,
    ) -> Result<PostgresStore, StoreError> {
        let store = Self::connect_with_timeout(url, timeout)?;
        store.migrate().await?;
        Ok(store)
    }

    /// A store over `url` without touching the database yet: connections
    /// open on first use. For `kinko migrate`, which runs [`Self::migrate`]
    /// itself; servers use [`Self::open`].
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with_timeout(url, DEFAULT_TIMEOUT)
    }

    /// [`Self::connect`] with `timeout` as the deadline of every store call
    /// (at least a millisecond: PostgreSQL reads 0 as "no limit").
    pub fn connect_with_timeout(url: &str, timeout: Duration) -> Result<PostgresStore, StoreError> {
        let timeout_ms = timeout.as_millis();
        if timeout_ms == 0 {
            return Err(StoreError::Backend(
                "the store timeout must be at least 1 ms".to_owned(),
            ));
        }
        let mut config: tokio_postgres::Config = url.parse().map_err(|err| {
            // The parser's message names the bad option, never the password.
            StoreError::Backend(format!("invalid PostgreSQL connection string: {err}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("kinko");
        }
        let settings: Arc<str> = session_settings(config.get_options(), timeout_ms).into();
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .post_create(Hook::async_fn(move |client, _| {
                let settings = Arc::clone(&settings);
                Box::pin(async move {
                    if settings.is_empty() {
                        return Ok(());
                    }
                    client
                        .batch_execute(&settings)
                        .await
                        .map_err(HookError::Backend)
                })
            }))
            .build()
            .map_err(|err| {
                StoreError::Backend(format!("cannot build the connection pool: {err}"))
            })?;
        Ok(PostgresStore {
            pool,
            config: Arc::new(config),
            invalidations: Arc::new(Mutex::new(None)),
            timeout,
        })
    }

    /// Applies the migrations this build knows and the database lacks, in
    /// one transaction under an advisory lock, so servers starting together
    /// migrate once. A schema newer than this build is refused.
    pub async fn migrate(&self) -> Result<Migration, StoreError> {
        let mut client = self.client().await?;
        migrations::migrate(&mut client).await
    }

    /// A pooled connection, waited for within the pool's timeouts only:
    /// for the calls that run without a deadline (migrations, snapshots).
    async fn client(&self) -> Result<Client, StoreError> {
        Ok(self.pool.get().await?)
    }

    /// A pooled connection, if one is free or opens before `deadline`.
    async fn client_by(&self, deadline: tokio::time::Instant) -> Result<Client, StoreError> {
        match tokio::time::timeout_at(deadline, self.pool.get()).await {
            Ok(client) => Ok(client?),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Closes the connection of a call that ran out of time instead of
    /// returning it to the pool: it may still be waiting on a statement or
    /// on a stalled network. PostgreSQL rolls back what was not committed.
    fn abandon(&self, client: Client) -> StoreError {
        drop(deadpool_postgres::Object::take(client));
        self.timed_out()
    }

    fn timed_out(&self) -> StoreError {
        StoreError::Unavailable(format!(
            "PostgreSQL did not answer within the store timeout ({} ms)",
            self.timeout.as_millis()
        ))
    }
}

/// The `SET`s that bound a pooled session on PostgreSQL's side (see
/// "Deadlines"), run once per new connection rather than sent as startup
/// `options`, which connection poolers such as PgBouncer refuse. A setting
/// the URL's own `options` name is left as the URL says.
fn session_settings(url_options: Option<&str>, timeout_ms: u128) -> String {
    let url_options = url_options.unwrap_or_default();
    ["statement_timeout", "idle_in_transaction_session_timeout"]
        .iter()
        .filter(|name| !url_options.split_whitespace().any(|o| mentions(o, name)))
        .map(|name| format!("SET {name} = {timeout_ms}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether one `options` word (`-cNAME=…`, `NAME=…` after a `-c`) sets `name`.
fn mentions(option: &str, name: &str) -> bool {
    let option = option.trim_start_matches("-c").trim_start_matches("--");
    option
        .split_once('=')
        .is_some_and(|(key, _)| key.trim().replace('-', "_") == *name)
}

// ---- query helpers: every statement is prepared once per connection ----

async fn query(
    conn: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    let stmt = conn.prepare_cached(sql).await?;
    Ok(conn.query(&stmt, params).await?)
}

async fn query_opt(
    conn: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, StoreError> {
    let stmt = conn.prepare_cached(sql).await?;
    Ok(conn.query_opt(&stmt, params).await?)
}

async fn query_one(
    conn: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Row, StoreError> {
    let stmt = conn.prepare_cached(sql).await?;
    Ok(conn.query_one(&stmt, params).await?)
}

async fn execute(
    conn: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    let stmt = conn.prepare_cached(sql).await?;
    Ok(conn.execute(&stmt, params).await?)
}

/// Version numbers are `u32` in the records and BIGINT in the schema; both
/// directions are checked rather than cast.
fn to_u32(stored: i64) -> Result<u32, StoreError> {
    u32::try_from(stored)
        .map_err(|_| StoreError::Backend(format!("stored number {stored} out of range")))
}

fn to_u64(stored: i64) -> Result<u64, StoreError> {
    u64::try_from(stored)
        .map_err(|_| StoreError::Backend(format!("stored number {stored} out of range")))
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Backend(format!("number {value} out of range")))
}

fn count(row: &Row) -> Result<usize, StoreError> {
    let count: i64 = row.try_get(0)?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

// ---- errors ----

/// SQLSTATEs that mean "the database is going away or cannot take us now":
/// the request may succeed if retried, so they map to `Unavailable`.
/// Serialization failures and deadlocks are retryable as well; the locking
/// above avoids both, but a client retry is the right answer if one happens.
/// So are the session's own timeouts (see "Deadlines"): a statement that
/// waited too long for a lock, a session ended for idling in a transaction.
fn is_retryable(code: &SqlState) -> bool {
    code.code().starts_with("08") // connection exception class
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::QUERY_CANCELED,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
        ]
        .contains(code)
}

/// Connection failures are retryable, everything else is a backend error.
/// The message is built from PostgreSQL's message and SQLSTATE only: the
/// `DETAIL` of, say, a unique violation quotes the row's key values.
impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        if let Some(db) = err.as_db_error() {
            if *db.code() == SqlState::DISK_FULL {
                return StoreError::OutOfSpace;
            }
            let text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            return if is_retryable(db.code()) {
                StoreError::Unavailable(text)
            } else {
                StoreError::Backend(text)
            };
        }
        let source = std::error::Error::source(&err);
        let io = source.is_some_and(|source| source.is::<std::io::Error>());
        // The source is an I/O or protocol error ("Connection refused"),
        // which says why without quoting anything we sent.
        let text = match source {
            Some(source) => format!("{err}: {source}"),
            None => err.to_string(),
        };
        if io
            || err.is_closed()
            || text.starts_with("timeout")
            || text.starts_with("error connecting")
        {
            StoreError::Unavailable(text)
        } else {
            StoreError::Backend(text)
        }
    }
}

impl From<PoolError> for StoreError {
    fn from(err: PoolError) -> Self {
        match err {
            PoolError::Backend(err) => err.into(),
            PoolError::Timeout(kind) => {
                StoreError::Unavailable(format!("no database connection: {kind:?} timed out"))
            }
            PoolError::Closed => StoreError::Unavailable("the connection pool is closed".into()),
            PoolError::PostCreateHook(HookError::Backend(err)) => err.into(),
            other => StoreError::Backend(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests;
