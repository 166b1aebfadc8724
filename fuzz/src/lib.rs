//! What kinko's fuzz targets share: the input formats (readable text, so
//! that seeds are written by hand or taken from the tests), a JSON-aware
//! mutator, fresh in-memory services, and the checks every answer must pass.
//!
//! Each target in `fuzz_targets/` is a few lines over these helpers; see
//! `fuzz/README.md` for the targets and `fuzz/run.sh` for how they run.

// `kinko import`'s readers, compiled from kinko-client's own files: the
// crate itself links the AWS SDK, which would double this crate's build
// (and CI's) for three files that use none of it.
#[path = "../../crates/kinko-client/src/dotenv.rs"]
pub mod dotenv;
#[path = "../../crates/kinko-client/src/env_names.rs"]
pub mod env_names;
#[path = "../../crates/kinko-client/src/formats.rs"]
pub mod formats;

pub mod calls;
pub mod checks;
pub mod mutator;
pub mod request_text;
pub mod service_target;
pub mod services;

use std::sync::OnceLock;

/// One single-threaded runtime for every input: the services are async, and
/// building a runtime per input would cost more than most inputs.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds")
    })
}

/// The words of a libFuzzer dictionary file (`name="word"` or `"word"`
/// lines), with its `\xNN`, `\\` and `\"` escapes undone. The mutator draws
/// from the same dictionaries libFuzzer is given.
pub fn dictionary_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(start) = line.find('"') else {
            continue;
        };
        let Some(quoted) = line[start + 1..].strip_suffix('"') else {
            continue;
        };
        let mut word = Vec::new();
        let bytes = quoted.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if bytes.get(i + 1) == Some(&b'x') => {
                    let hex = quoted.get(i + 2..i + 4).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            word.push(b);
                            i += 4;
                        }
                        Err(_) => {
                            word.push(b'\\');
                            i += 1;
                        }
                    }
                }
                b'\\' if i + 1 < bytes.len() => {
                    word.push(bytes[i + 1]);
                    i += 2;
                }
                b => {
                    word.push(b);
                    i += 1;
                }
            }
        }
        if let Ok(word) = String::from_utf8(word) {
            words.push(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_lines_are_unescaped() {
        let words =
            dictionary_words("# comment\nkw1=\"Name\"\n\"a\\\"b\"\n\"\\x41\\\\\"\n\nnot a word\n");
        assert_eq!(words, ["Name", "a\"b", "A\\"]);
    }
}
