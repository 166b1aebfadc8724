//! How a parameter under a path becomes an environment variable name.
//!
//! The rule (what `kinko exec --path` does): take the parameter's name
//! relative to the path, turn every character that is not an ASCII letter,
//! digit or `_` into `_`, and upper-case it. `/app/prod/db/password` under
//! `--path /app/prod` is `DB_PASSWORD`; `/app/prod/api-key.v2` is
//! `API_KEY_V2`. A name that would start with a digit gets a leading `_`.
//! `--keep-case` skips the upper-casing and `--prefix P_` puts `P_` in front.

/// The overridable parts of the naming rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameRule {
    /// Keep the parameter name's case instead of upper-casing it.
    pub keep_case: bool,
    /// Put in front of every name (`APP_`).
    pub prefix: String,
}

/// The variable name for `parameter` listed under `path`; `None` when the
/// parameter is the path itself (nothing relative is left).
pub fn env_name(path: &str, parameter: &str, rule: &NameRule) -> Option<String> {
    let relative = relative_name(path, parameter);
    if relative.is_empty() {
        return None;
    }
    let mut name: String = relative
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !rule.keep_case {
        name = name.to_ascii_uppercase();
    }
    name.insert_str(0, &rule.prefix);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    Some(name)
}

/// `parameter` relative to `path`, without a leading `/`:
/// `/app/prod/db/password` under `/app/prod` is `db/password`.
pub fn relative_name<'a>(path: &str, parameter: &'a str) -> &'a str {
    let path = path.trim_end_matches('/');
    parameter
        .strip_prefix(path)
        .filter(|rest| rest.is_empty() || rest.starts_with('/') || path.is_empty())
        .unwrap_or(parameter)
        .trim_start_matches('/')
}

/// Whether `name` may be an environment variable name in a POSIX shell.
pub fn is_valid_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_documented_rule() {
        let rule = NameRule::default();
        let table = [
            ("/app/prod", "/app/prod/db/password", Some("DB_PASSWORD")),
            ("/app/prod/", "/app/prod/db/password", Some("DB_PASSWORD")),
            ("/app/prod", "/app/prod/api-key.v2", Some("API_KEY_V2")),
            ("/app/prod", "/app/prod/3scale", Some("_3SCALE")),
            ("/app/prod", "/app/prod", None),
            ("/", "/top", Some("TOP")),
            ("/app/prod", "/app/production/x", Some("APP_PRODUCTION_X")),
        ];
        for (path, parameter, expected) in table {
            assert_eq!(
                env_name(path, parameter, &rule).as_deref(),
                expected,
                "{path} {parameter}"
            );
        }
    }

    #[test]
    fn the_rule_can_be_overridden() {
        let rule = NameRule {
            keep_case: true,
            prefix: "APP_".into(),
        };
        assert_eq!(
            env_name("/a", "/a/db/Password", &rule).as_deref(),
            Some("APP_db_Password")
        );
    }

    #[test]
    fn valid_names() {
        assert!(is_valid_env_name("DB_PASSWORD"));
        assert!(is_valid_env_name("_x1"));
        assert!(!is_valid_env_name("1X"));
        assert!(!is_valid_env_name("A-B"));
        assert!(!is_valid_env_name(""));
    }
}
