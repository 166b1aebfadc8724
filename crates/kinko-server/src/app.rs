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

use crate::access::{RequestAccess, RequestFacts, ResourcePolicies};
use crate::audit::AuditLog;
use crate::auth;
use crate::listener::ConnectionInfo;
use kinko_core::audit::{AuditRecord, Verdict};

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
    /// Where every request's record goes (step 7). `None` only in tests
    /// that drive the router without a store to audit into.
    pub audit: Option<AuditLog>,
    pub resource_policies: Arc<ResourcePolicies>,
}

/// What one request leaves for its audit record, filled in as it goes.
#[derive(Default)]
struct Trail {
    principal: Option<String>,
    access_key_id: Option<String>,
    /// The request failed authentication.
    unauthenticated: bool,
    access: Option<Arc<RequestAccess>>,
}

const AMZ_JSON: &str = "application/x-amz-json-1.1";

/// GetCallerIdentity's `UserId` for `--dev`'s any-credentials caller.
const DEV_USER_ID: &str = "AIDAKINKODEVELOPMENT2";

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
    let time = jiff::Timestamp::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (mut parts, body) = request.into_parts();
    // HTTP/2 carries the host in `:authority`; SigV4 signs it as `host`.
    if !parts.headers.contains_key(header::HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(header::HOST, host);
    }
    let connection = parts.extensions.get::<ConnectionInfo>().copied();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();

    let mut trail = Trail::default();
    let mut protocol = Protocol::Json;
    let mut operation = String::new();
    let result = match axum::body::to_bytes(body, state.settings.max_body_bytes).await {
        Ok(body) => {
            let routed = route(&parts, &target, &body);
            protocol = routed.protocol();
            operation = routed.operation_name();
            let facts = RequestFacts {
                source_ip: connection.map(|c| c.remote.ip()),
                secure_transport: connection.is_some_and(|c| c.secure),
                time,
            };
            handle(
                &state,
                &parts,
                routed,
                &body,
                &request_id,
                facts,
                &mut trail,
            )
            .await
        }
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
        Ok(body) => (StatusCode::OK, None, body),
        Err(error) => {
            let (status, body) = match protocol {
                Protocol::Json => (error.status, error.to_body()),
                Protocol::Query => (
                    kinko_aws::sts::error_status(&error),
                    kinko_aws::sts::error_body(&error, &request_id),
                ),
            };
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Some(error.code), body)
        }
    };
    // One line per request. Successes are logged at debug: at 15,000
    // requests/s the line itself was ~7% of a request's CPU (measured), and
    // the audit log (not this) is the record of every call. Client errors
    // are info, faults warn.
    let latency = started.elapsed();
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    let status_code = status.as_u16();
    let error = code.unwrap_or_default();
    match status_code {
        200..=399 => {
            tracing::debug!(%request_id, op = %target, status = status_code, latency_us, "request")
        }
        400..=499 => {
            tracing::info!(%request_id, op = %target, status = status_code, error, latency_us, "request")
        }
        _ => {
            tracing::warn!(%request_id, op = %target, status = status_code, error, latency_us, "request")
        }
    }
    if let Some(audit) = &state.audit {
        let resources = trail
            .access
            .as_ref()
            .map(|a| a.take_decisions())
            .unwrap_or_default();
        let denied = resources.iter().find(|r| r.decision == Verdict::Deny);
        let decision = if trail.unauthenticated || denied.is_some() {
            Verdict::Deny
        } else {
            Verdict::Allow
        };
        let statement = denied
            .or_else(|| resources.last())
            .and_then(|r| r.statement.clone());
        audit
            .record(AuditRecord {
                time_ms: time.as_millisecond(),
                request_id: request_id.clone(),
                principal: trail.principal,
                access_key_id: trail.access_key_id,
                source_ip: connection.map(|c| c.remote.ip().to_string()),
                operation,
                resources,
                decision,
                statement,
                error_code: code.map(str::to_owned),
                status: status_code,
                latency_ms: latency.as_secs_f64() * 1000.0,
            })
            .await;
    }
    let content_type = match protocol {
        Protocol::Json => AMZ_JSON,
        Protocol::Query => "text/xml",
    };
    aws_response(status, &request_id, body, content_type)
}

/// Which wire a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// AWS JSON 1.1 (`X-Amz-Target`): SSM, Secrets Manager, KMS, admin.
    Json,
    /// The AWS Query protocol (form body, XML answer): STS.
    Query,
}

/// Where a request goes.
enum Routed<'a> {
    Json(Service, &'a str),
    Sts(String),
    /// The target as sent (may be empty).
    Unknown(&'a str),
}

impl Routed<'_> {
    fn protocol(&self) -> Protocol {
        match self {
            Routed::Sts(_) => Protocol::Query,
            _ => Protocol::Json,
        }
    }

    /// The operation as the audit log names it: `ssm:GetParameter`.
    fn operation_name(&self) -> String {
        match self {
            Routed::Json(service, op) => format!("{}:{op}", service.action_prefix()),
            Routed::Sts(action) => format!("sts:{action}"),
            Routed::Unknown("") => "unknown".to_owned(),
            Routed::Unknown(target) => (*target).to_owned(),
        }
    }
}

fn route<'a>(parts: &axum::http::request::Parts, target: &'a str, body: &[u8]) -> Routed<'a> {
    if let Some((service, op)) = Service::from_target(target) {
        return Routed::Json(service, op);
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if target.is_empty() && kinko_aws::sts::is_query_request(content_type, body) {
        return Routed::Sts(kinko_aws::sts::action(body).unwrap_or_default());
    }
    Routed::Unknown(target)
}

async fn handle(
    state: &Arc<AppState>,
    parts: &axum::http::request::Parts,
    routed: Routed<'_>,
    body: &Bytes,
    request_id: &str,
    facts: RequestFacts,
    trail: &mut Trail,
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
    // The credential scope must name the service of the target; when the
    // target is unknown, authenticate against SSM's name so a caller with a
    // bad signature still learns that first, as on AWS.
    let signing_name = match &routed {
        Routed::Json(service, _) => service.signing_name(),
        Routed::Sts(_) => "sts",
        Routed::Unknown(_) => "ssm",
    };
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or_default();
    let caller = match auth::authenticate(
        state,
        parts.method.as_str(),
        path,
        query,
        &parts.headers,
        body,
        signing_name,
    )
    .await
    {
        Ok(caller) => caller,
        Err(error) => {
            trail.unauthenticated = true;
            trail.access_key_id =
                auth::claimed_key_id(parts.method.as_str(), path, query, &parts.headers, body);
            return Err(error);
        }
    };
    trail.principal = Some(caller.principal_arn.clone());
    trail.access_key_id.clone_from(&caller.access_key_id);
    let operation = match &routed {
        Routed::Json(_, op) => *op,
        Routed::Sts(action) => action.as_str(),
        Routed::Unknown(_) => "",
    };
    if caller.long_term_key
        && let Some(key) = &caller.access_key_id
    {
        state.credentials.note_use(key, signing_name, operation);
    }
    let mut user_id = DEV_USER_ID.to_owned();
    let access: Arc<dyn kinko_aws::Authorizer> = if state.settings.dev {
        Arc::new(kinko_aws::AllowAll)
    } else {
        // A session's role was loaded (and checked) when it authenticated.
        let principal = match &caller.session {
            Some(session) => Some(session.role.clone()),
            None => state
                .services
                .identity
                .access(&caller.policy_arn)
                .await
                .map_err(AwsError::from)?,
        };
        user_id = match (&caller.session, &principal) {
            (Some(session), _) => kinko_aws::assume::assumed_role_id(&session.claims),
            (None, Some(access)) => access.principal.unique_id.clone(),
            (None, None) => String::new(),
        };
        let access = Arc::new(RequestAccess::new(
            caller.principal_arn.clone(),
            principal,
            caller.session.clone(),
            state.settings.account_id.clone(),
            facts,
            state.resource_policies.clone(),
        ));
        trail.access = Some(access.clone());
        access
    };
    let ctx = RequestContext {
        region: caller.region,
        account_id: state.settings.account_id.clone(),
        principal_arn: caller.principal_arn,
        user_id,
        session: caller
            .session
            .map(|session| Arc::new(session.claims.clone())),
        request_id: request_id.to_owned(),
        access,
    };
    match routed {
        Routed::Json(service, operation) => {
            kinko_aws::dispatch(&state.services, service, operation, body, &ctx).await
        }
        Routed::Sts(_) => kinko_aws::sts::handle(&state.services.identity, body, &ctx).await,
        Routed::Unknown(target) => Err(AwsError::unknown_operation(target)),
    }
}

fn aws_response(
    status: StatusCode,
    request_id: &str,
    body: Vec<u8>,
    content_type: &'static str,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
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
        AMZ_JSON,
    )
}
