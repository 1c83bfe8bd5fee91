//! `--format html` in a real browser: Debian's Chromium driven by playwright-core (both installed
//! by scripts/test.sh) through tests/browser/report.mjs. The demo's page must show the JSON's
//! counts, filter by severity exactly, fill the compliance matrix with the JSON's counts per
//! category, highlight a finding's path hops in the graph and show a clicked node's paths, with no
//! console error and no request leaving the page; printed to PDF, `pdftotext` must find the
//! summary, the matrix and the findings. The hostile-names estate must open no dialog, run no
//! script and inject no element. Screenshots go to target/screenshots/.
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips or found, as tests do")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{NOW, in_ci, path, run};

/// What the browser tests need: node, playwright-core and Chromium (and pdftotext for the PDF).
struct Tools {
    playwright: PathBuf,
    chromium: PathBuf,
}

fn tools() -> Option<Tools> {
    let playwright = std::env::var_os("ZTPATH_PLAYWRIGHT_DIR")
        .map_or_else(|| target_dir().join("node-web"), PathBuf::from);
    let chromium =
        std::env::var_os("ZTPATH_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let pdftotext = Command::new("pdftotext").arg("-v").output().is_ok();
    let mut missing = Vec::new();
    if !playwright.join("node_modules/playwright-core/package.json").is_file() {
        missing.push(format!("playwright-core in {}", playwright.display()));
    }
    if !chromium.is_file() {
        missing.push(format!("Chromium at {}", chromium.display()));
    }
    if !node {
        missing.push("node".to_owned());
    }
    if !pdftotext {
        missing.push("pdftotext (poppler-utils)".to_owned());
    }
    if missing.is_empty() {
        return Some(Tools { playwright, chromium });
    }
    let missing = format!("{} missing (scripts/test.sh installs them)", missing.join(", "));
    assert!(!in_ci(), "{missing}; CI is set, so the browser tests fail instead of skipping");
    eprintln!("note: {missing}; skipping the browser test");
    None
}

/// `target/`, or CARGO_TARGET_DIR when set (where scripts/test.sh installs playwright-core).
fn target_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| path("target"), PathBuf::from);
    if target.is_absolute() { target } else { path("").join(target) }
}

/// target/screenshots.
fn screenshots() -> PathBuf {
    let dir = target_dir().join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots directory");
    dir
}

/// Writes the HTML and JSON reports of `input` into `dir`.
fn reports(input: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let html = dir.join("report.html");
    let json = dir.join("report.json");
    for (format, out) in [("html", &html), ("json", &json)] {
        let out_s = out.to_str().expect("UTF-8 temp path");
        let (code, _, err) =
            run(&["scan", input, "--format", format, "--output", out_s, "--fail-on", "never", "--now", NOW]);
        assert_eq!(code, 0, "scan {input} --format {format}: {err}");
    }
    (html, json)
}

/// Runs tests/browser/report.mjs in `mode`; panics with its output unless every check passed.
fn browse(tools: &Tools, mode: &str, html: &Path, json: &Path, out: &Path) -> serde_json::Value {
    let result = Command::new("node")
        .arg(path("tests/browser/report.mjs"))
        .args([mode, html.to_str().unwrap(), json.to_str().unwrap(), out.to_str().unwrap()])
        .env("ZTPATH_PLAYWRIGHT_DIR", &tools.playwright)
        .env("ZTPATH_CHROMIUM", &tools.chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "browser checks ({mode}) failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&result.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .expect("the script prints its results as JSON")
}

#[test]
fn the_demo_report_answers_in_chromium_and_prints() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (html, json) = reports("fixtures/demo", dir.path());
    let shots = screenshots();
    let results = browse(&tools, "demo", &html, &json, &shots);
    assert_eq!(results["matrixRows"], 17);
    for png in ["summary.png", "matrix.png", "graph-path.png", "graph-node.png"] {
        let len = std::fs::metadata(shots.join(png)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 10_000, "{png} was not saved ({len} bytes)");
    }

    let pdf = shots.join("report.pdf");
    let out = Command::new("pdftotext").arg("-layout").arg(&pdf).arg("-").output().expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "ztpath report",
        "Reference date",
        "2026-11-25",
        "Executive summary",
        "Top risks",
        "Compliance matrix",
        "OWASP Non-Human Identities Top 10 (2025)",
        "NHI5:2025",
        "Overprivileged NHI",
        "NIST SP 800-207 tenets",
        "not covered",
        "Findings by rule",
        "ZT008",
        "Why.",
        "Fix.",
    ] {
        assert!(text.contains(want), "the PDF lacks {want:?}:\n{text}");
    }
    // The interactive parts are not printed.
    for absent in ["Identity graph", "Find a node by name", "Show neighbourhood", "Reset"] {
        assert!(!text.contains(absent), "the PDF shows {absent:?}");
    }
}

#[test]
fn the_baseline_and_suppression_filters_leave_exactly_those_findings_in_chromium() {
    // The demo against a baseline that lacks every finding of one rule (those are new, the rest
    // existing), with another rule suppressed by a configuration file.
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_, full) = reports("fixtures/demo", dir.path());
    let mut base: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap();
    let findings = base["findings"].as_array().unwrap().clone();
    let new_rule = findings[0]["rule"].as_str().unwrap().to_owned();
    let quiet_rule =
        findings.iter().map(|f| f["rule"].as_str().unwrap()).find(|r| *r != new_rule).unwrap().to_owned();
    base["findings"] = findings.into_iter().filter(|f| f["rule"] != new_rule.as_str()).collect();
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, serde_json::to_vec(&base).unwrap()).unwrap();
    let config = dir.path().join("gate.toml");
    std::fs::write(
        &config,
        format!("[[ignore]]\nrule = \"{quiet_rule}\"\nreason = \"accepted for the test\"\nexpires = \"2027-01-31\"\n"),
    )
    .unwrap();
    let (html, json) = (dir.path().join("gate.html"), dir.path().join("gate.json"));
    for (format, out) in [("html", &html), ("json", &json)] {
        let (code, _, err) = run(&[
            "scan",
            "fixtures/demo",
            "--baseline",
            baseline.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
            "--fail-on",
            "never",
            "--now",
            NOW,
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let report: ztpath_reports::Report =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let count =
        |p: &dyn Fn(&ztpath_reports::Finding) -> bool| report.findings.iter().filter(|f| p(f)).count();
    let suppressed = count(&|f| f.suppressed.is_some());
    let new = count(&|f| f.baseline == Some(ztpath_reports::BaselineState::New));
    assert!(suppressed > 0 && new > 0 && new + suppressed < report.findings.len(), "{suppressed} {new}");
    let results = browse(&tools, "gate", &html, &json, &screenshots());
    assert_eq!(results["suppressed"], suppressed);
    assert_eq!(results["new"], new);
}

#[test]
fn hostile_names_run_nothing_and_inject_nothing_in_chromium() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (html, json) = reports("fixtures/hostile-html", dir.path());
    let page = std::fs::read_to_string(&html).unwrap();
    // The hostile estate really is hostile: its names are in the report.
    let report: ztpath_reports::Report =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report.nodes.iter().any(|n| n.name.contains("</script>")));
    assert!(report.nodes.iter().any(|n| n.name.contains("onerror")));
    assert!(!page.contains("<img") && page.matches("<script").count() == 2);
    let results = browse(&tools, "hostile", &html, &json, &screenshots());
    assert_eq!(results["hostileNodes"], report.nodes.len());
}
