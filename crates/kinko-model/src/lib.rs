//! kinko's vocabulary, below everything else: what a request, a policy, a
//! reference or an audit record *is*, with no storage and no HTTP.
//!
//! Every other crate may use this one; it uses none of them but
//! `kinko-crypto`'s zeroizing secret types (a [`value_source::ValueSource`]
//! hands out values). So a program that links `kinko-client` or
//! `kinko-proxy` as a library gets no database driver, and the store speaks
//! the same words as the services above it without seeing a key.
//!
//! - [`ssm`], [`secrets`], [`principals`]: names validated once at the edge
//!   (`ParameterName`, `SecretName`, `PrincipalName`, …), each module with
//!   the error AWS answers a bad one with;
//! - [`arn`]: ARNs as AWS forms and parses them; [`Tag`] (and [`TagShape`],
//!   a tag as a request sends it);
//! - [`iam`]: the IAM policy language and its evaluator (pure: no I/O, no clock);
//! - [`references`]: the one reference grammar (`ssm:/x`, `{{resolve:…}}`,
//!   `${ssm:…}`, ARNs), and [`value_source`]: where client tools get values
//!   (feature `fake`: `fake::FakeSource`, one in-memory source for tests);
//! - [`audit`]: the audit record and its JSON shape;
//! - [`admin`]: the admin API's requests and responses, for the server that
//!   answers them and the client that sends them; [`Epoch`], AWS's JSON time.

pub mod admin;
pub mod arn;
pub mod audit;
mod epoch;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod iam;
pub mod principals;
pub mod references;
pub mod secrets;
pub mod ssm;
mod tag;
pub mod value_source;

pub use epoch::Epoch;
pub use tag::{Tag, TagShape};
