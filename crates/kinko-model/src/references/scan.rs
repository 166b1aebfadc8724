//! Finding references inside arbitrary text (what `kinko render` reads).
//!
//! Only the delimited forms are recognised, `{{resolve:…}}` and `${ssm…}`,
//! each on one line; see the module docs for the escape.

use super::{Lookup, ReferenceError, parse_value};

/// A piece of scanned text: literal text to copy, or a reference to replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Reference {
        /// 1-based line of the reference's first character.
        line: usize,
        /// The reference exactly as written.
        raw: &'a str,
        lookup: Result<Lookup, ReferenceError>,
    },
}

const CLOUDFORMATION: &str = "{{resolve:";
const SERVERLESS: &str = "${ssm";

/// Splits `text` into literal text and references. Concatenating the text
/// segments with each reference's value gives the rendered file; with the
/// references' `raw` text instead, it gives `text` less the escape
/// backslashes.
pub fn scan(text: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut start = 0; // first byte not yet emitted
    let mut from = 0; // where to look for the next opener
    while let Some((pos, opener)) = next_opener(text, from) {
        if pos > 0 && text.as_bytes()[pos - 1] == b'\\' {
            // Escaped: drop the backslash, keep the opener as text.
            push_text(&mut segments, &text[start..pos - 1]);
            start = pos;
            from = pos + opener.len();
            continue;
        }
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[..pos].matches('\n').count() + 1;
        let end = if opener == CLOUDFORMATION {
            text[pos..line_end].find("}}").map(|i| pos + i + 2)
        } else {
            match serverless_end(&text[pos..line_end]) {
                Closing::At(i) => Some(pos + i),
                Closing::Nested(i) => {
                    // A nested variable: Serverless resolves it, not us.
                    from = pos + i;
                    continue;
                }
                Closing::Missing => None,
            }
        };
        let raw = &text[pos..end.unwrap_or(line_end)];
        let lookup = match parse_value(raw) {
            Some(lookup) => lookup,
            None => {
                from = pos + opener.len();
                continue;
            }
        };
        if end.is_none() && opener == CLOUDFORMATION && !is_known_service(raw) {
            from = pos + opener.len();
            continue;
        }
        push_text(&mut segments, &text[start..pos]);
        segments.push(Segment::Reference { line, raw, lookup });
        start = pos + raw.len();
        from = start;
    }
    push_text(&mut segments, &text[start..]);
    segments
}

fn push_text<'a>(segments: &mut Vec<Segment<'a>>, text: &'a str) {
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
}

/// The next `{{resolve:` or `${ssm:`/`${ssm(` at or after `from`.
fn next_opener(text: &str, from: usize) -> Option<(usize, &'static str)> {
    let cfn = text[from..].find(CLOUDFORMATION).map(|i| from + i);
    let mut sls = None;
    let mut at = from;
    while let Some(i) = text[at..].find(SERVERLESS) {
        let pos = at + i;
        if matches!(
            text.as_bytes().get(pos + SERVERLESS.len()),
            Some(b':' | b'(')
        ) {
            sls = Some(pos);
            break;
        }
        at = pos + SERVERLESS.len();
    }
    match (cfn, sls) {
        (Some(c), Some(s)) if s < c => Some((s, SERVERLESS)),
        (Some(c), _) => Some((c, CLOUDFORMATION)),
        (None, Some(s)) => Some((s, SERVERLESS)),
        (None, None) => None,
    }
}

enum Closing {
    /// One past the closing `}`.
    At(usize),
    /// Contains a nested `${…}`; one past the outer closing `}` (or the line).
    Nested(usize),
    Missing,
}

/// Where the `${…}` starting `line` ends, counting nested `${`.
fn serverless_end(line: &str) -> Closing {
    let bytes = line.as_bytes();
    let mut depth = 0usize;
    let mut nested = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            depth += 1;
            nested |= depth > 1;
            i += 2;
            continue;
        }
        if bytes[i] == b'}' {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return if nested {
                    Closing::Nested(i + 1)
                } else {
                    Closing::At(i + 1)
                };
            }
        }
        i += 1;
    }
    if nested {
        Closing::Nested(bytes.len())
    } else {
        Closing::Missing
    }
}

fn is_known_service(raw: &str) -> bool {
    let inner = &raw[CLOUDFORMATION.len()..];
    ["ssm:", "ssm-secure:", "secretsmanager:"]
        .iter()
        .any(|s| inner.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::super::{ParameterRef, Reference};
    use super::*;

    /// Renders with each reference replaced by `<its native form>`, or
    /// `<error>`.
    fn show(text: &str) -> String {
        scan(text)
            .into_iter()
            .map(|s| match s {
                Segment::Text(t) => t.to_owned(),
                Segment::Reference { line, lookup, .. } => match lookup {
                    Ok(l) => format!("<{line}:{}>", l.reference),
                    Err(_) => format!("<{line}:error>"),
                },
            })
            .collect()
    }

    #[test]
    fn finds_every_delimited_form_with_its_line() {
        let text = "service: app\n\
                    db: ${ssm:/app/${sls:stage}/db}\n\
                    prod: ${ssm:/app/prod/db} staging: ${ssm:/app/staging/db~true}\n\
                    Password: '{{resolve:ssm-secure:/app/prod/db:2}}'\n\
                    other: ${self:custom.x} {{resolve:s3:bucket}} ${env:HOME}\n";
        assert_eq!(
            show(text),
            "service: app\n\
             db: ${ssm:/app/${sls:stage}/db}\n\
             prod: <3:ssm:/app/prod/db> staging: <3:ssm:/app/staging/db>\n\
             Password: '<4:ssm:/app/prod/db:2>'\n\
             other: ${self:custom.x} {{resolve:s3:bucket}} ${env:HOME}\n"
        );
    }

    #[test]
    fn backslash_escapes_an_opener() {
        assert_eq!(
            show(r"a \${ssm:/x} b \{{resolve:ssm:/y}} c ${ssm:/z}"),
            "a ${ssm:/x} b {{resolve:ssm:/y}} c <1:ssm:/z>"
        );
    }

    #[test]
    fn unterminated_and_bad_references_are_errors_with_lines() {
        assert_eq!(show("ok\nx: ${ssm:/a\n"), "ok\nx: <2:error>\n");
        assert_eq!(show("{{resolve:ssm:/a\n"), "<1:error>\n");
        assert_eq!(show("{{resolve:other:/a\n"), "{{resolve:other:/a\n");
        assert_eq!(show("${ssm(mars):/a}"), "<1:error>");
        let segs = scan("v=${ssm:/a:b:c}");
        let Segment::Reference { raw, lookup, .. } = &segs[1] else {
            panic!("{segs:?}")
        };
        assert_eq!(*raw, "${ssm:/a:b:c}");
        assert!(lookup.is_err());
    }

    #[test]
    fn fallback_defaults_come_through() {
        let segs = scan("x=${ssm:/a, 'fallback'}!");
        assert_eq!(segs.len(), 3);
        let Segment::Reference { lookup: Ok(l), .. } = &segs[1] else {
            panic!("{segs:?}")
        };
        assert_eq!(l.default.as_deref(), Some("fallback"));
        assert_eq!(
            l.reference,
            Reference::Parameter(ParameterRef {
                name: "/a".into(),
                selector: None,
                region: None
            })
        );
        assert_eq!(segs[2], Segment::Text("!"));
    }

    #[test]
    fn text_without_references_is_one_segment() {
        assert_eq!(
            scan("plain $ssm {{x}}"),
            vec![Segment::Text("plain $ssm {{x}}")]
        );
        assert_eq!(scan(""), vec![]);
    }
}
