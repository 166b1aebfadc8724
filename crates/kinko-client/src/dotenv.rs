//! The dotenv format, as `kinko exec --env-file`, `import` and `export`
//! read and write it.
//!
//! `KEY=value` lines; blank lines and `#` comments skipped; an optional
//! `export ` prefix; unquoted values are trimmed and end at ` #`; `'…'` is
//! literal; `"…"` understands `\n`, `\r`, `\t`, `\"` and `\\`. No variable
//! expansion, no multi-line values (use `\n` in double quotes).

use kinko_crypto::SecretString;

/// One `KEY=value` line.
#[derive(Debug)]
pub struct Entry {
    pub key: String,
    pub value: SecretString,
    /// 1-based.
    pub line: usize,
}

/// A line that is not dotenv. Names the line and why, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct DotenvError {
    pub line: usize,
    pub reason: String,
}

pub fn parse(text: &str) -> Result<Vec<Entry>, DotenvError> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let error = |reason: &str| DotenvError {
            line,
            reason: reason.to_owned(),
        };
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let trimmed = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let Some((key, rest)) = trimmed.split_once('=') else {
            return Err(error("expected KEY=value"));
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(error("expected a KEY without spaces before `=`"));
        }
        let rest = rest.trim_start();
        let value = if let Some(inner) = rest.strip_prefix('\'') {
            let Some(end) = inner.find('\'') else {
                return Err(error("unterminated single quote"));
            };
            trailing_is_comment(&inner[end + 1..]).map_err(&error)?;
            inner[..end].to_owned()
        } else if let Some(inner) = rest.strip_prefix('"') {
            let (value, after) = double_quoted(inner).map_err(&error)?;
            trailing_is_comment(after).map_err(&error)?;
            value
        } else {
            let end = rest.find(" #").unwrap_or(rest.len());
            rest[..end].trim_end().to_owned()
        };
        entries.push(Entry {
            key: key.to_owned(),
            value: SecretString::new(value),
            line,
        });
    }
    Ok(entries)
}

/// The value inside `"…"` (after the opening quote) and the text after the
/// closing quote.
fn double_quoted(inner: &str) -> Result<(String, &str), &'static str> {
    let mut value = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &inner[i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('t') => value.push('\t'),
                Some('"') => value.push('"'),
                Some('\\') => value.push('\\'),
                Some(other) => {
                    value.push('\\');
                    value.push(other);
                }
                None => return Err("unterminated double quote"),
            },
            c => value.push(c),
        }
    }
    Err("unterminated double quote")
}

fn trailing_is_comment(after: &str) -> Result<(), &'static str> {
    let after = after.trim();
    if after.is_empty() || after.starts_with('#') {
        Ok(())
    } else {
        Err("unexpected text after the closing quote")
    }
}

/// `KEY=value`, quoted so that [`parse`] gives `value` back exactly.
pub fn line(key: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+,=".contains(c));
    if plain {
        format!("{key}={value}")
    } else if !value.contains(['\'', '\n', '\r']) {
        format!("{key}='{value}'")
    } else {
        let mut quoted = String::with_capacity(value.len() + 2);
        for c in value.chars() {
            match c {
                '\n' => quoted.push_str("\\n"),
                '\r' => quoted.push_str("\\r"),
                '\t' => quoted.push_str("\\t"),
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                c => quoted.push(c),
            }
        }
        format!("{key}=\"{quoted}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String, usize)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value.expose().to_owned(), e.line))
            .collect()
    }

    #[test]
    fn parses_the_common_forms() {
        let text = "# comment\n\
                    \n\
                    A=plain\n\
                    export B = spaced value  # note\n\
                    C='lit #$\\n'\n\
                    D=\"esc\\n\\\"q\\\" \\\\ #\" # c\n\
                    E=\n\
                    F=ssm:/app/db\n";
        assert_eq!(
            pairs(text),
            vec![
                ("A".into(), "plain".into(), 3),
                ("B".into(), "spaced value".into(), 4),
                ("C".into(), "lit #$\\n".into(), 5),
                ("D".into(), "esc\n\"q\" \\ #".into(), 6),
                ("E".into(), "".into(), 7),
                ("F".into(), "ssm:/app/db".into(), 8),
            ]
        );
    }

    #[test]
    fn errors_name_the_line_not_the_value() {
        let err = parse("A=1\nB='hunter2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(!err.to_string().contains("hunter2"));
        assert_eq!(parse("just words").unwrap_err().line, 1);
        assert_eq!(
            parse("A=\"x\" y").unwrap_err().reason,
            "unexpected text after the closing quote"
        );
    }

    #[test]
    fn written_lines_parse_back_to_the_same_value() {
        for value in [
            "plain",
            "",
            "with space",
            "it's",
            "multi\nline \"q\" \\ $HOME",
            "#hash",
            "tab\there",
            "  padded  ",
        ] {
            let text = line("K", value);
            let back = parse(&text).unwrap();
            assert_eq!(back.len(), 1, "{text}");
            assert_eq!(back[0].value.expose(), value, "{text}");
        }
    }
}
