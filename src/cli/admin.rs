//! What the admin commands (`principal`, `key`, `policy`, `audit`,
//! `assume-role`, `oidc-provider`) share: how they find the server, their exit statuses, and
//! the parsing of durations, times and `KEY=VALUE` arguments.
//!
//! Exit statuses: 0 done (or allowed / intact), 1 a verdict of "denied" or
//! "broken", 2 an error (usage, network, or an error from the server).

use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kinko_client::admin::{AdminClient, LoadOptions, format_epoch};
use kinko_model::{Epoch, TagShape};
use serde::Serialize;
use serde_json::Value;

use super::client;

/// The status of a negative verdict (`simulate` denied, `verify` broken).
pub const VERDICT_NEGATIVE: u8 = 1;
/// The status of any error, as clap uses for usage errors.
pub const ERROR: u8 = 2;

/// Where the server and the credentials come from. Global to each admin
/// command, so it may be given before or after the subcommand.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Connection {
    /// The kinko server [default: AWS_ENDPOINT_URL_KINKO, AWS_ENDPOINT_URL, or the
    /// profile's endpoint_url]
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The aws profile to take credentials from [default: AWS_PROFILE, or default]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The region to sign for [default: AWS_REGION, the profile's region, or us-east-1]
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
}

impl Connection {
    /// The client for the server these options (and the environment) name.
    pub async fn client(&self) -> anyhow::Result<AdminClient> {
        Ok(AdminClient::load(LoadOptions {
            endpoint_url: self.endpoint_url.clone(),
            profile: self.profile.clone(),
            region: self.region.clone(),
        })
        .await?)
    }
}

/// Runs an admin command on a single-threaded runtime: its own exit status,
/// or the error (which `main` prints, exiting with [`ERROR`]).
pub fn run<F, Fut>(connection: &Connection, command: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(AdminClient) -> Fut,
    Fut: Future<Output = anyhow::Result<ExitCode>>,
{
    client::runtime()?.block_on(async {
        let admin = connection.client().await?;
        command(admin).await
    })
}

/// Prints an API answer (or what a command shows instead) as pretty JSON.
/// Through a [`Value`], whose objects keep their members sorted by name:
/// the order this output has always had, whatever a shape's field order.
pub fn print_json<T: Serialize + ?Sized>(shown: &T) -> anyhow::Result<()> {
    let value = serde_json::to_value(shown)?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

/// `90s`, `15m`, `1h`, `7d`, or several at once (`1h30m`); `0` alone is
/// zero. A value parser for clap.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err("empty duration: use a number and a unit, like 90s, 15m, 1h or 7d".into());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "{text:?}: unknown unit {c:?} (use s, m, h or d, like 90s, 15m, 1h or 7d)"
                ));
            }
        };
        if digits.is_empty() {
            return Err(format!("{text:?}: a number must come before {c:?}"));
        }
        let amount: u64 = digits
            .parse()
            .map_err(|_| format!("{text:?}: {digits} is too large"))?;
        total = amount
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(|| format!("{text:?} is too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "{text:?}: {digits} needs a unit (s, m, h or d, like {digits}s or {digits}m)"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// `KEY=VALUE` (the value may hold `=`; the key may not be empty). A value
/// parser for clap.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        Some(_) => Err(format!("{text:?}: the key before '=' is empty")),
        None => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// A time for `--since` / `--until`: RFC 3339, or a duration ago (`15m`).
/// A value parser for clap; the answer is epoch seconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    parse_time_at(text, SystemTime::now())
}

fn parse_time_at(text: &str, now: SystemTime) -> Result<i64, String> {
    if let Ok(ago) = parse_duration(text) {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| "the system clock is before 1970".to_owned())?;
        let then = now.saturating_sub(ago);
        return i64::try_from(then.as_secs()).map_err(|_| format!("{text:?} is out of range"));
    }
    kinko_client::admin::parse_rfc3339(text).map_err(|_| {
        format!(
            "{text:?} is neither an RFC 3339 time (2024-05-01T10:00:00Z) nor a duration ago (15m)"
        )
    })
}

/// `KEY=VALUE` arguments as the API takes tags.
pub fn tag_shapes(tags: &[(String, String)]) -> Vec<TagShape> {
    tags.iter()
        .map(|(key, value)| TagShape {
            key: Some(key.clone()),
            value: Some(value.clone()),
        })
        .collect()
}

/// An API date for people (RFC 3339, to the second); `-` when absent.
pub fn date(epoch: Option<Epoch>) -> String {
    epoch.map_or_else(|| "-".to_owned(), |e| format_epoch(seconds(e)))
}

/// A date as the API sends it: seconds since the epoch.
pub fn seconds(epoch: Epoch) -> f64 {
    epoch.millis() as f64 / 1000.0
}

/// A string field of a JSON object (an audit record); `-` when absent or
/// null.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// The array under `key` of a JSON object (empty when absent).
pub fn list<'a>(answer: &'a Value, key: &str) -> &'a [Value] {
    answer[key].as_array().map_or(&[], Vec::as_slice)
}

/// The part of an ARN after the account (`user/ci`,
/// `assumed-role/app/session`, `parameter/app/x`); other text unchanged.
pub fn short_arn(arn: &str) -> &str {
    if !arn.starts_with("arn:") {
        return arn;
    }
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        for (bad, says) in [
            ("", "empty"),
            ("90", "needs a unit"),
            ("1w", "unknown unit"),
            ("h", "number must come before"),
            ("1.5h", "unknown unit"),
            ("-1h", "unknown unit"),
            ("99999999999999999999s", "too large"),
            ("999999999999999d", "too long"),
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn key_values_split_at_the_first_equals() {
        assert_eq!(
            parse_key_value("team=platform"),
            Ok(("team".to_owned(), "platform".to_owned()))
        );
        assert_eq!(
            parse_key_value("q=a=b"),
            Ok(("q".to_owned(), "a=b".to_owned()))
        );
        assert_eq!(
            parse_key_value("empty="),
            Ok(("empty".to_owned(), String::new()))
        );
        assert!(
            parse_key_value("novalue")
                .unwrap_err()
                .contains("KEY=VALUE")
        );
        assert!(parse_key_value("=v").unwrap_err().contains("empty"));
    }

    #[test]
    fn times_are_rfc3339_or_a_duration_ago() {
        let now = UNIX_EPOCH + Duration::from_secs(1_714_557_600);
        assert_eq!(parse_time_at("15m", now), Ok(1_714_556_700));
        assert_eq!(parse_time_at("0", now), Ok(1_714_557_600));
        assert_eq!(
            parse_time_at("2024-05-01T09:00:00Z", now),
            Ok(1_714_554_000)
        );
        let err = parse_time_at("last tuesday", now).unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn tags_become_key_value_objects() {
        let tags = vec![("team".to_owned(), "platform".to_owned())];
        let json = |tags: &[(String, String)]| serde_json::to_value(tag_shapes(tags)).unwrap();
        assert_eq!(json(&tags), json!([{"Key": "team", "Value": "platform"}]));
        assert_eq!(json(&[]), json!([]));
    }

    #[test]
    fn arns_are_shortened_after_the_account() {
        assert_eq!(short_arn("arn:aws:iam::000000000000:user/ci"), "user/ci");
        assert_eq!(
            short_arn("arn:aws:sts::000000000000:assumed-role/app/run-1"),
            "assumed-role/app/run-1"
        );
        assert_eq!(
            short_arn("arn:aws:ssm:us-east-1:000000000000:parameter/app/a:b"),
            "parameter/app/a:b"
        );
        assert_eq!(short_arn("*"), "*");
    }

    #[test]
    fn dates_and_texts_show_a_dash_when_absent() {
        assert_eq!(date(Some(Epoch(0))), "1970-01-01T00:00:00Z");
        assert_eq!(date(None), "-");
        assert_eq!(text(&Value::Null), "-");
        assert_eq!(text(&json!("x")), "x");
        assert_eq!(text(&json!(3)), "3");
    }
}
