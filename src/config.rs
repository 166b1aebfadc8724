//! Server configuration: flags, then `KINKO_…` environment variables (both
//! through clap), then the optional TOML file, then defaults. Parsed once
//! into [`ServerConfig`], whose fields are already validated.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::cli::server::ServerArgs;
use crate::paths;

/// The TOML file (`--config FILE`): the same settings as the flags, in
/// snake_case. Unknown keys are an error, so a typo does not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub dev: Option<bool>,
    pub region: Option<String>,
    pub account_id: Option<String>,
    pub root_key_file: Option<PathBuf>,
    /// `postgres://…` to share one PostgreSQL database between servers.
    pub store: Option<String>,
    /// The PostgreSQL store's deadline per call: `"500ms"`, `"5s"`.
    pub store_timeout: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    /// Also stream audit records as JSON lines: a file path, or `-` for stdout.
    pub audit_log: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the root key comes from, in order of precedence.
#[derive(Debug, Clone)]
pub enum RootKeySource {
    /// Base64 in `KINKO_ROOT_KEY` (containers, secrets injected by the platform).
    Env(kinko_crypto::SecretString),
    /// A passphrase in `KINKO_ROOT_PASSPHRASE`, stretched with Argon2id.
    Passphrase(kinko_crypto::SecretString),
    /// A key file (created 0600 on first start when it is the default one).
    File { path: PathBuf, create: bool },
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    /// SQLite in the data directory (the default).
    DataDir,
    /// A PostgreSQL database shared by any number of servers. The URL may
    /// carry a password, hence the redacting wrapper.
    Postgres(kinko_crypto::SecretString),
}

impl StoreLocation {
    /// Parses `--store`: only PostgreSQL URLs for now (SQLite is the default
    /// and lives in the data directory).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(StoreLocation::Postgres(url.into()))
        } else {
            // Do not echo the value: it may be a URL with a password.
            bail!("--store must be a postgres:// or postgresql:// URL")
        }
    }
}

#[derive(Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub dev: bool,
    pub region: String,
    pub account_id: String,
    pub root_key: RootKeySource,
    pub store: StoreLocation,
    /// Deadline of one PostgreSQL store call (unused with SQLite).
    pub store_timeout: std::time::Duration,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub log_format: LogFormat,
    pub log_level: String,
    /// Where audit records are streamed besides the store.
    pub audit_log: Option<kinko_server::audit::AuditSink>,
    pub min_session_seconds: Option<i64>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:4566";
pub const DEFAULT_REGION: &str = "us-east-1";
/// LocalStack's account id, so existing local setups see familiar ARNs.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

impl ServerConfig {
    pub fn resolve(args: ServerArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        let listen = match args.listen.or(file.listen) {
            Some(addr) => addr,
            None => DEFAULT_LISTEN.parse()?,
        };
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(paths::default_data_dir);
        let region = args
            .region
            .or(file.region)
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        if !kinko_server::auth::is_region(&region) {
            bail!("--region {region:?} is not a region name like us-east-1");
        }
        let account_id = args
            .account_id
            .or(file.account_id)
            .unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_owned());
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            bail!("--account-id must be 12 digits, not {account_id:?}");
        }
        let root_key = if let Some(text) = non_empty_env("KINKO_ROOT_KEY") {
            RootKeySource::Env(text.into())
        } else if let Some(text) = non_empty_env("KINKO_ROOT_PASSPHRASE") {
            RootKeySource::Passphrase(text.into())
        } else if let Some(path) = args.root_key_file.or(file.root_key_file) {
            RootKeySource::File {
                path,
                create: false,
            }
        } else {
            RootKeySource::File {
                path: paths::DataDir::new(data_dir.clone()).root_key(),
                create: true,
            }
        };
        let store = match args.store.or(file.store) {
            Some(url) => StoreLocation::parse(&url)?,
            None => StoreLocation::DataDir,
        };
        check_shared_root_key(&store, &root_key, args.dev || file.dev.unwrap_or(false))?;
        let store_timeout = store_timeout(&store, args.store_timeout, file.store_timeout)?;
        let tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        Ok(Self {
            listen,
            data_dir,
            dev: args.dev || file.dev.unwrap_or(false),
            region,
            account_id,
            root_key,
            store,
            store_timeout,
            tls,
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            log_level: args
                .log_level
                .or(file.log_level)
                .unwrap_or_else(|| "info".to_owned()),
            audit_log: args
                .audit_log
                .or(file.audit_log)
                .map(|target| match target.as_str() {
                    "-" => kinko_server::audit::AuditSink::Stdout,
                    path => kinko_server::audit::AuditSink::File(PathBuf::from(path)),
                }),
            min_session_seconds: args.min_session_seconds,
        })
    }
}

/// Servers sharing a PostgreSQL store must all hold the same root key, so it
/// has to come from somewhere the operator distributes: a key file or
/// `KINKO_ROOT_KEY`. A key generated in one server's data directory, or a
/// passphrase whose salt lives there, would differ between servers.
fn check_shared_root_key(
    store: &StoreLocation,
    root_key: &RootKeySource,
    dev: bool,
) -> anyhow::Result<()> {
    if !matches!(store, StoreLocation::Postgres(_)) {
        return Ok(());
    }
    if dev {
        bail!("--dev uses an in-memory store; it cannot be combined with --store");
    }
    match root_key {
        RootKeySource::Env(_) | RootKeySource::File { create: false, .. } => Ok(()),
        RootKeySource::Passphrase(_) => bail!(
            "with --store postgres://…, give the root key as --root-key-file or KINKO_ROOT_KEY \
             (the same on every server); KINKO_ROOT_PASSPHRASE keeps its salt in one server's data directory"
        ),
        RootKeySource::File { create: true, .. } => bail!(
            "with --store postgres://…, give the root key as --root-key-file or KINKO_ROOT_KEY \
             (the same on every server), so that every server can open the shared data"
        ),
    }
}

/// `--store-timeout` (a flag wins over the file): only for PostgreSQL,
/// whose calls wait on the network; more than zero.
fn store_timeout(
    store: &StoreLocation,
    flag: Option<std::time::Duration>,
    file: Option<String>,
) -> anyhow::Result<std::time::Duration> {
    let given = match (flag, file) {
        (Some(timeout), _) => Some(timeout),
        (None, Some(text)) => Some(
            kinko_proxy::duration::parse_duration(&text)
                .with_context(|| "store_timeout in the config file")?,
        ),
        (None, None) => None,
    };
    let Some(timeout) = given else {
        return Ok(kinko_store::postgres::DEFAULT_TIMEOUT);
    };
    if !matches!(store, StoreLocation::Postgres(_)) {
        bail!("--store-timeout applies to a PostgreSQL store (--store postgres://…)");
    }
    if timeout.as_millis() == 0 {
        bail!("--store-timeout must be at least 1ms");
    }
    Ok(timeout)
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn load_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let err = toml::from_str::<FileConfig>("listen = \"127.0.0.1:1\"\nregoin = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("regoin"), "{err}");
    }

    #[test]
    fn store_urls() {
        assert!(matches!(
            StoreLocation::parse("postgres://u@h/db").unwrap(),
            StoreLocation::Postgres(_)
        ));
        assert!(matches!(
            StoreLocation::parse("postgresql://u@h/db").unwrap(),
            StoreLocation::Postgres(_)
        ));
        let err = StoreLocation::parse("mysql://u:hunter2@h/db")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let file: FileConfig = toml::from_str("store = \"postgres://h/db\"\n").unwrap();
        assert_eq!(file.store.as_deref(), Some("postgres://h/db"));
    }

    #[test]
    fn postgres_needs_a_root_key_every_server_shares() {
        let pg = StoreLocation::Postgres("postgres://h/db".into());
        let default_file = RootKeySource::File {
            path: PathBuf::from("/data/root.key"),
            create: true,
        };
        let given_file = RootKeySource::File {
            path: PathBuf::from("/etc/kinko/root.key"),
            create: false,
        };
        assert!(check_shared_root_key(&pg, &default_file, false).is_err());
        assert!(check_shared_root_key(&pg, &RootKeySource::Passphrase("p".into()), false).is_err());
        assert!(check_shared_root_key(&pg, &given_file, false).is_ok());
        assert!(check_shared_root_key(&pg, &RootKeySource::Env("k".into()), false).is_ok());
        assert!(
            check_shared_root_key(&pg, &given_file, true).is_err(),
            "--dev with --store"
        );
        assert!(check_shared_root_key(&StoreLocation::DataDir, &default_file, false).is_ok());
    }

    #[test]
    fn store_timeout_is_for_postgres_and_more_than_zero() {
        use std::time::Duration;
        let pg = StoreLocation::Postgres("postgres://h/db".into());
        assert_eq!(
            store_timeout(&pg, None, None).unwrap(),
            Duration::from_secs(5)
        );
        assert_eq!(
            store_timeout(&pg, Some(Duration::from_millis(800)), Some("9s".into())).unwrap(),
            Duration::from_millis(800),
            "the flag wins over the file"
        );
        assert_eq!(
            store_timeout(&pg, None, Some("2s".into())).unwrap(),
            Duration::from_secs(2)
        );
        assert!(store_timeout(&pg, None, Some("soon".into())).is_err());
        assert!(store_timeout(&pg, Some(Duration::ZERO), None).is_err());
        let err = store_timeout(&StoreLocation::DataDir, Some(Duration::from_secs(1)), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("PostgreSQL"), "{err}");
        assert!(store_timeout(&StoreLocation::DataDir, None, None).is_ok());
    }

    #[test]
    fn file_values_parse() {
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:9000\"\nregion = \"eu-north-1\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        assert_eq!(file.listen, Some("127.0.0.1:9000".parse().unwrap()));
        assert_eq!(file.log_format, Some(LogFormat::Json));
    }
}
