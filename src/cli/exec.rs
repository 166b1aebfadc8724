//! `kinko exec`: run a command with parameters and resolved references in
//! its environment.
//!
//! The secrets travel only through the environment the command is started
//! with: never on a command line (so never in `ps` or `/proc/<pid>/cmdline`),
//! never in kinko's own output (clash reports and warnings name variables
//! and references only). On Unix the kinko process is replaced by the
//! command (`execvp`), so the command's signals and exit status are its own.
//! Naming rule and precedence: see `kinko_client::env_names` and
//! `kinko_client::environment` (and the README).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kinko_client::env_names::NameRule;
use kinko_client::environment::{self, EnvFile, ExecRequest};

use super::client;

#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Load every parameter under this path (repeatable; later paths win).
    /// `/app/prod/db/password` becomes `DB_PASSWORD`
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,
    /// Read KEY=value lines from this file (repeatable; later files win;
    /// --path wins over files)
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Fail before starting the command if any reference does not resolve
    /// or a path holds no parameters
    #[arg(long)]
    pub strict: bool,
    /// Keep the parameter names' case instead of upper-casing them
    #[arg(long)]
    pub keep_case: bool,
    /// Put this in front of every name made from a parameter (`APP_`)
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Do not report name clashes and unresolved references on stderr
    #[arg(long, short)]
    pub quiet: bool,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

pub fn run(args: ExecArgs) -> anyhow::Result<ExitCode> {
    let mut env_files = Vec::new();
    for path in &args.env_files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read env file {}", path.display()))?;
        env_files.push(EnvFile {
            label: path.display().to_string(),
            text,
        });
    }
    let request = ExecRequest {
        paths: args.paths.clone(),
        strict: args.strict,
        names: NameRule {
            keep_case: args.keep_case,
            prefix: args.prefix.clone(),
        },
    };
    let runtime = client::runtime()?;
    let environment = runtime.block_on(async {
        let source = client::source().await;
        environment::build(&source, std::env::vars_os(), &env_files, &request).await
    })?;
    runtime.shutdown_background();
    if !args.quiet {
        for note in &environment.notes {
            eprintln!("kinko exec: {note}");
        }
    }

    let (program, arguments) = args
        .command
        .split_first()
        .context("no command given after --")?;
    let mut command = std::process::Command::new(program);
    command.args(arguments).env_clear();
    command.envs(environment.passthrough.iter().map(|(k, v)| (k, v)));
    command.envs(environment.vars.iter().map(|(k, v)| (k, v.expose())));
    // Only returns on failure.
    let error = command.exec();
    Err(error).with_context(|| format!("cannot run {}", program.to_string_lossy()))
}
