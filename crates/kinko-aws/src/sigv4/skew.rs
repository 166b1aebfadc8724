//! The request-time window (§6.2): ±15 minutes, symmetric, and for presigned
//! requests the `X-Amz-Expires` lifetime as well.

use jiff::{SignedDuration, Timestamp};

use super::parse::format_amz_date;
use super::{AuthError, Authorization};

/// How far the request time may be from the server clock, either way.
const MAX_SKEW: SignedDuration = SignedDuration::from_secs(15 * 60);

/// Rejects a request whose time is more than 15 minutes before or after
/// `now`; a presigned request must also be within its `X-Amz-Expires`.
///
/// Both checks apply to presigned requests (as AWS's JSON services do: a
/// presigned URL is good for at most 15 minutes whatever it asks for),
/// which keeps replay windows short.
pub fn check_time(auth: &Authorization, now: Timestamp) -> Result<(), AuthError> {
    let earliest = now - MAX_SKEW;
    let latest = now + MAX_SKEW;
    if auth.request_time < earliest {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            auth.amz_date,
            format_amz_date(earliest),
            format_amz_date(now),
        )));
    }
    if auth.request_time > latest {
        return Err(AuthError::InvalidSignature(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            auth.amz_date,
            format_amz_date(latest),
            format_amz_date(now),
        )));
    }
    if let Some(expires) = auth.expires {
        let oldest = now - SignedDuration::from_secs(i64::from(expires));
        if auth.request_time < oldest {
            return Err(AuthError::InvalidSignature(format!(
                "Signature expired: {} is now earlier than {} ({} - {expires} sec.)",
                auth.amz_date,
                format_amz_date(oldest),
                format_amz_date(now),
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::parse;
    use crate::sigv4::test_support::*;

    #[test]
    fn exactly_fifteen_minutes_either_way_is_accepted() {
        let req = vector_b();
        let auth = parse(&req.signed()).unwrap();
        assert_eq!(check_time(&auth, ts("20150830T125100Z")), Ok(()));
        assert_eq!(check_time(&auth, ts("20150830T122100Z")), Ok(()));
        assert!(check_time(&auth, ts("20150830T125101Z")).is_err());
        assert!(check_time(&auth, ts("20150830T122059Z")).is_err());
    }

    #[test]
    fn presigned_expiry_is_enforced_too() {
        let mut req = vector_b();
        req.headers.remove("authorization");
        req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fssm%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd&X-Amz-Expires=60".into();
        let auth = parse(&req.signed()).unwrap();
        assert_eq!(check_time(&auth, ts("20150830T123700Z")), Ok(()));
        assert_eq!(
            check_time(&auth, ts("20150830T123701Z")),
            Err(AuthError::InvalidSignature(
                "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T123701Z - 60 sec.)".into()
            ))
        );
    }
}
