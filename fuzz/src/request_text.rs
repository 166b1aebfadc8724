//! The input of the SigV4 targets: a request written as HTTP/1.1 text.
//!
//! ```text
//! POST /?X-Amz-Algorithm=… HTTP/1.1
//! Host: localhost:4566
//! X-Amz-Date: 20150830T123600Z
//! Authorization: AWS4-HMAC-SHA256 Credential=…
//!
//! {"Name":"/app/db"}
//! ```
//!
//! Read leniently (LF or CRLF, any method, no version needed); a header
//! line that is not a valid name and value is dropped, as the HTTP server
//! in front of the verifier would refuse it, and a value loses its leading
//! and trailing whitespace, as that server would trim it.

use http::{HeaderMap, HeaderName, HeaderValue};
use kinko_aws::sigv4::SignedRequest;

/// An owned request; [`Request::signed`] lends it to the verifier.
#[derive(Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Request {
    pub fn parse(data: &[u8]) -> Request {
        let (head, body) = split_head(data);
        let head = String::from_utf8_lossy(head);
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default();
        let mut words = request_line.split(' ');
        let method = words.next().unwrap_or_default().to_owned();
        let target = words.next().unwrap_or_default();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers = HeaderMap::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            // As an HTTP/1.1 parser does (RFC 9112 §5.1): no leading or
            // trailing spaces or tabs reach the application.
            let value = value.trim_matches([' ', '\t']);
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                headers.append(name, value);
            }
        }
        Request {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.to_vec(),
        }
    }

    pub fn signed(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// Head and body, split at the first empty line.
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    for (separator, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(i) = data.windows(len).position(|w| w == separator) {
            return (&data[..i], &data[i + len..]);
        }
    }
    (data, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_read_from_text() {
        let req = Request::parse(
            b"POST /a%20b?x=1&y HTTP/1.1\r\nHost: h\r\nX-Multi: one\r\nX-Multi:two\r\nbad line\r\nBad Name: v\r\n\r\n{\"a\":1}",
        );
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/a%20b");
        assert_eq!(req.query, "x=1&y");
        assert_eq!(req.headers["host"], "h");
        let multi: Vec<_> = req.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two"]);
        assert_eq!(req.headers.len(), 3);
        assert_eq!(req.body, b"{\"a\":1}");

        let req = Request::parse(b"GET /\nHost: \t h \t\nX: a  b\n\nbody");
        assert_eq!(req.headers["host"], "h");
        assert_eq!(req.headers["x"], "a  b");
        assert_eq!(req.body, b"body");
        assert_eq!(req.query, "");
    }
}
