//! The HTTP surface: `POST /` (any path) for the AWS APIs, `GET /health`.
//!
//! The handler follows DESIGN.md's path of a request: authenticate (SigV4),
//! route on `X-Amz-Target`, run the operation, encode the response or an
//! AWS-shaped error, and log one line (request id, operation, status,
//! latency — never a value).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kinko_aws::sigv4::SigningKeyCache;
use kinko_aws::{AwsError, RequestContext, Service, Services};
use kinko_core::credentials::Credentials;

use crate::auth;

/// Settings the request path needs.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub account_id: String,
    /// Region used when a request carries none (dev mode without a scope).
    pub default_region: String,
    /// Accept any credentials (local development and tests).
    pub dev: bool,
    /// Largest accepted request body. Secrets Manager values go up to 64 KiB;
    /// anything much larger is not a valid request for these APIs.
    pub max_body_bytes: usize,
}

pub struct AppState {
    pub services: Services,
    pub credentials: Arc<Credentials>,
    pub signing_keys: SigningKeyCache,
    pub settings: ServerSettings,
}

const AMZ_JSON: &str = "application/x-amz-json-1.1";

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .fallback(aws_api)
        .with_state(state)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
}

async fn health() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

async fn aws_api(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (mut parts, body) = request.into_parts();
    // HTTP/2 carries the host in `:authority`; SigV4 signs it as `host`.
    if !parts.headers.contains_key(header::HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(header::HOST, host);
    }
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();

    let result = match axum::body::to_bytes(body, state.settings.max_body_bytes).await {
        Ok(body) => handle(&state, &parts, &target, &body, &request_id).await,
        Err(_) => Err(AwsError::new(
            "RequestEntityTooLarge",
            format!(
                "Request body is larger than the {} bytes this server accepts.",
                state.settings.max_body_bytes
            ),
        )
        .with_status(413)),
    };

    let (status, code, body) = match result {
        Ok(body) => (StatusCode::OK, "", body),
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.code, error.to_body())
        }
    };
    // One line per request. Successes are logged at debug: at 15,000
    // requests/s the line itself was ~7% of a request's CPU (measured), and
    // the audit log (not this) is the record of every call. Client errors
    // are info, faults warn.
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status_code = status.as_u16();
    match status_code {
        200..=399 => {
            tracing::debug!(%request_id, op = %target, status = status_code, latency_us, "request")
        }
        400..=499 => {
            tracing::info!(%request_id, op = %target, status = status_code, error = code, latency_us, "request")
        }
        _ => {
            tracing::warn!(%request_id, op = %target, status = status_code, error = code, latency_us, "request")
        }
    }
    aws_response(status, &request_id, body)
}

async fn handle(
    state: &Arc<AppState>,
    parts: &axum::http::request::Parts,
    target: &str,
    body: &Bytes,
    request_id: &str,
) -> Result<Vec<u8>, AwsError> {
    if parts.method != Method::POST {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!(
                "{} is not supported: the AWS JSON APIs take POST requests.",
                parts.method
            ),
        ));
    }
    let routed = Service::from_target(target);
    // The credential scope must name the service of the target; when the
    // target is unknown, authenticate against SSM's name so a caller with a
    // bad signature still learns that first, as on AWS.
    let signing_name = routed.map_or("ssm", |(service, _)| service.signing_name());
    let caller = auth::authenticate(
        state,
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query().unwrap_or_default(),
        &parts.headers,
        body,
        signing_name,
    )
    .await?;
    let Some((service, operation)) = routed else {
        return Err(AwsError::unknown_operation(target));
    };
    let ctx = RequestContext {
        region: caller.region,
        account_id: state.settings.account_id.clone(),
        principal_arn: caller.principal_arn,
        request_id: request_id.to_owned(),
        access: std::sync::Arc::new(kinko_aws::AllowAll),
    };
    kinko_aws::dispatch(&state.services, service, operation, body, &ctx).await
}

fn aws_response(status: StatusCode, request_id: &str, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(AMZ_JSON));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// A panic must not take the connection down with a plain-text body: answer
/// as AWS answers a fault. The panic payload is not echoed (it could hold
/// anything); it is logged by the panic hook.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::error!(%request_id, "request handler panicked");
    aws_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &request_id,
        AwsError::internal().to_body(),
    )
}
