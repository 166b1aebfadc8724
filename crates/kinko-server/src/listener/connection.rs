//! One connection from accept to close: the TLS handshake within the header
//! deadline, then hyper serving it while this task watches its deadlines
//! ([`next_step`]), the server's need for its slot, and shutdown.

use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::ConnectionInfo;
use super::activity::{Activity, Phase, Step, TrackedIo, Tracker, next_step};
use super::limits::Limits;
use super::request::RequestService;
use super::slots::Slot;

/// What every connection of one listener shares.
pub(crate) struct Shared {
    pub app: Router,
    pub builder: auto::Builder<TokioExecutor>,
    pub tls: Option<TlsAcceptor>,
    pub limits: Limits,
    /// Becomes true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// Serves one accepted connection until it closes; `slot` is freed then.
pub(crate) async fn run(
    stream: TcpStream,
    remote: SocketAddr,
    accepted: Instant,
    tracker: Tracker,
    slot: Slot,
    shared: Arc<Shared>,
) {
    let _slot = slot;
    let mut changes = tracker.subscribe();
    let mut shutdown = shared.shutdown.clone();
    let info = ConnectionInfo {
        remote,
        secure: shared.tls.is_some(),
    };
    let service = RequestService::new(
        shared.app.clone(),
        info,
        tracker.clone(),
        shared.limits.request_timeout,
    );
    let Some(acceptor) = &shared.tls else {
        let io = TokioIo::new(TrackedIo::new(stream, tracker));
        let conn = shared.builder.serve_connection_with_upgrades(io, service);
        return watch(conn, remote, &shared.limits, changes, shutdown).await;
    };
    let deadline = accepted + shared.limits.header_timeout.get();
    let stream = tokio::select! {
        handshake = tokio::time::timeout_at(deadline, acceptor.accept(stream)) => match handshake {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::debug!(%remote, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%remote, "TLS handshake not finished within the header timeout");
                return;
            }
        },
        _ = changes.wait_for(|a| a.evicted) => {
            tracing::debug!(%remote, "connection closed during its TLS handshake to make room");
            return;
        }
        _ = shutdown.wait_for(|stop| *stop) => return,
    };
    let io = TokioIo::new(TrackedIo::new(stream, tracker));
    let conn = shared.builder.serve_connection_with_upgrades(io, service);
    watch(conn, remote, &shared.limits, changes, shutdown).await
}

/// Drives `conn` to its end, closing it when a deadline passes, when the
/// server needs its slot, or when the server shuts down. A connection with
/// a request in flight is only ever closed gracefully: after its requests.
async fn watch<C>(
    conn: C,
    remote: SocketAddr,
    limits: &Limits,
    mut changes: watch::Receiver<Activity>,
    mut shutdown: watch::Receiver<bool>,
) where
    C: GracefulConnection,
    C::Error: Display,
{
    let mut conn = std::pin::pin!(conn);
    // When a graceful close was asked for.
    let mut closing: Option<Instant> = None;
    loop {
        let activity = *changes.borrow_and_update();
        let stopping = *shutdown.borrow_and_update();
        if activity.evicted && !activity.is_busy() {
            tracing::debug!(%remote, "connection closed to make room for a new one");
            return;
        }
        if stopping
            && matches!(
                activity.phase,
                Phase::Opening { .. } | Phase::ReceivingHead { .. }
            )
        {
            // No request has been received: nothing to finish.
            return;
        }
        if (activity.evicted || stopping) && closing.is_none() {
            conn.as_mut().graceful_shutdown();
            closing = Some(Instant::now());
        }
        let step = next_step(&activity, limits, closing);
        let deadline = async {
            match step {
                Some((at, _)) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                return;
            }
            Ok(()) = changes.changed() => {}
            Ok(()) = shutdown.changed() => {}
            () = deadline => match step {
                Some((_, Step::Abort(reason))) => {
                    tracing::debug!(%remote, reason, "connection closed");
                    return;
                }
                Some((_, Step::CloseIdle)) => {
                    tracing::debug!(%remote, "closing an idle connection");
                    conn.as_mut().graceful_shutdown();
                    closing = Some(Instant::now());
                }
                None => {}
            },
        }
    }
}
