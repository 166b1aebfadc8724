//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, …, with
//! AWS's optional default, `${aws:PrincipalTag/team, 'company-wide'}`.
//! Only Version 2012-10-17 documents have them; in 2008-10-17 `${…}` is
//! literal text (see "IAM policy elements: Variables and tags").

use std::borrow::Cow;

use super::Context;
use super::keys::Key;

/// One `${…}` in a Resource or a condition value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    key: Key,
    /// Used when the request has no value for `key`.
    default: Option<Box<str>>,
}

impl Variable {
    /// Parses the text between `${` and `}`.
    pub(crate) fn parse(inner: &str) -> Result<Variable, String> {
        let (name, default) = match inner.split_once(',') {
            None => (inner.trim(), None),
            Some((name, default)) => {
                let default = default.trim();
                let Some(text) = default
                    .strip_prefix('\'')
                    .and_then(|rest| rest.strip_suffix('\''))
                else {
                    return Err(format!(
                        "the default value of variable \"${{{inner}}}\" must be in single quotes"
                    ));
                };
                (name.trim(), Some(Box::<str>::from(text)))
            }
        };
        let key = Key::parse(name).map_err(|problem| format!("policy variable: {problem}"))?;
        Ok(Variable { key, default })
    }

    /// The key the variable reads.
    pub(crate) fn key(&self) -> &Key {
        &self.key
    }

    /// The variable's value in this request, or its default; `None` when it
    /// has neither, which makes the pattern holding it unusable.
    pub(crate) fn resolve<'x>(&'x self, context: &Context<'x>) -> Option<Cow<'x, str>> {
        match self.key.lookup(context) {
            Some(value) => Some(value.as_text()),
            None => self.default.as_deref().map(Cow::Borrowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::tests::{context_with, role_context_with};

    #[test]
    fn resolves_from_the_request() {
        context_with(|context| {
            let name = Variable::parse("aws:username").unwrap();
            assert_eq!(name.resolve(context).as_deref(), Some("alice"));
            let tag = Variable::parse(" aws:PrincipalTag/team ").unwrap();
            assert_eq!(tag.resolve(context).as_deref(), Some("payments"));
            let ip = Variable::parse("aws:SourceIp").unwrap();
            assert_eq!(ip.resolve(context).as_deref(), Some("10.1.2.3"));
        });
    }

    #[test]
    fn a_missing_key_takes_the_default_or_nothing() {
        role_context_with(|context| {
            let bare = Variable::parse("aws:username").unwrap();
            assert_eq!(bare.resolve(context), None);
            let with_default = Variable::parse("aws:username, 'nobody'").unwrap();
            assert_eq!(with_default.resolve(context).as_deref(), Some("nobody"));
        });
    }

    #[test]
    fn malformed_variables_are_refused() {
        assert!(Variable::parse("username").is_err());
        assert!(Variable::parse("").is_err());
        let problem = Variable::parse("aws:username, nobody").unwrap_err();
        assert!(problem.contains("single quotes"), "{problem}");
    }
}
