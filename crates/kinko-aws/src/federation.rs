//! GetSessionToken and GetFederationToken: temporary credentials an IAM
//! user asks for with its long-term key (shared/spec/sts-iam.md §5).
//!
//! - GetSessionToken's session is the user itself (same ARN, same `UserId`,
//!   same permissions); it cannot call the admin API (AWS: no IAM calls
//!   without MFA), nor GetSessionToken or GetFederationToken again.
//! - GetFederationToken's session is `arn:aws:sts::ACCT:federated-user/NAME`
//!   with the user's permissions intersected with the session policies
//!   (none: no permissions at all); of STS it may call only
//!   GetCallerIdentity, and never the admin API.
//!
//! Choices where AWS is silent or kinko differs:
//! - `SerialNumber`/`TokenCode` are checked against the model and then
//!   refused with `AccessDenied`: kinko has no MFA devices, and a session
//!   the caller believes MFA-authenticated but is not would fail later in a
//!   way harder to understand.
//! - GetSessionToken needs no permission (AWS cannot deny it by policy
//!   either); GetFederationToken needs `sts:GetFederationToken` on the
//!   federated user's ARN, as on AWS.
//! - kinko has no root user, so the root's 1-hour limit never applies.

use kinko_core::credentials::{PolicyArnClaim, SessionCredentials, SessionKind};
use kinko_core::principals::{Identity, PrincipalRecord, SessionRequest};
use kinko_model::Tag;
use kinko_model::principals::PrincipalKind;

use crate::assume::{
    self, DurationInput, MAX_POLICY_ARNS, MAX_SESSION_POLICY_CHARS, POLICY, POLICY_PATTERN,
    SESSION_NAME, SESSION_NAME_PATTERN, TagInput, constrain, constrain_mfa,
};
use crate::wire::Violations;
use crate::{AwsError, Check, RequestContext};

/// The default (and longest) session of a user: 12 and 36 hours.
pub const DEFAULT_USER_SESSION_SECONDS: i64 = 43_200;
pub const MAX_USER_SESSION_SECONDS: i64 = 129_600;

/// GetSessionToken's members as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionTokenInput {
    pub duration_seconds: Option<DurationInput>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
}

/// GetFederationToken's members as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationTokenInput {
    pub name: Option<String>,
    pub policy: Option<String>,
    pub policy_arns: Vec<Option<String>>,
    pub duration_seconds: Option<DurationInput>,
    pub tags: Vec<TagInput>,
}

/// GetFederationToken's answer.
#[derive(Debug)]
pub struct FederationToken {
    pub credentials: SessionCredentials,
    /// `ACCOUNT:NAME`.
    pub federated_user_id: String,
    pub packed_policy_size: u32,
}

/// `DurationSeconds` of a user session: 900–129600 (or the test server's
/// shorter minimum), default 43200.
fn user_duration(v: &mut Violations, input: &Option<DurationInput>, min: i64) -> i64 {
    match input {
        None => DEFAULT_USER_SESSION_SECONDS,
        Some(DurationInput::Seconds(seconds)) => {
            v.range(
                Some(*seconds),
                "durationSeconds",
                min.min(900),
                MAX_USER_SESSION_SECONDS,
            );
            *seconds
        }
        Some(DurationInput::NotANumber(text)) => {
            v.pattern(
                text,
                "durationSeconds",
                false,
                "an integer number of seconds",
            );
            DEFAULT_USER_SESSION_SECONDS
        }
    }
}

/// AWS's refusal of a second-generation token: both calls need an IAM
/// user's long-term key.
fn with_session_credentials(action: &str) -> AwsError {
    AwsError::new(
        "AccessDeniedException",
        format!("Cannot call {action} with session credentials"),
    )
}

/// The calling user, which must sign with its own long-term key.
async fn calling_user(
    identity: &Identity,
    ctx: &RequestContext,
    action: &str,
) -> Result<PrincipalRecord, AwsError> {
    if ctx.session.is_some() {
        return Err(with_session_credentials(action));
    }
    let not_a_user = || {
        AwsError::new(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: sts:{action}: only an IAM user's \
                 long-term access key can ask for it",
                ctx.caller.arn
            ),
        )
    };
    let user = match identity.principal(&ctx.caller.arn).await {
        Ok(user) => user,
        Err(kinko_core::principals::IdentityError::NoSuchPrincipal(_)) => {
            return Err(not_a_user());
        }
        Err(e) => return Err(AwsError::from(e)),
    };
    if user.kind != PrincipalKind::User {
        return Err(not_a_user());
    }
    Ok(user)
}

/// GetSessionToken: the user's own permissions, for a while.
pub async fn get_session_token(
    identity: &Identity,
    ctx: &RequestContext,
    input: &SessionTokenInput,
) -> Result<SessionCredentials, AwsError> {
    let mut v = Violations::new();
    let duration_seconds = user_duration(
        &mut v,
        &input.duration_seconds,
        identity.min_session_seconds(),
    );
    constrain_mfa(
        &mut v,
        input.serial_number.as_deref(),
        input.token_code.as_deref(),
    );
    v.finish()?;
    let user = calling_user(identity, ctx, "GetSessionToken").await?;
    if input.serial_number.is_some() || input.token_code.is_some() {
        return Err(AwsError::new(
            "AccessDeniedException",
            "MultiFactorAuthentication failed: kinko has no MFA devices, so SerialNumber and \
             TokenCode cannot be verified; call GetSessionToken without them.",
        ));
    }
    identity
        .user_session(
            &user,
            SessionKind::User,
            SessionRequest {
                session_name: user.name.clone(),
                duration_seconds,
                policy: None,
                policy_arns: Vec::new(),
                tags: Vec::new(),
                transitive_tag_keys: Vec::new(),
                source_identity: None,
            },
        )
        .map_err(AwsError::from)
}

/// GetFederationToken: a federated user with the caller's permissions as
/// narrowed by the session policies.
pub async fn get_federation_token(
    identity: &Identity,
    ctx: &RequestContext,
    input: &FederationTokenInput,
) -> Result<FederationToken, AwsError> {
    let mut v = Violations::new();
    let name = v.required(&input.name, "name");
    if let Some(name) = name {
        constrain(
            &mut v,
            name,
            "name",
            (&SESSION_NAME, SESSION_NAME_PATTERN),
            2..=32,
        );
    }
    if let Some(policy) = &input.policy {
        constrain(
            &mut v,
            policy,
            "policy",
            (&POLICY, POLICY_PATTERN),
            1..=MAX_SESSION_POLICY_CHARS,
        );
    }
    if input.policy_arns.len() > MAX_POLICY_ARNS {
        v.count(input.policy_arns.len(), "policyArns", 0, MAX_POLICY_ARNS);
    }
    for (i, arn) in input.policy_arns.iter().enumerate() {
        if let Some(arn) = arn {
            let path = format!("policyArns.{}.member.arn", i + 1);
            constrain(
                &mut v,
                arn,
                &path,
                (&assume::ARN, assume::ARN_PATTERN),
                20..=2048,
            );
        }
    }
    let duration_seconds = user_duration(
        &mut v,
        &input.duration_seconds,
        identity.min_session_seconds(),
    );
    let tags = assume::validate_tags(&mut v, &input.tags);
    v.finish()?;
    let Some(name) = name else {
        return Err(AwsError::internal());
    };
    let policy_arns: Vec<&str> = input
        .policy_arns
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let packed = session_policies(input.policy.as_deref(), &policy_arns, &tags)?;

    let user = calling_user(identity, ctx, "GetFederationToken").await?;
    let federated_arn = format!(
        "arn:{}:sts::{}:federated-user/{name}",
        identity.partition(),
        identity.account_id()
    );
    ctx.authorize(Check::new("sts:GetFederationToken", &federated_arn))
        .map_err(|_| assume::denied(&ctx.caller.arn, "sts:GetFederationToken", &federated_arn))?;
    let policy_arns = resolve_policy_arns(identity, &policy_arns).await?;
    let credentials = identity
        .user_session(
            &user,
            SessionKind::Federated,
            SessionRequest {
                session_name: name.clone(),
                duration_seconds,
                policy: input.policy.clone(),
                policy_arns,
                tags,
                transitive_tag_keys: Vec::new(),
                source_identity: None,
            },
        )
        .map_err(AwsError::from)?;
    Ok(FederationToken {
        federated_user_id: format!("{}:{name}", identity.account_id()),
        packed_policy_size: packed.percent(),
        credentials,
    })
}

/// A session policy's checks, shared by the calls that take one: a policy
/// document (`MalformedPolicyDocument`), within the plaintext limit with
/// the ARNs, and within the packed budget with the tags.
pub(crate) fn session_policies(
    policy: Option<&str>,
    policy_arns: &[&str],
    tags: &[Tag],
) -> Result<assume::Packed, AwsError> {
    let compact = match policy {
        Some(text) => Some(assume::compact_policy(text)?),
        None => None,
    };
    let plaintext = policy.map_or(0, |p| p.chars().count())
        + policy_arns.iter().map(|a| a.chars().count()).sum::<usize>();
    if plaintext > MAX_SESSION_POLICY_CHARS {
        return Err(AwsError::validation(format!(
            "The session policies' plaintext (Policy and PolicyArns together) is {plaintext} \
             characters; it must be at most {MAX_SESSION_POLICY_CHARS}."
        )));
    }
    let packed = assume::packed_size(compact.as_deref(), policy_arns, tags);
    if packed.percent() > 100 {
        return Err(packed.too_large());
    }
    Ok(packed)
}

/// The stored policies `PolicyArns` name (see [`crate::assume`]).
pub(crate) async fn resolve_policy_arns(
    identity: &Identity,
    arns: &[&str],
) -> Result<Vec<PolicyArnClaim>, AwsError> {
    let mut claims = Vec::with_capacity(arns.len());
    for arn in arns {
        let claim = identity
            .resolve_policy_arn(arn)
            .await
            .map_err(AwsError::from)?
            .ok_or_else(|| {
                assume::invalid_parameter(format!(
                    "The policy {arn} does not exist. A PolicyArn names a principal's inline \
                     policy: arn:{}:iam::{}:policy/PRINCIPAL/POLICY.",
                    identity.partition(),
                    identity.account_id()
                ))
            })?;
        claims.push(claim);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_the_users_range() {
        let mut v = Violations::new();
        assert_eq!(user_duration(&mut v, &None, 900), 43_200);
        assert!(v.finish().is_ok());
        let mut v = Violations::new();
        user_duration(&mut v, &Some(DurationInput::Seconds(129_601)), 900);
        assert_eq!(
            v.finish().unwrap_err().message,
            "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy \
             constraint: Member must have value less than or equal to 129600"
        );
        let mut v = Violations::new();
        user_duration(&mut v, &Some(DurationInput::Seconds(129_600)), 900);
        assert!(v.finish().is_ok());
        let mut v = Violations::new();
        user_duration(&mut v, &Some(DurationInput::Seconds(899)), 900);
        assert!(
            v.finish()
                .unwrap_err()
                .message
                .ends_with("Member must have value greater than or equal to 900")
        );
    }

    #[test]
    fn session_policies_must_parse_and_fit() {
        assert_eq!(
            session_policies(Some("nope"), &[], &[]).unwrap_err().code,
            "MalformedPolicyDocumentException"
        );
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#;
        assert!(session_policies(Some(ok), &[], &[]).unwrap().percent() > 0);
        assert_eq!(session_policies(None, &[], &[]).unwrap().percent(), 0);
    }
}
