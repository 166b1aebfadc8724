//! The kinko server: an axum app that verifies SigV4, dispatches on
//! `X-Amz-Target` to the AWS wire layer, and answers AWS-shaped JSON.
//!
//! [`router`] builds the app (tests drive it without a socket);
//! [`listener::serve`] runs it on a TCP listener, with optional TLS and
//! graceful shutdown.

pub mod access;
pub mod app;
pub mod audit;
pub mod auth;
pub mod listener;
pub mod scheduler;
#[cfg(test)]
mod test_store;

pub use app::{AppState, ServerSettings, router};
