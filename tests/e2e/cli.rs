//! The user's first session: the aws CLI against a fresh server, `kinko env`,
//! the files first start creates (and their modes), a refused world-readable
//! root key, `--help`, and the `--config` file.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kinko_testkit::KinkoServer;
use serde_json::Value;

use crate::support::server;

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// How long a server that should refuse to start may take to exit. A bound on
/// waiting, not a performance assertion.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(60);

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "aws CLI failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Runs `kinko server ARGS` expecting it to refuse to start: returns its
/// exit status and everything it printed. Kills it (and fails) if it is
/// still running after [`REFUSAL_TIMEOUT`].
fn server_refusal(args: &[&std::ffi::OsStr]) -> (std::process::ExitStatus, String) {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("out.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(KINKO)
        .arg("server")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .args(args)
        .env_remove("KINKO_ROOT_KEY")
        .env_remove("KINKO_ROOT_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > REFUSAL_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "kinko server did not refuse to start; output:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, std::fs::read_to_string(&log_path).unwrap())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `kinko env --data-dir DIR` → the exported (name, value) pairs, unquoted.
fn kinko_env(data_dir: &Path) -> Vec<(String, String)> {
    let output = Command::new(KINKO)
        .arg("env")
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("KINKO_DATA_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "kinko env failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), unquote(v)))
        .collect()
}

/// Undoes POSIX single or double quoting of a simple value.
fn unquote(value: &str) -> String {
    let value = value.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner.replace("'\\''", "'");
        }
    }
    value.to_owned()
}

fn exported<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    vars.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("kinko env did not export {name}: {vars:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_session_through_the_aws_cli() {
    let server = server();

    let put = stdout_json(&server.aws_cli(&[
        "ssm",
        "put-parameter",
        "--name",
        "/app/prod/db/password",
        "--type",
        "SecureString",
        "--value",
        "s3cr3t",
    ]));
    assert_eq!(put["Version"], 1, "{put}");
    stdout_json(&server.aws_cli(&[
        "ssm",
        "put-parameter",
        "--name",
        "/app/prod/api/url",
        "--type",
        "String",
        "--value",
        "api.example.com",
    ]));
    stdout_json(&server.aws_cli(&[
        "ssm",
        "put-parameter",
        "--name",
        "/app/dev/db/password",
        "--type",
        "SecureString",
        "--value",
        "not-prod",
    ]));

    let got = stdout_json(&server.aws_cli(&[
        "ssm",
        "get-parameter",
        "--name",
        "/app/prod/db/password",
        "--with-decryption",
    ]));
    let parameter = &got["Parameter"];
    assert_eq!(parameter["Name"], "/app/prod/db/password", "{got}");
    assert_eq!(parameter["Value"], "s3cr3t", "{got}");
    assert_eq!(parameter["Version"], 1, "{got}");
    assert_eq!(parameter["Type"], "SecureString", "{got}");

    let by_path = stdout_json(&server.aws_cli(&[
        "ssm",
        "get-parameters-by-path",
        "--path",
        "/app/prod",
        "--recursive",
        "--with-decryption",
    ]));
    let mut found: Vec<(String, String)> = by_path["Parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("no Parameters: {by_path}"))
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().unwrap().to_owned(),
                p["Value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("/app/prod/api/url".to_owned(), "api.example.com".to_owned()),
            ("/app/prod/db/password".to_owned(), "s3cr3t".to_owned()),
        ]
    );

    let missing = server.aws_cli(&["ssm", "get-parameter", "--name", "/app/prod/nope"]);
    assert!(!missing.status.success(), "a missing parameter succeeded");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("ParameterNotFound"), "stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kinko_env_points_a_shell_at_the_server() {
    let server = server();
    let vars = kinko_env(&server.data_dir);
    assert_eq!(exported(&vars, "AWS_ENDPOINT_URL"), server.endpoint);
    assert_eq!(exported(&vars, "AWS_ACCESS_KEY_ID"), server.access_key_id);
    assert_eq!(
        exported(&vars, "AWS_SECRET_ACCESS_KEY"),
        server.secret_access_key
    );
    assert_eq!(exported(&vars, "AWS_REGION"), "us-east-1");

    let put = stdout_json(&server.aws_cli(&[
        "ssm",
        "put-parameter",
        "--name",
        "/env/check",
        "--type",
        "SecureString",
        "--value",
        "from-eval",
    ]));
    assert_eq!(put["Version"], 1);

    // A shell with nothing but what `kinko env` gives it: no AWS variables,
    // config and credentials files that do not exist.
    let home = tempfile::tempdir().unwrap();
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(
            r#"set -e
eval "$("$KINKO_BIN" env --data-dir "$KINKO_DIR")"
aws ssm get-parameter --name /env/check --with-decryption --output json"#,
        )
        .env("KINKO_BIN", KINKO)
        .env("KINKO_DIR", &server.data_dir)
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("no-credentials"),
        )
        .env("AWS_PAGER", "")
        .env_remove("KINKO_DATA_DIR");
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_")
            && !matches!(
                name.as_str(),
                "AWS_CONFIG_FILE" | "AWS_SHARED_CREDENTIALS_FILE" | "AWS_PAGER"
            )
        {
            shell.env_remove(name);
        }
    }
    let output = shell.output().unwrap();
    let got = stdout_json(&output);
    assert_eq!(got["Parameter"]["Value"], "from-eval", "{got}");
    assert_eq!(got["Parameter"]["Type"], "SecureString", "{got}");
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_creates_private_key_and_credentials_files() {
    let server = server();
    let root_key = server.data_path("root.key");
    let credentials = server.data_path("credentials");
    assert_eq!(mode(&root_key), 0o600, "{}", root_key.display());
    assert_eq!(mode(&credentials), 0o600, "{}", credentials.display());
    let text = std::fs::read_to_string(&credentials).unwrap();
    assert!(text.contains("[kinko]"), "{text}");
    assert!(text.contains(&server.access_key_id), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_or_world_readable_root_key_file_is_refused() {
    let first = server();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("shared.key");
    std::fs::copy(first.data_path("root.key"), &key).unwrap();

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let data = dir.path().join("data-644");
    let (status, output) = server_refusal(&[
        "--data-dir".as_ref(),
        data.as_os_str(),
        "--root-key-file".as_ref(),
        key.as_os_str(),
    ]);
    assert!(!status.success(), "started with a 0644 key: {output}");
    assert!(
        output.contains(&key.display().to_string()),
        "the refusal does not name {}: {output}",
        key.display()
    );

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (status, output) = server_refusal(&[
        "--data-dir".as_ref(),
        dir.path().join("data-640").as_os_str(),
        "--root-key-file".as_ref(),
        key.as_os_str(),
    ]);
    assert!(!status.success(), "started with a 0640 key: {output}");

    // The control: the same file at 0600 is accepted.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let accepted = KinkoServer::builder(KINKO)
        .arg("--root-key-file")
        .arg(key.display().to_string())
        .start();
    let put = stdout_json(&accepted.aws_cli(&[
        "ssm",
        "put-parameter",
        "--name",
        "/key/ok",
        "--type",
        "SecureString",
        "--value",
        "v",
    ]));
    assert_eq!(put["Version"], 1);
}

#[test]
fn server_help_lists_every_flag() {
    let output = Command::new(KINKO)
        .args(["server", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--listen",
        "--data-dir",
        "--dev",
        "--region",
        "--account-id",
        "--root-key-file",
        "--config",
        "--header-timeout",
        "--idle-timeout",
        "--request-timeout",
        "--max-connections",
    ] {
        assert!(
            help.contains(flag),
            "`kinko server --help` lacks {flag}:\n{help}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_file_sets_the_region() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kinko.toml");
    std::fs::write(&config, "region = \"eu-west-1\"\n").unwrap();
    let server = KinkoServer::builder(KINKO)
        .arg("--config")
        .arg(config.display().to_string())
        .start();
    let vars = kinko_env(&server.data_dir);
    assert_eq!(exported(&vars, "AWS_REGION"), "eu-west-1", "{vars:?}");
    assert_eq!(exported(&vars, "AWS_ENDPOINT_URL"), server.endpoint);
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kinko.toml");
    std::fs::write(&config, "region = \"eu-west-1\"\nregoin = \"eu-west-2\"\n").unwrap();
    let data = dir.path().join("data");
    let (status, output) = server_refusal(&[
        "--data-dir".as_ref(),
        data.as_os_str(),
        "--config".as_ref(),
        config.as_os_str(),
    ]);
    assert!(!status.success(), "started with an unknown key: {output}");
    assert!(
        output.contains("regoin"),
        "the refusal does not name the key: {output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_come_from_flags_then_the_environment_then_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kinko.toml");
    std::fs::write(
        &config,
        "header_timeout = \"3s\"\nidle_timeout = \"4s\"\nrequest_timeout = \"5s\"\nmax_connections = 50\n",
    )
    .unwrap();
    let server = KinkoServer::builder(KINKO)
        .dev()
        .arg("--config")
        .arg(config.display().to_string())
        .arg("--max-connections")
        .arg("70")
        .env("KINKO_MAX_CONNECTIONS", "60")
        .env("KINKO_IDLE_TIMEOUT", "2m")
        .start();
    let logs = server.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("kinko listening"))
        .unwrap_or_else(|| panic!("no start-up line:\n{logs}"));
    for expected in [
        "header_timeout=3s",  // the file
        "idle_timeout=120s",  // the environment over the file
        "request_timeout=5s", // the file
        "max_connections=70", // the flag over both
    ] {
        assert!(line.contains(expected), "{expected} not in: {line}");
    }
}

#[test]
fn a_bad_limit_in_the_environment_is_refused_by_name() {
    let output = Command::new(KINKO)
        .args(["server", "--dev", "--listen", "127.0.0.1:0"])
        .env("KINKO_HEADER_TIMEOUT", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--header-timeout"), "{stderr}");
    assert!(stderr.contains("`soon` is not a duration"), "{stderr}");
}
