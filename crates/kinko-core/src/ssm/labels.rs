//! LabelParameterVersion and UnlabelParameterVersion. Labels that break the
//! label rules are reported back, not errors; a label lives on one version
//! of a parameter at a time, so labelling another version moves it.

use kinko_model::ssm::VersionSelector;
use kinko_model::ssm::{ParameterName, is_valid_label};
use kinko_store::{ParameterLookup, StoreError};

use super::error::SsmError;
use super::model::{Caller, LabelOutput, UnlabelOutput};
use super::service::{MAX_LABELS_PER_VERSION, ParameterStore, now_ms};

fn label_store_error(e: StoreError, name: &str, version: Option<u32>) -> SsmError {
    match e {
        StoreError::ParameterNotFound => SsmError::not_found(name),
        StoreError::VersionNotFound => {
            SsmError::version_not_found(&version.map(|v| v.to_string()).unwrap_or_default(), name)
        }
        other => other.into(),
    }
}

impl ParameterStore {
    pub async fn label_parameter_version(
        &self,
        caller: &Caller,
        name: &str,
        version: Option<u32>,
        labels: &[String],
    ) -> Result<LabelOutput, SsmError> {
        let parsed = ParameterName::parse(name)?;
        let mut valid: Vec<String> = Vec::with_capacity(labels.len());
        let mut invalid_labels = Vec::new();
        for l in labels {
            if !is_valid_label(l) {
                invalid_labels.push(l.clone());
            } else if !valid.contains(l) {
                valid.push(l.clone());
            }
        }
        let version = if valid.is_empty() {
            // Nothing to attach; still answer for the version asked about.
            let selector = version.map_or(VersionSelector::Latest, VersionSelector::Version);
            match self
                .store
                .get_parameter(&caller.region, parsed.canonical(), &selector)
                .await?
            {
                ParameterLookup::Found(r) => r.version.version,
                ParameterLookup::VersionNotFound => {
                    return Err(label_store_error(
                        StoreError::VersionNotFound,
                        name,
                        version,
                    ));
                }
                ParameterLookup::NotFound => return Err(SsmError::not_found(name)),
            }
        } else {
            self.store
                .label_parameter_version(
                    &caller.region,
                    parsed.canonical(),
                    version,
                    &valid,
                    MAX_LABELS_PER_VERSION,
                    caller
                        .parameter_change(now_ms(), "LabelParameterVersion", &parsed)
                        .with("event", "LabelParameterVersion")
                        .with("labels", valid.clone()),
                )
                .await
                .map_err(|e| label_store_error(e, name, version))?
        };
        Ok(LabelOutput {
            invalid_labels,
            version,
        })
    }

    pub async fn unlabel_parameter_version(
        &self,
        caller: &Caller,
        name: &str,
        version: u32,
        labels: &[String],
    ) -> Result<UnlabelOutput, SsmError> {
        let parsed = ParameterName::parse(name)?;
        let out = self
            .store
            .unlabel_parameter_version(
                &caller.region,
                parsed.canonical(),
                version,
                labels,
                caller.parameter_change(now_ms(), "UnlabelParameterVersion", &parsed),
            )
            .await
            .map_err(|e| label_store_error(e, name, Some(version)))?;
        Ok(UnlabelOutput {
            removed_labels: out.removed,
            invalid_labels: out.invalid,
        })
    }
}
