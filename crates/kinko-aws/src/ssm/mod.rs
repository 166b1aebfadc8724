//! The SSM Parameter Store on the wire (`AmazonSSM.*`): request shapes,
//! model-constraint validation and the per-operation handlers.

mod access;
pub mod decode;
mod handle;
pub mod shapes;
mod source_result;

pub use handle::handle;

#[cfg(test)]
pub(crate) mod tests;
