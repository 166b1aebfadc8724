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

mod audit;
mod cluster;
mod identity;
mod keys;
mod migrations;
mod parameters;
pub mod schema;
mod secrets;
mod snapshot;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{
    Client, GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime,
};
use deadpool_postgres::{Hook, HookError};
use kinko_model::Tag;
use kinko_model::ssm::VersionSelector;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};

use crate::{
    AccessKeyRecord, AuditLink, AuditRow, Invalidation, KeyUse, KmsAliasRecord, KmsKeyRecord,
    ParameterLookup, ParameterQuery, ParameterRecord, ParameterVersion, ParameterWrite,
    PolicyRecord, PrincipalRecord, PutOutcome, SecretRecord, SecretState, SecretWrite,
    SingletonGuard, Snapshot, Store, StoreError, UnlabelOutcome, WriteOutcome,
};

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

/// A [`Store`] over PostgreSQL. Cheap to clone: clones share the pool.
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

/// Runs `$body` (an expression using the pooled connection `$client`,
/// returning `Result<T, StoreError>`, awaited inside) within the store's
/// deadline: waiting for the connection and the body together. Out of
/// time, the connection is closed (see [`PostgresStore::abandon`]) and the
/// call is `Unavailable`.
macro_rules! with_client {
    ($store:expr, |$client:ident| $body:expr) => {{
        let store: &PostgresStore = $store;
        let deadline = tokio::time::Instant::now() + store.timeout;
        #[allow(unused_mut)]
        let mut $client = store.client_by(deadline).await?;
        // The body's future (which borrows the connection) is dropped at the
        // end of this statement, so the connection is free to close after it.
        let outcome = tokio::time::timeout_at(deadline, async { $body }).await;
        match outcome {
            Ok(result) => result,
            Err(_) => Err(store.abandon($client)),
        }
    }};
}

/// Runs `$body` (an expression using `$tx`, returning a future of
/// `Result<T, StoreError>`) in one transaction within the store's deadline:
/// committed on `Ok`, rolled back on `Err`. `read` is a REPEATABLE READ, READ ONLY snapshot; `write`
/// is READ COMMITTED, where the body takes its own row locks.
macro_rules! transaction {
    ($store:expr, read, |$tx:ident| $body:expr) => {
        with_client!($store, |client| {
            let $tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            transaction!(@finish $tx, $body)
        })
    };
    ($store:expr, write, |$tx:ident| $body:expr) => {
        with_client!($store, |client| {
            let $tx = client.transaction().await?;
            transaction!(@finish $tx, $body)
        })
    };
    (@finish $tx:ident, $body:expr) => {{
        match $body.await {
            Ok(out) => {
                $tx.commit().await?;
                Ok(out)
            }
            Err(err) => {
                // Best effort: a failed rollback means a dead connection,
                // which the pool discards anyway.
                let _ = $tx.rollback().await;
                Err(err)
            }
        }
    }};
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

#[async_trait]
impl Store for PostgresStore {
    async fn get_parameter(
        &self,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<ParameterLookup, StoreError> {
        let wanted = match selector {
            VersionSelector::Latest => None,
            VersionSelector::Version(version) => Some(*version),
            // A label needs a second lookup: read both in one snapshot.
            VersionSelector::Label(_) => {
                return transaction!(self, read, |tx| parameters::get_parameter(
                    &tx, region, name, selector
                ));
            }
        };
        with_client!(self, |client| {
            parameters::get_parameter_in_one_query(&client, region, name, wanted).await
        })
    }

    async fn parameter_history(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<Vec<ParameterVersion>>, StoreError> {
        transaction!(self, read, |tx| parameters::parameter_history(
            &tx, region, name
        ))
    }

    async fn put_parameter_version(
        &self,
        region: &str,
        write: ParameterWrite,
    ) -> Result<PutOutcome, StoreError> {
        transaction!(self, write, |tx| parameters::put_parameter_version(
            &tx, region, &write
        ))
    }

    async fn delete_parameter(&self, region: &str, name: &str) -> Result<bool, StoreError> {
        // One statement: versions, labels and tags go with it (ON DELETE CASCADE).
        with_client!(self, |client| {
            let deleted = execute(
                &client,
                "DELETE FROM parameters WHERE region = $1 AND name = $2",
                &[&region, &name],
            )
            .await?;
            Ok(deleted > 0)
        })
    }

    async fn list_parameters(
        &self,
        region: &str,
        query: &ParameterQuery,
    ) -> Result<Vec<ParameterRecord>, StoreError> {
        transaction!(self, read, |tx| parameters::list_parameters(
            &tx, region, query
        ))
    }

    async fn label_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: Option<u32>,
        labels: &[String],
        max_labels: usize,
    ) -> Result<u32, StoreError> {
        transaction!(self, write, |tx| parameters::label_parameter_version(
            &tx, region, name, version, labels, max_labels
        ))
    }

    async fn unlabel_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: u32,
        labels: &[String],
    ) -> Result<UnlabelOutcome, StoreError> {
        transaction!(self, write, |tx| parameters::unlabel_parameter_version(
            &tx, region, name, version, labels
        ))
    }

    async fn add_parameter_tags(
        &self,
        region: &str,
        name: &str,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| parameters::add_parameter_tags(
            &tx, region, name, tags, max_tags
        ))
    }

    async fn remove_parameter_tags(
        &self,
        region: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| parameters::remove_parameter_tags(
            &tx, region, name, keys
        ))
    }

    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError> {
        with_client!(self, |client| keys::get_kms_key(&client, region, key_id)
            .await)
    }

    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError> {
        with_client!(self, |client| {
            keys::get_kms_alias(&client, region, alias).await
        })
    }

    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| keys::create_kms_key(&tx, &key, alias))
    }

    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
        with_client!(self, |client| {
            keys::list_kms_keys(&client, region).await
        })
    }

    async fn update_kms_key(&self, key: KmsKeyRecord) -> Result<(), StoreError> {
        with_client!(self, |client| keys::update_kms_key(&client, &key).await)
    }

    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
        with_client!(self, |client| {
            keys::list_kms_aliases(&client, region).await
        })
    }

    async fn create_kms_alias(&self, alias: KmsAliasRecord) -> Result<(), StoreError> {
        transaction!(self, write, |tx| keys::create_kms_alias(&tx, &alias))
    }

    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| keys::update_kms_alias(
            &tx, region, alias, key_id, updated_ms
        ))
    }

    async fn delete_kms_alias(&self, region: &str, alias: &str) -> Result<bool, StoreError> {
        with_client!(self, |client| {
            keys::delete_kms_alias(&client, region, alias).await
        })
    }

    async fn get_secret(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<SecretState>, StoreError> {
        transaction!(self, read, |tx| secrets::get_secret(&tx, region, name))
    }

    async fn list_secrets(&self, region: &str) -> Result<Vec<SecretState>, StoreError> {
        transaction!(self, read, |tx| secrets::list_secrets(&tx, region))
    }

    async fn secrets_due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRecord>, StoreError> {
        transaction!(self, read, |tx| secrets::secrets_due_for_purge(&tx, now_ms))
    }

    async fn write_secrets(&self, writes: Vec<SecretWrite>) -> Result<WriteOutcome, StoreError> {
        with_client!(self, |client| {
            let tx = client.transaction().await?;
            match secrets::write_secrets(&tx, &writes).await {
                Ok(WriteOutcome::Written) => {
                    tx.commit().await?;
                    Ok(WriteOutcome::Written)
                }
                // Nothing of the batch may stay: undo the writes already applied.
                Ok(WriteOutcome::Conflict) => {
                    tx.rollback().await?;
                    Ok(WriteOutcome::Conflict)
                }
                Err(err) => {
                    let _ = tx.rollback().await;
                    Err(err)
                }
            }
        })
    }

    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, StoreError> {
        with_client!(self, |client| {
            keys::get_access_key(&client, access_key_id).await
        })
    }

    async fn create_access_key(&self, key: AccessKeyRecord) -> Result<(), StoreError> {
        with_client!(self, |client| {
            keys::create_access_key(&client, &key).await
        })
    }

    async fn create_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        with_client!(self, |client| {
            identity::create_principal(&client, &principal).await
        })
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        with_client!(self, |client| {
            identity::get_principal(&client, name).await
        })
    }

    async fn get_principal_by_arn(&self, arn: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        with_client!(self, |client| {
            identity::get_principal_by_arn(&client, arn).await
        })
    }

    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        with_client!(self, |client| identity::list_principals(&client).await)
    }

    async fn update_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        with_client!(self, |client| {
            identity::update_principal(&client, &principal).await
        })
    }

    async fn delete_principal(&self, name: &str) -> Result<bool, StoreError> {
        transaction!(self, write, |tx| identity::delete_principal(&tx, name))
    }

    async fn put_policy(&self, policy: PolicyRecord) -> Result<(), StoreError> {
        transaction!(self, write, |tx| identity::put_policy(&tx, &policy))
    }

    async fn get_policy(
        &self,
        principal_arn: &str,
        name: &str,
    ) -> Result<Option<PolicyRecord>, StoreError> {
        with_client!(self, |client| {
            identity::get_policy(&client, principal_arn, name).await
        })
    }

    async fn list_policies(&self, principal_arn: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        with_client!(self, |client| {
            identity::list_policies(&client, principal_arn).await
        })
    }

    async fn delete_policy(&self, principal_arn: &str, name: &str) -> Result<bool, StoreError> {
        with_client!(self, |client| {
            identity::delete_policy(&client, principal_arn, name).await
        })
    }

    async fn create_access_key_limited(
        &self,
        key: AccessKeyRecord,
        max_usable: usize,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, write, |tx| identity::create_access_key_limited(
            &tx, &key, max_usable, now_ms
        ))
    }

    async fn list_access_keys(
        &self,
        principal_arn: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        with_client!(self, |client| {
            identity::list_access_keys(&client, principal_arn).await
        })
    }

    async fn update_access_key(
        &self,
        access_key_id: &str,
        active: bool,
        retire_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        with_client!(self, |client| {
            identity::update_access_key(&client, access_key_id, active, retire_ms).await
        })
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        with_client!(self, |client| {
            identity::delete_access_key(&client, access_key_id).await
        })
    }

    async fn record_key_use(&self, uses: &[KeyUse]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        transaction!(self, write, |tx| identity::record_key_use(&tx, uses))
    }

    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        transaction!(self, write, |tx| audit::append_audit(&tx, records, link))
    }

    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        with_client!(self, |client| {
            audit::read_audit(&client, after_seq, limit).await
        })
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        with_client!(self, |client| audit::audit_head(&client).await)
    }

    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        with_client!(self, |client| keys::get_meta(&client, key).await)
    }

    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        with_client!(self, |client| {
            keys::init_meta(&client, key, value).await
        })
    }

    /// Without a deadline, here or on the server: a whole store may take
    /// longer to read than one request may wait.
    async fn export_snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        tx.batch_execute(NO_SERVER_TIMEOUTS).await?;
        transaction!(@finish tx, snapshot::export(&tx))
    }

    /// Without a deadline, as [`Self::export_snapshot`].
    async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.batch_execute(NO_SERVER_TIMEOUTS).await?;
        transaction!(@finish tx, snapshot::import(&tx, snapshot))
    }

    async fn publish_invalidation(&self, event: &Invalidation) -> Result<(), StoreError> {
        let payload = cluster::notify_payload(event);
        with_client!(self, |client| {
            execute(&client, cluster::NOTIFY_SQL, &[&payload]).await?;
            Ok(())
        })
    }

    /// Starts the LISTEN session on first use (it needs a runtime: `None`
    /// outside one). Every (re)connect of that session emits
    /// [`Invalidation::All`], since notifications sent while it was down are lost.
    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<Invalidation>> {
        let mut slot = self
            .invalidations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = slot.as_ref() {
            return Some(sender.subscribe());
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let sender = Arc::new(cluster::new_sender());
        let receiver = sender.subscribe();
        cluster::spawn_listener(
            Arc::clone(&self.config),
            Arc::downgrade(&sender),
            self.timeout,
            &runtime,
        );
        *slot = Some(sender);
        Some(receiver)
    }

    async fn try_singleton_lock(&self, job: &str) -> Result<Option<SingletonGuard>, StoreError> {
        cluster::try_lock(&self.config, job, self.timeout).await
    }
}

#[cfg(test)]
mod tests;
