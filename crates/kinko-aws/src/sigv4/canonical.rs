//! The canonical request (§6.3), rebuilt from the request as received and
//! exactly the headers the client says it signed.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};

use super::{Authorization, SignedRequest};

/// Everything but the unreserved `A-Za-z0-9-_.~` is `%XX`-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Paths keep their `/` separators.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Builds the canonical request. The flag is true when a header listed in
/// SignedHeaders is absent from the request: the caller must then fail
/// even if the signature matched (an empty header and a missing one would
/// otherwise canonicalise alike).
pub(crate) fn canonical_request(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    payload_hash: &[u8],
) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(320 + req.path.len() + req.query.len());
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    write_uri(&mut out, req.path);
    out.push(b'\n');
    write_query(&mut out, req.query, auth.presigned);
    out.push(b'\n');
    let missing = write_headers(&mut out, req.headers, &auth.signed_headers);
    out.push(b'\n');
    for (i, name) in auth.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(payload_hash);
    (out, missing)
}

/// Non-S3 services sign the *already encoded* path, normalised and then
/// encoded again (botocore: `quote(normalize(raw_path), safe='/~')`), so a
/// `%2F` in a name arrives as `%252F` in the canonical URI.
fn write_uri(out: &mut Vec<u8>, raw_path: &str) {
    let path = normalize_path(raw_path);
    for chunk in percent_encode(path.as_bytes(), PATH) {
        out.extend_from_slice(chunk.as_bytes());
    }
}

/// Removes `.` and `..` segments and empty segments (RFC 3986 §5.2.4, as
/// the SDK signers do), keeping a trailing `/`. An empty path is `/`.
fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    if path.starts_with('/') && !path.contains('.') && !path.contains("//") {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    for segment in &segments {
        normalized.push('/');
        normalized.push_str(segment);
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if normalized.is_empty() || (trailing && !normalized.ends_with('/')) {
        normalized.push('/');
    }
    Cow::Owned(normalized)
}

/// Each name and value form-decoded, then strictly re-encoded, sorted by
/// encoded name then value. A presigned request's own `X-Amz-Signature` is
/// left out (it cannot sign itself).
fn write_query(out: &mut Vec<u8>, query: &str, presigned: bool) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name);
        if presigned && name.as_ref() == b"X-Amz-Signature" {
            continue;
        }
        pairs.push((encode(&name), encode(&decode(value))));
    }
    pairs.sort_unstable();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
    }
}

fn decode(raw: &str) -> Cow<'_, [u8]> {
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        Cow::Owned(percent_decode(spaced.as_bytes()).collect())
    } else {
        percent_decode(raw.as_bytes()).into()
    }
}

fn encode(bytes: &[u8]) -> String {
    percent_encode(bytes, UNRESERVED).to_string()
}

/// `name:value\n` per signed header, values of a repeated header joined
/// with `,`. Returns whether any signed header was absent.
fn write_headers(out: &mut Vec<u8>, headers: &HeaderMap, signed: &[String]) -> bool {
    let mut missing = false;
    for name in signed {
        out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
        out.push(b':');
        let mut any = false;
        for value in headers.get_all(name.as_str()) {
            if any {
                out.push(b',');
            }
            any = true;
            write_header_value(out, value.as_bytes());
        }
        missing |= !any;
        out.push(b'\n');
    }
    missing
}

/// Trims the value and collapses inner runs of spaces to one.
fn write_header_value(out: &mut Vec<u8>, value: &[u8]) {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ws(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |i| i + 1);
    let mut previous_space = false;
    for &b in value.get(start..end).unwrap_or_default() {
        if b == b' ' {
            if previous_space {
                continue;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> String {
        let mut out = Vec::new();
        write_uri(&mut out, path);
        String::from_utf8(out).unwrap()
    }

    fn query(q: &str, presigned: bool) -> String {
        let mut out = Vec::new();
        write_query(&mut out, q, presigned);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn uri_is_normalised_and_encoded_again() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(uri("/a/b"), "/a/b");
        assert_eq!(uri("/a/./b/../c"), "/a/c");
        assert_eq!(uri("/a/b/"), "/a/b/");
        assert_eq!(uri("/a/b/."), "/a/b/");
        assert_eq!(uri("/a/b/.."), "/a/");
        assert_eq!(uri("/../.."), "/");
        assert_eq!(uri("//a//b"), "/a/b");
        assert_eq!(uri("/a.b/c"), "/a.b/c");
        // Double encoding: the `%` of an encoded byte is encoded again.
        assert_eq!(uri("/x%2Fy/a%20b"), "/x%252Fy/a%2520b");
        assert_eq!(uri("/a:b=c~d"), "/a%3Ab%3Dc~d");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(query("", false), "");
        assert_eq!(query("b=2&a=1", false), "a=1&b=2");
        assert_eq!(query("a=2&a=1", false), "a=1&a=2");
        assert_eq!(query("flag&x=", false), "flag=&x=");
        assert_eq!(query("k=a+b&s=%7e%2f", false), "k=a%20b&s=~%2F");
        assert_eq!(query("k=a b!", false), "k=a%20b%21");
        assert_eq!(query("a=1&&b=2", false), "a=1&b=2");
        assert_eq!(
            query("X-Amz-Signature=abc&X-Amz-Date=1", true),
            "X-Amz-Date=1"
        );
        assert_eq!(
            query("X-Amz-Signature=abc&X-Amz-Date=1", false),
            "X-Amz-Date=1&X-Amz-Signature=abc"
        );
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", "  one   two  ".parse().unwrap());
        headers.append("x-a", "three".parse().unwrap());
        headers.insert("x-b", "\tb\t".parse().unwrap());
        let mut out = Vec::new();
        let signed = ["x-a".to_owned(), "X-B".to_owned()];
        let missing = write_headers(&mut out, &headers, &signed);
        assert!(!missing);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "x-a:one two,three\nx-b:b\n"
        );

        let mut out = Vec::new();
        let missing = write_headers(&mut out, &headers, &["x-c".to_owned()]);
        assert!(missing);
        assert_eq!(String::from_utf8(out).unwrap(), "x-c:\n");
    }
}
