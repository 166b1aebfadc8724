//! The admin CLI as an operator uses it: `kinko principal|policy|key|audit|
//! assume-role` through the real binary against a real server, with the
//! credentials and endpoint in the environment as `kinko env` gives them,
//! and the aws CLI using what those commands hand out (a key, a rotated
//! profile, a `credential_process`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kinko_testkit::{KinkoServer, REGION};
use serde_json::Value;

use crate::support::server;

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// A policy for a developer: read parameters under /app/dev (SecureStrings
/// too), never /app/prod.
const DEVELOPER_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadDev", "Effect": "Allow", "Action": "ssm:GetParameter",
     "Resource": "arn:aws:ssm:*:*:parameter/app/dev/*"},
    {"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
    {"Sid": "NoProd", "Effect": "Deny", "Action": "ssm:*",
     "Resource": "arn:aws:ssm:*:*:parameter/app/prod/*"}
  ]
}"#;

/// An operator's shell: a private HOME, aws config and credentials files
/// of its own, and the server's admin key and endpoint in the environment.
struct Shell<'a> {
    server: &'a KinkoServer,
    home: tempfile::TempDir,
}

impl<'a> Shell<'a> {
    fn new(server: &'a KinkoServer) -> Self {
        Shell {
            server,
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    fn credentials_file(&self) -> PathBuf {
        self.path("aws-credentials")
    }

    fn config_file(&self) -> PathBuf {
        self.path("aws-config")
    }

    /// Writes `contents` to a file in HOME and returns its path.
    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    /// An environment with nothing of the developer's own AWS setup.
    fn isolated(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        for (name, _) in std::env::vars() {
            if name.starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command
            .env("HOME", self.home.path())
            .env("AWS_CONFIG_FILE", self.config_file())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_file())
            .env("AWS_ENDPOINT_URL", &self.server.endpoint)
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "");
        command
    }

    /// `kinko ARGS` as the admin.
    fn kinko(&self, args: &[&str]) -> Output {
        self.isolated(KINKO)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.server.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.server.secret_access_key)
            .output()
            .unwrap()
    }

    /// `kinko ARGS` as the admin, expected to succeed: its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.kinko(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "kinko {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `kinko ARGS --output json` as the admin: the parsed answer.
    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--output", "json"]);
        let stdout = self.ok(&args);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("kinko {args:?} printed no JSON ({e}): {stdout}"))
    }

    /// The aws CLI with an access key (and token) in the environment.
    fn aws_as(&self, key_id: &str, secret: &str, token: Option<&str>, args: &[&str]) -> Output {
        let mut command = self.isolated("aws");
        command
            .args(args)
            .env("AWS_ACCESS_KEY_ID", key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret);
        if let Some(token) = token {
            command.env("AWS_SESSION_TOKEN", token);
        }
        command.output().unwrap()
    }

    /// The aws CLI as the admin.
    fn aws_admin(&self, args: &[&str]) -> Output {
        self.aws_as(
            &self.server.access_key_id,
            &self.server.secret_access_key,
            None,
            args,
        )
    }

    /// The aws CLI with only a profile (from this shell's files) and, for a
    /// `credential_process`, the admin key for the process it runs.
    fn aws_profile(&self, profile: &str, admin_env: bool, args: &[&str]) -> Output {
        let mut command = self.isolated("aws");
        command.args(args).arg("--profile").arg(profile);
        if admin_env {
            command
                .env("AWS_ACCESS_KEY_ID", &self.server.access_key_id)
                .env("AWS_SECRET_ACCESS_KEY", &self.server.secret_access_key);
        }
        command.output().unwrap()
    }

    fn put_parameter(&self, name: &str, value: &str) {
        let output = self.aws_admin(&[
            "ssm",
            "put-parameter",
            "--name",
            name,
            "--type",
            "SecureString",
            "--value",
            value,
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value of a parameter as the aws CLI printed it.
fn parameter_value(output: &Output) -> String {
    assert!(
        output.status.success(),
        "aws CLI failed: {}",
        stderr(output)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    answer["Parameter"]["Value"].as_str().unwrap().to_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The account id in a principal's ARN.
fn account_of(shell: &Shell<'_>, principal: &str) -> String {
    let shown = shell.json(&["principal", "show", principal]);
    let arn = shown["Principal"]["Arn"].as_str().unwrap().to_owned();
    arn.split(':').nth(4).unwrap().to_owned()
}

/// `kinko policy simulate` of sts:AssumeRole on a role decides with the
/// role's trust policy, and names the statement that decided.
#[tokio::test(flavor = "multi_thread")]
async fn simulating_assume_role_reads_the_trust_policy() {
    let server = server();
    let shell = Shell::new(&server);
    let account = account_of(&shell, "admin");
    shell.ok(&["principal", "create", "dev"]);
    shell.ok(&["principal", "create", "ops"]);
    let assume_any = shell.file(
        "assume-any.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    );
    shell.ok(&["policy", "put", "ops", "assume", &assume_any]);
    let trust = shell.file(
        "trust.json",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"DevOnly","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/dev"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
    );
    shell.ok(&[
        "principal",
        "create",
        "deploy",
        "--role",
        "--trust-policy",
        &trust,
    ]);
    let role = format!("arn:aws:iam::{account}:role/deploy");
    let simulate = |principal: &str| {
        shell.kinko(&[
            "policy",
            "simulate",
            "--principal",
            principal,
            "--action",
            "sts:AssumeRole",
            "--resource",
            &role,
        ])
    };
    let dev = simulate("dev");
    assert_eq!(dev.status.code(), Some(0), "{}", stderr(&dev));
    assert_eq!(stdout(&dev).trim(), "allowed by trust-policy#DevOnly");
    // ops may sts:AssumeRole on *, but the trust policy names only dev.
    let ops = simulate("ops");
    assert_eq!(ops.status.code(), Some(1), "{}", stderr(&ops));
    assert_eq!(
        stdout(&ops).trim(),
        format!("denied: no statement allows sts:AssumeRole on {role}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_developer_is_set_up_simulated_denied_and_audited() {
    let server = server();
    let shell = Shell::new(&server);
    shell.put_parameter("/app/dev/db", "dev-value");
    shell.put_parameter("/app/prod/db", "prod-value");

    let created = shell.ok(&["principal", "create", "dev", "--tag", "team=web"]);
    assert!(created.contains("dev"), "{created}");
    let listed = shell.json(&["principal", "list"]);
    assert!(
        listed["Principals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["Name"] == "dev" && p["Type"] == "User"),
        "{listed}"
    );
    let shown = shell.ok(&["principal", "show", "dev"]);
    assert!(shown.contains("team=web"), "{shown}");

    // A policy from a file, read back as it was put.
    let policy_file = shell.file("developer.json", DEVELOPER_POLICY);
    shell.ok(&["policy", "put", "dev", "developer", &policy_file]);
    assert_eq!(
        shell.ok(&["policy", "get", "dev", "developer"]).trim_end(),
        DEVELOPER_POLICY
    );
    let policies = shell.ok(&["policy", "list", "dev"]);
    assert!(policies.contains("developer"), "{policies}");

    // A malformed policy is refused with the server's message.
    let broken = shell.file("broken.json", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Action":"*","Resource":"*"}]}"#);
    let refused = shell.kinko(&["policy", "put", "dev", "broken", &broken]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("MalformedPolicyDocument"),
        "{}",
        stderr(&refused)
    );

    // Simulation: allowed, explicitly denied, implicitly denied.
    let account = account_of(&shell, "dev");
    let arn = |name: &str| format!("arn:aws:ssm:{REGION}:{account}:parameter{name}");
    let simulate = |action: &str, resource: &str| {
        shell.kinko(&[
            "policy",
            "simulate",
            "--principal",
            "dev",
            "--action",
            action,
            "--resource",
            resource,
        ])
    };
    let allowed = simulate("ssm:GetParameter", &arn("/app/dev/db"));
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert_eq!(stdout(&allowed).trim(), "allowed by developer#ReadDev");
    let denied = simulate("ssm:GetParameter", &arn("/app/prod/db"));
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    assert_eq!(
        stdout(&denied).trim(),
        "denied by developer#NoProd (explicit deny)"
    );
    let implicit = simulate("ssm:PutParameter", &arn("/app/dev/db"));
    assert_eq!(implicit.status.code(), Some(1), "{}", stderr(&implicit));
    assert_eq!(
        stdout(&implicit).trim(),
        format!(
            "denied: no statement allows ssm:PutParameter on {}",
            arn("/app/dev/db")
        )
    );

    // A key for the developer, as a script takes it.
    let key = shell.json(&["key", "create", "dev"]);
    let key_id = key["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = key["SecretAccessKey"].as_str().unwrap().to_owned();
    assert!(key_id.starts_with("AKIA"), "{key}");
    assert!(!secret.is_empty());
    assert_eq!(key["Principal"], "dev", "{key}");
    assert_eq!(key["Status"], "Active", "{key}");
    assert!(key["CreateDate"].is_number(), "{key}");

    // The aws CLI with that key: /app/dev is readable, /app/prod is not.
    let get = |name: &str| {
        shell.aws_as(
            &key_id,
            &secret,
            None,
            &["ssm", "get-parameter", "--name", name, "--with-decryption"],
        )
    };
    assert_eq!(parameter_value(&get("/app/dev/db")), "dev-value");
    let prod = get("/app/prod/db");
    assert!(!prod.status.success(), "dev read prod: {}", stdout(&prod));
    assert!(stderr(&prod).contains("AccessDenied"), "{}", stderr(&prod));
    assert!(!stderr(&prod).contains("prod-value"));

    // The listing shows the key's last use (written in batches every 5 s).
    let mut keys = shell.json(&["key", "list", "dev"]);
    for _ in 0..60 {
        if keys["AccessKeys"][0]["LastUsedDate"].is_number() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        keys = shell.json(&["key", "list", "dev"]);
    }
    let listed = &keys["AccessKeys"].as_array().unwrap()[0];
    assert_eq!(listed["AccessKeyId"], key_id.as_str(), "{keys}");
    assert!(listed.get("SecretAccessKey").is_none(), "{keys}");
    assert!(listed["LastUsedDate"].is_number(), "{keys}");
    let table = shell.ok(&["key", "list", "dev"]);
    assert!(
        table.contains(&key_id) && table.contains("ssm:GetParameter"),
        "{table}"
    );

    // A deactivated key is refused; activated again, it works.
    shell.ok(&["key", "deactivate", &key_id]);
    let refused = get("/app/dev/db");
    assert!(!refused.status.success(), "{}", stdout(&refused));
    assert!(!stdout(&refused).contains("dev-value"));
    shell.ok(&["key", "activate", &key_id]);
    assert_eq!(parameter_value(&get("/app/dev/db")), "dev-value");

    // The denial is in the audit log, and the chain is intact.
    let denials = shell.ok(&["audit", "query", "--principal", "dev", "--decision", "deny"]);
    assert!(
        denials
            .lines()
            .any(|l| l.contains("ssm:GetParameter") && l.contains("AccessDeniedException")),
        "{denials}"
    );
    let lines = shell.ok(&[
        "audit",
        "query",
        "--decision",
        "deny",
        "--since",
        "1h",
        "--output",
        "json",
    ]);
    let records: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        records.iter().any(|r| r["operation"] == "ssm:GetParameter"
            && r["accessKeyId"] == key_id.as_str()
            && r["decision"] == "deny"),
        "{lines}"
    );
    for record in &records {
        assert_eq!(record["decision"], "deny", "{record}");
        let text = record.to_string();
        assert!(
            !text.contains(&secret) && !text.contains("prod-value"),
            "{text}"
        );
    }
    let tail = shell.ok(&["audit", "tail", "-n", "3"]);
    assert_eq!(tail.lines().count(), 3, "{tail}");

    let verified = shell.kinko(&["audit", "verify"]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(
        stdout(&verified).starts_with("audit log intact: "),
        "{}",
        stdout(&verified)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn key_rotate_writes_a_profile_the_aws_cli_uses() {
    let server = server();
    let shell = Shell::new(&server);
    shell.put_parameter("/ci/token", "ci-value");
    shell.ok(&["principal", "create", "ci"]);
    let policy = shell.file(
        "ci.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","kms:Decrypt"],"Resource":"*"}]}"#,
    );
    shell.ok(&["policy", "put", "ci", "read", &policy]);
    let old = shell.json(&["key", "create", "ci"]);
    let old_id = old["AccessKeyId"].as_str().unwrap().to_owned();
    let old_secret = old["SecretAccessKey"].as_str().unwrap().to_owned();

    // A credentials file with other profiles, comments and a stale token.
    let before = format!(
        "# written by hand\n[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n\
         ; the pipeline's key\n[ci]\naws_access_key_id = {old_id}\naws_secret_access_key = {old_secret}\n\
         aws_session_token = stale\n"
    );
    std::fs::write(shell.credentials_file(), &before).unwrap();
    std::fs::set_permissions(
        shell.credentials_file(),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();

    let rotated = shell.ok(&[
        "key",
        "rotate",
        "ci",
        "--grace",
        "1h",
        "--write-profile",
        "ci",
    ]);
    assert!(
        rotated.contains(&old_id),
        "names the retiring key: {rotated}"
    );
    let after = std::fs::read_to_string(shell.credentials_file()).unwrap();
    assert_eq!(mode(&shell.credentials_file()), 0o600);
    assert!(after.starts_with(
        "# written by hand\n[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n; the pipeline's key\n[ci]\n"
    ), "{after}");
    assert!(
        !after.contains(&old_id) && !after.contains("stale"),
        "{after}"
    );
    let new_id = after
        .lines()
        .skip_while(|l| *l != "[ci]")
        .find_map(|l| l.strip_prefix("aws_access_key_id = "))
        .unwrap()
        .to_owned();
    let new_secret = after
        .lines()
        .skip_while(|l| *l != "[ci]")
        .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
        .unwrap()
        .to_owned();
    // The secret went to the file only.
    assert!(!rotated.contains(&new_secret), "{rotated}");

    // The aws CLI reads the rotated profile.
    let read = shell.aws_profile(
        "ci",
        false,
        &[
            "ssm",
            "get-parameter",
            "--name",
            "/ci/token",
            "--with-decryption",
        ],
    );
    assert_eq!(parameter_value(&read), "ci-value");
    // The old key works through its grace period.
    let old_read = shell.aws_as(
        &old_id,
        &old_secret,
        None,
        &[
            "ssm",
            "get-parameter",
            "--name",
            "/ci/token",
            "--with-decryption",
        ],
    );
    assert_eq!(parameter_value(&old_read), "ci-value");

    let keys = shell.json(&["key", "list", "ci"]);
    let keys = keys["AccessKeys"].as_array().unwrap();
    let old_listed = keys.iter().find(|k| k["AccessKeyId"] == old_id.as_str());
    assert!(
        old_listed.is_some_and(|k| k["RetireDate"].is_number()),
        "{keys:?}"
    );
    assert!(keys.iter().any(|k| k["AccessKeyId"] == new_id.as_str()));

    // --file: a 0600 JSON file, and no secret on stdout.
    shell.ok(&["principal", "create", "deployer"]);
    let key_file = shell.path("deployer-key.json");
    let printed = shell.ok(&[
        "key",
        "create",
        "deployer",
        "--file",
        key_file.to_str().unwrap(),
    ]);
    assert_eq!(mode(&key_file), 0o600);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let secret = written["SecretAccessKey"].as_str().unwrap();
    assert!(written["AccessKeyId"].as_str().unwrap().starts_with("AKIA"));
    assert!(!printed.contains(secret), "{printed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn assume_role_feeds_the_aws_cli_through_credential_process() {
    let server = server();
    let shell = Shell::new(&server);
    shell.put_parameter("/app/prod/db", "prod-value");
    shell.put_parameter("/app/other/db", "other-value");
    shell.ok(&["principal", "create", "app", "--role"]);
    let policy = shell.file(
        "reader.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","kms:Decrypt"],"Resource":["arn:aws:ssm:*:*:parameter/app/prod/*","arn:aws:kms:*:*:key/*","arn:aws:kms:*:*:alias/*"]}]}"#,
    );
    shell.ok(&["policy", "put", "app", "reader", &policy]);

    // Shell lines.
    let env = shell.ok(&[
        "assume-role",
        "app",
        "--session-name",
        "e2e",
        "--output",
        "env",
    ]);
    let exported = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_owned())
            .unwrap_or_else(|| panic!("no {name} in {env}"))
    };
    let (key_id, secret, token) = (
        exported("AWS_ACCESS_KEY_ID"),
        exported("AWS_SECRET_ACCESS_KEY"),
        exported("AWS_SESSION_TOKEN"),
    );
    assert!(!token.is_empty());
    let read = shell.aws_as(
        &key_id,
        &secret,
        Some(&token),
        &[
            "ssm",
            "get-parameter",
            "--name",
            "/app/prod/db",
            "--with-decryption",
        ],
    );
    assert_eq!(parameter_value(&read), "prod-value");

    // The credential_process format.
    let process: Value = serde_json::from_str(&shell.ok(&[
        "assume-role",
        "app",
        "--session-name",
        "e2e",
        "--duration",
        "15m",
        "--output",
        "credential-process",
    ]))
    .unwrap();
    assert_eq!(process["Version"], 1, "{process}");
    assert!(process["SessionToken"].is_string(), "{process}");
    let expiration = process["Expiration"].as_str().unwrap();
    assert!(
        expiration.ends_with('Z') && expiration.contains('T'),
        "{process}"
    );

    // A profile that runs it: the aws CLI reads prod and is refused the rest.
    std::fs::write(
        shell.config_file(),
        format!(
            "[profile app]\ncredential_process = {KINKO} assume-role app --session-name e2e --output credential-process\nregion = {REGION}\n"
        ),
    )
    .unwrap();
    let read = shell.aws_profile(
        "app",
        true,
        &[
            "ssm",
            "get-parameter",
            "--name",
            "/app/prod/db",
            "--with-decryption",
        ],
    );
    assert_eq!(parameter_value(&read), "prod-value");
    let refused = shell.aws_profile(
        "app",
        true,
        &[
            "ssm",
            "get-parameter",
            "--name",
            "/app/other/db",
            "--with-decryption",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("AccessDenied"),
        "{}",
        stderr(&refused)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_exit_2_with_the_server_message() {
    let server = server();
    let shell = Shell::new(&server);

    let missing = shell.kinko(&["principal", "show", "nobody"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("NoSuchEntityException"),
        "{}",
        stderr(&missing)
    );

    shell.ok(&["principal", "create", "twice"]);
    let again = shell.kinko(&["principal", "create", "twice"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("EntityAlreadyExistsException"));

    // A principal without policies is refused the admin API by name.
    let key = shell.json(&["key", "create", "twice"]);
    let denied = shell
        .isolated(KINKO)
        .args(["principal", "list"])
        .env("AWS_ACCESS_KEY_ID", key["AccessKeyId"].as_str().unwrap())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            key["SecretAccessKey"].as_str().unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(denied.status.code(), Some(2));
    assert!(
        stderr(&denied).contains("AccessDeniedException: ")
            && stderr(&denied).contains("kinko:ListPrincipals"),
        "{}",
        stderr(&denied)
    );

    // Usage errors are 2 as well, and no endpoint says how to set one.
    let usage = shell.kinko(&["policy", "simulate", "--principal", "x"]);
    assert_eq!(usage.status.code(), Some(2));
    let nowhere = shell
        .isolated(KINKO)
        .args(["principal", "list"])
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .output()
        .unwrap();
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(
        stderr(&nowhere).contains("kinko env"),
        "{}",
        stderr(&nowhere)
    );
}
