//! `kinko backup`: write a consistent snapshot of a store to one file.
//!
//! The snapshot is read in one transaction (see `Store::export_snapshot`)
//! and written as versioned JSON lines (`kinko_store::backup`). Values,
//! key material and access-key secrets stay sealed under the root key, so
//! the backup needs no root key to write and is useless without it; it is
//! still created mode 0600, since it names every parameter and secret.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use kinko_store::{PostgresStore, SqliteStore, Store};

use crate::config::StoreLocation;
use crate::paths::{self, DataDir};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// File to write (mode 0600; replaced atomically if it exists)
    #[arg(long)]
    pub out: PathBuf,
    /// Back up this PostgreSQL store (postgres://…) instead of the data directory's SQLite
    #[arg(long, env = "KINKO_STORE", hide_env_values = true)]
    pub store: Option<String>,
    /// Data directory whose SQLite store to back up [default: ~/.local/share/kinko]
    #[arg(long, env = "KINKO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Which store a backup or restore works on.
pub enum Target {
    Postgres(kinko_crypto::SecretString),
    Sqlite(DataDir),
}

impl Target {
    pub fn resolve(store: Option<&str>, data_dir: Option<PathBuf>) -> anyhow::Result<Target> {
        match store {
            Some(url) => match StoreLocation::parse(url)? {
                StoreLocation::Postgres(url) => Ok(Target::Postgres(url)),
                StoreLocation::DataDir => Ok(Target::Sqlite(DataDir::new(
                    data_dir.unwrap_or_else(paths::default_data_dir),
                ))),
            },
            None => Ok(Target::Sqlite(DataDir::new(
                data_dir.unwrap_or_else(paths::default_data_dir),
            ))),
        }
    }

    /// Opens the store; `create` allows a new SQLite database (restore),
    /// otherwise a missing one is an error rather than an empty backup.
    pub async fn open(&self, create: bool) -> anyhow::Result<Arc<dyn Store>> {
        match self {
            Target::Postgres(url) => Ok(Arc::new(
                PostgresStore::open(url.expose())
                    .await
                    .context("cannot open the PostgreSQL store")?,
            )),
            Target::Sqlite(data) => {
                let path = data.database();
                if create {
                    data.create()?;
                } else if !path.exists() {
                    anyhow::bail!("there is no store at {}", path.display());
                }
                Ok(Arc::new(SqliteStore::open(&path).with_context(|| {
                    format!("cannot open the store {}", path.display())
                })?))
            }
        }
    }
}

pub fn run(args: BackupArgs) -> anyhow::Result<()> {
    let target = Target::resolve(args.store.as_deref(), args.data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let snapshot = runtime.block_on(async {
        let store = target.open(false).await?;
        store
            .export_snapshot()
            .await
            .context("cannot read the store")
    })?;
    let created_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut file = Vec::new();
    kinko_store::backup::write(&snapshot, created_ms, &mut file)?;
    paths::write_private(&args.out, &file)?;
    eprintln!(
        "wrote {}: {} parameters, {} secrets, {} KMS keys, {} access keys",
        args.out.display(),
        snapshot.parameters.len(),
        snapshot.secrets.len(),
        snapshot.kms_keys.len(),
        snapshot.access_keys.len()
    );
    Ok(())
}
