//! Report text made safe for a terminal or a log.
//!
//! Every string of a Report may come from an input file that an attacker wrote: an object name,
//! a file name, a message that names them. Sent to a terminal as it is, such text could move the
//! cursor or clear the screen (ESC sequences), start a new line that reads like another
//! diagnostic, hide the rest of the line (NUL, CR), or show its characters in another order than
//! they are stored (Unicode bidirectional controls, as in Trojan Source). [`escape`] turns every
//! such character into a visible escape, so what the reader sees is what the input held, on one
//! line; [`escape_file`] also keeps a file name from passing for a `file:line:` prefix.
//!
//! Everything ztpath writes to a terminal or to stderr goes through one of them: the table
//! renderer, the diagnostics the CLI prints, and the CLI's error messages. (JSON is escaped by
//! serde, DOT by its renderer, which uses [`escape`] for the text it takes from the Report.)
//!
//! A backslash is left as it is: an escape cannot break a line or reach the terminal, and
//! regular expressions and Windows paths stay readable.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Is `c` a character that must not reach a terminal as it is?
///
/// - C0 controls (U+0000–U+001F, including newline, carriage return, tab and ESC), DEL and the
///   C1 controls (U+0080–U+009F, among them CSI, a one-character ESC `[`);
/// - the bidirectional formatting characters: marks (U+200E, U+200F, U+061C), embeddings and
///   overrides (U+202A–U+202E), isolates (U+2066–U+2069);
/// - the Unicode line and paragraph separators (U+2028, U+2029), which some terminals and most
///   log viewers show as a line break.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
        || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `s` with every [unsafe](is_unsafe) character shown as an escape: `\n`, `\r`, `\t`, `\0`,
/// `\xNN` for the other C0 controls and DEL (ESC is `\x1b`), `\u{NNNN}` for the rest (C1
/// controls, bidirectional controls, separators). Borrowed when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// A file name for the start of a `file:line: message` line: [`escape`]d, and with the colon
/// of any `:<digits>:` in the name written `\x3a`, so that no part of the name reads as the
/// line number of a diagnostic (a file called `a.yaml:1: forged` cannot pass for a diagnostic
/// of `a.yaml`, and tools that take the first `:<digits>:` find the real line).
pub fn escape_file(name: &str) -> Cow<'_, str> {
    let bytes = name.as_bytes();
    let looks_like_line = |i: usize| {
        let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        digits > 0 && bytes.get(i + 1 + digits) == Some(&b':')
    };
    let colons: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b':' && looks_like_line(i)).collect();
    if colons.is_empty() {
        return escape(name);
    }
    let mut out = String::with_capacity(name.len() + 4 * colons.len());
    for (i, c) in name.char_indices() {
        if colons.binary_search(&i).is_ok() {
            out.push_str("\\x3a");
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// `file:line: message` (or `file: message` when `line` is 0), each part escaped: one line
/// that names the real file.
pub fn diagnostic_line(file: &str, line: u32, message: &str) -> String {
    if line == 0 {
        format!("{}: {}", escape_file(file), escape(message))
    } else {
        format!("{}:{line}: {}", escape_file(file), escape(message))
    }
}

fn push_escaped(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in
            ["", "Deployment shop/cart", "~ ^/api/(v1|v2)\\.json$", "C:\\manifests\\a.yaml", "héllo 日本"]
        {
            assert!(matches!(escape(s), Cow::Borrowed(t) if t == s), "{s}");
            assert!(matches!(escape_file(s), Cow::Borrowed(t) if t == s), "{s}");
        }
    }

    #[test]
    fn controls_are_shown_as_escapes() {
        assert_eq!(escape("a\nb\rc\td\0e"), "a\\nb\\rc\\td\\0e");
        assert_eq!(escape("\u{1b}[2J\u{7}\u{7f}"), "\\x1b[2J\\x07\\x7f");
        // C1: CSI (U+009B) and NEL (U+0085).
        assert_eq!(escape("\u{9b}31m\u{85}"), "\\u{9b}31m\\u{85}");
    }

    #[test]
    fn bidirectional_controls_and_separators_are_shown_as_escapes() {
        assert_eq!(escape("abc\u{202E}fed\u{202C}"), "abc\\u{202e}fed\\u{202c}");
        assert_eq!(
            escape("\u{200E}\u{200F}\u{061C}\u{202A}\u{202B}\u{202D}\u{2066}\u{2067}\u{2068}\u{2069}"),
            "\\u{200e}\\u{200f}\\u{61c}\\u{202a}\\u{202b}\\u{202d}\\u{2066}\\u{2067}\\u{2068}\\u{2069}"
        );
        assert_eq!(escape("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        // Neighbours of the ranges are ordinary text.
        assert_eq!(escape("\u{200D}\u{2065}\u{206A}\u{2027}"), "\u{200D}\u{2065}\u{206A}\u{2027}");
    }

    #[test]
    fn every_unsafe_character_is_escaped() {
        let all: String = (0u32..=0x10FFFF).filter_map(char::from_u32).filter(|c| is_unsafe(*c)).collect();
        let out = escape(&all);
        assert!(!out.chars().any(is_unsafe), "{out}");
        assert_eq!(all.chars().count(), 32 + 1 + 32 + 3 + 5 + 4 + 2);
    }

    #[test]
    fn file_names_cannot_carry_a_line_number() {
        assert_eq!(escape_file("x\n/etc/passwd:1: forged.yaml"), "x\\n/etc/passwd\\x3a1: forged.yaml");
        assert_eq!(escape_file("a.yaml:12:"), "a.yaml\\x3a12:");
        assert_eq!(escape_file("a:1:2:3"), "a\\x3a1\\x3a2:3");
        // A colon that is not followed by digits and a colon stays.
        assert_eq!(escape_file("C:\\x:8080/a:1.yaml"), "C:\\x:8080/a:1.yaml");
        assert_eq!(escape_file("é:1:\u{1b}"), "é\\x3a1:\\x1b");
    }

    #[test]
    fn diagnostic_lines() {
        assert_eq!(diagnostic_line("a.yaml", 3, "bad"), "a.yaml:3: bad");
        assert_eq!(diagnostic_line("a.yaml", 0, "cannot read"), "a.yaml: cannot read");
        assert_eq!(
            diagnostic_line("b:1: x\n.conf", 7, "no\nline \u{1b}[2J"),
            "b\\x3a1: x\\n.conf:7: no\\nline \\x1b[2J"
        );
    }
}
