//! The AWS JSON 1.1 wire, framework-free: SigV4 verification, the
//! `X-Amz-Target` dispatch, request/response shapes per service, and the
//! one error table.
//!
//! The server hands this crate an already-authenticated request (target,
//! body, [`RequestContext`]) and gets back bytes or an [`AwsError`].

pub mod access;
pub mod admin;
pub mod assume;
pub mod error;
pub mod kms;
pub mod secretsmanager;
pub mod sigv4;
pub mod ssm;
pub mod sts;
pub mod wire;

pub use access::{AllowAll, Authorizer, Check};
pub use error::{AwsError, MessageKey};

/// Who is calling and where: derived from the verified SigV4 credential scope
/// and the server configuration.
#[derive(Clone)]
pub struct RequestContext {
    /// The region of the credential scope; data is partitioned by it.
    pub region: String,
    pub account_id: String,
    /// ARN of the authenticated principal (`arn:aws:iam::<acct>:user/admin`).
    pub principal_arn: String,
    /// GetCallerIdentity's `UserId`: a user's unique id (`AIDA…`), or
    /// `AROA…:SESSION` for a role session.
    pub user_id: String,
    /// The caller's session, when it signs with temporary credentials
    /// (what a chained AssumeRole inherits from).
    pub session: Option<std::sync::Arc<kinko_core::credentials::SessionClaims>>,
    /// The `x-amzn-RequestId` of this request.
    pub request_id: String,
    /// Decides what this caller may do (step 3 of a request).
    pub access: std::sync::Arc<dyn Authorizer>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("region", &self.region)
            .field("principal_arn", &self.principal_arn)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl RequestContext {
    /// Shorthand for `self.access.authorize(&check)`.
    pub fn authorize(&self, check: Check<'_>) -> Result<(), AwsError> {
        self.access.authorize(&check)
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
    match service {
        Service::Ssm => ssm::handle(&services.ssm, operation, body, ctx).await,
        Service::SecretsManager => {
            secretsmanager::handle(&services.secrets, operation, body, ctx).await
        }
        Service::Kms => kms::handle(&services.kms, operation, body, ctx).await,
        Service::Admin => admin::handle(&services.identity, operation, body, ctx).await,
    }
}
