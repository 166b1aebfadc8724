//! `kinko migrate`: bring a PostgreSQL store's schema up to date by hand.
//!
//! `kinko server --store postgres://…` migrates on start as well; this is for
//! operators who run schema changes as their own deployment step (before
//! rolling out a new kinko, or with a more privileged database user than
//! the servers get).

use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The store to migrate: postgres://user@host/db (select a schema with
    /// ?options=-csearch_path%3DNAME)
    #[arg(long, env = "KINKO_STORE", hide_env_values = true)]
    pub store: String,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let migration = runtime.block_on(kinko_server::maintenance::migrate(&args.store))?;
    if migration.from == migration.to {
        println!("schema already at version {}", migration.to);
    } else {
        println!(
            "schema migrated from version {} to {}",
            migration.from, migration.to
        );
    }
    Ok(ExitCode::SUCCESS)
}
