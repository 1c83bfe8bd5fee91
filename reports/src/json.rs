//! JSON renderer: the Report itself, pretty-printed.
//!
//! JSON is the machine-readable contract, so this module adds nothing and drops nothing: it
//! serialises the Report exactly as the engine built it. Every collection in the schema is a
//! `Vec` or a `BTreeMap`, so the same Report always gives the same bytes, which keeps diffs
//! between runs meaningful. The text is built in memory first so a failure never leaves a
//! half-written document behind.

use std::io::{self, Write};

use crate::Report;

/// Writes the Report as pretty-printed JSON followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = serde_json::to_vec_pretty(report).map_err(io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn render_string(report: &Report) -> String {
        sample::render_to_string(render, report)
    }

    #[test]
    fn round_trips_to_an_equal_report() {
        let report = sample::report();
        let text = render_string(&report);
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn same_report_gives_identical_bytes() {
        let report = sample::report();
        assert_eq!(render_string(&report), render_string(&report.clone()));
    }

    #[test]
    fn ends_with_exactly_one_newline() {
        let text = render_string(&sample::report());
        assert!(text.ends_with("}\n"));
        assert!(!text.ends_with("\n\n"));
    }

    #[test]
    fn optional_fields_are_left_out_when_empty() {
        let text = render_string(&sample::report());
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        // The external node has no namespace and no attrs; the key must be absent, not null.
        let external = doc["nodes"].as_array().unwrap().iter().find(|n| n["kind"] == "external").unwrap();
        assert!(external.get("namespace").is_none());
        assert!(external.get("attrs").is_none());
        // Unflagged edges omit `flagged`; the flagged one carries it.
        let flagged: Vec<_> =
            doc["edges"].as_array().unwrap().iter().filter(|e| e.get("flagged").is_some()).collect();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0]["flagged"], true);
    }

    #[test]
    fn schema_version_and_severity_names_are_as_documented() {
        let text = render_string(&sample::report());
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["schema_version"], crate::SCHEMA_VERSION);
        assert_eq!(doc["findings"][0]["severity"], "critical");
        assert_eq!(doc["edges"][2]["auth"], "plaintext");
        assert_eq!(doc["edges"][2]["identity"], "lost");
    }
}
