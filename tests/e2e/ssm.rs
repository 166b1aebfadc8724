//! SSM Parameter Store, end to end: every operation through the official AWS
//! SDK for Rust against kinko (in-process, `Server::open`; see main.rs), asserted against
//! /work/shared/spec/ssm-parameter-store.md (not against the server's code).
//!
//! Where the spec gives AWS's exact error text we assert it; where it marks a
//! text "unconfirmed" we assert the error code only.

mod concurrency;
mod delete;
mod describe;
mod get;
mod history;
mod labels;
mod names;
mod path;
mod put;
mod regions;
mod tags;

use std::collections::BTreeSet;
use std::time::SystemTime;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{Parameter, ParameterStringFilter, ParameterType, Tag};
use kinko_testkit::KinkoServer;

/// Creates a `String` parameter and returns its version.
pub(crate) async fn put(client: &Client, name: &str, value: &str) -> i64 {
    put_typed(client, name, value, ParameterType::String).await
}

/// Creates a parameter of the given type (default key for SecureString).
pub(crate) async fn put_typed(
    client: &Client,
    name: &str,
    value: &str,
    kind: ParameterType,
) -> i64 {
    client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {name}: {e:?}"))
        .version()
}

/// `PutParameter --overwrite` without a type; returns the new version.
pub(crate) async fn overwrite(client: &Client, name: &str, value: &str) -> i64 {
    client
        .put_parameter()
        .name(name)
        .value(value)
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("overwrite {name}: {e:?}"))
        .version()
}

/// `GetParameter` that must succeed.
pub(crate) async fn get(client: &Client, name: &str, decrypt: bool) -> Parameter {
    client
        .get_parameter()
        .name(name)
        .with_decryption(decrypt)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {name}: {e:?}"))
        .parameter()
        .expect("Parameter in GetParameter response")
        .clone()
}

pub(crate) fn value(p: &Parameter) -> &str {
    p.value().expect("Value")
}

pub(crate) fn filter(key: &str, option: Option<&str>, values: &[&str]) -> ParameterStringFilter {
    let mut builder = ParameterStringFilter::builder().key(key);
    if let Some(option) = option {
        builder = builder.option(option);
    }
    for v in values {
        builder = builder.values(*v);
    }
    builder.build().unwrap()
}

pub(crate) fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

pub(crate) fn set<I, S>(items: I) -> BTreeSet<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

/// The account id inside an ARN (`arn:aws:ssm:<region>:<account>:…`).
pub(crate) fn account_of(arn: &str) -> String {
    arn.split(':').nth(4).expect("account in ARN").to_owned()
}

/// Sends one signed SSM request with a hand-written JSON body and returns the
/// status and the raw response JSON, so tests can assert on what is *absent*
/// from the wire (the SDK's typed shapes can't show that).
pub(crate) fn raw_call(
    server: &KinkoServer,
    operation: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let host = server.endpoint.strip_prefix("http://").unwrap().to_owned();
    let body = serde_json::to_vec(body).unwrap();
    let target = format!("AmazonSSM.{operation}");
    let identity = Credentials::new(
        &server.access_key_id,
        &server.secret_access_key,
        None,
        None,
        "e2e-raw",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(kinko_testkit::REGION)
        .name("ssm")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let content_type = "application/x-amz-json-1.1";
    let signed_headers = [
        ("host", host.as_str()),
        ("content-type", content_type),
        ("x-amz-target", target.as_str()),
    ];
    let url = format!("{}/", server.endpoint);
    let signable = SignableRequest::new(
        "POST",
        &url,
        signed_headers.iter().copied(),
        SignableBody::Bytes(&body),
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let mut headers: Vec<(String, String)> = vec![
        ("Content-Type".into(), content_type.into()),
        ("X-Amz-Target".into(), target.clone()),
    ];
    for (k, v) in instructions.headers() {
        headers.push((k.to_owned(), v.to_owned()));
    }
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _headers, text) =
        kinko_testkit::http_post(&server.endpoint, &header_refs, &body).expect("raw POST");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"));
    (status, json)
}
