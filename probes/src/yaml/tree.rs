//! Building the tree from parser events within its memory budget: the Kubernetes API server's
//! mapping rules (a duplicated key keeps its last value, merge keys never override).

use super::budget::Fail;
use super::budget::FileBudget;
use super::budget::MAX_ALIAS_NODES;
use super::budget::MAX_ALIAS_NODES_PER_FILE;
use super::budget::MAX_DEPTH;
use super::budget::TREE_BYTES_ALLOWANCE;
use super::budget::TREE_BYTES_PER_TEXT_BYTE;
use super::node::Document;
use super::node::Node;
use super::node::Value;
use super::node::YamlWarning;
use super::text::is_plain_key_byte;

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::mem::size_of;

pub(super) const NODE_BYTES: usize = size_of::<Node>();
pub(super) const ENTRY_BYTES: usize = size_of::<(String, Node)>();
/// What an allocator adds to each heap block, roughly (rounding to its size classes).
pub(super) const BLOCK_OVERHEAD: usize = 16;
/// Charged per anchor for saphyr's own table of anchor names.
pub(super) const ANCHOR_BYTES: usize = 64;
/// Charged per key of the hash index of a large mapping.
pub(super) const INDEX_BYTES: usize = 16;
/// Documents larger than this keep their strings at their size (see [`Builder::own`]).
pub(super) const SHRINK_FROM: usize = 1 << 20;
/// Mappings with more keys than this look keys up through a hash index.
pub(super) const INDEX_FROM: usize = 16;

pub(super) fn heap_bytes(len: usize) -> usize {
    if len == 0 { 0 } else { len + BLOCK_OVERHEAD }
}

/// The bytes a tree holds on the heap beyond its root node, and the number of its nodes.
pub(super) fn tree_size(node: &Node) -> (usize, usize) {
    match &node.value {
        Value::Str(s) => (heap_bytes(s.len()), 1),
        Value::Seq(items) => items.iter().map(tree_size).fold(
            (if items.is_empty() { 0 } else { items.len() * NODE_BYTES + BLOCK_OVERHEAD }, 1),
            |(b, n), (cb, cn)| (b + cb, n + cn),
        ),
        Value::Map(entries) => entries.iter().fold(
            (if entries.is_empty() { 0 } else { entries.len() * ENTRY_BYTES + BLOCK_OVERHEAD }, 1),
            |(b, n), (k, v)| {
                let (cb, cn) = tree_size(v);
                (b + heap_bytes(k.len()) + cb, n + 1 + cn)
            },
        ),
        _ => (0, 1),
    }
}

/// The same value, lines aside.
pub(super) fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, a), (kb, b))| ka == kb && same_value(a, b))
        }
        (x, y) => x == y,
    }
}

/// A key as warnings may name it: only a plain identifier is input text that can be shown.
pub(super) fn key_name(key: &str) -> Option<&str> {
    (!key.is_empty() && key.len() <= 64 && key.bytes().all(is_plain_key_byte)).then_some(key)
}

/// A hasher that passes on a `u64` that is already a hash.
#[derive(Default)]
pub(super) struct Prehashed(pub(super) u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Key hash → index of the first entry with that hash (a collision falls back to a scan), with
/// the keyed hasher that made the hashes.
pub(super) struct KeyIndex {
    pub(super) hasher: RandomState,
    pub(super) first: HashMap<u64, usize, BuildHasherDefault<Prehashed>>,
}

pub(super) struct Key {
    pub(super) text: String,
    pub(super) line: u32,
    /// A plain `<<`.
    pub(super) merge: bool,
    /// A sequence or mapping used as a key (kept, never deduplicated).
    pub(super) complex: bool,
}

/// An open mapping.
pub(super) struct MapFrame {
    pub(super) line: u32,
    pub(super) anchor: usize,
    pub(super) entries: Vec<(String, Node)>,
    /// The key waiting for its value.
    pub(super) key: Option<Key>,
    /// Merge keys seen so far in this mapping.
    pub(super) merges: u32,
    /// Once the mapping has a merge key: for each entry, 0 when the mapping sets the key itself,
    /// else the merge key (1, 2, …) that brought it.
    pub(super) origins: Vec<u32>,
    /// For mappings with many keys.
    pub(super) index: Option<Box<KeyIndex>>,
}

pub(super) enum Frame {
    Seq { line: u32, anchor: usize, items: Vec<Node> },
    Map(MapFrame),
}

/// The memory a tree may still take.
pub(super) struct Meter {
    pub(super) bytes: usize,
    pub(super) limit: usize,
}

impl Meter {
    #[inline]
    pub(super) fn charge(&mut self, bytes: usize, line: u32) -> Result<(), Fail> {
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > self.limit { Err(self.over(line)) } else { Ok(()) }
    }

    #[cold]
    pub(super) fn over(&self, line: u32) -> Fail {
        Fail::limit(
            line,
            format!(
                "document refused: its tree would take more than {} MiB ({TREE_BYTES_PER_TEXT_BYTE} bytes per byte of text + {} MiB)",
                self.limit >> 20,
                TREE_BYTES_ALLOWANCE >> 20
            ),
        )
    }

    /// Makes room for one more element in `v`, charging the new block whole when it grows (the
    /// block it replaces may stay resident for a while after it is freed).
    #[inline]
    pub(super) fn room<T>(&mut self, v: &mut Vec<T>, line: u32) -> Result<(), Fail> {
        if v.len() == v.capacity() {
            let new_cap = (v.capacity() * 2).max(4);
            self.charge(new_cap * size_of::<T>() + BLOCK_OVERHEAD, line)?;
            v.reserve_exact(new_cap - v.len());
        }
        Ok(())
    }
}

/// Folds parser events (from saphyr or from the JSON reader) into a [`Node`] tree.
///
/// Mappings keep each key once: a key given again replaces the value (as the Kubernetes API
/// server's JSON decoding does) and is reported; `<<` merge keys add the keys of the merged
/// mappings that the mapping does not set itself, wherever it sets them, and of `<<: [*a, *b]`
/// the earlier mapping wins. Every allocation is charged to the document's [`Meter`].
pub(super) struct Builder<'b> {
    pub(super) frames: Vec<Frame>,
    pub(super) anchors: Vec<Option<Node>>,
    pub(super) root: Option<Node>,
    pub(super) meter: Meter,
    /// Whether strings are copied to their size (in large documents).
    pub(super) shrink: bool,
    pub(super) alias_nodes: usize,
    pub(super) file: &'b mut FileBudget,
    pub(super) warnings: Vec<YamlWarning>,
}

impl<'b> Builder<'b> {
    pub(super) fn new(text_len: usize, file: &'b mut FileBudget) -> Self {
        Builder {
            frames: Vec::new(),
            anchors: Vec::new(),
            root: None,
            meter: Meter {
                bytes: 0,
                limit: text_len.saturating_mul(TREE_BYTES_PER_TEXT_BYTE).saturating_add(TREE_BYTES_ALLOWANCE),
            },
            shrink: text_len > SHRINK_FROM,
            alias_nodes: 0,
            file,
            warnings: Vec::new(),
        }
    }

    pub(super) fn start(&mut self, line: u32, anchor: usize, map: bool) -> Result<(), Fail> {
        self.frames.push(if map {
            Frame::Map(MapFrame {
                line,
                anchor,
                entries: Vec::new(),
                key: None,
                merges: 0,
                origins: Vec::new(),
                index: None,
            })
        } else {
            Frame::Seq { line, anchor, items: Vec::new() }
        });
        if self.frames.len() > MAX_DEPTH {
            return Err(Fail::limit(line, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    pub(super) fn end(&mut self, line: u32) -> Result<(), Fail> {
        let (node, anchor) = match self.frames.pop() {
            Some(Frame::Seq { line, anchor, items }) => (Node { line, value: Value::Seq(items) }, anchor),
            Some(Frame::Map(map)) => {
                if map.key.is_some() {
                    // A key without a value cannot come from either reader; keep the tree sane.
                    return Err(Fail::limit(map.line, "mapping key without a value".into()));
                }
                (Node { line: map.line, value: Value::Map(map.entries) }, map.anchor)
            }
            None => return Err(Fail::limit(line, "unbalanced collection".into())),
        };
        self.place(node, anchor, false)
    }

    pub(super) fn scalar(
        &mut self,
        line: u32,
        mut value: Value,
        anchor: usize,
        merge: bool,
    ) -> Result<(), Fail> {
        if let Value::Str(s) = &mut value {
            self.own(s, line)?;
        }
        self.place(Node { line, value }, anchor, merge)
    }

    /// Charges a string of the tree. saphyr hands out strings with room for 128 bytes or more
    /// whatever their length; in a large document they are copied to their size, so that a
    /// document of many short scalars does not take ten times its text.
    #[inline]
    pub(super) fn own(&mut self, s: &mut String, line: u32) -> Result<(), Fail> {
        if self.shrink && s.capacity() > s.len() + BLOCK_OVERHEAD {
            *s = s.as_str().to_owned();
        }
        self.meter.charge(heap_bytes(s.capacity()), line)
    }

    pub(super) fn alias(&mut self, line: u32, id: usize) -> Result<(), Fail> {
        let Some(Some(target)) = self.anchors.get(id) else {
            return Err(Fail::limit(
                line,
                "an alias refers to an anchor that is not defined before it".into(),
            ));
        };
        let (bytes, nodes) = tree_size(target);
        self.alias_nodes = self.alias_nodes.saturating_add(nodes);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(Fail::limit(
                line,
                format!(
                    "alias expansion exceeds {MAX_ALIAS_NODES} copied nodes in this document (alias bomb?)"
                ),
            ));
        }
        if nodes > self.file.alias_nodes_left {
            self.file.alias_nodes_left = 0;
            return Err(Fail::limit(
                line,
                format!(
                    "alias expansion exceeds {MAX_ALIAS_NODES_PER_FILE} copied nodes in this file (alias bomb?); later documents that expand aliases are refused too"
                ),
            ));
        }
        self.file.alias_nodes_left -= nodes;
        // Charged before the copy is made: a few nodes may hold long strings.
        self.meter.charge(bytes + NODE_BYTES, line)?;
        let copy = self.anchors[id].clone().unwrap_or(Node { line, value: Value::Null });
        self.place(copy, 0, false)
    }

    /// Puts a finished node where it belongs: the root, the next item of a sequence, or a key or
    /// value of a mapping.
    pub(super) fn place(&mut self, node: Node, anchor: usize, merge: bool) -> Result<(), Fail> {
        let line = node.line;
        if anchor > 0 {
            self.anchor(anchor, &node)?;
        }
        match self.frames.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => {
                self.meter.room(items, line)?;
                items.push(node);
            }
            Some(Frame::Map(map)) => match map.key.take() {
                None => {
                    let complex = matches!(node.value, Value::Seq(_) | Value::Map(_));
                    map.key = Some(Key { text: key_text(node), line, merge, complex });
                }
                Some(key) if key.merge => {
                    if map.merges > 0 {
                        self.warnings.push(YamlWarning {
                            line: key.line,
                            reason: "duplicate merge key (<<): the later one overrides what the earlier one merged".into(),
                        });
                    }
                    merge_into(map, key.line, node, &mut self.meter, &mut self.warnings)?;
                }
                Some(key) => {
                    let found = if key.complex { None } else { map.find(&key.text) };
                    match found {
                        None => map.push(key.text, node, 0, key.line, &mut self.meter)?,
                        Some(i) => {
                            if map.origin(i) == 0 {
                                let reason = match key_name(&key.text) {
                                    Some(name) => format!(
                                        "duplicate key {name}: the last value is read, as the Kubernetes API server does"
                                    ),
                                    None => "a duplicate key: the last value is read, as the Kubernetes API server does"
                                        .to_owned(),
                                };
                                self.warnings.push(YamlWarning { line: key.line, reason });
                            }
                            // A key the mapping sets itself overrides a merged one, and the last
                            // of two wins.
                            map.entries[i].1 = node;
                            if let Some(o) = map.origins.get_mut(i) {
                                *o = 0;
                            }
                        }
                    }
                }
            },
        }
        Ok(())
    }

    /// Whether the next node is the key of a mapping.
    #[inline]
    pub(super) fn wants_key(&self) -> bool {
        matches!(self.frames.last(), Some(Frame::Map(MapFrame { key: None, .. })))
    }

    /// The next key of the innermost mapping, as text ([`Builder::wants_key`] holds).
    #[inline]
    pub(super) fn key(&mut self, line: u32, mut text: String, merge: bool) -> Result<(), Fail> {
        self.own(&mut text, line)?;
        if let Some(Frame::Map(map)) = self.frames.last_mut() {
            map.key = Some(Key { text, line, merge, complex: false });
        }
        Ok(())
    }

    /// Keeps a copy of an anchored node for its aliases.
    #[cold]
    pub(super) fn anchor(&mut self, anchor: usize, node: &Node) -> Result<(), Fail> {
        let (bytes, _) = tree_size(node);
        let slots = (anchor + 1).saturating_sub(self.anchors.len());
        self.meter
            .charge(ANCHOR_BYTES + NODE_BYTES + bytes + slots * size_of::<Option<Node>>(), node.line)?;
        if slots > 0 {
            self.anchors.resize(anchor + 1, None);
        }
        self.anchors[anchor] = Some(node.clone());
        Ok(())
    }

    pub(super) fn finish(self) -> Option<Document> {
        let warnings = self.warnings;
        self.root.map(|node| Document { node, warnings })
    }
}

impl MapFrame {
    pub(super) fn origin(&self, i: usize) -> u32 {
        self.origins.get(i).copied().unwrap_or(0)
    }

    /// Index in `entries` of `key`.
    pub(super) fn find(&self, key: &str) -> Option<usize> {
        let scan = || self.entries.iter().position(|(k, _)| k == key);
        match &self.index {
            None => scan(),
            Some(index) => match index.first.get(&index.hasher.hash_one(key)) {
                None => None,
                Some(&i) if self.entries[i].0 == key => Some(i),
                Some(_) => scan(),
            },
        }
    }

    pub(super) fn push(
        &mut self,
        key: String,
        value: Node,
        origin: u32,
        line: u32,
        meter: &mut Meter,
    ) -> Result<(), Fail> {
        // The key's string was charged when it was read (or copied).
        meter.room(&mut self.entries, line)?;
        let i = self.entries.len();
        if let Some(index) = &mut self.index {
            meter.charge(INDEX_BYTES, line)?;
            index.first.entry(index.hasher.hash_one(&key)).or_insert(i);
        } else if i == INDEX_FROM {
            meter.charge((i + 1) * INDEX_BYTES, line)?;
            let mut index = Box::new(KeyIndex { hasher: RandomState::new(), first: HashMap::default() });
            for (j, k) in self.entries.iter().map(|(k, _)| k).chain([&key]).enumerate() {
                index.first.entry(index.hasher.hash_one(k)).or_insert(j);
            }
            self.index = Some(index);
        }
        self.entries.push((key, value));
        if self.merges > 0 {
            meter.room(&mut self.origins, line)?;
            self.origins.push(origin);
        }
        Ok(())
    }
}

/// `<<: *base` or `<<: [*a, *b]`: adds the keys of the merged mappings that the mapping does not
/// set itself; of several merged mappings, the earlier wins.
pub(super) fn merge_into(
    map: &mut MapFrame,
    line: u32,
    value: Node,
    meter: &mut Meter,
    warnings: &mut Vec<YamlWarning>,
) -> Result<(), Fail> {
    let sources = match value.value {
        Value::Map(entries) => vec![entries],
        Value::Seq(items) if items.iter().all(Node::is_map) => items
            .into_iter()
            .map(|n| match n.value {
                Value::Map(entries) => entries,
                _ => Vec::new(),
            })
            .collect(),
        _ => {
            return Err(Fail::limit(
                line,
                "a merge key (<<) must be given a mapping or a list of mappings".into(),
            ));
        }
    };
    if map.merges == 0 {
        meter.charge(map.entries.capacity() * size_of::<u32>() + BLOCK_OVERHEAD, line)?;
        map.origins = vec![0; map.entries.len()];
        map.origins.reserve_exact(map.entries.capacity() - map.entries.len());
    }
    map.merges += 1;
    let this = map.merges;
    for (k, v) in sources.into_iter().flatten() {
        match map.find(&k) {
            None => map.push(k, v, this, line, meter)?,
            Some(i) => match map.origins[i] {
                0 => {
                    // Set by the mapping itself before this merge key: its own value is kept
                    // (YAML's rule), but go-yaml v2 lets the later merge win.
                    if !same_value(&map.entries[i].1, &v) {
                        let reason = match key_name(&k) {
                            Some(name) => format!(
                                "key {name} is set before a merge key (<<) that sets it too: the mapping's own value is read; some decoders (go-yaml v2) read the merged one"
                            ),
                            None => "a key is set before a merge key (<<) that sets it too: the mapping's own value is read; some decoders (go-yaml v2) read the merged one".to_owned(),
                        };
                        warnings.push(YamlWarning { line, reason });
                    }
                }
                origin if origin == this => {}
                _ => {
                    map.entries[i].1 = v;
                    map.origins[i] = this;
                }
            },
        }
    }
    Ok(())
}

pub(super) fn key_text(node: Node) -> String {
    match node.value {
        Value::Str(s) => s,
        Value::Null => String::new(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".to_owned(),
        _ => node.string().unwrap_or_default(),
    }
}

// --- JSON ------------------------------------------------------------------------------------
