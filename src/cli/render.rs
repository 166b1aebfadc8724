//! `kinko render`: a text file with every reference replaced by its value,
//! and `kinko render --check`, the CI gate that lists references and
//! whether each exists and is readable, without fetching values.
//!
//! Nothing is written unless every reference resolved; `-o` files are
//! created 0600 and renamed into place. Errors name the file, the line and
//! the reference, never a value.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kinko_client::render;

use super::client::{self, Output};

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The file to render; `-` for standard input
    #[arg(default_value = "-")]
    pub file: String,
    /// Write here (created 0600) instead of standard output
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// List the references and whether each resolves; fetch no values.
    /// Exit status 1 when any does not
    #[arg(long, conflicts_with = "out")]
    pub check: bool,
    /// `--check` output: aligned text, or JSON for programs
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

pub fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let text = client::read_input(&args.file)?;
    let label = if args.file == "-" {
        "<stdin>".to_owned()
    } else {
        args.file.clone()
    };
    let runtime = client::runtime()?;
    if args.check {
        let checked = runtime.block_on(async {
            let source = client::source().await;
            render::check(&source, &label, &text).await
        });
        let failing = checked.iter().filter(|c| c.problem.is_some()).count();
        match args.output {
            Output::Json => println!("{}", serde_json::to_string_pretty(&checked)?),
            Output::Text => {
                let rows: Vec<Vec<String>> = checked
                    .iter()
                    .map(|c| {
                        vec![
                            format!("{}:{}", c.file, c.line),
                            c.text.clone(),
                            c.problem.clone().unwrap_or_else(|| "ok".to_owned()),
                        ]
                    })
                    .collect();
                print!("{}", client::table(&rows));
            }
        }
        if failing > 0 {
            anyhow::bail!("{failing} of {} references do not resolve", checked.len());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rendered = runtime.block_on(async {
        let source = client::source().await;
        render::render(&source, &label, &text).await
    });
    let rendered = rendered.context("nothing was written")?;
    match &args.out {
        Some(out) => client::write_private(out, rendered.expose().as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(rendered.expose().as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
