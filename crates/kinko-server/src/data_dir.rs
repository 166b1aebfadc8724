//! Where a server keeps its files, and how they are written (0600/0700:
//! they hold keys).

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file or directory that could not be written, named in the message.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot create the data directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot restrict {}", path.display())]
    Restrict {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `$XDG_DATA_HOME/kinko`, else `~/.local/share/kinko` (`$KINKO_DATA_DIR`
/// is read by the command line, which wins over this).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("kinko");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/share/kinko")
}

/// The files inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The root key created on first start.
    pub fn root_key(&self) -> PathBuf {
        self.root.join("root.key")
    }

    /// Salt for a passphrase-derived root key.
    pub fn root_salt(&self) -> PathBuf {
        self.root.join("root.salt")
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("kinko.db")
    }

    /// The admin access key as an aws credentials file, profile `kinko`.
    pub fn credentials(&self) -> PathBuf {
        self.root.join("credentials")
    }

    /// Where the running server says it listens (read by `kinko env`).
    pub fn server_info(&self) -> PathBuf {
        self.root.join("server.json")
    }

    /// Creates the directory (0700) if missing.
    pub fn create(&self) -> Result<(), FileError> {
        std::fs::create_dir_all(&self.root).map_err(|source| FileError::CreateDir {
            path: self.root.clone(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700)).map_err(
                |source| FileError::Restrict {
                    path: self.root.clone(),
                    source,
                },
            )?;
        }
        Ok(())
    }

    /// Whether the directory's SQLite store exists with something in it
    /// (an empty file holds no data a new key could fail to open).
    pub fn holds_a_store(&self) -> bool {
        std::fs::metadata(self.database()).is_ok_and(|meta| meta.len() > 0)
    }
}

/// Writes a file readable by its owner only, replacing it atomically
/// (temp file with mode 0600 from the start, fsync, rename).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("kinko")
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FileError::Write { path, source }
    };
    let mut file = options.open(&tmp).map_err(write_err(&tmp))?;
    file.write_all(contents).map_err(write_err(&tmp))?;
    file.sync_all().map_err(write_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(write_err(path))?;
    Ok(())
}
