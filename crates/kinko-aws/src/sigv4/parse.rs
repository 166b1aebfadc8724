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
mod tests {
    use super::*;
    use crate::sigv4::test_support::*;

    const CRED: &str = "Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request";
    const SIG: &str = "Signature=ce77ab12693440249d1c5bc80a2342f6757c5e2c3f775116086a81e627b29456";

    fn with_auth(header: &str) -> TestRequest {
        let mut req = vector_b();
        req.set("authorization", header);
        req
    }

    fn incomplete(text: impl Into<String>) -> Result<Authorization, AuthError> {
        Err(AuthError::IncompleteSignature(text.into()))
    }

    fn invalid(text: impl Into<String>) -> Result<Authorization, AuthError> {
        Err(AuthError::InvalidSignature(text.into()))
    }

    fn assert_err(req: &TestRequest, expected: Result<Authorization, AuthError>) {
        // Authorization has no PartialEq (the signature must not be `==`d):
        // compare errors only.
        assert_eq!(parse(&req.signed()).err(), expected.err());
    }

    #[test]
    fn no_authorization_is_missing_authentication_token() {
        let mut req = vector_b();
        req.headers.remove("authorization");
        assert_err(&req, Err(AuthError::MissingAuthenticationToken));
        assert_err(
            &with_auth("Bearer abc"),
            Err(AuthError::MissingAuthenticationToken),
        );
        assert_err(
            &with_auth("AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="),
            Err(AuthError::MissingAuthenticationToken),
        );
    }

    #[test]
    fn sigv4a_is_rejected() {
        let header = format!(
            "AWS4-ECDSA-P256-SHA256 {CRED}, SignedHeaders=host;x-amz-date;x-amz-region-set, {SIG}"
        );
        assert_err(
            &with_auth(&header),
            incomplete(
                "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
            ),
        );
    }

    #[test]
    fn missing_parts_are_listed_in_aws_order() {
        // The header is quoted after the list, up to its signature.
        let header = format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, {SIG}");
        assert_err(
            &with_auth(&header),
            incomplete(
                "Authorization header requires 'Credential' parameter. \
                 Authorization=AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, ...",
            ),
        );
        let header = format!("AWS4-HMAC-SHA256 {CRED}, {SIG}");
        assert_err(
            &with_auth(&header),
            incomplete(
                "Authorization header requires 'SignedHeaders' parameter. \
                 Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/a...",
            ),
        );

        let mut req = with_auth("AWS4-HMAC-SHA256");
        req.headers.remove("x-amz-date");
        assert_err(
            &req,
            incomplete(
                "Authorization header requires 'Credential' parameter. \
                 Authorization header requires 'Signature' parameter. \
                 Authorization header requires 'SignedHeaders' parameter. \
                 Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
                 Authorization=AWS4-HMAC-SHA256",
            ),
        );
    }

    #[test]
    fn missing_date_header_is_incomplete() {
        let mut req = vector_b();
        req.headers.remove("x-amz-date");
        assert_err(
            &req,
            incomplete(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={}",
                echo_authorization(B_AUTH)
            )),
        );
    }

    #[test]
    fn pair_without_equal_sign_is_incomplete() {
        let header = format!("AWS4-HMAC-SHA256 {SIG}, Credential, SignedHeaders=host");
        assert_err(
            &with_auth(&header),
            incomplete(
                "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 ...'.",
            ),
        );
    }

    /// The messages that quote client input, with each input 10,000
    /// characters long (and a signature in the header).
    fn oversized_inputs() -> Vec<TestRequest> {
        let long = "x".repeat(10_000);
        let signed = format!("SignedHeaders=host;x-amz-date, {SIG}");
        let mut cases = vec![
            // missing equal-sign
            with_auth(&format!("AWS4-HMAC-SHA256 {long}, {signed}")),
            // a missing part: the whole header is quoted after the list
            with_auth(&format!("AWS4-HMAC-SHA256 {SIG}, SignedHeaders={long}")),
            // the credential's parts
            with_auth(&format!("AWS4-HMAC-SHA256 Credential={long}, {signed}")),
            with_auth(&format!(
                "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/ssm/{long}, {signed}"
            )),
            with_auth(&format!(
                "AWS4-HMAC-SHA256 Credential=A/{long}/us-east-1/ssm/aws4_request, {signed}"
            )),
            // the algorithm
            with_auth(&format!("AWS4-{long} {CRED}, {signed}")),
        ];
        let mut date = vector_b();
        date.set("x-amz-date", &long);
        cases.push(date);
        cases
    }

    #[test]
    fn no_message_quotes_more_than_a_bounded_part_of_any_input() {
        for req in oversized_inputs() {
            let err = parse(&req.signed()).expect_err("refused");
            let message = err.message();
            let start: String = message.chars().take(120).collect();
            assert!(
                message.len() < 400,
                "{} characters: {start}...",
                message.len()
            );
            assert!(
                !message.contains(&"x".repeat(crate::error::ECHO_MAX + 1)),
                "{start}..."
            );
            assert!(
                !message.contains("ce77ab1269"),
                "signature echoed: {message}"
            );
        }
    }

    #[test]
    fn header_without_spaces_after_commas_parses() {
        // oha's form: no spaces, and content-length signed.
        let header =
            format!("AWS4-HMAC-SHA256 {CRED},SignedHeaders=content-length;host;x-amz-date,{SIG}");
        let auth = parse(&with_auth(&header).signed()).unwrap();
        assert_eq!(
            auth.signed_headers,
            ["content-length", "host", "x-amz-date"]
        );
        assert_eq!(auth.region, "us-east-1");
        assert!(auth.signs("Content-Length"));
        assert!(!auth.signs("x-amz-target"));
        assert_eq!(
            auth.credential(),
            "AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request"
        );
        assert_eq!(auth.scope(), "20150830/us-east-1/ssm/aws4_request");
        assert!(
            auth.signature()
                .matches(b"ce77ab12693440249d1c5bc80a2342f6757c5e2c3f775116086a81e627b29456")
        );
    }

    #[test]
    fn date_header_is_used_when_x_amz_date_is_absent() {
        let mut req = with_auth(&format!(
            "AWS4-HMAC-SHA256 {CRED}, SignedHeaders=date;host, {SIG}"
        ));
        req.headers.remove("x-amz-date");
        req.set("date", "Sun, 30 Aug 2015 12:36:00 GMT");
        let auth = parse(&req.signed()).unwrap();
        assert_eq!(auth.amz_date, "20150830T123600Z");
        assert_eq!(auth.request_time, ts("20150830T123600Z"));

        req.set(
            "authorization",
            &format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host, {SIG}"),
        );
        assert_err(
            &req,
            invalid("'Date' must be a 'SignedHeader' in the AWS Authorization."),
        );
    }

    #[test]
    fn malformed_dates_are_incomplete() {
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150230T123600Z",
            "2015083OT123600Z",
        ] {
            let mut req = vector_b();
            req.set("x-amz-date", bad);
            assert_err(
                &req,
                incomplete(format!(
                    "Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601"
                )),
            );
        }
    }

    #[test]
    fn credential_must_have_five_parts_and_the_terminator() {
        let header = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm, SignedHeaders=host;x-amz-date, {SIG}"
        );
        assert_err(
            &with_auth(&header),
            incomplete(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/ssm'",
            ),
        );
        let header = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws5_request, SignedHeaders=host;x-amz-date, {SIG}"
        );
        assert_err(
            &with_auth(&header),
            invalid(
                "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
            ),
        );
    }

    #[test]
    fn scope_date_must_be_the_request_date() {
        let mut req = vector_b();
        req.set("x-amz-date", "20150831T000000Z");
        assert_err(
            &req,
            invalid(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150830' != '20150831', from '20150831T000000Z'.",
            ),
        );
    }

    #[test]
    fn host_and_date_must_be_signed() {
        let header = format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=x-amz-date, {SIG}");
        assert_err(
            &with_auth(&header),
            invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
        );
        let header = format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=, {SIG}");
        assert_err(
            &with_auth(&header),
            invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
        );
        let header = format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=content-type;host, {SIG}");
        assert_err(
            &with_auth(&header),
            invalid("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."),
        );
    }

    #[test]
    fn a_sent_security_token_must_be_signed() {
        let mut req = vector_b();
        req.set("x-amz-security-token", "FQoGZXIvYXdzEXAMPLE");
        assert_err(
            &req,
            invalid("'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization."),
        );
    }

    #[test]
    fn the_scope_service_is_read_even_from_a_malformed_signature() {
        let service = |req: &TestRequest| scope_service(&req.headers, &req.query);
        assert_eq!(service(&vector_b()).as_deref(), Some("ssm"));
        // No Signature, no SignedHeaders: parse refuses it, routing still sees `sts`.
        let req = with_auth("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request");
        assert!(parse(&req.signed()).is_err());
        assert_eq!(service(&req).as_deref(), Some("sts"));
        // oha's form, without spaces.
        let req = with_auth(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request,SignedHeaders=host",
        );
        assert_eq!(service(&req).as_deref(), Some("sts"));
        // Presigned.
        let mut req = vector_b();
        req.headers.remove("authorization");
        req.query = "X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request".into();
        assert_eq!(service(&req).as_deref(), Some("sts"));
        // Nothing to read.
        req.query = String::new();
        assert_eq!(service(&req), None);
        assert_eq!(
            service(&with_auth("AWS4-HMAC-SHA256 Credential=AKID")),
            None
        );
    }

    #[test]
    fn header_and_query_together_are_rejected() {
        let mut req = vector_b();
        req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256".into();
        assert_err(
            &req,
            invalid(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
            ),
        );
    }

    #[test]
    fn presigned_query_parts_are_required() {
        let mut req = vector_b();
        req.headers.remove("authorization");
        req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z".into();
        assert_err(
            &req,
            incomplete(
                "AWS query-string parameters must include 'X-Amz-Credential'. \
                 AWS query-string parameters must include 'X-Amz-Signature'. \
                 AWS query-string parameters must include 'X-Amz-SignedHeaders'. \
                 Re-examine the query-string parameters.",
            ),
        );

        let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fssm%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd";
        req.query = base.into();
        let auth = parse(&req.signed()).unwrap();
        assert!(auth.presigned);
        assert_eq!(auth.expires, None);
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.signed_headers, ["host"]);

        req.query = format!("{base}&X-Amz-Expires=604801");
        assert_err(
            &req,
            incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800"),
        );
        req.query = format!("{base}&X-Amz-Expires=soon");
        assert_err(&req, incomplete("X-Amz-Expires should be a number"));
        req.query = format!("{base}&X-Amz-Expires=300&X-Amz-Security-Token=a%2Bb");
        let auth = parse(&req.signed()).unwrap();
        assert_eq!(auth.expires, Some(300));
        assert_eq!(auth.security_token.as_deref(), Some("a+b"));
    }

    #[test]
    fn debug_output_hides_token_and_signature() {
        let token = "FQoGZXIvYXdzEXAMPLETOKEN";
        let mut req = with_auth(&format!(
            "AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host;x-amz-date;x-amz-security-token, {SIG}"
        ));
        req.set("x-amz-security-token", token);
        let auth = parse(&req.signed()).unwrap();
        let debug = format!("{auth:?}");
        assert!(debug.contains("AKIDEXAMPLE"), "{debug}");
        assert!(!debug.contains(token), "{debug}");
        assert!(!debug.contains("ce77ab"), "{debug}");
    }
}
