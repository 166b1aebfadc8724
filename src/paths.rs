//! Where kinko keeps its files, and how they are written (0600/0700: they
//! hold keys).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// `$KINKO_DATA_DIR`, else `$XDG_DATA_HOME/kinko`, else `~/.local/share/kinko`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("kinko");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/share/kinko")
}

/// The files inside a data directory.
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
    pub fn create(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create the data directory {}", self.root.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot restrict {}", self.root.display()))?;
        }
        Ok(())
    }
}

/// Writes a file readable by its owner only, replacing it atomically
/// (temp file with mode 0600 from the start, fsync, rename).
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
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
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
