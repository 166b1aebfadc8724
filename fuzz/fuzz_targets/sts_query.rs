//! The STS Query form (`kinko_aws::sts`): a form-encoded body, decoded and
//! run (`AssumeRole` of an existing role, `GetCallerIdentity`) on fresh
//! in-memory services. The XML answer or error document must hold only
//! kinko's own elements: every field from the request is escaped.
#![no_main]

use kinko_aws::sts;
use kinko_fuzz::services;

/// The elements STS answers are made of.
const ELEMENTS: [&str; 21] = [
    "GetCallerIdentityResponse",
    "GetCallerIdentityResult",
    "Arn",
    "UserId",
    "Account",
    "ResponseMetadata",
    "RequestId",
    "AssumeRoleResponse",
    "AssumeRoleResult",
    "Credentials",
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Expiration",
    "AssumedRoleUser",
    "AssumedRoleId",
    "ErrorResponse",
    "Error",
    "Type",
    "Code",
    "Message",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sts::is_query_request(std::str::from_utf8(data).ok(), None);
    let _ = sts::action(data);
    let services = services::fresh();
    let ctx = services::context();
    let answer = kinko_fuzz::runtime().block_on(async {
        services::with_role(&services).await;
        sts::handle(&services.identity, data, &ctx).await
    });
    let xml = match answer {
        Ok(xml) => xml,
        Err(error) => {
            assert!(
                error.status < 500,
                "bad input answered {} {}: {}",
                error.status,
                error.code,
                error.message
            );
            sts::error_body(&error, &ctx.request_id)
        }
    };
    let xml = String::from_utf8(xml).expect("the answer is UTF-8");
    only_known_elements(&xml);
});

/// Every `<` opens or closes one of [`ELEMENTS`]; every `&` starts an entity.
fn only_known_elements(xml: &str) {
    for (at, _) in xml.match_indices('<') {
        let tag = &xml[at + 1..];
        let tag = tag.strip_prefix('/').unwrap_or(tag);
        let name_end = tag.find(['>', ' ']).unwrap_or(tag.len());
        assert!(
            ELEMENTS.contains(&&tag[..name_end]),
            "an element that is not STS's: {xml}"
        );
    }
    for (at, _) in xml.match_indices('&') {
        let rest = &xml[at..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "an unescaped `&`: {xml}"
        );
    }
}
