//! The four JSON services as fuzz targets: each input is a few calls
//! ([`crate::calls`]) run in order against fresh in-memory services through
//! `kinko_aws::dispatch`, exactly as the server runs a request after it has
//! authenticated it: decoding, validation, the operation and encoding.

use kinko_aws::Service;

use crate::calls::calls;
use crate::checks::service_answer;
use crate::mutator;
use crate::services;

/// The operations each service's handler serves (its `match` arms).
pub fn operations(service: Service) -> &'static [&'static str] {
    match service {
        Service::Ssm => &[
            "PutParameter",
            "GetParameter",
            "GetParameters",
            "DeleteParameter",
            "DeleteParameters",
            "GetParametersByPath",
            "DescribeParameters",
            "GetParameterHistory",
            "LabelParameterVersion",
            "UnlabelParameterVersion",
            "AddTagsToResource",
            "RemoveTagsFromResource",
            "ListTagsForResource",
        ],
        Service::SecretsManager => &[
            "CreateSecret",
            "GetSecretValue",
            "BatchGetSecretValue",
            "PutSecretValue",
            "UpdateSecret",
            "UpdateSecretVersionStage",
            "DescribeSecret",
            "ListSecrets",
            "ListSecretVersionIds",
            "DeleteSecret",
            "RestoreSecret",
            "TagResource",
            "UntagResource",
            "GetRandomPassword",
            "GetResourcePolicy",
            "PutResourcePolicy",
            "DeleteResourcePolicy",
            "ValidateResourcePolicy",
            "ReplicateSecretToRegions",
            "RemoveRegionsFromReplication",
            "StopReplicationToReplica",
        ],
        Service::Kms => &[
            "CreateKey",
            "DescribeKey",
            "ListKeys",
            "EnableKey",
            "DisableKey",
            "ScheduleKeyDeletion",
            "CancelKeyDeletion",
            "CreateAlias",
            "UpdateAlias",
            "DeleteAlias",
            "ListAliases",
            "Encrypt",
            "Decrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateRandom",
            "TagResource",
            "UntagResource",
            "ListResourceTags",
            "GetKeyPolicy",
            "PutKeyPolicy",
            "ListKeyPolicies",
            "UpdateKeyDescription",
            "CreateGrant",
            "ListGrants",
            "ListRetirableGrants",
            "RetireGrant",
            "RevokeGrant",
            "Sign",
            "Verify",
            "GetPublicKey",
            "GenerateMac",
            "VerifyMac",
            "DeriveSharedSecret",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
            "ReEncrypt",
            "EnableKeyRotation",
            "DisableKeyRotation",
            "GetKeyRotationStatus",
            "RotateKeyOnDemand",
            "ListKeyRotations",
            "GetParametersForImport",
            "ImportKeyMaterial",
            "DeleteImportedKeyMaterial",
            "ReplicateKey",
            "UpdatePrimaryRegion",
        ],
        Service::Admin => &[
            "CreatePrincipal",
            "GetPrincipal",
            "ListPrincipals",
            "DeletePrincipal",
            "TagPrincipal",
            "UntagPrincipal",
            "PutTrustPolicy",
            "PutPolicy",
            "GetPolicy",
            "ListPolicies",
            "DeletePolicy",
            "CreateAccessKey",
            "ListAccessKeys",
            "UpdateAccessKey",
            "DeleteAccessKey",
            "RotateAccessKey",
            "AssumeRole",
            "GetCallerIdentity",
            "SimulatePolicy",
            "QueryAuditLog",
            "VerifyAuditLog",
            "CreateOpenIDConnectProvider",
            "GetOpenIDConnectProvider",
            "ListOpenIDConnectProviders",
            "DeleteOpenIDConnectProvider",
        ],
    }
}

/// The service's dictionary (`fuzz/dicts/`), which the mutator draws from.
pub fn dictionary(service: Service) -> &'static str {
    match service {
        Service::Ssm => include_str!("../dicts/ssm.dict"),
        Service::SecretsManager => include_str!("../dicts/secretsmanager.dict"),
        Service::Kms => include_str!("../dicts/kms.dict"),
        Service::Admin => include_str!("../dicts/admin.dict"),
    }
}

/// Runs one input: its calls, in order, on fresh services.
pub fn run(service: Service, data: &[u8]) {
    let calls = calls(data);
    if calls.is_empty() {
        return;
    }
    let services = services::fresh();
    let ctx = services::context();
    let runtime = crate::runtime();
    if service == Service::Admin {
        runtime.block_on(services::with_role(&services));
    }
    for (operation, body) in calls {
        let result = runtime.block_on(kinko_aws::dispatch(
            &services, service, operation, body, &ctx,
        ));
        // The same call with a secret swapped out, when its message must be
        // told from a leak (see `service_answer`).
        let mut again = |changed: &[u8]| {
            runtime
                .block_on(kinko_aws::dispatch(
                    &services, service, operation, changed, &ctx,
                ))
                .err()
                .map(|error| error.message)
        };
        service_answer(operation, body, &result, words(service), &mut again);
    }
}

/// The JSON-aware mutator with this service's words and operations.
pub fn mutate(service: Service, data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    let words = words(service);
    mutator::mutate(data, size, max_size, seed, words, operations(service))
}

fn words(service: Service) -> &'static [String] {
    use std::sync::OnceLock;
    static WORDS: [OnceLock<Vec<String>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = match service {
        Service::Ssm => 0,
        Service::SecretsManager => 1,
        Service::Kms => 2,
        Service::Admin => 3,
    };
    WORDS[slot].get_or_init(|| crate::dictionary_words(dictionary(service)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_operation_is_served() {
        let services = services::fresh();
        let ctx = services::context();
        for service in [
            Service::Ssm,
            Service::SecretsManager,
            Service::Kms,
            Service::Admin,
        ] {
            for op in operations(service) {
                let result = crate::runtime()
                    .block_on(kinko_aws::dispatch(&services, service, op, b"{}", &ctx));
                if let Err(e) = result {
                    assert_ne!(e.code, "UnknownOperationException", "{op}");
                }
            }
            assert!(words(service).len() > 20);
        }
    }
}
