//! The official AWS SDK against the server's router in this process, with
//! no socket and no child process: the SDK's whole pipeline runs (SigV4
//! signing, so the server verifies real signatures; retries; error
//! parsing), only the HTTP transport is a function call.
//!
//! ```ignore
//! // Instead of `let server = support::server();` (a spawned process):
//! let server = InProcess::new(kinko_server::router(state))
//!     // What the listener tells the request path about the connection.
//!     .extension(ConnectionInfo { remote: InProcess::PEER, secure: false })
//!     // The admin key the state was built with (non-dev mode).
//!     .credentials(&admin);
//! let ssm = server.ssm(); // the same client methods as `KinkoServer`
//! ```
//!
//! `InProcess` takes any `tower::Service` over `http::Request<SdkBody>`
//! (an axum `Router` is one) and names no kinko crate, so kinko-server's
//! own tests can use it without a dependency cycle (two copies of
//! kinko-server in one test build would give two `ConnectionInfo` types,
//! and the router would silently not see the one inserted here). The
//! caller inserts what the listener would through [`InProcess::extension`].
//!
//! The SDK client methods (`ssm()`, `ssm_as(&creds)`, `secrets_in(region)`,
//! `kms()`, `sts()`, …) are those of [`KinkoServer`](crate::KinkoServer).
//! The raw calls (`admin`, `admin_as`, `user_with_policy`, `signed_post`,
//! `sts_as`) are too, but are `async` here: the router runs on the test's
//! own runtime, which a blocking call would stall.

mod connector;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use bytes::Bytes;
use tower::Service;

use crate::sdk::{Target, sdk_clients};
use crate::{RawResponse, TestCredentials, signed};
use connector::Connector;

/// The endpoint URL the in-process clients use. Nothing listens there: the
/// `.test` domain never resolves, so a request that somehow left the
/// process would fail at once instead of reaching some other server.
pub const IN_PROCESS_ENDPOINT: &str = "http://in-process.kinko.test";

/// A kinko router (or any service) that the SDK calls in-process. Cheap to
/// make: a test builds one per server state it needs.
#[derive(Clone)]
pub struct InProcess {
    connector: Connector,
    retry: RetryConfig,
    /// The key `ssm()`, `secrets()`, `kms()`, `sts()` and `admin()` sign
    /// with: by default the example key a `--dev` server accepts.
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl InProcess {
    /// The peer address to put in the request path's connection facts:
    /// loopback, as for a spawned server's tests.
    pub const PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 49152);

    /// The SDK in-process against `service` (the router of
    /// `kinko_server::router(state)`).
    pub fn new<S, B>(service: S) -> InProcess
    where
        S: Service<http::Request<SdkBody>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        InProcess {
            connector: Connector::new(service),
            retry: RetryConfig::disabled(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }
    }

    /// Puts `value` into every request's extensions, as the server's
    /// listener puts what it knows of the connection (kinko-server's
    /// `ConnectionInfo`: without it the request has no source IP and is not
    /// secure transport).
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> InProcess {
        self.connector.insert(value);
        self
    }

    /// Signs the admin's calls with `creds` (the key the server state was
    /// built with).
    pub fn credentials(mut self, creds: &TestCredentials) -> InProcess {
        self.access_key_id = creds.access_key_id.clone();
        self.secret_access_key = creds.secret_access_key.clone();
        self
    }

    /// The SDK clients retry as `retry` says (default: never, so tests see
    /// the first answer).
    pub fn retry_config(mut self, retry: RetryConfig) -> InProcess {
        self.retry = retry;
        self
    }

    /// The admin's credentials.
    pub fn admin_credentials(&self) -> TestCredentials {
        TestCredentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: None,
        }
    }

    fn target(&self) -> Target {
        Target {
            endpoint_url: IN_PROCESS_ENDPOINT.to_owned(),
            http_client: Some(self.connector.http_client()),
            retry: self.retry.clone(),
        }
    }

    sdk_clients!();

    /// Sends `request` as it is (no signing; a missing `Host` comes from
    /// its URI): for wire-level tests. Panics if the service gives no
    /// answer.
    pub async fn send(&self, request: http::Request<Bytes>) -> RawResponse {
        let response = self
            .connector
            .exchange(request.map(SdkBody::from))
            .await
            .unwrap_or_else(|e| panic!("the in-process service gave no answer: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let body = String::from_utf8_lossy(response.body()).into_owned();
        (response.status().as_u16(), headers, body)
    }

    /// A SigV4-signed `POST /`.
    pub async fn signed_post(
        &self,
        creds: &TestCredentials,
        service: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        let signed = signed::post_headers(IN_PROCESS_ENDPOINT, creds, service, headers, body);
        let mut request = http::Request::post(format!("{IN_PROCESS_ENDPOINT}/"));
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        let request = request
            .header(http::header::CONTENT_LENGTH, body.len())
            .body(Bytes::copy_from_slice(body))
            .expect("a valid request");
        self.send(request).await
    }

    /// Calls the admin API (`KinkoAdmin.<operation>`) as the admin; panics
    /// on an error answer.
    pub async fn admin(&self, operation: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, answer) = self
            .admin_as(&self.admin_credentials(), operation, body)
            .await;
        assert_eq!(status, 200, "KinkoAdmin.{operation} failed: {answer}");
        answer
    }

    /// Calls the admin API with `creds`: the status and the JSON answer.
    pub async fn admin_as(
        &self,
        creds: &TestCredentials,
        operation: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let target = signed::admin_target(operation);
        let headers = [
            ("content-type", signed::JSON_CONTENT_TYPE),
            ("x-amz-target", &target),
        ];
        let body = body.to_string();
        let (status, _, text) = self
            .signed_post(creds, "kinko", &headers, body.as_bytes())
            .await;
        (status, serde_json::from_str(&text).unwrap_or_default())
    }

    /// Creates a user with the given identity policy and an access key for
    /// it.
    pub async fn user_with_policy(
        &self,
        name: &str,
        policy: &serde_json::Value,
    ) -> TestCredentials {
        self.admin("CreatePrincipal", signed::create_principal(name))
            .await;
        self.admin("PutPolicy", signed::put_policy(name, policy))
            .await;
        let key = self
            .admin("CreateAccessKey", signed::create_access_key(name))
            .await;
        TestCredentials::from_json(&key["AccessKey"])
    }

    /// A signed STS Query call (`Action=…&Version=2011-06-15&…`) with
    /// `creds`: the status, headers and XML body.
    pub async fn sts_as(
        &self,
        creds: &TestCredentials,
        action: &str,
        params: &[(&str, &str)],
    ) -> RawResponse {
        let body = signed::sts_query(action, params);
        let headers = [("content-type", signed::QUERY_CONTENT_TYPE)];
        self.signed_post(creds, "sts", &headers, body.as_bytes())
            .await
    }
}
