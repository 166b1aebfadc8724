//! `ParameterFilters` (and the deprecated `Filters`) of DescribeParameters
//! and GetParametersByPath: validated once into [`Filter`]s, then matched
//! against stored records. Values within a filter are ORed, filters ANDed.

use kinko_model::ssm::ParameterPath;
use kinko_store::ParameterRecord;

use super::error::SsmError;
use super::types::{ParameterType, Tier};

/// A filter as the caller sent it (`ParameterStringFilter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterFilter {
    pub key: String,
    pub option: Option<String>,
    pub values: Vec<String>,
}

/// A deprecated `ParametersFilter` (`Filters` of DescribeParameters):
/// key `Name` (prefix match), `Type` or `KeyId` (equality).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyFilter {
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Equals,
    BeginsWith,
    Contains,
}

impl Match {
    fn test(self, candidate: &str, value: &str) -> bool {
        match self {
            Match::Equals => candidate == value,
            Match::BeginsWith => candidate.starts_with(value),
            Match::Contains => candidate.contains(value),
        }
    }
}

/// A validated filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Name {
        how: Match,
        values: Vec<String>,
    },
    Path {
        recursive: bool,
        paths: Vec<ParameterPath>,
    },
    Type {
        how: Match,
        values: Vec<String>,
    },
    KeyId {
        how: Match,
        values: Vec<String>,
    },
    Tier {
        values: Vec<String>,
    },
    DataType {
        values: Vec<String>,
    },
    Label {
        values: Vec<String>,
    },
    Tag {
        key: String,
        how: Match,
        values: Vec<String>,
    },
}

/// Which operation the filters belong to: they allow different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterContext {
    DescribeParameters,
    GetParametersByPath,
}

const COMMON_PARAMETER_PATH: &str = "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.";

fn invalid_option(option: &str, valid: &str) -> SsmError {
    SsmError::InvalidFilterOption(format!(
        "The following filter option is not valid: {option}. Valid options include: {valid}."
    ))
}

fn invalid_value(value: &str, valid: &str) -> SsmError {
    SsmError::InvalidFilterOption(format!(
        "The following filter value is not valid: {value}. Valid values include: {valid}."
    ))
}

fn equals_or_begins(option: Option<&str>) -> Result<Match, SsmError> {
    match option.unwrap_or("Equals") {
        "Equals" => Ok(Match::Equals),
        "BeginsWith" => Ok(Match::BeginsWith),
        other => Err(invalid_option(other, "[BeginsWith, Equals]")),
    }
}

fn equals_only(option: Option<&str>) -> Result<(), SsmError> {
    match option.unwrap_or("Equals") {
        "Equals" => Ok(()),
        other => Err(invalid_option(other, "[Equals]")),
    }
}

/// Names are matched on their canonical form (leading `/`), so a value
/// without the leading slash means the same for Equals and BeginsWith.
fn with_leading_slash(v: &str) -> String {
    if v.starts_with('/') {
        v.to_owned()
    } else {
        format!("/{v}")
    }
}

/// Validates `ParameterFilters` for one operation, in AWS's order of checks.
pub fn validate(raw: &[ParameterFilter], context: FilterContext) -> Result<Vec<Filter>, SsmError> {
    let mut seen: Vec<&str> = Vec::with_capacity(raw.len());
    let mut out = Vec::with_capacity(raw.len());
    for f in raw {
        let key = f.key.as_str();
        let is_tag = key.starts_with("tag:");
        match context {
            FilterContext::DescribeParameters if key == "Label" => {
                return Err(SsmError::InvalidFilterKey(
                    "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].".into(),
                ));
            }
            FilterContext::GetParametersByPath if !matches!(key, "Type" | "KeyId" | "Label") => {
                return Err(SsmError::InvalidFilterKey(format!(
                    "The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId]."
                )));
            }
            _ => {}
        }
        if !is_tag
            && !matches!(
                key,
                "Name" | "Path" | "Type" | "KeyId" | "Tier" | "DataType" | "Label"
            )
        {
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter key is not valid: {key}. Valid filter keys include: [Path, Name, Type, KeyId, Tier]."
            )));
        }
        if f.values.is_empty() && !is_tag {
            return Err(SsmError::InvalidFilterValue(format!(
                "The following filter values are missing : null for filter key {key}."
            )));
        }
        if seen.contains(&key) {
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a specific filter."
            )));
        }
        seen.push(key);
        let option = f.option.as_deref();
        let values = f.values.clone();
        let filter = match key {
            "Name" => {
                let how = match option.unwrap_or("Equals") {
                    "Equals" => Match::Equals,
                    "BeginsWith" => Match::BeginsWith,
                    "Contains" => Match::Contains,
                    other => return Err(invalid_option(other, "[BeginsWith, Equals]")),
                };
                let values = match how {
                    Match::Contains => values,
                    _ => values.iter().map(|v| with_leading_slash(v)).collect(),
                };
                Filter::Name { how, values }
            }
            "Path" => {
                let recursive = match option.unwrap_or("OneLevel") {
                    "OneLevel" => false,
                    "Recursive" => true,
                    other => return Err(invalid_option(other, "[Recursive, OneLevel]")),
                };
                let mut paths = Vec::with_capacity(values.len());
                for v in &values {
                    let lower = v.to_ascii_lowercase();
                    if lower.starts_with("/aws") || lower.starts_with("/ssm") {
                        return Err(SsmError::Validation(COMMON_PARAMETER_PATH.into()));
                    }
                    paths.push(ParameterPath::parse(v)?);
                }
                Filter::Path { recursive, paths }
            }
            "Type" => {
                let how = equals_or_begins(option)?;
                if how == Match::Equals
                    && let Some(bad) = values.iter().find(|v| ParameterType::parse(v).is_none())
                {
                    return Err(invalid_value(bad, "[String, StringList, SecureString]"));
                }
                Filter::Type { how, values }
            }
            "KeyId" => Filter::KeyId {
                how: equals_or_begins(option)?,
                values,
            },
            "Tier" => {
                equals_only(option)?;
                if let Some(bad) = values.iter().find(|v| Tier::parse(v).is_none()) {
                    return Err(invalid_value(
                        bad,
                        "[Standard, Advanced, Intelligent-Tiering]",
                    ));
                }
                Filter::Tier { values }
            }
            "DataType" => {
                equals_only(option)?;
                Filter::DataType { values }
            }
            "Label" => {
                equals_only(option)?;
                Filter::Label { values }
            }
            _ => Filter::Tag {
                key: key["tag:".len()..].to_owned(),
                how: equals_or_begins(option)?,
                values,
            },
        };
        out.push(filter);
    }
    Ok(out)
}

/// Converts the deprecated `Filters` into `ParameterFilters` (Name is a
/// prefix match there, the others equality), then validates them.
pub fn from_legacy(raw: &[LegacyFilter]) -> Result<Vec<Filter>, SsmError> {
    let converted: Vec<ParameterFilter> = raw
        .iter()
        .map(|f| ParameterFilter {
            key: f.key.clone(),
            option: Some(
                if f.key == "Name" {
                    "BeginsWith"
                } else {
                    "Equals"
                }
                .to_owned(),
            ),
            values: f.values.clone(),
        })
        .collect();
    validate(&converted, FilterContext::DescribeParameters)
}

impl Filter {
    /// Whether a record's (selected) version passes this filter. `Label` is
    /// applied by the caller, which must read the labelled version instead.
    pub fn matches(&self, record: &ParameterRecord) -> bool {
        let v = &record.version;
        match self {
            Filter::Name { how, values } => values.iter().any(|x| how.test(&record.name, x)),
            Filter::Path { recursive, paths } => {
                paths.iter().any(|p| p.contains(&record.name, *recursive))
            }
            Filter::Type { how, values } => values
                .iter()
                .any(|x| how.test(v.parameter_type.as_str(), x)),
            Filter::KeyId { how, values } => match &v.key_id {
                Some(k) => values.iter().any(|x| how.test(k, x)),
                None => false,
            },
            Filter::Tier { values } => values.contains(&v.tier),
            Filter::DataType { values } => values.contains(&v.data_type),
            Filter::Label { values } => values.iter().any(|x| v.labels.contains(x)),
            Filter::Tag { key, how, values } => match record.tags.iter().find(|t| t.key == *key) {
                Some(tag) => values.is_empty() || values.iter().any(|x| how.test(&tag.value, x)),
                None => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(key: &str, option: Option<&str>, values: &[&str]) -> ParameterFilter {
        ParameterFilter {
            key: key.into(),
            option: option.map(Into::into),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn describe_err(filters: &[ParameterFilter]) -> SsmError {
        validate(filters, FilterContext::DescribeParameters).unwrap_err()
    }

    #[test]
    fn describe_filter_errors_have_aws_texts() {
        assert_eq!(
            describe_err(&[f("Label", None, &["x"])]),
            SsmError::InvalidFilterKey("The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].".into())
        );
        assert_eq!(
            describe_err(&[f("Name", None, &[])]),
            SsmError::InvalidFilterValue(
                "The following filter values are missing : null for filter key Name.".into()
            )
        );
        assert_eq!(
            describe_err(&[f("Name", None, &["test"]), f("Name", None, &["test test"])]),
            SsmError::InvalidFilterKey("The following filter is duplicated in the request: Name. A request can contain only one occurrence of a specific filter.".into())
        );
        assert_eq!(
            describe_err(&[f("Path", None, &["/aws", "/ssm"])]),
            SsmError::Validation(COMMON_PARAMETER_PATH.into())
        );
        assert_eq!(
            describe_err(&[f("Path", Some("Equals"), &["test"])]),
            SsmError::InvalidFilterOption("The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel].".into())
        );
        assert_eq!(
            describe_err(&[f("Tier", None, &["test"])]),
            SsmError::InvalidFilterOption("The following filter value is not valid: test. Valid values include: [Standard, Advanced, Intelligent-Tiering].".into())
        );
        assert_eq!(
            describe_err(&[f("Type", None, &["test"])]),
            SsmError::InvalidFilterOption("The following filter value is not valid: test. Valid values include: [String, StringList, SecureString].".into())
        );
        assert_eq!(
            describe_err(&[f("Name", Some("option"), &["test"])]),
            SsmError::InvalidFilterOption("The following filter option is not valid: option. Valid options include: [BeginsWith, Equals].".into())
        );
        assert!(matches!(
            describe_err(&[f("Path", None, &["a/b"])]),
            SsmError::Validation(_)
        ));
    }

    #[test]
    fn by_path_allows_only_type_keyid_label() {
        let err = validate(
            &[f("Name", None, &["x"])],
            FilterContext::GetParametersByPath,
        )
        .unwrap_err();
        assert_eq!(
            err,
            SsmError::InvalidFilterKey("The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId].".into())
        );
        let ok = validate(
            &[f("Type", None, &["String"]), f("Label", None, &["prod"])],
            FilterContext::GetParametersByPath,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert!(matches!(
            validate(
                &[f("Label", Some("BeginsWith"), &["p"])],
                FilterContext::GetParametersByPath
            ),
            Err(SsmError::InvalidFilterOption(_))
        ));
    }

    #[test]
    fn tag_filters_without_values_are_allowed() {
        let ok = validate(
            &[f("tag:env", None, &[])],
            FilterContext::DescribeParameters,
        )
        .unwrap();
        assert_eq!(
            ok,
            vec![Filter::Tag {
                key: "env".into(),
                how: Match::Equals,
                values: vec![]
            }]
        );
    }

    #[test]
    fn legacy_name_filter_is_a_prefix_match_without_leading_slash() {
        let ok = from_legacy(&[LegacyFilter {
            key: "Name".into(),
            values: vec!["app".into()],
        }])
        .unwrap();
        assert_eq!(
            ok,
            vec![Filter::Name {
                how: Match::BeginsWith,
                values: vec!["/app".into()]
            }]
        );
    }
}
