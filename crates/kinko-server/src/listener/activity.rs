//! What one connection is doing, as far as its deadlines care: opening,
//! idle between requests, receiving a request's headers, or busy with
//! requests. The socket wrapper ([`TrackedIo`]) and the request service
//! report to a [`Tracker`]; the connection's task reads the next deadline
//! from it ([`next_step`]).
//!
//! hyper's own HTTP/1 header timeout is not used: it starts when the previous
//! response is sent, so it would also cut idle keep-alive connections after
//! the header timeout. Here, as in nginx and Go's net/http, an idle
//! connection gets the idle timeout, and the header timeout runs from the
//! first byte of the next request.

use std::io;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

use super::limits::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Accepted at `since`: the TLS handshake and the first request's
    /// headers are due within the header timeout.
    Opening { since: Instant },
    /// No request in flight since `since`, nothing of the next one received.
    Idle { since: Instant },
    /// The first bytes of an HTTP/1 request head arrived at `since`.
    ReceivingHead { since: Instant },
    /// This many requests are being handled (HTTP/2 runs several at once).
    Busy { requests: NonZeroUsize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Activity {
    pub phase: Phase,
    /// The connection speaks HTTP/2: its bytes between requests are frames
    /// (pings, window updates), not a request head, so they do not start
    /// the header clock.
    pub http2: bool,
    /// The server needs this connection's slot.
    pub evicted: bool,
}

impl Activity {
    pub fn opened(at: Instant) -> Activity {
        Activity {
            phase: Phase::Opening { since: at },
            http2: false,
            evicted: false,
        }
    }

    pub fn is_busy(&self) -> bool {
        matches!(self.phase, Phase::Busy { .. })
    }

    /// Since when the connection has made no progress: `None` while a
    /// request is in flight. The connection to evict is the one stalled
    /// longest.
    pub fn stalled_since(&self) -> Option<Instant> {
        match self.phase {
            Phase::Opening { since } | Phase::Idle { since } | Phase::ReceivingHead { since } => {
                Some(since)
            }
            Phase::Busy { .. } => None,
        }
    }

    /// Bytes arrived; returns whether that changed anything.
    fn on_read(&mut self, now: Instant) -> bool {
        match self.phase {
            Phase::Idle { .. } if !self.http2 => {
                self.phase = Phase::ReceivingHead { since: now };
                true
            }
            _ => false,
        }
    }

    fn on_request_start(&mut self, http2: bool) {
        self.http2 |= http2;
        self.phase = match self.phase {
            Phase::Busy { requests } => Phase::Busy {
                requests: requests.saturating_add(1),
            },
            _ => Phase::Busy {
                requests: NonZeroUsize::MIN,
            },
        };
    }

    fn on_request_end(&mut self, now: Instant) {
        self.phase = match self.phase {
            Phase::Busy { requests } => match NonZeroUsize::new(requests.get() - 1) {
                Some(requests) => Phase::Busy { requests },
                None => Phase::Idle { since: now },
            },
            // Not reachable (every end follows its start); stay consistent anyway.
            other => other,
        };
    }
}

/// What a connection's task does when a deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Close at once: the client missed a deadline with no request in
    /// flight, so nothing is lost.
    Abort(&'static str),
    /// Close gracefully: idle too long (HTTP/2 gets a GOAWAY).
    CloseIdle,
}

/// The next deadline of a connection and what to do then; `None` while a
/// request is in flight (its body has its own deadline, and a handler is
/// never cut short: that could leave a change without its audit record).
/// `closing_since` is when a graceful close began: a client that does not
/// let it finish within the header timeout is cut off.
pub(crate) fn next_step(
    activity: &Activity,
    limits: &Limits,
    closing_since: Option<Instant>,
) -> Option<(Instant, Step)> {
    let header = limits.header_timeout.get();
    match activity.phase {
        Phase::Busy { .. } => None,
        Phase::Opening { since } => Some((
            since + header,
            Step::Abort("no request within the header timeout"),
        )),
        Phase::ReceivingHead { since } => Some((
            since + header,
            Step::Abort("request headers not received within the header timeout"),
        )),
        Phase::Idle { since } => match closing_since {
            None => Some((since + limits.idle_timeout.get(), Step::CloseIdle)),
            Some(closing) => Some((
                closing.max(since) + header,
                Step::Abort("the client did not finish closing"),
            )),
        },
    }
}

/// The shared record of one connection's [`Activity`].
#[derive(Debug, Clone)]
pub(crate) struct Tracker(Arc<watch::Sender<Activity>>);

impl Tracker {
    pub fn new(accepted: Instant) -> Tracker {
        Tracker(Arc::new(watch::Sender::new(Activity::opened(accepted))))
    }

    pub fn current(&self) -> Activity {
        *self.0.borrow()
    }

    pub fn subscribe(&self) -> watch::Receiver<Activity> {
        self.0.subscribe()
    }

    fn bytes_read(&self) {
        self.0.send_if_modified(|a| a.on_read(Instant::now()));
    }

    /// A request's headers are in; the connection is busy until the
    /// returned guard is dropped (when the handler's future ends or is
    /// dropped).
    pub fn request_started(&self, http2: bool) -> Busy {
        self.0.send_modify(|a| a.on_request_start(http2));
        Busy(self.clone())
    }

    /// Asks the connection's task to close: at once if it is not busy,
    /// after the requests in flight otherwise. Returns false if it already
    /// was asked.
    pub fn evict(&self) -> bool {
        self.0
            .send_if_modified(|a| !std::mem::replace(&mut a.evicted, true))
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub(crate) struct Busy(Tracker);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.0.send_modify(|a| a.on_request_end(Instant::now()));
    }
}

/// A socket that tells its [`Tracker`] when bytes arrive (for the header
/// clock of the next HTTP/1 request).
pub(crate) struct TrackedIo<T> {
    inner: T,
    tracker: Tracker,
}

impl<T> TrackedIo<T> {
    pub fn new(inner: T, tracker: Tracker) -> Self {
        TrackedIo { inner, tracker }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TrackedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.tracker.bytes_read();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TrackedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::listener::limits::{MaxConnections, Timeout};

    fn limits() -> Limits {
        Limits {
            header_timeout: Timeout::new(Duration::from_secs(10)).unwrap(),
            idle_timeout: Timeout::new(Duration::from_secs(60)).unwrap(),
            request_timeout: Timeout::new(Duration::from_secs(30)).unwrap(),
            max_connections: MaxConnections::new(10).unwrap(),
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_new_connection_has_the_header_timeout_from_its_accept() {
        let t0 = Instant::now();
        let mut a = Activity::opened(t0);
        // Bytes of the first request do not move the deadline: the whole
        // handshake and head share one budget.
        assert!(!a.on_read(t0 + secs(5)));
        assert_eq!(
            next_step(&a, &limits(), None),
            Some((
                t0 + secs(10),
                Step::Abort("no request within the header timeout")
            ))
        );
    }

    #[test]
    fn an_http1_connection_is_idle_until_the_next_requests_first_byte() {
        let t0 = Instant::now();
        let mut a = Activity::opened(t0);
        a.on_request_start(false);
        assert_eq!(next_step(&a, &limits(), None), None, "busy: no deadline");
        a.on_request_end(t0 + secs(1));
        assert_eq!(
            next_step(&a, &limits(), None),
            Some((t0 + secs(61), Step::CloseIdle))
        );
        assert!(a.on_read(t0 + secs(30)), "the next request's first byte");
        assert!(!a.on_read(t0 + secs(31)), "later bytes change nothing");
        assert_eq!(
            next_step(&a, &limits(), None).map(|(at, _)| at),
            Some(t0 + secs(40)),
            "header timeout from the first byte"
        );
        a.on_request_start(false);
        assert!(a.is_busy());
        assert_eq!(a.stalled_since(), None);
    }

    #[test]
    fn http2_bytes_between_requests_do_not_start_a_header_clock() {
        let t0 = Instant::now();
        let mut a = Activity::opened(t0);
        a.on_request_start(true);
        a.on_request_start(true);
        a.on_request_end(t0 + secs(1));
        assert!(a.is_busy(), "one of two streams still in flight");
        a.on_request_end(t0 + secs(2));
        assert!(!a.on_read(t0 + secs(3)), "a ping or window update");
        assert_eq!(
            next_step(&a, &limits(), None),
            Some((t0 + secs(62), Step::CloseIdle))
        );
        assert_eq!(a.stalled_since(), Some(t0 + secs(2)));
    }

    #[test]
    fn a_graceful_close_that_the_client_does_not_finish_is_cut() {
        let t0 = Instant::now();
        let mut a = Activity::opened(t0);
        a.on_request_start(false);
        a.on_request_end(t0 + secs(1));
        let closing = t0 + secs(61);
        assert_eq!(
            next_step(&a, &limits(), Some(closing)),
            Some((
                t0 + secs(71),
                Step::Abort("the client did not finish closing")
            ))
        );
        // A response finished after the close began still gets its time.
        a.on_request_start(false);
        a.on_request_end(t0 + secs(65));
        assert_eq!(
            next_step(&a, &limits(), Some(closing)).map(|(at, _)| at),
            Some(t0 + secs(75))
        );
    }

    #[tokio::test]
    async fn the_tracker_reports_reads_requests_and_eviction() {
        let tracker = Tracker::new(Instant::now());
        let mut changes = tracker.subscribe();
        changes.borrow_and_update();
        {
            let _busy = tracker.request_started(false);
            assert!(changes.has_changed().unwrap());
            changes.borrow_and_update();
            tracker.bytes_read();
            assert!(
                !changes.has_changed().unwrap(),
                "body bytes of a busy connection"
            );
        }
        assert!(changes.has_changed().unwrap(), "the request ended");
        assert!(matches!(
            changes.borrow_and_update().phase,
            Phase::Idle { .. }
        ));
        tracker.bytes_read();
        assert!(matches!(
            tracker.current().phase,
            Phase::ReceivingHead { .. }
        ));
        assert!(tracker.evict());
        assert!(!tracker.evict(), "asked once");
        assert!(tracker.current().evicted);
    }

    #[tokio::test]
    async fn tracked_io_reports_only_reads_that_brought_bytes() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let tracker = Tracker::new(Instant::now());
        {
            let _busy = tracker.request_started(false);
        }
        let (client, server) = tokio::io::duplex(64);
        let mut io = TrackedIo::new(server, tracker.clone());
        let mut client = client;
        client.write_all(b"GET").await.unwrap();
        let mut buf = [0u8; 3];
        io.read_exact(&mut buf).await.unwrap();
        assert!(matches!(
            tracker.current().phase,
            Phase::ReceivingHead { .. }
        ));
        io.write_all(b"ok").await.unwrap();
        let mut answer = [0u8; 2];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"ok");
    }
}
