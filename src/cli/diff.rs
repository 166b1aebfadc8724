//! `kinko diff A B`: compare two stages (parameter paths, or secrets holding
//! a JSON object) key by key. Exit status 0 when they match, 1 when they
//! differ, 2 on error, like diff(1). Values are shown only with
//! `--show-values`.

use std::process::ExitCode;

use kinko_client::stage::{self, Difference};
use serde_json::json;

use super::client::{self, Output};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// A path (`/app/staging`) or a secret name
    pub a: String,
    /// A path (`/app/production`) or a secret name
    pub b: String,
    /// Print the differing values too
    #[arg(long)]
    pub show_values: bool,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// The status when the stages differ.
const DIFFERENT: u8 = 1;
/// The status of an error, as diff(1)'s (`main` prints the error).
pub const ERROR: u8 = 2;

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    Ok(if compare(&args)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(DIFFERENT)
    })
}

/// `Ok(true)` when the stages match.
fn compare(args: &DiffArgs) -> anyhow::Result<bool> {
    let (a, b) = client::runtime()?.block_on(async {
        let source = client::source().await;
        let (a, b) = tokio::join!(
            stage::read_stage(&source, &args.a),
            stage::read_stage(&source, &args.b),
        );
        anyhow::Ok((a?, b?))
    })?;
    let difference = stage::diff(&a, &b);
    let value = |entries: &kinko_client::formats::Entries, key: &str| {
        entries
            .get(key)
            .map(|v| v.expose().to_owned())
            .unwrap_or_default()
    };
    match args.output {
        Output::Json => {
            let mut report = serde_json::to_value(&difference)?;
            if args.show_values {
                let values: serde_json::Map<String, serde_json::Value> = difference
                    .different
                    .iter()
                    .map(|k| (k.clone(), json!({"a": value(&a, k), "b": value(&b, k)})))
                    .collect();
                report["values"] = serde_json::Value::Object(values);
            }
            report["a"] = json!(args.a);
            report["b"] = json!(args.b);
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Output::Text => print!(
            "{}",
            text_report(args, &difference, &|k| { (value(&a, k), value(&b, k)) })
        ),
    }
    Ok(difference.is_empty())
}

fn text_report(
    args: &DiffArgs,
    difference: &Difference,
    values: &dyn Fn(&str) -> (String, String),
) -> String {
    let mut rows = Vec::new();
    for key in &difference.only_in_a {
        rows.push(vec![format!("only in {}", args.a), key.clone()]);
    }
    for key in &difference.only_in_b {
        rows.push(vec![format!("only in {}", args.b), key.clone()]);
    }
    for key in &difference.different {
        let mut row = vec!["different".to_owned(), key.clone()];
        if args.show_values {
            let (a, b) = values(key);
            row.push(format!("{a:?} → {b:?}"));
        }
        rows.push(row);
    }
    let mut out = client::table(&rows);
    out.push_str(&format!(
        "{} only in {}, {} only in {}, {} different, {} same\n",
        difference.only_in_a.len(),
        args.a,
        difference.only_in_b.len(),
        args.b,
        difference.different.len(),
        difference.same
    ));
    out
}
