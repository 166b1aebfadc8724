//! `kinko restore FILE`: load a backup into an empty store of either kind.
//!
//! Before writing anything it checks that the root key this kinko is given
//! opens the backup's root-key check value (restoring under the wrong key
//! would give a store no server can read), and the store refuses to load
//! into a target that already holds data. The load is one transaction.

use std::path::PathBuf;

use anyhow::Context;
use kinko_core::keyring::Keyring;
use kinko_crypto::RootKey;
use kinko_store::{MetaRows, SqliteStore};

use super::backup::Target;
use crate::paths::DataDir;

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

pub fn run(args: RestoreArgs) -> anyhow::Result<()> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(crate::paths::default_data_dir);
    let target = Target::resolve(args.store.as_deref(), Some(data_dir.clone()))?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let (header, snapshot) = kinko_store::backup::read(&mut std::io::BufReader::new(file))
        .with_context(|| format!("cannot read the backup {}", args.file.display()))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        if let Some(check) = &header.root_key_check {
            let root = load_root_key(&DataDir::new(data_dir), args.root_key_file.as_ref())?;
            check_root_key(root, check).await?;
        }
        let store = target.open(true).await?;
        store
            .import_snapshot(&snapshot)
            .await
            .context("cannot restore the backup")
    })?;
    eprintln!(
        "restored {}: {} parameters, {} secrets, {} KMS keys, {} access keys",
        args.file.display(),
        snapshot.parameters.len(),
        snapshot.secrets.len(),
        snapshot.kms_keys.len(),
        snapshot.access_keys.len()
    );
    Ok(())
}

/// The root key as `kinko server` would find it, except that a missing key
/// file is an error here, never created.
fn load_root_key(data: &DataDir, file: Option<&PathBuf>) -> anyhow::Result<RootKey> {
    if let Some(text) = std::env::var("KINKO_ROOT_KEY")
        .ok()
        .filter(|v| !v.is_empty())
    {
        return RootKey::from_base64(&text.into())
            .context("KINKO_ROOT_KEY is not a base64 256-bit key");
    }
    if let Some(passphrase) = std::env::var("KINKO_ROOT_PASSPHRASE")
        .ok()
        .filter(|v| !v.is_empty())
    {
        let salt = std::fs::read(data.root_salt())
            .with_context(|| format!("cannot read {}", data.root_salt().display()))?;
        return RootKey::from_passphrase(&passphrase.into(), &salt)
            .context("cannot derive the root key from KINKO_ROOT_PASSPHRASE");
    }
    let path = file.cloned().unwrap_or_else(|| data.root_key());
    RootKey::load_file(&path)
        .with_context(|| format!("cannot load the root key {}", path.display()))
}

/// Whether `root` opens the backup's check value: the keyring's own check,
/// run against a scratch store that holds only that value.
async fn check_root_key(root: RootKey, check: &[u8]) -> anyhow::Result<()> {
    let scratch = std::sync::Arc::new(SqliteStore::open_in_memory()?);
    scratch
        .init_meta(kinko_store::backup::ROOT_CHECK_META, check)
        .await?;
    Keyring::new(scratch, root, String::new())
        .verify_root_key()
        .await
        .context("the root key does not open this backup (wrong key file or passphrase?)")
}
