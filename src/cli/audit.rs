//! `kinko audit tail|query|verify`: read the server's hash-chained audit
//! log, and check the chain.
//!
//! Records never hold a value or a secret key, so they are printed as the
//! server gives them (`--output json`: one JSON object a line).

use std::process::ExitCode;
use std::time::Duration;

use kinko_client::admin::AdminClient;
use kinko_model::admin::{QueryAuditLogRequest, VerifyAuditLogResponse};
use serde_json::Value;

use super::admin::{self, Connection, VERDICT_NEGATIVE, parse_time, print_json, short_arn, text};
use super::client::{self, Output};

/// The most records one `QueryAuditLog` call returns.
const PAGE: u64 = 1000;
/// [`PAGE`] as a request's `Limit`.
const PAGE_LIMIT: usize = PAGE as usize;
/// How often `tail --follow` asks for new records.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Aligned text for people, or JSON (one record a line) for programs
    #[arg(long, value_enum, global = true, default_value_t = Output::Text)]
    pub output: Output,
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Print the latest records (and, with --follow, new ones as they come)
    Tail {
        /// How many of the latest records to print first
        #[arg(short = 'n', long = "lines", default_value_t = 20,
              value_parser = clap::value_parser!(u64).range(0..=PAGE))]
        lines: u64,
        /// Keep printing new records (polls once a second; Ctrl-C stops)
        #[arg(long, short = 'f')]
        follow: bool,
    },
    /// Print the records that match every filter given, oldest first
    Query(QueryArgs),
    /// Check the hash chain: exit 0 when intact, 1 naming the first bad record
    #[command(
        after_help = "Exit status: 0 when the log is intact, 1 when it is broken, 2 on error."
    )]
    Verify,
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// A principal's name or ARN (or a part of it)
    #[arg(long)]
    pub principal: Option<String>,
    /// An action, like ssm:GetParameter
    #[arg(long)]
    pub action: Option<String>,
    #[arg(long, value_enum)]
    pub decision: Option<Decision>,
    /// Records from this time on: RFC 3339, or a duration ago like 15m
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<i64>,
    /// Records up to this time: RFC 3339, or a duration ago like 15m
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<i64>,
    /// At most this many records
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Decision {
    Allow,
    Deny,
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    admin::run(&args.connection, |client| {
        command(client, args.command, args.output)
    })
}

async fn command(
    client: AdminClient,
    command: AuditCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Tail { lines, follow } => tail(&client, lines, follow, output).await?,
        AuditCommand::Query(args) => {
            let records = query(&client, &query_filters(&args), args.limit).await?;
            print_records(&records, output)?;
        }
        AuditCommand::Verify => return verify(&client, output).await,
    }
    Ok(ExitCode::SUCCESS)
}

fn query_filters(args: &QueryArgs) -> QueryAuditLogRequest {
    QueryAuditLogRequest {
        principal: args.principal.clone(),
        action: args.action.clone(),
        decision: args.decision.map(|decision| {
            match decision {
                Decision::Allow => "allow",
                Decision::Deny => "deny",
            }
            .to_owned()
        }),
        since: args.since.map(|seconds| seconds as f64),
        until: args.until.map(|seconds| seconds as f64),
        ..QueryAuditLogRequest::default()
    }
}

/// Up to `limit` records matching `filters`, page by page.
async fn query(
    client: &AdminClient,
    filters: &QueryAuditLogRequest,
    limit: u64,
) -> anyhow::Result<Vec<Value>> {
    let mut records: Vec<Value> = Vec::new();
    let mut after: Option<u64> = None;
    loop {
        let wanted = limit - records.len() as u64;
        let request = QueryAuditLogRequest {
            limit: Some(wanted.min(PAGE) as usize),
            after_seq: after.map(i64::try_from).transpose()?,
            ..filters.clone()
        };
        let answer = client.query_audit_log(&request).await?;
        records.extend(answer.records.into_iter().take(wanted as usize));
        match next_seq(answer.next_seq) {
            // An empty page may still carry NextSeq: the server scans a
            // bounded number of rows per call. Go on while it advances.
            Some(next) if after.is_none_or(|a| next > a) && (records.len() as u64) < limit => {
                after = Some(next);
            }
            _ => return Ok(records),
        }
    }
}

async fn tail(
    client: &AdminClient,
    lines: u64,
    follow: bool,
    output: Output,
) -> anyhow::Result<()> {
    // With -n 0 the last record is still fetched, to know where to follow on from.
    let first = lines.max(1) as usize;
    let request = QueryAuditLogRequest {
        tail: Some(first),
        limit: Some(first),
        ..QueryAuditLogRequest::default()
    };
    let answer = client.query_audit_log(&request).await?;
    let first = &answer.records;
    let mut after = last_seq(first).unwrap_or(0);
    if lines > 0 {
        print_records(first, output)?;
    }
    if !follow {
        return Ok(());
    }
    let own_key = client.access_key_id().await?;
    loop {
        let request = QueryAuditLogRequest {
            after_seq: Some(i64::try_from(after)?),
            limit: Some(PAGE_LIMIT),
            ..QueryAuditLogRequest::default()
        };
        let answer = client.query_audit_log(&request).await?;
        let page = &answer.records;
        let shown: Vec<Value> = page
            .iter()
            .filter(|r| !is_own_poll(r, &own_key))
            .cloned()
            .collect();
        print_records(&shown, output)?;
        after = last_seq(page).map_or(after, |seq| seq.max(after));
        match next_seq(answer.next_seq) {
            Some(next) if next > after => after = next,
            _ => tokio::time::sleep(FOLLOW_INTERVAL).await,
        }
    }
}

/// An answer's `NextSeq` as the seqs of records are read (a negative one
/// is none).
fn next_seq(next: Option<i64>) -> Option<u64> {
    next.and_then(|seq| u64::try_from(seq).ok())
}

/// The highest `seq` among `records`.
fn last_seq(records: &[Value]) -> Option<u64> {
    records.iter().filter_map(|r| r["seq"].as_u64()).max()
}

/// A record of `tail --follow`'s own polling, which would otherwise echo
/// once a second forever.
fn is_own_poll(record: &Value, own_key: &str) -> bool {
    record["accessKeyId"].as_str() == Some(own_key)
        && record["operation"]
            .as_str()
            .is_some_and(|op| op.ends_with("QueryAuditLog"))
        && record["decision"] == "allow"
}

fn print_records(records: &[Value], output: Output) -> anyhow::Result<()> {
    match output {
        Output::Json => {
            for record in records {
                println!("{}", serde_json::to_string(record)?);
            }
        }
        Output::Text => {
            if !records.is_empty() {
                let rows: Vec<Vec<String>> = records.iter().map(record_row).collect();
                print!("{}", client::table(&rows));
            }
        }
    }
    Ok(())
}

/// Time, principal, operation, resources, decision, error.
fn record_row(record: &Value) -> Vec<String> {
    let principal = match (record["principal"].as_str(), record["accessKeyId"].as_str()) {
        (Some(arn), _) => short_arn(arn).to_owned(),
        (None, Some(key)) => format!("key {key}"),
        (None, None) => "-".to_owned(),
    };
    let mut resources: Vec<&str> = Vec::new();
    for resource in admin::list(record, "resources") {
        if let Some(arn) = resource["resource"].as_str() {
            let arn = short_arn(arn);
            if !resources.contains(&arn) {
                resources.push(arn);
            }
        }
    }
    let outage = &record["outage"];
    let resources = if outage.is_object() {
        // The summary of a time the log could not be written.
        format!(
            "{} requests refused since {}",
            outage["refusedRequests"],
            text(&outage["since"])
        )
    } else if resources.is_empty() {
        "-".to_owned()
    } else {
        resources.join(",")
    };
    let decision = match (record["decision"].as_str(), record["statement"].as_str()) {
        (Some("deny"), Some(statement)) => format!("deny {statement}"),
        (Some(decision), _) => decision.to_owned(),
        (None, _) => "-".to_owned(),
    };
    vec![
        text(&record["time"]),
        principal,
        text(&record["operation"]),
        resources,
        decision,
        text(&record["errorCode"]),
    ]
}

async fn verify(client: &AdminClient, output: Output) -> anyhow::Result<ExitCode> {
    let answer = client.verify_audit_log().await?;
    let intact = answer.intact;
    match output {
        Output::Json => print_json(&answer)?,
        Output::Text => println!("{}", verify_report(&answer)),
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(VERDICT_NEGATIVE)
    })
}

/// `audit log intact: N records, head SEQ HASH` or `audit log broken at
/// record SEQ: REASON`.
fn verify_report(answer: &VerifyAuditLogResponse) -> String {
    if answer.intact {
        format!(
            "audit log intact: {} records, head {} {}",
            answer
                .records
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            answer.head_seq,
            answer.head_hash
        )
    } else {
        let (seq, reason) = match &answer.problem {
            Some(problem) => (problem.seq.to_string(), problem.reason.as_str()),
            None => ("-".to_owned(), "-"),
        };
        format!("audit log broken at record {seq}: {reason}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(seq: u64) -> Value {
        json!({
            "seq": seq, "time": "2024-05-01T10:00:00.123Z", "requestId": "r1",
            "principal": "arn:aws:iam::000000000000:user/dev", "accessKeyId": "AKIADEV",
            "sourceIp": "127.0.0.1", "operation": "ssm:GetParameter",
            "resources": [
                {"action": "ssm:GetParameter",
                 "resource": "arn:aws:ssm:us-east-1:000000000000:parameter/app/prod/db",
                 "decision": "deny"},
                {"action": "kms:Decrypt",
                 "resource": "arn:aws:ssm:us-east-1:000000000000:parameter/app/prod/db",
                 "decision": "deny"}
            ],
            "decision": "deny", "statement": "guard#DenyProd",
            "errorCode": "AccessDeniedException", "status": 400, "latencyMs": 2,
            "prevHash": "00", "hash": "11"
        })
    }

    #[test]
    fn a_record_is_one_row_with_what_matters() {
        assert_eq!(
            record_row(&record(7)),
            vec![
                "2024-05-01T10:00:00.123Z",
                "user/dev",
                "ssm:GetParameter",
                "parameter/app/prod/db",
                "deny guard#DenyProd",
                "AccessDeniedException",
            ]
        );
        let anonymous = json!({"seq": 1, "time": "t", "principal": null, "accessKeyId": "AKIAX",
            "operation": "AmazonSSM.Nope", "resources": [], "decision": "deny", "errorCode": null});
        assert_eq!(
            record_row(&anonymous),
            vec!["t", "key AKIAX", "AmazonSSM.Nope", "-", "deny", "-"]
        );
        let outage = json!({"seq": 2, "time": "2024-05-01T10:05:00.000Z", "principal": null,
            "accessKeyId": null, "operation": "kinko:AuditLogUnavailable", "resources": [],
            "decision": "deny", "errorCode": "ServiceUnavailable", "status": 503,
            "outage": {"since": "2024-05-01T10:00:00.000Z", "until": "2024-05-01T10:05:00.000Z",
                       "refusedRequests": 1234}});
        assert_eq!(
            record_row(&outage),
            vec![
                "2024-05-01T10:05:00.000Z",
                "-",
                "kinko:AuditLogUnavailable",
                "1234 requests refused since 2024-05-01T10:00:00.000Z",
                "deny",
                "ServiceUnavailable",
            ]
        );
    }

    #[test]
    fn verify_reports_intact_and_broken_logs() {
        let answer =
            |json: Value| -> VerifyAuditLogResponse { serde_json::from_value(json).unwrap() };
        let intact =
            answer(json!({"Intact": true, "Records": 42, "HeadSeq": 42, "HeadHash": "ab12"}));
        assert_eq!(
            verify_report(&intact),
            "audit log intact: 42 records, head 42 ab12"
        );
        let broken = answer(
            json!({"Intact": false, "Records": 42, "HeadSeq": 42, "HeadHash": "ab12",
            "Problem": {"Seq": 17, "Reason": "hash does not match the record"}}),
        );
        assert_eq!(
            verify_report(&broken),
            "audit log broken at record 17: hash does not match the record"
        );
    }

    #[test]
    fn the_follow_loop_skips_only_its_own_polls() {
        let poll = json!({"accessKeyId": "AKIAME", "operation": "kinko:QueryAuditLog",
            "decision": "allow"});
        assert!(is_own_poll(&poll, "AKIAME"));
        assert!(!is_own_poll(&poll, "AKIAOTHER"));
        let denied = json!({"accessKeyId": "AKIAME", "operation": "kinko:QueryAuditLog",
            "decision": "deny"});
        assert!(!is_own_poll(&denied, "AKIAME"));
        assert_eq!(last_seq(&[record(3), record(9), record(5)]), Some(9));
        assert_eq!(last_seq(&[]), None);
    }

    #[test]
    fn query_filters_hold_only_what_was_given() {
        use clap::Parser;

        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: QueryArgs,
        }
        let args = Cli::try_parse_from([
            "query",
            "--principal",
            "dev",
            "--decision",
            "deny",
            "--since",
            "2024-05-01T10:00:00Z",
        ])
        .unwrap()
        .args;
        assert_eq!(args.limit, 100);
        assert_eq!(
            query_filters(&args),
            QueryAuditLogRequest {
                principal: Some("dev".into()),
                decision: Some("deny".into()),
                since: Some(1_714_557_600.0),
                ..QueryAuditLogRequest::default()
            }
        );
        assert!(Cli::try_parse_from(["query", "--since", "whenever"]).is_err());
        assert!(Cli::try_parse_from(["query", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["query", "--decision", "maybe"]).is_err());
    }
}
