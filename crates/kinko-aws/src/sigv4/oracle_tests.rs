//! The official signer (`aws-sigv4`) as a test oracle: requests it signs
//! must verify here, and stop verifying once anything signed is changed.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use http::HeaderMap;
use kinko_crypto::SecretString;
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

use super::test_support::{AKID, SECRET, TestRequest, ts};
use super::{AuthError, SigningKeyCache, check_scope, check_time, parse, verify};

/// 20150830T123600Z.
const T0: u64 = 1_440_938_160;
const NOW: &str = "20150830T123600Z";

/// What an SDK encodes: everything but unreserved.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// What a lax client encodes: only what a URI cannot carry raw.
const LOOSE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']')
    .add(b'/')
    .add(b'&')
    .add(b'=');

/// A deterministic xorshift, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn text(&mut self, max: usize) -> String {
        const CHARS: &[&str] = &[
            "a", "b", "Z", "0", "9", "-", "_", ".", "~", " ", "%", "+", ":", "@", "=", "!", "&",
            "é", "鍵", "/", "*", "'", "(", ")", "$", ",", ";",
        ];
        let len = 1 + self.below(max);
        (0..len).map(|_| CHARS[self.below(CHARS.len())]).collect()
    }
}

/// An unsigned request as a client would build it.
struct Case {
    /// Encoded path.
    path: String,
    /// Encoded query, may be empty.
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Case {
    fn random(rng: &mut Rng) -> Self {
        let mut path = String::new();
        for _ in 0..rng.below(4) {
            path.push('/');
            match rng.below(8) {
                0 => path.push('.'),
                1 => path.push_str(".."),
                2 => {}
                _ => {
                    let set = if rng.below(2) == 0 { STRICT } else { LOOSE };
                    path.extend(utf8_percent_encode(&rng.text(8), set));
                }
            }
        }
        if path.is_empty() || rng.below(4) == 0 {
            path.push('/');
        }
        let mut pairs = Vec::new();
        for _ in 0..rng.below(4) {
            let name: String = utf8_percent_encode(&rng.text(5), STRICT).collect();
            match rng.below(4) {
                0 => pairs.push(name),
                1 => pairs.push(format!("{name}=")),
                // `+` is a form-encoded space to both sides.
                2 => pairs.push(format!("{name}=a+b")),
                _ => pairs.push(format!(
                    "{name}={}",
                    utf8_percent_encode(&rng.text(6), STRICT)
                )),
            }
        }
        let body: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        let mut headers = vec![
            ("host".to_owned(), "localhost:8080".to_owned()),
            (
                "content-type".to_owned(),
                "application/x-amz-json-1.1".to_owned(),
            ),
            (
                "x-amz-target".to_owned(),
                "AmazonSSM.GetParameter".to_owned(),
            ),
            (
                "x-kinko-note".to_owned(),
                format!("  spaced   out {}  ", rng.below(100)),
            ),
        ];
        if rng.below(2) == 0 {
            headers.push(("content-length".to_owned(), body.len().to_string()));
        }
        if rng.below(2) == 0 {
            headers.push(("x-kinko-multi".to_owned(), "one".to_owned()));
            headers.push(("x-kinko-multi".to_owned(), "two  three".to_owned()));
        }
        Case {
            path,
            query: pairs.join("&"),
            headers,
            body,
        }
    }

    fn ssm() -> Self {
        Case {
            path: "/".to_owned(),
            query: String::new(),
            headers: vec![
                ("host".to_owned(), "localhost:8080".to_owned()),
                (
                    "content-type".to_owned(),
                    "application/x-amz-json-1.1".to_owned(),
                ),
                (
                    "x-amz-target".to_owned(),
                    "AmazonSSM.GetParameter".to_owned(),
                ),
            ],
            body: br#"{"Name":"/app/db/password","WithDecryption":true}"#.to_vec(),
        }
    }

    fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// Signs with the official signer and returns the request as sent.
    fn sign(&self, token: Option<&str>, location: SignatureLocation) -> TestRequest {
        let identity =
            Credentials::new(AKID, SECRET, token.map(str::to_owned), None, "test").into();
        let mut settings = SigningSettings::default();
        settings.signature_location = location;
        if location == SignatureLocation::QueryParams {
            settings.expires_in = Some(Duration::from_secs(300));
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("ssm")
            .time(UNIX_EPOCH + Duration::from_secs(T0))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let uri = format!("http://localhost:8080{}", self.path_and_query());
        let signable = SignableRequest::new(
            "POST",
            uri.clone(),
            self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&self.body),
        )
        .unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();

        let mut request = http::Request::builder().method("POST").uri(&uri);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let mut request = request.body(self.body.clone()).unwrap();
        instructions.apply_to_request_http1x(&mut request);

        TestRequest {
            method: "POST".to_owned(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().unwrap_or_default().to_owned(),
            headers: request.headers().clone(),
            body: self.body.clone(),
        }
    }
}

/// The server's sequence; the cache is shared across calls on purpose.
fn check(req: &TestRequest, cache: &SigningKeyCache) -> Result<(), AuthError> {
    let signed = req.signed();
    let auth = parse(&signed)?;
    check_time(&auth, ts(NOW))?;
    check_scope(&auth, "ssm", |r| r == "us-east-1")?;
    verify(&signed, &auth, &SecretString::from(SECRET), cache, true)
}

fn assert_mismatch(result: Result<(), AuthError>, what: &str) {
    match result {
        Err(AuthError::InvalidSignature(m)) => assert!(
            m.starts_with("The request signature we calculated does not match"),
            "{what}: {m}"
        ),
        other => panic!("{what}: expected a mismatch, got {other:?}"),
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    headers.insert(name, value.parse().unwrap());
}

#[test]
fn oracle_signed_requests_verify_and_mutations_fail() {
    let cache = SigningKeyCache::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..200 {
        let case = Case::random(&mut rng);
        let token = (i % 3 == 0).then_some("FQoGZXIvYXdzEJr//////////wEaDEXAMPLE+token/==");
        let req = case.sign(token, SignatureLocation::Headers);
        let what = format!(
            "case {i}: {} headers {:?}",
            case.path_and_query(),
            case.headers
        );
        assert_eq!(check(&req, &cache), Ok(()), "{what}");
        let auth = parse(&req.signed()).unwrap();
        assert_eq!(auth.security_token.as_deref(), token, "{what}");

        let mut body = req.signed().body.to_vec();
        match body.first_mut() {
            Some(b) => *b ^= 0x20,
            None => body.push(b'x'),
        }
        let mutated = TestRequest {
            body,
            ..clone(&req)
        };
        assert_mismatch(check(&mutated, &cache), &format!("{what} body"));

        let mut mutated = clone(&req);
        set(
            &mut mutated.headers,
            "x-amz-target",
            "AmazonSSM.PutParameter",
        );
        assert_mismatch(check(&mutated, &cache), &format!("{what} header"));

        let mut mutated = clone(&req);
        // Appended, not prepended: `/x//../a` normalises back to `/a`.
        mutated.path = if req.path.ends_with('/') {
            format!("{}x", req.path)
        } else {
            format!("{}/x", req.path)
        };
        assert_mismatch(check(&mutated, &cache), &format!("{what} path"));

        let mut mutated = clone(&req);
        mutated.query = if req.query.is_empty() {
            "extra=1".to_owned()
        } else {
            format!("{}&extra=1", req.query)
        };
        assert_mismatch(check(&mutated, &cache), &format!("{what} query"));
    }
    // One scope (key, day, region, service): one cached key.
    assert_eq!(cache.len(), 1);
}

#[test]
fn oha_style_header_without_spaces_verifies() {
    let cache = SigningKeyCache::new();
    let mut case = Case::ssm();
    case.headers
        .push(("content-length".to_owned(), case.body.len().to_string()));
    let mut req = case.sign(None, SignatureLocation::Headers);
    let header = req.headers["authorization"]
        .to_str()
        .unwrap()
        .replace(", ", ",");
    assert!(!header.contains(", "));
    set(&mut req.headers, "authorization", &header);
    assert_eq!(check(&req, &cache), Ok(()));
    assert!(parse(&req.signed()).unwrap().signs("content-length"));
}

#[test]
fn presigned_query_form_verifies() {
    let cache = SigningKeyCache::new();
    for token in [None, Some("FQoGZXIvYXdzEJr//////////wEaDEXAMPLE+token/==")] {
        let mut case = Case::ssm();
        case.query = "Version=2014-11-06".to_owned();
        let req = case.sign(token, SignatureLocation::QueryParams);
        assert!(req.query.contains("X-Amz-Signature="), "{}", req.query);
        assert!(!req.headers.contains_key("authorization"));
        let auth = parse(&req.signed()).unwrap();
        assert!(auth.presigned);
        assert_eq!(auth.expires, Some(300));
        assert_eq!(auth.security_token.as_deref(), token);
        assert_eq!(check(&req, &cache), Ok(()));

        let mut mutated = clone(&req);
        mutated.body.push(b' ');
        assert_mismatch(check(&mutated, &cache), "presigned body");
        let mut mutated = clone(&req);
        mutated.query = req
            .query
            .replace("Version=2014-11-06", "Version=2015-01-01");
        assert_mismatch(check(&mutated, &cache), "presigned query");
    }
}

#[test]
fn date_header_form_matches_the_official_key_and_signature_functions() {
    // No SDK signs with `Date` by itself; build the canonical request by
    // hand and let the official functions derive the key and sign.
    let body = b"{}";
    let canonical = format!(
        "POST\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:localhost:8080\n\ndate;host\n{}",
        hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body))
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{NOW}\n20150830/us-east-1/ssm/aws4_request\n{}",
        hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            canonical.as_bytes()
        ))
    );
    let time = UNIX_EPOCH + Duration::from_secs(T0);
    let key = v4::generate_signing_key(SECRET, time, "us-east-1", "ssm");
    let signature = v4::calculate_signature(key, string_to_sign.as_bytes());
    let mut req = TestRequest::post(
        &[
            ("Host", "localhost:8080"),
            ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
            (
                "Authorization",
                &format!(
                    "AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/ssm/aws4_request, SignedHeaders=date;host, Signature={signature}"
                ),
            ),
        ],
        body,
    );
    assert_eq!(check(&req, &SigningKeyCache::new()), Ok(()));
    req.set("date", "Sun, 30 Aug 2015 12:36:01 GMT");
    assert_mismatch(check(&req, &SigningKeyCache::new()), "date changed");
}

fn clone(req: &TestRequest) -> TestRequest {
    TestRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        headers: req.headers.clone(),
        body: req.body.clone(),
    }
}
