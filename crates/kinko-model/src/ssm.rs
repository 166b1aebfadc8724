//! SSM Parameter Store names: parameter names, hierarchy paths, labels and
//! the `name:selector` syntax, validated once at the edge so the operations
//! never re-check them.
//!
//! `/foo` and `foo` are the same parameter on AWS, so every name has a
//! *canonical* form (always with a leading `/`) that the store is keyed by,
//! and a *display* form (as the caller spelled it at creation).

use crate::arn::{Arn, arn};

/// Why a name, path or reference was refused. Each variant is the error
/// AWS answers with and holds AWS's text, so `kinko-core`'s `SsmError`
/// takes it over one to one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("ValidationException: {0}")]
    Validation(String),
    #[error("HierarchyLevelLimitExceededException: {0}")]
    HierarchyLevelLimitExceeded(String),
    /// A path under the reserved `/aws` prefix, on a write.
    #[error("AccessDeniedException: {0}")]
    AccessDenied(String),
    /// A reference that names no parameter here (another region's ARN, two
    /// selectors).
    #[error("ParameterNotFound: {0}")]
    ParameterNotFound(String),
}

impl NameError {
    /// AWS's text for a name (or ARN, with its selector) that names nothing.
    pub fn not_found(name_as_sent: &str) -> Self {
        NameError::ParameterNotFound(format!("Parameter {name_as_sent} not found."))
    }
}

/// Which version of a parameter to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSelector {
    Latest,
    Version(u32),
    Label(String),
}

/// A parameter's type. Here, below the store and the services, so that the
/// stored record and the operations share one type. Serialized (backups) by
/// its wire name, the same text AWS uses and the store's column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ParameterType {
    #[serde(rename = "String")]
    String,
    #[serde(rename = "StringList")]
    StringList,
    #[serde(rename = "SecureString")]
    SecureString,
}

impl ParameterType {
    pub const ALL: [&'static str; 3] = ["String", "StringList", "SecureString"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "String" => Some(Self::String),
            "StringList" => Some(Self::StringList),
            "SecureString" => Some(Self::SecureString),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::StringList => "StringList",
            Self::SecureString => "SecureString",
        }
    }
}

/// Deepest hierarchy AWS allows (`/a/b/c` has 3 levels).
pub const MAX_HIERARCHY_LEVELS: usize = 15;
/// A name may be at most this long counting the ARN prefix before it.
pub const MAX_ARN_LENGTH: usize = 1011;
pub const MAX_LABEL_LENGTH: usize = 100;

/// AWS returns this one text for every malformed name, on writes and reads.
pub const INVALID_NAME: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";
pub const RESERVED_FLAT_NAME: &str =
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).";
pub const NOT_FULLY_QUALIFIED: &str = "Parameter name must be a fully qualified name.";
pub const INVALID_PATH: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \\\"aws\\\" or \\\"ssm\\\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";
pub const HIERARCHY_TOO_DEEP: &str = "A hierarchy can have a maximum of 15 levels, including the parameter name. Reduce the number of levels and try again.";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

fn has_reserved_prefix(s: &str) -> Option<&'static str> {
    let head = s.get(..3)?.to_ascii_lowercase();
    match head.as_str() {
        "aws" => Some("aws"),
        "ssm" => Some("ssm"),
        _ => None,
    }
}

/// A syntactically valid parameter name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterName {
    display: String,
    canonical: String,
}

impl ParameterName {
    /// Checks the syntax every operation requires: charset, fully-qualified
    /// paths, no empty segments, depth. Leading/trailing spaces are trimmed,
    /// as AWS does. Reserved prefixes are *not* checked here (see
    /// [`ParameterName::parse_for_write`]).
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim_matches(' ');
        if name.is_empty() {
            return Err(NameError::Validation(INVALID_NAME.into()));
        }
        let body = match name.strip_prefix('/') {
            Some(rest) => rest,
            None if name.contains('/') => {
                return Err(NameError::Validation(NOT_FULLY_QUALIFIED.into()));
            }
            None => name,
        };
        let mut levels = 0usize;
        for segment in body.split('/') {
            if segment.is_empty() || !segment.chars().all(is_name_char) {
                return Err(NameError::Validation(INVALID_NAME.into()));
            }
            levels += 1;
        }
        if levels > MAX_HIERARCHY_LEVELS {
            return Err(NameError::HierarchyLevelLimitExceeded(
                HIERARCHY_TOO_DEEP.into(),
            ));
        }
        Ok(ParameterName {
            display: name.to_owned(),
            canonical: format!("/{body}"),
        })
    }

    /// [`ParameterName::parse`] plus the rules for names being created:
    /// reserved `aws`/`ssm` prefixes and the 1011-character ARN limit.
    pub fn parse_for_write(raw: &str, region: &str, account_id: &str) -> Result<Self, NameError> {
        let name = Self::parse(raw)?;
        let body = &name.canonical[1..];
        if let Some(prefix) = has_reserved_prefix(body) {
            let is_path = body.contains('/');
            return Err(match (is_path, prefix) {
                (true, "aws") => NameError::AccessDenied(format!(
                    "No access to reserved parameter name: {}.",
                    name.display
                )),
                (true, _) => NameError::Validation(INVALID_NAME.into()),
                (false, _) => NameError::Validation(RESERVED_FLAT_NAME.into()),
            });
        }
        if name.arn(region, account_id).len() > MAX_ARN_LENGTH {
            return Err(NameError::Validation(format!(
                "Parameter name: can't be longer than {MAX_ARN_LENGTH} characters, counting the ARN prefix {}.",
                arn("ssm", region, account_id, "parameter/")
            )));
        }
        Ok(name)
    }

    /// The name as the caller spelled it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The store key: always with a leading `/`.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// `arn:aws:ssm:<region>:<account>:parameter/<name without leading slash>`.
    pub fn arn(&self, region: &str, account_id: &str) -> String {
        parameter_arn(region, account_id, &self.canonical)
    }
}

/// The ARN of a parameter given its canonical name.
pub fn parameter_arn(region: &str, account_id: &str, canonical: &str) -> String {
    arn("ssm", region, account_id, &format!("parameter{canonical}"))
}

/// A name (or ARN) with an optional `:version` / `:label` selector, as the
/// Get operations accept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterRef {
    pub name: ParameterName,
    pub selector: VersionSelector,
    /// `":7"` or `":prod"` when a selector was given (echoed as `Selector`).
    pub selector_text: Option<String>,
    /// The string exactly as sent, for error messages and `InvalidParameters`.
    pub as_sent: String,
}

impl ParameterRef {
    /// Parses `name`, `name:3`, `name:label`, or the same on an ARN. An ARN
    /// for another region or account, or more than one selector, names no
    /// parameter here: `ParameterNotFound`.
    pub fn parse(raw: &str, region: &str, account_id: &str) -> Result<Self, NameError> {
        let not_found = || NameError::not_found(raw);
        let trimmed = raw.trim_matches(' ');
        let name_part = if let Some(arn) = Arn::parse(trimmed) {
            if arn.service != "ssm" || arn.region != region || arn.account_id != account_id {
                return Err(not_found());
            }
            let Some(rest) = arn.resource.strip_prefix("parameter") else {
                return Err(not_found());
            };
            if !rest.starts_with('/') {
                return Err(not_found());
            }
            rest
        } else {
            trimmed
        };
        let (name_text, selector, selector_text) = match name_part.split_once(':') {
            None => (name_part, VersionSelector::Latest, None),
            Some((_, token)) if token.is_empty() || token.contains(':') => {
                return Err(not_found());
            }
            Some((name, token)) => {
                let selector = if token.bytes().all(|b| b.is_ascii_digit()) {
                    match token.parse::<u32>() {
                        Ok(v) => VersionSelector::Version(v),
                        Err(_) => return Err(not_found()),
                    }
                } else {
                    VersionSelector::Label(token.to_owned())
                };
                (name, selector, Some(format!(":{token}")))
            }
        };
        let name = ParameterName::parse(name_text)?;
        Ok(ParameterRef {
            name,
            selector,
            selector_text,
            as_sent: raw.to_owned(),
        })
    }

    /// The `Name` a Get operation answers with: the name as the caller
    /// wrote it (trimmed, without selector), since AWS treats `x` and `/x`
    /// as one parameter and echoes the spelling asked for. `None` for an
    /// ARN: then the stored name is answered.
    pub fn name_as_written(&self) -> Option<&str> {
        if self.as_sent.trim_matches(' ').starts_with("arn:") {
            None
        } else {
            Some(self.name.as_str())
        }
    }

    /// The name or ARN as sent, without its selector (used in
    /// "could not find version" messages).
    pub fn name_as_sent(&self) -> &str {
        match &self.selector_text {
            Some(sel) => self
                .as_sent
                .strip_suffix(sel.as_str())
                .unwrap_or(&self.as_sent),
            None => &self.as_sent,
        }
    }
}

/// A name or ARN without a selector (GetParameterHistory).
pub fn parse_name_or_arn(
    raw: &str,
    region: &str,
    account_id: &str,
) -> Result<ParameterName, NameError> {
    let r = ParameterRef::parse(raw, region, account_id)?;
    if r.selector_text.is_some() {
        return Err(NameError::not_found(raw));
    }
    Ok(r.name)
}

/// A hierarchy path for GetParametersByPath: starts with `/`, trailing `/`
/// optional, `/` alone is the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterPath {
    /// Canonical prefix that every name under the path starts with: `/` for
    /// the root, otherwise `/a/b/`.
    prefix: String,
}

impl ParameterPath {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let invalid = || NameError::Validation(INVALID_PATH.into());
        let path = raw.trim_matches(' ');
        let body = path.strip_prefix('/').ok_or_else(invalid)?;
        let body = body.strip_suffix('/').unwrap_or(body);
        if body.is_empty() {
            return Ok(ParameterPath { prefix: "/".into() });
        }
        if has_reserved_prefix(body).is_some() {
            return Err(invalid());
        }
        if !body
            .split('/')
            .all(|s| !s.is_empty() && s.chars().all(is_name_char))
        {
            return Err(invalid());
        }
        Ok(ParameterPath {
            prefix: format!("/{body}/"),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether a canonical name lies under this path: directly, or at any
    /// depth when `recursive`.
    pub fn contains(&self, canonical: &str, recursive: bool) -> bool {
        match canonical.strip_prefix(self.prefix.as_str()) {
            Some(rest) => !rest.is_empty() && (recursive || !rest.contains('/')),
            None => false,
        }
    }
}

/// Label rules: 1–100 chars of letters, digits, `.`, `-`, `_`; not starting
/// with a digit, `aws` or `ssm` (case-insensitive). Invalid labels are
/// reported back in `InvalidLabels` rather than failing the request.
pub fn is_valid_label(label: &str) -> bool {
    let Some(first) = label.chars().next() else {
        return false;
    };
    label.len() <= MAX_LABEL_LENGTH
        && !first.is_ascii_digit()
        && label.chars().all(is_name_char)
        && has_reserved_prefix(label).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = "us-east-2";
    const A: &str = "111122223333";

    #[test]
    fn parameter_types_serialize_as_their_wire_names() {
        for t in ParameterType::ALL {
            let parsed = ParameterType::parse(t).unwrap();
            assert_eq!(serde_json::to_string(&parsed).unwrap(), format!("\"{t}\""));
            let back: ParameterType = serde_json::from_str(&format!("\"{t}\"")).unwrap();
            assert_eq!(back, parsed);
        }
        assert!(serde_json::from_str::<ParameterType>("\"secureString\"").is_err());
    }

    fn write_err(name: &str) -> NameError {
        ParameterName::parse_for_write(name, R, A).unwrap_err()
    }

    #[test]
    fn valid_names_and_their_canonical_form() {
        for (raw, display, canonical) in [
            ("foo", "foo", "/foo"),
            ("/foo", "/foo", "/foo"),
            ("  /a/b-c/d_e.f  ", "/a/b-c/d_e.f", "/a/b-c/d_e.f"),
            ("A.b-C_9", "A.b-C_9", "/A.b-C_9"),
        ] {
            let n = ParameterName::parse_for_write(raw, R, A).unwrap();
            assert_eq!(n.as_str(), display);
            assert_eq!(n.canonical(), canonical);
        }
        assert_eq!(
            ParameterName::parse("/Finance/Prod/x").unwrap().arn(R, A),
            "arn:aws:ssm:us-east-2:111122223333:parameter/Finance/Prod/x"
        );
        assert_eq!(
            ParameterName::parse("helloWorld").unwrap().arn(R, A),
            "arn:aws:ssm:us-east-2:111122223333:parameter/helloWorld"
        );
    }

    #[test]
    fn invalid_names_get_aws_texts() {
        for bad in ["a b", "/a/b@", "{x}", "/a//b", "/a/b/", "/", ""] {
            assert_eq!(
                write_err(bad),
                NameError::Validation(INVALID_NAME.into()),
                "{bad:?}"
            );
        }
        assert_eq!(
            write_err("a/b"),
            NameError::Validation(NOT_FULLY_QUALIFIED.into())
        );
    }

    #[test]
    fn reserved_prefixes() {
        for flat in ["ssm_test", "aws_test", "/AWSx", "SSM"] {
            assert_eq!(
                write_err(flat),
                NameError::Validation(RESERVED_FLAT_NAME.into()),
                "{flat}"
            );
        }
        assert_eq!(
            write_err("/ssm/x"),
            NameError::Validation(INVALID_NAME.into())
        );
        assert_eq!(
            write_err("/aws/x"),
            NameError::AccessDenied("No access to reserved parameter name: /aws/x.".into())
        );
        // Reads only check syntax: a reserved name simply does not exist.
        assert!(ParameterName::parse("/aws/service/x").is_ok());
    }

    #[test]
    fn depth_limit_is_fifteen_levels() {
        let ok = "/l".repeat(15);
        assert!(ParameterName::parse_for_write(&ok, R, A).is_ok());
        let deep = "/l".repeat(16);
        assert_eq!(
            write_err(&deep),
            NameError::HierarchyLevelLimitExceeded(HIERARCHY_TOO_DEEP.into())
        );
    }

    #[test]
    fn length_limit_counts_the_arn_prefix() {
        // 45-char prefix in us-east-2 with this account: 966 chars fit, 967 do not.
        let fits = format!("/{}", "x".repeat(966));
        assert!(ParameterName::parse_for_write(&fits, R, A).is_ok());
        let too_long = format!("/{}", "x".repeat(967));
        assert!(matches!(write_err(&too_long), NameError::Validation(m) if m.contains("1011")));
    }

    #[test]
    fn selectors() {
        let r = ParameterRef::parse("/a/b:7", R, A).unwrap();
        assert_eq!(r.name.canonical(), "/a/b");
        assert_eq!(r.selector, VersionSelector::Version(7));
        assert_eq!(r.selector_text.as_deref(), Some(":7"));
        assert_eq!(r.name_as_sent(), "/a/b");

        let r = ParameterRef::parse("x:prod", R, A).unwrap();
        assert_eq!(r.selector, VersionSelector::Label("prod".into()));
        assert_eq!(r.selector_text.as_deref(), Some(":prod"));

        let r = ParameterRef::parse("x", R, A).unwrap();
        assert_eq!(r.selector, VersionSelector::Latest);
        assert_eq!(r.selector_text, None);
    }

    #[test]
    fn the_name_answered_is_the_one_written() {
        let r = ParameterRef::parse(" x:prod ", R, A).unwrap();
        assert_eq!(r.name.canonical(), "/x");
        assert_eq!(r.name_as_written(), Some("x"));
        let r = ParameterRef::parse("/x:3", R, A).unwrap();
        assert_eq!(r.name_as_written(), Some("/x"));
        let arn = format!("arn:aws:ssm:{R}:{A}:parameter/x");
        let r = ParameterRef::parse(&arn, R, A).unwrap();
        assert_eq!(r.name.canonical(), "/x");
        assert_eq!(r.name_as_written(), None);
    }

    #[test]
    fn bad_selectors() {
        assert_eq!(
            ParameterRef::parse("a:2:3", R, A).unwrap_err(),
            NameError::ParameterNotFound("Parameter a:2:3 not found.".into())
        );
        assert!(matches!(
            ParameterRef::parse("a:", R, A),
            Err(NameError::ParameterNotFound(_))
        ));
    }

    #[test]
    fn arns_with_and_without_selectors() {
        let arn = "arn:aws:ssm:us-east-2:111122223333:parameter/a/b:3";
        let r = ParameterRef::parse(arn, R, A).unwrap();
        assert_eq!(r.name.canonical(), "/a/b");
        assert_eq!(r.selector, VersionSelector::Version(3));
        let r =
            ParameterRef::parse("arn:aws:ssm:us-east-2:111122223333:parameter/flat", R, A).unwrap();
        assert_eq!(r.name.canonical(), "/flat");
        // Another region or account: not here.
        assert!(matches!(
            ParameterRef::parse("arn:aws:ssm:eu-west-1:111122223333:parameter/flat", R, A),
            Err(NameError::ParameterNotFound(_))
        ));
        assert!(matches!(
            parse_name_or_arn("x:3", R, A),
            Err(NameError::ParameterNotFound(_))
        ));
    }

    #[test]
    fn paths() {
        assert_eq!(ParameterPath::parse("/").unwrap().prefix(), "/");
        assert_eq!(ParameterPath::parse("/a/b").unwrap().prefix(), "/a/b/");
        assert_eq!(ParameterPath::parse("/a/b/").unwrap().prefix(), "/a/b/");
        for bad in ["a", "/a//b", "/aws/x", "/SSM", "/a b"] {
            assert_eq!(
                ParameterPath::parse(bad).unwrap_err(),
                NameError::Validation(INVALID_PATH.into()),
                "{bad}"
            );
        }
        let p = ParameterPath::parse("/a").unwrap();
        assert!(p.contains("/a/b", false));
        assert!(!p.contains("/a/b/c", false));
        assert!(p.contains("/a/b/c", true));
        assert!(!p.contains("/ab", true));
        let root = ParameterPath::parse("/").unwrap();
        assert!(root.contains("/x", false));
        assert!(!root.contains("/x/y", false));
    }

    #[test]
    fn label_rules() {
        for ok in ["prod", "Prod-1.x_y", "a", &"l".repeat(100)] {
            assert!(is_valid_label(ok), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "awsx",
            "SSMx",
            "a b",
            "a/b",
            "a:b",
            &"l".repeat(101),
        ] {
            assert!(!is_valid_label(bad), "{bad}");
        }
    }
}
