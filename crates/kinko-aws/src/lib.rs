//! The AWS JSON 1.1 wire, framework-free: SigV4 verification, the
//! `X-Amz-Target` dispatch, request/response shapes per service, and the
//! one error table.
//!
//! The server hands this crate an already-authenticated request (target,
//! body, [`RequestContext`]) and gets back bytes or an [`AwsError`].

pub mod admin;
mod admin_webhooks;
pub mod assume;
pub mod error;
pub mod federation;
pub mod kms;
pub mod quotas;
pub mod secretsmanager;
pub mod sigv4;
pub mod ssm;
pub mod sts;
pub mod web_identity;
pub mod wire;

pub use error::{AwsError, MessageKey};
pub use kinko_core::Caller;
pub use kinko_core::iam::{Access, Check};

/// One authenticated request as the handlers see it, built once by the
/// server after it verified the signature.
#[derive(Clone)]
pub struct RequestContext {
    /// Who calls, in which region (data is partitioned by the credential
    /// scope's region) and account.
    pub caller: Caller,
    /// GetCallerIdentity's `UserId`: a user's unique id (`AIDA…`), or
    /// `AROA…:SESSION` for a role session.
    pub user_id: String,
    /// The caller's session, when it signs with temporary credentials
    /// (what a chained AssumeRole inherits from).
    pub session: Option<std::sync::Arc<kinko_core::credentials::SessionClaims>>,
    /// The `x-amzn-RequestId` of this request.
    pub request_id: String,
    /// Decides what this caller may do (step 3 of a request): handlers
    /// check every (action, resource) before they read or write.
    pub access: std::sync::Arc<Access>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("caller", &self.caller)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl RequestContext {
    /// `Ok` when the caller may; otherwise AWS's `AccessDeniedException`
    /// naming the caller, the action and the resource (never a value).
    /// Every check is recorded for the audit log, allowed or not.
    pub fn authorize(&self, check: Check<'_>) -> Result<(), AwsError> {
        self.access.authorize(&check).map_err(AwsError::from)
    }
}

/// The services behind the wire.
pub struct Services {
    pub ssm: kinko_core::ssm::ParameterStore,
    /// Shared with the Parameter Store, which reads `/aws/reference/secretsmanager/…`.
    pub secrets: std::sync::Arc<kinko_core::secrets::SecretsManager>,
    pub kms: kinko_core::kms::Kms,
    /// Principals, policies, keys and sessions (the admin API and STS).
    pub identity: std::sync::Arc<kinko_core::principals::Identity>,
    /// The audit log as the admin API reads it.
    pub audit: kinko_core::audit::AuditReader,
    /// Webhook subscriptions (the admin API's `*Webhook*` operations).
    pub webhooks: std::sync::Arc<kinko_core::webhooks::Webhooks>,
}

/// The services by `X-Amz-Target` prefix, with their SigV4 service names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ssm,
    SecretsManager,
    Kms,
    /// kinko's own admin API.
    Admin,
}

impl Service {
    /// Splits `AmazonSSM.GetParameter` into the service and the operation name.
    pub fn from_target(target: &str) -> Option<(Service, &str)> {
        let (prefix, op) = target.split_once('.')?;
        let service = match prefix {
            "AmazonSSM" => Service::Ssm,
            "secretsmanager" => Service::SecretsManager,
            "TrentService" => Service::Kms,
            "KinkoAdmin" => Service::Admin,
            _ => return None,
        };
        (!op.is_empty()).then_some((service, op))
    }

    /// The service name a SigV4 credential scope must carry for this service.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Ssm => "ssm",
            Service::SecretsManager => "secretsmanager",
            Service::Kms => "kms",
            Service::Admin => "kinko",
        }
    }

    /// The IAM action prefix of the service's operations (`ssm:GetParameter`).
    pub fn action_prefix(self) -> &'static str {
        self.signing_name()
    }
}

/// Decodes, runs and encodes one operation. Errors come back AWS-shaped.
pub async fn dispatch(
    services: &Services,
    service: Service,
    operation: &str,
    body: &[u8],
    ctx: &RequestContext,
) -> Result<Vec<u8>, AwsError> {
    // KMS and IAM changes are made by services that are not handed the
    // caller: the change feed learns who acted from here.
    let actor = ctx.caller.arn.clone();
    kinko_core::changes::acting_as(actor, async move {
        match service {
            Service::Ssm => ssm::handle(&services.ssm, operation, body, ctx).await,
            Service::SecretsManager => {
                secretsmanager::handle(&services.secrets, operation, body, ctx).await
            }
            Service::Kms => kms::handle(&services.kms, operation, body, ctx).await,
            Service::Admin => {
                admin::handle(
                    &services.identity,
                    &services.webhooks,
                    &services.audit,
                    operation,
                    body,
                    ctx,
                )
                .await
            }
        }
    })
    .await
}
