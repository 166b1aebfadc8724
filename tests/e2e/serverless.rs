//! The Serverless Framework v3 resolving `${ssm:…}` against kinko, as the
//! README's recipe has it: `serverless` and the `serverless-localstack`
//! plugin installed from npm, kinko listening where the plugin sends the
//! framework's AWS SDK (JS v2, which ignores `AWS_ENDPOINT_URL` by itself),
//! and `serverless print --stage staging` showing the resolved file.
//!
//! Both packages are installed once, at pinned versions, into a cache under
//! the target directory (`target/tmp/npm/…`), and reused by every later run;
//! a half-finished install is never reused (it is renamed into place only
//! when npm succeeded). Without `node`/`npm` or without the npm registry the
//! tests print a note and pass, as the PostgreSQL tests do without a database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, REGION};
use serde_json::{Value, json};

use crate::support::server;

/// The last Serverless Framework v3 release and the plugin release it was
/// checked with. Bump both here (a new cache directory follows).
const SERVERLESS: &str = "3.40.0";
const LOCALSTACK_PLUGIN: &str = "1.4.0";

const DB_PASSWORD: &str = "stg-db-pw-7c1e0a";
const CONFIG: &str = r#"{"feature":"on","limit":3,"token":"cfg-token-55d2"}"#;
const API_SECRET: &str = r#"{"API_KEY":"sm-api-key-2b9f41"}"#;
const PLAIN_SECRET: &str = "sm-plain-token-9e03";

/// Every plaintext a run puts; none may show anywhere but the printed file.
const PLAINTEXTS: &[&str] = &[
    DB_PASSWORD,
    "cfg-token-55d2",
    "sm-api-key-2b9f41",
    PLAIN_SECRET,
];

/// The seed's serverless.yml, with every `${ssm:…}` form Serverless v3
/// resolves through the plugin. `EDGE_PORT` is replaced by the server's
/// port. Not here: `${ssm(REGION):…}`, which the plugin (1.4.0) resolves in
/// the provider's region, since its request hook drops the framework's
/// region option (README, "Serverless Framework v3").
const SERVERLESS_YML: &str = r#"service: serverless-practice
frameworkVersion: "3"
plugins:
  - serverless-localstack
provider:
  name: aws
  runtime: nodejs20.x
  region: us-east-1
  stage: ${opt:stage, 'dev'}
  environment:
    DB_PASSWORD: ${ssm:/serverless-practice/${sls:stage}/db/password}
custom:
  localstack:
    stages: [local, staging]
    host: http://127.0.0.1
    edgePort: EDGE_PORT
    autostart: false
  dbHost: ${ssm:/serverless-practice/staging/db/host}
  hosts: ${ssm:/serverless-practice/staging/hosts}
  hostsRaw: ${ssm(raw):/serverless-practice/staging/hosts}
  config: ${ssm:/serverless-practice/staging/config}
  configRaw: ${ssm(raw):/serverless-practice/staging/config}
  sealed: ${ssm(noDecrypt):/serverless-practice/staging/db/password}
  api: ${ssm:/aws/reference/secretsmanager/serverless-practice/staging/api}
  token: ${ssm:/aws/reference/secretsmanager/serverless-practice/staging/token}
  missing: ${ssm:/serverless-practice/staging/missing, 'fallback'}
  account: ${aws:accountId}
functions:
  hello:
    handler: handler.hello
    environment:
      API_KEY: ${self:custom.api.API_KEY}
"#;

/// The npm cache directory with both packages, or `None` (and a note on
/// stderr) when they cannot be had. Installed once per test process.
fn tools() -> Option<&'static Path> {
    static TOOLS: OnceLock<Option<PathBuf>> = OnceLock::new();
    TOOLS.get_or_init(install).as_deref()
}

fn install() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "npm/serverless-{SERVERLESS}-localstack-{LOCALSTACK_PLUGIN}"
    ));
    if serverless_js(&dir).is_file() {
        return Some(dir);
    }
    let skip = |why: &str| {
        eprintln!(
            "NOTE: skipping the Serverless Framework tests: {why} \
             (they need node, npm and the npm registry to install serverless@{SERVERLESS} \
             and serverless-localstack@{LOCALSTACK_PLUGIN} once)"
        );
        None
    };
    if Command::new("node").arg("--version").output().is_err() {
        return skip("node is not installed");
    }
    // A quick look at the registry: an unreachable one fails or hangs, and
    // `timeout` turns a hang into a failure.
    let probe = Command::new("timeout")
        .args([
            "30",
            "npm",
            "view",
            &format!("serverless@{SERVERLESS}"),
            "version",
        ])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return skip(&format!(
                "the npm registry did not answer ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Err(e) => return skip(&format!("npm could not run ({e})")),
    }
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("package.json"), r#"{"private": true}"#).unwrap();
    let started = std::time::Instant::now();
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-update-notifier",
            "--loglevel=error",
            &format!("serverless@{SERVERLESS}"),
            &format!("serverless-localstack@{LOCALSTACK_PLUGIN}"),
        ])
        .current_dir(&partial)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "npm install failed although the registry answered: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "installed serverless@{SERVERLESS} and serverless-localstack@{LOCALSTACK_PLUGIN} into {} in {:.0?}",
        dir.display(),
        started.elapsed()
    );
    // Another test process may have finished first: keep its copy.
    if std::fs::rename(&partial, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
        assert!(
            serverless_js(&dir).is_file(),
            "no install at {}",
            dir.display()
        );
    }
    Some(dir)
}

fn serverless_js(tools: &Path) -> PathBuf {
    tools.join("node_modules/serverless/bin/serverless.js")
}

/// A service directory holding `yml` as serverless.yml, its `node_modules`
/// a link to the cached install, and an empty home for the framework's own
/// files (so the test neither reads nor writes the user's ~/.serverless).
struct Service {
    dir: tempfile::TempDir,
}

impl Service {
    fn new(tools: &Path, yml: &str) -> Service {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("serverless.yml"), yml).unwrap();
        std::os::unix::fs::symlink(tools.join("node_modules"), dir.path().join("node_modules"))
            .unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Service { dir }
    }

    /// `serverless print --stage staging --format json` with exactly `env`
    /// (plus PATH, HOME and the framework's switches for a quiet, offline
    /// run) and no AWS config or credentials files.
    fn print(&self, tools: &Path, env: &BTreeMap<String, String>) -> Output {
        let dir = self.dir.path();
        Command::new("node")
            .arg(serverless_js(tools))
            .args(["print", "--stage", "staging", "--format", "json"])
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.join("home"))
            .env("SLS_TELEMETRY_DISABLED", "1")
            .env("SLS_NOTIFICATIONS_MODE", "off")
            // A failing call fails at once instead of after ~5 s back-offs.
            .env("SLS_AWS_REQUEST_MAX_RETRIES", "0")
            .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join("no-aws-credentials"),
            )
            .envs(env)
            .output()
            .unwrap()
    }

    /// Every file the framework left in the service directory or its home,
    /// with the test's own serverless.yml left out.
    fn files_written(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
                if kind.is_dir() {
                    walk(&path, out);
                } else if kind.is_file() {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(self.dir.path(), &mut files);
        files.retain(|f| f != &self.dir.path().join("serverless.yml"));
        files
    }
}

/// The keys of the server's admin access key and the region: what a user
/// has after `eval "$(kinko env)"`, without the endpoint.
fn credentials(server: &KinkoServer) -> BTreeMap<String, String> {
    [
        ("AWS_ACCESS_KEY_ID", server.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_access_key.clone()),
        ("AWS_REGION", REGION.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails when `text` holds any plaintext the test put.
fn assert_no_plaintext(what: &str, text: &str) {
    for secret in PLAINTEXTS {
        assert!(
            !text.contains(secret),
            "{what} shows the value {secret:?}:\n{text}"
        );
    }
}

async fn put(server: &KinkoServer, region: &str, name: &str, value: &str, kind: ParameterType) {
    server
        .ssm_in(region)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .send()
        .await
        .unwrap();
}

async fn seed(server: &KinkoServer) {
    let p = "/serverless-practice/staging";
    put(
        server,
        REGION,
        &format!("{p}/db/password"),
        DB_PASSWORD,
        ParameterType::SecureString,
    )
    .await;
    put(
        server,
        REGION,
        &format!("{p}/db/host"),
        "db.staging.internal",
        ParameterType::String,
    )
    .await;
    put(
        server,
        REGION,
        &format!("{p}/hosts"),
        "a.internal,b.internal",
        ParameterType::StringList,
    )
    .await;
    put(
        server,
        REGION,
        &format!("{p}/config"),
        CONFIG,
        ParameterType::SecureString,
    )
    .await;
    for (name, value) in [("api", API_SECRET), ("token", PLAIN_SECRET)] {
        server
            .secrets()
            .create_secret()
            .name(format!("serverless-practice/staging/{name}"))
            .secret_string(value)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn serverless_v3_resolves_every_ssm_form_through_the_localstack_plugin() {
    let Some(tools) = tools() else { return };
    let server = server();
    seed(&server).await;
    let port = server.endpoint.rsplit(':').next().unwrap();
    let service = Service::new(tools, &SERVERLESS_YML.replace("EDGE_PORT", port));

    // No AWS_ENDPOINT_URL: only the plugin's host and edgePort lead to kinko.
    let out = service.print(tools, &credentials(&server));
    assert!(
        out.status.success(),
        "serverless print failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let printed: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(&out)));
    let custom = &printed["custom"];

    assert_eq!(printed["provider"]["stage"], "staging");
    // A nested `${sls:stage}` in the path, a SecureString decrypted.
    assert_eq!(
        printed["provider"]["environment"]["DB_PASSWORD"],
        DB_PASSWORD
    );
    assert_eq!(custom["dbHost"], "db.staging.internal");
    // A StringList is a YAML list, `raw` keeps the text.
    assert_eq!(custom["hosts"], json!(["a.internal", "b.internal"]));
    assert_eq!(custom["hostsRaw"], "a.internal,b.internal");
    // A SecureString holding JSON is parsed, `raw` keeps the text.
    assert_eq!(
        custom["config"],
        serde_json::from_str::<Value>(CONFIG).unwrap()
    );
    assert_eq!(custom["configRaw"], CONFIG);
    // `noDecrypt` gets what AWS gives without decryption: not the value.
    let sealed = custom["sealed"].as_str().unwrap();
    assert!(
        !sealed.is_empty() && !sealed.contains(DB_PASSWORD),
        "{sealed}"
    );
    // Secrets Manager through Parameter Store: JSON parsed, text as is.
    assert_eq!(custom["api"], json!({"API_KEY": "sm-api-key-2b9f41"}));
    assert_eq!(
        printed["functions"]["hello"]["environment"]["API_KEY"],
        "sm-api-key-2b9f41"
    );
    assert_eq!(custom["token"], PLAIN_SECRET);
    // A missing parameter (ParameterNotFound) takes the fallback.
    assert_eq!(custom["missing"], "fallback");
    // `${aws:accountId}` is STS GetCallerIdentity: kinko's account.
    assert_eq!(custom["account"], "000000000000");

    // The values are in the printed file and nowhere else.
    assert_no_plaintext("serverless's stderr", &stderr(&out));
    assert_no_plaintext("kinko's log", &server.logs());
    for file in service.files_written() {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert_no_plaintext(&file.display().to_string(), &text);
    }
}

#[tokio::test]
async fn serverless_v3_follows_aws_endpoint_url_from_kinko_env() {
    let Some(tools) = tools() else { return };
    let server = server();
    seed(&server).await;
    // The plugin with no host or port: `kinko env`'s AWS_ENDPOINT_URL
    // (which the plugin reads, though the SDK would not) says where.
    let service = Service::new(
        tools,
        "service: serverless-practice\n\
         frameworkVersion: \"3\"\n\
         plugins: [serverless-localstack]\n\
         provider: {name: aws, runtime: nodejs20.x, region: us-east-1}\n\
         custom:\n  localstack: {stages: [staging], autostart: false}\n  \
         dbPassword: ${ssm:/serverless-practice/staging/db/password}\n",
    );
    let env = Command::new(env!("CARGO_BIN_EXE_kinko"))
        .args(["env", "--data-dir"])
        .arg(&server.data_dir)
        .output()
        .unwrap();
    assert!(env.status.success(), "{}", stderr(&env));
    let exports: BTreeMap<String, String> = stdout(&env)
        .lines()
        .filter_map(|line| line.strip_prefix("export "))
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap();
            (name.to_owned(), value.trim_matches('\'').to_owned())
        })
        .collect();
    assert_eq!(exports["AWS_ENDPOINT_URL"], server.endpoint);

    let out = service.print(tools, &exports);
    assert!(
        out.status.success(),
        "serverless print failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["custom"]["dbPassword"], DB_PASSWORD);
    assert_no_plaintext("serverless's stderr", &stderr(&out));
}

#[tokio::test]
async fn serverless_v3_refuses_the_legacy_tilde_true_suffix_as_aws_does() {
    let Some(tools) = tools() else { return };
    let server = server();
    seed(&server).await;
    let port = server.endpoint.rsplit(':').next().unwrap();
    // v3 decrypts by default and sends `~true` as part of the name, which
    // Parameter Store refuses; `kinko render` still accepts the v1/v2 form.
    let service = Service::new(
        tools,
        &format!(
            "service: serverless-practice\n\
             frameworkVersion: \"3\"\n\
             plugins: [serverless-localstack]\n\
             provider: {{name: aws, runtime: nodejs20.x, region: us-east-1}}\n\
             custom:\n  localstack: {{stages: [staging], host: 'http://127.0.0.1', edgePort: {port}, autostart: false}}\n  \
             legacy: ${{ssm:/serverless-practice/staging/db/password~true}}\n"
        ),
    );
    let out = service.print(tools, &credentials(&server));
    assert!(!out.status.success(), "{}", stdout(&out));
    // The framework writes its error to stdout.
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains("custom.legacy")
            && said.contains("each sub-path can be formed as a mix of letters, numbers"),
        "{said}"
    );
    assert_no_plaintext("serverless's output", &said);
}
