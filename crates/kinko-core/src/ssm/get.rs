//! GetParameter, GetParameters and GetParametersByPath.

use kinko_store::{ParameterLookup, ParameterQuery, ParameterRecord, VersionSelector};

use super::error::SsmError;
use super::filters::{self, Filter, FilterContext};
use super::model::{
    Caller, GetParametersByPathInput, GetParametersOutput, Parameter, ParametersPage,
};
use super::names::{ParameterPath, ParameterRef};
use super::paging::TokenScope;
use super::service::ParameterStore;

/// How many records GetParametersByPath/DescribeParameters read from the
/// store per round while filling a page.
pub(super) const SCAN_BATCH: usize = 50;

fn selector_token(s: &VersionSelector) -> String {
    match s {
        VersionSelector::Latest => String::new(),
        VersionSelector::Version(v) => v.to_string(),
        VersionSelector::Label(l) => l.clone(),
    }
}

impl ParameterStore {
    /// The hot path: one store read, one open.
    pub async fn get_parameter(
        &self,
        caller: &Caller,
        name: &str,
        with_decryption: bool,
    ) -> Result<Parameter, SsmError> {
        let r = ParameterRef::parse(name, &caller.region, &caller.account_id)?;
        match self
            .store
            .get_parameter(&caller.region, r.name.canonical(), &r.selector)
            .await?
        {
            ParameterLookup::Found(record) => {
                self.to_parameter(caller, record, r.selector_text, with_decryption)
                    .await
            }
            ParameterLookup::VersionNotFound => Err(SsmError::version_not_found(
                &selector_token(&r.selector),
                r.name_as_sent(),
            )),
            ParameterLookup::NotFound => Err(SsmError::not_found(&r.as_sent)),
        }
    }

    /// Unknown names, bad selectors and missing versions go to
    /// `invalid_parameters`; only faults are errors.
    pub async fn get_parameters(
        &self,
        caller: &Caller,
        names: &[String],
        with_decryption: bool,
    ) -> Result<GetParametersOutput, SsmError> {
        let mut parameters: Vec<Parameter> = Vec::with_capacity(names.len());
        let mut invalid_parameters = Vec::new();
        let mut seen: Vec<&str> = Vec::with_capacity(names.len());
        for raw in names {
            if seen.contains(&raw.as_str()) {
                continue;
            }
            seen.push(raw);
            let Ok(r) = ParameterRef::parse(raw, &caller.region, &caller.account_id) else {
                invalid_parameters.push(raw.clone());
                continue;
            };
            match self
                .store
                .get_parameter(&caller.region, r.name.canonical(), &r.selector)
                .await?
            {
                ParameterLookup::Found(record) => {
                    parameters.push(
                        self.to_parameter(caller, record, r.selector_text, with_decryption)
                            .await?,
                    );
                }
                ParameterLookup::VersionNotFound | ParameterLookup::NotFound => {
                    invalid_parameters.push(raw.clone());
                }
            }
        }
        parameters.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(GetParametersOutput {
            parameters,
            invalid_parameters,
        })
    }

    /// Latest version of each parameter under `path` (or the labelled
    /// version, with a `Label` filter), in name order, a page at a time.
    pub async fn get_parameters_by_path(
        &self,
        caller: &Caller,
        input: &GetParametersByPathInput,
    ) -> Result<ParametersPage, SsmError> {
        let recursive = input.recursive;
        let with_decryption = input.with_decryption;
        let path = ParameterPath::parse(&input.path)?;
        let filters =
            filters::validate(&input.parameter_filters, FilterContext::GetParametersByPath)?;
        let scope = TokenScope::new(
            "GetParametersByPath",
            &caller.region,
            &format!("{}|{recursive}|{filters:?}", path.prefix()),
        );
        let mut after = match input.next_token.as_deref() {
            Some(t) => Some(scope.open(self.keyring.as_ref(), t)?),
            None => None,
        };
        let labels: Option<&Vec<String>> = filters.iter().find_map(|f| match f {
            Filter::Label { values } => Some(values),
            _ => None,
        });
        let max_results = input.max_results.max(1);
        let mut found: Vec<ParameterRecord> = Vec::with_capacity(max_results);
        let mut more = false;
        'scan: loop {
            let query = ParameterQuery {
                prefix: Some(path.prefix().to_owned()),
                after: after.clone(),
                limit: SCAN_BATCH,
            };
            let batch = self.store.list_parameters(&caller.region, &query).await?;
            let exhausted = batch.len() < SCAN_BATCH;
            let count = batch.len();
            for (i, record) in batch.into_iter().enumerate() {
                if found.len() == max_results {
                    more = true;
                    break 'scan;
                }
                after = Some(record.name.clone());
                if !path.contains(&record.name, recursive) {
                    continue;
                }
                let record = match labels {
                    Some(labels) => {
                        match self.labelled_version(caller, &record.name, labels).await? {
                            Some(r) => r,
                            None => continue,
                        }
                    }
                    None => record,
                };
                if filters
                    .iter()
                    .all(|f| matches!(f, Filter::Label { .. }) || f.matches(&record))
                {
                    found.push(record);
                    if found.len() == max_results && i + 1 == count && exhausted {
                        break 'scan;
                    }
                }
            }
            if exhausted {
                break;
            }
        }
        let next_token = match (&after, more) {
            (Some(cursor), true) => Some(scope.issue(self.keyring.as_ref(), cursor)),
            _ => None,
        };
        let mut parameters = Vec::with_capacity(found.len());
        for record in found {
            parameters.push(
                self.to_parameter(caller, record, None, with_decryption)
                    .await?,
            );
        }
        Ok(ParametersPage {
            parameters,
            next_token,
        })
    }

    /// The version of `canonical` carrying the first of `labels` found.
    async fn labelled_version(
        &self,
        caller: &Caller,
        canonical: &str,
        labels: &[String],
    ) -> Result<Option<ParameterRecord>, SsmError> {
        for label in labels {
            let selector = VersionSelector::Label(label.clone());
            if let ParameterLookup::Found(r) = self
                .store
                .get_parameter(&caller.region, canonical, &selector)
                .await?
            {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}
