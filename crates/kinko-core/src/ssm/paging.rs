//! `NextToken`: an opaque, authenticated paging cursor.
//!
//! A token carries the cursor (the last name or version returned) and a
//! digest of the operation, region and request filters, and is MACed with a
//! key derived from the root key. A token the server did not issue, a
//! tampered one, or one replayed with different filters is rejected with
//! `InvalidNextToken`.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::SsmError;

/// What can authenticate a token (the keyring; a fake in tests).
pub trait TokenAuthenticator {
    fn mac(&self, data: &[u8]) -> [u8; 32];
    fn verify(&self, data: &[u8], tag: &[u8]) -> bool;
}

impl TokenAuthenticator for crate::keyring::Keyring {
    fn mac(&self, data: &[u8]) -> [u8; 32] {
        self.token_mac(data)
    }

    fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        self.verify_token_mac(data, tag)
    }
}

const MAC_LEN: usize = 32;
const BINDING_LEN: usize = 32;

/// What a token is bound to: one operation in one region with one set of
/// request parameters (filters, path, recursion...).
pub struct TokenScope {
    digest: [u8; BINDING_LEN],
}

impl TokenScope {
    /// `request` is any stable rendering of the request's filters.
    pub fn new(operation: &str, region: &str, request: &str) -> Self {
        let mut data = Vec::with_capacity(operation.len() + region.len() + request.len() + 2);
        data.extend_from_slice(operation.as_bytes());
        data.push(0);
        data.extend_from_slice(region.as_bytes());
        data.push(0);
        data.extend_from_slice(request.as_bytes());
        let d = digest::digest(&digest::SHA256, &data);
        let mut out = [0u8; BINDING_LEN];
        out.copy_from_slice(d.as_ref());
        TokenScope { digest: out }
    }

    /// Issues a token for `cursor` (the last key returned).
    pub fn issue(&self, auth: &dyn TokenAuthenticator, cursor: &str) -> String {
        let mut payload = Vec::with_capacity(BINDING_LEN + cursor.len());
        payload.extend_from_slice(&self.digest);
        payload.extend_from_slice(cursor.as_bytes());
        let tag = auth.mac(&payload);
        let mut token = Vec::with_capacity(MAC_LEN + payload.len());
        token.extend_from_slice(&tag);
        token.extend_from_slice(&payload);
        STANDARD.encode(token)
    }

    /// Checks a token and returns its cursor.
    pub fn open(&self, auth: &dyn TokenAuthenticator, token: &str) -> Result<String, SsmError> {
        let bytes = STANDARD
            .decode(token)
            .map_err(|_| SsmError::invalid_next_token())?;
        if bytes.len() < MAC_LEN + BINDING_LEN {
            return Err(SsmError::invalid_next_token());
        }
        let (tag, payload) = bytes.split_at(MAC_LEN);
        if !auth.verify(payload, tag) {
            return Err(SsmError::invalid_next_token());
        }
        let (binding, cursor) = payload.split_at(BINDING_LEN);
        if binding != self.digest {
            return Err(SsmError::invalid_next_token());
        }
        String::from_utf8(cursor.to_vec()).map_err(|_| SsmError::invalid_next_token())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stand-in authenticator: HMAC-SHA256 under a fixed test key.
    pub(crate) struct TestAuth;

    impl TokenAuthenticator for TestAuth {
        fn mac(&self, data: &[u8]) -> [u8; 32] {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"test key");
            let t = aws_lc_rs::hmac::sign(&key, data);
            let mut out = [0u8; 32];
            out.copy_from_slice(t.as_ref());
            out
        }
        fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"test key");
            aws_lc_rs::hmac::verify(&key, data, tag).is_ok()
        }
    }

    #[test]
    fn round_trip() {
        let scope = TokenScope::new("DescribeParameters", "us-east-1", "[]");
        let token = scope.issue(&TestAuth, "/a/b");
        assert_eq!(scope.open(&TestAuth, &token).unwrap(), "/a/b");
    }

    #[test]
    fn tampered_forged_and_mismatched_tokens_are_invalid() {
        let scope = TokenScope::new("DescribeParameters", "us-east-1", "[]");
        let token = scope.issue(&TestAuth, "/a/b");
        let invalid = SsmError::InvalidNextToken("The specified token isn't valid.".into());

        let mut bytes = STANDARD.decode(&token).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            scope.open(&TestAuth, &STANDARD.encode(&bytes)).unwrap_err(),
            invalid
        );

        assert_eq!(scope.open(&TestAuth, "not base64!").unwrap_err(), invalid);
        assert_eq!(scope.open(&TestAuth, "AAAA").unwrap_err(), invalid);
        let forged = STANDARD.encode([0u8; 80]);
        assert_eq!(scope.open(&TestAuth, &forged).unwrap_err(), invalid);

        let other_filters = TokenScope::new("DescribeParameters", "us-east-1", "[x]");
        assert_eq!(other_filters.open(&TestAuth, &token).unwrap_err(), invalid);
        let other_op = TokenScope::new("GetParametersByPath", "us-east-1", "[]");
        assert_eq!(other_op.open(&TestAuth, &token).unwrap_err(), invalid);
    }
}
