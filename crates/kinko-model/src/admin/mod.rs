//! The admin API's shapes (`X-Amz-Target: KinkoAdmin.<Operation>`, AWS JSON
//! 1.1): one request and one response type per operation, for the server
//! that decodes and answers them (`kinko-aws`) and the client that sends
//! them (`kinko-client`). Member names are AWS-style PascalCase, exactly as
//! on the wire.
//!
//! Requests are lenient on purpose: every member is an `Option`, so the
//! server can answer a missing one with a `ValidationException` that names
//! it (`Name is required.`) rather than a decoding error; unknown members
//! are ignored, as AWS's services ignore them. Responses say what the server
//! always sends: a member that may be absent is an `Option` and is left out
//! when `None` (except where the wire sends an explicit `null`, noted on the
//! member). Times are [`Epoch`](crate::Epoch) seconds; secret keys are
//! [`SecretString`](kinko_crypto::SecretString)s, written as their text only
//! here, on the way to the one caller allowed to see them.
//!
//! | operation | request | response |
//! |---|---|---|
//! | `CreatePrincipal` | [`CreatePrincipalRequest`] | [`PrincipalResponse`] |
//! | `GetPrincipal` | [`PrincipalNameRequest`] | [`PrincipalResponse`] |
//! | `ListPrincipals` | none | [`ListPrincipalsResponse`] |
//! | `DeletePrincipal` | [`PrincipalNameRequest`] | [`EmptyResponse`] |
//! | `TagPrincipal` | [`TagPrincipalRequest`] | [`EmptyResponse`] |
//! | `UntagPrincipal` | [`UntagPrincipalRequest`] | [`EmptyResponse`] |
//! | `PutTrustPolicy` | [`PutTrustPolicyRequest`] | [`EmptyResponse`] |
//! | `PutPolicy`, `DeletePolicy` | [`PolicyRequest`] | [`EmptyResponse`] |
//! | `GetPolicy` | [`PolicyRequest`] | [`GetPolicyResponse`] |
//! | `ListPolicies` | [`PrincipalRequest`] | [`ListPoliciesResponse`] |
//! | `CreateAccessKey` | [`PrincipalRequest`] | [`CreateAccessKeyResponse`] |
//! | `ListAccessKeys` | [`PrincipalRequest`] (optional) | [`ListAccessKeysResponse`] |
//! | `UpdateAccessKey` | [`UpdateAccessKeyRequest`] | [`EmptyResponse`] |
//! | `DeleteAccessKey` | [`AccessKeyIdRequest`] | [`EmptyResponse`] |
//! | `RotateAccessKey` | [`RotateAccessKeyRequest`] | [`RotateAccessKeyResponse`] |
//! | `AssumeRole` | [`AssumeRoleRequest`] | [`AssumeRoleResponse`] |
//! | `GetCallerIdentity` | none | [`GetCallerIdentityResponse`] |
//! | `SimulatePolicy` | [`SimulatePolicyRequest`] | [`SimulatePolicyResponse`] |
//! | `QueryAuditLog` | [`QueryAuditLogRequest`] | [`QueryAuditLogResponse`] |
//! | `VerifyAuditLog` | none | [`VerifyAuditLogResponse`] |
//! | `CreateOpenIDConnectProvider` | [`CreateOidcProviderRequest`] | [`OidcProviderResponse`] |
//! | `GetOpenIDConnectProvider` | [`OidcProviderArnRequest`] | [`OidcProviderResponse`] |
//! | `ListOpenIDConnectProviders` | none | [`ListOidcProvidersResponse`] |
//! | `DeleteOpenIDConnectProvider` | [`OidcProviderArnRequest`] | [`EmptyResponse`] |
//! | `CreateWebhook` | [`CreateWebhookRequest`] | [`WebhookSecretResponse`] |
//! | `GetWebhook` | [`WebhookIdRequest`] | [`WebhookResponse`] |
//! | `ListWebhooks` | none | [`ListWebhooksResponse`] |
//! | `DeleteWebhook` | [`WebhookIdRequest`] | [`EmptyResponse`] |
//! | `RotateWebhookSecret` | [`RotateWebhookSecretRequest`] | [`WebhookSecretResponse`] |
//! | `TestWebhook` | [`WebhookIdRequest`] | [`TestWebhookResponse`] |
//! | `EnableWebhook` | [`EnableWebhookRequest`] | [`WebhookResponse`] |

mod audit;
mod keys;
mod oidc;
mod principals;
mod simulate;
mod webhooks;

#[cfg(test)]
mod tests;

pub use audit::{
    AuditProblem, QueryAuditLogRequest, QueryAuditLogResponse, VerifyAuditLogResponse,
};
pub use keys::{
    AccessKeyIdRequest, AccessKeyMetadata, AssumeRoleRequest, AssumeRoleResponse,
    CreateAccessKeyResponse, GetCallerIdentityResponse, KeyStatus, ListAccessKeysResponse,
    NewAccessKey, RotateAccessKeyRequest, RotateAccessKeyResponse, SessionCredentials,
    UpdateAccessKeyRequest,
};
pub use oidc::{
    CreateOidcProviderRequest, ListOidcProvidersResponse, OidcProviderArnRequest,
    OidcProviderResponse, OidcProviderShape,
};
pub use principals::{
    CreatePrincipalRequest, GetPolicyResponse, ListPoliciesResponse, ListPrincipalsResponse,
    PolicyRequest, PolicySummary, Principal, PrincipalNameRequest, PrincipalRequest,
    PrincipalResponse, PutTrustPolicyRequest, TagPrincipalRequest, UntagPrincipalRequest,
};
pub use simulate::{
    MatchedStatement, SimulatePolicyRequest, SimulatePolicyResponse, SimulationDecision,
};
pub use webhooks::{
    CreateWebhookRequest, EnableWebhookRequest, ListWebhooksResponse, RotateWebhookSecretRequest,
    TestWebhookResponse, WebhookIdRequest, WebhookResponse, WebhookSecretResponse, WebhookShape,
};

use serde::{Deserialize, Serialize};

/// The answer of the operations that return nothing: `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyResponse {}

/// `Vec<Tag>` as the responses send it: `[{"Key": …, "Value": …}]`.
mod pascal_tags {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::Tag;

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Shape<T> {
        key: T,
        value: T,
    }

    pub fn serialize<S: Serializer>(tags: &[Tag], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(tags.iter().map(|t| Shape {
            key: t.key.as_str(),
            value: t.value.as_str(),
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tag>, D::Error> {
        let shapes = Vec::<Shape<String>>::deserialize(d)?;
        Ok(shapes
            .into_iter()
            .map(|s| Tag {
                key: s.key,
                value: s.value,
            })
            .collect())
    }
}

/// A secret key's text on the wire. Only the responses that hand a new key
/// to its owner hold one.
mod exposed {
    use kinko_crypto::SecretString;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(secret.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::new)
    }
}
