//! What drift is measured against: a fingerprint of each secret's definition as the file
//! writes it. Validation takes them from the document it read (so a load reads its file
//! once), and the drift check from the file as it is now.

use std::collections::HashMap;

use super::document::{self, Document};
use super::fingerprint::fingerprint;
use super::yaml::{Node, Value};

/// Fingerprint of each secret's definition, by lower-case name: its fields as written (before
/// `${…}` is resolved; anchors merged) and the file options every secret reads, so an edit
/// elsewhere in the file (another secret, a comment, moved lines) changes nothing.
pub fn of(document: &Document) -> HashMap<String, u64> {
    let mut shared = String::new();
    if let Some(node) = &document.options.persistent {
        canonical(node, &mut shared);
    }
    for (env_file, _) in &document.options.env_files {
        shared.push_str(&format!("e{}:{env_file}", env_file.len()));
    }
    document
        .secrets
        .iter()
        .map(|def| {
            let name = document::stored_name(def).into_owned();
            let mut text = format!("{}:{name}|{shared}|", name.len());
            for (field, _, value) in &def.fields {
                text.push_str(&format!("{}:{field}=", field.len()));
                canonical(value, &mut text);
            }
            (name, fingerprint(&text))
        })
        .collect()
}

/// A node as text without positions, unambiguous (every piece carries its length).
fn canonical(node: &Node, out: &mut String) {
    match &node.value {
        Value::Scalar { text, plain } => {
            out.push_str(&format!("{}{}:{text}", if *plain { 'p' } else { 'q' }, text.len()))
        }
        Value::Sequence(items) => {
            out.push_str(&format!("[{}", items.len()));
            items.iter().for_each(|item| canonical(item, out));
            out.push(']');
        }
        Value::Mapping(entries) => {
            out.push_str(&format!("{{{}", entries.len()));
            for (k, v) in entries.iter() {
                canonical(k, out);
                canonical(v, out);
            }
            out.push('}');
        }
    }
}
