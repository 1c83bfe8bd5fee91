//! The nginx lexer: words, strings, escapes, comments and `${var}`, after
//! `ngx_conf_read_token`; Lua block bodies skipped as Lua.

#[derive(Debug, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Semi,
    Open,
    Close,
    Eof,
}

/// Where a token starts: its line, and its byte offset (the column is worked out from it only
/// for an error, so that long lines cost nothing more to read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pos {
    pub(super) line: u32,
    pub(super) offset: usize,
}

/// A syntax error: its line, and a reason that starts with the column and says what was
/// expected there.
///
/// The reason never holds the text of the input: it names the kind of token that was found
/// (punctuation as itself, anything else by its kind) and a directive only by a name it may
/// show (see [`directive`]). Configuration files hold secrets, and a diagnostic is printed.
pub(super) type SyntaxError = (u32, String);

pub(super) struct Lexer<'a> {
    pub(super) s: &'a [u8],
    pub(super) pos: usize,
    pub(super) line: u32,
}

/// A character that was not expected, named without quoting the input: ASCII punctuation is
/// shown as itself (it is syntax, not content), anything else by its kind.
pub(super) fn show(c: u8) -> String {
    match c {
        b'"' => "'\"'".to_owned(),
        c if c.is_ascii_punctuation() => format!("\"{}\"", c as char),
        c if c.is_ascii_alphabetic() => "a letter".to_owned(),
        c if c.is_ascii_digit() => "a digit".to_owned(),
        c if c.is_ascii_control() => "a control character".to_owned(),
        _ => "a non-ASCII character".to_owned(),
    }
}

/// A directive as a diagnostic may name it: `the "listen" directive` when its name has the
/// shape of a directive name ([`crate::common::keyword_shaped`]: every well-known one has), and
/// `an unknown directive` otherwise, so that a line holding a secret is not printed back.
pub(super) fn directive(name: &str, what: &str) -> String {
    if crate::common::keyword_shaped(name, b"") {
        format!("the \"{name}\" {what}")
    } else {
        format!("an unknown {what}")
    }
}

impl<'a> Lexer<'a> {
    pub(super) fn new(text: &'a str) -> Lexer<'a> {
        Lexer { s: text.as_bytes(), pos: 0, line: 1 }
    }

    /// The error `column N: reason` at `at`; the column (1-based) counts characters, not bytes.
    pub(super) fn error(&self, at: Pos, reason: &str) -> SyntaxError {
        let end = at.offset.min(self.s.len());
        let start = self.s[..end].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let chars = self.s[start..end].iter().filter(|b| (**b & 0xC0) != 0x80).count();
        (at.line, format!("column {}: {reason}", chars + 1))
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Advances one byte, counting lines.
    pub(super) fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.pos += 1;
    }

    /// The position of the next byte.
    pub(super) fn here(&self) -> Pos {
        Pos { line: self.line, offset: self.pos }
    }

    pub(super) fn next(&mut self) -> Result<(Tok, Pos), SyntaxError> {
        loop {
            let line = self.here();
            let Some(c) = self.peek() else { return Ok((Tok::Eof, line)) };
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(),
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b';' => {
                    self.pos += 1;
                    return Ok((Tok::Semi, line));
                }
                b'{' => {
                    self.pos += 1;
                    return Ok((Tok::Open, line));
                }
                b'}' => {
                    self.pos += 1;
                    return Ok((Tok::Close, line));
                }
                b'"' | b'\'' => return self.quoted(c),
                _ => return Ok((self.word(), line)),
            }
        }
    }

    pub(super) fn quoted(&mut self, quote: u8) -> Result<(Tok, Pos), SyntaxError> {
        let line = self.here();
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => {
                    return Err(self.error(
                        line,
                        &format!(
                            "unexpected end of file: the string opened here with {} is not closed",
                            quote as char
                        ),
                    ));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    if self.peek().is_some() {
                        self.bump();
                    }
                }
                Some(c) if c == quote => break,
                Some(_) => self.bump(),
            }
        }
        let raw = &self.s[start..self.pos];
        self.pos += 1;
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b')') => {}
            Some(c) => {
                let reason = format!(
                    "unexpected {} after a quoted string, expecting a blank, \";\" or \"{{\"",
                    show(c)
                );
                return Err(self.error(self.here(), &reason));
            }
        }
        Ok((Tok::Word(unescape(raw)), line))
    }

    pub(super) fn word(&mut self) -> Tok {
        let start = self.pos;
        let mut after_dollar = false;
        while let Some(c) = self.peek() {
            match c {
                b'\\' => {
                    self.pos += 1;
                    if self.peek().is_some() {
                        self.bump();
                    }
                    after_dollar = false;
                    continue;
                }
                b' ' | b'\t' | b'\r' | b'\n' | b';' => break,
                b'{' if !after_dollar => break,
                _ => {}
            }
            after_dollar = c == b'$';
            self.pos += 1;
        }
        Tok::Word(unescape(&self.s[start..self.pos]))
    }

    /// Skips the body of a `*_by_lua_block` (the `{` at `open_line` already read) as Lua:
    /// strings, long brackets and comments may hold braces.
    pub(super) fn skip_lua(&mut self, open_line: Pos) -> Result<(), SyntaxError> {
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            match c {
                b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b'-' if self.s.get(self.pos + 1) == Some(&b'-') => {
                    self.pos += 2;
                    if !self.skip_long_bracket() {
                        while self.peek().is_some_and(|c| c != b'\n') {
                            self.pos += 1;
                        }
                    }
                }
                b'[' => {
                    if !self.skip_long_bracket() {
                        self.pos += 1;
                    }
                }
                b'"' | b'\'' => {
                    self.pos += 1;
                    while let Some(d) = self.peek() {
                        if d == b'\\' {
                            self.pos += 1;
                            if self.peek().is_some() {
                                self.bump();
                            }
                        } else if d == c {
                            self.pos += 1;
                            break;
                        } else if d == b'\n' {
                            break; // an unfinished Lua string ends at the line (Lua's own error)
                        } else {
                            self.pos += 1;
                        }
                    }
                }
                _ => self.bump(),
            }
        }
        Err(self.error(open_line, "unexpected end of file in a Lua block, expecting \"}\""))
    }

    /// At `[`: skips a Lua long bracket `[==[ … ]==]` and returns true, or returns false.
    pub(super) fn skip_long_bracket(&mut self) -> bool {
        if self.peek() != Some(b'[') {
            return false;
        }
        let mut level = 0;
        while self.s.get(self.pos + 1 + level) == Some(&b'=') {
            level += 1;
        }
        if self.s.get(self.pos + 1 + level) != Some(&b'[') {
            return false;
        }
        self.pos += level + 2;
        while self.peek().is_some() {
            if self.peek() == Some(b']')
                && self.s[self.pos + 1..].iter().take(level).all(|b| *b == b'=')
                && self.s.get(self.pos + 1 + level) == Some(&b']')
            {
                self.pos += level + 2;
                return true;
            }
            self.bump();
        }
        true
    }
}

/// Resolves nginx's escapes in a token.
pub(super) fn unescape(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            match raw[i + 1] {
                b'"' | b'\'' | b'\\' => {
                    out.push(raw[i + 1]);
                    i += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
