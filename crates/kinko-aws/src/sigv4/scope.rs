//! Credential-scope checks against the route and the configuration (§6.5).

use super::{AuthError, Authorization};

/// Checks that the scope's service is the one the target belongs to and
/// that its region is acceptable. Both failures are reported together, in
/// AWS's order and words (each sentence ends with ". ").
pub fn check_scope(
    auth: &Authorization,
    expected_service: &str,
    region_ok: impl Fn(&str) -> bool,
) -> Result<(), AuthError> {
    let mut message = String::new();
    if !region_ok(&auth.region) {
        message.push_str(&format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            crate::error::echo(&auth.region)
        ));
    }
    if auth.service != expected_service {
        message.push_str(&format!(
            "Credential should be scoped to correct service: '{expected_service}'. "
        ));
    }
    if message.is_empty() {
        Ok(())
    } else {
        Err(AuthError::InvalidSignature(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::parse;
    use crate::sigv4::test_support::*;

    #[test]
    fn region_and_service_are_checked_with_aws_texts() {
        let req = vector_b();
        let auth = parse(&req.signed()).unwrap();
        assert_eq!(check_scope(&auth, "ssm", |r| r == "us-east-1"), Ok(()));
        assert_eq!(
            check_scope(&auth, "ssm", |r| r == "eu-west-1"),
            Err(AuthError::InvalidSignature(
                "Credential should be scoped to a valid region, not 'us-east-1'. ".into()
            ))
        );
        assert_eq!(
            check_scope(&auth, "kms", |_| false),
            Err(AuthError::InvalidSignature(
                "Credential should be scoped to a valid region, not 'us-east-1'. \
                 Credential should be scoped to correct service: 'kms'. "
                    .into()
            ))
        );
    }
}
