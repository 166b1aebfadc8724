//! `kinko`: one binary for the server and the tools around it.
//!
//! Each subcommand lives in its own module under `cli/`; this file only
//! parses the command line and sets up logging.

mod buffered_stderr;
mod cli;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kinko",
    version,
    about = "Secrets and configuration for serverless and container apps, over the AWS APIs",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (AWS SSM Parameter Store, Secrets Manager and KMS APIs over SigV4)
    Server(Box<cli::server::ServerArgs>),
    /// Print `export` lines that point the aws CLI and SDKs at a local server
    Env(cli::env::EnvArgs),
    /// Bring a PostgreSQL store's schema up to date (the server also does on start)
    Migrate(cli::migrate::MigrateArgs),
    /// Forward proxy that signs outgoing API calls with tokens from the store
    Proxy(cli::proxy::ProxyArgs),
    /// Write a consistent snapshot of a store to a file (values stay sealed)
    Backup(cli::backup::BackupArgs),
    /// Load a backup into an empty store (SQLite or PostgreSQL)
    Restore(cli::restore::RestoreArgs),
    /// Run a command with parameters and resolved references as environment variables
    Exec(cli::exec::ExecArgs),
    /// Replace the references in a text file with their values (or --check them)
    Render(cli::render::RenderArgs),
    /// Create or update parameters (or one secret) from a JSON, dotenv or YAML file
    Import(cli::import::ImportArgs),
    /// Print every parameter under a path as JSON, dotenv, YAML or shell lines
    Export(cli::export::ExportArgs),
    /// Compare two paths or secrets key by key (exit status 1 when they differ)
    Diff(cli::diff::DiffArgs),
    /// Users and roles: create, list, show, delete, tag, a role's trust policy
    Principal(cli::principal::PrincipalArgs),
    /// Access keys: create, list, deactivate, activate, delete, rotate
    Key(cli::key::KeyArgs),
    /// IAM JSON policies of a principal, and `simulate` to test one
    Policy(cli::policy::PolicyArgs),
    /// Read the audit log (tail, query) and check its hash chain (verify)
    Audit(cli::audit::AuditArgs),
    /// Temporary credentials for a role (JSON, env lines or credential_process)
    AssumeRole(cli::assume_role::AssumeRoleArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => cli::server::run(*args),
        Command::Env(args) => cli::env::run(args),
        Command::Migrate(args) => cli::migrate::run(args),
        Command::Proxy(args) => cli::proxy::run(args),
        Command::Backup(args) => cli::backup::run(args),
        Command::Restore(args) => cli::restore::run(args),
        Command::Exec(args) => cli::exec::run(args),
        Command::Render(args) => cli::render::run(args),
        Command::Import(args) => cli::import::run(args),
        Command::Export(args) => cli::export::run(args),
        Command::Diff(args) => return cli::diff::main(args),
        Command::Principal(args) => return admin_exit(cli::principal::run(args)),
        Command::Key(args) => return admin_exit(cli::key::run(args)),
        Command::Policy(args) => return admin_exit(cli::policy::run(args)),
        Command::Audit(args) => return admin_exit(cli::audit::run(args)),
        Command::AssumeRole(args) => return admin_exit(cli::assume_role::run(args)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kinko: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// An admin command's exit status: its own, or 2 after printing its error.
fn admin_exit(result: anyhow::Result<std::process::ExitCode>) -> std::process::ExitCode {
    result.unwrap_or_else(|error| {
        eprintln!("kinko: error: {error:#}");
        std::process::ExitCode::from(cli::admin::ERROR)
    })
}
