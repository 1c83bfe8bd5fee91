//! kubectl leniency: what go-yaml (libyaml) accepts and saphyr refuses, mended in place (lines
//! kept) and parsed again; kinds no probe reads only checked for syntax.

use super::budget::Fail;
use super::budget::FailKind;
use super::budget::FileBudget;
use super::budget::LENIENT_RETRY_MAX_BYTES;
use super::json::parse_json;
use super::node::Document;
use super::node::YamlError;
use super::scanner::Bounded;
use super::scanner::line_of;
use super::scanner::overrun_error;
use super::scanner::parse_yaml;
use super::scanner::scan_error;
use super::text::{is_empty_with_directives, is_plain_key_byte};

use saphyr_parser::Parser;
use std::cell::Cell;

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
pub(super) fn parse_lenient(
    text: &str,
    shift: u32,
    budget: &mut FileBudget,
) -> Result<Option<Document>, YamlError> {
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
pub(super) fn space_before_comment(text: &str, line: u32, column: usize) -> Option<String> {
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
pub(super) fn indent_quoted_scalar(text: &str, line: u32, column: usize) -> Option<String> {
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
pub(super) fn indent_closing_line(text: &str, line: u32) -> Option<String> {
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
pub(super) fn unwanted_kind<'t>(text: &'t str, wanted: &dyn Fn(&str) -> bool) -> Option<(&'t str, u32)> {
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

/// Runs the parser over a document without building it.
pub(super) fn check_syntax(text: &str, shift: u32) -> Result<(), YamlError> {
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

/// Parses one document (the text between two markers). `Ok(None)` for an empty document.
pub(super) fn parse_one(text: &str, shift: u32, budget: &mut FileBudget) -> Result<Option<Document>, Fail> {
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
