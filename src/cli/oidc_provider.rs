//! `kinko oidc-provider …`: the OpenID Connect issuers whose ID tokens
//! (GitHub Actions, EKS service accounts, any OIDC issuer) STS's
//! AssumeRoleWithWebIdentity exchanges for role sessions: create, list,
//! get, delete over the admin API.

use std::process::ExitCode;

use kinko_client::admin::AdminClient;
use kinko_model::admin::{CreateOidcProviderRequest, OidcProviderArnRequest, OidcProviderShape};

use super::admin::{self, Connection, date, print_json};
use super::client::{self, Output};

#[derive(Debug, clap::Args)]
pub struct OidcProviderArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Text for people, or the API's JSON for programs
    #[arg(long, value_enum, global = true, default_value_t = Output::Text)]
    pub output: Output,
    #[command(subcommand)]
    pub command: OidcProviderCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum OidcProviderCommand {
    /// Register an issuer. Its keys: a JWKS file, a JWKS URL the server
    /// fetches, or neither (the server reads ISSUER/.well-known/openid-configuration)
    Create(CreateArgs),
    /// List every provider
    List,
    /// Show one provider
    Get {
        #[arg(value_name = "ARN")]
        arn: String,
    },
    /// Remove a provider: its tokens are refused from then on
    Delete {
        #[arg(value_name = "ARN")]
        arn: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The issuer, exactly as the tokens' `iss` (https://token.actions.githubusercontent.com)
    #[arg(long, value_name = "ISSUER")]
    pub url: String,
    /// An audience the tokens may name (repeatable), like sts.amazonaws.com
    #[arg(long = "client-id", value_name = "AUD", required = true)]
    pub client_ids: Vec<String>,
    /// The issuer's JWKS (a JSON file, or `-`), kept with the provider
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_url")]
    pub jwks_file: Option<String>,
    /// Where the server fetches the JWKS (https://, or http:// to a loopback address)
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,
    /// A certificate thumbprint, as IAM takes them (repeatable; kept, not used)
    #[arg(long = "thumbprint", value_name = "SHA1-HEX")]
    pub thumbprints: Vec<String>,
}

pub fn run(args: OidcProviderArgs) -> anyhow::Result<ExitCode> {
    admin::run(&args.connection, |client| {
        command(client, args.command, args.output)
    })
}

async fn command(
    client: AdminClient,
    command: OidcProviderCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        OidcProviderCommand::Create(args) => {
            let request = create_request(args)?;
            let answer = client.create_oidc_provider(&request).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => {
                    let provider = &answer.provider;
                    println!(
                        "created OIDC provider {} (keys: {})",
                        provider.arn,
                        keys(provider)
                    );
                }
            }
        }
        OidcProviderCommand::List => {
            let answer = client.list_oidc_providers().await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", table(&answer.providers)),
            }
        }
        OidcProviderCommand::Get { arn } => {
            let answer = client.get_oidc_provider(&named(arn)).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => print!("{}", details(&answer.provider)),
            }
        }
        OidcProviderCommand::Delete { arn } => {
            let answer = client.delete_oidc_provider(&named(arn.clone())).await?;
            match output {
                Output::Json => print_json(&answer)?,
                Output::Text => println!("deleted OIDC provider {arn}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn create_request(args: CreateArgs) -> anyhow::Result<CreateOidcProviderRequest> {
    Ok(CreateOidcProviderRequest {
        url: Some(args.url),
        client_id_list: args.client_ids,
        thumbprint_list: args.thumbprints,
        jwks: args
            .jwks_file
            .as_deref()
            .map(client::read_input)
            .transpose()?,
        jwks_url: args.jwks_url,
    })
}

fn named(arn: String) -> OidcProviderArnRequest {
    OidcProviderArnRequest { arn: Some(arn) }
}

/// Where the keys come from, for people: `inline (k1, k2)`, the URL, or `discovery`.
fn keys(provider: &OidcProviderShape) -> String {
    match (provider.key_source.as_str(), &provider.jwks_url) {
        ("url", Some(url)) => format!("fetched from {url}"),
        ("discovery", _) => format!(
            "fetched from {}/.well-known/openid-configuration",
            provider.url
        ),
        _ if provider.key_ids.is_empty() => "inline".to_owned(),
        _ => format!("inline ({})", provider.key_ids.join(", ")),
    }
}

fn table(providers: &[OidcProviderShape]) -> String {
    let mut rows = vec![vec![
        "ARN".to_owned(),
        "CLIENT IDS".to_owned(),
        "KEYS".to_owned(),
        "CREATED".to_owned(),
    ]];
    rows.extend(providers.iter().map(|p| {
        vec![
            p.arn.clone(),
            p.client_id_list.join(","),
            keys(p),
            date(Some(p.create_date)),
        ]
    }));
    client::table(&rows)
}

fn details(provider: &OidcProviderShape) -> String {
    let thumbprints = if provider.thumbprint_list.is_empty() {
        "-".to_owned()
    } else {
        provider.thumbprint_list.join(", ")
    };
    format!(
        "arn:         {}\nurl:         {}\nclient ids:  {}\nkeys:        {}\nthumbprints: {}\ncreated:     {}\n",
        provider.arn,
        provider.url,
        provider.client_id_list.join(", "),
        keys(provider),
        thumbprints,
        date(Some(provider.create_date)),
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
        args: OidcProviderArgs,
    }

    fn parse(argv: &[&str]) -> Result<OidcProviderArgs, clap::Error> {
        let mut full = vec!["oidc-provider"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full).map(|cli| cli.args)
    }

    fn shape(source: &str, url: Option<&str>, kids: &[&str]) -> OidcProviderShape {
        OidcProviderShape {
            arn: "arn:aws:iam::000000000000:oidc-provider/token.example.test".into(),
            url: "https://token.example.test".into(),
            client_id_list: vec!["sts.amazonaws.com".into()],
            thumbprint_list: Vec::new(),
            key_ids: kids.iter().map(|k| (*k).to_owned()).collect(),
            key_source: source.into(),
            jwks_url: url.map(str::to_owned),
            create_date: Epoch(1_700_000_000_000),
        }
    }

    #[test]
    fn create_takes_client_ids_and_one_key_source() {
        let args = parse(&[
            "create",
            "--url",
            "https://token.example.test",
            "--client-id",
            "sts.amazonaws.com",
            "--client-id",
            "other",
            "--jwks-url",
            "https://token.example.test/keys",
        ])
        .unwrap();
        let OidcProviderCommand::Create(create) = args.command else {
            panic!("{args:?}")
        };
        let request = serde_json::to_value(create_request(create).unwrap()).unwrap();
        assert_eq!(
            request,
            serde_json::json!({"Url": "https://token.example.test",
                "ClientIDList": ["sts.amazonaws.com", "other"], "ThumbprintList": [],
                "JwksUrl": "https://token.example.test/keys"})
        );

        let both = parse(&[
            "create",
            "--url",
            "https://x",
            "--client-id",
            "a",
            "--jwks-file",
            "f",
            "--jwks-url",
            "https://x/k",
        ]);
        assert!(both.is_err());
        let no_audience = parse(&["create", "--url", "https://x"]);
        assert!(no_audience.is_err());
    }

    #[test]
    fn people_see_where_the_keys_come_from() {
        assert_eq!(
            keys(&shape("inline", None, &["k1", "k2"])),
            "inline (k1, k2)"
        );
        assert_eq!(
            keys(&shape("url", Some("https://token.example.test/keys"), &[])),
            "fetched from https://token.example.test/keys"
        );
        assert_eq!(
            keys(&shape("discovery", None, &[])),
            "fetched from https://token.example.test/.well-known/openid-configuration"
        );
        let shown = details(&shape("inline", None, &["k1"]));
        assert!(
            shown.contains("client ids:  sts.amazonaws.com\n"),
            "{shown}"
        );
        assert!(
            shown.contains("created:     2023-11-14T22:13:20Z\n"),
            "{shown}"
        );
    }
}
