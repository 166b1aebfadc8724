//! `kinko`: one binary for the server and the tools around it.
//!
//! Each subcommand lives in its own module under `cli/`; this file only
//! parses the command line and sets up logging.

mod cli;
mod config;
mod paths;

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
    /// Run the server (AWS SSM Parameter Store API over SigV4)
    Server(Box<cli::server::ServerArgs>),
    /// Print `export` lines that point the aws CLI and SDKs at a local server
    Env(cli::env::EnvArgs),
    /// Bring a PostgreSQL store's schema up to date (the server also does on start)
    Migrate(cli::migrate::MigrateArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => cli::server::run(*args),
        Command::Env(args) => cli::env::run(args),
        Command::Migrate(args) => cli::migrate::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kinko: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
