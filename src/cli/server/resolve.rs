//! `kinko server`'s settings: flags, then `KINKO_…` environment variables
//! (both through clap), then the optional TOML file, then defaults. Resolved
//! once into the library's [`ServerConfig`], whose fields are validated,
//! and the [`Logging`] the binary sets up itself.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use kinko_proxy::duration::parse_duration;
use kinko_server::ServerConfig;
use kinko_server::config::{DEFAULT_ACCOUNT_ID, DEFAULT_LISTEN, DEFAULT_REGION, StoreLocation};
use kinko_server::data_dir::{self, DataDir};
use kinko_server::listener::{Limits, MaxConnections, Timeout};
use kinko_server::root_key::RootKeySource;
use serde::Deserialize;

use super::args::ServerArgs;

/// The TOML file (`--config FILE`): the same settings as the flags, in
/// snake_case. Unknown keys are an error, so a typo does not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub metrics_listen: Option<SocketAddr>,
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
    /// Durations as on the command line: `"10s"`, `"500ms"`, `"2m"`.
    pub header_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub request_timeout: Option<String>,
    pub max_connections: Option<usize>,
    /// `"aws"` or `"off"`, as `--emulate-quotas`.
    pub emulate_quotas: Option<EmulateQuotas>,
}

/// `--emulate-quotas`: which request quotas to enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EmulateQuotas {
    /// None (the default).
    Off,
    /// AWS's default quotas (kinko_aws::quotas::QUOTAS).
    Aws,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// How the binary logs (the library only emits `tracing` events).
#[derive(Debug)]
pub struct Logging {
    pub format: LogFormat,
    pub level: String,
}

/// The server's config and the logging settings from flags, environment
/// and the config file.
pub fn resolve(args: ServerArgs) -> anyhow::Result<(ServerConfig, Logging)> {
    let file = match &args.config {
        Some(path) => load_file(path)?,
        None => FileConfig::default(),
    };
    let limits = resolve_limits(
        LimitSettings {
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            request_timeout: args.request_timeout,
            max_connections: args.max_connections,
        },
        &file,
        kinko_server::listener::open_files_limit(),
    )?;
    let listen = match args.listen.or(file.listen) {
        Some(addr) => addr,
        None => DEFAULT_LISTEN.parse()?,
    };
    let data_dir = args
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(data_dir::default_data_dir);
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
    let root_key = if let Some(source) = RootKeySource::from_env() {
        source
    } else if let Some(path) = args.root_key_file.or(file.root_key_file) {
        RootKeySource::File {
            path,
            create: false,
        }
    } else {
        RootKeySource::File {
            path: DataDir::new(data_dir.clone()).root_key(),
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
    let logging = Logging {
        format: args
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Text),
        level: args
            .log_level
            .or(file.log_level)
            .unwrap_or_else(|| "info".to_owned()),
    };
    let config = ServerConfig {
        listen,
        data_dir,
        dev: args.dev || file.dev.unwrap_or(false),
        region,
        account_id,
        root_key,
        store,
        store_timeout,
        tls,
        audit_log: args
            .audit_log
            .or(file.audit_log)
            .map(|target| match target.as_str() {
                "-" => kinko_server::audit::AuditSink::Stdout,
                path => kinko_server::audit::AuditSink::File(PathBuf::from(path)),
            }),
        min_session_seconds: args.min_session_seconds,
        metrics_listen: args.metrics_listen.or(file.metrics_listen),
        change_retention: args
            .change_retention
            .unwrap_or(kinko_server::scheduler::DEFAULT_CHANGE_RETENTION),
        limits,
        emulate_quotas: args.emulate_quotas.or(file.emulate_quotas) == Some(EmulateQuotas::Aws),
        clock: match &args.test_clock_file {
            Some(path) => Arc::new(kinko_core::clock::FileClock::new(path.clone())),
            None => Arc::new(kinko_core::clock::SystemClock),
        },
    };
    Ok((config, logging))
}

/// The limit settings given by flags or environment variables.
#[derive(Debug, Default)]
struct LimitSettings {
    header_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    max_connections: Option<usize>,
}

/// The listener's limits: flags and environment variables, then the file,
/// then the defaults (the connection cap sized from `open_files`).
fn resolve_limits(
    given: LimitSettings,
    file: &FileConfig,
    open_files: Option<u64>,
) -> anyhow::Result<Limits> {
    let timeout =
        |flag: &str, given: Option<Duration>, in_file: &Option<String>, default: Timeout| {
            let duration = match (given, in_file) {
                (Some(duration), _) => duration,
                (None, Some(text)) => {
                    let key = flag.trim_start_matches("--").replace('-', "_");
                    parse_duration(text).with_context(|| format!("{key} in the config file"))?
                }
                (None, None) => return Ok(default),
            };
            Timeout::new(duration).map_err(|e| anyhow::anyhow!("{flag} {e}"))
        };
    let max_connections = match given.max_connections.or(file.max_connections) {
        Some(n) => MaxConnections::new(n).map_err(|e| anyhow::anyhow!("--max-connections {e}"))?,
        None => MaxConnections::for_open_files(open_files),
    };
    Ok(Limits {
        header_timeout: timeout(
            "--header-timeout",
            given.header_timeout,
            &file.header_timeout,
            Limits::DEFAULT_HEADER_TIMEOUT,
        )?,
        idle_timeout: timeout(
            "--idle-timeout",
            given.idle_timeout,
            &file.idle_timeout,
            Limits::DEFAULT_IDLE_TIMEOUT,
        )?,
        request_timeout: timeout(
            "--request-timeout",
            given.request_timeout,
            &file.request_timeout,
            Limits::DEFAULT_REQUEST_TIMEOUT,
        )?,
        max_connections,
    })
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
        return Ok(kinko_server::config::DEFAULT_STORE_TIMEOUT);
    };
    if !matches!(store, StoreLocation::Postgres(_)) {
        bail!("--store-timeout applies to a PostgreSQL store (--store postgres://…)");
    }
    if timeout.as_millis() == 0 {
        bail!("--store-timeout must be at least 1ms");
    }
    Ok(timeout)
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

    fn file(text: &str) -> FileConfig {
        toml::from_str(text).unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn limits_default_and_the_cap_follows_the_open_files_limit() {
        let limits =
            resolve_limits(LimitSettings::default(), &FileConfig::default(), Some(1024)).unwrap();
        assert_eq!(limits.header_timeout.get(), secs(10));
        assert_eq!(limits.idle_timeout.get(), secs(60));
        assert_eq!(limits.request_timeout.get(), secs(30));
        assert_eq!(limits.max_connections.get(), 960);
        let small =
            resolve_limits(LimitSettings::default(), &FileConfig::default(), Some(64)).unwrap();
        assert_eq!(small.max_connections.get(), 32);
    }

    #[test]
    fn limit_flags_win_over_the_file() {
        let file = file(
            "header_timeout = \"2s\"\nidle_timeout = \"2m\"\nrequest_timeout = \"500ms\"\nmax_connections = 7\n",
        );
        let from_file = resolve_limits(LimitSettings::default(), &file, Some(1024)).unwrap();
        assert_eq!(from_file.header_timeout.get(), secs(2));
        assert_eq!(from_file.idle_timeout.get(), secs(120));
        assert_eq!(from_file.request_timeout.get(), Duration::from_millis(500));
        assert_eq!(from_file.max_connections.get(), 7);
        let given = LimitSettings {
            header_timeout: Some(secs(3)),
            idle_timeout: Some(secs(4)),
            request_timeout: Some(secs(5)),
            max_connections: Some(9),
        };
        let from_flags = resolve_limits(given, &file, Some(1024)).unwrap();
        assert_eq!(from_flags.header_timeout.get(), secs(3));
        assert_eq!(from_flags.idle_timeout.get(), secs(4));
        assert_eq!(from_flags.request_timeout.get(), secs(5));
        assert_eq!(from_flags.max_connections.get(), 9);
    }

    /// The error of resolving `given` over the file `text`, with its causes.
    fn refusal(given: LimitSettings, text: &str) -> String {
        let err = resolve_limits(given, &file(text), Some(1024)).unwrap_err();
        format!("{err:#}")
    }

    #[test]
    fn bad_limit_values_are_refused_naming_the_setting() {
        let err = refusal(LimitSettings::default(), "header_timeout = \"5y\"\n");
        assert!(err.contains("header_timeout in the config file"), "{err}");
        assert!(err.contains("`5y` is not a duration"), "{err}");
        let err = refusal(LimitSettings::default(), "request_timeout = \"0s\"\n");
        assert_eq!(err, "--request-timeout must be more than 0");
        let zero = LimitSettings {
            idle_timeout: Some(Duration::ZERO),
            ..LimitSettings::default()
        };
        assert_eq!(refusal(zero, ""), "--idle-timeout must be more than 0");
        let long = LimitSettings {
            header_timeout: Some(secs(25 * 3600)),
            ..LimitSettings::default()
        };
        assert_eq!(
            refusal(long, ""),
            "--header-timeout must be at most 24h, not 90000s"
        );
        assert_eq!(
            refusal(LimitSettings::default(), "max_connections = 0\n"),
            "--max-connections must be at least 1"
        );
        let many = LimitSettings {
            max_connections: Some(2_000_000),
            ..LimitSettings::default()
        };
        assert_eq!(
            refusal(many, ""),
            "--max-connections must be at most 1048576, not 2000000"
        );
        let err = toml::from_str::<FileConfig>("max_connections = -1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_connections"), "{err}");
    }

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        server: ServerArgs,
    }

    #[test]
    fn limit_flags_parse_human_durations() {
        use clap::Parser;
        let cli = Cli::try_parse_from([
            "kinko",
            "--header-timeout",
            "2s",
            "--idle-timeout",
            "5m",
            "--request-timeout",
            "750ms",
            "--max-connections",
            "100",
        ])
        .unwrap();
        assert_eq!(cli.server.header_timeout, Some(secs(2)));
        assert_eq!(cli.server.idle_timeout, Some(secs(300)));
        assert_eq!(cli.server.request_timeout, Some(Duration::from_millis(750)));
        assert_eq!(cli.server.max_connections, Some(100));
        let err = Cli::try_parse_from(["kinko", "--idle-timeout", "soon"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--idle-timeout"), "{err}");
        assert!(err.contains("`soon` is not a duration"), "{err}");
        let err = Cli::try_parse_from(["kinko", "--max-connections", "many"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--max-connections"), "{err}");
    }
}
