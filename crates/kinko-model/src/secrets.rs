//! Secrets Manager names: secret names, ARNs and the three spellings of a
//! `SecretId`.

use crate::arn::{Arn, arn};

pub const NAME_MAX: usize = 512;
/// The length of the random suffix AWS appends to a secret's ARN
/// (`-` and this many letters and digits).
pub const SUFFIX_LEN: usize = 6;

/// Why a secret name was refused: AWS's `ValidationException` and its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("ValidationException: {0}")]
    Validation(String),
}

/// A validated secret name: 1–512 of ASCII letters, digits and `/_+=.@-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let ok = !name.is_empty()
            && name.len() <= NAME_MAX
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
        if ok {
            Ok(SecretName(name.to_owned()))
        } else {
            // AWS's own text lists `!` although it rejects it (observed).
            Err(NameError::Validation(
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
                    .into(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<suffix>`.
pub fn secret_arn(region: &str, account_id: &str, name: &str, suffix: &str) -> String {
    arn(
        "secretsmanager",
        region,
        account_id,
        &format!("secret:{name}-{suffix}"),
    )
}

/// The 6-character suffix of an ARN made by [`secret_arn`].
pub fn arn_suffix(full_arn: &str) -> &str {
    let cut = full_arn.len().saturating_sub(SUFFIX_LEN);
    full_arn.get(cut..).unwrap_or_default()
}

fn is_suffix(s: &str) -> bool {
    s.len() == SUFFIX_LEN + 1
        && s.starts_with('-')
        && s.bytes().skip(1).all(|b| b.is_ascii_alphanumeric())
}

/// A `SecretId` as the caller sent it, resolved to the name to look up and
/// how the stored ARN must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Name(String),
    /// The stored ARN must equal this one.
    FullArn {
        name: String,
        arn: String,
    },
    /// The stored ARN must be this one plus `-XXXXXX`.
    PartialArn {
        name: String,
        arn: String,
    },
}

impl SecretRef {
    /// AWS's rule: an ARN whose last 7 characters are `-` and 6
    /// alphanumerics is a full ARN, any other ARN a partial one. So a secret
    /// named `x-a1b2c3` cannot be reached by partial ARN.
    pub fn parse(secret_id: &str) -> Self {
        if !secret_id.starts_with("arn:") {
            return SecretRef::Name(secret_id.to_owned());
        }
        let resource = Arn::parse(secret_id)
            .and_then(|a| a.resource.strip_prefix("secret:"))
            .unwrap_or_default();
        let tail = secret_id
            .get(secret_id.len().saturating_sub(SUFFIX_LEN + 1)..)
            .unwrap_or_default();
        let name = resource.get(..resource.len().saturating_sub(SUFFIX_LEN + 1));
        if let (true, Some(name)) = (is_suffix(tail), name.filter(|n| !n.is_empty())) {
            SecretRef::FullArn {
                name: name.to_owned(),
                arn: secret_id.to_owned(),
            }
        } else {
            SecretRef::PartialArn {
                name: resource.to_owned(),
                arn: secret_id.to_owned(),
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            SecretRef::Name(n) => n,
            SecretRef::FullArn { name, .. } | SecretRef::PartialArn { name, .. } => name,
        }
    }

    /// Whether the secret stored under [`SecretRef::name`] with `stored_arn`
    /// is the one meant.
    pub fn matches(&self, stored_arn: &str) -> bool {
        match self {
            SecretRef::Name(_) => true,
            SecretRef::FullArn { arn, .. } => arn == stored_arn,
            SecretRef::PartialArn { arn, .. } => {
                stored_arn.strip_prefix(arn.as_str()).is_some_and(is_suffix)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(SecretName::parse("prod/db_creds+x=y.z@w-1").is_ok());
        for bad in ["", "a b", "a*", "a!", "é"] {
            let err = SecretName::parse(bad).unwrap_err();
            assert!(matches!(err, NameError::Validation(_)), "{bad}");
        }
        assert!(SecretName::parse(&"a".repeat(512)).is_ok());
        assert!(SecretName::parse(&"a".repeat(513)).is_err());
    }

    #[test]
    fn secret_ids() {
        let full = "arn:aws:secretsmanager:us-east-1:1:secret:app/db-AbC123";
        assert_eq!(
            SecretRef::parse(full),
            SecretRef::FullArn {
                name: "app/db".into(),
                arn: full.into()
            }
        );
        let partial = "arn:aws:secretsmanager:us-east-1:1:secret:app/db";
        let r = SecretRef::parse(partial);
        assert_eq!(r.name(), "app/db");
        assert!(r.matches(full));
        assert!(!r.matches("arn:aws:secretsmanager:us-east-1:1:secret:app/dbx-AbC123"));
        assert_eq!(SecretRef::parse("app/db"), SecretRef::Name("app/db".into()));
        // The caveat: `x-a1b2c3` as a partial ARN reads as a full ARN of `x`.
        let tricky = SecretRef::parse("arn:aws:secretsmanager:us-east-1:1:secret:x-a1b2c3");
        assert_eq!(tricky.name(), "x");
    }
}
