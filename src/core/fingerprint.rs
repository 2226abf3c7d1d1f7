//! A fingerprint of a value, to notice changes without keeping the value. It has a module
//! of its own, below every module that reads or holds values, so none of them needs another
//! one's reader or scrubber to compare two values.

pub fn fingerprint(value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}
