//! AES-256-GCM with random 96-bit nonces, the one AEAD this crate uses.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::CryptoError;

pub(crate) const KEY_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;

fn aead_key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, CryptoError> {
    let unbound = UnboundKey::new(&AES_256_GCM, key)
        .map_err(|_| CryptoError::InvalidKey("AES-256 key must be 32 bytes".into()))?;
    Ok(LessSafeKey::new(unbound))
}

/// Appends `nonce || ciphertext || tag` of `plaintext` to `out`.
///
/// The caller reserves room in `out` beforehand: the plaintext is copied
/// into `out`, and a reallocation would leave a copy in freed memory.
pub(crate) fn seal_append(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CryptoError> {
    let aead = aead_key(key)?;
    let mut nonce = [0u8; NONCE_LEN];
    crate::random::fill(&mut nonce);
    out.extend_from_slice(&nonce);
    let start = out.len();
    out.extend_from_slice(plaintext);
    let tag = aead
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[start..],
        )
        .map_err(|_| CryptoError::Malformed("value too large to seal"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(())
}

/// Opens `in_out` (`ciphertext || tag`) in place; returns the plaintext
/// prefix of `in_out`.
pub(crate) fn open_in_place<'a>(
    key: &[u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    in_out: &'a mut [u8],
) -> Result<&'a mut [u8], CryptoError> {
    let aead = aead_key(key)?;
    aead.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
        .map_err(|_| CryptoError::Decrypt)
}
