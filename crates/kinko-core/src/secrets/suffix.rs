//! The random suffix of a new secret's ARN.

use kinko_model::secrets::SUFFIX_LEN;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh suffix: 6 characters drawn uniformly from `[A-Za-z0-9]`.
pub fn random_suffix() -> String {
    let mut out = String::with_capacity(SUFFIX_LEN);
    while out.len() < SUFFIX_LEN {
        for b in kinko_crypto::random_bytes(16) {
            // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
            if b < 248 && out.len() < SUFFIX_LEN {
                out.push(char::from(ALNUM[usize::from(b % 62)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_model::secrets::{arn_suffix, secret_arn};

    #[test]
    fn suffixes_are_six_alphanumerics_and_differ() {
        let a = random_suffix();
        assert_eq!(a.len(), 6);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, random_suffix());
        let arn = secret_arn("us-east-1", "123456789012", "db", &a);
        assert_eq!(arn_suffix(&arn), a);
        assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-"));
    }
}
