//! kinko's admin API (`X-Amz-Target: KinkoAdmin.<Operation>`): principals,
//! policies, access keys, role sessions, policy simulation and the audit
//! log. JSON 1.1 like the AWS services, signed like them; each operation is
//! authorized as `kinko:<Operation>` on the principal's ARN (or `*` for the
//! account-wide ones), so an admin can be limited like anyone else.
//!
//! The contract (shapes and errors) is written down in README.md's "Admin
//! API" section; `kinko principal|key|policy|audit|assume-role` call it.

use std::net::IpAddr;

use kinko_core::audit::{self, AuditQuery, Verdict};
use kinko_core::credentials::{AccessKey, SessionCredentials};
use kinko_core::iam::{self, Context, Outcome, Policy};
use kinko_core::principals::{Identity, NewPrincipal};
use kinko_store::{AccessKeyRecord, PrincipalKind, PrincipalRecord, Tag};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::assume::{self, AssumeRoleInput, DurationInput, TagInput};
use crate::error::store_error;
use crate::wire::{Epoch, TagShape, parse_body};
use crate::{AwsError, Check, RequestContext};

/// The actions a role's trust policy decides (SimulatePolicy on a role ARN).
const TRUST_ACTIONS: [&str; 3] = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"];

/// Default grace of a rotated key: one hour.
const DEFAULT_GRACE_SECONDS: i64 = 3600;

/// Runs `KinkoAdmin.<operation>` for an authenticated caller.
pub async fn handle(
    identity: &Identity,
    operation: &str,
    body: &[u8],
    ctx: &RequestContext,
) -> Result<Vec<u8>, AwsError> {
    let admin = Admin { identity, ctx };
    let out = match operation {
        "CreatePrincipal" => admin.create_principal(parse(body)?).await,
        "GetPrincipal" => admin.get_principal(parse(body)?).await,
        "ListPrincipals" => admin.list_principals().await,
        "DeletePrincipal" => admin.delete_principal(parse(body)?).await,
        "TagPrincipal" => admin.tag_principal(parse(body)?).await,
        "UntagPrincipal" => admin.untag_principal(parse(body)?).await,
        "PutTrustPolicy" => admin.put_trust_policy(parse(body)?).await,
        "PutPolicy" => admin.put_policy(parse(body)?).await,
        "GetPolicy" => admin.get_policy(parse(body)?).await,
        "ListPolicies" => admin.list_policies(parse(body)?).await,
        "DeletePolicy" => admin.delete_policy(parse(body)?).await,
        "CreateAccessKey" => admin.create_access_key(parse(body)?).await,
        "ListAccessKeys" => admin.list_access_keys(parse(body)?).await,
        "UpdateAccessKey" => admin.update_access_key(parse(body)?).await,
        "DeleteAccessKey" => admin.delete_access_key(parse(body)?).await,
        "RotateAccessKey" => admin.rotate_access_key(parse(body)?).await,
        "AssumeRole" => admin.assume_role(parse(body)?).await,
        "GetCallerIdentity" => Ok(caller_identity(ctx)),
        "SimulatePolicy" => admin.simulate(parse(body)?).await,
        "QueryAuditLog" => admin.query_audit(parse(body)?).await,
        "VerifyAuditLog" => admin.verify_audit().await,
        _ => {
            return Err(AwsError::unknown_operation(&format!(
                "KinkoAdmin.{operation}"
            )));
        }
    }?;
    serde_json::to_vec(&out).map_err(|_| AwsError::internal())
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    parse_body(body)
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

fn kind_name(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "User",
        PrincipalKind::Role => "Role",
    }
}

fn principal_shape(p: &PrincipalRecord) -> Value {
    let mut shape = json!({
        "Name": p.name,
        "Type": kind_name(p.kind),
        "Arn": p.arn,
        "UniqueId": p.unique_id,
        "CreateDate": Epoch(p.created_ms),
        "Tags": p.tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect::<Vec<_>>(),
    });
    if let Some(trust) = &p.trust_policy {
        shape["TrustPolicy"] = Value::String(trust.clone());
    }
    shape
}

fn key_metadata(k: &AccessKeyRecord, principal_name: &str) -> Value {
    let mut shape = json!({
        "AccessKeyId": k.access_key_id,
        "Principal": principal_name,
        "Status": if k.active { "Active" } else { "Inactive" },
        "CreateDate": Epoch(k.created_ms),
    });
    if let Some(retire) = k.retire_ms {
        shape["RetireDate"] = json!(Epoch(retire));
    }
    if let Some(used) = k.last_used_ms {
        shape["LastUsedDate"] = json!(Epoch(used));
    }
    if let Some(op) = &k.last_used_operation {
        shape["LastUsedOperation"] = Value::String(op.clone());
    }
    shape
}

/// The one place a new secret key is put on the wire: Create/Rotate.
fn new_key_shape(key: &AccessKey, principal_name: &str) -> Value {
    json!({
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key.expose(),
        "Principal": principal_name,
        "Status": "Active",
        "CreateDate": Epoch(jiff::Timestamp::now().as_millisecond()),
    })
}

fn session_shape(s: &SessionCredentials) -> Value {
    json!({
        "AccessKeyId": s.access_key_id,
        "SecretAccessKey": s.secret_access_key.expose(),
        "SessionToken": s.session_token,
        "Expiration": Epoch(s.expiration_ms),
    })
}

fn caller_identity(ctx: &RequestContext) -> Value {
    json!({
        "Account": ctx.account_id,
        "Arn": ctx.principal_arn,
        "UserId": ctx.user_id,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatePrincipalRequest {
    name: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
    tags: Option<Vec<TagShape>>,
    trust_policy: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameRequest {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagPrincipalRequest {
    name: Option<String>,
    tags: Option<Vec<TagShape>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagPrincipalRequest {
    name: Option<String>,
    tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrustPolicyRequest {
    name: Option<String>,
    policy_document: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyRequest {
    principal: Option<String>,
    policy_name: Option<String>,
    policy_document: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PrincipalRequest {
    principal: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateKeyRequest {
    access_key_id: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyIdRequest {
    access_key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotateRequest {
    principal: Option<String>,
    access_key_id: Option<String>,
    grace_seconds: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleRequest {
    /// A role name or ARN.
    role_name: Option<String>,
    role_session_name: Option<String>,
    duration_seconds: Option<i64>,
    policy: Option<String>,
    policy_arns: Option<Vec<String>>,
    tags: Option<Vec<TagShape>>,
    transitive_tag_keys: Option<Vec<String>>,
    external_id: Option<String>,
    source_identity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SimulateRequest {
    principal: Option<String>,
    action: Option<String>,
    resource: Option<String>,
    context: Option<std::collections::BTreeMap<String, Vec<String>>>,
    resource_tags: Option<Vec<TagShape>>,
    resource_policy: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueryRequest {
    after_seq: Option<i64>,
    tail: Option<usize>,
    limit: Option<usize>,
    principal: Option<String>,
    action: Option<String>,
    decision: Option<String>,
    since: Option<f64>,
    until: Option<f64>,
}

struct Admin<'a> {
    identity: &'a Identity,
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

    async fn create_principal(&self, req: CreatePrincipalRequest) -> Result<Value, AwsError> {
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
        Ok(json!({ "Principal": principal_shape(&record) }))
    }

    async fn get_principal(&self, req: NameRequest) -> Result<Value, AwsError> {
        let name = required(&req.name, "Name")?;
        let principal = self.existing("kinko:GetPrincipal", name).await?;
        Ok(json!({ "Principal": principal_shape(&principal) }))
    }

    async fn list_principals(&self) -> Result<Value, AwsError> {
        self.ctx
            .authorize(Check::new("kinko:ListPrincipals", "*"))?;
        let all = self.identity.list_principals().await?;
        Ok(json!({ "Principals": all.iter().map(principal_shape).collect::<Vec<_>>() }))
    }

    async fn delete_principal(&self, req: NameRequest) -> Result<Value, AwsError> {
        let name = required(&req.name, "Name")?;
        let principal = self.existing("kinko:DeletePrincipal", name).await?;
        self.identity.delete_principal(&principal.arn).await?;
        Ok(json!({}))
    }

    async fn tag_principal(&self, req: TagPrincipalRequest) -> Result<Value, AwsError> {
        let name = required(&req.name, "Name")?;
        let tags = tags_from(req.tags)?;
        let principal = self.existing("kinko:TagPrincipal", name).await?;
        self.identity.tag_principal(&principal.arn, tags).await?;
        Ok(json!({}))
    }

    async fn untag_principal(&self, req: UntagPrincipalRequest) -> Result<Value, AwsError> {
        let name = required(&req.name, "Name")?;
        let principal = self.existing("kinko:UntagPrincipal", name).await?;
        self.identity
            .untag_principal(&principal.arn, &req.tag_keys.unwrap_or_default())
            .await?;
        Ok(json!({}))
    }

    async fn put_trust_policy(&self, req: TrustPolicyRequest) -> Result<Value, AwsError> {
        let name = required(&req.name, "Name")?;
        let document = required(&req.policy_document, "PolicyDocument")?;
        let principal = self.existing("kinko:PutTrustPolicy", name).await?;
        self.identity
            .put_trust_policy(&principal.arn, document.to_owned())
            .await?;
        Ok(json!({}))
    }

    async fn put_policy(&self, req: PolicyRequest) -> Result<Value, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let name = required(&req.policy_name, "PolicyName")?;
        let document = required(&req.policy_document, "PolicyDocument")?;
        let principal = self.existing("kinko:PutPolicy", principal).await?;
        self.identity
            .put_policy(&principal.arn, name, document)
            .await?;
        Ok(json!({}))
    }

    async fn get_policy(&self, req: PolicyRequest) -> Result<Value, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let name = required(&req.policy_name, "PolicyName")?;
        let principal = self.existing("kinko:GetPolicy", principal).await?;
        let policy = self.identity.get_policy(&principal.arn, name).await?;
        Ok(json!({
            "PolicyName": policy.name,
            "PolicyDocument": policy.document,
            "UpdateDate": Epoch(policy.updated_ms),
        }))
    }

    async fn list_policies(&self, req: PrincipalRequest) -> Result<Value, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let principal = self.existing("kinko:ListPolicies", principal).await?;
        let policies = self.identity.list_policies(&principal.arn).await?;
        Ok(json!({
            "Policies": policies
                .iter()
                .map(|p| json!({"PolicyName": p.name, "UpdateDate": Epoch(p.updated_ms)}))
                .collect::<Vec<_>>()
        }))
    }

    async fn delete_policy(&self, req: PolicyRequest) -> Result<Value, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let name = required(&req.policy_name, "PolicyName")?;
        let principal = self.existing("kinko:DeletePolicy", principal).await?;
        self.identity.delete_policy(&principal.arn, name).await?;
        Ok(json!({}))
    }

    async fn create_access_key(&self, req: PrincipalRequest) -> Result<Value, AwsError> {
        let principal = required(&req.principal, "Principal")?;
        let principal = self.existing("kinko:CreateAccessKey", principal).await?;
        let key = self.identity.create_key(&principal.arn).await?;
        Ok(json!({ "AccessKey": new_key_shape(&key, &principal.name) }))
    }

    async fn list_access_keys(&self, req: PrincipalRequest) -> Result<Value, AwsError> {
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
        Ok(json!({
            "AccessKeys": keys
                .iter()
                .map(|k| key_metadata(k, &name_of(&k.principal_arn)))
                .collect::<Vec<_>>()
        }))
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

    async fn update_access_key(&self, req: UpdateKeyRequest) -> Result<Value, AwsError> {
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
        Ok(json!({}))
    }

    async fn delete_access_key(&self, req: KeyIdRequest) -> Result<Value, AwsError> {
        let key_id = required(&req.access_key_id, "AccessKeyId")?;
        self.key_owner("kinko:DeleteAccessKey", key_id).await?;
        self.identity.delete_key(key_id).await?;
        Ok(json!({}))
    }

    async fn rotate_access_key(&self, req: RotateRequest) -> Result<Value, AwsError> {
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
        Ok(json!({
            "AccessKey": new_key_shape(&rotation.new_key, &principal.name),
            "RetiredAccessKeyId": rotation.retired_key_id,
            "RetireDate": Epoch(rotation.retire_ms),
        }))
    }

    /// The same AssumeRole as STS's; `RoleName` is a role name or ARN.
    async fn assume_role(&self, req: AssumeRoleRequest) -> Result<Value, AwsError> {
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
        let mut out = json!({
            "Credentials": session_shape(&assumed.credentials),
            "AssumedRoleArn": claims.session_arn,
            "AssumedRoleId": assumed.assumed_role_id,
        });
        if let Some(size) = assumed.packed_policy_size {
            out["PackedPolicySize"] = json!(size);
        }
        if let Some(source) = &claims.source_identity {
            out["SourceIdentity"] = json!(source);
        }
        Ok(out)
    }

    async fn simulate(&self, req: SimulateRequest) -> Result<Value, AwsError> {
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
        let resource_policy =
            match req.resource_policy.as_deref().or(stored_trust.as_deref()) {
                Some(text) => Some(Policy::parse_resource(text).map_err(|e| {
                    AwsError::new("MalformedPolicyDocumentException", e.to_string())
                })?),
                None => None,
            };
        // As the request path decides: a stored policy that does not parse
        // denies everything (fail closed).
        if let Some(name) = access.unreadable.first() {
            return Ok(json!({
                "Decision": "explicitDeny",
                "Reason": format!("the stored policy {name} does not parse; it denies every request"),
            }));
        }
        let resource_tags = tags_from(req.resource_tags)?;
        let mut source_ip: Option<IpAddr> = None;
        let mut secure_transport = true;
        let mut current_time = jiff::Timestamp::now();
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
                    source_ip = Some(value.parse().map_err(|_| bad("an IP address"))?)
                }
                "aws:securetransport" => {
                    secure_transport = value.parse().map_err(|_| bad("true or false"))?;
                }
                "aws:currenttime" => {
                    current_time = value.parse().map_err(|_| bad("an ISO 8601 time"))?;
                }
                _ => extra.push((lower, value)),
            }
        }
        let context = Context {
            account_id: self.identity.account_id(),
            principal_arn: &principal.arn,
            caller_arn: &principal.arn,
            username: (principal.kind == PrincipalKind::User).then_some(principal.name.as_str()),
            principal_tags: &principal.tags,
            resource_tags: (!resource_tags.is_empty()).then_some(resource_tags.as_slice()),
            source_ip,
            current_time,
            secure_transport,
            source_identity: None,
            sts: None,
            extra: &extra,
        };
        let identity_policies = access.policy_refs();
        let policies = if trust {
            iam::Policies::trust(&identity_policies, resource_policy.as_ref())
        } else {
            iam::Policies::new(&identity_policies, resource_policy.as_ref())
        };
        let decision = iam::decide(
            &policies,
            &iam::Request {
                action,
                resource,
                context: &context,
            },
        );
        let mut out = json!({
            "Decision": match decision.outcome {
                Outcome::Allow => "allowed",
                Outcome::ExplicitDeny => "explicitDeny",
                Outcome::ImplicitDeny => "implicitDeny",
            }
        });
        if let Some(statement) = &decision.statement {
            let mut matched = json!({"Policy": statement.policy, "Index": statement.index});
            if let Some(sid) = &statement.sid {
                matched["Sid"] = Value::String(sid.clone());
            }
            out["MatchedStatement"] = matched;
        }
        Ok(out)
    }

    async fn query_audit(&self, req: QueryRequest) -> Result<Value, AwsError> {
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
        let (records, next) = audit::query(&**self.identity.store(), &query)
            .await
            .map_err(store_error)?;
        let mut out = json!({ "Records": records });
        if let Some(next) = next {
            out["NextSeq"] = json!(next);
        }
        Ok(out)
    }

    async fn verify_audit(&self) -> Result<Value, AwsError> {
        self.ctx
            .authorize(Check::new("kinko:VerifyAuditLog", "*"))?;
        let store = self.identity.store();
        let outcome = audit::verify(&**store).await.map_err(store_error)?;
        Ok(match outcome {
            Ok(chain) => json!({
                "Intact": true,
                "Records": chain.records,
                "HeadSeq": chain.head_seq,
                "HeadHash": chain.head_hash,
            }),
            Err(problem) => {
                let (head_seq, head_hash) = store
                    .audit_head()
                    .await
                    .map_err(store_error)?
                    .unwrap_or((0, kinko_store::AUDIT_GENESIS.to_owned()));
                json!({
                    "Intact": false,
                    "Records": Value::Null,
                    "HeadSeq": head_seq,
                    "HeadHash": head_hash,
                    "Problem": {"Seq": problem.seq, "Reason": problem.reason},
                })
            }
        })
    }
}
