//! The client tools (`kinko exec`, `render`, `import`, `export`, `diff`)
//! against a real server, as a user runs them: the `kinko` binary with the
//! standard AWS environment variables pointing at the server, and no AWS
//! config or credentials files.

mod batching;
mod exec;
mod render;
mod stage;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, REGION};

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// `kinko ARGS` with an environment holding only what the AWS SDK needs to
/// reach `server` (and `PATH`), run in `dir`.
pub(crate) fn kinko(server: &KinkoServer, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(KINKO);
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(aws_env(server, dir));
    command
}

/// The environment `kinko` runs with in these tests.
pub(crate) fn aws_env(server: &KinkoServer, dir: &Path) -> BTreeMap<String, String> {
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("AWS_ENDPOINT_URL", server.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", server.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_access_key.clone()),
        ("AWS_REGION", REGION.to_owned()),
        (
            "AWS_CONFIG_FILE",
            dir.join("no-aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub(crate) fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "kinko failed ({}): {}",
        output.status,
        stderr(output)
    );
    stdout(output)
}

/// Puts a parameter (overwriting), returns its version.
pub(crate) async fn put(server: &KinkoServer, name: &str, value: &str, secure: bool) -> i64 {
    server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(if secure {
            ParameterType::SecureString
        } else {
            ParameterType::String
        })
        .overwrite(true)
        .send()
        .await
        .unwrap()
        .version
}
