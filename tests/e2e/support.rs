//! Shared helpers for the end-to-end tests.

use aws_sdk_ssm::error::ProvideErrorMetadata;
use kinko_testkit::KinkoServer;

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
