//! The backup file reader (`kinko_store::backup::read`, what `kinko
//! restore` reads). Never panics; a file it accepts is written back
//! identically (read, write, read gives the same snapshot) and is
//! restored into a fresh store, or refused, without a panic.
#![no_main]

use kinko_fuzz::mutator;
use kinko_store::{MetaRows, SqliteStore, backup};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = backup::read_header(&mut &data[..]);
    let Ok((header, snapshot)) = backup::read(&mut &data[..]) else {
        return;
    };
    let mut written = Vec::new();
    backup::write(&snapshot, header.created_ms, &mut written).expect("a snapshot is written");
    let (_, again) = backup::read(&mut &written[..]).expect("a written backup reads");
    assert!(
        again == snapshot,
        "the snapshot changed through write and read"
    );

    let store = SqliteStore::open_in_memory().expect("an in-memory SQLite store opens");
    let _ = kinko_fuzz::runtime().block_on(store.import_snapshot(&snapshot));
});

libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    mutator::mutate(data, size, max_size, seed, words(), &[])
});

fn words() -> &'static [String] {
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| kinko_fuzz::dictionary_words(include_str!("../dicts/backup.dict")))
}
