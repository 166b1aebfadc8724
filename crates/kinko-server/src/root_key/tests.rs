use std::path::PathBuf;

use super::*;

fn data_dir() -> (tempfile::TempDir, DataDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    data.create().unwrap();
    (dir, data)
}

fn default_file(data: &DataDir) -> RootKeySource {
    RootKeySource::File {
        path: data.root_key(),
        create: true,
    }
}

#[test]
fn a_first_start_creates_the_key_and_the_next_loads_it() {
    let (_dir, data) = data_dir();
    load(&default_file(&data), &data).unwrap();
    assert!(data.root_key().exists());
    std::fs::write(data.database(), b"SQLite format 3\0").unwrap();
    load(&default_file(&data), &data).unwrap();
}

#[test]
fn a_missing_key_beside_a_store_is_refused_and_not_created() {
    let (_dir, data) = data_dir();
    std::fs::write(data.database(), b"SQLite format 3\0").unwrap();
    let err = load(&default_file(&data), &data).unwrap_err().to_string();
    assert!(err.contains("is missing"), "{err}");
    assert!(err.contains("restore the key file"), "{err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(!data.root_key().exists(), "no new key was made");
}

#[test]
fn a_missing_salt_beside_a_store_is_refused_and_not_created() {
    let (_dir, data) = data_dir();
    std::fs::write(data.database(), b"SQLite format 3\0").unwrap();
    let source = RootKeySource::Passphrase("correct horse".into());
    let err = load(&source, &data).unwrap_err().to_string();
    assert!(err.contains("root.salt is missing"), "{err}");
    assert!(!data.root_salt().exists());
}

#[test]
fn an_empty_database_file_is_no_store() {
    let (_dir, data) = data_dir();
    std::fs::write(data.database(), b"").unwrap();
    load(&default_file(&data), &data).unwrap();
}

#[test]
fn a_bad_env_key_is_named_and_not_shown() {
    let (_dir, data) = data_dir();
    for text in [
        "not base64 !!",
        "c2hvcnQ=",
        "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB",
    ] {
        let err = load(&RootKeySource::Env(text.into()), &data)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("KINKO_ROOT_KEY is not a root key"), "{err}");
        assert!(!err.contains(text), "{err}");
    }
}

#[test]
fn a_given_key_file_that_does_not_exist_is_never_created() {
    let (dir, data) = data_dir();
    let path: PathBuf = dir.path().join("given.key");
    let source = RootKeySource::File {
        path: path.clone(),
        create: false,
    };
    let err = load(&source, &data).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    assert!(!path.exists());
}
