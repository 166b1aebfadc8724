//! The verifier against tokens signed here, good and bad.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RsaKeyPair,
};
use base64::Engine;
use serde_json::{Value, json};

use super::token::{self, LEEWAY_SECONDS, TokenError};
use super::{Jwks, check_url, provider_name};

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://token.example.test";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

struct Rsa(RsaKeyPair);

impl Rsa {
    fn new() -> Rsa {
        Rsa(RsaKeyPair::generate(KeySize::Rsa2048).unwrap())
    }

    fn jwk(&self, kid: &str) -> Value {
        let public = self.0.public_key();
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
               "n": b64(public.modulus().big_endian_without_leading_zero()),
               "e": b64(public.exponent().big_endian_without_leading_zero())})
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut sig = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .unwrap();
        format!("{input}.{}", b64(&sig))
    }
}

fn claims() -> Value {
    json!({"iss": ISS, "sub": "repo:org/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
           "exp": NOW + 300, "iat": NOW - 10, "nbf": NOW - 10})
}

fn keys(jwks: &[Value]) -> Jwks {
    Jwks::parse(&json!({ "keys": jwks }).to_string()).unwrap()
}

fn verify(token: &str, jwks: &Jwks) -> Result<super::VerifiedToken, TokenError> {
    token::parse(token)?.verify(jwks, &["sts.amazonaws.com".to_owned()], NOW)
}

#[test]
fn an_rs256_token_verifies_and_says_who() {
    let rsa = Rsa::new();
    let jwks = keys(&[rsa.jwk("k1")]);
    let token = rsa.sign(
        &json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}),
        &claims(),
    );
    let verified = verify(&token, &jwks).unwrap();
    assert_eq!(verified.issuer, ISS);
    assert_eq!(verified.subject, "repo:org/app:ref:refs/heads/main");
    assert_eq!(verified.audience, "sts.amazonaws.com");

    // An audience list: one of them must be a client id.
    let mut many = claims();
    many["aud"] = json!(["other", "sts.amazonaws.com"]);
    let token = rsa.sign(&json!({"alg": "RS256", "kid": "k1"}), &many);
    assert_eq!(verify(&token, &jwks).unwrap().audiences.len(), 2);
}

#[test]
fn an_es256_token_verifies() {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let jwks = keys(&[json!({"kty": "EC", "crv": "P-256", "kid": "e1",
                             "x": b64(&point[1..33]), "y": b64(&point[33..])})]);
    let input = format!(
        "{}.{}",
        b64(json!({"alg": "ES256", "kid": "e1"}).to_string().as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let sig = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    let token = format!("{input}.{}", b64(sig.as_ref()));
    assert!(verify(&token, &jwks).is_ok());
    // The same token claiming RS256 finds no RSA key.
    let relabelled = format!(
        "{}.{}",
        b64(json!({"alg": "RS256", "kid": "e1"}).to_string().as_bytes()),
        token.split_once('.').unwrap().1
    );
    assert_eq!(
        verify(&relabelled, &jwks).unwrap_err(),
        TokenError::UnknownKey
    );
}

#[test]
fn bad_signatures_keys_and_algorithms_are_refused() {
    let rsa = Rsa::new();
    let other = Rsa::new();
    let jwks = keys(&[rsa.jwk("k1")]);
    let header = json!({"alg": "RS256", "kid": "k1"});
    // Signed by another key under the same kid.
    let forged = other.sign(&header, &claims());
    assert_eq!(
        verify(&forged, &jwks).unwrap_err(),
        TokenError::BadSignature
    );
    // A claim changed after signing.
    let good = rsa.sign(&header, &claims());
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut changed = claims();
    changed["sub"] = json!("repo:org/evil:ref:refs/heads/main");
    parts[1] = b64(changed.to_string().as_bytes());
    assert_eq!(
        verify(&parts.join("."), &jwks).unwrap_err(),
        TokenError::BadSignature
    );
    // A kid the JWKS does not have.
    let unknown = rsa.sign(&json!({"alg": "RS256", "kid": "k2"}), &claims());
    let err = verify(&unknown, &jwks).unwrap_err();
    assert_eq!(err, TokenError::UnknownKey);
    assert!(
        err.to_string()
            .starts_with("Couldn't retrieve verification key")
    );
    // No kid: any fitting key may verify it.
    let no_kid = rsa.sign(&json!({"alg": "RS256"}), &claims());
    assert!(verify(&no_kid, &jwks).is_ok());
    // alg none and HMAC are never accepted.
    for alg in ["none", "HS256"] {
        let head = b64(json!({"alg": alg, "kid": "k1"}).to_string().as_bytes());
        let body = b64(claims().to_string().as_bytes());
        let err = verify(&format!("{head}.{body}."), &jwks).unwrap_err();
        assert!(
            matches!(err, TokenError::Malformed(ref m) if m.contains("is not accepted")),
            "{alg}: {err}"
        );
    }
    for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.", "W10.e30.AA"] {
        assert!(
            matches!(verify(junk, &jwks), Err(TokenError::Malformed(_))),
            "{junk}"
        );
    }
}

#[test]
fn times_and_audiences_are_checked() {
    let rsa = Rsa::new();
    let jwks = keys(&[rsa.jwk("k1")]);
    let header = json!({"alg": "RS256", "kid": "k1"});
    let with = |key: &str, value: Value| {
        let mut c = claims();
        c[key] = value;
        rsa.sign(&header, &c)
    };
    let err = verify(&with("exp", json!(NOW)), &jwks).unwrap_err();
    assert_eq!(err, TokenError::Expired { now: NOW, exp: NOW });
    assert_eq!(
        err.to_string(),
        format!(
            "Token expired: current date/time {NOW} must be before the expiration date/time {NOW}"
        )
    );
    assert!(verify(&with("exp", json!(NOW as f64 + 1.5)), &jwks).is_ok());
    assert!(matches!(
        verify(&with("exp", json!("soon")), &jwks),
        Err(TokenError::Malformed(_))
    ));
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert!(matches!(
        verify(&rsa.sign(&header, &no_exp), &jwks),
        Err(TokenError::Malformed(_))
    ));
    for claim in ["nbf", "iat"] {
        assert!(verify(&with(claim, json!(NOW + LEEWAY_SECONDS)), &jwks).is_ok());
        assert!(matches!(
            verify(&with(claim, json!(NOW + LEEWAY_SECONDS + 1)), &jwks),
            Err(TokenError::RejectedClaim(_))
        ));
    }
    let err = verify(&with("aud", json!("someone-else")), &jwks).unwrap_err();
    assert_eq!(err.to_string(), "Incorrect token audience");
    assert_eq!(
        verify(&with("aud", json!([])), &jwks).unwrap_err(),
        TokenError::WrongAudience
    );
    assert!(matches!(
        verify(&with("sub", json!("")), &jwks),
        Err(TokenError::RejectedClaim(_))
    ));
}

#[test]
fn key_sets_and_urls_are_checked_when_registered() {
    let rsa = Rsa::new();
    assert!(Jwks::parse("[]").is_err());
    assert!(Jwks::parse(r#"{"keys":[]}"#).is_err());
    // Only unusable keys: nothing to verify with.
    assert!(Jwks::parse(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).is_err());
    let mut short = rsa.jwk("k");
    short["n"] = json!(b64(&[7; 128]));
    assert!(
        Jwks::parse(&json!({"keys": [short]}).to_string())
            .unwrap_err()
            .to_string()
            .contains("2048")
    );
    let mut enc = rsa.jwk("enc");
    enc["use"] = json!("enc");
    assert_eq!(keys(&[enc, rsa.jwk("sig")]).keys.len(), 1);
    assert!(Jwks::parse(r#"{"keys":[{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}]}"#).is_err());

    assert_eq!(
        check_url("https://token.actions.githubusercontent.com/").unwrap(),
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(
        check_url("https://example.com/tenant/v2").unwrap(),
        "https://example.com/tenant/v2"
    );
    for bad in [
        "http://example.com",
        "example.com",
        "https://",
        "https://a.com?x=1",
        "https://u@a.com",
        "",
    ] {
        assert!(check_url(bad).is_err(), "{bad}");
    }
    assert_eq!(
        provider_name("https://example.com/tenant/"),
        "example.com/tenant"
    );
}
