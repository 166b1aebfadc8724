//! Secrets Manager on the wire (`secretsmanager.*`): request and response
//! shapes, model-constraint validation and the per-operation handlers.

mod access;
mod handle;
pub mod shapes;

pub use handle::handle;

#[cfg(test)]
mod tests;
