//! One module per subcommand.

pub mod admin;
pub mod assume_role;
pub mod audit;
pub mod backup;
pub mod client;
pub mod diff;
pub mod env;
pub mod exec;
pub mod export;
pub mod import;
pub mod key;
pub mod migrate;
pub mod oidc_provider;
pub mod policy;
pub mod principal;
pub mod proxy;
pub mod render;
pub mod restore;
pub mod server;
pub mod webhook;
