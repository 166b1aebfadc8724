//! Names of principals, policies and role sessions, validated once at the
//! edge (IAM's rules).

use super::IdentityError;

/// A user or role name: 1–64 of `[A-Za-z0-9+=,.@_-]` (IAM's rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalName(String);

impl PrincipalName {
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        check_iam_text(raw, "principal name", 1, 64)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An inline policy name: 1–128 of `[A-Za-z0-9+=,.@_-]`.
pub fn check_policy_name(raw: &str) -> Result<(), IdentityError> {
    check_iam_text(raw, "policy name", 1, 128)
}

/// A role session name: 2–64 of `[A-Za-z0-9+=,.@_-]` (STS's rule).
pub fn check_session_name(raw: &str) -> Result<(), IdentityError> {
    check_iam_text(raw, "role session name", 2, 64)
}

fn check_iam_text(raw: &str, what: &str, min: usize, max: usize) -> Result<(), IdentityError> {
    let len = raw.chars().count();
    if len < min || len > max {
        return Err(IdentityError::Validation(format!(
            "The {what} '{}' must be {min} to {max} characters long.",
            raw.escape_debug()
        )));
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
    {
        return Err(IdentityError::Validation(format!(
            "The {what} '{}' contains '{}': only letters, digits and +=,.@_- are allowed.",
            raw.escape_debug(),
            bad.escape_debug()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_iam_rules() {
        for ok in ["admin", "ci-deployer", "a", "x.y@z_w+=,"] {
            assert!(PrincipalName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "has space", "slash/no", &"x".repeat(65), "ünïcode"] {
            assert!(PrincipalName::parse(bad).is_err(), "{bad}");
        }
        assert!(check_session_name("a").is_err());
        assert!(check_session_name("deploy-42").is_ok());
        assert!(check_policy_name(&"p".repeat(128)).is_ok());
        assert!(check_policy_name(&"p".repeat(129)).is_err());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = PrincipalName::parse("bad name").unwrap_err().to_string();
        assert!(err.contains("bad name") && err.contains("' '"), "{err}");
    }
}
