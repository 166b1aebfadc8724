//! `kinko server`'s flags and their `KINKO_…` variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use kinko_proxy::duration::parse_duration;

use super::resolve::{EmulateQuotas, LogFormat};

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on [default: 127.0.0.1:4566, LocalStack's port]
    #[arg(long, env = "KINKO_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Also serve Prometheus metrics (`GET /metrics`, unauthenticated) on
    /// this address, e.g. 127.0.0.1:9464 [default: off]
    #[arg(long, env = "KINKO_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Directory for the database, the root key and the admin credentials
    /// [default: ~/.local/share/kinko]
    #[arg(long, env = "KINKO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// In-memory store, any credentials accepted: for local development and tests
    #[arg(long, env = "KINKO_DEV")]
    pub dev: bool,
    /// Region of `kinko env` and of unsigned dev requests [default: us-east-1];
    /// every request is served in the region of its own credential scope
    #[arg(long, env = "KINKO_REGION")]
    pub region: Option<String>,
    /// Account id in ARNs [default: 000000000000]
    #[arg(long, env = "KINKO_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Root key file (base64, mode 0600) [default: DATA_DIR/root.key, created
    /// on first start]. KINKO_ROOT_KEY (base64) or KINKO_ROOT_PASSPHRASE
    /// (Argon2id) take precedence when set.
    #[arg(long, env = "KINKO_ROOT_KEY_FILE")]
    pub root_key_file: Option<PathBuf>,
    /// Store URL: `postgres://user@host/db` shares one PostgreSQL database
    /// between servers (migrations are applied on start; every server needs
    /// the same root key, from --root-key-file or KINKO_ROOT_KEY)
    /// [default: SQLite in DATA_DIR]
    #[arg(long, env = "KINKO_STORE", hide_env_values = true)]
    pub store: Option<String>,
    /// Longest a PostgreSQL store call may take (waiting for a connection,
    /// connecting, every statement) before its request fails with a 503 the
    /// SDKs retry: `500ms`, `5s`, `1m` [default: 5s]
    #[arg(long, env = "KINKO_STORE_TIMEOUT", value_parser = kinko_proxy::duration::parse_duration)]
    pub store_timeout: Option<std::time::Duration>,
    /// How long the change feed keeps its records (the watch API and
    /// webhooks resume within it; further behind, a watcher must resync):
    /// `12h`, `7d` [default: 7d]
    #[arg(long, env = "KINKO_CHANGE_RETENTION", value_parser = parse_duration)]
    pub change_retention: Option<std::time::Duration>,
    /// TOML file with the same settings (flags and env vars win over it)
    #[arg(long, env = "KINKO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Also stream the audit log as JSON lines to this file (created 0600)
    /// or to standard output with `-`; it is always kept in the store
    #[arg(long, env = "KINKO_AUDIT_LOG")]
    pub audit_log: Option<String>,
    /// Shortest role session accepted, in seconds [default: 900, as STS];
    /// lower only for tests that watch a session expire
    #[arg(long, env = "KINKO_MIN_SESSION_SECONDS", hide = true)]
    pub min_session_seconds: Option<i64>,
    /// Tests only: the server's clock is the wall clock plus the signed
    /// number of milliseconds in this file, re-read on every use, so a test
    /// moves time forward by rewriting it (deletion windows, policies, retries)
    #[arg(long, value_name = "PATH", hide = true)]
    pub test_clock_file: Option<PathBuf>,
    /// Throttle requests as AWS would: `aws` applies AWS's default request
    /// quotas (Parameter Store standard throughput, Secrets Manager, KMS)
    /// per Region and answers `ThrottlingException` above them [default: off]
    #[arg(long, env = "KINKO_EMULATE_QUOTAS", value_enum)]
    pub emulate_quotas: Option<EmulateQuotas>,
    /// PEM certificate chain: serve HTTPS (with --tls-key)
    #[arg(long, env = "KINKO_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert
    #[arg(long, env = "KINKO_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// How long a client may take to send a request's headers (on a new
    /// connection: its TLS handshake and first request) [default: 10s]
    #[arg(long, env = "KINKO_HEADER_TIMEOUT", value_parser = parse_duration)]
    pub header_timeout: Option<Duration>,
    /// How long a connection may stay open with no request in flight
    /// [default: 60s, as AWS's load balancers]
    #[arg(long, env = "KINKO_IDLE_TIMEOUT", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// How long a client may take to send a request's body after its
    /// headers [default: 30s]
    #[arg(long, env = "KINKO_REQUEST_TIMEOUT", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
    /// Most connections open at once [default: the open-files limit minus 64
    /// for the store and logs, at most 16384]
    #[arg(long, env = "KINKO_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Log format
    #[arg(long, env = "KINKO_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter (tracing syntax: `info`, `warn`, `kinko_server=debug`)
    #[arg(long, env = "KINKO_LOG")]
    pub log_level: Option<String>,
}
