//! SSM's model patterns (key ids, tags, filter keys). The generic
//! body parsing and violation collection are in `crate::wire`.

pub const KEY_ID_PATTERN: &str = "^([a-zA-Z0-9:/_-]+)$";
pub const TAG_PATTERN: &str = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
pub const FILTER_KEY_PATTERN: &str = "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType";

pub fn is_key_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'))
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
pub fn is_tag_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphabetic()
            || c.is_numeric()
            || (c.is_whitespace() && !c.is_control())
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

pub fn is_filter_key(s: &str) -> bool {
    matches!(
        s,
        "Name" | "Type" | "KeyId" | "Path" | "Label" | "Tier" | "DataType"
    ) || s.strip_prefix("tag:").is_some_and(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_key_id("alias/aws/ssm"));
        assert!(is_key_id("arn:aws:kms:us-east-1:1:key/abc-1"));
        assert!(!is_key_id("a b"));
        assert!(is_tag_text("Prod env:x/y=+-@_."));
        assert!(!is_tag_text("a*b"));
        assert!(is_filter_key("tag:env"));
        assert!(!is_filter_key("tag:"));
        assert!(!is_filter_key("name"));
    }
}
