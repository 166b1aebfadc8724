//! The Condition element: `{Operator: {Key: value | [values]}}`.
//!
//! As "Conditions with multiple context keys or values" in the IAM User
//! Guide says: operators AND, keys AND, values OR, and a negated operator's
//! values NOR. Every value is parsed here, at policy parse time (patterns,
//! numbers, dates, CIDRs), so evaluation never fails and never parses policy
//! text.

use std::net::IpAddr;

use jiff::Timestamp;
use serde_json::Value as Json;

use super::Context;
use super::keys::{Key, Value};
use super::wildcard::{Pattern, Syntax};

/// A statement's whole Condition block: it holds when every clause holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    clauses: Box<[Clause]>,
}

/// One operator applied to one key.
#[derive(Debug, Clone)]
struct Clause {
    key: Key,
    test: Test,
    /// …Not… operators and NotIpAddress: true when no value matches.
    negated: bool,
    /// …IfExists: true when the key is absent.
    if_exists: bool,
    set: SetQualifier,
}

/// ForAnyValue: / ForAllValues:. Our keys are single-valued, so a present
/// key is a one-element set and both behave like the plain operator; they
/// differ only for an absent key (an empty set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// What the values are compared with, parsed.
#[derive(Debug, Clone)]
enum Test {
    /// StringEquals (exact), StringEqualsIgnoreCase (folded), StringLike
    /// (wildcards): the pattern syntax carries the difference.
    String(Box<[Pattern]>),
    Arn(Box<[ArnPattern]>),
    Numeric(Comparison, Box<[f64]>),
    Date(Comparison, Box<[Timestamp]>),
    Bool(Box<[bool]>),
    Ip(Box<[Cidr]>),
    /// Null: `true` holds when the key is absent, `false` when present.
    Null(Box<[bool]>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Comparison::Equal => request == policy,
            Comparison::Less => request < policy,
            Comparison::LessOrEqual => request <= policy,
            Comparison::Greater => request > policy,
            Comparison::GreaterOrEqual => request >= policy,
        }
    }
}

/// The operator families, before their values are parsed.
#[derive(Debug, Clone, Copy)]
enum Family {
    String(Syntax),
    Arn,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Ip,
    Null,
}

struct Operator {
    family: Family,
    negated: bool,
    if_exists: bool,
    set: SetQualifier,
}

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringNotLikeIfExists`.
    fn parse(name: &str, variables: bool) -> Result<Operator, String> {
        let (set, rest) = if let Some(rest) = strip_prefix_ignore_case(name, "ForAnyValue:") {
            (SetQualifier::ForAnyValue, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(name, "ForAllValues:") {
            (SetQualifier::ForAllValues, rest)
        } else {
            (SetQualifier::Single, name)
        };
        let (base, if_exists) = match strip_suffix_ignore_case(rest, "IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let string = |wildcards, fold_case| {
            Family::String(Syntax {
                wildcards,
                variables,
                fold_case,
            })
        };
        let (family, negated) = match base.to_ascii_lowercase().as_str() {
            "stringequals" => (string(false, false), false),
            "stringnotequals" => (string(false, false), true),
            "stringequalsignorecase" => (string(false, true), false),
            "stringnotequalsignorecase" => (string(false, true), true),
            "stringlike" => (string(true, false), false),
            "stringnotlike" => (string(true, false), true),
            // AWS documents ArnEquals and ArnLike as the same comparison.
            "arnequals" | "arnlike" => (Family::Arn, false),
            "arnnotequals" | "arnnotlike" => (Family::Arn, true),
            "numericequals" => (Family::Numeric(Comparison::Equal), false),
            "numericnotequals" => (Family::Numeric(Comparison::Equal), true),
            "numericlessthan" => (Family::Numeric(Comparison::Less), false),
            "numericlessthanequals" => (Family::Numeric(Comparison::LessOrEqual), false),
            "numericgreaterthan" => (Family::Numeric(Comparison::Greater), false),
            "numericgreaterthanequals" => (Family::Numeric(Comparison::GreaterOrEqual), false),
            "dateequals" => (Family::Date(Comparison::Equal), false),
            "datenotequals" => (Family::Date(Comparison::Equal), true),
            "datelessthan" => (Family::Date(Comparison::Less), false),
            "datelessthanequals" => (Family::Date(Comparison::LessOrEqual), false),
            "dategreaterthan" => (Family::Date(Comparison::Greater), false),
            "dategreaterthanequals" => (Family::Date(Comparison::GreaterOrEqual), false),
            "bool" => (Family::Bool, false),
            "ipaddress" => (Family::Ip, false),
            "notipaddress" => (Family::Ip, true),
            "null" => (Family::Null, false),
            _ => {
                return Err(format!(
                    "condition operator \"{name}\" is unknown (known: String…, Arn…, Numeric…, \
                     Date…, Bool, IpAddress, NotIpAddress, Null, with an optional IfExists \
                     suffix and ForAnyValue:/ForAllValues: prefix)"
                ));
            }
        };
        if matches!(family, Family::Null) && (if_exists || set != SetQualifier::Single) {
            return Err(format!(
                "condition operator \"{name}\": Null takes no IfExists suffix or set prefix"
            ));
        }
        Ok(Operator {
            family,
            negated,
            if_exists,
            set,
        })
    }
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ignore_case<'t>(text: &'t str, suffix: &str) -> Option<&'t str> {
    let at = text.len().checked_sub(suffix.len())?;
    let tail = text.get(at..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..at])
}

impl Condition {
    /// Parses a Condition element. `variables`: the document is Version
    /// 2012-10-17, so `${…}` in values is a policy variable.
    pub(crate) fn parse(json: &Json, variables: bool) -> Result<Condition, String> {
        let Json::Object(operators) = json else {
            return Err("Condition must be an object of {operator: {key: values}}".to_owned());
        };
        let mut clauses = Vec::new();
        for (operator_name, keys) in operators {
            let operator = Operator::parse(operator_name, variables)?;
            let Json::Object(keys) = keys else {
                return Err(format!(
                    "Condition operator \"{operator_name}\" must map to an object of {{key: values}}"
                ));
            };
            if keys.is_empty() {
                return Err(format!(
                    "Condition operator \"{operator_name}\" names no key"
                ));
            }
            for (key_name, values) in keys {
                let key = Key::parse(key_name)?;
                let texts = value_texts(values).map_err(|problem| {
                    format!("Condition {operator_name} on \"{key_name}\": {problem}")
                })?;
                let test = parse_test(operator.family, &texts).map_err(|problem| {
                    format!("Condition {operator_name} on \"{key_name}\": {problem}")
                })?;
                clauses.push(Clause {
                    key,
                    test,
                    negated: operator.negated,
                    if_exists: operator.if_exists,
                    set: operator.set,
                });
            }
        }
        Ok(Condition {
            clauses: clauses.into_boxed_slice(),
        })
    }

    /// Whether a clause reads a resource tag, directly or through a variable.
    pub(crate) fn uses_resource_tags(&self) -> bool {
        self.clauses.iter().any(|clause| {
            clause.key.is_resource_tag()
                || match &clause.test {
                    Test::String(patterns) => patterns.iter().any(uses_resource_tags),
                    Test::Arn(patterns) => patterns
                        .iter()
                        .any(|arn| arn.parts.iter().any(uses_resource_tags)),
                    _ => false,
                }
        })
    }

    /// Whether the whole block holds for this request.
    pub(crate) fn holds(&self, context: &Context<'_>) -> bool {
        self.clauses.iter().all(|clause| clause.holds(context))
    }
}

/// Whether a pattern has a variable that reads a resource tag.
pub(crate) fn uses_resource_tags(pattern: &Pattern) -> bool {
    pattern
        .variables()
        .iter()
        .any(|variable| variable.key().is_resource_tag())
}

/// A condition value or list of values, as text. AWS accepts JSON numbers
/// and booleans where strings are meant (`"Bool": {"aws:SecureTransport": false}`).
fn value_texts(json: &Json) -> Result<Vec<String>, String> {
    let one = |value: &Json| match value {
        Json::String(text) => Ok(text.clone()),
        Json::Number(number) => Ok(number.to_string()),
        Json::Bool(flag) => Ok(flag.to_string()),
        _ => Err("values must be strings, numbers or booleans".to_owned()),
    };
    match json {
        Json::Array(items) if items.is_empty() => Err("the list of values is empty".to_owned()),
        Json::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

fn parse_test(family: Family, texts: &[String]) -> Result<Test, String> {
    fn each<T>(
        texts: &[String],
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Box<[T]>, String> {
        texts.iter().map(|text| parse(text)).collect()
    }
    Ok(match family {
        Family::String(syntax) => Test::String(each(texts, |text| Pattern::parse(text, syntax))?),
        Family::Arn => Test::Arn(each(texts, ArnPattern::parse)?),
        Family::Numeric(comparison) => Test::Numeric(
            comparison,
            each(texts, |text| {
                text.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|number| number.is_finite())
                    .ok_or_else(|| format!("\"{text}\" is not a number"))
            })?,
        ),
        Family::Date(comparison) => Test::Date(
            comparison,
            each(texts, |text| {
                parse_date(text).ok_or_else(|| {
                    format!(
                        "\"{text}\" is not a date (ISO 8601, e.g. 2026-01-31T12:00:00Z, \
                         or epoch seconds)"
                    )
                })
            })?,
        ),
        Family::Bool => Test::Bool(each(texts, parse_bool)?),
        Family::Ip => Test::Ip(each(texts, Cidr::parse)?),
        Family::Null => Test::Null(each(texts, parse_bool)?),
    })
}

fn parse_bool(text: &str) -> Result<bool, String> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(format!("\"{text}\" is not true or false"))
    }
}

/// ISO 8601 (with an offset, or UTC when it has none; a bare date is its
/// midnight UTC) or whole epoch seconds — the forms AWS's date operators take.
pub(crate) fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Timestamp::from_second(seconds).ok();
    }
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    let utc = jiff::tz::TimeZone::UTC;
    if let Ok(datetime) = text.parse::<jiff::civil::DateTime>() {
        return datetime.to_zoned(utc).ok().map(|zoned| zoned.timestamp());
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|date| date.to_zoned(utc).ok())
        .map(|zoned| zoned.timestamp())
}

impl Clause {
    fn holds(&self, context: &Context<'_>) -> bool {
        if self.key.is_multivalued() {
            return self.holds_for_set(context);
        }
        let value = self.key.lookup(context);
        if let Test::Null(wanted) = &self.test {
            return wanted.iter().any(|&absent| absent == value.is_none());
        }
        let Some(value) = value else {
            // "If the key that you specify in a policy condition is not present in the
            // request context, the values do not match and the condition is false. If the
            // policy condition requires that the key is not matched, such as StringNotLike
            // or ArnNotLike, and the right key is not present, the condition is true."
            // (IAM condition operators). ForAllValues over no values is true, ForAnyValue
            // false ("Set operators for multivalued context keys").
            return self.if_exists
                || match self.set {
                    SetQualifier::ForAllValues => true,
                    SetQualifier::ForAnyValue => false,
                    SetQualifier::Single => self.negated,
                };
        };
        match self.test.any_matches(value, context) {
            Some(matched) => matched != self.negated,
            // A value whose variable cannot be resolved makes the comparison impossible:
            // AWS: "If AWS cannot resolve a variable this might cause the entire statement
            // to be invalid." So neither sense holds.
            None => false,
        }
    }
}

impl Clause {
    /// A condition on a multivalued key (aws:TagKeys): "ForAllValues" holds
    /// when every request value satisfies the operator (also when there are
    /// none), "ForAnyValue" when at least one does; an operator without a set
    /// prefix is read as ForAnyValue. A negated operator is applied to each
    /// value ("Set operators for multivalued context keys", IAM User Guide).
    fn holds_for_set(&self, context: &Context<'_>) -> bool {
        let mut values = self.key.values(context).peekable();
        let present = values.peek().is_some();
        if let Test::Null(wanted) = &self.test {
            return wanted.iter().any(|&absent| absent != present);
        }
        if !present {
            return self.if_exists
                || match self.set {
                    SetQualifier::ForAllValues => true,
                    SetQualifier::ForAnyValue => false,
                    SetQualifier::Single => self.negated,
                };
        }
        let mut satisfied = values.map(|value| match self.test.any_matches(value, context) {
            Some(matched) => matched != self.negated,
            None => false,
        });
        match self.set {
            SetQualifier::ForAllValues => satisfied.all(|ok| ok),
            SetQualifier::ForAnyValue | SetQualifier::Single => satisfied.any(|ok| ok),
        }
    }
}

impl Test {
    /// `Some(true)` when a policy value matches; `Some(false)` when none
    /// does and every value could be compared; `None` when none matched and
    /// a value's policy variable could not be resolved.
    fn any_matches(&self, value: Value<'_>, context: &Context<'_>) -> Option<bool> {
        match self {
            Test::String(patterns) => {
                let text = value.as_text();
                any_or_unresolved(patterns.iter().map(|p| p.matches(&text, context)))
            }
            Test::Arn(patterns) => {
                let text = value.as_text();
                any_or_unresolved(patterns.iter().map(|p| p.matches(&text, context)))
            }
            Test::Numeric(comparison, numbers) => {
                let request = match value {
                    Value::Str(text) => text.trim().parse::<f64>().ok(),
                    Value::Epoch(time) => Some(time.as_second() as f64),
                    _ => None,
                };
                Some(request.is_some_and(|request| {
                    numbers
                        .iter()
                        .any(|&policy| comparison.holds(request, policy))
                }))
            }
            Test::Date(comparison, dates) => {
                let request = match value {
                    Value::Time(time) | Value::Epoch(time) => Some(time),
                    Value::Str(text) => parse_date(text),
                    _ => None,
                };
                Some(request.is_some_and(|request| {
                    dates
                        .iter()
                        .any(|&policy| comparison.holds(request, policy))
                }))
            }
            Test::Bool(flags) => {
                let request = match value {
                    Value::Bool(flag) => Some(flag),
                    Value::Str(text) => parse_bool(text).ok(),
                    _ => None,
                };
                Some(request.is_some_and(|request| flags.contains(&request)))
            }
            Test::Ip(ranges) => {
                let request = match value {
                    Value::Ip(ip) => Some(ip),
                    Value::Str(text) => text.trim().parse::<IpAddr>().ok(),
                    _ => None,
                };
                Some(request.is_some_and(|ip| ranges.iter().any(|range| range.contains(ip))))
            }
            // Decided in `Clause::holds`, from presence alone.
            Test::Null(_) => Some(false),
        }
    }
}

fn any_or_unresolved(results: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unresolved = false;
    for result in results {
        match result {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unresolved = true,
        }
    }
    (!unresolved).then_some(false)
}

/// An ArnEquals / ArnLike value. "Each of the six colon-delimited components
/// of the ARN is checked separately and each can include multi-character
/// match wildcards (*) or single-character match wildcards (?)", so a `*`
/// does not cross a `:` except in the last (resource) component.
#[derive(Debug, Clone)]
struct ArnPattern {
    /// `arn`, partition, service, region, account, resource. Empty for a lone
    /// `*`, which matches any value.
    parts: Box<[Pattern]>,
}

impl ArnPattern {
    fn parse(text: &str) -> Result<ArnPattern, String> {
        if text == "*" {
            return Ok(ArnPattern {
                parts: Box::new([]),
            });
        }
        let parts = split_arn(text);
        if parts.len() != 6 {
            return Err(format!(
                "\"{text}\" is not an ARN (arn:partition:service:region:account:resource)"
            ));
        }
        let syntax = Syntax {
            wildcards: true,
            variables: true,
            fold_case: false,
        };
        let parts = parts
            .into_iter()
            .map(|part| Pattern::parse(part, syntax))
            .collect::<Result<Box<[Pattern]>, String>>()?;
        Ok(ArnPattern { parts })
    }

    fn matches(&self, text: &str, context: &Context<'_>) -> Option<bool> {
        if self.parts.is_empty() {
            return Some(true);
        }
        let mut unresolved = false;
        let mut components = text.splitn(6, ':');
        for part in &self.parts {
            let Some(component) = components.next() else {
                return Some(false);
            };
            match part.matches(component, context) {
                Some(true) => {}
                Some(false) => return Some(false),
                None => unresolved = true,
            }
        }
        (!unresolved).then_some(true)
    }
}

/// Splits an ARN pattern at its first five colons, skipping colons inside a
/// `${…}` variable (`${aws:username}`).
fn split_arn(text: &str) -> Vec<&str> {
    let mut parts = Vec::with_capacity(6);
    let mut start = 0;
    let mut in_variable = false;
    let bytes = text.as_bytes();
    for (at, &byte) in bytes.iter().enumerate() {
        match byte {
            b'{' if at > 0 && bytes[at - 1] == b'$' => in_variable = true,
            b'}' => in_variable = false,
            b':' if !in_variable && parts.len() < 5 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// An IpAddress value: a CIDR block or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("\"{text}\" is not an IP address or CIDR block");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network = address.parse::<IpAddr>().map_err(|_| bad())?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            // Digits only: `u8::from_str` would also take `/+8`.
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                match prefix.parse::<u8>() {
                    Ok(prefix) if prefix <= width => prefix,
                    _ => return Err(bad()),
                }
            }
            Some(_) => return Err(bad()),
        };
        Ok(Cidr { network, prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.network, ip) {
            // An IPv4 client seen through a dual-stack socket.
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            _ => ip,
        };
        match (self.network, ip) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        Cidr::parse(text).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn cidr_blocks_contain_their_addresses() {
        assert!(cidr("10.0.0.0/8").contains(ip("10.255.0.1")));
        assert!(!cidr("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(cidr("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(cidr("203.0.113.9").contains(ip("203.0.113.9")));
        assert!(!cidr("203.0.113.9").contains(ip("203.0.113.10")));
        // Host bits in the block are ignored, as AWS does.
        assert!(cidr("10.1.2.3/16").contains(ip("10.1.200.1")));
        assert!(cidr("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert!(!cidr("2001:db8::/32").contains(ip("2001:db9::1")));
        assert!(cidr("::/0").contains(ip("::1")));
        assert!(!cidr("::/0").contains(ip("10.0.0.1")));
        assert!(cidr("10.0.0.0/8").contains(ip("::ffff:10.0.0.1")));
        assert!(!cidr("10.0.0.0/8").contains(ip("2001:db8::1")));
    }

    #[test]
    fn bad_cidr_blocks_are_refused() {
        for text in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/+8",
            "10.0.0/8",
            "x",
            "10.0.0.0/8/8",
        ] {
            assert!(Cidr::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn dates_in_every_accepted_form() {
        let noon: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(parse_date("2026-03-01T12:00:00Z"), Some(noon));
        assert_eq!(parse_date("2026-03-01T13:00:00+01:00"), Some(noon));
        assert_eq!(parse_date("2026-03-01T12:00:00"), Some(noon));
        assert_eq!(parse_date("1772366400"), Some(noon));
        assert_eq!(
            parse_date("2026-03-01"),
            Some("2026-03-01T00:00:00Z".parse().unwrap())
        );
        for bad in ["", "tomorrow", "2026-13-01", "2026-03-01T25:00:00Z", "1e9"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn operator_names_with_prefix_and_suffix() {
        let op = Operator::parse("ForAllValues:StringNotLikeIfExists", true).unwrap();
        assert!(op.negated && op.if_exists);
        assert_eq!(op.set, SetQualifier::ForAllValues);
        assert!(matches!(op.family, Family::String(s) if s.wildcards && !s.fold_case));
        let op = Operator::parse("NotIpAddress", true).unwrap();
        assert!(op.negated && !op.if_exists && matches!(op.family, Family::Ip));
        let op = Operator::parse("ArnLike", true).unwrap();
        assert!(!op.negated && matches!(op.family, Family::Arn));
        for bad in [
            "StringEqual",
            "IfExists",
            "ForAnyValue:",
            "BinaryEquals",
            "ForAnyValue:Null",
        ] {
            assert!(Operator::parse(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn arn_patterns_split_at_colons_outside_variables() {
        assert_eq!(
            split_arn("arn:aws:iam::${aws:PrincipalAccount}:user/a:b"),
            [
                "arn",
                "aws",
                "iam",
                "",
                "${aws:PrincipalAccount}",
                "user/a:b"
            ]
        );
        assert_eq!(split_arn("arn:aws"), ["arn", "aws"]);
    }

    #[test]
    fn uses_resource_tags_sees_keys_and_variables() {
        let parse =
            |json: &str| Condition::parse(&serde_json::from_str(json).unwrap(), true).unwrap();
        assert!(parse(r#"{"StringEquals":{"ssm:ResourceTag/env":"prod"}}"#).uses_resource_tags());
        assert!(
            parse(r#"{"StringEquals":{"aws:username":"${aws:ResourceTag/owner}"}}"#)
                .uses_resource_tags()
        );
        assert!(
            parse(
                r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:ResourceTag/owner}"}}"#
            )
            .uses_resource_tags()
        );
        assert!(!parse(r#"{"StringEquals":{"aws:PrincipalTag/env":"prod"}}"#).uses_resource_tags());
    }
}
