//! Randomness from the AWS-LC system RNG.

/// `n` bytes from the system RNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    fill(&mut out);
    out
}

/// Fills `buf` from the system RNG.
///
/// AWS-LC's `RAND_bytes` aborts the process itself when the entropy source
/// fails, so the error branch is unreachable in practice; should it ever be
/// reached, continuing with predictable keys or nonces would be far worse
/// than stopping.
pub(crate) fn fill(buf: &mut [u8]) {
    if aws_lc_rs::rand::fill(buf).is_err() {
        panic!("the system random number generator failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_have_the_length_asked_and_differ() {
        let a = random_bytes(32);
        let b = random_bytes(32);
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(random_bytes(0).is_empty());
    }
}
