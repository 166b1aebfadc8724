//! `kinko exec`: the child's exact environment, from paths, env files and
//! references of every form; exit codes and signals pass through; secrets
//! never reach the process table or kinko's stderr.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use super::{aws_env, kinko, ok, put, stderr};
use crate::support::server;

/// Parses `env -0` output.
fn env_map(bytes: &[u8]) -> BTreeMap<String, String> {
    bytes
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let e = String::from_utf8_lossy(e);
            let (k, v) = e.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_child_sees_exactly_the_expected_environment() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    put(&server, "/app/prod/db/password", "pw-prod", true).await;
    put(&server, "/app/prod/db/host", "db.prod.internal", false).await;
    put(&server, "/app/prod/api-key.v2", "key-prod", true).await;
    put(&server, "/app/shared/log_level", "info", false).await;
    put(&server, "/app/shared/db/host", "db.shared", false).await;
    // A parameter with two versions and a label on the first.
    put(&server, "/ref/token", "token-v1", true).await;
    put(&server, "/ref/token", "token-v2", true).await;
    server
        .ssm()
        .label_parameter_version()
        .name("/ref/token")
        .parameter_version(1)
        .labels("first")
        .send()
        .await
        .unwrap();
    let token_arn = server
        .ssm()
        .get_parameter()
        .name("/ref/token")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap()
        .arn
        .unwrap();
    // A secret with a previous version.
    let secret_arn = server
        .secrets()
        .create_secret()
        .name("db-creds")
        .secret_string(r#"{"user":"app","password":"s3cret-old"}"#)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    server
        .secrets()
        .put_secret_value()
        .secret_id("db-creds")
        .secret_string(r#"{"user":"app","password":"s3cret-new","port":5432}"#)
        .send()
        .await
        .unwrap();
    server
        .secrets()
        .create_secret()
        .name("plain-secret")
        .secret_string("plain-value")
        .send()
        .await
        .unwrap();

    let env_file = dir.path().join("app.env");
    std::fs::write(
        &env_file,
        format!(
            "# references of every form\n\
             NATIVE=ssm:/ref/token\n\
             NATIVE_VERSION=ssm:/ref/token:1\n\
             NATIVE_LABEL=ssm:/ref/token:first\n\
             SM_KEY=secretsmanager:db-creds#password\n\
             SM_PREVIOUS=secretsmanager:db-creds#password@AWSPREVIOUS\n\
             SM_WHOLE=secretsmanager:plain-secret\n\
             ECS_PARAM={token_arn}\n\
             ECS_SECRET={secret_arn}:port::\n\
             CFN_SSM={{{{resolve:ssm:/ref/token:1}}}}\n\
             CFN_SECURE={{{{resolve:ssm-secure:/ref/token}}}}\n\
             CFN_SM={{{{resolve:secretsmanager:db-creds:SecretString:user}}}}\n\
             SLS='${{ssm:/ref/token}}'\n\
             SLS_DECRYPT='${{ssm:/ref/token~true}}'\n\
             SLS_REGION='${{ssm(us-east-1):/ref/token}}'\n\
             SLS_BRIDGE='${{ssm:/aws/reference/secretsmanager/plain-secret}}'\n\
             SLS_DEFAULT=\"${{ssm:/ref/missing, 'fallback'}}\"\n\
             ESCAPED=\\ssm:/ref/token\n\
             DB_HOST=from-env-file\n\
             PLAIN=just text\n"
        ),
    )
    .unwrap();

    let output = kinko(
        &server,
        dir.path(),
        &[
            "exec",
            "--path",
            "/app/shared",
            "--path",
            "/app/prod",
            "--env-file",
            "app.env",
            "--",
            "env",
            "-0",
        ],
    )
    .env("INHERITED_REF", "ssm:/app/prod/db/host")
    .output()
    .unwrap();
    let child = env_map(ok(&output).as_bytes());

    let mut expected = aws_env(&server, dir.path());
    expected.insert("INHERITED_REF".into(), "db.prod.internal".into());
    for (k, v) in [
        ("DB_PASSWORD", "pw-prod"),
        ("DB_HOST", "db.prod.internal"),
        ("API_KEY_V2", "key-prod"),
        ("LOG_LEVEL", "info"),
        ("NATIVE", "token-v2"),
        ("NATIVE_VERSION", "token-v1"),
        ("NATIVE_LABEL", "token-v1"),
        ("SM_KEY", "s3cret-new"),
        ("SM_PREVIOUS", "s3cret-old"),
        ("SM_WHOLE", "plain-value"),
        ("ECS_PARAM", "token-v2"),
        ("ECS_SECRET", "5432"),
        ("CFN_SSM", "token-v1"),
        ("CFN_SECURE", "token-v2"),
        ("CFN_SM", "app"),
        ("SLS", "token-v2"),
        ("SLS_DECRYPT", "token-v2"),
        ("SLS_REGION", "token-v2"),
        ("SLS_BRIDGE", "plain-value"),
        ("SLS_DEFAULT", "fallback"),
        ("ESCAPED", "\\ssm:/ref/token"),
        ("PLAIN", "just text"),
    ] {
        expected.insert(k.into(), v.into());
    }
    assert_eq!(child, expected);

    // The clashes are reported, by name and origin only.
    let err = stderr(&output);
    assert!(
        err.contains("DB_HOST: parameter /app/prod/db/host replaces parameter /app/shared/db/host"),
        "{err}"
    );
    for value in [
        "pw-prod",
        "db.prod.internal",
        "token-v",
        "s3cret",
        "plain-value",
    ] {
        assert!(!err.contains(value), "{value} in stderr: {err}");
    }
}

#[tokio::test]
async fn the_command_replaces_kinko_and_keeps_its_exit_status_and_signals() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let status = kinko(&server, dir.path(), &["exec", "--", "sh", "-c", "exit 7"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(7));

    // The process kinko started is the command itself: same pid.
    let mut child = kinko(
        &server,
        dir.path(),
        &["exec", "--", "sh", "-c", "echo $$; read x"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), child.id().to_string());
    // SIGTERM reaches the command, and its death by signal is what we see.
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");

    // A command that cannot be run is kinko's error.
    let output = kinko(&server, dir.path(), &["exec", "--", "/nonexistent/cmd"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("cannot run /nonexistent/cmd"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn secrets_are_not_in_the_process_table_or_on_stderr() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let secret = "pt-secret-8d1f0c";
    let referenced = "ref-secret-77ab31";
    put(&server, "/app/prod/db/password", secret, true).await;
    put(
        &server,
        "/app/prod/other/password",
        "pt-secret-second",
        true,
    )
    .await;
    put(&server, "/other/token", referenced, true).await;
    // Clashing names and an unresolvable reference: stderr has something
    // to say, and must say it without values.
    std::fs::write(
        dir.path().join(".env"),
        "DB_PASSWORD=ssm:/other/token\nMISSING=ssm:/nope\n",
    )
    .unwrap();

    let mut child = kinko(
        &server,
        dir.path(),
        &[
            "exec",
            "--path",
            "/app/prod",
            "--env-file",
            ".env",
            "--",
            "sh",
            "-c",
            "echo ready; read x",
        ],
    )
    .env("TOKEN", "ssm:/other/token")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");

    // Every process's command line, while the command runs.
    let mut cmdlines = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(bytes) = std::fs::read(entry.path().join("cmdline")) {
            cmdlines.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let ps = std::process::Command::new("ps")
        .args(["-eo", "pid,args"])
        .output()
        .unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout).into_owned();
    assert!(
        cmdlines.iter().any(|c| c.contains("echo ready")),
        "the child is listed"
    );
    assert!(ps.contains("echo ready"), "{ps}");
    for value in [secret, referenced, "pt-secret-second"] {
        assert!(
            !cmdlines.iter().any(|c| c.contains(value)),
            "{value} in /proc/*/cmdline"
        );
        assert!(!ps.contains(value), "{value} in ps");
    }
    // The child did get them.
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    assert!(String::from_utf8_lossy(&environ).contains(referenced));

    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("DB_PASSWORD: parameter /app/prod/db/password replaces .env:1"),
        "{err}"
    );
    assert!(
        err.contains("MISSING (from .env:2): `ssm:/nope`: not found; left unset"),
        "{err}"
    );
    for value in [secret, referenced, "pt-secret-second"] {
        assert!(!err.contains(value), "{value} in stderr: {err}");
    }
}

#[tokio::test]
async fn strict_fails_before_starting_the_command() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    put(&server, "/app/prod/x", "x-value-123", true).await;
    let output = kinko(
        &server,
        dir.path(),
        &[
            "exec",
            "--strict",
            "--path",
            "/app/prod",
            "--",
            "touch",
            "started",
        ],
    )
    .env("A", "ssm:/app/prod/missing")
    .env("B", "secretsmanager:nope#key")
    .env("C", "ssm:/bad name")
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(
        !dir.path().join("started").exists(),
        "the command must not run"
    );
    let err = stderr(&output);
    assert!(
        err.contains("A (from the inherited environment): `ssm:/app/prod/missing`: not found"),
        "{err}"
    );
    assert!(
        err.contains("B (from the inherited environment): `secretsmanager:nope#key`: not found"),
        "{err}"
    );
    assert!(
        err.contains("C (from the inherited environment): bad reference `ssm:/bad name`"),
        "{err}"
    );
    assert!(!err.contains("x-value-123"));

    // An empty path is an error too under --strict.
    let output = kinko(
        &server,
        dir.path(),
        &["exec", "--strict", "--path", "/nothing", "--", "true"],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--path /nothing: no parameters found"));
}
