//! Table renderer: the default terminal output.
//!
//! Auditors and engineers read this in a terminal or scroll back to it in a CI log, so it is
//! built for reading, not parsing: findings first, then the credentials with the widest reach,
//! then any inputs that could not be read, and always a one-line summary as the very last line
//! (the line a CI log tail shows). Rows keep the Report's order, and the table width is fixed
//! (terminal detection is off), which also makes the output identical wherever it runs; only
//! [`render_styled`] adds colour, which the CLI asks for on a terminal.
//!
//! Report text comes from untrusted manifests, so every cell and line goes through
//! [`text::escape`]: control characters and bidirectional overrides are shown escaped rather
//! than sent to the terminal, and file names go through [`text::escape_file`].

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width, presets};
use rayon::prelude::*;

use crate::{BlastRadius, Credential, Evidence, Finding, Report, Severity, text};

/// Table width in columns; comfy-table wraps cell text to fit it.
const WIDTH: u16 = 160;
/// How many credentials the blast-radius table shows.
const TOP_CREDENTIALS: usize = 10;
/// How many unreadable inputs are listed before the rest are counted.
const MAX_DIAGNOSTICS: usize = 20;

/// Writes the findings table, the blast-radius table, the unreadable inputs and the summary,
/// section by section as each is rendered (a large findings table goes out in pieces), through a
/// buffer.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    render_styled(report, false, out)
}

/// [`render`], with the severities in colour when `colour` is set (the CLI sets it on a terminal
/// unless `NO_COLOR` is set). Colour never changes the text, only ANSI styling around it.
pub fn render_styled(report: &Report, colour: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    // Sections are separated by one blank line; `write!` into a String cannot fail.
    let mut first = true;
    let mut section = |out: &mut dyn Write, text: &str| -> io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b"\n")?;
        }
        out.write_all(text.as_bytes())
    };

    // Suppressed findings leave the table for a section of their own, with their reasons.
    let active: Vec<Finding>;
    let shown: &[Finding] = if report.summary.suppressed == 0 {
        &report.findings
    } else {
        active = report.findings.iter().filter(|f| f.suppressed.is_none()).cloned().collect();
        &active
    };
    if !shown.is_empty() {
        let new = match report.summary.new {
            Some(n) => format!(", {n} new since the baseline"),
            None => String::new(),
        };
        section(&mut out, &format!("Findings ({}{new})\n", shown.len()))?;
        write_findings(shown, colour, &mut out)?;
        out.write_all(b"\n")?;
    }

    if report.summary.suppressed > 0 {
        let mut s =
            format!("Suppressed ({}): accepted on the record, not gating\n", report.summary.suppressed);
        for f in &report.findings {
            let Some(sup) = &f.suppressed else { continue };
            let until = sup.expires.as_deref().map(|d| format!(" until {d}")).unwrap_or_default();
            let by = match sup.source {
                crate::SuppressionSource::Config => "ignore entry",
                crate::SuppressionSource::Annotation => "annotation",
            };
            let line = format!(
                "  {} {} {}: {}{until} ({by} at {})",
                f.severity.as_str(),
                f.rule,
                f.subject,
                sup.reason,
                evidence_text(std::slice::from_ref(&sup.evidence))
            );
            let _ = writeln!(s, "{}", one_line(&line));
        }
        section(&mut out, &s)?;
    }

    if !report.blast_radius.is_empty() {
        let shown = report.blast_radius.len().min(TOP_CREDENTIALS);
        let mut s = format!(
            "Blast radius (top {shown} of {}, widest first)\n{}\n",
            count_noun(report.blast_radius.len(), "credential"),
            blast_table(&report.blast_radius[..shown])
        );
        if report.blast_radius.len() > shown {
            let _ =
                writeln!(s, "... and {} more (the JSON output lists all)", report.blast_radius.len() - shown);
        }
        section(&mut out, &s)?;
    }

    if !report.diagnostics.is_empty() {
        let mut s = format!("Could not read ({}):\n", count_noun(report.diagnostics.len(), "input"));
        for d in report.diagnostics.iter().take(MAX_DIAGNOSTICS) {
            let _ = writeln!(s, "  {}", text::diagnostic_line(&d.file, d.line, &d.message));
        }
        if report.diagnostics.len() > MAX_DIAGNOSTICS {
            let _ = writeln!(s, "  ... and {} more", report.diagnostics.len() - MAX_DIAGNOSTICS);
        }
        section(&mut out, &s)?;
    }

    if !report.tls.is_empty() {
        section(&mut out, &crate::tls::section(&report.tls))?;
    }

    let mut last = String::new();
    if shown.is_empty() {
        last.push_str("No findings.\n");
    }
    if let Some(unread) = report.summary.unread_sentence() {
        last.push_str(&one_line(&unread));
        last.push_str(".\n");
    }
    last.push_str(&summary_line(report));
    last.push('\n');
    section(&mut out, &last)?;
    out.flush()
}

/// The colour of a severity, as scanners commonly show them.
fn severity_colour(s: Severity) -> comfy_table::Color {
    use comfy_table::Color;
    match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
        Severity::Info => Color::Grey,
    }
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.force_no_tty();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(header.to_vec());
    table
}

/// Rows per independently rendered piece of a large findings table.
const CHUNK_ROWS: usize = 1000;
/// Column widths (content plus padding) of a large findings table; with the borders they add
/// up to [`WIDTH`].
const FIXED_WIDTHS: [u16; 5] = [10, 7, 34, 67, 36];

/// How many pieces of a large findings table are rendered at once before they are written.
const PIECES_AT_ONCE: usize = 16;

/// Writes the findings table. A large table is rendered in pieces of [`CHUNK_ROWS`] rows in
/// parallel, a few pieces at a time, all with the same fixed column widths, and the pieces are
/// written without their inner borders: the result reads as one table, a 30,000-row estate
/// renders in a fraction of the time, and only the pieces in flight are held in memory.
fn write_findings(findings: &[Finding], colour: bool, out: &mut dyn Write) -> io::Result<()> {
    if findings.len() <= CHUNK_ROWS {
        return out.write_all(findings_table(findings, true, None, colour).to_string().as_bytes());
    }
    let chunks: Vec<&[Finding]> = findings.chunks(CHUNK_ROWS).collect();
    let last = chunks.len() - 1;
    for (batch, group) in chunks.chunks(PIECES_AT_ONCE).enumerate() {
        let pieces: Vec<String> = group
            .par_iter()
            .enumerate()
            .map(|(j, rows)| {
                let i = batch * PIECES_AT_ONCE + j;
                let text = findings_table(rows, i == 0, Some(FIXED_WIDTHS), colour).to_string();
                let lines: Vec<&str> = text.lines().collect();
                // Keep the top border on the first piece and the bottom border on the last.
                let from = usize::from(i != 0);
                let to = if i == last { lines.len() } else { lines.len() - 1 };
                let mut piece = lines[from..to].join("\n");
                if i != last {
                    piece.push('\n');
                }
                piece
            })
            .collect();
        for piece in pieces {
            out.write_all(piece.as_bytes())?;
        }
    }
    Ok(())
}

fn findings_table(findings: &[Finding], header: bool, widths: Option<[u16; 5]>, colour: bool) -> Table {
    let mut table = Table::new();
    table.force_no_tty();
    if colour {
        table.enforce_styling();
    }
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH);
    if header {
        table.set_header(vec!["Severity", "Rule", "Subject", "Finding", "Evidence"]);
    }
    for f in findings {
        let severity = match f.baseline {
            Some(crate::BaselineState::New) => format!("{} (new)", f.severity.as_str()),
            _ => f.severity.as_str().to_owned(),
        };
        let mut cell = Cell::new(severity);
        if colour {
            cell = cell.fg(severity_colour(f.severity));
        }
        table.add_row(vec![
            cell,
            Cell::new(cell_text(&f.rule)),
            Cell::new(cell_text(&f.subject.to_string())),
            Cell::new(cell_text(&f.message)),
            Cell::new(evidence_text(&f.evidence)),
        ]);
    }
    match widths {
        // Fixed widths, so that separately rendered pieces line up.
        Some(widths) => {
            for (i, w) in widths.into_iter().enumerate() {
                if let Some(c) = table.column_mut(i) {
                    c.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w)));
                }
            }
        }
        // The message is what people read: cap the columns around it so it gets the width.
        None => {
            for (column, max) in [(2, 34), (4, 36)] {
                if let Some(c) = table.column_mut(column) {
                    c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(max)));
                }
            }
        }
    }
    table
}

fn blast_table(entries: &[BlastRadius]) -> Table {
    let mut table = new_table(&["Credential", "Fingerprint", "Score", "Reaches"]);
    for b in entries {
        table.add_row(vec![
            Cell::new(cell_text(&credential_text(&b.credential))),
            Cell::new(cell_text(b.credential.fingerprint.as_deref().unwrap_or("-"))),
            Cell::new(b.score).set_alignment(CellAlignment::Right),
            Cell::new(cell_text(&reaches_text(b))),
        ]);
    }
    table
}

/// First place of the evidence, and how many more there are.
fn evidence_text(evidence: &[Evidence]) -> String {
    let place = |e: &Evidence| {
        let file = text::escape_file(&e.file);
        if e.line == 0 { file.into_owned() } else { format!("{file}:{}", e.line) }
    };
    match evidence {
        [] => "-".to_string(),
        [only] => place(only),
        [first, rest @ ..] => format!("{} (+{} more)", place(first), rest.len()),
    }
}

/// `kind ns/name`, or `kind name` when not namespaced.
fn credential_text(c: &Credential) -> String {
    match &c.namespace {
        Some(ns) => format!("{} {}/{}", c.kind, ns, c.name),
        None => format!("{} {}", c.kind, c.name),
    }
}

/// `3 identities, 12 permissions, 40 secrets`, in the counts' (alphabetical) order.
fn reaches_text(b: &BlastRadius) -> String {
    let parts: Vec<String> =
        b.counts.iter().filter(|(_, n)| **n > 0).map(|(kind, n)| count_noun(*n, kind)).collect();
    if parts.is_empty() { "-".to_string() } else { parts.join(", ") }
}

fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let tool = if report.tool.name.is_empty() { "ztpath" } else { report.tool.name.as_str() };
    let findings: Vec<String> = Severity::ALL
        .iter()
        .map(|sev| format!("{} {}", s.findings.get(sev.as_str()).copied().unwrap_or(0), sev))
        .collect();
    let mut extra = String::new();
    if let Some(n) = s.new {
        extra.push_str(&format!(" ({n} new)"));
    }
    if s.suppressed > 0 {
        extra.push_str(&format!(", {} suppressed", s.suppressed));
    }
    one_line(&format!(
        "{tool}: {}, {}, {}, {}, {}, {}; findings: {}{extra}; {}",
        count_noun(s.files, "file"),
        count_noun(s.objects, "object"),
        count_noun(s.workloads, "workload"),
        count_noun(s.identities, "identity"),
        count_noun(s.credentials, "credential"),
        count_noun(s.paths, "path"),
        findings.join(", "),
        count_noun(s.diagnostics, "unreadable input"),
    ))
}

/// `1 secret`, `2 secrets`, `3 identities`.
fn count_noun(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {}", plural(noun)) }
}

/// English plural of a lower-case kind name; good enough for the kinds the engine emits.
fn plural(noun: &str) -> String {
    if let Some(stem) = noun.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if noun.ends_with(['s', 'x', 'z']) || noun.ends_with("ch") || noun.ends_with("sh") {
        return format!("{noun}es");
    }
    format!("{noun}s")
}

/// Text for a table cell: every control character is escaped (a newline too: a cell line that
/// the input started could pass for a row of its own).
fn cell_text(s: &str) -> String {
    text::escape(s).into_owned()
}

/// Text for a plain output line: nothing may break the line.
fn one_line(s: &str) -> String {
    text::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_styles_the_severities_and_changes_no_text() {
        let report = sample::report();
        let plain = sample::render_to_string(render, &report);
        let mut out = Vec::new();
        render_styled(&report, true, &mut out).expect("renders");
        let coloured = String::from_utf8(out).expect("UTF-8");
        assert!(coloured.contains("\u{1b}["), "no ANSI styling");
        assert!(!plain.contains('\u{1b}'));
        // Without its escape sequences the coloured table is the plain one.
        let mut stripped = String::new();
        let mut chars = coloured.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                stripped.push(c);
            }
        }
        assert_eq!(stripped, plain);
    }
    use crate::{Diagnostic, sample};

    fn render_string(report: &Report) -> String {
        sample::render_to_string(render, report)
    }

    #[test]
    fn findings_rows_follow_report_order_most_severe_first() {
        let text = render_string(&sample::report());
        let critical = text.find("│ critical").expect("critical row");
        let medium = text.find("│ medium").expect("medium row");
        assert!(critical < medium);
        assert!(text.contains("ZT001") && text.contains("ZT004"));
        assert!(text.contains("Deployment shop/cart"));
        assert!(text.contains("Secret shop/db-creds"));
        // First evidence place plus how many more.
        assert!(text.contains("mesh/peer-auth.yaml:4 (+2 more)"));
        assert!(text.contains("shop/db-creds.yaml:1"));
        assert!(!text.contains("No findings"));
    }

    #[test]
    fn last_line_is_the_summary_with_the_report_counts() {
        let text = render_string(&sample::report());
        assert!(text.ends_with('\n'));
        let last = text.lines().last().unwrap();
        assert_eq!(
            last,
            "ztpath: 3 files, 7 objects, 2 workloads, 1 identity, 1 credential, 1 path; \
             findings: 1 critical, 0 high, 1 medium, 0 low, 0 info; 1 unreadable input"
        );
    }

    #[test]
    fn blast_radius_shows_fingerprint_score_and_reach() {
        let text = render_string(&sample::report());
        let row = text.lines().find(|l| l.contains("secret shop/db-creds")).expect("blast row");
        assert!(row.contains(sample::FINGERPRINT));
        assert!(row.contains(" 42 "));
        assert!(row.contains("1 identity, 3 permissions, 12 secrets"));
    }

    #[test]
    fn blast_radius_is_capped_at_ten() {
        let mut report = sample::report();
        let entry = report.blast_radius[0].clone();
        report.blast_radius = (0..12)
            .map(|i| {
                let mut e = entry.clone();
                e.credential.name = format!("cred-{i:02}");
                e
            })
            .collect();
        let text = render_string(&report);
        assert!(text.contains("cred-09"));
        assert!(!text.contains("cred-10"));
        assert!(text.contains("top 10 of 12 credentials"));
        assert!(text.contains("... and 2 more"));
    }

    #[test]
    fn unreadable_inputs_are_listed_and_capped() {
        let text = render_string(&sample::report());
        assert!(text.contains("Could not read (1 input):\n  manifests/broken.yaml:7: mapping values"));

        let mut report = sample::report();
        report.diagnostics = (0..25)
            .map(|i| Diagnostic { file: format!("in/{i:02}.yaml"), line: 0, message: "not YAML".into() })
            .collect();
        let text = render_string(&report);
        assert!(text.contains("  in/19.yaml: not YAML\n"));
        assert!(!text.contains("in/20.yaml"));
        assert!(text.contains("  ... and 5 more\n"));
    }

    #[test]
    fn no_findings_says_so_instead_of_an_empty_table() {
        let mut report = sample::report();
        report.findings.clear();
        for n in report.summary.findings.values_mut() {
            *n = 0;
        }
        let text = render_string(&report);
        assert!(!text.contains("Severity"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[lines.len() - 2], "No findings.");
        assert!(lines[lines.len() - 1].contains("findings: 0 critical, 0 high, 0 medium, 0 low, 0 info"));
    }

    #[test]
    fn empty_report_prints_only_the_verdict() {
        let text = render_string(&Report::default());
        assert_eq!(
            text,
            "No findings.\nztpath: 0 files, 0 objects, 0 workloads, 0 identities, 0 credentials, \
             0 paths; findings: 0 critical, 0 high, 0 medium, 0 low, 0 info; 0 unreadable inputs\n"
        );
    }

    #[test]
    fn output_is_deterministic_and_fits_the_width() {
        let report = sample::report();
        let text = render_string(&report);
        assert_eq!(text, render_string(&report.clone()));
        for line in text.lines().filter(|l| l.starts_with(['┌', '│', '╞', '└'])) {
            assert!(line.chars().count() <= usize::from(WIDTH), "too wide: {line}");
        }
    }

    #[test]
    fn long_messages_wrap_inside_the_table() {
        let mut report = sample::report();
        report.findings[0].message = "word ".repeat(80);
        let text = render_string(&report);
        let rows = text.lines().filter(|l| l.contains("word")).count();
        assert!(rows > 1, "expected the message to wrap over several lines");
    }

    #[test]
    fn terminal_control_characters_are_escaped() {
        let mut report = sample::report();
        report.findings[0].message = "red \u{1b}[31mtext\u{202E}cba".into();
        report.diagnostics[0].message = "line one\nline two".into();
        let text = render_string(&report);
        assert!(!text.contains('\u{1b}'));
        assert!(!text.contains('\u{202E}'));
        assert!(text.contains(r"\x1b[31mtext\u{202e}cba"));
        assert!(text.contains(r"manifests/broken.yaml:7: line one\nline two"));
    }

    /// Names, messages, evidence and file names from a hostile input: the table holds none of
    /// their control characters, and no line of it is one the input started.
    #[test]
    fn no_cell_or_line_carries_raw_control_characters() {
        let hostile = "a\nforged.yaml:1: fake\r\u{0}\u{1b}[2J\u{7f}\u{9b}\u{202E}\u{2066}\u{2028}\t.";
        let mut report = sample::report();
        report.findings[0].subject.name = hostile.into();
        report.findings[0].subject.namespace = Some(hostile.into());
        report.findings[0].message = hostile.into();
        report.findings[0].evidence[0].file = format!("x\n/etc/passwd:1: {hostile}").into();
        report.findings[1].rule = hostile.into();
        report.blast_radius[0].credential.name = hostile.into();
        report.blast_radius[0].credential.kind = hostile.into();
        report.blast_radius[0].credential.fingerprint = Some(hostile.into());
        report.blast_radius[0].counts.insert(hostile.into(), 2);
        report.diagnostics[0].file = format!("x\n/etc/passwd:1: {hostile}");
        report.diagnostics[0].message = hostile.into();
        report.tool.name = hostile.into();
        let text = render_string(&report);
        let bad: Vec<char> = text.chars().filter(|&c| c != '\n' && crate::text::is_unsafe(c)).collect();
        assert!(bad.is_empty(), "raw characters {bad:?} in:\n{text}");
        for line in text.lines() {
            assert!(!line.starts_with("forged") && !line.starts_with("/etc/passwd"), "forged line: {line}");
            // Inside a cell too: the text after the input's newline stays on the line before it.
            if line.contains("forged") {
                assert!(line.contains(r"\nforged"), "a cell line started by the input: {line}");
            }
        }
        // The unreadable file is listed on one line that names it, escaped.
        assert!(text.contains("  x\\n/etc/passwd\\x3a1: a\\nforged.yaml\\x3a1: fake"), "{text}");
        assert!(text.contains(r"\x1b[2J\x7f\u{9b}\u{202e}\u{2066}\u{2028}\t."));
    }

    #[test]
    fn a_large_table_reaches_its_writer_in_pieces() {
        let report = sample::large_report(20_000);
        let mut out = sample::Recorder::default();
        render(&report, &mut out).unwrap();
        assert!(out.bytes.len() > 4 << 20, "{} bytes", out.bytes.len());
        // At most a piece of the findings table at a time.
        assert!(out.largest_write <= 1 << 20, "a write of {} bytes", out.largest_write);
        let text = String::from_utf8(out.bytes).unwrap();
        assert!(text.starts_with("Findings (20000)\n┌"), "{}", &text[..200]);
        assert_eq!(text.matches("(instance ").count(), 20_000);
        assert!(text.ends_with(&format!("{}\n", summary_line(&report))));
        // One findings table (then the blast-radius table): its pieces join without inner
        // borders, and the header is there once.
        assert_eq!(text.lines().filter(|l| l.starts_with('┌')).count(), 2, "findings and blast radius");
        assert_eq!(text.lines().filter(|l| l.starts_with('└')).count(), 2, "findings and blast radius");
        assert_eq!(text.matches("│ Severity").count(), 1);
    }

    #[test]
    fn a_failing_writer_fails_the_render() {
        let report = sample::large_report(5_000);
        let kind = std::io::ErrorKind::BrokenPipe;
        let err = render(&report, &mut sample::FailAfter { left: 200_000, kind }).unwrap_err();
        assert_eq!(err.kind(), kind);
    }

    #[test]
    fn plurals() {
        assert_eq!(count_noun(1, "identity"), "1 identity");
        assert_eq!(count_noun(3, "identity"), "3 identities");
        assert_eq!(count_noun(2, "gateway"), "2 gateways");
        assert_eq!(count_noun(0, "service-account"), "0 service-accounts");
        assert_eq!(count_noun(2, "address"), "2 addresses");
    }
}
