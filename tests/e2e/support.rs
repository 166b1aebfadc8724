//! Shared helpers for the end-to-end tests.

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
