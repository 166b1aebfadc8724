//! Other clients: a boto3 container start-up script, the aws CLI, and the
//! Parameter Store bridge (`/aws/reference/secretsmanager/<name>`).

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::KinkoServer;

use super::create;
use crate::support::{self, code, message};

/// Runs tests/scripts/container_start.py the way a container runs its
/// entrypoint: endpoint and credentials from the environment only, with the
/// developer's own AWS config files out of reach.
fn container_start(server: &KinkoServer, args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/container_start.py");
    let nowhere = server.data_path("no-such-aws-dir");
    Command::new("python3")
        .arg(script)
        .args(args)
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .env("AWS_REGION", kinko_testkit::REGION)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ENDPOINT_URL_SECRETS_MANAGER")
        .output()
        .expect("run python3")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_start_script_reads_the_json_secret_with_boto3() {
    let server = support::server();
    let sm = server.secrets();
    let created = create(
        &sm,
        "prod/web/env",
        r#"{"DATABASE_URL":"postgres://app:s3cr3t@db:5432/app","API_KEY":"k-123","UNUSED":"x"}"#,
    )
    .await;
    let version = created.version_id().unwrap();

    let out = container_start(&server, &["prod/web/env", "DATABASE_URL", "API_KEY"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "script failed: {stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "DATABASE_URL=postgres://app:s3cr3t@db:5432/app\nAPI_KEY=k-123\nversion={version}\n"
        )
    );

    // By ARN too, as task definitions usually reference it.
    let out = container_start(&server, &[created.arn().unwrap(), "API_KEY"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("API_KEY=k-123\n"));

    // A missing secret: boto3 sees AWS's error code.
    let out = container_start(&server, &["prod/web/missing", "API_KEY"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: ResourceNotFoundException\n"
    );
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "aws CLI failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "aws CLI printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_secretsmanager_and_kms_session() {
    let server = support::server();

    let created = stdout_json(&server.aws_cli(&[
        "secretsmanager",
        "create-secret",
        "--name",
        "db",
        "--secret-string",
        r#"{"u":"x"}"#,
        "--description",
        "from the CLI",
    ]));
    assert_eq!(created["Name"], "db", "{created}");
    let arn = created["ARN"].as_str().expect("ARN");
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:"),
        "{arn}"
    );
    assert!(created["VersionId"].is_string(), "{created}");

    let got =
        stdout_json(&server.aws_cli(&["secretsmanager", "get-secret-value", "--secret-id", "db"]));
    assert_eq!(got["SecretString"], r#"{"u":"x"}"#, "{got}");
    assert_eq!(got["ARN"], arn);
    assert_eq!(got["VersionStages"], serde_json::json!(["AWSCURRENT"]));
    assert_eq!(got["VersionId"], created["VersionId"]);

    let text = server.aws_cli(&[
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        "db",
        "--query",
        "SecretString",
        "--output",
        "text",
    ]);
    assert_eq!(String::from_utf8_lossy(&text.stdout), "{\"u\":\"x\"}\n");

    let missing = server.aws_cli(&["secretsmanager", "get-secret-value", "--secret-id", "nope"]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    assert!(
        stderr.contains("Secrets Manager can't find the specified secret."),
        "{stderr}"
    );

    let key = stdout_json(&server.aws_cli(&["kms", "describe-key", "--key-id", "alias/aws/ssm"]));
    assert_eq!(key["KeyMetadata"]["KeyManager"], "AWS", "{key}");
    assert_eq!(key["KeyMetadata"]["KeyState"], "Enabled", "{key}");
    assert!(
        key["KeyMetadata"]["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:kms:us-east-1:"),
        "{key}"
    );
}

/// Parses a `SourceResult` and checks it holds exactly AWS's keys, with a
/// `createdDate` in AWS's text form (`Nov 10, 2020, 10:05:44 PM`).
fn source_result(text: &str) -> serde_json::Value {
    let source: serde_json::Value = serde_json::from_str(text).expect("SourceResult is JSON");
    let mut keys: Vec<&str> = source
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let value_key = if source.get("secretBinary").is_some() {
        "secretBinary"
    } else {
        "secretString"
    };
    let mut expected = vec![
        "ARN",
        "createdDate",
        "name",
        value_key,
        "versionId",
        "versionStages",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected, "{source}");
    let date = source["createdDate"].as_str().expect("createdDate is text");
    let (month, rest) = date.split_once(' ').expect("month");
    assert!(
        [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
        ]
        .contains(&month),
        "{date}"
    );
    assert!(rest.ends_with(" AM") || rest.ends_with(" PM"), "{date}");
    assert_eq!(rest.matches(", ").count(), 2, "{date}");
    source
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_store_reads_secrets_through_the_reference_path() {
    let server = support::server();
    let sm = server.secrets();
    let ssm = server.ssm();
    create(&sm, "prod/db/password", "hunter2").await;

    let got = ssm
        .get_parameter()
        .name("/aws/reference/secretsmanager/prod/db/password")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    let parameter = got.parameter().unwrap();
    assert_eq!(parameter.value(), Some("hunter2"));
    assert_eq!(parameter.r#type(), Some(&ParameterType::SecureString));
    assert!(
        parameter
            .arn()
            .unwrap()
            .contains(":secret:prod/db/password-")
    );
    // No DataType on a reference; SourceResult carries the secret's
    // GetSecretValue result as a JSON string, in AWS's own key spelling.
    assert_eq!(parameter.data_type(), None);
    assert_eq!(parameter.version(), 0);
    let source = source_result(parameter.source_result().expect("SourceResult"));
    assert_eq!(source["name"], "prod/db/password");
    assert_eq!(source["ARN"].as_str(), parameter.arn());
    assert_eq!(source["secretString"], "hunter2");
    assert_eq!(source["versionStages"], serde_json::json!(["AWSCURRENT"]));
    let current = sm
        .describe_secret()
        .secret_id("prod/db/password")
        .send()
        .await
        .unwrap();
    let version_id = current
        .version_ids_to_stages()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert_eq!(source["versionId"].as_str(), Some(version_id.as_str()));

    // The reference follows the secret's AWSCURRENT.
    super::put(&sm, "prod/db/password", "correct horse").await;
    let got = ssm
        .get_parameter()
        .name("/aws/reference/secretsmanager/prod/db/password")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("correct horse"));

    for decrypt in [Some(false), None] {
        let err = ssm
            .get_parameter()
            .name("/aws/reference/secretsmanager/prod/db/password")
            .set_with_decryption(decrypt)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{decrypt:?}");
        assert_eq!(
            message(&err),
            "WithDecryption flag must be True for retrieving a Secret Manager secret.",
            "{decrypt:?}"
        );
    }

    // A missing secret: ParameterNotFound in AWS's referencing wording.
    let err = ssm
        .get_parameter()
        .name("/aws/reference/secretsmanager/prod/none")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    assert_eq!(
        message(&err),
        "An error occurred (ParameterNotFound) when referencing Secrets Manager: \
         Secret /aws/reference/secretsmanager/prod/none not found."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_reads_a_reference_with_aws_source_result() {
    let server = support::server();
    let created = stdout_json(&server.aws_cli(&[
        "secretsmanager",
        "create-secret",
        "--name",
        "cli/db",
        "--secret-string",
        r#"{"password":"pw"}"#,
    ]));
    let got = stdout_json(&server.aws_cli(&[
        "ssm",
        "get-parameter",
        "--name",
        "/aws/reference/secretsmanager/cli/db:AWSCURRENT",
        "--with-decryption",
    ]));
    let p = &got["Parameter"];
    assert_eq!(p["Name"], "/aws/reference/secretsmanager/cli/db", "{got}");
    assert_eq!(p["Type"], "SecureString", "{got}");
    assert_eq!(p["Value"], r#"{"password":"pw"}"#, "{got}");
    assert_eq!(p["Version"], 0, "{got}");
    assert_eq!(p["Selector"], ":AWSCURRENT", "{got}");
    assert_eq!(p["ARN"], created["ARN"], "{got}");
    assert!(p.get("DataType").is_none(), "{got}");
    let source = source_result(p["SourceResult"].as_str().expect("SourceResult string"));
    assert_eq!(source["ARN"], created["ARN"]);
    assert_eq!(source["name"], "cli/db");
    assert_eq!(source["versionId"], created["VersionId"]);
    assert_eq!(source["secretString"], r#"{"password":"pw"}"#);
    assert_eq!(source["versionStages"], serde_json::json!(["AWSCURRENT"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_secret_through_the_reference_path() {
    let server = support::server();
    let sm = server.secrets();
    sm.create_secret()
        .name("bin")
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(vec![
            0u8, 0xff, 0x80,
        ]))
        .send()
        .await
        .unwrap();
    let got = server
        .ssm()
        .get_parameter()
        .name("/aws/reference/secretsmanager/bin")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    let p = got.parameter().unwrap();
    assert_eq!(p.value(), Some("AP+A"));
    assert_eq!(p.r#type(), Some(&ParameterType::SecureString));
    let source = source_result(p.source_result().unwrap());
    assert_eq!(source["secretBinary"], "AP+A");
    assert_eq!(source["name"], "bin");
}
