//! DeleteParameter and DeleteParameters: every version, label and tag goes.

use kinko_model::ssm::ParameterName;

use super::error::SsmError;
use super::model::{Caller, DeleteParametersOutput};
use super::service::{ParameterStore, now_ms};

impl ParameterStore {
    pub async fn delete_parameter(&self, caller: &Caller, name: &str) -> Result<(), SsmError> {
        let parsed = ParameterName::parse(name)?;
        let change = caller
            .parameter_change(now_ms(), "DeleteParameter", &parsed)
            .with("event", "Delete");
        if self
            .store
            .delete_parameter(&caller.region, parsed.canonical(), change)
            .await?
        {
            Ok(())
        } else {
            Err(SsmError::not_found(name))
        }
    }

    /// Names that do not exist (or are not names) are reported, never errors.
    pub async fn delete_parameters(
        &self,
        caller: &Caller,
        names: &[String],
    ) -> Result<DeleteParametersOutput, SsmError> {
        let mut out = DeleteParametersOutput {
            deleted: Vec::new(),
            invalid: Vec::new(),
        };
        for name in names {
            if out.deleted.contains(name) || out.invalid.contains(name) {
                continue;
            }
            let deleted = match ParameterName::parse(name) {
                Ok(parsed) => {
                    let change = caller
                        .parameter_change(now_ms(), "DeleteParameters", &parsed)
                        .with("event", "Delete");
                    self.store
                        .delete_parameter(&caller.region, parsed.canonical(), change)
                        .await?
                }
                Err(_) => false,
            };
            if deleted {
                out.deleted.push(name.clone());
            } else {
                out.invalid.push(name.clone());
            }
        }
        Ok(out)
    }
}
