//! Shared helpers for the end-to-end tests.

use std::process::{Command, Output};

use aws_sdk_ssm::error::ProvideErrorMetadata;
use kinko_server::listener::ConnectionInfo;
use kinko_server::{Server, ServerConfig};
use kinko_testkit::{InProcess, KinkoServer, TestCredentials, ini_value};

/// A fresh server with its own data directory and admin key.
pub fn server() -> KinkoServer {
    KinkoServer::builder(env!("CARGO_BIN_EXE_kinko")).start()
}

/// A fresh dev-mode server (in-memory, any credentials).
pub fn dev_server() -> KinkoServer {
    KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .dev()
        .start()
}

/// The AWS error code of an SDK error (`ParameterNotFound`, …).
pub fn code<E, R>(err: &aws_sdk_ssm::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata,
{
    err.code().unwrap_or("<no code>").to_owned()
}

/// The AWS error message of an SDK error.
pub fn message<E, R>(err: &aws_sdk_ssm::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata,
{
    err.message().unwrap_or("<no message>").to_owned()
}

/// A kinko in this process: `kinko_server::Server::open` as `kinko server`
/// runs it (not `--dev`: a real admin key, deny by default, the audit log
/// on), over a SQLite store in its own temporary data directory, driven
/// through kinko-testkit's connector with no socket. Derefs to
/// [`InProcess`], so `server.ssm()` and friends read as with a spawned one.
pub struct InProcessServer {
    kinko: InProcess,
    /// Kept alive with the server: the store and the root key live here.
    _data: tempfile::TempDir,
}

impl std::ops::Deref for InProcessServer {
    type Target = InProcess;

    fn deref(&self) -> &InProcess {
        &self.kinko
    }
}

pub async fn in_process() -> InProcessServer {
    let data = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::dev("127.0.0.1:0".parse().unwrap());
    config.dev = false;
    config.data_dir = data.path().to_path_buf();
    config.root_key = kinko_server::root_key::RootKeySource::File {
        path: kinko_server::data_dir::DataDir::new(config.data_dir.clone()).root_key(),
        create: true,
    };
    let server = Server::open(config).await.unwrap();
    let file = std::fs::read_to_string(server.data_dir().credentials()).unwrap();
    let admin = TestCredentials {
        access_key_id: ini_value(&file, "aws_access_key_id"),
        secret_access_key: ini_value(&file, "aws_secret_access_key"),
        session_token: None,
    };
    let kinko = InProcess::new(server.router())
        .extension(ConnectionInfo {
            remote: InProcess::PEER,
            secure: false,
        })
        .credentials(&admin);
    InProcessServer { kinko, _data: data }
}

/// `kinko ARGS` as the server's admin, with nothing of the developer's
/// own AWS set-up.
pub fn kinko(server: &KinkoServer, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_kinko"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_REGION", kinko_testkit::REGION)
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .output()
        .unwrap()
}

/// `kinko ARGS` as the admin, expected to succeed: its stdout.
pub fn kinko_ok(server: &KinkoServer, args: &[&str]) -> String {
    let out = kinko(server, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "kinko {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
