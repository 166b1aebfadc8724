//! `kinko principal …`: users and roles (create, list, show, delete, tags,
//! a role's trust policy) over the admin API.

use std::process::ExitCode;

use kinko_client::admin::AdminClient;
use serde_json::{Value, json};

use super::admin::{self, Connection, date, list, parse_key_value, print_json, tags_json, text};
use super::client::{self, Output};

#[derive(Debug, clap::Args)]
pub struct PrincipalArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Text for people, or the API's JSON for programs
    #[arg(long, value_enum, global = true, default_value_t = Output::Text)]
    pub output: Output,
    #[command(subcommand)]
    pub command: PrincipalCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum PrincipalCommand {
    /// Create a user (or, with --role, a role that others assume)
    Create {
        name: String,
        /// Create a role instead of a user
        #[arg(long)]
        role: bool,
        /// A tag (repeatable); policies can test it as aws:PrincipalTag/KEY
        #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        tags: Vec<(String, String)>,
        /// The role's trust policy (who may assume it), an IAM JSON file or `-`
        #[arg(long, value_name = "FILE", requires = "role")]
        trust_policy: Option<String>,
    },
    /// List every user and role
    List,
    /// Show one principal: type, ARN, tags and a role's trust policy
    Show { name: String },
    /// Delete a principal with its policies and access keys
    Delete { name: String },
    /// Add or replace tags
    Tag {
        name: String,
        #[arg(value_name = "KEY=VALUE", required = true, value_parser = parse_key_value)]
        tags: Vec<(String, String)>,
    },
    /// Remove tags by key
    Untag {
        name: String,
        #[arg(value_name = "KEY", required = true)]
        keys: Vec<String>,
    },
    /// Replace a role's trust policy (an IAM JSON file, or `-` for stdin)
    Trust { name: String, file: String },
}

pub fn main(args: PrincipalArgs) -> ExitCode {
    admin::main(&args.connection, |client| {
        run(client, args.command, args.output)
    })
}

async fn run(
    client: AdminClient,
    command: PrincipalCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        PrincipalCommand::Create {
            name,
            role,
            tags,
            trust_policy,
        } => {
            let mut request = json!({
                "Name": name,
                "Type": if role { "Role" } else { "User" },
            });
            if !tags.is_empty() {
                request["Tags"] = tags_json(&tags);
            }
            if let Some(file) = trust_policy {
                request["TrustPolicy"] = json!(client::read_input(&file)?);
            }
            let answer = client.call("CreatePrincipal", &request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => {
                    let principal = &answer["Principal"];
                    println!(
                        "created {} {} ({})",
                        kind(principal),
                        text(&principal["Name"]),
                        text(&principal["Arn"])
                    );
                }
            }
        }
        PrincipalCommand::List => {
            let answer = client.call("ListPrincipals", &json!({})).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", principal_table(list(&answer, "Principals"))),
            }
        }
        PrincipalCommand::Show { name } => {
            let answer = client.call("GetPrincipal", &json!({"Name": name})).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", principal_details(&answer["Principal"])),
            }
        }
        PrincipalCommand::Delete { name } => {
            let answer = client
                .call("DeletePrincipal", &json!({"Name": name}))
                .await?;
            done(output, &answer, &format!("deleted principal {name}"))?;
        }
        PrincipalCommand::Tag { name, tags } => {
            let answer = client
                .call(
                    "TagPrincipal",
                    &json!({"Name": name, "Tags": tags_json(&tags)}),
                )
                .await?;
            done(
                output,
                &answer,
                &format!("tagged {name}: {}", tag_list(&tags_json(&tags))),
            )?;
        }
        PrincipalCommand::Untag { name, keys } => {
            let answer = client
                .call("UntagPrincipal", &json!({"Name": name, "TagKeys": keys}))
                .await?;
            done(
                output,
                &answer,
                &format!("removed tags from {name}: {}", keys.join(", ")),
            )?;
        }
        PrincipalCommand::Trust { name, file } => {
            let document = client::read_input(&file)?;
            let answer = client
                .call(
                    "PutTrustPolicy",
                    &json!({"Name": name, "PolicyDocument": document}),
                )
                .await?;
            done(
                output,
                &answer,
                &format!("replaced the trust policy of {name}"),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The confirmation of a change: a line of text, or the API's answer.
fn done(output: Output, answer: &Value, message: &str) -> anyhow::Result<()> {
    match output {
        Output::Json => print_json(answer),
        Output::Text => {
            println!("{message}");
            Ok(())
        }
    }
}

/// `user` or `role`.
fn kind(principal: &Value) -> String {
    text(&principal["Type"]).to_lowercase()
}

/// `key=value, key=value` (or `-`).
fn tag_list(tags: &Value) -> String {
    let tags: Vec<String> = tags
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|t| format!("{}={}", text(&t["Key"]), text(&t["Value"])))
        .collect();
    if tags.is_empty() {
        "-".to_owned()
    } else {
        tags.join(", ")
    }
}

fn principal_table(principals: &[Value]) -> String {
    let mut rows = vec![vec![
        "NAME".to_owned(),
        "TYPE".to_owned(),
        "CREATED".to_owned(),
        "ARN".to_owned(),
        "TAGS".to_owned(),
    ]];
    rows.extend(principals.iter().map(|p| {
        vec![
            text(&p["Name"]),
            kind(p),
            date(&p["CreateDate"]),
            text(&p["Arn"]),
            tag_list(&p["Tags"]),
        ]
    }));
    client::table(&rows)
}

fn principal_details(principal: &Value) -> String {
    let mut out = client::table(&[
        vec!["Name:".to_owned(), text(&principal["Name"])],
        vec!["Type:".to_owned(), kind(principal)],
        vec!["Arn:".to_owned(), text(&principal["Arn"])],
        vec!["Created:".to_owned(), date(&principal["CreateDate"])],
        vec!["Tags:".to_owned(), tag_list(&principal["Tags"])],
    ]);
    if let Some(trust) = principal["TrustPolicy"].as_str() {
        // As it was put (re-encoding would sort its keys).
        out.push_str("Trust policy:\n");
        out.push_str(trust.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_principal() {
        let principals = vec![
            json!({"Name": "ci", "Type": "User", "Arn": "arn:aws:iam::1:user/ci",
                   "CreateDate": 0, "Tags": [{"Key": "team", "Value": "platform"}]}),
            json!({"Name": "app", "Type": "Role", "Arn": "arn:aws:iam::1:role/app",
                   "CreateDate": 60}),
        ];
        let table = principal_table(&principals);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("NAME"), "{table}");
        assert!(
            lines[1].contains("user") && lines[1].ends_with("team=platform"),
            "{table}"
        );
        assert!(
            lines[2].contains("role") && lines[2].contains("1970-01-01T00:01:00Z"),
            "{table}"
        );
        assert!(lines[2].ends_with('-'), "{table}");
    }

    #[test]
    fn details_show_a_trust_policy_as_put() {
        let principal = json!({"Name": "app", "Type": "Role", "Arn": "arn:aws:iam::1:role/app",
            "CreateDate": 0, "Tags": [],
            "TrustPolicy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"});
        let shown = principal_details(&principal);
        assert!(shown.contains("Type:     role"), "{shown}");
        assert!(
            shown.ends_with("Trust policy:\n{\"Version\":\"2012-10-17\",\"Statement\":[]}\n"),
            "{shown}"
        );
        let user = json!({"Name": "ci", "Type": "User"});
        assert!(!principal_details(&user).contains("Trust policy"));
    }

    #[test]
    fn create_parses_tags_and_requires_role_for_a_trust_policy() {
        use clap::Parser;

        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: PrincipalArgs,
        }
        let cli = Cli::try_parse_from([
            "kinko",
            "create",
            "ci",
            "--tag",
            "team=platform",
            "--tag",
            "env=prod",
        ])
        .unwrap();
        let PrincipalCommand::Create {
            name, tags, role, ..
        } = cli.args.command
        else {
            panic!("not create");
        };
        assert_eq!(name, "ci");
        assert!(!role);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[1], ("env".to_owned(), "prod".to_owned()));

        let err =
            Cli::try_parse_from(["kinko", "create", "ci", "--trust-policy", "t.json"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let err = Cli::try_parse_from(["kinko", "create", "ci", "--tag", "novalue"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        // Global options go after the subcommand too.
        let cli = Cli::try_parse_from([
            "kinko",
            "list",
            "--endpoint-url",
            "http://127.0.0.1:1",
            "--output",
            "json",
        ])
        .unwrap();
        assert_eq!(
            cli.args.connection.endpoint_url.as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(cli.args.output, Output::Json);
    }
}
