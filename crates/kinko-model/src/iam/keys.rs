//! Condition keys: parsed once from their (case-insensitive) names, then
//! looked up in a request's [`Context`] without allocating.

use std::borrow::Cow;
use std::net::IpAddr;

use jiff::Timestamp;

use super::Context;
use crate::Tag;

/// A condition key, as named in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// The full name, lower-cased: the form `Context::extra` is keyed by.
    name: Box<str>,
    kind: KeyKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyKind {
    PrincipalArn,
    PrincipalAccount,
    PrincipalType,
    Username,
    /// aws:PrincipalTag/KEY, with KEY as written (tag keys compare
    /// case-insensitively, as AWS documents for the `…Tag/tag-key` keys).
    PrincipalTag(Box<str>),
    /// aws:ResourceTag/KEY and the service forms ssm:… / secretsmanager:….
    ResourceTag(Box<str>),
    SourceIp,
    CurrentTime,
    EpochTime,
    SecureTransport,
    /// aws:SourceIdentity: the source identity of the caller's session.
    SourceIdentity,
    /// aws:RequestTag/KEY: a tag the request passes (AssumeRole's Tags).
    RequestTag(Box<str>),
    /// aws:TagKeys: the keys of the tags the request passes (multivalued).
    TagKeys,
    /// sts:ExternalId, sts:SourceIdentity, sts:RoleSessionName: what an
    /// AssumeRole asks for, in its trust policy evaluation.
    ExternalId,
    RequestedSourceIdentity,
    RoleSessionName,
    /// sts:TransitiveTagKeys (multivalued).
    TransitiveTagKeys,
    /// Anything else: looked up in `Context::extra`.
    Other,
}

/// A value a key has in a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Str(&'a str),
    Ip(IpAddr),
    Time(Timestamp),
    /// aws:EpochTime: a time, compared as seconds by the numeric operators.
    Epoch(Timestamp),
    Bool(bool),
}

impl<'a> Value<'a> {
    /// The value as the string operators and policy variables see it.
    pub(crate) fn as_text(&self) -> Cow<'a, str> {
        match *self {
            Value::Str(text) => Cow::Borrowed(text),
            Value::Ip(ip) => Cow::Owned(ip.to_string()),
            Value::Time(time) => Cow::Owned(time.to_string()),
            Value::Epoch(time) => Cow::Owned(time.as_second().to_string()),
            Value::Bool(true) => Cow::Borrowed("true"),
            Value::Bool(false) => Cow::Borrowed("false"),
        }
    }
}

const RESOURCE_TAG_PREFIXES: [&str; 3] = [
    "aws:resourcetag/",
    "ssm:resourcetag/",
    "secretsmanager:resourcetag/",
];

impl Key {
    /// Parses a key name. The error says what is wrong with it.
    pub(crate) fn parse(name: &str) -> Result<Key, String> {
        let lower = name.to_lowercase();
        let Some((service, rest)) = lower.split_once(':') else {
            return Err(format!(
                "condition key \"{name}\" must have the form service:name, e.g. aws:SourceIp"
            ));
        };
        if service.is_empty() || rest.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!(
                "condition key \"{name}\" must have the form service:name, e.g. aws:SourceIp"
            ));
        }
        // The tag key keeps its original spelling (compared case-insensitively).
        let tag = |prefix: &str| -> Result<Option<Box<str>>, String> {
            let Some(head) = name.get(..prefix.len()) else {
                return Ok(None);
            };
            if !head.eq_ignore_ascii_case(prefix) {
                return Ok(None);
            }
            let key = &name[prefix.len()..];
            if key.is_empty() {
                return Err(format!("condition key \"{name}\" names no tag key"));
            }
            Ok(Some(Box::<str>::from(key)))
        };
        let kind = match lower.as_str() {
            "aws:principalarn" => KeyKind::PrincipalArn,
            "aws:principalaccount" => KeyKind::PrincipalAccount,
            "aws:principaltype" => KeyKind::PrincipalType,
            "aws:username" => KeyKind::Username,
            "aws:sourceip" => KeyKind::SourceIp,
            "aws:currenttime" => KeyKind::CurrentTime,
            "aws:epochtime" => KeyKind::EpochTime,
            "aws:securetransport" => KeyKind::SecureTransport,
            "aws:sourceidentity" => KeyKind::SourceIdentity,
            "aws:tagkeys" => KeyKind::TagKeys,
            "sts:externalid" => KeyKind::ExternalId,
            "sts:sourceidentity" => KeyKind::RequestedSourceIdentity,
            "sts:rolesessionname" => KeyKind::RoleSessionName,
            "sts:transitivetagkeys" => KeyKind::TransitiveTagKeys,
            _ => {
                if let Some(key) = tag("aws:principaltag/")? {
                    KeyKind::PrincipalTag(key)
                } else if let Some(key) = tag("aws:requesttag/")? {
                    KeyKind::RequestTag(key)
                } else {
                    let mut kind = KeyKind::Other;
                    for prefix in RESOURCE_TAG_PREFIXES {
                        if let Some(key) = tag(prefix)? {
                            kind = KeyKind::ResourceTag(key);
                            break;
                        }
                    }
                    kind
                }
            }
        };
        Ok(Key {
            name: lower.into_boxed_str(),
            kind,
        })
    }

    /// Whether the key is a resource tag (the caller must load the tags).
    pub(crate) fn is_resource_tag(&self) -> bool {
        matches!(self.kind, KeyKind::ResourceTag(_))
    }

    /// Whether the key can have several values in one request (aws:TagKeys,
    /// sts:TransitiveTagKeys): conditions on it read [`Key::values`].
    pub(crate) fn is_multivalued(&self) -> bool {
        matches!(self.kind, KeyKind::TagKeys | KeyKind::TransitiveTagKeys)
    }

    /// A multivalued key's values in the request (empty: the key is absent).
    /// Also read from `Context::extra`, where such a key may appear several
    /// times. Allocates nothing.
    pub(crate) fn values<'a, 'k>(
        &'k self,
        context: &Context<'a>,
    ) -> impl Iterator<Item = Value<'a>> + use<'a, 'k> {
        let sts = context.sts;
        let tag_keys = match self.kind {
            KeyKind::TagKeys => sts.map_or(&[][..], |s| s.request_tags),
            _ => &[][..],
        };
        let transitive = match self.kind {
            KeyKind::TransitiveTagKeys => sts.map_or(&[][..], |s| s.transitive_tag_keys),
            _ => &[][..],
        };
        let from_fields = !tag_keys.is_empty() || !transitive.is_empty();
        let extra = if from_fields { &[][..] } else { context.extra };
        let name: &'k str = &self.name;
        tag_keys
            .iter()
            .map(|tag| Value::Str(tag.key.as_str()))
            .chain(transitive.iter().map(|key| Value::Str(key.as_str())))
            .chain(
                extra
                    .iter()
                    .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| Value::Str(value.as_str())),
            )
    }

    /// The key's value in the request; `None` when the request has none.
    /// A key the context has no field for (or whose field is empty) is looked
    /// up in `Context::extra`, so `policy simulate --context` can set any key.
    /// A multivalued key has no single value: `None` (see [`Key::values`]).
    pub(crate) fn lookup<'a>(&self, context: &Context<'a>) -> Option<Value<'a>> {
        let known = match &self.kind {
            KeyKind::PrincipalArn => Some(Value::Str(context.principal_arn)),
            KeyKind::PrincipalAccount => Some(Value::Str(context.account_id)),
            KeyKind::PrincipalType => principal_type(context).map(Value::Str),
            KeyKind::Username => context.username.map(Value::Str),
            KeyKind::PrincipalTag(key) => tag_value(context.principal_tags, key).map(Value::Str),
            KeyKind::ResourceTag(key) => context
                .resource_tags
                .and_then(|tags| tag_value(tags, key))
                .map(Value::Str),
            KeyKind::SourceIp => context.source_ip.map(Value::Ip),
            KeyKind::CurrentTime => Some(Value::Time(context.current_time)),
            KeyKind::EpochTime => Some(Value::Epoch(context.current_time)),
            KeyKind::SecureTransport => Some(Value::Bool(context.secure_transport)),
            KeyKind::SourceIdentity => context.source_identity.map(Value::Str),
            KeyKind::RequestTag(key) => context
                .sts
                .and_then(|sts| tag_value(sts.request_tags, key))
                .map(Value::Str),
            KeyKind::ExternalId => context.sts.and_then(|sts| sts.external_id).map(Value::Str),
            KeyKind::RequestedSourceIdentity => context
                .sts
                .and_then(|sts| sts.source_identity)
                .map(Value::Str),
            KeyKind::RoleSessionName => context.sts.map(|sts| Value::Str(sts.role_session_name)),
            KeyKind::TagKeys | KeyKind::TransitiveTagKeys => return None,
            KeyKind::Other => None,
        };
        known.or_else(|| {
            context
                .extra
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(&self.name))
                .map(|(_, value)| Value::Str(value.as_str()))
        })
    }
}

/// aws:PrincipalType: `AssumedRole` for a role session, `User` for a user.
fn principal_type<'a>(context: &Context<'a>) -> Option<&'a str> {
    if context.caller_arn.contains(":assumed-role/") {
        Some("AssumedRole")
    } else if context.username.is_some() {
        Some("User")
    } else {
        None
    }
}

/// The value of tag `key`, which compares case-insensitively.
fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|tag| {
            tag.key
                .chars()
                .flat_map(char::to_lowercase)
                .eq(key.chars().flat_map(char::to_lowercase))
        })
        .map(|tag| tag.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::tests::context_with;

    #[test]
    fn names_are_case_insensitive() {
        let a = Key::parse("aws:SourceIp").unwrap();
        let b = Key::parse("AWS:SOURCEIP").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn malformed_names_are_refused() {
        for name in [
            "SourceIp",
            ":x",
            "aws:",
            "aws:PrincipalTag/",
            "ssm:ResourceTag/",
            "a b:c",
        ] {
            assert!(Key::parse(name).is_err(), "{name}");
        }
    }

    #[test]
    fn resource_tag_forms_are_recognised() {
        for name in [
            "aws:ResourceTag/env",
            "ssm:resourcetag/env",
            "SecretsManager:ResourceTag/env",
        ] {
            assert!(Key::parse(name).unwrap().is_resource_tag(), "{name}");
        }
        assert!(
            !Key::parse("aws:PrincipalTag/env")
                .unwrap()
                .is_resource_tag()
        );
    }

    #[test]
    fn lookups_read_the_context() {
        context_with(|context| {
            let get = |name: &str| Key::parse(name).unwrap().lookup(context);
            assert_eq!(
                get("aws:PrincipalArn"),
                Some(Value::Str("arn:aws:iam::123456789012:user/alice"))
            );
            assert_eq!(get("aws:username"), Some(Value::Str("alice")));
            assert_eq!(get("aws:PrincipalType"), Some(Value::Str("User")));
            assert_eq!(
                get("aws:PrincipalAccount"),
                Some(Value::Str("123456789012"))
            );
            assert_eq!(get("aws:PrincipalTag/TEAM"), Some(Value::Str("payments")));
            assert_eq!(get("ssm:ResourceTag/Env"), Some(Value::Str("prod")));
            assert_eq!(get("aws:ResourceTag/missing"), None);
            assert_eq!(get("aws:SecureTransport"), Some(Value::Bool(true)));
            assert_eq!(get("custom:Flag"), Some(Value::Str("on")));
            assert_eq!(get("custom:Absent"), None);
            assert!(matches!(get("aws:SourceIp"), Some(Value::Ip(_))));
            assert!(matches!(get("aws:CurrentTime"), Some(Value::Time(_))));
        });
    }
}
