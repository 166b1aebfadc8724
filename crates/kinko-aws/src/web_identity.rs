//! AssumeRoleWithWebIdentity: an OpenID Connect ID token (GitHub Actions,
//! EKS service accounts, any OIDC issuer registered with kinko) exchanged
//! for a role session, as STS does it (shared/spec/sts-iam.md §6).
//!
//! The call is unsigned: the token is the credential. Its issuer must be a
//! provider registered with kinko; its signature, times and audience are
//! checked by `kinko_core::web_identity`; then the role's trust policy must
//! allow `sts:AssumeRoleWithWebIdentity` for the `Federated` provider ARN,
//! with the token's claims as condition keys `HOST/PATH:aud`,
//! `HOST/PATH:sub` (and `HOST/PATH:amr` when the token has one) and
//! `aws:FederatedProvider`.
//!
//! Choices where AWS is silent or kinko differs:
//! - `ProviderId` (OAuth 2.0 tokens of www.amazon.com and
//!   graph.facebook.com) is refused: kinko verifies only OIDC ID tokens.
//! - the answer's `Provider` is the provider's ARN (what STS answers for
//!   OIDC providers registered in IAM; unconfirmed).
//! - a role that does not exist is denied exactly like one whose trust
//!   policy does not allow the token, as AssumeRole does.

use std::sync::Arc;

use kinko_core::credentials::SessionCredentials;
use kinko_core::iam::{Access, RequestFacts, ResourcePolicies};
use kinko_core::principals::{Identity, SessionRequest, WebIdentityError};
use kinko_core::web_identity::{self, TokenError, VerifiedToken};
use kinko_model::iam::StsRequest;

use crate::assume::{self, AssumeRoleInput, DurationInput};
use crate::wire::Violations;
use crate::{AwsError, Check};

/// AssumeRoleWithWebIdentity's members as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebIdentityInput {
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub web_identity_token: Option<String>,
    pub provider_id: Option<String>,
    pub policy_arns: Vec<Option<String>>,
    pub policy: Option<String>,
    pub duration_seconds: Option<DurationInput>,
}

/// What the server knows of an unsigned request.
pub struct WebIdentityRequest<'a> {
    pub account_id: &'a str,
    pub facts: RequestFacts,
    pub resource_policies: Arc<ResourcePolicies>,
}

/// The answer.
#[derive(Debug)]
pub struct WebIdentitySession {
    pub credentials: SessionCredentials,
    pub assumed_role_id: String,
    pub packed_policy_size: Option<u32>,
    pub token: VerifiedToken,
    pub provider_arn: String,
}

/// AWS's codes for a token that was not accepted.
fn token_error(error: TokenError) -> AwsError {
    let code = match &error {
        TokenError::Expired { .. } => "ExpiredTokenException",
        TokenError::RejectedClaim(_) => "IDPRejectedClaimException",
        TokenError::Communication(_) => "IDPCommunicationErrorException",
        TokenError::Malformed(_)
        | TokenError::NoProvider(_)
        | TokenError::UnknownKey
        | TokenError::BadSignature
        | TokenError::WrongAudience => "InvalidIdentityTokenException",
    };
    AwsError::new(code, error.to_string())
}

/// The trust policy's denial (the text STS answers, as widely reported).
fn not_authorized() -> AwsError {
    AwsError::new(
        "AccessDeniedException",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )
}

/// The token's claims as condition keys (lower-case names, as `Context::extra` keeps them).
fn claim_keys(provider_arn: &str, issuer: &str, token: &VerifiedToken) -> Vec<(String, String)> {
    let name = web_identity::provider_name(issuer).to_lowercase();
    let mut keys = vec![
        ("aws:federatedprovider".to_owned(), provider_arn.to_owned()),
        (format!("{name}:sub"), token.subject.clone()),
    ];
    for aud in &token.audiences {
        keys.push((format!("{name}:aud"), aud.clone()));
    }
    keys
}

/// Runs AssumeRoleWithWebIdentity. The [`Access`] that decided it is
/// returned with the answer for the audit record (`None`: the request
/// failed before a decision).
pub async fn assume(
    identity: &Identity,
    request: &WebIdentityRequest<'_>,
    input: &WebIdentityInput,
) -> (Result<WebIdentitySession, AwsError>, Option<Arc<Access>>) {
    let mut access = None;
    let result = run(identity, request, input, &mut access).await;
    (result, access)
}

async fn run(
    identity: &Identity,
    request: &WebIdentityRequest<'_>,
    input: &WebIdentityInput,
    access_out: &mut Option<Arc<Access>>,
) -> Result<WebIdentitySession, AwsError> {
    let as_assume = AssumeRoleInput {
        role_arn: input.role_arn.clone(),
        role_session_name: input.role_session_name.clone(),
        policy_arns: input.policy_arns.clone(),
        policy: input.policy.clone(),
        duration_seconds: input.duration_seconds.clone(),
        ..AssumeRoleInput::default()
    };
    let valid = as_assume.validate_with(identity.min_session_seconds(), |v: &mut Violations| {
        if let Some(token) = v.required(&input.web_identity_token, "webIdentityToken") {
            // Never echoed: the length only.
            v.secret_length(token.chars().count(), "webIdentityToken", 4, 20_000);
        }
        v.opt_length(&input.provider_id, "providerId", 4, 2048);
    })?;
    let Some(token) = input.web_identity_token.as_deref() else {
        return Err(AwsError::internal());
    };
    if input.provider_id.is_some() {
        return Err(AwsError::new(
            "InvalidParameterValue",
            "ProviderId is for OAuth 2.0 access tokens (www.amazon.com, graph.facebook.com); \
             kinko accepts OpenID Connect ID tokens only: leave ProviderId out.",
        ));
    }
    assume::check_arn(valid.role_arn)?;
    let packed = crate::federation::session_policies(valid.policy, &valid.policy_arns, &[])?;

    let now_s = request.facts.time.as_second();
    let (provider, verified) =
        identity
            .verify_web_identity(token, now_s)
            .await
            .map_err(|e| match e {
                WebIdentityError::Token(e) => token_error(e),
                WebIdentityError::Identity(e) => AwsError::from(e),
            })?;

    let role = identity
        .role_to_assume(valid.role_arn)
        .await
        .map_err(AwsError::from)?;
    let trust = role.as_ref().map(|(_, trust)| trust.as_str());
    let access = Arc::new(Access::web_identity(
        provider.arn.clone(),
        request.account_id.to_owned(),
        request.facts,
        claim_keys(&provider.arn, &provider.url, &verified),
        request.resource_policies.clone(),
    ));
    *access_out = Some(access.clone());
    let sts = StsRequest {
        role_session_name: valid.session_name,
        external_id: None,
        source_identity: None,
        request_tags: &[],
        transitive_tag_keys: &[],
    };
    access
        .authorize(&Check::trust(
            "sts:AssumeRoleWithWebIdentity",
            valid.role_arn,
            trust,
            &sts,
        ))
        .map_err(|_| not_authorized())?;
    let Some((role, _)) = role.as_ref() else {
        return Err(not_authorized());
    };
    let policy_arns = crate::federation::resolve_policy_arns(identity, &valid.policy_arns).await?;
    let passed_policies = valid.policy.is_some() || !valid.policy_arns.is_empty();
    let credentials = identity
        .assume_role(
            role,
            SessionRequest {
                session_name: valid.session_name.to_owned(),
                duration_seconds: valid.duration_seconds,
                policy: valid.policy.map(str::to_owned),
                policy_arns,
                tags: Vec::new(),
                transitive_tag_keys: Vec::new(),
                source_identity: None,
            },
        )
        .map_err(AwsError::from)?;
    Ok(WebIdentitySession {
        assumed_role_id: assume::assumed_role_id(&credentials.claims),
        packed_policy_size: passed_policies.then(|| packed.percent()),
        credentials,
        token: verified,
        provider_arn: provider.arn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_are_stss_codes() {
        for (error, code) in [
            (
                TokenError::Expired { now: 2, exp: 1 },
                "ExpiredTokenException",
            ),
            (TokenError::RejectedClaim("x".into()), "IDPRejectedClaim"),
            (TokenError::WrongAudience, "InvalidIdentityToken"),
            (TokenError::UnknownKey, "InvalidIdentityToken"),
            (TokenError::BadSignature, "InvalidIdentityToken"),
            (
                TokenError::NoProvider("https://x".into()),
                "InvalidIdentityToken",
            ),
            (
                TokenError::Communication("unreachable".into()),
                "IDPCommunicationError",
            ),
        ] {
            let err = token_error(error);
            let body = String::from_utf8(crate::sts::error_body(&err, "r")).unwrap();
            assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
        }
        assert_eq!(
            crate::sts::error_status(&token_error(TokenError::RejectedClaim("x".into()))),
            403
        );
        assert_eq!(crate::sts::error_status(&not_authorized()), 403);
    }
}
