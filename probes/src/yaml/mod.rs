//! A YAML (and JSON) reader that keeps the line of every node.
//!
//! Kubernetes estates arrive as multi-document YAML, `kubectl` JSON dumps and Helm output, and in
//! CI the text is written by whoever opened the pull request. We need the line of each object and
//! of each offending field for evidence, a reader whose memory and time stay proportional to its
//! input whatever the input is, and one bad document must not hide its neighbours.
//!
//! - The file is split into documents at `---` / `...` markers first; each document is read on its
//!   own and its tree can be dropped before the next one is built.
//! - A document that is JSON (it starts with `{` or `[`) is read by a small JSON reader of our
//!   own; anything else, and JSON that turns out not to be strict JSON, by `saphyr-parser`.
//!   saphyr's scanner reads a whole flow collection (`[…]`, `{…}`) ahead before it hands out its
//!   first event, at about 100 bytes of memory per token, so it is fed through [`Bounded`], which
//!   stops it after [`MAX_TOKENS_AHEAD`] tokens of look-ahead.
//! - Both feed the same [`Builder`], which applies the mapping rules the Kubernetes API server
//!   applies (a duplicated key keeps its last value; YAML merge keys `<<` never override a key the
//!   mapping sets itself) and reports what it resolved that way as a [`YamlWarning`], and which
//!   charges every allocation of the tree to a budget proportional to the document's size
//!   ([`TREE_BYTES_PER_TEXT_BYTE`]), alias copies included, and alias copies to a budget per
//!   document ([`MAX_ALIAS_NODES`]) and per file ([`MAX_ALIAS_NODES_PER_FILE`]).
//!
//! - kubectl reads manifests with go-yaml, a port of libyaml, so what libyaml accepts is read:
//!   where saphyr is stricter (a quoted scalar continued left of its key, a flow collection closed
//!   at its key's column, a comment right after a token) the document is mended in place, line
//!   numbers kept, and parsed again (`parse_lenient`). `tests/yaml_differential.rs` holds the
//!   reader to libyaml over the corpora and the YAML test suite.
//!
//! No message quotes the input: errors name the line, the column and what was expected, warnings
//! name a key only when it is a plain identifier.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::mem::size_of;

use saphyr_parser::input::SkipTabs;
use saphyr_parser::{Event, Input, Marker, Parser, ScalarStyle, ScanError, StrInput};

/// Deepest nesting of collections read (a defence against stack exhaustion in the recursive
/// walks over the tree).
pub const MAX_DEPTH: usize = 256;
/// Upper bound on nodes copied by alias expansion in one document. Kubernetes manifests use few
/// aliases; this refuses an alias bomb ("billion laughs") long before it costs time or memory.
pub const MAX_ALIAS_NODES: usize = 200_000;
/// Upper bound on nodes copied by alias expansion in one file, all its documents together, so
/// that many documents each just under [`MAX_ALIAS_NODES`] cannot add up to minutes of copying.
/// Once a file has used it up, every later document of the file that expands an alias is refused
/// with a diagnostic; documents without aliases are still read.
pub const MAX_ALIAS_NODES_PER_FILE: usize = 1_000_000;
/// Memory budget of one document's tree: this many bytes per byte of the document's text, plus
/// [`TREE_BYTES_ALLOWANCE`]. Every allocation of the tree is charged (nodes, strings, the working
/// stacks, alias copies and anchors). Real manifests and API dumps need 2 to 7 bytes per byte; a
/// text made to be small on disk and large in memory (`[[],[],…]`, a few bytes per node) is
/// refused before its tree reaches this size.
pub const TREE_BYTES_PER_TEXT_BYTE: usize = 16;
/// Fixed part of the tree budget of a document, so that a small document may still expand a few
/// aliases (16 MiB).
pub const TREE_BYTES_ALLOWANCE: usize = 16 << 20;
/// Upper bound on tokens the YAML scanner may read ahead while producing one event. saphyr reads
/// a flow collection (`[…]`, `{…}`) whole before its first event, at about 100 bytes per token,
/// so this caps that look-ahead at about 20 MiB. Block-style YAML never comes near it (the scanner
/// resolves each line on its own), and JSON documents are read by our own JSON reader; only a
/// YAML flow collection with more than this many tokens (a huge `[…]` written inside YAML) is
/// refused. Long scalars do not count as many tokens.
pub const MAX_TOKENS_AHEAD: u32 = 100_000;
/// A document that fails on a flow collection closed at its key's indentation is indented and
/// parsed again (see [`parse_lenient`]), at most 16 times, and only while it is at most this size,
/// so that a large document cannot be made to be parsed 16 times.
const LENIENT_RETRY_MAX_BYTES: usize = 4 << 20;

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
/// broken document gives one `Err` and the others are still returned. Empty documents are dropped,
/// and so are warnings (use [`documents`] to get them).
pub fn parse_documents(text: &str) -> Vec<Result<Node, YamlError>> {
    parse_documents_keeping(text, |_| true)
}

/// Like [`parse_documents`], but a block-style document whose top-level `kind:` is not wanted is
/// not built: it comes back as a mapping holding just its `kind`, and is only parsed (to report
/// its syntax error) when it looks broken: an unrendered template or a tab in the indentation.
/// A third of the objects of a real cluster dump are kinds an audit does not model (HPAs, PDBs,
/// monitors…).
pub fn parse_documents_keeping(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<Result<Node, YamlError>> {
    documents(text, wanted).map(|doc| doc.map(|d| d.node)).collect()
}

/// The documents of a text, one at a time: each tree can be used and dropped before the next is
/// built, which keeps the working set small on large files. Same rules as
/// [`parse_documents_keeping`]; the alias budget [`MAX_ALIAS_NODES_PER_FILE`] is shared by all the
/// documents of `text`.
pub fn documents<'t>(
    text: &'t str,
    wanted: impl Fn(&str) -> bool + 't,
) -> impl Iterator<Item = Result<Document, YamlError>> + 't {
    let mut budget = FileBudget { alias_nodes_left: MAX_ALIAS_NODES_PER_FILE };
    split_documents(text).into_iter().filter_map(move |chunk| read_chunk(&chunk, &wanted, &mut budget))
}

/// What a file may still spend, across its documents.
#[derive(Clone, Copy)]
struct FileBudget {
    alias_nodes_left: usize,
}

fn read_chunk(
    chunk: &Chunk<'_>,
    wanted: &dyn Fn(&str) -> bool,
    budget: &mut FileBudget,
) -> Option<Result<Document, YamlError>> {
    let shift = chunk.first_line - 1;
    if let Some((kind, line)) = unwanted_kind(chunk.text, wanted) {
        // A kind no probe reads is counted, not parsed: a full parse of a third of a cluster
        // dump would only serve to report syntax errors in objects that cannot change a
        // finding. The breakages that are common (an unrendered template, tabs in the
        // indentation) are still parsed, so that they are reported with their line.
        let suspicious =
            chunk.text.contains("{{") || chunk.text.contains("\n\t") || chunk.text.starts_with('\t');
        // What the scanner refuses may still be what the lenient re-parse accepts.
        let checked = if suspicious {
            check_syntax(chunk.text, shift).or_else(|_| parse_lenient(chunk.text, shift, budget).map(|_| ()))
        } else {
            Ok(())
        };
        return Some(checked.map(|()| {
            let kind_node = Node { line: line + shift, value: Value::Str(kind.to_owned()) };
            Document {
                node: Node {
                    line: chunk.first_line,
                    value: Value::Map(vec![("kind".to_owned(), kind_node)]),
                },
                warnings: Vec::new(),
            }
        }));
    }
    parse_lenient(chunk.text, shift, budget).transpose()
}

/// Why a document could not be read, for the retry logic in this module.
struct Fail {
    error: YamlError,
    kind: FailKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FailKind {
    /// A syntax error; `indentation` when the scanner complained about indentation.
    Syntax { indentation: bool },
    /// A quoted scalar whose continuation lines are left of the block's indentation; `line`
    /// (1-based, in the document's text) and `column` (0-based) are those of its opening quote.
    QuotedIndentation { line: u32, column: usize },
    /// A `#` right after a token (`"value"#note`, `[a]#note`, `>#note`) at `line` (1-based, in
    /// the document's text) and `column` (0-based).
    CommentWithoutSpace { line: u32, column: usize },
    /// A budget or limit of this module (depth, tree size, aliases).
    Limit,
    /// The YAML scanner had to read more than [`MAX_TOKENS_AHEAD`] tokens ahead.
    Overrun,
}

impl Fail {
    fn limit(line: u32, reason: String) -> Fail {
        Fail { error: YamlError { line, reason }, kind: FailKind::Limit }
    }
}

/// Parses a document, accepting two things that kubectl (go-yaml) and libyaml accept but saphyr
/// refuses:
///
/// - a flow collection closed (`]` or `}`) at the indentation of its key, as in
///
///   ```yaml
///     args: [
///         "-a", "b",
///     ]
///   ```
///
///   When the error points at such a closing line, that line is indented one more column.
/// - a comment that follows a token without a space (`key: "value"#note`): libyaml reads it as a
///   comment; a space is put before the `#`.
/// - a multi-line quoted scalar whose continuation lines sit at or left of its key's column, as
///   in a long annotation written `  note: 'first part` / `second part'`. libyaml does not look at
///   the indentation inside quoted scalars at all; the continuation lines of the scalar are
///   indented to the column of its opening quote. Leading blanks of a continuation line are
///   folded away inside a quoted scalar, so this changes no value.
///
/// The document is then parsed again. Line numbers are unchanged. Lines in the result are lines
/// of the file (`shift` is the number of lines before the document).
fn parse_lenient(text: &str, shift: u32, budget: &mut FileBudget) -> Result<Option<Document>, YamlError> {
    let mut owned: Option<String> = None;
    let start = *budget;
    for attempt in 0..=16 {
        let current = owned.as_deref().unwrap_or(text);
        let retry = attempt < 16 && text.len() <= LENIENT_RETRY_MAX_BYTES;
        match parse_one(current, shift, budget) {
            Err(Fail { error, kind: FailKind::Syntax { indentation: true } }) if retry => {
                let Some(fixed) = indent_closing_line(current, error.line.saturating_sub(shift)) else {
                    return Err(error);
                };
                owned = Some(fixed);
                // The failed attempt's alias copies are not spent.
                *budget = start;
            }
            Err(Fail { error, kind: FailKind::QuotedIndentation { line, column } }) => {
                let fixed = if retry { indent_quoted_scalar(current, line, column) } else { None };
                let Some(fixed) = fixed else { return Err(error) };
                owned = Some(fixed);
                *budget = start;
            }
            Err(Fail { error, kind: FailKind::CommentWithoutSpace { line, column } }) => {
                let fixed = if retry { space_before_comment(current, line, column) } else { None };
                let Some(fixed) = fixed else { return Err(error) };
                owned = Some(fixed);
                *budget = start;
            }
            other => return other.map_err(|f| f.error),
        }
    }
    unreachable!("the last attempt returns")
}

/// The text with a space put before the `#` at `line` (1-based) and `column` (0-based, in
/// characters), or `None` when there is no `#` there.
fn space_before_comment(text: &str, line: u32, column: usize) -> Option<String> {
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    let line_start: usize = text.split_inclusive('\n').take(idx).map(str::len).sum();
    let (at, c) = text.get(line_start..)?.char_indices().nth(column)?;
    if c != '#' {
        return None;
    }
    let at = line_start + at;
    let mut out = String::with_capacity(text.len() + 1);
    out.push_str(&text[..at]);
    out.push(' ');
    out.push_str(&text[at..]);
    Some(out)
}

/// The text with the continuation lines of the quoted scalar that opens at `line` (1-based) and
/// `column` (0-based, in characters) indented to at least `column + 1` columns, or `None` when
/// no quote opens there, the scalar is not closed, or no line needed it.
fn indent_quoted_scalar(text: &str, line: u32, column: usize) -> Option<String> {
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    let line_start: usize = text.split_inclusive('\n').take(idx).map(str::len).sum();
    let rest = text.get(line_start..)?;
    let (quote_at, quote) = rest.char_indices().nth(column)?;
    if quote != '\'' && quote != '"' {
        return None;
    }
    // Find the closing quote: `''` is a quote inside a single-quoted scalar, `\` escapes the next
    // character inside a double-quoted one.
    let body = &rest[quote_at + 1..];
    let bytes = body.as_bytes();
    let mut i = 0;
    let end = loop {
        match bytes.get(i)? {
            b'\'' if quote == '\'' => {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                break i;
            }
            b'"' if quote == '"' => break i,
            b'\\' if quote == '"' => i += 2,
            _ => i += 1,
        }
    };
    let scalar_end = line_start + quote_at + 1 + end;
    let want = column + 1;
    let mut out = String::with_capacity(text.len() + 64);
    let mut offset = 0usize;
    let mut changed = false;
    for l in text.split_inclusive('\n') {
        let inside = offset > line_start && offset <= scalar_end;
        if inside {
            let blanks = l.bytes().take_while(|&b| b == b' ').count();
            if blanks < want {
                out.extend(std::iter::repeat_n(' ', want - blanks));
                changed = true;
            }
        }
        out.push_str(l);
        offset += l.len();
    }
    changed.then_some(out)
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

/// The top-level `kind:` of a block-style mapping and its line, when it is not wanted and that
/// can be told without parsing: every line that starts in column 0 is a comment, a sequence entry
/// or a plain `key:` with an identifier key, and exactly one of them is `kind:` with an identifier
/// value. Anything else (a quoted, complex, anchored or merged key, a flow collection, a second
/// `kind:`, a line of a multi-line scalar in column 0) is left to the full parser, so that the
/// kind the API server would read is never mistaken for another. A wanted kind is parsed anyway,
/// so the lines after it are only looked at for an unwanted one.
fn unwanted_kind<'t>(text: &'t str, wanted: &dyn Fn(&str) -> bool) -> Option<(&'t str, u32)> {
    let mut found: Option<(&str, u32)> = None;
    let mut rest = text;
    let mut n = 0u32;
    while !rest.is_empty() {
        n += 1;
        let line = match rest.find('\n') {
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                line
            }
            None => std::mem::take(&mut rest),
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(&first) = line.as_bytes().first() else { continue };
        if matches!(first, b' ' | b'#') || line == "-" || line.starts_with("- ") {
            continue;
        }
        let key_len = line.bytes().take_while(|&b| is_plain_key_byte(b)).count();
        let rest = &line[key_len..];
        if key_len == 0 || !(rest == ":" || rest.starts_with(": ") || rest.starts_with(":\t")) {
            return None;
        }
        if &line[..key_len] != "kind" {
            continue;
        }
        if found.is_some() {
            return None;
        }
        let v = rest[1..].split(" #").next().unwrap_or("").trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        let v = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(v);
        // A kind is an identifier; anything else (a flow collection, a template, a value on the
        // next line) is left to the full parser.
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric()) || wanted(v) {
            return None;
        }
        found = Some((v, n));
    }
    // A lone carriage return is a line break to YAML, not to the lines above.
    let lone_carriage_return = || text.split('\r').skip(1).any(|after| !after.starts_with('\n'));
    found.filter(|_| !(text.contains('\r') && lone_carriage_return()))
}

fn is_plain_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/')
}

/// Runs the parser over a document without building it.
fn check_syntax(text: &str, shift: u32) -> Result<(), YamlError> {
    let fetched = Cell::new(0);
    let overrun = Cell::new(false);
    let mut parser = Parser::new(Bounded::new(text, &fetched, &overrun));
    let mut line = 1 + shift;
    loop {
        fetched.set(0);
        match parser.next_event() {
            None => return Ok(()),
            Some(_) if overrun.get() => return Err(overrun_error(line)),
            Some(Ok((_, span))) => line = line_of(span.start) + shift,
            Some(Err(e)) => return Err(scan_error(&e, shift).error),
        }
    }
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
        if is_start && only_directives(&text[start..offset]) {
            // `%YAML` / `%TAG` directives belong to the document that the marker starts: keep
            // them, and the marker, in one chunk.
        } else if is_start || is_end {
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

/// Whether `text` holds directives (`%` lines), and besides them only blank and comment lines.
fn only_directives(text: &str) -> bool {
    let mut any = false;
    for line in text.lines() {
        let line = line.trim_start_matches('\u{feff}');
        if line.starts_with('%') {
            any = true;
        } else if !(line.trim().is_empty() || line.trim_start().starts_with('#')) {
            return false;
        }
    }
    any
}

/// Whether a chunk that starts with directives has nothing but them, its `---` marker, blank
/// lines and comments: an empty document.
fn is_empty_with_directives(text: &str) -> bool {
    text.lines().all(|line| {
        let bare = line.trim();
        bare.is_empty() || bare.starts_with('#') || line.starts_with('%') || line.trim_end() == "---"
    })
}

/// Parses one document (the text between two markers). `Ok(None)` for an empty document.
fn parse_one(text: &str, shift: u32, budget: &mut FileBudget) -> Result<Option<Document>, Fail> {
    if text.trim().is_empty() || (text.starts_with('%') && is_empty_with_directives(text)) {
        return Ok(None);
    }
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if body.starts_with(['{', '[']) {
        match parse_json(text, shift, budget) {
            Ok(doc) => return Ok(Some(doc)),
            Err(fail) if fail.kind == FailKind::Limit => return Err(fail),
            Err(json) => {
                // Not strict JSON (comments, unquoted strings, a trailing comma…): it may still be
                // YAML. If the YAML scanner gives up on it, the JSON error is the useful one.
                return match parse_yaml(text, shift, budget) {
                    Err(f) if f.kind == FailKind::Overrun => Err(json),
                    other => other,
                };
            }
        }
    }
    parse_yaml(text, shift, budget)
}

fn line_of(mark: Marker) -> u32 {
    u32::try_from(mark.line()).unwrap_or(u32::MAX)
}

fn column_of(mark: Marker) -> usize {
    mark.col() + 1
}

fn overrun_error(line: u32) -> YamlError {
    YamlError {
        line,
        reason: format!(
            "more than {MAX_TOKENS_AHEAD} tokens to read ahead at once (a very long YAML flow collection `[…]` or `{{…}}`?); write it in block style or as strict JSON"
        ),
    }
}

/// Messages of saphyr-parser 0.3 that are relayed as they are: fixed texts that never contain
/// input. Any other message (a future version's, or one built with input in it) is replaced by
/// a fixed wording, so that nothing of the input reaches a diagnostic through the parser.
const SAPHYR_MESSAGES: &[&str] = &[
    "\"-\" is only valid inside a block",
    "'-' must be followed by a valid YAML whitespace",
    "':' may not precede any of `[{` in flow mapping",
    "':' must be followed by a valid YAML whitespace",
    "a block scalar content cannot start with a tab",
    "a byte order mark must not appear inside a document",
    "block sequence entries are not allowed in this context",
    "comment intercepting the multiline text",
    "comments must be separated from other tokens by whitespace",
    "did not find expected <document start>",
    "did not find expected <document-start>",
    "did not find expected <stream-start>",
    "did not find expected next token",
    "duplicate version directive",
    "expected whitespace",
    "found unprintable character",
    "illegal placement of ':' indicator",
    "invalid content after document end marker",
    "invalid global tag character",
    "invalid indentation",
    "invalid indentation for anchor",
    "invalid indentation in flow construct",
    "invalid indentation in quoted scalar",
    "invalid trailing content after double-quoted scalar",
    "mapping keys are not allowed in this context",
    "mapping values are not allowed in this context",
    "misplaced bracket",
    "missing explicit document end marker before directive",
    "plain scalar cannot start with '-' followed by ,[]{}",
    "recursion limit exceeded",
    "simple key expect ':'",
    "simple key expected",
    "tab cannot be used as indentation",
    "tabs disallowed in this context",
    "tabs disallowed within this context (block indentation)",
    "the TAG directive must only be given at most once per handle in the same document",
    "the handle wasn't declared",
    "unexpected end of plain scalar",
    "unexpected eof",
    "while parsing a block collection, did not find expected '-' indicator",
    "while parsing a block mapping, did not find expected key",
    "while parsing a flow mapping, did not find expected ',' or '}'",
    "while parsing a flow sequence, expected ',' or ']'",
    "while parsing a node, did not find expected node content",
    "while parsing a quoted scalar, did not find expected hexadecimal number",
    "while parsing a quoted scalar, found invalid Unicode character escape code",
    "while parsing a quoted scalar, found unknown escape character",
    "while parsing a tag directive, did not find expected '!'",
    "while parsing a tag, did not find expected tag URI",
    "while parsing a tag, found an incorrect leading UTF-8 byte",
    "while parsing a tag, found an incorrect trailing UTF-8 byte",
    "while parsing a tag, found an invalid UTF-8 codepoint",
    "while parsing a tag, found an invalid escape sequence",
    "while parsing node, found unknown anchor",
    "while scanning TAG, did not find expected whitespace or line break",
    "while scanning a YAML directive, did not find expected digit or '.' character",
    "while scanning a YAML directive, did not find expected version number",
    "while scanning a YAML directive, found extremely long version number",
    "while scanning a block scalar, did not find expected comment or line break",
    "while scanning a block scalar, found an indentation indicator equal to 0",
    "while scanning a directive, could not find expected directive name",
    "while scanning a directive, did not find expected comment or line break",
    "while scanning a directive, found unexpected non-alphabetical character",
    "while scanning a plain scalar, found a tab",
    "while scanning a quoted scalar, found unexpected document indicator",
    "while scanning a quoted scalar, found unexpected end of stream",
    "while scanning a tag, did not find expected '!'",
    "while scanning a tag, did not find expected whitespace or line break",
    "while scanning a verbatim tag, did not find the expected '>'",
    "while scanning an anchor or alias, did not find expected alphabetic or numeric character",
    "wrongly indented line in block scalar",
];

/// saphyr's message for `info`, or a fixed wording when it is not one of the known fixed texts.
fn scanner_message(info: &str) -> &'static str {
    if let Some(known) = SAPHYR_MESSAGES.iter().find(|m| **m == info) {
        return known;
    }
    if info.starts_with("unexpected character") {
        // saphyr quotes the character here; the set is small and fixed.
        return "unexpected character: '%', '@' and '`' cannot start a plain scalar";
    }
    "syntax error"
}

fn scan_error(e: &ScanError, shift: u32) -> Fail {
    let mark = *e.marker();
    let message = scanner_message(e.info());
    Fail {
        error: YamlError {
            line: line_of(mark).saturating_add(shift),
            reason: format!("{message} (column {})", column_of(mark)),
        },
        kind: if message == "invalid indentation in quoted scalar" {
            FailKind::QuotedIndentation { line: line_of(mark), column: mark.col() }
        } else if message == "comments must be separated from other tokens by whitespace" {
            FailKind::CommentWithoutSpace { line: line_of(mark), column: mark.col() }
        } else {
            FailKind::Syntax { indentation: message.contains("indentation") }
        },
    }
}

/// Parses one YAML document with saphyr.
fn parse_yaml(text: &str, shift: u32, budget: &mut FileBudget) -> Result<Option<Document>, Fail> {
    let fetched = Cell::new(0);
    let overrun = Cell::new(false);
    let mut parser = Parser::new(Bounded::new(text, &fetched, &overrun));
    let mut builder = Builder::new(text.len(), budget);
    let mut documents = 0usize;
    let mut line = 1 + shift;
    // The counter of tokens read ahead starts again for each event.
    loop {
        // The count of tokens read ahead starts again for each event. (The event is matched
        // right where it is returned: binding the `Option` first costs a copy of every event.)
        fetched.set(0);
        let (event, span) = match parser.next_event() {
            None => break,
            Some(_) if overrun.get() => {
                return Err(Fail { error: overrun_error(line), kind: FailKind::Overrun });
            }
            Some(Ok(pair)) => pair,
            Some(Err(e)) => return Err(scan_error(&e, shift)),
        };
        line = line_of(span.start).saturating_add(shift);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Fail {
                        error: YamlError { line, reason: "unexpected second document".into() },
                        kind: FailKind::Syntax { indentation: false },
                    });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.as_ref().map(|t| t.suffix.as_str());
                // `<<` is a merge key only when plain (or tagged `!!merge`): `"<<"` is a key.
                let merge = &*text == "<<" && style == ScalarStyle::Plain && tag.is_none_or(|t| t == "merge");
                if anchor == 0
                    && builder.wants_key()
                    && (style != ScalarStyle::Plain || (tag.is_none() && is_plain_text(&text)))
                {
                    // Most keys are text: no need to type them first.
                    builder.key(line, text.into_owned(), merge)?;
                } else {
                    builder.scalar(line, scalar(text, style, tag), anchor, merge)?;
                }
            }
            Event::Alias(id) => builder.alias(line, id)?,
            Event::SequenceStart(anchor, _) => builder.start(line, anchor, false)?,
            Event::MappingStart(anchor, _) => builder.start(line, anchor, true)?,
            Event::SequenceEnd | Event::MappingEnd => builder.end(line)?,
        }
    }
    Ok(builder.finish())
}

/// saphyr's input, reading a `&str` like saphyr's own [`StrInput`] (every call is passed on to
/// one), which counts the tokens the scanner fetches while the caller waits for one event. saphyr
/// asks for four characters of look-ahead exactly once per token it fetches (and once per line or
/// word of a long scalar); when that happens more than [`MAX_TOKENS_AHEAD`] times for one event,
/// the input pretends to end, so that the scanner stops, and raises `overrun`, so that the caller
/// refuses the document instead of reading the truncated events.
struct Bounded<'a> {
    inner: StrInput<'a>,
    fetched: &'a Cell<u32>,
    overrun: &'a Cell<bool>,
}

impl<'a> Bounded<'a> {
    fn new(text: &'a str, fetched: &'a Cell<u32>, overrun: &'a Cell<bool>) -> Self {
        Bounded { inner: StrInput::new(text), fetched, overrun }
    }
}

impl Input for Bounded<'_> {
    #[inline(always)]
    fn lookahead(&mut self, count: usize) {
        if count == 4 {
            let fetched = self.fetched.get().saturating_add(1);
            self.fetched.set(fetched);
            if fetched > MAX_TOKENS_AHEAD && !self.overrun.get() {
                self.overrun.set(true);
                let buffered = self.inner.buflen();
                self.inner = StrInput::new("");
                self.inner.lookahead(buffered);
            }
        }
        self.inner.lookahead(count);
    }
    #[inline(always)]
    fn buflen(&self) -> usize {
        self.inner.buflen()
    }
    #[inline(always)]
    fn bufmaxlen(&self) -> usize {
        self.inner.bufmaxlen()
    }
    #[inline(always)]
    fn buf_is_empty(&self) -> bool {
        self.inner.buf_is_empty()
    }
    #[inline(always)]
    fn raw_read_ch(&mut self) -> char {
        self.inner.raw_read_ch()
    }
    #[inline(always)]
    fn raw_read_non_breakz_ch(&mut self) -> Option<char> {
        self.inner.raw_read_non_breakz_ch()
    }
    #[inline(always)]
    fn skip(&mut self) {
        self.inner.skip();
    }
    #[inline(always)]
    fn skip_n(&mut self, count: usize) {
        self.inner.skip_n(count);
    }
    #[inline(always)]
    fn peek(&self) -> char {
        self.inner.peek()
    }
    #[inline(always)]
    fn peek_nth(&self, n: usize) -> char {
        self.inner.peek_nth(n)
    }
    #[inline(always)]
    fn peek_opt(&self) -> Option<char> {
        self.inner.peek_opt()
    }
    #[inline(always)]
    fn look_ch(&mut self) -> char {
        self.inner.look_ch()
    }
    #[inline(always)]
    fn next_char_is(&self, c: char) -> bool {
        self.inner.next_char_is(c)
    }
    #[inline(always)]
    fn nth_char_is(&self, n: usize, c: char) -> bool {
        self.inner.nth_char_is(n, c)
    }
    #[inline(always)]
    fn next_2_are(&self, c1: char, c2: char) -> bool {
        self.inner.next_2_are(c1, c2)
    }
    #[inline(always)]
    fn next_3_are(&self, c1: char, c2: char, c3: char) -> bool {
        self.inner.next_3_are(c1, c2, c3)
    }
    #[inline(always)]
    fn next_is_document_indicator(&self) -> bool {
        self.inner.next_is_document_indicator()
    }
    #[inline(always)]
    fn next_is_document_start(&self) -> bool {
        self.inner.next_is_document_start()
    }
    #[inline(always)]
    fn next_is_document_end(&self) -> bool {
        self.inner.next_is_document_end()
    }
    #[inline(always)]
    fn skip_ws_to_eol(&mut self, skip_tabs: SkipTabs) -> (usize, Result<SkipTabs, &'static str>) {
        self.inner.skip_ws_to_eol(skip_tabs)
    }
    #[inline(always)]
    fn next_can_be_plain_scalar(&self, in_flow: bool) -> bool {
        self.inner.next_can_be_plain_scalar(in_flow)
    }
    #[inline(always)]
    fn next_is_blank_or_break(&self) -> bool {
        self.inner.next_is_blank_or_break()
    }
    #[inline(always)]
    fn next_is_blank_or_breakz(&self) -> bool {
        self.inner.next_is_blank_or_breakz()
    }
    #[inline(always)]
    fn next_is_blank(&self) -> bool {
        self.inner.next_is_blank()
    }
    #[inline(always)]
    fn next_is_break(&self) -> bool {
        self.inner.next_is_break()
    }
    #[inline(always)]
    fn next_is_breakz(&self) -> bool {
        self.inner.next_is_breakz()
    }
    #[inline(always)]
    fn next_is_z(&self) -> bool {
        self.inner.next_is_z()
    }
    #[inline(always)]
    fn next_is_flow(&self) -> bool {
        self.inner.next_is_flow()
    }
    #[inline(always)]
    fn next_is_digit(&self) -> bool {
        self.inner.next_is_digit()
    }
    #[inline(always)]
    fn next_is_alpha(&self) -> bool {
        self.inner.next_is_alpha()
    }
    #[inline(always)]
    fn skip_while_non_breakz(&mut self) -> usize {
        self.inner.skip_while_non_breakz()
    }
    #[inline(always)]
    fn skip_while_blank(&mut self) -> usize {
        self.inner.skip_while_blank()
    }
    #[inline(always)]
    fn fetch_while_is_alpha(&mut self, out: &mut String) -> usize {
        self.inner.fetch_while_is_alpha(out)
    }
    #[inline(always)]
    fn fetch_while_is_yaml_non_space(&mut self, out: &mut String) -> usize {
        self.inner.fetch_while_is_yaml_non_space(out)
    }
}

// --- the tree builder ------------------------------------------------------------------------

const NODE_BYTES: usize = size_of::<Node>();
const ENTRY_BYTES: usize = size_of::<(String, Node)>();
/// What an allocator adds to each heap block, roughly (rounding to its size classes).
const BLOCK_OVERHEAD: usize = 16;
/// Charged per anchor for saphyr's own table of anchor names.
const ANCHOR_BYTES: usize = 64;
/// Charged per key of the hash index of a large mapping.
const INDEX_BYTES: usize = 16;
/// Documents larger than this keep their strings at their size (see [`Builder::own`]).
const SHRINK_FROM: usize = 1 << 20;
/// Mappings with more keys than this look keys up through a hash index.
const INDEX_FROM: usize = 16;

fn heap_bytes(len: usize) -> usize {
    if len == 0 { 0 } else { len + BLOCK_OVERHEAD }
}

/// The bytes a tree holds on the heap beyond its root node, and the number of its nodes.
fn tree_size(node: &Node) -> (usize, usize) {
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
fn same_value(a: &Node, b: &Node) -> bool {
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
fn key_name(key: &str) -> Option<&str> {
    (!key.is_empty() && key.len() <= 64 && key.bytes().all(is_plain_key_byte)).then_some(key)
}

/// A hasher that passes on a `u64` that is already a hash.
#[derive(Default)]
struct Prehashed(u64);

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
struct KeyIndex {
    hasher: RandomState,
    first: HashMap<u64, usize, BuildHasherDefault<Prehashed>>,
}

struct Key {
    text: String,
    line: u32,
    /// A plain `<<`.
    merge: bool,
    /// A sequence or mapping used as a key (kept, never deduplicated).
    complex: bool,
}

/// An open mapping.
struct MapFrame {
    line: u32,
    anchor: usize,
    entries: Vec<(String, Node)>,
    /// The key waiting for its value.
    key: Option<Key>,
    /// Merge keys seen so far in this mapping.
    merges: u32,
    /// Once the mapping has a merge key: for each entry, 0 when the mapping sets the key itself,
    /// else the merge key (1, 2, …) that brought it.
    origins: Vec<u32>,
    /// For mappings with many keys.
    index: Option<Box<KeyIndex>>,
}

enum Frame {
    Seq { line: u32, anchor: usize, items: Vec<Node> },
    Map(MapFrame),
}

/// The memory a tree may still take.
struct Meter {
    bytes: usize,
    limit: usize,
}

impl Meter {
    #[inline]
    fn charge(&mut self, bytes: usize, line: u32) -> Result<(), Fail> {
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > self.limit { Err(self.over(line)) } else { Ok(()) }
    }

    #[cold]
    fn over(&self, line: u32) -> Fail {
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
    fn room<T>(&mut self, v: &mut Vec<T>, line: u32) -> Result<(), Fail> {
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
struct Builder<'b> {
    frames: Vec<Frame>,
    anchors: Vec<Option<Node>>,
    root: Option<Node>,
    meter: Meter,
    /// Whether strings are copied to their size (in large documents).
    shrink: bool,
    alias_nodes: usize,
    file: &'b mut FileBudget,
    warnings: Vec<YamlWarning>,
}

impl<'b> Builder<'b> {
    fn new(text_len: usize, file: &'b mut FileBudget) -> Self {
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

    fn start(&mut self, line: u32, anchor: usize, map: bool) -> Result<(), Fail> {
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

    fn end(&mut self, line: u32) -> Result<(), Fail> {
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

    fn scalar(&mut self, line: u32, mut value: Value, anchor: usize, merge: bool) -> Result<(), Fail> {
        if let Value::Str(s) = &mut value {
            self.own(s, line)?;
        }
        self.place(Node { line, value }, anchor, merge)
    }

    /// Charges a string of the tree. saphyr hands out strings with room for 128 bytes or more
    /// whatever their length; in a large document they are copied to their size, so that a
    /// document of many short scalars does not take ten times its text.
    #[inline]
    fn own(&mut self, s: &mut String, line: u32) -> Result<(), Fail> {
        if self.shrink && s.capacity() > s.len() + BLOCK_OVERHEAD {
            *s = s.as_str().to_owned();
        }
        self.meter.charge(heap_bytes(s.capacity()), line)
    }

    fn alias(&mut self, line: u32, id: usize) -> Result<(), Fail> {
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
    fn place(&mut self, node: Node, anchor: usize, merge: bool) -> Result<(), Fail> {
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
    fn wants_key(&self) -> bool {
        matches!(self.frames.last(), Some(Frame::Map(MapFrame { key: None, .. })))
    }

    /// The next key of the innermost mapping, as text ([`Builder::wants_key`] holds).
    #[inline]
    fn key(&mut self, line: u32, mut text: String, merge: bool) -> Result<(), Fail> {
        self.own(&mut text, line)?;
        if let Some(Frame::Map(map)) = self.frames.last_mut() {
            map.key = Some(Key { text, line, merge, complex: false });
        }
        Ok(())
    }

    /// Keeps a copy of an anchored node for its aliases.
    #[cold]
    fn anchor(&mut self, anchor: usize, node: &Node) -> Result<(), Fail> {
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

    fn finish(self) -> Option<Document> {
        let warnings = self.warnings;
        self.root.map(|node| Document { node, warnings })
    }
}

impl MapFrame {
    fn origin(&self, i: usize) -> u32 {
        self.origins.get(i).copied().unwrap_or(0)
    }

    /// Index in `entries` of `key`.
    fn find(&self, key: &str) -> Option<usize> {
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

    fn push(
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
fn merge_into(
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

fn key_text(node: Node) -> String {
    match node.value {
        Value::Str(s) => s,
        Value::Null => String::new(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".to_owned(),
        _ => node.string().unwrap_or_default(),
    }
}

// --- JSON ------------------------------------------------------------------------------------

/// Reads a strict JSON document (RFC 8259) into the same tree saphyr would give for it, without
/// saphyr's look-ahead: memory is the tree and a stack of open collections. A syntax error comes
/// back as [`FailKind::Syntax`] (the text may still be YAML), a budget as [`FailKind::Limit`].
fn parse_json(text: &str, shift: u32, budget: &mut FileBudget) -> Result<Document, Fail> {
    let mut json = Json { text, bytes: text.as_bytes(), pos: 0, line: 1, line_start: 0, shift };
    let mut builder = Builder::new(text.len(), budget);
    // For each open collection, whether it is an object.
    let mut open: Vec<bool> = Vec::new();
    if text.starts_with('\u{feff}') {
        json.pos = 3;
        json.line_start = 3;
    }
    let mut want = Want::Value;
    loop {
        json.skip_whitespace();
        let line = json.line + shift;
        let c = json.bytes.get(json.pos).copied();
        want = match (want, c) {
            (Want::End, None) => break,
            (Want::End, Some(_)) => return Err(json.error("unexpected content after the JSON value")),
            (_, None) => return Err(json.error("unexpected end of the JSON text")),
            (Want::ValueOrClose, Some(b']')) | (Want::KeyOrClose, Some(b'}')) => {
                json.pos += 1;
                open.pop();
                builder.end(line)?;
                after_value(&open)
            }
            (Want::CommaOrClose, Some(b',')) => {
                json.pos += 1;
                if open.last() == Some(&true) { Want::Key } else { Want::Value }
            }
            (Want::CommaOrClose, Some(close @ (b']' | b'}'))) => {
                if (close == b'}') != (open.last() == Some(&true)) {
                    return Err(json.error(if close == b'}' {
                        "expected ',' or ']'"
                    } else {
                        "expected ',' or '}'"
                    }));
                }
                json.pos += 1;
                open.pop();
                builder.end(line)?;
                after_value(&open)
            }
            (Want::CommaOrClose, Some(_)) => {
                return Err(json.error(if open.last() == Some(&true) {
                    "expected ',' or '}'"
                } else {
                    "expected ',' or ']'"
                }));
            }
            (Want::Key | Want::KeyOrClose, Some(b'"')) => {
                let key = json.string()?;
                builder.key(line, key, false)?;
                Want::Colon
            }
            (Want::Key | Want::KeyOrClose, Some(_)) => return Err(json.error("expected a string key")),
            (Want::Colon, Some(b':')) => {
                json.pos += 1;
                Want::Value
            }
            (Want::Colon, Some(_)) => return Err(json.error("expected ':'")),
            (Want::Value | Want::ValueOrClose, Some(b'{')) => {
                json.pos += 1;
                builder.start(line, 0, true)?;
                open.push(true);
                Want::KeyOrClose
            }
            (Want::Value | Want::ValueOrClose, Some(b'[')) => {
                json.pos += 1;
                builder.start(line, 0, false)?;
                open.push(false);
                Want::ValueOrClose
            }
            (Want::Value | Want::ValueOrClose, Some(b'"')) => {
                let s = json.string()?;
                builder.scalar(line, Value::Str(s), 0, false)?;
                after_value(&open)
            }
            (Want::Value | Want::ValueOrClose, Some(_)) => {
                let token = json.bare_token()?;
                builder.scalar(line, scalar(Cow::Borrowed(token), ScalarStyle::Plain, None), 0, false)?;
                after_value(&open)
            }
        };
    }
    builder.finish().ok_or_else(|| json.error("expected a value"))
}

/// What the JSON reader expects next.
#[derive(Clone, Copy)]
enum Want {
    Value,
    /// A value or `]` (just after `[`).
    ValueOrClose,
    /// A key or `}` (just after `{`).
    KeyOrClose,
    Key,
    Colon,
    CommaOrClose,
    /// Nothing but whitespace.
    End,
}

fn after_value(open: &[bool]) -> Want {
    if open.is_empty() { Want::End } else { Want::CommaOrClose }
}

struct Json<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// Line (1-based, in the document) of `pos`, and where that line starts.
    line: u32,
    line_start: usize,
    shift: u32,
}

impl<'t> Json<'t> {
    /// Skips JSON whitespace, counting lines as YAML does (`\r\n` and a lone `\r` are one break).
    fn skip_whitespace(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.new_line();
                }
                b'\r' => {
                    self.pos += 1;
                    if self.bytes.get(self.pos) != Some(&b'\n') {
                        self.new_line();
                    }
                }
                _ => break,
            }
        }
    }

    fn new_line(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    fn error(&self, what: &str) -> Fail {
        let column = self.text.get(self.line_start..self.pos).map_or(1, |s| s.chars().count() + 1);
        Fail {
            error: YamlError { line: self.line + self.shift, reason: format!("{what} (column {column})") },
            kind: FailKind::Syntax { indentation: false },
        }
    }

    /// A number, `true`, `false` or `null`.
    fn bare_token(&mut self) -> Result<&'t str, Fail> {
        let start = self.pos;
        let mut end = start;
        while self
            .bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            end += 1;
        }
        let token = &self.text[start..end];
        if matches!(token, "true" | "false" | "null") || is_json_number(token.as_bytes()) {
            self.pos = end;
            Ok(token)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// A string, `pos` at its opening quote.
    fn string(&mut self) -> Result<String, Fail> {
        let bytes = self.bytes;
        let start = self.pos + 1;
        let mut i = start;
        // Most strings have no escapes: one copy.
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(self.text[start..i].to_owned());
                }
                b'\\' => break,
                0..=0x1f => {
                    self.pos = i;
                    return Err(self.error("control character in a string"));
                }
                _ => i += 1,
            }
        }
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(&self.text[start..i]);
        loop {
            match bytes.get(i) {
                None => {
                    self.pos = i;
                    return Err(self.error("unterminated string"));
                }
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let escape = bytes.get(i + 1).copied();
                    self.pos = i;
                    i += 2;
                    let c = match escape {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let high =
                                hex4(bytes, i).ok_or_else(|| self.error("invalid \\u escape in a string"))?;
                            i += 4;
                            let code = if (0xd800..0xdc00).contains(&high) {
                                let low = (bytes.get(i) == Some(&b'\\') && bytes.get(i + 1) == Some(&b'u'))
                                    .then(|| hex4(bytes, i + 2))
                                    .flatten()
                                    .filter(|low| (0xdc00..0xe000).contains(low))
                                    .ok_or_else(|| self.error("invalid \\u escape in a string"))?;
                                i += 6;
                                0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                            } else {
                                high
                            };
                            char::from_u32(code)
                                .ok_or_else(|| self.error("invalid \\u escape in a string"))?
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    out.push(c);
                }
                Some(0..=0x1f) => {
                    self.pos = i;
                    return Err(self.error("control character in a string"));
                }
                Some(_) => {
                    let run = i;
                    while bytes.get(i).is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20) {
                        i += 1;
                    }
                    out.push_str(&self.text[run..i]);
                }
            }
        }
    }
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |acc, &b| Some(acc * 16 + char::from(b).to_digit(16)?))
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
fn is_json_number(t: &[u8]) -> bool {
    let digits = |mut i: usize| {
        while t.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = usize::from(t.first() == Some(&b'-'));
    match t.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        _ => return false,
    }
    if t.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return false;
        }
        i = end;
    }
    if matches!(t.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return false;
        }
        i = end;
    }
    i == t.len()
}

// --- scalars ---------------------------------------------------------------------------------

/// Whether [`scalar`] types an untagged plain scalar as the string it is.
fn is_plain_text(text: &str) -> bool {
    match text.as_bytes().first() {
        None | Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'~') => false,
        Some(b'n' | b'N' | b't' | b'T' | b'f' | b'F') => {
            !matches!(text, "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
        }
        Some(_) => true,
    }
}

fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&str>) -> Value {
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
    fn quoted_scalar_continued_left_of_its_key_is_read_as_libyaml_reads_it() {
        // Continuation lines at the key's column and left of it: libyaml and go-yaml (kubectl)
        // accept them and fold the line breaks into spaces; saphyr alone refuses them.
        let text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    note: 'runs once,\n    before the rollout;\n  it''s safe\nto retry'\n    other: \"a\n  b\\\n  c\"\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n";
        let docs = parse_documents(text);
        assert_eq!(docs.len(), 1);
        let job = docs[0].as_ref().expect("the Job is read");
        assert_eq!(job.field("kind").as_str().unwrap(), "Job");
        let note = job.at(&["metadata", "annotations", "note"]).unwrap();
        assert_eq!(note.value, Value::Str("runs once, before the rollout; it's safe to retry".into()));
        assert_eq!(note.line, 6);
        let other = job.at(&["metadata", "annotations", "other"]).unwrap();
        assert_eq!(other.value, Value::Str("a bc".into()));
        assert_eq!(other.line, 10);
        let policy = job.at(&["spec", "template", "spec", "restartPolicy"]).unwrap();
        assert_eq!(policy.line, 16);
        assert_eq!(policy.as_str().unwrap(), "Never");
    }

    #[test]
    fn directives_belong_to_the_document_they_precede() {
        // `%YAML` / `%TAG` lines before `---`: libyaml reads the document, and so do we.
        let text = "%YAML 1.2\n---\nkind: Pod\n...\n%TAG !e! tag:example.com,2000:\n--- !e!x\nname: y\n---\n%YAML 1.1\n---\n";
        let docs = parse_documents(text);
        assert_eq!(docs.len(), 2, "{docs:?}");
        let pod = docs[0].as_ref().unwrap();
        assert_eq!(pod.field("kind").as_str().unwrap(), "Pod");
        assert_eq!(pod.field("kind").line, 3);
        let second = docs[1].as_ref().unwrap();
        assert_eq!(second.field("name").as_str().unwrap(), "y");
        assert_eq!(second.field("name").line, 7);
    }

    #[test]
    fn the_non_specific_tag_makes_a_string() {
        let doc = parse_documents("- 12\n- ! 12\n- !!str true\n").remove(0).unwrap();
        let values: Vec<&Value> = doc.items().iter().map(|n| &n.value).collect();
        assert_eq!(values, [&Value::Int(12), &Value::Str("12".into()), &Value::Str("true".into())]);
    }

    #[test]
    fn a_comment_right_after_a_token_is_a_comment() {
        // libyaml and go-yaml read `"value"#note` as the value and a comment.
        let text = "metadata:\n  name: \"web\"#the name\n  labels: {app: web}#labels\nspec:\n  script: >#folded\n    run it\n";
        let doc = parse_documents(text).remove(0).expect("read as libyaml reads it");
        assert_eq!(doc.at(&["metadata", "name"]).unwrap().value, Value::Str("web".into()));
        assert_eq!(doc.at(&["metadata", "labels", "app"]).unwrap().line, 3);
        assert_eq!(doc.at(&["spec", "script"]).unwrap().value, Value::Str("run it\n".into()));
        assert_eq!(doc.field("spec").line, 5);
    }

    #[test]
    fn an_unwanted_kind_with_a_template_gets_the_lenient_reading_too() {
        // A document of a kind no probe reads, with `{{` in it, is checked, not built; the check
        // accepts what the full reading accepts.
        let text = "kind: HorizontalPodAutoscaler\nmetadata:\n  annotations:\n    note: '{{ not a template }}\n  continued'\n";
        let docs = parse_documents_keeping(text, |k| k == "Pod");
        assert_eq!(docs.len(), 1);
        assert_eq!(
            docs[0].as_ref().expect("accepted").field("kind").as_str().unwrap(),
            "HorizontalPodAutoscaler"
        );
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

    // --- merge keys -------------------------------------------------------------------------

    fn doc(text: &str) -> Document {
        let mut docs: Vec<_> = documents(text, |_| true).collect();
        assert_eq!(docs.len(), 1, "{text}");
        docs.remove(0).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn names(node: &Node) -> Vec<&str> {
        node.entries().iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn explicit_keys_win_over_merged_ones_after_the_merge_key() {
        let d = doc(
            "subjects:\n- &s {kind: ServiceAccount, name: reader, namespace: ns}\n- <<: *s\n  name: app\n",
        );
        let second = &d.node.field("subjects").items()[1];
        assert_eq!(second.field("name").as_str().unwrap(), "app");
        assert_eq!(second.field("namespace").as_str().unwrap(), "ns");
        assert_eq!(names(second), ["kind", "name", "namespace"], "each key once");
        assert!(
            d.warnings.is_empty(),
            "overriding a merged key is what merge keys are for: {:?}",
            d.warnings
        );
    }

    #[test]
    fn explicit_keys_win_over_merged_ones_before_the_merge_key_and_the_ambiguity_is_reported() {
        let d = doc("base: &b {name: cluster-admin, kind: ClusterRole}\nref:\n  name: view\n  <<: *b\n");
        let r = d.node.field("ref");
        assert_eq!(r.field("name").as_str().unwrap(), "view");
        assert_eq!(r.field("kind").as_str().unwrap(), "ClusterRole");
        assert_eq!(names(r), ["name", "kind"]);
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert_eq!(d.warnings[0].line, 4);
        assert!(
            d.warnings[0].reason.starts_with("key name is set before a merge key (<<)"),
            "{:?}",
            d.warnings
        );
        assert!(!d.warnings[0].reason.contains("cluster-admin") && !d.warnings[0].reason.contains("view"));
        // The same value on both sides is not ambiguous.
        let same = doc("base: &b {name: view}\nref:\n  name: view\n  <<: *b\n");
        assert!(same.warnings.is_empty(), "{:?}", same.warnings);
    }

    #[test]
    fn of_several_merged_mappings_the_earlier_wins() {
        let d = doc("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n");
        let c = d.node.field("c");
        assert_eq!(c.field("x").value, Value::Int(1));
        assert_eq!(c.field("y").value, Value::Int(1));
        assert_eq!(c.field("z").value, Value::Int(2));
        assert_eq!(names(c), ["x", "y", "z", "w"]);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        // A mapping written in place merges like an alias.
        let inline = doc("c:\n  <<: {x: 1}\n  x: 2\n");
        assert_eq!(inline.node.at(&["c", "x"]).unwrap().value, Value::Int(2));
    }

    #[test]
    fn a_second_merge_key_overrides_what_the_first_merged_but_not_explicit_keys() {
        let d = doc("a: &a {x: 1, y: 1}\nb: &b {x: 2}\nc:\n  y: 0\n  <<: *a\n  <<: *b\n");
        let c = d.node.field("c");
        assert_eq!(c.field("x").value, Value::Int(2));
        assert_eq!(c.field("y").value, Value::Int(0));
        let reasons: Vec<&str> = d.warnings.iter().map(|w| w.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].starts_with("key y is set before a merge key"), "{reasons:?}");
        assert!(reasons[1].starts_with("duplicate merge key (<<)"), "{reasons:?}");
    }

    #[test]
    fn merging_something_else_than_mappings_is_an_error_not_a_panic() {
        for (text, line) in [
            ("a: &a 5\nb:\n  <<: *a\n", 3),
            ("a: &a {x: 1}\nb:\n  <<: [*a, 3]\n", 3),
            ("b:\n  <<: [x]\n", 2),
            ("b:\n  <<:\n", 2),
        ] {
            let docs = parse_documents(text);
            let err = docs[0].as_ref().unwrap_err();
            assert_eq!(
                err.reason, "a merge key (<<) must be given a mapping or a list of mappings",
                "{text}"
            );
            assert_eq!(err.line, line, "{text}: the line of the merge key");
        }
    }

    #[test]
    fn only_a_plain_merge_key_merges() {
        let d = doc("a: &a {x: 1}\nb:\n  \"<<\": *a\n");
        assert_eq!(names(d.node.field("b")), ["<<"]);
        let json = doc("{\"a\": {\"<<\": {\"x\": 1}}}");
        assert_eq!(names(json.node.field("a")), ["<<"]);
        let tagged = doc("a: &a {x: 1}\nb:\n  !!merge <<: *a\n");
        assert_eq!(names(tagged.node.field("b")), ["x"]);
    }

    // --- duplicate keys ---------------------------------------------------------------------

    #[test]
    fn a_duplicate_key_keeps_its_last_value_in_yaml_and_json_at_any_depth() {
        for text in [
            "roleRef:\n  kind: ClusterRole\n  name: view\n  name: cluster-admin\n",
            "roleRef: {kind: ClusterRole, name: view,\n  name: cluster-admin}\n",
            "{\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"view\",\n  \"name\": \"cluster-admin\"}}",
            "[{\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"view\",\n  \"name\": \"cluster-admin\"}}]",
        ] {
            let d = doc(text);
            let root = if d.node.is_seq() { &d.node.items()[0] } else { &d.node };
            let role_ref = root.field("roleRef");
            assert_eq!(role_ref.field("name").as_str().unwrap(), "cluster-admin", "{text}");
            assert_eq!(names(role_ref), ["kind", "name"], "{text}");
            assert_eq!(
                role_ref.field("name").line,
                4 - u32::from(!text.starts_with("roleRef:\n")) * 2,
                "{text}"
            );
            assert_eq!(d.warnings.len(), 1, "{text}: {:?}", d.warnings);
            let w = &d.warnings[0];
            assert_eq!(
                w.reason,
                "duplicate key name: the last value is read, as the Kubernetes API server does"
            );
            assert_eq!(w.line, role_ref.field("name").line, "{text}: the line of the second key");
        }
    }

    #[test]
    fn a_duplicate_key_that_is_not_an_identifier_is_not_named() {
        let d = doc("\"a key: with spaces\": 1\n\"a key: with spaces\": 2\n");
        assert_eq!(d.node.field("a key: with spaces").value, Value::Int(2));
        assert_eq!(d.warnings.len(), 1);
        assert_eq!(
            d.warnings[0].reason,
            "a duplicate key: the last value is read, as the Kubernetes API server does"
        );
        assert_eq!(d.warnings[0].line, 2);
        let long = "k".repeat(65);
        let d = doc(&format!("{long}: 1\n{long}: 2\n"));
        assert!(d.warnings[0].reason.starts_with("a duplicate key"), "{:?}", d.warnings);
    }

    #[test]
    fn duplicates_in_large_mappings_are_found_through_the_index() {
        let mut text: String = (0..200).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k3: last\nk199: last\n");
        let d = doc(&text);
        assert_eq!(d.node.entries().len(), 200);
        assert_eq!(d.node.field("k3").as_str().unwrap(), "last");
        assert_eq!(d.node.field("k199").as_str().unwrap(), "last");
        assert_eq!(d.node.field("k100").value, Value::Int(100));
        let lines: Vec<u32> = d.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [201, 202]);
    }

    #[test]
    fn a_second_kind_line_is_never_skipped_as_an_unwanted_kind() {
        let wanted = |k: &str| k == "ClusterRoleBinding";
        for text in [
            "kind: HorizontalPodAutoscaler\nmetadata: {name: x}\nkind: ClusterRoleBinding\n",
            "kind: HorizontalPodAutoscaler\n\"kind\": ClusterRoleBinding\n",
            "kind: HorizontalPodAutoscaler\nkind : ClusterRoleBinding\n",
            "kind: HorizontalPodAutoscaler\n? kind\n: ClusterRoleBinding\n",
            "kind: HorizontalPodAutoscaler\nmetadata: {name: x}\rkind: ClusterRoleBinding\n",
        ] {
            let docs: Vec<_> = documents(text, wanted).collect();
            let d = docs[0].as_ref().unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(d.node.field("kind").as_str().unwrap(), "ClusterRoleBinding", "{text}");
        }
        // The usual shapes still take the short cut.
        let usual = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler # a comment\nmetadata:\n  name: x\nspec:\n- a\n";
        let docs = parse_documents_keeping(usual, wanted);
        assert_eq!(names(docs[0].as_ref().unwrap()), ["kind"]);
    }

    // --- budgets ----------------------------------------------------------------------------

    #[test]
    fn the_alias_budget_is_shared_by_the_documents_of_a_file() {
        // 150 copies of a 1,001-node sequence: 150,150 copied nodes, under the per-document cap.
        let anchor = format!("a: &a [{}]\n", vec!["x"; 1000].join(", "));
        let heavy = format!("{anchor}b: [{}]\n", vec!["*a"; 150].join(", "));
        let mut text = String::new();
        for _ in 0..8 {
            text.push_str("---\n");
            text.push_str(&heavy);
        }
        text.push_str("---\nkind: ServiceAccount\nmetadata: {name: survivor}\n");
        let docs = parse_documents(&text);
        assert_eq!(docs.len(), 9);
        // 6 × 150,150 = 900,900 copied nodes fit in the file's 1,000,000; the 7th would not.
        let ok: Vec<bool> = docs.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, true, true, true, true, true, false, false, true]);
        for d in &docs[6..8] {
            let e = d.as_ref().unwrap_err();
            assert_eq!(
                e.reason,
                "alias expansion exceeds 1000000 copied nodes in this file (alias bomb?); later documents that expand aliases are refused too"
            );
        }
        assert_eq!(
            docs[8].as_ref().unwrap().at(&["metadata", "name"]).unwrap().as_str().unwrap(),
            "survivor"
        );
        // Each file has its own budget.
        assert!(parse_documents(&heavy).iter().all(Result::is_ok));
    }

    #[test]
    fn a_document_of_empty_collections_is_refused_by_the_tree_budget() {
        // 4 MB of `[[[[[]]]]],…`: 5 nodes per 11 bytes of text, far more memory than text.
        let unit = "[[[[[]]]]]";
        let n = 4_000_000 / (unit.len() + 1);
        let text = format!("[{}]", vec![unit; n].join(","));
        let docs = parse_documents(&text);
        let Err(err) = &docs[0] else { panic!("not refused") };
        assert!(
            err.reason.starts_with(
                "document refused: its tree would take more than 77 MiB (16 bytes per byte of text + 16 MiB)"
            ),
            "{}",
            err.reason
        );
        assert_eq!(err.line, 1);
        // Real data of the same size is read: 60,000 small objects.
        let items: Vec<String> = (0..60_000)
            .map(|i| format!("{{\"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"cm-{i:06}\"}}, \"data\": {{\"k\": \"v\"}}}}"))
            .collect();
        let list = format!("{{\"kind\": \"List\", \"items\": [\n{}\n]}}", items.join(",\n"));
        assert!(list.len() > 4_000_000);
        let d = doc(&list);
        assert_eq!(d.node.field("items").items().len(), 60_000);
        assert_eq!(d.node.field("items").items()[59_999].line, 60_001);
    }

    #[test]
    fn a_huge_flow_collection_in_yaml_is_refused_before_the_scanner_buffers_it() {
        // Inside YAML, saphyr would read the whole `[…]` ahead (about 100 bytes per token).
        // (It does so where a flow collection could start an implicit key: a sequence entry, the
        // top of a document.)
        let text = format!("kind: ConfigMap\ndata:\n- [{}]\n", vec!["[]"; 200_000].join(","));
        let docs = parse_documents(&text);
        let Err(err) = &docs[0] else { panic!("not refused") };
        assert!(err.reason.starts_with("more than 100000 tokens to read ahead at once"), "{}", err.reason);
        assert_eq!(err.line, 3);
        // At the top of a document that is not strict JSON, the JSON reader's error is reported.
        let text = format!("[x, {}]\n", vec!["[]"; 200_000].join(","));
        let Err(err) = &parse_documents(&text)[0] else { panic!("not refused") };
        assert_eq!(err.reason, "expected a value (column 2)");
        // Smaller collections are read.
        let text = format!("data:\n- [{}]\n", vec!["[]"; 20_000].join(","));
        assert_eq!(doc(&text).node.field("data").items()[0].items().len(), 20_000);
        // A JSON document of as many tokens is read by the JSON reader.
        let json = format!(
            "{{\"data\": [{}]}}",
            (0..200_000).map(|i| format!("\"item-{i:06}\"")).collect::<Vec<_>>().join(",")
        );
        assert_eq!(doc(&json).node.field("data").items().len(), 200_000);
        // Long scalars are single tokens: a large block scalar of JSON and a long quoted string.
        let block: String =
            (0..20_000).map(|i| format!("    {{\"k{i}\": [1, 2, 3], \"v\": \"x\"}},\n")).collect();
        let words = vec!["word"; 50_000].join(" ");
        let text = format!("kind: ConfigMap\ndata:\n  a.json: |\n{block}  b: \"{words}\"\n");
        let d = doc(&text);
        assert_eq!(d.node.at(&["data", "a.json"]).unwrap().as_str().unwrap().len(), block.len() - 4 * 20_000);
        assert_eq!(d.node.at(&["data", "b"]).unwrap().as_str().unwrap().len(), words.len());
    }

    #[test]
    fn deep_json_is_refused_at_the_depth_limit() {
        let text = format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300));
        let err = parse_documents(&text).remove(0).unwrap_err();
        assert_eq!(err.reason, "nesting deeper than 256 levels");
        let text = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert_eq!(parse_documents(&text).remove(0).unwrap_err().reason, "nesting deeper than 256 levels");
    }

    // --- JSON -------------------------------------------------------------------------------

    #[test]
    fn json_documents_read_like_yaml_would_read_them() {
        let text = "\u{feff}{\r\n  \"a\": \"t\\u00e9\\n\\\"\\/\",\r\n  \"b\": [1, -2.5e3, 1e400, true, null, \"1\"],\r\n  \"c\": {}\r\n}\r\n";
        let d = doc(text);
        assert_eq!(d.node.field("a").as_str().unwrap(), "t\u{e9}\n\"/");
        let b = d.node.field("b").items();
        assert_eq!(b[0].value, Value::Int(1));
        assert_eq!(b[1].value, Value::Float(-2500.0));
        assert_eq!(b[2].value, Value::Float(f64::INFINITY));
        assert_eq!(b[3].value, Value::Bool(true));
        assert_eq!(b[4].value, Value::Null);
        assert_eq!(b[5].value, Value::Str("1".into()));
        assert_eq!((d.node.line, d.node.field("b").line, d.node.field("c").line), (1, 3, 4));
        let mut budget = FileBudget { alias_nodes_left: MAX_ALIAS_NODES_PER_FILE };
        let by_yaml = parse_yaml(text, 0, &mut budget).ok().flatten().expect("YAML reads it too");
        assert_eq!(by_yaml.node, d.node);
        // JSON's surrogate pairs, which saphyr refuses, are read as Go's JSON decoding reads them.
        let d = doc("{\"a\": \"\\ud83d\\ude00\"}");
        assert_eq!(d.node.field("a").as_str().unwrap(), "\u{1f600}");
    }

    #[test]
    fn text_that_is_not_strict_json_is_read_as_yaml() {
        for (text, keys) in [
            ("{a: 1, b: [x, y,]}", vec!["a", "b"]),
            ("{\"a\": 1} # a comment\n", vec!["a"]),
            ("{\"a\": 'single', \"b\": 01}\n", vec!["a", "b"]),
            ("[a, b]: c\n", vec!["<complex key>"]),
        ] {
            assert_eq!(names(&doc(text).node), keys, "{text}");
        }
        // Broken both ways: saphyr's error, with its column.
        let err = parse_documents("{\n  \"a\": 1\n  \"b\": 2\n}\n").remove(0).unwrap_err();
        assert_eq!(
            (err.line, err.reason.as_str()),
            (3, "while parsing a flow mapping, did not find expected ',' or '}' (column 6)")
        );
    }

    /// `../shared/yaml-test-suite` relative to the repository root.
    fn yaml_test_suite() -> std::path::PathBuf {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/yaml-test-suite/data");
        assert!(dir.is_dir(), "the YAML test suite is expected at {}", dir.display());
        dir
    }

    fn suite_cases(file: &str) -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        let mut dirs = vec![yaml_test_suite()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.file_name().is_some_and(|n| n == file)
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push((path, text));
                }
            }
        }
        out.sort();
        out
    }

    /// Every `.json` file under `dir`, recursively.
    fn json_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for path in std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()) {
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push((path, text));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_json_reader_agrees_with_saphyr_on_the_yaml_test_suite_and_the_corpora() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let corpora = root.join("../shared/corpora");
        assert!(corpora.is_dir(), "the corpora are expected at {}", corpora.display());
        let mut cases = suite_cases("in.json");
        cases.extend(json_files(&corpora));
        cases.extend(json_files(&root.join("fixtures")));
        let mut compared = 0;
        for (path, text) in cases {
            let mut budget = FileBudget { alias_nodes_left: MAX_ALIAS_NODES_PER_FILE };
            let Ok(by_json) = parse_json(&text, 0, &mut budget) else { continue };
            let by_yaml = parse_yaml(&text, 0, &mut budget).ok().flatten();
            assert_eq!(by_yaml.as_ref(), Some(&by_json), "{}", path.display());
            compared += 1;
        }
        assert!(compared > 300, "only {compared} JSON documents compared");
    }

    #[test]
    fn no_message_quotes_the_input() {
        // Every error case of the test suite, and broken inputs made of one distinctive word.
        let mut texts: Vec<String> = suite_cases("in.yaml")
            .into_iter()
            .filter(|(p, _)| p.with_file_name("error").exists())
            .map(|(_, t)| t)
            .collect();
        assert!(texts.len() > 50);
        for broken in [
            "a: @zqxj\n",
            "a: `zqxj\n",
            "a: %zqxj\n",
            "zqxj: [zqxj\n",
            "zqxj: \"zqxj\\q\"\n",
            "- zqxj\nzqxj: 1\n",
            "{\"zqxj\": zqxj zqxj}",
            "[\"zqxj\" \"zqxj\"]",
            "a: *zqxj\n",
            "a: !<zqxj\n",
        ] {
            texts.push(broken.to_owned());
        }
        for text in &texts {
            for d in documents(text, |_| true) {
                let reason = match d {
                    Ok(d) => d.warnings.iter().map(|w| w.reason.clone()).collect::<Vec<_>>().join("; "),
                    Err(e) => e.reason,
                };
                assert!(!reason.contains("zqxj"), "{text:?}: {reason}");
                // Only our fixed wordings and saphyr's fixed messages, with a column.
                let message = reason.rsplit_once(" (column ").map_or(reason.as_str(), |(m, _)| m);
                assert!(
                    SAPHYR_MESSAGES.contains(&message)
                        || message.is_empty()
                        || [
                            "unexpected character: '%', '@' and '`' cannot start a plain scalar",
                            "syntax error",
                            "unexpected second document",
                            "a merge key (<<) must be given a mapping or a list of mappings",
                            "an alias refers to an anchor that is not defined before it",
                        ]
                        .contains(&message)
                        || message.starts_with("duplicate key ")
                        || message.starts_with("a duplicate key")
                        || message.starts_with("nesting deeper than"),
                    "{text:?}: unexpected message {reason}"
                );
            }
        }
        let err = parse_documents("a: @zqxj\n").remove(0).unwrap_err();
        assert_eq!(
            err.reason,
            "unexpected character: '%', '@' and '`' cannot start a plain scalar (column 4)"
        );
    }

    #[test]
    fn keys_taken_as_text_are_the_keys_typing_would_give() {
        for text in [
            "name", "kind", "nullable", "trueish", "x1", "-", "-1", "1.0", "0x10", "~", "", "null", "True",
            ".5", "+1", "Ñ", "a b",
        ] {
            if is_plain_text(text) {
                assert_eq!(
                    scalar(Cow::Borrowed(text), ScalarStyle::Plain, None),
                    Value::Str(text.into()),
                    "{text}"
                );
            }
        }
        let d = doc("1.0: a
0x10: b
~: c
True: d
name: e
");
        assert_eq!(names(&d.node), ["1", "16", "", "true", "name"]);
    }
}
