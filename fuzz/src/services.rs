//! Real services over a fresh in-memory SQLite store, as `kinko server
//! --dev` builds them, and the request context every call runs in.

use std::sync::Arc;

use kinko_aws::{Access, Caller, Check, RequestContext, Services};
use kinko_core::credentials::Credentials;
use kinko_core::iam::Script;
use kinko_core::keyring::Keyring;
use kinko_core::kms::Kms;
use kinko_core::principals::{Identity, NewPrincipal};
use kinko_core::secrets::SecretsManager;
use kinko_core::ssm::ParameterStore;
use kinko_core::webhooks::{WebhookSender, Webhooks};
use kinko_model::Tag;
use kinko_model::iam::Policy;
use kinko_model::principals::PrincipalKind;
use kinko_store::{SqliteStore, Store};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// A role that exists in every fresh identity store, so that AssumeRole
/// gets past "no such role" without a setup call.
pub const ROLE: &str = "fuzz-role";

/// Everything one input runs against. Built anew for every input, so an
/// input's outcome depends on that input alone (a crash reproduces).
pub fn fresh() -> Services {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open_in_memory().expect("an in-memory SQLite store opens"));
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        kinko_crypto::RootKey::generate(),
        ACCOUNT.to_owned(),
    ));
    let credentials = Arc::new(Credentials::new(store.clone(), keyring.clone()));
    let identity = Arc::new(Identity::new(
        store.clone(),
        credentials,
        ACCOUNT.to_owned(),
        REGION,
    ));
    let secrets = Arc::new(SecretsManager::new(store.clone(), keyring.clone()));
    let ssm = ParameterStore::new(store.clone(), keyring.clone()).with_secrets(secrets.clone());
    let webhooks = Arc::new(Webhooks::new(
        store.clone(),
        store.clone(),
        keyring.clone(),
        Arc::new(kinko_core::clock::SystemClock),
        Arc::new(NoNetwork),
        Arc::new(ParameterStore::new(store.clone(), keyring.clone()).with_secrets(secrets.clone())),
    ));
    Services {
        ssm,
        secrets,
        webhooks,
        kms: Kms::new(store.clone(), keyring),
        identity,
        audit: kinko_core::audit::AuditReader::new(store),
    }
}

/// Fuzzed inputs never reach the network: a webhook test "fails to connect".
struct NoNetwork;

#[async_trait::async_trait]
impl WebhookSender for NoNetwork {
    async fn post(
        &self,
        _: &str,
        _: &[(&str, String)],
        _: &[u8],
    ) -> Result<kinko_core::webhooks::Answer, String> {
        Err("the fuzz harness sends nothing".to_owned())
    }
}

/// Creates [`ROLE`] with the default trust policy (the account).
pub async fn with_role(services: &Services) {
    services
        .identity
        .create_principal(NewPrincipal {
            name: ROLE.to_owned(),
            kind: PrincipalKind::Role,
            tags: Vec::new(),
            trust_policy: None,
        })
        .await
        .expect("the fuzz role is created in a fresh store");
}

/// The admin calling, allowed everything, in us-east-1.
pub fn context() -> RequestContext {
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/admin");
    RequestContext {
        caller: Caller {
            region: REGION.to_owned(),
            account_id: ACCOUNT.to_owned(),
            arn: arn.clone(),
        },
        user_id: "AIDAFUZZFUZZFUZZFUZZF".to_owned(),
        session: None,
        request_id: "fuzz-request".to_owned(),
        access: Arc::new(Access::scripted(arn, Arc::new(AllowAllWithTags))),
    }
}

/// Allows every check except on a resource whose ARN holds [`DENIED`]
/// (so the denial paths run too); asks for resource tags, so the
/// handlers' tag loading runs; parses any resource policy a check
/// carries, as the server's access checks do.
struct AllowAllWithTags;

/// A resource ARN holding this is denied.
pub const DENIED: &str = "denied";

impl Script for AllowAllWithTags {
    fn wants_resource_tags(&self, _action: &str) -> bool {
        true
    }

    fn allows(&self, check: &Check<'_>, _recorded: bool) -> bool {
        if let Some(policy) = check.resource_policy {
            let _ = Policy::parse_resource(policy);
        }
        let _: Option<&[Tag]> = check.resource_tags;
        !check.resource.contains(DENIED)
    }
}
