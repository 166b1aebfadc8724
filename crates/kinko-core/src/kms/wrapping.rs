//! The wrapping keys of GetParametersForImport and the unwrapping of
//! ImportKeyMaterial's `EncryptedKeyMaterial` (spec §13).
//!
//! Four algorithms, as AWS serves them:
//! - `RSAES_OAEP_SHA_1` / `RSAES_OAEP_SHA_256`: the material is one RSA-OAEP
//!   ciphertext (MGF1 with the same hash, as OpenSSL's
//!   `rsa_oaep_md`/`rsa_mgf1_md` make it).
//! - `RSA_AES_KEY_WRAP_SHA_1` / `_SHA_256`: an ephemeral AES-256 key wrapped
//!   with RSA-OAEP, then the material under that key with AES key wrap with
//!   padding (RFC 5649); the two are concatenated, RSA ciphertext first (its
//!   length is the wrapping key's modulus length).
//!
//! `RSAES_PKCS1_V1_5` (refused by AWS since 2023-10-10) and `SM2PKE` (China
//! Regions only) are refused. Every failure to unwrap is
//! `InvalidCiphertextException` with no message: the reason would help an
//! attacker probing the wrapping key.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::key_wrap::{AES_256, KeyEncryptionKey, KeyWrapPadded};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    PrivateDecryptingKey,
};
use kinko_crypto::SecretBytes;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::KmsError;

/// `WrappingAlgorithm` of GetParametersForImport, the ones kinko serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WrappingAlgorithm {
    RsaesOaepSha1,
    RsaesOaepSha256,
    RsaAesKeyWrapSha1,
    RsaAesKeyWrapSha256,
}

impl WrappingAlgorithm {
    /// The model's name; `RSAES_PKCS1_V1_5` and `SM2PKE` are
    /// `UnsupportedOperationException` (see [`parse_wrapping_algorithm`]).
    pub fn as_str(self) -> &'static str {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            WrappingAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            WrappingAlgorithm::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            WrappingAlgorithm::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
        }
    }

    fn oaep(self) -> &'static OaepAlgorithm {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaAesKeyWrapSha1 => {
                &OAEP_SHA1_MGF1SHA1
            }
            WrappingAlgorithm::RsaesOaepSha256 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
                &OAEP_SHA256_MGF1SHA256
            }
        }
    }

    /// Whether the material travels under an ephemeral AES key (the only
    /// way an RSA private key fits).
    pub fn is_key_wrap(self) -> bool {
        matches!(
            self,
            WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256
        )
    }
}

/// A model value of `WrappingAlgorithm` (the wire layer has checked the
/// enum): the two AWS no longer (or here never) serves are
/// `UnsupportedOperationException`.
pub fn parse_wrapping_algorithm(name: &str) -> Result<WrappingAlgorithm, KmsError> {
    match name {
        "RSAES_OAEP_SHA_1" => Ok(WrappingAlgorithm::RsaesOaepSha1),
        "RSAES_OAEP_SHA_256" => Ok(WrappingAlgorithm::RsaesOaepSha256),
        "RSA_AES_KEY_WRAP_SHA_1" => Ok(WrappingAlgorithm::RsaAesKeyWrapSha1),
        "RSA_AES_KEY_WRAP_SHA_256" => Ok(WrappingAlgorithm::RsaAesKeyWrapSha256),
        "RSAES_PKCS1_V1_5" => Err(KmsError::UnsupportedOperation(
            "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.".into(),
        )),
        other => Err(KmsError::UnsupportedOperation(format!(
            "WrappingAlgorithm {other} is not supported by this server."
        ))),
    }
}

/// `WrappingKeySpec` (RSA only; `SM2` is China Regions only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WrappingKeySpec {
    #[serde(rename = "RSA_2048")]
    Rsa2048,
    #[serde(rename = "RSA_3072")]
    Rsa3072,
    #[serde(rename = "RSA_4096")]
    Rsa4096,
}

impl WrappingKeySpec {
    pub fn parse(name: &str) -> Result<WrappingKeySpec, KmsError> {
        match name {
            "RSA_2048" => Ok(WrappingKeySpec::Rsa2048),
            "RSA_3072" => Ok(WrappingKeySpec::Rsa3072),
            "RSA_4096" => Ok(WrappingKeySpec::Rsa4096),
            other => Err(KmsError::UnsupportedOperation(format!(
                "WrappingKeySpec {other} is not supported by this server."
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WrappingKeySpec::Rsa2048 => "RSA_2048",
            WrappingKeySpec::Rsa3072 => "RSA_3072",
            WrappingKeySpec::Rsa4096 => "RSA_4096",
        }
    }

    fn size(self) -> KeySize {
        match self {
            WrappingKeySpec::Rsa2048 => KeySize::Rsa2048,
            WrappingKeySpec::Rsa3072 => KeySize::Rsa3072,
            WrappingKeySpec::Rsa4096 => KeySize::Rsa4096,
        }
    }
}

/// A fresh wrapping key pair: the private half PKCS#8 DER (zeroizing), the
/// public half DER SubjectPublicKeyInfo (what `PublicKey` returns).
pub struct WrappingKeyPair {
    pub private_key: SecretBytes,
    pub public_key: Vec<u8>,
}

/// Generates a wrapping key pair; slow for RSA 4096, so callers run it off
/// the async threads.
pub fn generate_wrapping_key(spec: WrappingKeySpec) -> Result<WrappingKeyPair, KmsError> {
    let failed = || KmsError::Internal("wrapping key generation failed".into());
    let key = PrivateDecryptingKey::generate(spec.size()).map_err(|_| failed())?;
    let private_key = key.as_der().map_err(|_| failed())?;
    let public_key = key.public_key().as_der().map_err(|_| failed())?;
    Ok(WrappingKeyPair {
        private_key: SecretBytes::new(private_key.as_ref().to_vec()),
        public_key: public_key.as_ref().to_vec(),
    })
}

/// RSA-OAEP decryption under the wrapping private key.
fn oaep_decrypt(
    private_key: &SecretBytes,
    alg: &'static OaepAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes, KmsError> {
    let key = PrivateDecryptingKey::from_pkcs8(private_key.expose())
        .map_err(|_| KmsError::Internal("wrapping key does not parse".into()))?;
    let key = OaepPrivateDecryptingKey::new(key)
        .map_err(|_| KmsError::Internal("wrapping key does not parse".into()))?;
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let len = key
        .decrypt(alg, ciphertext, &mut out, None)
        .map_err(|_| KmsError::InvalidCiphertext)?
        .len();
    Ok(SecretBytes::new(out[..len].to_vec()))
}

/// AES key wrap with padding (RFC 5649) unwrap under a 32-byte key.
pub fn kwp_unwrap(kek: &[u8], wrapped: &[u8]) -> Result<SecretBytes, KmsError> {
    let kek = KeyEncryptionKey::new(&AES_256, kek).map_err(|_| KmsError::InvalidCiphertext)?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = kek
        .unwrap_with_padding(wrapped, &mut out)
        .map_err(|_| KmsError::InvalidCiphertext)?
        .len();
    Ok(SecretBytes::new(out[..len].to_vec()))
}

/// The plaintext material of an `EncryptedKeyMaterial`, unwrapped with the
/// token's private key as `alg` says.
pub fn unwrap_material(
    alg: WrappingAlgorithm,
    private_key: &SecretBytes,
    modulus_len: usize,
    encrypted: &[u8],
) -> Result<SecretBytes, KmsError> {
    if !alg.is_key_wrap() {
        return oaep_decrypt(private_key, alg.oaep(), encrypted);
    }
    if encrypted.len() <= modulus_len {
        return Err(KmsError::InvalidCiphertext);
    }
    let (rsa_part, kwp_part) = encrypted.split_at(modulus_len);
    let aes_key = oaep_decrypt(private_key, alg.oaep(), rsa_part)?;
    if aes_key.len() != 32 {
        return Err(KmsError::InvalidCiphertext);
    }
    kwp_unwrap(aes_key.expose(), kwp_part)
}

/// The modulus length (bytes) of a wrapping key spec: how long the RSA
/// part of a key-wrap ciphertext is.
pub fn modulus_len(spec: WrappingKeySpec) -> usize {
    match spec {
        WrappingKeySpec::Rsa2048 => 256,
        WrappingKeySpec::Rsa3072 => 384,
        WrappingKeySpec::Rsa4096 => 512,
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey};

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 5649 §6's two plaintexts under an AES-256 KEK (00..1f). aws-lc-rs
    /// has no AES-192 KEK, so the RFC's own (192-bit) vectors cannot run
    /// here; these were made with OpenSSL's `id-aes256-wrap-pad`, which
    /// reproduces the RFC's 192-bit vectors byte for byte.
    #[test]
    fn kwp_unwraps_known_vectors() {
        let kek = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        let cases = [
            (
                "29b7fa191c2165684374eee9f74595e2a42bace75c425b3053efa26ffe1bb32f",
                "c37b7e6492584340bed12207808941155068f738",
            ),
            ("443b17837bb39348610d19202df8a1f9", "466f7250617369"),
        ];
        for (wrapped, plain) in cases {
            let out = kwp_unwrap(&kek, &hex(wrapped)).unwrap();
            assert_eq!(out.expose(), hex(plain).as_slice());
        }
        let mut tampered = hex(cases[0].0);
        tampered[5] ^= 1;
        assert_eq!(
            kwp_unwrap(&kek, &tampered).unwrap_err(),
            KmsError::InvalidCiphertext
        );
        let mut other_kek = kek.clone();
        other_kek[0] ^= 1;
        assert_eq!(
            kwp_unwrap(&other_kek, &hex(cases[1].0)).unwrap_err(),
            KmsError::InvalidCiphertext
        );
    }

    fn oaep_encrypt(public_key: &[u8], alg: &'static OaepAlgorithm, plain: &[u8]) -> Vec<u8> {
        let key = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_key).unwrap())
            .unwrap();
        let mut out = vec![0u8; key.ciphertext_size()];
        let len = key.encrypt(alg, plain, &mut out, None).unwrap().len();
        out.truncate(len);
        out
    }

    fn kwp_wrap(kek: &[u8], plain: &[u8]) -> Vec<u8> {
        let kek = KeyEncryptionKey::new(&AES_256, kek).unwrap();
        let mut out = vec![0u8; plain.len() + 16];
        let len = kek.wrap_with_padding(plain, &mut out).unwrap().len();
        out.truncate(len);
        out
    }

    #[test]
    fn every_algorithm_unwraps_what_it_wrapped() {
        let pair = generate_wrapping_key(WrappingKeySpec::Rsa2048).unwrap();
        let material = b"0123456789abcdef0123456789abcdef";
        for alg in [
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesOaepSha256,
        ] {
            let wrapped = oaep_encrypt(&pair.public_key, alg.oaep(), material);
            let out = unwrap_material(alg, &pair.private_key, 256, &wrapped).unwrap();
            assert_eq!(out.expose(), material);
        }
        let big = vec![7u8; 1200];
        for alg in [
            WrappingAlgorithm::RsaAesKeyWrapSha1,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
        ] {
            let aes = [9u8; 32];
            let mut wrapped = oaep_encrypt(&pair.public_key, alg.oaep(), &aes);
            wrapped.extend(kwp_wrap(&aes, &big));
            let out = unwrap_material(alg, &pair.private_key, 256, &wrapped).unwrap();
            assert_eq!(out.expose(), big.as_slice());
            // Only the RSA part, or a truncated wrap: not ours to open.
            assert_eq!(
                unwrap_material(alg, &pair.private_key, 256, &wrapped[..256]).unwrap_err(),
                KmsError::InvalidCiphertext
            );
            assert_eq!(
                unwrap_material(alg, &pair.private_key, 256, &wrapped[..300]).unwrap_err(),
                KmsError::InvalidCiphertext
            );
        }
        // The wrong hash is a wrong unwrap.
        let wrapped = oaep_encrypt(&pair.public_key, &OAEP_SHA1_MGF1SHA1, material);
        assert_eq!(
            unwrap_material(
                WrappingAlgorithm::RsaesOaepSha256,
                &pair.private_key,
                256,
                &wrapped
            )
            .unwrap_err(),
            KmsError::InvalidCiphertext
        );
    }

    #[test]
    fn refused_algorithms_are_unsupported() {
        for name in ["RSAES_PKCS1_V1_5", "SM2PKE"] {
            assert!(matches!(
                parse_wrapping_algorithm(name),
                Err(KmsError::UnsupportedOperation(_))
            ));
        }
        assert!(matches!(
            WrappingKeySpec::parse("SM2"),
            Err(KmsError::UnsupportedOperation(_))
        ));
    }
}
