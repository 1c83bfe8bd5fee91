//! JSON renderer: the Report itself, pretty-printed.
//!
//! JSON is the machine-readable contract, so this module adds nothing and drops nothing: it
//! serialises the Report exactly as the engine built it. Every collection in the schema is a
//! `Vec` or a `BTreeMap`, so the same Report always gives the same bytes, which keeps diffs
//! between runs meaningful. The document is written as it is serialised, through a buffer, so a
//! report of any size costs no memory of its own (the CLI removes an `--output` file that a
//! failed write left incomplete).

//!
//! serde_json escapes the C0 controls; DEL, the C1 controls and the Unicode bidirectional and
//! line-separator characters ([`text::is_unsafe`]) are valid JSON as they are, but would reach a
//! terminal that shows the document, so they are written as `\uXXXX` escapes too. A JSON reader
//! gets the same strings either way, and text without them is written byte for byte as serde
//! writes it.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::{Report, text};

/// Writes the Report as pretty-printed JSON followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, SafeFormatter::new(PrettyFormatter::new()));
    // An I/O error comes back as it was (a closed pipe stays `BrokenPipe`).
    report.serialize(&mut ser).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// A serde_json formatter (pretty for the reports, compact for the HTML page's island) with the
/// characters serde leaves as they are and a terminal must not see written as `\uXXXX`, and any
/// others a format adds ([`SafeFormatter::escaping`]).
pub(crate) struct SafeFormatter<F> {
    inner: F,
    also: fn(char) -> bool,
}

impl<F> SafeFormatter<F> {
    pub(crate) fn new(inner: F) -> SafeFormatter<F> {
        SafeFormatter { inner, also: |_| false }
    }

    /// Also writes the characters `also` picks as `\uXXXX` (each must be in the Basic
    /// Multilingual Plane).
    pub(crate) fn escaping(inner: F, also: fn(char) -> bool) -> SafeFormatter<F> {
        SafeFormatter { inner, also }
    }
}

impl<F: Formatter> Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|(_, c)| text::is_unsafe(*c) || (self.also)(*c)) {
            self.inner.write_string_fragment(writer, &rest[..i])?;
            // Every such character is in the Basic Multilingual Plane: one `\uXXXX`.
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[i + c.len_utf8()..];
        }
        self.inner.write_string_fragment(writer, rest)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_array(writer)
    }
    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array(writer)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object(writer)
    }
    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_object_key(writer, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_value(writer)
    }
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
    fn pretty_printed_as_serde_writes_it() {
        let report = sample::report();
        let mut expected = serde_json::to_string_pretty(&report).unwrap();
        expected.push('\n');
        assert_eq!(render_string(&report), expected);
    }

    #[test]
    fn characters_a_terminal_must_not_see_are_escaped() {
        let mut report = sample::report();
        let hostile = "a\nb\u{1b}[2J\u{0}\u{7f}\u{9b}\u{202E}\u{2066}\u{2028}é日";
        report.findings[0].message = hostile.into();
        report.nodes[0].attrs.insert(hostile.into(), hostile.into());
        let text = render_string(&report);
        assert!(!text.chars().any(|c| c != '\n' && crate::text::is_unsafe(c)), "{text}");
        assert!(text.contains(r#""a\nb\u001b[2J\u0000\u007f\u009b\u202e\u2066\u2028é日""#), "{text}");
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
    fn findings_leave_what_belongs_to_their_rule_to_the_catalogue() {
        let report = sample::report();
        let doc: serde_json::Value = serde_json::from_str(&render_string(&report)).unwrap();
        for f in doc["findings"].as_array().unwrap() {
            for field in ["title", "remediation", "rationale", "owasp_nhi", "nist_800_207"] {
                assert!(f.get(field).is_none(), "finding carries {field}: {f}");
            }
        }
        let rule = &doc["rules"][0];
        assert_eq!(rule["id"], "ZT001");
        assert_eq!(rule["title"], "Plaintext hop loses caller identity");
        assert_eq!(rule["remediation"], "Require STRICT mTLS.");
        // Readers join on the rule id.
        let info = report.rule_of(&report.findings[0]).expect("ZT001 is in the catalogue");
        assert_eq!(info.title, "Plaintext hop loses caller identity");
        assert!(report.rule_of(&report.findings[1]).is_none(), "ZT004 is not in the sample's catalogue");
    }

    #[test]
    fn paths_do_not_repeat_the_ends_of_their_hops() {
        let report = sample::report();
        let text = render_string(&report);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let path = &doc["paths"][0];
        assert!(path.get("from").is_none() && path.get("to").is_none(), "{path}");
        assert_eq!(path["hops"][0]["from"], sample::CART);
        // Reading the report gives them back.
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!((back.paths[0].from.as_str(), back.paths[0].to.as_str()), (sample::CART, sample::API));
    }

    #[test]
    fn chains_are_indices_into_the_steps_of_their_credential() {
        let report = sample::report();
        let doc: serde_json::Value = serde_json::from_str(&render_string(&report)).unwrap();
        let b = &doc["blast_radius"][0];
        assert_eq!(b["steps"][0], "mounted by shop/Deployment/cart");
        assert_eq!(b["reaches"][0]["chain"], serde_json::json!([0]));
        let chain: Vec<&str> = report.blast_radius[0].chain(&report.blast_radius[0].reaches[0]).collect();
        assert_eq!(chain, ["mounted by shop/Deployment/cart"]);
    }

    #[test]
    fn a_large_report_reaches_its_writer_in_pieces() {
        let report = sample::large_report(20_000);
        let mut out = sample::Recorder::default();
        render(&report, &mut out).unwrap();
        assert!(out.bytes.len() > 4 << 20, "{} bytes", out.bytes.len());
        assert!(out.largest_write <= 1 << 16, "a write of {} bytes", out.largest_write);
        let mut expected = serde_json::to_string_pretty(&report).unwrap();
        expected.push('\n');
        assert!(out.bytes == expected.as_bytes(), "the pieces make the same document");
    }

    #[test]
    fn a_failing_writer_fails_the_render_with_its_own_error() {
        let report = sample::large_report(2_000);
        for kind in [std::io::ErrorKind::BrokenPipe, std::io::ErrorKind::StorageFull] {
            let err = render(&report, &mut sample::FailAfter { left: 100_000, kind }).unwrap_err();
            assert_eq!(err.kind(), kind, "{err}");
        }
    }

    #[test]
    fn schema_version_and_severity_names_are_as_documented() {
        let text = render_string(&sample::report());
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["schema_version"], crate::SCHEMA_VERSION);
        // 2.0.0 dropped fields that 1.x readers may expect; 2.1.0 to 2.4.0 only add optional ones.
        assert_eq!(crate::SCHEMA_VERSION, "2.4.0");
        assert!(doc.get("tls").is_none(), "tls[] is written only when endpoints were probed");
        assert_eq!(doc["findings"][0]["severity"], "critical");
        assert_eq!(doc["edges"][2]["auth"], "plaintext");
        assert_eq!(doc["edges"][2]["identity"], "lost");
    }

    #[test]
    fn mapping_ids_are_written_as_published_and_unknown_ids_do_not_parse() {
        use crate::{NistTenet, OwaspNhi};
        for risk in OwaspNhi::ALL {
            let text = serde_json::to_string(&risk).unwrap();
            assert_eq!(text, format!("\"{}\"", risk.id()));
            assert_eq!(serde_json::from_str::<OwaspNhi>(&text).unwrap(), risk);
            assert!(!risk.title().is_empty());
        }
        for tenet in NistTenet::ALL {
            let text = serde_json::to_string(&tenet).unwrap();
            assert_eq!(text, format!("\"{}\"", tenet.id()));
            assert_eq!(serde_json::from_str::<NistTenet>(&text).unwrap(), tenet);
        }
        for unknown in ["\"NHI99:2025\"", "\"NHI4\"", "\"nhi4:2025\""] {
            assert!(serde_json::from_str::<OwaspNhi>(unknown).is_err(), "{unknown}");
        }
        assert!(serde_json::from_str::<NistTenet>("\"T8\"").is_err());
    }
}
