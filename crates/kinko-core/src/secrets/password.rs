//! GetRandomPassword: uniform choices from the system CSPRNG (rejection
//! sampling, no modulo bias), at least one character of every included
//! class when asked, then a uniform shuffle.

use kinko_crypto::SecretString;

use super::error::SecretsError;

pub const DEFAULT_LENGTH: usize = 32;
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordOptions {
    pub length: Option<usize>,
    pub exclude_characters: Option<String>,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    /// `None` = true.
    pub require_each_included_type: Option<bool>,
}

/// A uniform index in `0..n` (`n` ≥ 1).
fn uniform(n: usize) -> usize {
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    // The largest multiple of n below 2^32: values at or above it are redrawn.
    let zone = u32::MAX - (u32::MAX % n32);
    loop {
        let bytes = kinko_crypto::random_bytes(4);
        let x = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if x < zone {
            return (x % n32) as usize;
        }
    }
}

fn pick(chars: &[char]) -> char {
    chars[uniform(chars.len())]
}

pub fn random_password(options: &PasswordOptions) -> Result<SecretString, SecretsError> {
    let length = options.length.unwrap_or(DEFAULT_LENGTH);
    let excluded: Vec<char> = options
        .exclude_characters
        .as_deref()
        .unwrap_or_default()
        .chars()
        .collect();
    let mut classes: Vec<Vec<char>> = Vec::new();
    let mut add = |skip: bool, chars: &str| {
        if !skip {
            let kept: Vec<char> = chars.chars().filter(|c| !excluded.contains(c)).collect();
            if !kept.is_empty() {
                classes.push(kept);
            }
        }
    };
    add(options.exclude_uppercase, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    add(options.exclude_lowercase, "abcdefghijklmnopqrstuvwxyz");
    add(options.exclude_numbers, "0123456789");
    add(options.exclude_punctuation, PUNCTUATION);
    add(!options.include_space, " ");
    if classes.is_empty() {
        return Err(SecretsError::InvalidParameter(
            "The password can't be generated: every character was excluded.".into(),
        ));
    }
    let require_each = options.require_each_included_type.unwrap_or(true);
    if require_each && length < classes.len() {
        return Err(SecretsError::InvalidParameter(
            "Password length is too short based on the required types.".into(),
        ));
    }
    let all: Vec<char> = classes.iter().flatten().copied().collect();
    let mut out: Vec<char> = Vec::with_capacity(length);
    if require_each {
        out.extend(classes.iter().map(|c| pick(c)));
    }
    while out.len() < length {
        out.push(pick(&all));
    }
    // Fisher–Yates, so the required characters land anywhere.
    for i in (1..out.len()).rev() {
        out.swap(i, uniform(i + 1));
    }
    let text: String = out.iter().collect();
    out.iter_mut().for_each(|c| *c = '\0');
    Ok(SecretString::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(o: PasswordOptions) -> String {
        random_password(&o).unwrap().expose().to_owned()
    }

    #[test]
    fn default_is_32_with_every_class() {
        let p = make(PasswordOptions::default());
        assert_eq!(p.chars().count(), 32);
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
        assert!(!p.contains(' '));
        assert_ne!(p, make(PasswordOptions::default()));
    }

    #[test]
    fn exclusions_and_space() {
        for _ in 0..20 {
            let p = make(PasswordOptions {
                length: Some(50),
                exclude_characters: Some("abcXYZ".into()),
                exclude_numbers: true,
                exclude_punctuation: true,
                include_space: true,
                ..Default::default()
            });
            assert_eq!(p.len(), 50);
            assert!(p.contains(' '));
            assert!(p.chars().all(|c| c.is_ascii_alphabetic() || c == ' '));
            assert!(!p.chars().any(|c| "abcXYZ".contains(c)));
        }
        let p = make(PasswordOptions {
            length: Some(4096),
            exclude_uppercase: true,
            exclude_lowercase: true,
            exclude_punctuation: true,
            ..Default::default()
        });
        assert!(p.chars().all(|c| c.is_ascii_digit()));
        // Each digit appears: a uniform draw of 4096 makes a miss astronomically unlikely.
        for d in '0'..='9' {
            assert!(p.contains(d));
        }
    }

    #[test]
    fn errors() {
        let short = random_password(&PasswordOptions {
            length: Some(3),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            short,
            SecretsError::InvalidParameter(
                "Password length is too short based on the required types.".into()
            )
        );
        // Without the requirement, 3 is fine.
        assert!(
            random_password(&PasswordOptions {
                length: Some(3),
                require_each_included_type: Some(false),
                ..Default::default()
            })
            .is_ok()
        );
        let none = random_password(&PasswordOptions {
            exclude_uppercase: true,
            exclude_lowercase: true,
            exclude_numbers: true,
            exclude_characters: Some(PUNCTUATION.into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(matches!(none, SecretsError::InvalidParameter(_)));
    }

    #[test]
    fn uniform_stays_in_range() {
        for n in [1, 2, 3, 62, 95] {
            for _ in 0..200 {
                assert!(uniform(n) < n);
            }
        }
    }
}
