//! `kinko key …`: access keys (create, list, activate, deactivate, delete,
//! rotate). A new key's secret is shown once: printed, or written to a 0600
//! JSON file, or into a profile of an aws credentials file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use kinko_client::admin::AdminClient;
use serde_json::{Value, json};

use super::admin::{self, Connection, date, list, parse_duration, print_json, text};
use super::client::{self, Output};

/// The longest grace `RotateAccessKey` accepts.
const MAX_GRACE: Duration = Duration::from_secs(7 * 86_400);
/// The keys of a profile that hold one key pair; `aws_session_token` goes
/// because a stale token beside a long-lived key breaks every call.
const KEY_ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const SESSION_TOKEN: &str = "aws_session_token";

#[derive(Debug, clap::Args)]
pub struct KeyArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Text for people, or JSON for programs
    #[arg(long, value_enum, global = true, default_value_t = Output::Text)]
    pub output: Output,
    #[command(subcommand)]
    pub command: KeyCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Create an access key for PRINCIPAL; its secret is shown once
    ///
    /// With --output json, prints one JSON object with AccessKeyId,
    /// SecretAccessKey, Principal, Status and CreateDate.
    Create {
        principal: String,
        #[command(flatten)]
        destination: Destination,
    },
    /// List access keys (of one principal, or of all) with their last use
    List { principal: Option<String> },
    /// Stop a key from working (it can be activated again)
    Deactivate {
        #[arg(value_name = "ACCESS-KEY-ID")]
        access_key_id: String,
    },
    /// Let a deactivated key work again
    Activate {
        #[arg(value_name = "ACCESS-KEY-ID")]
        access_key_id: String,
    },
    /// Delete a key for good
    Delete {
        #[arg(value_name = "ACCESS-KEY-ID")]
        access_key_id: String,
    },
    /// Create a new key for PRINCIPAL and retire the old one after a grace period
    ///
    /// The old key (--key, or the principal's oldest usable one) keeps
    /// working for --grace, so running deployments can switch over. The new
    /// secret is shown once: printed, or written with --file or
    /// --write-profile. With --output json, prints the new key's object (as
    /// `key create` does) plus "Retired": {"AccessKeyId", "RetireDate"}.
    Rotate {
        principal: String,
        /// How long the old key keeps working: 90s, 15m, 1h, 7d (at most 7d)
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        grace: Duration,
        /// The key to retire [default: the principal's oldest usable key]
        #[arg(long = "key", value_name = "ACCESS-KEY-ID")]
        key: Option<String>,
        #[command(flatten)]
        destination: Destination,
    },
}

/// Where a new secret goes instead of standard output.
#[derive(Debug, Clone, clap::Args)]
pub struct Destination {
    /// Write the new key as JSON to PATH (created with mode 0600) instead of
    /// printing its secret
    #[arg(long, value_name = "PATH", conflicts_with = "write_profile")]
    pub file: Option<PathBuf>,
    /// Write the new key into this profile of an aws credentials file,
    /// keeping every other profile and comment
    #[arg(long, value_name = "PROFILE")]
    pub write_profile: Option<String>,
    /// The credentials file for --write-profile [default: AWS_SHARED_CREDENTIALS_FILE, or
    /// ~/.aws/credentials]
    #[arg(long, value_name = "PATH", requires = "write_profile")]
    pub credentials_file: Option<PathBuf>,
}

pub fn main(args: KeyArgs) -> ExitCode {
    admin::main(&args.connection, |client| {
        run(client, args.command, args.output)
    })
}

async fn run(client: AdminClient, command: KeyCommand, output: Output) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::Create {
            principal,
            destination,
        } => {
            let answer = client
                .call("CreateAccessKey", &json!({"Principal": principal}))
                .await?;
            let key = access_key(&answer)?;
            deliver(&key, &destination, output, None)?;
        }
        KeyCommand::List { principal } => {
            let mut request = json!({});
            if let Some(principal) = principal {
                request["Principal"] = json!(principal);
            }
            let answer = client.call("ListAccessKeys", &request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!(
                    "{}",
                    key_table(list(&answer, "AccessKeys"), SystemTime::now())
                ),
            }
        }
        KeyCommand::Deactivate { access_key_id } => {
            set_status(&client, &access_key_id, "Inactive", output).await?;
        }
        KeyCommand::Activate { access_key_id } => {
            set_status(&client, &access_key_id, "Active", output).await?;
        }
        KeyCommand::Delete { access_key_id } => {
            let answer = client
                .call("DeleteAccessKey", &json!({"AccessKeyId": access_key_id}))
                .await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("deleted access key {access_key_id}"),
            }
        }
        KeyCommand::Rotate {
            principal,
            grace,
            key,
            destination,
        } => {
            anyhow::ensure!(
                grace <= MAX_GRACE,
                "--grace must be at most 7d (604800 seconds)"
            );
            let mut request = json!({"Principal": principal, "GraceSeconds": grace.as_secs()});
            if let Some(key) = key {
                request["AccessKeyId"] = json!(key);
            }
            let answer = client.call("RotateAccessKey", &request).await?;
            let key = access_key(&answer)?;
            let retired = Retired {
                access_key_id: text(&answer["RetiredAccessKeyId"]),
                retire_date: answer["RetireDate"].clone(),
            };
            deliver(&key, &destination, output, Some(&retired))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_status(
    client: &AdminClient,
    access_key_id: &str,
    status: &str,
    output: Output,
) -> anyhow::Result<()> {
    let answer = client
        .call(
            "UpdateAccessKey",
            &json!({"AccessKeyId": access_key_id, "Status": status}),
        )
        .await?;
    match output {
        Output::Json => print_json(&answer)?,
        Output::Text => println!(
            "access key {access_key_id} is now {}",
            status.to_lowercase()
        ),
    }
    Ok(())
}

/// The old key of a rotation.
struct Retired {
    access_key_id: String,
    retire_date: Value,
}

impl Retired {
    fn json(&self) -> Value {
        json!({"AccessKeyId": self.access_key_id, "RetireDate": self.retire_date})
    }
}

/// The `AccessKey` object of a create or rotate answer.
fn access_key(answer: &Value) -> anyhow::Result<Value> {
    let key = &answer["AccessKey"];
    anyhow::ensure!(
        key["AccessKeyId"].is_string() && key["SecretAccessKey"].is_string(),
        "the server's answer holds no access key"
    );
    Ok(key.clone())
}

/// Hands a new key to the user where they asked: standard output, a 0600
/// JSON file, or a profile of an aws credentials file. The secret appears
/// in exactly one of them.
fn deliver(
    key: &Value,
    destination: &Destination,
    output: Output,
    retired: Option<&Retired>,
) -> anyhow::Result<()> {
    let id = text(&key["AccessKeyId"]);
    let principal = text(&key["Principal"]);
    let secret = key["SecretAccessKey"].as_str().unwrap_or_default();
    // What is shown when the secret went elsewhere.
    let mut metadata = key.clone();
    if let Some(object) = metadata.as_object_mut() {
        object.remove("SecretAccessKey");
    }
    let written_to = if let Some(path) = &destination.file {
        let mut contents = serde_json::to_vec_pretty(key)?;
        contents.push(b'\n');
        client::write_private(path, &contents)?;
        Some(path.display().to_string())
    } else if let Some(profile) = &destination.write_profile {
        let path = match &destination.credentials_file {
            Some(path) => path.clone(),
            None => default_credentials_file(|name| std::env::var_os(name))?,
        };
        write_profile(&path, profile, &id, secret)?;
        Some(format!("profile {profile} in {}", path.display()))
    } else {
        None
    };

    match (output, &written_to) {
        (Output::Json, None) => {
            let mut shown = key.clone();
            if let Some(retired) = retired {
                shown["Retired"] = retired.json();
            }
            print_json(&shown)?;
        }
        (Output::Json, Some(_)) => {
            if let Some(retired) = retired {
                metadata["Retired"] = retired.json();
            }
            print_json(&metadata)?;
        }
        (Output::Text, None) => {
            println!("created access key {id} for {principal}");
            println!("AccessKeyId:     {id}");
            println!("SecretAccessKey: {secret}");
            eprintln!(
                "kinko: this secret access key is shown only now and cannot be retrieved \
                 again: store it safely"
            );
        }
        (Output::Text, Some(place)) => {
            println!("created access key {id} for {principal}, written to {place}");
        }
    }
    if let (Output::Text, Some(retired)) = (output, retired) {
        println!(
            "access key {} retires at {}",
            retired.access_key_id,
            date(&retired.retire_date)
        );
    }
    Ok(())
}

fn key_table(keys: &[Value], now: SystemTime) -> String {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut rows = vec![vec![
        "ACCESS KEY ID".to_owned(),
        "PRINCIPAL".to_owned(),
        "STATUS".to_owned(),
        "CREATED".to_owned(),
        "LAST USED".to_owned(),
        "RETIRES".to_owned(),
    ]];
    rows.extend(keys.iter().map(|k| {
        let retired = k["RetireDate"].as_f64().is_some_and(|at| at <= now);
        let status = if retired {
            "Retired".to_owned()
        } else {
            text(&k["Status"])
        };
        let last_used = match (k["LastUsedDate"].as_f64(), k["LastUsedOperation"].as_str()) {
            (Some(_), Some(operation)) => format!("{} {operation}", date(&k["LastUsedDate"])),
            (Some(_), None) => date(&k["LastUsedDate"]),
            (None, _) => "never".to_owned(),
        };
        vec![
            text(&k["AccessKeyId"]),
            text(&k["Principal"]),
            status,
            date(&k["CreateDate"]),
            last_used,
            date(&k["RetireDate"]),
        ]
    }));
    client::table(&rows)
}

/// `AWS_SHARED_CREDENTIALS_FILE` (with `~` expanded), else
/// `~/.aws/credentials`, as the aws CLI finds it.
fn default_credentials_file(
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> anyhow::Result<PathBuf> {
    let home = env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    if let Some(path) = env("AWS_SHARED_CREDENTIALS_FILE").filter(|p| !p.is_empty()) {
        let text = path.to_string_lossy();
        if let (Some(rest), Some(home)) = (text.strip_prefix("~/"), &home) {
            return Ok(home.join(rest));
        }
        return Ok(PathBuf::from(path));
    }
    let home = home.context(
        "cannot find the aws credentials file: HOME is not set (use --credentials-file)",
    )?;
    Ok(home.join(".aws").join("credentials"))
}

/// Sets `profile`'s key pair in the credentials file at `path` (creating
/// the file, and a private directory for it, when missing), atomically and
/// with mode 0600.
fn write_profile(path: &Path, profile: &str, key_id: &str, secret: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        valid_profile_name(profile),
        "{profile:?} is not a usable profile name (no brackets, no line breaks, not empty)"
    );
    // Write through a symlink to the file it names, as an editor would.
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_private_dir(dir)?;
            }
            String::new()
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let updated = set_profile_keys(&existing, profile, key_id, secret);
    client::write_private(&path, updated.as_bytes())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

fn valid_profile_name(profile: &str) -> bool {
    !profile.trim().is_empty()
        && profile.trim() == profile
        && !profile.contains(['[', ']', '\n', '\r'])
}

/// The name of a section header line (`[name]`, spaces trimmed), or `None`
/// for any other line.
fn section_name(line: &str) -> Option<&str> {
    let line = line.trim();
    let inner = line.strip_prefix('[')?;
    let end = inner.find(']')?;
    // Anything after `]` must be a comment.
    let rest = inner[end + 1..].trim();
    if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')) {
        return None;
    }
    Some(inner[..end].trim())
}

/// The key of a `key = value` line, lower-cased; `None` for comments,
/// blanks, headers and indented continuation lines.
fn line_key(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with(['#', ';', '[']) {
        return None;
    }
    let (key, _) = trimmed.split_once('=')?;
    Some(key.trim().to_ascii_lowercase())
}

/// `text` (an aws credentials file) with `profile`'s
/// `aws_access_key_id` / `aws_secret_access_key` set and its
/// `aws_session_token` removed; every other line (other profiles, other
/// keys, comments, blank lines) is kept as it was. A missing profile is
/// added at the end.
fn set_profile_keys(text: &str, profile: &str, key_id: &str, secret: &str) -> String {
    let id_line = format!("{KEY_ID} = {key_id}");
    let secret_line = format!("{SECRET} = {secret}");
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };

    let mut out: Vec<String> = Vec::new();
    let mut in_profile = false;
    // Where the first header of the profile went in `out`.
    let mut header_at: Option<usize> = None;
    let mut wrote_id = false;
    let mut wrote_secret = false;
    // Dropping a key also drops its indented continuation lines.
    let mut dropping = false;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        if let Some(name) = section_name(line) {
            in_profile = name == profile;
            dropping = false;
            if in_profile && header_at.is_none() {
                header_at = Some(out.len());
            }
            out.push(line.to_owned());
            continue;
        }
        if !in_profile {
            out.push(line.to_owned());
            continue;
        }
        if dropping && line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            continue;
        }
        dropping = false;
        match line_key(line).as_deref() {
            Some(KEY_ID) => {
                if !wrote_id {
                    out.push(id_line.clone());
                    wrote_id = true;
                }
                dropping = true;
            }
            Some(SECRET) => {
                if !wrote_secret {
                    out.push(secret_line.clone());
                    wrote_secret = true;
                }
                dropping = true;
            }
            Some(SESSION_TOKEN) => dropping = true,
            _ => out.push(line.to_owned()),
        }
    }

    let mut missing = Vec::new();
    if !wrote_id {
        missing.push(id_line);
    }
    if !wrote_secret {
        missing.push(secret_line);
    }
    match header_at {
        Some(at) => {
            for (offset, line) in missing.into_iter().enumerate() {
                out.insert(at + 1 + offset, line);
            }
        }
        None => {
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push(format!("[{profile}]"));
            out.extend(missing);
        }
    }
    let mut result = out.join(newline);
    result.push_str(newline);
    result
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const FILE: &str = "\
# my credentials
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default-secret

; the CI profile
[ci]
region_note = kept
aws_access_key_id=AKIAOLD
aws_secret_access_key = old-secret
aws_session_token = stale-token
# trailing comment in ci

[other]
aws_access_key_id = AKIAOTHER
aws_secret_access_key = other-secret
";

    #[test]
    fn replacing_a_profile_keeps_everything_else() {
        let updated = set_profile_keys(FILE, "ci", "AKIANEW", "new/secret+");
        let expected = "\
# my credentials
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default-secret

; the CI profile
[ci]
region_note = kept
aws_access_key_id = AKIANEW
aws_secret_access_key = new/secret+
# trailing comment in ci

[other]
aws_access_key_id = AKIAOTHER
aws_secret_access_key = other-secret
";
        assert_eq!(updated, expected);
    }

    #[test]
    fn a_missing_profile_is_appended() {
        let updated = set_profile_keys(FILE, "deploy", "AKIANEW", "s");
        assert!(updated.starts_with(FILE), "{updated}");
        assert!(
            updated.ends_with(
                "other-secret\n\n[deploy]\naws_access_key_id = AKIANEW\naws_secret_access_key = s\n"
            ),
            "{updated}"
        );
        assert_eq!(
            set_profile_keys("", "ci", "AKIA1", "s"),
            "[ci]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n"
        );
    }

    #[test]
    fn missing_keys_go_under_the_header() {
        let text = "[ ci ]\nregion = eu-west-1\n[b]\nx = 1";
        let updated = set_profile_keys(text, "ci", "AKIA1", "s");
        assert_eq!(
            updated,
            "[ ci ]\naws_access_key_id = AKIA1\naws_secret_access_key = s\nregion = eu-west-1\n[b]\nx = 1\n"
        );
    }

    #[test]
    fn duplicate_keys_and_continuation_lines_of_dropped_keys_go() {
        let text = "[ci]\nAWS_ACCESS_KEY_ID = A\naws_access_key_id = B\naws_session_token =\n  part1\n  part2\naws_secret_access_key = S\n[x]\n  indented = kept\n";
        let updated = set_profile_keys(text, "ci", "NEW", "NS");
        assert_eq!(
            updated,
            "[ci]\naws_access_key_id = NEW\naws_secret_access_key = NS\n[x]\n  indented = kept\n"
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = "[ci]\r\naws_access_key_id = A\r\naws_secret_access_key = S\r\n";
        assert_eq!(
            set_profile_keys(text, "ci", "B", "T"),
            "[ci]\r\naws_access_key_id = B\r\naws_secret_access_key = T\r\n"
        );
    }

    #[test]
    fn a_profile_name_must_match_exactly() {
        // `[ci-old]` and `[profile ci]` are other profiles.
        let text = "[ci-old]\naws_access_key_id = A\n[profile ci]\naws_access_key_id = B\n";
        let updated = set_profile_keys(text, "ci", "N", "S");
        assert!(updated.starts_with(text), "{updated}");
        assert!(updated.ends_with("\n[ci]\naws_access_key_id = N\naws_secret_access_key = S\n"));
    }

    #[test]
    fn write_profile_creates_a_private_file_and_directory() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(".aws").join("credentials");
        write_profile(&path, "ci", "AKIA1", "s1").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[ci]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n"
        );
    }

    #[test]
    fn write_profile_rewrites_an_existing_file_as_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, FILE).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_profile(&path, "ci", "AKIANEW", "new-secret").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("aws_access_key_id = AKIANEW"), "{text}");
        assert!(text.contains("AKIAOTHER") && text.contains("# my credentials"));
        assert!(!text.contains("stale-token"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Only the file itself: no temporary left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_profile_follows_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real-credentials");
        std::fs::write(&real, "[default]\nx = 1\n").unwrap();
        let link = dir.path().join("credentials");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_profile(&link, "ci", "A", "S").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::read_to_string(&real)
                .unwrap()
                .contains("aws_access_key_id = A")
        );
    }

    #[test]
    fn bad_profile_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        for bad in ["", " ci", "a]b", "a\nb"] {
            assert!(write_profile(&path, bad, "A", "S").is_err(), "{bad:?}");
        }
        assert!(!path.exists());
    }

    #[test]
    fn the_credentials_file_is_found_like_the_aws_cli_does() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            default_credentials_file(env(&[("HOME", "/home/u")])).unwrap(),
            PathBuf::from("/home/u/.aws/credentials")
        );
        assert_eq!(
            default_credentials_file(env(&[
                ("HOME", "/home/u"),
                ("AWS_SHARED_CREDENTIALS_FILE", "~/ci/creds")
            ]))
            .unwrap(),
            PathBuf::from("/home/u/ci/creds")
        );
        assert_eq!(
            default_credentials_file(env(&[("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds")]))
                .unwrap(),
            PathBuf::from("/etc/creds")
        );
        assert!(default_credentials_file(env(&[])).is_err());
    }

    #[test]
    fn the_key_table_shows_last_use_and_retirement() {
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        let keys = vec![
            json!({"AccessKeyId": "AKIA1", "Principal": "ci", "Status": "Active",
                   "CreateDate": 0, "LastUsedDate": 60, "LastUsedOperation": "ssm:GetParameter",
                   "RetireDate": 500}),
            json!({"AccessKeyId": "AKIA2", "Principal": "ci", "Status": "Inactive",
                   "CreateDate": 0}),
        ];
        let table = key_table(&keys, now);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("ACCESS KEY ID"), "{table}");
        assert!(lines[1].contains("Retired"), "{table}");
        assert!(
            lines[1].contains("1970-01-01T00:01:00Z ssm:GetParameter"),
            "{table}"
        );
        assert!(lines[1].ends_with("1970-01-01T00:08:20Z"), "{table}");
        assert!(
            lines[2].contains("Inactive") && lines[2].contains("never"),
            "{table}"
        );
    }

    #[test]
    fn rotate_parses_grace_and_destinations() {
        use clap::Parser;

        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: KeyArgs,
        }
        let cli = Cli::try_parse_from([
            "kinko",
            "rotate",
            "ci",
            "--grace",
            "15m",
            "--write-profile",
            "ci",
            "--credentials-file",
            "/tmp/c",
        ])
        .unwrap();
        let KeyCommand::Rotate {
            grace, destination, ..
        } = cli.args.command
        else {
            panic!("not rotate");
        };
        assert_eq!(grace, Duration::from_secs(900));
        assert_eq!(destination.write_profile.as_deref(), Some("ci"));
        assert_eq!(destination.credentials_file, Some(PathBuf::from("/tmp/c")));

        let KeyCommand::Rotate { grace, .. } = Cli::try_parse_from(["kinko", "rotate", "ci"])
            .unwrap()
            .args
            .command
        else {
            panic!("not rotate");
        };
        assert_eq!(grace, Duration::from_secs(3600));

        for bad in [
            &["kinko", "rotate", "ci", "--grace", "soon"][..],
            &[
                "kinko",
                "rotate",
                "ci",
                "--file",
                "a",
                "--write-profile",
                "p",
            ][..],
            &["kinko", "create", "ci", "--credentials-file", "c"][..],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
