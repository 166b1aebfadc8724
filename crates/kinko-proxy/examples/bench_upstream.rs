//! A stand-in for a remote API in bench/proxy/run.sh: answers every
//! request with a small body after a fixed service time, as an upstream on
//! the other side of the internet would, without using the CPU meanwhile.
//!
//! Usage: bench_upstream [DELAY_MS] (default 5); prints
//! `listening on 127.0.0.1:PORT` and serves until killed.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let delay_ms: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 5,
    };
    let delay = Duration::from_millis(delay_ms);
    // One thread: waiting costs nothing, and the benchmark's cores are
    // left to the load generator and the proxy.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        eprintln!("listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(move |_request| async move {
                    // Not tokio's timer: it counts in whole milliseconds and
                    // rounds each wait up to the next tick (a 5 ms answer
                    // took 6.4 ms), by an amount that depends on when in the
                    // millisecond the request came, which a proxy in the
                    // path shifts. A remote API's time is not quantised; a
                    // blocking thread's sleep answers in 5.4–5.6 ms here.
                    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(delay)).await;
                    Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                        b"{\"ok\":true}",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
