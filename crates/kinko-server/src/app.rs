//! The HTTP surface: `POST /` (any path) for the AWS APIs, `GET /health`.
//!
//! The handler follows DESIGN.md's path of a request: route on the headers
//! (`X-Amz-Target`, or STS's Query protocol), refuse it at once while the
//! audit log cannot be written, read the body (bounded), authenticate
//! (SigV4), run the operation, encode the response or an AWS-shaped error,
//! record it in the audit log and log one line (request id, operation,
//! status, latency — never a value).
//!
//! Every request to the AWS APIs needs an audit record; `GET /health` needs
//! none. While the audit writer reports that it cannot append, API requests
//! are answered `503 ServiceUnavailable` before their body is read, so
//! nothing is read or written that the log could not show, and `/health`
//! answers 503 too so a load balancer moves traffic elsewhere.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::BytesMut;
use http_body_util::BodyExt;
use kinko_aws::error::echo;
use kinko_aws::sigv4::SigningKeyCache;
use kinko_aws::{AwsError, RequestContext, Service, Services};
use kinko_core::credentials::Credentials;
use kinko_core::iam::{Access, RequestFacts, ResourcePolicies};
use kinko_model::audit::{AuditRecord, Verdict};

use crate::audit::AuditLog;
use crate::auth;
use crate::listener::ConnectionInfo;

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
    /// AWS's request quotas, with `--emulate-quotas aws`.
    pub throttle: Option<kinko_aws::quotas::Throttle>,
    /// The change feed the watch API (`GET /changes`) reads. `None` only
    /// in tests that drive the router without a store.
    pub feed: Option<crate::watch::Feed>,
    /// Counted only with `--metrics-listen`: nothing on the request path
    /// otherwise.
    pub metrics: Option<crate::metrics::SharedMetrics>,
}

/// What one request leaves for its audit record, filled in as it goes.
#[derive(Default)]
struct Trail {
    principal: Option<String>,
    access_key_id: Option<String>,
    /// The request failed authentication.
    unauthenticated: bool,
    access: Option<Arc<Access>>,
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
        // One span and one "finished" event per request at debug level
        // (`KINKO_LOG=tower_http=debug`), headers included: for operators
        // chasing a client that misbehaves.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(tower_http::trace::DefaultMakeSpan::new().include_headers(true))
                .on_response(tower_http::trace::DefaultOnResponse::new().include_headers(true)),
        )
        // Outermost, so the trace above prints these as `Sensitive`.
        .layer(tower_http::sensitive_headers::SetSensitiveHeadersLayer::new(SENSITIVE_HEADERS))
}

/// Headers that carry a credential (a signature, a session token, a
/// cookie): marked sensitive, so no log line ever shows their value.
pub const SENSITIVE_HEADERS: [header::HeaderName; 4] = [
    header::AUTHORIZATION,
    header::PROXY_AUTHORIZATION,
    header::COOKIE,
    header::HeaderName::from_static("x-amz-security-token"),
];

/// 200 while the server can serve; 503 while the audit log cannot be
/// written (API requests are refused then), so a load balancer sends the
/// traffic to a server that can record it.
async fn health(State(state): State<Arc<AppState>>) -> Response {
    let unavailable_since = state.audit.as_ref().and_then(AuditLog::unavailable_since);
    match unavailable_since {
        None => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ok"}"#,
        )
            .into_response(),
        Some(since) => {
            let body = serde_json::json!({
                "status": "unavailable",
                "reason": "the audit log cannot be written",
                "since": since.to_string(),
            });
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
    }
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
    let routed = route(&parts, &target);
    let protocol = routed.protocol();

    // Before anything else: a request the audit log could not record is
    // not served. Counted (the writer's summary record says how many), not
    // logged one by one: the writer warns once when this starts and ends.
    if let Some(audit) = &state.audit
        && let Err(unavailable) = audit.admit()
    {
        tracing::debug!(%request_id, "refused: the audit log cannot be written");
        let error = AwsError::audit_unavailable(&unavailable.since().to_string());
        let (status, body) = error_body(protocol, &error, &request_id);
        return aws_response(status, &request_id, body, protocol.content_type());
    }

    let mut trail = Trail::default();
    let content_length = content_length(&parts.headers);
    let (operation, result) =
        match read_body(body, content_length, state.settings.max_body_bytes).await {
            Ok(body) => {
                let facts = RequestFacts {
                    source_ip: connection.map(|c| c.remote.ip()),
                    secure_transport: connection.is_some_and(|c| c.secure),
                    time,
                };
                let result = handle(
                    &state,
                    &parts,
                    &routed,
                    &body,
                    &request_id,
                    facts,
                    &mut trail,
                )
                .await;
                (routed.operation_name(&body), result)
            }
            Err(error) => (routed.operation_name(&[]), Err(error)),
        };

    let (status, code, body) = match result {
        Ok(body) => (StatusCode::OK, None, body),
        Err(error) => {
            let (status, body) = error_body(protocol, &error, &request_id);
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
            tracing::debug!(%request_id, op = %log_op(&target, &operation), status = status_code, latency_us, "request")
        }
        400..=499 => {
            tracing::info!(%request_id, op = %log_op(&target, &operation), status = status_code, error, latency_us, "request")
        }
        _ => {
            tracing::warn!(%request_id, op = %log_op(&target, &operation), status = status_code, error, latency_us, "request")
        }
    }
    if let Some(metrics) = &state.metrics {
        let authenticated = trail.principal.is_some() && !trail.unauthenticated;
        metrics.request(crate::metrics::RequestOutcome {
            service: routed.service_label(),
            operation: routed.operation_label(&operation, authenticated, code),
            status: status_code,
            seconds: latency.as_secs_f64(),
            authentication_failure: code.filter(|_| trail.unauthenticated),
            denied: !trail.unauthenticated
                && matches!(code, Some("AccessDeniedException" | "AccessDenied")),
        });
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
                outage: None,
            })
            .await;
    }
    aws_response(status, &request_id, body, protocol.content_type())
}

/// The operation as a log line names it: the target as sent
/// (`AmazonSSM.GetParameter`), to a bounded length as client text always
/// is, or for STS (no target) the audit log's name (`sts:AssumeRole`).
fn log_op(target: &str, operation: &str) -> String {
    if target.is_empty() {
        operation.to_owned()
    } else {
        echo(target)
    }
}

/// An error as the request's protocol answers it: its status and body.
fn error_body(protocol: Protocol, error: &AwsError, request_id: &str) -> (StatusCode, Vec<u8>) {
    let (status, body) = match protocol {
        Protocol::Json => (error.status, error.to_body()),
        // STS answers some codes with its own statuses (403 for AccessDenied).
        Protocol::Query => (
            kinko_aws::sts::error_status(error),
            kinko_aws::sts::error_body(error, request_id),
        ),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, body)
}

/// The `Content-Length` a request announced, if any (hyper has refused a
/// malformed one already).
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Reads the whole body, at most `limit` bytes.
///
/// A `Content-Length` above the limit is refused before a byte is read; a
/// body without one (chunked) is refused as soon as it passes the limit.
/// A body that breaks off (the client closed the connection early, a chunk
/// is cut) is `IncompleteBody`, not "too large": only a body really over
/// the limit is a 413.
async fn read_body(
    mut body: Body,
    content_length: Option<u64>,
    limit: usize,
) -> Result<Bytes, AwsError> {
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    if content_length.is_some_and(|length| length > limit_u64) {
        return Err(AwsError::body_too_large(limit, content_length));
    }
    let expected = content_length
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(0);
    let mut bytes = BytesMut::with_capacity(expected);
    while let Some(frame) = body.frame().await {
        // The error says no more than that the connection ended or failed;
        // which, the log of the connection tells (listener.rs).
        let Ok(frame) = frame else {
            return Err(AwsError::incomplete_body(bytes.len(), content_length));
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(AwsError::body_too_large(limit, None));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes.freeze())
}

/// Which wire a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// AWS JSON 1.1 (`X-Amz-Target`): SSM, Secrets Manager, KMS, admin.
    Json,
    /// The AWS Query protocol (form body, XML answer): STS.
    Query,
}

impl Protocol {
    fn content_type(self) -> &'static str {
        match self {
            Protocol::Json => AMZ_JSON,
            Protocol::Query => "text/xml",
        }
    }
}

/// Where a request goes: decided from its headers alone, so that it can be
/// answered in its own protocol before (or without) reading its body.
enum Routed<'a> {
    Json(Service, &'a str),
    /// STS's Query protocol; the `Action` is in the body.
    Sts,
    /// `GET /changes`: the watch API (see `watch.rs`).
    Changes,
    /// The target as sent (may be empty).
    Unknown(&'a str),
}

impl Routed<'_> {
    fn protocol(&self) -> Protocol {
        match self {
            Routed::Sts => Protocol::Query,
            _ => Protocol::Json,
        }
    }

    /// The operation as the audit log names it: `ssm:GetParameter`,
    /// `sts:AssumeRole`, `sts` when the body named no action. What the
    /// client chose (an unknown target or action) is kept to a bounded
    /// length, as error messages quote it.
    fn operation_name(&self, body: &[u8]) -> String {
        match self {
            Routed::Json(service, op) => format!("{}:{}", service.action_prefix(), echo(op)),
            Routed::Sts => match kinko_aws::sts::action(body) {
                Some(action) if !action.is_empty() => format!("sts:{}", echo(&action)),
                _ => "sts".to_owned(),
            },
            Routed::Changes => "kinko:WatchChanges".to_owned(),
            Routed::Unknown("") => "unknown".to_owned(),
            Routed::Unknown(target) => echo(target),
        }
    }

    /// The service as the metrics label it.
    fn service_label(&self) -> &'static str {
        match self {
            Routed::Json(service, _) => service.signing_name(),
            Routed::Sts => "sts",
            Routed::Changes => "kinko",
            Routed::Unknown(_) => "unknown",
        }
    }

    /// The operation as the metrics label it, from its audit name
    /// (`ssm:GetParameter` → `GetParameter`): only a name the service
    /// recognised for an authenticated caller, so that no client can grow
    /// the label set with names of its own; anything else is `unknown`.
    fn operation_label(&self, audit_name: &str, authenticated: bool, code: Option<&str>) -> String {
        let recognised = authenticated
            && !matches!(code, Some("UnknownOperationException" | "InvalidAction"))
            && !matches!(self, Routed::Unknown(_));
        match audit_name.split_once(':') {
            Some((_, name)) if recognised && !name.is_empty() => name.to_owned(),
            _ => "unknown".to_owned(),
        }
    }

    /// The operation a long-term key's last use is recorded with (bounded
    /// like [`Routed::operation_name`]).
    fn operation(&self, body: &[u8]) -> String {
        match self {
            Routed::Json(_, op) => echo(op),
            Routed::Sts => echo(&kinko_aws::sts::action(body).unwrap_or_default()),
            Routed::Changes => "WatchChanges".to_owned(),
            Routed::Unknown(_) => String::new(),
        }
    }
}

/// A known `X-Amz-Target` is a JSON API call. Without a target, a form
/// body or a signature scoped to `sts` (header or presigned query) is an
/// STS Query call — even one whose body has no `Action`, which STS answers
/// `MissingAction` (routed as SSM, it would get a misleading scope error).
fn route<'a>(parts: &axum::http::request::Parts, target: &'a str) -> Routed<'a> {
    if parts.uri.path() == "/changes" && target.is_empty() {
        return Routed::Changes;
    }
    if let Some((service, op)) = Service::from_target(target) {
        return Routed::Json(service, op);
    }
    if target.is_empty() {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let scope_service =
            kinko_aws::sigv4::scope_service(&parts.headers, parts.uri.query().unwrap_or_default());
        if kinko_aws::sts::is_query_request(content_type, scope_service.as_deref()) {
            return Routed::Sts;
        }
    }
    Routed::Unknown(target)
}

async fn handle(
    state: &Arc<AppState>,
    parts: &axum::http::request::Parts,
    routed: &Routed<'_>,
    body: &Bytes,
    request_id: &str,
    facts: RequestFacts,
    trail: &mut Trail,
) -> Result<Vec<u8>, AwsError> {
    let watch = matches!(routed, Routed::Changes);
    if watch && parts.method != Method::GET {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!(
                "{} is not supported: the watch API takes GET /changes?after=SEQ.",
                echo(parts.method.as_str())
            ),
        ));
    }
    if !watch && parts.method != Method::POST {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!(
                "{} is not supported: the AWS JSON APIs take POST requests.",
                echo(parts.method.as_str())
            ),
        ));
    }
    // The credential scope must name the service of the target; when the
    // target is unknown, authenticate against SSM's name so a caller with a
    // bad signature still learns that first, as on AWS.
    let signing_name = match routed {
        Routed::Json(service, _) => service.signing_name(),
        Routed::Sts => "sts",
        Routed::Changes => "kinko",
        Routed::Unknown(_) => "ssm",
    };
    // AssumeRoleWithWebIdentity is unsigned: its token is its credential,
    // checked by the operation itself (a signature, if any, is ignored).
    if matches!(routed, Routed::Sts) && kinko_aws::sts::is_unsigned(body) {
        let request = kinko_aws::web_identity::WebIdentityRequest {
            account_id: &state.settings.account_id,
            facts,
            resource_policies: state.resource_policies.clone(),
        };
        let (result, access) =
            kinko_aws::sts::handle_unsigned(&state.services.identity, body, &request, request_id)
                .await;
        match access {
            Some(access) => {
                trail.principal = Some(access.caller_arn().to_owned());
                trail.access = Some(access);
            }
            // Refused before the token named its provider: no one to name.
            None => trail.unauthenticated = result.is_err(),
        }
        return result;
    }
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or_default();
    let signer = match auth::authenticate(
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
        Ok(signer) => signer,
        Err(error) => {
            trail.unauthenticated = true;
            trail.access_key_id =
                auth::claimed_key_id(parts.method.as_str(), path, query, &parts.headers, body);
            return Err(error);
        }
    };
    trail.principal = Some(signer.principal_arn.clone());
    // Throttled after authentication (AWS counts per account) and before
    // anything is decided or done.
    if let (Some(throttle), Routed::Json(service, operation)) = (&state.throttle, routed) {
        throttle.admit(*service, operation, &signer.region)?;
    }
    trail.access_key_id.clone_from(&signer.access_key_id);
    if signer.long_term_key
        && let Some(key) = &signer.access_key_id
    {
        state
            .credentials
            .note_use(key, signing_name, &routed.operation(body));
    }
    let mut user_id = DEV_USER_ID.to_owned();
    let access = if state.settings.dev {
        Arc::new(Access::unrestricted(signer.principal_arn.clone()))
    } else {
        // A session's role was loaded (and checked) when it authenticated.
        let principal = match &signer.session {
            Some(session) => Some(session.role.clone()),
            None => state
                .services
                .identity
                .access(&signer.policy_arn)
                .await
                .map_err(AwsError::from)?,
        };
        user_id = match (&signer.session, &principal) {
            (Some(session), _) => {
                kinko_aws::assume::session_user_id(&session.claims, &state.settings.account_id)
            }
            (None, Some(access)) => access.principal.unique_id.clone(),
            (None, None) => String::new(),
        };
        let access = Arc::new(Access::new(
            signer.principal_arn.clone(),
            principal,
            signer.session.clone(),
            state.settings.account_id.clone(),
            facts,
            state.resource_policies.clone(),
        ));
        trail.access = Some(access.clone());
        access
    };
    let ctx = RequestContext {
        caller: kinko_aws::Caller {
            region: signer.region,
            account_id: state.settings.account_id.clone(),
            arn: signer.principal_arn,
        },
        user_id,
        session: signer
            .session
            .map(|session| Arc::new(session.claims.clone())),
        request_id: request_id.to_owned(),
        access,
    };
    match *routed {
        Routed::Json(service, operation) => {
            kinko_aws::dispatch(&state.services, service, operation, body, &ctx).await
        }
        Routed::Sts => kinko_aws::sts::handle(&state.services.identity, body, &ctx).await,
        Routed::Changes => match &state.feed {
            Some(feed) => crate::watch::changes(feed, &ctx.access, query).await,
            None => Err(AwsError::unavailable()),
        },
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

#[cfg(test)]
mod tests;
