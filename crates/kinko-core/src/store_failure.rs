//! A store failure as the layers above core see it.

use kinko_store::StoreError;

/// What a failed store call means to a client: retry later (the store is
/// unreachable, slow or full) or a fault of ours. The wire layer picks an
/// answer from this and logs the cause; it never needs the store's own
/// error type, so `kinko-aws` does not depend on `kinko-store`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreFailure {
    /// Unreachable or too slow (retryable).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The disk under the store is full; nothing was written (retryable
    /// once space is freed).
    #[error("the store is out of disk space; the write was not made")]
    OutOfSpace,
    /// Anything else, as the store described it (never a value).
    #[error("{0}")]
    Other(String),
}

impl From<StoreError> for StoreFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => StoreFailure::Unavailable(cause),
            StoreError::OutOfSpace => StoreFailure::OutOfSpace,
            other => StoreFailure::Other(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_failures_stay_apart_from_faults() {
        assert_eq!(
            StoreFailure::from(StoreError::Unavailable("timed out".into())),
            StoreFailure::Unavailable("timed out".into())
        );
        assert_eq!(
            StoreFailure::from(StoreError::OutOfSpace),
            StoreFailure::OutOfSpace
        );
        assert_eq!(
            StoreFailure::from(StoreError::Backend("corrupt row".into())),
            StoreFailure::Other("store failure: corrupt row".into())
        );
    }
}
