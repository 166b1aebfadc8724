//! Parsing one reference, in any of its spellings, into a [`Reference`].

use super::{Lookup, ParameterRef, Reference, ReferenceError, SecretRef, SecretVersion, Selector};
use crate::arn::Arn;

/// The SSM name prefix through which Secrets Manager secrets are read.
const SECRETS_BRIDGE: &str = "/aws/reference/secretsmanager/";

/// Parses `text` as exactly one reference of any form; an error when it is
/// not one (or is one with a fallback default, which only text may carry).
pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
    match parse_value(text) {
        Some(Ok(Lookup {
            reference,
            default: None,
        })) => Ok(reference),
        Some(Ok(Lookup {
            default: Some(_), ..
        })) => Err(ReferenceError::new(
            text,
            "a fallback default is allowed only where a missing value may be replaced",
        )),
        Some(Err(e)) => Err(e),
        None => Err(ReferenceError::new(
            text,
            "not a reference: expected ssm:, secretsmanager:, an ARN, {{resolve:…}} or ${ssm:…}",
        )),
    }
}

/// Parses an environment value that may be a reference as a whole.
///
/// `None` when the value does not start like any reference form (it is then
/// an ordinary value, passed on as it is). A value starting with `\` is never
/// a reference: that is the escape.
pub fn parse_value(text: &str) -> Option<Result<Lookup, ReferenceError>> {
    let plain = |r: Result<Reference, ReferenceError>| {
        r.map(|reference| Lookup {
            reference,
            default: None,
        })
    };
    if let Some(body) = text.strip_prefix("ssm:") {
        return Some(plain(native_parameter(text, body)));
    }
    if let Some(body) = text.strip_prefix("secretsmanager:") {
        return Some(plain(native_secret(text, body)));
    }
    if let Some(arn) = Arn::parse(text)
        && matches!(arn.service, "ssm" | "secretsmanager")
    {
        return Some(plain(from_arn(text, &arn)));
    }
    if let Some(inner) = text.strip_prefix("{{resolve:") {
        let Some(inner) = inner.strip_suffix("}}") else {
            return Some(Err(ReferenceError::new(text, "missing the closing `}}`")));
        };
        return cloudformation(text, inner).map(plain);
    }
    if text.starts_with("${ssm:") || text.starts_with("${ssm(") {
        let Some(inner) = text[2..].strip_suffix('}') else {
            return Some(Err(ReferenceError::new(text, "missing the closing `}`")));
        };
        if inner.contains("${") {
            return Some(Err(ReferenceError::new(
                text,
                "a nested ${…} variable cannot be resolved here",
            )));
        }
        return Some(serverless(text, inner));
    }
    None
}

/// Parses an ECS task definition's `valueFrom`: a parameter ARN, a secret
/// ARN (with its optional `:json-key:stage:version-id`), or a bare parameter
/// name.
pub fn parse_value_from(text: &str) -> Result<Reference, ReferenceError> {
    if let Some(arn) = Arn::parse(text) {
        return from_arn(text, &arn);
    }
    parameter_name(text, text)?;
    Ok(Reference::Parameter(ParameterRef {
        name: text.to_owned(),
        selector: None,
        region: None,
    }))
}

/// `ssm:NAME[:selector]`, `body` being the text after `ssm:`.
fn native_parameter(whole: &str, body: &str) -> Result<Reference, ReferenceError> {
    let (name, selector) = match body.rsplit_once(':') {
        Some((name, selector)) => (name, Some(self::selector(whole, selector)?)),
        None => (body, None),
    };
    parameter_name(whole, name)?;
    Ok(parameter(name, selector, None))
}

/// `secretsmanager:ID[#json-key][@STAGE|@version-id]`.
fn native_secret(whole: &str, body: &str) -> Result<Reference, ReferenceError> {
    let (rest, version) = match body.rsplit_once('@') {
        Some((rest, v)) if !v.is_empty() => (rest, Some(version(v))),
        Some(_) => return Err(ReferenceError::new(whole, "empty version after `@`")),
        None => (body, None),
    };
    let (id, json_key) = match rest.split_once('#') {
        Some((_, "")) => return Err(ReferenceError::new(whole, "empty JSON key after `#`")),
        Some((id, key)) => (id, Some(key.to_owned())),
        None => (rest, None),
    };
    let region = secret_id(whole, id)?;
    Ok(Reference::Secret(SecretRef {
        id: id.to_owned(),
        json_key,
        version,
        region,
    }))
}

/// An SSM parameter ARN or a Secrets Manager secret ARN (ECS forms).
fn from_arn(whole: &str, arn: &Arn<'_>) -> Result<Reference, ReferenceError> {
    let region = (!arn.region.is_empty()).then(|| arn.region.to_owned());
    match arn.service {
        "ssm" => {
            let Some(rest) = arn.resource.strip_prefix("parameter/") else {
                return Err(ReferenceError::new(
                    whole,
                    "an SSM ARN must name a parameter (`…:parameter/NAME`)",
                ));
            };
            // The ARN drops the leading `/` of a hierarchical name.
            let name = if rest.contains('/') {
                format!("/{rest}")
            } else {
                rest.to_owned()
            };
            parameter_name(whole, &name)?;
            Ok(parameter(&name, None, region))
        }
        "secretsmanager" => {
            let mut fields = arn.resource.split(':');
            if fields.next() != Some("secret") {
                return Err(ReferenceError::new(
                    whole,
                    "a Secrets Manager ARN must name a secret (`…:secret:NAME`)",
                ));
            }
            let name = fields.next().unwrap_or_default();
            if name.is_empty() {
                return Err(ReferenceError::new(whole, "empty secret name"));
            }
            let key = fields.next().unwrap_or_default();
            let stage = fields.next().unwrap_or_default();
            let version_id = fields.next().unwrap_or_default();
            if fields.next().is_some() {
                return Err(ReferenceError::new(
                    whole,
                    "too many fields: expected …:secret:NAME:json-key:version-stage:version-id",
                ));
            }
            let id = format!(
                "arn:{}:secretsmanager:{}:{}:secret:{name}",
                arn.partition, arn.region, arn.account_id
            );
            secret(whole, id, key, stage, version_id, region)
        }
        other => Err(ReferenceError::new(
            whole,
            format!("ARNs of service `{other}` are not references"),
        )),
    }
}

/// The inside of `{{resolve:…}}`. `None` for services kinko does not
/// resolve (`s3`, …): that text is left alone.
fn cloudformation(whole: &str, inner: &str) -> Option<Result<Reference, ReferenceError>> {
    let (service, body) = inner.split_once(':').unwrap_or((inner, ""));
    match service {
        "ssm" | "ssm-secure" => Some(cloudformation_parameter(whole, body)),
        "secretsmanager" => Some(cloudformation_secret(whole, body)),
        _ => None,
    }
}

/// `NAME[:VERSION]` of `{{resolve:ssm:…}}`.
fn cloudformation_parameter(whole: &str, body: &str) -> Result<Reference, ReferenceError> {
    let (name, selector) = match body.rsplit_once(':') {
        Some((name, v)) => {
            let version = v.parse::<u64>().map_err(|_| {
                ReferenceError::new(whole, format!("version `{v}` is not a number"))
            })?;
            (name, Some(Selector::Version(version)))
        }
        None => (body, None),
    };
    parameter_name(whole, name)?;
    Ok(parameter(name, selector, None))
}

/// `ID[:SecretString[:JSON-KEY[:STAGE[:VERSION-ID]]]]`; ID may be an ARN.
fn cloudformation_secret(whole: &str, body: &str) -> Result<Reference, ReferenceError> {
    let (id, rest) = if body.starts_with("arn:") {
        // An ARN has seven colon-separated parts up to the secret's name.
        let mut cut = body.len();
        if let Some((i, _)) = body.match_indices(':').nth(6) {
            cut = i;
        }
        (&body[..cut], body.get(cut + 1..).unwrap_or_default())
    } else {
        body.split_once(':').unwrap_or((body, ""))
    };
    let mut fields = rest.split(':');
    let kind = fields.next().unwrap_or_default();
    if !kind.is_empty() && kind != "SecretString" {
        return Err(ReferenceError::new(
            whole,
            format!("expected `SecretString` after the secret id, found `{kind}`"),
        ));
    }
    let key = fields.next().unwrap_or_default();
    let stage = fields.next().unwrap_or_default();
    let version_id = fields.next().unwrap_or_default();
    if fields.next().is_some() {
        return Err(ReferenceError::new(
            whole,
            "too many fields: expected ID:SecretString:JSON-KEY:STAGE:VERSION-ID",
        ));
    }
    let region = secret_id(whole, id)?;
    secret(whole, id.to_owned(), key, stage, version_id, region)
}

/// The inside of `${…}` starting with `ssm`: `ssm[(REGION)]:PATH[~true][, 'default']`.
fn serverless(whole: &str, inner: &str) -> Result<Lookup, ReferenceError> {
    let rest = &inner["ssm".len()..];
    let (region, rest) = if let Some(r) = rest.strip_prefix('(') {
        let Some((option, rest)) = r.split_once(')') else {
            return Err(ReferenceError::new(whole, "missing `)` after `ssm(`"));
        };
        let region = match option {
            // Serverless options that change only how it post-processes.
            "raw" | "noDecrypt" | "" => None,
            region if is_region(region) => Some(region.to_owned()),
            other => {
                return Err(ReferenceError::new(
                    whole,
                    format!("`{other}` is not a region"),
                ));
            }
        };
        (region, rest)
    } else {
        (None, rest)
    };
    let Some(rest) = rest.strip_prefix(':') else {
        return Err(ReferenceError::new(whole, "expected `:` after `ssm`"));
    };
    let (path, default) = match rest.split_once(',') {
        Some((path, default)) => (path, Some(quoted_default(whole, default.trim())?)),
        None => (rest, None),
    };
    let path = path.trim();
    let path = match path.split_once('~') {
        Some((path, "true" | "false")) => path,
        Some((_, flag)) => {
            return Err(ReferenceError::new(
                whole,
                format!("unknown flag `~{flag}` (only ~true and ~false)"),
            ));
        }
        None => path,
    };
    let reference = if let Some(name) = path.strip_prefix(SECRETS_BRIDGE) {
        secret_id(whole, name)?;
        Reference::Secret(SecretRef {
            id: name.to_owned(),
            json_key: None,
            version: None,
            region,
        })
    } else {
        parameter_name(whole, path)?;
        parameter(path, None, region)
    };
    Ok(Lookup { reference, default })
}

/// `'text'` or `"text"`: the fallback of a Serverless variable.
fn quoted_default(whole: &str, text: &str) -> Result<String, ReferenceError> {
    for quote in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote))
            && !inner.contains(quote)
        {
            return Ok(inner.to_owned());
        }
    }
    Err(ReferenceError::new(
        whole,
        "the fallback after `,` must be a quoted string ('…' or \"…\")",
    ))
}

fn parameter(name: &str, selector: Option<Selector>, region: Option<String>) -> Reference {
    Reference::Parameter(ParameterRef {
        name: name.to_owned(),
        selector,
        region,
    })
}

/// A secret from the fields of the CloudFormation and ECS forms, where an
/// empty field means "not given".
fn secret(
    whole: &str,
    id: String,
    key: &str,
    stage: &str,
    version_id: &str,
    region: Option<String>,
) -> Result<Reference, ReferenceError> {
    let version = match (stage, version_id) {
        ("", "") => None,
        (stage, "") => Some(SecretVersion::Stage(stage.to_owned())),
        ("", id) => Some(SecretVersion::Id(id.to_owned())),
        _ => {
            return Err(ReferenceError::new(
                whole,
                "give either a staging label or a version id, not both",
            ));
        }
    };
    Ok(Reference::Secret(SecretRef {
        id,
        json_key: (!key.is_empty()).then(|| key.to_owned()),
        version,
        region,
    }))
}

/// `:3` is a version, anything else a label (labels may not start with a digit).
fn selector(whole: &str, text: &str) -> Result<Selector, ReferenceError> {
    if text.is_empty() {
        return Err(ReferenceError::new(whole, "empty selector after `:`"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Selector::Version)
            .map_err(|_| ReferenceError::new(whole, "version number too large"));
    }
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(ReferenceError::new(
            whole,
            format!(
                "`{text}` is neither a version number nor a label (labels cannot start with a digit)"
            ),
        ));
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(ReferenceError::new(
            whole,
            format!("label `{text}` may hold only letters, digits, `.`, `-` and `_`"),
        ));
    }
    Ok(Selector::Label(text.to_owned()))
}

fn version(text: &str) -> SecretVersion {
    if is_uuid(text) {
        SecretVersion::Id(text.to_owned())
    } else {
        SecretVersion::Stage(text.to_owned())
    }
}

/// Checks a parameter name's characters (AWS: `a-zA-Z0-9_.-/`).
fn parameter_name(whole: &str, name: &str) -> Result<(), ReferenceError> {
    if name.is_empty() {
        return Err(ReferenceError::new(whole, "empty parameter name"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')))
    {
        return Err(ReferenceError::new(
            whole,
            format!("parameter names cannot contain `{bad}`"),
        ));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(ReferenceError::new(
            whole,
            "a hierarchical parameter name must start with `/`",
        ));
    }
    Ok(())
}

/// Checks a secret name or ARN; returns the region an ARN names.
fn secret_id(whole: &str, id: &str) -> Result<Option<String>, ReferenceError> {
    if id.is_empty() {
        return Err(ReferenceError::new(whole, "empty secret name"));
    }
    if id.starts_with("arn:") {
        let arn = Arn::parse(id)
            .filter(|a| a.service == "secretsmanager" && a.resource.starts_with("secret:"))
            .ok_or_else(|| ReferenceError::new(whole, "not a Secrets Manager secret ARN"))?;
        return Ok((!arn.region.is_empty()).then(|| arn.region.to_owned()));
    }
    if let Some(bad) = id.chars().find(|c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '+' | '=' | '.' | '@' | '-'))
    }) {
        return Err(ReferenceError::new(
            whole,
            format!("secret names cannot contain `{bad}`"),
        ));
    }
    Ok(None)
}

/// 8-4-4-4-12 hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, …
fn is_region(text: &str) -> bool {
    let mut parts = text.split('-');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 2
        && rest
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && rest[..rest.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, selector: Option<Selector>, region: Option<&str>) -> Reference {
        Reference::Parameter(ParameterRef {
            name: name.into(),
            selector,
            region: region.map(Into::into),
        })
    }

    fn s(
        id: &str,
        key: Option<&str>,
        version: Option<SecretVersion>,
        region: Option<&str>,
    ) -> Reference {
        Reference::Secret(SecretRef {
            id: id.into(),
            json_key: key.map(Into::into),
            version,
            region: region.map(Into::into),
        })
    }

    fn stage(s: &str) -> Option<SecretVersion> {
        Some(SecretVersion::Stage(s.into()))
    }

    const UUID: &str = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
    const SECRET_ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";

    /// Every accepted form, and what it means.
    #[test]
    fn every_form_parses_to_its_target() {
        let v = |n| Some(Selector::Version(n));
        let l = |s: &str| Some(Selector::Label(s.into()));
        let table: Vec<(String, Reference)> = vec![
            ("ssm:/app/prod/db".into(), p("/app/prod/db", None, None)),
            ("ssm:plain".into(), p("plain", None, None)),
            ("ssm:/app/prod/db:3".into(), p("/app/prod/db", v(3), None)),
            (
                "ssm:/app/prod/db:prod-label".into(),
                p("/app/prod/db", l("prod-label"), None),
            ),
            ("secretsmanager:db".into(), s("db", None, None, None)),
            (
                "secretsmanager:db#password".into(),
                s("db", Some("password"), None, None),
            ),
            (
                "secretsmanager:db@AWSPREVIOUS".into(),
                s("db", None, stage("AWSPREVIOUS"), None),
            ),
            (
                format!("secretsmanager:db#password@{UUID}"),
                s(
                    "db",
                    Some("password"),
                    Some(SecretVersion::Id(UUID.into())),
                    None,
                ),
            ),
            (
                "secretsmanager:me@example@AWSCURRENT".into(),
                s("me@example", None, stage("AWSCURRENT"), None),
            ),
            (
                format!("secretsmanager:{SECRET_ARN}#user"),
                s(SECRET_ARN, Some("user"), None, Some("eu-west-1")),
            ),
            (
                "arn:aws:ssm:us-east-2:123456789012:parameter/app/prod/db".into(),
                p("/app/prod/db", None, Some("us-east-2")),
            ),
            (
                "arn:aws:ssm:us-east-2:123456789012:parameter/flat".into(),
                p("flat", None, Some("us-east-2")),
            ),
            (
                SECRET_ARN.into(),
                s(SECRET_ARN, None, None, Some("eu-west-1")),
            ),
            (
                format!("{SECRET_ARN}:password::"),
                s(SECRET_ARN, Some("password"), None, Some("eu-west-1")),
            ),
            (
                format!("{SECRET_ARN}:password:AWSPREVIOUS:"),
                s(
                    SECRET_ARN,
                    Some("password"),
                    stage("AWSPREVIOUS"),
                    Some("eu-west-1"),
                ),
            ),
            (
                format!("{SECRET_ARN}:::{UUID}"),
                s(
                    SECRET_ARN,
                    None,
                    Some(SecretVersion::Id(UUID.into())),
                    Some("eu-west-1"),
                ),
            ),
            ("{{resolve:ssm:/app/db}}".into(), p("/app/db", None, None)),
            ("{{resolve:ssm:/app/db:7}}".into(), p("/app/db", v(7), None)),
            (
                "{{resolve:ssm-secure:/app/db:2}}".into(),
                p("/app/db", v(2), None),
            ),
            (
                "{{resolve:secretsmanager:db}}".into(),
                s("db", None, None, None),
            ),
            (
                "{{resolve:secretsmanager:db:SecretString:password}}".into(),
                s("db", Some("password"), None, None),
            ),
            (
                "{{resolve:secretsmanager:db:SecretString:password:AWSPENDING}}".into(),
                s("db", Some("password"), stage("AWSPENDING"), None),
            ),
            (
                format!("{{{{resolve:secretsmanager:db:SecretString:::{UUID}}}}}"),
                s("db", None, Some(SecretVersion::Id(UUID.into())), None),
            ),
            (
                format!("{{{{resolve:secretsmanager:{SECRET_ARN}:SecretString:password}}}}"),
                s(SECRET_ARN, Some("password"), None, Some("eu-west-1")),
            ),
            ("${ssm:/app/db}".into(), p("/app/db", None, None)),
            ("${ssm:/app/db~true}".into(), p("/app/db", None, None)),
            (
                "${ssm(eu-central-1):/app/db}".into(),
                p("/app/db", None, Some("eu-central-1")),
            ),
            ("${ssm(raw):/app/db}".into(), p("/app/db", None, None)),
            (
                "${ssm:/aws/reference/secretsmanager/db}".into(),
                s("db", None, None, None),
            ),
        ];
        for (text, expected) in table {
            assert_eq!(parse(&text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn serverless_fallbacks_keep_their_default() {
        let lookup = parse_value("${ssm:/app/db, 'local-default'}")
            .unwrap()
            .unwrap();
        assert_eq!(lookup.reference, p("/app/db", None, None));
        assert_eq!(lookup.default.as_deref(), Some("local-default"));
        let lookup = parse_value(r#"${ssm:/app/db~true, "x y"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(lookup.default.as_deref(), Some("x y"));
        // A default is not a plain reference.
        assert!(parse("${ssm:/app/db, 'd'}").is_err());
    }

    #[test]
    fn ecs_value_from_accepts_bare_names() {
        assert_eq!(parse_value_from("/app/db"), Ok(p("/app/db", None, None)));
        assert_eq!(parse_value_from("flat"), Ok(p("flat", None, None)));
        assert_eq!(
            parse_value_from(SECRET_ARN),
            Ok(s(SECRET_ARN, None, None, Some("eu-west-1")))
        );
        assert!(parse_value_from("has space").is_err());
    }

    #[test]
    fn ordinary_values_are_not_references() {
        for text in [
            "",
            "hello",
            "postgres://u@h/db",
            "SSM:/upper",
            "\\ssm:/escaped",
            "{{resolve:s3:bucket}}",
            "${self:custom.x}",
            "${env:HOME}",
            "arn:aws:iam::123456789012:user/x",
        ] {
            assert!(parse_value(text).is_none(), "{text}");
        }
    }

    /// Bad references: the error names the reference and the reason.
    #[test]
    fn errors_name_the_reference_and_why() {
        let table = [
            ("ssm:", "empty parameter name"),
            ("ssm:/app/db:", "empty selector"),
            ("ssm:/app/db:9bad", "neither a version number nor a label"),
            ("ssm:/app/d b", "cannot contain ` `"),
            ("ssm:app/db", "must start with `/`"),
            ("ssm:/a/b:la$bel", "label `la$bel`"),
            ("secretsmanager:", "empty secret name"),
            ("secretsmanager:db#", "empty JSON key"),
            ("secretsmanager:db@", "empty version"),
            ("secretsmanager:d b", "cannot contain ` `"),
            (
                "arn:aws:ssm:us-east-1:1:document/x",
                "must name a parameter",
            ),
            (
                "arn:aws:secretsmanager:us-east-1:1:secret:",
                "empty secret name",
            ),
            (
                "arn:aws:secretsmanager:us-east-1:1:secret:n:k:s:v:extra",
                "too many fields",
            ),
            (
                "arn:aws:secretsmanager:us-east-1:1:secret:n:k:AWSCURRENT:v",
                "not both",
            ),
            ("{{resolve:ssm:/app/db", "closing `}}`"),
            ("{{resolve:ssm:/app/db:x}}", "`x` is not a number"),
            (
                "{{resolve:secretsmanager:db:SecretBinary}}",
                "expected `SecretString`",
            ),
            ("${ssm:/app/db", "closing `}`"),
            ("${ssm(nowhere):/app/db}", "`nowhere` is not a region"),
            ("${ssm:/app/db~split}", "unknown flag"),
            ("${ssm:/app/db, unquoted}", "quoted string"),
            ("${ssm:/app/${opt:stage}/db}", "nested"),
        ];
        for (text, why) in table {
            let err = parse(text).expect_err(text);
            assert_eq!(err.reference, text);
            assert!(err.reason.contains(why), "{text}: {}", err.reason);
            assert!(err.to_string().contains(text));
        }
    }

    #[test]
    fn display_is_the_native_form() {
        assert_eq!(parse("ssm:/a/b:3").unwrap().to_string(), "ssm:/a/b:3");
        assert_eq!(
            parse("secretsmanager:db#k@AWSPREVIOUS")
                .unwrap()
                .to_string(),
            "secretsmanager:db#k@AWSPREVIOUS"
        );
        assert_eq!(
            parse("${ssm(us-west-2):/a}").unwrap().to_string(),
            "ssm:/a (us-west-2)"
        );
    }
}
