//! Derived signing keys (kSigning), cached: four HMACs per request saved,
//! and the HMAC key schedule of kSigning itself is kept ready.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use aws_lc_rs::{digest, hmac};
use kinko_crypto::SecretBytes;
use subtle::ConstantTimeEq;

use super::{Authorization, TERMINATOR};

/// Past this many entries the cache is simply cleared: keys are per day, so
/// a full cache means many keys or regions, and rebuilding is cheap.
const MAX_ENTRIES: usize = 1024;

/// Cache of derived signing keys per (access key id, date, region,
/// service). Thread-safe; the hot path takes only a read lock.
///
/// Each entry also holds a fingerprint (a salted SHA-256) of the secret it
/// was derived from, so a rotated secret never reuses an old derived key.
pub struct SigningKeyCache {
    entries: RwLock<HashMap<Box<str>, Entry>>,
}

struct Entry {
    fingerprint: [u8; 32],
    key: Arc<hmac::Key>,
}

impl SigningKeyCache {
    pub fn new() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// How many derived keys are cached.
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// kSigning for this credential scope and secret, derived on a miss.
    pub(crate) fn signing_key(&self, auth: &Authorization, secret: &str) -> Arc<hmac::Key> {
        let fingerprint = fingerprint(secret);
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries.get(auth.credential())
                && bool::from(entry.fingerprint.ct_eq(&fingerprint))
            {
                return Arc::clone(&entry.key);
            }
        }
        let raw = derive_signing_key(secret, &auth.scope_date, &auth.region, &auth.service);
        let key = Arc::new(hmac::Key::new(hmac::HMAC_SHA256, raw.expose()));
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(auth.credential()) {
            entries.clear();
        }
        entries.insert(
            auth.credential().into(),
            Entry {
                fingerprint,
                key: Arc::clone(&key),
            },
        );
        key
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("entries", &self.len())
            .finish()
    }
}

/// Identifies a secret without holding it.
fn fingerprint(secret: &str) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"kinko sigv4 signing-key cache\0");
    ctx.update(secret.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
pub(crate) fn derive_signing_key(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> SecretBytes {
    let mut seed = Vec::with_capacity(4 + secret.len());
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let seed = SecretBytes::new(seed);
    let step =
        |key: &[u8], msg: &str| hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg.as_bytes());
    let k_date = step(seed.expose(), date);
    let k_region = step(k_date.as_ref(), region);
    let k_service = step(k_region.as_ref(), service);
    let k_signing = step(k_service.as_ref(), TERMINATOR);
    SecretBytes::new(k_signing.as_ref().to_vec())
}
