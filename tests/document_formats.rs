//! `--format html` and `--format markdown` from the command line, without a browser: the HTML
//! page carries the JSON report in its data island unchanged and is the same on every run; the
//! Markdown has the auditor's structure, the JSON's counts, and hostile names escaped.

mod common;

use common::{NOW, run, scan_json};

fn scan(input: &str, format: &str) -> String {
    scan_with(input, format, &[])
}

/// A scan's standard output, with `extra` arguments; the scan must succeed.
fn scan_with(input: &str, format: &str, extra: &[&str]) -> String {
    let mut args = vec!["scan", input, "--format", format, "--fail-on", "never", "--now", NOW];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn the_html_island_is_the_json_report_and_the_page_is_deterministic() {
    let html = scan("fixtures/demo", "html");
    let start = "<script type=\"application/json\" id=\"ztpath-data\">";
    let i = html.find(start).unwrap() + start.len();
    let island = &html[i..i + html[i..].find("</script>").unwrap()];
    let from_page: ztpath_reports::Report = serde_json::from_str(island).unwrap();
    assert_eq!(from_page, scan_json(&["fixtures/demo"]));
    assert_eq!(html, scan("fixtures/demo", "html"));
    assert!(html.contains("<dt>Reference date</dt><dd>2026-11-25</dd>"));
    assert!(html.contains("<dt>Inputs</dt><dd><code>fixtures/demo</code></dd>"));
}

#[test]
fn the_baseline_filter_appears_only_with_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let base_s = base.to_str().unwrap();
    scan_with("fixtures/demo", "json", &["--output", base_s]);
    let html = scan_with("fixtures/demo", "html", &["--baseline", base_s]);
    assert!(html.contains("<select id=\"f-base\">"));
    assert!(!scan("fixtures/demo", "html").contains("id=\"f-base\""));
}

#[test]
fn markdown_of_the_demo_has_the_summary_matrix_and_every_finding_by_rule() {
    let md = scan("fixtures/demo", "markdown");
    let report = scan_json(&["fixtures/demo"]);
    assert!(md.starts_with("# ztpath report\n"));
    for head in [
        "## Summary",
        "## Compliance matrix",
        "### OWASP Non-Human Identities Top 10 (2025)",
        "### NIST SP 800-207 tenets",
        "## Findings by rule",
    ] {
        assert!(md.lines().any(|l| l == head), "{head} missing");
    }
    for (sev, n) in &report.summary.findings {
        assert!(md.contains(&format!("| {sev} | {n} |\n")), "{sev}");
    }
    // One section per rule with findings, and one row per finding.
    let mut rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let sections = md.lines().filter(|l| l.starts_with("### ZT")).count();
    assert_eq!(sections, rules.len());
    let rows = md
        .lines()
        .filter(|l| {
            ["| critical", "| high", "| medium", "| low", "| info"]
                .iter()
                .any(|s| l.starts_with(&format!("{s} |")) || l.starts_with(&format!("{s} (")))
        })
        .count();
    assert_eq!(rows, report.findings.len() + 5, "a row per finding, and the five summary rows");
}

#[test]
fn markdown_of_the_hostile_estate_escapes_every_name() {
    let md = scan("fixtures/hostile-html", "markdown");
    assert!(!md.contains('<') || md.matches('<').count() == md.matches("<br>").count(), "raw < in:\n{md}");
    assert!(!md.contains("<script") && !md.contains("<img") && !md.contains('\u{202e}'));
    assert!(md.contains("&lt;script&gt;window.\\_\\_pwned=1&lt;/script&gt;"), "{md}");
    assert!(md.contains("cred\\\\u\\{202e\\}txt.exe\\\\u\\{200f\\}"), "{md}");
    // Every table row keeps its cell count: no name adds or ends a cell.
    let mut rows = 0;
    for line in md.lines().filter(|l| l.starts_with("| ") && l.contains(" | Deployment ")) {
        let bare = line.char_indices().filter(|&(i, c)| c == '|' && !line[..i].ends_with('\\')).count();
        assert_eq!(bare, 6, "{line}");
        rows += 1;
    }
    assert!(rows >= 2, "the hostile workloads' findings are listed");
}
