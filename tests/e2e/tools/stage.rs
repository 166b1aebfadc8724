//! `kinko import`, `export` and `diff`: round trips in every format, safe
//! re-runs, and diff's exit codes.

use kinko_client::formats::{self, Format};

use super::{kinko, ok, put, stderr, stdout};
use crate::support::server;

fn values(format: Format, text: &str) -> Vec<(String, String)> {
    formats::parse(format, text)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.expose().to_owned()))
        .collect()
}

#[tokio::test]
async fn import_then_export_round_trips_every_format() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "json",
            Format::Json,
            "stage.json",
            r#"{"db": {"host": "db.internal", "password": "p@ss w'rd\"\\"}, "port": 5432, "multi": "a\nb"}"#,
        ),
        (
            "dotenv",
            Format::Dotenv,
            "stage.env",
            "DB_HOST=db.internal\nDB_PASSWORD='p@ss w\"rd'\nMULTI=\"a\\nb\"\n",
        ),
        (
            "yaml",
            Format::Yaml,
            "stage.yaml",
            "db:\n  host: db.internal\n  password: \"p@ss w'rd\"\nport: 5432\nflag: yes-really\n",
        ),
    ];
    for (name, format, file, text) in files {
        std::fs::write(dir.path().join(file), text).unwrap();
        let path = format!("/rt/{name}");
        let output = ok(
            &kinko(&server, dir.path(), &["import", "--path", &path, file])
                .output()
                .unwrap(),
        );
        let count = values(format, text).len();
        assert!(
            output.contains(&format!("{count} to create, 0 to update, 0 unchanged")),
            "{output}"
        );
        let exported = ok(&kinko(
            &server,
            dir.path(),
            &["export", "--path", &path, "--format", name],
        )
        .output()
        .unwrap());
        assert_eq!(
            values(format, &exported),
            values(format, text),
            "{name}:\n{exported}"
        );
    }

    // SSM has no empty values: refused before anything is written.
    std::fs::write(dir.path().join("empty.env"), "A=1\nB=\n").unwrap();
    let output = kinko(
        &server,
        dir.path(),
        &["import", "--path", "/rt/empty", "empty.env"],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("/rt/empty/B: SSM parameters cannot be empty"),
        "{}",
        stderr(&output)
    );
    let listed = server
        .ssm()
        .get_parameters_by_path()
        .path("/rt/empty")
        .send()
        .await
        .unwrap();
    assert!(listed.parameters().is_empty());

    // Stored as SecureString by default.
    let parameter = server
        .ssm()
        .get_parameter()
        .with_decryption(true)
        .name("/rt/json/db/password")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(parameter.r#type.unwrap().as_str(), "SecureString");

    // The env format: shell lines.
    let env = ok(&kinko(
        &server,
        dir.path(),
        &["export", "--path", "/rt/json", "--format", "env"],
    )
    .output()
    .unwrap());
    assert!(env.contains("export DB_HOST='db.internal'\n"), "{env}");
}

#[tokio::test]
async fn importing_twice_makes_no_new_versions() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.json"), r#"{"a": "1", "b": {"c": "2"}}"#).unwrap();
    ok(&kinko(
        &server,
        dir.path(),
        &["import", "--path", "/twice", "s.json"],
    )
    .output()
    .unwrap());
    let second = ok(&kinko(
        &server,
        dir.path(),
        &["import", "--path", "/twice", "s.json"],
    )
    .output()
    .unwrap());
    assert!(
        second.contains("0 to create, 0 to update, 2 unchanged"),
        "{second}"
    );
    assert!(second.contains("0 written"), "{second}");
    for name in ["/twice/a", "/twice/b/c"] {
        let p = server
            .ssm()
            .get_parameter()
            .with_decryption(true)
            .name(name)
            .send()
            .await
            .unwrap()
            .parameter
            .unwrap();
        assert_eq!(p.version, 1, "{name}");
    }

    // A changed value: a dry run plans it and writes nothing.
    std::fs::write(
        dir.path().join("s.json"),
        r#"{"a": "1", "b": {"c": "3"}, "d": "4"}"#,
    )
    .unwrap();
    let output = kinko(
        &server,
        dir.path(),
        &[
            "import",
            "--path",
            "/twice",
            "--dry-run",
            "--output",
            "json",
            "s.json",
        ],
    )
    .output()
    .unwrap();
    let plan: serde_json::Value = serde_json::from_str(&ok(&output)).unwrap();
    assert_eq!(
        plan["plan"],
        serde_json::json!([
            {"name": "/twice/a", "action": "unchanged"},
            {"name": "/twice/b/c", "action": "update"},
            {"name": "/twice/d", "action": "create"},
        ])
    );
    assert_eq!(plan["applied"], false);
    let p = server
        .ssm()
        .get_parameter()
        .with_decryption(true)
        .name("/twice/b/c")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!((p.version, p.value.as_deref()), (1, Some("2")));
    ok(&kinko(
        &server,
        dir.path(),
        &["import", "--path", "/twice", "--type", "string", "s.json"],
    )
    .output()
    .unwrap());
    let p = server
        .ssm()
        .get_parameter()
        .with_decryption(true)
        .name("/twice/b/c")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!((p.version, p.value.as_deref()), (2, Some("3")));
    let p = server
        .ssm()
        .get_parameter()
        .with_decryption(true)
        .name("/twice/d")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(p.r#type.unwrap().as_str(), "String");
}

#[tokio::test]
async fn import_a_whole_document_as_one_secret() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("db.json"),
        r#"{"user": "app", "password": "pw"}"#,
    )
    .unwrap();
    let first = ok(&kinko(
        &server,
        dir.path(),
        &["import", "--secret", "app/db", "db.json"],
    )
    .output()
    .unwrap());
    assert_eq!(first, "create  secret app/db\n");
    let again = ok(&kinko(
        &server,
        dir.path(),
        &["import", "--secret", "app/db", "db.json"],
    )
    .output()
    .unwrap());
    assert_eq!(again, "unchanged  secret app/db\n");
    let value = server
        .secrets()
        .get_secret_value()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert_eq!(
        value.secret_string(),
        Some(r#"{"user": "app", "password": "pw"}"#)
    );
    let versions = server
        .secrets()
        .list_secret_version_ids()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
}

#[tokio::test]
async fn diff_reports_keys_and_exits_by_difference() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [
        ("/diff/staging/db/password", "stg-pw-1"),
        ("/diff/staging/db/host", "h"),
        ("/diff/staging/new_flag", "on"),
        ("/diff/prod/db/password", "prod-pw-1"),
        ("/diff/prod/db/host", "h"),
        ("/diff/prod2/db/host", "h"),
    ] {
        put(&server, name, value, true).await;
    }
    let output = kinko(
        &server,
        dir.path(),
        &["diff", "/diff/staging", "/diff/prod"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(
        text,
        "only in /diff/staging  new_flag\n\
         different              db/password\n\
         1 only in /diff/staging, 0 only in /diff/prod, 1 different, 1 same\n"
    );
    let shown = stdout(
        &kinko(
            &server,
            dir.path(),
            &["diff", "--show-values", "/diff/staging", "/diff/prod"],
        )
        .output()
        .unwrap(),
    );
    assert!(shown.contains(r#""stg-pw-1" → "prod-pw-1""#), "{shown}");

    let output = kinko(
        &server,
        dir.path(),
        &["diff", "--output", "json", "/diff/staging", "/diff/prod"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["only_in_a"], serde_json::json!(["new_flag"]));
    assert_eq!(report["different"], serde_json::json!(["db/password"]));
    assert!(!stdout(&output).contains("pw-1"));

    // Equal: exit 0. A path against a secret with the same keys: exit 0.
    put(&server, "/diff/prod3/db/host", "h", false).await;
    let same = kinko(&server, dir.path(), &["diff", "/diff/prod2", "/diff/prod3"])
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    server
        .secrets()
        .create_secret()
        .name("diff-secret")
        .secret_string(r#"{"db": {"host": "h"}}"#)
        .send()
        .await
        .unwrap();
    let same = kinko(&server, dir.path(), &["diff", "/diff/prod2", "diff-secret"])
        .output()
        .unwrap();
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );

    // An error: exit 2.
    let error = kinko(
        &server,
        dir.path(),
        &["diff", "/diff/prod2", "no-such-secret"],
    )
    .output()
    .unwrap();
    assert_eq!(error.status.code(), Some(2));
    assert!(
        stderr(&error).contains("secretsmanager:no-such-secret"),
        "{}",
        stderr(&error)
    );
}
