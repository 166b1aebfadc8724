//! The one reference grammar: every way a config file, a task definition or
//! an environment variable can point at an SSM parameter or a Secrets
//! Manager secret, parsed here and nowhere else.
//!
//! # Forms
//!
//! Whole values (an environment variable whose entire value is one of these,
//! see [`parse_value`]):
//!
//! | form | meaning |
//! |---|---|
//! | `ssm:/path/name` | the parameter's latest version |
//! | `ssm:/path/name:3` / `ssm:/path/name:prod-label` | a version (all digits) or a label |
//! | `secretsmanager:NAME-OR-ARN` | the secret's `AWSCURRENT` string |
//! | `secretsmanager:NAME#json-key` | one top-level key of the secret's JSON |
//! | `secretsmanager:NAME@STAGE` / `@VERSION-ID` | a staging label, or a version id (a UUID) |
//! | `arn:aws:ssm:REGION:ACCOUNT:parameter/path/name` | ECS `valueFrom`: a parameter ARN |
//! | `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key:stage:version-id]` | ECS `valueFrom`: a secret ARN (empty fields allowed) |
//! | any `{{resolve:…}}` or `${ssm…}` form below | as in text |
//!
//! In text ([`scan`], what `kinko render` reads), only the delimited forms of
//! CloudFormation and the Serverless Framework are recognised:
//!
//! | form | meaning |
//! |---|---|
//! | `{{resolve:ssm:NAME}}`, `{{resolve:ssm:NAME:VERSION}}` | a parameter (version optional) |
//! | `{{resolve:ssm-secure:NAME:VERSION}}` | the same, SecureString |
//! | `{{resolve:secretsmanager:ID:SecretString:JSON-KEY:STAGE:VERSION-ID}}` | a secret; trailing fields optional, empty fields allowed; ID may be an ARN |
//! | `${ssm:/path}`, `${ssm:/path~true}` | a parameter (`~true`/`~false` decrypt flags are accepted; kinko always decrypts) |
//! | `${ssm(REGION):/path}` | a parameter in another region |
//! | `${ssm:/aws/reference/secretsmanager/NAME}` | the secret `NAME` |
//! | `${ssm:/path, 'default'}` / `${ssm:/path, "default"}` | a fallback used when the parameter does not exist |
//!
//! Anything else is plain text and left alone: `${self:…}`, `${env:…}`,
//! `{{resolve:s3:…}}`, and a `${ssm:…}` that contains a nested `${…}`
//! variable (Serverless resolves those itself).
//!
//! # Parsing rules that remove ambiguity
//!
//! - A parameter name never contains `:`, so the last `:` of an `ssm:`
//!   reference starts the selector.
//! - A secret name may contain `@` but never `#`: in `secretsmanager:`
//!   references the *last* `@` starts the version and the first `#` the JSON
//!   key. A name that contains `@` is written with an explicit version:
//!   `secretsmanager:me@example@AWSCURRENT`.
//! - After `@`, a UUID (8-4-4-4-12 hex digits) is a version id; anything else
//!   is a staging label.
//!
//! # Escaping
//!
//! In text, a backslash directly before an opener keeps the reference
//! literal: `\{{resolve:ssm:/x}}` renders as `{{resolve:ssm:/x}}` and
//! `\${ssm:/x}` as `${ssm:/x}` (the backslash is removed, nothing is fetched).
//! In environment values, a value that starts with `\` is never a reference
//! and is passed on unchanged (`\ssm:/x` stays `\ssm:/x`); there is no need
//! to escape anything else.
//!
//! Errors ([`ReferenceError`]) name the reference text and why it is wrong;
//! a reference is a name, never a value, so it is safe to print.

mod parse;
mod scan;

pub use parse::{parse, parse_value, parse_value_from};
pub use scan::{Segment, scan};

use std::fmt;

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    Parameter(ParameterRef),
    Secret(SecretRef),
}

/// An SSM parameter, optionally at a version or label, optionally in another
/// region than the client's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParameterRef {
    pub name: String,
    pub selector: Option<Selector>,
    pub region: Option<String>,
}

/// The `:3` or `:label` suffix of a parameter reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Selector {
    Version(u64),
    Label(String),
}

/// A Secrets Manager secret's string, or one key of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef {
    /// The secret's name or ARN, as written.
    pub id: String,
    pub json_key: Option<String>,
    pub version: Option<SecretVersion>,
    pub region: Option<String>,
}

/// Which version of a secret: a staging label or a version id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretVersion {
    Stage(String),
    Id(String),
}

/// A reference with the fallback some forms allow (`${ssm:/x, 'default'}`),
/// used only when the target does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub reference: Reference,
    pub default: Option<String>,
}

impl Reference {
    /// The region the reference names, if any (from an ARN or `ssm(REGION)`).
    pub fn region(&self) -> Option<&str> {
        match self {
            Reference::Parameter(p) => p.region.as_deref(),
            Reference::Secret(s) => s.region.as_deref(),
        }
    }
}

impl ParameterRef {
    /// The name as `GetParameters` takes it: `name`, `name:3` or `name:label`.
    pub fn api_name(&self) -> String {
        match &self.selector {
            None => self.name.clone(),
            Some(Selector::Version(v)) => format!("{}:{v}", self.name),
            Some(Selector::Label(l)) => format!("{}:{l}", self.name),
        }
    }
}

/// The canonical native spelling (`ssm:/x:3`, `secretsmanager:id#key@STAGE`),
/// with `(region)` appended when one is set. Used in messages and reports.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Parameter(p) => {
                write!(f, "ssm:{}", p.api_name())?;
                if let Some(region) = &p.region {
                    write!(f, " ({region})")?;
                }
                Ok(())
            }
            Reference::Secret(s) => {
                write!(f, "secretsmanager:{}", s.id)?;
                if let Some(key) = &s.json_key {
                    write!(f, "#{key}")?;
                }
                match &s.version {
                    Some(SecretVersion::Stage(v)) | Some(SecretVersion::Id(v)) => {
                        write!(f, "@{v}")?
                    }
                    None => {}
                }
                if let Some(region) = &s.region {
                    write!(f, " ({region})")?;
                }
                Ok(())
            }
        }
    }
}

/// A reference that cannot be parsed: the text and why. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad reference `{reference}`: {reason}")]
pub struct ReferenceError {
    pub reference: String,
    pub reason: String,
}

impl ReferenceError {
    pub(crate) fn new(reference: &str, reason: impl Into<String>) -> Self {
        ReferenceError {
            reference: reference.to_owned(),
            reason: reason.into(),
        }
    }
}
