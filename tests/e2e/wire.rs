//! The AWS JSON 1.1 wire as a client sees it: error shapes, request ids,
//! SigV4 failures (unknown key, wrong secret, clock skew), malformed bodies
//! and targets, dev mode, and a server that survives garbage.
//!
//! Raw requests are signed with `aws-sigv4` (the SDK's own signer), so a
//! failure here is the server's, not a hand-rolled signer's.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use aws_sdk_ssm::types::ParameterType;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
use kinko_testkit::{REGION, http_get, http_post};
use serde_json::Value;

use crate::support::{code, dev_server, message, server};

/// A raw HTTP answer: status, lower-cased headers, body parsed as JSON.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
    raw: String,
}

impl Answer {
    fn from_raw(raw: (u16, Vec<(String, String)>, String)) -> Self {
        let (status, headers, text) = raw;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            raw: text,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn error_type(&self) -> &str {
        self.body["__type"].as_str().unwrap_or("<no __type>")
    }

    /// The error message under either key the AWS models use.
    fn error_message(&self) -> &str {
        self.body["message"]
            .as_str()
            .or_else(|| self.body["Message"].as_str())
            .unwrap_or("")
    }

    /// Asserts the AWS error shape: 400, JSON 1.1 content type, a request
    /// id header, and the expected `__type`.
    fn assert_error(&self, expected: &str) {
        assert_eq!(self.status, 400, "status of {expected}: {}", self.raw);
        assert_eq!(self.error_type(), expected, "body: {}", self.raw);
        let content_type = self.header("content-type").unwrap_or("");
        assert!(
            content_type.starts_with("application/x-amz-json-1.1"),
            "content-type {content_type:?}"
        );
        let request_id = self.header("x-amzn-requestid").unwrap_or("");
        assert!(
            !request_id.is_empty(),
            "no x-amzn-RequestId: {:?}",
            self.headers
        );
    }
}

/// Who signs a raw request, with which scope and clock.
struct Signer<'a> {
    region: &'a str,
    key_id: &'a str,
    secret: &'a str,
    time: SystemTime,
}

impl<'a> Signer<'a> {
    fn new(key_id: &'a str, secret: &'a str) -> Self {
        Self {
            region: REGION,
            key_id,
            secret,
            time: SystemTime::now(),
        }
    }

    /// Signs `POST /` with `X-Amz-Target: target` and sends it over a plain
    /// socket (the Host header `http_post` writes is the one signed here).
    fn post(&self, endpoint: &str, target: &str, body: &[u8]) -> Answer {
        let host = endpoint.strip_prefix("http://").unwrap();
        let unsigned = [
            ("content-type", "application/x-amz-json-1.1"),
            ("host", host),
            ("x-amz-target", target),
        ];
        let identity = aws_credential_types::Credentials::new(
            self.key_id,
            self.secret,
            None,
            None,
            "kinko-e2e",
        )
        .into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name("ssm")
            .time(self.time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "POST",
            format!("{endpoint}/"),
            unsigned.iter().copied(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &params)
            .unwrap()
            .into_parts();
        let mut headers: Vec<(String, String)> = unsigned
            .iter()
            .filter(|(k, _)| *k != "host")
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        headers.extend(
            instructions
                .headers()
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Answer::from_raw(http_post(endpoint, &headers, body).expect("signed POST answered"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_without_authorization_is_missing_authentication_token() {
    let server = server();
    let raw = http_post(
        &server.endpoint,
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
        ],
        br#"{"Name":"/app/x"}"#,
    )
    .expect("server answered");
    let answer = Answer::from_raw(raw);
    answer.assert_error("MissingAuthenticationTokenException");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correctly_signed_raw_request_is_served() {
    // The control for every raw-signed negative test below: the same signer
    // with the right key, clock and body gets a 200 and the value.
    let server = server();
    server
        .ssm()
        .put_parameter()
        .name("/wire/ok")
        .value("plain-value")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    let signer = Signer::new(&server.access_key_id, &server.secret_access_key);
    let answer = signer.post(
        &server.endpoint,
        "AmazonSSM.GetParameter",
        br#"{"Name":"/wire/ok"}"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.raw);
    assert_eq!(answer.body["Parameter"]["Value"], "plain-value");
    assert_eq!(answer.body["Parameter"]["Version"], 1);
    assert!(
        answer
            .header("content-type")
            .unwrap_or("")
            .starts_with("application/x-amz-json-1.1")
    );
    assert!(answer.header("x-amzn-requestid").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_access_key_is_unrecognized_client() {
    let server = server();
    let err = server
        .ssm_with(
            REGION,
            "AKIAUNKNOWN000000000",
            "bm90IGEgcmVhbCBzZWNyZXQgYXQgYWxsIG5vIG5v",
        )
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnrecognizedClientException", "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_right_key_with_a_wrong_secret_is_invalid_signature() {
    let server = server();
    let wrong_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGSECRET";
    let err = server
        .ssm_with(REGION, &server.access_key_id, wrong_secret)
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidSignatureException", "{err:?}");
    // Neither secret (the right one, the one sent) may be echoed back.
    let text = message(&err);
    assert!(!text.contains(&server.secret_access_key), "{text}");
    assert!(!text.contains(wrong_secret), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_request_with_a_bad_json_body_is_a_serialization_exception() {
    let server = server();
    let signer = Signer::new(&server.access_key_id, &server.secret_access_key);
    let answer = signer.post(
        &server.endpoint,
        "AmazonSSM.GetParameter",
        br#"{"Name": "/app/x", "#,
    );
    answer.assert_error("SerializationException");

    // The right JSON syntax with a wrong member type is the same error.
    let answer = signer.post(
        &server.endpoint,
        "AmazonSSM.GetParameter",
        br#"{"Name": 42}"#,
    );
    answer.assert_error("SerializationException");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_request_for_an_unknown_operation_is_unknown_operation() {
    let server = server();
    let signer = Signer::new(&server.access_key_id, &server.secret_access_key);
    let answer = signer.post(&server.endpoint, "AmazonSSM.FlyToTheMoon", b"{}");
    answer.assert_error("UnknownOperationException");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_signed_twenty_minutes_ago_has_an_expired_signature() {
    let server = server();
    let mut signer = Signer::new(&server.access_key_id, &server.secret_access_key);
    signer.time = SystemTime::now() - Duration::from_secs(20 * 60);
    let answer = signer.post(&server.endpoint, "AmazonSSM.DescribeParameters", b"{}");
    answer.assert_error("InvalidSignatureException");
    assert!(
        answer.error_message().contains("Signature expired"),
        "message: {:?}",
        answer.error_message()
    );

    // And twenty minutes ahead is "not yet current".
    signer.time = SystemTime::now() + Duration::from_secs(20 * 60);
    let answer = signer.post(&server.endpoint, "AmazonSSM.DescribeParameters", b"{}");
    answer.assert_error("InvalidSignatureException");
    assert!(
        answer.error_message().contains("Signature not yet current"),
        "message: {:?}",
        answer.error_message()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_authorization_header_without_a_signature_is_incomplete() {
    let server = server();
    let answer = Answer::from_raw(
        http_post(
            &server.endpoint,
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "AmazonSSM.DescribeParameters"),
                ("X-Amz-Date", "20260101T000000Z"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date",
                ),
            ],
            b"{}",
        )
        .expect("server answered"),
    );
    answer.assert_error("IncompleteSignatureException");
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_mode_accepts_any_credentials_and_partitions_by_the_scope_region() {
    let server = dev_server();
    let eu = server.ssm_with("eu-west-1", "AKIDANYONE", "any secret at all");
    let us = server.ssm_with("us-east-1", "SOMEBODYELSE", "another secret");

    eu.put_parameter()
        .name("/dev/where")
        .value("in-eu")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    let got = eu.get_parameter().name("/dev/where").send().await.unwrap();
    let parameter = got.parameter().unwrap();
    assert_eq!(parameter.value(), Some("in-eu"));
    let arn = parameter.arn().unwrap_or("");
    assert!(arn.starts_with("arn:aws:ssm:eu-west-1:"), "{arn}");

    // The same name in another region is another parameter.
    let err = us
        .get_parameter()
        .name("/dev/where")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound", "{err:?}");
    us.put_parameter()
        .name("/dev/where")
        .value("in-us")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    let got = us.get_parameter().name("/dev/where").send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("in-us"));
    assert_eq!(got.parameter().unwrap().version(), 1);
    let got = eu.get_parameter().name("/dev/where").send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("in-eu"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_keeps_serving_after_garbage() {
    let server = server();
    let host = server.endpoint.strip_prefix("http://").unwrap().to_owned();

    // Not HTTP at all.
    {
        let mut stream = TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.write_all(b"\x00\x01\x02 this is not http\r\n\r\n");
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    }
    // A connection opened and dropped without a byte.
    drop(TcpStream::connect(&host).unwrap());
    // Binary junk as a body, no target, no auth.
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let answer = Answer::from_raw(http_post(&server.endpoint, &[], &junk).expect("answered"));
    assert!(
        (400..500).contains(&answer.status),
        "junk got {}: {}",
        answer.status,
        answer.raw
    );
    // A garbage Authorization header.
    let answer = Answer::from_raw(
        http_post(
            &server.endpoint,
            &[
                ("X-Amz-Target", "AmazonSSM.GetParameter"),
                ("Authorization", "AWS4-HMAC-SHA256 ;;;=,,,"),
            ],
            b"{}",
        )
        .expect("answered"),
    );
    assert_eq!(answer.status, 400, "{}", answer.raw);
    assert!(answer.body["__type"].is_string(), "{}", answer.raw);
    // A signed request whose body is not UTF-8.
    let signer = Signer::new(&server.access_key_id, &server.secret_access_key);
    let answer = signer.post(&server.endpoint, "AmazonSSM.GetParameter", b"\xff\xfe\x00{");
    answer.assert_error("SerializationException");

    // Still healthy, still serving.
    assert_eq!(
        http_get(&server.endpoint, "/health").map(|(s, _)| s),
        Some(200)
    );
    let ssm = server.ssm();
    ssm.put_parameter()
        .name("/after/garbage")
        .value("still-here")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let got = ssm
        .get_parameter()
        .name("/after/garbage")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("still-here"));
}

/// Sends `head` and `body` on a raw connection, then closes the sending
/// side (as a client that gives up does) and reads what comes back: the
/// status and the body, if anything came.
fn send_and_half_close(endpoint: &str, head: &str, body: &[u8]) -> Option<(u16, String)> {
    let host = endpoint.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(format!("{head}Host: {host}\r\n\r\n").as_bytes())
        .unwrap();
    stream.write_all(body).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// Every audit record so far (the writer is asynchronous: waits for `n`).
fn audit_records(server: &kinko_testkit::KinkoServer, n: usize) -> Vec<Value> {
    for _ in 0..250 {
        let page = server.admin("QueryAuditLog", serde_json::json!({"Limit": 1000}));
        let records = page["Records"].as_array().cloned().unwrap_or_default();
        if records.len() >= n {
            return records;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("fewer than {n} audit records");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_cut_short_is_incomplete_not_too_large() {
    let server = server();
    // Content-Length announces 200 bytes; 20 come, then the client closes.
    let head = "POST / HTTP/1.1\r\nContent-Type: application/x-amz-json-1.1\r\n\
                X-Amz-Target: AmazonSSM.GetParameter\r\nContent-Length: 200\r\n";
    let answered = send_and_half_close(&server.endpoint, head, br#"{"Name": "/app/cut","#);
    // A chunked body without its last chunk.
    let head = "POST / HTTP/1.1\r\nContent-Type: application/x-amz-json-1.1\r\n\
                X-Amz-Target: AmazonSSM.GetParameter\r\nTransfer-Encoding: chunked\r\n";
    let chunked = send_and_half_close(&server.endpoint, head, b"8\r\n{\"Name\":\r\n");
    // hyper still writes the answer after the client's half-close.
    let (status, body) = answered.expect("an answer to the cut body");
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains(r#""__type":"IncompleteBody""#)
            && body.contains("20 of the 200 bytes its Content-Length announced arrived."),
        "{body}"
    );
    let (status, body) = chunked.expect("an answer to the cut chunked body");
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("IncompleteBody") && body.contains("it broke off after 8 bytes"),
        "{body}"
    );
    // The audit log has both, as what they were (before: a 413
    // RequestEntityTooLarge for a body far under the limit).
    let records = audit_records(&server, 2);
    let cut: Vec<&Value> = records
        .iter()
        .filter(|r| r["operation"] == "ssm:GetParameter")
        .collect();
    assert_eq!(cut.len(), 2, "{records:?}");
    for record in cut {
        assert_eq!(record["errorCode"], "IncompleteBody", "{record}");
        assert_eq!(record["status"], 400, "{record}");
    }
    // And the server serves on.
    assert_eq!(
        http_get(&server.endpoint, "/health").map(|(s, _)| s),
        Some(200)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_content_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let server = server();
    let host = server.endpoint.strip_prefix("http://").unwrap().to_owned();
    let mut stream = TcpStream::connect(&host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // 2 MiB announced, not a byte of it sent: the answer comes anyway.
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AmazonSSM.PutParameter\r\nContent-Length: 2097152\r\n\r\n"
    )
    .unwrap();
    let mut response = vec![0u8; 4096];
    let n = stream.read(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("RequestEntityTooLarge"), "{text}");
    assert!(
        text.contains("(2097152 bytes by its Content-Length) is larger than the 1048576 bytes"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sts_call_without_an_action_is_missing_action() {
    let server = server();
    let creds = server.admin_credentials();
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    // Signed for STS, as `aws sts` signs, but no Action in the body.
    let (status, headers, body) = server.signed_post(&creds, "sts", &form, b"Version=2011-06-15");
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("<Code>MissingAction</Code><Message>Missing Action</Message>"),
        "{body}"
    );
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.as_str());
    assert_eq!(content_type, Some("text/xml"));

    // The same signature with an action works, and an unknown action is
    // InvalidAction, as STS answers.
    let (status, _, body) = server.signed_post(
        &creds,
        "sts",
        &form,
        b"Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<GetCallerIdentityResult>"), "{body}");
    let (status, _, body) =
        server.signed_post(&creds, "sts", &form, b"Action=Fly&Version=2011-06-15");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn signature_errors_quote_the_header_boundedly_and_never_the_signature() {
    let server = server();
    let signature = "9f3c".repeat(16);
    let cases = [
        // No Signature: the header is quoted, but only its start.
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ssm/aws4_request, SignedHeaders={}",
            "x-custom;".repeat(1500)
        ),
        // No Credential: the signature is never quoted.
        format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={signature}"),
        // A part without `=`, 10,000 characters long.
        format!(
            "AWS4-HMAC-SHA256 {}, Signature={signature}",
            "z".repeat(10_000)
        ),
    ];
    for authorization in &cases {
        let answer = Answer::from_raw(
            http_post(
                &server.endpoint,
                &[
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("X-Amz-Target", "AmazonSSM.DescribeParameters"),
                    ("X-Amz-Date", "20260101T000000Z"),
                    ("Authorization", authorization),
                ],
                b"{}",
            )
            .expect("server answered"),
        );
        answer.assert_error("IncompleteSignatureException");
        let text = answer.error_message();
        assert!(
            text.len() < 400,
            "{} characters: {}",
            text.len(),
            &text[..200]
        );
        assert!(!text.contains(&signature[..16]), "{text}");
        assert!(text.contains("Authorization"), "{text}");
    }
}
