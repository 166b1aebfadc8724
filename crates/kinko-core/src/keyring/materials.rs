//! The materials of one KMS-style key: its original one and those its
//! rotations added, as the keyring caches them.
//!
//! # Where the material id lives, and why
//!
//! A rotated key has several materials; a ciphertext must say which one
//! sealed it. The envelope says so itself (envelope version 2 carries the
//! 32-byte material id after the key id, bound into the data-key wrap's
//! AAD), so [`super::Keyring::open`] stays one cache lookup by key id and
//! then a scan of that entry's few materials — no store read, no second
//! map. Envelopes made before a key was ever rotated (version 1) name no
//! material and open with the original one, which never moves: it stays
//! in `KmsKeyRecord::wrapped_material`. Seals with the original material
//! keep writing version 1 envelopes, so a key that never rotates writes
//! exactly what older kinko builds read.
//!
//! The original material's id is derived from the key id (a hash, so it is
//! stable without being stored and says nothing about the material); a
//! rotated material's id is random and stored with it. Every material is
//! wrapped under the root key with the AAD naming key id *and* material id
//! ([`wrap_id`]), so a wrapped material copied onto another version or key
//! fails to unwrap.

use aws_lc_rs::digest;
use kinko_crypto::KeyMaterial;
use kinko_crypto::envelope::MATERIAL_ID_LEN;

/// A material id, raw (as in an envelope).
pub type MaterialId = [u8; MATERIAL_ID_LEN];

/// One material of a key.
pub(super) struct Material {
    pub(super) id: MaterialId,
    pub(super) material: KeyMaterial,
}

/// A key's materials: the original one first, then rotations in order.
/// Never empty; the last is the current one.
pub(super) struct Materials {
    all: Vec<Material>,
}

impl Materials {
    pub(super) fn new(original: Material) -> Self {
        Materials {
            all: vec![original],
        }
    }

    pub(super) fn push(&mut self, material: Material) {
        self.all.push(material);
    }

    /// The material new encryptions use, and whether it is the original one
    /// (which seals version 1 envelopes).
    pub(super) fn current(&self) -> (&Material, bool) {
        let is_original = self.all.len() == 1;
        // `all` is never empty: `new` takes the original.
        let current = &self.all[self.all.len() - 1];
        (current, is_original)
    }

    /// The material an envelope names: `None` = the original one.
    pub(super) fn find(&self, id: Option<&MaterialId>) -> Option<&Material> {
        match id {
            None => self.all.first(),
            Some(id) => self.all.iter().find(|m| &m.id == id),
        }
    }
}

/// The id of a key's original material: SHA-256 over a fixed label and the
/// key id. Stable for keys created before rotation existed.
pub fn original_material_id(key_id: &str) -> MaterialId {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"kinko-kms-original-material\0");
    ctx.update(key_id.as_bytes());
    let mut out = [0u8; MATERIAL_ID_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A fresh random material id.
pub fn new_material_id() -> MaterialId {
    let mut out = [0u8; MATERIAL_ID_LEN];
    out.copy_from_slice(&kinko_crypto::random_bytes(MATERIAL_ID_LEN));
    out
}

/// 64 lowercase hex characters, AWS's `KeyMaterialId` form.
pub fn material_id_hex(id: &MaterialId) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses [`material_id_hex`]'s form; anything else is `None`.
pub fn parse_material_id(hex: &str) -> Option<MaterialId> {
    if hex.len() != MATERIAL_ID_LEN * 2
        || !hex
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        return None;
    }
    let mut out = [0u8; MATERIAL_ID_LEN];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The id a rotated material is wrapped under (the root key's wrap AAD):
/// the key id and the material id, so it cannot be moved to another.
pub(super) fn wrap_id(key_id: &str, material_id_hex: &str) -> String {
    format!("{key_id}/material/{material_id_hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_hex() {
        let id = new_material_id();
        let hex = material_id_hex(&id);
        assert_eq!(hex.len(), 64);
        assert!(
            hex.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(parse_material_id(&hex), Some(id));
        assert_ne!(new_material_id(), id);
        for bad in [
            "",
            "ab",
            &hex.to_uppercase(),
            &format!("{hex}0"),
            &"g".repeat(64),
        ] {
            assert_eq!(parse_material_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_original_id_is_stable_per_key() {
        let a = original_material_id("1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(
            a,
            original_material_id("1234abcd-12ab-34cd-56ef-1234567890ab")
        );
        assert_ne!(
            a,
            original_material_id("1234abcd-12ab-34cd-56ef-1234567890ac")
        );
    }

    #[test]
    fn find_picks_the_named_material_or_the_original() {
        let first = new_material_id();
        let second = new_material_id();
        let mut set = Materials::new(Material {
            id: first,
            material: KeyMaterial::generate(),
        });
        assert!(set.current().1, "only the original");
        set.push(Material {
            id: second,
            material: KeyMaterial::generate(),
        });
        let (current, original) = set.current();
        assert_eq!((current.id, original), (second, false));
        assert_eq!(set.find(None).map(|m| m.id), Some(first));
        assert_eq!(set.find(Some(&second)).map(|m| m.id), Some(second));
        assert!(set.find(Some(&new_material_id())).is_none());
    }
}
