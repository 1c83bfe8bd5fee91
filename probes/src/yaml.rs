//! A YAML (and JSON) reader that keeps the line of every node.
//!
//! Kubernetes estates arrive as multi-document YAML, `kubectl` JSON dumps and Helm output. We need
//! the line of each object and of each offending field for evidence, a reader that cannot be blown
//! up by alias expansion, and one bad document must not hide its neighbours. So the file is split
//! into documents at `---` / `...` markers first, each document is parsed on its own with
//! `saphyr-parser`, and the events are folded into a small [`Node`] tree.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

/// Upper bound on nodes in one document, counting the copies made by aliases. A
/// `kubectl get -A -o yaml` of a large cluster is one document, so this is generous; the "billion
/// laughs" alias bomb hits it after a few levels.
pub const MAX_NODES_PER_DOCUMENT: usize = 5_000_000;
/// Upper bound on nodes copied by alias expansion in one document. Kubernetes manifests use few
/// aliases; this refuses an alias bomb long before it costs memory.
pub const MAX_ALIAS_NODES: usize = 200_000;
/// Upper bound on nesting depth (a defence against stack exhaustion in our own recursion).
pub const MAX_DEPTH: usize = 256;

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
    /// A mapping, in document order. Keys are kept as text.
    Map(Vec<(String, Node)>),
}

/// A document that could not be read, with the line where reading failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// Line (1-based) in the file.
    pub line: u32,
    /// What went wrong.
    pub reason: String,
}

static NULL_NODE: Node = Node { line: 0, value: Value::Null };

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

/// Parses every document of a YAML or JSON text. Each document is parsed on its own, so one
/// broken document gives one `Err` and the others are still returned. Empty documents are dropped.
pub fn parse_documents(text: &str) -> Vec<Result<Node, YamlError>> {
    parse_documents_keeping(text, |_| true)
}

/// Like [`parse_documents`], but a block-style document whose top-level `kind:` is not wanted is
/// not built: it comes back as a mapping holding just its `kind`, and is only parsed (to report
/// its syntax error) when it looks broken: an unrendered template or a tab in the indentation.
/// A third of the objects of a real cluster dump are kinds an audit does not model (HPAs, PDBs,
/// monitors…).
pub fn parse_documents_keeping(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<Result<Node, YamlError>> {
    documents(text, wanted).collect()
}

/// The documents of a text, one at a time: each tree can be used and dropped before the next is
/// built, which keeps the working set small on large files. Same rules as
/// [`parse_documents_keeping`].
pub fn documents<'t>(
    text: &'t str,
    wanted: impl Fn(&str) -> bool + 't,
) -> impl Iterator<Item = Result<Node, YamlError>> + 't {
    split_documents(text).into_iter().filter_map(move |chunk| {
        let shift = chunk.first_line - 1;
        if let Some((kind, line)) = top_level_kind(chunk.text).filter(|(k, _)| !wanted(k)) {
            // A kind no probe reads is counted, not parsed: a full parse of a third of a cluster
            // dump would only serve to report syntax errors in objects that cannot change a
            // finding. The breakages that are common (an unrendered template, tabs in the
            // indentation) are still parsed, so that they are reported with their line.
            let suspicious =
                chunk.text.contains("{{") || chunk.text.contains("\n\t") || chunk.text.starts_with('\t');
            let checked = if suspicious { check_syntax(chunk.text) } else { Ok(()) };
            return Some(match checked {
                Ok(()) => {
                    let kind_node = Node { line: line + shift, value: Value::Str(kind.to_owned()) };
                    Ok(Node {
                        line: chunk.first_line,
                        value: Value::Map(vec![("kind".to_owned(), kind_node)]),
                    })
                }
                Err(mut e) => {
                    e.line += shift;
                    Err(e)
                }
            });
        }
        match parse_lenient(chunk.text) {
            Ok(Some(mut node)) => {
                shift_lines(&mut node, shift);
                Some(Ok(node))
            }
            Ok(None) => None,
            Err(mut e) => {
                e.line += shift;
                Some(Err(e))
            }
        }
    })
}

/// Parses a document, accepting one thing that kubectl (go-yaml) and libyaml accept but a strict
/// parser refuses: a flow collection closed (`]` or `}`) at the indentation of its key, as in
///
/// ```yaml
///   args: [
///       "-a", "b",
///   ]
/// ```
///
/// When the error points at such a closing line, that line is indented one more column and the
/// document parsed again. Line numbers are unchanged.
fn parse_lenient(text: &str) -> Result<Option<Node>, YamlError> {
    let mut owned: Option<String> = None;
    for _ in 0..16 {
        let current = owned.as_deref().unwrap_or(text);
        match parse_one(current) {
            Err(e) if e.reason.contains("indentation") => {
                let Some(fixed) = indent_closing_line(current, e.line) else { return Err(e) };
                owned = Some(fixed);
            }
            other => return other,
        }
    }
    parse_one(owned.as_deref().unwrap_or(text))
}

/// The text with line `line` (1-based) indented by one space, when that line only closes a flow
/// collection.
fn indent_closing_line(text: &str, line: u32) -> Option<String> {
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    let target = text.split_inclusive('\n').nth(idx)?;
    let trimmed = target.trim();
    if !(trimmed.starts_with(']') || trimmed.starts_with('}')) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 1);
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i == idx {
            out.push(' ');
        }
        out.push_str(l);
    }
    Some(out)
}

/// The value of a `kind:` key written in column 0 (block style), with its line.
fn top_level_kind(text: &str) -> Option<(&str, u32)> {
    for (n, line) in (1u32..).zip(text.lines()) {
        if let Some(rest) = line.strip_prefix("kind:") {
            let v = rest.split('#').next().unwrap_or("").trim().trim_matches(|c| c == '"' || c == '\'');
            // A kind is an identifier; anything else (a flow collection, a template) is left to
            // the full parser.
            return (!v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric())).then_some((v, n));
        }
    }
    None
}

/// Runs the parser over a document without building it.
fn check_syntax(text: &str) -> Result<(), YamlError> {
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        event.map_err(|e| scan_error(&e))?;
    }
    Ok(())
}

struct Chunk<'a> {
    text: &'a str,
    first_line: u32,
}

/// Splits a stream at document markers in column 0 (`---`, optionally followed by content, and
/// `...`). A `---` in column 0 ends a document in every YAML context, so this never cuts a
/// document that the full parser would have kept whole.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut offset = 0usize;
    for (line_no, line) in (1u32..).zip(text.split_inclusive('\n')) {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_start = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        let is_end = bare == "..." || bare.starts_with("... ");
        if is_start || is_end {
            if offset > start {
                chunks.push(Chunk { text: &text[start..offset], first_line: start_line });
            }
            if is_start && bare.len() > 3 {
                // `--- !tag` or `--- value` on the marker line: keep the line, minus the marker,
                // as the start of the next document (columns shift, lines do not).
                start = offset + 3;
                start_line = line_no;
            } else {
                start = offset + line.len();
                start_line = line_no + 1;
            }
        }
        offset += line.len();
    }
    if text.len() > start {
        chunks.push(Chunk { text: &text[start..], first_line: start_line });
    }
    chunks
}

fn shift_lines(node: &mut Node, by: u32) {
    if by == 0 {
        return;
    }
    node.line += by;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift_lines(n, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| shift_lines(n, by)),
        _ => {}
    }
}

fn line_of(mark: saphyr_parser::Marker) -> u32 {
    u32::try_from(mark.line()).unwrap_or(u32::MAX)
}

fn scan_error(e: &ScanError) -> YamlError {
    YamlError { line: line_of(*e.marker()), reason: e.info().to_owned() }
}

enum Frame {
    Seq { line: u32, anchor: usize, items: Vec<Node> },
    Map { line: u32, anchor: usize, entries: Vec<(String, Node)>, key: Option<String> },
}

/// Parses one document (the text between two markers). `Ok(None)` for an empty document.
fn parse_one(text: &str) -> Result<Option<Node>, YamlError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<Option<Node>> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut alias_nodes = 0usize;
    let mut documents = 0usize;

    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| scan_error(&e))?;
        let line = line_of(span.start);
        let finished: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError { line, reason: "unexpected second document".into() });
                }
                None
            }
            Event::Scalar(text, style, anchor, tag) => {
                nodes += 1;
                let tag_suffix = tag.as_ref().map(|t| t.suffix.as_str());
                Some((Node { line, value: scalar(text, style, tag_suffix) }, anchor))
            }
            Event::Alias(id) => {
                let Some(Some(target)) = anchors.get(id) else {
                    return Err(YamlError { line, reason: format!("unknown alias {id}") });
                };
                let copied = count_nodes(target);
                nodes = nodes.saturating_add(copied);
                alias_nodes = alias_nodes.saturating_add(copied);
                if nodes > MAX_NODES_PER_DOCUMENT || alias_nodes > MAX_ALIAS_NODES {
                    return Err(YamlError {
                        line,
                        reason: format!(
                            "alias expansion exceeds {MAX_ALIAS_NODES} copied nodes (alias bomb?)"
                        ),
                    });
                }
                Some((target.clone(), 0))
            }
            Event::SequenceStart(anchor, _) => {
                nodes += 1;
                stack.push(Frame::Seq { line, anchor, items: Vec::new() });
                None
            }
            Event::MappingStart(anchor, _) => {
                nodes += 1;
                stack.push(Frame::Map { line, anchor, entries: Vec::new(), key: None });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq { line, anchor, items }) => {
                    Some((Node { line, value: Value::Seq(items) }, anchor))
                }
                Some(Frame::Map { line, anchor, entries, .. }) => {
                    Some((Node { line, value: Value::Map(entries) }, anchor))
                }
                None => return Err(YamlError { line, reason: "unbalanced collection".into() }),
            },
        };
        if stack.len() > MAX_DEPTH {
            return Err(YamlError { line, reason: format!("nesting deeper than {MAX_DEPTH}") });
        }
        if nodes > MAX_NODES_PER_DOCUMENT {
            return Err(YamlError {
                line,
                reason: format!("document has more than {MAX_NODES_PER_DOCUMENT} nodes"),
            });
        }
        let Some((node, anchor)) = finished else { continue };
        if anchor > 0 {
            if anchors.len() <= anchor {
                anchors.resize(anchor + 1, None);
            }
            anchors[anchor] = Some(node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(key_text(node)),
                Some(k) => {
                    if k == "<<" {
                        merge_into(entries, node);
                    } else {
                        entries.push((k, node));
                    }
                }
            },
        }
    }
    Ok(root)
}

/// YAML merge keys (`<<: *base`): copy the entries the mapping does not set itself.
fn merge_into(entries: &mut Vec<(String, Node)>, node: Node) {
    let sources = match node.value {
        Value::Map(_) => vec![node],
        Value::Seq(items) => items,
        _ => return,
    };
    for source in sources {
        if let Value::Map(more) = source.value {
            for (k, v) in more {
                if !entries.iter().any(|(have, _)| *have == k) {
                    entries.push((k, v));
                }
            }
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + count_nodes(v)).sum::<usize>(),
        _ => 1,
    }
}

fn key_text(node: Node) -> String {
    match node.value {
        Value::Str(s) => s,
        Value::Null => String::new(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".to_owned(),
        _ => node.string().unwrap_or_default(),
    }
}

fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&str>) -> Value {
    if style != ScalarStyle::Plain {
        return Value::Str(text.into_owned());
    }
    match tag {
        Some("str") => return Value::Str(text.into_owned()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_across_documents() {
        let text = "a: 1\n---\nkind: Pod\nmetadata:\n  name: x\n---\n\n---\nb: [1, two]\n";
        let docs = parse_documents(text);
        assert_eq!(docs.len(), 3);
        let pod = docs[1].as_ref().unwrap();
        assert_eq!(pod.line, 3);
        assert_eq!(pod.at(&["metadata", "name"]).unwrap().line, 5);
        assert_eq!(pod.at(&["metadata", "name"]).unwrap().as_str().unwrap(), "x");
        let b = docs[2].as_ref().unwrap();
        assert_eq!(b.field("b").items()[1].as_str().unwrap(), "two");
        assert_eq!(b.field("b").items()[0].value, Value::Int(1));
    }

    #[test]
    fn one_broken_document_does_not_hide_the_others() {
        let text = "kind: A\n---\nkind: [unclosed\n---\nkind: C\n";
        let docs = parse_documents(text);
        assert_eq!(docs.len(), 3);
        assert!(docs[0].is_ok());
        let err = docs[1].as_ref().unwrap_err();
        assert!(err.line >= 3, "error line {} should be in the second document", err.line);
        assert_eq!(docs[2].as_ref().unwrap().field("kind").as_str().unwrap(), "C");
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let doc =
            parse_documents("a: \"true\"\nb: true\nc: '8080'\nd: 8080\ne: 1.5\nf:\n").remove(0).unwrap();
        assert_eq!(doc.field("a").value, Value::Str("true".into()));
        assert_eq!(doc.field("b").value, Value::Bool(true));
        assert_eq!(doc.field("c").value, Value::Str("8080".into()));
        assert_eq!(doc.field("d").value, Value::Int(8080));
        assert_eq!(doc.field("e").value, Value::Float(1.5));
        assert!(doc.field("f").is_null());
    }

    #[test]
    fn alias_bomb_is_refused_not_expanded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse_documents(&text);
        let err = docs[0].as_ref().unwrap_err();
        assert!(err.reason.contains("alias"), "{}", err.reason);
    }

    #[test]
    fn merge_keys_and_json() {
        let doc = parse_documents("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n").remove(0).unwrap();
        assert_eq!(doc.at(&["d", "x"]).unwrap().value, Value::Int(1));
        let json = parse_documents("{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"a\": 1}\n  ]\n}\n")
            .remove(0)
            .unwrap();
        assert_eq!(json.field("items").items()[0].line, 4);
    }

    #[test]
    fn unwanted_kinds_are_counted_not_built() {
        let text = "kind: HorizontalPodAutoscaler\nspec: {a: 1}\n---\nkind: Pod\nmetadata: {name: p}\n---\nkind: PodDisruptionBudget\nspec:\n\tbad: tab\n---\nkind: ServiceMonitor\nspec:\n  {{- if .Values.x }}\n  a: b\n";
        let docs = parse_documents_keeping(text, |k| k == "Pod");
        assert_eq!(docs.len(), 4);
        let hpa = docs[0].as_ref().unwrap();
        assert_eq!(hpa.entries().len(), 1, "only the kind is kept");
        assert_eq!(hpa.field("kind").as_str().unwrap(), "HorizontalPodAutoscaler");
        assert_eq!(docs[1].as_ref().unwrap().at(&["metadata", "name"]).unwrap().as_str().unwrap(), "p");
        // Documents that look broken (a tab in the indentation, a template) are still parsed, so
        // their errors are reported with a line.
        assert!(docs[2].as_ref().unwrap_err().line >= 8, "{:?}", docs[2]);
        assert!(docs[3].as_ref().unwrap_err().line >= 11, "{:?}", docs[3]);
    }

    #[test]
    fn flow_sequence_closed_at_key_indentation_is_accepted() {
        let text = "spec:\n  args: [\n      \"-a\", \"b\",\n  ]\n  env: x\n";
        let doc = parse_documents(text).remove(0).unwrap();
        assert_eq!(doc.at(&["spec", "args"]).unwrap().strings(), vec!["-a", "b"]);
        assert_eq!(doc.at(&["spec", "env"]).unwrap().line, 5);
    }

    #[test]
    fn helm_template_gives_an_error_not_a_panic() {
        let text =
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n  {{- if .Values.x }}\n";
        let docs = parse_documents(text);
        assert_eq!(docs.len(), 1);
    }
}
