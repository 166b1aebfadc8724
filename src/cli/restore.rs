//! `kinko restore FILE`: load a backup into an empty store of either kind.
//!
//! Before writing anything it checks that the root key this kinko is given
//! opens the backup's root-key check value (restoring under the wrong key
//! would give a store no server can read), and the store refuses to load
//! into a target that already holds data. The load is one transaction.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kinko_crypto::RootKey;
use kinko_server::data_dir::{self, DataDir};
use kinko_server::maintenance::{Backup, Target};
use kinko_server::root_key::RootKeySource;

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file (from `kinko backup`)
    pub file: PathBuf,
    /// Restore into this PostgreSQL store (postgres://…) instead of the data directory's SQLite
    #[arg(long, env = "KINKO_STORE", hide_env_values = true)]
    pub store: Option<String>,
    /// Data directory to restore into (SQLite), or whose root key and salt to use
    /// [default: ~/.local/share/kinko]
    #[arg(long, env = "KINKO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Root key file the servers will use [default: DATA_DIR/root.key].
    /// KINKO_ROOT_KEY or KINKO_ROOT_PASSPHRASE take precedence, as for `kinko server`.
    #[arg(long, env = "KINKO_ROOT_KEY_FILE")]
    pub root_key_file: Option<PathBuf>,
}

pub fn run(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(data_dir::default_data_dir);
    let target = Target::resolve(args.store.as_deref(), data_dir.clone())?;
    let backup = Backup::read(&args.file)?;
    let root = if backup.needs_root_key() {
        Some(load_root_key(
            &DataDir::new(data_dir),
            args.root_key_file.as_ref(),
        )?)
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let counts = runtime.block_on(backup.restore(&target, root))?;
    eprintln!(
        "restored {}: {} parameters, {} secrets, {} KMS keys, {} access keys",
        args.file.display(),
        counts.parameters,
        counts.secrets,
        counts.kms_keys,
        counts.access_keys
    );
    Ok(ExitCode::SUCCESS)
}

/// The key the servers will use, found as `kinko server` finds it
/// ([`RootKeySource::from_env`], else the key file), but never created:
/// a restore needs the key the backup was sealed under.
fn load_root_key(data: &DataDir, file: Option<&PathBuf>) -> anyhow::Result<RootKey> {
    match RootKeySource::from_env() {
        Some(RootKeySource::Env(text)) => {
            RootKey::from_base64(&text).context("KINKO_ROOT_KEY is not a base64 256-bit key")
        }
        Some(RootKeySource::Passphrase(passphrase)) => {
            let salt = std::fs::read(data.root_salt())
                .with_context(|| format!("cannot read {}", data.root_salt().display()))?;
            RootKey::from_passphrase(&passphrase, &salt)
                .context("cannot derive the root key from KINKO_ROOT_PASSPHRASE")
        }
        Some(RootKeySource::File { .. }) | None => {
            let path = file.cloned().unwrap_or_else(|| data.root_key());
            RootKey::load_file(&path)
                .with_context(|| format!("cannot load the root key {}", path.display()))
        }
    }
}
