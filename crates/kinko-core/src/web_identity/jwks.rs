//! A JSON Web Key Set (RFC 7517) as an identity provider publishes it, and
//! the one thing kinko does with it: verify a JWS signature (RFC 7515) by
//! hand with aws-lc-rs, the workspace's one crypto provider.
//!
//! Only asymmetric keys and algorithms are accepted: RS256/RS384/RS512
//! (RSA PKCS#1 v1.5, 2048 bits or more) and ES256/ES384 (ECDSA P-256 and
//! P-384, the JWS `r || s` form). `none` and the HMAC algorithms are never
//! accepted, whatever a key says, so a public key can never be used as an
//! HMAC secret.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine;
use serde::Deserialize;

/// A parsed key set; keys of kinds kinko does not verify with are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One verification key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    pub kid: Option<String>,
    /// The key's `alg`, when it names one: then only that algorithm verifies.
    pub alg: Option<String>,
    pub key: PublicKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The uncompressed point `04 || x || y`.
    Ec { curve: Curve, point: Vec<u8> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS is not a JSON object with a \"keys\" list: {0}")]
    NotAKeySet(String),
    #[error("JWKS key {index}: {message}")]
    BadKey { index: usize, message: String },
    #[error("the JWKS has no RSA or EC signing key kinko can verify with")]
    NoUsableKey,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    usage: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// base64url without padding (RFC 7515 §2); padding is tolerated.
pub(crate) fn b64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

impl Jwks {
    /// Parses a key set. Keys for encryption (`"use": "enc"`) and of other
    /// types (`oct`, `OKP`) are left out; a malformed RSA or EC key is an
    /// error, so a typo is seen when the provider is registered.
    pub fn parse(text: &str) -> Result<Jwks, JwksError> {
        let raw: RawSet =
            serde_json::from_str(text).map_err(|e| JwksError::NotAKeySet(e.to_string()))?;
        let mut keys = Vec::new();
        for (index, value) in raw.keys.into_iter().enumerate() {
            let bad = |message: &str| JwksError::BadKey {
                index,
                message: message.to_owned(),
            };
            let raw: RawKey = serde_json::from_value(value).map_err(|e| bad(&e.to_string()))?;
            if raw.usage.as_deref().is_some_and(|u| u != "sig") {
                continue;
            }
            let key = match raw.kty.as_str() {
                "RSA" => {
                    let part = |p: &Option<String>, name: &str| {
                        p.as_deref()
                            .and_then(b64url)
                            .map(|bytes| {
                                let start =
                                    bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
                                bytes[start..].to_vec()
                            })
                            .filter(|bytes| !bytes.is_empty())
                            .ok_or_else(|| bad(&format!("RSA \"{name}\" must be base64url")))
                    };
                    let n = part(&raw.n, "n")?;
                    if n.len() < 256 {
                        return Err(bad("RSA keys shorter than 2048 bits are not accepted"));
                    }
                    PublicKey::Rsa {
                        n,
                        e: part(&raw.e, "e")?,
                    }
                }
                "EC" => {
                    let (curve, size) = match raw.crv.as_deref() {
                        Some("P-256") => (Curve::P256, 32),
                        Some("P-384") => (Curve::P384, 48),
                        other => {
                            return Err(bad(&format!(
                                "EC curve {other:?} is not supported (P-256, P-384)"
                            )));
                        }
                    };
                    let coordinate = |c: &Option<String>, name: &str| {
                        c.as_deref()
                            .and_then(b64url)
                            .filter(|bytes| bytes.len() == size)
                            .ok_or_else(|| {
                                bad(&format!("EC \"{name}\" must be {size} bytes of base64url"))
                            })
                    };
                    let mut point = vec![4u8];
                    point.extend(coordinate(&raw.x, "x")?);
                    point.extend(coordinate(&raw.y, "y")?);
                    PublicKey::Ec { curve, point }
                }
                _ => continue,
            };
            keys.push(Jwk {
                kid: raw.kid,
                alg: raw.alg,
                key,
            });
        }
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(Jwks { keys })
    }

    /// The keys a token signed with `alg` under `kid` may be verified
    /// with: the key of that id (a token without `kid`: every key), of a
    /// type that fits `alg`.
    pub fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: &'a str,
    ) -> impl Iterator<Item = &'a Jwk> + 'a {
        self.keys.iter().filter(move |key| {
            kid.is_none_or(|kid| key.kid.as_deref() == Some(kid))
                && key.alg.as_deref().is_none_or(|a| a == alg)
                && key.fits(alg)
        })
    }
}

/// The JWS algorithms kinko verifies.
pub fn is_supported(alg: &str) -> bool {
    matches!(alg, "RS256" | "RS384" | "RS512" | "ES256" | "ES384")
}

impl Jwk {
    fn fits(&self, alg: &str) -> bool {
        matches!(
            (&self.key, alg),
            (PublicKey::Rsa { .. }, "RS256" | "RS384" | "RS512")
                | (
                    PublicKey::Ec {
                        curve: Curve::P256,
                        ..
                    },
                    "ES256"
                )
                | (
                    PublicKey::Ec {
                        curve: Curve::P384,
                        ..
                    },
                    "ES384"
                )
        )
    }

    /// Whether `signature` over `message` verifies under this key with `alg`.
    pub fn verifies(&self, alg: &str, message: &[u8], signature: &[u8]) -> bool {
        match &self.key {
            PublicKey::Rsa { n, e } => {
                let params = match alg {
                    "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                    "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                    "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                    _ => return false,
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, signature)
                    .is_ok()
            }
            PublicKey::Ec { curve, point } => {
                let algorithm = match (curve, alg) {
                    (Curve::P256, "ES256") => &signature::ECDSA_P256_SHA256_FIXED,
                    (Curve::P384, "ES384") => &signature::ECDSA_P384_SHA384_FIXED,
                    _ => return false,
                };
                UnparsedPublicKey::new(algorithm, point)
                    .verify(message, signature)
                    .is_ok()
            }
        }
    }
}
