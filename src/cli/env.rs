//! `kinko env`: the shell lines that point the aws CLI and every SDK at the
//! server using a data directory, with its admin key.
//!
//! `eval "$(kinko env)"` is meant for a developer's own shell; the secret is
//! printed to stdout only, never to a file or the process list.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use kinko_server::config::{DEFAULT_LISTEN, DEFAULT_REGION};
use kinko_server::data_dir::{self, DataDir};

#[derive(Debug, clap::Args)]
pub struct EnvArgs {
    /// The server's data directory [default: ~/.local/share/kinko]
    #[arg(long, env = "KINKO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

pub fn run(args: EnvArgs) -> anyhow::Result<ExitCode> {
    let data = DataDir::new(args.data_dir.unwrap_or_else(data_dir::default_data_dir));
    let credentials_path = data.credentials();
    let text = std::fs::read_to_string(&credentials_path).with_context(|| {
        format!(
            "cannot read {}: has `kinko server` been started with this data directory?",
            credentials_path.display()
        )
    })?;
    let key_id = profile_value(&text, "aws_access_key_id")
        .with_context(|| format!("no aws_access_key_id in {}", credentials_path.display()))?;
    let secret = profile_value(&text, "aws_secret_access_key")
        .with_context(|| format!("no aws_secret_access_key in {}", credentials_path.display()))?;

    let (endpoint, region) = match std::fs::read_to_string(data.server_info()) {
        Ok(info) => {
            let info: serde_json::Value = serde_json::from_str(&info)
                .with_context(|| format!("corrupt {}", data.server_info().display()))?;
            (
                info["endpoint_url"]
                    .as_str()
                    .map_or_else(|| format!("http://{DEFAULT_LISTEN}"), str::to_owned),
                info["region"].as_str().unwrap_or(DEFAULT_REGION).to_owned(),
            )
        }
        Err(_) => (
            format!("http://{DEFAULT_LISTEN}"),
            DEFAULT_REGION.to_owned(),
        ),
    };

    println!("export AWS_ENDPOINT_URL={}", shell_quote(&endpoint));
    println!("export AWS_ACCESS_KEY_ID={}", shell_quote(key_id));
    println!("export AWS_SECRET_ACCESS_KEY={}", shell_quote(secret));
    println!("export AWS_REGION={}", shell_quote(&region));
    // The aws CLI v1 and older botocore read only AWS_DEFAULT_REGION.
    println!("export AWS_DEFAULT_REGION={}", shell_quote(&region));
    println!("unset AWS_SESSION_TOKEN AWS_PROFILE");
    Ok(ExitCode::SUCCESS)
}

/// The value of `key` in the `[kinko]` profile of an aws credentials file.
fn profile_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut in_profile = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_profile = line == "[kinko]";
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim());
        }
    }
    None
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kinko_profile_only() {
        let text = "[default]\naws_access_key_id = OTHER\n[kinko]\naws_access_key_id = AKIAX\naws_secret_access_key = a/b+c\n";
        assert_eq!(profile_value(text, "aws_access_key_id"), Some("AKIAX"));
        assert_eq!(profile_value(text, "aws_secret_access_key"), Some("a/b+c"));
    }

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}
