//! The STS operations a workload needs, on STS's own wire (the AWS Query
//! protocol: a form-encoded POST, an XML answer), so that `aws sts
//! assume-role`, `get-caller-identity`, `get-session-token`,
//! `get-federation-token`, `assume-role-with-web-identity` and the SDKs'
//! credential providers work against kinko unchanged.
//!
//! AssumeRole is answered by the same code as the admin API's
//! ([`crate::assume`]); this module is its wire: the form's members and
//! lists (`Tags.member.1.Key`), the XML answer and STS's error codes.

use kinko_core::credentials::{SessionClaims, SessionCredentials, SessionKind};
use kinko_core::principals::Identity;

use crate::assume::{self, AssumeRoleInput, DurationInput, TagInput};
use crate::federation::{self, FederationTokenInput, SessionTokenInput};
use crate::web_identity::{self, WebIdentityInput, WebIdentityRequest};
use crate::{AwsError, RequestContext};

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Whether a request without `X-Amz-Target` is an STS Query call: a form
/// body, or a signature scoped to the `sts` service. Decided from the
/// headers alone, so that a request can be answered in its protocol before
/// its body is read (or when it has none, or no `Action`).
pub fn is_query_request(content_type: Option<&str>, scope_service: Option<&str>) -> bool {
    let form = content_type.is_some_and(|c| {
        c.get(..FORM.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(FORM))
    });
    form || scope_service == Some("sts")
}

const FORM: &str = "application/x-www-form-urlencoded";

/// STS's answer to a Query request whose body names no `Action`.
pub fn missing_action() -> AwsError {
    AwsError::new("MissingAction", "Missing Action")
}

/// The operation named by a Query body's `Action`.
pub fn action(body: &[u8]) -> Option<String> {
    form_value(body, "Action")
}

/// One form field, decoded (`+` is a space, `%XX` a byte).
fn form_value(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        (decode(key) == name).then(|| decode(value))
    })
}

fn decode(raw: &[u8]) -> String {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn iso8601(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Every field of a form body, decoded, in order.
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|b| *b == b'=') {
            Some(i) => (decode(&pair[..i]), decode(&pair[i + 1..])),
            None => (decode(pair), String::new()),
        })
        .collect()
}

/// The members of a Query list `NAME.member.N[.FIELD]`, by N (1, 2, …):
/// for each N, the (FIELD, value) pairs sent (FIELD empty for a list of
/// strings).
fn list_members<'f>(fields: &'f [(String, String)], name: &str) -> Vec<Vec<(&'f str, &'f str)>> {
    let prefix = format!("{name}.member.");
    let mut members: std::collections::BTreeMap<u32, Vec<(&str, &str)>> =
        std::collections::BTreeMap::new();
    for (key, value) in fields {
        let Some(rest) = key.strip_prefix(&prefix) else {
            continue;
        };
        let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
        if let Ok(index) = index.parse::<u32>() {
            members
                .entry(index)
                .or_default()
                .push((field, value.as_str()));
        }
    }
    members.into_values().collect()
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// AssumeRole's request members from a Query body.
fn assume_role_input(body: &[u8]) -> AssumeRoleInput {
    let fields = form_fields(body);
    let text = |name: &str| field(&fields, name).map(str::to_owned);
    AssumeRoleInput {
        role_arn: text("RoleArn"),
        role_session_name: text("RoleSessionName"),
        policy_arns: list_members(&fields, "PolicyArns")
            .iter()
            .map(|m| member(m, "arn"))
            .collect(),
        policy: text("Policy"),
        duration_seconds: duration_input(&fields),
        tags: list_members(&fields, "Tags")
            .iter()
            .map(|m| TagInput {
                key: member(m, "Key"),
                value: member(m, "Value"),
            })
            .collect(),
        transitive_tag_keys: list_members(&fields, "TransitiveTagKeys")
            .iter()
            .filter_map(|m| member(m, ""))
            .collect(),
        external_id: text("ExternalId"),
        serial_number: text("SerialNumber"),
        token_code: text("TokenCode"),
        source_identity: text("SourceIdentity"),
        provided_contexts: list_members(&fields, "ProvidedContexts").len(),
    }
}

fn duration_input(fields: &[(String, String)]) -> Option<DurationInput> {
    field(fields, "DurationSeconds").map(|t| match t.parse() {
        Ok(seconds) => DurationInput::Seconds(seconds),
        Err(_) => DurationInput::NotANumber(t.to_owned()),
    })
}

fn member(fields: &[(&str, &str)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, value)| (*value).to_owned())
}

/// GetSessionToken's request members from a Query body.
fn session_token_input(body: &[u8]) -> SessionTokenInput {
    let fields = form_fields(body);
    SessionTokenInput {
        duration_seconds: duration_input(&fields),
        serial_number: field(&fields, "SerialNumber").map(str::to_owned),
        token_code: field(&fields, "TokenCode").map(str::to_owned),
    }
}

/// GetFederationToken's request members from a Query body.
fn federation_token_input(body: &[u8]) -> FederationTokenInput {
    let fields = form_fields(body);
    FederationTokenInput {
        name: field(&fields, "Name").map(str::to_owned),
        policy: field(&fields, "Policy").map(str::to_owned),
        policy_arns: list_members(&fields, "PolicyArns")
            .iter()
            .map(|m| member(m, "arn"))
            .collect(),
        duration_seconds: duration_input(&fields),
        tags: list_members(&fields, "Tags")
            .iter()
            .map(|m| TagInput {
                key: member(m, "Key"),
                value: member(m, "Value"),
            })
            .collect(),
    }
}

/// A `<Credentials>` element.
fn credentials_xml(session: &SessionCredentials) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        session.access_key_id,
        session.secret_access_key.expose(),
        xml_escape(&session.session_token),
        iso8601(session.expiration_ms),
    )
}

/// `<ACTIONResponse>` around a result.
fn response(action: &str, result: &str, request_id: &str) -> Vec<u8> {
    format!(
        "<{action}Response xmlns=\"{XMLNS}\"><{action}Result>{result}</{action}Result>\
         <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\
         </{action}Response>"
    )
    .into_bytes()
}

/// What a GetSessionToken or GetFederationToken session may not call of
/// STS (AWS: a federated user only GetCallerIdentity; neither a second
/// token). `None`: allowed.
fn refused_for_session(claims: &SessionClaims, action: &str) -> Option<AwsError> {
    match (claims.kind, action) {
        (SessionKind::Federated, "GetCallerIdentity") => None,
        (SessionKind::Federated, other) => Some(AwsError::new(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: sts:{}: a federated user's session \
                 may call only sts:GetCallerIdentity",
                claims.session_arn,
                crate::error::echo(other)
            ),
        )),
        _ => None,
    }
}

/// The action that is answered without a signature: its token is its
/// credential (the SDKs send it unsigned).
pub fn is_unsigned(body: &[u8]) -> bool {
    action(body).as_deref() == Some("AssumeRoleWithWebIdentity")
}

/// AssumeRoleWithWebIdentity's request members from a Query body.
fn web_identity_input(body: &[u8]) -> WebIdentityInput {
    let fields = form_fields(body);
    let text = |name: &str| field(&fields, name).map(str::to_owned);
    WebIdentityInput {
        role_arn: text("RoleArn"),
        role_session_name: text("RoleSessionName"),
        web_identity_token: text("WebIdentityToken"),
        provider_id: text("ProviderId"),
        policy_arns: list_members(&fields, "PolicyArns")
            .iter()
            .map(|m| member(m, "arn"))
            .collect(),
        policy: text("Policy"),
        duration_seconds: duration_input(&fields),
    }
}

/// Runs the unsigned AssumeRoleWithWebIdentity; the answer is STS's XML,
/// with the [`kinko_core::iam::Access`] that decided it (for the audit record).
pub async fn handle_unsigned(
    identity: &Identity,
    body: &[u8],
    request: &WebIdentityRequest<'_>,
    request_id: &str,
) -> (
    Result<Vec<u8>, AwsError>,
    Option<std::sync::Arc<kinko_core::iam::Access>>,
) {
    let (result, access) = web_identity::assume(identity, request, &web_identity_input(body)).await;
    let answer = result.map(|session| {
        let mut result = format!(
            "{}<SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken>\
             <AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>\
             <Provider>{}</Provider><Audience>{}</Audience>",
            credentials_xml(&session.credentials),
            xml_escape(&session.token.subject),
            xml_escape(&session.assumed_role_id),
            xml_escape(&session.credentials.claims.session_arn),
            xml_escape(&session.provider_arn),
            xml_escape(&session.token.audience),
        );
        if let Some(size) = session.packed_policy_size {
            result.push_str(&format!("<PackedPolicySize>{size}</PackedPolicySize>"));
        }
        response(
            "AssumeRoleWithWebIdentity",
            &result,
            &xml_escape(request_id),
        )
    });
    (answer, access)
}

/// Runs one STS Query action; the answer is STS's XML.
pub async fn handle(
    identity: &Identity,
    body: &[u8],
    ctx: &RequestContext,
) -> Result<Vec<u8>, AwsError> {
    let Some(action) = action(body).filter(|a| !a.is_empty()) else {
        return Err(missing_action());
    };
    let request_id = xml_escape(&ctx.request_id);
    if let Some(refused) = ctx
        .session
        .as_deref()
        .and_then(|claims| refused_for_session(claims, &action))
    {
        return Err(refused);
    }
    match action.as_str() {
        "GetSessionToken" => {
            let session =
                federation::get_session_token(identity, ctx, &session_token_input(body)).await?;
            Ok(response(
                "GetSessionToken",
                &credentials_xml(&session),
                &request_id,
            ))
        }
        "GetFederationToken" => {
            let token =
                federation::get_federation_token(identity, ctx, &federation_token_input(body))
                    .await?;
            let result = format!(
                "{}<FederatedUser><FederatedUserId>{}</FederatedUserId><Arn>{}</Arn></FederatedUser>\
                 <PackedPolicySize>{}</PackedPolicySize>",
                credentials_xml(&token.credentials),
                xml_escape(&token.federated_user_id),
                xml_escape(&token.credentials.claims.session_arn),
                token.packed_policy_size,
            );
            Ok(response("GetFederationToken", &result, &request_id))
        }
        "GetCallerIdentity" => Ok(format!(
            "<GetCallerIdentityResponse xmlns=\"{XMLNS}\"><GetCallerIdentityResult>\
             <Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>\
             </GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId>\
             </ResponseMetadata></GetCallerIdentityResponse>",
            xml_escape(&ctx.caller.arn),
            xml_escape(&ctx.user_id),
            xml_escape(&ctx.caller.account_id),
        )
        .into_bytes()),
        "AssumeRole" => {
            let assumed = assume::assume(identity, ctx, &assume_role_input(body)).await?;
            let session = &assumed.credentials;
            let claims = &session.claims;
            let mut result = format!(
                "{}<AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>",
                credentials_xml(session),
                xml_escape(&assumed.assumed_role_id),
                xml_escape(&claims.session_arn),
            );
            if let Some(size) = assumed.packed_policy_size {
                result.push_str(&format!("<PackedPolicySize>{size}</PackedPolicySize>"));
            }
            if let Some(source) = &claims.source_identity {
                result.push_str(&format!(
                    "<SourceIdentity>{}</SourceIdentity>",
                    xml_escape(source)
                ));
            }
            Ok(response("AssumeRole", &result, &request_id))
        }
        other => Err(AwsError::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version 2011-06-15",
                xml_escape(&crate::error::echo(other))
            ),
        )),
    }
}

/// The code STS sends for an error: its Query names, which differ from the
/// JSON services' (`AccessDenied`, `ValidationError`, `InvalidClientTokenId`,
/// `MalformedPolicyDocument`, `PackedPolicyTooLarge`).
fn query_code(code: &'static str) -> &'static str {
    match code {
        "AccessDeniedException" => "AccessDenied",
        "ValidationException" => "ValidationError",
        "UnrecognizedClientException" => "InvalidClientTokenId",
        "MalformedPolicyDocumentException" => "MalformedPolicyDocument",
        "PackedPolicyTooLargeException" => "PackedPolicyTooLarge",
        "InvalidIdentityTokenException" => "InvalidIdentityToken",
        "IDPRejectedClaimException" => "IDPRejectedClaim",
        "IDPCommunicationErrorException" => "IDPCommunicationError",
        other => other,
    }
}

/// The HTTP status STS answers an error with: 403 for a denial and for
/// credentials it does not recognise, as AWS; otherwise the error's own.
pub fn error_status(error: &AwsError) -> u16 {
    match query_code(error.code) {
        "AccessDenied" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "IDPRejectedClaim" => {
            403
        }
        _ => error.status,
    }
}

/// STS's error document.
pub fn error_body(error: &AwsError, request_id: &str) -> Vec<u8> {
    let code = query_code(error.code);
    let kind = if error.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    format!(
        "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{kind}</Type><Code>{code}</Code>\
         <Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml_escape(&error.message),
        xml_escape(request_id)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_decoded() {
        let body = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fw&RoleSessionName=a+b";
        assert!(is_query_request(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            None
        ));
        assert_eq!(action(body).as_deref(), Some("AssumeRole"));
        assert_eq!(
            form_value(body, "RoleArn").as_deref(),
            Some("arn:aws:iam::000000000000:role/w")
        );
        assert_eq!(form_value(body, "RoleSessionName").as_deref(), Some("a b"));
        assert!(!is_query_request(Some("application/x-amz-json-1.1"), None));
        assert!(!is_query_request(None, None));
        assert!(!is_query_request(None, Some("ssm")));
        // Signed for STS, whatever the body says it is.
        assert!(is_query_request(None, Some("sts")));
        assert!(is_query_request(Some("application/json"), Some("sts")));
        assert!(is_query_request(
            Some("Application/X-WWW-Form-Urlencoded"),
            None
        ));
    }

    #[test]
    fn lists_and_members_are_read_by_index() {
        let body = b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fw\
&RoleSessionName=s1&Tags.member.2.Key=Team&Tags.member.2.Value=core\
&Tags.member.1.Key=Project&Tags.member.1.Value=blue+sky&Tags.member.3.Key=NoValue\
&TransitiveTagKeys.member.1=Project&PolicyArns.member.1.arn=arn%3Ap\
&ExternalId=ext-1&SourceIdentity=alice&DurationSeconds=soon&Policy=%7B%7D";
        let input = assume_role_input(body);
        assert_eq!(
            input.role_arn.as_deref(),
            Some("arn:aws:iam::000000000000:role/w")
        );
        assert_eq!(
            input.tags,
            vec![
                TagInput {
                    key: Some("Project".into()),
                    value: Some("blue sky".into())
                },
                TagInput {
                    key: Some("Team".into()),
                    value: Some("core".into())
                },
                TagInput {
                    key: Some("NoValue".into()),
                    value: None
                },
            ]
        );
        assert_eq!(input.transitive_tag_keys, ["Project"]);
        assert_eq!(input.policy_arns, [Some("arn:p".to_owned())]);
        assert_eq!(input.external_id.as_deref(), Some("ext-1"));
        assert_eq!(input.source_identity.as_deref(), Some("alice"));
        assert_eq!(input.policy.as_deref(), Some("{}"));
        assert_eq!(
            input.duration_seconds,
            Some(DurationInput::NotANumber("soon".into()))
        );
        // An empty list is sent as `Tags=`: no members.
        assert!(
            assume_role_input(b"Action=AssumeRole&Tags=")
                .tags
                .is_empty()
        );
    }

    #[test]
    fn json_codes_become_sts_codes_and_statuses() {
        for (json, query, status) in [
            ("AccessDeniedException", "AccessDenied", 403),
            ("ValidationException", "ValidationError", 400),
            ("UnrecognizedClientException", "InvalidClientTokenId", 403),
            (
                "MalformedPolicyDocumentException",
                "MalformedPolicyDocument",
                400,
            ),
            ("PackedPolicyTooLargeException", "PackedPolicyTooLarge", 400),
            ("InvalidParameterValue", "InvalidParameterValue", 400),
            ("ExpiredTokenException", "ExpiredTokenException", 400),
        ] {
            let err = AwsError::new(json, "m");
            let body = String::from_utf8(error_body(&err, "r")).unwrap();
            assert!(body.contains(&format!("<Code>{query}</Code>")), "{body}");
            assert_eq!(error_status(&err), status, "{json}");
        }
    }

    #[test]
    fn errors_are_sts_xml() {
        let err = AwsError::new("AccessDeniedException", "User: a<b is not authorized");
        let body = String::from_utf8(error_body(&err, "req-1")).unwrap();
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        assert!(body.contains("a&lt;b"), "{body}");
        assert!(body.contains("<Type>Sender</Type>"), "{body}");
    }
}
