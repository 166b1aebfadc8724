//! The 256-bit material of one KMS-style key (or of a key derived from the
//! root key for one purpose).

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::aes_gcm::KEY_LEN;

/// 256 bits of key material. Stored only wrapped under the root key
/// ([`crate::RootKey::wrap_key`]); in memory it is zeroized on drop and its
/// `Debug` is redacted.
pub struct KeyMaterial(Zeroizing<[u8; KEY_LEN]>);

impl KeyMaterial {
    /// Fresh material from the system RNG.
    pub fn generate() -> KeyMaterial {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        crate::random::fill(&mut bytes[..]);
        KeyMaterial(bytes)
    }

    /// Material a caller supplied (KMS imported key material): exactly
    /// 32 bytes, copied into zeroizing memory.
    pub fn from_slice(bytes: &[u8]) -> Option<KeyMaterial> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        let mut material = Zeroizing::new([0u8; KEY_LEN]);
        material.copy_from_slice(bytes);
        Some(KeyMaterial(material))
    }

    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> KeyMaterial {
        KeyMaterial(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0[..]);
        let tag = hmac::sign(&key, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Checks an HMAC-SHA256 tag in constant time (no `==` on tags).
    pub fn verify_mac(&self, data: &[u8], tag: &[u8]) -> bool {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0[..]);
        hmac::verify(&key, data, tag).is_ok()
    }
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_verifies_only_the_same_data_and_key() {
        let k = KeyMaterial::generate();
        let tag = k.mac(b"token");
        assert!(k.verify_mac(b"token", &tag));
        assert!(!k.verify_mac(b"tokem", &tag));
        assert!(!k.verify_mac(b"token", &tag[..31]));
        let mut bad = tag;
        bad[0] ^= 1;
        assert!(!k.verify_mac(b"token", &bad));
        assert!(!KeyMaterial::generate().verify_mac(b"token", &tag));
    }

    #[test]
    fn mac_is_hmac_sha256() {
        // Expected value from Python: hmac.new(bytes([7]*32), b"abc", sha256).
        let k = KeyMaterial::from_bytes(Zeroizing::new([7u8; 32]));
        let hex: String = k.mac(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "127da4ced6a839b8f6118bc244684d2663e70cb5ff0adeefca89d7e74d5a0525"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let k = KeyMaterial::from_bytes(Zeroizing::new([0xAB; 32]));
        let shown = format!("{k:?}");
        assert_eq!(shown, "KeyMaterial(<redacted>)");
        assert!(!shown.contains("171"));
    }
}
