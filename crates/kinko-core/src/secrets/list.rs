//! ListSecrets: filters (§5 table, `!` negation), sorting and paging. The
//! store returns a region's secrets; the semantics are all here.

use kinko_store::SecretState;

use super::access::SecretAccess;
use super::error::SecretsError;
use super::model::{
    Caller, FilterKey, ListSecretsInput, ListSecretsOutput, SecretFilter, SortBy, SortOrder,
};
use super::service::SecretsManager;
use crate::ssm::paging::TokenScope;

/// ListSecrets' page size limit (and default).
pub const LIST_MAX: usize = 100;

fn words(text: &str) -> impl Iterator<Item = &str> {
    std::iter::once(text).chain(text.split(|c: char| !c.is_alphanumeric()))
}

fn any_word_starts_with(text: &str, prefix_lower: &str) -> bool {
    words(text).any(|w| !w.is_empty() && w.to_lowercase().starts_with(prefix_lower))
}

fn matches_value(key: FilterKey, value: &str, s: &SecretState) -> bool {
    let r = &s.record;
    match key {
        FilterKey::Name => r.name.starts_with(value),
        FilterKey::Description => {
            let lower = value.to_lowercase();
            r.description
                .as_deref()
                .is_some_and(|d| any_word_starts_with(d, &lower))
        }
        FilterKey::TagKey => r.tags.iter().any(|t| t.key.starts_with(value)),
        FilterKey::TagValue => r.tags.iter().any(|t| t.value.starts_with(value)),
        FilterKey::PrimaryRegion => r
            .primary_region
            .as_deref()
            .unwrap_or(&r.region)
            .starts_with(value),
        // kinko has no service-owned secrets.
        FilterKey::OwningService => false,
        FilterKey::All => value.split_whitespace().all(|word| {
            let lower = word.to_lowercase();
            any_word_starts_with(&r.name, &lower)
                || r.description
                    .as_deref()
                    .is_some_and(|d| any_word_starts_with(d, &lower))
                || r.tags.iter().any(|t| {
                    any_word_starts_with(&t.key, &lower) || any_word_starts_with(&t.value, &lower)
                })
        }),
    }
}

/// Values of one filter OR, filters AND; `!value` negates.
pub(super) fn matches_all(filters: &[SecretFilter], s: &SecretState) -> bool {
    filters.iter().all(|f| {
        f.values.iter().any(|v| match v.strip_prefix('!') {
            Some(negated) => !matches_value(f.key, negated, s),
            None => matches_value(f.key, v, s),
        })
    })
}

/// A key whose string order is the page order (ascending).
fn sort_key(s: &SecretState, by: SortBy) -> String {
    let r = &s.record;
    let n = match by {
        SortBy::CreatedDate => r.created_ms,
        SortBy::LastAccessedDate => r.last_accessed_ms.unwrap_or(0),
        SortBy::LastChangedDate => r.last_changed_ms,
        SortBy::Name => 0,
    };
    format!("{:020}\u{0}{}", n.max(0), r.name)
}

pub(super) struct Page {
    pub items: Vec<SecretState>,
    pub next_token: Option<String>,
}

/// Pages over an ordered candidate list with MAC'd cursors bound to the
/// operation, region and request.
pub(super) struct Candidates {
    scope: TokenScope,
}

impl Candidates {
    pub fn new(operation: &str, caller: &Caller, request: &str) -> Self {
        Candidates {
            scope: TokenScope::new(operation, &caller.region, request),
        }
    }

    /// `items` in name order (the store's); pages by name.
    pub fn page(
        &self,
        svc: &SecretsManager,
        items: Vec<SecretState>,
        max: usize,
        token: Option<&str>,
    ) -> Result<Page, SecretsError> {
        self.page_by(svc, items, max, token, |s| s.record.name.clone(), false)
    }

    pub fn page_by(
        &self,
        svc: &SecretsManager,
        mut items: Vec<SecretState>,
        max: usize,
        token: Option<&str>,
        key: impl Fn(&SecretState) -> String,
        descending: bool,
    ) -> Result<Page, SecretsError> {
        let mut keyed: Vec<(String, SecretState)> = items.drain(..).map(|s| (key(&s), s)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if descending {
            keyed.reverse();
        }
        if let Some(t) = token {
            let cursor = self
                .scope
                .open(svc.keyring.as_ref(), t)
                .map_err(|_| SecretsError::invalid_next_token())?;
            keyed.retain(|(k, _)| if descending { *k < cursor } else { *k > cursor });
        }
        let max = max.max(1);
        let more = keyed.len() > max;
        keyed.truncate(max);
        let next_token = match (more, keyed.last()) {
            (true, Some((k, _))) => Some(self.scope.issue(svc.keyring.as_ref(), k)),
            _ => None,
        };
        Ok(Page {
            items: keyed.into_iter().map(|(_, s)| s).collect(),
            next_token,
        })
    }
}

impl SecretsManager {
    pub async fn list_secrets(
        &self,
        caller: &Caller,
        input: &ListSecretsInput,
    ) -> Result<ListSecretsOutput, SecretsError> {
        self.list_secrets_visible(caller, input, &|_| true).await
    }

    /// ListSecrets over the secrets `visible` accepts only (a caller may
    /// be allowed to see some secrets but not all): pages stay full.
    pub async fn list_secrets_visible(
        &self,
        caller: &Caller,
        input: &ListSecretsInput,
        visible: &(dyn Fn(&SecretAccess) -> bool + Sync),
    ) -> Result<ListSecretsOutput, SecretsError> {
        let all = self.store.list_secrets(&caller.region).await?;
        let candidates: Vec<SecretState> = all
            .into_iter()
            .filter(|s| input.include_planned_deletion || s.record.deleted_ms.is_none())
            .filter(|s| visible(&SecretAccess::of(&s.record)))
            .filter(|s| matches_all(&input.filters, s))
            .collect();
        let request = format!(
            "{:?}|{:?}|{:?}|{}",
            input.filters, input.sort_by, input.sort_order, input.include_planned_deletion
        );
        let by = input.sort_by;
        let page = Candidates::new("ListSecrets", caller, &request).page_by(
            self,
            candidates,
            input.max_results.unwrap_or(LIST_MAX),
            input.next_token.as_deref(),
            |s| sort_key(s, by),
            input.sort_order == SortOrder::Desc,
        )?;
        let mut secrets = Vec::with_capacity(page.items.len());
        for s in &page.items {
            secrets.push(self.describe(s).await?);
        }
        Ok(ListSecretsOutput {
            secrets,
            next_token: page.next_token,
        })
    }
}
