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
