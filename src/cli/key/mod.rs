//! `kinko key …`: access keys (create, list, activate, deactivate, delete,
//! rotate). A new key's secret is shown once: printed, or written to a 0600
//! JSON file, or into a profile of an aws credentials file.

mod credentials_file;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kinko_client::admin::AdminClient;
use kinko_model::Epoch;
use kinko_model::admin::{
    AccessKeyIdRequest, AccessKeyMetadata, KeyStatus, NewAccessKey, PrincipalRequest,
    RotateAccessKeyRequest, UpdateAccessKeyRequest,
};
use serde::Serialize;

use super::admin::{self, Connection, date, parse_duration, print_json, seconds};
use super::client::{self, Output};

/// The longest grace `RotateAccessKey` accepts.
const MAX_GRACE: Duration = Duration::from_secs(7 * 86_400);

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

pub fn run(args: KeyArgs) -> anyhow::Result<ExitCode> {
    admin::run(&args.connection, |client| {
        command(client, args.command, args.output)
    })
}

async fn command(
    client: AdminClient,
    command: KeyCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::Create {
            principal,
            destination,
        } => {
            let request = PrincipalRequest {
                principal: Some(principal),
            };
            let answer = client.create_access_key(&request).await?;
            deliver(&answer.access_key, &destination, output, None)?;
        }
        KeyCommand::List { principal } => {
            let answer = client
                .list_access_keys(&PrincipalRequest { principal })
                .await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", key_table(&answer.access_keys, SystemTime::now())),
            }
        }
        KeyCommand::Deactivate { access_key_id } => {
            set_status(&client, &access_key_id, KeyStatus::Inactive, output).await?;
        }
        KeyCommand::Activate { access_key_id } => {
            set_status(&client, &access_key_id, KeyStatus::Active, output).await?;
        }
        KeyCommand::Delete { access_key_id } => {
            let request = AccessKeyIdRequest {
                access_key_id: Some(access_key_id.clone()),
            };
            let answer = client.delete_access_key(&request).await?;
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
            let request = RotateAccessKeyRequest {
                principal: Some(principal),
                access_key_id: key,
                grace_seconds: Some(i64::try_from(grace.as_secs())?),
            };
            let answer = client.rotate_access_key(&request).await?;
            let retired = Retired {
                access_key_id: answer.retired_access_key_id,
                retire_date: answer.retire_date,
            };
            deliver(&answer.access_key, &destination, output, Some(&retired))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_status(
    client: &AdminClient,
    access_key_id: &str,
    status: KeyStatus,
    output: Output,
) -> anyhow::Result<()> {
    let request = UpdateAccessKeyRequest {
        access_key_id: Some(access_key_id.to_owned()),
        status: Some(status.as_str().to_owned()),
    };
    let answer = client.update_access_key(&request).await?;
    match output {
        Output::Json => print_json(&answer)?,
        Output::Text => println!(
            "access key {access_key_id} is now {}",
            status.as_str().to_lowercase()
        ),
    }
    Ok(())
}

/// The old key of a rotation, as `--output json` shows it under `Retired`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Retired {
    access_key_id: String,
    retire_date: Epoch,
}

/// A new key as `--output json` shows it: the API's `AccessKey` object
/// (without its secret when that went to a file or a profile), and the
/// retired key of a rotation.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ShownKey<'a> {
    access_key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<&'a str>,
    principal: &'a str,
    status: KeyStatus,
    create_date: Epoch,
    #[serde(skip_serializing_if = "Option::is_none")]
    retired: Option<&'a Retired>,
}

/// Hands a new key to the user where they asked: standard output, a 0600
/// JSON file, or a profile of an aws credentials file. The secret appears
/// in exactly one of them.
fn deliver(
    key: &NewAccessKey,
    destination: &Destination,
    output: Output,
    retired: Option<&Retired>,
) -> anyhow::Result<()> {
    let id = key.access_key_id.as_str();
    let principal = key.principal.as_str();
    let secret = key.secret_access_key.expose();
    let written_to = if let Some(path) = &destination.file {
        // Through a Value, so the members are sorted as they always were.
        let mut contents = serde_json::to_vec_pretty(&serde_json::to_value(key)?)?;
        contents.push(b'\n');
        client::write_private(path, &contents)?;
        Some(path.display().to_string())
    } else if let Some(profile) = &destination.write_profile {
        let path = match &destination.credentials_file {
            Some(path) => path.clone(),
            None => credentials_file::default_credentials_file(|name| std::env::var_os(name))?,
        };
        credentials_file::write_profile(&path, profile, id, secret)?;
        Some(format!("profile {profile} in {}", path.display()))
    } else {
        None
    };

    match (output, &written_to) {
        (Output::Json, _) => print_json(&ShownKey {
            access_key_id: id,
            // What is shown when the secret went elsewhere: the rest.
            secret_access_key: written_to.is_none().then_some(secret),
            principal,
            status: key.status,
            create_date: key.create_date,
            retired,
        })?,
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
            date(Some(retired.retire_date))
        );
    }
    Ok(())
}

fn key_table(keys: &[AccessKeyMetadata], now: SystemTime) -> String {
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
        let retired = k.retire_date.is_some_and(|at| seconds(at) <= now);
        let status = if retired {
            "Retired"
        } else {
            k.status.as_str()
        };
        let last_used = match (k.last_used_date, &k.last_used_operation) {
            (Some(at), Some(operation)) => format!("{} {operation}", date(Some(at))),
            (Some(at), None) => date(Some(at)),
            (None, _) => "never".to_owned(),
        };
        vec![
            k.access_key_id.clone(),
            k.principal.clone(),
            status.to_owned(),
            date(Some(k.create_date)),
            last_used,
            date(k.retire_date),
        ]
    }));
    client::table(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_table_shows_last_use_and_retirement() {
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        let keys = vec![
            AccessKeyMetadata {
                access_key_id: "AKIA1".into(),
                principal: "ci".into(),
                status: KeyStatus::Active,
                create_date: Epoch(0),
                retire_date: Some(Epoch(500_000)),
                last_used_date: Some(Epoch(60_000)),
                last_used_operation: Some("ssm:GetParameter".into()),
            },
            AccessKeyMetadata {
                access_key_id: "AKIA2".into(),
                principal: "ci".into(),
                status: KeyStatus::Inactive,
                create_date: Epoch(0),
                retire_date: None,
                last_used_date: None,
                last_used_operation: None,
            },
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
