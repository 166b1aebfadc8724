//! Where "now" comes from, for every service and scheduler job of a server.
//!
//! Injectable so that time-driven behaviour (deletion windows, parameter
//! policies, webhook retry windows, rotation schedules) is tested by moving
//! a clock, never by sleeping: unit tests use their own [`Clock`], end-to-end
//! tests start the server with `--test-clock-file` ([`FileClock`]).

use std::path::PathBuf;

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond()
    }
}

/// A test's clock: the wall clock moved by the signed number of
/// milliseconds written in a file, read on every call (a missing or
/// unreadable file is an offset of 0). A test moves the server's time
/// forward by rewriting the file. Only ever enabled by a hidden flag.
#[derive(Debug, Clone)]
pub struct FileClock {
    path: PathBuf,
}

impl FileClock {
    pub fn new(path: PathBuf) -> FileClock {
        FileClock { path }
    }

    fn offset_ms(&self) -> i64 {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Clock for FileClock {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms().saturating_add(self.offset_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_clock_moves_by_the_offset_in_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offset");
        let clock = FileClock::new(path.clone());
        let before = SystemClock.now_ms();
        assert!(clock.now_ms() >= before, "no file: the wall clock");
        std::fs::write(&path, "86400000\n").unwrap();
        let moved = clock.now_ms();
        assert!(moved >= before + 86_400_000);
        assert!(moved < SystemClock.now_ms() + 86_400_000 + 60_000);
        std::fs::write(&path, "not a number").unwrap();
        assert!(clock.now_ms() < before + 86_400_000, "garbage: no offset");
    }
}
