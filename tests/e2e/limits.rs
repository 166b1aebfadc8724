//! A server survives idle, slow and greedy clients: slowloris connections
//! are cut by the header timeout, idle keep-alive connections by the idle
//! timeout, stalled bodies get a 408, a server out of file descriptors keeps
//! serving, and none of it holds up a well-behaved AWS SDK client.

use std::time::Duration;

use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
use kinko_testkit::{KinkoServer, REGION};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// How long a test waits for something that should happen within a few
/// seconds before it gives up: a bound on waiting, not a performance check.
const PATIENCE: Duration = Duration::from_secs(30);

fn address(server: &KinkoServer) -> String {
    server
        .endpoint
        .strip_prefix("http://")
        .expect("a plain HTTP server")
        .to_owned()
}

/// An SSM client as an application has it: the SDK's standard retries on
/// (a connection the server closed while idle is retried, as with AWS).
fn application_ssm(server: &KinkoServer) -> aws_sdk_ssm::Client {
    let config = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&server.endpoint)
        .credentials_provider(Credentials::new(
            &server.access_key_id,
            &server.secret_access_key,
            None,
            None,
            "kinko-e2e",
        ))
        .build();
    aws_sdk_ssm::Client::from_conf(config)
}

/// Puts `/limits/probe` and reads it back once, as a well-behaved client.
async fn put_probe(ssm: &aws_sdk_ssm::Client) {
    timeout(
        PATIENCE,
        ssm.put_parameter()
            .name("/limits/probe")
            .value("still served")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send(),
    )
    .await
    .expect("PutParameter answered in time")
    .expect("PutParameter succeeded");
}

async fn read_probe(ssm: &aws_sdk_ssm::Client) {
    let answer = timeout(PATIENCE, ssm.get_parameter().name("/limits/probe").send())
        .await
        .expect("GetParameter answered in time")
        .expect("GetParameter succeeded");
    assert_eq!(
        answer.parameter().and_then(|p| p.value()),
        Some("still served")
    );
}

/// Reads until the server closes the connection (EOF or reset); returns
/// everything read. Panics if it stays open for [`PATIENCE`].
async fn read_until_closed(stream: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match timeout(PATIENCE, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return seen,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the server kept the connection open for {PATIENCE:?}; it sent: {:?}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
}

/// Sends `GET /health` on a kept-alive connection and reads the answer.
async fn health_keep_alive(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: kinko\r\n\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(br#"{"status":"ok"}"#) {
        let n = timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("the health answer in time")
            .unwrap();
        assert!(n > 0, "closed before answering: {seen:?}");
        seen.extend_from_slice(&buf[..n]);
    }
}

/// A slowloris connection: sends `head`, then one more byte every 200 ms
/// without ever ending the headers, until the server closes the
/// connection. Returns how long the connection lived after `head` began.
async fn slowloris(mut stream: TcpStream, head: &'static [u8]) -> Duration {
    let started = Instant::now();
    let (mut reader, mut writer) = stream.split();
    let trickle = async {
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::select! {
        seen = read_until_closed(&mut reader) => {
            assert!(seen.is_empty(), "answered a partial head: {:?}", String::from_utf8_lossy(&seen));
        }
        () = trickle => {}
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn slowloris_connections_are_closed_by_the_header_timeout_while_sdk_clients_are_served() {
    let server = KinkoServer::builder(KINKO)
        .dev()
        .arg("--header-timeout")
        .arg("2s")
        .start();
    let addr = address(&server);
    let mut slow = Vec::new();
    for i in 0..40 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        slow.push(tokio::spawn(async move {
            match i % 3 {
                // Connects and sends nothing.
                0 => {
                    let opened = Instant::now();
                    read_until_closed(&mut stream).await;
                    opened.elapsed()
                }
                // Trickles a request head a byte at a time.
                1 => slowloris(stream, b"POST / HTTP/1.1\r\nHost: kinko\r\nX-Slow: ").await,
                // A served keep-alive connection whose next request trickles.
                _ => {
                    health_keep_alive(&mut stream).await;
                    slowloris(stream, b"GET /health HTTP/1.1\r\nX-Slow: ").await
                }
            }
        }));
    }

    // While they hold their connections, an SDK client is served at once.
    let ssm = application_ssm(&server);
    put_probe(&ssm).await;
    for _ in 0..10 {
        read_probe(&ssm).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        slow.iter().all(|task| !task.is_finished()),
        "a slow connection was closed before the SDK calls were done"
    );

    for task in slow {
        let lived = task.await.unwrap();
        assert!(
            lived >= Duration::from_millis(1500),
            "closed after {lived:?}, before the 2 s header timeout"
        );
    }
    read_probe(&ssm).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = KinkoServer::builder(KINKO)
        .dev()
        .arg("--idle-timeout")
        .arg("2s")
        // Far beyond the wait: only the idle timeout can close it.
        .arg("--header-timeout")
        .arg("60s")
        .start();
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    health_keep_alive(&mut stream).await;
    let idle = Instant::now();
    // A second request on the same connection still works within the timeout.
    health_keep_alive(&mut stream).await;
    let idle_again = Instant::now();
    let seen = read_until_closed(&mut stream).await;
    assert!(seen.is_empty(), "{seen:?}");
    let lived = idle_again.elapsed();
    assert!(
        lived >= Duration::from_millis(1500),
        "closed {lived:?} after the last answer, before the 2 s idle timeout"
    );
    assert!(idle.elapsed() > lived);
}

/// HTTP/2 frames, by hand: enough of a client to send one request and
/// watch the connection afterwards.
mod h2 {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const SETTINGS: u8 = 0x4;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const ACK: u8 = 0x1;
    pub const END_STREAM: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;

    pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut frame = vec![len[1], len[2], len[3], kind, flags];
        frame.extend_from_slice(&stream.to_be_bytes());
        frame.extend_from_slice(payload);
        frame
    }

    /// `GET path` on stream 1 (HPACK: indexed `:method GET`, `:scheme
    /// http`, literal `:path` and `:authority` without indexing).
    pub fn get(path: &str, authority: &str) -> Vec<u8> {
        let mut block = vec![0x82, 0x86];
        for (name_index, value) in [(4u8, path), (1, authority)] {
            block.push(name_index);
            block.push(u8::try_from(value.len()).unwrap());
            block.extend_from_slice(value.as_bytes());
        }
        frame(HEADERS, END_STREAM | END_HEADERS, 1, &block)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_http2_connection_gets_a_goaway_and_is_closed_after_the_idle_timeout() {
    let server = KinkoServer::builder(KINKO)
        .dev()
        .arg("--idle-timeout")
        .arg("2s")
        .arg("--header-timeout")
        .arg("60s")
        .start();
    let addr = address(&server);
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(h2::frame(h2::SETTINGS, 0, 0, &[]));
    hello.extend(h2::get("/health", &addr));
    stream.write_all(&hello).await.unwrap();

    let mut answered_at = None;
    let mut goaway_at = None;
    let mut body = Vec::new();
    loop {
        let mut header = [0u8; 9];
        match timeout(PATIENCE, stream.read_exact(&mut header)).await {
            Err(_) => panic!("the idle HTTP/2 connection stayed open for {PATIENCE:?}"),
            Ok(Err(_)) => break, // closed
            Ok(Ok(_)) => {}
        }
        let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let (kind, flags) = (header[3], header[4]);
        let mut payload = vec![0u8; len];
        stream.read_exact(&mut payload).await.unwrap();
        match kind {
            h2::SETTINGS if flags & h2::ACK == 0 => {
                stream
                    .write_all(&h2::frame(h2::SETTINGS, h2::ACK, 0, &[]))
                    .await
                    .unwrap();
            }
            h2::PING if flags & h2::ACK == 0 => {
                stream
                    .write_all(&h2::frame(h2::PING, h2::ACK, 0, &payload))
                    .await
                    .unwrap();
            }
            h2::HEADERS => assert_eq!(payload.first(), Some(&0x88), "`:status 200`"),
            h2::DATA => {
                body.extend_from_slice(&payload);
                if flags & h2::END_STREAM != 0 {
                    answered_at = Some(Instant::now());
                }
            }
            h2::GOAWAY => {
                goaway_at.get_or_insert_with(Instant::now);
            }
            _ => {}
        }
    }
    assert_eq!(body, br#"{"status":"ok"}"#);
    let answered_at = answered_at.expect("the request was answered");
    let goaway_at = goaway_at.expect("the server said GOAWAY before closing");
    let idle = goaway_at - answered_at;
    assert!(
        idle >= Duration::from_millis(1500),
        "GOAWAY {idle:?} after the answer, before the 2 s idle timeout"
    );
}

/// A signed-looking JSON request whose body never arrives in full.
fn stalled_post(content_length: usize) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: kinko\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AmazonSSM.GetParameter\r\nContent-Length: {content_length}\r\n\r\n{{\"Na"
    )
    .into_bytes()
}

/// Asserts a 408 `RequestTimeoutException` answer, the connection closed.
fn assert_request_timeout(answer: &[u8]) {
    let answer = String::from_utf8_lossy(answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.contains("content-type: application/x-amz-json-1.1"),
        "{answer}"
    );
    assert!(answer.contains("x-amzn-requestid: "), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    assert!(
        answer.contains(r#""__type":"RequestTimeoutException""#),
        "{answer}"
    );
    assert!(
        answer.contains("The request body was not received within 2s"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_or_trickled_body_gets_a_408_and_others_are_served() {
    let server = KinkoServer::builder(KINKO)
        .dev()
        .arg("--request-timeout")
        .arg("2s")
        .start();
    let addr = address(&server);

    let mut stalled = TcpStream::connect(&addr).await.unwrap();
    stalled.write_all(&stalled_post(100)).await.unwrap();
    let stalled = tokio::spawn(async move {
        let started = Instant::now();
        let answer = read_until_closed(&mut stalled).await;
        (started.elapsed(), answer)
    });

    // A byte every 100 ms: the whole body would take 100 s.
    let trickled = TcpStream::connect(&addr).await.unwrap();
    let trickled = tokio::spawn(async move {
        let mut trickled = trickled;
        let started = Instant::now();
        let (mut reader, mut writer) = trickled.split();
        let trickle = async {
            let _ = writer.write_all(&stalled_post(1000)).await;
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if writer.write_all(b" ").await.is_err() {
                    break;
                }
            }
            std::future::pending::<()>().await;
        };
        let answer = tokio::select! {
            answer = read_until_closed(&mut reader) => answer,
            () = trickle => unreachable!(),
        };
        (started.elapsed(), answer)
    });

    let ssm = application_ssm(&server);
    put_probe(&ssm).await;
    read_probe(&ssm).await;

    for task in [stalled, trickled] {
        let (lived, answer) = task.await.unwrap();
        assert_request_timeout(&answer);
        assert!(
            lived >= Duration::from_millis(1500),
            "answered after {lived:?}, before the 2 s request timeout"
        );
    }
    read_probe(&ssm).await;
    assert!(
        server
            .logs()
            .contains("request body not received within the request timeout"),
        "{}",
        server.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_headers_larger_than_64_kib_are_refused() {
    let server = KinkoServer::builder(KINKO).dev().start();
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    let mut request = b"GET /health HTTP/1.1\r\nHost: kinko\r\nX-Big: ".to_vec();
    request.extend(std::iter::repeat_n(b'a', 100 * 1024));
    request.extend_from_slice(b"\r\n\r\n");
    // The server may stop reading (and close) before all of it is written.
    let _ = stream.write_all(&request).await;
    let answer = read_until_closed(&mut stream).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    assert_eq!(
        kinko_testkit::http_get(&server.endpoint, "/health").map(|(status, _)| status),
        Some(200)
    );
}

/// Opens a connection, or gives up after a second (the listen backlog may
/// be full): an attacker does not wait.
async fn try_connect(addr: &str) -> Option<TcpStream> {
    timeout(Duration::from_secs(1), TcpStream::connect(addr))
        .await
        .ok()?
        .ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_fd_limited_server_keeps_serving_while_an_attacker_holds_connections() {
    // 64 files: the default cap leaves half of them for the store and logs.
    // The timeouts are far beyond the test: only the cap can save the server.
    let server = KinkoServer::builder(KINKO)
        .open_files_limit(64)
        .arg("--header-timeout")
        .arg("10m")
        .arg("--idle-timeout")
        .arg("10m")
        .start();
    assert!(
        server.logs().contains("max_connections=32"),
        "{}",
        server.logs()
    );
    let addr = address(&server);
    let ssm = application_ssm(&server);
    put_probe(&ssm).await;

    // The attacker: connections that send nothing, half a head, or one
    // request and then sit idle, far beyond the cap and the file limit,
    // opened all the while the application is working.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = tokio::spawn({
        let addr = addr.clone();
        let stop = stop.clone();
        async move {
            let mut held = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && i < 400 {
                i += 1;
                let Some(mut stream) = try_connect(&addr).await else {
                    continue;
                };
                match i % 3 {
                    0 => {}
                    1 => {
                        let _ = stream.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n").await;
                    }
                    _ => {
                        let _ = stream
                            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                            .await;
                    }
                }
                held.push(stream);
            }
            held
        }
    });
    // Each read from a fresh client (a new process, a cold Lambda): every
    // one needs a new connection while the attacker holds all it can.
    for _ in 0..20 {
        read_probe(&application_ssm(&server)).await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let held = attacker.await.unwrap();
    assert!(held.len() > 64, "the attacker opened only {}", held.len());
    read_probe(&ssm).await;
    assert_eq!(
        kinko_testkit::http_get(&server.endpoint, "/health").map(|(status, _)| status),
        Some(200)
    );

    let logs = server.logs();
    let cap_lines = logs
        .lines()
        .filter(|l| l.contains("connection limit reached"))
        .count();
    assert_eq!(cap_lines, 1, "the cap warning is not logged once:\n{logs}");
    assert!(
        !logs.contains("cannot accept a connection"),
        "the cap did not keep the server within its files:\n{logs}"
    );
    drop(held);
}

/// The `retry_in=…` values of the accept back-off lines, in order.
fn accept_retries(logs: &str) -> Vec<String> {
    logs.lines()
        .filter(|l| l.contains("cannot accept a connection"))
        .filter_map(|l| l.split("retry_in=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn accept_backs_off_when_the_process_runs_out_of_files() {
    // A cap beyond the file limit: accepting fails with EMFILE.
    let server = KinkoServer::builder(KINKO)
        .open_files_limit(64)
        .arg("--max-connections")
        .arg("1000")
        .arg("--header-timeout")
        .arg("3s")
        .start();
    let logs = server.logs();
    assert!(
        logs.contains("--max-connections 1000 leaves too few of the 64 files"),
        "no start-up warning:\n{logs}"
    );
    let addr = address(&server);
    let mut held = Vec::new();
    for _ in 0..100 {
        if let Some(stream) = try_connect(&addr).await {
            held.push(stream);
        }
    }
    // The files run out; the header timeout frees them, and the server
    // serves again without a restart.
    let ssm = application_ssm(&server);
    timeout(Duration::from_secs(120), async {
        loop {
            let answer = ssm.get_parameter().name("/limits/none").send().await;
            match answer {
                Err(e) if crate::support::code(&e) == "ParameterNotFound" => break,
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    })
    .await
    .expect("the server serves again once connections time out");
    drop(held);

    let logs = server.logs();
    let first = logs
        .lines()
        .find(|l| l.contains("cannot accept a connection"))
        .unwrap_or_else(|| panic!("no accept failure logged:\n{logs}"));
    assert!(first.contains("out of file descriptors"), "{first}");
    assert!(first.contains("Too many open files"), "{first}");
    assert!(first.contains("open_files_limit=64"), "{first}");
    let retries = accept_retries(&logs);
    assert_eq!(retries.first().map(String::as_str), Some("5ms"), "{logs}");
    assert!(
        retries.iter().any(|r| r == "10ms"),
        "no doubling: {retries:?}"
    );
    // The files ran out again once the next waiting connections were
    // accepted: the back-off starts over after a success.
    assert!(
        retries.iter().skip(1).any(|r| r == "5ms"),
        "no reset after a success: {retries:?}"
    );
    let allowed = [
        "5ms", "10ms", "20ms", "40ms", "80ms", "160ms", "320ms", "640ms", "1s",
    ];
    assert!(
        retries.iter().all(|r| allowed.contains(&r.as_str())),
        "a delay outside the back-off: {retries:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_closes_idle_and_slow_connections_at_once() {
    let mut server = KinkoServer::builder(KINKO)
        .dev()
        .arg("--header-timeout")
        .arg("10m")
        .arg("--idle-timeout")
        .arg("10m")
        .start();
    let addr = address(&server);
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    health_keep_alive(&mut idle).await;
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    let mut partial = TcpStream::connect(&addr).await.unwrap();
    partial
        .write_all(b"GET /health HTTP/1.1\r\nHost: ")
        .await
        .unwrap();
    // Let the server take them all in.
    health_keep_alive(&mut TcpStream::connect(&addr).await.unwrap()).await;

    let status = tokio::task::block_in_place(|| server.stop());
    assert!(status.success(), "SIGTERM exit status {status}");
    for stream in [&mut idle, &mut silent, &mut partial] {
        read_until_closed(stream).await;
    }
    let logs = server.logs();
    assert!(logs.contains("all connections closed"), "{logs}");
    assert!(!logs.contains("drain timeout"), "{logs}");
}
