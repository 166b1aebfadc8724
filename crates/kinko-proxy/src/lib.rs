//! kinko's signing forward proxy (`kinko proxy`): applications send plain
//! requests through it, it adds the credential for the host from the
//! parameter store (headers, Basic auth, query parameters, a rewritten
//! path), upgrades to HTTPS and forwards. The applications never hold the
//! tokens; rotating one happens in the store.
//!
//! The rules come from any [`kinko_model::value_source::ValueSource`] (the
//! parameters under a path), so this crate links no AWS SDK and no store;
//! the same signing is available in-process as a `tower::Layer`
//! ([`SigningLayer`]) and, with the `reqwest` feature, as a reqwest
//! middleware (`SigningMiddleware`).

pub mod cache;
pub mod duration;
#[doc(hidden)]
pub mod fuzzing;
pub mod hop;
pub mod host_glob;
pub mod layer;
#[cfg(feature = "reqwest")]
pub mod middleware;
pub mod pool;
pub mod proxy;
pub mod rules;
pub mod sign;
pub mod upstream;

#[cfg(test)]
mod test_support;

pub use cache::{RuleCache, RulesError};
pub use host_glob::HostGlob;
pub use layer::{SigningError, SigningLayer, SigningService};
#[cfg(feature = "reqwest")]
pub use middleware::{MiddlewareSigningError, SigningMiddleware};
pub use proxy::{Proxy, ProxyBody, ProxyConfig};
pub use rules::Rules;
pub use upstream::{UpstreamError, read_ca_file};
