//! The file formats of `kinko import` and `kinko export`: a flat list of
//! names relative to a path (`db/password`) and their values.
//!
//! - JSON and YAML: an object/map; nested maps become sub-paths
//!   (`{"db": {"password": …}}` is `db/password`); strings are taken as they
//!   are, numbers and booleans as their text, arrays as their JSON text.
//!   Export nests by `/` again.
//! - dotenv: `name=value` lines ([`crate::dotenv`]); names are relative
//!   parameter names as they are (they may contain `/`).
//! - env (export only): `export NAME='value'` lines for a POSIX shell, names
//!   made by the `kinko exec` rule.

use std::collections::BTreeMap;

use kinko_crypto::SecretString;
use serde_json::{Map, Value};

use crate::dotenv;
use crate::env_names::{NameRule, env_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Dotenv,
    Yaml,
    Env,
}

impl Format {
    /// From a file name's extension: `.json`, `.yaml`/`.yml`, else dotenv.
    pub fn from_file_name(name: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else {
            Format::Dotenv
        }
    }
}

/// A document that cannot be read. Never holds a value.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not valid JSON (line {line}, column {column})")]
    Json { line: usize, column: usize },
    #[error("not valid YAML{}", .0.map(|(l, c)| format!(" (line {l}, column {c})")).unwrap_or_default())]
    Yaml(Option<(usize, usize)>),
    #[error("the top level must be an object/map")]
    NotAMap,
    #[error("key `{0}`: null values cannot be stored")]
    Null(String),
    #[error("key `{0}` is empty or contains characters a parameter name cannot hold")]
    BadKey(String),
    #[error("{0}")]
    Dotenv(#[from] dotenv::DotenvError),
    #[error("the env format is for export only")]
    ExportOnly,
}

/// Name → value, sorted by name.
pub type Entries = BTreeMap<String, SecretString>;

/// Reads a document into relative names and values.
pub fn parse(format: Format, text: &str) -> Result<Entries, FormatError> {
    let tree: Value = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| FormatError::Json {
            line: e.line(),
            column: e.column(),
        })?,
        Format::Yaml => serde_yaml_ng::from_str(text)
            .map_err(|e| FormatError::Yaml(e.location().map(|l| (l.line(), l.column()))))?,
        Format::Dotenv => {
            let mut entries = Entries::new();
            for entry in dotenv::parse(text)? {
                check_key(&entry.key)?;
                entries.insert(entry.key, entry.value);
            }
            return Ok(entries);
        }
        Format::Env => return Err(FormatError::ExportOnly),
    };
    let Value::Object(map) = tree else {
        return Err(FormatError::NotAMap);
    };
    let mut entries = Entries::new();
    flatten("", &map, &mut entries)?;
    Ok(entries)
}

/// Like [`parse`], for a value that must be one JSON object (a secret):
/// JSON is taken as it is; dotenv and YAML become a flat JSON object.
pub fn to_json_document(format: Format, text: &str) -> Result<SecretString, FormatError> {
    if format == Format::Json {
        let value: Value = serde_json::from_str(text).map_err(|e| FormatError::Json {
            line: e.line(),
            column: e.column(),
        })?;
        if !value.is_object() {
            return Err(FormatError::NotAMap);
        }
        return Ok(SecretString::new(text.trim().to_owned()));
    }
    let entries = parse(format, text)?;
    let map: Map<String, Value> = entries
        .into_iter()
        .map(|(k, v)| (k, Value::String(v.expose().to_owned())))
        .collect();
    Ok(SecretString::new(Value::Object(map).to_string()))
}

fn flatten(prefix: &str, map: &Map<String, Value>, out: &mut Entries) -> Result<(), FormatError> {
    for (key, value) in map {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}/{key}")
        };
        check_key(key)?;
        let text = match value {
            Value::Object(inner) => {
                flatten(&name, inner, out)?;
                continue;
            }
            Value::String(s) => s.clone(),
            Value::Null => return Err(FormatError::Null(name)),
            other => other.to_string(),
        };
        out.insert(name, SecretString::new(text));
    }
    Ok(())
}

/// A relative name part a parameter name can hold (`a-zA-Z0-9_.-`, and
/// `/` between parts).
fn check_key(key: &str) -> Result<(), FormatError> {
    let ok = !key.is_empty()
        && !key.starts_with('/')
        && !key.ends_with('/')
        && !key.contains("//")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if ok {
        Ok(())
    } else {
        Err(FormatError::BadKey(key.to_owned()))
    }
}

/// Writes entries (relative names) in `format`. `path` is used only by the
/// env format's naming rule.
pub fn write(format: Format, entries: &Entries) -> SecretString {
    match format {
        Format::Json => {
            let text = serde_json::to_string_pretty(&nest(entries)).unwrap_or_default();
            SecretString::new(format!("{text}\n"))
        }
        Format::Yaml => {
            SecretString::new(serde_yaml_ng::to_string(&nest(entries)).unwrap_or_default())
        }
        Format::Dotenv => {
            let mut text = String::new();
            for (name, value) in entries {
                text.push_str(&dotenv::line(name, value.expose()));
                text.push('\n');
            }
            SecretString::new(text)
        }
        Format::Env => {
            let mut text = String::new();
            let rule = NameRule::default();
            for (name, value) in entries {
                let Some(var) = env_name("", name, &rule) else {
                    continue;
                };
                text.push_str(&format!("export {var}={}\n", shell_quote(value.expose())));
            }
            SecretString::new(text)
        }
    }
}

/// Nests `a/b` under `a` when no value is stored at `a` itself; a name that
/// cannot nest stays a flat key.
fn nest(entries: &Entries) -> Value {
    let mut root = Map::new();
    for (name, value) in entries {
        let parts: Vec<&str> = name.split('/').collect();
        if !insert_nested(&mut root, &parts, value.expose()) {
            root.insert(name.clone(), Value::String(value.expose().to_owned()));
        }
    }
    Value::Object(root)
}

fn insert_nested(map: &mut Map<String, Value>, parts: &[&str], value: &str) -> bool {
    match parts {
        [] => false,
        [last] => {
            if map.contains_key(*last) {
                return false;
            }
            map.insert((*last).to_owned(), Value::String(value.to_owned()));
            true
        }
        [first, rest @ ..] => {
            let entry = map
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(inner) => insert_nested(inner, rest, value),
                _ => false,
            }
        }
    }
}

/// `'…'` with `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(entries: &Entries) -> Vec<(String, String)> {
        entries
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn json_and_yaml_nest_into_sub_paths() {
        let json =
            r#"{"db": {"host": "h", "port": 5432}, "debug": true, "list": [1, 2], "s": "x y"}"#;
        let expected = pairs(&[
            ("db/host", "h"),
            ("db/port", "5432"),
            ("debug", "true"),
            ("list", "[1,2]"),
            ("s", "x y"),
        ]);
        assert_eq!(shown(&parse(Format::Json, json).unwrap()), expected);
        let yaml = "db:\n  host: h\n  port: 5432\ndebug: true\nlist: [1, 2]\ns: x y\n";
        assert_eq!(shown(&parse(Format::Yaml, yaml).unwrap()), expected);
    }

    #[test]
    fn every_format_round_trips_values_exactly() {
        let mut entries = Entries::new();
        for (k, v) in [
            ("db/password", "p@ss w'rd\"\\"),
            ("db/host", "db.internal"),
            ("multi", "line1\nline2"),
            ("empty", ""),
            ("number_like", "007"),
            ("yes", "yes"),
        ] {
            entries.insert(k.into(), SecretString::new(v.into()));
        }
        for format in [Format::Json, Format::Yaml, Format::Dotenv] {
            let text = write(format, &entries);
            let back = parse(format, text.expose()).unwrap();
            assert_eq!(
                shown(&back),
                shown(&entries),
                "{format:?}:\n{}",
                text.expose()
            );
        }
    }

    #[test]
    fn env_format_is_shell_lines() {
        let mut entries = Entries::new();
        entries.insert("db/password".into(), SecretString::new("it's".into()));
        assert_eq!(
            write(Format::Env, &entries).expose(),
            "export DB_PASSWORD='it'\\''s'\n"
        );
    }

    #[test]
    fn bad_documents_are_refused_without_values() {
        assert!(matches!(
            parse(Format::Json, "[1]"),
            Err(FormatError::NotAMap)
        ));
        assert!(matches!(
            parse(Format::Json, r#"{"a": null}"#),
            Err(FormatError::Null(_))
        ));
        assert!(matches!(
            parse(Format::Json, r#"{"a b": "x"}"#),
            Err(FormatError::BadKey(_))
        ));
        let err = parse(Format::Json, r#"{"a": "hunter2""#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse(Format::Yaml, "a: [hunter2").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(matches!(
            parse(Format::Env, ""),
            Err(FormatError::ExportOnly)
        ));
    }

    #[test]
    fn secret_documents() {
        let doc = to_json_document(Format::Dotenv, "USER=app\nPASS=x\n").unwrap();
        assert_eq!(doc.expose(), r#"{"PASS":"x","USER":"app"}"#);
        assert!(to_json_document(Format::Json, "[]").is_err());
    }

    #[test]
    fn file_names_pick_the_format() {
        assert_eq!(Format::from_file_name("a.JSON"), Format::Json);
        assert_eq!(Format::from_file_name("a.yml"), Format::Yaml);
        assert_eq!(Format::from_file_name(".env.prod"), Format::Dotenv);
    }
}
