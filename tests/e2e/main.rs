//! End-to-end tests: a real `kinko server` process on a free loopback port,
//! driven by the official AWS SDK for Rust and the aws CLI, as a user would.
//!
//! One test binary (so the SDK links once); one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod backup;
mod cli;
mod cluster;
mod durability;
mod faults;
mod iam;
mod iam_cli;
mod in_process;
mod kms;
mod limits;
mod proxy;
mod secrets;
mod ssm;
mod stored_policies;
mod sts;
mod support;
mod tls;
mod tools;
mod wire;
