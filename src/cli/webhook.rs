//! `kinko webhook …`: subscriptions to the change feed. Each one gets an
//! EventBridge-shaped JSON POST per change it matches, signed as Standard
//! Webhooks with a `whsec_…` secret that is shown once, at create and at
//! rotate-secret.

use std::process::ExitCode;

use kinko_client::admin::AdminClient;
use kinko_model::admin::{CreateWebhookRequest, WebhookSecretResponse, WebhookShape};

use super::admin::{self, Connection, date, print_json};
use super::client::{self, Output};

#[derive(Debug, clap::Args)]
pub struct WebhookArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Text for people, or the API's JSON for programs
    #[arg(long, value_enum, global = true, default_value_t = Output::Text)]
    pub output: Output,
    #[command(subcommand)]
    pub command: WebhookCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum WebhookCommand {
    /// Subscribe a URL to the change feed; its signing secret is shown once
    Create(CreateArgs),
    /// List every subscription and where its delivery stands
    List,
    /// Show one subscription
    Get {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Remove a subscription: nothing more is sent to it
    Delete {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// A new signing secret (shown once); the old one keeps signing beside it for --grace
    RotateSecret {
        #[arg(value_name = "ID")]
        id: String,
        /// Seconds the old secret stays valid beside the new one (0–604800) [default: 86400]
        #[arg(long, value_name = "SECONDS")]
        grace: Option<i64>,
    },
    /// Make a failed subscription deliver again, from where it stopped
    Enable {
        #[arg(value_name = "ID")]
        id: String,
        /// Skip what it missed: deliver from the newest change on
        #[arg(long)]
        from_head: bool,
    },
    /// Send one test event now and show what the receiver answered
    Test {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// https://… (http:// to a loopback address only), or ssm:NAME for a
    /// SecureString holding the URL, resolved at each delivery
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// source=aws.ssm|aws.secretsmanager|aws.kms|kinko.iam, operation=NAME or
    /// name-prefix=PREFIX (repeatable; the same key ORs, different keys AND)
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Free text shown in list and get
    #[arg(long)]
    pub description: Option<String>,
}

pub fn run(args: WebhookArgs) -> anyhow::Result<ExitCode> {
    admin::run(&args.connection, |client| {
        command(client, args.command, args.output)
    })
}

async fn command(
    client: AdminClient,
    command: WebhookCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        WebhookCommand::Create(args) => {
            let answer = client.create_webhook(&create_request(args)).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", with_secret("created", &answer)),
            }
        }
        WebhookCommand::List => {
            let answer = client.list_webhooks().await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", table(&answer.webhooks)),
            }
        }
        WebhookCommand::Get { id } => {
            let answer = client.get_webhook(&id).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", details(&answer.webhook)),
            }
        }
        WebhookCommand::Delete { id } => {
            let answer = client.delete_webhook(&id).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("deleted webhook {id}"),
            }
        }
        WebhookCommand::RotateSecret { id, grace } => {
            let answer = client.rotate_webhook_secret(&id, grace).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", with_secret("rotated the secret of", &answer)),
            }
        }
        WebhookCommand::Enable { id, from_head } => {
            let answer = client.enable_webhook(&id, from_head).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!(
                    "enabled webhook {id}: delivering after change {}",
                    answer.webhook.delivered_through
                ),
            }
        }
        WebhookCommand::Test { id } => {
            let answer = client.test_webhook(&id).await?;
            let delivered = matches!(answer.status_code, Some(200..=299));
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => match (answer.status_code, &answer.error) {
                    (Some(status), _) => {
                        println!("sent test event {}: HTTP {status}", answer.event_id)
                    }
                    (None, Some(error)) => {
                        println!("sent test event {}: {error}", answer.event_id)
                    }
                    (None, None) => println!("sent test event {}", answer.event_id),
                },
            }
            // A receiver that did not take the event is a verdict, as `diff`'s 1 is.
            if !delivered {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn create_request(args: CreateArgs) -> CreateWebhookRequest {
    CreateWebhookRequest {
        url: Some(args.url),
        filters: args.filters,
        description: args.description,
    }
}

/// What `create` and `rotate-secret` print for people: the one time the
/// secret is shown, said so.
fn with_secret(done: &str, answer: &WebhookSecretResponse) -> String {
    let hook = &answer.webhook;
    let mut shown = format!(
        "{done} webhook {} → {}\nSigningSecret: {}\n",
        hook.webhook_id,
        hook.url,
        answer.signing_secret.expose()
    );
    shown.push_str("This secret is not shown again: keep it where the receiver reads it.\n");
    if let Some(until) = hook.previous_secret_valid_until {
        shown.push_str(&format!(
            "The previous secret also signs until {}.\n",
            date(Some(until))
        ));
    }
    shown
}

fn filters(hook: &WebhookShape) -> String {
    if hook.filters.is_empty() {
        "(every change)".to_owned()
    } else {
        hook.filters.join(" ")
    }
}

fn table(hooks: &[WebhookShape]) -> String {
    let mut rows = vec![vec![
        "ID".to_owned(),
        "URL".to_owned(),
        "FILTERS".to_owned(),
        "STATUS".to_owned(),
        "DELIVERED THROUGH".to_owned(),
        "LAST ERROR".to_owned(),
    ]];
    rows.extend(hooks.iter().map(|h| {
        vec![
            h.webhook_id.clone(),
            h.url.clone(),
            filters(h),
            h.status.clone(),
            h.delivered_through.to_string(),
            h.last_error.clone().unwrap_or_else(|| "-".to_owned()),
        ]
    }));
    client::table(&rows)
}

fn details(hook: &WebhookShape) -> String {
    let optional = |epoch: Option<kinko_model::Epoch>| {
        if epoch.is_some() {
            date(epoch)
        } else {
            "-".to_owned()
        }
    };
    format!(
        "id:                {}\nurl:               {}\nfilters:           {}\ndescription:       {}\nstatus:            {}\ndelivered through: {}\nattempts:          {}\nlast error:        {}\nnext attempt:      {}\nfailing since:     {}\nlast delivered:    {}\ncreated:           {} by {}\n",
        hook.webhook_id,
        hook.url,
        filters(hook),
        hook.description.as_deref().unwrap_or("-"),
        hook.status,
        hook.delivered_through,
        hook.attempts,
        hook.last_error.as_deref().unwrap_or("-"),
        optional(hook.next_attempt_date),
        optional(hook.failing_since_date),
        optional(hook.last_delivered_date),
        date(Some(hook.created_date)),
        hook.created_by,
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kinko_model::Epoch;

    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: WebhookArgs,
    }

    fn parse(argv: &[&str]) -> Result<WebhookArgs, clap::Error> {
        let mut full = vec!["webhook"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full).map(|cli| cli.args)
    }

    fn shape() -> WebhookShape {
        WebhookShape {
            webhook_id: "wh-0123456789abcdef".into(),
            url: "https://hooks.example.test/…".into(),
            filters: vec!["source=aws.ssm".into(), "name-prefix=/prod/".into()],
            description: None,
            status: "failed".into(),
            delivered_through: 41,
            attempts: 12,
            last_error: Some("HTTP 503".into()),
            next_attempt_date: None,
            failing_since_date: Some(Epoch(1_700_000_000_000)),
            last_delivered_date: None,
            previous_secret_valid_until: None,
            created_date: Epoch(1_700_000_000_000),
            created_by: "arn:aws:iam::000000000000:root".into(),
        }
    }

    #[test]
    fn create_takes_repeated_filters() {
        let args = parse(&[
            "create",
            "--url",
            "ssm:/hooks/slack",
            "--filter",
            "source=aws.ssm",
            "--filter",
            "name-prefix=/prod/",
            "--output",
            "json",
        ])
        .unwrap();
        assert_eq!(args.output, Output::Json);
        let WebhookCommand::Create(create) = args.command else {
            panic!("{args:?}")
        };
        assert_eq!(
            serde_json::to_value(create_request(create)).unwrap(),
            serde_json::json!({"Url": "ssm:/hooks/slack",
                "Filters": ["source=aws.ssm", "name-prefix=/prod/"]})
        );
        assert!(parse(&["create"]).is_err(), "--url is required");
        let rotate = parse(&["rotate-secret", "wh-1", "--grace", "60"]).unwrap();
        assert!(matches!(
            rotate.command,
            WebhookCommand::RotateSecret {
                grace: Some(60),
                ..
            }
        ));
        let enable = parse(&["enable", "wh-1", "--from-head"]).unwrap();
        assert!(matches!(
            enable.command,
            WebhookCommand::Enable {
                from_head: true,
                ..
            }
        ));
    }

    #[test]
    fn people_see_a_failed_hook_and_why() {
        let listed = table(&[shape()]);
        assert!(listed.contains("failed"), "{listed}");
        assert!(listed.contains("HTTP 503"), "{listed}");
        assert!(
            listed.contains("source=aws.ssm name-prefix=/prod/"),
            "{listed}"
        );
        let shown = details(&shape());
        assert!(
            shown.contains("failing since:     2023-11-14T22:13:20Z\n"),
            "{shown}"
        );
        assert!(shown.contains("next attempt:      -\n"), "{shown}");
    }

    #[test]
    fn the_secret_is_printed_once_with_a_warning() {
        let answer = WebhookSecretResponse {
            webhook: shape(),
            signing_secret: kinko_crypto::SecretString::new("whsec_c2VjcmV0".to_owned()),
        };
        let shown = with_secret("created", &answer);
        assert_eq!(shown.matches("whsec_c2VjcmV0").count(), 1, "{shown}");
        assert!(shown.contains("not shown again"), "{shown}");
    }
}
