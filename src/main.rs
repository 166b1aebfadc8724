//! `kinko`: one binary for the server and the tools around it.
//!
//! Each subcommand lives in its own module under `cli/`; this file only
//! parses the command line and sets up logging.

mod buffered_stderr;
mod cli;

use std::process::ExitCode;

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
    /// OpenID Connect issuers (GitHub Actions, EKS) whose tokens STS exchanges for role sessions
    OidcProvider(cli::oidc_provider::OidcProviderArgs),
    /// Change-feed subscriptions: signed EventBridge-shaped POSTs per change
    Webhook(cli::webhook::WebhookArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Each command's status on error: 1, but 2 for `diff` and the admin
    // commands, whose 1 is a verdict ("different", "denied", "broken").
    let admin_error = ExitCode::from(cli::admin::ERROR);
    let (result, error_status) = match cli.command {
        Command::Server(args) => (cli::server::run(*args), ExitCode::FAILURE),
        Command::Env(args) => (cli::env::run(args), ExitCode::FAILURE),
        Command::Migrate(args) => (cli::migrate::run(args), ExitCode::FAILURE),
        Command::Proxy(args) => (cli::proxy::run(args), ExitCode::FAILURE),
        Command::Backup(args) => (cli::backup::run(args), ExitCode::FAILURE),
        Command::Restore(args) => (cli::restore::run(args), ExitCode::FAILURE),
        Command::Exec(args) => (cli::exec::run(args), ExitCode::FAILURE),
        Command::Render(args) => (cli::render::run(args), ExitCode::FAILURE),
        Command::Import(args) => (cli::import::run(args), ExitCode::FAILURE),
        Command::Export(args) => (cli::export::run(args), ExitCode::FAILURE),
        Command::Diff(args) => (cli::diff::run(args), ExitCode::from(cli::diff::ERROR)),
        Command::Principal(args) => (cli::principal::run(args), admin_error),
        Command::Key(args) => (cli::key::run(args), admin_error),
        Command::Policy(args) => (cli::policy::run(args), admin_error),
        Command::Audit(args) => (cli::audit::run(args), admin_error),
        Command::AssumeRole(args) => (cli::assume_role::run(args), admin_error),
        Command::OidcProvider(args) => (cli::oidc_provider::run(args), admin_error),
        Command::Webhook(args) => (cli::webhook::run(args), admin_error),
    };
    result.unwrap_or_else(|error| {
        eprintln!("kinko: error: {error:#}");
        error_status
    })
}
