//! `kinko server`: open (or create) the data directory, the root key and the
//! store, make sure an admin access key exists, and serve until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kinko_aws::Services;
use kinko_aws::sigv4::SigningKeyCache;
use kinko_core::credentials::Credentials;
use kinko_core::keyring::Keyring;
use kinko_core::kms::Kms;
use kinko_core::principals::Identity;
use kinko_core::secrets::SecretsManager;
use kinko_core::ssm::ParameterStore;
use kinko_crypto::RootKey;
use kinko_proxy::duration::parse_duration;
use kinko_server::audit::AuditLog;
use kinko_server::{AppState, ServerSettings};
use kinko_store::{PostgresStore, SqliteStore, Store};

use crate::config::{LogFormat, ServerConfig, StoreLocation};
use crate::paths::{self, DataDir};

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on [default: 127.0.0.1:4566, LocalStack's port]
    #[arg(long, env = "KINKO_LISTEN")]
    pub listen: Option<SocketAddr>,
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

/// Settings that the request path needs beyond the config.
const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    let config = ServerConfig::resolve(args)?;
    init_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))
}

fn init_logging(config: &ServerConfig) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn serve(config: ServerConfig) -> anyhow::Result<()> {
    let data = DataDir::new(config.data_dir.clone());
    let (store, root): (Arc<dyn Store>, RootKey) = if config.dev {
        let store = SqliteStore::open_in_memory().context("cannot open the in-memory store")?;
        (Arc::new(store), RootKey::generate())
    } else {
        data.create()?;
        let root = crate::root_key::load(&config.root_key, &data)?;
        let store: Arc<dyn Store> = match &config.store {
            StoreLocation::DataDir => {
                Arc::new(SqliteStore::open(&data.database()).with_context(|| {
                    format!("cannot open the store {}", data.database().display())
                })?)
            }
            StoreLocation::Postgres(url) => Arc::new(
                PostgresStore::open_with_timeout(url.expose(), config.store_timeout)
                    .await
                    .context("cannot open the PostgreSQL store")?,
            ),
        };
        (store, root)
    };

    let keyring = Arc::new(Keyring::new(store.clone(), root, config.account_id.clone()));
    if let Err(err) = keyring.verify_root_key().await {
        match err {
            kinko_core::keyring::KeyringError::WrongRootKey => anyhow::bail!(
                "the root key from {} does not open this store: start with the key it was created with",
                crate::root_key::describe(&config.root_key)
            ),
            other => return Err(other).context("cannot check the root key against the store"),
        }
    }
    let credentials = Arc::new(Credentials::new(store.clone(), keyring.clone()));
    let mut identity = Identity::new(
        store.clone(),
        credentials.clone(),
        config.account_id.clone(),
        &config.region,
    );
    if let Some(seconds) = config.min_session_seconds {
        identity = identity.with_min_session_seconds(seconds);
    }
    let identity = Arc::new(identity);
    if !config.dev {
        ensure_admin_credentials(&*store, &credentials, &config, &data).await?;
        let admin_arn = kinko_model::arn::iam_user(&config.region, &config.account_id, "admin");
        identity
            .ensure_bootstrap_admin(&admin_arn)
            .await
            .context("cannot create the bootstrap admin's policy")?;
    }
    let audit = AuditLog::start(store.clone(), config.audit_log.clone())
        .context("cannot open the audit log file")?;

    let secrets = Arc::new(SecretsManager::new(store.clone(), keyring.clone()));
    let state = Arc::new(AppState {
        services: Services {
            ssm: ParameterStore::new(store.clone(), keyring.clone()).with_secrets(secrets.clone()),
            secrets,
            kms: Kms::new(store.clone(), keyring.clone()),
            identity: identity.clone(),
        },
        credentials,
        signing_keys: SigningKeyCache::new(),
        settings: ServerSettings {
            account_id: config.account_id.clone(),
            default_region: config.region.clone(),
            dev: config.dev,
            max_body_bytes: MAX_BODY_BYTES,
        },
        audit: Some(audit.clone()),
        resource_policies: Arc::default(),
    });

    let tls = match &config.tls {
        Some((cert, key)) => Some(kinko_server::listener::tls_config(cert, key)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let host = if local.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
    } else {
        local
    };
    let endpoint = format!("{scheme}://{host}");
    if !config.dev {
        let info = serde_json::json!({ "endpoint_url": endpoint, "region": config.region });
        paths::write_private(&data.server_info(), info.to_string().as_bytes())?;
    }
    let limits = config.limits;
    tracing::info!(
        %endpoint,
        dev = config.dev,
        region = %config.region,
        header_timeout = ?limits.header_timeout.get(),
        idle_timeout = ?limits.idle_timeout.get(),
        request_timeout = ?limits.request_timeout.get(),
        max_connections = limits.max_connections.get(),
        "kinko listening"
    );
    let open_files = kinko_server::listener::open_files_limit();
    if !limits.max_connections.fits(open_files) {
        tracing::warn!(
            max_connections = limits.max_connections.get(),
            open_files_limit = open_files,
            "--max-connections {} leaves too few of the {} files this process may open for the store and logs: \
             when they run out, accepting connections fails and backs off; raise the open-files limit \
             (ulimit -n, systemd LimitNOFILE) or lower --max-connections",
            limits.max_connections.get(),
            open_files.unwrap_or_default()
        );
    }
    if config.dev {
        eprintln!("kinko (dev mode: in-memory, any credentials accepted) listening on {endpoint}");
    } else {
        eprintln!("kinko listening on {endpoint}");
        eprintln!(
            "admin credentials: {} (profile kinko); run: eval \"$(kinko env --data-dir {})\"",
            data.credentials().display(),
            data.root.display()
        );
    }

    // Several servers on one PostgreSQL store: caches follow the others'
    // changes, and the purge runs on one server at a time.
    kinko_server::scheduler::spawn_invalidations(
        &*store,
        keyring.clone(),
        state.credentials.clone(),
        Some(identity.clone()),
    );
    kinko_server::scheduler::spawn_key_use_flush(state.credentials.clone());
    kinko_server::scheduler::spawn_purge(
        store.clone(),
        state.services.secrets.clone(),
        kinko_server::scheduler::PURGE_INTERVAL,
    );
    let credentials = state.credentials.clone();
    let app = kinko_server::router(state);
    kinko_server::listener::serve(listener, app, tls, limits, shutdown_signal()).await?;
    // Nothing acknowledged goes unrecorded: drain the audit queue and the
    // keys' last use before exiting.
    audit.shutdown().await;
    if let Err(error) = credentials.flush_key_use().await {
        tracing::warn!(%error, "cannot record access keys' last use");
    }
    Ok(())
}

/// Meta key naming the bootstrap admin's access key.
const ADMIN_KEY_META: &str = "admin-access-key-id";

/// On first start, creates the admin access key; on every start, makes sure
/// the credentials file for it exists (it is re-written from the store if
/// someone deleted it).
async fn ensure_admin_credentials(
    store: &dyn Store,
    credentials: &Credentials,
    config: &ServerConfig,
    data: &DataDir,
) -> anyhow::Result<()> {
    let admin_arn = kinko_model::arn::iam_user(&config.region, &config.account_id, "admin");
    let existing = store.get_meta(ADMIN_KEY_META).await?;
    let key_id = match existing {
        Some(id) => String::from_utf8(id).context("corrupt admin key id in the store")?,
        None => {
            let key = credentials.create(&admin_arn).await?;
            let stored = store
                .init_meta(ADMIN_KEY_META, key.access_key_id.as_bytes())
                .await?;
            String::from_utf8(stored).context("corrupt admin key id in the store")?
        }
    };
    if data.credentials().exists() {
        return Ok(());
    }
    let key = credentials
        .lookup(&key_id)
        .await?
        .context("the admin access key recorded in the store is missing")?;
    let file = format!(
        "# Written by `kinko server`: the admin access key of {}.\n[kinko]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        data.root.display(),
        key_id,
        key.secret.expose()
    );
    paths::write_private(&data.credentials(), file.as_bytes())?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
