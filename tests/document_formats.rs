//! `--format html` and `--format markdown` from the command line, without a browser: the HTML
//! page carries the JSON report in its data island unchanged and is the same on every run; the
//! Markdown has the auditor's structure, the JSON's counts, and hostile names escaped.

mod common;

use common::{NOW, run, scan_json};
use serde_json::Value;

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
    let from_page: ztpath_reports::Report =
        serde_json::from_value(restore(serde_json::from_str(island).unwrap()))
            .expect("the restored island is a Report");
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

/// The island's compact form (reports/src/html/island.rs) put back, as the page's script does:
/// a second reading of the format, so that the encoder is checked without a browser.
fn restore(mut v: Value) -> Value {
    assert_eq!(v["encoding"], 1, "the island's form");
    let nodes: Vec<Value> = v["nodes"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect();
    let files = v["files"].as_array().unwrap().clone();
    let strings = v["strings"].as_array().unwrap().clone();
    let at = |table: &[Value], i: &Value| table[usize::try_from(i.as_u64().unwrap()).unwrap()].clone();
    fn walk(v: &mut Value, f: &mut dyn FnMut(&str, &mut Value) -> bool) {
        match v {
            Value::Array(items) => items.iter_mut().for_each(|x| walk(x, f)),
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if !f(k, x) {
                        walk(x, f);
                    }
                }
            }
            _ => {}
        }
    }
    let mut put_back = |k: &str, x: &mut Value| -> bool {
        match (k, &mut *x) {
            ("evidence", Value::Array(list)) => {
                for e in list.iter_mut() {
                    if let Value::Array(pair) = e {
                        *e = serde_json::json!({"file": at(&files, &pair[0]), "line": pair[1]});
                    }
                }
                false
            }
            ("from" | "to", Value::Number(i)) => {
                *x = at(&nodes, &Value::Number(i.clone()));
                true
            }
            ("detail" | "via", Value::Number(i)) => {
                *x = at(&strings, &Value::Number(i.clone()));
                true
            }
            ("steps", Value::Array(list)) => {
                for s in list.iter_mut().filter(|s| s.is_number()) {
                    *s = at(&strings, s);
                }
                true
            }
            _ => false,
        }
    };
    for section in ["edges", "paths", "blast_radius", "findings"] {
        walk(&mut v[section], &mut put_back);
    }
    for p in v["paths"].as_array_mut().unwrap() {
        let hops = p["hops"].as_array().unwrap().clone();
        let m = p.as_object_mut().unwrap();
        m.entry("id").or_insert_with(|| {
            let (from, to) =
                (hops[0]["from"].as_str().unwrap(), hops[hops.len() - 1]["to"].as_str().unwrap());
            Value::from(format!("path:{from}->{to}"))
        });
        if hops.len() == 1 {
            for k in ["auth", "identity"] {
                if !m.contains_key(k) {
                    m.insert(k.to_owned(), hops[0][k].clone());
                }
            }
        }
    }
    let ids: Vec<Value> = v["paths"].as_array().unwrap().iter().map(|p| p["id"].clone()).collect();
    for section in ["findings", "blast_radius"] {
        for item in v[section].as_array_mut().unwrap() {
            if let Some(Value::Array(list)) = item.get_mut("paths") {
                for p in list.iter_mut().filter(|p| p.is_number()) {
                    *p = at(&ids, p);
                }
            }
        }
    }
    let m = v.as_object_mut().unwrap();
    for k in ["encoding", "files", "strings"] {
        m.remove(k);
    }
    v
}
