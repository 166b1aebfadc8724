//! `kinko proxy`: a real server holds the rules, a real proxy process signs
//! requests from curl, and a local HTTPS upstream (rcgen certificate,
//! trusted through `--ca-file`) records what arrives.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use kinko_testkit::KinkoServer;

use crate::support;

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: hyper::HeaderMap,
}

/// A local HTTPS server that records requests and counts connections.
///
/// `/upload` counts the body's bytes as they stream in; `/download/N`
/// streams N bytes out in 64 KiB chunks; anything else answers `ok`.
struct Upstream {
    port: u16,
    ca_file: PathBuf,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
}

impl Upstream {
    async fn start(dir: &Path) -> Upstream {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .unwrap();
        let ca_file = dir.join("upstream-ca.pem");
        std::fs::write(&ca_file, certified.cert.pem()).unwrap();
        let cert = rustls::pki_types::CertificateDer::from(certified.cert.der().to_vec());
        let key = rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der())
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let (recorded, counted) = (seen.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                counted.fetch_add(1, Ordering::SeqCst);
                let (acceptor, recorded) = (acceptor.clone(), recorded.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |request| {
                        answer(recorded.clone(), request)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Upstream {
            port,
            ca_file,
            seen,
            connections,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

async fn answer(
    recorded: Arc<Mutex<Vec<Seen>>>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    recorded.lock().unwrap().push(Seen {
        method: request.method().to_string(),
        target: request.uri().to_string(),
        headers: request.headers().clone(),
    });
    let path = request.uri().path().to_owned();
    if path == "/upload" {
        let mut body = request.into_body();
        let mut received = 0usize;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                received += data.len();
            }
        }
        return Ok(Response::new(
            Full::new(Bytes::from(format!("received {received}"))).boxed(),
        ));
    }
    if let Some(size) = path.strip_prefix("/download/") {
        let size: usize = size.parse().unwrap();
        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
        let chunks = (0..size.div_ceil(chunk.len())).map(move |i| {
            let len = chunk.len().min(size - i * chunk.len());
            Ok::<_, Infallible>(Frame::data(chunk.slice(..len)))
        });
        let stream = futures::stream::iter(chunks);
        return Ok(Response::new(BodyExt::boxed(StreamBody::new(stream))));
    }
    Ok(Response::new(Full::new(Bytes::from_static(b"ok")).boxed()))
}

/// A `kinko proxy` process reading its rules from `server`.
struct ProxyProcess {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl ProxyProcess {
    fn start(server: &KinkoServer, dir: &Path, ca_file: &Path, extra: &[&str]) -> ProxyProcess {
        let log = dir.join("proxy.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kinko"))
            .args(["proxy", "--listen", "127.0.0.1:0", "--ca-file"])
            .arg(ca_file)
            .args(extra)
            .env("AWS_ENDPOINT_URL", &server.endpoint)
            .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
            .env("AWS_REGION", kinko_testkit::REGION)
            .env("AWS_CONFIG_FILE", dir.join("no-such-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join("no-such-credentials"),
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("KINKO_LOG", "info")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let mut proxy = ProxyProcess {
            child,
            port: 0,
            log,
        };
        let started = Instant::now();
        proxy.port = loop {
            if let Some(port) = proxy.logs().lines().find_map(|l| {
                l.split("listening on 127.0.0.1:")
                    .nth(1)
                    .map(|p| p.trim().to_owned())
            }) {
                break port.parse().unwrap();
            }
            assert!(
                proxy.child.try_wait().unwrap().is_none(),
                "kinko proxy exited: {}",
                proxy.logs()
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{}",
                proxy.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        proxy
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, a clean exit, and the whole log: the proxy buffers its
    /// per-request lines for up to 100 ms and writes the rest as it stops.
    fn stop(&mut self) -> String {
        kinko_testkit::signal(self.child.id(), "TERM");
        let status = self.child.wait().unwrap();
        let logs = self.logs();
        assert!(status.success(), "kinko proxy exited with {status}: {logs}");
        assert!(logs.contains("kinko proxy stopped"), "{logs}");
        logs
    }

    /// Peak resident memory of the proxy process, in KiB.
    fn peak_memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// curl through the proxy: (status, body).
async fn curl(proxy: &ProxyProcess, url: &str, args: &[&str]) -> (u16, String) {
    let output = tokio::process::Command::new("curl")
        .args(["-sS", "--noproxy", "", "-x"])
        .arg(format!("http://127.0.0.1:{}", proxy.port))
        .args(["-w", "\n%{http_code}"])
        .args(args)
        .arg(url)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (
        status
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("curl: {output:?}")),
        body.to_owned(),
    )
}

async fn put(server: &KinkoServer, name: &str, value: &str) {
    server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_kind_arrives_and_no_value_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let server = support::server();
    let upstream = Upstream::start(dir.path()).await;
    let secrets = [
        ("/proxy/localhost/headers/X-Api-Key", "hdr-9f2c1a"),
        ("/proxy/localhost/basic/username", "user-71bd"),
        ("/proxy/localhost/basic/password", "pass-e55a"),
        ("/proxy/localhost/queries/api_key", "qry-3c8d"),
        (
            "/proxy/localhost/rewite/path",
            "/services/T01/B02/old-spelling-4410",
        ),
        ("/proxy/127.0.0.1/headers/Authorization", "Bearer tok-a0b1"),
        (
            "/proxy/127.0.0.1/rewrite/path",
            "/services/T01/B02/new-spelling-77e3",
        ),
        (
            "/proxy/127.0.0.1/rewite/path",
            "/services/T01/B02/loses-9d9d",
        ),
    ];
    for (name, value) in secrets {
        put(&server, name, value).await;
    }
    let mut proxy = ProxyProcess::start(&server, dir.path(), &upstream.ca_file, &[]);
    let port = upstream.port;

    let (status, body) = curl(
        &proxy,
        &format!("http://localhost:{port}/hook?text=hi&api_key=mine"),
        &[
            "-H",
            "X-App: 1",
            "-H",
            "Proxy-Authorization: Basic Zm9vOmJhcg==",
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "ok"), "{}", proxy.logs());
    let (status, _) = curl(
        &proxy,
        &format!("http://127.0.0.1:{port}/anything"),
        &["-X", "POST"],
    )
    .await;
    assert_eq!(status, 200);

    let seen = upstream.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let first = &seen[0];
    assert_eq!(first.method, "GET");
    assert_eq!(
        first.target,
        "/services/T01/B02/old-spelling-4410?text=hi&api_key=qry-3c8d"
    );
    assert_eq!(first.headers["x-api-key"], "hdr-9f2c1a");
    // base64("user-71bd:pass-e55a")
    assert_eq!(
        first.headers["authorization"],
        "Basic dXNlci03MWJkOnBhc3MtZTU1YQ=="
    );
    assert_eq!(first.headers["x-app"], "1");
    assert_eq!(first.headers["host"], format!("localhost:{port}").as_str());
    assert!(first.headers.get("proxy-authorization").is_none());
    assert!(first.headers.get("proxy-connection").is_none());
    let second = &seen[1];
    assert_eq!(second.method, "POST");
    assert_eq!(second.target, "/services/T01/B02/new-spelling-77e3");
    assert_eq!(second.headers["authorization"], "Bearer tok-a0b1");

    // No rule: 407, naming the parameters looked for.
    let (status, body) = curl(&proxy, "http://unconfigured.invalid/x", &[]).await;
    assert_eq!(status, 407, "{body}");
    assert!(
        body.contains("/proxy/unconfigured.invalid/headers/{Header-Name}"),
        "{body}"
    );
    assert!(
        body.contains("/proxy/unconfigured.invalid/basic/username"),
        "{body}"
    );
    assert!(
        body.contains("/proxy/unconfigured.invalid/rewrite/path"),
        "{body}"
    );

    // The upstream down: 502 with a clear body.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, down_body) = curl(&proxy, &format!("http://localhost:{closed}/hook"), &[]).await;
    assert_eq!(status, 502, "{down_body}");
    assert!(
        down_body.contains(&format!(
            "cannot reach the upstream https://localhost:{closed}"
        )),
        "{down_body}"
    );

    // The log has one line per request, and no value anywhere.
    let logs = proxy.stop();
    assert!(
        logs.contains("path=/hook") && logs.contains("status=200"),
        "{logs}"
    );
    assert!(
        logs.contains("status=407") && logs.contains("status=502"),
        "{logs}"
    );
    for (_, value) in secrets {
        for needle in value.split('/').filter(|s| s.len() > 4) {
            assert!(!logs.contains(needle), "{needle} in the log:\n{logs}");
            assert!(!down_body.contains(needle), "{needle} in {down_body}");
        }
    }
    for encoded in ["dXNlci03MWJkOnBhc3MtZTU1YQ", "api_key="] {
        assert!(!logs.contains(encoded), "{encoded} in the log:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_stream_in_bounded_memory_over_reused_connections() {
    const SIZE: usize = 50 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = support::server();
    let upstream = Upstream::start(dir.path()).await;
    put(&server, "/proxy/localhost/headers/X-Api-Key", "k").await;
    let proxy = ProxyProcess::start(&server, dir.path(), &upstream.ca_file, &[]);
    let port = upstream.port;

    // Keep-alive: ten requests from ten curl processes, fewer connections.
    for _ in 0..10 {
        let (status, _) = curl(&proxy, &format!("http://localhost:{port}/small"), &[]).await;
        assert_eq!(status, 200, "{}", proxy.logs());
    }
    let connections = upstream.connections.load(Ordering::SeqCst);
    assert!(
        connections < 10,
        "{connections} upstream connections for 10 requests"
    );

    let file = dir.path().join("upload.bin");
    std::fs::write(&file, vec![b'u'; SIZE]).unwrap();
    let before = proxy.peak_memory_kib();
    let (status, body) = curl(
        &proxy,
        &format!("http://localhost:{port}/upload"),
        &["-T", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, format!("received {SIZE}").as_str())
    );
    let (status, size) = curl(
        &proxy,
        &format!("http://localhost:{port}/download/{SIZE}"),
        &["-o", "/dev/null", "-w", "%{size_download}\n%{http_code}"],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(size.trim(), format!("{SIZE}"));
    let after = proxy.peak_memory_kib();
    // 100 MB went through; the proxy's peak grew by a small fraction of one body.
    assert!(
        after.saturating_sub(before) < 10 * 1024,
        "peak memory grew from {before} KiB to {after} KiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_token_is_used_after_the_ttl_and_an_outage_keeps_the_cached_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = support::server();
    let upstream = Upstream::start(dir.path()).await;
    put(
        &server,
        "/proxy/localhost/headers/Authorization",
        "token old-1",
    )
    .await;
    let mut proxy = ProxyProcess::start(&server, dir.path(), &upstream.ca_file, &["--ttl", "1s"]);
    let url = format!("http://localhost:{}/me", upstream.port);

    assert_eq!(curl(&proxy, &url, &[]).await.0, 200);
    put(
        &server,
        "/proxy/localhost/headers/Authorization",
        "token new-2",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert_eq!(curl(&proxy, &url, &[]).await.0, 200);
        let last = upstream.seen().pop().unwrap();
        if last.headers["authorization"] == "token new-2" {
            break;
        }
        assert_eq!(last.headers["authorization"], "token old-1");
        assert!(
            Instant::now() < deadline,
            "the rotated token was never used"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(upstream.seen()[0].headers["authorization"], "token old-1");

    // The store goes down: requests go on with the cached rule, past
    // several TTLs (each failed refresh is logged, by host only).
    let mut server = server;
    server.kill9();
    let until = Instant::now() + Duration::from_secs(3);
    let mut requests = 0;
    while Instant::now() < until {
        let (status, body) = curl(&proxy, &url, &[]).await;
        assert_eq!(status, 200, "{body}\n{}", proxy.logs());
        requests += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = upstream.seen().pop().unwrap();
    assert_eq!(last.headers["authorization"], "token new-2");
    assert!(requests > 5);
    let logs = proxy.stop();
    assert!(logs.contains("serving the cached ones"), "{logs}");
    assert!(!logs.contains("new-2") && !logs.contains("old-1"), "{logs}");
}
