//! The asymmetric cryptography of KMS keys and data key pairs, over
//! aws-lc-rs: generating key pairs (private half as PKCS#8 DER, public half
//! as DER SubjectPublicKeyInfo), signing and verifying (RSA-PSS with salt =
//! hash length, RSA PKCS#1 v1.5, ECDSA with DER signatures), RSA-OAEP, and
//! ECDH. No key state, no store: the operations in `asymmetric` call these.
//!
//! Private keys go in and out only as [`SecretBytes`].

use aws_lc_rs::agreement;
use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    self, KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _};
use kinko_crypto::SecretBytes;

use super::key_spec::{EncryptionAlgorithm, KeySpec, SigningAlgorithm};

/// What can fail here. None of them carries key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyPairError {
    #[error("the key spec has no key pair")]
    NotAsymmetric,
    #[error("key pair generation failed")]
    Generate,
    /// A stored private key that no longer parses: a fault of ours.
    #[error("the stored private key does not parse")]
    PrivateKey,
    #[error("the signing algorithm does not fit the key")]
    Algorithm,
    #[error("signing failed")]
    Sign,
    #[error("the public key is not a DER SubjectPublicKeyInfo for this key's curve")]
    PeerKey,
    #[error("the plaintext is too long")]
    TooLong,
    #[error("decryption failed")]
    Decrypt,
}

/// A fresh key pair.
pub struct GeneratedPair {
    /// PKCS#8 v1 DER.
    pub private_key: SecretBytes,
    /// DER SubjectPublicKeyInfo (RFC 5280).
    pub public_key: Vec<u8>,
}

/// The message of a Sign or Verify: `RAW` bytes KMS hashes, or a `DIGEST`
/// whose length the caller has checked against the algorithm.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    Raw(&'a [u8]),
    Digest(&'a [u8]),
}

fn rsa_size(spec: KeySpec) -> Option<KeySize> {
    match spec {
        KeySpec::Rsa2048 => Some(KeySize::Rsa2048),
        KeySpec::Rsa3072 => Some(KeySize::Rsa3072),
        KeySpec::Rsa4096 => Some(KeySize::Rsa4096),
        _ => None,
    }
}

/// The ECDSA algorithm of a curve, with the hash spec §7 pairs it with.
pub(super) fn ecdsa_signing(spec: KeySpec) -> Option<&'static EcdsaSigningAlgorithm> {
    match spec {
        KeySpec::EccNistP256 => Some(&signature::ECDSA_P256_SHA256_ASN1_SIGNING),
        KeySpec::EccNistP384 => Some(&signature::ECDSA_P384_SHA384_ASN1_SIGNING),
        KeySpec::EccNistP521 => Some(&signature::ECDSA_P521_SHA512_ASN1_SIGNING),
        KeySpec::EccSecgP256k1 => Some(&signature::ECDSA_P256K1_SHA256_ASN1_SIGNING),
        _ => None,
    }
}

fn ecdh_algorithm(spec: KeySpec) -> Option<&'static agreement::Algorithm> {
    match spec {
        KeySpec::EccNistP256 => Some(&agreement::ECDH_P256),
        KeySpec::EccNistP384 => Some(&agreement::ECDH_P384),
        KeySpec::EccNistP521 => Some(&agreement::ECDH_P521),
        _ => None,
    }
}

fn digest_algorithm(alg: SigningAlgorithm) -> &'static digest::Algorithm {
    match alg.digest_len() {
        32 => &digest::SHA256,
        48 => &digest::SHA384,
        _ => &digest::SHA512,
    }
}

/// A key pair of an RSA or ECC spec. ECC pairs are made as ECDSA keys; their
/// PKCS#8 is the same for ECDH (an EC private key names only its curve).
pub fn generate(spec: KeySpec) -> Result<GeneratedPair, KeyPairError> {
    if let Some(size) = rsa_size(spec) {
        let pair = rsa::KeyPair::generate(size).map_err(|_| KeyPairError::Generate)?;
        let private_key = pair.as_der().map_err(|_| KeyPairError::Generate)?;
        let public_key = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyPairError::Generate)?;
        return Ok(GeneratedPair {
            private_key: SecretBytes::new(private_key.as_ref().to_vec()),
            public_key: public_key.as_ref().to_vec(),
        });
    }
    let alg = ecdsa_signing(spec).ok_or(KeyPairError::NotAsymmetric)?;
    let pair = EcdsaKeyPair::generate(alg).map_err(|_| KeyPairError::Generate)?;
    let private_key = pair.to_pkcs8v1().map_err(|_| KeyPairError::Generate)?;
    let public_key = pair
        .public_key()
        .as_der()
        .map_err(|_| KeyPairError::Generate)?;
    Ok(GeneratedPair {
        private_key: SecretBytes::new(private_key.as_ref().to_vec()),
        public_key: public_key.as_ref().to_vec(),
    })
}

/// Signs with a stored private key. The algorithm must be one of the
/// spec's (checked by the caller; checked again here).
pub fn sign(
    spec: KeySpec,
    private_key: &SecretBytes,
    alg: SigningAlgorithm,
    message: Message<'_>,
) -> Result<Vec<u8>, KeyPairError> {
    let hash = digest_algorithm(alg);
    let digest = match message {
        Message::Raw(raw) => digest::digest(hash, raw),
        Message::Digest(d) => {
            Digest::import_less_safe(d, hash).map_err(|_| KeyPairError::Algorithm)?
        }
    };
    if rsa_size(spec).is_some() {
        let pair =
            rsa::KeyPair::from_pkcs8(private_key.expose()).map_err(|_| KeyPairError::PrivateKey)?;
        let padding: &'static dyn signature::RsaEncoding = match alg {
            SigningAlgorithm::RsassaPssSha256 => &signature::RSA_PSS_SHA256,
            SigningAlgorithm::RsassaPssSha384 => &signature::RSA_PSS_SHA384,
            SigningAlgorithm::RsassaPssSha512 => &signature::RSA_PSS_SHA512,
            SigningAlgorithm::RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_SHA256,
            SigningAlgorithm::RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_SHA384,
            SigningAlgorithm::RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_SHA512,
            _ => return Err(KeyPairError::Algorithm),
        };
        let mut out = vec![0u8; pair.public_modulus_len()];
        pair.sign_digest(padding, &digest, &mut out)
            .map_err(|_| KeyPairError::Sign)?;
        return Ok(out);
    }
    let ecdsa = ecdsa_signing(spec).ok_or(KeyPairError::NotAsymmetric)?;
    if !super::key_spec::signing_algorithms(spec).contains(&alg) {
        return Err(KeyPairError::Algorithm);
    }
    let pair = EcdsaKeyPair::from_pkcs8(ecdsa, private_key.expose())
        .map_err(|_| KeyPairError::PrivateKey)?;
    let sig = pair.sign_digest(&digest).map_err(|_| KeyPairError::Sign)?;
    Ok(sig.as_ref().to_vec())
}

fn verification(
    spec: KeySpec,
    alg: SigningAlgorithm,
) -> Option<&'static dyn signature::VerificationAlgorithm> {
    use SigningAlgorithm as S;
    Some(match (spec, alg) {
        (KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096, alg) => match alg {
            S::RsassaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
            S::RsassaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
            S::RsassaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
            S::RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            S::RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            S::RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            _ => return None,
        },
        (KeySpec::EccNistP256, S::EcdsaSha256) => &signature::ECDSA_P256_SHA256_ASN1,
        (KeySpec::EccNistP384, S::EcdsaSha384) => &signature::ECDSA_P384_SHA384_ASN1,
        (KeySpec::EccNistP521, S::EcdsaSha512) => &signature::ECDSA_P521_SHA512_ASN1,
        (KeySpec::EccSecgP256k1, S::EcdsaSha256) => &signature::ECDSA_P256K1_SHA256_ASN1,
        _ => return None,
    })
}

/// Whether `sig` is a valid signature of `message` under the public key.
/// Any failure (a malformed signature too) is `false`.
pub fn verify(
    spec: KeySpec,
    public_key: &[u8],
    alg: SigningAlgorithm,
    message: Message<'_>,
    sig: &[u8],
) -> bool {
    let Some(verification) = verification(spec, alg) else {
        return false;
    };
    let key = signature::UnparsedPublicKey::new(verification, public_key);
    match message {
        Message::Raw(raw) => key.verify(raw, sig).is_ok(),
        Message::Digest(d) => match Digest::import_less_safe(d, digest_algorithm(alg)) {
            Ok(digest) => key.verify_digest(&digest, sig).is_ok(),
            Err(_) => false,
        },
    }
}

fn oaep(alg: EncryptionAlgorithm) -> Option<&'static OaepAlgorithm> {
    match alg {
        EncryptionAlgorithm::RsaesOaepSha1 => Some(&OAEP_SHA1_MGF1SHA1),
        EncryptionAlgorithm::RsaesOaepSha256 => Some(&OAEP_SHA256_MGF1SHA256),
        EncryptionAlgorithm::SymmetricDefault => None,
    }
}

/// The largest plaintext RSA-OAEP takes: k − 2·hLen − 2 (RFC 8017), which
/// gives the Encrypt doc's table (RSA_2048: 214 / 190 bytes, ...).
pub fn oaep_max_plaintext(spec: KeySpec, alg: EncryptionAlgorithm) -> usize {
    let modulus = match spec {
        KeySpec::Rsa2048 => 256,
        KeySpec::Rsa3072 => 384,
        KeySpec::Rsa4096 => 512,
        _ => return 0,
    };
    let hash = match alg {
        EncryptionAlgorithm::RsaesOaepSha1 => 20,
        EncryptionAlgorithm::RsaesOaepSha256 => 32,
        EncryptionAlgorithm::SymmetricDefault => return 0,
    };
    modulus - 2 * hash - 2
}

pub fn oaep_encrypt(
    public_key: &[u8],
    alg: EncryptionAlgorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, KeyPairError> {
    let oaep = oaep(alg).ok_or(KeyPairError::Algorithm)?;
    let key = PublicEncryptingKey::from_der(public_key).map_err(|_| KeyPairError::PrivateKey)?;
    let key = OaepPublicEncryptingKey::new(key).map_err(|_| KeyPairError::PrivateKey)?;
    if plaintext.len() > key.max_plaintext_size(oaep) {
        return Err(KeyPairError::TooLong);
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(oaep, plaintext, &mut out, None)
        .map_err(|_| KeyPairError::Sign)?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Every failure to decrypt is [`KeyPairError::Decrypt`]: the reason
/// (padding, length) would help an attacker.
pub fn oaep_decrypt(
    private_key: &SecretBytes,
    alg: EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes, KeyPairError> {
    let oaep = oaep(alg).ok_or(KeyPairError::Algorithm)?;
    let key = PrivateDecryptingKey::from_pkcs8(private_key.expose())
        .map_err(|_| KeyPairError::PrivateKey)?;
    let key = OaepPrivateDecryptingKey::new(key).map_err(|_| KeyPairError::PrivateKey)?;
    let mut out = vec![0u8; key.min_output_size()];
    let len = match key.decrypt(oaep, ciphertext, &mut out, None) {
        Ok(plain) => plain.len(),
        Err(_) => {
            out.fill(0);
            return Err(KeyPairError::Decrypt);
        }
    };
    out.truncate(len);
    Ok(SecretBytes::new(out))
}

/// Raw ECDH with the stored private key and a peer's DER SPKI public key
/// on the same curve.
pub fn ecdh(
    spec: KeySpec,
    private_key: &SecretBytes,
    peer_public_key: &[u8],
) -> Result<SecretBytes, KeyPairError> {
    let alg = ecdh_algorithm(spec).ok_or(KeyPairError::NotAsymmetric)?;
    let mine = agreement::PrivateKey::from_private_key_der(alg, private_key.expose())
        .map_err(|_| KeyPairError::PrivateKey)?;
    let peer = agreement::UnparsedPublicKey::new(alg, peer_public_key);
    agreement::agree(&mine, peer, KeyPairError::PeerKey, |secret| {
        Ok(SecretBytes::new(secret.to_vec()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signing_pair_signs_and_verifies_raw_and_digest() {
        for spec in [
            KeySpec::Rsa2048,
            KeySpec::EccNistP256,
            KeySpec::EccNistP384,
            KeySpec::EccNistP521,
            KeySpec::EccSecgP256k1,
        ] {
            let pair = generate(spec).unwrap();
            for &alg in super::super::key_spec::signing_algorithms(spec) {
                let msg = b"kinko signs this";
                let sig = sign(spec, &pair.private_key, alg, Message::Raw(msg)).unwrap();
                assert!(verify(spec, &pair.public_key, alg, Message::Raw(msg), &sig));
                let d = digest::digest(digest_algorithm(alg), msg);
                assert!(
                    verify(
                        spec,
                        &pair.public_key,
                        alg,
                        Message::Digest(d.as_ref()),
                        &sig
                    ),
                    "{spec:?} {alg:?}: a RAW signature is one of the message's digest"
                );
                let dsig = sign(spec, &pair.private_key, alg, Message::Digest(d.as_ref())).unwrap();
                assert!(verify(
                    spec,
                    &pair.public_key,
                    alg,
                    Message::Raw(msg),
                    &dsig
                ));
                let mut bad = sig.clone();
                let last = bad.len() - 1;
                bad[last] ^= 1;
                assert!(!verify(
                    spec,
                    &pair.public_key,
                    alg,
                    Message::Raw(msg),
                    &bad
                ));
                assert!(!verify(
                    spec,
                    &pair.public_key,
                    alg,
                    Message::Raw(b"other"),
                    &sig
                ));
            }
        }
    }

    #[test]
    fn a_foreign_algorithm_is_refused() {
        let pair = generate(KeySpec::EccNistP256).unwrap();
        let err = sign(
            KeySpec::EccNistP256,
            &pair.private_key,
            SigningAlgorithm::EcdsaSha384,
            Message::Raw(b"x"),
        );
        assert_eq!(err, Err(KeyPairError::Algorithm));
        assert!(!verify(
            KeySpec::EccNistP256,
            &pair.public_key,
            SigningAlgorithm::RsassaPssSha256,
            Message::Raw(b"x"),
            b"sig"
        ));
    }

    #[test]
    fn oaep_round_trips_up_to_its_limit_and_not_past_it() {
        let pair = generate(KeySpec::Rsa2048).unwrap();
        for alg in [
            EncryptionAlgorithm::RsaesOaepSha1,
            EncryptionAlgorithm::RsaesOaepSha256,
        ] {
            let max = oaep_max_plaintext(KeySpec::Rsa2048, alg);
            assert_eq!(
                max,
                if alg == EncryptionAlgorithm::RsaesOaepSha1 {
                    214
                } else {
                    190
                }
            );
            let plain = vec![7u8; max];
            let ct = oaep_encrypt(&pair.public_key, alg, &plain).unwrap();
            assert_eq!(ct.len(), 256);
            let back = oaep_decrypt(&pair.private_key, alg, &ct).unwrap();
            assert_eq!(back.expose(), plain.as_slice());
            assert_eq!(
                oaep_encrypt(&pair.public_key, alg, &vec![7u8; max + 1]),
                Err(KeyPairError::TooLong)
            );
            let mut bad = ct.clone();
            bad[10] ^= 1;
            assert!(matches!(
                oaep_decrypt(&pair.private_key, alg, &bad),
                Err(KeyPairError::Decrypt)
            ));
        }
        assert_eq!(
            oaep_max_plaintext(KeySpec::Rsa3072, EncryptionAlgorithm::RsaesOaepSha256),
            318
        );
        assert_eq!(
            oaep_max_plaintext(KeySpec::Rsa4096, EncryptionAlgorithm::RsaesOaepSha1),
            470
        );
    }

    #[test]
    fn ecdh_agrees_both_ways_and_refuses_another_curve() {
        let a = generate(KeySpec::EccNistP256).unwrap();
        let b = generate(KeySpec::EccNistP256).unwrap();
        let ab = ecdh(KeySpec::EccNistP256, &a.private_key, &b.public_key).unwrap();
        let ba = ecdh(KeySpec::EccNistP256, &b.private_key, &a.public_key).unwrap();
        assert_eq!(ab.expose(), ba.expose());
        assert_eq!(ab.expose().len(), 32);
        let other = generate(KeySpec::EccNistP384).unwrap();
        assert!(matches!(
            ecdh(KeySpec::EccNistP256, &a.private_key, &other.public_key),
            Err(KeyPairError::PeerKey)
        ));
        assert!(matches!(
            ecdh(KeySpec::EccNistP256, &a.private_key, b"not a key"),
            Err(KeyPairError::PeerKey)
        ));
    }
}
