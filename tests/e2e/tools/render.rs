//! `kinko render` and `render --check` on real-looking files.

use std::os::unix::fs::PermissionsExt;

use super::{kinko, ok, put, stderr, stdout};
use crate::support::server;

const SERVERLESS: &str = r#"service: shop-api
frameworkVersion: "3"
provider:
  name: aws
  runtime: nodejs20.x
  stage: ${opt:stage, 'dev'}
custom:
  stages:
    prod:
      dbPassword: ${ssm:/shop/prod/db/password}
      stripeKey: ${ssm:/shop/prod/stripe-key~true}
    staging:
      dbPassword: ${ssm:/shop/staging/db/password}
      stripeKey: ${ssm(us-east-1):/shop/staging/stripe-key}
    dev:
      dbPassword: ${ssm:/shop/dev/db/password, 'devpass'}
  current: ${ssm:/shop/${sls:stage}/db/password}
  api: ${ssm:/aws/reference/secretsmanager/shop/api}
  literal: \${ssm:/shop/prod/db/password}
functions:
  hello:
    handler: handler.hello
    environment:
      DB_PASSWORD: ${self:custom.stages.${sls:stage}.dbPassword}
"#;

const CLOUDFORMATION: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUsername: '{{resolve:secretsmanager:shop/db:SecretString:username}}'
      MasterUserPassword: '{{resolve:secretsmanager:shop/db:SecretString:password:AWSCURRENT}}'
      DBInstanceClass: '{{resolve:ssm:/shop/prod/instance-class:1}}'
      Tag: '{{resolve:ssm-secure:/shop/prod/db/password}}'
      Bucket: '{{resolve:s3:not-ours}}'
"#;

async fn seed(server: &kinko_testkit::KinkoServer) {
    put(server, "/shop/prod/db/password", "prod-pw-1", true).await;
    put(server, "/shop/prod/stripe-key", "sk_live_1", true).await;
    put(server, "/shop/staging/db/password", "stg-pw-1", true).await;
    put(server, "/shop/staging/stripe-key", "sk_test_1", true).await;
    put(server, "/shop/prod/instance-class", "db.t4g.micro", false).await;
    server
        .secrets()
        .create_secret()
        .name("shop/api")
        .secret_string("api-secret-1")
        .send()
        .await
        .unwrap();
    server
        .secrets()
        .create_secret()
        .name("shop/db")
        .secret_string(r#"{"username":"shop","password":"rds-pw-1"}"#)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn renders_serverless_and_cloudformation_files() {
    let server = server();
    seed(&server).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("serverless.yml"), SERVERLESS).unwrap();
    std::fs::write(dir.path().join("template.yaml"), CLOUDFORMATION).unwrap();

    let rendered = ok(&kinko(&server, dir.path(), &["render", "serverless.yml"])
        .output()
        .unwrap());
    let expected = SERVERLESS
        .replace("\\${ssm:", "<escaped>")
        .replace("${ssm:/shop/prod/db/password}", "prod-pw-1")
        .replace("${ssm:/shop/prod/stripe-key~true}", "sk_live_1")
        .replace("${ssm:/shop/staging/db/password}", "stg-pw-1")
        .replace("${ssm(us-east-1):/shop/staging/stripe-key}", "sk_test_1")
        .replace("${ssm:/shop/dev/db/password, 'devpass'}", "devpass")
        .replace(
            "${ssm:/aws/reference/secretsmanager/shop/api}",
            "api-secret-1",
        )
        .replace("<escaped>", "${ssm:");
    assert_eq!(rendered, expected);
    // Left for Serverless: the nested stage variable and ${self:…}.
    assert!(rendered.contains("current: ${ssm:/shop/${sls:stage}/db/password}"));
    assert!(rendered.contains("literal: ${ssm:/shop/prod/db/password}"));

    // From standard input to a 0600 file.
    let template = std::fs::File::open(dir.path().join("template.yaml")).unwrap();
    let output = kinko(
        &server,
        dir.path(),
        &["render", "-", "-o", "out/template.yaml"],
    )
    .stdin(template)
    .output();
    // The output directory does not exist: an error, nothing written.
    assert!(!output.unwrap().status.success());
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let template = std::fs::File::open(dir.path().join("template.yaml")).unwrap();
    let output = kinko(
        &server,
        dir.path(),
        &["render", "-", "-o", "out/template.yaml"],
    )
    .stdin(template)
    .output()
    .unwrap();
    assert_eq!(ok(&output), "");
    let out = dir.path().join("out/template.yaml");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        CLOUDFORMATION
            .replace(
                "{{resolve:secretsmanager:shop/db:SecretString:username}}",
                "shop"
            )
            .replace(
                "{{resolve:secretsmanager:shop/db:SecretString:password:AWSCURRENT}}",
                "rds-pw-1"
            )
            .replace(
                "{{resolve:ssm:/shop/prod/instance-class:1}}",
                "db.t4g.micro"
            )
            .replace("{{resolve:ssm-secure:/shop/prod/db/password}}", "prod-pw-1")
    );
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        1
    );
}

#[tokio::test]
async fn an_unresolvable_reference_writes_nothing_and_says_where() {
    let server = server();
    seed(&server).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.conf"),
        "password = ${ssm:/shop/prod/db/password}\n\
         key = {{resolve:ssm:/shop/prod/missing}}\n\
         bad = ${ssm:/shop/with space}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("out.conf"), "previous contents").unwrap();
    let output = kinko(
        &server,
        dir.path(),
        &["render", "app.conf", "-o", "out.conf"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("app.conf:2: {{resolve:ssm:/shop/prod/missing}}: not found"),
        "{err}"
    );
    assert!(
        err.contains("app.conf:3: bad reference `${ssm:/shop/with space}`"),
        "{err}"
    );
    assert!(!err.contains("prod-pw-1"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.conf")).unwrap(),
        "previous contents"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary file left"
    );

    // To stdout: nothing at all.
    let output = kinko(&server, dir.path(), &["render", "app.conf"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(stdout(&output), "");
}

#[tokio::test]
async fn check_lists_references_without_values() {
    let server = server();
    seed(&server).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("serverless.yml"), SERVERLESS).unwrap();
    let output = kinko(
        &server,
        dir.path(),
        &["render", "--check", "serverless.yml"],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("serverless.yml:10  ${ssm:/shop/prod/db/password}"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.lines().all(|l| l.ends_with("  ok")), "{text}");
    assert!(!text.contains("prod-pw-1"));

    std::fs::write(
        dir.path().join("ci.yml"),
        "a: ${ssm:/shop/prod/db/password}\nb: {{resolve:secretsmanager:shop/nope}}\n",
    )
    .unwrap();
    let output = kinko(
        &server,
        dir.path(),
        &["render", "--check", "--output", "json", "ci.yml"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report,
        serde_json::json!([
            {"file": "ci.yml", "line": 1, "text": "${ssm:/shop/prod/db/password}", "problem": null},
            {"file": "ci.yml", "line": 2, "text": "{{resolve:secretsmanager:shop/nope}}", "problem": "not found"},
        ])
    );
    assert!(stderr(&output).contains("1 of 2 references do not resolve"));
}

#[tokio::test]
async fn refused_credentials_are_reported_as_no_permission() {
    let server = server();
    seed(&server).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.conf"),
        "x = ${ssm:/shop/prod/db/password}\n",
    )
    .unwrap();
    let output = kinko(&server, dir.path(), &["render", "a.conf"])
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("a.conf:1: ${ssm:/shop/prod/db/password}: no permission"),
        "{err}"
    );
    assert_eq!(stdout(&output), "");
}
