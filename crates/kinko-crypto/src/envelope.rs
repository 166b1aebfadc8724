//! Envelope encryption of values.
//!
//! Every value gets a fresh 256-bit data key. The value is sealed under the
//! data key (AES-256-GCM, AAD = the caller's `aad`, e.g. the parameter ARN
//! and version, so a ciphertext moved to another resource fails to open);
//! the data key is wrapped under the KMS-style key (AES-256-GCM, AAD =
//! `b"kinko-dek-v1\0"` followed by the key id, so an envelope whose key id
//! was rewritten fails to open). Random 96-bit nonces are safe here: each
//! data key seals exactly one value, and a key wraps far fewer than 2^32
//! data keys before rotation.
//!
//! Byte layout, version 1 (all lengths fixed except the key id and the
//! ciphertext):
//!
//! | offset        | length | field                                        |
//! |---------------|--------|----------------------------------------------|
//! | 0             | 3      | magic `b"knk"`                               |
//! | 3             | 1      | format version, `0x01`                       |
//! | 4             | 1      | key id length `L` (1..=255)                  |
//! | 5             | L      | key id, UTF-8                                |
//! | 5+L           | 12     | nonce of the data-key wrap                   |
//! | 17+L          | 48     | wrapped data key (32 bytes + 16-byte tag)    |
//! | 65+L          | 12     | nonce of the value                           |
//! | 77+L          | N+16   | value ciphertext (N bytes) + 16-byte tag     |
//!
//! The key id comes first and in the clear so that a reader can pick the key
//! ([`key_id`]) before opening. Rotating the root key never touches
//! envelopes: it only re-wraps the key material they name.

use zeroize::Zeroizing;

use crate::aes_gcm::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::{CryptoError, KeyMaterial, SecretBytes};

const MAGIC: &[u8; 3] = b"knk";
const VERSION: u8 = 1;
const DEK_AAD_PREFIX: &[u8] = b"kinko-dek-v1\0";
const WRAPPED_DEK_LEN: usize = KEY_LEN + TAG_LEN;
/// Longest key id an envelope can name (its length is one byte).
pub const MAX_KEY_ID_LEN: usize = 255;

/// Seals `plaintext` under a fresh data key wrapped by `key` (named `key_id`).
///
/// Errors: `Malformed` when `key_id` is empty or longer than
/// [`MAX_KEY_ID_LEN`] bytes.
pub fn seal(
    key: &KeyMaterial,
    key_id: &str,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let id = key_id.as_bytes();
    let id_len = u8::try_from(id.len())
        .ok()
        .filter(|len| *len > 0)
        .ok_or(CryptoError::Malformed("key id must be 1 to 255 bytes"))?;

    let mut dek = Zeroizing::new([0u8; KEY_LEN]);
    crate::random::fill(&mut dek[..]);

    let total = 5 + id.len() + NONCE_LEN + WRAPPED_DEK_LEN + NONCE_LEN + plaintext.len() + TAG_LEN;
    // Exact capacity: the plaintext is copied in before encryption, and a
    // reallocation would leave that copy behind in freed memory.
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.push(id_len);
    out.extend_from_slice(id);

    let mut dek_aad = Vec::with_capacity(DEK_AAD_PREFIX.len() + id.len());
    dek_aad.extend_from_slice(DEK_AAD_PREFIX);
    dek_aad.extend_from_slice(id);
    aes_gcm::seal_append(key.bytes(), &dek_aad, &dek[..], &mut out)?;
    aes_gcm::seal_append(&dek, aad, plaintext, &mut out)?;
    Ok(out)
}

/// Opens an envelope made by [`seal`] with the key it names.
///
/// Any tampering, a wrong key or a wrong `aad` gives `CryptoError::Decrypt`
/// ("ciphertext failed authentication"); bytes that are not an envelope at
/// all give `Malformed`.
pub fn open(key: &KeyMaterial, sealed: &[u8], aad: &[u8]) -> Result<SecretBytes, CryptoError> {
    let parts = Parts::parse(sealed)?;

    let mut dek_aad = Vec::with_capacity(DEK_AAD_PREFIX.len() + parts.key_id.len());
    dek_aad.extend_from_slice(DEK_AAD_PREFIX);
    dek_aad.extend_from_slice(parts.key_id);
    let mut dek_buf = Zeroizing::new([0u8; WRAPPED_DEK_LEN]);
    dek_buf.copy_from_slice(parts.wrapped_dek);
    let dek_plain =
        aes_gcm::open_in_place(key.bytes(), parts.dek_nonce, &dek_aad, &mut dek_buf[..])?;
    let mut dek = Zeroizing::new([0u8; KEY_LEN]);
    dek.copy_from_slice(dek_plain);

    let mut value = Zeroizing::new(parts.ciphertext.to_vec());
    let plain_len = aes_gcm::open_in_place(&dek, parts.value_nonce, aad, &mut value[..])?.len();
    value.truncate(plain_len);
    Ok(SecretBytes::new(std::mem::take(&mut *value)))
}

/// The key id an envelope names, to pick the key before opening.
pub fn key_id(sealed: &[u8]) -> Result<&str, CryptoError> {
    let parts = Parts::parse(sealed)?;
    std::str::from_utf8(parts.key_id).map_err(|_| CryptoError::Malformed("key id is not UTF-8"))
}

/// The fields of an envelope, borrowed from its bytes.
struct Parts<'a> {
    key_id: &'a [u8],
    dek_nonce: [u8; NONCE_LEN],
    wrapped_dek: &'a [u8],
    value_nonce: [u8; NONCE_LEN],
    ciphertext: &'a [u8],
}

impl<'a> Parts<'a> {
    fn parse(sealed: &'a [u8]) -> Result<Parts<'a>, CryptoError> {
        let rest = sealed
            .strip_prefix(MAGIC)
            .ok_or(CryptoError::Malformed("not a kinko envelope"))?;
        let (&version, rest) = rest
            .split_first()
            .ok_or(CryptoError::Malformed("envelope is truncated"))?;
        if version != VERSION {
            return Err(CryptoError::Malformed("unknown envelope version"));
        }
        let (&id_len, rest) = rest
            .split_first()
            .ok_or(CryptoError::Malformed("envelope is truncated"))?;
        let id_len = usize::from(id_len);
        if id_len == 0 {
            return Err(CryptoError::Malformed("envelope names no key"));
        }
        let fixed = id_len + NONCE_LEN + WRAPPED_DEK_LEN + NONCE_LEN + TAG_LEN;
        if rest.len() < fixed {
            return Err(CryptoError::Malformed("envelope is truncated"));
        }
        let (key_id, rest) = rest.split_at(id_len);
        let (dek_nonce, rest) = split_nonce(rest);
        let (wrapped_dek, rest) = rest.split_at(WRAPPED_DEK_LEN);
        let (value_nonce, ciphertext) = split_nonce(rest);
        Ok(Parts {
            key_id,
            dek_nonce,
            wrapped_dek,
            value_nonce,
            ciphertext,
        })
    }
}

/// Splits a nonce off the front; the caller has checked the length.
fn split_nonce(bytes: &[u8]) -> ([u8; NONCE_LEN], &[u8]) {
    let (head, rest) = bytes.split_at(NONCE_LEN);
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(head);
    (nonce, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let key = KeyMaterial::generate();
        let sealed = seal(&key, "k-1", b"s3cr3t value", b"arn:param:1").unwrap();
        assert_eq!(
            sealed.len(),
            5 + 3 + NONCE_LEN + WRAPPED_DEK_LEN + NONCE_LEN + 12 + TAG_LEN
        );
        assert!(!sealed.windows(6).any(|w| w == b"s3cr3t"));
        let opened = open(&key, &sealed, b"arn:param:1").unwrap();
        assert_eq!(opened.expose(), b"s3cr3t value");
    }

    #[test]
    fn empty_values_round_trip() {
        let key = KeyMaterial::generate();
        let sealed = seal(&key, "k", b"", b"").unwrap();
        assert!(open(&key, &sealed, b"").unwrap().is_empty());
    }

    #[test]
    fn sealing_twice_differs() {
        let key = KeyMaterial::generate();
        let a = seal(&key, "k", b"same", b"aad").unwrap();
        let b = seal(&key, "k", b"same", b"aad").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn flipping_any_byte_fails_to_open() {
        let key = KeyMaterial::generate();
        let sealed = seal(&key, "key-7", b"value", b"aad").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                open(&key, &bad, b"aad").is_err(),
                "byte {i} flipped still opened"
            );
        }
        // Truncation and extension fail too.
        assert!(open(&key, &sealed[..sealed.len() - 1], b"aad").is_err());
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(matches!(
            open(&key, &longer, b"aad"),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn flipping_a_ciphertext_byte_is_a_decrypt_error() {
        let key = KeyMaterial::generate();
        let mut sealed = seal(&key, "k", b"value", b"aad").unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 0x80;
        let err = open(&key, &sealed, b"aad").unwrap_err();
        assert!(matches!(err, CryptoError::Decrypt));
        assert_eq!(err.to_string(), "ciphertext failed authentication");
    }

    #[test]
    fn wrong_aad_fails() {
        let key = KeyMaterial::generate();
        let sealed = seal(&key, "k", b"value", b"param-a:1").unwrap();
        assert!(matches!(
            open(&key, &sealed, b"param-b:1"),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            open(&key, &sealed, b""),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = seal(&KeyMaterial::generate(), "k", b"value", b"aad").unwrap();
        let err = open(&KeyMaterial::generate(), &sealed, b"aad").unwrap_err();
        assert!(matches!(err, CryptoError::Decrypt));
        assert!(!format!("{err:?} {err}").contains("value"));
    }

    #[test]
    fn key_id_is_read_without_the_key() {
        let key = KeyMaterial::generate();
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let sealed = seal(&key, id, b"v", b"").unwrap();
        assert_eq!(key_id(&sealed).unwrap(), id);
    }

    #[test]
    fn garbage_is_malformed() {
        for garbage in [
            &b""[..],
            b"kn",
            b"knk",
            b"knk\x02\x01a",
            b"xyz\x01\x01a",
            b"knk\x01\x00",
        ] {
            assert!(
                matches!(key_id(garbage), Err(CryptoError::Malformed(_))),
                "{garbage:?}"
            );
        }
        // A header that names a key but is cut short.
        assert!(matches!(
            key_id(b"knk\x01\x03abc"),
            Err(CryptoError::Malformed(_))
        ));
        let key = KeyMaterial::generate();
        assert!(matches!(
            open(&key, b"nonsense", b""),
            Err(CryptoError::Malformed(_))
        ));
    }

    #[test]
    fn key_id_length_is_checked_on_seal() {
        let key = KeyMaterial::generate();
        assert!(seal(&key, "", b"v", b"").is_err());
        assert!(seal(&key, &"x".repeat(256), b"v", b"").is_err());
        let long = "x".repeat(255);
        let sealed = seal(&key, &long, b"v", b"").unwrap();
        assert_eq!(key_id(&sealed).unwrap(), long);
    }
}
