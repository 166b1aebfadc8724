//! `kinko render`: every reference in a text file replaced by its value, or
//! nothing at all when any reference fails; and `--check`, which reports on
//! each reference without fetching values.

use std::collections::BTreeMap;

use kinko_crypto::SecretString;
use kinko_model::references::{Reference, Segment, scan};
use kinko_model::value_source::ValueSource;

/// Every reference that failed, one `file:line: reference: why` each.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct RenderError(pub Vec<String>);

/// Renders `text` (read from `file`, named in messages). All references are
/// resolved in one batch; the result exists only if all of them resolved.
pub async fn render(
    source: &dyn ValueSource,
    file: &str,
    text: &str,
) -> Result<SecretString, RenderError> {
    let segments = scan(text);
    let mut problems = Vec::new();
    let mut unique: Vec<Reference> = Vec::new();
    for segment in &segments {
        match segment {
            Segment::Reference {
                lookup: Ok(lookup), ..
            } => unique.push(lookup.reference.clone()),
            Segment::Reference {
                line,
                lookup: Err(e),
                ..
            } => problems.push(format!("{file}:{line}: {e}")),
            Segment::Text(_) => {}
        }
    }
    unique.sort();
    unique.dedup();
    let results = source.resolve(&unique).await;
    let resolved: BTreeMap<&Reference, _> = unique.iter().zip(results.iter()).collect();

    let mut out = String::with_capacity(text.len());
    for segment in &segments {
        match segment {
            Segment::Text(t) => out.push_str(t),
            Segment::Reference {
                line,
                raw,
                lookup: Ok(lookup),
            } => match (resolved.get(&lookup.reference), &lookup.default) {
                (Some(Ok(value)), _) => out.push_str(value.expose()),
                (Some(Err(e)), Some(default)) if e.is_not_found() => out.push_str(default),
                (Some(Err(e)), _) => problems.push(format!("{file}:{line}: {raw}: {}", e.kind)),
                (None, _) => problems.push(format!("{file}:{line}: {raw}: not resolved")),
            },
            Segment::Reference { lookup: Err(_), .. } => {}
        }
    }
    let out = SecretString::new(out);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(RenderError(problems))
    }
}

/// One reference found by `--check`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    pub file: String,
    pub line: usize,
    /// As written in the file.
    pub text: String,
    /// `None` when it is fine; otherwise why not.
    pub problem: Option<String>,
}

/// Every reference in `text` and whether it exists and is readable (or has
/// a fallback), without fetching values.
pub async fn check(source: &dyn ValueSource, file: &str, text: &str) -> Vec<Checked> {
    let segments = scan(text);
    let references: Vec<Reference> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Reference {
                lookup: Ok(lookup), ..
            } => Some(lookup.reference.clone()),
            _ => None,
        })
        .collect();
    let mut results = source.check(&references).await.into_iter();
    let mut checked = Vec::new();
    for segment in segments {
        let Segment::Reference { line, raw, lookup } = segment else {
            continue;
        };
        let problem = match lookup {
            Err(e) => Some(e.reason),
            Ok(lookup) => match results.next() {
                Some(Ok(())) => None,
                Some(Err(e)) if e.is_not_found() && lookup.default.is_some() => None,
                Some(Err(e)) => Some(e.kind.to_string()),
                None => Some("not checked".to_owned()),
            },
        };
        checked.push(Checked {
            file: file.to_owned(),
            line,
            text: raw.to_owned(),
            problem,
        });
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_model::fake::FakeSource;

    fn source() -> FakeSource {
        FakeSource::new(&[("/app/prod/db", "pw-prod"), ("/app/staging/db", "pw-stg")])
            .with_secret("api", r#"{"key":"k-123"}"#)
    }

    const SERVERLESS: &str = "service: shop\n\
        custom:\n\
        \x20 db:\n\
        \x20   prod: ${ssm:/app/prod/db}\n\
        \x20   staging: ${ssm:/app/staging/db~true}\n\
        \x20   dev: ${ssm:/app/dev/db, 'devpass'}\n\
        \x20 stage: ${ssm:/app/${sls:stage}/db}\n\
        \x20 literal: \\${ssm:/app/prod/db}\n\
        \x20 key: {{resolve:secretsmanager:api:SecretString:key}}\n";

    #[tokio::test]
    async fn renders_serverless_and_cloudformation_forms() {
        let source = source();
        let out = render(&source, "serverless.yml", SERVERLESS).await.unwrap();
        assert_eq!(
            out.expose(),
            "service: shop\n\
             custom:\n\
             \x20 db:\n\
             \x20   prod: pw-prod\n\
             \x20   staging: pw-stg\n\
             \x20   dev: devpass\n\
             \x20 stage: ${ssm:/app/${sls:stage}/db}\n\
             \x20 literal: ${ssm:/app/prod/db}\n\
             \x20 key: k-123\n"
        );
        // One batch for the whole file.
        assert_eq!(source.resolve_calls(), vec![4]);
    }

    #[tokio::test]
    async fn any_failure_gives_no_output_and_names_file_line_and_reference() {
        let text = "a: ${ssm:/app/prod/db}\nb: {{resolve:ssm:/app/missing}}\nc: ${ssm:/bad name}\n";
        let err = render(&source(), "t.yml", text).await.unwrap_err();
        assert_eq!(
            err.0,
            vec![
                "t.yml:3: bad reference `${ssm:/bad name}`: parameter names cannot contain ` `"
                    .to_owned(),
                "t.yml:2: {{resolve:ssm:/app/missing}}: not found".to_owned(),
            ]
        );
        assert!(!err.to_string().contains("pw-prod"));
    }

    #[tokio::test]
    async fn check_lists_every_reference_with_its_status() {
        let text = "${ssm:/app/prod/db}\n${ssm:/nope}\n${ssm:/nope, 'd'}\n${ssm:/x:1:2}\n";
        let checked = check(&source(), "f", text).await;
        let summary: Vec<(usize, &str, Option<&str>)> = checked
            .iter()
            .map(|c| (c.line, c.text.as_str(), c.problem.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, "${ssm:/app/prod/db}", None),
                (2, "${ssm:/nope}", Some("not found")),
                (3, "${ssm:/nope, 'd'}", None),
                (
                    4,
                    "${ssm:/x:1:2}",
                    Some("parameter names cannot contain `:`")
                ),
            ]
        );
    }
}
