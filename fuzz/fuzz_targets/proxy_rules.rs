//! What `kinko proxy` parses itself, apart from HTTP: the signing rules
//! read from parameter names and values (`Rules::from_parameters`) and
//! applied to a request (`Rules::apply`), `--allow-host` globs
//! (`HostGlob`), durations (`--ttl`), and the `Connection` header
//! (`hop::remove_hop_by_hop`).
//!
//! Input, one item per line:
//!
//! ```text
//! param /proxy/api.example.com/headers/X-Api-Key=token 123
//! uri http://api.example.com/v1/items?page=2
//! header Connection: keep-alive, X-Hop
//! glob *.example.com
//! duration 5m
//! ```
//!
//! Checks: never a panic; `Debug` of the rules shows no value; applied
//! rules are in the request (each header set, each query parameter once,
//! the path replaced), the scheme and authority kept, and rules that
//! cannot be applied change nothing; no hop-by-hop
//! header, nor one `Connection` names, survives; a glob written as a host
//! matches that host, any case.
#![no_main]

use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use kinko_crypto::SecretString;
use kinko_model::value_source::PathValue;
use kinko_proxy::duration::parse_duration;
use kinko_proxy::hop::remove_hop_by_hop;
use kinko_proxy::{HostGlob, Rules};

const PREFIX: &str = "/proxy";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parameters = Vec::new();
    let mut uri: Option<Uri> = None;
    let mut headers = HeaderMap::new();
    for line in text.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "param" => {
                let (name, value) = rest.split_once('=').unwrap_or((rest, ""));
                parameters.push(PathValue::new(name, SecretString::from(value)));
            }
            "uri" => uri = rest.parse().ok(),
            "header" => {
                let (name, value) = rest.split_once(':').unwrap_or((rest, ""));
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.trim().as_bytes()),
                    HeaderValue::from_str(value.trim()),
                ) {
                    headers.append(name, value);
                }
            }
            "glob" => check_glob(rest),
            "duration" => {
                let _ = parse_duration(rest);
            }
            _ => {}
        }
    }

    let mut hop = headers.clone();
    let named: Vec<String> = hop
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    remove_hop_by_hop(&mut hop);
    for name in named.iter().map(String::as_str).chain([
        "connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "keep-alive",
    ]) {
        assert!(!hop.contains_key(name), "{name} survived");
    }
    assert!(hop.keys().all(|n| !n.as_str().starts_with("proxy-")));

    let Some(mut uri) = uri else {
        return;
    };
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let rules = Rules::from_parameters(PREFIX, &host, &parameters);
    // The same rules with other values (each letter and digit shifted,
    // which keeps every value as usable as it was) must print alike.
    let shifted: Vec<PathValue> = parameters
        .iter()
        .map(|p| PathValue::new(p.name.clone(), SecretString::new(shift(p.value.expose()))))
        .collect();
    assert_eq!(
        format!("{rules:?}"),
        format!("{:?}", Rules::from_parameters(PREFIX, &host, &shifted)),
        "the rules' Debug depends on their values"
    );
    let before = uri.clone();
    let headers_before = headers.clone();
    if rules.apply(&mut uri, &mut headers).is_err() {
        assert_eq!(uri, before, "a refused rewrite changed the URI");
        assert_eq!(headers, headers_before, "a refused rewrite set headers");
        return;
    }
    assert_eq!(uri.scheme(), before.scheme(), "the scheme changed");
    assert_eq!(uri.authority(), before.authority(), "the authority changed");
    check_applied(&rules_of(&host, &parameters), &uri, &headers);
});

/// The effective rules, worked out independently: the last header of a
/// name wins, `rewrite` wins over `rewite`.
struct Expected {
    headers: Vec<(HeaderName, String)>,
    queries: Vec<(String, String)>,
    path: Option<String>,
}

fn rules_of(host: &str, parameters: &[PathValue]) -> Expected {
    let base = format!("{PREFIX}/{host}/");
    let mut expected = Expected {
        headers: Vec::new(),
        queries: Vec::new(),
        path: None,
    };
    let mut rewite = None;
    for parameter in parameters {
        let Some(rest) = parameter.name.strip_prefix(&base) else {
            continue;
        };
        let value = parameter.value.expose().to_owned();
        if let Some(name) = rest.strip_prefix("headers/") {
            if let (Ok(name), Ok(_)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                expected.headers.retain(|(n, _)| *n != name);
                expected.headers.push((name, value));
            }
        } else if let Some(name) = rest.strip_prefix("queries/") {
            if !name.is_empty() {
                expected.queries.push((name.to_owned(), value));
            }
        } else if rest == "rewrite/path" {
            expected.path = Some(value);
        } else if rest == "rewite/path" {
            rewite = Some(value);
        }
    }
    if expected.path.is_none() {
        expected.path = rewite;
    }
    expected
}

fn check_applied(expected: &Expected, uri: &Uri, headers: &HeaderMap) {
    for (name, value) in &expected.headers {
        if *name == http::header::AUTHORIZATION {
            continue; // Basic auth may replace it.
        }
        assert_eq!(
            headers.get(name).map(HeaderValue::as_bytes),
            Some(value.as_bytes()),
            "header {name} not set"
        );
    }
    let query = uri.query().unwrap_or_default();
    for (name, _) in &expected.queries {
        let encoded = encode(name);
        let count = query
            .split('&')
            .filter(|pair| pair.split('=').next() == Some(encoded.as_str()))
            .count();
        let repeats = expected.queries.iter().filter(|(n, _)| n == name).count();
        assert_eq!(count, repeats, "query parameter {name} in {query}");
    }
    if let Some(path) = &expected.path {
        let want = if path.starts_with('/') {
            path.clone()
        } else {
            format!("/{path}")
        };
        assert_eq!(uri.path(), want, "the path was not replaced");
    }
}

/// `text` with each ASCII letter and digit replaced by the next one.
fn shift(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'z' => 'a',
            'Z' => 'A',
            '9' => '0',
            c if c.is_ascii_alphanumeric() => char::from(c as u8 + 1),
            c => c,
        })
        .collect()
}

/// As the rules encode query names: everything but `A-Za-z0-9-._~`.
fn encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A glob parses or is refused; a glob that is a plain host name matches
/// that host in any case, `*` matches anything.
fn check_glob(text: &str) {
    let Ok(glob) = text.parse::<HostGlob>() else {
        return;
    };
    let _ = glob.to_string();
    let host = text.trim();
    if !host.contains(['*', '?']) {
        assert!(glob.matches(host), "{host} does not match itself");
        assert!(glob.matches(&host.to_ascii_uppercase()));
    }
    let star: HostGlob = "*".parse().expect("`*` is a glob");
    assert!(star.matches(host));
}
