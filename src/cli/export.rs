//! `kinko export`: every parameter under a path the caller may read, as
//! JSON, dotenv, YAML or shell `export` lines.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kinko_client::formats::{self, Format};
use kinko_client::stage;

use super::client;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The path to export (recursively; names relative to it)
    #[arg(long)]
    pub path: String,
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
    /// Write here (created 0600) instead of standard output
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Dotenv,
    Yaml,
    /// `export NAME='value'` lines, names as `kinko exec` makes them
    Env,
}

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        ExportFormat::Json => Format::Json,
        ExportFormat::Dotenv => Format::Dotenv,
        ExportFormat::Yaml => Format::Yaml,
        ExportFormat::Env => Format::Env,
    };
    let entries = client::runtime()?.block_on(async {
        let source = client::source().await;
        stage::read_path(&source, &args.path).await
    })?;
    let text = formats::write(format, &entries);
    match &args.out {
        Some(out) => client::write_private(out, text.expose().as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.expose().as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
