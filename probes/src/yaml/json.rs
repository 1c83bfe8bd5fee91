//! A strict JSON (RFC 8259) reader that gives the tree saphyr would give.

use super::budget::Fail;
use super::budget::FailKind;
use super::budget::FileBudget;
use super::node::Document;
use super::node::Value;
use super::node::YamlError;
use super::node::scalar;
use super::tree::Builder;

use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// Reads a strict JSON document (RFC 8259) into the same tree saphyr would give for it, without
/// saphyr's look-ahead: memory is the tree and a stack of open collections. A syntax error comes
/// back as [`FailKind::Syntax`] (the text may still be YAML), a budget as [`FailKind::Limit`].
pub(super) fn parse_json(text: &str, shift: u32, budget: &mut FileBudget) -> Result<Document, Fail> {
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
pub(super) enum Want {
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

pub(super) fn after_value(open: &[bool]) -> Want {
    if open.is_empty() { Want::End } else { Want::CommaOrClose }
}

pub(super) struct Json<'t> {
    pub(super) text: &'t str,
    pub(super) bytes: &'t [u8],
    pub(super) pos: usize,
    /// Line (1-based, in the document) of `pos`, and where that line starts.
    pub(super) line: u32,
    pub(super) line_start: usize,
    pub(super) shift: u32,
}

impl<'t> Json<'t> {
    /// Skips JSON whitespace, counting lines as YAML does (`\r\n` and a lone `\r` are one break).
    pub(super) fn skip_whitespace(&mut self) {
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

    pub(super) fn new_line(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    pub(super) fn error(&self, what: &str) -> Fail {
        let column = self.text.get(self.line_start..self.pos).map_or(1, |s| s.chars().count() + 1);
        Fail {
            error: YamlError { line: self.line + self.shift, reason: format!("{what} (column {column})") },
            kind: FailKind::Syntax { indentation: false },
        }
    }

    /// A number, `true`, `false` or `null`.
    pub(super) fn bare_token(&mut self) -> Result<&'t str, Fail> {
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
    pub(super) fn string(&mut self) -> Result<String, Fail> {
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

pub(super) fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |acc, &b| Some(acc * 16 + char::from(b).to_digit(16)?))
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
pub(super) fn is_json_number(t: &[u8]) -> bool {
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
