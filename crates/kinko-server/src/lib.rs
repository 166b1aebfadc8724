//! The kinko server: an axum app that verifies SigV4, dispatches on
//! `X-Amz-Target` to the AWS wire layer, and answers AWS-shaped JSON.
//!
//! [`Server::open`] is the composition root: from a [`ServerConfig`] it
//! builds the store, the keyring, credentials, services and the audit log;
//! [`Server::listen`] binds, and [`Listening::serve`] runs the app (with
//! optional TLS and graceful shutdown) beside the schedulers. [`router`]
//! builds the app alone (tests drive it without a socket).

pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod data_dir;
mod jwks_fetch;
pub mod listener;
pub mod maintenance;
pub mod metrics;
pub mod root_key;
pub mod scheduler;
mod server;
#[cfg(test)]
mod test_store;
pub mod watch;
mod webhook_send;

pub use app::{AppState, ServerSettings, router};
pub use config::ServerConfig;
pub use server::{Listening, OpenError, Server};
