//! The page's data island: the whole Report as compact JSON, with what it repeats written once.
//!
//! A large estate's report repeats the same texts many times: node ids in every edge and hop,
//! evidence file names, hop sentences, path ids in findings. The island writes the report's
//! top-level fields as the JSON report does, except in `edges`, `paths`, `blast_radius` and
//! `findings`, where
//! - an `evidence` entry `{"file": F, "line": L}` is `[i, L]`, `F` being `files[i]`;
//! - a `from` or `to` that is a node's id is that node's index in `nodes`;
//! - a `detail` or `via` text, and each of a list of `steps`, is an index into `strings`;
//! - an item's own list of `paths` names each path by its index in `paths`;
//! - a path's `id` is left out when it is `path:` + its first hop's `from` + `->` + its last
//!   hop's `to`, and a one-hop path's `auth` and `identity` when they are its hop's.
//!
//! `files` and `strings` come last (they are filled as the sections are written), and
//! `"encoding": 1` says the island is in this form. The page's script (`restore` in report.js)
//! puts every value back before anything else reads the data, so the page works on exactly the
//! JSON report's data; the browser test compares the two. Each item is turned into a
//! `serde_json::Value` on its own and written at once, so memory stays that of one item.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{Error as _, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::Report;

/// The island's form (`encoding`); bumped when the script must read it differently.
pub(crate) const ENCODING: u32 = 1;

/// Texts written once, in order of first use.
#[derive(Default)]
struct Table {
    index: HashMap<String, usize>,
    texts: Vec<String>,
}

impl Table {
    fn of(&mut self, text: &str) -> usize {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = self.texts.len();
        self.index.insert(text.to_owned(), i);
        self.texts.push(text.to_owned());
        i
    }
}

/// What the items are compacted against.
struct Context<'r> {
    nodes: HashMap<&'r str, usize>,
    paths: HashMap<String, usize>,
    files: RefCell<Table>,
    strings: RefCell<Table>,
}

/// The Report, written as the island.
pub(crate) struct Island<'r> {
    report: &'r Report,
    cx: Context<'r>,
}

impl<'r> Island<'r> {
    pub(crate) fn new(report: &'r Report) -> Island<'r> {
        let nodes = report.nodes.iter().enumerate().map(|(i, n)| (n.id.as_ref(), i)).collect();
        let paths = report.paths.iter().enumerate().map(|(i, p)| (p.id.to_string(), i)).collect();
        Island {
            report,
            cx: Context {
                nodes,
                paths,
                files: RefCell::new(Table::default()),
                strings: RefCell::new(Table::default()),
            },
        }
    }
}

/// One section's items, compacted one at a time.
struct Section<'a, 'r, T> {
    items: &'a [T],
    cx: &'a Context<'r>,
    paths: bool,
}

impl<T: Serialize> Serialize for Section<'_, '_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.items.len()))?;
        for item in self.items {
            let mut v = serde_json::to_value(item).map_err(S::Error::custom)?;
            if self.paths {
                drop_derivable(&mut v);
            }
            self.cx.path_indices(&mut v);
            self.cx.compact(&mut v);
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

/// A table, written once every section has filled it.
struct Texts<'a>(&'a RefCell<Table>);

impl Serialize for Texts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.borrow().texts.iter())
    }
}

impl Serialize for Island<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Destructured whole, so that a field the Report gains cannot be left out of the island.
        let Report {
            schema_version,
            tool,
            summary,
            nodes,
            edges,
            paths,
            blast_radius,
            findings,
            rules,
            diagnostics,
            tls,
        } = self.report;
        let cx = &self.cx;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("encoding", &ENCODING)?;
        map.serialize_entry("schema_version", schema_version)?;
        map.serialize_entry("tool", tool)?;
        map.serialize_entry("summary", summary)?;
        map.serialize_entry("nodes", nodes)?;
        map.serialize_entry("edges", &Section { items: edges, cx, paths: false })?;
        map.serialize_entry("paths", &Section { items: paths, cx, paths: true })?;
        map.serialize_entry("blast_radius", &Section { items: blast_radius, cx, paths: false })?;
        map.serialize_entry("findings", &Section { items: findings, cx, paths: false })?;
        map.serialize_entry("rules", rules)?;
        map.serialize_entry("diagnostics", diagnostics)?;
        if !tls.is_empty() {
            map.serialize_entry("tls", tls)?;
        }
        map.serialize_entry("files", &Texts(&cx.files))?;
        map.serialize_entry("strings", &Texts(&cx.strings))?;
        map.end()
    }
}

impl Context<'_> {
    fn compact(&self, v: &mut Value) {
        match v {
            Value::Array(items) => items.iter_mut().for_each(|x| self.compact(x)),
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match (k.as_str(), &mut *x) {
                        ("evidence", Value::Array(list)) => {
                            for e in list {
                                if let Some(short) = self.evidence(e) {
                                    *e = short;
                                } else {
                                    self.compact(e);
                                }
                            }
                        }
                        ("from" | "to", Value::String(id)) => {
                            if let Some(&i) = self.nodes.get(id.as_str()) {
                                *x = Value::from(i);
                            }
                        }
                        ("detail" | "via", Value::String(text)) => {
                            *x = Value::from(self.strings.borrow_mut().of(text));
                        }
                        ("steps", Value::Array(list)) if list.iter().all(Value::is_string) => {
                            let mut strings = self.strings.borrow_mut();
                            for s in list {
                                *s = Value::from(strings.of(s.as_str().unwrap_or_default()));
                            }
                        }
                        _ => self.compact(x),
                    }
                }
            }
            _ => {}
        }
    }

    /// An item's own `paths` (a list of path ids) as path indices.
    fn path_indices(&self, v: &mut Value) {
        let Some(Value::Array(list)) = v.as_object_mut().and_then(|m| m.get_mut("paths")) else { return };
        for p in list {
            if let Some(&i) = p.as_str().and_then(|id| self.paths.get(id)) {
                *p = Value::from(i);
            }
        }
    }

    /// `{"file": F, "line": L}` (and nothing else) as `[i, L]`.
    fn evidence(&self, e: &Value) -> Option<Value> {
        let m = e.as_object().filter(|m| m.len() == 2)?;
        let file = m.get("file")?.as_str()?;
        let line = m.get("line").filter(|l| l.is_u64())?;
        let i = self.files.borrow_mut().of(file);
        Some(Value::Array(vec![Value::from(i), line.clone()]))
    }
}

/// A path's `id`, `auth` and `identity` where the script can derive them from its hops.
fn drop_derivable(v: &mut Value) {
    let Some(m) = v.as_object_mut() else { return };
    let Some(hops) = m.get("hops").and_then(Value::as_array) else { return };
    let (Some(first), Some(last)) = (hops.first(), hops.last()) else { return };
    fn text<'v>(h: &'v Value, k: &str) -> Option<&'v str> {
        h.get(k).and_then(Value::as_str)
    }
    // Decided while the hops are borrowed, removed after.
    let id_derivable = match (m.get("id").and_then(Value::as_str), text(first, "from"), text(last, "to")) {
        (Some(id), Some(from), Some(to)) => {
            id.strip_prefix("path:").and_then(|r| r.strip_prefix(from)).and_then(|r| r.strip_prefix("->"))
                == Some(to)
        }
        _ => false,
    };
    let one_hop = hops.len() == 1;
    let same = |k: &str| one_hop && m.get(k).is_some() && m.get(k) == first.get(k);
    let (auth, identity) = (same("auth"), same("identity"));
    for (drop, k) in [(id_derivable, "id"), (auth, "auth"), (identity, "identity")] {
        if drop {
            m.remove(k);
        }
    }
}
