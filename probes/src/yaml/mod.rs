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

use budget::FileBudget;
use stream::read_chunk;
use stream::split_documents;

mod budget;
mod json;
mod lenient;
mod node;
mod scanner;
mod stream;
#[cfg(test)]
mod tests;
mod text;
mod tree;

pub use budget::{
    MAX_ALIAS_NODES, MAX_ALIAS_NODES_PER_FILE, MAX_DEPTH, MAX_TOKENS_AHEAD, TREE_BYTES_ALLOWANCE,
    TREE_BYTES_PER_TEXT_BYTE,
};
pub use node::{Document, Node, Value, YamlError, YamlWarning};

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
