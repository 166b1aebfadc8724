//! Raw SigV4-signed requests, for what the SDK cannot send: the admin API,
//! STS's Query protocol by hand, and deliberately malformed bodies. Signed
//! here once; a spawned server gets them over a socket, the in-process
//! router through the connector.

use crate::{REGION, TestCredentials};

/// `headers` plus the SigV4 headers that sign a `POST /` of `body` to
/// `endpoint` for `service` with `creds`. The signed `host` is the
/// endpoint's authority; the transport sends it as the `Host` header.
pub(crate) fn post_headers(
    endpoint: &str,
    creds: &TestCredentials,
    service: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    signed_headers("POST", "/", endpoint, creds, service, headers, body)
}

/// [`post_headers`] for any method and path (with its query string).
pub(crate) fn signed_headers(
    method: &str,
    path_and_query: &str,
    endpoint: &str,
    creds: &TestCredentials,
    service: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
    let host = endpoint
        .strip_prefix("http://")
        .expect("a plain-HTTP endpoint");
    let mut unsigned: Vec<(&str, &str)> = headers.to_vec();
    unsigned.push(("host", host));
    let identity = creds.provider().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method,
        format!("{endpoint}{path_and_query}"),
        unsigned.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .unwrap()
        .into_parts();
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    all.extend(
        instructions
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    all
}

/// The content type of an admin API call (AWS JSON 1.1, as the AWS APIs).
pub(crate) const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The `X-Amz-Target` of an admin API call.
pub(crate) fn admin_target(operation: &str) -> String {
    format!("KinkoAdmin.{operation}")
}

/// The content type of an STS Query call.
pub(crate) const QUERY_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// An STS Query body: `Action=…&Version=2011-06-15&key=value…`.
pub(crate) fn sts_query(action: &str, params: &[(&str, &str)]) -> String {
    let mut body = format!("Action={action}&Version=2011-06-15");
    for (key, value) in params {
        body.push('&');
        body.push_str(&form_encode(key));
        body.push('=');
        body.push_str(&form_encode(value));
    }
    body
}

/// The bodies of the three admin calls `user_with_policy` makes: the user,
/// its one inline policy (`main`), and its access key.
pub(crate) fn create_principal(name: &str) -> serde_json::Value {
    serde_json::json!({ "Name": name })
}

pub(crate) fn put_policy(name: &str, policy: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "Principal": name,
        "PolicyName": "main",
        "PolicyDocument": policy.to_string(),
    })
}

pub(crate) fn create_access_key(name: &str) -> serde_json::Value {
    serde_json::json!({ "Principal": name })
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}
