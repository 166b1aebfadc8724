//! The official AWS SDK against the server's router in this process (no
//! socket, no child process) through kinko-testkit's connector, beside the
//! same session against a spawned `kinko server`: one session, asserted
//! once, run both ways (`…::through_the_connector`, `…::through_a_socket`).
//! That shows the connector faithful — real SigV4 verified, typed answers
//! and error codes as over HTTP — and lets the two be timed side by side.
//!
//! The in-process server is `kinko_server::Server::open`, the composition
//! root `kinko server` runs (non-dev: a real admin key, deny by default).

use aws_sdk_kms::primitives::Blob;
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, RawResponse, TestCredentials};
use serde_json::{Value, json};

use crate::support;

/// `kinko server`'s defaults.
const ACCOUNT: &str = "000000000000";
const ADMIN_ARN: &str = "arn:aws:iam::000000000000:user/admin";

/// A kinko for one session: a spawned server, or its router in-process.
enum Kinko {
    Spawned(KinkoServer),
    InProcess(support::InProcessServer),
}

impl Kinko {
    fn spawned() -> Kinko {
        Kinko::Spawned(support::server())
    }

    /// The router over an in-memory SQLite store, as `kinko server` (not
    /// `--dev`) builds its state: an admin key with the bootstrap admin's
    /// policy, the audit log on, every other key denied by default.
    /// The router of `kinko_server::Server::open`, as `kinko server` (not
    /// `--dev`) builds it: an admin key with the bootstrap admin's policy,
    /// the audit log on, every other key denied by default.
    async fn in_process() -> Kinko {
        Kinko::InProcess(support::in_process().await)
    }

    fn ssm(&self) -> aws_sdk_ssm::Client {
        match self {
            Kinko::Spawned(server) => server.ssm(),
            Kinko::InProcess(server) => server.ssm(),
        }
    }

    fn ssm_as(&self, creds: &TestCredentials) -> aws_sdk_ssm::Client {
        match self {
            Kinko::Spawned(server) => server.ssm_as(creds),
            Kinko::InProcess(server) => server.ssm_as(creds),
        }
    }

    fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        match self {
            Kinko::Spawned(server) => server.secrets(),
            Kinko::InProcess(server) => server.secrets(),
        }
    }

    fn secrets_as(&self, creds: &TestCredentials) -> aws_sdk_secretsmanager::Client {
        match self {
            Kinko::Spawned(server) => server.secrets_as(creds),
            Kinko::InProcess(server) => server.secrets_as(creds),
        }
    }

    fn kms(&self) -> aws_sdk_kms::Client {
        match self {
            Kinko::Spawned(server) => server.kms(),
            Kinko::InProcess(server) => server.kms(),
        }
    }

    fn sts(&self) -> aws_sdk_sts::Client {
        match self {
            Kinko::Spawned(server) => server.sts(),
            Kinko::InProcess(server) => server.sts(),
        }
    }

    fn admin_credentials(&self) -> TestCredentials {
        match self {
            Kinko::Spawned(server) => server.admin_credentials(),
            Kinko::InProcess(server) => server.admin_credentials(),
        }
    }

    async fn user_with_policy(&self, name: &str, policy: &Value) -> TestCredentials {
        match self {
            Kinko::Spawned(server) => server.user_with_policy(name, policy),
            Kinko::InProcess(server) => server.user_with_policy(name, policy).await,
        }
    }

    async fn signed_post(
        &self,
        creds: &TestCredentials,
        service: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        match self {
            Kinko::Spawned(server) => server.signed_post(creds, service, headers, body),
            Kinko::InProcess(server) => server.signed_post(creds, service, headers, body).await,
        }
    }
}

/// Each session as two tests: through the connector and through a socket.
macro_rules! both_ways {
    ($($session:ident),* $(,)?) => {$(
        mod $session {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn through_the_connector() {
                super::$session(&super::Kinko::in_process().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn through_a_socket() {
                super::$session(&super::Kinko::spawned()).await;
            }
        }
    )*};
}

both_ways!(
    parameters,
    secrets,
    kms_encrypt_and_decrypt,
    caller_identity,
    access_is_decided_on_real_signatures,
    malformed_requests,
);

/// PutParameter and GetParameter, plain and SecureString.
async fn parameters(kinko: &Kinko) {
    let ssm = kinko.ssm();
    let put = ssm
        .put_parameter()
        .name("/app/greeting")
        .value("hello")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    assert_eq!(put.version(), 1);
    ssm.put_parameter()
        .name("/app/db/password")
        .value("s3cr3t-value")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();

    let got = ssm
        .get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .unwrap();
    let parameter = got.parameter().unwrap();
    assert_eq!(parameter.value(), Some("hello"));
    assert_eq!(parameter.r#type(), Some(&ParameterType::String));
    assert_eq!(
        parameter.arn(),
        Some("arn:aws:ssm:us-east-1:000000000000:parameter/app/greeting")
    );

    let decrypted = ssm
        .get_parameter()
        .name("/app/db/password")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(decrypted.parameter().unwrap().value(), Some("s3cr3t-value"));
    let sealed = ssm
        .get_parameter()
        .name("/app/db/password")
        .send()
        .await
        .unwrap();
    let sealed = sealed.parameter().unwrap().value().unwrap();
    assert!(!sealed.contains("s3cr3t-value"), "{sealed}");

    let err = ssm
        .get_parameter()
        .name("/app/missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_parameter_not_found());
}

/// CreateSecret and GetSecretValue.
async fn secrets(kinko: &Kinko) {
    let secrets = kinko.secrets();
    let created = secrets
        .create_secret()
        .name("app/db")
        .secret_string(r#"{"user":"app","password":"pw-123"}"#)
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap();
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-"),
        "{arn}"
    );

    let value = secrets
        .get_secret_value()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert_eq!(
        value.secret_string(),
        Some(r#"{"user":"app","password":"pw-123"}"#)
    );
    assert_eq!(value.arn(), Some(arn));
    assert_eq!(value.version_stages(), ["AWSCURRENT"]);
    assert_eq!(value.version_id(), created.version_id());

    let err = secrets
        .get_secret_value()
        .secret_id("app/missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
}

/// A KMS key's Encrypt and Decrypt round trip.
async fn kms_encrypt_and_decrypt(kinko: &Kinko) {
    let kms = kinko.kms();
    let key = kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap();

    let encrypted = kms
        .encrypt()
        .key_id(key.key_id())
        .plaintext(Blob::new(b"a data key".to_vec()))
        .send()
        .await
        .unwrap();
    let blob = encrypted.ciphertext_blob().unwrap().clone();
    assert!(!blob.as_ref().windows(10).any(|w| w == b"a data key"));
    assert_eq!(encrypted.key_id(), key.arn());

    let decrypted = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(decrypted.plaintext().unwrap().as_ref(), b"a data key");
    assert_eq!(decrypted.key_id(), key.arn());
}

/// STS's Query protocol through the SDK: who signed the request.
async fn caller_identity(kinko: &Kinko) {
    let identity = kinko.sts().get_caller_identity().send().await.unwrap();
    assert_eq!(identity.arn(), Some(ADMIN_ARN));
    assert_eq!(identity.account(), Some(ACCOUNT));
}

/// A user allowed to read `/app/*` (and `/local/*` from loopback only),
/// and keys that do not verify.
async fn access_is_decided_on_real_signatures(kinko: &Kinko) {
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": "arn:aws:ssm:*:*:parameter/app/*",
            },
            {
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": "arn:aws:ssm:*:*:parameter/local/*",
                "Condition": { "IpAddress": { "aws:SourceIp": "127.0.0.0/8" } },
            },
        ],
    });
    let reader = kinko.user_with_policy("reader", &policy).await;
    let ssm = kinko.ssm();
    for name in ["/app/x", "/other/y", "/local/z"] {
        ssm.put_parameter()
            .name(name)
            .value("v")
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
    }

    let as_reader = kinko.ssm_as(&reader);
    let got = as_reader
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("v"));
    // The connection's peer address reaches the policy (aws:SourceIp).
    let got = as_reader
        .get_parameter()
        .name("/local/z")
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("v"));
    let err = as_reader
        .get_parameter()
        .name("/other/y")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"), "{err:?}");
    let err = as_reader
        .put_parameter()
        .name("/app/x")
        .value("w")
        .overwrite(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"), "{err:?}");
    let err = kinko
        .secrets_as(&reader)
        .get_secret_value()
        .secret_id("app/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"), "{err:?}");

    // The admin's key with a wrong secret, and a key nobody issued.
    let wrong_secret = TestCredentials {
        secret_access_key: "not-the-secret".into(),
        ..kinko.admin_credentials()
    };
    let err = kinko
        .ssm_as(&wrong_secret)
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidSignatureException"), "{err:?}");
    let unknown = TestCredentials {
        access_key_id: "AKIANOBODYISSUEDTHIS".into(),
        ..kinko.admin_credentials()
    };
    let err = kinko
        .ssm_as(&unknown)
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UnrecognizedClientException"), "{err:?}");
}

/// What the SDK lets through but the server refuses, and a body the SDK
/// would never send.
async fn malformed_requests(kinko: &Kinko) {
    let err = kinko
        .ssm()
        .put_parameter()
        .name("a/b")
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(
        err.message(),
        Some("Parameter name must be a fully qualified name.")
    );

    let (status, _, body) = kinko
        .signed_post(
            &kinko.admin_credentials(),
            "ssm",
            &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", "AmazonSSM.GetParameter"),
            ],
            br#"{"Name": "/app/x", "#,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["__type"], "SerializationException", "{body}");

    // The server still serves.
    let err = kinko
        .ssm()
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_parameter_not_found());
}
