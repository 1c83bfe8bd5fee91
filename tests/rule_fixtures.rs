//! Data-driven over fixtures/rules/<ID>/{bad,good}/: every bad file fires its rule on the subject
//! its `# Expect:` line names, every good file and folder stays silent for its rule, and the rule
//! catalogue, the fixtures and the docs are in sync.
//!
//! Each test checks every rule and reports all failures together.

mod common;

use std::path::{Path, PathBuf};

use common::{document_at, path, run, scan_json};
use ztpath_reports::{Finding, Report, RuleInfo, Severity};

const RULES_DIR: &str = "fixtures/rules";

/// The rule ids that have a fixtures directory, sorted.
fn rule_dirs() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(path(RULES_DIR))
        .expect("fixtures/rules")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ZT"))
        .collect();
    assert!(!ids.is_empty(), "{RULES_DIR} holds no rule folder: every test below would check nothing");
    ids.sort();
    ids
}

/// The manifest files of `fixtures/rules/<id>/<side>`, as paths relative to the repository root.
fn files(id: &str, side: &str) -> Vec<String> {
    let dir = format!("{RULES_DIR}/{id}/{side}");
    let mut out: Vec<String> = std::fs::read_dir(path(&dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| [".yaml", ".yml", ".json", ".conf", ".cfg"].iter().any(|e| n.ends_with(e)))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

/// What a bad file's `# Expect:` comment asks for.
#[derive(Debug)]
struct Expect {
    /// The whole comment, `# ` prefixes removed, lines joined.
    text: String,
    /// Subject kind, when the comment names it in the usual `on <Kind> [(<group>)] <ns>/<name>` form.
    kind: Option<String>,
    /// API group given in parentheses after the kind (`security.istio.io`, `policy.linkerd.io`).
    group: Option<String>,
    /// `ns/name` or `name`.
    target: Option<String>,
    /// Severity given in parentheses (`ZT001 (high) on …`, `(medium: same namespace)`).
    severity: Option<Severity>,
}

fn read_expect(file: &str) -> Expect {
    let text = std::fs::read_to_string(path(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut lines = Vec::new();
    let mut on = false;
    for line in text.lines() {
        if line.starts_with("# Expect:") {
            on = true;
        }
        if on {
            match line.strip_prefix('#') {
                Some(rest) => lines.push(rest.trim().trim_start_matches("Expect:").trim().to_string()),
                None => break,
            }
        }
    }
    assert!(!lines.is_empty(), "{file} has no `# Expect:` line");
    let text = lines.join(" ");

    let severity = text.find('(').and_then(|i| {
        let word: String = text[i + 1..].chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        Severity::ALL.into_iter().find(|s| s.as_str() == word)
    });
    // The primary subject follows " on " or, for the ZT007 value-sharing files, "input order, ".
    let after = text
        .find(" on ")
        .map(|i| &text[i + 4..])
        .or_else(|| text.find("input order, ").map(|i| &text[i + "input order, ".len()..]));
    let mut kind = None;
    let mut group = None;
    let mut target = None;
    if let Some(after) = after {
        let mut words = after.split_whitespace();
        if let Some(k) = words.next().filter(|k| k.starts_with(|c: char| c.is_ascii_uppercase())) {
            let mut next = words.next();
            if let Some(g) = next.filter(|w| w.starts_with('(') && w.ends_with(')')) {
                group = Some(g.trim_matches(['(', ')']).to_string());
                next = words.next();
            }
            if let Some(t) = next {
                kind = Some(k.to_string());
                target = Some(t.trim_end_matches(['.', ',', ';', ')']).to_string());
            }
        }
    }
    Expect { text, kind, group, target, severity }
}

fn subject_target(f: &Finding) -> String {
    match &f.subject.namespace {
        Some(ns) => format!("{ns}/{}", f.subject.name),
        None => f.subject.name.clone(),
    }
}

/// Whether `f` is the finding `expect` describes.
fn matches(f: &Finding, expect: &Expect) -> bool {
    let (Some(kind), Some(target)) = (&expect.kind, &expect.target) else {
        // Free-form comment (ZT009/bad/02): the subject must be spelled out in it.
        let whole = format!("{} {}", f.subject.kind, subject_target(f));
        return expect.text.contains(&whole);
    };
    if f.subject.kind != *kind || subject_target(f) != *target {
        return false;
    }
    if expect.severity.is_some_and(|s| f.severity != s) {
        return false;
    }
    // The API group tells Istio and Linkerd AuthorizationPolicies apart: the evidence must point
    // at an object of that group.
    if let Some(group) = &expect.group {
        return f.evidence.iter().any(|e| {
            let doc = document_at(&path(&e.file), e.line);
            doc.contains(&format!("apiVersion: {group}/")) && doc.contains(&format!("kind: {kind}"))
        });
    }
    true
}

fn check_bad(report: &Report, id: &str, file: &str, context: &str, failures: &mut Vec<String>) {
    let expect = read_expect(file);
    let of_rule = common::of_rule(report, id);
    if of_rule.is_empty() {
        failures.push(format!("{file} ({context}): no {id} finding; expected: {}", expect.text));
        return;
    }
    if !of_rule.iter().any(|f| matches(f, &expect)) {
        failures.push(format!(
            "{file} ({context}): no {id} finding on {:?} {:?}{}{}; expected: {}\n  {id} findings:\n{}",
            expect.kind,
            expect.target,
            expect.group.as_ref().map_or(String::new(), |g| format!(" (group {g})")),
            expect.severity.map_or(String::new(), |s| format!(" with severity {s}")),
            expect.text,
            common::describe(&of_rule)
        ));
    }
}

#[test]
fn every_bad_file_fires_its_rule_on_the_expected_subject() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for id in rule_dirs() {
        let bad = files(&id, "bad");
        assert!(!bad.is_empty(), "{id}/bad has files");
        for file in bad {
            let report = scan_json(&[&file]);
            check_bad(&report, &id, &file, "read alone", &mut failures);
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} bad files failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_bad_folder_read_as_one_estate_still_flags_every_file() {
    let mut failures = Vec::new();
    for id in rule_dirs() {
        let dir = format!("{RULES_DIR}/{id}/bad");
        let report = scan_json(&[&dir]);
        if common::of_rule(&report, &id).is_empty() {
            failures.push(format!("{dir}: no {id} finding at all"));
            continue;
        }
        for file in files(&id, "bad") {
            check_bad(&report, &id, &file, "in its folder", &mut failures);
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_good_file_and_folder_is_silent_for_its_rule() {
    let mut failures = Vec::new();
    for id in rule_dirs() {
        let good = files(&id, "good");
        assert!(!good.is_empty(), "{id}/good has files");
        let dir = format!("{RULES_DIR}/{id}/good");
        for input in good.iter().map(String::as_str).chain([dir.as_str()]) {
            let report = scan_json(&[input]);
            let hits = common::of_rule(&report, &id);
            if !hits.is_empty() {
                failures.push(format!(
                    "{input}: {} {id} finding(s):\n{}",
                    hits.len(),
                    common::describe(&hits)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} good inputs fire their rule:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn good_files_name_no_finding_of_their_rule_in_expect() {
    // The `# Expect:` line of a good file says `no ZTnnn` for its own rule.
    let mut failures = Vec::new();
    for id in rule_dirs() {
        for file in files(&id, "good") {
            let expect = read_expect(&file);
            if !expect.text.starts_with(&format!("no {id}")) {
                failures.push(format!("{file}: `# Expect:` says {:?}", expect.text));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn catalogue_fixtures_and_docs_are_in_sync() {
    let (code, stdout, stderr) = run(&["rules", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let rules: Vec<RuleInfo> = serde_json::from_str(&stdout).expect("rules --format json");
    let mut failures = Vec::new();
    let ids: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
    if ids != rule_dirs() {
        failures.push(format!("catalogue {ids:?} != fixtures/rules dirs {:?}", rule_dirs()));
    }
    for r in &rules {
        for side in ["bad", "good"] {
            let dir: PathBuf = path(&format!("{RULES_DIR}/{}/{side}", r.id));
            if !dir.is_dir() || files(&r.id, side).is_empty() {
                failures.push(format!("{}: no manifests in {}", r.id, dir.display()));
            }
        }
        let doc = path(&format!("docs/rules/{}.md", r.id));
        if r.doc != format!("docs/rules/{}.md", r.id) {
            failures.push(format!("{}: doc field {:?}", r.id, r.doc));
        }
        match std::fs::read_to_string(&doc) {
            Err(e) => failures.push(format!("{}: {}: {e}", r.id, doc.display())),
            Ok(page) => {
                let (code, explain, stderr) = run(&["explain", &r.id]);
                if code != 0 {
                    failures.push(format!("explain {} exited {code}: {stderr}", r.id));
                } else if explain != page {
                    failures.push(format!(
                        "docs/rules/{}.md differs from `ztpath explain {}` (regenerate with `ztpath rules --write-docs docs/rules`)",
                        r.id, r.id
                    ));
                }
                if !page.contains(&r.title) || !page.contains(&r.remediation) {
                    failures.push(format!(
                        "docs/rules/{}.md lacks the title or remediation of the catalogue",
                        r.id
                    ));
                }
            }
        }
    }
    // The index page too, and no stray pages.
    let index = std::fs::read_to_string(path("docs/rules/README.md")).unwrap_or_default();
    let (_, markdown, _) = run(&["rules", "--format", "markdown"]);
    if index != markdown {
        failures.push("docs/rules/README.md differs from `ztpath rules --format markdown`".to_string());
    }
    for entry in std::fs::read_dir(path("docs/rules")).expect("docs/rules") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if name != "README.md" && !ids.iter().any(|id| name == format!("{id}.md")) {
            failures.push(format!("docs/rules/{name} documents no rule of the catalogue"));
        }
    }
    // `--write-docs` regenerates exactly these pages.
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, _, stderr) = run(&["rules", "--write-docs", tmp.path().to_str().unwrap()]);
    if code != 0 {
        failures.push(format!("rules --write-docs exited {code}: {stderr}"));
    }
    for id in ids.iter().map(String::as_str).chain(["README"]) {
        let written = std::fs::read_to_string(tmp.path().join(format!("{id}.md"))).unwrap_or_default();
        let committed = std::fs::read_to_string(Path::new(&path("docs/rules")).join(format!("{id}.md")))
            .unwrap_or_default();
        if written != committed {
            failures.push(format!("--write-docs output for {id}.md differs from docs/rules/{id}.md"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
