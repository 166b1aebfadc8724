//! What every service's wire has in common: parsing a request body,
//! collecting model-constraint violations into one `ValidationException` in
//! AWS's sentence format, and the value types shared by the shapes (secret
//! strings in and out, epoch timestamps, tags).
//!
//! Violation messages: member paths are lowerCamelCase; members of a list
//! of structures are `parameterFilters.1.member.key`. A list of strings is
//! reported whole, once, with every constraint of its member shape (AWS's
//! form: `Value '[a, ]' at 'labels' failed to satisfy constraint: Member
//! must satisfy constraint: [Member must have length less than or equal to
//! 100, Member must have length greater than or equal to 1]`).
//! Secret values are never quoted: AWS writes `Value at 'value' failed to
//! satisfy ...`.

use kinko_crypto::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{AwsError, validation_errors};

/// Parses a request body: empty means `{}`; not-JSON or a member of the
/// wrong JSON type is a `SerializationException`. The serde message is not
/// sent: it could quote a (secret) value.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let message = match e.classify() {
            serde_json::error::Category::Data => {
                "A member of the request body has the wrong JSON type."
            }
            _ => "The request body is not valid JSON.",
        };
        AwsError::serialization(message)
    })
}

/// A member pattern: its test and the model's text of it.
pub type Pattern = (fn(&str) -> bool, &'static str);

/// The model's constraints on each string of a list, in the order AWS
/// names them: maximum length, minimum length, pattern.
#[derive(Clone, Copy)]
pub struct MemberRule {
    pub min: Option<usize>,
    pub max: usize,
    pub pattern: Option<Pattern>,
}

impl MemberRule {
    pub const fn length(min: usize, max: usize) -> Self {
        MemberRule {
            min: Some(min),
            max,
            pattern: None,
        }
    }

    pub const fn with_pattern(self, ok: fn(&str) -> bool, text: &'static str) -> Self {
        MemberRule {
            pattern: Some((ok, text)),
            ..self
        }
    }

    fn holds(&self, value: &str) -> bool {
        let len = value.chars().count();
        len <= self.max
            && self.min.is_none_or(|min| len >= min)
            && self.pattern.is_none_or(|(ok, _)| ok(value))
    }

    fn text(&self) -> String {
        let mut parts = vec![format!(
            "Member must have length less than or equal to {}",
            self.max
        )];
        if let Some(min) = self.min {
            parts.push(format!(
                "Member must have length greater than or equal to {min}"
            ));
        }
        if let Some((_, pattern)) = self.pattern {
            parts.push(format!(
                "Member must satisfy regular expression pattern: {pattern}"
            ));
        }
        format!("Member must satisfy constraint: [{}]", parts.join(", "))
    }
}

/// Collects constraint violations in member order.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

fn quoted(value: &str) -> String {
    format!("Value '{value}'")
}

fn list_text(values: &[String]) -> String {
    format!("Value '[{}]'", values.join(", "))
}

impl Violations {
    pub fn new() -> Self {
        Violations(Vec::new())
    }

    fn push(&mut self, value: String, path: &str, constraint: &str) {
        self.0.push(format!(
            "{value} at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Returns the value when present, records "must not be null" otherwise.
    pub fn required<'a, T>(&mut self, value: &'a Option<T>, path: &str) -> Option<&'a T> {
        if value.is_none() {
            self.push("Value null".into(), path, "Member must not be null");
        }
        value.as_ref()
    }

    fn length_constraint(len: usize, min: usize, max: usize) -> Option<String> {
        if len < min {
            Some(format!(
                "Member must have length greater than or equal to {min}"
            ))
        } else if len > max {
            Some(format!(
                "Member must have length less than or equal to {max}"
            ))
        } else {
            None
        }
    }

    /// String length in characters, as the model counts.
    pub fn length(&mut self, value: &str, path: &str, min: usize, max: usize) {
        if let Some(c) = Self::length_constraint(value.chars().count(), min, max) {
            self.push(quoted(value), path, &c);
        }
    }

    pub fn opt_length(&mut self, value: &Option<String>, path: &str, min: usize, max: usize) {
        if let Some(v) = value {
            self.length(v, path, min, max);
        }
    }

    /// Length of a secret: the value is not quoted.
    pub fn secret_length(&mut self, chars: usize, path: &str, min: usize, max: usize) {
        if let Some(c) = Self::length_constraint(chars, min, max) {
            self.push("Value".into(), path, &c);
        }
    }

    pub fn list_length(&mut self, values: &[String], path: &str, min: usize, max: usize) {
        if let Some(c) = Self::length_constraint(values.len(), min, max) {
            self.push(list_text(values), path, &c);
        }
    }

    /// The members of a list of strings: one violation for the whole list
    /// when any member breaks `rule`.
    pub fn members(&mut self, values: &[String], path: &str, rule: MemberRule) {
        if !values.iter().all(|v| rule.holds(v)) {
            self.push(list_text(values), path, &rule.text());
        }
    }

    /// Length of a list whose items are structures (quoted by count only).
    pub fn count(&mut self, len: usize, path: &str, min: usize, max: usize) {
        if let Some(c) = Self::length_constraint(len, min, max) {
            self.push(format!("Value '{len} items'"), path, &c);
        }
    }

    pub fn range(&mut self, value: Option<i64>, path: &str, min: i64, max: i64) {
        let Some(v) = value else { return };
        if v < min {
            self.push(
                quoted(&v.to_string()),
                path,
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if v > max {
            self.push(
                quoted(&v.to_string()),
                path,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    pub fn enum_value(&mut self, value: &Option<String>, path: &str, allowed: &[&str]) {
        if let Some(v) = value
            && !allowed.contains(&v.as_str())
        {
            self.push(
                quoted(v),
                path,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    pub fn pattern(&mut self, value: &str, path: &str, ok: bool, pattern: &str) {
        if !ok {
            self.push(
                quoted(value),
                path,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    pub fn finish(self) -> Result<(), AwsError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(validation_errors(&self.0))
        }
    }
}

/// A value read straight into a zeroizing string.
pub struct WireSecret(pub SecretString);

impl<'de> Deserialize<'de> for WireSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| WireSecret(SecretString::new(s)))
    }
}

/// Writes a secret into the response body (the only place it is exposed).
pub struct Exposed<'a>(pub &'a SecretString);

impl Serialize for Exposed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_and_several_errors() {
        let mut v = Violations::new();
        let none: Option<String> = None;
        v.required(&none, "name");
        let err = v.finish().unwrap_err();
        assert_eq!(err.code, "ValidationException");
        assert_eq!(
            err.message,
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
        );

        let mut v = Violations::new();
        v.range(Some(11), "maxResults", 1, 10);
        v.secret_length(0, "value", 1, 8192);
        let err = v.finish().unwrap_err();
        assert_eq!(
            err.message,
            "2 validation errors detected: Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10; Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn a_list_of_strings_is_reported_whole() {
        let mut v = Violations::new();
        let labels = vec!["a".to_owned(), String::new()];
        v.members(&labels, "labels", MemberRule::length(1, 100));
        v.members(&["ok".to_owned()], "other", MemberRule::length(1, 100));
        assert_eq!(
            v.finish().unwrap_err().message,
            "1 validation error detected: Value '[a, ]' at 'labels' failed to satisfy constraint: \
             Member must satisfy constraint: [Member must have length less than or equal to 100, \
             Member must have length greater than or equal to 1]"
        );

        let mut v = Violations::new();
        let rule = MemberRule {
            min: None,
            max: 3,
            pattern: None,
        }
        .with_pattern(|s| !s.contains('*'), "^[^*]*$");
        v.members(&["a*".to_owned()], "values", rule);
        v.members(&["abcd".to_owned()], "values", rule);
        v.members(&["abc".to_owned()], "values", rule);
        assert_eq!(
            v.finish().unwrap_err().message,
            "2 validation errors detected: Value '[a*]' at 'values' failed to satisfy constraint: \
             Member must satisfy constraint: [Member must have length less than or equal to 3, \
             Member must satisfy regular expression pattern: ^[^*]*$]; \
             Value '[abcd]' at 'values' failed to satisfy constraint: \
             Member must satisfy constraint: [Member must have length less than or equal to 3, \
             Member must satisfy regular expression pattern: ^[^*]*$]"
        );
    }

    #[test]
    fn bodies() {
        #[derive(serde::Deserialize)]
        struct R {
            #[serde(rename = "Name")]
            _name: Option<String>,
        }
        assert!(parse_body::<R>(b"").is_ok());
        assert!(parse_body::<R>(b"{\"Other\": 1}").is_ok());
        let e = parse_body::<R>(b"{\"Name\": 5}").err().unwrap();
        assert_eq!(e.code, "SerializationException");
        assert!(!e.message.contains('5'));
        assert_eq!(
            parse_body::<R>(b"nope").err().unwrap().code,
            "SerializationException"
        );
    }
}
