//! All references of one run are fetched in as few calls as the APIs allow:
//! `GetParameters` 10 names a call, `BatchGetSecretValue` 20 ids a call,
//! `GetSecretValue` only for a secret at a stage or version id. Counted from
//! the server's one-line-per-request log.

use kinko_testkit::KinkoServer;

use super::{kinko, ok, put};

/// How many requests of `operation` the server has logged.
fn calls(server: &KinkoServer, operation: &str) -> usize {
    server
        .logs()
        .lines()
        .filter(|l| l.contains(&format!(".{operation} ")) || l.contains(&format!(".{operation}\"")))
        .count()
}

#[tokio::test]
async fn one_render_uses_the_fewest_calls() {
    let server = KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .env("KINKO_LOG", "kinko_server=debug")
        .start();
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut expected = String::new();
    for i in 0..25 {
        put(&server, &format!("/batch/p{i:02}"), &format!("pv{i}"), true).await;
        text.push_str(&format!("${{ssm:/batch/p{i:02}}}\n"));
        expected.push_str(&format!("pv{i}\n"));
    }
    // The same reference twice is fetched once.
    text.push_str("${ssm:/batch/p00}\n");
    expected.push_str("pv0\n");
    for i in 0..22 {
        server
            .secrets()
            .create_secret()
            .name(format!("bs-{i:02}"))
            .secret_string(format!("sv{i}"))
            .send()
            .await
            .unwrap();
        text.push_str(&format!("{{{{resolve:secretsmanager:bs-{i:02}}}}}\n"));
        expected.push_str(&format!("sv{i}\n"));
    }
    text.push_str("{{resolve:secretsmanager:bs-00:SecretString::AWSCURRENT}}\n");
    expected.push_str("sv0\n");
    std::fs::write(dir.path().join("many.txt"), &text).unwrap();

    let before = (
        calls(&server, "GetParameters"),
        calls(&server, "BatchGetSecretValue"),
        calls(&server, "GetSecretValue"),
    );
    assert_eq!(before, (0, 0, 0), "the log names operations as expected");
    let rendered = ok(&kinko(&server, dir.path(), &["render", "many.txt"])
        .output()
        .unwrap());
    assert_eq!(rendered, expected);
    assert_eq!(calls(&server, "GetParameters"), 3, "25 names: 10 + 10 + 5");
    assert_eq!(calls(&server, "BatchGetSecretValue"), 2, "22 ids: 20 + 2");
    assert_eq!(calls(&server, "GetSecretValue"), 1, "only the staged one");
}
