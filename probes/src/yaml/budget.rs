//! What reading may spend: the limits, a file's alias budget, and why a document failed.

use super::node::YamlError;

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
pub(super) const LENIENT_RETRY_MAX_BYTES: usize = 4 << 20;

/// What a file may still spend, across its documents.
#[derive(Clone, Copy)]
pub(super) struct FileBudget {
    pub(super) alias_nodes_left: usize,
}

/// Why a document could not be read, for the retry logic in this module.
pub(super) struct Fail {
    pub(super) error: YamlError,
    pub(super) kind: FailKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FailKind {
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
    pub(super) fn limit(line: u32, reason: String) -> Fail {
        Fail { error: YamlError { line, reason }, kind: FailKind::Limit }
    }
}
