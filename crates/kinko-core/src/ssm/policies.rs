//! Parameter policies (Expiration, ExpirationNotification,
//! NoChangeNotification): validated on write, stored as the caller's JSON
//! text, and reported back one entry per policy.

use serde_json::Value;

use super::error::SsmError;

pub const MAX_POLICIES: usize = 10;

/// One policy as `ParameterMetadata.Policies` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    /// The policy object as compact JSON.
    pub text: String,
    pub policy_type: String,
    /// Always `Pending`: the runner ([`super::policy_runner`]) records what
    /// fired as change records, not as a status per policy.
    pub status: &'static str,
}

fn attribute<'a>(attrs: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    attrs.get(key).and_then(Value::as_str)
}

fn bad_attribute(policy_type: &str) -> SsmError {
    SsmError::InvalidPolicyAttribute(format!(
        "A policy attribute or its value is invalid for the {policy_type} policy."
    ))
}

fn check_amount_and_unit(
    attrs: &serde_json::Map<String, Value>,
    amount_key: &str,
    policy_type: &str,
) -> Result<(), SsmError> {
    let amount_ok = attribute(attrs, amount_key)
        .and_then(|a| a.parse::<u32>().ok())
        .is_some_and(|a| a > 0);
    let unit_ok = matches!(attribute(attrs, "Unit"), Some("Days" | "Hours"));
    let only_known = attrs.keys().all(|k| k == amount_key || k == "Unit");
    if amount_ok && unit_ok && only_known {
        Ok(())
    } else {
        Err(bad_attribute(policy_type))
    }
}

/// Validates the `Policies` JSON text. An empty array is valid (it clears
/// the policies on overwrite).
pub fn validate(text: &str) -> Result<Vec<InlinePolicy>, SsmError> {
    let parsed: Value = serde_json::from_str(text)
        .map_err(|_| SsmError::InvalidPolicyAttribute("The policies are not valid JSON.".into()))?;
    let Value::Array(items) = parsed else {
        return Err(SsmError::InvalidPolicyAttribute(
            "The policies must be a JSON array of policy objects.".into(),
        ));
    };
    if items.len() > MAX_POLICIES {
        return Err(SsmError::PoliciesLimitExceeded(format!(
            "You specified more than the maximum number of allowed policies for the parameter. The maximum is {MAX_POLICIES}."
        )));
    }
    let mut out: Vec<InlinePolicy> = Vec::with_capacity(items.len());
    for item in &items {
        let Value::Object(obj) = item else {
            return Err(SsmError::InvalidPolicyAttribute(
                "Each policy must be a JSON object.".into(),
            ));
        };
        let policy_type = obj.get("Type").and_then(Value::as_str).unwrap_or_default();
        let empty = serde_json::Map::new();
        let attrs = match obj.get("Attributes") {
            Some(Value::Object(a)) => a,
            None => &empty,
            Some(_) => return Err(bad_attribute(policy_type)),
        };
        match policy_type {
            "Expiration" => {
                let ts_ok = attribute(attrs, "Timestamp")
                    .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok());
                if !ts_ok || attrs.len() != 1 {
                    return Err(bad_attribute(policy_type));
                }
            }
            "ExpirationNotification" => check_amount_and_unit(attrs, "Before", policy_type)?,
            "NoChangeNotification" => check_amount_and_unit(attrs, "After", policy_type)?,
            other => {
                return Err(SsmError::InvalidPolicyType(format!(
                    "The policy type is not supported: {other}. Valid policy types include: [Expiration, ExpirationNotification, NoChangeNotification]."
                )));
            }
        }
        // Notifications may repeat (AWS's own example has two
        // ExpirationNotification policies); two expirations conflict.
        if policy_type == "Expiration" && out.iter().any(|p| p.policy_type == policy_type) {
            return Err(SsmError::IncompatiblePolicy(
                "There is a conflict in the policies specified for this parameter. You can't, for example, specify two Expiration policies for a parameter. Review your policies, and try again.".into(),
            ));
        }
        out.push(InlinePolicy {
            text: item.to_string(),
            policy_type: policy_type.to_owned(),
            status: "Pending",
        });
    }
    Ok(out)
}

/// The stored text as inline policies for output. Stored text was
/// validated on write; anything unreadable reports as no policies.
pub fn inline(text: Option<&str>) -> Vec<InlinePolicy> {
    text.and_then(|t| validate(t).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_THREE: &str = r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2019-05-13T00:00:00.000Z"}},{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"5","Unit":"Days"}},{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"60","Unit":"Days"}}]"#;

    #[test]
    fn accepts_the_documented_example() {
        let p = validate(ALL_THREE).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].policy_type, "Expiration");
        assert!(p[0].text.contains("2019-05-13T00:00:00.000Z"));
        assert!(validate("[]").unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_policies_with_their_errors() {
        assert!(matches!(
            validate(r#"[{"Type":"Bogus","Attributes":{}}]"#),
            Err(SsmError::InvalidPolicyType(_))
        ));
        assert!(matches!(
            validate(r#"[{"Type":"Expiration","Attributes":{"Timestamp":"soon"}}]"#),
            Err(SsmError::InvalidPolicyAttribute(_))
        ));
        assert!(matches!(
            validate(
                r#"[{"Type":"NoChangeNotification","Attributes":{"After":"60","Unit":"Weeks"}}]"#
            ),
            Err(SsmError::InvalidPolicyAttribute(_))
        ));
        let two_notices = r#"[{"Type":"ExpirationNotification","Attributes":{"Before":"30","Unit":"Days"}},{"Type":"ExpirationNotification","Attributes":{"Before":"15","Unit":"Days"}}]"#;
        assert_eq!(validate(two_notices).unwrap().len(), 2);
        let two_expirations = r#"[{"Type":"Expiration","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}},{"Type":"Expiration","Attributes":{"Timestamp":"2031-01-01T00:00:00Z"}}]"#;
        assert!(matches!(
            validate(two_expirations),
            Err(SsmError::IncompatiblePolicy(_))
        ));
        let eleven = format!(
            "[{}]",
            [r#"{"Type":"Expiration","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}}"#; 11]
                .join(",")
        );
        assert!(matches!(
            validate(&eleven),
            Err(SsmError::PoliciesLimitExceeded(_))
        ));
        assert!(matches!(
            validate("{"),
            Err(SsmError::InvalidPolicyAttribute(_))
        ));
    }
}
