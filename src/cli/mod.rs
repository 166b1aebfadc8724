//! One module per subcommand.

pub mod env;
pub mod migrate;
pub mod server;
