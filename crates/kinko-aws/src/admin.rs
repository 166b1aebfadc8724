//! kinko's admin API (`X-Amz-Target: KinkoAdmin.<Operation>`): principals,
//! policies, access keys, role sessions, policy simulation, the audit
//! log and webhooks (`admin_webhooks.rs`). JSON 1.1 like the AWS services, signed like them; each operation is
//! authorized as `kinko:<Operation>` on the principal's ARN (or `*` for the
//! account-wide ones), so an admin can be limited like anyone else.
//!
//! The shapes are [`kinko_model::admin`]'s, decoded and encoded here and
//! sent by the admin client; `kinko principal|key|policy|audit|assume-role`
//! call it (README.md, "Identity, access and the audit log").

use kinko_core::audit::{AuditQuery, AuditReader};
use kinko_core::credentials::{AccessKey, SessionCredentials};
use kinko_core::iam::{Access, RequestFacts};
use kinko_core::principals::{AccessKeyRecord, Identity, NewPrincipal, PrincipalRecord};
use kinko_core::web_identity::KeySource;
use kinko_crypto::SecretString;
use kinko_model::admin::{
    AccessKeyIdRequest, AccessKeyMetadata, AssumeRoleRequest, AssumeRoleResponse, AuditProblem,
    CreateAccessKeyResponse, CreateOidcProviderRequest, CreatePrincipalRequest, EmptyResponse,
    GetCallerIdentityResponse, GetPolicyResponse, KeyStatus, ListAccessKeysResponse,
    ListOidcProvidersResponse, ListPoliciesResponse, ListPrincipalsResponse, MatchedStatement,
    NewAccessKey, OidcProviderArnRequest, OidcProviderResponse, OidcProviderShape, PolicyRequest,
    PolicySummary, Principal, PrincipalNameRequest, PrincipalRequest, PrincipalResponse,
    PutTrustPolicyRequest, QueryAuditLogRequest, QueryAuditLogResponse, RotateAccessKeyRequest,
    RotateAccessKeyResponse, SimulatePolicyRequest, SimulatePolicyResponse, SimulationDecision,
    TagPrincipalRequest, UntagPrincipalRequest, UpdateAccessKeyRequest, VerifyAuditLogResponse,
};
use kinko_model::audit::Verdict;
use kinko_model::iam::{Outcome, Policy};
use kinko_model::principals::PrincipalKind;
use kinko_model::{Epoch, Tag, TagShape};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::admin_webhooks as hooks;
use crate::assume::{self, AssumeRoleInput, DurationInput, TagInput};
use crate::error::store_error;
use crate::wire::parse_body;
use crate::{AwsError, Check, RequestContext};

/// The actions a role's trust policy decides (SimulatePolicy on a role ARN).
const TRUST_ACTIONS: [&str; 3] = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"];

/// Default grace of a rotated key: one hour.
const DEFAULT_GRACE_SECONDS: i64 = 3600;

/// Runs `KinkoAdmin.<operation>` for an authenticated caller.
pub async fn handle(
    identity: &Identity,
    webhooks: &kinko_core::webhooks::Webhooks,
    audit: &AuditReader,
    operation: &str,
    body: &[u8],
    ctx: &RequestContext,
) -> Result<Vec<u8>, AwsError> {
    // The admin API is kinko's IAM, which AWS keeps from GetSessionToken
    // sessions without MFA and from federated users.
    if let Some(claims) = ctx.session.as_deref()
        && claims.kind != kinko_core::credentials::SessionKind::Role
        && operation != "GetCallerIdentity"
    {
        return Err(AwsError::new(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: kinko:{}: sessions from \
                 GetSessionToken or GetFederationToken cannot call the admin API",
                claims.session_arn,
                crate::error::echo(operation)
            ),
        ));
    }
    let admin = Admin {
        identity,
        audit,
        ctx,
    };
    match operation {
        "CreatePrincipal" => encode(admin.create_principal(parse(body)?).await?),
        "GetPrincipal" => encode(admin.get_principal(parse(body)?).await?),
        "ListPrincipals" => encode(admin.list_principals().await?),
        "DeletePrincipal" => encode(admin.delete_principal(parse(body)?).await?),
        "TagPrincipal" => encode(admin.tag_principal(parse(body)?).await?),
        "UntagPrincipal" => encode(admin.untag_principal(parse(body)?).await?),
        "PutTrustPolicy" => encode(admin.put_trust_policy(parse(body)?).await?),
        "PutPolicy" => encode(admin.put_policy(parse(body)?).await?),
        "GetPolicy" => encode(admin.get_policy(parse(body)?).await?),
        "ListPolicies" => encode(admin.list_policies(parse(body)?).await?),
        "DeletePolicy" => encode(admin.delete_policy(parse(body)?).await?),
        "CreateAccessKey" => encode(admin.create_access_key(parse(body)?).await?),
        "ListAccessKeys" => encode(admin.list_access_keys(parse(body)?).await?),
        "UpdateAccessKey" => encode(admin.update_access_key(parse(body)?).await?),
        "DeleteAccessKey" => encode(admin.delete_access_key(parse(body)?).await?),
        "RotateAccessKey" => encode(admin.rotate_access_key(parse(body)?).await?),
        "AssumeRole" => encode(admin.assume_role(parse(body)?).await?),
        "GetCallerIdentity" => encode(caller_identity(ctx)),
        "CreateOpenIDConnectProvider" => encode(admin.create_oidc_provider(parse(body)?).await?),
        "GetOpenIDConnectProvider" => encode(admin.get_oidc_provider(parse(body)?).await?),
        "ListOpenIDConnectProviders" => encode(admin.list_oidc_providers().await?),
        "DeleteOpenIDConnectProvider" => encode(admin.delete_oidc_provider(parse(body)?).await?),
        "SimulatePolicy" => encode(admin.simulate(parse(body)?).await?),
        "QueryAuditLog" => encode(admin.query_audit(parse(body)?).await?),
        "VerifyAuditLog" => encode(admin.verify_audit().await?),
        "CreateWebhook" => encode(hooks::create(webhooks, ctx, parse(body)?).await?),
        "GetWebhook" => encode(hooks::get(webhooks, ctx, parse(body)?).await?),
        "ListWebhooks" => encode(hooks::list(webhooks, ctx).await?),
        "DeleteWebhook" => encode(hooks::delete(webhooks, ctx, parse(body)?).await?),
        "RotateWebhookSecret" => encode(hooks::rotate_secret(webhooks, ctx, parse(body)?).await?),
        "EnableWebhook" => encode(hooks::enable(webhooks, ctx, parse(body)?).await?),
        "TestWebhook" => encode(hooks::test(webhooks, ctx, parse(body)?).await?),
        _ => Err(AwsError::unknown_operation(&format!(
            "KinkoAdmin.{operation}"
        ))),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    parse_body(body)
}

fn encode(response: impl Serialize) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(&response).map_err(|_| AwsError::internal())
}

fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str, AwsError> {
    value
        .as_deref()
        .ok_or_else(|| AwsError::new("ValidationException", format!("{member} is required.")))
}

fn tags_from(shapes: Option<Vec<TagShape>>) -> Result<Vec<Tag>, AwsError> {
    shapes
        .unwrap_or_default()
        .into_iter()
        .map(|t| match (t.key, t.value) {
            (Some(key), Some(value)) => Ok(Tag { key, value }),
            _ => Err(AwsError::new(
                "ValidationException",
                "Every tag needs a Key and a Value.",
            )),
        })
        .collect()
}

fn principal_shape(p: &PrincipalRecord) -> Principal {
    Principal {
        name: p.name.clone(),
        kind: p.kind,
        arn: p.arn.clone(),
        unique_id: p.unique_id.clone(),
        create_date: Epoch(p.created_ms),
        tags: p.tags.clone(),
        trust_policy: p.trust_policy.clone(),
    }
}

fn key_status(active: bool) -> KeyStatus {
    if active {
        KeyStatus::Active
    } else {
        KeyStatus::Inactive
    }
}

fn key_metadata(k: &AccessKeyRecord, principal_name: &str) -> AccessKeyMetadata {
    AccessKeyMetadata {
        access_key_id: k.access_key_id.clone(),
        principal: principal_name.to_owned(),
        status: key_status(k.active),
        create_date: Epoch(k.created_ms),
        retire_date: k.retire_ms.map(Epoch),
        last_used_date: k.last_used_ms.map(Epoch),
        last_used_operation: k.last_used_operation.clone(),
    }
}

/// The one place a new secret key is put on the wire: Create/Rotate.
fn new_key_shape(key: &AccessKey, principal_name: &str) -> NewAccessKey {
    NewAccessKey {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: key.secret_access_key.clone(),
        principal: principal_name.to_owned(),
        status: KeyStatus::Active,
        create_date: Epoch(jiff::Timestamp::now().as_millisecond()),
    }
}

fn session_shape(s: &SessionCredentials) -> kinko_model::admin::SessionCredentials {
    kinko_model::admin::SessionCredentials {
        access_key_id: s.access_key_id.clone(),
        secret_access_key: s.secret_access_key.clone(),
        session_token: SecretString::new(s.session_token.clone()),
        expiration: Epoch(s.expiration_ms),
    }
}

fn caller_identity(ctx: &RequestContext) -> GetCallerIdentityResponse {
    GetCallerIdentityResponse {
        account: ctx.caller.account_id.clone(),
        arn: ctx.caller.arn.clone(),
        user_id: ctx.user_id.clone(),
    }
}

fn oidc_provider_shape(p: &kinko_core::web_identity::OidcProvider) -> OidcProviderShape {
    OidcProviderShape {
        arn: p.arn.clone(),
        url: p.url.clone(),
        client_id_list: p.client_ids.clone(),
        thumbprint_list: p.thumbprints.clone(),
        key_ids: match &p.keys {
            KeySource::Inline { jwks, .. } => {
                jwks.keys.iter().filter_map(|k| k.kid.clone()).collect()
            }
            _ => Vec::new(),
        },
        key_source: match &p.keys {
            KeySource::Inline { .. } => "inline",
            KeySource::Url(_) => "url",
            KeySource::Discovery => "discovery",
        }
        .to_owned(),
        jwks_url: match &p.keys {
            KeySource::Url(url) => Some(url.clone()),
            _ => None,
        },
        create_date: Epoch(p.created_ms),
    }
}

impl Admin<'_> {
    async fn create_oidc_provider(
        &self,
        req: CreateOidcProviderRequest,
    ) -> Result<OidcProviderResponse, AwsError> {
        let url = required(&req.url, "Url")?;
        let arn = self.identity.oidc_provider_arn(url);
        self.ctx
            .authorize(Check::new("kinko:CreateOpenIDConnectProvider", &arn))?;
        let provider = self
            .identity
            .create_oidc_provider(kinko_core::principals::NewOidcProvider {
                url: url.to_owned(),
                client_ids: req.client_id_list,
                thumbprints: req.thumbprint_list,
                jwks: req.jwks,
                jwks_url: req.jwks_url,
            })
            .await?;
        Ok(OidcProviderResponse {
            provider: oidc_provider_shape(&provider),
        })
    }

    async fn get_oidc_provider(
        &self,
        req: OidcProviderArnRequest,
    ) -> Result<OidcProviderResponse, AwsError> {
        let arn = required(&req.arn, "OpenIDConnectProviderArn")?;
        self.ctx
            .authorize(Check::new("kinko:GetOpenIDConnectProvider", arn))?;
        let provider = self.identity.oidc_provider(arn).await?;
        Ok(OidcProviderResponse {
            provider: oidc_provider_shape(&provider),
        })
    }

    async fn list_oidc_providers(&self) -> Result<ListOidcProvidersResponse, AwsError> {
        self.ctx
            .authorize(Check::new("kinko:ListOpenIDConnectProviders", "*"))?;
        let all = self.identity.list_oidc_providers().await?;
        Ok(ListOidcProvidersResponse {
            providers: all.iter().map(oidc_provider_shape).collect(),
        })
    }

    async fn delete_oidc_provider(
        &self,
        req: OidcProviderArnRequest,
    ) -> Result<EmptyResponse, AwsError> {
        let arn = required(&req.arn, "OpenIDConnectProviderArn")?;
        self.ctx
            .authorize(Check::new("kinko:DeleteOpenIDConnectProvider", arn))?;
        self.identity.delete_oidc_provider(arn).await?;
        Ok(EmptyResponse {})
    }
}

struct Admin<'a> {
    identity: &'a Identity,
    audit: &'a AuditReader,
    ctx: &'a RequestContext,
}

impl Admin<'_> {
    /// Authorizes `kinko:<op>` on a principal (by name or ARN; the ARN is
    /// formed for a user when the principal does not exist, so a denial
    /// does not reveal whether it does).
    async fn authorize_on(
        &self,
        action: &'static str,
        name_or_arn: &str,
    ) -> Result<Option<PrincipalRecord>, AwsError> {
        let found = match self.identity.principal(name_or_arn).await {
            Ok(p) => Some(p),
            Err(kinko_core::principals::IdentityError::NoSuchPrincipal(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let arn = match &found {
            Some(p) => p.arn.clone(),
            None if name_or_arn.starts_with("arn:") => name_or_arn.to_owned(),
            None => self
                .identity
                .principal_arn(PrincipalKind::User, name_or_arn),
        };
        self.ctx.authorize(Check::new(action, &arn))?;
        Ok(found)
    }

    async fn existing(
        &self,
        action: &'static str,
        name_or_arn: &str,
    ) -> Result<PrincipalRecord, AwsError> {
        self.authorize_on(action, name_or_arn)
            .await?
            .ok_or_else(|| {
                kinko_core::principals::IdentityError::NoSuchPrincipal(name_or_arn.to_owned())
                    .into()
            })
    }

    async fn create_principal(
        &self,
        req: CreatePrincipalRequest,
    ) -> Result<PrincipalResponse, AwsError> {
        let name = required(&req.name, "Name")?;
        let kind = match req.kind.as_deref() {
            None | Some("User") => PrincipalKind::User,
            Some("Role") => PrincipalKind::Role,
            Some(other) => {
                return Err(AwsError::new(
                    "ValidationException",
                    format!("Type must be User or Role, not '{other}'."),
                ));
            }
        };
        let arn = self.identity.principal_arn(kind, name);
        self.ctx
            .authorize(Check::new("kinko:CreatePrincipal", &arn))?;
        let record = self
            .identity
            .create_principal(NewPrincipal {
                name: name.to_owned(),
                kind,
                tags: tags_from(req.tags)?,
                trust_policy: req.trust_policy,
            })
            .await?;
        Ok(PrincipalResponse {
            principal: principal_shape(&record),
        })
    }

    async fn get_principal(
        &self,
        req: PrincipalNameRequest,
    ) -> Result<PrincipalResponse, AwsError> {
        let name = required(&req.name, "Name")?;
        let principal = self.existing("kinko:GetPrincipal", name).await?;
        Ok(PrincipalResponse {
            principal: principal_shape(&principal),
        })
    }

    async fn list_principals(&self) -> Result<ListPrincipalsResponse, AwsError> {
        self.ctx
            .authorize(Check::new("kinko:ListPrincipals", "*"))?;
        let all = self.identity.list_principals().await?;
        Ok(ListPrincipalsResponse {
            principals: all.iter().map(principal_shape).collect(),
        })
    }

    async fn delete_principal(&self, req: PrincipalNameRequest) -> Result<EmptyResponse, AwsError> {
        let name = required(&req.name, "Name")?;
        let principal = self.existing("kinko:DeletePrincipal", name).await?;
        self.identity.delete_principal(&principal.arn).await?;
        Ok(EmptyResponse {})
    }

    async fn tag_principal(&self, req: TagPrincipalRequest) -> Result<EmptyResponse, AwsError> {
        let name = required(&req.name, "Name")?;
        let tags = tags_from(req.tags)?;
        let principal = self.existing("kinko:TagPrincipal", name).await?;
        self.identity.tag_principal(&principal.arn, tags).await?;
        Ok(EmptyResponse {})
    }

    async fn untag_principal(&self, req: UntagPrincipalRequest) -> Result<EmptyResponse, AwsError> {
        let name = required(&req.name, "Name")?;
        let principal = self.existing("kinko:UntagPrincipal", name).await?;
        self.identity
            .untag_principal(&principal.arn, &req.tag_keys.unwrap_or_default())
            .await?;
        Ok(EmptyResponse {})
    }

    async fn put_trust_policy(
        &self,
        req: PutTrustPolicyRequest,
    ) -> Result<EmptyResponse, AwsError> {
        let name = required(&req.name, "Name")?;
        let document = required(&req.policy_document, "PolicyDocument")?;
        let principal = self.existing("kinko:PutTrustPolicy", name).await?;
        self.identity
            .put_trust_policy(&principal.arn, document.to_owned())
            .await?;
        Ok(EmptyResponse {})
    }

    async fn put_policy(&self, req: PolicyRequest) -> Result<EmptyResponse, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let name = required(&req.policy_name, "PolicyName")?;
        let document = required(&req.policy_document, "PolicyDocument")?;
        let principal = self.existing("kinko:PutPolicy", principal).await?;
        self.identity
            .put_policy(&principal.arn, name, document)
            .await?;
        Ok(EmptyResponse {})
    }

    async fn get_policy(&self, req: PolicyRequest) -> Result<GetPolicyResponse, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let name = required(&req.policy_name, "PolicyName")?;
        let principal = self.existing("kinko:GetPolicy", principal).await?;
        let policy = self.identity.get_policy(&principal.arn, name).await?;
        Ok(GetPolicyResponse {
            policy_name: policy.name,
            policy_document: policy.document,
            update_date: Epoch(policy.updated_ms),
        })
    }

    async fn list_policies(&self, req: PrincipalRequest) -> Result<ListPoliciesResponse, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let principal = self.existing("kinko:ListPolicies", principal).await?;
        let policies = self.identity.list_policies(&principal.arn).await?;
        Ok(ListPoliciesResponse {
            policies: policies
                .into_iter()
                .map(|p| PolicySummary {
                    policy_name: p.name,
                    update_date: Epoch(p.updated_ms),
                })
                .collect(),
        })
    }

    async fn delete_policy(&self, req: PolicyRequest) -> Result<EmptyResponse, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let name = required(&req.policy_name, "PolicyName")?;
        let principal = self.existing("kinko:DeletePolicy", principal).await?;
        self.identity.delete_policy(&principal.arn, name).await?;
        Ok(EmptyResponse {})
    }

    async fn create_access_key(
        &self,
        req: PrincipalRequest,
    ) -> Result<CreateAccessKeyResponse, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let principal = self.existing("kinko:CreateAccessKey", principal).await?;
        let key = self.identity.create_key(&principal.arn).await?;
        Ok(CreateAccessKeyResponse {
            access_key: new_key_shape(&key, &principal.name),
        })
    }

    async fn list_access_keys(
        &self,
        req: PrincipalRequest,
    ) -> Result<ListAccessKeysResponse, AwsError> {
        let (keys, names) = match req.principal.as_deref() {
            Some(p) => {
                let principal = self.existing("kinko:ListAccessKeys", p).await?;
                let keys = self.identity.list_keys(Some(&principal.arn)).await?;
                (keys, vec![principal])
            }
            None => {
                self.ctx
                    .authorize(Check::new("kinko:ListAccessKeys", "*"))?;
                (
                    self.identity.list_keys(None).await?,
                    self.identity.list_principals().await?,
                )
            }
        };
        let name_of = |arn: &str| {
            names
                .iter()
                .find(|p| p.arn == arn)
                .map_or_else(|| arn.to_owned(), |p| p.name.clone())
        };
        Ok(ListAccessKeysResponse {
            access_keys: keys
                .iter()
                .map(|k| key_metadata(k, &name_of(&k.principal_arn)))
                .collect(),
        })
    }

    /// The owner of a key, authorized for `action` (NoSuchEntity for an
    /// unknown key only after the caller may act on keys at all).
    async fn key_owner(
        &self,
        action: &'static str,
        key_id: &str,
    ) -> Result<AccessKeyRecord, AwsError> {
        match self.identity.key(key_id).await {
            Ok(key) => {
                self.ctx.authorize(Check::new(action, &key.principal_arn))?;
                Ok(key)
            }
            Err(e @ kinko_core::principals::IdentityError::NoSuchKey(_)) => {
                self.ctx.authorize(Check::new(action, "*"))?;
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn update_access_key(
        &self,
        req: UpdateAccessKeyRequest,
    ) -> Result<EmptyResponse, AwsError> {
        let key_id = required(&req.access_key_id, "AccessKeyId")?;
        let active = match required(&req.status, "Status")? {
            "Active" => true,
            "Inactive" => false,
            other => {
                return Err(AwsError::new(
                    "ValidationException",
                    format!("Status must be Active or Inactive, not '{other}'."),
                ));
            }
        };
        let key = self.key_owner("kinko:UpdateAccessKey", key_id).await?;
        self.identity.set_key_active(&key, active).await?;
        Ok(EmptyResponse {})
    }

    async fn delete_access_key(&self, req: AccessKeyIdRequest) -> Result<EmptyResponse, AwsError> {
        let key_id = required(&req.access_key_id, "AccessKeyId")?;
        self.key_owner("kinko:DeleteAccessKey", key_id).await?;
        self.identity.delete_key(key_id).await?;
        Ok(EmptyResponse {})
    }

    async fn rotate_access_key(
        &self,
        req: RotateAccessKeyRequest,
    ) -> Result<RotateAccessKeyResponse, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let principal = self.existing("kinko:RotateAccessKey", principal).await?;
        let rotation = self
            .identity
            .rotate_key(
                &principal.arn,
                req.access_key_id.as_deref(),
                req.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS),
            )
            .await?;
        Ok(RotateAccessKeyResponse {
            access_key: new_key_shape(&rotation.new_key, &principal.name),
            retired_access_key_id: rotation.retired_key_id,
            retire_date: Epoch(rotation.retire_ms),
        })
    }

    /// The same AssumeRole as STS's; `RoleName` is a role name or ARN.
    async fn assume_role(&self, req: AssumeRoleRequest) -> Result<AssumeRoleResponse, AwsError> {
        let role = required(&req.role_name, "RoleName")?;
        required(&req.role_session_name, "RoleSessionName")?;
        let role_arn = if role.starts_with("arn:") {
            role.to_owned()
        } else {
            self.identity.principal_arn(PrincipalKind::Role, role)
        };
        let input = AssumeRoleInput {
            role_arn: Some(role_arn),
            role_session_name: req.role_session_name,
            policy_arns: req
                .policy_arns
                .unwrap_or_default()
                .into_iter()
                .map(Some)
                .collect(),
            policy: req.policy,
            duration_seconds: req.duration_seconds.map(DurationInput::Seconds),
            tags: req
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| TagInput {
                    key: t.key,
                    value: t.value,
                })
                .collect(),
            transitive_tag_keys: req.transitive_tag_keys.unwrap_or_default(),
            external_id: req.external_id,
            source_identity: req.source_identity,
            ..AssumeRoleInput::default()
        };
        let assumed = assume::assume(self.identity, self.ctx, &input).await?;
        let claims = &assumed.credentials.claims;
        Ok(AssumeRoleResponse {
            credentials: session_shape(&assumed.credentials),
            assumed_role_arn: claims.session_arn.clone(),
            assumed_role_id: assumed.assumed_role_id,
            packed_policy_size: assumed.packed_policy_size,
            source_identity: claims.source_identity.clone(),
        })
    }

    async fn simulate(
        &self,
        req: SimulatePolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let action = required(&req.action, "Action")?;
        let resource = required(&req.resource, "Resource")?;
        let principal = self.existing("kinko:SimulatePolicy", principal).await?;
        let access = self.identity.access(&principal.arn).await?.ok_or_else(|| {
            AwsError::from(kinko_core::principals::IdentityError::NoSuchPrincipal(
                principal.name.clone(),
            ))
        })?;
        // sts:AssumeRole (and its companions) on a role is decided by the
        // role's trust policy, which must allow the principal itself.
        let trust = TRUST_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
            && resource.contains(":role/");
        let stored_trust = if trust && req.resource_policy.is_none() {
            self.identity
                .role_to_assume(resource)
                .await?
                .map(|(_, trust)| trust)
        } else {
            None
        };
        let resource_policy = req.resource_policy.as_deref().or(stored_trust.as_deref());
        if let Some(text) = resource_policy {
            Policy::parse_resource(text)
                .map_err(|e| AwsError::new("MalformedPolicyDocumentException", e.to_string()))?;
        }
        let resource_tags = tags_from(req.resource_tags)?;
        let mut facts = RequestFacts {
            source_ip: None,
            secure_transport: true,
            time: jiff::Timestamp::now(),
        };
        let mut extra = Vec::new();
        for (key, values) in req.context.unwrap_or_default() {
            let lower = key.to_ascii_lowercase();
            // A multivalued key (aws:TagKeys) keeps every value.
            let mut values = values.into_iter();
            let Some(value) = values.next() else {
                continue;
            };
            extra.extend(values.map(|more| (lower.clone(), more)));
            let bad = |what: &str| {
                AwsError::new(
                    "ValidationException",
                    format!("Context key {key}: '{value}' is not {what}."),
                )
            };
            match lower.as_str() {
                "aws:sourceip" => {
                    facts.source_ip = Some(value.parse().map_err(|_| bad("an IP address"))?)
                }
                "aws:securetransport" => {
                    facts.secure_transport = value.parse().map_err(|_| bad("true or false"))?;
                }
                "aws:currenttime" => {
                    facts.time = value.parse().map_err(|_| bad("an ISO 8601 time"))?;
                }
                _ => extra.push((lower, value)),
            }
        }
        // The request path's own evaluation, with the facts given.
        let simulated =
            Access::simulating(access, self.identity.account_id().to_owned(), facts, extra);
        // A resource policy given for a KMS key is its key policy, which
        // (like a trust policy) must allow the principal or delegate to
        // the account. Grants are not simulated.
        let key_policy = !trust && resource_policy.is_some() && is_kms_key_arn(resource);
        let check = Check {
            resource_tags: (!resource_tags.is_empty()).then_some(resource_tags.as_slice()),
            resource_policy,
            trust,
            key_policy,
            ..Check::new(action, resource)
        };
        let (decision, reason) = simulated.explain(&check);
        Ok(SimulatePolicyResponse {
            decision: match decision.outcome {
                Outcome::Allow => SimulationDecision::Allowed,
                Outcome::ExplicitDeny => SimulationDecision::ExplicitDeny,
                Outcome::ImplicitDeny => SimulationDecision::ImplicitDeny,
            },
            reason,
            matched_statement: decision.statement.map(|statement| MatchedStatement {
                policy: statement.policy,
                index: statement.index,
                sid: statement.sid,
            }),
        })
    }

    async fn query_audit(
        &self,
        req: QueryAuditLogRequest,
    ) -> Result<QueryAuditLogResponse, AwsError> {
        self.ctx.authorize(Check::new("kinko:QueryAuditLog", "*"))?;
        let decision = match req.decision.as_deref() {
            None => None,
            Some("allow") => Some(Verdict::Allow),
            Some("deny") => Some(Verdict::Deny),
            Some(other) => {
                return Err(AwsError::new(
                    "ValidationException",
                    format!("Decision must be allow or deny, not '{other}'."),
                ));
            }
        };
        let limit = req.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(AwsError::new(
                "ValidationException",
                "Limit must be between 1 and 1000.",
            ));
        }
        let query = AuditQuery {
            after_seq: req.after_seq,
            tail: req.tail,
            limit,
            principal: req.principal,
            action: req.action,
            decision,
            since_ms: req.since.map(|s| (s * 1000.0) as i64),
            until_ms: req.until.map(|s| (s * 1000.0) as i64),
        };
        let (records, next) = self.audit.query(&query).await.map_err(store_error)?;
        Ok(QueryAuditLogResponse {
            records,
            next_seq: next,
        })
    }

    async fn verify_audit(&self) -> Result<VerifyAuditLogResponse, AwsError> {
        self.ctx
            .authorize(Check::new("kinko:VerifyAuditLog", "*"))?;
        let outcome = self.audit.verify().await.map_err(store_error)?;
        Ok(match outcome {
            Ok(chain) => VerifyAuditLogResponse {
                intact: true,
                records: Some(chain.records),
                head_seq: chain.head_seq,
                head_hash: chain.head_hash,
                problem: None,
            },
            Err(problem) => {
                let (head_seq, head_hash) = self.audit.head().await.map_err(store_error)?;
                VerifyAuditLogResponse {
                    intact: false,
                    records: None,
                    head_seq,
                    head_hash,
                    problem: Some(AuditProblem {
                        seq: problem.seq,
                        reason: problem.reason,
                    }),
                }
            }
        })
    }
}

/// `arn:PARTITION:kms:REGION:ACCOUNT:key/ID`.
fn is_kms_key_arn(resource: &str) -> bool {
    let mut parts = resource.splitn(6, ':');
    parts.next() == Some("arn")
        && parts.next().is_some()
        && parts.next() == Some("kms")
        && parts.nth(2).is_some_and(|r| r.starts_with("key/"))
}
