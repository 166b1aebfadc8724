//! `--allow-host` patterns: `*` matches any run of characters (dots too, so
//! `*.github.com` covers `api.github.com` and `uploads.api.github.com`),
//! `?` one character; case-insensitive, like host names.
//!
//! Hand-written rather than `globset`: hosts need two wildcards, not paths,
//! classes or alternations.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, PartialEq, Eq)]
pub struct HostGlob {
    pattern: Vec<char>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a host pattern: use letters, digits, `.`, `-`, `*` and `?` only")]
pub struct HostGlobError(String);

impl FromStr for HostGlob {
    type Err = HostGlobError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase();
        let valid = !text.is_empty()
            && text.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '.' | '-' | '_' | '*' | '?' | ':' | '[' | ']')
            });
        if !valid {
            return Err(HostGlobError(s.to_owned()));
        }
        Ok(HostGlob {
            pattern: text.chars().collect(),
            text,
        })
    }
}

impl fmt::Debug for HostGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostGlob({})", self.text)
    }
}

impl fmt::Display for HostGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl HostGlob {
    /// Whether `host` (without a port) matches.
    pub fn matches(&self, host: &str) -> bool {
        let host: Vec<char> = host.to_ascii_lowercase().chars().collect();
        // Iterative wildcard matching with backtracking to the last `*`.
        let (mut p, mut h) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while h < host.len() {
            match self.pattern.get(p) {
                Some('*') => {
                    star = Some((p, h));
                    p += 1;
                }
                Some(&c) if c == '?' || c == host[h] => {
                    p += 1;
                    h += 1;
                }
                _ => match star {
                    Some((sp, sh)) => {
                        p = sp + 1;
                        h = sh + 1;
                        star = Some((sp, sh + 1));
                    }
                    None => return false,
                },
            }
        }
        self.pattern[p..].iter().all(|&c| c == '*')
    }
}

/// Whether `host` is allowed by the list; an empty list allows every host.
pub fn allowed(list: &[HostGlob], host: &str) -> bool {
    list.is_empty() || list.iter().any(|glob| glob.matches(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(s: &str) -> HostGlob {
        s.parse().unwrap()
    }

    #[test]
    fn wildcards_match_hosts() {
        assert!(glob("api.github.com").matches("api.github.com"));
        assert!(glob("api.github.com").matches("API.GitHub.com"));
        assert!(!glob("api.github.com").matches("api.github.com.evil.net"));
        assert!(glob("*.github.com").matches("api.github.com"));
        assert!(glob("*.github.com").matches("uploads.api.github.com"));
        assert!(!glob("*.github.com").matches("github.com"));
        assert!(!glob("*.github.com").matches("evilgithub.com"));
        assert!(glob("hooks.slack.co?").matches("hooks.slack.com"));
        assert!(!glob("hooks.slack.co?").matches("hooks.slack.co"));
        assert!(glob("*").matches("anything"));
        assert!(glob("a*b*c").matches("aXXbYYbc"));
        assert!(!glob("a*b*c").matches("aXXbYYbd"));
    }

    #[test]
    fn the_list_allows_all_when_empty() {
        assert!(allowed(&[], "x"));
        let list = [glob("localhost"), glob("*.example.com")];
        assert!(allowed(&list, "localhost"));
        assert!(allowed(&list, "a.example.com"));
        assert!(!allowed(&list, "example.org"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!("".parse::<HostGlob>().is_err());
        assert!("a b".parse::<HostGlob>().is_err());
        assert!("a/b".parse::<HostGlob>().is_err());
    }
}
