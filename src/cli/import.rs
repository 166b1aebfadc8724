//! `kinko import`: a JSON, dotenv or YAML file into parameters under a path
//! (or, with `--secret`, into one Secrets Manager secret).
//!
//! It shows the plan first (`--dry-run` stops there), writes only what is
//! new or changed, so re-running it makes no new versions, and stores
//! SecureString unless `--type string`.

use std::io::IsTerminal;
use std::process::ExitCode;

use kinko_client::formats::{self, Format};
use kinko_client::stage::{self, Action};
use serde_json::json;

use super::client::{self, Output};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Import into parameters under this path (nested maps become sub-paths)
    #[arg(long, required_unless_present = "secret", conflicts_with = "secret")]
    pub path: Option<String>,
    /// Import the whole document as this Secrets Manager secret instead
    #[arg(long)]
    pub secret: Option<String>,
    /// The file to import; `-` for standard input
    pub file: String,
    /// The file's format [default: from the extension: .json, .yaml/.yml,
    /// otherwise dotenv]
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// The parameter type to create
    #[arg(long = "type", value_enum, default_value_t = ParameterKind::SecureString)]
    pub kind: ParameterKind,
    /// Show the plan and stop
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FileFormat {
    Json,
    Dotenv,
    Yaml,
}

impl From<FileFormat> for Format {
    fn from(f: FileFormat) -> Format {
        match f {
            FileFormat::Json => Format::Json,
            FileFormat::Dotenv => Format::Dotenv,
            FileFormat::Yaml => Format::Yaml,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ParameterKind {
    String,
    SecureString,
}

/// More writes than fit on a screen get a progress line.
const PROGRESS_THRESHOLD: usize = 24;

pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let text = client::read_input(&args.file)?;
    let format = args
        .format
        .map(Format::from)
        .unwrap_or_else(|| Format::from_file_name(&args.file));
    let runtime = client::runtime()?;
    if let Some(name) = &args.secret {
        let document = formats::to_json_document(format, &text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.file))?;
        let action = runtime.block_on(async {
            let source = client::source().await;
            stage::import_secret(&source.clients().secrets, name, &document, args.dry_run).await
        })?;
        match args.output {
            Output::Json => println!(
                "{}",
                json!({"secret": name, "action": action, "applied": !args.dry_run})
            ),
            Output::Text => println!(
                "{}{}  secret {name}",
                if args.dry_run { "would " } else { "" },
                action.word()
            ),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = &args.path else {
        anyhow::bail!("give --path or --secret");
    };
    let entries =
        formats::parse(format, &text).map_err(|e| anyhow::anyhow!("{}: {e}", args.file))?;
    let parameter_type = match args.kind {
        ParameterKind::String => stage::ParameterKind::String,
        ParameterKind::SecureString => stage::ParameterKind::SecureString,
    };
    runtime.block_on(async {
        let source = client::source().await;
        let plan = stage::plan_import(&source, path, entries).await?;
        let count = |a: Action| plan.iter().filter(|p| p.action == a).count();
        let (create, update, unchanged) = (
            count(Action::Create),
            count(Action::Update),
            count(Action::Unchanged),
        );
        if args.output == Output::Text {
            let rows: Vec<Vec<String>> = plan
                .iter()
                .map(|p| vec![p.action.word().to_owned(), p.name.clone()])
                .collect();
            print!("{}", client::table(&rows));
            println!("{create} to create, {update} to update, {unchanged} unchanged");
        }
        let written = if args.dry_run {
            0
        } else {
            let show = create + update > PROGRESS_THRESHOLD && std::io::stderr().is_terminal();
            let progress = move |done: usize, total: usize| {
                if show {
                    eprint!("\rimported {done}/{total}");
                    if done == total {
                        eprintln!();
                    }
                }
            };
            stage::apply_import(&source.clients().ssm, &plan, parameter_type, &progress).await?
        };
        match args.output {
            Output::Json => {
                let items: Vec<_> = plan
                    .iter()
                    .map(|p| json!({"name": p.name, "action": p.action}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "path": path,
                        "plan": items,
                        "applied": !args.dry_run,
                        "written": written,
                    }))?
                );
            }
            Output::Text if args.dry_run => println!("dry run: nothing written"),
            Output::Text => println!("{written} written"),
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
