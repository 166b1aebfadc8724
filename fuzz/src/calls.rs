//! The input of the service targets: one call per line, the operation
//! name, one space, and the JSON body as the SDK would send it.
//!
//! ```text
//! PutParameter {"Name":"/app/db","Value":"s3cr3t","Type":"SecureString"}
//! GetParameter {"Name":"/app/db","WithDecryption":true}
//! ```
//!
//! Several calls share one fresh store, so later calls see what earlier
//! ones wrote (a label on a version that exists, a secret being deleted).

/// At most this many calls per input: enough to build state, few enough
/// that one input stays fast.
pub const MAX_CALLS: usize = 12;

/// The (operation, body) pairs of an input. A line that is not UTF-8 before
/// its first space has no operation and is skipped.
pub fn calls(data: &[u8]) -> Vec<(&str, &[u8])> {
    data.split(|b| *b == b'\n')
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let (op, body) = match line.iter().position(|b| *b == b' ') {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &[][..]),
            };
            let op = std::str::from_utf8(op).ok()?;
            (!op.is_empty()).then_some((op, body))
        })
        .take(MAX_CALLS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_into_operation_and_body() {
        let input = b"PutParameter {\"Name\":\"/a\"}\r\nListPrincipals\n\n\xff {}\nGet {a b}";
        assert_eq!(
            calls(input),
            [
                ("PutParameter", &b"{\"Name\":\"/a\"}"[..]),
                ("ListPrincipals", &b""[..]),
                ("Get", &b"{a b}"[..]),
            ]
        );
    }
}
