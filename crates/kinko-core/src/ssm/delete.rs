//! DeleteParameter and DeleteParameters: every version, label and tag goes.

use kinko_model::ssm::ParameterName;

use super::error::SsmError;
use super::model::{Caller, DeleteParametersOutput};
use super::service::ParameterStore;

impl ParameterStore {
    pub async fn delete_parameter(&self, caller: &Caller, name: &str) -> Result<(), SsmError> {
        let parsed = ParameterName::parse(name)?;
        if self
            .store
            .delete_parameter(&caller.region, parsed.canonical())
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
                    self.store
                        .delete_parameter(&caller.region, parsed.canonical())
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
