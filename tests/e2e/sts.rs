//! STS AssumeRole as IAM decides it (spec sts-iam.md §2–4): the trust
//! policy restricts who may assume a role; session policies, ExternalId,
//! session tags and source identity reach the decision and every later
//! request; a session ends with its role; no answer reveals which roles
//! exist; malformed requests get AWS's texts. Driven with SigV4-signed STS
//! Query calls, the aws CLI (`aws sts assume-role …`, as users run it) and
//! the AWS SDK for the session's later requests.

mod oidc_issuer;
mod tokens;
mod web_identity;

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, RawResponse, TestCredentials, xml_text};
use serde_json::{Value, json};

use crate::support::{code, message, server};

const ACCOUNT: &str = "000000000000";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

/// Creates role `name` with this trust policy and an identity policy.
fn role(server: &KinkoServer, name: &str, trust: Value, policy: Value) {
    server.admin(
        "CreatePrincipal",
        json!({"Name": name, "Type": "Role", "TrustPolicy": trust.to_string()}),
    );
    server.admin(
        "PutPolicy",
        json!({"Principal": name, "PolicyName": "main", "PolicyDocument": policy.to_string()}),
    );
}

/// A user with no policy at all, and a key.
fn bare_user(server: &KinkoServer, name: &str) -> TestCredentials {
    server.admin("CreatePrincipal", json!({ "Name": name }));
    let key = server.admin("CreateAccessKey", json!({ "Principal": name }));
    TestCredentials::from_json(&key["AccessKey"])
}

fn trust(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow_assume_any() -> Value {
    policy(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]))
}

fn read_app() -> Value {
    policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter",
                   "Resource": "arn:aws:ssm:*:*:parameter/app/*"}]))
}

/// `aws sts assume-role ARGS` as `creds`: the parsed answer, or the error text.
fn cli_assume(
    server: &KinkoServer,
    creds: &TestCredentials,
    args: &[&str],
) -> Result<Value, String> {
    let mut all = vec!["sts", "assume-role", "--output", "json"];
    all.extend_from_slice(args);
    let out = server.aws_cli_as(creds, &all);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The STS error of an XML answer: (status, code, message).
fn sts_error(response: &RawResponse) -> (u16, String, String) {
    let (status, _, body) = response;
    (
        *status,
        xml_text(body, "Code").unwrap_or_else(|| panic!("no error code: {body}")),
        xml_text(body, "Message").unwrap_or_default(),
    )
}

fn assume(server: &KinkoServer, creds: &TestCredentials, params: &[(&str, &str)]) -> RawResponse {
    server.sts_as(creds, "AssumeRole", params)
}

async fn put(server: &KinkoServer, name: &str, value: &str) {
    server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
}

/// Reads a parameter as `creds`: its value or the error code.
async fn read(server: &KinkoServer, creds: &TestCredentials, name: &str) -> Result<String, String> {
    server
        .ssm_as(creds)
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map(|out| out.parameter().unwrap().value().unwrap().to_owned())
        .map_err(|e| code(&e))
}

/// The audit records of denied requests (waits for the asynchronous writer).
fn denials(server: &KinkoServer, expected: usize) -> Vec<Value> {
    for _ in 0..200 {
        let answer = server.admin("QueryAuditLog", json!({"Decision": "deny", "Limit": 1000}));
        let records = answer["Records"].as_array().cloned().unwrap_or_default();
        if records.len() >= expected {
            return records;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("fewer than {expected} denials were recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trust_policy_decides_who_may_assume_a_role() {
    let server = server();
    let alice = server.user_with_policy("alice", &allow_assume_any());
    let bob = bare_user(&server, "bob");
    role(
        &server,
        "bobs-role",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("bob")}, "Action": "sts:AssumeRole"}]),
        ),
        read_app(),
    );

    // Alice may sts:AssumeRole on *, but the trust policy names only bob.
    let denied = assume(
        &server,
        &alice,
        &[
            ("RoleArn", &role_arn("bobs-role")),
            ("RoleSessionName", "a1"),
        ],
    );
    assert_eq!(
        sts_error(&denied),
        (
            403,
            "AccessDenied".to_owned(),
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                user_arn("alice"),
                role_arn("bobs-role")
            )
        )
    );
    // Bob has no identity policy: being named by the trust policy is enough.
    let (status, _, body) = assume(
        &server,
        &bob,
        &[
            ("RoleArn", &role_arn("bobs-role")),
            ("RoleSessionName", "b1"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    let session = TestCredentials::from_sts_xml(&body);
    put(&server, "/app/x", "x-value").await;
    assert_eq!(
        read(&server, &session, "/app/x").await.as_deref(),
        Ok("x-value")
    );

    // The account in the trust policy delegates to identity policies.
    role(
        &server,
        "team-role",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]),
        ),
        read_app(),
    );
    let (status, _, body) = assume(
        &server,
        &alice,
        &[
            ("RoleArn", &role_arn("team-role")),
            ("RoleSessionName", "a2"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    let (_, code, _) = sts_error(&assume(
        &server,
        &bob,
        &[
            ("RoleArn", &role_arn("team-role")),
            ("RoleSessionName", "b2"),
        ],
    ));
    assert_eq!(code, "AccessDenied", "bob has no identity allow");

    // An explicit Deny wins even over a trust policy naming the caller.
    server.admin(
        "PutPolicy",
        json!({"Principal": "bob", "PolicyName": "no-roles", "PolicyDocument": policy(json!([
            {"Sid": "NoAssume", "Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}])).to_string()}),
    );
    let (_, code, text) = sts_error(&assume(
        &server,
        &bob,
        &[
            ("RoleArn", &role_arn("bobs-role")),
            ("RoleSessionName", "b3"),
        ],
    ));
    assert_eq!(code, "AccessDenied");
    assert!(text.ends_with(&role_arn("bobs-role")), "{text}");

    // The simulator evaluates the trust policy and names the deciding statement.
    let simulated = server.admin(
        "SimulatePolicy",
        json!({"Principal": "alice", "Action": "sts:AssumeRole", "Resource": role_arn("bobs-role")}),
    );
    assert_eq!(simulated["Decision"], "implicitDeny", "{simulated}");
    server.admin(
        "DeletePolicy",
        json!({"Principal": "bob", "PolicyName": "no-roles"}),
    );
    let simulated = server.admin(
        "SimulatePolicy",
        json!({"Principal": "bob", "Action": "sts:AssumeRole", "Resource": role_arn("bobs-role")}),
    );
    assert_eq!(simulated["Decision"], "allowed", "{simulated}");
    assert_eq!(simulated["MatchedStatement"]["Policy"], "trust-policy");

    // Every denial is in the audit log, naming the action and the role.
    let denied = denials(&server, 3);
    let record = denied
        .iter()
        .find(|r| r["principal"] == user_arn("alice").as_str())
        .unwrap_or_else(|| panic!("{denied:?}"));
    assert_eq!(record["operation"], "sts:AssumeRole");
    assert_eq!(record["errorCode"], "AccessDeniedException");
    assert!(
        record.to_string().contains(&role_arn("bobs-role")),
        "{record}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_policy_narrows_the_session() {
    let server = server();
    put(&server, "/app/prod/db", "prod-value").await;
    put(&server, "/app/dev/db", "dev-value").await;
    let alice = server.user_with_policy("alice", &allow_assume_any());
    role(
        &server,
        "reader",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]),
        ),
        read_app(),
    );
    let only_prod = policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter",
                                   "Resource": "arn:aws:ssm:*:*:parameter/app/prod/*"}]))
    .to_string();
    let answer = cli_assume(
        &server,
        &alice,
        &[
            "--role-arn",
            &role_arn("reader"),
            "--role-session-name",
            "narrow",
            "--policy",
            &only_prod,
        ],
    )
    .unwrap();
    assert!(answer["PackedPolicySize"].as_u64().unwrap() > 0, "{answer}");
    let session = TestCredentials::from_cli_json(&answer);
    // Both allow: it works. The role allows, the session policy does not: denied.
    assert_eq!(
        read(&server, &session, "/app/prod/db").await.as_deref(),
        Ok("prod-value")
    );
    assert_eq!(
        read(&server, &session, "/app/dev/db").await,
        Err("AccessDeniedException".to_owned())
    );
    // Without a session policy the role reads both.
    let plain = TestCredentials::from_cli_json(
        &cli_assume(
            &server,
            &alice,
            &[
                "--role-arn",
                &role_arn("reader"),
                "--role-session-name",
                "plain",
            ],
        )
        .unwrap(),
    );
    assert_eq!(
        read(&server, &plain, "/app/dev/db").await.as_deref(),
        Ok("dev-value")
    );

    // A session policy never widens the role.
    let everything =
        policy(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])).to_string();
    let wide = TestCredentials::from_cli_json(
        &cli_assume(
            &server,
            &alice,
            &[
                "--role-arn",
                &role_arn("reader"),
                "--role-session-name",
                "wide",
                "--policy",
                &everything,
            ],
        )
        .unwrap(),
    );
    let err = server
        .ssm_as(&wide)
        .put_parameter()
        .name("/app/new")
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");

    // PolicyArns name a principal's inline policy, read on every request.
    server.admin("CreatePrincipal", json!({"Name": "policies"}));
    server.admin(
        "PutPolicy",
        json!({"Principal": "policies", "PolicyName": "dev-only", "PolicyDocument": policy(json!([
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/dev/*"}])).to_string()}),
    );
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/policies/dev-only");
    let by_arn = TestCredentials::from_cli_json(
        &cli_assume(
            &server,
            &alice,
            &[
                "--role-arn",
                &role_arn("reader"),
                "--role-session-name",
                "by-arn",
                "--policy-arns",
                &format!("arn={arn}"),
            ],
        )
        .unwrap(),
    );
    assert_eq!(
        read(&server, &by_arn, "/app/dev/db").await.as_deref(),
        Ok("dev-value")
    );
    assert_eq!(
        read(&server, &by_arn, "/app/prod/db").await,
        Err("AccessDeniedException".to_owned())
    );
    server.admin(
        "DeletePolicy",
        json!({"Principal": "policies", "PolicyName": "dev-only"}),
    );
    assert_eq!(
        read(&server, &by_arn, "/app/dev/db").await,
        Err("AccessDeniedException".to_owned()),
        "a deleted session policy allows nothing"
    );
    let err = cli_assume(
        &server,
        &alice,
        &[
            "--role-arn",
            &role_arn("reader"),
            "--role-session-name",
            "gone",
            "--policy-arns",
            &format!("arn={arn}"),
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(InvalidParameterValue)") && err.contains(&arn),
        "{err}"
    );

    // A policy that is not a policy.
    let err = cli_assume(
        &server,
        &alice,
        &[
            "--role-arn",
            &role_arn("reader"),
            "--role-session-name",
            "bad",
            "--policy",
            "{\"Statement\": 1}",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(MalformedPolicyDocument)") && err.contains("Statement"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_id_must_match_the_trust_condition() {
    let server = server();
    let partner = bare_user(&server, "partner");
    role(
        &server,
        "vendor-access",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("partner")}, "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"sts:ExternalId": "Unique-ID-4711"}}}]),
        ),
        read_app(),
    );
    let arn = role_arn("vendor-access");
    let answer = cli_assume(
        &server,
        &partner,
        &[
            "--role-arn",
            &arn,
            "--role-session-name",
            "ok",
            "--external-id",
            "Unique-ID-4711",
        ],
    )
    .unwrap();
    assert_eq!(
        answer["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/vendor-access/ok")
    );
    for extra in [vec!["--external-id", "Unique-ID-0000"], vec![]] {
        let mut args = vec!["--role-arn", arn.as_str(), "--role-session-name", "no"];
        args.extend(extra);
        let err = cli_assume(&server, &partner, &args).unwrap_err();
        assert!(
            err.contains("(AccessDenied)")
                && err.contains(&format!(
                    "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                    user_arn("partner")
                )),
            "{err}"
        );
    }
    let err = cli_assume(
        &server,
        &partner,
        &[
            "--role-arn",
            &arn,
            "--role-session-name",
            "no",
            "--external-id",
            "has space",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(ValidationError)") && err.contains("at 'externalId'"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_tags_need_tag_session_and_become_principal_tags() {
    let server = server();
    put(&server, "/app/blue/key", "blue-value").await;
    put(&server, "/app/green/key", "green-value").await;
    let ci = bare_user(&server, "ci");
    // The role reads /app/<its project tag>/*.
    let by_project = policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter",
        "Resource": "arn:aws:ssm:*:*:parameter/app/${aws:PrincipalTag/project}/*"}]));
    role(
        &server,
        "untagged",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("ci")}, "Action": "sts:AssumeRole"}]),
        ),
        by_project.clone(),
    );
    let err = cli_assume(
        &server,
        &ci,
        &[
            "--role-arn",
            &role_arn("untagged"),
            "--role-session-name",
            "t1",
            "--tags",
            "Key=project,Value=blue",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(AccessDenied)")
            && err.contains(&format!(
                "is not authorized to perform: sts:TagSession on resource: {}",
                role_arn("untagged")
            )),
        "{err}"
    );

    role(
        &server,
        "project",
        trust(json!([
            {"Effect": "Allow", "Principal": {"AWS": user_arn("ci")}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": user_arn("ci")}, "Action": "sts:TagSession",
             "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["project", "team"]}}}
        ])),
        by_project.clone(),
    );
    server.admin(
        "TagPrincipal",
        json!({"Name": "project", "Tags": [{"Key": "Project", "Value": "green"}]}),
    );
    let answer = cli_assume(
        &server,
        &ci,
        &[
            "--role-arn",
            &role_arn("project"),
            "--role-session-name",
            "blue-build",
            "--tags",
            "Key=project,Value=blue",
            "Key=team,Value=core",
            "--transitive-tag-keys",
            "project",
        ],
    )
    .unwrap();
    assert!(answer["PackedPolicySize"].is_u64(), "{answer}");
    let session = TestCredentials::from_cli_json(&answer);
    // The session tag overrides the role's own tag of the same key.
    assert_eq!(
        read(&server, &session, "/app/blue/key").await.as_deref(),
        Ok("blue-value")
    );
    assert_eq!(
        read(&server, &session, "/app/green/key").await,
        Err("AccessDeniedException".to_owned())
    );
    // Without tags the role's own tag applies.
    let plain = TestCredentials::from_cli_json(
        &cli_assume(
            &server,
            &ci,
            &[
                "--role-arn",
                &role_arn("project"),
                "--role-session-name",
                "plain",
            ],
        )
        .unwrap(),
    );
    assert_eq!(
        read(&server, &plain, "/app/green/key").await.as_deref(),
        Ok("green-value")
    );
    // A key the trust policy does not allow.
    let err = cli_assume(
        &server,
        &ci,
        &[
            "--role-arn",
            &role_arn("project"),
            "--role-session-name",
            "t1",
            "--tags",
            "Key=admin,Value=yes",
        ],
    )
    .unwrap_err();
    assert!(err.contains("sts:TagSession"), "{err}");
    // Keys are case-insensitive; transitive keys must be among the tags.
    let err = cli_assume(
        &server,
        &ci,
        &[
            "--role-arn",
            &role_arn("project"),
            "--role-session-name",
            "t1",
            "--tags",
            "Key=project,Value=a",
            "Key=Project,Value=b",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(InvalidParameterValue)") && err.contains("Duplicate tag keys found"),
        "{err}"
    );
    let err = cli_assume(
        &server,
        &ci,
        &[
            "--role-arn",
            &role_arn("project"),
            "--role-session-name",
            "t1",
            "--tags",
            "Key=team,Value=a",
            "--transitive-tag-keys",
            "project",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("The specified transitive tag key must be included in the requested tags."),
        "{err}"
    );

    // A chained session keeps the transitive tag, which it cannot override.
    role(
        &server,
        "next",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": role_arn("project")}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]),
        ),
        by_project,
    );
    let chained = TestCredentials::from_cli_json(
        &cli_assume(
            &server,
            &session,
            &[
                "--role-arn",
                &role_arn("next"),
                "--role-session-name",
                "hop",
            ],
        )
        .unwrap(),
    );
    assert_eq!(
        read(&server, &chained, "/app/blue/key").await.as_deref(),
        Ok("blue-value")
    );
    let err = cli_assume(
        &server,
        &session,
        &[
            "--role-arn",
            &role_arn("next"),
            "--role-session-name",
            "hop2",
            "--tags",
            "Key=PROJECT,Value=green",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(InvalidParameterValue)")
            && err.contains("conflicts with a transitive tag key from the calling session"),
        "{err}"
    );
    // Role chaining lasts an hour at most.
    let err = cli_assume(
        &server,
        &session,
        &[
            "--role-arn",
            &role_arn("next"),
            "--role-session-name",
            "long",
            "--duration-seconds",
            "3601",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(ValidationError)")
            && err.contains("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_identity_is_set_once_and_follows_the_chain() {
    let server = server();
    put(&server, "/app/audited", "audited-value").await;
    let sso = bare_user(&server, "sso");
    role(
        &server,
        "plain",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("sso")}, "Action": "sts:AssumeRole"}]),
        ),
        read_app(),
    );
    let err = cli_assume(
        &server,
        &sso,
        &[
            "--role-arn",
            &role_arn("plain"),
            "--role-session-name",
            "s1",
            "--source-identity",
            "alice@example.com",
        ],
    )
    .unwrap_err();
    assert!(err.contains("sts:SetSourceIdentity"), "{err}");

    // Reads only with a source identity (aws:SourceIdentity on later requests).
    role(
        &server,
        "audited",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("sso")}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                      "Condition": {"StringLike": {"sts:SourceIdentity": "*@example.com"}}}]),
        ),
        policy(
            json!([{"Effect": "Allow", "Action": ["ssm:GetParameter", "sts:AssumeRole"], "Resource": "*",
                       "Condition": {"StringLike": {"aws:SourceIdentity": "*@example.com"}}}]),
        ),
    );
    let err = cli_assume(
        &server,
        &sso,
        &[
            "--role-arn",
            &role_arn("audited"),
            "--role-session-name",
            "s1",
            "--source-identity",
            "mallory@evil.example",
        ],
    )
    .unwrap_err();
    assert!(err.contains("(AccessDenied)"), "{err}");
    let answer = cli_assume(
        &server,
        &sso,
        &[
            "--role-arn",
            &role_arn("audited"),
            "--role-session-name",
            "s1",
            "--source-identity",
            "alice@example.com",
        ],
    )
    .unwrap();
    assert_eq!(answer["SourceIdentity"], "alice@example.com", "{answer}");
    let session = TestCredentials::from_cli_json(&answer);
    assert_eq!(
        read(&server, &session, "/app/audited").await.as_deref(),
        Ok("audited-value")
    );
    let err = cli_assume(
        &server,
        &sso,
        &[
            "--role-arn",
            &role_arn("audited"),
            "--role-session-name",
            "s1",
            "--source-identity",
            "aws:me",
        ],
    )
    .unwrap_err();
    assert!(err.contains("(ValidationError)"), "{err}");

    // A chained session inherits it and cannot change it.
    role(
        &server,
        "downstream",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": role_arn("audited")}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]),
        ),
        read_app(),
    );
    let chained = cli_assume(
        &server,
        &session,
        &[
            "--role-arn",
            &role_arn("downstream"),
            "--role-session-name",
            "hop",
        ],
    )
    .unwrap();
    assert_eq!(chained["SourceIdentity"], "alice@example.com", "{chained}");
    let err = cli_assume(
        &server,
        &session,
        &[
            "--role-arn",
            &role_arn("downstream"),
            "--role-session-name",
            "hop",
            "--source-identity",
            "bob@example.com",
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("(AccessDenied)") && err.contains("sts:SetSourceIdentity"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_of_a_deleted_and_recreated_role_stops_working() {
    let server = server();
    put(&server, "/app/db", "db-value").await;
    let admin = server.admin_credentials();
    let trust_admin = trust(
        json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("admin")}, "Action": "sts:AssumeRole"}]),
    );
    role(&server, "worker", trust_admin.clone(), read_app());
    let first = role_id(&server, "worker");
    assert!(first.starts_with("AROA") && first.len() == 21, "{first}");

    let (_, _, body) = assume(
        &server,
        &admin,
        &[("RoleArn", &role_arn("worker")), ("RoleSessionName", "old")],
    );
    assert_eq!(
        xml_text(&body, "AssumedRoleId"),
        Some(format!("{first}:old")),
        "{body}"
    );
    let old = TestCredentials::from_sts_xml(&body);
    assert_eq!(
        read(&server, &old, "/app/db").await.as_deref(),
        Ok("db-value")
    );
    let (status, _, me) = server.sts_as(&old, "GetCallerIdentity", &[]);
    assert_eq!(status, 200, "{me}");
    assert_eq!(xml_text(&me, "UserId"), Some(format!("{first}:old")));
    assert_eq!(
        xml_text(&me, "Arn"),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/worker/old"))
    );
    let (_, _, admin_me) = server.sts_as(&admin, "GetCallerIdentity", &[]);
    let admin_id = xml_text(&admin_me, "UserId").unwrap();
    assert!(
        admin_id.starts_with("AIDA") && admin_id.len() == 21,
        "{admin_me}"
    );

    // Delete the role and create one of the same name, trusting the same.
    server.admin("DeletePrincipal", json!({"Name": "worker"}));
    role(&server, "worker", trust_admin, read_app());
    assert_ne!(role_id(&server, "worker"), first);

    assert_eq!(
        read(&server, &old, "/app/db").await,
        Err("UnrecognizedClientException".to_owned())
    );
    let refused = server.sts_as(&old, "GetCallerIdentity", &[]);
    assert_eq!(
        sts_error(&refused),
        (
            403,
            "InvalidClientTokenId".to_owned(),
            "The security token included in the request is invalid.".to_owned()
        )
    );
    let (_, _, body) = assume(
        &server,
        &admin,
        &[("RoleArn", &role_arn("worker")), ("RoleSessionName", "new")],
    );
    let new = TestCredentials::from_sts_xml(&body);
    assert_eq!(
        read(&server, &new, "/app/db").await.as_deref(),
        Ok("db-value")
    );
}

fn role_id(server: &KinkoServer, name: &str) -> String {
    let answer = server.admin("GetPrincipal", json!({ "Name": name }));
    answer["Principal"]["UniqueId"].as_str().unwrap().to_owned()
}

/// The answer without its request id.
fn without_request_id(body: &str) -> String {
    let start = body.find("<RequestId>").unwrap();
    let end = body.find("</RequestId>").unwrap();
    format!("{}{}", &body[..start], &body[end..])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_role_is_answered_like_a_forbidden_one() {
    let server = server();
    let alice = server.user_with_policy(
        "alice",
        &policy(json!([{"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"}])),
    );
    // `secret-role` exists; alice may not assume it. `ghost` does not exist.
    role(
        &server,
        "secret-role",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]),
        ),
        read_app(),
    );
    // The forbidden role, under the name the missing one would have.
    let forbidden_arn = role_arn("secret-role");
    let ghost_arn = role_arn("secret-rolf");
    let forbidden = assume(
        &server,
        &alice,
        &[("RoleArn", &forbidden_arn), ("RoleSessionName", "probe")],
    );
    let missing = assume(
        &server,
        &alice,
        &[("RoleArn", &ghost_arn), ("RoleSessionName", "probe")],
    );
    assert_eq!(forbidden.0, 403);
    assert_eq!(missing.0, forbidden.0);
    assert_eq!(
        without_request_id(&missing.2),
        without_request_id(&forbidden.2).replace(&forbidden_arn, &ghost_arn),
        "byte for byte, but for the ARN asked about"
    );
    // A user's ARN as RoleArn: the same, and never NoSuchEntity.
    let as_user = assume(
        &server,
        &alice,
        &[
            ("RoleArn", &user_arn("alice")),
            ("RoleSessionName", "probe"),
        ],
    );
    assert_eq!(
        without_request_id(&as_user.2),
        without_request_id(&forbidden.2).replace(&forbidden_arn, &user_arn("alice"))
    );
    for (_, _, body) in [&forbidden, &missing, &as_user] {
        assert!(
            !body.contains("NoSuchEntity") && !body.contains("exist"),
            "{body}"
        );
    }
    // The admin API answers alike.
    let admin = |name: &str| {
        server.admin_as(
            &alice,
            "AssumeRole",
            json!({"RoleName": name, "RoleSessionName": "probe"}),
        )
    };
    let (status, existing) = admin("secret-role");
    let (ghost_status, ghost) = admin("secret-rolf");
    let (user_status, user) = admin("alice");
    assert_eq!(existing["__type"], "AccessDeniedException", "{existing}");
    assert_eq!((ghost_status, user_status), (status, status));
    assert_eq!(
        ghost.to_string(),
        existing.to_string().replace("secret-role", "secret-rolf")
    );
    assert_eq!(
        user.to_string(),
        existing.to_string().replace("secret-role", "alice")
    );

    // The aws CLI shows the user the same AccessDenied.
    let err = cli_assume(
        &server,
        &alice,
        &["--role-arn", &ghost_arn, "--role-session-name", "probe"],
    )
    .unwrap_err();
    assert!(
        err.contains("(AccessDenied)")
            && err.contains(&format!("sts:AssumeRole on resource: {ghost_arn}")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_awss_validation_texts() {
    let server = server();
    let admin = server.admin_credentials();
    let check = |params: &[(&str, &str)], expected: &str| {
        let (status, code, text) = sts_error(&assume(&server, &admin, params));
        assert_eq!((status, code.as_str()), (400, "ValidationError"), "{text}");
        assert_eq!(text, expected);
    };
    check(
        &[("RoleArn", "bogus"), ("RoleSessionName", "s1")],
        "1 validation error detected: Value 'bogus' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
    );
    let long = format!("arn:aws:iam::{ACCOUNT}:role/{}", "r".repeat(2030));
    check(
        &[("RoleArn", &long), ("RoleSessionName", "s1")],
        &format!(
            "1 validation error detected: Value '{long}' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048"
        ),
    );
    check(
        &[
            ("RoleArn", "nothing-valid-in-here"),
            ("RoleSessionName", "s1"),
        ],
        "nothing-valid-in-here is invalid",
    );
    check(
        &[("RoleSessionName", "s1")],
        "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    );
    check(
        &[
            ("RoleArn", &role_arn("x")),
            ("RoleSessionName", "Session1:2"),
        ],
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    check(
        &[
            ("RoleArn", &role_arn("x")),
            ("RoleSessionName", "s1"),
            ("DurationSeconds", "43201"),
        ],
        "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    );
    check(
        &[
            ("RoleArn", "bogus"),
            ("RoleSessionName", "x"),
            ("DurationSeconds", "60"),
        ],
        "3 validation errors detected: Value 'bogus' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; \
         Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; \
         Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    // The aws CLI shows the same (its own parameter checks aside).
    let out = server.aws_cli(&[
        "sts",
        "assume-role",
        "--role-arn",
        "nothing-valid-in-here",
        "--role-session-name",
        "s1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(ValidationError)") && err.contains("nothing-valid-in-here is invalid"),
        "{err}"
    );
    // The server keeps serving.
    let (status, _, _) = server.sts_as(&admin, "GetCallerIdentity", &[]);
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_sees_sessions_narrowed_by_their_tags_and_policies() {
    // The SDK as a workload uses it: the admin API's AssumeRole with the
    // same fields, then SSM calls with the session.
    let server = server();
    put(&server, "/app/prod/a", "a-value").await;
    role(
        &server,
        "app",
        trust(
            json!([{"Effect": "Allow", "Principal": {"AWS": user_arn("admin")}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]),
        ),
        read_app(),
    );
    let answer = server.admin(
        "AssumeRole",
        json!({"RoleName": "app", "RoleSessionName": "sdk", "Tags": [{"Key": "env", "Value": "prod"}],
               "Policy": policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*",
                                        "Condition": {"StringEquals": {"aws:PrincipalTag/env": "prod"}}}])).to_string()}),
    );
    assert!(
        answer["AssumedRoleId"].as_str().unwrap().ends_with(":sdk"),
        "{answer}"
    );
    assert!(answer["PackedPolicySize"].is_u64(), "{answer}");
    let session = TestCredentials::from_json(&answer["Credentials"]);
    let value = server
        .ssm_as(&session)
        .get_parameter()
        .name("/app/prod/a")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(value.parameter().unwrap().value(), Some("a-value"));
    // The role may not write; neither may the session.
    let err = server
        .ssm_as(&session)
        .put_parameter()
        .name("/app/prod/b")
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException", "{}", message(&err));
    assert!(
        message(&err).contains("assumed-role/app/sdk"),
        "{}",
        message(&err)
    );
}
