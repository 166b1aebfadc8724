//! The upstream side: TLS trust and the pooled HTTP/1.1 client.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::pool::Pool;

/// The pooled client every proxied request goes through.
pub type UpstreamClient = Arc<Pool>;

/// How long an idle upstream connection is kept for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per upstream host.
const POOL_MAX_IDLE_PER_HOST: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot read the CA file {path}: {source}")]
    ReadCaFile {
        path: String,
        source: rustls_pki_types::pem::Error,
    },
    #[error("the CA file {path} holds no PEM certificate")]
    EmptyCaFile { path: String },
    #[error("the certificate in {path} is not usable as a trust root: {source}")]
    BadCaCertificate { path: String, source: rustls::Error },
    #[error("no trusted root certificates: the system has none and no --ca-file was given")]
    NoRoots,
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// The certificates of a PEM file (`--ca-file`).
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, UpstreamError> {
    let shown = path.display().to_string();
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|source| UpstreamError::ReadCaFile {
            path: shown.clone(),
            source,
        })?;
    if certificates.is_empty() {
        return Err(UpstreamError::EmptyCaFile { path: shown });
    }
    Ok(certificates)
}

/// TLS settings for the upstream: the system's roots plus `extra` ones.
pub fn tls_config(
    extra: &[(String, Vec<CertificateDer<'static>>)],
    system_roots: bool,
) -> Result<rustls::ClientConfig, UpstreamError> {
    let mut builder = kinko_crypto::tls::ClientConfigBuilder::new();
    if system_roots {
        let native = builder.add_system_roots();
        for error in &native.errors {
            tracing::warn!(%error, "skipping an unreadable system root certificate");
        }
        let (added, skipped) = (native.added, native.skipped);
        tracing::debug!(added, skipped, "loaded the system root certificates");
    }
    for (path, certificates) in extra {
        for certificate in certificates {
            builder.add_root(certificate.clone()).map_err(|source| {
                UpstreamError::BadCaCertificate {
                    path: path.clone(),
                    source,
                }
            })?;
        }
    }
    if builder.is_empty() {
        return Err(UpstreamError::NoRoots);
    }
    Ok(builder.build()?)
}

/// How new upstream connections are made: TCP with `TCP_NODELAY` and a
/// connect timeout, then TLS (or, with `allow_plain`, plain HTTP for
/// `http://` targets).
pub fn connector(
    tls: rustls::ClientConfig,
    allow_plain: bool,
    connect_timeout: Duration,
) -> HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
    if allow_plain {
        builder.https_or_http().enable_http1().wrap_connector(http)
    } else {
        builder.https_only().enable_http1().wrap_connector(http)
    }
}

/// The pooled client: keep-alive connections, reused per host.
pub fn client(
    tls: rustls::ClientConfig,
    allow_plain: bool,
    connect_timeout: Duration,
) -> UpstreamClient {
    Pool::new(
        connector(tls, allow_plain, connect_timeout),
        POOL_IDLE_TIMEOUT,
        POOL_MAX_IDLE_PER_HOST,
    )
}
