//! The signature check proper (§6.3, §6.4): canonical request, string to
//! sign, HMAC with the cached kSigning, constant-time compare.

use aws_lc_rs::{digest, hmac};
use kinko_crypto::SecretString;

use super::canonical::canonical_request;
use super::{ALGORITHM, AuthError, Authorization, SignedRequest, SigningKeyCache};

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const CONTENT_SHA256_MISMATCH: &str =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";

/// Rebuilds the canonical request from exactly the signed headers, computes
/// the signature with `secret` and compares it in constant time.
///
/// With `explain` (dev mode) a mismatch message carries AWS's canonical
/// request and string to sign, which hold no secret, so a client author can
/// diff them against their own.
pub fn verify(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    secret: &SecretString,
    cache: &SigningKeyCache,
    explain: bool,
) -> Result<(), AuthError> {
    // The payload line is always our own hash of the body: a sent
    // X-Amz-Content-SHA256 (or UNSIGNED-PAYLOAD) must agree with it.
    let body_hash = hex32(digest::digest(&digest::SHA256, req.body).as_ref());
    if let Some(sent) = req.headers.get("x-amz-content-sha256")
        && sent.as_bytes() != body_hash.as_slice()
    {
        return Err(AuthError::InvalidSignature(
            CONTENT_SHA256_MISMATCH.to_owned(),
        ));
    }

    let (canonical, missing_header) = canonical_request(req, auth, &body_hash);
    let canonical_hash = hex32(digest::digest(&digest::SHA256, &canonical).as_ref());
    let string_to_sign = string_to_sign(auth, &canonical_hash);

    let key = cache.signing_key(auth, secret.expose());
    let expected = hex32(hmac::sign(&key, &string_to_sign).as_ref());

    if auth.signature().matches(&expected) && !missing_header {
        return Ok(());
    }
    let mut message = MISMATCH.to_owned();
    if explain {
        message.push_str("\n\nThe Canonical String for this request should have been\n'");
        message.push_str(&String::from_utf8_lossy(&canonical));
        message.push_str("'\n\nThe String-to-Sign should have been\n'");
        message.push_str(&String::from_utf8_lossy(&string_to_sign));
        message.push_str("'\n");
    }
    Err(AuthError::InvalidSignature(message))
}

fn string_to_sign(auth: &Authorization, canonical_hash: &[u8]) -> Vec<u8> {
    let scope = auth.scope();
    let mut out = Vec::with_capacity(ALGORITHM.len() + auth.amz_date.len() + scope.len() + 64 + 3);
    out.extend_from_slice(ALGORITHM.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(auth.amz_date.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(scope.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_hash);
    out
}

/// Lower-case hex of a 32-byte digest or tag, without allocating.
fn hex32(bytes: &[u8]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::key_cache::derive_signing_key;
    use crate::sigv4::test_support::*;
    use crate::sigv4::{check_scope, check_time, parse};

    const B_CANONICAL: &str = "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:localhost:8080\nx-amz-date:20150830T123600Z\nx-amz-target:AmazonSSM.GetParameter\n\ncontent-type;host;x-amz-date;x-amz-target\n86645555ce8fd50c71aadd09ad251292243bfa4ff4f5a7ff384eb742da5712fb";
    const B_STRING_TO_SIGN: &str = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/ssm/aws4_request\nd0fd9c6ae8d76ca5d477b45f207977df68dc91439e53c1198b86ba76384a583b";

    fn secret() -> SecretString {
        SecretString::from(SECRET)
    }

    /// The whole server-side sequence, as the server runs it.
    fn check(req: &TestRequest, now: &str, service: &str) -> Result<(), AuthError> {
        let signed = req.signed();
        let auth = parse(&signed)?;
        check_time(&auth, ts(now))?;
        check_scope(&auth, service, |r| r == "us-east-1")?;
        if auth.access_key_id != AKID {
            return Err(AuthError::UnrecognizedClient);
        }
        verify(&signed, &auth, &secret(), &SigningKeyCache::new(), false)
    }

    fn mismatch() -> AuthError {
        AuthError::InvalidSignature(MISMATCH.to_owned())
    }

    #[test]
    fn vector_a_post_x_www_form_urlencoded() {
        let req = TestRequest::post(
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
                ),
            ],
            b"Param1=value1",
        );
        let auth = parse(&req.signed()).unwrap();
        let body_hash = hex32(digest::digest(&digest::SHA256, &req.body).as_ref());
        let (canonical, missing) = canonical_request(&req.signed(), &auth, &body_hash);
        assert!(!missing);
        assert_eq!(
            hex32(digest::digest(&digest::SHA256, &canonical).as_ref()).as_slice(),
            b"42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"
        );
        assert_eq!(check(&req, "20150830T123600Z", "service"), Ok(()));
    }

    #[test]
    fn vector_a_post_sts_header_before() {
        let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
        let mut req = TestRequest::post(
            &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
                ("X-Amz-Security-Token", token),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
                ),
            ],
            b"",
        );
        let auth = parse(&req.signed()).unwrap();
        assert_eq!(auth.security_token.as_deref(), Some(token));
        assert_eq!(check(&req, "20150830T123600Z", "service"), Ok(()));

        // The token is signed: another token breaks the signature.
        req.set("x-amz-security-token", "AQoDYXdzEPT");
        assert_eq!(check(&req, "20150830T123600Z", "service"), Err(mismatch()));
    }

    #[test]
    fn vector_b_intermediates_and_signature() {
        let req = vector_b();
        let signed = req.signed();
        let auth = parse(&signed).unwrap();
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.scope_date, "20150830");
        assert_eq!(auth.region, "us-east-1");
        assert_eq!(auth.service, "ssm");
        assert_eq!(auth.amz_date, "20150830T123600Z");
        assert!(!auth.presigned);

        let body_hash = hex32(digest::digest(&digest::SHA256, &req.body).as_ref());
        assert_eq!(
            body_hash.as_slice(),
            b"86645555ce8fd50c71aadd09ad251292243bfa4ff4f5a7ff384eb742da5712fb"
        );
        let (canonical, missing) = canonical_request(&signed, &auth, &body_hash);
        assert!(!missing);
        assert_eq!(String::from_utf8(canonical.clone()).unwrap(), B_CANONICAL);
        let canonical_hash = hex32(digest::digest(&digest::SHA256, &canonical).as_ref());
        assert_eq!(
            canonical_hash.as_slice(),
            b"d0fd9c6ae8d76ca5d477b45f207977df68dc91439e53c1198b86ba76384a583b"
        );
        assert_eq!(
            String::from_utf8(string_to_sign(&auth, &canonical_hash)).unwrap(),
            B_STRING_TO_SIGN
        );
        let k_signing = derive_signing_key(SECRET, "20150830", "us-east-1", "ssm");
        assert_eq!(
            hex::encode(k_signing.expose()),
            "1b014a52e2c4682dbb4f9c057f77de175576bae388238bec84a63594a1c63358"
        );
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Ok(()));
    }

    #[test]
    fn cached_key_gives_the_same_answer_and_a_rotated_secret_does_not_reuse_it() {
        let req = vector_b();
        let signed = req.signed();
        let auth = parse(&signed).unwrap();
        let cache = SigningKeyCache::new();
        assert_eq!(verify(&signed, &auth, &secret(), &cache, false), Ok(()));
        assert_eq!(cache.len(), 1);
        assert_eq!(verify(&signed, &auth, &secret(), &cache, false), Ok(()));
        assert_eq!(cache.len(), 1);
        let rotated = SecretString::from("a-new-secret-after-rotation");
        assert_eq!(
            verify(&signed, &auth, &rotated, &cache, false),
            Err(mismatch())
        );
        assert_eq!(verify(&signed, &auth, &secret(), &cache, false), Ok(()));
    }

    #[test]
    fn one_changed_body_byte_is_a_mismatch() {
        let mut req = vector_b();
        req.body[10] ^= 1;
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Err(mismatch()));
    }

    #[test]
    fn a_signed_header_missing_from_the_request_is_a_mismatch() {
        let mut req = vector_b();
        req.headers.remove("x-amz-target");
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Err(mismatch()));
    }

    #[test]
    fn a_changed_signed_header_is_a_mismatch_but_an_unsigned_one_is_not() {
        let mut req = vector_b();
        req.set("x-amz-target", "AmazonSSM.DeleteParameter");
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Err(mismatch()));

        let mut req = vector_b();
        req.set("user-agent", "something/else");
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Ok(()));
    }

    #[test]
    fn a_changed_path_or_query_is_a_mismatch() {
        let mut req = vector_b();
        req.path = "/other".into();
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Err(mismatch()));
        let mut req = vector_b();
        req.query = "a=b".into();
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Err(mismatch()));
    }

    #[test]
    fn a_wrong_or_malformed_signature_is_a_mismatch() {
        for signature in [
            "ce77ab12693440249d1c5bc80a2342f6757c5e2c3f775116086a81e627b29457",
            "CE77AB12693440249D1C5BC80A2342F6757C5E2C3F775116086A81E627B29456",
            "ce77ab",
            "zz",
        ] {
            let mut req = vector_b();
            let auth = B_AUTH.replace(
                "ce77ab12693440249d1c5bc80a2342f6757c5e2c3f775116086a81e627b29456",
                signature,
            );
            req.set("authorization", &auth);
            assert_eq!(
                check(&req, "20150830T123600Z", "ssm"),
                Err(mismatch()),
                "{signature}"
            );
        }
    }

    #[test]
    fn explain_appends_the_canonical_request_and_string_to_sign() {
        let mut req = vector_b();
        req.set(
            "authorization",
            &B_AUTH.replace("Signature=ce77", "Signature=0000"),
        );
        let signed = req.signed();
        let auth = parse(&signed).unwrap();
        let err = verify(&signed, &auth, &secret(), &SigningKeyCache::new(), true).unwrap_err();
        let expected = format!(
            "{MISMATCH}\n\nThe Canonical String for this request should have been\n'{B_CANONICAL}'\n\nThe String-to-Sign should have been\n'{B_STRING_TO_SIGN}'\n"
        );
        assert_eq!(err, AuthError::InvalidSignature(expected));
        assert!(!err.message().contains(SECRET));
    }

    #[test]
    fn content_sha256_header_must_match_the_body() {
        let mut req = vector_b();
        req.set(
            "x-amz-content-sha256",
            "86645555ce8fd50c71aadd09ad251292243bfa4ff4f5a7ff384eb742da5712fb",
        );
        assert_eq!(check(&req, "20150830T123600Z", "ssm"), Ok(()));

        for wrong in [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "UNSIGNED-PAYLOAD",
        ] {
            req.set("x-amz-content-sha256", wrong);
            assert_eq!(
                check(&req, "20150830T123600Z", "ssm"),
                Err(AuthError::InvalidSignature(
                    "The provided 'x-amz-content-sha256' header does not match what was computed."
                        .into()
                ))
            );
        }
    }

    #[test]
    fn sixteen_minutes_old_is_expired() {
        let req = vector_b();
        let err = check(&req, "20150830T125200Z", "ssm").unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        assert_eq!(
            err.message(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)"
        );
    }

    #[test]
    fn sixteen_minutes_ahead_is_not_yet_current() {
        let req = vector_b();
        let err = check(&req, "20150830T122000Z", "ssm").unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        assert_eq!(
            err.message(),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)"
        );
    }

    #[test]
    fn secretsmanager_scope_on_an_ssm_target_is_the_wrong_service() {
        let mut req = vector_b();
        req.set(
            "authorization",
            &B_AUTH.replace("/ssm/", "/secretsmanager/"),
        );
        let err = check(&req, "20150830T123600Z", "ssm").unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        assert_eq!(
            err.message(),
            "Credential should be scoped to correct service: 'ssm'. "
        );
    }

    #[test]
    fn unknown_access_key_is_unrecognized_client() {
        let mut req = vector_b();
        req.set(
            "authorization",
            &B_AUTH.replace("AKIDEXAMPLE", "AKIDUNKNOWN"),
        );
        let err = check(&req, "20150830T123600Z", "ssm").unwrap_err();
        assert_eq!(err, AuthError::UnrecognizedClient);
        let aws = crate::AwsError::from(err);
        assert_eq!(aws.code, "UnrecognizedClientException");
        assert_eq!(
            aws.message,
            "The security token included in the request is invalid."
        );
    }

    #[test]
    fn authorization_without_signature_is_incomplete() {
        let mut req = vector_b();
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target";
        req.set("authorization", header);
        let err = check(&req, "20150830T123600Z", "ssm").unwrap_err();
        assert_eq!(err.code(), "IncompleteSignatureException");
        assert_eq!(
            err.message(),
            "Authorization header requires 'Signature' parameter. \
             Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/a..."
        );
    }
}
