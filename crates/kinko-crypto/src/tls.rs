//! The one way kinko's clients (the admin client, the proxy's upstream) set
//! up TLS: rustls over aws-lc-rs, trusting the system's roots and/or extra
//! ones. Callers keep their own error types and texts; this only builds.

use std::sync::Arc;

pub use rustls::ClientConfig;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;

/// What loading the system's roots found, for the caller to log.
#[derive(Debug, Default)]
pub struct SystemRoots {
    /// Certificates added to the trust store.
    pub added: usize,
    /// Certificates found but not parsable as trust roots.
    pub skipped: usize,
    /// Root sources that could not be read at all.
    pub errors: Vec<rustls_native_certs::Error>,
}

/// Collects trust roots, then builds a [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    roots: RootCertStore,
}

impl Default for ClientConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientConfigBuilder {
    /// A builder trusting nothing yet.
    pub fn new() -> Self {
        Self {
            roots: RootCertStore::empty(),
        }
    }

    /// Adds the operating system's root certificates (rustls-native-certs).
    pub fn add_system_roots(&mut self) -> SystemRoots {
        let native = rustls_native_certs::load_native_certs();
        let (added, skipped) = self.roots.add_parsable_certificates(native.certs);
        SystemRoots {
            added,
            skipped,
            errors: native.errors,
        }
    }

    /// Adds one extra trust root (a CA bundle's certificate).
    pub fn add_root(&mut self, certificate: CertificateDer<'static>) -> Result<(), rustls::Error> {
        self.roots.add(certificate)
    }

    /// Whether no root is trusted yet (the caller decides if that is fatal).
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The client config: aws-lc-rs, safe default protocol versions, the
    /// collected roots, no client certificate.
    pub fn build(self) -> Result<ClientConfig, rustls::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        Ok(ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(self.roots)
            .with_no_client_auth())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_no_roots_and_reports_empty() {
        let builder = ClientConfigBuilder::new();
        assert!(builder.is_empty());
        assert!(builder.build().is_ok());
    }

    #[test]
    fn rejects_a_certificate_that_is_not_der() {
        let mut builder = ClientConfigBuilder::new();
        let error = builder.add_root(CertificateDer::from(vec![1, 2, 3]));
        assert!(error.is_err());
        assert!(builder.is_empty());
    }
}
