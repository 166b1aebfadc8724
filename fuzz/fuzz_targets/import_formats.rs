//! `kinko import`'s readers (`kinko_client::formats`, `dotenv`, compiled
//! into this crate from their source files, see `src/lib.rs`): the same
//! text read as JSON, YAML and dotenv. Never panics, and what was read
//! survives export and import in every format: writing the entries as
//! JSON, YAML or dotenv and reading that back gives the same entries
//! (`kinko export` then `kinko import` changes nothing), for names a
//! parameter can have (at most 15 levels).
#![no_main]

use kinko_fuzz::formats::{self, Entries, Format};

const FORMATS: [Format; 3] = [Format::Json, Format::Yaml, Format::Dotenv];

/// The most levels a parameter name has on SSM.
const MAX_LEVELS: usize = 15;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in FORMATS {
        if let Ok(document) = formats::to_json_document(format, text) {
            let value: serde_json::Value = serde_json::from_str(document.expose())
                .unwrap_or_else(|e| panic!("{format:?}: the secret document is not JSON: {e}"));
            assert!(
                value.is_object(),
                "{format:?}: the secret document is not an object"
            );
        }
        let Ok(entries) = formats::parse(format, text) else {
            continue;
        };
        // Only names a parameter can have round-trip: SSM allows 15 levels
        // (and JSON readers stop nesting at 128, which deeper names reach).
        if entries
            .keys()
            .any(|name| name.split('/').count() > MAX_LEVELS)
        {
            continue;
        }
        let _ = formats::write(Format::Env, &entries);
        for out in FORMATS {
            let written = formats::write(out, &entries);
            let back = formats::parse(out, written.expose()).unwrap_or_else(|e| {
                panic!("read as {format:?}, written as {out:?}, not readable: {e}")
            });
            assert_same(&entries, &back, format, out);
        }
    }
});

fn assert_same(read: &Entries, back: &Entries, format: Format, out: Format) {
    let names = |e: &Entries| e.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(read),
        names(back),
        "read as {format:?}, written and read as {out:?}: other names"
    );
    for (name, value) in read {
        assert!(
            back[name].expose() == value.expose(),
            "read as {format:?}, written and read as {out:?}: `{name}` changed"
        );
    }
}
