//! A stream cut into documents at `---` / `...` markers, each read on its own.

use super::budget::FileBudget;
use super::lenient::check_syntax;
use super::lenient::parse_lenient;
use super::lenient::unwanted_kind;
use super::node::Document;
use super::node::Node;
use super::node::Value;
use super::node::YamlError;
use super::text::only_directives;

pub(super) fn read_chunk(
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

pub(super) struct Chunk<'a> {
    pub(super) text: &'a str,
    pub(super) first_line: u32,
}

/// Splits a stream at document markers in column 0 (`---`, optionally followed by content, and
/// `...`). A `---` in column 0 ends a document in every YAML context, so this never cuts a
/// document that the full parser would have kept whole.
pub(super) fn split_documents(text: &str) -> Vec<Chunk<'_>> {
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
