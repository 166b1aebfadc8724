//! `kinko server --emulate-quotas aws`: AWS's default request quotas as
//! token buckets, so a team sees `ThrottlingException` (and tests its
//! retries and caches) before production does. Off by default.
//!
//! AWS counts requests per account, per Region and per quota; several
//! operations share some quotas (GetParameter, GetParameters and
//! GetParametersByPath share one; KMS's cryptographic operations share
//! one). A bucket holds one second of its rate (at least one request) and
//! refills continuously, which is how AWS describes "requests per second"
//! with bursts. Only authenticated requests are counted: a request is
//! throttled after its signature is verified and before it is authorized,
//! so a throttled request changes nothing.
//!
//! [`QUOTAS`] is the one table of quotas, each with its source. An
//! operation that is not in it is never throttled: AWS publishes no figure
//! for it (DescribeParameters, GetParameterHistory, STS, the admin API).
//!
//! One simplification: KMS's cryptographic quotas depend on the type of the
//! key used (symmetric, RSA, ECC), which is known only once the key is
//! loaded. kinko picks the bucket by operation: Sign, Verify, GetPublicKey
//! and DeriveSharedSecret count against the asymmetric quota (AWS's RSA and
//! ECC quotas are both 1,000), every other cryptographic operation against
//! the symmetric one.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::{AwsError, Service};

/// One quota: a name (the bucket several operations may share), its rate in
/// requests per second, the operations it covers, and where the figure
/// comes from.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub service: Service,
    pub name: &'static str,
    pub per_second: f64,
    pub operations: &'static [&'static str],
    pub source: &'static str,
}

const SSM_QUOTAS: &str = "https://docs.aws.amazon.com/general/latest/gr/ssm.html (Parameter Store max throughput, standard throughput)";
const SSM_PUT: &str = "AWS Support as quoted in github-aws-runners/terraform-aws-github-runner#2944 (3 TPS standard throughput; not in AWS's published table)";
const SM_QUOTAS: &str =
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html";
const SM_2025: &str = "https://aws.amazon.com/about-aws/whats-new/2025/03/aws-secrets-manager-increases-api-requests-seconds (GetSecretValue 10,000, DescribeSecret 40,000)";
const KMS_QUOTAS: &str =
    "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html";

/// The shared symmetric quota of KMS depends on the Region (see
/// [`kms_symmetric_rate`]); this is the table's placeholder.
const KMS_SYMMETRIC: &str = "kms:cryptographic-symmetric";

/// A KMS operation with a quota of its own.
macro_rules! kms {
    ($operation:literal, $per_second:expr) => {
        Quota {
            service: Service::Kms,
            name: $operation,
            per_second: $per_second,
            operations: &[$operation],
            source: KMS_QUOTAS,
        }
    };
}

/// Every emulated quota. Rates are AWS's defaults for an account that has
/// asked for no increase (Parameter Store: standard throughput).
pub const QUOTAS: &[Quota] = &[
    Quota {
        service: Service::Ssm,
        name: "ssm:get-parameters",
        per_second: 40.0,
        operations: &["GetParameter", "GetParameters", "GetParametersByPath"],
        source: SSM_QUOTAS,
    },
    Quota {
        service: Service::Ssm,
        name: "ssm:put-parameter",
        per_second: 3.0,
        operations: &["PutParameter"],
        source: SSM_PUT,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:get-secret-value",
        per_second: 10_000.0,
        operations: &["GetSecretValue"],
        source: SM_2025,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:describe-secret",
        per_second: 40_000.0,
        operations: &["DescribeSecret"],
        source: SM_2025,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:list-secrets",
        per_second: 100.0,
        operations: &["ListSecrets"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:batch-get-secret-value",
        per_second: 100.0,
        operations: &["BatchGetSecretValue"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:writes",
        per_second: 50.0,
        operations: &[
            "PutSecretValue",
            "RemoveRegionsFromReplication",
            "ReplicateSecretToRegion",
            "StopReplicationToReplica",
            "UpdateSecret",
            "UpdateSecretVersionStage",
        ],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:resource-policies",
        per_second: 50.0,
        operations: &[
            "DeleteResourcePolicy",
            "GetResourcePolicy",
            "PutResourcePolicy",
            "ValidateResourcePolicy",
        ],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:rotation",
        per_second: 50.0,
        operations: &["RotateSecret", "CancelRotateSecret"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:tags",
        per_second: 50.0,
        operations: &["TagResource", "UntagResource"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:restore-secret",
        per_second: 50.0,
        operations: &["RestoreSecret"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:create-secret",
        per_second: 50.0,
        operations: &["CreateSecret"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:delete-secret",
        per_second: 50.0,
        operations: &["DeleteSecret"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:get-random-password",
        per_second: 50.0,
        operations: &["GetRandomPassword"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::SecretsManager,
        name: "secretsmanager:list-secret-version-ids",
        per_second: 50.0,
        operations: &["ListSecretVersionIds"],
        source: SM_QUOTAS,
    },
    Quota {
        service: Service::Kms,
        name: KMS_SYMMETRIC,
        // Replaced per Region by `kms_symmetric_rate`.
        per_second: 10_000.0,
        operations: &[
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateMac",
            "GenerateRandom",
            "ReEncrypt",
            "VerifyMac",
        ],
        source: KMS_QUOTAS,
    },
    Quota {
        service: Service::Kms,
        name: "kms:cryptographic-asymmetric",
        per_second: 1_000.0,
        operations: &["Sign", "Verify", "GetPublicKey", "DeriveSharedSecret"],
        source: KMS_QUOTAS,
    },
    Quota {
        service: Service::Kms,
        name: "kms:generate-data-key-pair",
        // AWS's quota depends on the pair's spec (RSA_4096: 0.1/s, ECC_NIST_P256:
        // 25/s); kinko applies the RSA_2048 figure to every spec.
        per_second: 1.0,
        operations: &["GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"],
        source: KMS_QUOTAS,
    },
    kms!("CancelKeyDeletion", 5.0),
    kms!("CreateAlias", 5.0),
    kms!("CreateGrant", 50.0),
    kms!("CreateKey", 5.0),
    kms!("DeleteAlias", 15.0),
    kms!("DeleteImportedKeyMaterial", 5.0),
    kms!("DescribeKey", 2_000.0),
    kms!("DisableKey", 5.0),
    kms!("DisableKeyRotation", 5.0),
    kms!("EnableKey", 5.0),
    kms!("EnableKeyRotation", 15.0),
    kms!("GetKeyPolicy", 1_000.0),
    kms!("GetKeyRotationStatus", 1_000.0),
    kms!("GetParametersForImport", 0.25),
    kms!("ImportKeyMaterial", 5.0),
    kms!("ListAliases", 500.0),
    kms!("ListGrants", 100.0),
    kms!("ListKeyPolicies", 100.0),
    kms!("ListKeys", 500.0),
    kms!("ListResourceTags", 2_000.0),
    kms!("ListRetirableGrants", 100.0),
    kms!("PutKeyPolicy", 15.0),
    kms!("ReplicateKey", 5.0),
    kms!("RetireGrant", 30.0),
    kms!("RevokeGrant", 30.0),
    kms!("ScheduleKeyDeletion", 15.0),
    kms!("TagResource", 10.0),
    kms!("UntagResource", 5.0),
    kms!("UpdateAlias", 5.0),
    kms!("UpdateKeyDescription", 5.0),
    kms!("UpdatePrimaryRegion", 5.0),
];

/// KMS's shared symmetric quota in `region`: 100,000 in the three largest
/// Regions, 20,000 in Europe (London), 10,000 elsewhere (AWS General
/// Reference, "AWS Key Management Service endpoints and quotas").
fn kms_symmetric_rate(region: &str) -> f64 {
    match region {
        "us-east-1" | "us-west-2" | "eu-west-1" => 100_000.0,
        "eu-west-2" => 20_000.0,
        _ => 10_000.0,
    }
}

/// The quota `operation` of `service` counts against, if any.
pub fn quota_of(service: Service, operation: &str) -> Option<&'static Quota> {
    QUOTAS
        .iter()
        .find(|q| q.service == service && q.operations.contains(&operation))
}

/// A token bucket: `tokens` as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes one token if there is one, after refilling for the time since
    /// the last request. `capacity` is one second of the rate, at least 1.
    fn take(&mut self, rate: f64, now: Instant) -> bool {
        let capacity = rate.max(1.0);
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The buckets of one server, by (region, quota). The account is the
/// server's one account.
#[derive(Debug, Default)]
pub struct Throttle {
    buckets: Mutex<HashMap<(String, &'static str), Bucket>>,
}

impl Throttle {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Ok` when the request may run now; AWS's `ThrottlingException`
    /// otherwise.
    pub fn admit(&self, service: Service, operation: &str, region: &str) -> Result<(), AwsError> {
        self.admit_at(service, operation, region, Instant::now())
    }

    /// [`Throttle::admit`] at a given instant (tests step time themselves).
    pub fn admit_at(
        &self,
        service: Service,
        operation: &str,
        region: &str,
        now: Instant,
    ) -> Result<(), AwsError> {
        let Some(quota) = quota_of(service, operation) else {
            return Ok(());
        };
        let rate = if quota.name == KMS_SYMMETRIC {
            kms_symmetric_rate(region)
        } else {
            quota.per_second
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets
            .entry((region.to_owned(), quota.name))
            .or_insert(Bucket {
                tokens: rate.max(1.0),
                at: now,
            });
        if bucket.take(rate, now) {
            Ok(())
        } else {
            Err(throttled(service))
        }
    }
}

/// `ThrottlingException` as each service words it.
fn throttled(service: Service) -> AwsError {
    let message = match service {
        Service::Kms => {
            "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
        }
        _ => "Rate exceeded",
    };
    AwsError::new("ThrottlingException", message)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_operation_is_in_at_most_one_quota_of_its_service() {
        for (i, a) in QUOTAS.iter().enumerate() {
            assert!(a.per_second > 0.0, "{}", a.name);
            assert!(a.source.starts_with("http") || a.source.starts_with("AWS Support"));
            for b in &QUOTAS[i + 1..] {
                assert!(a.name != b.name || a.service != b.service, "{}", a.name);
                if a.service == b.service {
                    for op in a.operations {
                        assert!(
                            !b.operations.contains(op),
                            "{op} in {} and {}",
                            a.name,
                            b.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_burst_beyond_the_rate_is_throttled_and_time_refills_the_bucket() {
        let throttle = Throttle::new();
        let t0 = Instant::now();
        for _ in 0..3 {
            throttle
                .admit_at(Service::Ssm, "PutParameter", "us-east-1", t0)
                .unwrap();
        }
        let err = throttle
            .admit_at(Service::Ssm, "PutParameter", "us-east-1", t0)
            .unwrap_err();
        assert_eq!(err.code, "ThrottlingException");
        assert_eq!(err.message, "Rate exceeded");
        assert_eq!(err.status, 400);
        // Another Region and another quota have buckets of their own.
        throttle
            .admit_at(Service::Ssm, "PutParameter", "eu-west-1", t0)
            .unwrap();
        throttle
            .admit_at(Service::Ssm, "GetParameter", "us-east-1", t0)
            .unwrap();
        // A third of a second later one more token has come back, and only one.
        let later = t0 + Duration::from_millis(334);
        throttle
            .admit_at(Service::Ssm, "PutParameter", "us-east-1", later)
            .unwrap();
        assert!(
            throttle
                .admit_at(Service::Ssm, "PutParameter", "us-east-1", later)
                .is_err()
        );
        // A long pause refills to one second's worth, no more.
        let much_later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            throttle
                .admit_at(Service::Ssm, "PutParameter", "us-east-1", much_later)
                .unwrap();
        }
        assert!(
            throttle
                .admit_at(Service::Ssm, "PutParameter", "us-east-1", much_later)
                .is_err()
        );
    }

    #[test]
    fn shared_quotas_count_every_operation_they_cover() {
        let throttle = Throttle::new();
        let t0 = Instant::now();
        for op in ["GetParameter", "GetParameters", "GetParametersByPath"]
            .iter()
            .cycle()
            .take(40)
        {
            throttle
                .admit_at(Service::Ssm, op, "us-east-1", t0)
                .unwrap();
        }
        assert!(
            throttle
                .admit_at(Service::Ssm, "GetParametersByPath", "us-east-1", t0)
                .is_err()
        );
    }

    #[test]
    fn kms_words_it_its_own_way_and_unlisted_operations_are_never_throttled() {
        let throttle = Throttle::new();
        let t0 = Instant::now();
        for _ in 0..5 {
            throttle
                .admit_at(Service::Kms, "CreateKey", "us-east-1", t0)
                .unwrap();
        }
        let err = throttle
            .admit_at(Service::Kms, "CreateKey", "us-east-1", t0)
            .unwrap_err();
        assert!(
            err.message.starts_with("You have exceeded the rate"),
            "{}",
            err.message
        );
        for _ in 0..1000 {
            throttle
                .admit_at(Service::Ssm, "DescribeParameters", "us-east-1", t0)
                .unwrap();
            throttle
                .admit_at(Service::Admin, "ListPrincipals", "us-east-1", t0)
                .unwrap();
        }
    }

    #[test]
    fn kms_symmetric_quota_follows_the_region() {
        assert_eq!(kms_symmetric_rate("us-east-1"), 100_000.0);
        assert_eq!(kms_symmetric_rate("eu-west-2"), 20_000.0);
        assert_eq!(kms_symmetric_rate("ap-south-1"), 10_000.0);
        let throttle = Throttle::new();
        let t0 = Instant::now();
        for _ in 0..10_000 {
            throttle
                .admit_at(Service::Kms, "Decrypt", "ap-south-1", t0)
                .unwrap();
        }
        assert!(
            throttle
                .admit_at(Service::Kms, "Encrypt", "ap-south-1", t0)
                .is_err()
        );
        throttle
            .admit_at(Service::Kms, "Encrypt", "us-east-1", t0)
            .unwrap();
    }

    #[test]
    fn a_fractional_rate_still_admits_one_request() {
        let throttle = Throttle::new();
        let t0 = Instant::now();
        throttle
            .admit_at(Service::Kms, "GetParametersForImport", "us-east-1", t0)
            .unwrap();
        assert!(
            throttle
                .admit_at(
                    Service::Kms,
                    "GetParametersForImport",
                    "us-east-1",
                    t0 + Duration::from_secs(3)
                )
                .is_err()
        );
        throttle
            .admit_at(
                Service::Kms,
                "GetParametersForImport",
                "us-east-1",
                t0 + Duration::from_secs(4),
            )
            .unwrap();
    }
}
