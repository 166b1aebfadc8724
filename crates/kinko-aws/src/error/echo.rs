//! Quoting what a client sent inside an error message, boundedly.
//!
//! Error messages name the piece of a request that is wrong, as AWS's do,
//! but a client can send a header or field of any length: echoed whole, a
//! 16 KiB `Authorization` header comes back in every error, and whatever
//! logs the client's errors (a proxy, a CI log) keeps a copy of it. So no
//! message carries more than [`ECHO_MAX`] characters of any one input, and
//! none carries a signature.

/// The most characters of one client-supplied text an error message quotes.
pub const ECHO_MAX: usize = 64;

/// What marks a quote that was cut.
const CUT: &str = "...";

/// `text` as an error message may quote it: at most [`ECHO_MAX`]
/// characters, cut with `...`, control characters shown as `?` (so a
/// message stays one line wherever it is printed).
pub fn echo(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(ECHO_MAX) + CUT.len());
    for (i, c) in text.chars().enumerate() {
        if i == ECHO_MAX {
            out.push_str(CUT);
            break;
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    out
}

/// An `Authorization` header as an error message may quote it: everything
/// before its signature (whose value is never echoed, in any case of
/// `Signature=`), bounded like [`echo`]. A header that had a signature ends
/// in `...`, so the reader sees that something was left out.
pub fn echo_authorization(header: &str) -> String {
    let signature_at = header.to_ascii_lowercase().find("signature=");
    match signature_at {
        None => echo(header),
        Some(at) => {
            // `find` on the lower-cased copy: ASCII lower-casing keeps byte
            // offsets, so `at` is a char boundary of `header` too.
            let before = header.get(..at).unwrap_or_default();
            let mut quoted = echo(before);
            if !quoted.ends_with(CUT) {
                quoted.push_str(CUT);
            }
            quoted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_echoed_as_sent() {
        assert_eq!(echo("us-east-1"), "us-east-1");
        assert_eq!(echo(""), "");
        assert_eq!(echo(&"x".repeat(ECHO_MAX)), "x".repeat(ECHO_MAX));
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let long = "é".repeat(10_000);
        let quoted = echo(&long);
        assert_eq!(quoted, format!("{}...", "é".repeat(ECHO_MAX)));
        assert_eq!(quoted.chars().count(), ECHO_MAX + 3);
    }

    #[test]
    fn control_characters_are_not_echoed() {
        assert_eq!(echo("a\r\nb\u{7}c"), "a??b?c");
    }

    #[test]
    fn an_authorization_header_is_echoed_without_its_signature() {
        let sig = "ce77ab12693440249d1c5bc80a2342f6757c5e2c3f775116086a81e627b29456";
        assert_eq!(
            echo_authorization(&format!("AWS4-HMAC-SHA256 Signature={sig}")),
            "AWS4-HMAC-SHA256 ..."
        );
        assert_eq!(
            echo_authorization(&format!("AWS4-HMAC-SHA256 SIGNATURE={sig}, Credential=A")),
            "AWS4-HMAC-SHA256 ..."
        );
        // A full header: the credential scope's start, cut, no signature.
        let header = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature={sig}"
        );
        let quoted = echo_authorization(&header);
        assert_eq!(
            quoted,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/a..."
        );
        assert!(!quoted.contains(&sig[..8]));
        // No signature at all: bounded like any text.
        assert_eq!(echo_authorization("AWS4-HMAC-SHA256"), "AWS4-HMAC-SHA256");
    }
}
