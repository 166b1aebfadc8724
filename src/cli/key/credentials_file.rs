//! The aws credentials file: where it is, and setting one profile's key
//! pair in it while keeping every other line as it was.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::super::client;

/// The keys of a profile that hold one key pair; `aws_session_token` goes
/// because a stale token beside a long-lived key breaks every call.
const KEY_ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const SESSION_TOKEN: &str = "aws_session_token";

/// `AWS_SHARED_CREDENTIALS_FILE` (with `~` expanded), else
/// `~/.aws/credentials`, as the aws CLI finds it.
pub(super) fn default_credentials_file(
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
pub(super) fn write_profile(
    path: &Path,
    profile: &str,
    key_id: &str,
    secret: &str,
) -> anyhow::Result<()> {
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
}
