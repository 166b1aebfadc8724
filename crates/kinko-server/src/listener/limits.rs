//! The limits that keep one client from holding the server: how long a
//! connection may take over a request's headers, stay idle, or send a body,
//! and how many connections may be open at once.

use std::num::NonZeroUsize;
use std::time::Duration;

/// A timeout the listener enforces: more than zero (a server without it can
/// be held by one client) and at most [`Timeout::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timeout(Duration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutError {
    #[error("must be more than 0")]
    Zero,
    #[error("must be at most 24h, not {0:?}")]
    TooLong(Duration),
}

impl Timeout {
    /// Far beyond any useful setting, and small enough that adding it to an
    /// `Instant` cannot overflow.
    pub const MAX: Duration = Duration::from_secs(24 * 3600);

    pub fn new(duration: Duration) -> Result<Timeout, TimeoutError> {
        if duration.is_zero() {
            Err(TimeoutError::Zero)
        } else if duration > Self::MAX {
            Err(TimeoutError::TooLong(duration))
        } else {
            Ok(Timeout(duration))
        }
    }

    pub const fn get(self) -> Duration {
        self.0
    }
}

/// How the listener bounds what a client can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A new connection must finish its TLS handshake and send its first
    /// request's headers within this; on a kept-alive HTTP/1.1 connection a
    /// request's headers must arrive within this of its first byte.
    pub header_timeout: Timeout,
    /// A connection with no request in flight is closed after this (HTTP/2
    /// gets a GOAWAY first).
    pub idle_timeout: Timeout,
    /// A request's body must arrive within this of the end of its headers.
    pub request_timeout: Timeout,
    /// Connections open at once; when all are taken, the one that has gone
    /// longest without a request in flight is closed to make room.
    pub max_connections: MaxConnections,
}

impl Limits {
    pub const DEFAULT_HEADER_TIMEOUT: Timeout = Timeout(Duration::from_secs(10));
    /// AWS's load balancers close idle connections after 60 s too.
    pub const DEFAULT_IDLE_TIMEOUT: Timeout = Timeout(Duration::from_secs(60));
    pub const DEFAULT_REQUEST_TIMEOUT: Timeout = Timeout(Duration::from_secs(30));
}

/// The connection cap: at least 1, at most [`MaxConnections::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MaxConnections(NonZeroUsize);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaxConnectionsError {
    #[error("must be at least 1")]
    Zero,
    #[error("must be at most {max}, not {0}", max = MaxConnections::MAX)]
    TooMany(usize),
}

/// File descriptors kept for the server itself when the default cap is
/// sized from the open-files limit. Measured on a running server: 23 open
/// with the SQLite store (database, WAL and shared-memory files of the writer
/// and readers, standard streams, the runtime's epoll and eventfd, the
/// listener); a PostgreSQL store adds up to 18 sockets (a pool of 16, the
/// LISTEN connection, the purge lock's). The rest is headroom for the audit
/// log file and what a request may open.
pub const RESERVED_FILES: u64 = 64;

/// The largest default cap, and the default when the open-files limit is
/// unknown or unlimited: a server with descriptors to spare still should not
/// hold connections without bound. An idle connection was measured at 8 KiB
/// (never used) to 16 KiB (after a request), so this is about 256 MiB.
pub const FALLBACK_MAX_CONNECTIONS: usize = 16_384;

impl MaxConnections {
    /// A semaphore and a `u32` permit count must hold it.
    pub const MAX: usize = 1 << 20;

    pub fn new(n: usize) -> Result<MaxConnections, MaxConnectionsError> {
        match NonZeroUsize::new(n) {
            None => Err(MaxConnectionsError::Zero),
            Some(_) if n > Self::MAX => Err(MaxConnectionsError::TooMany(n)),
            Some(n) => Ok(MaxConnections(n)),
        }
    }

    pub const fn get(self) -> usize {
        self.0.get()
    }

    /// The default cap for a process that may open `open_files` files (its
    /// soft `RLIMIT_NOFILE`; `None` when unknown or unlimited): the limit
    /// minus [`RESERVED_FILES`] (half the limit when that is smaller), so
    /// connections alone never exhaust the descriptors the store needs.
    pub fn for_open_files(open_files: Option<u64>) -> MaxConnections {
        let n = match open_files {
            None => FALLBACK_MAX_CONNECTIONS,
            Some(limit) => {
                let reserve = RESERVED_FILES.min(limit / 2);
                let room = limit.saturating_sub(reserve).max(1);
                usize::try_from(room)
                    .unwrap_or(usize::MAX)
                    .min(FALLBACK_MAX_CONNECTIONS)
            }
        };
        MaxConnections::new(n).unwrap_or(MaxConnections(NonZeroUsize::MIN))
    }

    /// Whether this many connections fit in `open_files` descriptors beside
    /// the server's own.
    pub fn fits(self, open_files: Option<u64>) -> bool {
        match open_files {
            None => true,
            Some(limit) => {
                (self.get() as u64).saturating_add(RESERVED_FILES.min(limit / 2)) <= limit
            }
        }
    }
}

/// The process's soft limit on open files (`RLIMIT_NOFILE`), or `None` when
/// it is unlimited or cannot be read.
pub fn open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_more_than_zero_and_at_most_a_day() {
        assert_eq!(Timeout::new(Duration::ZERO), Err(TimeoutError::Zero));
        assert!(Timeout::new(Duration::from_millis(1)).is_ok());
        assert!(Timeout::new(Timeout::MAX).is_ok());
        let too_long = Timeout::MAX + Duration::from_secs(1);
        assert_eq!(Timeout::new(too_long), Err(TimeoutError::TooLong(too_long)));
        assert_eq!(
            TimeoutError::TooLong(Duration::from_secs(90_000)).to_string(),
            "must be at most 24h, not 90000s"
        );
    }

    #[test]
    fn the_connection_cap_is_between_one_and_the_maximum() {
        assert_eq!(MaxConnections::new(0), Err(MaxConnectionsError::Zero));
        assert_eq!(MaxConnections::new(1).map(MaxConnections::get), Ok(1));
        assert!(MaxConnections::new(MaxConnections::MAX).is_ok());
        assert_eq!(
            MaxConnections::new(MaxConnections::MAX + 1),
            Err(MaxConnectionsError::TooMany(MaxConnections::MAX + 1))
        );
    }

    #[test]
    fn the_default_cap_leaves_room_for_the_servers_own_files() {
        let cap = |limit| MaxConnections::for_open_files(limit).get();
        assert_eq!(cap(Some(1024)), 960);
        assert_eq!(cap(Some(10_000)), 9_936);
        // Small limits keep half for the server.
        assert_eq!(cap(Some(64)), 32);
        assert_eq!(cap(Some(1)), 1);
        assert_eq!(cap(Some(0)), 1);
        // Large or no limits: the fallback bound.
        assert_eq!(cap(Some(1 << 30)), FALLBACK_MAX_CONNECTIONS);
        assert_eq!(cap(None), FALLBACK_MAX_CONNECTIONS);
        for limit in [64, 1024, 10_000, 1 << 30] {
            assert!(MaxConnections::for_open_files(Some(limit)).fits(Some(limit)));
        }
        let cap_1000 = MaxConnections::new(1000).unwrap();
        assert!(!cap_1000.fits(Some(1024)));
        assert!(cap_1000.fits(Some(1064)));
        assert!(cap_1000.fits(None));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_open_files_limit_is_the_one_the_kernel_reports() {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let soft = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .unwrap();
        let expected = soft.parse::<u64>().ok(); // "unlimited" reads as None
        assert_eq!(open_files_limit(), expected);
    }
}
