//! TLS: given a certificate and key, the server speaks HTTPS (rustls), and
//! the aws CLI works against it with the CA bundle.

use std::process::Command;

use kinko_testkit::KinkoServer;

/// A self-signed certificate for 127.0.0.1 made with the openssl CLI.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    (cert, key)
}

#[test]
fn serves_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let server = KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .arg("--tls-cert")
        .arg(cert.to_str().unwrap())
        .arg("--tls-key")
        .arg(key.to_str().unwrap())
        .start();
    assert!(
        server.endpoint.starts_with("https://127.0.0.1:"),
        "{}",
        server.endpoint
    );

    // The certificate verifies against itself as the CA: a real TLS handshake.
    let health = Command::new("curl")
        .args(["-s", "--cacert"])
        .arg(&cert)
        .arg(format!("{}/health", server.endpoint))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&health.stdout),
        r#"{"status":"ok"}"#
    );

    let ca = cert.to_str().unwrap();
    let put = server.aws_cli(&[
        "ssm",
        "put-parameter",
        "--ca-bundle",
        ca,
        "--name",
        "/tls/x",
        "--type",
        "SecureString",
        "--value",
        "over-tls",
    ]);
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    let get = server.aws_cli(&[
        "ssm",
        "get-parameter",
        "--ca-bundle",
        ca,
        "--name",
        "/tls/x",
        "--with-decryption",
        "--query",
        "Parameter.Value",
        "--output",
        "text",
    ]);
    assert!(
        get.status.success(),
        "{}",
        String::from_utf8_lossy(&get.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "over-tls");

    // Plain HTTP to the TLS port is not served.
    let plain = server.endpoint.replace("https://", "http://");
    assert_ne!(
        kinko_testkit::http_get(&plain, "/health").map(|r| r.0),
        Some(200)
    );
}

#[test]
fn a_stalled_tls_handshake_is_cut_by_the_header_timeout() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let server = KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .arg("--tls-cert")
        .arg(cert.to_str().unwrap())
        .arg("--tls-key")
        .arg(key.to_str().unwrap())
        .arg("--header-timeout")
        .arg("2s")
        .start();
    let addr = server.endpoint.strip_prefix("https://").unwrap();
    // One sends nothing; one starts a ClientHello record and stops.
    let mut silent = std::net::TcpStream::connect(addr).unwrap();
    let mut partial = std::net::TcpStream::connect(addr).unwrap();
    partial
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    let opened = Instant::now();
    for stream in [&mut silent, &mut partial] {
        // A bound on waiting, far beyond the timeout.
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut buf = [0u8; 64];
        match stream.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("the stalled handshake was not cut: {other:?}"),
        }
    }
    assert!(
        opened.elapsed() >= Duration::from_millis(1500),
        "cut after {:?}, before the 2 s header timeout",
        opened.elapsed()
    );
    // The server still completes real handshakes.
    let health = Command::new("curl")
        .args(["-s", "--cacert"])
        .arg(&cert)
        .arg(format!("{}/health", server.endpoint))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&health.stdout),
        r#"{"status":"ok"}"#
    );
}
