//! AssumeRole, for both wires (STS's Query protocol and the admin API's
//! JSON): the request's model constraints, then the rules of IAM
//! (shared/spec/sts-iam.md §3–4), then the session.
//!
//! The order matters for what a caller can learn: everything that does not
//! depend on the role (constraints, the policy document, the tags, role
//! chaining) is checked first; then a role that does not exist — or is a
//! user — is denied exactly like an existing role the caller may not
//! assume, byte for byte, so no answer reveals which names exist.
//!
//! Choices where AWS is silent or kinko differs:
//! - `PolicyArns` name kinko's inline policies:
//!   `arn:aws:iam::ACCT:policy/PRINCIPAL/POLICY` is the inline policy POLICY
//!   of the principal PRINCIPAL; any other ARN is `InvalidParameterValue`.
//! - the packed size (`PackedPolicySize`) is the share of a
//!   [`PACKED_LIMIT`]-byte budget taken by the compact session policy, the
//!   policy ARNs and the session tags' keys and values.
//! - `SerialNumber`/`TokenCode` are checked against the model and otherwise
//!   ignored (kinko has no MFA devices, so `aws:MultiFactorAuthPresent` is
//!   never true); `ProvidedContexts` are ignored.

use std::sync::LazyLock;

use kinko_core::credentials::{PolicyArnClaim, SessionClaims, SessionCredentials, SessionKind};
use kinko_core::principals::{Identity, SessionRequest};
use kinko_model::Tag;
use kinko_model::iam::{Policy, StsRequest};
use regex::Regex;

use crate::wire::Violations;
use crate::{AwsError, Check, RequestContext};

/// STS's default session length.
pub const DEFAULT_DURATION_SECONDS: i64 = 3600;
/// The longest session a role session may assume (role chaining).
pub const CHAINED_MAX_SECONDS: i64 = 3600;
/// The plaintext of the inline policy and the policy ARNs together.
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;
/// kinko's packed budget, in bytes, for the compact session policy, the
/// policy ARNs and the session tags (AWS's packed format is its own).
pub const PACKED_LIMIT: usize = 4096;
const MAX_TAGS: usize = 50;
pub(crate) const MAX_POLICY_ARNS: usize = 10;

pub(crate) const ARN_PATTERN: &str =
    r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+";
pub(crate) const SESSION_NAME_PATTERN: &str = r"[\w+=,.@-]*";
pub(crate) const POLICY_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";
const EXTERNAL_ID_PATTERN: &str = r"[\w+=,.@:\/-]*";
pub(crate) const SERIAL_NUMBER_PATTERN: &str = r"[\w+=/:,.@-]*";
pub(crate) const TOKEN_CODE_PATTERN: &str = r"[\d]*";

/// A model pattern, matched against the whole value. `\w` and `\d` are
/// ASCII, as in the Java regexes AWS validates with.
fn full(pattern: &str) -> Regex {
    let pattern = pattern.replace(r"\w", "a-zA-Z0-9_").replace(r"\d", "0-9");
    Regex::new(&format!("^(?:{pattern})$")).expect("a model pattern compiles")
}

/// The ARN and policy patterns with their `\uXXXX` escapes in Rust's syntax.
pub(crate) static ARN: LazyLock<Regex> = LazyLock::new(|| {
    full(
        r"[\x{9}\x{A}\x{D}\x{20}-\x{7E}\x{85}\x{A0}-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]+",
    )
});
pub(crate) static POLICY: LazyLock<Regex> =
    LazyLock::new(|| full(r"[\x{9}\x{A}\x{D}\x{20}-\x{FF}]+"));
pub(crate) static SESSION_NAME: LazyLock<Regex> = LazyLock::new(|| full(SESSION_NAME_PATTERN));
static TAG_KEY: LazyLock<Regex> = LazyLock::new(|| full(TAG_KEY_PATTERN));
static TAG_VALUE: LazyLock<Regex> = LazyLock::new(|| full(TAG_VALUE_PATTERN));
static EXTERNAL_ID: LazyLock<Regex> = LazyLock::new(|| full(EXTERNAL_ID_PATTERN));
pub(crate) static SERIAL_NUMBER: LazyLock<Regex> = LazyLock::new(|| full(SERIAL_NUMBER_PATTERN));
pub(crate) static TOKEN_CODE: LazyLock<Regex> = LazyLock::new(|| full(TOKEN_CODE_PATTERN));

/// A `Tags` member as sent (either part may be missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagInput {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// `DurationSeconds` as sent: a number, or text that is not one (Query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationInput {
    Seconds(i64),
    NotANumber(String),
}

/// An AssumeRole request as either wire decoded it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleInput {
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub policy_arns: Vec<Option<String>>,
    pub policy: Option<String>,
    pub duration_seconds: Option<DurationInput>,
    pub tags: Vec<TagInput>,
    pub transitive_tag_keys: Vec<String>,
    pub external_id: Option<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
    pub source_identity: Option<String>,
    /// How many `ProvidedContexts` were sent (they are ignored).
    pub provided_contexts: usize,
}

/// What AssumeRole answers.
#[derive(Debug)]
pub struct AssumedRole {
    pub credentials: SessionCredentials,
    /// `AROA…:SESSION`.
    pub assumed_role_id: String,
    /// Percent of [`PACKED_LIMIT`], when a policy, policy ARNs or tags were passed.
    pub packed_policy_size: Option<u32>,
}

/// The request after its model constraints held.
pub(crate) struct Valid<'a> {
    pub(crate) role_arn: &'a str,
    pub(crate) session_name: &'a str,
    pub(crate) duration_seconds: i64,
    pub(crate) policy: Option<&'a str>,
    pub(crate) policy_arns: Vec<&'a str>,
    tags: Vec<Tag>,
    transitive_tag_keys: &'a [String],
    external_id: Option<&'a str>,
    source_identity: Option<&'a str>,
}

impl AssumeRoleInput {
    /// The model's constraints, all violations in one `ValidationException`
    /// (STS: `ValidationError`) in AWS's sentence format. `min_duration` is
    /// the server's shortest session (900 s unless a test lowers it).
    fn validate(&self, min_duration: i64) -> Result<Valid<'_>, AwsError> {
        self.validate_with(min_duration, |_| {})
    }

    /// As [`AssumeRoleInput::validate`], with `more` members' constraints
    /// checked after `RoleSessionName` (AssumeRoleWithWebIdentity's token),
    /// so the violations are listed in the model's order.
    pub(crate) fn validate_with(
        &self,
        min_duration: i64,
        more: impl FnOnce(&mut Violations),
    ) -> Result<Valid<'_>, AwsError> {
        let mut v = Violations::new();
        let role_arn = v.required(&self.role_arn, "roleArn");
        if let Some(arn) = role_arn {
            constrain(&mut v, arn, "roleArn", (&ARN, ARN_PATTERN), 20..=2048);
        }
        let session_name = v.required(&self.role_session_name, "roleSessionName");
        if let Some(name) = session_name {
            constrain(
                &mut v,
                name,
                "roleSessionName",
                (&SESSION_NAME, SESSION_NAME_PATTERN),
                2..=64,
            );
        }
        more(&mut v);
        if self.policy_arns.len() > MAX_POLICY_ARNS {
            v.count(self.policy_arns.len(), "policyArns", 0, MAX_POLICY_ARNS);
        }
        for (i, arn) in self.policy_arns.iter().enumerate() {
            let path = format!("policyArns.{}.member.arn", i + 1);
            // The model does not require `arn`; a descriptor without one names nothing.
            if let Some(arn) = arn {
                constrain(&mut v, arn, &path, (&ARN, ARN_PATTERN), 20..=2048);
            }
        }
        if let Some(policy) = &self.policy {
            constrain(
                &mut v,
                policy,
                "policy",
                (&POLICY, POLICY_PATTERN),
                1..=MAX_SESSION_POLICY_CHARS,
            );
        }
        let duration_seconds = match &self.duration_seconds {
            None => DEFAULT_DURATION_SECONDS,
            Some(DurationInput::Seconds(seconds)) => {
                v.range(
                    Some(*seconds),
                    "durationSeconds",
                    min_duration.min(900),
                    43_200,
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
                DEFAULT_DURATION_SECONDS
            }
        };
        let tags = validate_tags(&mut v, &self.tags);
        if self.transitive_tag_keys.len() > MAX_TAGS {
            v.list_length(&self.transitive_tag_keys, "transitiveTagKeys", 0, MAX_TAGS);
        }
        for (i, key) in self.transitive_tag_keys.iter().enumerate() {
            let path = format!("transitiveTagKeys.{}.member", i + 1);
            constrain(&mut v, key, &path, (&TAG_KEY, TAG_KEY_PATTERN), 1..=128);
        }
        if let Some(id) = &self.external_id {
            constrain(
                &mut v,
                id,
                "externalId",
                (&EXTERNAL_ID, EXTERNAL_ID_PATTERN),
                2..=1224,
            );
        }
        constrain_mfa(
            &mut v,
            self.serial_number.as_deref(),
            self.token_code.as_deref(),
        );
        if let Some(identity) = &self.source_identity {
            constrain(
                &mut v,
                identity,
                "sourceIdentity",
                (&SESSION_NAME, SESSION_NAME_PATTERN),
                2..=64,
            );
        }
        if self.provided_contexts > 5 {
            v.count(self.provided_contexts, "providedContexts", 1, 5);
        }
        v.finish()?;
        // `required` recorded a violation for each missing member: present here.
        let (Some(role_arn), Some(session_name)) = (role_arn, session_name) else {
            return Err(AwsError::internal());
        };
        Ok(Valid {
            role_arn,
            session_name,
            duration_seconds,
            policy: self.policy.as_deref(),
            policy_arns: self
                .policy_arns
                .iter()
                .flatten()
                .map(String::as_str)
                .collect(),
            tags,
            transitive_tag_keys: &self.transitive_tag_keys,
            external_id: self.external_id.as_deref(),
            source_identity: self.source_identity.as_deref(),
        })
    }
}

/// The `Tags` members' model constraints; the tags that hold both parts.
pub(crate) fn validate_tags(v: &mut Violations, input: &[TagInput]) -> Vec<Tag> {
    if input.len() > MAX_TAGS {
        v.count(input.len(), "tags", 0, MAX_TAGS);
    }
    let mut tags = Vec::with_capacity(input.len());
    for (i, tag) in input.iter().enumerate() {
        let key_path = format!("tags.{}.member.key", i + 1);
        let value_path = format!("tags.{}.member.value", i + 1);
        let key = v.required(&tag.key, &key_path);
        if let Some(key) = key {
            constrain(v, key, &key_path, (&TAG_KEY, TAG_KEY_PATTERN), 1..=128);
        }
        let value = v.required(&tag.value, &value_path);
        if let Some(value) = value {
            constrain(
                v,
                value,
                &value_path,
                (&TAG_VALUE, TAG_VALUE_PATTERN),
                0..=256,
            );
        }
        if let (Some(key), Some(value)) = (key, value) {
            tags.push(Tag {
                key: key.clone(),
                value: value.clone(),
            });
        }
    }
    tags
}

/// `SerialNumber` and `TokenCode`, the MFA members AssumeRole and
/// GetSessionToken share, with their model constraints.
pub(crate) fn constrain_mfa(
    v: &mut Violations,
    serial_number: Option<&str>,
    token_code: Option<&str>,
) {
    if let Some(serial) = serial_number {
        constrain(
            v,
            serial,
            "serialNumber",
            (&SERIAL_NUMBER, SERIAL_NUMBER_PATTERN),
            9..=256,
        );
    }
    if let Some(code) = token_code {
        constrain(
            v,
            code,
            "tokenCode",
            (&TOKEN_CODE, TOKEN_CODE_PATTERN),
            6..=6,
        );
    }
}

/// A string member's pattern (the regex and the model's text of it) and
/// length, the pattern first as AWS lists them.
pub(crate) fn constrain(
    v: &mut Violations,
    value: &str,
    path: &str,
    (re, pattern): (&Regex, &str),
    length: std::ops::RangeInclusive<usize>,
) {
    v.pattern(value, path, re.is_match(value), pattern);
    v.length(value, path, *length.start(), *length.end());
}

/// AWS's answer to a RoleArn that is not an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`
/// with a partition, a service and a resource (observed: `nothing-valid-in-here is invalid`).
pub(crate) fn check_arn(arn: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty();
    if well_formed {
        Ok(())
    } else {
        Err(AwsError::validation(format!("{arn} is invalid")))
    }
}

pub(crate) fn invalid_parameter(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterValue", message)
}

fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// STS's denial, the same words whether the role exists or not.
pub(crate) fn denied(caller_arn: &str, action: &str, role_arn: &str) -> AwsError {
    AwsError::new(
        "AccessDeniedException",
        format!(
            "User: {caller_arn} is not authorized to perform: {action} on resource: {role_arn}"
        ),
    )
}

/// AssumeRole for an authenticated caller (`ctx`), on either wire.
pub async fn assume(
    identity: &Identity,
    ctx: &RequestContext,
    input: &AssumeRoleInput,
) -> Result<AssumedRole, AwsError> {
    let valid = input.validate(identity.min_session_seconds())?;
    check_arn(valid.role_arn)?;
    // Only a role session chains (and passes on tags and a source
    // identity); a GetSessionToken session is its user.
    let caller = ctx
        .session
        .as_deref()
        .filter(|claims| claims.kind == SessionKind::Role);

    // The session policy: a policy document (MalformedPolicyDocument), and
    // within the plaintext limit together with the ARNs.
    let compact_policy = match valid.policy {
        Some(text) => Some(compact_policy(text)?),
        None => None,
    };
    let plaintext = valid.policy.map_or(0, |p| p.chars().count())
        + valid
            .policy_arns
            .iter()
            .map(|a| a.chars().count())
            .sum::<usize>();
    if plaintext > MAX_SESSION_POLICY_CHARS {
        return Err(AwsError::validation(format!(
            "The session policies' plaintext (Policy and PolicyArns together) is {plaintext} \
             characters; it must be at most {MAX_SESSION_POLICY_CHARS}."
        )));
    }

    // Tags: unique keys (case-insensitively), transitive keys among them,
    // and none overriding a transitive tag of the calling session.
    let mut seen: Vec<String> = Vec::new();
    for tag in &valid.tags {
        let key = lower(&tag.key);
        if seen.contains(&key) {
            return Err(invalid_parameter(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        seen.push(key);
    }
    if valid
        .transitive_tag_keys
        .iter()
        .any(|key| !seen.contains(&lower(key)))
    {
        return Err(invalid_parameter(
            "The specified transitive tag key must be included in the requested tags.",
        ));
    }
    let inherited: Vec<&Tag> = caller.map_or_else(Vec::new, |c| c.transitive_tags().collect());
    if inherited.iter().any(|t| seen.contains(&lower(&t.key))) {
        return Err(invalid_parameter(
            "One of the specified transitive tag keys can't be set because it conflicts with a \
             transitive tag key from the calling session.",
        ));
    }

    // Source identity: never `aws:…`; inherited from the calling session,
    // where it cannot be changed.
    if let Some(id) = valid.source_identity
        && id.to_ascii_lowercase().starts_with("aws:")
    {
        return Err(AwsError::validation(
            "The source identity must not start with 'aws:': that prefix is reserved for AWS.",
        ));
    }
    let inherited_source = caller.and_then(|c| c.source_identity.as_deref());
    let source_identity = valid.source_identity.or(inherited_source);

    if caller.is_some() && valid.duration_seconds > CHAINED_MAX_SECONDS {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }

    // The session's tags: the inherited transitive ones, then the new.
    let mut tags: Vec<Tag> = inherited.iter().map(|t| (*t).clone()).collect();
    tags.extend(valid.tags.iter().cloned());
    let mut transitive_tag_keys: Vec<String> = caller
        .map(|c| c.transitive_tag_keys.clone())
        .unwrap_or_default();
    transitive_tag_keys.extend(valid.transitive_tag_keys.iter().cloned());

    let packed = packed_size(compact_policy.as_deref(), &valid.policy_arns, &tags);
    if packed.percent() > 100 {
        return Err(packed.too_large());
    }

    // The role; a missing one (or a user) is denied like a forbidden one.
    let role = identity
        .role_to_assume(valid.role_arn)
        .await
        .map_err(AwsError::from)?;
    let trust = role.as_ref().map(|(_, trust)| trust.as_str());
    let sts = StsRequest {
        role_session_name: valid.session_name,
        external_id: valid.external_id,
        source_identity,
        request_tags: &valid.tags,
        transitive_tag_keys: valid.transitive_tag_keys,
    };
    let authorize = |action: &'static str| {
        ctx.authorize(Check::trust(action, valid.role_arn, trust, &sts))
            .map_err(|_| denied(&ctx.caller.arn, action, valid.role_arn))
    };
    authorize("sts:AssumeRole")?;
    let Some((role, _)) = role.as_ref() else {
        // Allowed by an unrestricted Access (dev mode), but not there.
        return Err(denied(&ctx.caller.arn, "sts:AssumeRole", valid.role_arn));
    };
    if !valid.tags.is_empty() {
        authorize("sts:TagSession")?;
    }
    if let (Some(asked), Some(had)) = (valid.source_identity, inherited_source)
        && asked != had
    {
        return Err(AwsError::new(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: sts:SetSourceIdentity on resource: {}: \
                 the calling session's source identity cannot be changed",
                ctx.caller.arn, valid.role_arn
            ),
        ));
    }
    if source_identity.is_some() {
        authorize("sts:SetSourceIdentity")?;
    }

    let mut policy_arns: Vec<PolicyArnClaim> = Vec::with_capacity(valid.policy_arns.len());
    for arn in &valid.policy_arns {
        let claim = identity
            .resolve_policy_arn(arn)
            .await
            .map_err(AwsError::from)?
            .ok_or_else(|| {
                invalid_parameter(format!(
                    "The policy {arn} does not exist. A PolicyArn names a principal's inline \
                     policy: arn:{}:iam::{}:policy/PRINCIPAL/POLICY.",
                    identity.partition(),
                    identity.account_id()
                ))
            })?;
        policy_arns.push(claim);
    }

    let passed_policies =
        valid.policy.is_some() || !valid.policy_arns.is_empty() || !valid.tags.is_empty();
    let credentials = identity
        .assume_role(
            role,
            SessionRequest {
                session_name: valid.session_name.to_owned(),
                duration_seconds: valid.duration_seconds,
                policy: valid.policy.map(str::to_owned),
                policy_arns,
                tags,
                transitive_tag_keys,
                source_identity: source_identity.map(str::to_owned),
            },
        )
        .map_err(AwsError::from)?;
    Ok(AssumedRole {
        assumed_role_id: assumed_role_id(&credentials.claims),
        packed_policy_size: passed_policies.then(|| packed.percent()),
        credentials,
    })
}

/// `AROA…:SESSION`, AWS's `AssumedRoleId` and a session's `aws:userid`.
pub fn assumed_role_id(claims: &SessionClaims) -> String {
    format!("{}:{}", claims.role_id, claims.session_name)
}

/// GetCallerIdentity's `UserId` for a session: `AROA…:SESSION` for a role
/// session, the user's own `AIDA…` for GetSessionToken's, and
/// `ACCOUNT:NAME` for a federated user.
pub fn session_user_id(claims: &SessionClaims, account_id: &str) -> String {
    match claims.kind {
        SessionKind::Role => assumed_role_id(claims),
        SessionKind::User => claims.role_id.clone(),
        SessionKind::Federated => format!("{account_id}:{}", claims.session_name),
    }
}

/// The session policy as a policy document, without its whitespace.
pub(crate) fn compact_policy(text: &str) -> Result<String, AwsError> {
    Policy::parse_identity(text)
        .map_err(|e| AwsError::new("MalformedPolicyDocumentException", e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| AwsError::new("MalformedPolicyDocumentException", e.to_string()))?;
    Ok(value.to_string())
}

/// How much of the packed budget a session takes.
#[derive(Debug)]
pub(crate) struct Packed {
    policy_bytes: usize,
    tag_bytes: usize,
}

pub(crate) fn packed_size(policy: Option<&str>, arns: &[&str], tags: &[Tag]) -> Packed {
    Packed {
        policy_bytes: policy.map_or(0, str::len) + arns.iter().map(|a| a.len()).sum::<usize>(),
        tag_bytes: tags.iter().map(|t| t.key.len() + t.value.len()).sum(),
    }
}

impl Packed {
    /// Percent of [`PACKED_LIMIT`], rounded up.
    pub(crate) fn percent(&self) -> u32 {
        let used = self.policy_bytes + self.tag_bytes;
        u32::try_from(used.saturating_mul(100).div_ceil(PACKED_LIMIT)).unwrap_or(u32::MAX)
    }

    /// AWS's two texts, naming what takes the most room.
    pub(crate) fn too_large(&self) -> AwsError {
        let percent = self.percent();
        let message = if self.tag_bytes >= self.policy_bytes {
            format!("Packed size of session tags consumes {percent}% of allotted space.")
        } else {
            format!(
                "Packed policy consumes {percent}% of allotted space, please use smaller policy."
            )
        };
        AwsError::new("PackedPolicyTooLargeException", message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(arn: &str, session: &str) -> AssumeRoleInput {
        AssumeRoleInput {
            role_arn: Some(arn.to_owned()),
            role_session_name: Some(session.to_owned()),
            ..AssumeRoleInput::default()
        }
    }

    fn message(input: &AssumeRoleInput) -> String {
        match input.validate(900) {
            Ok(_) => "valid".to_owned(),
            Err(e) => {
                assert_eq!(e.code, "ValidationException");
                e.message
            }
        }
    }

    const ROLE: &str = "arn:aws:iam::000000000000:role/deploy";

    #[test]
    fn role_arn_constraints_are_awss_texts() {
        assert_eq!(
            message(&input("bogus", "s1")),
            "1 validation error detected: Value 'bogus' at 'roleArn' failed to satisfy constraint: \
             Member must have length greater than or equal to 20"
        );
        let long = format!("arn:aws:iam::000000000000:role/{}", "r".repeat(2048));
        assert!(
            message(&input(&long, "s1")).ends_with(
                "at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048"
            ),
            "{}",
            message(&input(&long, "s1"))
        );
        let missing = AssumeRoleInput::default();
        assert_eq!(
            message(&missing),
            "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: \
             Member must not be null; Value null at 'roleSessionName' failed to satisfy \
             constraint: Member must not be null"
        );
        assert_eq!(message(&input(ROLE, "s1")), "valid");
        // Longer garbage passes the model but is no ARN.
        assert!(check_arn("nothing-valid-in-here").is_err());
        assert_eq!(
            check_arn("nothing-valid-in-here").unwrap_err().message,
            "nothing-valid-in-here is invalid"
        );
        for bad in [
            "arn::b:::something/test-role",
            "arn:a::::something/test-role",
            "arn:a:::something/test-role",
            "arn:a:a::aaaaaaaaaa:",
        ] {
            assert!(check_arn(bad).is_err(), "{bad}");
        }
        for good in [
            ROLE,
            "arn:aws:iam::000000000000:user/alice",
            "arn:aws:s3:::bucket",
        ] {
            assert!(check_arn(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn session_name_and_duration_texts() {
        assert_eq!(
            message(&input(ROLE, "Session1:2")),
            "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to \
             satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        );
        let long = "s".repeat(65);
        assert_eq!(
            message(&input(ROLE, &long)),
            format!(
                "1 validation error detected: Value '{long}' at 'roleSessionName' failed to \
                 satisfy constraint: Member must have length less than or equal to 64"
            )
        );
        let mut short = input(ROLE, "s1");
        short.duration_seconds = Some(DurationInput::Seconds(899));
        assert_eq!(
            message(&short),
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy \
             constraint: Member must have value greater than or equal to 900"
        );
        short.duration_seconds = Some(DurationInput::Seconds(43_201));
        assert!(message(&short).ends_with("Member must have value less than or equal to 43200"));
        // Several at once, in the model's member order.
        let mut many = input("bogus", "a");
        many.duration_seconds = Some(DurationInput::Seconds(1));
        many.external_id = Some("x".to_owned());
        assert_eq!(
            message(&many),
            "4 validation errors detected: \
             Value 'bogus' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; \
             Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; \
             Value '1' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900; \
             Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2"
        );
    }

    #[test]
    fn tags_external_id_and_source_identity_follow_the_model() {
        let mut asked = input(ROLE, "s1");
        asked.tags = vec![
            TagInput {
                key: Some("Project Name".to_owned()),
                value: Some("blüe-1/2@x".to_owned()),
            },
            TagInput {
                key: Some("bad!".to_owned()),
                value: None,
            },
        ];
        assert_eq!(
            message(&asked),
            "2 validation errors detected: Value 'bad!' at 'tags.2.member.key' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+; \
             Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null"
        );
        let mut asked = input(ROLE, "s1");
        asked.tags = (0..51)
            .map(|i| TagInput {
                key: Some(format!("k{i}")),
                value: Some(String::new()),
            })
            .collect();
        assert!(message(&asked).contains("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"));
        let mut asked = input(ROLE, "s1");
        asked.external_id = Some("ext id".to_owned());
        assert!(message(&asked).contains("Value 'ext id' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*"));
        asked.external_id = Some("arn:aws:x/y=z,w.v@u-1_2+3".to_owned());
        assert_eq!(message(&asked), "valid");
        asked.source_identity = Some("a".to_owned());
        assert!(
            message(&asked).contains("at 'sourceIdentity'"),
            "{}",
            message(&asked)
        );
        asked.source_identity = Some("alice@example.com".to_owned());
        asked.token_code = Some("12345a".to_owned());
        assert!(
            message(&asked).contains("at 'tokenCode'"),
            "{}",
            message(&asked)
        );
    }

    #[test]
    fn the_policy_must_be_a_policy_within_its_limits() {
        let mut asked = input(ROLE, "s1");
        asked.policy = Some(format!("{{{}}}", " ".repeat(2048)));
        assert!(message(&asked).ends_with("at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"));
        asked.policy = Some("{\"Statement\": \"\u{0100}\"}".to_owned());
        assert!(message(&asked).contains("Member must satisfy regular expression pattern"));
        assert_eq!(
            compact_policy("not json").unwrap_err().code,
            "MalformedPolicyDocumentException"
        );
        let spaced = "{ \"Version\": \"2012-10-17\",\n  \"Statement\": [ { \"Effect\": \"Allow\", \"Action\": \"ssm:GetParameter\", \"Resource\": \"*\" } ] }";
        assert_eq!(
            compact_policy(spaced).unwrap(),
            r#"{"Statement":[{"Action":"ssm:GetParameter","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#
        );
    }

    #[test]
    fn packed_size_is_a_percentage_of_the_budget() {
        let tags = vec![Tag {
            key: "k".repeat(28),
            value: "v".repeat(13),
        }];
        let packed = packed_size(None, &[], &tags);
        assert_eq!(packed.percent(), 2, "41 of 4096 bytes, rounded up");
        let big: Vec<Tag> = (0..50)
            .map(|i| Tag {
                key: format!("{i:0>128}"),
                value: "v".repeat(256),
            })
            .collect();
        let packed = packed_size(Some("{}"), &[], &big);
        assert!(packed.percent() > 100);
        let err = packed.too_large();
        assert_eq!(err.code, "PackedPolicyTooLargeException");
        assert_eq!(
            err.message,
            format!(
                "Packed size of session tags consumes {}% of allotted space.",
                packed.percent()
            )
        );
        assert_eq!(packed_size(None, &[], &[]).percent(), 0);
    }
}
