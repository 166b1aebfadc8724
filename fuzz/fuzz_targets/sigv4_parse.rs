//! The SigV4 `Authorization` header and the presigned query
//! (`kinko_aws::sigv4::parse`), then the checks that run before any key is
//! looked up (`check_time`, `check_scope`). Never panics; the security
//! token never shows in `Debug`.
#![no_main]

use jiff::Timestamp;
use kinko_aws::sigv4::{check_scope, check_time, parse};
use kinko_fuzz::request_text::Request;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let request = Request::parse(data);
    let Ok(auth) = parse(&request.signed()) else {
        return;
    };
    // With another token in the header, `Debug` must print the same.
    if auth.security_token.is_some() && !auth.presigned {
        let mut other = request.clone();
        other.headers.insert(
            "x-amz-security-token",
            http::HeaderValue::from_static("another-token-entirely"),
        );
        if let Ok(other_auth) = parse(&other.signed()) {
            assert_eq!(
                format!("{auth:?}"),
                format!("{other_auth:?}"),
                "Authorization's Debug shows the security token"
            );
        }
    }
    // A server clock: the request's own time, and the spec's test time
    // (any year the request may name is far from it).
    let spec_time = Timestamp::from_second(1_440_938_160).unwrap_or(Timestamp::UNIX_EPOCH);
    for now in [auth.request_time, spec_time] {
        let _ = check_time(&auth, now);
    }
    let _ = check_scope(&auth, "ssm", |r| r == "us-east-1");
});
