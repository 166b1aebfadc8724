//! `kinko server --emulate-quotas aws`: a burst above AWS's default quota
//! gets `ThrottlingException` as AWS answers it, the SDK's standard retry
//! mode then gets every request through, and without the flag nothing is
//! throttled.

use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ssm::types::ParameterType;
use aws_smithy_types::retry::RetryConfig;
use kinko_testkit::{KinkoServer, REGION};

use crate::support::{code, message};

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// More PutParameter calls at once than AWS's 3 per second admit, even if
/// the machine is slow enough to spread them over a few seconds.
const BURST: usize = 30;

fn throttled_server() -> KinkoServer {
    KinkoServer::builder(KINKO)
        .arg("--emulate-quotas")
        .arg("aws")
        .start()
}

/// An SSM client as an application has it: the SDK's standard retry mode
/// (exponential backoff with jitter), with room for a few more attempts
/// than the default three.
fn retrying_ssm(server: &KinkoServer) -> aws_sdk_ssm::Client {
    let config = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&server.endpoint)
        .credentials_provider(Credentials::new(
            &server.access_key_id,
            &server.secret_access_key,
            None,
            None,
            "kinko-e2e",
        ))
        .retry_config(RetryConfig::standard().with_max_attempts(10))
        .build();
    aws_sdk_ssm::Client::from_conf(config)
}

/// Puts `/burst/<prefix>/0..n` at once; the errors, by parameter index.
async fn put_burst(
    ssm: &aws_sdk_ssm::Client,
    prefix: &str,
    n: usize,
) -> Vec<(usize, String, String)> {
    let calls = (0..n).map(|i| {
        let ssm = ssm.clone();
        let name = format!("/burst/{prefix}/{i}");
        async move {
            let result = ssm
                .put_parameter()
                .name(name)
                .value("v")
                .r#type(ParameterType::String)
                .send()
                .await;
            (i, result)
        }
    });
    futures::future::join_all(calls)
        .await
        .into_iter()
        .filter_map(|(i, result)| result.err().map(|e| (i, code(&e), message(&e))))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_above_the_quota_is_throttled_as_aws_throttles_and_retries_get_through() {
    let server = throttled_server();
    let ssm = server.ssm(); // retries off: the first answer is seen

    let errors = put_burst(&ssm, "first", BURST).await;
    assert!(
        !errors.is_empty() && errors.len() < BURST,
        "some but not all of {BURST} puts are throttled: {errors:?}"
    );
    for (_, code, message) in &errors {
        assert_eq!(code, "ThrottlingException");
        assert_eq!(message, "Rate exceeded");
    }
    // A throttled request did nothing. (These reads are not starved by the
    // writes: GetParameter has a bucket of its own, 40 per second.)
    for (i, _, _) in &errors {
        let err = ssm
            .get_parameter()
            .name(format!("/burst/first/{i}"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ParameterNotFound");
    }

    // The SDK's standard retry mode gets every request of a burst through.
    let errors = put_burst(&retrying_ssm(&server), "retried", 10).await;
    assert!(errors.is_empty(), "{errors:?}");
    let page = ssm
        .get_parameters_by_path()
        .path("/burst/retried")
        .send()
        .await
        .unwrap();
    assert_eq!(page.parameters().len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kms_throttles_with_its_own_words() {
    let server = throttled_server();
    let kms = server.kms();
    // CreateKey: 5 per second.
    let calls = (0..BURST).map(|_| {
        let kms = kms.clone();
        async move { kms.create_key().send().await }
    });
    let errors: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert!(!errors.is_empty() && errors.len() < BURST);
    for err in &errors {
        let err = err.as_service_error().expect("a service error");
        assert_eq!(
            aws_sdk_kms::error::ProvideErrorMetadata::code(err),
            Some("ThrottlingException")
        );
        assert_eq!(
            aws_sdk_kms::error::ProvideErrorMetadata::message(err),
            Some(
                "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_the_flag_nothing_is_throttled() {
    let server = KinkoServer::builder(KINKO).start();
    let errors = put_burst(&server.ssm(), "free", BURST).await;
    assert!(errors.is_empty(), "{errors:?}");
}
