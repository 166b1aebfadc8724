//! A JSON-aware mutator: byte flips rarely keep a JSON body valid, so half
//! of the mutations parse the JSON parts of an input, change the tree
//! (a member's type, a value from the dictionary, a member added, removed
//! or copied, a string grown past a limit) and write it back. The other
//! half are libFuzzer's own, which find what a tree cannot express.

use serde_json::{Map, Number, Value};

/// A small deterministic generator seeded by libFuzzer, so a mutation
/// sequence reproduces.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u32) -> Rng {
        Rng(u64::from(seed) ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// In `0..n`; `n` must not be 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Lengths just around the limits of the AWS shapes (names 1011/2048,
/// descriptions 1024, values 4096/8192, secrets 65536).
const LENGTHS: [usize; 12] = [0, 1, 2, 127, 128, 129, 256, 1011, 1024, 2048, 4097, 65_537];

const NUMBERS: [&str; 16] = [
    "0",
    "-1",
    "1",
    "7",
    "30",
    "100",
    "2147483647",
    "2147483648",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "-9223372036854775808",
    "1.5",
    "1e308",
    "-0",
    "604800",
];

const CHARACTERS: [&str; 20] = [
    "*", "?", "/", ":", "$", "{", "}", "\u{0}", "é", "鍵", "%", "\\", " ", "\n", "#", "@", "'",
    "\"", "\u{202e}", "\u{fffd}",
];

/// Applies one to three tree mutations to `text` if it is JSON; `None`
/// when it is not (the caller then mutates bytes).
pub fn mutate_json_text(text: &[u8], rng: &mut Rng, words: &[String]) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(text).ok()?;
    for _ in 0..1 + rng.below(3) {
        mutate_value(&mut value, rng, words);
    }
    serde_json::to_vec(&value).ok()
}

/// Changes one node of the tree.
pub fn mutate_value(root: &mut Value, rng: &mut Rng, words: &[String]) {
    let count = count_nodes(root);
    let target = rng.below(count);
    let donor = nth_node(root, rng.below(count)).cloned();
    let Some(node) = nth_node_mut(root, target) else {
        return;
    };
    match rng.below(10) {
        0 => *node = random_value(rng, words, 2),
        1 => *node = Value::String(random_string(rng, words)),
        2 => {
            if let Some(donor) = donor {
                *node = donor;
            }
        }
        3 => *node = Value::Array(vec![node.take()]),
        4 => {
            let key = rng.pick(words).cloned().unwrap_or_default();
            let mut map = Map::new();
            map.insert(key, node.take());
            *node = Value::Object(map);
        }
        _ => match node {
            Value::Object(map) => mutate_object(map, rng, words),
            Value::Array(items) => mutate_array(items, rng, words),
            Value::String(s) => mutate_string(s, rng, words),
            Value::Number(_) => *node = random_number(rng),
            Value::Bool(b) => *b = !*b,
            Value::Null => *node = random_value(rng, words, 1),
        },
    }
}

fn mutate_object(map: &mut Map<String, Value>, rng: &mut Rng, words: &[String]) {
    match rng.below(4) {
        0 if !map.is_empty() => {
            let key = map.keys().nth(rng.below(map.len())).cloned();
            if let Some(key) = key {
                map.remove(&key);
            }
        }
        1 if !map.is_empty() => {
            // Rename a member: a wrong-case or unknown name.
            let key = map.keys().nth(rng.below(map.len())).cloned();
            if let Some(key) = key
                && let Some(value) = map.remove(&key)
            {
                let renamed = match rng.below(3) {
                    0 => key.to_lowercase(),
                    1 => format!("{key}{}", rng.pick(&CHARACTERS).copied().unwrap_or("x")),
                    _ => rng.pick(words).cloned().unwrap_or(key),
                };
                map.insert(renamed, value);
            }
        }
        _ => {
            let key = rng
                .pick(words)
                .cloned()
                .unwrap_or_else(|| "Name".to_owned());
            map.insert(key, random_value(rng, words, 2));
        }
    }
}

fn mutate_array(items: &mut Vec<Value>, rng: &mut Rng, words: &[String]) {
    match rng.below(4) {
        0 if !items.is_empty() => {
            items.remove(rng.below(items.len()));
        }
        1 if !items.is_empty() => {
            // Many copies: past a list's limit, duplicates.
            let item = items[rng.below(items.len())].clone();
            let copies = [1, 2, 9, 10, 11, 20, 21, 51][rng.below(8)];
            items.extend(std::iter::repeat_n(item, copies));
        }
        2 => items.clear(),
        _ => items.push(random_value(rng, words, 2)),
    }
}

fn mutate_string(s: &mut String, rng: &mut Rng, words: &[String]) {
    match rng.below(6) {
        0 => {
            let c = rng.pick(&CHARACTERS).copied().unwrap_or("*");
            let at = char_boundary_at(s, rng.below(s.len() + 1));
            s.insert_str(at, c);
        }
        1 => {
            let len = LENGTHS[rng.below(LENGTHS.len())];
            *s = grow(s, len);
        }
        2 => {
            let word = rng.pick(words).cloned().unwrap_or_default();
            if rng.chance(2) {
                s.push_str(&word);
            } else {
                s.insert_str(0, &word);
            }
        }
        3 if !s.is_empty() => {
            let at = char_boundary_at(s, rng.below(s.len()));
            s.truncate(at);
        }
        4 => *s = s.to_uppercase(),
        _ => *s = random_string(rng, words),
    }
}

/// `s` repeated (or `a` when empty) to exactly `len` bytes of ASCII, or
/// to the nearest char boundary.
fn grow(s: &str, len: usize) -> String {
    let unit = if s.is_empty() { "a" } else { s };
    let mut out = String::with_capacity(len + unit.len());
    while out.len() < len {
        out.push_str(unit);
    }
    let at = char_boundary_at(&out, len);
    out.truncate(at);
    out
}

fn char_boundary_at(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn random_string(rng: &mut Rng, words: &[String]) -> String {
    match rng.below(4) {
        0 => String::new(),
        1 => grow("x", LENGTHS[rng.below(LENGTHS.len())]),
        _ => rng.pick(words).cloned().unwrap_or_default(),
    }
}

fn random_number(rng: &mut Rng) -> Value {
    let text = NUMBERS[rng.below(NUMBERS.len())];
    serde_json::from_str(text).unwrap_or(Value::Number(Number::from(0)))
}

fn random_value(rng: &mut Rng, words: &[String], depth: usize) -> Value {
    match rng.below(if depth == 0 { 4 } else { 6 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(2)),
        2 => random_number(rng),
        3 => Value::String(random_string(rng, words)),
        4 => Value::Array(
            (0..rng.below(3))
                .map(|_| random_value(rng, words, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(3) {
                let key = rng.pick(words).cloned().unwrap_or_default();
                map.insert(key, random_value(rng, words, depth - 1));
            }
            Value::Object(map)
        }
    }
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// The `n`th node in pre-order.
fn nth_node(value: &Value, n: usize) -> Option<&Value> {
    fn walk<'a>(value: &'a Value, n: &mut usize) -> Option<&'a Value> {
        if *n == 0 {
            return Some(value);
        }
        *n -= 1;
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => return None,
        };
        for child in children {
            if let Some(found) = walk(child, n) {
                return Some(found);
            }
        }
        None
    }
    let mut n = n;
    walk(value, &mut n)
}

fn nth_node_mut(value: &mut Value, n: usize) -> Option<&mut Value> {
    fn walk<'a>(value: &'a mut Value, n: &mut usize) -> Option<&'a mut Value> {
        if *n == 0 {
            return Some(value);
        }
        *n -= 1;
        match value {
            Value::Array(items) => {
                for child in items.iter_mut() {
                    if let Some(found) = walk(child, n) {
                        return Some(found);
                    }
                }
                None
            }
            Value::Object(map) => {
                for child in map.values_mut() {
                    if let Some(found) = walk(child, n) {
                        return Some(found);
                    }
                }
                None
            }
            _ => None,
        }
    }
    let mut n = n;
    walk(value, &mut n)
}

/// Mutates the JSON part of one line of a line-based input: the text after
/// the first space (service calls) or the whole line (backup records).
/// Some mutations instead swap the line's operation for another from
/// `operations`, or duplicate, drop or reorder lines. Returns the new
/// input, or `None` when no line held JSON.
pub fn mutate_lines(
    data: &[u8],
    rng: &mut Rng,
    words: &[String],
    operations: &[&str],
) -> Option<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.is_empty() {
        return None;
    }
    let i = rng.below(lines.len());
    match rng.below(8) {
        0 if !operations.is_empty() => {
            let op = rng.pick(operations).copied().unwrap_or_default();
            let line = &lines[i];
            let body = match line.iter().position(|b| *b == b' ') {
                Some(at) => line[at..].to_vec(),
                None => b" {}".to_vec(),
            };
            let mut new = op.as_bytes().to_vec();
            new.extend_from_slice(&body);
            lines[i] = new;
        }
        1 => {
            let copy = lines[i].clone();
            lines.insert(rng.below(lines.len() + 1), copy);
        }
        2 if lines.len() > 1 => {
            lines.remove(i);
        }
        3 if lines.len() > 1 => {
            let j = rng.below(lines.len());
            lines.swap(i, j);
        }
        _ => {
            let line = &lines[i];
            let (prefix, json) = if operations.is_empty() {
                (&line[..0], &line[..])
            } else {
                match line.iter().position(|b| *b == b' ') {
                    Some(at) => (&line[..=at], &line[at + 1..]),
                    None => return None,
                }
            };
            let json = if json.iter().all(u8::is_ascii_whitespace) {
                &b"{}"[..]
            } else {
                json
            };
            let mutated = mutate_json_text(json, rng, words)?;
            let mut new = prefix.to_vec();
            new.extend_from_slice(&mutated);
            lines[i] = new;
        }
    }
    Some(lines.join(&b'\n'))
}

/// Writes `mutated` into libFuzzer's buffer if it fits; returns the new
/// size, or `None` when it does not fit.
pub fn store(data: &mut [u8], max_size: usize, mutated: &[u8]) -> Option<usize> {
    if mutated.len() > max_size || mutated.len() > data.len() {
        return None;
    }
    data[..mutated.len()].copy_from_slice(mutated);
    Some(mutated.len())
}

/// The mutator of the JSON-based targets: half JSON-aware (on the lines of
/// the input), half libFuzzer's own byte mutations.
pub fn mutate(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    words: &[String],
    operations: &[&str],
) -> usize {
    let mut rng = Rng::new(seed);
    if rng.chance(2)
        && let Some(mutated) = mutate_lines(&data[..size], &mut rng, words, operations)
        && let Some(size) = store(data, max_size, &mutated)
    {
        return size;
    }
    libfuzzer_sys::fuzzer_mutate(data, size, max_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Vec<String> {
        ["Name", "Value", "Type", "SecureString"]
            .map(str::to_owned)
            .to_vec()
    }

    #[test]
    fn json_stays_json_and_changes() {
        let mut rng = Rng::new(7);
        let seed = br#"{"Name":"/a","Tags":[{"Key":"k","Value":"v"}],"Overwrite":true}"#;
        let mut changed = 0;
        for _ in 0..500 {
            let out = mutate_json_text(seed, &mut rng, &words()).unwrap();
            let _: Value = serde_json::from_slice(&out).unwrap();
            if out != seed {
                changed += 1;
            }
        }
        assert!(changed > 400, "{changed}");
        assert!(mutate_json_text(b"not json", &mut rng, &words()).is_none());
    }

    #[test]
    fn line_mutations_keep_the_operation_and_body_shape() {
        let mut rng = Rng::new(1);
        let input = b"PutParameter {\"Name\":\"/a\"}\nGetParameter {\"Name\":\"/a\"}";
        for _ in 0..200 {
            let Some(out) = mutate_lines(input, &mut rng, &words(), &["DeleteParameter"]) else {
                continue;
            };
            for line in out.split(|b| *b == b'\n') {
                let space = line.iter().position(|b| *b == b' ').unwrap();
                let op = std::str::from_utf8(&line[..space]).unwrap();
                assert!(op.ends_with("Parameter"), "{op}");
            }
        }
    }

    #[test]
    fn grow_reaches_exact_lengths() {
        assert_eq!(grow("", 3), "aaa");
        assert_eq!(grow("ab", 5), "ababa");
        assert_eq!(grow("é", 3).len(), 2);
        assert_eq!(grow("x", 0), "");
    }
}
