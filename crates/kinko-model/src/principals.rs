//! Principals: their kinds and unique ids, and the names of principals,
//! policies and role sessions, validated once at the edge (IAM's rules).

/// Why a name was refused: a `ValidationException` whose text names the
/// text and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{0}")]
    Validation(String),
}

/// A user or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PrincipalKind {
    User,
    Role,
}

/// How many random characters follow a unique id's prefix.
pub const UNIQUE_ID_RANDOM_CHARS: usize = 17;

impl PrincipalKind {
    /// IAM's name of the kind (`User`, `Role`), also its stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::Role => "Role",
        }
    }

    /// The prefix of this kind's unique ids, as IAM's: `AIDA` for users,
    /// `AROA` for roles.
    pub fn unique_id_prefix(self) -> &'static str {
        match self {
            PrincipalKind::User => "AIDA",
            PrincipalKind::Role => "AROA",
        }
    }

    /// A unique id of this kind: the prefix and one character of IAM's
    /// alphabet (A–Z, 2–7) per random byte, e.g. `AROA3XFRBF535PLBIFPI4`.
    /// The caller draws the bytes (this crate has no random source).
    pub fn unique_id_from(self, random: [u8; UNIQUE_ID_RANDOM_CHARS]) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut id = String::with_capacity(4 + UNIQUE_ID_RANDOM_CHARS);
        id.push_str(self.unique_id_prefix());
        // 32 divides 256: every character is equally likely.
        id.extend(
            random
                .into_iter()
                .map(|b| char::from(ALPHABET[usize::from(b % 32)])),
        );
        id
    }
}

/// A user or role name: 1–64 of `[A-Za-z0-9+=,.@_-]` (IAM's rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalName(String);

impl PrincipalName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        check_iam_text(raw, "principal name", 1, 64)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An inline policy name: 1–128 of `[A-Za-z0-9+=,.@_-]`.
pub fn check_policy_name(raw: &str) -> Result<(), NameError> {
    check_iam_text(raw, "policy name", 1, 128)
}

/// A role session name: 2–64 of `[A-Za-z0-9+=,.@_-]` (STS's rule).
pub fn check_session_name(raw: &str) -> Result<(), NameError> {
    check_iam_text(raw, "role session name", 2, 64)
}

fn check_iam_text(raw: &str, what: &str, min: usize, max: usize) -> Result<(), NameError> {
    let len = raw.chars().count();
    if len < min || len > max {
        return Err(NameError::Validation(format!(
            "The {what} '{}' must be {min} to {max} characters long.",
            raw.escape_debug()
        )));
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
    {
        return Err(NameError::Validation(format!(
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
    fn unique_ids_have_the_kind_s_prefix_and_iam_s_alphabet() {
        let user = PrincipalKind::User.unique_id_from([0; UNIQUE_ID_RANDOM_CHARS]);
        assert_eq!(user, "AIDAAAAAAAAAAAAAAAAAA");
        let role = PrincipalKind::Role.unique_id_from(std::array::from_fn(|i| 26 + i as u8));
        assert_eq!(role, "AROA234567ABCDEFGHIJK");
        assert_eq!(role.len(), 21);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = PrincipalName::parse("bad name").unwrap_err().to_string();
        assert!(err.contains("bad name") && err.contains("' '"), "{err}");
    }
}
