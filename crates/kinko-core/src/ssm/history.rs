//! GetParameterHistory: every kept version, oldest first, with its labels.

use kinko_model::ssm::parse_name_or_arn;

use super::error::SsmError;
use super::model::{Caller, GetParameterHistoryInput, HistoryPage, ParameterHistoryEntry};
use super::paging::TokenScope;
use super::policies;
use super::service::ParameterStore;

impl ParameterStore {
    pub async fn get_parameter_history(
        &self,
        caller: &Caller,
        input: &GetParameterHistoryInput,
    ) -> Result<HistoryPage, SsmError> {
        let name = parse_name_or_arn(&input.name, &caller.region, &caller.account_id)?;
        let scope = TokenScope::new(
            "GetParameterHistory",
            &caller.region,
            &format!("{}|{}", name.canonical(), input.with_decryption),
        );
        let after: u32 = match input.next_token.as_deref() {
            Some(t) => scope
                .open(self.keyring.as_ref(), t)?
                .parse()
                .map_err(|_| SsmError::invalid_next_token())?,
            None => 0,
        };
        let Some(versions) = self
            .store
            .parameter_history(&caller.region, name.canonical())
            .await?
        else {
            return Err(SsmError::not_found(&input.name));
        };
        let max_results = input.max_results.max(1);
        let mut remaining = versions
            .into_iter()
            .filter(|v| v.version > after)
            .peekable();
        let mut parameters = Vec::with_capacity(max_results);
        while parameters.len() < max_results {
            let Some(v) = remaining.next() else { break };
            let value = self
                .read_value(&caller.region, name.canonical(), &v, input.with_decryption)
                .await?;
            let kms_key_arn = self
                .decrypt_key_arn(&caller.region, &v, input.with_decryption)
                .await?;
            parameters.push(ParameterHistoryEntry {
                name: name.as_str().to_owned(),
                policies: policies::inline(v.policies.as_deref()),
                parameter_type: v.parameter_type,
                key_id: v.key_id,
                last_modified_ms: v.last_modified_ms,
                last_modified_user: v.last_modified_user,
                description: v.description,
                value,
                allowed_pattern: v.allowed_pattern,
                version: v.version,
                labels: v.labels,
                tier: v.tier,
                data_type: v.data_type,
                kms_key_arn,
            });
        }
        let next_token = match (remaining.peek(), parameters.last()) {
            (Some(_), Some(last)) => {
                Some(scope.issue(self.keyring.as_ref(), &last.version.to_string()))
            }
            _ => None,
        };
        Ok(HistoryPage {
            parameters,
            next_token,
        })
    }
}
