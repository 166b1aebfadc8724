//! An OpenID Connect ID token (a JWS-signed JWT, RFC 7519), checked as STS
//! checks the token of AssumeRoleWithWebIdentity (shared/spec/sts-iam.md §6):
//! the signature with a key of the issuer's JWKS (by `kid`), then `exp`,
//! `nbf` and `iat`, then `aud` against the provider's client ids.
//!
//! Nothing of the token is trusted before its signature verified but the
//! `iss`, which only chooses the provider (and so the keys) to verify with.
//! Choices where AWS is silent: `exp` is required and has no leeway;
//! `nbf` and `iat` may be up to [`LEEWAY_SECONDS`] in the future (clock
//! skew), beyond that the claim is refused (`IDPRejectedClaim`); `sub` is
//! required, since the answer's `SubjectFromWebIdentityToken` is.

use serde_json::{Map, Value};

use super::jwks::{self, Jwks, b64url};

/// How far in the future `nbf` and `iat` may be.
pub const LEEWAY_SECONDS: i64 = 60;

/// Why a token was refused. The texts are AWS's where AWS's are known
/// (observed answers of STS), and name no secret: a token's claims are
/// the client's own, its signature is never echoed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON, no `iss`, an unsupported `alg`.
    #[error("{0}")]
    Malformed(String),
    #[error("No OpenIDConnect provider found in your account for {0}")]
    NoProvider(String),
    /// No key of the issuer's JWKS has the token's `kid` (and fits its `alg`).
    #[error(
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
    )]
    UnknownKey,
    #[error("The web identity token's signature is not valid for the identity provider's keys")]
    BadSignature,
    #[error("Token expired: current date/time {now} must be before the expiration date/time {exp}")]
    Expired { now: i64, exp: i64 },
    /// A claim that is not (yet) true: `nbf`/`iat` in the future, no `sub`.
    #[error("{0}")]
    RejectedClaim(String),
    #[error("Incorrect token audience")]
    WrongAudience,
    /// The provider's keys could not be fetched (and none are cached).
    #[error("{0}")]
    Communication(String),
}

/// A token split and decoded, its signature not yet checked.
#[derive(Debug)]
pub struct UnverifiedToken {
    alg: String,
    kid: Option<String>,
    claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

/// A token whose signature and claims held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub issuer: String,
    pub subject: String,
    /// The `aud` value that is one of the provider's client ids.
    pub audience: String,
    /// Every `aud` value.
    pub audiences: Vec<String>,
}

fn malformed(text: &str) -> TokenError {
    TokenError::Malformed(format!("The web identity token is not a valid JWT: {text}"))
}

fn object(part: &str, what: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = b64url(part).ok_or_else(|| malformed(&format!("its {what} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed(&format!("its {what} is not a JSON object"))),
    }
}

/// Splits a compact JWS and decodes its header and claims.
pub fn parse(token: &str) -> Result<UnverifiedToken, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "it must be three base64url parts separated by '.'",
        ));
    };
    let head = object(header, "header")?;
    let claims = object(payload, "payload")?;
    let signature = b64url(signature).ok_or_else(|| malformed("its signature is not base64url"))?;
    let alg = head
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("its header has no \"alg\""))?
        .to_owned();
    if !jwks::is_supported(&alg) {
        return Err(TokenError::Malformed(format!(
            "The web identity token's algorithm {} is not accepted (RS256, RS384, RS512, ES256, ES384)",
            crate::web_identity::bounded(&alg)
        )));
    }
    let kid = match head.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(malformed("its header's \"kid\" is not a string")),
    };
    Ok(UnverifiedToken {
        alg,
        kid,
        claims,
        signing_input: format!("{header}.{payload}"),
        signature,
    })
}

fn number(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        // NumericDate may have a fraction; whole seconds are compared.
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.floor() as i64))
            .map(Some)
            .ok_or_else(|| malformed(&format!("its \"{name}\" is not a NumericDate"))),
        Some(_) => Err(malformed(&format!("its \"{name}\" is not a NumericDate"))),
    }
}

impl UnverifiedToken {
    /// `iss`, which chooses the provider; unverified.
    pub fn issuer(&self) -> Result<&str, TokenError> {
        self.claims
            .get("iss")
            .and_then(Value::as_str)
            .filter(|iss| !iss.is_empty())
            .ok_or_else(|| malformed("it has no \"iss\" claim"))
    }

    /// Whether `keys` hold a key this token may be verified with (its
    /// `kid`, fitting its `alg`): when not, a provider whose keys are
    /// fetched may have rotated them.
    pub fn has_key_in(&self, keys: &Jwks) -> bool {
        keys.candidates(self.kid.as_deref(), &self.alg)
            .next()
            .is_some()
    }

    /// Checks the signature with `keys`, then the times at `now_s` (Unix
    /// seconds), then the audience against `client_ids`.
    pub fn verify(
        &self,
        keys: &Jwks,
        client_ids: &[String],
        now_s: i64,
    ) -> Result<VerifiedToken, TokenError> {
        let mut candidates = keys.candidates(self.kid.as_deref(), &self.alg).peekable();
        if candidates.peek().is_none() {
            return Err(TokenError::UnknownKey);
        }
        if !candidates
            .any(|key| key.verifies(&self.alg, self.signing_input.as_bytes(), &self.signature))
        {
            return Err(TokenError::BadSignature);
        }
        let claims = &self.claims;
        let Some(exp) = number(claims, "exp")? else {
            return Err(malformed("it has no \"exp\" claim"));
        };
        if now_s >= exp {
            return Err(TokenError::Expired { now: now_s, exp });
        }
        for name in ["nbf", "iat"] {
            if let Some(at) = number(claims, name)?
                && at > now_s + LEEWAY_SECONDS
            {
                return Err(TokenError::RejectedClaim(format!(
                    "The web identity token's \"{name}\" ({at}) is in the future (now {now_s})"
                )));
            }
        }
        let audiences: Vec<String> = match claims.get("aud") {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let Some(audience) = audiences
            .iter()
            .find(|aud| client_ids.contains(aud))
            .cloned()
        else {
            return Err(TokenError::WrongAudience);
        };
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|sub| !sub.is_empty())
            .ok_or_else(|| {
                TokenError::RejectedClaim("The web identity token has no \"sub\" claim".to_owned())
            })?
            .to_owned();
        Ok(VerifiedToken {
            issuer: self.issuer()?.to_owned(),
            subject,
            audience,
            audiences,
        })
    }
}
