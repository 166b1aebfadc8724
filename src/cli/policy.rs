//! `kinko policy …`: a principal's IAM JSON policies (put, get, list,
//! delete) and `simulate`, which asks the server's evaluator for a verdict
//! and the statement that decided it.

use std::collections::BTreeMap;
use std::process::ExitCode;

use kinko_client::admin::AdminClient;
use serde_json::{Value, json};

use super::admin::{
    self, Connection, VERDICT_NEGATIVE, date, list, parse_key_value, print_json, tags_json, text,
};
use super::client::{self, Output};

#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Text for people, or the API's JSON for programs
    #[arg(long, value_enum, global = true, default_value_t = Output::Text)]
    pub output: Output,
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Attach (or replace) a named policy: an IAM JSON file, or `-` for stdin
    Put {
        principal: String,
        #[arg(value_name = "POLICY-NAME")]
        policy_name: String,
        file: String,
    },
    /// Print a policy document
    Get {
        principal: String,
        #[arg(value_name = "POLICY-NAME")]
        policy_name: String,
    },
    /// List a principal's policies
    List { principal: String },
    /// Detach and delete a policy
    Delete {
        principal: String,
        #[arg(value_name = "POLICY-NAME")]
        policy_name: String,
    },
    /// Would PRINCIPAL be allowed ACTION on RESOURCE? Says which statement decided
    #[command(after_help = "Exit status: 0 when allowed, 1 when denied, 2 on error.")]
    Simulate(SimulateArgs),
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The principal (name or ARN)
    #[arg(long)]
    pub principal: String,
    /// The action, like ssm:GetParameter
    #[arg(long)]
    pub action: String,
    /// The resource ARN, like arn:aws:ssm:us-east-1:000000000000:parameter/app/prod/db
    #[arg(long)]
    pub resource: String,
    /// A request condition key (repeatable; repeats add values), like aws:SourceIp=10.0.0.1
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub context: Vec<(String, String)>,
    /// A tag of the resource (repeatable), for ssm:ResourceTag/KEY conditions
    #[arg(long = "resource-tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub resource_tags: Vec<(String, String)>,
    /// A resource policy (IAM JSON file, or `-`) evaluated with the principal's
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<String>,
}

pub fn main(args: PolicyArgs) -> ExitCode {
    admin::main(&args.connection, |client| {
        run(client, args.command, args.output)
    })
}

async fn run(
    client: AdminClient,
    command: PolicyCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Put {
            principal,
            policy_name,
            file,
        } => {
            let document = client::read_input(&file)?;
            let answer = client
                .call(
                    "PutPolicy",
                    &json!({
                        "Principal": principal,
                        "PolicyName": policy_name,
                        "PolicyDocument": document,
                    }),
                )
                .await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("put policy {policy_name} on {principal}"),
            }
        }
        PolicyCommand::Get {
            principal,
            policy_name,
        } => {
            let answer = client
                .call(
                    "GetPolicy",
                    &json!({"Principal": principal, "PolicyName": policy_name}),
                )
                .await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => {
                    // The document as it was put, so it can be edited and put back.
                    let document = answer["PolicyDocument"].as_str().unwrap_or_default();
                    print!("{document}");
                    if !document.ends_with('\n') {
                        println!();
                    }
                }
            }
        }
        PolicyCommand::List { principal } => {
            let answer = client
                .call("ListPolicies", &json!({"Principal": principal}))
                .await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => {
                    let mut rows = vec![vec!["POLICY".to_owned(), "UPDATED".to_owned()]];
                    rows.extend(
                        list(&answer, "Policies")
                            .iter()
                            .map(|p| vec![text(&p["PolicyName"]), date(&p["UpdateDate"])]),
                    );
                    print!("{}", client::table(&rows));
                }
            }
        }
        PolicyCommand::Delete {
            principal,
            policy_name,
        } => {
            let answer = client
                .call(
                    "DeletePolicy",
                    &json!({"Principal": principal, "PolicyName": policy_name}),
                )
                .await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("deleted policy {policy_name} from {principal}"),
            }
        }
        PolicyCommand::Simulate(args) => {
            let request = simulate_request(&args)?;
            let answer = client.call("SimulatePolicy", &request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("{}", verdict(&answer, &args.action, &args.resource)),
            }
            if answer["Decision"] != "allowed" {
                return Ok(ExitCode::from(VERDICT_NEGATIVE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn simulate_request(args: &SimulateArgs) -> anyhow::Result<Value> {
    let mut request = json!({
        "Principal": args.principal,
        "Action": args.action,
        "Resource": args.resource,
    });
    if !args.context.is_empty() {
        let mut context: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (key, value) in &args.context {
            context.entry(key).or_default().push(value);
        }
        request["Context"] = json!(context);
    }
    if !args.resource_tags.is_empty() {
        request["ResourceTags"] = tags_json(&args.resource_tags);
    }
    if let Some(file) = &args.resource_policy {
        request["ResourcePolicy"] = json!(client::read_input(file)?);
    }
    Ok(request)
}

/// `allowed by POLICY#SID`, `denied by POLICY#SID (explicit deny)` or
/// `denied: no statement allows ACTION on RESOURCE`.
fn verdict(answer: &Value, action: &str, resource: &str) -> String {
    let statement = statement_name(&answer["MatchedStatement"]);
    match (answer["Decision"].as_str(), statement) {
        (Some("allowed"), Some(statement)) => format!("allowed by {statement}"),
        (Some("allowed"), None) => "allowed".to_owned(),
        (Some("explicitDeny"), Some(statement)) => {
            format!("denied by {statement} (explicit deny)")
        }
        (Some("explicitDeny"), None) => match answer["Reason"].as_str() {
            Some(reason) => format!("denied: {reason}"),
            None => "denied (explicit deny)".to_owned(),
        },
        _ => format!("denied: no statement allows {action} on {resource}"),
    }
}

/// `POLICY#SID`, or `POLICY#INDEX` for a statement without a Sid.
fn statement_name(matched: &Value) -> Option<String> {
    if !matched.is_object() {
        return None;
    }
    let policy = text(&matched["Policy"]);
    let id = match matched["Sid"].as_str() {
        Some(sid) if !sid.is_empty() => sid.to_owned(),
        _ => text(&matched["Index"]),
    };
    Some(format!("{policy}#{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTION: &str = "ssm:GetParameter";
    const RESOURCE: &str = "arn:aws:ssm:us-east-1:000000000000:parameter/app/prod/db";

    #[test]
    fn verdicts_name_the_deciding_statement() {
        let allowed = json!({"Decision": "allowed",
            "MatchedStatement": {"Policy": "developer", "Index": 0, "Sid": "ReadApp"}});
        assert_eq!(
            verdict(&allowed, ACTION, RESOURCE),
            "allowed by developer#ReadApp"
        );
        let denied = json!({"Decision": "explicitDeny",
            "MatchedStatement": {"Policy": "guard", "Index": 2}});
        assert_eq!(
            verdict(&denied, ACTION, RESOURCE),
            "denied by guard#2 (explicit deny)"
        );
        let unreadable = json!({"Decision": "explicitDeny",
            "Reason": "the stored policy old does not parse; it denies every request"});
        assert_eq!(
            verdict(&unreadable, ACTION, RESOURCE),
            "denied: the stored policy old does not parse; it denies every request"
        );
        let implicit = json!({"Decision": "implicitDeny"});
        assert_eq!(
            verdict(&implicit, ACTION, RESOURCE),
            format!("denied: no statement allows {ACTION} on {RESOURCE}")
        );
    }

    fn simulate_args(extra: &[&str]) -> SimulateArgs {
        use clap::Parser;

        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: SimulateArgs,
        }
        let mut argv = vec![
            "simulate",
            "--principal",
            "dev",
            "--action",
            ACTION,
            "--resource",
            RESOURCE,
        ];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).unwrap().args
    }

    #[test]
    fn the_request_groups_context_values_by_key() {
        let args = simulate_args(&[
            "--context",
            "aws:SourceIp=10.0.0.1",
            "--context",
            "aws:SecureTransport=true",
            "--context",
            "aws:SourceIp=10.0.0.2",
            "--resource-tag",
            "env=prod",
        ]);
        let request = simulate_request(&args).unwrap();
        assert_eq!(
            request,
            json!({
                "Principal": "dev",
                "Action": ACTION,
                "Resource": RESOURCE,
                "Context": {
                    "aws:SecureTransport": ["true"],
                    "aws:SourceIp": ["10.0.0.1", "10.0.0.2"],
                },
                "ResourceTags": [{"Key": "env", "Value": "prod"}],
            })
        );
    }

    #[test]
    fn a_resource_policy_is_sent_as_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rp.json");
        std::fs::write(&file, "{\"Version\":\"2012-10-17\"}").unwrap();
        let args = simulate_args(&["--resource-policy", file.to_str().unwrap()]);
        let request = simulate_request(&args).unwrap();
        assert_eq!(request["ResourcePolicy"], "{\"Version\":\"2012-10-17\"}");
        assert!(request.get("Context").is_none());

        let args = simulate_args(&["--resource-policy", "/nonexistent/rp.json"]);
        let err = simulate_request(&args).unwrap_err();
        assert!(
            format!("{err:#}").contains("/nonexistent/rp.json"),
            "{err:#}"
        );
    }
}
