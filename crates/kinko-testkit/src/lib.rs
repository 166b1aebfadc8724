//! Test support (dev-only): start a real `kinko server` on a free loopback
//! port in a temporary data directory, and talk to it with the official AWS
//! SDK for Rust or the aws CLI, isolated from the developer's own AWS config;
//! or run the same SDK clients against the server's router in this process,
//! with no socket ([`InProcess`]).
//!
//! Every server gets its own port (`127.0.0.1:0`) and directory, so tests run
//! in parallel.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: fail loudly

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ssm::config::Credentials;
use aws_smithy_types::retry::RetryConfig;

mod in_process;
mod sdk;
mod signed;

pub use in_process::{IN_PROCESS_ENDPOINT, InProcess};
use sdk::{Target, sdk_clients};

/// The region tests use unless they say otherwise.
pub const REGION: &str = "us-east-1";

/// How long a server may take to become ready before the test gives up. A
/// bound on waiting, not a performance assertion.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct ServerBuilder {
    binary: PathBuf,
    dev: bool,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    open_files: Option<u32>,
    data_dir: Option<PathBuf>,
}

impl ServerBuilder {
    /// Dev mode: in-memory store, any credentials accepted.
    pub fn dev(mut self) -> Self {
        self.dev = true;
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Runs the server with this open-files limit (`ulimit -n`, soft and
    /// hard), to see what it does when file descriptors run out.
    pub fn open_files_limit(mut self, limit: u32) -> Self {
        self.open_files = Some(limit);
        self
    }

    /// The data directory to use instead of a fresh temporary one (a small
    /// filesystem for the disk-full tests). The caller owns and removes it.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    pub fn start(self) -> KinkoServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = KinkoServer {
            binary: self.binary,
            dev: self.dev,
            args: self.args,
            envs: self.envs,
            open_files: self.open_files,
            data_dir: self.data_dir.unwrap_or_else(|| dir.path().join("data")),
            log_dir: dir.path().to_path_buf(),
            _dir: dir,
            child: None,
            endpoint: String::new(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            starts: 0,
        };
        server.launch();
        server
    }
}

/// A running `kinko server` process. Stopped (SIGKILL) when dropped.
pub struct KinkoServer {
    binary: PathBuf,
    dev: bool,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    open_files: Option<u32>,
    pub data_dir: PathBuf,
    log_dir: PathBuf,
    _dir: tempfile::TempDir,
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    starts: usize,
}

impl KinkoServer {
    /// `binary` is the `kinko` executable (`env!("CARGO_BIN_EXE_kinko")`).
    pub fn builder(binary: impl Into<PathBuf>) -> ServerBuilder {
        ServerBuilder {
            binary: binary.into(),
            dev: false,
            args: Vec::new(),
            envs: Vec::new(),
            open_files: None,
            data_dir: None,
        }
    }

    fn launch(&mut self) {
        self.starts += 1;
        let info = self.data_dir.join("server.json");
        let _ = std::fs::remove_file(&info);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut command = match self.open_files {
            None => Command::new(&self.binary),
            Some(limit) => {
                // The shell sets the limit and becomes the server (same pid).
                let mut shell = Command::new("sh");
                shell
                    .arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(&self.binary);
                shell
            }
        };
        command
            .arg("server")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(&self.args)
            .env_remove("KINKO_ROOT_KEY")
            .env_remove("KINKO_ROOT_PASSPHRASE")
            .env("KINKO_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        if self.dev {
            command.arg("--dev");
        }
        for (k, v) in &self.envs {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn kinko server");
        let started = Instant::now();
        self.endpoint = if self.dev {
            // Dev mode writes no files: read the endpoint from the log line.
            loop {
                if let Some(endpoint) = self
                    .logs()
                    .lines()
                    .rev()
                    .find_map(|l| l.split("listening on ").nth(1).map(|e| e.trim().to_owned()))
                {
                    break endpoint;
                }
                self.check_alive(&mut child, started);
            }
        } else {
            loop {
                if let Ok(text) = std::fs::read_to_string(&info)
                    && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
                {
                    break json["endpoint_url"].as_str().unwrap().to_owned();
                }
                self.check_alive(&mut child, started);
            }
        };
        while health_status(&self.endpoint) != Some(200) {
            self.check_alive(&mut child, started);
        }
        if !self.dev {
            let creds = std::fs::read_to_string(self.data_dir.join("credentials")).unwrap();
            self.access_key_id = ini_value(&creds, "aws_access_key_id");
            self.secret_access_key = ini_value(&creds, "aws_secret_access_key");
        }
        self.child = Some(child);
    }

    fn check_alive(&self, child: &mut Child, started: Instant) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "kinko server exited during start-up ({status}); log:\n{}",
                self.logs()
            );
        }
        assert!(
            started.elapsed() < START_TIMEOUT,
            "kinko server did not become ready; log:\n{}",
            self.logs()
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    pub fn log_path(&self) -> PathBuf {
        self.log_dir.join("server.log")
    }

    /// Everything the server printed (stdout and stderr, all starts).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server running");
        signal(child.id(), "TERM");
        child.wait().expect("wait for kinko server")
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same data directory (a new port).
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
        self.launch();
    }

    /// How this server's SDK clients reach it: over a socket, with the
    /// SDK's own HTTP client.
    fn target(&self) -> Target {
        Target {
            endpoint_url: self.endpoint.clone(),
            http_client: None,
            retry: RetryConfig::disabled(),
        }
    }

    sdk_clients!();

    /// Runs the aws CLI against this server, isolated from the user's AWS
    /// config and credentials.
    pub fn aws_cli(&self, args: &[&str]) -> Output {
        self.aws_cli_command(args)
            .output()
            .expect("run the aws CLI")
    }

    pub fn aws_cli_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("aws");
        command
            .args(args)
            // The aws CLI caches assumed-role and web identity sessions
            // under ~/.aws/cli/cache by role and session name: a HOME of
            // this server's own, or a later run (another server, another
            // root key) is handed a cached session its server cannot open.
            .env("HOME", &self.log_dir)
            .env("AWS_CONFIG_FILE", self.log_dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.log_dir.join("no-aws-credentials"),
            )
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_PAGER", "")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        command
    }

    /// The aws CLI signing with `creds` (a user's key or a role session's).
    pub fn aws_cli_as(&self, creds: &TestCredentials, args: &[&str]) -> Output {
        let mut command = self.aws_cli_command(args);
        command
            .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key);
        if let Some(token) = &creds.session_token {
            command.env("AWS_SESSION_TOKEN", token);
        }
        command.output().expect("run the aws CLI")
    }

    /// A signed STS Query call (`Action=…&Version=2011-06-15&…`) with
    /// `creds`: the status, headers and XML body.
    pub fn sts_as(
        &self,
        creds: &TestCredentials,
        action: &str,
        params: &[(&str, &str)],
    ) -> RawResponse {
        let body = signed::sts_query(action, params);
        let headers = [("content-type", signed::QUERY_CONTENT_TYPE)];
        self.signed_post(creds, "sts", &headers, body.as_bytes())
    }

    /// Path of the store's SQLite file (for tampering tests).
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("kinko.db")
    }

    pub fn data_path(&self, name: &str) -> PathBuf {
        self.data_dir.join(name)
    }
}

impl Drop for KinkoServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Sends signal `name` (`TERM`, `HUP`) to a process, with kill(1).
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// The value of `key` in an aws credentials file's text (a server's
/// `DATA_DIR/credentials`).
pub fn ini_value(text: &str, key: &str) -> String {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {key} in credentials file"))
}

/// `GET /health`; over TLS through curl (the test certificates are
/// self-signed, so verification is not the point of a readiness probe).
fn health_status(endpoint: &str) -> Option<u16> {
    if endpoint.starts_with("https://") {
        let output = Command::new("curl")
            .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}"])
            .arg(format!("{endpoint}/health"))
            .output()
            .ok()?;
        return String::from_utf8_lossy(&output.stdout).trim().parse().ok();
    }
    http_get(endpoint, "/health").map(|(status, _)| status)
}

/// A minimal HTTP/1.1 GET over a plain socket (no client library needed):
/// returns the status and the body.
pub fn http_get(endpoint: &str, path: &str) -> Option<(u16, String)> {
    let host = endpoint.strip_prefix("http://")?;
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// A set of credentials a test signs with (a principal's key, or a role
/// session's temporary credentials).
#[derive(Debug, Clone)]
pub struct TestCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl TestCredentials {
    /// From an admin API answer's `AccessKey` or `Credentials` object.
    pub fn from_json(object: &serde_json::Value) -> TestCredentials {
        TestCredentials {
            access_key_id: object["AccessKeyId"].as_str().unwrap().to_owned(),
            secret_access_key: object["SecretAccessKey"].as_str().unwrap().to_owned(),
            session_token: object["SessionToken"].as_str().map(str::to_owned),
        }
    }

    /// From an STS AssumeRole XML answer's `Credentials`.
    pub fn from_sts_xml(xml: &str) -> TestCredentials {
        let get = |tag: &str| xml_text(xml, tag).unwrap_or_else(|| panic!("no {tag} in {xml}"));
        TestCredentials {
            access_key_id: get("AccessKeyId"),
            secret_access_key: get("SecretAccessKey"),
            session_token: Some(get("SessionToken")),
        }
    }

    /// From `aws sts assume-role --output json`'s answer.
    pub fn from_cli_json(answer: &serde_json::Value) -> TestCredentials {
        Self::from_json(&answer["Credentials"])
    }

    fn provider(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            None,
            "kinko-testkit",
        )
    }
}

impl KinkoServer {
    /// The admin's credentials.
    pub fn admin_credentials(&self) -> TestCredentials {
        TestCredentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: None,
        }
    }

    /// Calls the admin API (`KinkoAdmin.<operation>`) as the admin; panics
    /// on an error answer.
    pub fn admin(&self, operation: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, answer) = self.admin_as(&self.admin_credentials(), operation, body);
        assert_eq!(status, 200, "KinkoAdmin.{operation} failed: {answer}");
        answer
    }

    /// Calls the admin API with `creds`: the status and the JSON answer.
    pub fn admin_as(
        &self,
        creds: &TestCredentials,
        operation: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let target = signed::admin_target(operation);
        let headers = [
            ("content-type", signed::JSON_CONTENT_TYPE),
            ("x-amz-target", &target),
        ];
        let body = body.to_string();
        let (status, _, text) = self.signed_post(creds, "kinko", &headers, body.as_bytes());
        (status, serde_json::from_str(&text).unwrap_or_default())
    }

    /// A SigV4-signed `POST /` over a plain socket.
    pub fn signed_post(
        &self,
        creds: &TestCredentials,
        service: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        let all = signed::post_headers(&self.endpoint, creds, service, headers, body);
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        http_post(&self.endpoint, &all, body).expect("signed POST answered")
    }

    /// A SigV4-signed `GET` of `path_and_query` (e.g. the watch API's
    /// `/changes?after=0`), waiting up to `read_timeout` for the answer.
    pub fn signed_get(
        &self,
        creds: &TestCredentials,
        service: &str,
        path_and_query: &str,
        read_timeout: Duration,
    ) -> RawResponse {
        let all = signed::signed_headers(
            "GET",
            path_and_query,
            &self.endpoint,
            creds,
            service,
            &[],
            b"",
        );
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        http_request(
            &self.endpoint,
            "GET",
            path_and_query,
            &all,
            b"",
            read_timeout,
        )
        .expect("signed GET answered")
    }

    /// Creates a user with the given identity policy and an access key for it.
    pub fn user_with_policy(&self, name: &str, policy: &serde_json::Value) -> TestCredentials {
        self.admin("CreatePrincipal", signed::create_principal(name));
        self.admin("PutPolicy", signed::put_policy(name, policy));
        let key = self.admin("CreateAccessKey", signed::create_access_key(name));
        TestCredentials::from_json(&key["AccessKey"])
    }
}

/// The text of the first `<tag>…</tag>` in an XML answer, unescaped.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Status, lower-cased headers and body of a raw HTTP response.
pub type RawResponse = (u16, Vec<(String, String)>, String);

/// A raw HTTP/1.1 POST (for wire-level tests: bad JSON, missing auth).
pub fn http_post(endpoint: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<RawResponse> {
    http_request(endpoint, "POST", "/", headers, body, Duration::from_secs(5))
}

/// A raw HTTP/1.1 request of any method and path; the answer is read until
/// the server closes or `read_timeout` passes without a byte.
pub fn http_request(
    endpoint: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    read_timeout: Duration,
) -> Option<RawResponse> {
    let host = endpoint.strip_prefix("http://")?;
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(read_timeout)).ok()?;
    let mut request = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some((status, headers, body.to_owned()))
}

/// Finds `needle` in a file's raw bytes (leak tests over the database file).
pub fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.windows(needle.len()).any(|w| w == needle)
}
