//! Standard Webhooks signing (<https://www.standardwebhooks.com>): each
//! delivery carries `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
//! one `v1,` entry per active secret (two while a rotated secret's grace
//! runs), separated by spaces.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_crypto::{SecretBytes, SecretString};

/// The prefix of a signing secret, as the Standard Webhooks libraries expect.
pub const SECRET_PREFIX: &str = "whsec_";

/// Random key bytes behind a new secret (the spec asks for at least 24).
const KEY_BYTES: usize = 32;

/// A new signing secret: `whsec_` and the base64 of random key bytes.
pub fn new_secret() -> SecretString {
    let key = SecretBytes::new(kinko_crypto::random_bytes(KEY_BYTES));
    SecretString::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(key.expose())))
}

/// The key bytes of a `whsec_…` secret; `None` if it is not one.
pub fn key_of(secret: &SecretString) -> Option<SecretBytes> {
    let encoded = secret.expose().strip_prefix(SECRET_PREFIX)?;
    STANDARD.decode(encoded).ok().map(SecretBytes::new)
}

/// The `webhook-signature` header value for one delivery attempt.
pub fn signature_header(keys: &[SecretBytes], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| {
            let key = hmac::Key::new(hmac::HMAC_SHA256, key.expose());
            let mut ctx = hmac::Context::with_key(&key);
            ctx.update(id.as_bytes());
            ctx.update(b".");
            ctx.update(timestamp.to_string().as_bytes());
            ctx.update(b".");
            ctx.update(body);
            format!("v1,{}", STANDARD.encode(ctx.sign().as_ref()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_librarys_test_vector() {
        let secret = SecretString::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".to_owned());
        let key = key_of(&secret).unwrap();
        let header = signature_header(
            &[key],
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(header, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }

    #[test]
    fn two_secrets_give_two_space_separated_entries() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.expose().starts_with(SECRET_PREFIX));
        assert_ne!(a.expose(), b.expose());
        let keys = [key_of(&a).unwrap(), key_of(&b).unwrap()];
        assert_eq!(keys[0].expose().len(), KEY_BYTES);
        let header = signature_header(&keys, "id", 1, b"{}");
        let entries: Vec<&str> = header.split(' ').collect();
        assert_eq!(entries.len(), 2);
        assert!(entries.iter().all(|e| e.starts_with("v1,")));
        assert_ne!(entries[0], entries[1]);
    }

    #[test]
    fn a_secret_without_the_prefix_is_not_a_key() {
        assert!(key_of(&SecretString::new("C2FVsBQIhrscChlQIMV".to_owned())).is_none());
    }
}
