//! Data-driven over fixtures/rules/<ID>/{bad,good}/: every bad file, read alone, gives exactly the
//! findings of its rule that its `# expect:` lines name (rule, severity, subject), and each of them
//! still when its folder is read as one estate; every good file says `# expect-none: <ID>` and, with
//! its folder, stays silent for its rule; and the rule catalogue, the fixtures and the docs are in
//! sync. The format is described in fixtures/README.md.
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

/// One finding a bad file expects: a `# expect: <RULE> <severity> <Kind> [(<group>)] <subject>`
/// line, where the subject is `namespace/name`, or the name alone for an object without a
/// namespace, and runs to the end of the line.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    rule: String,
    severity: Severity,
    kind: String,
    /// API group given in parentheses after the kind (`security.istio.io`, `policy.linkerd.io`):
    /// the finding's evidence must point at an object of that group.
    group: Option<String>,
    target: String,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.rule, self.severity, self.kind)?;
        if let Some(g) = &self.group {
            write!(f, " ({g})")?;
        }
        write!(f, " {}", self.target)
    }
}

/// What a fixture's structured comments say: the findings of its rule it expects (a bad file), or
/// that there is none (a good file).
#[derive(Debug)]
enum Expect {
    Findings(Vec<Expected>),
    None,
}

const EXPECT: &str = "# expect:";
const EXPECT_NONE: &str = "# expect-none:";

/// Reads the `# expect:` / `# expect-none:` lines of a fixture of rule `id`. Any malformed line,
/// a rule other than `id`, a mix of the two forms, or neither, is an error.
fn read_expect(file: &str, id: &str) -> Result<Expect, String> {
    let text = std::fs::read_to_string(path(file)).map_err(|e| format!("{file}: {e}"))?;
    let mut found = Vec::new();
    let mut none = false;
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{file}:{}", n + 1);
        if line.to_ascii_lowercase().starts_with("# expect") && !line.starts_with("# expect") {
            return Err(format!("{}: write `# expect:` / `# expect-none:` in lower case", at()));
        }
        if let Some(rest) = line.strip_prefix(EXPECT_NONE) {
            if rest.trim() != id {
                return Err(format!("{}: `{EXPECT_NONE}` must name this folder's rule {id}", at()));
            }
            none = true;
        } else if let Some(rest) = line.strip_prefix(EXPECT) {
            found.push(parse_expected(rest).map_err(|e| format!("{}: {e}", at()))?);
        } else if line.starts_with("# expect") || line.starts_with("# Expect:") {
            return Err(format!("{}: unknown expectation form (see fixtures/README.md)", at()));
        }
    }
    if let Some(e) = found.iter().find(|e| e.rule != id) {
        return Err(format!("{file}: expects {e}, not a finding of this folder's rule {id}"));
    }
    match (found.is_empty(), none) {
        (false, false) => {
            found.sort();
            Ok(Expect::Findings(found))
        }
        (true, true) => Ok(Expect::None),
        (false, true) => Err(format!("{file}: both `{EXPECT}` and `{EXPECT_NONE}` lines")),
        (true, false) => Err(format!("{file}: no `{EXPECT}` or `{EXPECT_NONE}` line")),
    }
}

fn parse_expected(rest: &str) -> Result<Expected, String> {
    let mut words = rest.split_whitespace();
    let rule = words.next().filter(|r| r.starts_with("ZT")).ok_or("no rule id")?.to_owned();
    let severity = words
        .next()
        .and_then(|w| Severity::ALL.into_iter().find(|s| s.as_str() == w))
        .ok_or("no severity (critical, high, medium, low or info) after the rule id")?;
    let kind = words.next().ok_or("no subject kind")?.to_owned();
    let mut rest: Vec<&str> = words.collect();
    let group = match rest.first() {
        Some(g) if g.starts_with('(') && g.ends_with(')') => {
            let g = g.trim_matches(['(', ')']).to_owned();
            rest.remove(0);
            Some(g)
        }
        _ => None,
    };
    if rest.is_empty() {
        return Err("no subject after the kind".to_owned());
    }
    Ok(Expected { rule, severity, kind, group, target: rest.join(" ") })
}

fn subject_target(f: &Finding) -> String {
    match &f.subject.namespace {
        Some(ns) => format!("{ns}/{}", f.subject.name),
        None => f.subject.name.clone(),
    }
}

/// Whether `f` is the finding `expected` describes.
fn matches(f: &Finding, expected: &Expected) -> bool {
    if f.rule != expected.rule
        || f.severity != expected.severity
        || f.subject.kind != expected.kind
        || subject_target(f) != expected.target
    {
        return false;
    }
    // The API group tells Istio and Linkerd AuthorizationPolicies apart: the evidence must point
    // at an object of that group.
    if let Some(group) = &expected.group {
        return f.evidence.iter().any(|e| {
            let doc = document_at(&path(&e.file), e.line);
            doc.contains(&format!("apiVersion: {group}/"))
                && doc.contains(&format!("kind: {}", expected.kind))
        });
    }
    true
}

/// Checks a bad file's expectations against a report. Read alone (`exact`), the file's findings of
/// its rule are exactly the expected ones, one each; read with its folder, each expected finding
/// is among them.
fn check_bad(report: &Report, id: &str, file: &str, exact: bool, failures: &mut Vec<String>) {
    let context = if exact { "read alone" } else { "in its folder" };
    let expected = match read_expect(file, id) {
        Ok(Expect::Findings(e)) => e,
        Ok(Expect::None) => {
            failures.push(format!("{file}: a bad file says `{EXPECT_NONE}`"));
            return;
        }
        Err(e) => {
            failures.push(e);
            return;
        }
    };
    let of_rule = common::of_rule(report, id);
    let mut unmatched: Vec<&Finding> = of_rule.clone();
    for e in &expected {
        match unmatched.iter().position(|f| matches(f, e)) {
            Some(i) => {
                unmatched.remove(i);
            }
            None => failures.push(format!(
                "{file} ({context}): no finding `{e}`\n  {id} findings:\n{}",
                common::describe(&of_rule)
            )),
        }
    }
    if exact && !unmatched.is_empty() {
        failures.push(format!(
            "{file} ({context}): {} {id} finding(s) that no `{EXPECT}` line names:\n{}",
            unmatched.len(),
            common::describe(&unmatched)
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
            check_bad(&report, &id, &file, true, &mut failures);
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
            check_bad(&report, &id, &file, false, &mut failures);
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
fn good_files_say_expect_none_for_their_rule() {
    let mut failures = Vec::new();
    for id in rule_dirs() {
        for file in files(&id, "good") {
            match read_expect(&file, &id) {
                Ok(Expect::None) => {}
                Ok(Expect::Findings(_)) => failures.push(format!("{file}: a good file expects findings")),
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expectation_lines_parse_strictly() {
    let e = parse_expected(" ZT003 high AuthorizationPolicy (security.istio.io) ns/allow-all").unwrap();
    assert_eq!(e.to_string(), "ZT003 high AuthorizationPolicy (security.istio.io) ns/allow-all");
    let e = parse_expected(" ZT009 high ServiceAccountToken ns/ops token").unwrap();
    assert_eq!((e.group, e.target.as_str()), (None, "ns/ops token"));
    for bad in [
        "",
        " ZT001",
        " ZT001 severe Deployment a/b",
        " ZT001 high",
        " ZT001 high Deployment",
        " high ZT001 X y",
    ] {
        assert!(parse_expected(bad).is_err(), "{bad:?}");
    }
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
