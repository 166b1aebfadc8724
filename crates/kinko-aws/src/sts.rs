//! The two STS operations a workload needs, on STS's own wire (the AWS
//! Query protocol: a form-encoded POST, an XML answer), so that
//! `aws sts assume-role`, `aws sts get-caller-identity` and the SDKs'
//! assume-role credential providers work against kinko unchanged.
//!
//! Both are answered from the same code as the admin API's AssumeRole.

use kinko_core::principals::Identity;

use crate::{AwsError, RequestContext};

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// STS's default session length.
const DEFAULT_DURATION_SECONDS: i64 = 3600;

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
    match action.as_str() {
        "GetCallerIdentity" => Ok(format!(
            "<GetCallerIdentityResponse xmlns=\"{XMLNS}\"><GetCallerIdentityResult>\
             <Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>\
             </GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId>\
             </ResponseMetadata></GetCallerIdentityResponse>",
            xml_escape(&ctx.principal_arn),
            xml_escape(&crate::admin::user_id(&ctx.principal_arn)),
            xml_escape(&ctx.account_id),
        )
        .into_bytes()),
        "AssumeRole" => {
            let missing = |member: &str| {
                AwsError::new(
                    "ValidationError",
                    format!(
                        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
                    ),
                )
            };
            let role_arn = form_value(body, "RoleArn").ok_or_else(|| missing("roleArn"))?;
            let session_name =
                form_value(body, "RoleSessionName").ok_or_else(|| missing("roleSessionName"))?;
            let duration = match form_value(body, "DurationSeconds") {
                Some(text) => text.parse::<i64>().map_err(|_| {
                    AwsError::new(
                        "ValidationError",
                        format!("DurationSeconds '{text}' is not a number."),
                    )
                })?,
                None => DEFAULT_DURATION_SECONDS,
            };
            let session =
                crate::admin::assume(identity, ctx, &role_arn, &session_name, duration).await?;
            Ok(format!(
                "<AssumeRoleResponse xmlns=\"{XMLNS}\"><AssumeRoleResult>\
                 <Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
                 <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
                 <AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>\
                 </AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId>\
                 </ResponseMetadata></AssumeRoleResponse>",
                session.access_key_id,
                session.secret_access_key.expose(),
                xml_escape(&session.session_token),
                iso8601(session.expiration_ms),
                xml_escape(&crate::admin::user_id(&session.session_arn)),
                xml_escape(&session.session_arn),
            )
            .into_bytes())
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

/// STS's error document. STS names access denial `AccessDenied`.
pub fn error_body(error: &AwsError, request_id: &str) -> Vec<u8> {
    let code = match error.code {
        "AccessDeniedException" => "AccessDenied",
        "NoSuchEntityException" => "NoSuchEntity",
        "ValidationException" => "ValidationError",
        other => other,
    };
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
    fn errors_are_sts_xml() {
        let err = AwsError::new("AccessDeniedException", "User: a<b is not authorized");
        let body = String::from_utf8(error_body(&err, "req-1")).unwrap();
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        assert!(body.contains("a&lt;b"), "{body}");
        assert!(body.contains("<Type>Sender</Type>"), "{body}");
    }
}
