//! kinko's client side: the only crate that links the official AWS SDK.
//!
//! It gives the `kinko` binary a [`kinko_model::value_source::ValueSource`]
//! over SSM and Secrets Manager ([`SdkSource`], for a kinko server or AWS
//! alike) and the logic of `exec`, `render`, `import`, `export` and `diff`,
//! kept apart from argument parsing so it can be tested with a fake source.

pub mod admin;
pub mod dotenv;
pub mod env_names;
pub mod environment;
pub mod formats;
pub mod render;
pub mod sdk_source;
pub mod stage;

pub use sdk_source::SdkSource;
