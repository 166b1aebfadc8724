//! One typed method per admin operation, over the shapes of
//! [`kinko_model::admin`] (the ones the server decodes and encodes), so a
//! caller neither builds JSON by hand nor indexes the answer by name.
//!
//! Each method is [`AdminClient::call_typed`] with its operation's request
//! and response types; the table in `kinko_model::admin` lists them.

use kinko_model::admin::{
    AccessKeyIdRequest, AssumeRoleRequest, AssumeRoleResponse, CreateAccessKeyResponse,
    CreateOidcProviderRequest, CreatePrincipalRequest, EmptyResponse, GetCallerIdentityResponse,
    GetPolicyResponse, ListAccessKeysResponse, ListOidcProvidersResponse, ListPoliciesResponse,
    ListPrincipalsResponse, OidcProviderArnRequest, OidcProviderResponse, PolicyRequest,
    PrincipalNameRequest, PrincipalRequest, PrincipalResponse, PutTrustPolicyRequest,
    QueryAuditLogRequest, QueryAuditLogResponse, RotateAccessKeyRequest, RotateAccessKeyResponse,
    SimulatePolicyRequest, SimulatePolicyResponse, TagPrincipalRequest, UntagPrincipalRequest,
    UpdateAccessKeyRequest, VerifyAuditLogResponse,
};
use kinko_model::admin::{
    CreateWebhookRequest, EnableWebhookRequest, ListWebhooksResponse, RotateWebhookSecretRequest,
    TestWebhookResponse, WebhookIdRequest, WebhookResponse, WebhookSecretResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{AdminClient, AdminError};

/// The body of the operations that take no members: `{}`.
#[derive(Serialize)]
struct NoMembers {}

impl AdminClient {
    /// Calls `KinkoAdmin.<operation>` with `request` and decodes the answer
    /// as `Resp`; an answer of another shape is [`AdminError::Decode`].
    async fn call_typed<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        operation: &'static str,
        request: &Req,
    ) -> Result<Resp, AdminError> {
        let body = serde_json::to_value(request)
            .map_err(|e| AdminError::Signing(format!("cannot encode the request: {e}")))?;
        let answer = self.call(operation, &body).await?;
        decode(operation, answer)
    }

    /// `CreatePrincipal`: a user or a role.
    pub async fn create_principal(
        &self,
        request: &CreatePrincipalRequest,
    ) -> Result<PrincipalResponse, AdminError> {
        self.call_typed("CreatePrincipal", request).await
    }

    /// `GetPrincipal`: one principal by name or ARN.
    pub async fn get_principal(
        &self,
        request: &PrincipalNameRequest,
    ) -> Result<PrincipalResponse, AdminError> {
        self.call_typed("GetPrincipal", request).await
    }

    /// `ListPrincipals`: every principal, in name order.
    pub async fn list_principals(&self) -> Result<ListPrincipalsResponse, AdminError> {
        self.call_typed("ListPrincipals", &NoMembers {}).await
    }

    /// `DeletePrincipal`, with its policies and keys.
    pub async fn delete_principal(
        &self,
        request: &PrincipalNameRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("DeletePrincipal", request).await
    }

    /// `TagPrincipal`: tags set by key.
    pub async fn tag_principal(
        &self,
        request: &TagPrincipalRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("TagPrincipal", request).await
    }

    /// `UntagPrincipal`: tags removed by key.
    pub async fn untag_principal(
        &self,
        request: &UntagPrincipalRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("UntagPrincipal", request).await
    }

    /// `PutTrustPolicy`: a role's new trust policy.
    pub async fn put_trust_policy(
        &self,
        request: &PutTrustPolicyRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("PutTrustPolicy", request).await
    }

    /// `PutPolicy`: attaches (or replaces) a named policy.
    pub async fn put_policy(&self, request: &PolicyRequest) -> Result<EmptyResponse, AdminError> {
        self.call_typed("PutPolicy", request).await
    }

    /// `GetPolicy`: a policy's document as it was put.
    pub async fn get_policy(
        &self,
        request: &PolicyRequest,
    ) -> Result<GetPolicyResponse, AdminError> {
        self.call_typed("GetPolicy", request).await
    }

    /// `ListPolicies`: a principal's policies, in name order.
    pub async fn list_policies(
        &self,
        request: &PrincipalRequest,
    ) -> Result<ListPoliciesResponse, AdminError> {
        self.call_typed("ListPolicies", request).await
    }

    /// `DeletePolicy`: detaches and deletes a policy.
    pub async fn delete_policy(
        &self,
        request: &PolicyRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("DeletePolicy", request).await
    }

    /// `CreateAccessKey`: a new key, with its secret (answered only now).
    pub async fn create_access_key(
        &self,
        request: &PrincipalRequest,
    ) -> Result<CreateAccessKeyResponse, AdminError> {
        self.call_typed("CreateAccessKey", request).await
    }

    /// `ListAccessKeys`: one principal's keys, or (no principal) every key.
    pub async fn list_access_keys(
        &self,
        request: &PrincipalRequest,
    ) -> Result<ListAccessKeysResponse, AdminError> {
        self.call_typed("ListAccessKeys", request).await
    }

    /// `UpdateAccessKey`: activates or deactivates a key.
    pub async fn update_access_key(
        &self,
        request: &UpdateAccessKeyRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("UpdateAccessKey", request).await
    }

    /// `DeleteAccessKey`.
    pub async fn delete_access_key(
        &self,
        request: &AccessKeyIdRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("DeleteAccessKey", request).await
    }

    /// `RotateAccessKey`: a new key now, the old one retired after a grace.
    pub async fn rotate_access_key(
        &self,
        request: &RotateAccessKeyRequest,
    ) -> Result<RotateAccessKeyResponse, AdminError> {
        self.call_typed("RotateAccessKey", request).await
    }

    /// `AssumeRole`: temporary credentials for a role.
    pub async fn assume_role(
        &self,
        request: &AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, AdminError> {
        self.call_typed("AssumeRole", request).await
    }

    /// `GetCallerIdentity`: who the credentials are.
    pub async fn get_caller_identity(&self) -> Result<GetCallerIdentityResponse, AdminError> {
        self.call_typed("GetCallerIdentity", &NoMembers {}).await
    }

    /// `SimulatePolicy`: what the policies decide for one action.
    pub async fn simulate_policy(
        &self,
        request: &SimulatePolicyRequest,
    ) -> Result<SimulatePolicyResponse, AdminError> {
        self.call_typed("SimulatePolicy", request).await
    }

    /// `QueryAuditLog`: one page of matching records.
    pub async fn query_audit_log(
        &self,
        request: &QueryAuditLogRequest,
    ) -> Result<QueryAuditLogResponse, AdminError> {
        self.call_typed("QueryAuditLog", request).await
    }

    /// `VerifyAuditLog`: checks the hash chain.
    pub async fn verify_audit_log(&self) -> Result<VerifyAuditLogResponse, AdminError> {
        self.call_typed("VerifyAuditLog", &NoMembers {}).await
    }

    /// `CreateOpenIDConnectProvider`: an issuer whose ID tokens
    /// AssumeRoleWithWebIdentity accepts, with its JWKS, a JWKS URL, or
    /// neither (discovery).
    pub async fn create_oidc_provider(
        &self,
        request: &CreateOidcProviderRequest,
    ) -> Result<OidcProviderResponse, AdminError> {
        self.call_typed("CreateOpenIDConnectProvider", request)
            .await
    }

    /// `GetOpenIDConnectProvider`: one provider by ARN.
    pub async fn get_oidc_provider(
        &self,
        request: &OidcProviderArnRequest,
    ) -> Result<OidcProviderResponse, AdminError> {
        self.call_typed("GetOpenIDConnectProvider", request).await
    }

    /// `ListOpenIDConnectProviders`: every provider, in ARN order.
    pub async fn list_oidc_providers(&self) -> Result<ListOidcProvidersResponse, AdminError> {
        self.call_typed("ListOpenIDConnectProviders", &NoMembers {})
            .await
    }

    /// `DeleteOpenIDConnectProvider`.
    pub async fn delete_oidc_provider(
        &self,
        request: &OidcProviderArnRequest,
    ) -> Result<EmptyResponse, AdminError> {
        self.call_typed("DeleteOpenIDConnectProvider", request)
            .await
    }

    /// `CreateWebhook`: a subscription to the change feed; the answer
    /// carries its signing secret, shown this once.
    pub async fn create_webhook(
        &self,
        request: &CreateWebhookRequest,
    ) -> Result<WebhookSecretResponse, AdminError> {
        self.call_typed("CreateWebhook", request).await
    }

    /// `GetWebhook`: one subscription and where its delivery stands.
    pub async fn get_webhook(&self, id: &str) -> Result<WebhookResponse, AdminError> {
        self.call_typed("GetWebhook", &webhook_id(id)).await
    }

    /// `ListWebhooks`: every subscription, in id order.
    pub async fn list_webhooks(&self) -> Result<ListWebhooksResponse, AdminError> {
        self.call_typed("ListWebhooks", &NoMembers {}).await
    }

    /// `DeleteWebhook`.
    pub async fn delete_webhook(&self, id: &str) -> Result<EmptyResponse, AdminError> {
        self.call_typed("DeleteWebhook", &webhook_id(id)).await
    }

    /// `RotateWebhookSecret`: a new secret (shown once); the old one signs
    /// beside it for `grace_seconds` (the server's default when `None`).
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        grace_seconds: Option<i64>,
    ) -> Result<WebhookSecretResponse, AdminError> {
        let request = RotateWebhookSecretRequest {
            webhook_id: Some(id.to_owned()),
            grace_seconds,
        };
        self.call_typed("RotateWebhookSecret", &request).await
    }

    /// `EnableWebhook`: a failed subscription delivers again, from where it
    /// stopped or (`from_head`) from the newest change on.
    pub async fn enable_webhook(
        &self,
        id: &str,
        from_head: bool,
    ) -> Result<WebhookResponse, AdminError> {
        let request = EnableWebhookRequest {
            webhook_id: Some(id.to_owned()),
            from_head: from_head.then_some(true),
        };
        self.call_typed("EnableWebhook", &request).await
    }

    /// `TestWebhook`: one test event, sent now; what the receiver answered.
    pub async fn test_webhook(&self, id: &str) -> Result<TestWebhookResponse, AdminError> {
        self.call_typed("TestWebhook", &webhook_id(id)).await
    }
}

fn webhook_id(id: &str) -> WebhookIdRequest {
    WebhookIdRequest {
        webhook_id: Some(id.to_owned()),
    }
}

/// `answer` as `operation`'s response type.
fn decode<Resp: DeserializeOwned>(
    operation: &'static str,
    answer: serde_json::Value,
) -> Result<Resp, AdminError> {
    serde_json::from_value(answer).map_err(|e| AdminError::Decode {
        operation,
        reason: decode_reason(&e),
    })
}

/// What is wrong with an answer, without quoting it: serde names a missing
/// member safely, but its other messages quote the value it refused, which
/// may be a secret.
fn decode_reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if text.starts_with("missing field ") {
        text.replacen("field", "member", 1)
    } else {
        "a member has the wrong type or value".to_owned()
    }
}

#[cfg(test)]
mod tests;
