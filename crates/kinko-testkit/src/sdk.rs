//! The official SDK clients a test signs with, built one way whether they
//! reach a spawned server over a socket or the router in this process: only
//! the [`Target`] differs.

use aws_credential_types::Credentials;
use aws_sdk_ssm::config::{BehaviorVersion, Region, SharedHttpClient};
use aws_smithy_types::retry::RetryConfig;

/// Where a test's SDK clients send their requests, and how.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The URL the SDK puts in every request and signs the host of.
    pub endpoint_url: String,
    /// The in-process connector; `None`: the SDK's own HTTPS client, over a
    /// socket.
    pub http_client: Option<SharedHttpClient>,
    /// Disabled by default: retries would hide the first answer, and tests
    /// assert on it.
    pub retry: RetryConfig,
}

pub(crate) fn ssm(target: &Target, region: &str, credentials: Credentials) -> aws_sdk_ssm::Client {
    let mut config = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(&target.endpoint_url)
        .credentials_provider(credentials)
        .retry_config(target.retry.clone());
    config.set_http_client(target.http_client.clone());
    aws_sdk_ssm::Client::from_conf(config.build())
}

pub(crate) fn secrets(
    target: &Target,
    region: &str,
    credentials: Credentials,
) -> aws_sdk_secretsmanager::Client {
    let mut config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(&target.endpoint_url)
        .credentials_provider(credentials)
        .retry_config(target.retry.clone());
    config.set_http_client(target.http_client.clone());
    aws_sdk_secretsmanager::Client::from_conf(config.build())
}

pub(crate) fn kms(target: &Target, region: &str, credentials: Credentials) -> aws_sdk_kms::Client {
    let mut config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(&target.endpoint_url)
        .credentials_provider(credentials)
        .retry_config(target.retry.clone());
    config.set_http_client(target.http_client.clone());
    aws_sdk_kms::Client::from_conf(config.build())
}

pub(crate) fn sts(target: &Target, region: &str, credentials: Credentials) -> aws_sdk_sts::Client {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(&target.endpoint_url)
        .credentials_provider(credentials)
        .retry_config(target.retry.clone());
    config.set_http_client(target.http_client.clone());
    aws_sdk_sts::Client::from_conf(config.build())
}

/// The SDK client methods of everything a test talks to — a spawned
/// [`KinkoServer`](crate::KinkoServer) and an [`InProcess`](crate::InProcess)
/// router — written once, so both have the same names and a test moves
/// from one to the other by changing the line that makes it. The type
/// provides `fn target(&self) -> Target` and
/// `fn admin_credentials(&self) -> TestCredentials`.
macro_rules! sdk_clients {
    () => {
        /// An SSM client in the default test region, signing as the admin.
        pub fn ssm(&self) -> aws_sdk_ssm::Client {
            self.ssm_in($crate::REGION)
        }

        /// An SSM client in `region` (same endpoint and credentials).
        pub fn ssm_in(&self, region: &str) -> aws_sdk_ssm::Client {
            let admin = self.admin_credentials();
            $crate::sdk::ssm(&self.target(), region, admin.provider())
        }

        /// A client with other credentials (to test authentication failures).
        pub fn ssm_with(&self, region: &str, key_id: &str, secret: &str) -> aws_sdk_ssm::Client {
            let credentials =
                aws_credential_types::Credentials::new(key_id, secret, None, None, "kinko-testkit");
            $crate::sdk::ssm(&self.target(), region, credentials)
        }

        /// An SSM client signing with `creds`.
        pub fn ssm_as(&self, creds: &$crate::TestCredentials) -> aws_sdk_ssm::Client {
            $crate::sdk::ssm(&self.target(), $crate::REGION, creds.provider())
        }

        /// A Secrets Manager client in the default test region, signing as
        /// the admin.
        pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
            self.secrets_in($crate::REGION)
        }

        /// A Secrets Manager client in `region` (same endpoint and
        /// credentials): the region goes into the SigV4 scope and so into
        /// the ARNs.
        pub fn secrets_in(&self, region: &str) -> aws_sdk_secretsmanager::Client {
            let admin = self.admin_credentials();
            $crate::sdk::secrets(&self.target(), region, admin.provider())
        }

        /// A Secrets Manager client signing with `creds`.
        pub fn secrets_as(
            &self,
            creds: &$crate::TestCredentials,
        ) -> aws_sdk_secretsmanager::Client {
            $crate::sdk::secrets(&self.target(), $crate::REGION, creds.provider())
        }

        /// A KMS client in the default test region, signing as the admin.
        pub fn kms(&self) -> aws_sdk_kms::Client {
            self.kms_in($crate::REGION)
        }

        /// A KMS client in `region` (same endpoint and credentials).
        pub fn kms_in(&self, region: &str) -> aws_sdk_kms::Client {
            let admin = self.admin_credentials();
            $crate::sdk::kms(&self.target(), region, admin.provider())
        }

        /// A KMS client signing with `creds`.
        pub fn kms_as(&self, creds: &$crate::TestCredentials) -> aws_sdk_kms::Client {
            $crate::sdk::kms(&self.target(), $crate::REGION, creds.provider())
        }

        /// An STS client in the default test region, signing as the admin.
        pub fn sts(&self) -> aws_sdk_sts::Client {
            self.sts_in($crate::REGION)
        }

        /// An STS client in `region` (same endpoint and credentials).
        pub fn sts_in(&self, region: &str) -> aws_sdk_sts::Client {
            let admin = self.admin_credentials();
            $crate::sdk::sts(&self.target(), region, admin.provider())
        }

        /// An STS client signing with `creds` (`sts_as` is the raw Query
        /// call, for wire-level tests).
        pub fn sts_client_as(&self, creds: &$crate::TestCredentials) -> aws_sdk_sts::Client {
            $crate::sdk::sts(&self.target(), $crate::REGION, creds.provider())
        }
    };
}

pub(crate) use sdk_clients;
