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
//! Version 2 (a KMS key that was rotated has several materials) inserts,
//! after the key id, the 32-byte id of the material that wrapped the data
//! key (AWS's `KeyMaterialId`, raw), and binds it into the data-key wrap's
//! AAD (`b"kinko-dek-v2\0"`, key id, material id), so a rewritten material
//! id fails to open. Version 1 envelopes name no material: they were made
//! with the key's original material and keep opening with it.
//!
//! | offset        | length | field                                        |
//! |---------------|--------|----------------------------------------------|
//! | 0             | 3      | magic `b"knk"`                               |
//! | 3             | 1      | format version, `0x02`                       |
//! | 4             | 1      | key id length `L` (1..=255)                  |
//! | 5             | L      | key id, UTF-8                                |
//! | 5+L           | 32     | material id                                  |
//! | 37+L          | …      | as version 1 from its offset 5+L             |
//!
//! The key id (and material id) come first and in the clear so that a
//! reader can pick the key ([`key_id`], [`header`]) before opening.
//! Rotating the root key never touches envelopes: it only re-wraps the key
//! material they name.

use zeroize::Zeroizing;

use crate::aes_gcm::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::{CryptoError, KeyMaterial, SecretBytes};

const MAGIC: &[u8; 3] = b"knk";
const VERSION: u8 = 1;
const VERSION_2: u8 = 2;
const DEK_AAD_PREFIX: &[u8] = b"kinko-dek-v1\0";
const DEK_AAD_PREFIX_V2: &[u8] = b"kinko-dek-v2\0";
/// Length of a material id inside a version 2 envelope.
pub const MATERIAL_ID_LEN: usize = 32;
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
    seal_inner(key, key_id, None, plaintext, aad)
}

/// Seals like [`seal`], in a version 2 envelope that also names the
/// material `key` is (one of a rotated key's materials).
pub fn seal_with_material(
    key: &KeyMaterial,
    key_id: &str,
    material_id: &[u8; MATERIAL_ID_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    seal_inner(key, key_id, Some(material_id), plaintext, aad)
}

fn seal_inner(
    key: &KeyMaterial,
    key_id: &str,
    material_id: Option<&[u8; MATERIAL_ID_LEN]>,
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

    let material_len = material_id.map_or(0, |m| m.len());
    let total = 5
        + id.len()
        + material_len
        + NONCE_LEN
        + WRAPPED_DEK_LEN
        + NONCE_LEN
        + plaintext.len()
        + TAG_LEN;
    // Exact capacity: the plaintext is copied in before encryption, and a
    // reallocation would leave that copy behind in freed memory.
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(if material_id.is_some() {
        VERSION_2
    } else {
        VERSION
    });
    out.push(id_len);
    out.extend_from_slice(id);
    if let Some(material) = material_id {
        out.extend_from_slice(material);
    }

    let dek_aad = dek_aad(id, material_id.map(|m| &m[..]));
    aes_gcm::seal_append(key.bytes(), &dek_aad, &dek[..], &mut out)?;
    aes_gcm::seal_append(&dek, aad, plaintext, &mut out)?;
    Ok(out)
}

/// The data-key wrap's AAD: binds the key id and (version 2) the material id.
fn dek_aad(key_id: &[u8], material_id: Option<&[u8]>) -> Vec<u8> {
    match material_id {
        None => [DEK_AAD_PREFIX, key_id].concat(),
        Some(material) => [DEK_AAD_PREFIX_V2, key_id, material].concat(),
    }
}

/// Opens an envelope made by [`seal`] with the key it names.
///
/// Any tampering, a wrong key or a wrong `aad` gives `CryptoError::Decrypt`
/// ("ciphertext failed authentication"); bytes that are not an envelope at
/// all give `Malformed`.
pub fn open(key: &KeyMaterial, sealed: &[u8], aad: &[u8]) -> Result<SecretBytes, CryptoError> {
    let parts = Parts::parse(sealed)?;

    let dek_aad = dek_aad(parts.key_id, parts.material_id);
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

/// What an envelope names in the clear: its key and, for a version 2
/// envelope, the key's material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub key_id: &'a str,
    /// `None` for a version 1 envelope (the key's original material).
    pub material_id: Option<&'a [u8; MATERIAL_ID_LEN]>,
}

/// The key id and material id an envelope names, to pick the material
/// before opening.
pub fn header(sealed: &[u8]) -> Result<Header<'_>, CryptoError> {
    let parts = Parts::parse(sealed)?;
    let key_id = std::str::from_utf8(parts.key_id)
        .map_err(|_| CryptoError::Malformed("key id is not UTF-8"))?;
    let material_id = parts
        .material_id
        .map(<&[u8; MATERIAL_ID_LEN]>::try_from)
        .transpose()
        .map_err(|_| CryptoError::Malformed("material id has the wrong length"))?;
    Ok(Header {
        key_id,
        material_id,
    })
}

/// The fields of an envelope, borrowed from its bytes.
struct Parts<'a> {
    key_id: &'a [u8],
    material_id: Option<&'a [u8]>,
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
        if version != VERSION && version != VERSION_2 {
            return Err(CryptoError::Malformed("unknown envelope version"));
        }
        let material_len = if version == VERSION_2 {
            MATERIAL_ID_LEN
        } else {
            0
        };
        let (&id_len, rest) = rest
            .split_first()
            .ok_or(CryptoError::Malformed("envelope is truncated"))?;
        let id_len = usize::from(id_len);
        if id_len == 0 {
            return Err(CryptoError::Malformed("envelope names no key"));
        }
        let fixed = id_len + material_len + NONCE_LEN + WRAPPED_DEK_LEN + NONCE_LEN + TAG_LEN;
        if rest.len() < fixed {
            return Err(CryptoError::Malformed("envelope is truncated"));
        }
        let (key_id, rest) = rest.split_at(id_len);
        let (material_id, rest) = rest.split_at(material_len);
        let material_id = (material_len > 0).then_some(material_id);
        let (dek_nonce, rest) = split_nonce(rest);
        let (wrapped_dek, rest) = rest.split_at(WRAPPED_DEK_LEN);
        let (value_nonce, ciphertext) = split_nonce(rest);
        Ok(Parts {
            key_id,
            material_id,
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
            b"knk\x03\x01a",
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
    fn a_version_2_envelope_names_its_material_and_binds_it() {
        let key = KeyMaterial::generate();
        let material = [0x5a; MATERIAL_ID_LEN];
        let sealed = seal_with_material(&key, "k-2", &material, b"value", b"aad").unwrap();
        assert_eq!(sealed[3], VERSION_2);
        assert_eq!(
            sealed.len(),
            5 + 3 + MATERIAL_ID_LEN + NONCE_LEN + WRAPPED_DEK_LEN + NONCE_LEN + 5 + TAG_LEN
        );
        assert_eq!(
            header(&sealed).unwrap(),
            Header {
                key_id: "k-2",
                material_id: Some(&material)
            }
        );
        assert_eq!(key_id(&sealed).unwrap(), "k-2");
        assert_eq!(open(&key, &sealed, b"aad").unwrap().expose(), b"value");
        // Every byte counts, the material id included.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(open(&key, &bad, b"aad").is_err(), "byte {i} flipped");
        }
        // Relabelled as version 1 (the material id then reads as part of
        // the nonces and wrapped key): fails, never opens as something else.
        let mut downgraded = sealed.clone();
        downgraded[3] = VERSION;
        assert!(open(&key, &downgraded, b"aad").is_err());
        // Another material's key does not open it.
        assert!(matches!(
            open(&KeyMaterial::generate(), &sealed, b"aad"),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn a_version_1_envelope_names_no_material() {
        let key = KeyMaterial::generate();
        let sealed = seal(&key, "k-1", b"v", b"").unwrap();
        assert_eq!(header(&sealed).unwrap().material_id, None);
        // A version 2 header cut short before its material id ends.
        let mut short = b"knk\x02\x01k".to_vec();
        short.extend_from_slice(&[0; 40]);
        assert!(matches!(header(&short), Err(CryptoError::Malformed(_))));
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
