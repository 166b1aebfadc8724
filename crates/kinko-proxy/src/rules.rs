//! Signing rules for one host, read from a parameter tree that
//! shogo82148/ssm-sign-proxy deployments already use:
//!
//! ```text
//! {prefix}/{host}/headers/{Header-Name}   set that header
//! {prefix}/{host}/basic/username          Basic Authorization (with basic/password)
//! {prefix}/{host}/queries/{name}          set that query parameter
//! {prefix}/{host}/rewite/path             replace the URL path (the original spelling)
//! {prefix}/{host}/rewrite/path            the same, spelled right; wins over `rewite`
//! ```

use std::fmt;

use base64::Engine as _;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::uri::{PathAndQuery, Uri};
use kinko_crypto::SecretString;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use kinko_model::value_source::PathValue;

/// Query names and values are encoded like a form: everything but the
/// unreserved characters.
const QUERY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The path under which the rules of `host` live: `{prefix}/{host}/`.
///
/// `prefix` may be given with or without its leading or trailing slash; an
/// empty prefix (or `/`) puts hosts at the root.
pub fn rule_path(prefix: &str, host: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        format!("/{host}/")
    } else {
        format!("/{trimmed}/{host}/")
    }
}

/// The parameter names looked for, for the 407 answer when a host has none.
pub fn looked_for(prefix: &str, host: &str) -> Vec<String> {
    let base = rule_path(prefix, host);
    vec![
        format!("{base}headers/{{Header-Name}}"),
        format!("{base}basic/username"),
        format!("{base}basic/password"),
        format!("{base}queries/{{name}}"),
        format!("{base}rewrite/path"),
        format!("{base}rewite/path"),
    ]
}

/// Why rules could not be applied to a request. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("the rewritten URL of {host} is not a valid URL (check {parameter})")]
    InvalidUrl { host: String, parameter: String },
}

/// The rules of one host. Values are secrets: the `Debug` output names
/// only which rules exist.
#[derive(Clone, Default)]
pub struct Rules {
    host: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    basic: Option<HeaderValue>,
    queries: Vec<(String, SecretString)>,
    path: Option<(SecretString, String)>,
    /// Names under the host's path that are not rules (or whose value is
    /// not usable), for a warning at load time.
    ignored: Vec<String>,
}

impl fmt::Debug for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules")
            .field("host", &self.host)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("basic", &self.basic.is_some())
            .field(
                "queries",
                &self
                    .queries
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("rewrite_path", &self.path.is_some())
            .finish()
    }
}

impl Rules {
    /// Builds the rules of `host` from the parameters under
    /// [`rule_path`]`(prefix, host)`. Names elsewhere are ignored.
    pub fn from_parameters(prefix: &str, host: &str, parameters: &[PathValue]) -> Rules {
        let base = rule_path(prefix, host);
        let mut rules = Rules {
            host: host.to_owned(),
            ..Rules::default()
        };
        let mut username = None;
        let mut password = None;
        let mut rewite = None;
        let mut rewrite = None;
        for parameter in parameters {
            let Some(rest) = parameter.name.strip_prefix(&base) else {
                continue;
            };
            let value = &parameter.value;
            if let Some(name) = rest.strip_prefix("headers/") {
                match (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value.expose()),
                ) {
                    (Ok(name), Ok(mut value)) => {
                        value.set_sensitive(true);
                        rules.headers.retain(|(n, _)| *n != name);
                        rules.headers.push((name, value));
                    }
                    _ => rules.ignored.push(parameter.name.clone()),
                }
            } else if let Some(name) = rest.strip_prefix("queries/") {
                if name.is_empty() {
                    rules.ignored.push(parameter.name.clone());
                } else {
                    rules.queries.push((name.to_owned(), value.clone()));
                }
            } else {
                match rest {
                    "basic/username" => username = Some(value.clone()),
                    "basic/password" => password = Some(value.clone()),
                    "rewite/path" => rewite = Some((value.clone(), parameter.name.clone())),
                    "rewrite/path" => rewrite = Some((value.clone(), parameter.name.clone())),
                    _ => rules.ignored.push(parameter.name.clone()),
                }
            }
        }
        match (username, password) {
            (Some(user), password) => {
                let password = password.unwrap_or_else(|| SecretString::new(String::new()));
                let credentials =
                    SecretString::new(format!("{}:{}", user.expose(), password.expose()));
                let encoded = SecretString::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(credentials.expose())
                ));
                match HeaderValue::from_str(encoded.expose()) {
                    Ok(mut value) => {
                        value.set_sensitive(true);
                        rules.basic = Some(value);
                    }
                    Err(_) => rules.ignored.push(format!("{base}basic/username")),
                }
            }
            (None, Some(_)) => rules.ignored.push(format!("{base}basic/password")),
            (None, None) => {}
        }
        rules.path = rewrite.or(rewite);
        rules
    }

    /// The host these rules are for.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// No rule at all: the host is not configured.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
            && self.basic.is_none()
            && self.queries.is_empty()
            && self.path.is_none()
    }

    /// Parameter names under the host that are not rules, or whose value
    /// cannot be used (a header value with a line break, say).
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Signs a request: sets the headers and Basic Authorization, sets the
    /// query parameters and replaces the path. The scheme and authority of
    /// the URI are kept. On an error neither the URI nor the headers are
    /// changed.
    pub fn apply(&self, uri: &mut Uri, headers: &mut http::HeaderMap) -> Result<(), ApplyError> {
        if !self.queries.is_empty() || self.path.is_some() {
            *uri = self.rewritten(uri)?;
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(value) = &self.basic {
            headers.insert(AUTHORIZATION, value.clone());
        }
        Ok(())
    }

    /// `uri` with the query parameters set and the path replaced.
    fn rewritten(&self, uri: &Uri) -> Result<Uri, ApplyError> {
        let invalid = || ApplyError::InvalidUrl {
            host: self.host.clone(),
            parameter: self
                .path
                .as_ref()
                .map_or_else(|| rule_path("", &self.host), |(_, name)| name.clone()),
        };
        // A `?` or `#` in the rewritten path would start a query or a
        // fragment: the path would be cut short, the rest sent as a query
        // or dropped.
        if let Some((value, _)) = &self.path
            && value.expose().contains(['?', '#'])
        {
            return Err(invalid());
        }
        let (path, query) = match uri.path_and_query() {
            Some(pq) => (pq.path().to_owned(), pq.query().map(str::to_owned)),
            None => ("/".to_owned(), None),
        };
        // The new path and query hold secrets: kept in a zeroizing string.
        let mut text = String::new();
        match &self.path {
            Some((value, _)) => {
                if !value.expose().starts_with('/') {
                    text.push('/');
                }
                text.push_str(value.expose());
            }
            None => text.push_str(&path),
        }
        let mut pairs: Vec<String> = query
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                let name = percent_decode_str(&name.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned();
                !self.queries.iter().any(|(n, _)| *n == name)
            })
            .map(str::to_owned)
            .collect();
        for (name, value) in &self.queries {
            pairs.push(format!(
                "{}={}",
                utf8_percent_encode(name, QUERY_ENCODE),
                utf8_percent_encode(value.expose(), QUERY_ENCODE)
            ));
        }
        if !pairs.is_empty() {
            text.push('?');
            text.push_str(&pairs.join("&"));
        }
        let target = SecretString::new(text);
        let path_and_query = PathAndQuery::from_maybe_shared(bytes::Bytes::copy_from_slice(
            target.expose().as_bytes(),
        ))
        .map_err(|_| invalid())?;
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> Vec<PathValue> {
        list.iter().map(|(n, v)| PathValue::new(*n, *v)).collect()
    }

    fn sign(rules: &Rules, uri: &str) -> (Uri, http::HeaderMap) {
        let mut uri: Uri = uri.parse().unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert("x-app", HeaderValue::from_static("kept"));
        rules.apply(&mut uri, &mut headers).unwrap();
        (uri, headers)
    }

    #[test]
    fn rule_paths_normalise_the_prefix() {
        assert_eq!(
            rule_path("/proxy", "api.github.com"),
            "/proxy/api.github.com/"
        );
        assert_eq!(rule_path("proxy/", "h"), "/proxy/h/");
        assert_eq!(rule_path("/a/b/", "h"), "/a/b/h/");
        assert_eq!(rule_path("/", "h"), "/h/");
        assert_eq!(rule_path("", "h"), "/h/");
        let names = looked_for("/proxy", "h");
        assert!(names.contains(&"/proxy/h/headers/{Header-Name}".to_owned()));
        assert!(names.contains(&"/proxy/h/rewite/path".to_owned()));
    }

    #[test]
    fn headers_and_basic_auth_are_set() {
        let rules = Rules::from_parameters(
            "/proxy",
            "api.example.com",
            &params(&[
                ("/proxy/api.example.com/headers/Authorization", "token abc"),
                ("/proxy/api.example.com/headers/X-Api-Key", "k1"),
                ("/proxy/api.example.com/headers/X-App", "replaced"),
                ("/proxy/other.example.com/headers/X-Other", "no"),
            ]),
        );
        assert!(!rules.is_empty());
        let (uri, headers) = sign(&rules, "http://api.example.com/user?page=2");
        assert_eq!(uri.to_string(), "http://api.example.com/user?page=2");
        assert_eq!(headers["authorization"], "token abc");
        assert_eq!(headers["x-api-key"], "k1");
        assert_eq!(headers["x-app"], "replaced");
        assert!(headers.get("x-other").is_none());
        assert!(headers["x-api-key"].is_sensitive());

        let basic = Rules::from_parameters(
            "/p",
            "h",
            &params(&[
                ("/p/h/basic/username", "alice"),
                ("/p/h/basic/password", "s3cr:t"),
            ]),
        );
        let (_, headers) = sign(&basic, "http://h/");
        // base64("alice:s3cr:t")
        assert_eq!(headers["authorization"], "Basic YWxpY2U6czNjcjp0");
    }

    #[test]
    fn queries_are_set_and_replace_the_clients_own() {
        let rules = Rules::from_parameters(
            "/p",
            "h",
            &params(&[
                ("/p/h/queries/api_key", "a b&c=d"),
                ("/p/h/queries/token", "t"),
            ]),
        );
        let (uri, _) = sign(&rules, "http://h/x?token=mine&q=1");
        assert_eq!(
            uri.to_string(),
            "http://h/x?q=1&api_key=a%20b%26c%3Dd&token=t"
        );
        let (uri, _) = sign(&rules, "http://h");
        assert_eq!(uri.to_string(), "http://h/?api_key=a%20b%26c%3Dd&token=t");
    }

    #[test]
    fn rewrite_replaces_the_path_and_wins_over_the_old_spelling() {
        let old = Rules::from_parameters(
            "/p",
            "hooks.slack.com",
            &params(&[("/p/hooks.slack.com/rewite/path", "/services/T0/B0/XYZ")]),
        );
        let (uri, _) = sign(&old, "http://hooks.slack.com/?a=1");
        assert_eq!(
            uri.to_string(),
            "http://hooks.slack.com/services/T0/B0/XYZ?a=1"
        );
        let both = Rules::from_parameters(
            "/p",
            "h",
            &params(&[("/p/h/rewrite/path", "new"), ("/p/h/rewite/path", "/old")]),
        );
        let (uri, _) = sign(&both, "http://h/anything");
        assert_eq!(uri.to_string(), "http://h/new");
    }

    #[test]
    fn unusable_parameters_are_ignored_and_debug_shows_no_value() {
        let rules = Rules::from_parameters(
            "/p",
            "h",
            &params(&[
                ("/p/h/headers/X-Bad", "line\nbreak"),
                ("/p/h/headers/Bad Name", "v"),
                ("/p/h/other", "v"),
                ("/p/h/basic/password", "lonely-secret"),
                ("/p/h/headers/X-Good", "good-secret"),
            ]),
        );
        assert_eq!(rules.ignored().len(), 4, "{:?}", rules.ignored());
        let debug = format!("{rules:?}");
        assert!(debug.contains("x-good"), "{debug}");
        assert!(
            !debug.contains("good-secret") && !debug.contains("lonely-secret"),
            "{debug}"
        );
        assert!(Rules::from_parameters("/p", "h", &[]).is_empty());
    }

    #[test]
    fn a_rewritten_path_with_a_query_or_fragment_mark_is_refused_not_cut_short() {
        // Found by the proxy_rules fuzz target: `#` cut the path short
        // (`/s#ervices/…` went upstream as `/s`), `?` turned the rest of
        // the path into a query.
        for value in ["s#ervices/T0/B0/XXXX", "/services?T0", "/a#"] {
            let rules = Rules::from_parameters("/p", "h", &params(&[("/p/h/rewite/path", value)]));
            let mut uri: Uri = "http://h/x?a=1".parse().unwrap();
            let mut headers = http::HeaderMap::new();
            let err = rules.apply(&mut uri, &mut headers).unwrap_err();
            assert_eq!(
                err.to_string(),
                "the rewritten URL of h is not a valid URL (check /p/h/rewite/path)",
                "{value}"
            );
            assert_eq!(uri, "http://h/x?a=1", "{value}");
        }
    }

    #[test]
    fn a_refused_rewrite_leaves_the_uri_and_headers_as_they_were() {
        // Found by the proxy_rules fuzz target: an authority-form URI
        // (`host:port`, no scheme) cannot take a path; the URI was
        // replaced by `/` on the way to the error, the headers already set.
        let rules = Rules::from_parameters(
            "/p",
            "h",
            &params(&[("/p/h/queries/token", "t"), ("/p/h/headers/X-Key", "k")]),
        );
        let mut uri: Uri = "h:8080".parse().unwrap();
        let mut headers = http::HeaderMap::new();
        let err = rules.apply(&mut uri, &mut headers).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the rewritten URL of h is not a valid URL (check /h/)"
        );
        assert_eq!(uri, "h:8080");
        assert!(headers.is_empty(), "{headers:?}");
    }

    #[test]
    fn an_invalid_rewritten_url_names_the_parameter_not_the_value() {
        let rules =
            Rules::from_parameters("/p", "h", &params(&[("/p/h/rewrite/path", "/a b\u{7f}")]));
        let mut uri: Uri = "http://h/".parse().unwrap();
        let err = rules
            .apply(&mut uri, &mut http::HeaderMap::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the rewritten URL of h is not a valid URL (check /p/h/rewrite/path)"
        );
    }
}
