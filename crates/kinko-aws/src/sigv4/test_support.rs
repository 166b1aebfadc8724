//! Shared fixtures for the SigV4 tests: the spec's credentials (§6.7) and
//! a way to hold a request's parts while a [`SignedRequest`] borrows them.

use http::HeaderMap;
use jiff::Timestamp;

use super::SignedRequest;

pub(crate) const AKID: &str = "AKIDEXAMPLE";
pub(crate) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// An owned request; [`TestRequest::signed`] borrows it for the verifier.
pub(crate) struct TestRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestRequest {
    pub(crate) fn post(headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        Self {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: map,
            body: body.to_vec(),
        }
    }

    pub(crate) fn signed(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    pub(crate) fn set(&mut self, name: &'static str, value: &str) {
        self.headers.insert(name, value.parse().unwrap());
    }
}

pub(crate) fn ts(amz_date: &str) -> Timestamp {
    super::parse::parse_amz_date(amz_date).unwrap()
}

/// §6.7 B: the kinko-shaped SSM GetParameter request.
pub(crate) const B_BODY: &str = r#"{"Name": "/app/db/password", "WithDecryption": true}"#;
pub(crate) const B_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=ce77ab12693440249d1c5bc80a2342f6757c5e2c3f775116086a81e627b29456";

pub(crate) fn vector_b() -> TestRequest {
    TestRequest::post(
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Host", "localhost:8080"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
            ("Authorization", B_AUTH),
        ],
        B_BODY.as_bytes(),
    )
}
