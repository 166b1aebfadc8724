//! Key specs, key usages and the algorithms each pair allows (spec §7),
//! with AWS's names. CreateKey checks a pair here; every cryptographic
//! operation asks here whether its algorithm fits the key.

use serde::{Deserialize, Serialize};

use super::KmsError;

/// The `KeySpec`s kinko makes keys of. SM2, Edwards and ML-DSA are refused
/// at CreateKey (`UnsupportedOperationException`), so they have no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeySpec {
    #[default]
    SymmetricDefault,
    #[serde(rename = "RSA_2048")]
    Rsa2048,
    #[serde(rename = "RSA_3072")]
    Rsa3072,
    #[serde(rename = "RSA_4096")]
    Rsa4096,
    #[serde(rename = "ECC_NIST_P256")]
    EccNistP256,
    #[serde(rename = "ECC_NIST_P384")]
    EccNistP384,
    #[serde(rename = "ECC_NIST_P521")]
    EccNistP521,
    #[serde(rename = "ECC_SECG_P256K1")]
    EccSecgP256k1,
    #[serde(rename = "HMAC_224")]
    Hmac224,
    #[serde(rename = "HMAC_256")]
    Hmac256,
    #[serde(rename = "HMAC_384")]
    Hmac384,
    #[serde(rename = "HMAC_512")]
    Hmac512,
}

/// What a spec is, for the operations that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFamily {
    Symmetric,
    Rsa,
    Ecc,
    Hmac,
}

impl KeySpec {
    pub const ALL: [KeySpec; 12] = [
        KeySpec::SymmetricDefault,
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
        KeySpec::Hmac224,
        KeySpec::Hmac256,
        KeySpec::Hmac384,
        KeySpec::Hmac512,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeySpec::SymmetricDefault => "SYMMETRIC_DEFAULT",
            KeySpec::Rsa2048 => "RSA_2048",
            KeySpec::Rsa3072 => "RSA_3072",
            KeySpec::Rsa4096 => "RSA_4096",
            KeySpec::EccNistP256 => "ECC_NIST_P256",
            KeySpec::EccNistP384 => "ECC_NIST_P384",
            KeySpec::EccNistP521 => "ECC_NIST_P521",
            KeySpec::EccSecgP256k1 => "ECC_SECG_P256K1",
            KeySpec::Hmac224 => "HMAC_224",
            KeySpec::Hmac256 => "HMAC_256",
            KeySpec::Hmac384 => "HMAC_384",
            KeySpec::Hmac512 => "HMAC_512",
        }
    }

    /// `None` for a name kinko does not make keys of (the wire layer has
    /// already refused names outside the model's enum).
    pub fn parse(name: &str) -> Option<KeySpec> {
        KeySpec::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn family(self) -> SpecFamily {
        match self {
            KeySpec::SymmetricDefault => SpecFamily::Symmetric,
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => SpecFamily::Rsa,
            KeySpec::EccNistP256
            | KeySpec::EccNistP384
            | KeySpec::EccNistP521
            | KeySpec::EccSecgP256k1 => SpecFamily::Ecc,
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
                SpecFamily::Hmac
            }
        }
    }

    /// Whether the key has a public half (GetPublicKey answers for it).
    pub fn is_asymmetric(self) -> bool {
        matches!(self.family(), SpecFamily::Rsa | SpecFamily::Ecc)
    }

    /// The usages CreateKey accepts with this spec (spec §7).
    pub fn usages(self) -> &'static [KeyUsage] {
        match self {
            KeySpec::SymmetricDefault => &[KeyUsage::EncryptDecrypt],
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
                &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify]
            }
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => {
                &[KeyUsage::SignVerify, KeyUsage::KeyAgreement]
            }
            KeySpec::EccSecgP256k1 => &[KeyUsage::SignVerify],
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
                &[KeyUsage::GenerateVerifyMac]
            }
        }
    }

    /// The HMAC key length in bytes: the spec's bit count, as AWS makes it.
    pub fn hmac_key_len(self) -> Option<usize> {
        match self {
            KeySpec::Hmac224 => Some(28),
            KeySpec::Hmac256 => Some(32),
            KeySpec::Hmac384 => Some(48),
            KeySpec::Hmac512 => Some(64),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyUsage {
    #[default]
    EncryptDecrypt,
    SignVerify,
    GenerateVerifyMac,
    KeyAgreement,
}

impl KeyUsage {
    pub const ALL: [KeyUsage; 4] = [
        KeyUsage::EncryptDecrypt,
        KeyUsage::SignVerify,
        KeyUsage::GenerateVerifyMac,
        KeyUsage::KeyAgreement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyUsage::EncryptDecrypt => "ENCRYPT_DECRYPT",
            KeyUsage::SignVerify => "SIGN_VERIFY",
            KeyUsage::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
            KeyUsage::KeyAgreement => "KEY_AGREEMENT",
        }
    }

    pub fn parse(name: &str) -> Option<KeyUsage> {
        KeyUsage::ALL.into_iter().find(|u| u.as_str() == name)
    }
}

/// The spec and usage CreateKey asked for, checked against each other.
///
/// AWS's CreateKey doc: `KeyUsage` "is optional when you are creating a
/// symmetric encryption KMS key; otherwise, it is required", so a missing
/// usage is an error for every other spec. Both texts are the ones local
/// KMS emulators send; AWS's own are unconfirmed.
pub fn check_spec_and_usage(
    spec: KeySpec,
    usage: Option<KeyUsage>,
) -> Result<(KeySpec, KeyUsage), KmsError> {
    let usage = match usage {
        Some(u) => u,
        None if spec == KeySpec::SymmetricDefault => KeyUsage::EncryptDecrypt,
        None => {
            return Err(KmsError::Validation(format!(
                "You must specify a KeyUsage value when KeySpec is {}.",
                spec.as_str()
            )));
        }
    };
    if spec.usages().contains(&usage) {
        Ok((spec, usage))
    } else {
        Err(KmsError::Validation(format!(
            "KeyUsage {} is not compatible with KeySpec {}.",
            usage.as_str(),
            spec.as_str()
        )))
    }
}

/// `EncryptionAlgorithmSpec` of the algorithms kinko serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionAlgorithm {
    SymmetricDefault,
    RsaesOaepSha1,
    RsaesOaepSha256,
}

impl EncryptionAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            EncryptionAlgorithm::SymmetricDefault => "SYMMETRIC_DEFAULT",
            EncryptionAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            EncryptionAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }
}

/// `SigningAlgorithmSpec` of the algorithms kinko serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    RsassaPssSha256,
    RsassaPssSha384,
    RsassaPssSha512,
    RsassaPkcs1V15Sha256,
    RsassaPkcs1V15Sha384,
    RsassaPkcs1V15Sha512,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 9] = [
        SigningAlgorithm::RsassaPssSha256,
        SigningAlgorithm::RsassaPssSha384,
        SigningAlgorithm::RsassaPssSha512,
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        SigningAlgorithm::RsassaPkcs1V15Sha384,
        SigningAlgorithm::RsassaPkcs1V15Sha512,
        SigningAlgorithm::EcdsaSha256,
        SigningAlgorithm::EcdsaSha384,
        SigningAlgorithm::EcdsaSha512,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::RsassaPssSha256 => "RSASSA_PSS_SHA_256",
            SigningAlgorithm::RsassaPssSha384 => "RSASSA_PSS_SHA_384",
            SigningAlgorithm::RsassaPssSha512 => "RSASSA_PSS_SHA_512",
            SigningAlgorithm::RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
            SigningAlgorithm::RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
            SigningAlgorithm::RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
            SigningAlgorithm::EcdsaSha256 => "ECDSA_SHA_256",
            SigningAlgorithm::EcdsaSha384 => "ECDSA_SHA_384",
            SigningAlgorithm::EcdsaSha512 => "ECDSA_SHA_512",
        }
    }

    pub fn parse(name: &str) -> Option<SigningAlgorithm> {
        SigningAlgorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
    }

    /// The digest length a `DIGEST` message must have.
    pub fn digest_len(self) -> usize {
        match self {
            SigningAlgorithm::RsassaPssSha256
            | SigningAlgorithm::RsassaPkcs1V15Sha256
            | SigningAlgorithm::EcdsaSha256 => 32,
            SigningAlgorithm::RsassaPssSha384
            | SigningAlgorithm::RsassaPkcs1V15Sha384
            | SigningAlgorithm::EcdsaSha384 => 48,
            SigningAlgorithm::RsassaPssSha512
            | SigningAlgorithm::RsassaPkcs1V15Sha512
            | SigningAlgorithm::EcdsaSha512 => 64,
        }
    }
}

/// `MacAlgorithmSpec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlgorithm {
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl MacAlgorithm {
    pub const ALL: [MacAlgorithm; 4] = [
        MacAlgorithm::HmacSha224,
        MacAlgorithm::HmacSha256,
        MacAlgorithm::HmacSha384,
        MacAlgorithm::HmacSha512,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MacAlgorithm::HmacSha224 => "HMAC_SHA_224",
            MacAlgorithm::HmacSha256 => "HMAC_SHA_256",
            MacAlgorithm::HmacSha384 => "HMAC_SHA_384",
            MacAlgorithm::HmacSha512 => "HMAC_SHA_512",
        }
    }

    pub fn parse(name: &str) -> Option<MacAlgorithm> {
        MacAlgorithm::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// The `KeyAgreementAlgorithmSpec` (one member).
pub const KEY_AGREEMENT_ECDH: &str = "ECDH";

/// The algorithm lists `KeyMetadata` and GetPublicKey carry for a key: each
/// list present only for the key's usage, as AWS sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyAlgorithms {
    pub encryption: Option<Vec<&'static str>>,
    pub signing: Option<Vec<&'static str>>,
    pub mac: Option<Vec<&'static str>>,
    pub key_agreement: Option<Vec<&'static str>>,
}

pub fn encryption_algorithms(spec: KeySpec) -> &'static [EncryptionAlgorithm] {
    match spec.family() {
        SpecFamily::Symmetric => &[EncryptionAlgorithm::SymmetricDefault],
        SpecFamily::Rsa => &[
            EncryptionAlgorithm::RsaesOaepSha1,
            EncryptionAlgorithm::RsaesOaepSha256,
        ],
        SpecFamily::Ecc | SpecFamily::Hmac => &[],
    }
}

pub fn signing_algorithms(spec: KeySpec) -> &'static [SigningAlgorithm] {
    use SigningAlgorithm as S;
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[
            S::RsassaPssSha256,
            S::RsassaPssSha384,
            S::RsassaPssSha512,
            S::RsassaPkcs1V15Sha256,
            S::RsassaPkcs1V15Sha384,
            S::RsassaPkcs1V15Sha512,
        ],
        KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => &[S::EcdsaSha256],
        KeySpec::EccNistP384 => &[S::EcdsaSha384],
        KeySpec::EccNistP521 => &[S::EcdsaSha512],
        _ => &[],
    }
}

/// The one MAC algorithm of an HMAC spec.
pub fn mac_algorithm(spec: KeySpec) -> Option<MacAlgorithm> {
    match spec {
        KeySpec::Hmac224 => Some(MacAlgorithm::HmacSha224),
        KeySpec::Hmac256 => Some(MacAlgorithm::HmacSha256),
        KeySpec::Hmac384 => Some(MacAlgorithm::HmacSha384),
        KeySpec::Hmac512 => Some(MacAlgorithm::HmacSha512),
        _ => None,
    }
}

pub fn key_algorithms(spec: KeySpec, usage: KeyUsage) -> KeyAlgorithms {
    let mut out = KeyAlgorithms::default();
    match usage {
        KeyUsage::EncryptDecrypt => {
            out.encryption = Some(
                encryption_algorithms(spec)
                    .iter()
                    .map(|a| a.as_str())
                    .collect(),
            );
        }
        KeyUsage::SignVerify => {
            out.signing = Some(
                signing_algorithms(spec)
                    .iter()
                    .map(|a| a.as_str())
                    .collect(),
            );
        }
        KeyUsage::GenerateVerifyMac => {
            out.mac = Some(mac_algorithm(spec).iter().map(|a| a.as_str()).collect());
        }
        KeyUsage::KeyAgreement => out.key_agreement = Some(vec![KEY_AGREEMENT_ECDH]),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_uses_them() {
        for spec in KeySpec::ALL {
            assert_eq!(KeySpec::parse(spec.as_str()), Some(spec));
            let json = serde_json::to_string(&spec).unwrap();
            assert_eq!(json, format!("\"{}\"", spec.as_str()));
        }
        for usage in KeyUsage::ALL {
            assert_eq!(KeyUsage::parse(usage.as_str()), Some(usage));
            let json = serde_json::to_string(&usage).unwrap();
            assert_eq!(json, format!("\"{}\"", usage.as_str()));
        }
        assert_eq!(KeySpec::parse("SM2"), None);
        assert_eq!(KeySpec::parse("ML_DSA_44"), None);
    }

    #[test]
    fn the_table_of_spec_7() {
        use KeyUsage::*;
        let ok = |s, u| check_spec_and_usage(s, Some(u)).is_ok();
        assert!(ok(KeySpec::Rsa3072, EncryptDecrypt));
        assert!(ok(KeySpec::Rsa3072, SignVerify));
        assert!(!ok(KeySpec::Rsa3072, KeyAgreement));
        assert!(ok(KeySpec::EccNistP521, KeyAgreement));
        assert!(!ok(KeySpec::EccNistP256, EncryptDecrypt));
        assert!(!ok(KeySpec::EccSecgP256k1, KeyAgreement));
        assert!(!ok(KeySpec::Hmac256, SignVerify));
        assert!(!ok(KeySpec::SymmetricDefault, GenerateVerifyMac));
        assert_eq!(
            check_spec_and_usage(KeySpec::SymmetricDefault, None),
            Ok((KeySpec::SymmetricDefault, EncryptDecrypt))
        );
        assert_eq!(
            check_spec_and_usage(KeySpec::Hmac256, None),
            Err(KmsError::Validation(
                "You must specify a KeyUsage value when KeySpec is HMAC_256.".into()
            ))
        );
        assert_eq!(
            check_spec_and_usage(KeySpec::EccNistP256, Some(EncryptDecrypt)),
            Err(KmsError::Validation(
                "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256.".into()
            ))
        );
    }

    #[test]
    fn algorithm_lists_follow_usage() {
        let rsa_sign = key_algorithms(KeySpec::Rsa2048, KeyUsage::SignVerify);
        assert_eq!(rsa_sign.signing.as_ref().map(Vec::len), Some(6));
        assert!(rsa_sign.encryption.is_none());
        let rsa_enc = key_algorithms(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt);
        assert_eq!(
            rsa_enc.encryption,
            Some(vec!["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
        );
        assert_eq!(
            key_algorithms(KeySpec::EccNistP384, KeyUsage::SignVerify).signing,
            Some(vec!["ECDSA_SHA_384"])
        );
        assert_eq!(
            key_algorithms(KeySpec::Hmac384, KeyUsage::GenerateVerifyMac).mac,
            Some(vec!["HMAC_SHA_384"])
        );
        assert_eq!(
            key_algorithms(KeySpec::EccNistP256, KeyUsage::KeyAgreement).key_agreement,
            Some(vec!["ECDH"])
        );
    }
}
