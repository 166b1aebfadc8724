//! `kinko proxy`'s handling of a client connection: raw HTTP/1.1 bytes
//! (one or more requests) served in-process as the proxy serves a TCP
//! connection, hyper parsing the request line, absolute-form URI and
//! headers, kinko doing the rest (CONNECT and origin-form refusals, the
//! host allow-list, rules, hop-by-hop headers, the upstream URI, signing),
//! with nothing sent upstream.
//!
//! Checks: never a panic; a request that would be forwarded goes over
//! HTTPS to an allowed host with rules, carries its rules, and has no
//! hop-by-hop, `Proxy-*`, `Host` or `Expect` header left; no answer to the
//! client holds a rule's value.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header;
use kinko_model::fake::FakeSource;
use kinko_proxy::fuzzing::serve_without_upstream;
use kinko_proxy::{HostGlob, Proxy, ProxyConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const API_KEY: &str = "kinko-fuzz-secret-api-key";
const QUERY_TOKEN: &str = "kinko-fuzz-secret-query-token";
const PASSWORD: &str = "kinko-fuzz-secret-password";
const REWRITTEN: &str = "/kinko-fuzz-secret-path/T0/B0";

/// The rules: every kind, on three hosts.
const RULES: [(&str, &str); 7] = [
    ("/proxy/api.example.com/headers/X-Api-Key", API_KEY),
    ("/proxy/api.example.com/queries/token", QUERY_TOKEN),
    ("/proxy/api.example.com/basic/username", "fuzz"),
    ("/proxy/api.example.com/basic/password", PASSWORD),
    ("/proxy/hooks.example.com/rewite/path", REWRITTEN),
    ("/proxy/127.0.0.1/headers/Authorization", API_KEY),
    ("/proxy/[::1]/queries/a b", QUERY_TOKEN),
];

const ALLOWED: [&str; 4] = ["api.example.com", "*.example.com", "127.0.0.1", "[::1]"];

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "keep-alive",
    "host",
    "expect",
];

/// One proxy for every input: its trust store is read once. With a TTL of
/// zero every request reads the rules again, so the cache holds no more
/// than its pruning bound however many hosts the fuzzer invents.
fn proxy() -> &'static Proxy {
    static PROXY: OnceLock<Proxy> = OnceLock::new();
    PROXY.get_or_init(|| {
        let config = ProxyConfig {
            ttl: Duration::ZERO,
            allow_hosts: ALLOWED
                .iter()
                .map(|g| g.parse::<HostGlob>().expect("a valid glob"))
                .collect(),
            ..ProxyConfig::new()
        };
        Proxy::new(config, Arc::new(FakeSource::new(&RULES))).expect("the proxy starts")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let proxy = proxy();
    kinko_fuzz::runtime().block_on(async {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let serve = serve_without_upstream(proxy, server, check_forwarded);
        let talk = async {
            let _ = client.write_all(data).await;
            let _ = client.shutdown().await;
            let mut answer = Vec::new();
            let _ = client.read_to_end(&mut answer).await;
            answer
        };
        let (_served, answer) = tokio::join!(serve, talk);
        // Host names come back lower-cased (a 407 names the parameters it
        // looked for): compare case-insensitively, so a value the client
        // itself sent in another case does not count as leaked.
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        let sent = String::from_utf8_lossy(data).to_ascii_lowercase();
        for secret in [API_KEY, QUERY_TOKEN, PASSWORD, REWRITTEN] {
            let secret = secret.to_ascii_lowercase();
            if !sent.contains(&secret) {
                assert!(
                    !answer.contains(&secret),
                    "an answer to the client holds a rule's value: {answer}"
                );
            }
        }
    });
});

/// What a forwarded request must look like.
fn check_forwarded(parts: &http::request::Parts) {
    assert_eq!(
        parts.uri.scheme_str(),
        Some("https"),
        "forwarded without TLS: {}",
        parts.uri
    );
    let host = parts.uri.host().unwrap_or_default();
    assert!(
        ALLOWED
            .iter()
            .any(|g| g.parse::<HostGlob>().is_ok_and(|g| g.matches(host))),
        "forwarded to a host not allowed: {host}"
    );
    for name in HOP_BY_HOP {
        assert!(!parts.headers.contains_key(name), "{name} was forwarded");
    }
    for name in parts.headers.keys() {
        assert!(!name.as_str().starts_with("proxy-"), "{name} was forwarded");
    }
    let query = parts.uri.query().unwrap_or_default();
    match host.to_ascii_lowercase().as_str() {
        "api.example.com" => {
            assert_eq!(parts.headers["x-api-key"], API_KEY);
            assert!(
                parts.headers[header::AUTHORIZATION]
                    .to_str()
                    .is_ok_and(|v| v.starts_with("Basic "))
            );
            let tokens = query
                .split('&')
                .filter(|pair| pair.split('=').next() == Some("token"))
                .collect::<Vec<_>>();
            assert_eq!(tokens, [format!("token={QUERY_TOKEN}")], "{query}");
        }
        "hooks.example.com" => assert_eq!(parts.uri.path(), REWRITTEN),
        "127.0.0.1" => assert_eq!(parts.headers[header::AUTHORIZATION], API_KEY),
        "[::1]" => assert!(query.contains(&format!("a%20b={QUERY_TOKEN}")), "{query}"),
        other => panic!("forwarded to {other}, which has no rules"),
    }
}
