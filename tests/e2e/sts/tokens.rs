//! GetSessionToken and GetFederationToken (spec sts-iam.md §5): a user's
//! own session, and a federated user narrowed by its session policy; what
//! each may still call; AWS's refusals and model texts. Driven with the aws
//! CLI (`aws sts get-session-token`) and the AWS SDK for Rust.

use aws_sdk_sts::types::Tag as StsTag;
use kinko_testkit::TestCredentials;
use serde_json::{Value, json};

use super::{ACCOUNT, bare_user, policy, put, read, role, role_arn, sts_error, trust, user_arn};
use crate::support::{code, message, server};

/// `aws sts get-session-token ARGS` as `creds`: the answer or the error text.
fn cli_session_token(
    server: &kinko_testkit::KinkoServer,
    creds: &TestCredentials,
    args: &[&str],
) -> Result<Value, String> {
    let mut all = vec!["sts", "get-session-token", "--output", "json"];
    all.extend_from_slice(args);
    let out = server.aws_cli_as(creds, &all);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

fn sdk_credentials(creds: &aws_sdk_sts::types::Credentials) -> TestCredentials {
    TestCredentials {
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: creds.secret_access_key().to_owned(),
        session_token: Some(creds.session_token().to_owned()),
    }
}

#[tokio::test]
async fn a_session_token_is_the_user_for_a_while() {
    let server = server();
    put(&server, "/app/db", "db-value").await;
    let alice = server.user_with_policy(
        "alice",
        &policy(json!([
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/*"},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
        ])),
    );
    let answer = cli_session_token(&server, &alice, &["--duration-seconds", "900"]).unwrap();
    let credentials = &answer["Credentials"];
    assert!(
        credentials["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIA"),
        "{answer}"
    );
    let expiration = credentials["Expiration"].as_str().unwrap();
    let expires: jiff::Timestamp = expiration.parse().unwrap();
    let left = expires.duration_since(jiff::Timestamp::now()).as_secs();
    assert!((850..=900).contains(&left), "{expiration}: {left} s");
    let session = TestCredentials::from_cli_json(&answer);

    // The same permissions, the same identity.
    assert_eq!(
        read(&server, &session, "/app/db").await.as_deref(),
        Ok("db-value")
    );
    let me = server
        .sts_client_as(&session)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(user_arn("alice").as_str()));
    let alice_id = server.admin("GetPrincipal", json!({"Name": "alice"}))["Principal"]["UniqueId"]
        .as_str()
        .map(str::to_owned);
    assert!(me.user_id().unwrap().starts_with("AIDA"), "{me:?}");
    if let Some(id) = alice_id {
        assert_eq!(me.user_id(), Some(id.as_str()));
    }

    // The default is 12 hours.
    let answer = cli_session_token(&server, &alice, &[]).unwrap();
    let expires: jiff::Timestamp = answer["Credentials"]["Expiration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let left = expires.duration_since(jiff::Timestamp::now()).as_secs();
    assert!((43_100..=43_200).contains(&left), "{left} s");

    // Not with session credentials, as AWS.
    let err = cli_session_token(&server, &session, &[]).unwrap_err();
    assert!(
        err.contains("(AccessDenied)")
            && err.contains("Cannot call GetSessionToken with session credentials"),
        "{err}"
    );
    let err = server
        .sts_client_as(&session)
        .get_federation_token()
        .name("bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    assert_eq!(
        message(&err),
        "Cannot call GetFederationToken with session credentials"
    );

    // The admin API (kinko's IAM) is closed to it.
    let (status, body) = server.admin_as(&session, "ListPrincipals", json!({}));
    let body = body.to_string();
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("AccessDeniedException") && body.contains("cannot call the admin API"),
        "{body}"
    );

    // It may assume a role (not chaining: a 12-hour role session is fine).
    role(
        &server,
        "reader",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]),
        ),
        policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}])),
    );
    let assumed = server
        .sts_client_as(&session)
        .assume_role()
        .role_arn(role_arn("reader"))
        .role_session_name("from-token")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap();
    assert_eq!(
        assumed.assumed_role_user().unwrap().arn(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/from-token")
    );
}

#[tokio::test]
async fn get_session_token_refusals_are_awss() {
    let server = server();
    let alice = bare_user(&server, "alice");
    for (duration, text) in [
        (
            "899",
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
        ),
        (
            "129601",
            "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
        ),
    ] {
        // The CLI checks the range itself; the server is asked directly.
        let response = server.sts_as(&alice, "GetSessionToken", &[("DurationSeconds", duration)]);
        assert_eq!(
            sts_error(&response),
            (400, "ValidationError".to_owned(), text.to_owned())
        );
    }
    // 36 hours is allowed.
    cli_session_token(&server, &alice, &["--duration-seconds", "129600"]).unwrap();

    // MFA: kinko has no devices, so it refuses rather than pretend.
    let err = cli_session_token(
        &server,
        &alice,
        &[
            "--serial-number",
            "arn:aws:iam::000000000000:mfa/alice",
            "--token-code",
            "123456",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(AccessDenied)") && err.contains("MultiFactorAuthentication failed"),
        "{err}"
    );
    let response = server.sts_as(&alice, "GetSessionToken", &[("TokenCode", "12345")]);
    let (status, code, text) = sts_error(&response);
    assert_eq!((status, code.as_str()), (400, "ValidationError"));
    assert!(text.contains("'tokenCode'"), "{text}");

    // A role's session is session credentials too.
    role(
        &server,
        "worker",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("alice")}, "Action": "sts:AssumeRole"}]),
        ),
        policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}])),
    );
    let (_, _, body) = server.sts_as(
        &alice,
        "AssumeRole",
        &[("RoleArn", &role_arn("worker")), ("RoleSessionName", "w1")],
    );
    let worker = TestCredentials::from_sts_xml(&body);
    let response = server.sts_as(&worker, "GetSessionToken", &[]);
    assert_eq!(
        sts_error(&response),
        (
            403,
            "AccessDenied".to_owned(),
            "Cannot call GetSessionToken with session credentials".to_owned()
        )
    );
}

#[tokio::test]
// The SDK marks PackedPolicySize deprecated; STS still answers it.
#[allow(deprecated)]
async fn a_federated_user_has_only_what_its_session_policy_allows() {
    let server = server();
    put(&server, "/app/prod/db", "prod-value").await;
    put(&server, "/app/dev/db", "dev-value").await;
    let broker = server.user_with_policy(
        "broker",
        &policy(json!([
            {"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/*"}
        ])),
    );
    let only_prod = policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter",
                                   "Resource": "arn:aws:ssm:*:*:parameter/app/prod/*"}]));
    let sts = server.sts_client_as(&broker);
    let token = sts
        .get_federation_token()
        .name("carol@example.com")
        .policy(only_prod.to_string())
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let user = token.federated_user().unwrap();
    assert_eq!(
        user.federated_user_id(),
        format!("{ACCOUNT}:carol@example.com")
    );
    assert_eq!(
        user.arn(),
        format!("arn:aws:sts::{ACCOUNT}:federated-user/carol@example.com")
    );
    assert!(token.packed_policy_size().unwrap() > 0, "{token:?}");
    let carol = sdk_credentials(token.credentials().unwrap());
    assert!(carol.access_key_id.starts_with("ASIA"));

    // Both the user's policy and the session policy allow: allowed; only the user's: denied.
    assert_eq!(
        read(&server, &carol, "/app/prod/db").await.as_deref(),
        Ok("prod-value")
    );
    assert_eq!(
        read(&server, &carol, "/app/dev/db").await,
        Err("AccessDeniedException".to_owned())
    );
    let err = server
        .ssm_as(&carol)
        .get_parameter()
        .name("/app/dev/db")
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err).starts_with(&format!(
            "User: arn:aws:sts::{ACCOUNT}:federated-user/carol@example.com is not authorized to perform: ssm:GetParameter"
        )),
        "{}",
        message(&err)
    );
    // Who am I.
    let me = server
        .sts_client_as(&carol)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:federated-user/carol@example.com").as_str())
    );
    assert_eq!(
        me.user_id(),
        Some(format!("{ACCOUNT}:carol@example.com").as_str())
    );
    // A session policy never widens the user.
    let everything = policy(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    let wide = sts
        .get_federation_token()
        .name("dave")
        .policy(everything.to_string())
        .send()
        .await
        .unwrap();
    let dave = sdk_credentials(wide.credentials().unwrap());
    assert_eq!(
        read(&server, &dave, "/app/dev/db").await.as_deref(),
        Ok("dev-value")
    );
    put(&server, "/other", "other-value").await;
    assert_eq!(
        read(&server, &dave, "/other").await,
        Err("AccessDeniedException".to_owned())
    );

    // No session policy: no permissions at all.
    let bare = sts
        .get_federation_token()
        .name("erin")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.packed_policy_size(), Some(0));
    let erin = sdk_credentials(bare.credentials().unwrap());
    assert_eq!(
        read(&server, &erin, "/app/prod/db").await,
        Err("AccessDeniedException".to_owned())
    );

    // Of STS only GetCallerIdentity; never the admin API.
    server
        .sts_client_as(&erin)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let err = server
        .sts_client_as(&dave)
        .assume_role()
        .role_arn(role_arn("anything"))
        .role_session_name("x1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "{err:?}");
    let err = server
        .sts_client_as(&dave)
        .get_session_token()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let (status, body) = server.admin_as(&dave, "ListPrincipals", json!({}));
    let body = body.to_string();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("AccessDeniedException"), "{body}");
}

#[tokio::test]
async fn get_federation_token_needs_the_permission_and_valid_members() {
    let server = server();
    let plain = server.user_with_policy(
        "plain",
        &policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}])),
    );
    let err = server
        .sts_client_as(&plain)
        .get_federation_token()
        .name("bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    assert_eq!(
        message(&err),
        format!(
            "User: {} is not authorized to perform: sts:GetFederationToken on resource: \
             arn:aws:sts::{ACCOUNT}:federated-user/bob",
            user_arn("plain")
        )
    );

    let broker = server.user_with_policy(
        "broker",
        &policy(
            json!([{"Effect": "Allow", "Action": "sts:GetFederationToken",
                        "Resource": format!("arn:aws:sts::{ACCOUNT}:federated-user/app-*")}]),
        ),
    );
    let sts = server.sts_client_as(&broker);
    // Only the names its policy allows.
    sts.get_federation_token()
        .name("app-1")
        .send()
        .await
        .unwrap();
    let err = sts
        .get_federation_token()
        .name("other")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");

    let cases: [(&str, Option<i32>, &str); 4] = [
        (
            "a",
            None,
            "1 validation error detected: Value 'a' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2",
        ),
        (
            &"n".repeat(33),
            None,
            "at 'name' failed to satisfy constraint: Member must have length less than or equal to 32",
        ),
        (
            "app one",
            None,
            "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ),
        (
            "app-2",
            Some(129_601),
            "at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
        ),
    ];
    for (name, duration, text) in cases {
        let err = sts
            .get_federation_token()
            .name(name)
            .set_duration_seconds(duration)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationError", "{name}");
        assert!(message(&err).contains(text), "{name}: {}", message(&err));
    }
    let err = sts
        .get_federation_token()
        .name("app-3")
        .policy("{not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MalformedPolicyDocument");
    // Tags become the federated user's principal tags; they must be valid.
    let err = sts
        .get_federation_token()
        .name("app-4")
        .tags(StsTag::builder().key("bad!").value("v").build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert!(
        message(&err).contains("'tags.1.member.key'"),
        "{}",
        message(&err)
    );
}
