//! `kinko policy …`: a principal's IAM JSON policies (put, get, list,
//! delete) and `simulate`, which asks the server's evaluator for a verdict
//! and the statement that decided it.

use std::collections::BTreeMap;
use std::process::ExitCode;

use kinko_client::admin::AdminClient;
use kinko_model::admin::{
    MatchedStatement, PolicyRequest, PrincipalRequest, SimulatePolicyRequest,
    SimulatePolicyResponse, SimulationDecision,
};

use super::admin::{
    self, Connection, VERDICT_NEGATIVE, date, parse_key_value, print_json, tag_shapes,
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

pub fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    admin::run(&args.connection, |client| {
        command(client, args.command, args.output)
    })
}

async fn command(
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
            let request = PolicyRequest {
                policy_document: Some(client::read_input(&file)?),
                ..policy(&principal, &policy_name)
            };
            let answer = client.put_policy(&request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("put policy {policy_name} on {principal}"),
            }
        }
        PolicyCommand::Get {
            principal,
            policy_name,
        } => {
            let answer = client.get_policy(&policy(&principal, &policy_name)).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => {
                    // The document as it was put, so it can be edited and put back.
                    let document = &answer.policy_document;
                    print!("{document}");
                    if !document.ends_with('\n') {
                        println!();
                    }
                }
            }
        }
        PolicyCommand::List { principal } => {
            let request = PrincipalRequest {
                principal: Some(principal),
            };
            let answer = client.list_policies(&request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => {
                    let mut rows = vec![vec!["POLICY".to_owned(), "UPDATED".to_owned()]];
                    rows.extend(
                        answer
                            .policies
                            .iter()
                            .map(|p| vec![p.policy_name.clone(), date(Some(p.update_date))]),
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
                .delete_policy(&policy(&principal, &policy_name))
                .await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("deleted policy {policy_name} from {principal}"),
            }
        }
        PolicyCommand::Simulate(args) => {
            let request = simulate_request(&args)?;
            let answer = client.simulate_policy(&request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("{}", verdict(&answer, &args.action, &args.resource)),
            }
            if answer.decision != SimulationDecision::Allowed {
                return Ok(ExitCode::from(VERDICT_NEGATIVE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The request naming one policy of one principal.
fn policy(principal: &str, policy_name: &str) -> PolicyRequest {
    PolicyRequest {
        principal: Some(principal.to_owned()),
        policy_name: Some(policy_name.to_owned()),
        policy_document: None,
    }
}

fn simulate_request(args: &SimulateArgs) -> anyhow::Result<SimulatePolicyRequest> {
    let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in &args.context {
        context.entry(key.clone()).or_default().push(value.clone());
    }
    Ok(SimulatePolicyRequest {
        principal: Some(args.principal.clone()),
        action: Some(args.action.clone()),
        resource: Some(args.resource.clone()),
        context: (!context.is_empty()).then_some(context),
        resource_tags: (!args.resource_tags.is_empty()).then(|| tag_shapes(&args.resource_tags)),
        resource_policy: args
            .resource_policy
            .as_deref()
            .map(client::read_input)
            .transpose()?,
    })
}

/// `allowed by POLICY#SID`, `denied by POLICY#SID (explicit deny)` or
/// `denied: no statement allows ACTION on RESOURCE`.
fn verdict(answer: &SimulatePolicyResponse, action: &str, resource: &str) -> String {
    let statement = answer.matched_statement.as_ref().map(statement_name);
    match (answer.decision, statement) {
        (SimulationDecision::Allowed, Some(statement)) => format!("allowed by {statement}"),
        (SimulationDecision::Allowed, None) => "allowed".to_owned(),
        (SimulationDecision::ExplicitDeny, Some(statement)) => {
            format!("denied by {statement} (explicit deny)")
        }
        (SimulationDecision::ExplicitDeny, None) => match &answer.reason {
            Some(reason) => format!("denied: {reason}"),
            None => "denied (explicit deny)".to_owned(),
        },
        (SimulationDecision::ImplicitDeny, _) => {
            format!("denied: no statement allows {action} on {resource}")
        }
    }
}

/// `POLICY#SID`, or `POLICY#INDEX` for a statement without a Sid.
fn statement_name(matched: &MatchedStatement) -> String {
    let id = match &matched.sid {
        Some(sid) if !sid.is_empty() => sid.clone(),
        _ => matched.index.to_string(),
    };
    format!("{}#{id}", matched.policy)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// An answer as the server sends it.
    fn answer(json: Value) -> SimulatePolicyResponse {
        serde_json::from_value(json).unwrap()
    }

    const ACTION: &str = "ssm:GetParameter";
    const RESOURCE: &str = "arn:aws:ssm:us-east-1:000000000000:parameter/app/prod/db";

    #[test]
    fn verdicts_name_the_deciding_statement() {
        let allowed = answer(json!({"Decision": "allowed",
            "MatchedStatement": {"Policy": "developer", "Index": 0, "Sid": "ReadApp"}}));
        assert_eq!(
            verdict(&allowed, ACTION, RESOURCE),
            "allowed by developer#ReadApp"
        );
        let denied = answer(json!({"Decision": "explicitDeny",
            "MatchedStatement": {"Policy": "guard", "Index": 2}}));
        assert_eq!(
            verdict(&denied, ACTION, RESOURCE),
            "denied by guard#2 (explicit deny)"
        );
        let unreadable = answer(json!({"Decision": "explicitDeny",
            "Reason": "the stored policy old does not parse; it denies every request"}));
        assert_eq!(
            verdict(&unreadable, ACTION, RESOURCE),
            "denied: the stored policy old does not parse; it denies every request"
        );
        let implicit = answer(json!({"Decision": "implicitDeny"}));
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
        let request = serde_json::to_value(simulate_request(&args).unwrap()).unwrap();
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
        let request = serde_json::to_value(simulate_request(&args).unwrap()).unwrap();
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
