//! The KMS subset on the wire (`TrentService.*`): request and response
//! shapes, model-constraint validation and the per-operation handlers.

mod access;
pub mod asym_shapes;
mod handle;
pub mod import_shapes;
pub mod multi_region_shapes;
mod permission_shapes;
mod permissions;
mod rotation;
pub mod shapes;

pub(crate) use access::authorize_value_key;
pub use access::key_check;
pub use handle::handle;

#[cfg(test)]
mod multi_region_tests;
#[cfg(test)]
mod tests;
