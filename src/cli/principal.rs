//! `kinko principal …`: users and roles (create, list, show, delete, tags,
//! a role's trust policy) over the admin API.

use std::process::ExitCode;

use kinko_client::admin::AdminClient;
use kinko_model::admin::{
    CreatePrincipalRequest, EmptyResponse, Principal, PrincipalNameRequest, PutTrustPolicyRequest,
    TagPrincipalRequest, UntagPrincipalRequest,
};
use kinko_model::principals::PrincipalKind;

use super::admin::{self, Connection, date, parse_key_value, print_json, tag_shapes};
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

pub fn run(args: PrincipalArgs) -> anyhow::Result<ExitCode> {
    admin::run(&args.connection, |client| {
        command(client, args.command, args.output)
    })
}

async fn command(
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
            let kind = if role {
                PrincipalKind::Role
            } else {
                PrincipalKind::User
            };
            let request = CreatePrincipalRequest {
                name: Some(name),
                kind: Some(kind.as_str().to_owned()),
                tags: (!tags.is_empty()).then(|| tag_shapes(&tags)),
                trust_policy: trust_policy.map(|f| client::read_input(&f)).transpose()?,
            };
            let answer = client.create_principal(&request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => {
                    let principal = &answer.principal;
                    println!(
                        "created {} {} ({})",
                        kind_name(principal.kind),
                        principal.name,
                        principal.arn
                    );
                }
            }
        }
        PrincipalCommand::List => {
            let answer = client.list_principals().await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", principal_table(&answer.principals)),
            }
        }
        PrincipalCommand::Show { name } => {
            let answer = client.get_principal(&named(name)).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", principal_details(&answer.principal)),
            }
        }
        PrincipalCommand::Delete { name } => {
            let answer = client.delete_principal(&named(name.clone())).await?;
            done(output, &answer, &format!("deleted principal {name}"))?;
        }
        PrincipalCommand::Tag { name, tags } => {
            let request = TagPrincipalRequest {
                name: Some(name.clone()),
                tags: Some(tag_shapes(&tags)),
            };
            let answer = client.tag_principal(&request).await?;
            let shown = tag_list(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            done(output, &answer, &format!("tagged {name}: {shown}"))?;
        }
        PrincipalCommand::Untag { name, keys } => {
            let message = format!("removed tags from {name}: {}", keys.join(", "));
            let request = UntagPrincipalRequest {
                name: Some(name),
                tag_keys: Some(keys),
            };
            let answer = client.untag_principal(&request).await?;
            done(output, &answer, &message)?;
        }
        PrincipalCommand::Trust { name, file } => {
            let request = PutTrustPolicyRequest {
                name: Some(name.clone()),
                policy_document: Some(client::read_input(&file)?),
            };
            let answer = client.put_trust_policy(&request).await?;
            done(
                output,
                &answer,
                &format!("replaced the trust policy of {name}"),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The request naming one principal.
fn named(name: String) -> PrincipalNameRequest {
    PrincipalNameRequest { name: Some(name) }
}

/// The confirmation of a change: a line of text, or the API's answer.
fn done(output: Output, answer: &EmptyResponse, message: &str) -> anyhow::Result<()> {
    match output {
        Output::Json => print_json(answer),
        Output::Text => {
            println!("{message}");
            Ok(())
        }
    }
}

/// `user` or `role`.
fn kind_name(kind: PrincipalKind) -> String {
    kind.as_str().to_lowercase()
}

/// `key=value, key=value` (or `-`).
fn tag_list<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let tags: Vec<String> = tags.map(|(key, value)| format!("{key}={value}")).collect();
    if tags.is_empty() {
        "-".to_owned()
    } else {
        tags.join(", ")
    }
}

/// A principal's tags for people.
fn principal_tags(principal: &Principal) -> String {
    tag_list(
        principal
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str())),
    )
}

fn principal_table(principals: &[Principal]) -> String {
    let mut rows = vec![vec![
        "NAME".to_owned(),
        "TYPE".to_owned(),
        "CREATED".to_owned(),
        "ARN".to_owned(),
        "TAGS".to_owned(),
    ]];
    rows.extend(principals.iter().map(|p| {
        vec![
            p.name.clone(),
            kind_name(p.kind),
            date(Some(p.create_date)),
            p.arn.clone(),
            principal_tags(p),
        ]
    }));
    client::table(&rows)
}

fn principal_details(principal: &Principal) -> String {
    let mut out = client::table(&[
        vec!["Name:".to_owned(), principal.name.clone()],
        vec!["Type:".to_owned(), kind_name(principal.kind)],
        vec!["Arn:".to_owned(), principal.arn.clone()],
        vec!["Created:".to_owned(), date(Some(principal.create_date))],
        vec!["Tags:".to_owned(), principal_tags(principal)],
    ]);
    if let Some(trust) = &principal.trust_policy {
        // As it was put (re-encoding would sort its keys).
        out.push_str("Trust policy:\n");
        out.push_str(trust.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use kinko_model::{Epoch, Tag};

    use super::*;

    fn principal(name: &str, kind: PrincipalKind, created_seconds: i64) -> Principal {
        Principal {
            name: name.to_owned(),
            kind,
            arn: format!("arn:aws:iam::1:{}/{name}", kind_name(kind)),
            unique_id: "AIDAEXAMPLE".to_owned(),
            create_date: Epoch(created_seconds * 1000),
            tags: Vec::new(),
            trust_policy: None,
        }
    }

    #[test]
    fn the_table_has_one_row_per_principal() {
        let principals = vec![
            Principal {
                tags: vec![Tag {
                    key: "team".into(),
                    value: "platform".into(),
                }],
                ..principal("ci", PrincipalKind::User, 0)
            },
            principal("app", PrincipalKind::Role, 60),
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
        let role = Principal {
            trust_policy: Some("{\"Version\":\"2012-10-17\",\"Statement\":[]}".into()),
            ..principal("app", PrincipalKind::Role, 0)
        };
        let shown = principal_details(&role);
        assert!(shown.contains("Type:     role"), "{shown}");
        assert!(
            shown.ends_with("Trust policy:\n{\"Version\":\"2012-10-17\",\"Statement\":[]}\n"),
            "{shown}"
        );
        let user = principal("ci", PrincipalKind::User, 0);
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
