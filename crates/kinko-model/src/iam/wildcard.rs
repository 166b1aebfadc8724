//! Patterns with `*` / `?` wildcards and `${…}` policy variables, compiled
//! once at parse time and matched without allocating (unless the pattern
//! holds a variable, which has to be resolved against the request).

use std::borrow::Cow;

use super::Context;
use super::variables::Variable;

/// How a pattern's text is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (Action, Resource, StringLike, ArnLike);
    /// otherwise they are literal (StringEquals).
    pub wildcards: bool,
    /// `${…}` is a policy variable (Version 2012-10-17 only).
    pub variables: bool,
    /// Letters compare case-insensitively (Action, StringEqualsIgnoreCase).
    pub fold_case: bool,
}

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(Box<str>),
    /// `*`: any run of characters, including none, `/` and `:`.
    Star,
    /// `?`: exactly one character.
    One,
    /// A policy variable: index into `Pattern::variables`.
    Variable(usize),
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pieces: Box<[Piece]>,
    variables: Box<[Variable]>,
    fold_case: bool,
}

impl Pattern {
    /// Compiles `text`. The error says what is wrong (the caller says where).
    pub(crate) fn parse(text: &str, syntax: Syntax) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        let mut variables = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                let Some(end) = rest.find('}') else {
                    return Err(format!(
                        "\"{text}\" has a \"${{\" without its closing \"}}\""
                    ));
                };
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    // The escapes AWS defines for characters that would otherwise be special.
                    "*" | "?" | "$" => literal.push_str(inner),
                    _ => {
                        let variable = Variable::parse(inner)
                            .map_err(|problem| format!("in \"{text}\": {problem}"))?;
                        flush(&mut literal, &mut pieces, syntax.fold_case);
                        pieces.push(Piece::Variable(variables.len()));
                        variables.push(variable);
                    }
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut literal, &mut pieces, syntax.fold_case);
                    // `**` means the same as `*`; one star keeps matching linear.
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut literal, &mut pieces, syntax.fold_case);
                    pieces.push(Piece::One);
                }
                _ => literal.push(c),
            }
        }
        flush(&mut literal, &mut pieces, syntax.fold_case);
        Ok(Pattern {
            pieces: pieces.into_boxed_slice(),
            variables: variables.into_boxed_slice(),
            fold_case: syntax.fold_case,
        })
    }

    /// The policy variables the pattern uses.
    pub(crate) fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// Matches a pattern without variables (actions). A pattern with one
    /// never matches here.
    pub(crate) fn matches_plain(&self, text: &str) -> bool {
        self.variables.is_empty() && glob(&self.pieces, &[], text, self.fold_case)
    }

    /// Matches `text`, resolving variables against `context`. `None` when a
    /// variable cannot be resolved (its key is absent and it has no default):
    /// AWS then treats the comparison as impossible, not as a mismatch.
    pub(crate) fn matches(&self, text: &str, context: &Context<'_>) -> Option<bool> {
        if self.variables.is_empty() {
            return Some(glob(&self.pieces, &[], text, self.fold_case));
        }
        let resolved = self
            .variables
            .iter()
            .map(|variable| variable.resolve(context))
            .collect::<Option<Vec<Cow<'_, str>>>>()?;
        Some(glob(&self.pieces, &resolved, text, self.fold_case))
    }
}

/// Ends the literal being collected, if any.
fn flush(literal: &mut String, pieces: &mut Vec<Piece>, fold_case: bool) {
    if literal.is_empty() {
        return;
    }
    let text = if fold_case {
        literal.to_lowercase()
    } else {
        literal.clone()
    };
    pieces.push(Piece::Literal(text.into_boxed_str()));
    literal.clear();
}

/// Wildcard match of the whole of `text`. Greedy with backtracking to the
/// last `*` only, which is enough for `*`/`?` patterns and keeps the cost
/// at O(pattern × text) in the worst case, with no recursion.
fn glob(pieces: &[Piece], resolved: &[Cow<'_, str>], text: &str, fold_case: bool) -> bool {
    let mut p = 0;
    let mut t = 0;
    // (piece after the last star, text position that star currently ends at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(piece) = pieces.get(p) {
            let step = match piece {
                Piece::Star => {
                    star = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                Piece::One => text[t..].chars().next().map(char::len_utf8),
                Piece::Literal(literal) => prefix_len(&text[t..], literal, fold_case),
                Piece::Variable(index) => resolved
                    .get(*index)
                    .and_then(|value| prefix_len(&text[t..], value, fold_case)),
            };
            if let Some(len) = step {
                p += 1;
                t += len;
                continue;
            }
        } else if t == text.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more character.
        let Some((after_star, end)) = star else {
            return false;
        };
        let Some(c) = text[end..].chars().next() else {
            return false;
        };
        star = Some((after_star, end + c.len_utf8()));
        p = after_star;
        t = end + c.len_utf8();
    }
}

/// The byte length of `text`'s prefix that equals `literal`, if it does.
fn prefix_len(text: &str, literal: &str, fold_case: bool) -> Option<usize> {
    if !fold_case {
        return text.starts_with(literal).then_some(literal.len());
    }
    let mut chars = text.char_indices();
    for expected in literal.chars() {
        let (_, got) = chars.next()?;
        if !chars_equal_ignoring_case(got, expected) {
            return None;
        }
    }
    Some(chars.next().map_or(text.len(), |(at, _)| at))
}

/// Case-insensitive comparison of two characters, without allocating.
pub(crate) fn chars_equal_ignoring_case(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WILD: Syntax = Syntax {
        wildcards: true,
        variables: false,
        fold_case: false,
    };
    const WILD_FOLD: Syntax = Syntax {
        wildcards: true,
        variables: false,
        fold_case: true,
    };
    const EXACT: Syntax = Syntax {
        wildcards: false,
        variables: false,
        fold_case: false,
    };

    fn glob_matches(pattern: &str, text: &str) -> bool {
        Pattern::parse(pattern, WILD)
            .map(|p| p.matches_plain(text))
            .unwrap_or(false)
    }

    #[test]
    fn star_spans_any_characters_including_separators() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("*", "arn:aws:ssm:us-east-1:1:parameter/a/b"));
        assert!(glob_matches(
            "arn:aws:ssm:*:parameter/app/*",
            "arn:aws:ssm:eu-west-1:123:parameter/app/x/y"
        ));
        assert!(glob_matches("a*b*c", "abc"));
        assert!(glob_matches("a*b*c", "aXbYbZc"));
        assert!(glob_matches("a**c", "abbc"));
        assert!(!glob_matches("a*b*c", "aXbYbZ"));
        assert!(!glob_matches("/app/*", "/other/x"));
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        assert!(glob_matches("a?c", "abc"));
        assert!(glob_matches("a?c", "aéc"));
        assert!(!glob_matches("a?c", "ac"));
        assert!(!glob_matches("a?c", "abbc"));
        assert!(glob_matches("??", "ab"));
        assert!(glob_matches("*?", "a"));
        assert!(!glob_matches("*?", ""));
    }

    #[test]
    fn matching_is_whole_string_and_case_sensitive_unless_folded() {
        assert!(!glob_matches("abc", "abcd"));
        assert!(!glob_matches("abc", "ab"));
        assert!(!glob_matches("ABC", "abc"));
        let folded = Pattern::parse("ssm:Get*", WILD_FOLD).unwrap();
        assert!(folded.matches_plain("SSM:getparameter"));
        assert!(folded.matches_plain("ssm:GetParameter"));
        assert!(!folded.matches_plain("ssm:PutParameter"));
    }

    #[test]
    fn without_wildcards_stars_are_literal() {
        let exact = Pattern::parse("a*b?", EXACT).unwrap();
        assert!(exact.matches_plain("a*b?"));
        assert!(!exact.matches_plain("aXbY"));
    }

    #[test]
    fn escapes_are_literal_characters() {
        let syntax = Syntax {
            variables: true,
            ..WILD
        };
        let pattern = Pattern::parse("a${*}b${?}${$}", syntax).unwrap();
        assert!(pattern.variables().is_empty());
        assert!(pattern.matches_plain("a*b?$"));
        assert!(!pattern.matches_plain("aXbY$"));
    }

    #[test]
    fn unclosed_variable_is_an_error() {
        let syntax = Syntax {
            variables: true,
            ..WILD
        };
        let problem = Pattern::parse("arn:${aws:username", syntax).unwrap_err();
        assert!(problem.contains("closing"), "{problem}");
    }

    #[test]
    fn dollar_brace_is_literal_without_variables() {
        let pattern = Pattern::parse("a${x}", WILD).unwrap();
        assert!(pattern.matches_plain("a${x}"));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        // Would be exponential with naive recursive backtracking.
        let pattern = "a*".repeat(30) + "b";
        let text = "a".repeat(200);
        assert!(!glob_matches(&pattern, &text));
    }
}
