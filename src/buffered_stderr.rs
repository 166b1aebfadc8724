//! Standard error with a buffer, for logs that have a line per request.
//!
//! `kinko proxy` logs every request it forwards; that log cost 8–10 µs of
//! the proxy's ~55 µs of CPU per request (bench/proxy/README.md), a
//! `write(2)` per line and the formatting. Here lines are gathered in
//! memory (the formatting stays with tracing-subscriber) and written
//! together: when 32 KiB have piled up, at the latest every 100 ms (a small
//! flusher thread), at once for warnings and errors (a problem shows when it
//! happens), and when the [`FlushOnDrop`] guard goes at exit. The same trade
//! as nginx's `access_log … buffer=… flush=…`: an info line can show up to
//! 100 ms late, and a process killed with SIGKILL loses at most that much.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Lines are written once this much is buffered.
const FLUSH_AT: usize = 32 * 1024;
/// And at the latest after this long.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// A [`MakeWriter`] for `tracing_subscriber::fmt` that buffers lines.
#[derive(Clone)]
pub struct BufferedStderr {
    shared: Arc<Shared>,
}

struct Shared {
    buffer: Mutex<Buffer>,
    stopping: Mutex<bool>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // A panic while holding the lock leaves whole lines at worst.
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes out what is buffered (under the lock, so lines keep their order).
    fn flush(&self) {
        self.lock().write_out();
    }
}

/// Lines not written yet, and where they go (standard error; a test's
/// vector in tests).
struct Buffer {
    lines: Vec<u8>,
    out: Box<dyn Write + Send>,
}

impl Buffer {
    fn write_out(&mut self) {
        if self.lines.is_empty() {
            return;
        }
        // Nowhere to report a failing standard error: the lines are dropped.
        let _ = self.out.write_all(&self.lines);
        let _ = self.out.flush();
        self.lines.clear();
    }
}

/// Flushes the buffer and stops the flusher thread when dropped: keep it
/// alive in `main` (or the subcommand's `run`) until the end.
#[must_use = "dropping the guard flushes and stops the buffered log at once"]
pub struct FlushOnDrop {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

impl BufferedStderr {
    /// The writer, and the guard that owns its flusher thread.
    pub fn start() -> (BufferedStderr, FlushOnDrop) {
        let shared = Shared::new(Box::new(std::io::stderr()));
        let flusher = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("log-flush".into())
                .spawn(move || flush_until_stopped(&shared))
                .ok()
        };
        let writer = BufferedStderr {
            shared: shared.clone(),
        };
        (writer, FlushOnDrop { shared, flusher })
    }
}

impl Shared {
    fn new(out: Box<dyn Write + Send>) -> Arc<Shared> {
        Arc::new(Shared {
            buffer: Mutex::new(Buffer {
                lines: Vec::with_capacity(FLUSH_AT * 2),
                out,
            }),
            stopping: Mutex::new(false),
            wake: Condvar::new(),
        })
    }
}

fn flush_until_stopped(shared: &Shared) {
    let mut stopping = shared
        .stopping
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    while !*stopping {
        stopping = shared
            .wake
            .wait_timeout(stopping, FLUSH_EVERY)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        shared.flush();
    }
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        *self
            .shared
            .stopping
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.shared.wake.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
        // Without a flusher thread (it could not start) this is the only flush.
        self.shared.flush();
    }
}

/// One event's writer: `fmt` formats the whole line, then writes it here.
pub struct LineWriter<'a> {
    shared: &'a Shared,
    at_once: bool,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.shared.lock();
        buffer.lines.extend_from_slice(bytes);
        if self.at_once || buffer.lines.len() >= FLUSH_AT {
            buffer.write_out();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferedStderr {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
            at_once: false,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
            // ERROR and WARN: tracing orders levels from ERROR (least verbose) up.
            at_once: *meta.level() <= Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a test's lines go once written out.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl Write for Written {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Written {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// A writer and guard writing to a vector; without the flusher thread
    /// unless asked, so only the test decides when lines are written.
    fn writing_to(written: &Written, flusher: bool) -> (BufferedStderr, FlushOnDrop) {
        let shared = Shared::new(Box::new(written.clone()));
        let flusher = flusher.then(|| {
            let shared = shared.clone();
            std::thread::spawn(move || flush_until_stopped(&shared))
        });
        let guard = FlushOnDrop {
            shared: shared.clone(),
            flusher,
        };
        (BufferedStderr { shared }, guard)
    }

    #[test]
    fn info_lines_wait_in_the_buffer_and_the_guard_writes_them_in_order() {
        let written = Written::default();
        let (writer, guard) = writing_to(&written, false);
        writer.make_writer().write_all(b"one request\n").unwrap();
        writer.make_writer().write_all(b"another\n").unwrap();
        assert_eq!(written.text(), "");
        drop(guard);
        assert_eq!(written.text(), "one request\nanother\n");
    }

    #[test]
    fn a_full_buffer_is_written_at_once() {
        let written = Written::default();
        let (writer, _guard) = writing_to(&written, false);
        let line = [b'x'; 1000];
        for _ in 0..FLUSH_AT / line.len() {
            writer.make_writer().write_all(&line).unwrap();
        }
        assert_eq!(written.text(), "", "just under the threshold");
        writer.make_writer().write_all(&line).unwrap();
        assert_eq!(
            written.text().len(),
            (FLUSH_AT / line.len() + 1) * line.len()
        );
    }

    #[test]
    fn warnings_go_out_at_once_and_take_the_waiting_lines_with_them() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let written = Written::default();
        let (writer, _guard) = writing_to(&written, false);
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(path = "/user/repos", "proxied");
            assert_eq!(written.text(), "", "an info line waits");
            tracing::warn!("the upstream is down");
        });
        let text = written.text();
        let info = text.find("proxied").expect("the info line");
        let warning = text.find("the upstream is down").expect("the warning");
        assert!(info < warning, "lines keep their order: {text}");
    }

    #[test]
    fn the_flusher_thread_writes_the_buffer_out() {
        let written = Written::default();
        let (writer, _guard) = writing_to(&written, true);
        writer.make_writer().write_all(b"a line\n").unwrap();
        // Polled, not timed: waits for the flusher however slow the
        // machine is, and fails only if it never writes (after 60 s).
        for _ in 0..6000 {
            if written.text() == "a line\n" {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the flusher thread never wrote the buffer out");
    }
}
