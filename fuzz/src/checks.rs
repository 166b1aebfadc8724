//! What every answer to a fuzzed request must satisfy, beyond not
//! panicking. A failed check panics, which libFuzzer reports as a crash.

use kinko_aws::AwsError;
use serde_json::Value;

/// Request members that carry a secret value (top level of the body).
const SECRET_MEMBERS: [&str; 4] = ["Value", "SecretString", "SecretBinary", "Plaintext"];

/// Shorter values are not checked: they could appear in a message by
/// coincidence (`"a"` in any sentence).
const MIN_CHECKED_SECRET: usize = 8;

/// One operation's result: a success is a JSON object; an error is a 4xx
/// with an AWS-shaped body (the in-memory store never fails, so a 5xx is a
/// fault of ours on bad input); no error message holds a secret sent in
/// the request. A secret that is part of a word of `vocabulary` (the
/// service's member names and enum values, which messages list) is not
/// checked.
///
/// A message that contains a secret is a leak only when the secret is what
/// put it there: `again` runs the same call with the secret replaced by a
/// marker of the same length and gives its error message, and the check
/// fails when that message quotes the marker. (A value that merely spells
/// part of the message — `"er /k not "` beside `Parameter /k not found.` —
/// is no leak.)
pub fn service_answer(
    operation: &str,
    body: &[u8],
    result: &Result<Vec<u8>, AwsError>,
    vocabulary: &[String],
    again: &mut dyn FnMut(&[u8]) -> Option<String>,
) {
    match result {
        Ok(out) => {
            let value: Value = serde_json::from_slice(out)
                .unwrap_or_else(|e| panic!("{operation}: the answer is not JSON ({e})"));
            assert!(
                value.is_object(),
                "{operation}: the answer is not an object"
            );
        }
        Err(error) => {
            assert!(
                error.status < 500,
                "{operation}: bad input answered {} {}: {}",
                error.status,
                error.code,
                error.message
            );
            let shaped: Value = serde_json::from_slice(&error.to_body())
                .unwrap_or_else(|e| panic!("{operation}: the error body is not JSON ({e})"));
            assert_eq!(shaped["__type"], error.code, "{operation}: __type");
            // The operation name is echoed by an unknown-operation error.
            for secret in secrets_in(body).iter().filter(|s| {
                !operation.contains(s.as_str())
                    && !vocabulary.iter().any(|w| w.contains(s.as_str()))
            }) {
                if !error.message.contains(secret.as_str()) {
                    continue;
                }
                let marker = marker(secret.len());
                let text = String::from_utf8_lossy(body).replacen(secret.as_str(), &marker, 1);
                let quoted = again(text.as_bytes()).is_some_and(|message| message.contains(&marker));
                assert!(
                    !quoted,
                    "{operation}: the error message quotes a secret value: {}",
                    error.message
                );
            }
        }
    }
}

/// A stand-in for a secret of `len` bytes that no message spells by chance.
fn marker(len: usize) -> String {
    "QZXJ".chars().cycle().take(len).collect()
}

/// The secret values of a request body that occur nowhere else in it, so
/// that a message naming some other member cannot hold them by right.
fn secrets_in(body: &[u8]) -> Vec<String> {
    let Ok(Value::Object(members)) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(body);
    SECRET_MEMBERS
        .iter()
        .filter_map(|name| members.get(*name)?.as_str())
        .filter(|secret| secret.len() >= MIN_CHECKED_SECRET)
        .filter(|secret| text.matches(*secret).count() == 1)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_long_secrets_that_occur_once_are_checked() {
        let body = br#"{"Name":"/a","Value":"hunter2-hunter2","SecretString":"short"}"#;
        assert_eq!(secrets_in(body), ["hunter2-hunter2"]);
        let body = br#"{"Name":"/hunter2-hunter2","Value":"hunter2-hunter2"}"#;
        assert!(secrets_in(body).is_empty());
        assert!(secrets_in(b"not json").is_empty());
    }

    #[test]
    #[should_panic(expected = "quotes a secret value")]
    fn a_quoted_secret_fails() {
        let error = AwsError::new("ValidationException", "bad value hunter2-hunter2");
        service_answer(
            "PutParameter",
            br#"{"Value":"hunter2-hunter2"}"#,
            &Err(error),
            &[],
            &mut |body| Some(format!("bad value {}", &String::from_utf8_lossy(body)[10..25])),
        );
    }

    #[test]
    fn a_secret_that_is_a_word_of_the_service_may_show() {
        let error = AwsError::new(
            "ValidationException",
            "Member must satisfy enum value set: [String, StringList, SecureString]",
        );
        service_answer(
            "PutParameter",
            br#"{"Type":"x","Value":"SecureString"}"#,
            &Err(error),
            &["SecureString".to_owned()],
            &mut |_| panic!("no second call"),
        );
    }

    #[test]
    #[should_panic(expected = "bad input answered 500")]
    fn a_fault_fails() {
        service_answer(
            "GetParameter",
            b"{}",
            &Err(AwsError::internal()),
            &[],
            &mut |_| None,
        );
    }

    #[test]
    fn a_value_that_spells_part_of_the_message_is_no_leak() {
        // Found by ssm_json: the message names the parameter, and the
        // ignored Value happened to spell that part of it.
        let error = AwsError::new("ParameterNotFound", "Parameter /k not found.");
        service_answer(
            "DeleteParameter",
            br#"{"Name":"/k","Value":"er /k not "}"#,
            &Err(error),
            &[],
            &mut |_| Some("Parameter /k not found.".to_owned()),
        );
    }
}
