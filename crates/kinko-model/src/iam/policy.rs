//! Parsing and validating IAM JSON policy documents into [`Policy`].
//!
//! The grammar is AWS's ("IAM JSON policy element reference"): Version, Id,
//! Statement; each statement Sid, Effect, Principal/NotPrincipal,
//! Action/NotAction, Resource/NotResource, Condition. Anything else is
//! refused, saying where, so a typo never silently widens or narrows access.

use std::fmt;

use serde_json::{Map, Value as Json};

use super::condition::{self, Condition};
use super::wildcard::{Pattern, Syntax};
use super::{Context, Request};

/// AWS's limit for an inline policy is lower; 10 KiB keeps documents
/// reviewable and bounds the work one policy can cost.
pub const MAX_POLICY_CHARS: usize = 10_240;

/// The longest resource policy any service kinko serves accepts (KMS key
/// policies: 32 KiB; Secrets Manager checks its own 20,480 at the wire).
pub const MAX_RESOURCE_POLICY_CHARS: usize = 32_768;

/// A parsed, validated policy document. Parse once when stored/loaded,
/// evaluate many times.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) statements: Box<[Statement]>,
    version: Version,
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`, also what an absent Version means: no policy variables.
    V2008,
    /// `2012-10-17`: policy variables.
    V2012,
}

/// Why a policy document was refused. Its Display says what is wrong and
/// where; it becomes the MalformedPolicyDocument message.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy document is {chars} characters long; the limit is {limit}")]
    TooLong { chars: usize, limit: usize },
    #[error("the policy document is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A problem with the document as a whole (its top-level elements).
    #[error("{0}")]
    Document(String),
    /// A problem inside one statement.
    #[error("{location}: {problem}")]
    Statement {
        location: StatementLocation,
        problem: String,
    },
}

/// Where in a document a statement is: its 1-based number and its Sid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLocation {
    pub number: usize,
    pub sid: Option<String>,
}

impl fmt::Display for StatementLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Statement {}", self.number)?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid \"{sid}\")")?;
        }
        Ok(())
    }
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// One compiled statement.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: Effect,
    pub(crate) principals: Option<Principals>,
    actions: Patterns,
    /// `None`: a resource policy's statement without Resource, which means
    /// the resource the policy is attached to (role trust policies have none).
    resources: Option<Patterns>,
    condition: Condition,
    /// Precomputed for `Policy::needs_resource_tags`.
    uses_resource_tags: bool,
}

/// Action/NotAction or Resource/NotResource: patterns, and whether they list
/// what the statement does NOT apply to.
#[derive(Debug, Clone)]
struct Patterns {
    patterns: Box<[Pattern]>,
    not: bool,
}

/// Principal / NotPrincipal of a resource-policy statement.
#[derive(Debug, Clone)]
pub(crate) struct Principals {
    pub(crate) entries: Box<[PrincipalEntry]>,
    pub(crate) not: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`.
    Anyone,
    /// A 12-digit account id or `arn:…:iam::ACCOUNT:root`.
    Account(Box<str>),
    /// A user, role or role-session ARN.
    Arn(Box<str>),
    /// A `Federated` principal: an OIDC provider's ARN
    /// (`arn:aws:iam::ACCT:oidc-provider/HOST`), which names the caller of
    /// AssumeRoleWithWebIdentity whose token that provider issued. Other
    /// federated names (`cognito-identity.amazonaws.com`, SAML providers)
    /// never match a kinko caller.
    Federated(Box<str>),
    /// A principal kinko never authenticates (Service, CanonicalUser):
    /// accepted, never matches.
    Foreign,
}

impl Policy {
    /// Identity policy: statements must not have Principal/NotPrincipal.
    pub fn parse_identity(json: &str) -> Result<Policy, PolicyError> {
        parse(json, Kind::Identity)
    }

    /// Resource policy (Secrets Manager resource policies, role trust
    /// policies): every statement needs Principal or NotPrincipal. Resource
    /// may be left out: it then means the resource the policy is attached to.
    pub fn parse_resource(json: &str) -> Result<Policy, PolicyError> {
        parse(json, Kind::Resource)
    }

    /// Whether a statement that could apply to `action` has a condition on a
    /// resource tag (aws:ResourceTag/*, ssm:ResourceTag/*,
    /// secretsmanager:ResourceTag/*), i.e. the caller must load the
    /// resource's tags before evaluating. No allocation.
    pub fn needs_resource_tags(&self, action: &str) -> bool {
        self.statements
            .iter()
            .any(|statement| statement.uses_resource_tags && statement.matches_action(action))
    }

    /// The document's language version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// How many statements the document has.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }
}

impl Statement {
    pub(crate) fn matches_action(&self, action: &str) -> bool {
        let any = self
            .actions
            .patterns
            .iter()
            .any(|pattern| pattern.matches_plain(action));
        any != self.actions.not
    }

    /// Whether the statement's Resource/NotResource covers the request's
    /// resource. A pattern whose variable cannot be resolved matches nothing,
    /// and makes a NotResource statement not apply (AWS: an unresolvable
    /// variable may invalidate the whole statement).
    fn matches_resource(&self, resource: &str, context: &Context<'_>) -> bool {
        let Some(resources) = &self.resources else {
            return true;
        };
        let mut unresolved = false;
        for pattern in &resources.patterns {
            match pattern.matches(resource, context) {
                Some(true) => return !resources.not,
                Some(false) => {}
                None => unresolved = true,
            }
        }
        resources.not && !unresolved
    }

    /// Whether Action, Resource and Condition all cover the request
    /// (Principal is the evaluator's business). Cheapest test first.
    pub(crate) fn applies(&self, request: &Request<'_>) -> bool {
        self.matches_action(request.action)
            && self.matches_resource(request.resource, request.context)
            && self.condition.holds(request.context)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Identity,
    Resource,
}

fn parse(json: &str, kind: Kind) -> Result<Policy, PolicyError> {
    let limit = match kind {
        Kind::Identity => MAX_POLICY_CHARS,
        Kind::Resource => MAX_RESOURCE_POLICY_CHARS,
    };
    let chars = json.chars().count();
    if chars > limit {
        return Err(PolicyError::TooLong { chars, limit });
    }
    let document: Json = serde_json::from_str(json).map_err(PolicyError::Json)?;
    let Json::Object(document) = document else {
        return Err(PolicyError::Document(
            "the policy document must be a JSON object".to_owned(),
        ));
    };
    if let Some(unknown) = document
        .keys()
        .find(|key| !["Version", "Id", "Statement"].contains(&key.as_str()))
    {
        return Err(PolicyError::Document(format!(
            "unknown top-level element \"{unknown}\" (allowed: Version, Id, Statement)"
        )));
    }
    let version = match document.get("Version") {
        None => Version::V2008,
        Some(Json::String(v)) if v == "2012-10-17" => Version::V2012,
        Some(Json::String(v)) if v == "2008-10-17" => Version::V2008,
        Some(other) => {
            return Err(PolicyError::Document(format!(
                "Version must be \"2012-10-17\" or \"2008-10-17\", not {other}"
            )));
        }
    };
    if let Some(id) = document.get("Id")
        && !id.is_string()
    {
        return Err(PolicyError::Document("Id must be a string".to_owned()));
    }
    let statements = match document.get("Statement") {
        None => {
            return Err(PolicyError::Document(
                "the policy document has no Statement".to_owned(),
            ));
        }
        Some(Json::Array(items)) if items.is_empty() => {
            return Err(PolicyError::Document(
                "Statement is an empty list".to_owned(),
            ));
        }
        Some(Json::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(one @ Json::Object(_)) => vec![one],
        Some(_) => {
            return Err(PolicyError::Document(
                "Statement must be an object or a list of objects".to_owned(),
            ));
        }
    };
    let mut parsed: Vec<Statement> = Vec::with_capacity(statements.len());
    for (index, statement) in statements.into_iter().enumerate() {
        let mut location = StatementLocation {
            number: index + 1,
            sid: None,
        };
        let statement =
            parse_statement(statement, kind, version, &mut location).map_err(|problem| {
                PolicyError::Statement {
                    location: location.clone(),
                    problem,
                }
            })?;
        if let Some(sid) = &statement.sid
            && parsed.iter().any(|other| other.sid.as_deref() == Some(sid))
        {
            return Err(PolicyError::Statement {
                location,
                problem: "Sid is used by an earlier statement; Sids must be unique".to_owned(),
            });
        }
        parsed.push(statement);
    }
    Ok(Policy {
        statements: parsed.into_boxed_slice(),
        version,
    })
}

const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Parses one statement; fills `location.sid` as soon as it is known so
/// later problems name it.
fn parse_statement(
    json: &Json,
    kind: Kind,
    version: Version,
    location: &mut StatementLocation,
) -> Result<Statement, String> {
    let Json::Object(element) = json else {
        return Err("a statement must be a JSON object".to_owned());
    };
    let sid = match element.get("Sid") {
        None => None,
        Some(Json::String(sid)) if sid.is_empty() => None,
        Some(Json::String(sid)) => {
            location.sid = Some(sid.clone());
            // IAM wants alphanumeric Sids in identity policies; resource
            // policies (KMS's default key policy: "Enable IAM User
            // Permissions") take any text.
            let valid = match kind {
                Kind::Identity => sid.chars().all(|c| c.is_ascii_alphanumeric()),
                Kind::Resource => !sid.chars().any(char::is_control),
            };
            if !valid {
                return Err(match kind {
                    Kind::Identity => {
                        format!("Sid must be alphanumeric (A-Z, a-z, 0-9), not \"{sid}\"")
                    }
                    Kind::Resource => "Sid must not hold control characters".to_owned(),
                });
            }
            Some(Box::<str>::from(sid.as_str()))
        }
        Some(_) => return Err("Sid must be a string".to_owned()),
    };
    if let Some(unknown) = element
        .keys()
        .find(|key| !STATEMENT_ELEMENTS.contains(&key.as_str()))
    {
        return Err(format!(
            "unknown element \"{unknown}\" (allowed: {})",
            STATEMENT_ELEMENTS.join(", ")
        ));
    }
    let effect = match element.get("Effect") {
        None => return Err("Effect is missing; it must be \"Allow\" or \"Deny\"".to_owned()),
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(Json::String(e)) => {
            return Err(format!("Effect must be \"Allow\" or \"Deny\", not \"{e}\""));
        }
        Some(other) => return Err(format!("Effect must be \"Allow\" or \"Deny\", not {other}")),
    };
    let variables = version == Version::V2012;

    let principals = match (element.get("Principal"), element.get("NotPrincipal"), kind) {
        (Some(_), Some(_), _) => {
            return Err("a statement has either Principal or NotPrincipal, not both".to_owned());
        }
        (Some(_), None, Kind::Identity) | (None, Some(_), Kind::Identity) => {
            return Err(
                "an identity policy's statements take no Principal or NotPrincipal \
                 (the principal is whoever holds the policy)"
                    .to_owned(),
            );
        }
        (None, None, Kind::Resource) => {
            return Err("a resource policy's statement needs Principal or NotPrincipal".to_owned());
        }
        (None, None, Kind::Identity) => None,
        (Some(json), None, Kind::Resource) => Some(parse_principals(json, "Principal", false)?),
        (None, Some(json), Kind::Resource) => Some(parse_principals(json, "NotPrincipal", true)?),
    };

    let action_syntax = Syntax {
        wildcards: true,
        variables: false,
        fold_case: true,
    };
    let actions = either(element, "Action", "NotAction")?.ok_or_else(|| {
        "Action or NotAction is missing; name what the statement covers, e.g. \"ssm:GetParameter\""
            .to_owned()
    })?;
    let actions = compile(actions, |text, name| {
        validate_action(text, name)?;
        Pattern::parse(text, action_syntax)
    })?;

    let resource_syntax = Syntax {
        wildcards: true,
        variables,
        fold_case: false,
    };
    let resources = match either(element, "Resource", "NotResource")? {
        Some(resources) => Some(compile(resources, |text, name| {
            validate_resource(text, name)?;
            Pattern::parse(text, resource_syntax).map_err(|problem| format!("{name}: {problem}"))
        })?),
        None if kind == Kind::Resource => None,
        None => {
            return Err(
                "Resource or NotResource is missing; use \"*\" for every resource".to_owned(),
            );
        }
    };

    let condition = match element.get("Condition") {
        None => Condition::default(),
        Some(json) => Condition::parse(json, variables)?,
    };
    let uses_resource_tags = condition.uses_resource_tags()
        || resources
            .as_ref()
            .is_some_and(|resources| resources.patterns.iter().any(condition::uses_resource_tags));
    Ok(Statement {
        sid,
        effect,
        principals,
        actions,
        resources,
        condition,
        uses_resource_tags,
    })
}

/// The strings of an element such as Action or NotAction.
struct Listed<'j> {
    texts: Vec<&'j str>,
    /// The element's name, for messages.
    name: &'static str,
    /// Whether it is the Not… form.
    not: bool,
}

/// The strings of `name` or of `not_name` (at most one may be there).
fn either<'j>(
    element: &'j Map<String, Json>,
    name: &'static str,
    not_name: &'static str,
) -> Result<Option<Listed<'j>>, String> {
    let (json, used, not) = match (element.get(name), element.get(not_name)) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "a statement has either {name} or {not_name}, not both"
            ));
        }
        (None, None) => return Ok(None),
        (Some(json), None) => (json, name, false),
        (None, Some(json)) => (json, not_name, true),
    };
    let strings = match json {
        Json::String(one) => vec![one.as_str()],
        Json::Array(items) if items.is_empty() => return Err(format!("{used} is an empty list")),
        Json::Array(items) => items
            .iter()
            .map(|item| item.as_str())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{used} must be a string or a list of strings"))?,
        _ => return Err(format!("{used} must be a string or a list of strings")),
    };
    Ok(Some(Listed {
        texts: strings,
        name: used,
        not,
    }))
}

fn compile(
    listed: Listed<'_>,
    parse: impl Fn(&str, &str) -> Result<Pattern, String>,
) -> Result<Patterns, String> {
    let patterns = listed
        .texts
        .into_iter()
        .map(|text| parse(text, listed.name))
        .collect::<Result<Box<[Pattern]>, String>>()?;
    Ok(Patterns {
        patterns,
        not: listed.not,
    })
}

/// `*`, or `service:Name` with wildcards allowed in either part.
fn validate_action(text: &str, name: &str) -> Result<(), String> {
    if text == "*" {
        return Ok(());
    }
    let valid = text.split_once(':').is_some_and(|(service, action)| {
        !service.is_empty()
            && !action.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '*' | '?'))
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '?'))
    });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name} \"{text}\" must be \"*\" or \"service:ActionName\" (e.g. \"ssm:GetParameter\", \"ssm:Get*\")"
        ))
    }
}

/// `*`, or an ARN pattern with its six parts (`arn:partition:service:region:account:resource`).
fn validate_resource(text: &str, name: &str) -> Result<(), String> {
    if text == "*" {
        return Ok(());
    }
    if text.starts_with("arn:") && text.matches(':').count() >= 5 {
        Ok(())
    } else {
        Err(format!(
            "{name} \"{text}\" must be \"*\" or an ARN, arn:partition:service:region:account:resource \
             (e.g. \"arn:aws:ssm:*:*:parameter/app/*\")"
        ))
    }
}

/// Principal / NotPrincipal: `"*"` or `{"AWS": "*" | ARN | account-id | [...]}`
/// (other principal types are accepted and never match a kinko caller).
fn parse_principals(json: &Json, name: &str, not: bool) -> Result<Principals, String> {
    let entries = match json {
        Json::String(star) if star == "*" => vec![PrincipalEntry::Anyone],
        Json::Object(types) if !types.is_empty() => {
            let mut entries = Vec::new();
            for (principal_type, values) in types {
                let values = match values {
                    Json::String(one) => vec![one.as_str()],
                    Json::Array(items) if !items.is_empty() => items
                        .iter()
                        .map(|item| item.as_str())
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            format!("{name} {principal_type} must be a string or a list of strings")
                        })?,
                    _ => {
                        return Err(format!(
                            "{name} {principal_type} must be a string or a non-empty list of strings"
                        ));
                    }
                };
                match principal_type.as_str() {
                    "AWS" => {
                        for value in values {
                            entries.push(parse_aws_principal(value, name)?);
                        }
                    }
                    "Federated" => {
                        entries.extend(
                            values
                                .into_iter()
                                .map(|value| PrincipalEntry::Federated(value.into())),
                        );
                    }
                    "Service" | "CanonicalUser" => {
                        entries.push(PrincipalEntry::Foreign);
                    }
                    other => {
                        return Err(format!(
                            "{name} type \"{other}\" is unknown (allowed: AWS, Service, Federated, CanonicalUser)"
                        ));
                    }
                }
            }
            entries
        }
        _ => {
            return Err(format!(
                "{name} must be \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::123456789012:user/name\"}}"
            ));
        }
    };
    Ok(Principals {
        entries: entries.into_boxed_slice(),
        not,
    })
}

fn parse_aws_principal(value: &str, name: &str) -> Result<PrincipalEntry, String> {
    if value == "*" {
        return Ok(PrincipalEntry::Anyone);
    }
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(PrincipalEntry::Account(value.into()));
    }
    let Some(arn) = crate::arn::Arn::parse(value) else {
        return Err(format!(
            "{name} AWS \"{value}\" must be \"*\", a 12-digit account id or an ARN"
        ));
    };
    if value.contains(['*', '?']) {
        return Err(format!(
            "{name} AWS \"{value}\" has a wildcard; only \"*\" alone is allowed \
             (use a Condition on aws:PrincipalArn with ArnLike instead)"
        ));
    }
    if arn.service == "iam" && arn.resource == "root" {
        return Ok(PrincipalEntry::Account(arn.account_id.into()));
    }
    // An identity provider is a `Federated` principal, never an `AWS` one
    // (it would otherwise name a web-identity caller).
    let provider = ["oidc-provider/", "saml-provider/"]
        .iter()
        .any(|kind| arn.resource.starts_with(kind));
    if !matches!(arn.service, "iam" | "sts") || arn.resource.is_empty() || provider {
        return Err(format!(
            "{name} AWS \"{value}\" must be an IAM user or role ARN, an STS assumed-role ARN or an account"
        ));
    }
    Ok(PrincipalEntry::Arn(value.into()))
}
