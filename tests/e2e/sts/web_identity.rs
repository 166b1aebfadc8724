//! AssumeRoleWithWebIdentity (spec sts-iam.md §6) as GitHub Actions and
//! EKS use it: an OIDC provider registered with kinko (its JWKS from a
//! test RSA key), a role trusting it with conditions on `aud` and `sub`,
//! and tokens signed here — good ones, and every way one can be wrong.
//! Driven with the aws CLI's web identity provider (`AWS_ROLE_ARN` +
//! `AWS_WEB_IDENTITY_TOKEN_FILE`), `aws sts assume-role-with-web-identity`
//! and the AWS SDK for Rust.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
use base64::Engine;
use kinko_testkit::{KinkoServer, TestCredentials};
use serde_json::{Value, json};

use super::{ACCOUNT, policy, put, read, role, role_arn, trust};
use crate::support::{code, message, server};

pub(super) const ISSUER: &str = "https://token.actions.example.test";
pub(super) const PROVIDER: &str = "token.actions.example.test";
pub(super) const SUB: &str = "repo:my-org/my-repo:ref:refs/heads/main";

pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub(super) struct Signer(RsaKeyPair);

impl Signer {
    pub(super) fn new() -> Signer {
        Signer(RsaKeyPair::generate(KeySize::Rsa2048).unwrap())
    }

    pub(super) fn jwks(&self, kid: &str) -> String {
        let public = self.0.public_key();
        json!({"keys": [{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": b64(public.modulus().big_endian_without_leading_zero()),
            "e": b64(public.exponent().big_endian_without_leading_zero())}]})
        .to_string()
    }

    pub(super) fn token(&self, kid: &str, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut sig = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .unwrap();
        format!("{input}.{}", b64(&sig))
    }
}

pub(super) fn claims() -> Value {
    json!({"iss": ISSUER, "sub": SUB, "aud": "sts.amazonaws.com",
           "iat": now() - 5, "nbf": now() - 5, "exp": now() + 300})
}

pub(super) fn provider_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{PROVIDER}")
}

/// A provider for `signer`'s key `k1`, and the role `ci` trusting main of my-org/my-repo.
fn setup(server: &KinkoServer, signer: &Signer) {
    let created = server.admin(
        "CreateOpenIDConnectProvider",
        json!({"Url": ISSUER, "ClientIDList": ["sts.amazonaws.com"], "Jwks": signer.jwks("k1")}),
    );
    assert_eq!(
        created["OpenIDConnectProvider"]["OpenIDConnectProviderArn"],
        json!(provider_arn())
    );
    ci_role(server);
}

/// The role `ci`, trusting the provider's tokens for branches of
/// my-org/my-repo, reading parameters under /app.
pub(super) fn ci_role(server: &KinkoServer) {
    role(
        server,
        "ci",
        trust(json!([{"Effect": "Allow",
            "Principal": {"Federated": provider_arn()},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {format!("{PROVIDER}:aud"): "sts.amazonaws.com"},
                "StringLike": {format!("{PROVIDER}:sub"): "repo:my-org/my-repo:ref:refs/heads/*"}}}])),
        policy(json!([{"Effect": "Allow", "Action": "ssm:GetParameter",
                       "Resource": "arn:aws:ssm:*:*:parameter/app/*"}])),
    );
}

#[tokio::test]
async fn a_workflow_token_becomes_a_role_session() {
    let server = server();
    put(&server, "/app/db", "db-value").await;
    let signer = Signer::new();
    setup(&server, &signer);

    // GitHub Actions / EKS: the aws CLI's web identity provider, from the environment.
    assert_eq!(
        cli_get_parameter_with_web_identity(&server, &signer.token("k1", &claims()), "gha-run-1"),
        "db-value"
    );

    // The SDK for Rust, unsigned as it sends it.
    let answer = server
        .sts()
        .assume_role_with_web_identity()
        .role_arn(role_arn("ci"))
        .role_session_name("gha-run-2")
        .web_identity_token(signer.token("k1", &claims()))
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.subject_from_web_identity_token(), Some(SUB));
    assert_eq!(answer.audience(), Some("sts.amazonaws.com"));
    assert_eq!(answer.provider(), Some(provider_arn().as_str()));
    let user = answer.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/ci/gha-run-2")
    );
    let (role_id, session) = user.assumed_role_id().split_once(':').unwrap();
    assert!(
        role_id.starts_with("AROA") && role_id.len() == 21,
        "{role_id}"
    );
    assert_eq!(session, "gha-run-2");
    let c = answer.credentials().unwrap();
    let creds = TestCredentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
    };
    assert_eq!(
        read(&server, &creds, "/app/db").await.as_deref(),
        Ok("db-value")
    );

    // The aws CLI's own command.
    let out = server
        .aws_cli_command(&[
            "sts",
            "assume-role-with-web-identity",
            "--output",
            "json",
            "--role-arn",
            &role_arn("ci"),
            "--role-session-name",
            "cli",
            "--web-identity-token",
            &signer.token("k1", &claims()),
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["SubjectFromWebIdentityToken"], json!(SUB));

    // Listed, and once removed, its tokens name no provider.
    let list = server.admin("ListOpenIDConnectProviders", json!({}));
    assert_eq!(
        list["OpenIDConnectProviderList"][0]["KeyIds"],
        json!(["k1"])
    );
    server.admin(
        "DeleteOpenIDConnectProvider",
        json!({"OpenIDConnectProviderArn": provider_arn()}),
    );
    let err = server
        .sts()
        .assume_role_with_web_identity()
        .role_arn(role_arn("ci"))
        .role_session_name("after")
        .web_identity_token(signer.token("k1", &claims()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidIdentityToken");
    assert_eq!(
        message(&err),
        format!("No OpenIDConnect provider found in your account for {ISSUER}")
    );
}

#[tokio::test]
async fn bad_tokens_get_stss_answers() {
    let server = server();
    let signer = Signer::new();
    setup(&server, &signer);
    let with = |key: &str, value: Value| {
        let mut c = claims();
        c[key] = value;
        c
    };
    let forger = Signer::new();
    let mut tampered: Vec<String> = signer
        .token("k1", &claims())
        .split('.')
        .map(str::to_owned)
        .collect();
    tampered[1] = b64(
        with("sub", json!("repo:my-org/my-repo:ref:refs/heads/evil"))
            .to_string()
            .as_bytes(),
    );
    let cases: Vec<(&str, String, &str, String)> = vec![
        (
            "expired",
            signer.token("k1", &with("exp", json!(now() - 10))),
            "ExpiredTokenException",
            "Token expired: current date/time".to_owned(),
        ),
        (
            "wrong audience",
            signer.token("k1", &with("aud", json!("someone-else"))),
            "InvalidIdentityToken",
            "Incorrect token audience".to_owned(),
        ),
        (
            "wrong issuer",
            signer.token("k1", &with("iss", json!("https://evil.example.test"))),
            "InvalidIdentityToken",
            "No OpenIDConnect provider found in your account for https://evil.example.test"
                .to_owned(),
        ),
        (
            "bad signature",
            forger.token("k1", &claims()),
            "InvalidIdentityToken",
            "signature is not valid".to_owned(),
        ),
        (
            "tampered claims",
            tampered.join("."),
            "InvalidIdentityToken",
            "signature is not valid".to_owned(),
        ),
        (
            "unknown kid",
            signer.token("k2", &claims()),
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider".to_owned(),
        ),
        (
            "not yet valid",
            signer.token("k1", &with("nbf", json!(now() + 3600))),
            "IDPRejectedClaim",
            "is in the future".to_owned(),
        ),
        (
            "sub the trust policy does not allow",
            signer.token(
                "k1",
                &with("sub", json!("repo:my-org/other:ref:refs/heads/main")),
            ),
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_owned(),
        ),
        (
            "not a JWT",
            "abcd.efgh".to_owned(),
            "InvalidIdentityToken",
            "not a valid JWT".to_owned(),
        ),
    ];
    for (what, token, expected_code, text) in cases {
        let err = server
            .sts()
            .assume_role_with_web_identity()
            .role_arn(role_arn("ci"))
            .role_session_name("bad")
            .web_identity_token(token)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), expected_code, "{what}: {err:?}");
        assert!(message(&err).contains(&text), "{what}: {}", message(&err));
    }

    // A role that does not exist is denied like one that does not trust the token.
    let err = server
        .sts()
        .assume_role_with_web_identity()
        .role_arn(role_arn("ghost"))
        .role_session_name("bad")
        .web_identity_token(signer.token("k1", &claims()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");

    // Duration out of range and malformed role ARNs: AWS's validation texts.
    let err = server
        .sts()
        .assume_role_with_web_identity()
        .role_arn(role_arn("ci"))
        .role_session_name("long")
        .duration_seconds(43_201)
        .web_identity_token(signer.token("k1", &claims()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert!(message(&err).contains("at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"), "{}", message(&err));
    for (arn, text) in [
        ("bogus", "1 validation error detected: Value 'bogus' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20".to_owned()),
        ("nothing-valid-in-here", "nothing-valid-in-here is invalid".to_owned()),
    ] {
        let err = server
            .sts()
            .assume_role_with_web_identity()
            .role_arn(arn)
            .role_session_name("s1")
            .web_identity_token(signer.token("k1", &claims()))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationError", "{arn}");
        assert_eq!(message(&err), text);
    }

    // Registering: a second provider for the issuer, a bad JWKS, a bad URL.
    for (body, expected) in [
        (
            json!({"Url": ISSUER, "ClientIDList": ["x"], "Jwks": signer.jwks("k9")}),
            "EntityAlreadyExistsException",
        ),
        (
            json!({"Url": "https://other.example.test", "ClientIDList": ["x"], "Jwks": "{}"}),
            "ValidationException",
        ),
        (
            json!({"Url": "http://other.example.test", "ClientIDList": ["x"], "Jwks": signer.jwks("k1")}),
            "ValidationException",
        ),
        (
            json!({"Url": "https://other.example.test", "ClientIDList": [], "Jwks": signer.jwks("k1")}),
            "ValidationException",
        ),
    ] {
        let (status, answer) = server.admin_as(
            &server.admin_credentials(),
            "CreateOpenIDConnectProvider",
            body,
        );
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["__type"], json!(expected), "{answer}");
    }
}

/// `aws ssm get-parameter /app/db` with no keys, only the web identity
/// variables the aws CLI reads (EKS, GitHub Actions): the value it prints.
pub(super) fn cli_get_parameter_with_web_identity(
    server: &KinkoServer,
    token: &str,
    session_name: &str,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    let out = server
        .aws_cli_command(&[
            "ssm",
            "get-parameter",
            "--name",
            "/app/db",
            "--with-decryption",
            "--query",
            "Parameter.Value",
            "--output",
            "text",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_ROLE_ARN", role_arn("ci"))
        .env("AWS_ROLE_SESSION_NAME", session_name)
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
