//! Parsing the `Authorization` header (or the presigned query) into a typed
//! [`Authorization`], with the policy checks that need no key (§6.1, §6.2).

use std::borrow::Cow;

use http::HeaderMap;
use jiff::Timestamp;
use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq;

use super::{ALGORITHM, AuthError, SignedRequest, TERMINATOR};
use crate::error::{echo, echo_authorization};

const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";

/// The parsed credential and signature, before the key is looked up.
#[derive(Clone)]
pub struct Authorization {
    pub access_key_id: String,
    /// `yyyymmdd` from the credential scope.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    /// The SignedHeaders list, verbatim and in order.
    pub signed_headers: Vec<String>,
    signature: Signature,
    pub request_time: Timestamp,
    /// The request time in ISO-8601 basic form (`20150830T123600Z`): as sent
    /// in `X-Amz-Date`, or formatted from the `Date` header.
    pub amz_date: String,
    /// `X-Amz-Security-Token` (header, or query when presigned).
    pub security_token: Option<String>,
    /// The signature came in the query string (`X-Amz-Signature`).
    pub presigned: bool,
    /// Presigned only: `X-Amz-Expires` in seconds (at most 604800).
    pub expires: Option<u32>,
    /// `AKID/date/region/service/aws4_request`: the signing-key cache key.
    credential: String,
}

impl Authorization {
    /// Whether `name` (any case) is in SignedHeaders. The server can use it
    /// to require `content-type` and `x-amz-target` (§6.3 policy).
    pub fn signs(&self, name: &str) -> bool {
        self.signed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    }

    /// `AKID/yyyymmdd/region/service/aws4_request`.
    pub(crate) fn credential(&self) -> &str {
        &self.credential
    }

    /// `yyyymmdd/region/service/aws4_request`, the scope line of the
    /// string to sign.
    pub(crate) fn scope(&self) -> &str {
        self.credential
            .get(self.access_key_id.len() + 1..)
            .unwrap_or_default()
    }

    pub(crate) fn signature(&self) -> &Signature {
        &self.signature
    }
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("access_key_id", &self.access_key_id)
            .field("scope_date", &self.scope_date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("signed_headers", &self.signed_headers)
            .field("amz_date", &self.amz_date)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("presigned", &self.presigned)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// The signature as sent (64 lower-case hex digits when well-formed).
/// No `PartialEq`: the only comparison is [`Signature::matches`], in
/// constant time, so a forger learns nothing from response timing.
#[derive(Clone)]
pub(crate) struct Signature(String);

impl Signature {
    pub(crate) fn matches(&self, expected_hex: &[u8]) -> bool {
        self.0.as_bytes().ct_eq(expected_hex).into()
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signature(..)")
    }
}

/// Which header carried the request time (it must then be signed).
#[derive(Clone, Copy)]
enum DateSource {
    AmzDate,
    Date,
    Query,
}

/// Parses the `Authorization` header form, or the presigned query form.
///
/// Policy checks here, all before any key lookup: algorithm
/// `AWS4-HMAC-SHA256` only; terminator `aws4_request`; SignedHeaders
/// includes `host` and `x-amz-date` (or `date` when the `Date` header was
/// used); a sent `X-Amz-Security-Token` header is signed; the scope date is
/// the request date.
pub fn parse(req: &SignedRequest<'_>) -> Result<Authorization, AuthError> {
    let header = req.headers.get(http::header::AUTHORIZATION);
    let in_query = raw_query_param(req.query, "X-Amz-Algorithm").is_some();
    match (header, in_query) {
        (Some(_), true) => Err(AuthError::InvalidSignature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
                .to_owned(),
        )),
        (Some(value), false) => parse_header(req, &String::from_utf8_lossy(value.as_bytes())),
        (None, true) => parse_query(req),
        (None, false) => Err(AuthError::MissingAuthenticationToken),
    }
}

fn parse_header(req: &SignedRequest<'_>, raw: &str) -> Result<Authorization, AuthError> {
    let header = raw.trim();
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if !algorithm.starts_with("AWS4-") {
        // SigV2 (`AWS AKID:sig`), `Bearer ...`: not a SigV4 credential at all.
        return Err(AuthError::MissingAuthenticationToken);
    }
    check_algorithm(algorithm)?;

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{}' not a valid key=value pair (missing equal-sign) in Authorization header: '{}'.",
                echo(part),
                echo_authorization(header)
            )));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.trim());
        }
    }

    let date = header_date(req.headers);
    let mut missing = String::new();
    if credential.is_none_or(str::is_empty) {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none_or(str::is_empty) {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    // AWS quotes the header after the list (`Authorization=...`); kinko
    // quotes at most its start and never its signature.
    let incomplete = |missing: &str| {
        AuthError::IncompleteSignature(format!(
            "{missing}Authorization={}",
            echo_authorization(header)
        ))
    };
    let (Some(credential), Some(signed_headers), Some(signature), Some((source, date))) =
        (credential, signed_headers, signature, date)
    else {
        return Err(incomplete(&missing));
    };
    if !missing.is_empty() {
        return Err(incomplete(&missing));
    }

    let token = req
        .headers
        .get(X_AMZ_SECURITY_TOKEN)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    build(
        req.headers,
        Parts {
            credential,
            signed_headers,
            signature,
            date: &date,
            source,
            security_token: token,
            expires: None,
        },
    )
}

fn parse_query(req: &SignedRequest<'_>) -> Result<Authorization, AuthError> {
    let param = |name: &str| raw_query_param(req.query, name).map(decode_query_component);
    let algorithm = param("X-Amz-Algorithm");
    let credential = param("X-Amz-Credential");
    let signature = param("X-Amz-Signature");
    let signed_headers = param("X-Amz-SignedHeaders");
    let date = param("X-Amz-Date");
    let expires = param("X-Amz-Expires");
    let token = param("X-Amz-Security-Token");

    let mut missing = String::new();
    for (name, value) in [
        ("X-Amz-Algorithm", &algorithm),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Signature", &signature),
        ("X-Amz-SignedHeaders", &signed_headers),
        ("X-Amz-Date", &date),
    ] {
        if value.as_deref().is_none_or(str::is_empty) {
            missing.push_str("AWS query-string parameters must include '");
            missing.push_str(name);
            missing.push_str("'. ");
        }
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (algorithm, credential, signature, signed_headers, date)
    else {
        return Err(AuthError::IncompleteSignature(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    };
    if !missing.is_empty() {
        return Err(AuthError::IncompleteSignature(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    }
    check_algorithm(&algorithm)?;

    let expires = match expires {
        None => None,
        Some(text) => {
            let secs: u32 = text.parse().map_err(|_| {
                AuthError::IncompleteSignature("X-Amz-Expires should be a number".to_owned())
            })?;
            if secs > 604_800 {
                return Err(AuthError::IncompleteSignature(
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800".to_owned(),
                ));
            }
            Some(secs)
        }
    };
    let token = token.map(Cow::into_owned).or_else(|| {
        req.headers
            .get(X_AMZ_SECURITY_TOKEN)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    });
    build(
        req.headers,
        Parts {
            credential: &credential,
            signed_headers: &signed_headers,
            signature: &signature,
            date: &date,
            source: DateSource::Query,
            security_token: token,
            expires,
        },
    )
}

/// What both forms yield before the shared checks.
struct Parts<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    date: &'a str,
    source: DateSource,
    security_token: Option<String>,
    expires: Option<u32>,
}

fn build(headers: &HeaderMap, parts: Parts<'_>) -> Result<Authorization, AuthError> {
    let (request_time, amz_date) = match parts.source {
        DateSource::AmzDate | DateSource::Query => match parse_amz_date(parts.date) {
            Some(ts) => (ts, parts.date.to_owned()),
            None => return Err(bad_date(parts.date)),
        },
        DateSource::Date => match parse_http_date(parts.date) {
            Some(ts) => (ts, format_amz_date(ts)),
            None => return Err(bad_date(parts.date)),
        },
    };

    let mut pieces = parts.credential.split('/');
    let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) = (
        pieces.next(),
        pieces.next(),
        pieces.next(),
        pieces.next(),
        pieces.next(),
        pieces.next(),
    ) else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            echo(parts.credential)
        )));
    };
    if terminator != super::TERMINATOR {
        return Err(AuthError::InvalidSignature(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'. ",
            echo(terminator)
        )));
    }
    let request_day = amz_date.get(..8).unwrap_or_default();
    if date != request_day {
        return Err(AuthError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{request_day}', from '{amz_date}'.",
            echo(date)
        )));
    }

    let signed_headers: Vec<String> = parts.signed_headers.split(';').map(str::to_owned).collect();
    let signs = |name: &str| signed_headers.iter().any(|h| h.eq_ignore_ascii_case(name));
    if !signs("host") {
        return Err(must_be_signed("'Host' or ':authority'"));
    }
    match parts.source {
        DateSource::AmzDate if !signs(X_AMZ_DATE) => return Err(must_be_signed("'X-Amz-Date'")),
        DateSource::Date if !signs("date") => return Err(must_be_signed("'Date'")),
        _ => {}
    }
    if headers.contains_key(X_AMZ_SECURITY_TOKEN) && !signs(X_AMZ_SECURITY_TOKEN) {
        return Err(must_be_signed("'X-Amz-Security-Token'"));
    }

    Ok(Authorization {
        access_key_id: akid.to_owned(),
        scope_date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature: Signature(parts.signature.to_owned()),
        request_time,
        amz_date,
        security_token: parts.security_token,
        presigned: matches!(parts.source, DateSource::Query),
        expires: parts.expires,
        credential: parts.credential.to_owned(),
    })
}

fn check_algorithm(algorithm: &str) -> Result<(), AuthError> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{}' (only AWS4-HMAC-SHA256 for now). ",
            echo(algorithm)
        )))
    }
}

fn must_be_signed(what: &str) -> AuthError {
    AuthError::InvalidSignature(format!(
        "{what} must be a 'SignedHeader' in the AWS Authorization."
    ))
}

fn bad_date(got: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
        echo(got)
    ))
}

/// `X-Amz-Date` wins over `Date`, as in every SDK.
fn header_date(headers: &HeaderMap) -> Option<(DateSource, String)> {
    let (source, value) = match headers.get(X_AMZ_DATE) {
        Some(v) => (DateSource::AmzDate, v),
        None => (DateSource::Date, headers.get(http::header::DATE)?),
    };
    Some((
        source,
        String::from_utf8_lossy(value.as_bytes()).into_owned(),
    ))
}

/// The service a request's credential scope names (`…/sts/aws4_request`),
/// read leniently from the `Authorization` header or the presigned
/// `X-Amz-Credential`, checking nothing else. Routing uses it to tell an
/// STS Query request from the JSON APIs before the body is read, so even a
/// request whose signature is malformed is answered in its own protocol.
pub fn scope_service(headers: &HeaderMap, query: &str) -> Option<String> {
    let credential = match headers.get(http::header::AUTHORIZATION) {
        Some(value) => {
            let text = value.to_str().ok()?;
            let (_, rest) = text.split_once("Credential=")?;
            Cow::Borrowed(rest.split([',', ' ']).next()?)
        }
        None => decode_query_component(raw_query_param(query, "X-Amz-Credential")?),
    };
    credential.split('/').nth(3).map(str::to_owned)
}

/// The raw (still encoded) value of the first `name=` pair in a query.
fn raw_query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    if query.is_empty() {
        return None;
    }
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// Form-decodes one query component: `+` is a space, `%XX` a byte.
pub(crate) fn decode_query_component(raw: &str) -> Cow<'_, str> {
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
    } else {
        percent_decode_str(raw).decode_utf8_lossy()
    }
}

/// Parses `YYYYMMDDTHHMMSSZ` strictly (UTC, no separators, no fraction).
pub(crate) fn parse_amz_date(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i32> {
        b.get(range)?.iter().try_fold(0i32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    let year = i16::try_from(num(0..4)?).ok()?;
    let month = i8::try_from(num(4..6)?).ok()?;
    let day = i8::try_from(num(6..8)?).ok()?;
    let hour = i8::try_from(num(9..11)?).ok()?;
    let minute = i8::try_from(num(11..13)?).ok()?;
    let second = i8::try_from(num(13..15)?).ok()?;
    let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

/// Parses an HTTP `Date` (`Sun, 30 Aug 2015 12:36:00 GMT`).
fn parse_http_date(text: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text.trim())
        .ok()
}

/// Formats a timestamp as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_amz_date(ts: Timestamp) -> String {
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

#[cfg(test)]
mod tests;
