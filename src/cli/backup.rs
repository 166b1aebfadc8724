//! `kinko backup`: write a consistent snapshot of a store to one file
//! (see [`kinko_server::maintenance`]: values stay sealed, the file is 0600).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kinko_server::data_dir;
use kinko_server::maintenance::{self, Target};

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

pub fn run(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(
        args.store.as_deref(),
        args.data_dir.unwrap_or_else(data_dir::default_data_dir),
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let counts = runtime.block_on(maintenance::backup(&target, &args.out))?;
    eprintln!(
        "wrote {}: {} parameters, {} secrets, {} KMS keys, {} access keys",
        args.out.display(),
        counts.parameters,
        counts.secrets,
        counts.kms_keys,
        counts.access_keys
    );
    Ok(ExitCode::SUCCESS)
}
