//! `kinko assume-role ROLE --session-name NAME`: temporary credentials for
//! a role, as JSON, as shell `export` lines, or in the aws
//! `credential_process` format so a profile can use them directly:
//!
//! ```ini
//! [profile app]
//! credential_process = kinko assume-role app --session-name app --output credential-process --profile admin
//! ```
//!
//! (`--profile admin` names where the caller's own credentials come from;
//! without it a profile that runs this command would call itself.)

use std::process::ExitCode;
use std::time::Duration;

use kinko_client::admin::{AdminClient, format_epoch};
use kinko_model::admin::{AssumeRoleRequest, SessionCredentials};
use serde::Serialize;

use super::admin::{self, Connection, parse_duration, print_json, seconds};

#[derive(Debug, clap::Args)]
#[command(after_help = "As a credential_process in ~/.aws/config:\n  \
    [profile app]\n  \
    credential_process = kinko assume-role app --session-name app --output credential-process --profile admin")]
pub struct AssumeRoleArgs {
    /// The role (name or ARN)
    pub role: String,
    /// A name for this session, shown in the audit log
    #[arg(long, value_name = "NAME")]
    pub session_name: String,
    /// How long the credentials last: 15m to 12h
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub duration: Duration,
    #[arg(long, value_enum, default_value_t = AssumeOutput::Json)]
    pub output: AssumeOutput,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AssumeOutput {
    /// The API's answer: Credentials and AssumedRoleArn
    Json,
    /// `export AWS_ACCESS_KEY_ID=…` lines for `eval`
    Env,
    /// The aws CLI's credential_process format (Version 1)
    CredentialProcess,
}

pub fn run(args: AssumeRoleArgs) -> anyhow::Result<ExitCode> {
    let connection = args.connection.clone();
    admin::run(&connection, |client| command(client, args))
}

async fn command(client: AdminClient, args: AssumeRoleArgs) -> anyhow::Result<ExitCode> {
    let request = AssumeRoleRequest {
        role_name: Some(args.role),
        role_session_name: Some(args.session_name),
        // Beyond i64 is beyond any allowed duration: the server says the range.
        duration_seconds: Some(i64::try_from(args.duration.as_secs()).unwrap_or(i64::MAX)),
        ..AssumeRoleRequest::default()
    };
    let answer = client.assume_role(&request).await?;
    let credentials = &answer.credentials;
    match args.output {
        AssumeOutput::Json => print_json(&answer)?,
        AssumeOutput::Env => print!("{}", env_lines(credentials)),
        AssumeOutput::CredentialProcess => print_json(&credential_process(credentials))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Shell lines that put the credentials in the environment.
fn env_lines(credentials: &SessionCredentials) -> String {
    let mut out = String::new();
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id.as_str()),
        (
            "AWS_SECRET_ACCESS_KEY",
            credentials.secret_access_key.expose(),
        ),
        ("AWS_SESSION_TOKEN", credentials.session_token.expose()),
    ] {
        out.push_str(&format!("export {name}={}\n", shell_quote(value)));
    }
    out.push_str(&format!(
        "# expires {}\n",
        format_epoch(seconds(credentials.expiration))
    ));
    out
}

/// What the aws CLI and SDKs expect from a `credential_process` (no
/// `Debug`: it holds the secrets).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialProcess<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    /// RFC 3339, as the aws CLI reads it.
    expiration: String,
}

fn credential_process(credentials: &SessionCredentials) -> CredentialProcess<'_> {
    CredentialProcess {
        version: 1,
        access_key_id: &credentials.access_key_id,
        secret_access_key: credentials.secret_access_key.expose(),
        session_token: credentials.session_token.expose(),
        expiration: format_epoch(seconds(credentials.expiration)),
    }
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn credentials() -> SessionCredentials {
        serde_json::from_value(
            json!({"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "se/cr+et",
               "SessionToken": "tok'en", "Expiration": 1_714_561_200}),
        )
        .unwrap()
    }

    #[test]
    fn env_lines_export_the_three_variables() {
        assert_eq!(
            env_lines(&credentials()),
            "export AWS_ACCESS_KEY_ID='ASIAEXAMPLE'\n\
             export AWS_SECRET_ACCESS_KEY='se/cr+et'\n\
             export AWS_SESSION_TOKEN='tok'\\''en'\n\
             # expires 2024-05-01T11:00:00Z\n"
        );
    }

    #[test]
    fn credential_process_output_is_version_1_with_an_rfc3339_expiration() {
        assert_eq!(
            serde_json::to_value(credential_process(&credentials())).unwrap(),
            json!({"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "se/cr+et",
                   "SessionToken": "tok'en", "Expiration": "2024-05-01T11:00:00Z"})
        );
    }

    #[test]
    fn arguments_parse_with_defaults() {
        use clap::Parser;

        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: AssumeRoleArgs,
        }
        let args = Cli::try_parse_from(["assume-role", "app", "--session-name", "run-1"])
            .unwrap()
            .args;
        assert_eq!(args.duration, Duration::from_secs(3600));
        assert_eq!(args.output, AssumeOutput::Json);
        let args = Cli::try_parse_from([
            "assume-role",
            "app",
            "--session-name",
            "s",
            "--duration",
            "15m",
            "--output",
            "credential-process",
        ])
        .unwrap()
        .args;
        assert_eq!(args.duration, Duration::from_secs(900));
        assert_eq!(args.output, AssumeOutput::CredentialProcess);
        assert!(Cli::try_parse_from(["assume-role", "app"]).is_err());
    }
}
