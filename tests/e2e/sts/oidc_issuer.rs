//! Web identity as a deployment uses it beyond a JWKS given by hand: an
//! issuer serving its keys at a URL (a tiny HTTP server here, on
//! loopback) that kinko fetches, caches and fetches again when the issuer
//! rotates; an issuer that cannot be reached; the provider managed with
//! `kinko oidc-provider`; and the official SDK's default credential chain
//! getting a role session from a token file, as on EKS or GitHub Actions.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
// aws-config's own names for aws-runtime's EnvConfigFiles (deprecated
// aliases): kinko links aws-runtime only through aws-config.
#[allow(deprecated)]
use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming};
use hyper_util::rt::TokioIo;
use kinko_testkit::{KinkoServer, REGION};
use serde_json::{Value, json};

use super::web_identity::{
    ISSUER, Signer, ci_role, claims, cli_get_parameter_with_web_identity, provider_arn,
};
use super::{put, role_arn};
use crate::support::{code, kinko, kinko_ok, message, server};

/// An OIDC issuer's key endpoint: `/jwks.json` answers the current key
/// set, `/moved` a redirect; every request is counted. It runs on a thread
/// and runtime of its own, so it answers while a test blocks on a child
/// process.
struct Issuer {
    jwks_url: String,
    port: u16,
    jwks: Arc<Mutex<String>>,
    requests: Arc<AtomicUsize>,
}

impl Issuer {
    fn start(jwks: String) -> Issuer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let jwks = Arc::new(Mutex::new(jwks));
        let requests = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (jwks.clone(), requests.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let (served, counted) = (served.clone(), counted.clone());
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            answer(served.clone(), counted.clone(), request)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Issuer {
            jwks_url: format!("http://127.0.0.1:{port}/jwks.json"),
            port,
            jwks,
            requests,
        }
    }

    /// The issuer rotates: from now on it publishes `jwks`.
    fn publish(&self, jwks: String) {
        *self.jwks.lock().unwrap() = jwks;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn answer(
    jwks: Arc<Mutex<String>>,
    requests: Arc<AtomicUsize>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    requests.fetch_add(1, Ordering::SeqCst);
    let response = match request.uri().path() {
        "/jwks.json" => Response::builder()
            .header("content-type", "application/json")
            .body(Full::from(jwks.lock().unwrap().clone())),
        "/moved" => Response::builder()
            .status(302)
            .header("location", "/jwks.json")
            .body(Full::default()),
        _ => Response::builder().status(404).body(Full::default()),
    };
    Ok(response.unwrap())
}

/// AssumeRoleWithWebIdentity for `ci` with `token` through the SDK:
/// the session's ARN, or the error's code and message.
async fn assume(server: &KinkoServer, token: String) -> Result<String, (String, String)> {
    server
        .sts()
        .assume_role_with_web_identity()
        .role_arn(role_arn("ci"))
        .role_session_name("run")
        .web_identity_token(token)
        .send()
        .await
        .map(|answer| answer.assumed_role_user().unwrap().arn().to_owned())
        .map_err(|err| (code(&err), message(&err)))
}

const SESSION_ARN: &str = "arn:aws:sts::000000000000:assumed-role/ci/run";

#[tokio::test]
async fn keys_fetched_from_a_jwks_url_follow_the_issuers_rotation() {
    let server = server();
    put(&server, "/app/db", "db-value").await;
    let first = Signer::new();
    let issuer = Issuer::start(first.jwks("k1"));

    // Registered with the CLI; nothing is fetched until a token needs it.
    let created: Value = serde_json::from_str(&kinko_ok(
        &server,
        &[
            "oidc-provider",
            "create",
            "--url",
            ISSUER,
            "--client-id",
            "sts.amazonaws.com",
            "--jwks-url",
            &issuer.jwks_url,
            "--output",
            "json",
        ],
    ))
    .unwrap();
    let provider = &created["OpenIDConnectProvider"];
    assert_eq!(provider["OpenIDConnectProviderArn"], json!(provider_arn()));
    assert_eq!(provider["KeySource"], "url");
    assert_eq!(provider["JwksUrl"], json!(issuer.jwks_url));
    assert_eq!(provider["KeyIds"], json!([]));
    assert_eq!(issuer.requests(), 0);
    ci_role(&server);

    let shown = kinko_ok(&server, &["oidc-provider", "get", &provider_arn()]);
    assert!(
        shown.contains(&format!("keys:        fetched from {}\n", issuer.jwks_url)),
        "{shown}"
    );
    assert!(
        shown.contains("client ids:  sts.amazonaws.com\n"),
        "{shown}"
    );
    let listed = kinko_ok(&server, &["oidc-provider", "list"]);
    assert!(listed.contains(&provider_arn()), "{listed}");

    // The first token fetches the keys; the next ones use the cache.
    assert_eq!(
        assume(&server, first.token("k1", &claims()))
            .await
            .as_deref(),
        Ok(SESSION_ARN)
    );
    assert_eq!(
        assume(&server, first.token("k1", &claims()))
            .await
            .as_deref(),
        Ok(SESSION_ARN)
    );
    assert_eq!(issuer.requests(), 1);

    // The issuer rotates to a new key: its first token fetches the keys again.
    let second = Signer::new();
    issuer.publish(second.jwks("k2"));
    assert_eq!(
        assume(&server, second.token("k2", &claims()))
            .await
            .as_deref(),
        Ok(SESSION_ARN)
    );
    assert_eq!(issuer.requests(), 2);

    // The retired key no longer verifies, and tokens naming keys the issuer
    // does not have cannot make kinko fetch on each one (at most once a
    // minute: one more fetch at most, however slow this test runs).
    for _ in 0..5 {
        let (code, text) = assume(&server, first.token("k1", &claims()))
            .await
            .unwrap_err();
        assert_eq!(code, "InvalidIdentityToken");
        assert!(
            text.starts_with("Couldn't retrieve verification key from your identity provider"),
            "{text}"
        );
    }
    assert!(issuer.requests() <= 3, "{} fetches", issuer.requests());

    // The aws CLI's web identity provider, from the environment (EKS, GitHub Actions).
    assert_eq!(
        cli_get_parameter_with_web_identity(&server, &second.token("k2", &claims()), "cli-run"),
        "db-value"
    );

    let deleted = kinko_ok(&server, &["oidc-provider", "delete", &provider_arn()]);
    assert_eq!(
        deleted,
        format!("deleted OIDC provider {}\n", provider_arn())
    );
    let (code, text) = assume(&server, second.token("k2", &claims()))
        .await
        .unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    assert_eq!(
        text,
        format!("No OpenIDConnect provider found in your account for {ISSUER}")
    );
    let out = kinko(&server, &["oidc-provider", "get", &provider_arn()]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn an_issuer_that_cannot_be_reached_is_an_idp_communication_error() {
    let server = server();
    let signer = Signer::new();
    ci_role(&server);
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let jwks_url = format!("http://127.0.0.1:{closed}/jwks.json");
    server.admin(
        "CreateOpenIDConnectProvider",
        json!({"Url": ISSUER, "ClientIDList": ["sts.amazonaws.com"], "JwksUrl": jwks_url}),
    );
    let err = server
        .sts()
        .assume_role_with_web_identity()
        .role_arn(role_arn("ci"))
        .role_session_name("run")
        .web_identity_token(signer.token("k1", &claims()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "IDPCommunicationError");
    assert!(
        message(&err).starts_with(&format!("Could not fetch {jwks_url}: ")),
        "{}",
        message(&err)
    );
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);

    // An issuer that redirects is not followed.
    let issuer = Issuer::start(signer.jwks("k1"));
    server.admin(
        "DeleteOpenIDConnectProvider",
        json!({"OpenIDConnectProviderArn": provider_arn()}),
    );
    let moved = format!("http://127.0.0.1:{}/moved", issuer.port);
    server.admin(
        "CreateOpenIDConnectProvider",
        json!({"Url": ISSUER, "ClientIDList": ["sts.amazonaws.com"], "JwksUrl": moved}),
    );
    let (code, text) = assume(&server, signer.token("k1", &claims()))
        .await
        .unwrap_err();
    assert_eq!(code, "IDPCommunicationError");
    assert_eq!(
        text,
        format!("Could not fetch {moved}: it answered 302 Found; redirects are not followed")
    );

    // Keys over plain HTTP come from loopback only, and from one source.
    for (body, expected) in [
        (
            json!({"Url": "https://other.example.test", "ClientIDList": ["a"],
                   "JwksUrl": "http://keys.example.test/jwks.json"}),
            "The JWKS URL http://keys.example.test/jwks.json must use https://; plain http:// \
             is accepted for loopback addresses only.",
        ),
        (
            json!({"Url": "https://other.example.test", "ClientIDList": ["a"],
                   "JwksUrl": issuer.jwks_url, "Jwks": signer.jwks("k1")}),
            "Give the provider's JWKS or its JWKS URL, not both.",
        ),
    ] {
        let (status, answer) = server.admin_as(
            &server.admin_credentials(),
            "CreateOpenIDConnectProvider",
            body,
        );
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["message"], expected, "{answer}");
    }
}

#[tokio::test]
#[allow(deprecated)]
async fn the_sdks_default_chain_assumes_a_role_from_a_token_file() {
    let server = server();
    put(&server, "/app/db", "db-value").await;
    put(&server, "/other/db", "other-value").await;
    let signer = Signer::new();
    server.admin(
        "CreateOpenIDConnectProvider",
        json!({"Url": ISSUER, "ClientIDList": ["sts.amazonaws.com"], "Jwks": signer.jwks("k1")}),
    );
    ci_role(&server);

    // A profile as EKS's and GitHub's set-ups amount to: a role, a token
    // file and a session name, and the endpoint (a file of its own, not
    // the process environment, which tests running beside share).
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, signer.token("k1", &claims())).unwrap();
    let config_file = dir.path().join("config");
    std::fs::write(
        &config_file,
        format!(
            "[profile ci]\nregion = {REGION}\nendpoint_url = {}\nrole_arn = {}\n\
             web_identity_token_file = {}\nrole_session_name = sdk-run\n",
            server.endpoint,
            role_arn("ci"),
            token_file.display()
        ),
    )
    .unwrap();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .profile_files(
            ProfileFiles::builder()
                .with_file(ProfileFileKind::Config, &config_file)
                .build(),
        )
        .profile_name("ci")
        .load()
        .await;

    let identity = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        identity.arn(),
        Some("arn:aws:sts::000000000000:assumed-role/ci/sdk-run")
    );
    // AWS's form: the role's unique id, then the session name.
    let user_id = identity.user_id().unwrap();
    let (role_id, session) = user_id.split_once(':').unwrap();
    assert!(
        role_id.starts_with("AROA") && role_id.len() == 21,
        "{user_id}"
    );
    assert_eq!(session, "sdk-run");
    assert_eq!(identity.account(), Some("000000000000"));
    let ssm = aws_sdk_ssm::Client::new(&config);
    let value = ssm
        .get_parameter()
        .name("/app/db")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(value.parameter().unwrap().value(), Some("db-value"));
    // Only what the role allows.
    let err = ssm
        .get_parameter()
        .name("/other/db")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
}
