//! Serving the app on a TCP listener: plain HTTP or TLS (rustls), HTTP/1.1
//! and HTTP/2, with graceful shutdown — when the shutdown future resolves the
//! listener stops accepting and in-flight requests are allowed to finish.
//!
//! No client can hold the server: every connection has deadlines for its
//! headers, its idle time and its request bodies, and a cap on connections
//! keeps sockets from exhausting the process's file descriptors ([`Limits`]).

use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

mod activity;
mod connection;
pub mod limits;
mod request;
mod slots;

use activity::Tracker;
use connection::Shared;
pub use limits::{Limits, MaxConnections, Timeout, open_files_limit};
use slots::Slots;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate file {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("cannot read the TLS private key file {path}: {reason}")]
    PrivateKey { path: String, reason: String },
    #[error("the TLS certificate and key do not form a valid configuration: {0}")]
    Config(String),
}

/// A rustls server configuration from PEM files (HTTP/2 and HTTP/1.1 via ALPN).
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Certificate {
            path: cert.display().to_string(),
            reason: e.to_string(),
        })?;
    // The key's own error text never includes key material.
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::PrivateKey {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, private_key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// What the request path knows of the connection a request came on: the
/// peer's address (`aws:SourceIp`, the audit log) and whether it is TLS
/// (`aws:SecureTransport`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionInfo {
    pub remote: std::net::SocketAddr,
    pub secure: bool,
}

/// The most an HTTP/1 connection buffers (and so the largest request head).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long in-flight requests get to finish after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` within `limits` until `shutdown` resolves,
/// then stops accepting and lets the requests in flight finish (up to
/// [`DRAIN_TIMEOUT`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The header deadline is ours (see `activity`): hyper's would also cut
    // idle keep-alive connections.
    builder
        .http1()
        .header_read_timeout(None)
        // A request head larger than this gets 431. AWS requests carry a
        // few KiB of headers at most (a session token is the largest); the
        // default (~400 KiB) would let each stalled connection hold that much.
        .max_buf_size(MAX_HEAD_BYTES);
    let shared = Arc::new(Shared {
        app,
        builder,
        tls: tls.map(TlsAcceptor::from),
        limits,
        shutdown: stopping,
    });
    let slots = Slots::new(limits.max_connections);
    let open_files = open_files_limit();
    let mut backoff = AcceptBackoff::default();
    let mut shutdown = std::pin::pin!(shutdown);

    'serve: loop {
        let (stream, remote) = loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => {
                        backoff.reset();
                        break accepted;
                    }
                    // The peer gave up before we took its connection.
                    Err(e) if is_peer_error(&e) => {
                        tracing::debug!(error = %e, "a connection was reset before it was accepted");
                    }
                    Err(e) => {
                        let delay = backoff.next_delay();
                        let limit = open_files.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
                        let hint = if is_out_of_files(&e) {
                            "out of file descriptors: raise the open-files limit or lower --max-connections"
                        } else {
                            "retrying"
                        };
                        tracing::warn!(
                            error = %e,
                            open_files_limit = %limit,
                            max_connections = limits.max_connections.get(),
                            retry_in = ?delay,
                            "cannot accept a connection: {hint}"
                        );
                        tokio::select! {
                            () = tokio::time::sleep(delay) => {}
                            () = &mut shutdown => break 'serve,
                        }
                    }
                },
                () = &mut shutdown => break 'serve,
            }
        };
        let accepted = Instant::now();
        // Accepted before its slot is found, so that a full server only
        // closes a connection for one that is really waiting; the one extra
        // socket comes out of the descriptors reserved beside the cap.
        let permit = tokio::select! {
            permit = slots.reserve() => permit,
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let tracker = Tracker::new(accepted);
        let slot = slots.fill(permit, tracker.clone());
        tokio::spawn(connection::run(
            stream,
            remote,
            accepted,
            tracker,
            slot,
            shared.clone(),
        ));
    }

    drop(listener);
    tracing::info!("shutting down: waiting for in-flight requests");
    let _ = stop.send(true);
    tokio::select! {
        () = slots.all_free() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("drain timeout: closing remaining connections"),
    }
    Ok(())
}

/// Errors of one connection that `accept` reports: no reason to pause.
fn is_peer_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// EMFILE (the process's open-files limit) or ENFILE (the system's): the
/// same numbers on Linux and the BSDs.
fn is_out_of_files(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// The pause after a failed `accept` (out of file descriptors, out of
/// memory): doubling from 5 ms to 1 s, back to 5 ms after a success. The
/// listener keeps the waiting connections meanwhile, and connections
/// closing (timeouts, clients leaving) free descriptors.
#[derive(Debug, Default)]
struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    fn next_delay(&mut self) -> Duration {
        let delay = Self::FIRST
            .saturating_mul(1 << self.failures.min(16))
            .min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        delay
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_backs_off_exponentially_up_to_a_second_and_resets() {
        let mut backoff = AcceptBackoff::default();
        let delays: Vec<u64> = (0..10)
            .map(|_| backoff.next_delay().as_millis() as u64)
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        for _ in 0..100 {
            backoff.next_delay();
        }
        assert_eq!(backoff.next_delay(), AcceptBackoff::MAX);
        backoff.reset();
        assert_eq!(backoff.next_delay(), AcceptBackoff::FIRST);
    }

    #[test]
    fn peer_errors_are_not_a_reason_to_pause() {
        assert!(is_peer_error(&io::Error::from(
            io::ErrorKind::ConnectionAborted
        )));
        // EMFILE: too many open files.
        let emfile = io::Error::from_raw_os_error(24);
        assert!(!is_peer_error(&emfile));
        assert!(is_out_of_files(&emfile));
        assert!(
            emfile.to_string().contains("Too many open files"),
            "{emfile}"
        );
    }
}
