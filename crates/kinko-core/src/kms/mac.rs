//! HMAC keys: GenerateMac and VerifyMac (spec §8), HMAC per RFC 2104 over
//! aws-lc-rs. The HMAC key is the key's sealed secret (see `asymmetric`).

use aws_lc_rs::hmac;
use kinko_crypto::SecretBytes;

use super::key_spec::{KeyUsage, MacAlgorithm, mac_algorithm};
use super::{KeyHandle, Kms, KmsError};

#[derive(Debug)]
pub struct MacInput {
    pub key_id: String,
    /// May be the caller's plaintext: kept zeroizing.
    pub message: SecretBytes,
    pub mac_algorithm: String,
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacOutput {
    /// The key ARN.
    pub key_id: String,
    /// Empty for VerifyMac (which answers `MacValid: true` or an error).
    pub mac: Vec<u8>,
    pub mac_algorithm: &'static str,
}

fn algorithm(alg: MacAlgorithm) -> hmac::Algorithm {
    match alg {
        MacAlgorithm::HmacSha224 => hmac::HMAC_SHA224,
        MacAlgorithm::HmacSha256 => hmac::HMAC_SHA256,
        MacAlgorithm::HmacSha384 => hmac::HMAC_SHA384,
        MacAlgorithm::HmacSha512 => hmac::HMAC_SHA512,
    }
}

/// HMAC of `message` under `key` (the full tag, untruncated).
pub(super) fn hmac_tag(alg: MacAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(algorithm(alg), key);
    hmac::sign(&key, message).as_ref().to_vec()
}

/// Constant-time check of a tag.
pub(super) fn hmac_verify(alg: MacAlgorithm, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let key = hmac::Key::new(algorithm(alg), key);
    hmac::verify(&key, message, tag).is_ok()
}

/// The key's one MAC algorithm, if it is the one asked for.
fn mac_request(key: &KeyHandle, input: &MacInput) -> Result<MacAlgorithm, KmsError> {
    mac_algorithm(key.spec())
        .filter(|a| a.as_str() == input.mac_algorithm)
        .ok_or_else(|| key.incompatible(&input.mac_algorithm))
}

impl Kms {
    pub async fn generate_mac(&self, region: &str, input: MacInput) -> Result<MacOutput, KmsError> {
        let key = self
            .key_for(
                region,
                &input.key_id,
                KeyUsage::GenerateVerifyMac,
                "GenerateMac",
            )
            .await?;
        let alg = mac_request(&key, &input)?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let secret = self.key_secret(&key).await?;
        Ok(MacOutput {
            mac: hmac_tag(alg, secret.expose(), input.message.expose()),
            mac_algorithm: alg.as_str(),
            key_id: key.arn,
        })
    }

    /// A MAC that does not match is `KMSInvalidMacException`, as on AWS.
    pub async fn verify_mac(
        &self,
        region: &str,
        input: MacInput,
        mac: &[u8],
    ) -> Result<MacOutput, KmsError> {
        let key = self
            .key_for(
                region,
                &input.key_id,
                KeyUsage::GenerateVerifyMac,
                "VerifyMac",
            )
            .await?;
        let alg = mac_request(&key, &input)?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let secret = self.key_secret(&key).await?;
        if !hmac_verify(alg, secret.expose(), input.message.expose(), mac) {
            return Err(KmsError::InvalidMac);
        }
        Ok(MacOutput {
            mac: Vec::new(),
            mac_algorithm: alg.as_str(),
            key_id: key.arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 test cases 1, 2 and 6 (key longer than the block), all four
    /// hashes: the HMAC under GenerateMac is the standard one.
    #[test]
    fn rfc_4231_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, [&str; 4]); 3] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                [
                    "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
                    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                ],
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                [
                    "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
                    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                ],
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                [
                    "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
                    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
                ],
            ),
        ];
        for (key, data, tags) in cases {
            for (alg, tag) in MacAlgorithm::ALL.into_iter().zip(tags) {
                assert_eq!(hmac_tag(alg, &key, &data), unhex(tag), "{alg:?}");
                assert!(hmac_verify(alg, &key, &data, &unhex(tag)));
                let mut bad = unhex(tag);
                bad[0] ^= 0x01;
                assert!(!hmac_verify(alg, &key, &data, &bad));
                assert!(!hmac_verify(alg, &key, &data, &unhex(tag)[..8]));
            }
        }
    }
}
