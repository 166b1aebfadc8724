//! Operations on a store with no server running: `kinko backup`,
//! `kinko restore` and `kinko migrate`. They live here, beside
//! [`crate::Server::open`], so that the binary never links the store.
//!
//! A backup holds values, key material and access-key secrets still sealed
//! under the root key, so it needs no root key to write and is useless
//! without it; it is still created mode 0600, since it names every
//! parameter and secret. A restore checks first that the root key it is
//! given opens the backup's root-key check value (restoring under the wrong
//! key would give a store no server can read); the store refuses to load
//! into a target that already holds data, and the load is one transaction.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kinko_core::keyring::{Keyring, KeyringError};
use kinko_crypto::RootKey;
use kinko_store::backup::BackupError;
use kinko_store::{MetaRows, PostgresStore, SqliteStore, Store, StoreError};

pub use kinko_store::postgres::Migration;

use crate::config::{InvalidStoreUrl, StoreLocation};
use crate::data_dir::{self, DataDir, FileError};

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error(transparent)]
    InvalidStoreUrl(#[from] InvalidStoreUrl),
    #[error("kinko migrate only migrates PostgreSQL stores")]
    NotPostgres,
    #[error("cannot open the PostgreSQL store")]
    OpenPostgres(#[source] StoreError),
    #[error("there is no store at {}", .0.display())]
    NoStore(PathBuf),
    #[error("cannot open the store {}", path.display())]
    OpenSqlite {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot read the store")]
    ReadStore(#[source] StoreError),
    #[error(transparent)]
    WriteBackup(BackupError),
    #[error("cannot open {}", path.display())]
    OpenBackup {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the backup {}", path.display())]
    ReadBackup {
        path: PathBuf,
        #[source]
        source: BackupError,
    },
    #[error(transparent)]
    Scratch(StoreError),
    #[error("the root key does not open this backup (wrong key file or passphrase?)")]
    WrongRootKey(#[source] KeyringError),
    #[error("the backup is sealed under a root key: give the key it was made with")]
    RootKeyNeeded,
    #[error("cannot restore the backup")]
    Restore(#[source] StoreError),
    #[error("cannot migrate the PostgreSQL store")]
    Migrate(#[source] StoreError),
}

/// The store a maintenance command works on.
pub enum Target {
    Postgres(kinko_crypto::SecretString),
    Sqlite(DataDir),
}

impl Target {
    /// `--store URL` (PostgreSQL), else the SQLite store in the data directory.
    pub fn resolve(store: Option<&str>, data_dir: PathBuf) -> Result<Target, MaintenanceError> {
        match store.map(StoreLocation::parse).transpose()? {
            Some(StoreLocation::Postgres(url)) => Ok(Target::Postgres(url)),
            Some(StoreLocation::DataDir) | None => Ok(Target::Sqlite(DataDir::new(data_dir))),
        }
    }

    /// Opens the store; `create` makes an empty SQLite store (for a
    /// restore), otherwise a missing one is an error.
    async fn open(&self, create: bool) -> Result<Arc<dyn Store>, MaintenanceError> {
        match self {
            Target::Postgres(url) => Ok(Arc::new(
                PostgresStore::open(url.expose())
                    .await
                    .map_err(MaintenanceError::OpenPostgres)?,
            )),
            Target::Sqlite(data) => {
                let path = data.database();
                if create {
                    data.create()?;
                } else if !path.exists() {
                    return Err(MaintenanceError::NoStore(path));
                }
                let store = SqliteStore::open(&path)
                    .map_err(|source| MaintenanceError::OpenSqlite { path, source })?;
                Ok(Arc::new(store))
            }
        }
    }
}

/// What a backup or a restore moved, for the command's summary line.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    pub parameters: usize,
    pub secrets: usize,
    pub kms_keys: usize,
    pub access_keys: usize,
}

impl Counts {
    fn of(snapshot: &kinko_store::Snapshot) -> Counts {
        Counts {
            parameters: snapshot.parameters.len(),
            secrets: snapshot.secrets.len(),
            kms_keys: snapshot.kms_keys.len(),
            access_keys: snapshot.access_keys.len(),
        }
    }
}

/// Writes a consistent snapshot of `target` (read in one transaction) to
/// `out`, mode 0600.
pub async fn backup(target: &Target, out: &Path) -> Result<Counts, MaintenanceError> {
    let store = target.open(false).await?;
    let snapshot = store
        .export_snapshot()
        .await
        .map_err(MaintenanceError::ReadStore)?;
    let created_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut file = Vec::new();
    kinko_store::backup::write(&snapshot, created_ms, &mut file)
        .map_err(MaintenanceError::WriteBackup)?;
    data_dir::write_private(out, &file)?;
    Ok(Counts::of(&snapshot))
}

/// A backup file, read and parsed, not yet loaded anywhere.
pub struct Backup {
    header: kinko_store::backup::Header,
    snapshot: kinko_store::Snapshot,
}

impl Backup {
    pub fn read(file: &Path) -> Result<Backup, MaintenanceError> {
        let opened = std::fs::File::open(file).map_err(|source| MaintenanceError::OpenBackup {
            path: file.to_path_buf(),
            source,
        })?;
        let (header, snapshot) = kinko_store::backup::read(&mut std::io::BufReader::new(opened))
            .map_err(|source| MaintenanceError::ReadBackup {
                path: file.to_path_buf(),
                source,
            })?;
        Ok(Backup { header, snapshot })
    }

    /// Whether [`Backup::restore`] needs the root key: the backup carries
    /// a root-key check value (every backup of a server's store does).
    pub fn needs_root_key(&self) -> bool {
        self.header.root_key_check.is_some()
    }

    /// Loads the backup into `target`, which must be empty, after checking
    /// that `root_key` opens it.
    pub async fn restore(
        &self,
        target: &Target,
        root_key: Option<RootKey>,
    ) -> Result<Counts, MaintenanceError> {
        if let Some(check) = &self.header.root_key_check {
            let root = root_key.ok_or(MaintenanceError::RootKeyNeeded)?;
            check_root_key(root, check).await?;
        }
        let store = target.open(true).await?;
        store
            .import_snapshot(&self.snapshot)
            .await
            .map_err(MaintenanceError::Restore)?;
        Ok(Counts::of(&self.snapshot))
    }
}

/// Whether `root` opens the backup's root-key check value, tried on a
/// scratch in-memory store.
async fn check_root_key(root: RootKey, check: &[u8]) -> Result<(), MaintenanceError> {
    let scratch = Arc::new(SqliteStore::open_in_memory().map_err(MaintenanceError::Scratch)?);
    scratch
        .init_meta(kinko_store::backup::ROOT_CHECK_META, check)
        .await
        .map_err(MaintenanceError::Scratch)?;
    Keyring::new(scratch, root, String::new())
        .verify_root_key()
        .await
        .map_err(MaintenanceError::WrongRootKey)
}

/// Brings a PostgreSQL store's schema up to date.
pub async fn migrate(store: &str) -> Result<Migration, MaintenanceError> {
    let StoreLocation::Postgres(url) = StoreLocation::parse(store)? else {
        return Err(MaintenanceError::NotPostgres);
    };
    let store = PostgresStore::connect(url.expose()).map_err(MaintenanceError::OpenPostgres)?;
    store.migrate().await.map_err(MaintenanceError::Migrate)
}
