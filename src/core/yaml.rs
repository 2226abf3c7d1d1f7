//! YAML text → a tree of nodes with their positions, bounded against hostile input.
//!
//! Built on yaml-rust2's event parser rather than a serde layer because yamlsecrets needs
//! what serde hides: the line and column of every key and value, duplicate keys as errors,
//! and its own limits on depth and alias expansion. Scalars stay text; the validator
//! decides what a value means from the field it fills, so YAML 1.1 readings (`no` → false)
//! never happen behind the user's back.

use std::collections::HashMap;

use super::diagnostics::Location;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Limits on what one file may cost to read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
pub const MAX_DEPTH: usize = 64;
/// Nodes in the tree (a file of 10 000 secrets has about 100 000).
pub const MAX_NODES: usize = 1_000_000;
/// Nodes copied in by aliases: anchors are for sharing a few defaults, and this budget stops
/// a "billion laughs" document after a few megabytes instead of gigabytes.
pub const MAX_ALIAS_NODES: usize = 100_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub at: Location,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `plain` is false for quoted and block scalars: `"5432"` is text the user quoted.
    Scalar {
        text: String,
        plain: bool,
    },
    Sequence(Vec<Node>),
    /// Keys in file order; duplicates are rejected while reading.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// The key text when this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// YAML's null: an empty plain scalar, `~` or `null`.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Sequence(_) => "a list",
            Value::Mapping(_) => "a mapping",
        }
    }

    /// Looks a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Mapping(entries) => entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why the text is not a YAML document yamlsecrets can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub at: Location,
    pub message: String,
}

fn location(mark: &Marker) -> Location {
    // yaml-rust2 counts lines from 1 and columns from 0.
    Location { line: mark.line(), column: mark.col() + 1 }
}

fn error(mark: &Marker, message: impl Into<String>) -> YamlError {
    YamlError { at: location(mark), message: message.into() }
}

enum Open {
    Sequence {
        at: Location,
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        at: Location,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        /// Entries brought in by `<<`; explicit keys win over them whatever their order.
        merged: Vec<(Node, Node)>,
        /// Where each explicit key stands, so duplicates are found in constant time.
        seen: HashMap<String, Location>,
        key: Option<Node>,
    },
}

/// Parses the first (and only) document of `text`. An empty text is an empty mapping.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: Vec<(usize, Node, usize)> = Vec::new(); // (id, node, size)
    let mut nodes = 0usize;
    let mut alias_nodes = 0usize;
    let mut root: Option<Node> = None;
    let mut documents = 0;

    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            at: location(e.marker()),
            message: if e.info().contains("recursion limit") {
                format!("nesting deeper than {MAX_DEPTH} levels")
            } else {
                format!("YAML syntax error: {}", e.info())
            },
        })?;
        let finished: Option<(Node, usize)> = match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(error(&mark, "the file holds more than one YAML document; keep one"));
                }
                None
            }
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => None,
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == TScalarStyle::Plain;
                Some((Node { at: location(&mark), value: Value::Scalar { text, plain } }, anchor))
            }
            Event::Alias(id) => {
                let Some((_, node, size)) = anchors.iter().find(|(a, _, _)| *a == id) else {
                    return Err(error(&mark, "alias to an unknown anchor"));
                };
                nodes = nodes.saturating_add(*size);
                alias_nodes = alias_nodes.saturating_add(*size);
                if alias_nodes > MAX_ALIAS_NODES {
                    return Err(error(
                        &mark,
                        format!("aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"),
                    ));
                }
                let mut copy = node.clone();
                copy.at = location(&mark);
                Some((copy, 0))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(error(&mark, format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                let at = location(&mark);
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Sequence { at, anchor, items: Vec::new() }
                } else {
                    Open::Mapping {
                        at,
                        anchor,
                        entries: Vec::new(),
                        merged: Vec::new(),
                        seen: HashMap::new(),
                        key: None,
                    }
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Sequence { at, anchor, items }) => {
                    Some((Node { at, value: Value::Sequence(items) }, anchor))
                }
                Some(Open::Mapping { at, anchor, mut entries, merged, seen, .. }) => {
                    for (k, v) in merged {
                        if !seen.contains_key(k.as_str().unwrap_or_default()) {
                            entries.push((k, v));
                        }
                    }
                    Some((Node { at, value: Value::Mapping(entries) }, anchor))
                }
                None => return Err(error(&mark, "unbalanced YAML structure")),
            },
        };
        let Some((node, anchor)) = finished else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(error(&mark, format!("the document has more than {MAX_NODES} nodes")));
        }
        if anchor != 0 {
            let size = count_nodes(&node);
            anchors.push((anchor, node.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Sequence { items, .. }) => items.push(node),
            Some(Open::Mapping { entries, merged, seen, key, .. }) => match key.take() {
                None => {
                    if !matches!(node.value, Value::Scalar { .. }) {
                        return Err(YamlError { at: node.at, message: "a mapping key must be a plain string".into() });
                    }
                    let text = node.as_str().unwrap_or_default();
                    if text != "<<" {
                        if let Some(first) = seen.get(text) {
                            return Err(YamlError {
                                at: node.at,
                                message: format!(
                                    "duplicate key '{text}' (first at line {}, column {})",
                                    first.line, first.column
                                ),
                            });
                        }
                        seen.insert(text.to_string(), node.at);
                    }
                    *key = Some(node);
                }
                Some(k) => {
                    // An empty value takes the position of the token after it; the key's is
                    // where the user looks.
                    let mut node = node;
                    if matches!(&node.value, Value::Scalar { text, plain: true } if text.is_empty()) {
                        node.at = k.at;
                    }
                    if k.as_str() == Some("<<") && k.is_plain() {
                        merge(merged, node)?;
                    } else {
                        entries.push((k, node));
                    }
                }
            },
        }
    }
    Ok(root.unwrap_or(Node { at: Location { line: 1, column: 1 }, value: Value::Mapping(Vec::new()) }))
}

impl Node {
    fn is_plain(&self) -> bool {
        matches!(self.value, Value::Scalar { plain: true, .. })
    }
}

/// `<<: *defaults` (or a list of them): the merged mappings' entries, the first one
/// winning where several merges set the same key.
fn merge(merged: &mut Vec<(Node, Node)>, value: Node) -> Result<(), YamlError> {
    let wrong = |at| YamlError { at, message: "'<<' merges a mapping or a list of mappings".into() };
    let sources = match value.value {
        Value::Mapping(_) => vec![value],
        Value::Sequence(items) => items,
        Value::Scalar { .. } => return Err(wrong(value.at)),
    };
    for source in sources {
        let Value::Mapping(entries) = source.value else { return Err(wrong(source.at)) };
        for (k, v) in entries {
            if !merged.iter().any(|(existing, _)| existing.as_str() == k.as_str()) {
                merged.push((k, v));
            }
        }
    }
    Ok(())
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 1,
        Value::Sequence(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Mapping(entries) => 1 + entries.iter().map(|(k, v)| count_nodes(k) + count_nodes(v)).sum::<usize>(),
    }
}
