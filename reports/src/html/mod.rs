//! HTML renderer: one self-contained page for auditors and architects.
//!
//! The page is static HTML for what a reader files and prints (the scope, the executive summary
//! with its charts, the compliance matrix), the whole Report as JSON in a
//! `<script type="application/json">` island (with the texts it repeats written once: see
//! [`island`]), and one inline script ([`SCRIPT`]) that builds the
//! interactive parts from the island: findings grouped by rule with filters, search and paging,
//! the blast-radius ranking, the path explorer and the identity graph. Nothing is fetched: no
//! CDN, font or image, and the Content-Security-Policy (`default-src 'none'`) allows only the
//! page's own inline script and style, by their SHA-256, computed here over the exact text
//! written.
//!
//! Everything in a Report may come from a file an attacker wrote. The static parts escape every
//! string ([`esc`]: `&`, `<`, `>`, `"`, `'`, and control and bidirectional characters shown as
//! visible escapes, as in the terminal); the island escapes `<` as `\u003c` so no value can close
//! the script element, and the same controls as the JSON report; the script puts
//! text into the page with `textContent` only, never as markup, and builds no URL from the data.

mod escape;
mod island;
mod sections;

use std::io::{self, Write};

use base64::Engine as _;
use serde::Serialize;
use serde_json::ser::CompactFormatter;
use sha2::{Digest, Sha256};

use crate::json::SafeFormatter;
use crate::{DocumentOptions, Report};
use escape::esc;

/// The page's script (vanilla JavaScript, no library).
pub(crate) const SCRIPT: &str = include_str!("report.js");
/// The page's style sheet, screen and print.
pub(crate) const STYLE: &str = include_str!("report.css");

/// `'sha256-…'` of a text, as a CSP source expression.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// The Content-Security-Policy of the page: nothing but its own inline script and style.
pub(crate) fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
}

/// Writes the report as one HTML page.
pub fn render(report: &Report, options: &DocumentOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let title = format!("ztpath report: {} findings", report.summary.total_findings());
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        content_security_policy(),
        esc(&title)
    )?;
    out.write_all(sections::body(report, options).as_bytes())?;
    out.write_all(b"<script type=\"application/json\" id=\"ztpath-data\">")?;
    island(report, &mut out)?;
    write!(out, "</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n")?;
    out.flush()
}

/// The Report as compact JSON (in the island's form, see [`island`]) that cannot end its
/// `<script>` element: `<` is written as
/// `\u003c` besides the characters the JSON report escapes, so a JSON reader gets the same strings
/// and the HTML parser never sees `</` or `<!--` inside the island (the text of a script element
/// ends or changes state only at a `<`; entities are not decoded there, so `&` and `>` are left
/// as they are, which keeps the `->` of every path id one byte instead of six).
fn island(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let formatter = SafeFormatter::escaping(CompactFormatter, |c| c == '<');
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    island::Island::new(report).serialize(&mut ser).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn page(r: &Report) -> String {
        let mut buf = Vec::new();
        render(
            r,
            &DocumentOptions { now: Some("2026-11-25".into()), inputs: vec!["fixtures/demo".into()] },
            &mut buf,
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
        let i = s.find(start).unwrap() + start.len();
        &s[i..i + s[i..].find(end).unwrap()]
    }

    #[test]
    fn csp_hashes_the_exact_inline_script_and_style() {
        let html = page(&sample::report());
        let csp = between(&html, "Content-Security-Policy\" content=\"", "\"");
        assert!(csp.starts_with("default-src 'none'; script-src 'sha256-"), "{csp}");
        let style = between(&html, "<style>", "</style>");
        assert_eq!(style, STYLE);
        assert!(csp.contains(&format!("style-src {};", csp_hash(style))));
        let script = between(&html, "<script>", "</script>");
        assert_eq!(script, SCRIPT);
        assert!(csp.contains(&format!("script-src {};", csp_hash(script))));
        // Exactly two executable elements' worth of code: the island is data, and nothing else
        // carries a style or an event handler.
        assert_eq!(html.matches("<script").count(), 2);
        assert_eq!(html.matches("<style").count(), 1);
        assert!(!html.contains(" style=") && !html.contains(" onclick=") && !html.contains("href=\"http"));
    }

    #[test]
    fn island_round_trips_and_cannot_close_its_element() {
        let mut r = sample::report();
        r.nodes[0].name = "</script><script>alert(1)</script><!-- \u{2028}&".into();
        r.findings[0].message = "</SCRIPT >".into();
        let html = page(&r);
        let json = between(&html, "<script type=\"application/json\" id=\"ztpath-data\">", "</script>");
        assert!(!json.contains('<') && !json.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back["encoding"], island::ENCODING);
        assert_eq!(back["nodes"][0]["name"], r.nodes[0].name.as_ref());
        assert_eq!(back["findings"][0]["message"], "</SCRIPT >");
        // The island's repeated texts are written once: evidence as [file index, line], node ids
        // in hops and edges as node indices (the browser test checks the page restores the rest).
        let e = &r.findings[0].evidence[0];
        let [file, line] = back["findings"][0]["evidence"][0].as_array().unwrap().as_slice() else {
            panic!("evidence is [file, line]: {back}")
        };
        assert_eq!(back["files"][usize::try_from(file.as_u64().unwrap()).unwrap()], e.file.as_ref());
        assert_eq!(line, e.line);
        let from = &r.edges[0].from;
        let i = usize::try_from(back["edges"][0]["from"].as_u64().unwrap()).unwrap();
        assert_eq!(&r.nodes[i].id, from);
    }

    #[test]
    fn esc_escapes_markup_quotes_and_bidi_controls() {
        assert_eq!(esc("\"><img src=x onerror=alert(1)>"), "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(esc("a'b&c\u{202e}d\n"), "a&#39;b&amp;c\\u{202e}d\\n");
    }

    #[test]
    fn hostile_text_never_reaches_the_markup_unescaped() {
        let mut r = sample::report();
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>javascript:alert(3)";
        r.findings[0].message = hostile.into();
        r.findings[0].subject.namespace = Some(hostile.into());
        r.diagnostics[0].file = hostile.into();
        r.tool.version = hostile.into();
        let html = page(&r);
        let markup = &html[..html.find("<script type=\"application/json\"").unwrap()];
        assert!(!markup.contains("<script") && !markup.contains("<img"), "{markup}");
        assert!(
            markup.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
            )
        );
    }

    #[test]
    fn the_inline_code_cannot_end_its_own_element() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script") && !SCRIPT.contains("<!--"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
        // The script writes text with textContent only: no markup sink, no code from strings.
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setAttribute('href'",
            "setAttribute('src'",
        ] {
            assert!(!SCRIPT.contains(sink), "{sink}");
        }
    }

    #[test]
    fn deterministic() {
        assert_eq!(page(&sample::report()), page(&sample::report()));
    }
}
