//! The composition root: [`Server::open`] turns a [`ServerConfig`] into a
//! running server's parts (store, keyring, credentials, services, audit
//! log), and [`Server::listen`] / [`Listening::serve`] put them on a socket
//! with the schedulers beside them. The `kinko server` command only builds
//! the config; tests and embedding programs call the same three functions
//! (or take [`Server::router`] to drive the app without a socket).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use kinko_aws::Services;
use kinko_aws::sigv4::SigningKeyCache;
use kinko_core::audit::AuditReader;
use kinko_core::credentials::{Credentials, CredentialsError};
use kinko_core::keyring::{Keyring, KeyringError};
use kinko_core::kms::Kms;
use kinko_core::principals::{Identity, IdentityError};
use kinko_core::secrets::SecretsManager;
use kinko_core::ssm::ParameterStore;
use kinko_crypto::RootKey;
use kinko_store::{PostgresStore, SqliteStore, Store, StoreError};
use tokio::net::TcpListener;

use crate::app::{AppState, ServerSettings};
use crate::audit::AuditLog;
use crate::config::{ServerConfig, StoreLocation};
use crate::data_dir::{self, DataDir, FileError};
use crate::listener::{Limits, TlsError};
use crate::root_key::{self, RootKeyError};

/// Largest accepted request body. Secrets Manager values go up to 64 KiB;
/// anything much larger is not a valid request for these APIs.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Meta key naming the bootstrap admin's access key.
const ADMIN_KEY_META: &str = "admin-access-key-id";

/// Why a server could not start. Each message says what to do and never
/// shows a key or a store password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    DataDir(#[from] FileError),
    #[error(transparent)]
    RootKey(#[from] RootKeyError),
    #[error("cannot open the in-memory store")]
    InMemoryStore(#[source] StoreError),
    #[error("cannot open the store {}", path.display())]
    SqliteStore {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error("cannot open the PostgreSQL store")]
    PostgresStore(#[source] StoreError),
    #[error(
        "the root key from {source_name} does not open this store: start with the key it was created with"
    )]
    WrongRootKey { source_name: String },
    #[error("cannot check the root key against the store")]
    CheckRootKey(#[source] KeyringError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("corrupt admin key id in the store")]
    CorruptAdminKeyId,
    #[error("the admin access key recorded in the store is missing")]
    AdminKeyMissing,
    #[error("cannot create the bootstrap admin's policy")]
    BootstrapPolicy(#[source] IdentityError),
    #[error("cannot open the audit log file")]
    AuditFile(#[source] std::io::Error),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the listening address")]
    LocalAddr(#[source] std::io::Error),
}

/// A server ready to listen: every part built, nothing served yet.
pub struct Server {
    config: ServerConfig,
    data: DataDir,
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    identity: Arc<Identity>,
    audit: AuditLog,
    state: Arc<AppState>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Server {
    /// Opens (or, on a first start, creates) the data directory, the root
    /// key and the store; checks the key opens the store; makes sure the
    /// bootstrap admin and its access key exist (not in `--dev`); starts the
    /// audit log; builds the services.
    pub async fn open(config: ServerConfig) -> Result<Server, OpenError> {
        let data = DataDir::new(config.data_dir.clone());
        let (store, root) = open_store(&config, &data).await?;

        let keyring = Arc::new(Keyring::new(store.clone(), root, config.account_id.clone()));
        if let Err(err) = keyring.verify_root_key().await {
            return Err(match err {
                KeyringError::WrongRootKey => OpenError::WrongRootKey {
                    source_name: config.root_key.describe(),
                },
                other => OpenError::CheckRootKey(other),
            });
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
        match crate::jwks_fetch::HttpJwksFetcher::new() {
            Ok(fetcher) => identity = identity.with_jwks_fetcher(Arc::new(fetcher)),
            // Inline JWKS still work; fetched ones answer IDPCommunicationError.
            Err(e) => tracing::warn!(error = %e, "no HTTP client for OIDC providers' keys"),
        }
        let identity = Arc::new(identity);
        if !config.dev {
            ensure_admin_credentials(&*store, &credentials, &config, &data).await?;
            let admin_arn = kinko_model::arn::iam_user(&config.region, &config.account_id, "admin");
            identity
                .ensure_bootstrap_admin(&admin_arn)
                .await
                .map_err(OpenError::BootstrapPolicy)?;
        }
        let audit = AuditLog::start(store.clone(), config.audit_log.clone())
            .map_err(OpenError::AuditFile)?;

        let secrets = Arc::new(
            SecretsManager::new(store.clone(), keyring.clone()).with_clock(config.clock.clone()),
        );
        let webhooks = crate::webhook_send::webhooks(
            store.clone(),
            keyring.clone(),
            config.clock.clone(),
            secrets.clone(),
        );
        let metrics = config.metrics_listen.is_some().then(|| {
            Arc::new(crate::metrics::Metrics::new(Some(
                crate::metrics::Sources {
                    keyring: keyring.clone(),
                    credentials: credentials.clone(),
                    audit: Some(audit.clone()),
                },
            )))
        });
        let state = Arc::new(AppState {
            services: Services {
                ssm: ParameterStore::new(store.clone(), keyring.clone())
                    .with_secrets(secrets.clone()),
                secrets,
                kms: Kms::new(store.clone(), keyring.clone()),
                identity: identity.clone(),
                audit: AuditReader::new(store.clone()),
                webhooks,
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
            throttle: config.emulate_quotas.then(kinko_aws::quotas::Throttle::new),
            feed: Some(crate::watch::Feed::follow(
                store.clone(),
                crate::watch::HEAD_POLL,
            )),
            metrics,
        });
        let tls = match &config.tls {
            Some((cert, key)) => Some(crate::listener::tls_config(cert, key)?),
            None => None,
        };
        Ok(Server {
            config,
            data,
            store,
            keyring,
            identity,
            audit,
            state,
            tls,
        })
    }

    /// The app, to drive without a socket (kinko-testkit's in-process
    /// connector). No scheduler runs for it.
    pub fn router(&self) -> Router {
        crate::app::router(self.state.clone())
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The data directory (its credentials file holds the admin key).
    pub fn data_dir(&self) -> &DataDir {
        &self.data
    }

    /// Binds the configured address and, outside `--dev`, records the
    /// endpoint in the data directory for `kinko env`.
    pub async fn listen(self) -> Result<Listening, OpenError> {
        let addr = self.config.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| OpenError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(OpenError::LocalAddr)?;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        // A wildcard address is reached on loopback from this machine.
        let host = if local.ip().is_unspecified() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
        } else {
            local
        };
        let endpoint = format!("{scheme}://{host}");
        if !self.config.dev {
            let info =
                serde_json::json!({ "endpoint_url": endpoint, "region": self.config.region });
            data_dir::write_private(&self.data.server_info(), info.to_string().as_bytes())?;
        }
        let metrics_listener = match self.config.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| OpenError::Bind { addr, source })?,
            ),
            None => None,
        };
        Ok(Listening {
            server: self,
            listener,
            endpoint,
            metrics_listener,
        })
    }
}

/// A server bound to its address, not yet serving.
pub struct Listening {
    server: Server,
    listener: TcpListener,
    endpoint: String,
    /// `--metrics-listen`'s socket, bound with the API's so that a taken
    /// port fails the start.
    metrics_listener: Option<TcpListener>,
}

impl Listening {
    /// `http://127.0.0.1:PORT` (or `https://…`), as clients should call it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn limits(&self) -> Limits {
        self.server.config.limits
    }

    /// `http://ADDR/metrics`'s address, with `--metrics-listen`.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref()?.local_addr().ok()
    }

    /// Serves until `shutdown` resolves, with the schedulers running; then
    /// lets in-flight requests finish and drains the audit queue and the
    /// keys' last use, so nothing acknowledged goes unrecorded.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let Listening {
            server,
            listener,
            metrics_listener,
            ..
        } = self;
        let state = server.state.clone();
        let metrics = state.metrics.clone();
        if let (Some(metrics), Some(listener)) = (&metrics, metrics_listener) {
            crate::scheduler::spawn_metrics_sampler(
                server.store.clone(),
                metrics.clone(),
                crate::scheduler::METRICS_SAMPLE_INTERVAL,
            );
            let metrics = metrics.clone();
            tokio::spawn(async move {
                // Ends with the runtime; a failing accept loop is logged.
                let never = std::future::pending::<()>();
                if let Err(error) = crate::metrics::serve(listener, metrics, never).await {
                    tracing::warn!(%error, "the metrics listener stopped");
                }
            });
        }
        // Several servers on one PostgreSQL store: caches follow the
        // others' changes, and the purge runs on one server at a time.
        crate::scheduler::spawn_invalidations(
            &*server.store,
            server.keyring.clone(),
            state.credentials.clone(),
            Some(server.identity.clone()),
        );
        crate::scheduler::spawn_key_use_flush(state.credentials.clone());
        crate::scheduler::spawn_purge(
            server.store.clone(),
            state.services.secrets.clone(),
            crate::scheduler::PURGE_INTERVAL,
            metrics.clone(),
        );
        crate::scheduler::spawn_change_trim(
            server.store.clone(),
            server.config.clock.clone(),
            server.config.change_retention,
            crate::scheduler::CHANGE_TRIM_INTERVAL,
            metrics.clone(),
        );
        crate::scheduler::spawn_parameter_policies(
            server.store.clone(),
            kinko_core::ssm::PolicyRunner::new(
                server.store.clone(),
                server.config.clock.clone(),
                &server.config.account_id,
            ),
            crate::scheduler::PARAMETER_POLICY_INTERVAL,
            metrics.clone(),
        );
        crate::scheduler::spawn_webhook_delivery(
            server.store.clone(),
            state.services.webhooks.clone(),
            crate::scheduler::WEBHOOK_POLL,
            metrics.clone(),
        );
        crate::scheduler::spawn_key_rotation(
            server.store.clone(),
            Kms::new(server.store.clone(), server.keyring.clone()),
            crate::scheduler::KEY_ROTATION_INTERVAL,
            metrics.clone(),
        );
        let app = crate::app::router(state.clone());
        crate::listener::serve(
            listener,
            app,
            server.tls.clone(),
            server.config.limits,
            shutdown,
        )
        .await?;
        server.audit.shutdown().await;
        if let Err(error) = state.credentials.flush_key_use().await {
            tracing::warn!(%error, "cannot record access keys' last use");
        }
        Ok(())
    }
}

/// The store and the root key: in memory for `--dev`; otherwise from the
/// data directory (created 0700 on first start) or PostgreSQL.
async fn open_store(
    config: &ServerConfig,
    data: &DataDir,
) -> Result<(Arc<dyn Store>, RootKey), OpenError> {
    if config.dev {
        let store = SqliteStore::open_in_memory().map_err(OpenError::InMemoryStore)?;
        return Ok((Arc::new(store), RootKey::generate()));
    }
    data.create()?;
    let root = root_key::load(&config.root_key, data)?;
    let store: Arc<dyn Store> = match &config.store {
        StoreLocation::DataDir => {
            let path = data.database();
            Arc::new(
                SqliteStore::open(&path)
                    .map_err(|source| OpenError::SqliteStore { path, source })?,
            )
        }
        StoreLocation::Postgres(url) => Arc::new(
            PostgresStore::open_with_timeout(url.expose(), config.store_timeout)
                .await
                .map_err(OpenError::PostgresStore)?,
        ),
    };
    Ok((store, root))
}

/// On first start, creates the admin access key; on every start, makes sure
/// the credentials file for it exists (it is re-written from the store if
/// someone deleted it).
async fn ensure_admin_credentials(
    store: &dyn Store,
    credentials: &Credentials,
    config: &ServerConfig,
    data: &DataDir,
) -> Result<(), OpenError> {
    let admin_arn = kinko_model::arn::iam_user(&config.region, &config.account_id, "admin");
    let existing = store.get_meta(ADMIN_KEY_META).await?;
    let stored = match existing {
        Some(id) => id,
        None => {
            let key = credentials.create(&admin_arn).await?;
            store
                .init_meta(ADMIN_KEY_META, key.access_key_id.as_bytes())
                .await?
        }
    };
    let key_id = String::from_utf8(stored).map_err(|_| OpenError::CorruptAdminKeyId)?;
    if data.credentials().exists() {
        return Ok(());
    }
    let key = credentials
        .lookup(&key_id)
        .await?
        .ok_or(OpenError::AdminKeyMissing)?;
    let file = kinko_crypto::SecretString::from(format!(
        "# Written by `kinko server`: the admin access key of {}.\n[kinko]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        data.root.display(),
        key_id,
        key.secret.expose()
    ));
    data_dir::write_private(&data.credentials(), file.expose().as_bytes())?;
    Ok(())
}
