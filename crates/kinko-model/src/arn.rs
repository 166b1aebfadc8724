//! ARNs as AWS forms them, with the partition that goes with the region.

/// The partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for
/// `us-gov-*`, `aws` otherwise.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`.
pub fn arn(service: &str, region: &str, account_id: &str, resource: &str) -> String {
    format!(
        "arn:{}:{service}:{region}:{account_id}:{resource}",
        partition(region)
    )
}

/// An IAM user ARN (IAM is global: no region).
pub fn iam_user(region: &str, account_id: &str, user: &str) -> String {
    format!("arn:{}:iam::{account_id}:user/{user}", partition(region))
}

/// A parsed ARN. Only the parts kinko needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Parses `arn:partition:service:region:account:resource` (the resource
    /// may itself contain `:`). `None` when the text is not an ARN.
    pub fn parse(text: &'a str) -> Option<Self> {
        let rest = text.strip_prefix("arn:")?;
        let mut parts = rest.splitn(5, ':');
        let arn = Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account_id: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty()).then_some(arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(
            arn("ssm", "us-east-1", "123456789012", "parameter/x"),
            "arn:aws:ssm:us-east-1:123456789012:parameter/x"
        );
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn parses_resources_with_colons() {
        let a = Arn::parse("arn:aws:ssm:eu-north-1:1:parameter/a/b:3").unwrap();
        assert_eq!(a.region, "eu-north-1");
        assert_eq!(a.resource, "parameter/a/b:3");
        assert!(Arn::parse("parameter/a").is_none());
    }
}
