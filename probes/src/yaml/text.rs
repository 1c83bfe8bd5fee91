//! Small facts about the text of a document: directive lines and the bytes of a plain key.

/// Whether `text` holds directives (`%` lines), and besides them only blank and comment lines.
pub(super) fn only_directives(text: &str) -> bool {
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
pub(super) fn is_empty_with_directives(text: &str) -> bool {
    text.lines().all(|line| {
        let bare = line.trim();
        bare.is_empty() || bare.starts_with('#') || line.starts_with('%') || line.trim_end() == "---"
    })
}

/// A byte of a key that a message may name (letters, digits, `_ . - /`).
pub(super) fn is_plain_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/')
}
