//! The saphyr scanner, fed through [`Bounded`] so that its look-ahead stays bounded, and its
//! errors relayed without quoting the input.

use super::budget::Fail;
use super::budget::FailKind;
use super::budget::FileBudget;
use super::budget::MAX_TOKENS_AHEAD;
use super::node::Document;
use super::node::YamlError;
use super::node::is_plain_text;
use super::node::scalar;
use super::tree::Builder;

use saphyr_parser::input::SkipTabs;
use saphyr_parser::{Event, Input, Marker, Parser, ScalarStyle, ScanError, StrInput};
use std::cell::Cell;

pub(super) fn line_of(mark: Marker) -> u32 {
    u32::try_from(mark.line()).unwrap_or(u32::MAX)
}

pub(super) fn column_of(mark: Marker) -> usize {
    mark.col() + 1
}

pub(super) fn overrun_error(line: u32) -> YamlError {
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
pub(super) const SAPHYR_MESSAGES: &[&str] = &[
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
pub(super) fn scanner_message(info: &str) -> &'static str {
    if let Some(known) = SAPHYR_MESSAGES.iter().find(|m| **m == info) {
        return known;
    }
    if info.starts_with("unexpected character") {
        // saphyr quotes the character here; the set is small and fixed.
        return "unexpected character: '%', '@' and '`' cannot start a plain scalar";
    }
    "syntax error"
}

pub(super) fn scan_error(e: &ScanError, shift: u32) -> Fail {
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
pub(super) fn parse_yaml(text: &str, shift: u32, budget: &mut FileBudget) -> Result<Option<Document>, Fail> {
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
pub(super) struct Bounded<'a> {
    pub(super) inner: StrInput<'a>,
    pub(super) fetched: &'a Cell<u32>,
    pub(super) overrun: &'a Cell<bool>,
}

impl<'a> Bounded<'a> {
    pub(super) fn new(text: &'a str, fetched: &'a Cell<u32>, overrun: &'a Cell<bool>) -> Self {
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
