//! The OpenID Connect providers, kept with the other identity rows (so
//! they are in backups and shared by every server of a store). They are
//! read from the store at each AssumeRoleWithWebIdentity: rare next to
//! signed requests, and so a provider removed on one server is gone on all
//! at once, with no cache to invalidate.

use kinko_store::OidcProviderRecord;

use super::{Identity, IdentityError};
use crate::web_identity::{
    self, Jwks, JwksFetcher, KeySource, MAX_CLIENT_IDS, MAX_THUMBPRINTS, OidcProvider,
    StoredConfig, TokenError, VerifiedToken,
};

/// A provider as the admin API registers it.
#[derive(Debug, Clone, Default)]
pub struct NewOidcProvider {
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    /// The JWKS document (JSON), or
    pub jwks: Option<String>,
    /// the URL to fetch it from; neither: OIDC discovery from `url`.
    pub jwks_url: Option<String>,
}

impl Identity {
    /// Lets providers registered with a JWKS URL (or for discovery) have
    /// their keys fetched; without it their tokens get `IDPCommunicationError`.
    pub fn with_jwks_fetcher(mut self, fetcher: std::sync::Arc<dyn JwksFetcher>) -> Self {
        self.remote_keys = web_identity::RemoteKeys::new(fetcher);
        self
    }

    /// `arn:PARTITION:iam::ACCT:oidc-provider/NAME` for an issuer URL.
    pub fn oidc_provider_arn(&self, url: &str) -> String {
        format!(
            "arn:{}:iam::{}:oidc-provider/{}",
            self.partition,
            self.account_id,
            web_identity::provider_name(url)
        )
    }

    /// Registers a provider (IAM's CreateOpenIDConnectProvider, with the
    /// JWKS, or its URL, given, or neither for discovery).
    pub async fn create_oidc_provider(
        &self,
        new: NewOidcProvider,
    ) -> Result<OidcProvider, IdentityError> {
        let url = web_identity::check_url(&new.url).map_err(IdentityError::Validation)?;
        if new.client_ids.is_empty() || new.client_ids.len() > MAX_CLIENT_IDS {
            return Err(IdentityError::Validation(format!(
                "A provider needs 1 to {MAX_CLIENT_IDS} client ids (the audiences its tokens \
                 name); {} were given.",
                new.client_ids.len()
            )));
        }
        if let Some(bad) = new
            .client_ids
            .iter()
            .find(|id| id.is_empty() || id.chars().count() > 255)
        {
            return Err(IdentityError::Validation(format!(
                "The client id '{}' must be 1 to 255 characters long.",
                web_identity::bounded(bad)
            )));
        }
        if new.thumbprints.len() > MAX_THUMBPRINTS {
            return Err(IdentityError::Validation(format!(
                "A provider has at most {MAX_THUMBPRINTS} thumbprints; {} were given.",
                new.thumbprints.len()
            )));
        }
        if let Some(bad) = new
            .thumbprints
            .iter()
            .find(|t| t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(IdentityError::Validation(format!(
                "The thumbprint '{}' must be 40 hexadecimal characters (a SHA-1 fingerprint).",
                web_identity::bounded(bad)
            )));
        }
        let keys = match (new.jwks, new.jwks_url) {
            (Some(_), Some(_)) => {
                return Err(IdentityError::Validation(
                    "Give the provider's JWKS or its JWKS URL, not both.".to_owned(),
                ));
            }
            (Some(text), None) => {
                let jwks =
                    Jwks::parse(&text).map_err(|e| IdentityError::Validation(e.to_string()))?;
                KeySource::Inline { text, jwks }
            }
            (None, Some(url)) => KeySource::Url(
                web_identity::check_jwks_url(&url).map_err(IdentityError::Validation)?,
            ),
            (None, None) => KeySource::Discovery,
        };
        let mut client_ids = new.client_ids;
        client_ids.dedup();
        let config = StoredConfig {
            url: url.clone(),
            client_ids: client_ids.clone(),
            thumbprints: new.thumbprints.clone(),
            jwks: match &keys {
                KeySource::Inline { text, .. } => Some(text.clone()),
                _ => None,
            },
            jwks_url: match &keys {
                KeySource::Url(url) => Some(url.clone()),
                _ => None,
            },
        };
        let record = OidcProviderRecord {
            arn: self.oidc_provider_arn(&url),
            config: serde_json::to_string(&config)
                .map_err(|e| IdentityError::Validation(e.to_string()))?,
            created_ms: jiff::Timestamp::now().as_millisecond(),
        };
        let change = crate::changes::iam_change(&record.arn, &url, "CreateOidcProvider");
        match self.rows.create_oidc_provider(record.clone(), change).await {
            Ok(()) => {}
            Err(kinko_store::StoreError::AlreadyExists) => {
                return Err(IdentityError::OidcProviderExists(url));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(OidcProvider {
            arn: record.arn,
            url,
            client_ids,
            thumbprints: new.thumbprints,
            keys,
            created_ms: record.created_ms,
        })
    }

    /// Every provider, in ARN order.
    pub async fn list_oidc_providers(&self) -> Result<Vec<OidcProvider>, IdentityError> {
        self.rows
            .list_oidc_providers()
            .await?
            .into_iter()
            .map(provider_from_record)
            .collect()
    }

    /// The provider `arn` names.
    pub async fn oidc_provider(&self, arn: &str) -> Result<OidcProvider, IdentityError> {
        match self.rows.get_oidc_provider(arn).await? {
            Some(record) => provider_from_record(record),
            None => Err(IdentityError::NoSuchOidcProvider(arn.to_owned())),
        }
    }

    pub async fn delete_oidc_provider(&self, arn: &str) -> Result<(), IdentityError> {
        let change = crate::changes::iam_change(arn, arn, "DeleteOidcProvider");
        if self.rows.delete_oidc_provider(arn, change).await? {
            Ok(())
        } else {
            Err(IdentityError::NoSuchOidcProvider(arn.to_owned()))
        }
    }

    /// Checks a web identity token at `now_s`: its issuer must be a
    /// registered provider, then [`web_identity::UnverifiedToken::verify`].
    pub async fn verify_web_identity(
        &self,
        token: &str,
        now_s: i64,
    ) -> Result<(OidcProvider, VerifiedToken), WebIdentityError> {
        let unverified = web_identity::token::parse(token)?;
        let issuer = unverified.issuer()?;
        let arn = self.oidc_provider_arn(issuer);
        let record = self
            .rows
            .get_oidc_provider(&arn)
            .await
            .map_err(|e| WebIdentityError::Identity(e.into()))?;
        let Some(record) = record else {
            return Err(TokenError::NoProvider(web_identity::bounded(issuer)).into());
        };
        let provider = provider_from_record(record)?;
        // The issuer must be the provider's URL itself, not only its name.
        if web_identity::provider_name(&provider.url) != web_identity::provider_name(issuer)
            || !issuer.starts_with("https://")
        {
            return Err(TokenError::NoProvider(web_identity::bounded(issuer)).into());
        }
        let verified = match &provider.keys {
            KeySource::Inline { jwks, .. } => {
                unverified.verify(jwks, &provider.client_ids, now_s)?
            }
            remote => {
                let keys = self
                    .remote_keys
                    .keys_for(
                        &provider.arn,
                        &provider.url,
                        remote,
                        &unverified,
                        std::time::Instant::now(),
                    )
                    .await?;
                unverified.verify(&keys, &provider.client_ids, now_s)?
            }
        };
        Ok((provider, verified))
    }
}

/// Why a web identity token was not accepted: the token's fault, or the
/// store's.
#[derive(Debug, thiserror::Error)]
pub enum WebIdentityError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

fn provider_from_record(record: OidcProviderRecord) -> Result<OidcProvider, IdentityError> {
    let corrupt = |what: String| {
        IdentityError::Store(kinko_store::StoreError::Backend(format!(
            "the stored OpenID Connect provider {} is not valid: {what}",
            record.arn
        )))
    };
    let config: StoredConfig =
        serde_json::from_str(&record.config).map_err(|e| corrupt(e.to_string()))?;
    let keys = match (config.jwks, config.jwks_url) {
        (Some(text), _) => {
            let jwks = Jwks::parse(&text).map_err(|e| corrupt(e.to_string()))?;
            KeySource::Inline { text, jwks }
        }
        (None, Some(url)) => KeySource::Url(url),
        (None, None) => KeySource::Discovery,
    };
    Ok(OidcProvider {
        arn: record.arn.clone(),
        url: config.url,
        client_ids: config.client_ids,
        thumbprints: config.thumbprints,
        keys,
        created_ms: record.created_ms,
    })
}
