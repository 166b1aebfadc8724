//! Resource policies: validated here with the IAM policy parser, stored
//! as the caller sent them, and evaluated with the caller's identity
//! policies on every request (an unreadable stored policy denies).

use kinko_model::iam::Policy;
use kinko_store::WriteOutcome;
use serde_json::Value;

use super::error::SecretsError;
use super::model::{
    Caller, PolicyValidationError, ResourcePolicyOutput, SecretIdentity,
    ValidateResourcePolicyOutput,
};
use super::service::{
    MAX_WRITE_ATTEMPTS, Plan, SecretsManager, check_live, check_primary, identity,
};

/// A resource policy as AWS's MalformedPolicyDocumentException words it
/// ("This policy has invalid syntax."), followed by what and where.
fn malformed(why: impl std::fmt::Display) -> SecretsError {
    SecretsError::MalformedPolicyDocument(format!("This policy has invalid syntax. {why}"))
}

/// The statements of a valid resource policy. The document is checked by
/// the same parser that later evaluates it, so a policy accepted here can
/// never be one the evaluator cannot read (which would drop its Denies):
/// every statement needs a Principal, elements and condition operators
/// must be known, and so on ([`Policy::parse_resource`]).
fn statements(policy: &str) -> Result<Vec<Value>, SecretsError> {
    Policy::parse_resource(policy).map_err(malformed)?;
    // The parser accepted a JSON object with a Statement object or list.
    let doc: Value = serde_json::from_str(policy).map_err(malformed)?;
    Ok(match doc.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    })
}

fn is_wildcard(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "*",
        Value::Array(items) => items.iter().any(is_wildcard),
        _ => false,
    }
}

/// An Allow for `"Principal": "*"` or `{"AWS": "*"}` without a Condition.
fn grants_public_access(statements: &[Value]) -> bool {
    statements.iter().any(|s| {
        let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
        let public = match s.get("Principal") {
            Some(p @ Value::String(_)) => is_wildcard(p),
            Some(Value::Object(m)) => m.get("AWS").is_some_and(is_wildcard),
            _ => false,
        };
        let conditioned = s
            .get("Condition")
            .is_some_and(|c| c.as_object().is_some_and(|m| !m.is_empty()));
        allow && public && !conditioned
    })
}

impl SecretsManager {
    pub async fn put_resource_policy(
        &self,
        caller: &Caller,
        secret_id: &str,
        policy: &str,
        block_public_policy: bool,
    ) -> Result<SecretIdentity, SecretsError> {
        let list = statements(policy)?;
        if block_public_policy && grants_public_access(&list) {
            return Err(SecretsError::PublicPolicy(
                "You can't attach a resource-based policy that allows broad access to the secret."
                    .into(),
            ));
        }
        self.write_policy(
            caller,
            "PutResourcePolicy",
            secret_id,
            Some(policy.to_owned()),
        )
        .await
    }

    pub async fn delete_resource_policy(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<SecretIdentity, SecretsError> {
        self.write_policy(caller, "DeleteResourcePolicy", secret_id, None)
            .await
    }

    async fn write_policy(
        &self,
        caller: &Caller,
        operation: &str,
        secret_id: &str,
        policy: Option<String>,
    ) -> Result<SecretIdentity, SecretsError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, secret_id).await?;
            check_primary(&state.record)?;
            check_live(&state.record)?;
            if state.record.resource_policy == policy {
                return Ok(identity(&state.record, None));
            }
            let mut next = state.clone();
            next.record.resource_policy = policy.clone();
            let plan = Plan {
                state: next,
                new_values: Vec::new(),
            };
            if self.commit(caller, operation, &state, plan).await? == WriteOutcome::Written {
                return Ok(identity(&state.record, None));
            }
        }
        Err(SecretsError::too_much_contention(secret_id))
    }

    pub async fn get_resource_policy(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<ResourcePolicyOutput, SecretsError> {
        let state = self.resolve(caller, secret_id).await?;
        Ok(ResourcePolicyOutput {
            arn: state.record.arn,
            name: state.record.name,
            resource_policy: state.record.resource_policy,
        })
    }

    /// Syntax problems are a `MalformedPolicyDocumentException`; broad
    /// access is reported as a failed check.
    pub async fn validate_resource_policy(
        &self,
        caller: &Caller,
        secret_id: Option<&str>,
        policy: &str,
    ) -> Result<ValidateResourcePolicyOutput, SecretsError> {
        if let Some(id) = secret_id {
            self.resolve(caller, id).await?;
        }
        let list = statements(policy)?;
        let mut errors = Vec::new();
        if grants_public_access(&list) {
            errors.push(PolicyValidationError {
                check_name: "BROAD_ACCESS".into(),
                error_message: "The policy allows access to every principal (\"Principal\": \"*\") without a Condition.".into(),
            });
        }
        Ok(ValidateResourcePolicyOutput {
            passed: errors.is_empty(),
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_documents() {
        for bad in [
            "not json",
            "[]",
            r#"{"Statement": []}"#,
            r#"{"Version": "2012-10-17"}"#,
            r#"{"Version": "2012-10-17", "Statement": [1]}"#,
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*"}]}"#,
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}"#,
            // What the evaluator could not read, and so would have ignored,
            // Deny included:
            // no Principal,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
            // a misspelt element,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/dev"},"Action":"secretsmanager:GetSecretValue","Resurce":"*"}]}"#,
            // an unknown condition operator.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"dev"}}}]}"#,
            // Accepted before, though the authorizer cannot read them: no
            // Principal, an unknown condition operator.
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#,
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"NoSuchOperator": {"aws:username": "a"}}}]}"#,
        ] {
            match statements(bad) {
                Err(SecretsError::MalformedPolicyDocument(message)) => {
                    assert!(
                        message.starts_with("This policy has invalid syntax. "),
                        "{message}"
                    );
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn messages_say_what_and_where() {
        let message = |doc: &str| match statements(doc) {
            Err(SecretsError::MalformedPolicyDocument(m)) => m,
            other => panic!("{other:?}"),
        };
        let m = message(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDev","Effect":"Deny","Principal":"*","Action":"*","Resurce":"*"}]}"#,
        );
        assert!(
            m.contains("Statement 1 (Sid \"NoDev\")") && m.contains("\"Resurce\""),
            "{m}"
        );
        let m = message(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
        );
        assert!(m.contains("Principal"), "{m}");
        let m = message(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"dev"}}}]}"#,
        );
        assert!(m.contains("StringEqualz"), "{m}");
    }

    #[test]
    fn public_policies() {
        let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
        let aws_star = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","*"]},"Action":"*","Resource":"*"}}"#;
        let conditioned = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"1"}}}]}"#;
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;
        let scoped = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"*","Resource":"*"}]}"#;
        assert!(grants_public_access(&statements(public).unwrap()));
        assert!(grants_public_access(&statements(aws_star).unwrap()));
        for ok in [conditioned, deny, scoped] {
            assert!(!grants_public_access(&statements(ok).unwrap()), "{ok}");
        }
    }
}
