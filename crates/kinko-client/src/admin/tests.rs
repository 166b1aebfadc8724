use std::collections::HashMap;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn the_override_wins_over_everything() {
    let env = env_of(&[
        ("AWS_ENDPOINT_URL_KINKO", "http://kinko:1"),
        ("AWS_ENDPOINT_URL", "http://generic:2"),
    ]);
    let chosen = choose_endpoint(Some("http://flag:3"), env, Some("http://profile:4")).unwrap();
    assert_eq!(chosen, "http://flag:3");
}

#[test]
fn the_service_variable_wins_over_the_generic_one() {
    let env = env_of(&[
        ("AWS_ENDPOINT_URL_KINKO", "http://kinko:1"),
        ("AWS_ENDPOINT_URL", "http://generic:2"),
    ]);
    assert_eq!(
        choose_endpoint(None, env, Some("http://profile:4")).unwrap(),
        "http://kinko:1"
    );
    let env = env_of(&[("AWS_ENDPOINT_URL", "http://generic:2")]);
    assert_eq!(
        choose_endpoint(None, env, Some("http://profile:4")).unwrap(),
        "http://generic:2"
    );
}

#[test]
fn the_profile_is_the_last_resort_and_empty_values_are_unset() {
    let env = env_of(&[("AWS_ENDPOINT_URL_KINKO", ""), ("AWS_ENDPOINT_URL", "  ")]);
    assert_eq!(
        choose_endpoint(Some(""), env, Some("https://profile.example")).unwrap(),
        "https://profile.example"
    );
}

#[test]
fn no_endpoint_says_how_to_set_one() {
    let err = choose_endpoint(None, env_of(&[]), None).unwrap_err();
    assert!(matches!(err, AdminError::NoEndpoint));
    let text = err.to_string();
    assert!(text.contains("AWS_ENDPOINT_URL"), "{text}");
    assert!(text.contains("kinko env"), "{text}");
}

#[test]
fn bad_endpoints_are_refused_by_name() {
    for bad in [
        "localhost:4566",
        "ftp://host",
        "http://",
        "not a url",
        "http://user:pw@host",
        "http://h/?x=1",
    ] {
        let err = choose_endpoint(Some(bad), env_of(&[]), None).unwrap_err();
        assert!(
            matches!(&err, AdminError::BadEndpoint { url, .. } if url == bad),
            "{bad}: {err}"
        );
    }
}

#[test]
fn request_urls_default_to_the_root_path() {
    assert_eq!(
        request_url("http://127.0.0.1:4566").unwrap(),
        (
            "http://127.0.0.1:4566/".to_owned(),
            "127.0.0.1:4566".to_owned()
        )
    );
    assert_eq!(
        request_url("https://kinko.example/base").unwrap().0,
        "https://kinko.example/base"
    );
}

#[test]
fn aws_errors_map_to_code_and_message() {
    let body = br#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::000000000000:user/dev is not authorized to perform: kinko:ListPrincipals on resource: *"}"#;
    let err = error_from_response(400, None, body);
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert_eq!(
        err.to_string(),
        "AccessDeniedException: User: arn:aws:iam::000000000000:user/dev is not \
         authorized to perform: kinko:ListPrincipals on resource: *"
    );
}

#[test]
fn namespaced_codes_and_capitalised_messages_are_understood() {
    let body = br#"{"__type":"com.amazonaws.kinko#NoSuchEntityException:http://internal","Message":"no principal ci"}"#;
    let err = error_from_response(400, None, body);
    assert_eq!(err.to_string(), "NoSuchEntityException: no principal ci");
}

#[test]
fn the_error_type_header_is_a_fallback() {
    let err = error_from_response(400, Some("ThrottlingException:x"), b"{}");
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(err.to_string(), "ThrottlingException: HTTP 400");
}

#[test]
fn non_aws_errors_show_status_and_an_excerpt() {
    let err = error_from_response(502, None, b"<html>Bad Gateway</html>");
    assert!(matches!(err, AdminError::Http { status: 502, .. }));
    assert!(err.to_string().contains("Bad Gateway"), "{err}");
    let long = "x".repeat(1000);
    let err = error_from_response(500, None, long.as_bytes());
    let AdminError::Http { body, .. } = err else {
        panic!("not Http")
    };
    assert!(body.chars().count() <= BODY_EXCERPT + 1);
    let err = error_from_response(404, None, b"");
    assert!(err.to_string().contains("(empty body)"), "{err}");
}

#[test]
fn success_bodies_must_be_objects() {
    assert_eq!(success_body(b"").unwrap(), json!({}));
    assert_eq!(success_body(br#"{"A":1}"#).unwrap(), json!({"A": 1}));
    assert!(matches!(
        success_body(b"[1]"),
        Err(AdminError::BadResponse(_))
    ));
    assert!(matches!(
        success_body(b"nope"),
        Err(AdminError::BadResponse(_))
    ));
}

#[test]
fn credentials_near_expiry_are_not_reused() {
    let now = SystemTime::now();
    let lasting = Credentials::new("AKIA", "s", None, None, "t");
    assert!(is_fresh(&lasting, now));
    let soon = Credentials::new(
        "ASIA",
        "s",
        Some("t".into()),
        Some(now + Duration::from_secs(10)),
        "t",
    );
    assert!(!is_fresh(&soon, now));
    let later = Credentials::new(
        "ASIA",
        "s",
        Some("t".into()),
        Some(now + Duration::from_secs(3600)),
        "t",
    );
    assert!(is_fresh(&later, now));
}

#[test]
fn dates_format_and_parse_as_rfc3339() {
    assert_eq!(format_epoch(0.0), "1970-01-01T00:00:00Z");
    assert_eq!(format_epoch(1_714_557_600.75), "2024-05-01T10:00:00Z");
    assert_eq!(
        parse_rfc3339("2024-05-01T10:00:00Z").unwrap(),
        1_714_557_600
    );
    assert_eq!(
        parse_rfc3339("2024-05-01T12:00:00+02:00").unwrap(),
        1_714_557_600
    );
    assert!(parse_rfc3339("yesterday").is_err());
    assert!(parse_rfc3339("2024-05-01").is_err());
}

/// One request read off a socket: the head (lower-cased) and the body.
async fn read_request(stream: &mut tokio::net::TcpStream) -> (String, String) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed early");
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return (head.to_ascii_lowercase(), body.to_owned());
            }
        }
    }
}

/// A one-shot server that records the request and answers `status`
/// with `body`.
pub(super) async fn one_shot(
    status: &'static str,
    body: &'static str,
) -> (String, tokio::task::JoinHandle<(String, String)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let request = read_request(&mut stream).await;
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.1\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).await.unwrap();
        request
    });
    (endpoint, task)
}

#[tokio::test]
async fn calls_are_signed_for_kinko_with_the_target_and_token() {
    let (endpoint, server) = one_shot("200 OK", r#"{"Principals":[]}"#).await;
    let credentials = Credentials::new(
        "ASIAEXAMPLE",
        "secret-that-stays-out",
        Some("session-token-1".into()),
        None,
        "test",
    );
    let client = AdminClient::new(
        &endpoint,
        "eu-west-1",
        SharedCredentialsProvider::new(credentials),
    )
    .unwrap();
    let answer = client
        .call("ListPrincipals", &json!({"Marker": null}))
        .await
        .unwrap();
    assert_eq!(answer, json!({"Principals": []}));
    let (head, body) = server.await.unwrap();
    assert!(head.starts_with("post / http/1.1"), "{head}");
    assert!(
        head.contains("x-amz-target: kinkoadmin.listprincipals"),
        "{head}"
    );
    assert!(
        head.contains("content-type: application/x-amz-json-1.1"),
        "{head}"
    );
    assert!(
        head.contains("credential=asiaexample/") && head.contains("/eu-west-1/kinko/aws4_request"),
        "{head}"
    );
    assert!(
        head.contains("x-amz-security-token: session-token-1"),
        "{head}"
    );
    assert!(!head.contains("secret-that-stays-out"), "{head}");
    assert_eq!(body, r#"{"Marker":null}"#);
}

#[tokio::test]
async fn error_answers_become_api_errors() {
    let (endpoint, server) = one_shot(
        "400 Bad Request",
        r#"{"__type":"EntityAlreadyExistsException","message":"principal ci exists"}"#,
    )
    .await;
    let client = AdminClient::new(
        &endpoint,
        DEFAULT_REGION,
        SharedCredentialsProvider::new(Credentials::new("AKIA1", "s", None, None, "t")),
    )
    .unwrap();
    let err = client
        .call("CreatePrincipal", &json!({"Name": "ci"}))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "EntityAlreadyExistsException: principal ci exists"
    );
    let (head, _) = server.await.unwrap();
    assert!(!head.contains("x-amz-security-token"), "{head}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error_naming_it() {
    // Bind then drop: nothing listens on the port any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = AdminClient::new(
        &endpoint,
        DEFAULT_REGION,
        SharedCredentialsProvider::new(Credentials::new("AKIA1", "s", None, None, "t")),
    )
    .unwrap();
    let err = client.call("ListPrincipals", &json!({})).await.unwrap_err();
    assert!(
        matches!(&err, AdminError::Transport { endpoint: e, .. } if e.starts_with(&endpoint)),
        "{err}"
    );
}
