//! The keyring over the real in-memory SQLite store.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use kinko_store::{
    Change, KmsAliasRecord, KmsKeyMaterialRecord, SingletonGuard, Snapshot, SqliteStore,
};

use super::*;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "111122223333";

/// The real in-memory SQLite store, wrapped to count key and alias reads,
/// to hold the first two alias reads until both have read (so that two
/// resolves race to create the same managed key), and to record what the
/// keyring publishes to other servers.
struct KeyStore {
    sqlite: SqliteStore,
    key_reads: AtomicUsize,
    alias_reads: AtomicUsize,
    /// When set, the first two alias reads wait for each other, so two
    /// concurrent resolves both miss the alias and both try to create.
    alias_barrier: Option<tokio::sync::Barrier>,
    /// Invalidations published through the store.
    published: Mutex<Vec<Invalidation>>,
}

impl Default for KeyStore {
    fn default() -> Self {
        KeyStore {
            sqlite: SqliteStore::open_in_memory().unwrap(),
            key_reads: AtomicUsize::new(0),
            alias_reads: AtomicUsize::new(0),
            alias_barrier: None,
            published: Mutex::default(),
        }
    }
}

impl KeyStore {
    async fn set_enabled(&self, key_id: &str, enabled: bool) {
        let mut key = self
            .sqlite
            .get_kms_key(REGION, key_id)
            .await
            .unwrap()
            .unwrap();
        key.enabled = enabled;
        self.sqlite
            .update_kms_key(key, crate::changes::test_change())
            .await
            .unwrap();
    }

    /// The region's keys as stored, read past the counters.
    async fn keys(&self) -> Vec<KmsKeyRecord> {
        self.sqlite.list_kms_keys(REGION).await.unwrap()
    }
}

#[async_trait]
impl KeyRows for KeyStore {
    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError> {
        self.key_reads.fetch_add(1, Ordering::SeqCst);
        self.sqlite.get_kms_key(region, key_id).await
    }

    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError> {
        let n = self.alias_reads.fetch_add(1, Ordering::SeqCst);
        let found = self.sqlite.get_kms_alias(region, alias).await;
        if let Some(barrier) = &self.alias_barrier
            && n < 2
        {
            barrier.wait().await;
        }
        found
    }

    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
        change: Change,
    ) -> Result<(), StoreError> {
        self.sqlite.create_kms_key(key, alias, change).await
    }

    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
        self.sqlite.list_kms_keys(region).await
    }

    async fn update_kms_key(&self, key: KmsKeyRecord, change: Change) -> Result<(), StoreError> {
        self.sqlite.update_kms_key(key, change).await
    }

    async fn list_kms_key_materials(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Vec<KmsKeyMaterialRecord>, StoreError> {
        self.sqlite.list_kms_key_materials(region, key_id).await
    }

    async fn add_kms_key_material(
        &self,
        material: KmsKeyMaterialRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.sqlite.add_kms_key_material(material, change).await
    }

    async fn list_kms_regions(&self) -> Result<Vec<String>, StoreError> {
        self.sqlite.list_kms_regions().await
    }

    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
        self.sqlite.list_kms_aliases(region).await
    }

    async fn create_kms_alias(
        &self,
        alias: KmsAliasRecord,
        change: Change,
    ) -> Result<(), StoreError> {
        self.sqlite.create_kms_alias(alias, change).await
    }

    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
        change: Change,
    ) -> Result<(), StoreError> {
        self.sqlite
            .update_kms_alias(region, alias, key_id, updated_ms, change)
            .await
    }

    async fn delete_kms_alias(
        &self,
        region: &str,
        alias: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        self.sqlite.delete_kms_alias(region, alias, change).await
    }
}

#[async_trait]
impl MetaRows for KeyStore {
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.sqlite.get_meta(key).await
    }

    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.sqlite.init_meta(key, value).await
    }

    async fn export_snapshot(&self) -> Result<Snapshot, StoreError> {
        self.sqlite.export_snapshot().await
    }

    async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.sqlite.import_snapshot(snapshot).await
    }

    async fn publish_invalidation(&self, event: &Invalidation) -> Result<(), StoreError> {
        self.published.lock().unwrap().push(event.clone());
        self.sqlite.publish_invalidation(event).await
    }

    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<Invalidation>> {
        self.sqlite.invalidations()
    }

    async fn try_singleton_lock(&self, job: &str) -> Result<Option<SingletonGuard>, StoreError> {
        self.sqlite.try_singleton_lock(job).await
    }
}

fn root_from(byte: u8) -> RootKey {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode([byte; 32]);
    RootKey::from_base64(&text.into()).unwrap()
}

fn keyring(store: &Arc<KeyStore>) -> Keyring {
    Keyring::with_parts(
        store.clone(),
        store.clone(),
        root_from(1),
        ACCOUNT.to_owned(),
    )
}

async fn customer_key(store: &KeyStore, root: &RootKey, key_id: &str) {
    let record = KmsKeyRecord {
        region: REGION.to_owned(),
        key_id: key_id.to_owned(),
        wrapped_material: root.wrap_key(key_id, &KeyMaterial::generate()),
        description: String::new(),
        enabled: true,
        key_manager: "CUSTOMER".to_owned(),
        created_ms: 0,
        metadata: "{}".to_owned(),
    };
    store
        .sqlite
        .create_kms_key(record, None, crate::changes::test_change())
        .await
        .unwrap();
}

#[tokio::test]
async fn managed_alias_is_created_once_under_concurrency() {
    let store = Arc::new(KeyStore {
        alias_barrier: Some(tokio::sync::Barrier::new(2)),
        ..KeyStore::default()
    });
    let ring = keyring(&store);
    let (a, b) = tokio::join!(
        ring.resolve(REGION, "alias/aws/ssm"),
        ring.resolve(REGION, "alias/aws/ssm")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    // Both saw no alias, so both tried to create: the race was real.
    assert!(store.alias_reads.load(Ordering::SeqCst) >= 3);

    let keys = store.keys().await;
    assert_eq!(keys.len(), 1);
    let record = keys.first().unwrap();
    assert_eq!(record.key_id, a.key_id);
    assert_eq!(record.key_manager, "AWS");
    assert!(record.enabled);
    assert_eq!(
        record.description,
        "Default key that protects my SSM parameters when no other key is defined"
    );
    assert_eq!(
        a.arn,
        format!("arn:aws:kms:us-east-1:111122223333:key/{}", a.key_id)
    );
    assert_eq!(a.key_id.len(), 36);
    assert_eq!(a.key_id.matches('-').count(), 4);
}

#[tokio::test]
async fn managed_alias_seals_and_reuses_the_key() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    let (sealed, key) = ring
        .seal(REGION, "alias/aws/ssm", b"db-password", b"arn:param/a:1")
        .await
        .unwrap();
    let again = ring.resolve(REGION, "alias/aws/ssm").await.unwrap();
    assert_eq!(again, key);
    assert_eq!(envelope::key_id(&sealed).unwrap(), key.key_id);
    assert_eq!(store.keys().await.len(), 1);
}

#[tokio::test]
async fn seal_open_round_trip_with_a_fresh_keyring() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    let (sealed, _) = ring
        .seal(REGION, "alias/aws/ssm", b"s3cr3t", b"arn:param/a:1")
        .await
        .unwrap();
    let opened = ring.open(REGION, &sealed, b"arn:param/a:1").await.unwrap();
    assert_eq!(opened.expose(), b"s3cr3t");

    // Another server process with the same root key, empty cache.
    let other = keyring(&store);
    let opened = other.open(REGION, &sealed, b"arn:param/a:1").await.unwrap();
    assert_eq!(opened.expose(), b"s3cr3t");
}

#[tokio::test]
async fn open_with_another_aad_is_decrypt() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    let (sealed, _) = ring
        .seal(REGION, "alias/aws/ssm", b"s3cr3t", b"arn:param/a:1")
        .await
        .unwrap();
    let err = ring
        .open(REGION, &sealed, b"arn:param/b:1")
        .await
        .unwrap_err();
    assert!(matches!(err, KeyringError::Decrypt));
    assert_eq!(err.to_string(), "the stored value failed authentication");
}

#[tokio::test]
async fn cached_open_makes_no_store_read() {
    let store = Arc::new(KeyStore::default());
    let root = root_from(1);
    customer_key(&store, &root, "k-1").await;
    let ring = keyring(&store);
    let (sealed, _) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();
    let reads = store.key_reads.load(Ordering::SeqCst);
    for _ in 0..3 {
        ring.open(REGION, &sealed, b"aad").await.unwrap();
    }
    assert_eq!(store.key_reads.load(Ordering::SeqCst), reads);
}

#[tokio::test]
async fn all_key_reference_forms_resolve() {
    let store = Arc::new(KeyStore::default());
    let root = root_from(1);
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    customer_key(&store, &root, id).await;
    store
        .sqlite
        .create_kms_alias(
            KmsAliasRecord {
                region: REGION.to_owned(),
                alias: "alias/app".to_owned(),
                key_id: id.to_owned(),
                created_ms: 0,
                updated_ms: 0,
            },
            crate::changes::test_change(),
        )
        .await
        .unwrap();
    let ring = keyring(&store);
    let key_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}");
    for key_ref in [
        id.to_owned(),
        key_arn.clone(),
        "alias/app".to_owned(),
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"),
    ] {
        let resolved = ring.resolve(REGION, &key_ref).await.unwrap();
        assert_eq!(resolved.key_id, id, "{key_ref}");
        assert_eq!(resolved.arn, key_arn, "{key_ref}");
    }
}

#[tokio::test]
async fn unknown_keys_are_not_found_with_the_reference_given() {
    let store = Arc::new(KeyStore::default());
    let root = root_from(1);
    customer_key(&store, &root, "k-1").await;
    let ring = keyring(&store);
    for key_ref in [
        "no-such-key",
        "alias/nope",
        "alias/aws/other",
        "arn:aws:kms:us-east-1:111122223333:key/no-such-key",
        "arn:aws:kms:us-east-1:111122223333:alias/nope",
        // Right key id, but another region or account, or not KMS.
        "arn:aws:kms:eu-west-1:111122223333:key/k-1",
        "arn:aws:kms:us-east-1:999999999999:key/k-1",
        "arn:aws:ssm:us-east-1:111122223333:key/k-1",
        "arn:aws:kms:us-east-1:111122223333:k-1",
    ] {
        match ring.resolve(REGION, key_ref).await {
            Err(KeyringError::KeyNotFound(given)) => assert_eq!(given, key_ref),
            other => panic!("{key_ref}: expected KeyNotFound, got {other:?}"),
        }
    }
    assert!(store.keys().await.len() == 1, "nothing was created");
}

#[tokio::test]
async fn disabled_key_refuses_seal_and_open_after_invalidate() {
    let store = Arc::new(KeyStore::default());
    let root = root_from(1);
    customer_key(&store, &root, "k-1").await;
    let ring = keyring(&store);
    let (sealed, key) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();

    store.set_enabled("k-1", false).await;
    // Cached until invalidated (or the TTL passes).
    assert!(ring.open(REGION, &sealed, b"aad").await.is_ok());
    ring.invalidate(REGION, "k-1");
    match ring.open(REGION, &sealed, b"aad").await {
        Err(KeyringError::KeyDisabled(arn)) => assert_eq!(arn, key.arn),
        other => panic!("expected KeyDisabled, got {other:?}"),
    }
    assert!(matches!(
        ring.seal(REGION, "k-1", b"v", b"aad").await,
        Err(KeyringError::KeyDisabled(_))
    ));

    store.set_enabled("k-1", true).await;
    ring.invalidate(REGION, "k-1");
    assert_eq!(
        ring.open(REGION, &sealed, b"aad").await.unwrap().expose(),
        b"v"
    );
}

/// A disable on this server is published for the others; what a server
/// hears from the others (`forget`, `forget_all`) is applied here only.
#[tokio::test]
async fn invalidate_publishes_and_forget_applies_locally() {
    let store = Arc::new(KeyStore::default());
    let root = root_from(1);
    customer_key(&store, &root, "k-1").await;
    let ring = keyring(&store);
    let (sealed, _) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();

    ring.invalidate(REGION, "k-1");
    let expected = Invalidation::KmsKey {
        region: REGION.to_owned(),
        key_id: "k-1".to_owned(),
    };
    for _ in 0..200 {
        if !store.published.lock().unwrap().is_empty() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(*store.published.lock().unwrap(), vec![expected]);

    assert!(
        ring.open(REGION, &sealed, b"aad").await.is_ok(),
        "re-read and cached"
    );
    store.set_enabled("k-1", false).await;
    assert!(ring.open(REGION, &sealed, b"aad").await.is_ok(), "cached");
    ring.forget(REGION, "k-1");
    assert!(matches!(
        ring.open(REGION, &sealed, b"aad").await,
        Err(KeyringError::KeyDisabled(_))
    ));
    store.set_enabled("k-1", true).await;
    assert!(ring.open(REGION, &sealed, b"aad").await.is_err(), "cached");
    ring.forget_all();
    assert!(ring.open(REGION, &sealed, b"aad").await.is_ok());
    assert_eq!(
        store.published.lock().unwrap().len(),
        1,
        "forget publishes nothing"
    );
}

#[tokio::test]
async fn zero_ttl_rereads_the_record_every_time() {
    let store = Arc::new(KeyStore::default());
    let root = root_from(1);
    customer_key(&store, &root, "k-1").await;
    let ring = keyring(&store).with_cache_ttl(Duration::ZERO);
    let (sealed, _) = ring.seal(REGION, "k-1", b"v", b"aad").await.unwrap();
    store.set_enabled("k-1", false).await;
    assert!(matches!(
        ring.open(REGION, &sealed, b"aad").await,
        Err(KeyringError::KeyDisabled(_))
    ));
}

#[tokio::test]
async fn verify_root_key_accepts_the_same_key_and_rejects_another() {
    let store = Arc::new(KeyStore::default());
    keyring(&store).verify_root_key().await.unwrap();
    assert!(
        store
            .sqlite
            .get_meta("root-key-check")
            .await
            .unwrap()
            .is_some()
    );
    // A restart with the same root key.
    keyring(&store).verify_root_key().await.unwrap();

    let wrong = Keyring::with_parts(
        store.clone(),
        store.clone(),
        root_from(2),
        ACCOUNT.to_owned(),
    );
    assert!(matches!(
        wrong.verify_root_key().await,
        Err(KeyringError::WrongRootKey)
    ));
}

#[tokio::test]
async fn key_wrapped_under_another_root_is_wrong_root_key() {
    let store = Arc::new(KeyStore::default());
    customer_key(&store, &root_from(9), "k-1").await;
    let ring = keyring(&store);
    assert!(matches!(
        ring.resolve(REGION, "k-1").await,
        Err(KeyringError::WrongRootKey)
    ));
}

#[tokio::test]
async fn garbage_ciphertext_is_a_crypto_error() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    assert!(matches!(
        ring.open(REGION, b"not an envelope", b"").await,
        Err(KeyringError::Crypto(CryptoError::Malformed(_)))
    ));
}

#[test]
fn internal_seal_round_trips_and_binds_aad() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    let sealed = ring.seal_internal(b"secret-key", b"AKIA1").unwrap();
    assert_eq!(
        ring.open_internal(&sealed, b"AKIA1").unwrap().expose(),
        b"secret-key"
    );
    assert!(matches!(
        ring.open_internal(&sealed, b"AKIA2"),
        Err(KeyringError::Decrypt)
    ));
    // Another node with the same root key opens it; another root does not.
    let same = keyring(&store);
    assert!(same.open_internal(&sealed, b"AKIA1").is_ok());
    let other = Keyring::with_parts(
        store.clone(),
        store.clone(),
        root_from(2),
        ACCOUNT.to_owned(),
    );
    assert!(matches!(
        other.open_internal(&sealed, b"AKIA1"),
        Err(KeyringError::Decrypt)
    ));
}

#[test]
fn token_mac_is_shared_by_nodes_with_the_same_root() {
    let store = Arc::new(KeyStore::default());
    let a = keyring(&store);
    let b = keyring(&store);
    let tag = a.token_mac(b"page-2");
    assert_eq!(tag, b.token_mac(b"page-2"));
    assert!(b.verify_token_mac(b"page-2", &tag));
    assert!(!b.verify_token_mac(b"page-3", &tag));
    let other = Keyring::with_parts(
        store.clone(),
        store.clone(),
        root_from(2),
        ACCOUNT.to_owned(),
    );
    assert!(!other.verify_token_mac(b"page-2", &tag));
}

#[tokio::test]
async fn customer_keys_are_created_wrapped_and_usable() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    let record = ring
        .create_customer_key(REGION, "app".into(), "{\"x\":1}".into())
        .await
        .unwrap();
    assert_eq!(record.key_manager, "CUSTOMER");
    assert!(record.enabled);
    let stored = store
        .sqlite
        .get_kms_key(REGION, &record.key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, record);
    assert_eq!(stored.description, "app");
    assert_eq!(stored.metadata, "{\"x\":1}");
    // Another node with the same root opens what this one sealed.
    let (sealed, key) = ring.seal(REGION, &record.key_id, b"v", b"a").await.unwrap();
    assert_eq!(key.arn, ring.key_arn(REGION, &record.key_id));
    let other = keyring(&store);
    assert_eq!(
        other.open(REGION, &sealed, b"a").await.unwrap().expose(),
        b"v"
    );
    assert_eq!(ring.account_id(), ACCOUNT);
    assert!(is_managed_alias("alias/aws/ssm"));
    assert!(!is_managed_alias("alias/aws/other"));
    assert_eq!(
        managed_aliases(),
        ["alias/aws/secretsmanager", "alias/aws/ssm"]
    );
}

#[test]
fn key_ids_are_v4_uuids() {
    let id = new_key_id();
    assert_eq!(id.len(), 36);
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'));
    assert!(
        id.chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_ne!(id, new_key_id());
}

// ---- rotated keys ----

const ROTATED: &str = "0b5d2c1e-7a3f-4c2d-9e8f-1a2b3c4d5e6f";

/// Old ciphertexts keep opening after a rotation, new ones name the new
/// material, and every resolve/seal reports the current material.
#[tokio::test]
async fn a_rotated_key_seals_with_the_new_material_and_opens_both() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    customer_key(&store, &root_from(1), ROTATED).await;
    let (old, before) = ring.seal(REGION, ROTATED, b"old", b"aad").await.unwrap();
    assert_eq!(
        before.material_id,
        material_id_hex(&original_material_id(ROTATED))
    );
    assert_eq!(envelope::header(&old).unwrap().material_id, None, "v1");

    let rotated = ring.rotate(REGION, ROTATED, "ON_DEMAND", 0).await.unwrap();
    assert_eq!(rotated.version, 1);
    assert_ne!(rotated.material_id, before.material_id);
    let (new, after) = ring.seal(REGION, ROTATED, b"new", b"aad").await.unwrap();
    assert_eq!(after.material_id, rotated.material_id);
    assert_eq!(
        envelope::header(&new)
            .unwrap()
            .material_id
            .map(material_id_hex),
        Some(rotated.material_id.clone())
    );
    let (plain, used) = ring
        .open_reporting_material(REGION, &old, b"aad")
        .await
        .unwrap();
    assert_eq!(
        (plain.expose(), used.as_str()),
        (&b"old"[..], before.material_id.as_str())
    );
    let (plain, used) = ring
        .open_reporting_material(REGION, &new, b"aad")
        .await
        .unwrap();
    assert_eq!(
        (plain.expose(), used),
        (&b"new"[..], rotated.material_id.clone())
    );
    assert_eq!(
        ring.resolve(REGION, ROTATED).await.unwrap().material_id,
        rotated.material_id
    );

    // A second rotation is version 2; all three still open.
    let second = ring.rotate(REGION, ROTATED, "AUTOMATIC", 0).await.unwrap();
    assert_eq!(second.version, 2);
    for (sealed, text) in [(&old, &b"old"[..]), (&new, b"new")] {
        assert_eq!(
            ring.open(REGION, sealed, b"aad").await.unwrap().expose(),
            text
        );
    }
    // Wrong AAD still fails on a v2 envelope.
    assert!(matches!(
        ring.open(REGION, &new, b"other").await,
        Err(KeyringError::Decrypt)
    ));
}

/// Another node with the key cached from before the rotation opens a
/// ciphertext sealed under the new material (it re-reads the record once),
/// and a material id the key never had is `Decrypt`, not a panic or a loop.
#[tokio::test]
async fn a_stale_cache_reloads_for_a_material_it_has_not_seen() {
    let store = Arc::new(KeyStore::default());
    let node_a = keyring(&store);
    let node_b = keyring(&store);
    customer_key(&store, &root_from(1), ROTATED).await;
    let (old, _) = node_b.seal(REGION, ROTATED, b"old", b"").await.unwrap();
    node_b.open(REGION, &old, b"").await.unwrap(); // cached on b
    node_a
        .rotate(REGION, ROTATED, "ON_DEMAND", 0)
        .await
        .unwrap();
    let (new, _) = node_a.seal(REGION, ROTATED, b"new", b"").await.unwrap();
    let reads = store.key_reads.load(Ordering::SeqCst);
    assert_eq!(
        node_b.open(REGION, &new, b"").await.unwrap().expose(),
        b"new"
    );
    assert_eq!(
        store.key_reads.load(Ordering::SeqCst),
        reads + 1,
        "one reload"
    );
    // Now cached with the new material: no further read.
    node_b.open(REGION, &new, b"").await.unwrap();
    assert_eq!(store.key_reads.load(Ordering::SeqCst), reads + 1);

    let mut forged = new.clone();
    let at = 5 + ROTATED.len();
    forged[at] ^= 0xff;
    assert!(matches!(
        node_b.open(REGION, &forged, b"").await,
        Err(KeyringError::Decrypt)
    ));
}

/// Rotated materials are wrapped under the root key too: a keyring with
/// another root key cannot read them.
#[tokio::test]
async fn rotated_materials_need_the_root_key() {
    let store = Arc::new(KeyStore::default());
    let ring = keyring(&store);
    customer_key(&store, &root_from(1), ROTATED).await;
    ring.rotate(REGION, ROTATED, "ON_DEMAND", 0).await.unwrap();
    let stored = store
        .sqlite
        .list_kms_key_materials(REGION, ROTATED)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let other = Keyring::with_parts(
        store.clone(),
        store.clone(),
        root_from(2),
        ACCOUNT.to_owned(),
    );
    // The original material is checked first; rewrap it so only the rotated
    // one is under the wrong key.
    let mut record = store
        .sqlite
        .get_kms_key(REGION, ROTATED)
        .await
        .unwrap()
        .unwrap();
    record.wrapped_material = root_from(2).wrap_key(ROTATED, &KeyMaterial::generate());
    store
        .sqlite
        .update_kms_key(record, crate::changes::test_change())
        .await
        .unwrap();
    assert!(matches!(
        other.resolve(REGION, ROTATED).await,
        Err(KeyringError::WrongRootKey)
    ));
}
