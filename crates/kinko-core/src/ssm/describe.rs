//! DescribeParameters: metadata (never values) of the parameters that pass
//! the filters, in name order, a page at a time.

use kinko_model::ssm::parameter_arn;
use kinko_store::{ParameterQuery, ParameterRecord};

use super::error::SsmError;
use super::filters::{self, Filter, FilterContext};
use super::get::SCAN_BATCH;
use super::model::{Caller, DescribeParametersInput, MetadataPage};
use super::paging::TokenScope;
use super::service::{ParameterStore, to_metadata};

pub const FILTERS_AND_PARAMETER_FILTERS: &str =
    "You can use either Filters or ParameterFilters in a single request.";

/// The narrowest store prefix the filters allow (one Path value, or one
/// Name BeginsWith/Equals value), so the scan reads less.
fn scan_prefix(filters: &[Filter]) -> Option<String> {
    filters.iter().find_map(|f| match f {
        Filter::Path { paths, .. } if paths.len() == 1 => Some(paths[0].prefix().to_owned()),
        Filter::Name { how, values } if values.len() == 1 && *how != filters::Match::Contains => {
            Some(values[0].clone())
        }
        _ => None,
    })
}

impl ParameterStore {
    pub async fn describe_parameters(
        &self,
        caller: &Caller,
        input: &DescribeParametersInput,
    ) -> Result<MetadataPage, SsmError> {
        self.describe_parameters_visible(caller, input, &|_| true)
            .await
    }

    /// DescribeParameters over the parameters whose ARN `visible` accepts
    /// only (a caller may describe some parameters but not all): pages stay
    /// full.
    pub async fn describe_parameters_visible(
        &self,
        caller: &Caller,
        input: &DescribeParametersInput,
        visible: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<MetadataPage, SsmError> {
        if !input.filters.is_empty() && !input.parameter_filters.is_empty() {
            return Err(SsmError::Validation(FILTERS_AND_PARAMETER_FILTERS.into()));
        }
        let filters = if input.filters.is_empty() {
            filters::validate(&input.parameter_filters, FilterContext::DescribeParameters)?
        } else {
            filters::from_legacy(&input.filters)?
        };
        let scope = TokenScope::new(
            "DescribeParameters",
            &caller.region,
            &format!("{filters:?}"),
        );
        let mut after = match input.next_token.as_deref() {
            Some(t) => Some(scope.open(self.keyring.as_ref(), t)?),
            None => None,
        };
        let prefix = scan_prefix(&filters);
        let max_results = input.max_results.max(1);
        let mut found: Vec<ParameterRecord> = Vec::with_capacity(max_results);
        let mut more = false;
        'scan: loop {
            let query = ParameterQuery {
                prefix: prefix.clone(),
                after: after.clone(),
                limit: SCAN_BATCH,
            };
            let batch = self.store.list_parameters(&caller.region, &query).await?;
            let exhausted = batch.len() < SCAN_BATCH;
            for record in batch {
                if found.len() == max_results {
                    more = true;
                    break 'scan;
                }
                after = Some(record.name.clone());
                let arn = parameter_arn(&caller.region, &caller.account_id, &record.name);
                if visible(&arn) && filters.iter().all(|f| f.matches(&record)) {
                    found.push(record);
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
        Ok(MetadataPage {
            parameters: found.into_iter().map(|r| to_metadata(caller, r)).collect(),
            next_token,
        })
    }
}
