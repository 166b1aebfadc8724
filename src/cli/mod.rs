//! One module per subcommand.

pub mod backup;
pub mod client;
pub mod diff;
pub mod env;
pub mod exec;
pub mod export;
pub mod import;
pub mod migrate;
pub mod proxy;
pub mod render;
pub mod restore;
pub mod server;
