//! The admin API's rows of the error table: IAM's error names (the admin
//! API is kinko's own, so it borrows the codes IAM clients know).

use kinko_core::StoreFailure;
use kinko_core::credentials::CredentialsError;
use kinko_core::principals::IdentityError;

use super::AwsError;

impl From<IdentityError> for AwsError {
    fn from(e: IdentityError) -> Self {
        use IdentityError as E;
        match e {
            E::Validation(m) => AwsError::new("ValidationException", m),
            e @ (E::NoSuchPrincipal(_)
            | E::NoSuchPolicy { .. }
            | E::NoSuchKey(_)
            | E::NoSuchOidcProvider(_)) => AwsError::new("NoSuchEntityException", e.to_string()),
            e @ (E::AlreadyExists(_) | E::OidcProviderExists(_)) => {
                AwsError::new("EntityAlreadyExistsException", e.to_string())
            }
            e @ E::KeyLimit { .. } => AwsError::new("LimitExceededException", e.to_string()),
            E::MalformedPolicy(m) => AwsError::new("MalformedPolicyDocumentException", m),
            E::Store(e) | E::Credentials(CredentialsError::Store(e)) => store_error(e),
            E::Credentials(cause) => {
                tracing::error!(%cause, "credentials failure");
                AwsError::internal()
            }
        }
    }
}

/// A store failure behind an admin operation (or an access key lookup):
/// 503 while it is unreachable, slow or out of space. Takes core's view of
/// it ([`StoreFailure`], which core's store errors convert into), so this
/// crate needs no dependency on the store.
pub fn store_error(e: impl Into<StoreFailure>) -> AwsError {
    match e.into() {
        StoreFailure::Unavailable(cause) => {
            tracing::warn!(%cause, "store unavailable");
            AwsError::unavailable()
        }
        StoreFailure::OutOfSpace => AwsError::out_of_space(),
        cause @ StoreFailure::Other(_) => {
            tracing::error!(%cause, "store failure");
            AwsError::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_store::StoreError;

    #[test]
    fn identity_errors_map_to_iam_codes() {
        let code = |e: IdentityError| AwsError::from(e).code;
        assert_eq!(
            code(IdentityError::NoSuchPrincipal("x".into())),
            "NoSuchEntityException"
        );
        assert_eq!(
            code(IdentityError::AlreadyExists("x".into())),
            "EntityAlreadyExistsException"
        );
        assert_eq!(
            code(IdentityError::KeyLimit {
                principal: "x".into(),
                max: 2
            }),
            "LimitExceededException"
        );
        assert_eq!(
            code(IdentityError::MalformedPolicy("bad".into())),
            "MalformedPolicyDocumentException"
        );
        let unavailable = AwsError::from(IdentityError::Store(StoreError::Unavailable("x".into())));
        assert_eq!(unavailable.status, 503);
        let full = AwsError::from(IdentityError::Store(StoreError::OutOfSpace));
        assert_eq!((full.code, full.status), ("ServiceUnavailable", 503));
        assert!(
            full.message.contains("out of disk space"),
            "{}",
            full.message
        );
    }
}
