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

/// The words AWS's search sees in `text`: runs of letters and digits,
/// split at every other character (`/ _ + = . @ -`, space, ...), at a
/// lower→upper case change (`AppBeta` → `App`, `Beta`) and between letters
/// and digits (`db2` → `db`, `2`), as the "Find secrets" user guide
/// describes (`credsDatabase#892` → `creds`, `Database`, `892`).
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if !c.is_alphanumeric() {
            if let Some(s) = start.take() {
                out.push(&text[s..i]);
            }
            prev = None;
            continue;
        }
        let boundary = prev.is_some_and(|p| {
            (p.is_lowercase() && c.is_uppercase()) || (p.is_numeric() != c.is_numeric())
        });
        if boundary && let Some(s) = start.replace(i) {
            out.push(&text[s..i]);
        }
        start.get_or_insert(i);
        prev = Some(c);
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// A search value against one field, word-wise and not case-sensitive:
/// every word of the value must begin some word of the field (`one two`
/// matches "one and two", `Beta` matches `prod/AppBeta/x`). A value with no
/// words (`""`, `"/"`) matches nothing.
///
/// All the words must be found in the same field: that is how moto, tested
/// against AWS, matches `description`; whether AWS's `all` may take the
/// words from different fields is unconfirmed.
fn words_match(value: &str, field: &str) -> bool {
    let wanted: Vec<String> = words(value).iter().map(|w| w.to_lowercase()).collect();
    if wanted.is_empty() {
        return false;
    }
    let have: Vec<String> = words(field).iter().map(|w| w.to_lowercase()).collect();
    wanted
        .iter()
        .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
}

/// One (non-negated) filter value against one secret, per the API
/// reference's `Filter` table: `name`, `tag-key`, `tag-value`,
/// `primary-region` and `owning-service` are case-sensitive prefixes of
/// the whole field; `description` and `all` match word-wise (above).
fn matches_value(key: FilterKey, value: &str, s: &SecretState) -> bool {
    let r = &s.record;
    let description = r.description.as_deref();
    match key {
        FilterKey::Name => r.name.starts_with(value),
        FilterKey::Description => description.is_some_and(|d| words_match(value, d)),
        FilterKey::TagKey => r.tags.iter().any(|t| t.key.starts_with(value)),
        FilterKey::TagValue => r.tags.iter().any(|t| t.value.starts_with(value)),
        FilterKey::PrimaryRegion => r
            .primary_region
            .as_deref()
            .unwrap_or(&r.region)
            .starts_with(value),
        // kinko has no service-owned secrets.
        FilterKey::OwningService => false,
        FilterKey::All => {
            words_match(value, &r.name)
                || description.is_some_and(|d| words_match(value, d))
                || r.tags
                    .iter()
                    .any(|t| words_match(value, &t.key) || words_match(value, &t.value))
        }
    }
}

/// Values of one filter OR, filters AND (the same key twice is two
/// filters); `!value` matches the secrets `value` does not match (for tags:
/// no tag matches).
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

#[cfg(test)]
mod filter_tests {
    use kinko_model::Tag;
    use kinko_store::SecretRecord;

    use super::*;

    fn secret(name: &str, description: Option<&str>, tags: &[(&str, &str)]) -> SecretState {
        SecretState {
            record: SecretRecord {
                region: "us-east-1".into(),
                name: name.into(),
                arn: format!("arn:aws:secretsmanager:us-east-1:1:secret:{name}-AbCdEf"),
                description: description.map(str::to_owned),
                kms_key_id: None,
                tags: tags
                    .iter()
                    .map(|(k, v)| Tag {
                        key: (*k).into(),
                        value: (*v).into(),
                    })
                    .collect(),
                tagged: !tags.is_empty(),
                resource_policy: None,
                created_ms: 0,
                last_changed_ms: 0,
                last_accessed_ms: None,
                deleted_ms: None,
                deletion_date_ms: None,
                primary_region: None,
                metadata: String::new(),
                revision: 0,
            },
            versions: Vec::new(),
        }
    }

    fn f(key: FilterKey, values: &[&str]) -> SecretFilter {
        SecretFilter {
            key,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn words_split_as_the_user_guide_says() {
        assert_eq!(words("credsDatabase#892"), ["creds", "Database", "892"]);
        assert_eq!(words("prod/AppBeta/x"), ["prod", "App", "Beta", "x"]);
        assert_eq!(
            words("a_b+c=d.e@f-g h"),
            ["a", "b", "c", "d", "e", "f", "g", "h"]
        );
        assert_eq!(words("db2Main"), ["db", "2", "Main"]);
        assert_eq!(words("ABC"), ["ABC"]);
        assert!(words("/-_").is_empty());
    }

    #[test]
    fn filters_as_aws_evaluates_them() {
        use FilterKey::*;
        let beta = secret(
            "prod/AppBeta/x",
            Some("One and two"),
            &[("Env", "Prod"), ("team", "core-db")],
        );
        let plain = secret("Zeta", None, &[]);
        // (filters, matches beta, matches plain)
        let table: Vec<(Vec<SecretFilter>, bool, bool)> = vec![
            (vec![], true, true),
            // name: case-sensitive prefix of the whole name.
            (vec![f(Name, &["prod/App"])], true, false),
            (vec![f(Name, &["Prod"])], false, false),
            (vec![f(Name, &["AppBeta"])], false, false),
            (vec![f(Name, &["!prod"])], false, true),
            // description: word-wise, not case-sensitive, every word.
            (vec![f(Description, &["TWO"])], true, false),
            (vec![f(Description, &["one two"])], true, false),
            (vec![f(Description, &["one three"])], false, false),
            (vec![f(Description, &["an"])], true, false),
            (vec![f(Description, &["ne"])], false, false),
            // tag-key / tag-value: case-sensitive prefixes.
            (vec![f(TagKey, &["En"])], true, false),
            (vec![f(TagKey, &["env"])], false, false),
            (vec![f(TagValue, &["core-"])], true, false),
            (vec![f(TagValue, &["db"])], false, false),
            (vec![f(TagKey, &["!Env"])], false, true),
            // all: words of name, description, tag keys and values.
            (vec![f(All, &["AppBeta"])], true, false),
            (vec![f(All, &["Beta"])], true, false),
            (vec![f(All, &["beta"])], true, false),
            (vec![f(All, &["eta"])], false, false),
            (vec![f(All, &["zeta"])], false, true),
            (vec![f(All, &["db"])], true, false),
            (vec![f(All, &["prod"])], true, false),
            (vec![f(All, &["one two"])], true, false),
            (vec![f(All, &["!beta"])], false, true),
            (vec![f(All, &["/"])], false, false),
            // primary-region (the secret's own region when not replicated).
            (vec![f(PrimaryRegion, &["us-east"])], true, true),
            (vec![f(PrimaryRegion, &["eu"])], false, false),
            (vec![f(OwningService, &["rds"])], false, false),
            (vec![f(OwningService, &["!rds"])], true, true),
            // values OR, filters AND.
            (vec![f(Name, &["nope", "Zeta"])], false, true),
            (vec![f(Name, &["prod"]), f(TagKey, &["team"])], true, false),
            (
                vec![f(Name, &["prod"]), f(TagKey, &["owner"])],
                false,
                false,
            ),
            (vec![f(Name, &["prod"]), f(Name, &["Zeta"])], false, false),
        ];
        for (filters, want_beta, want_plain) in table {
            assert_eq!(
                matches_all(&filters, &beta),
                want_beta,
                "{filters:?} on beta"
            );
            assert_eq!(
                matches_all(&filters, &plain),
                want_plain,
                "{filters:?} on plain"
            );
        }
    }
}
