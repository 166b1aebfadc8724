//! [`ServerConfig`]: everything [`crate::Server::open`] needs, already
//! validated. The binary builds it from flags, `KINKO_…` variables and a
//! TOML file; a test or an embedding program builds it directly
//! ([`ServerConfig::dev`] for an in-memory server).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kinko_core::clock::{Clock, SystemClock};

use crate::audit::AuditSink;
use crate::listener::{Limits, MaxConnections, open_files_limit};
use crate::root_key::RootKeySource;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:4566";
pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
/// The PostgreSQL store's deadline per call when none is given.
pub const DEFAULT_STORE_TIMEOUT: Duration = kinko_store::postgres::DEFAULT_TIMEOUT;

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    /// SQLite in the data directory (the default).
    DataDir,
    /// A PostgreSQL database shared by any number of servers. The URL may
    /// carry a password, hence the redacting wrapper.
    Postgres(kinko_crypto::SecretString),
}

/// `--store` was given something other than a PostgreSQL URL. The value is
/// not repeated: it may be a URL with a password.
#[derive(Debug, thiserror::Error)]
#[error("--store must be a postgres:// or postgresql:// URL")]
pub struct InvalidStoreUrl;

impl StoreLocation {
    /// Parses `--store`: only PostgreSQL URLs for now (SQLite is the default
    /// and lives in the data directory).
    pub fn parse(url: &str) -> Result<Self, InvalidStoreUrl> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(StoreLocation::Postgres(url.into()))
        } else {
            Err(InvalidStoreUrl)
        }
    }
}

/// A server's settings, validated.
#[derive(Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// In-memory store, a fresh root key, any credentials accepted; nothing
    /// is written to `data_dir`.
    pub dev: bool,
    pub region: String,
    pub account_id: String,
    pub root_key: RootKeySource,
    pub store: StoreLocation,
    pub store_timeout: Duration,
    /// PEM certificate chain and private key: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Also stream audit records as JSON lines here.
    pub audit_log: Option<AuditSink>,
    /// Shortest role session accepted (tests that watch one expire).
    pub min_session_seconds: Option<i64>,
    /// How long the change feed keeps records (`--change-retention`).
    pub change_retention: Duration,
    /// Where `GET /metrics` is served (`--metrics-listen`); none by default.
    pub metrics_listen: Option<SocketAddr>,
    pub limits: Limits,
    /// Throttle requests at AWS's default quotas (`--emulate-quotas aws`).
    pub emulate_quotas: bool,
    /// Where every service and scheduler job reads "now"; the wall clock
    /// except in tests (`--test-clock-file`).
    pub clock: Arc<dyn Clock>,
}

impl ServerConfig {
    /// An in-memory `--dev` server on `listen` with every other setting at
    /// its default: for tests and local experiments.
    pub fn dev(listen: SocketAddr) -> ServerConfig {
        let data_dir = crate::data_dir::default_data_dir();
        ServerConfig {
            listen,
            root_key: RootKeySource::File {
                path: crate::data_dir::DataDir::new(data_dir.clone()).root_key(),
                create: true,
            },
            data_dir,
            dev: true,
            region: DEFAULT_REGION.to_owned(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            store: StoreLocation::DataDir,
            store_timeout: DEFAULT_STORE_TIMEOUT,
            tls: None,
            audit_log: None,
            min_session_seconds: None,
            change_retention: crate::scheduler::DEFAULT_CHANGE_RETENTION,
            metrics_listen: None,
            emulate_quotas: false,
            clock: Arc::new(SystemClock),
            limits: Limits {
                header_timeout: Limits::DEFAULT_HEADER_TIMEOUT,
                idle_timeout: Limits::DEFAULT_IDLE_TIMEOUT,
                request_timeout: Limits::DEFAULT_REQUEST_TIMEOUT,
                max_connections: MaxConnections::for_open_files(open_files_limit()),
            },
        }
    }
}
