//! Where a subscription delivers: an `https://` URL (plain `http://` only
//! to a loopback address, as for OIDC providers' keys), or a reference to
//! a parameter holding the URL (`ssm:/hooks/slack`), since a Slack
//! incoming-webhook URL is itself a secret. A reference is resolved at each
//! delivery; a URL is kept sealed under the root key. Neither is ever
//! logged or shown whole: listings show a URL's origin only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::WebhookError;

const MAX_URL_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Url(String),
    /// The parameter's name.
    Parameter(String),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, WebhookError> {
        if let Some(name) = text.strip_prefix("ssm:") {
            let ok = (1..=2048).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c));
            if !ok {
                return Err(WebhookError::Validation(
                    "A URL reference is ssm: and a parameter name (letters, digits, /_.-), \
                     e.g. ssm:/hooks/slack."
                        .to_owned(),
                ));
            }
            return Ok(Target::Parameter(name.to_owned()));
        }
        check_url(text)?;
        Ok(Target::Url(text.to_owned()))
    }
}

/// Checks a URL to deliver to, without ever quoting it (it may hold a token).
pub fn check_url(url: &str) -> Result<(), WebhookError> {
    let bad = |why: &str| Err(WebhookError::Validation(format!("The webhook URL {why}.")));
    if url.len() > MAX_URL_LEN {
        return bad(&format!("is longer than {MAX_URL_LEN} characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains spaces or control characters");
    }
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return bad("must start with https:// (or http:// to a loopback address)");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return bad("must not carry a user name or password");
    }
    let host = host_of(authority);
    if host.is_empty() {
        return bad("has no host");
    }
    if !https && !is_loopback(host) {
        return bad("must use https:// unless it points to a loopback address");
    }
    if host.parse::<IpAddr>().is_ok_and(is_forbidden_address) {
        return bad("points to a link-local, cloud metadata or non-host address");
    }
    Ok(())
}

/// Addresses no webhook is sent to, whatever URL or name leads there: the
/// cloud instance-metadata services (link-local 169.254.0.0/16 and
/// fe80::/10, AWS's fd00:ec2::254, Alibaba's 100.100.100.200), whose
/// credentials a forged subscription would otherwise fetch, and addresses
/// that are no host (unspecified, broadcast, multicast). Private and
/// loopback addresses stay allowed: a self-hosted receiver often lives
/// there. The sender checks every resolved address too.
pub fn is_forbidden_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4 == Ipv4Addr::new(100, 100, 100, 200)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden_address(IpAddr::V4(v4));
            }
            let aws_metadata = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);
            v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6 == aws_metadata
        }
    }
}

/// `scheme://host[:port]/…`: what listings show of a URL.
pub fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "…".to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if rest.len() > authority.len() {
        format!("{scheme}://{authority}/…")
    } else {
        format!("{scheme}://{authority}")
    }
}

fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback_and_references() {
        assert_eq!(
            Target::parse("https://hooks.slack.com/services/T0/B0/XYZ").unwrap(),
            Target::Url("https://hooks.slack.com/services/T0/B0/XYZ".into())
        );
        assert!(Target::parse("http://127.0.0.1:8080/hook").is_ok());
        assert!(Target::parse("http://[::1]:8080/hook").is_ok());
        assert!(Target::parse("http://localhost/hook").is_ok());
        assert_eq!(
            Target::parse("ssm:/hooks/slack").unwrap(),
            Target::Parameter("/hooks/slack".into())
        );
        for bad in [
            "http://10.0.0.5/hook",
            "ftp://example.com/x",
            "https://user:pw@example.com/x",
            "https:///x",
            "https://exa mple.com",
            "ssm:",
            "ssm:/hooks/sl ack",
        ] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("example.com") && !e.contains("10.0.0.5"), "{e}");
        }
    }

    #[test]
    fn metadata_services_and_non_hosts_are_never_targets() {
        for bad in [
            "https://169.254.169.254/latest/meta-data/",
            "https://[fd00:ec2::254]/latest/meta-data/",
            "https://[fe80::1]/x",
            "https://[::ffff:169.254.169.254]/x",
            "https://100.100.100.200/x",
            "https://0.0.0.0/x",
            "https://224.0.0.1/x",
        ] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(e.contains("link-local"), "{bad}: {e}");
        }
        for fine in [
            "https://10.0.0.5/hook",
            "https://192.168.1.9/hook",
            "https://[::1]/x",
        ] {
            assert!(Target::parse(fine).is_ok(), "{fine}");
        }
        assert!(!is_forbidden_address("8.8.8.8".parse().unwrap()));
        assert!(
            is_forbidden_address("169.254.170.2".parse().unwrap()),
            "ECS's endpoint"
        );
    }

    #[test]
    fn listings_show_the_origin_only() {
        assert_eq!(
            origin_of("https://hooks.slack.com/services/T0/B0/XYZ"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(origin_of("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
