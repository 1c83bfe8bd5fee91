//! The tree: located nodes typed with the YAML 1.2 core schema, errors and warnings.

use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// One parsed YAML node with the (1-based) line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Line of the node in its file (1-based).
    pub line: u32,
    /// The node's value.
    pub value: Value,
}

/// The value of a [`Node`], typed with the YAML 1.2 core schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or empty.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// Any string (quoted scalars are always strings).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order, each key once (a duplicated key holds its last value, merge
    /// keys are resolved). Keys are kept as text.
    Map(Vec<(String, Node)>),
}

/// A document that could not be read, with the line where reading failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// Line (1-based) in the file.
    pub line: u32,
    /// What went wrong (never quotes the input).
    pub reason: String,
}

/// Something suspicious in a document that was read all the same, e.g. a key given twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlWarning {
    /// Line (1-based) in the file.
    pub line: u32,
    /// What was found and how it was read (never quotes the input).
    pub reason: String,
}

/// A document that was read, with what was suspicious in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The document's root node.
    pub node: Node,
    /// Duplicate keys and ambiguous merges, in document order.
    pub warnings: Vec<YamlWarning>,
}

pub(super) static NULL_NODE: Node = Node { line: 0, value: Value::Null };

impl Node {
    /// The child at `key` of a mapping, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of mapping keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        let mut node = self;
        for key in path {
            node = node.get(key)?;
        }
        Some(node)
    }

    /// The child at `key`, or a null node (so that chains of lookups stay short).
    pub fn field(&self, key: &str) -> &Node {
        self.get(key).unwrap_or(&NULL_NODE)
    }

    /// The scalar as text: strings as they are, numbers and booleans in canonical form.
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(f.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// The scalar as an owned string.
    pub fn string(&self) -> Option<String> {
        self.as_str().map(Cow::into_owned)
    }

    /// A boolean, also accepting the strings `"true"`/`"false"` (annotations are strings).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// An integer, also accepting numeric strings.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// True for `null` / missing.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// True for a sequence.
    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// Strings of a sequence of scalars (non-scalars are skipped).
    pub fn strings(&self) -> Vec<String> {
        self.items().iter().filter_map(Node::string).collect()
    }

    /// A mapping of scalars as (key, text) pairs, e.g. labels.
    pub fn string_map(&self) -> Vec<(String, String)> {
        self.entries().iter().filter_map(|(k, v)| v.string().map(|v| (k.clone(), v))).collect()
    }
}

/// Whether [`scalar`] types an untagged plain scalar as the string it is.
pub(super) fn is_plain_text(text: &str) -> bool {
    match text.as_bytes().first() {
        None | Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'~') => false,
        Some(b'n' | b'N' | b't' | b'T' | b'f' | b'F') => {
            !matches!(text, "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
        }
        Some(_) => true,
    }
}

pub(super) fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&str>) -> Value {
    if style != ScalarStyle::Plain {
        return Value::Str(text.into_owned());
    }
    match tag {
        // `!!str`, and the non-specific tag `!`, which makes a plain scalar a string.
        Some("str" | "!") => return Value::Str(text.into_owned()),
        Some("int") => {
            if let Ok(i) = text.parse() {
                return Value::Int(i);
            }
        }
        _ => {}
    }
    match &*text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Some(hex) = text.strip_prefix("0x")
            && let Ok(i) = i64::from_str_radix(hex, 16)
        {
            return Value::Int(i);
        }
        if let Some(oct) = text.strip_prefix("0o")
            && let Ok(i) = i64::from_str_radix(oct, 8)
        {
            return Value::Int(i);
        }
        if text.bytes().any(|b| b.is_ascii_digit())
            && let Ok(f) = text.parse::<f64>()
        {
            return Value::Float(f);
        }
    }
    Value::Str(text.into_owned())
}
