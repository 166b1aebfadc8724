//! The SSM Parameter Store semantics: versions, labels, tiers, filters and
//! paging, over the [`kinko_store::Store`] and the keyring. Names arrive
//! validated ([`kinko_model::ssm`]); wire shapes live in `kinko-aws`, and
//! this module knows none of them.

pub mod access;
mod delete;
mod describe;
pub mod error;
pub mod filters;
mod get;
mod history;
mod labels;
pub mod model;
pub mod paging;
pub mod policies;
pub mod policy_runner;
mod put;
mod read_name;
pub mod service;
mod tags;
pub mod types;

pub use access::{reference_name, reference_secret_id};
pub use error::SsmError;
pub use filters::{LegacyFilter, ParameterFilter};
pub use get::SECRETS_REFERENCE;
pub use model::*;
pub use policy_runner::{PolicyRound, PolicyRunner};
pub use read_name::ReadName;
pub use service::ParameterStore;
pub use types::{DataType, ParameterType, Tier};

#[cfg(test)]
mod tests;
