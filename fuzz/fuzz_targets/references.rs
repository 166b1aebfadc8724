//! The reference grammar (`kinko_core::references`): one reference in any
//! spelling (`parse`, `parse_value`, `parse_value_from`), and references
//! inside text (`scan`, what `kinko render` reads). Never panics, and
//! scanning only cuts the text: its segments, with each reference's raw
//! text, give the input back less the escape backslashes, and each
//! reference's line number is its line.
#![no_main]

use kinko_model::arn::Arn;
use kinko_model::references::{Segment, parse, parse_value, parse_value_from, scan};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Arn::parse(text);
    let _ = parse_value(text);
    let _ = parse_value_from(text);
    if let Ok(reference) = parse(text) {
        let _ = reference.to_string();
        let _ = reference.region();
    }

    let segments = scan(text);
    let mut rebuilt = String::with_capacity(text.len());
    for segment in &segments {
        match segment {
            Segment::Text(t) => rebuilt.push_str(t),
            Segment::Reference { line, raw, .. } => {
                let at = offset_in(text, raw);
                assert_eq!(
                    *line,
                    text[..at].matches('\n').count() + 1,
                    "the line of {raw:?}"
                );
                assert!(
                    raw.starts_with("{{resolve:") || raw.starts_with("${ssm"),
                    "a reference without an opener: {raw:?}"
                );
                assert!(!raw.contains('\n'), "a reference across lines: {raw:?}");
                rebuilt.push_str(raw);
            }
        }
    }
    assert_only_escapes_removed(text, &rebuilt);
});

/// Where `part`, a slice of `whole`, starts in it.
fn offset_in(whole: &str, part: &str) -> usize {
    let start = whole.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    assert!(
        at >= start && at + part.len() <= start + whole.len(),
        "a segment that is not part of the text"
    );
    at - start
}

/// `rebuilt` is `text` with some backslashes removed, each right before an
/// opener (`{{resolve:`, `${ssm:`, `${ssm(`).
fn assert_only_escapes_removed(text: &str, rebuilt: &str) {
    let (t, r) = (text.as_bytes(), rebuilt.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < t.len() {
        if j < r.len() && t[i] == r[j] {
            i += 1;
            j += 1;
            continue;
        }
        let escape = t[i] == b'\\' && {
            let rest = &text[i + 1..];
            rest.starts_with("{{resolve:")
                || rest.starts_with("${ssm:")
                || rest.starts_with("${ssm(")
        };
        assert!(
            escape,
            "scan changed the text at byte {i}: {text:?} became {rebuilt:?}"
        );
        i += 1;
    }
    assert_eq!(j, r.len(), "scan added text: {text:?} became {rebuilt:?}");
}
