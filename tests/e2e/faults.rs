//! Fault tests: what a user sees when the machine under kinko misbehaves.
//!
//! - `disk_full`: the SQLite store's filesystem fills up (a small tmpfs;
//!   needs root, else the test prints a note and passes);
//! - `root_key`: the root key is missing, damaged, too open or wrong;
//! - `slow_postgres`: PostgreSQL answers slowly, stalls, or another session
//!   holds the locks a request needs (needs `KINKO_TEST_DATABASE_URL`).

mod disk_full;
mod root_key;
mod slow_postgres;
mod stall_proxy;
