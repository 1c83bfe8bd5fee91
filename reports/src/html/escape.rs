//! HTML escaping for the static parts of the page (a leaf: the page and its sections use it).

use crate::text;

/// `s` as HTML text or attribute value: [`text::escape`] first (controls, bidirectional marks and
/// separators become visible escapes), then the five HTML metacharacters as entities.
pub(crate) fn esc(s: &str) -> String {
    let safe = text::escape(s);
    let mut out = String::with_capacity(safe.len() + 8);
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
