//! PutParameter: create or overwrite, allocating versions by
//! compare-and-swap so concurrent writers get consecutive versions and none
//! is lost.

use kinko_model::Tag;
use kinko_model::ssm::ParameterName;
use kinko_model::ssm::VersionSelector;
use kinko_store::{ParameterLookup, ParameterVersion, ParameterWrite, PutOutcome, StoreError};
use regex::Regex;

use super::error::SsmError;
use super::model::{Caller, PutParameterInput, PutParameterOutput};
use super::policies;
use super::service::{
    DEFAULT_KEY, MAX_TAGS, MAX_VERSIONS, MAX_WRITE_ATTEMPTS, ParameterStore, now_ms,
};
use super::types::{DataType, ParameterType, Tier};

pub const MAX_STANDARD_VALUE: usize = 4096;
pub const MAX_ADVANCED_VALUE: usize = 8192;

pub const STANDARD_VALUE_TOO_LONG: &str = "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";
pub const TYPE_REQUIRED: &str = "A parameter type is required when you create a parameter.";
pub const TAGS_WITH_OVERWRITE: &str = "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.";
pub const ALREADY_EXISTS: &str = "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.";
pub const NESTED_PARAMETER: &str =
    "Parameter value can't nest another parameter. Do not use \"{{}}\" in the value.";
pub const KEY_ID_NOT_SECURE: &str = "KeyId is required for SecureString type parameter only.";
pub const TIER_DOWNGRADE: &str = "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.";
pub const POLICIES_NEED_ADVANCED: &str =
    "Parameter policies are supported only for parameters in the advanced-parameter tier.";

/// The fields of the request that do not depend on the previous version,
/// checked once before the write loop.
struct Checked {
    name: ParameterName,
    pattern: Option<Regex>,
    data_type: Option<DataType>,
    /// `Some(None)`: the caller sent an empty policy list (clear them).
    policies: Option<Option<String>>,
    tags: Vec<Tag>,
}

fn check_request(caller: &Caller, input: &PutParameterInput) -> Result<Checked, SsmError> {
    let name = ParameterName::parse_for_write(&input.name, &caller.region, &caller.account_id)?;
    if input.overwrite && !input.tags.is_empty() {
        return Err(SsmError::Validation(TAGS_WITH_OVERWRITE.into()));
    }
    let value = input.value.expose();
    if value.contains("{{") && value.contains("}}") {
        return Err(SsmError::Validation(NESTED_PARAMETER.into()));
    }
    if input.key_id.is_some()
        && input
            .parameter_type
            .is_some_and(|t| t != ParameterType::SecureString)
    {
        return Err(SsmError::Validation(KEY_ID_NOT_SECURE.into()));
    }
    // An empty pattern is no pattern: Terraform's `aws_ssm_parameter` sends
    // `AllowedPattern: ""` on every put when the resource sets none.
    let pattern = match input.allowed_pattern.as_deref() {
        Some(p) if !p.is_empty() => Some(compile_pattern(p)?),
        _ => None,
    };
    let data_type = input
        .data_type
        .as_deref()
        .map(DataType::parse)
        .transpose()?;
    let policies = match &input.policies {
        Some(text) => {
            let parsed = policies::validate(text)?;
            Some((!parsed.is_empty()).then(|| text.clone()))
        }
        None => None,
    };
    // Tags upsert by key: a key sent twice keeps its last value.
    let mut tags: Vec<Tag> = Vec::with_capacity(input.tags.len());
    for t in &input.tags {
        tags.retain(|x| x.key != t.key);
        tags.push(t.clone());
    }
    if tags.len() > MAX_TAGS {
        return Err(SsmError::TooManyTags);
    }
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Checked {
        name,
        pattern,
        data_type,
        policies,
        tags,
    })
}

/// `AllowedPattern` must match the whole value.
fn compile_pattern(p: &str) -> Result<Regex, SsmError> {
    Regex::new(&format!("^(?:{p})$")).map_err(|_| {
        SsmError::InvalidAllowedPattern(format!(
            "The allowed pattern {p} is not a valid regular expression."
        ))
    })
}

fn effective_tier(
    requested: Option<Tier>,
    previous: Option<&str>,
    value_chars: usize,
    has_policies: bool,
) -> Result<&'static str, SsmError> {
    let was_advanced = previous == Some("Advanced");
    let requested = requested.unwrap_or(match previous {
        Some("Advanced") => Tier::Advanced,
        _ => Tier::Standard,
    });
    let tier = match requested {
        Tier::Standard if was_advanced => return Err(SsmError::Validation(TIER_DOWNGRADE.into())),
        Tier::Standard => "Standard",
        Tier::Advanced => "Advanced",
        Tier::IntelligentTiering => {
            if was_advanced || has_policies || value_chars > MAX_STANDARD_VALUE {
                "Advanced"
            } else {
                "Standard"
            }
        }
    };
    if tier == "Standard" && value_chars > MAX_STANDARD_VALUE {
        return Err(SsmError::Validation(STANDARD_VALUE_TOO_LONG.into()));
    }
    if value_chars > MAX_ADVANCED_VALUE {
        return Err(SsmError::Validation(
            "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to 8192".into(),
        ));
    }
    if tier == "Standard" && has_policies {
        return Err(SsmError::Validation(POLICIES_NEED_ADVANCED.into()));
    }
    Ok(tier)
}

impl ParameterStore {
    pub async fn put_parameter(
        &self,
        caller: &Caller,
        input: PutParameterInput,
    ) -> Result<PutParameterOutput, SsmError> {
        let checked = check_request(caller, &input)?;
        let region = caller.region.as_str();
        let canonical = checked.name.canonical();
        let value_chars = input.value.expose().chars().count();

        let _queued = self.write_locks.lock(&(region, canonical)).await;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let current = match self
                .store
                .get_parameter(region, canonical, &VersionSelector::Latest)
                .await?
            {
                ParameterLookup::Found(r) => Some(r),
                ParameterLookup::NotFound | ParameterLookup::VersionNotFound => None,
            };
            if current.is_some() && !input.overwrite {
                return Err(SsmError::ParameterAlreadyExists(ALREADY_EXISTS.into()));
            }
            let prev = current.as_ref().map(|r| &r.version);

            let parameter_type = match (input.parameter_type, prev) {
                (Some(t), _) => t,
                (None, Some(p)) => p.parameter_type,
                (None, None) => return Err(SsmError::Validation(TYPE_REQUIRED.into())),
            };
            let key_id = if parameter_type == ParameterType::SecureString {
                let previous_key = prev
                    .filter(|p| p.parameter_type == ParameterType::SecureString)
                    .and_then(|p| p.key_id.clone());
                Some(
                    input
                        .key_id
                        .clone()
                        .or(previous_key)
                        .unwrap_or_else(|| DEFAULT_KEY.to_owned()),
                )
            } else if input.key_id.is_some() {
                return Err(SsmError::Validation(KEY_ID_NOT_SECURE.into()));
            } else {
                None
            };
            let description = input
                .description
                .clone()
                .or_else(|| prev.and_then(|p| p.description.clone()));
            let allowed_pattern = input
                .allowed_pattern
                .clone()
                .filter(|p| !p.is_empty())
                .or_else(|| prev.and_then(|p| p.allowed_pattern.clone()));
            let pattern = match (&checked.pattern, &allowed_pattern) {
                (Some(p), _) => Some(p.clone()),
                (None, Some(text)) => Some(compile_pattern(text)?),
                (None, None) => None,
            };
            if let Some(p) = &pattern
                && !p.is_match(input.value.expose())
            {
                return Err(SsmError::ParameterPatternMismatch(format!(
                    "Parameter value, cannot be validated against allowedPattern: {}",
                    allowed_pattern.as_deref().unwrap_or_default()
                )));
            }
            let data_type = match (checked.data_type, prev) {
                (Some(d), _) => d,
                (None, Some(p)) => DataType::parse(&p.data_type).unwrap_or(DataType::Text),
                (None, None) => DataType::Text,
            };
            if data_type == DataType::Ec2Image && parameter_type != ParameterType::String {
                return Err(SsmError::Validation(
                    "The data type aws:ec2:image is supported only for parameters of type String."
                        .into(),
                ));
            }
            let policies = match &checked.policies {
                Some(p) => p.clone(),
                None => prev.and_then(|p| p.policies.clone()),
            };
            let tier = effective_tier(
                input.tier,
                prev.map(|p| p.tier.as_str()),
                value_chars,
                policies.is_some(),
            )?;

            let expected_latest = current.as_ref().map(|r| r.latest_version);
            let version = expected_latest.map_or(1, |v| v + 1);
            let key_ref = key_id.as_deref().unwrap_or(DEFAULT_KEY);
            let sealed = self
                .seal(region, key_ref, canonical, version, &input.value)
                .await?;

            let write = ParameterWrite {
                name: canonical.to_owned(),
                display_name: checked.name.as_str().to_owned(),
                expected_latest,
                version: ParameterVersion {
                    version,
                    value: sealed,
                    parameter_type,
                    key_id,
                    description,
                    allowed_pattern,
                    tier: tier.to_owned(),
                    policies,
                    data_type: data_type.as_str().to_owned(),
                    labels: Vec::new(),
                    last_modified_ms: now_ms(),
                    last_modified_user: caller.arn.clone(),
                },
                tags: if current.is_none() {
                    checked.tags.clone()
                } else {
                    Vec::new()
                },
                max_versions: MAX_VERSIONS,
            };
            let change = caller
                .parameter_change(
                    write.version.last_modified_ms,
                    "PutParameter",
                    &checked.name,
                )
                .with_version(version)
                .with(
                    "event",
                    if expected_latest.is_none() {
                        "Create"
                    } else {
                        "Update"
                    },
                )
                .with("type", parameter_type.as_str())
                .with("description", write.version.description.clone())
                .with("tier", tier);
            match self
                .store
                .put_parameter_version(region, write, change)
                .await
            {
                Ok(PutOutcome::Written) => {
                    return Ok(PutParameterOutput {
                        version,
                        tier: tier.to_owned(),
                    });
                }
                Ok(PutOutcome::Conflict) | Err(StoreError::AlreadyExists) => continue,
                Err(StoreError::OldestVersionLabelled { version: oldest }) => {
                    return Err(SsmError::ParameterMaxVersionLimitExceeded(format!(
                        "You attempted to create a new version of {} by calling the PutParameter API with the overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
                        checked.name.as_str()
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(SsmError::too_many_updates())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers() {
        assert_eq!(effective_tier(None, None, 10, false).unwrap(), "Standard");
        assert_eq!(
            effective_tier(Some(Tier::Advanced), None, 10, false).unwrap(),
            "Advanced"
        );
        assert_eq!(
            effective_tier(Some(Tier::IntelligentTiering), None, 4097, false).unwrap(),
            "Advanced"
        );
        assert_eq!(
            effective_tier(Some(Tier::IntelligentTiering), None, 4096, false).unwrap(),
            "Standard"
        );
        assert_eq!(
            effective_tier(Some(Tier::IntelligentTiering), None, 1, true).unwrap(),
            "Advanced"
        );
        // Omitted tier keeps the previous one; an explicit downgrade is refused.
        assert_eq!(
            effective_tier(None, Some("Advanced"), 1, false).unwrap(),
            "Advanced"
        );
        assert_eq!(
            effective_tier(Some(Tier::Standard), Some("Advanced"), 1, false).unwrap_err(),
            SsmError::Validation(TIER_DOWNGRADE.into())
        );
        assert_eq!(
            effective_tier(None, None, 4097, false).unwrap_err(),
            SsmError::Validation(STANDARD_VALUE_TOO_LONG.into())
        );
        assert!(effective_tier(Some(Tier::Advanced), None, 8193, false).is_err());
        assert_eq!(
            effective_tier(Some(Tier::Standard), None, 1, true).unwrap_err(),
            SsmError::Validation(POLICIES_NEED_ADVANCED.into())
        );
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let p = compile_pattern("\\d+").unwrap();
        assert!(p.is_match("123"));
        assert!(!p.is_match("12a"));
        assert!(matches!(
            compile_pattern("("),
            Err(SsmError::InvalidAllowedPattern(_))
        ));
    }
}
