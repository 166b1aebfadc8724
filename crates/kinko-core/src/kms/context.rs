//! The canonical encoding of an encryption context, used as the AAD of
//! every ciphertext blob (spec §5): a domain prefix, the pair count, then
//! each pair sorted by key as length-prefixed key and value bytes. Lengths
//! make the encoding injective (`{"ab": "c"}` ≠ `{"a": "bc"}`), sorting
//! makes it independent of the order the caller sent, and the prefix keeps
//! a KMS blob from ever sharing an AAD with a value another service sealed.

use super::model::EncryptionContext;

const DOMAIN: &[u8] = b"kinko-kms-context-v1\0";

/// The AAD for a blob bound to `context`.
pub fn context_aad(context: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::with_capacity(DOMAIN.len() + 4);
    out.extend_from_slice(DOMAIN);
    push_len(&mut out, context.len());
    // A BTreeMap iterates in key (byte) order.
    for (key, value) in context {
        push_len(&mut out, key.len());
        out.extend_from_slice(key.as_bytes());
        push_len(&mut out, value.len());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    // Contexts are bounded by the request size, far below u32::MAX.
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn order_of_insertion_does_not_matter() {
        let a = ctx(&[("b", "2"), ("a", "1")]);
        let b = ctx(&[("a", "1"), ("b", "2")]);
        assert_eq!(context_aad(&a), context_aad(&b));
    }

    #[test]
    fn encoding_is_injective_over_boundaries_and_case() {
        let samples = [
            ctx(&[]),
            ctx(&[("ab", "c")]),
            ctx(&[("a", "bc")]),
            ctx(&[("A", "bc")]),
            ctx(&[("a", "b"), ("c", "")]),
            ctx(&[("a", "b\0\0\0\0c")]),
        ];
        for (i, x) in samples.iter().enumerate() {
            for (j, y) in samples.iter().enumerate() {
                assert_eq!(i == j, context_aad(x) == context_aad(y), "{i} vs {j}");
            }
        }
    }

    #[test]
    fn exact_bytes() {
        let aad = context_aad(&ctx(&[("k", "vv")]));
        let mut want = DOMAIN.to_vec();
        want.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, b'k', 0, 0, 0, 2, b'v', b'v']);
        assert_eq!(aad, want);
    }
}
