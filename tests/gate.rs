//! The CI gate: `.ztpath.toml` (thresholds, rules off, severity overrides, `[[ignore]]` with a
//! reason and an expiry), `ztpath.dev/ignore` annotations, and `--baseline`. What is checked is
//! what a platform team relies on: the exit code, and that every format shows what was
//! suppressed (with the reason) and what is new.

mod common;

use std::path::Path;

use serde_json::Value;

use common::{NOW, path, run_in};

/// A workload that accepts plaintext (ZT001 high) and has no NetworkPolicy (ZT002 medium).
const ESTATE: &str = "fixtures/rules/ZT001/bad/01-unmeshed.yaml";

fn estate(dir: &Path, annotate: Option<&str>) {
    let mut text = std::fs::read_to_string(path(ESTATE)).expect("fixture");
    if let Some(a) = annotate {
        text = text.replacen(
            "kind: Deployment\nmetadata:\n  name: api\n",
            &format!(
                "kind: Deployment\nmetadata:\n  name: api\n  annotations:\n    ztpath.dev/ignore: \"{a}\"\n"
            ),
            1,
        );
        assert!(text.contains("ztpath.dev/ignore"), "the fixture's Deployment header changed");
    }
    std::fs::write(dir.join("app.yaml"), text).expect("writes");
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["scan", "."];
    if !extra.contains(&"--now") {
        args.extend_from_slice(&["--now", NOW]);
    }
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn json(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = scan(dir, &args);
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}")), err)
}

fn finding<'v>(report: &'v Value, rule: &str) -> &'v Value {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == rule)
        .expect("the rule's finding")
}

const IGNORE_ZT001: &str = "[[ignore]]\nrule = \"ZT001\"\nkind = \"Deploy*\"\nnamespace = \"zt001-bad-*\"\nname = \"api\"\nreason = \"moving to the mesh in Q1\"\nexpires = \"2027-03-31\"\n";

#[test]
fn without_policy_the_high_finding_fails_the_gate() {
    let dir = tempfile::tempdir().expect("dir");
    estate(dir.path(), None);
    let (code, report, _) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(finding(&report, "ZT001").get("suppressed").is_none());
    assert!(report["summary"].get("suppressed").is_none());
}

#[test]
fn an_ignore_entry_with_reason_and_expiry_takes_the_finding_out_of_the_gate_in_every_format() {
    let dir = tempfile::tempdir().expect("dir");
    estate(dir.path(), None);
    std::fs::write(dir.path().join(".ztpath.toml"), IGNORE_ZT001).expect("config");
    let (code, report, err) = json(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let s = &finding(&report, "ZT001")["suppressed"];
    assert_eq!(s["reason"], "moving to the mesh in Q1");
    assert_eq!(s["expires"], "2027-03-31");
    assert_eq!(s["source"], "config");
    assert_eq!(s["evidence"]["line"], 1);
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(report["summary"]["findings"]["high"], 0);
    // The table lists it apart, with its reason.
    let (code, table, _) = scan(dir.path(), &["--format", "table"]);
    assert_eq!(code, 0);
    assert!(table.contains("Suppressed (1)"), "{table}");
    assert!(
        table.contains("ZT001 Deployment zt001-bad-unmeshed/api: moving to the mesh in Q1 until 2027-03-31"),
        "{table}"
    );
    assert!(table.contains("1 suppressed"), "{table}");
    // SARIF: a suppression with its justification.
    let (_, sarif, _) = scan(dir.path(), &["--format", "sarif"]);
    let v: Value = serde_json::from_str(&sarif).expect("SARIF");
    let result = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "ZT001")
        .expect("ZT001 result");
    assert_eq!(result["suppressions"][0]["kind"], "external");
    assert_eq!(result["suppressions"][0]["justification"], "moving to the mesh in Q1");
    // The medium finding is not matched and still fails a medium gate.
    let (code, _, _) = scan(dir.path(), &["--fail-on", "medium", "--format", "json"]);
    assert_eq!(code, 1);
}

#[test]
fn an_expired_entry_suppresses_nothing_and_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    estate(dir.path(), None);
    std::fs::write(dir.path().join(".ztpath.toml"), IGNORE_ZT001.replace("2027-03-31", "2026-11-24"))
        .expect("config");
    let (code, report, err) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(finding(&report, "ZT001").get("suppressed").is_none());
    assert!(err.contains(".ztpath.toml:1: ignore entry expired on 2026-11-24"), "{err}");
    // The day it expires it still holds.
    let (code, _, _) = json(dir.path(), &["--now", "2026-11-24"]);
    assert_eq!(code, 0);
}

#[test]
fn entries_without_reason_or_with_an_unknown_rule_are_errors_and_one_that_matches_nothing_is_a_warning() {
    let dir = tempfile::tempdir().expect("dir");
    estate(dir.path(), None);
    let config = dir.path().join(".ztpath.toml");
    std::fs::write(&config, "fail-on = \"low\"\n\n[[ignore]]\nrule = \"ZT001\"\nname = \"api\"\n")
        .expect("config");
    let (code, _, err) = scan(dir.path(), &["--format", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains(".ztpath.toml:3:") && err.contains("reason"), "{err}");
    std::fs::write(&config, "[[ignore]]\nrule = \"ZT999\"\nreason = \"typo\"\n").expect("config");
    let (code, _, err) = scan(dir.path(), &["--format", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("rule ztpath does not have"), "{err}");
    std::fs::write(&config, "[[ignore]]\nrule = \"ZT011\"\nname = \"nothing-*\"\nreason = \"stale\"\n")
        .expect("config");
    let (code, _, err) = scan(dir.path(), &["--format", "json"]);
    assert_eq!(code, 1);
    assert!(err.contains("ignore entry matches no finding"), "{err}");
    // A file that is not TOML: the line, never the text.
    std::fs::write(&config, "password = hunter2\n").expect("config");
    let (code, _, err) = scan(dir.path(), &["--format", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains(".ztpath.toml:1:") && !err.contains("hunter2"), "{err}");
}

#[test]
fn the_config_file_sets_the_gate_and_the_command_line_wins() {
    let dir = tempfile::tempdir().expect("dir");
    estate(dir.path(), None);
    let config = dir.path().join(".ztpath.toml");
    std::fs::write(
        &config,
        "fail-on = \"critical\"\n[rules]\ndisable = [\"ZT002\"]\n[rules.severity]\nZT001 = \"low\"\n",
    )
    .expect("config");
    let (code, report, _) = json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(finding(&report, "ZT001")["severity"], "low");
    assert!(report["findings"].as_array().expect("findings").iter().all(|f| f["rule"] != "ZT002"));
    assert!(report["rules"].as_array().expect("rules").iter().all(|r| r["id"] != "ZT002"));
    let (code, _, _) = json(dir.path(), &["--fail-on", "low"]);
    assert_eq!(code, 1);
    // A config given elsewhere, and none at all.
    let other = tempfile::tempdir().expect("dir");
    std::fs::write(other.path().join("gate.toml"), "fail-on = \"never\"\n").expect("config");
    let given = other.path().join("gate.toml");
    let (code, _, _) = json(dir.path(), &["--config", given.to_str().expect("utf-8")]);
    assert_eq!(code, 0);
    let (code, report, _) = json(dir.path(), &["--no-config"]);
    assert_eq!(code, 1);
    assert_eq!(finding(&report, "ZT001")["severity"], "high");
}

#[test]
fn an_annotation_suppresses_on_its_object_unless_inline_ignores_are_off() {
    let dir = tempfile::tempdir().expect("dir");
    estate(dir.path(), Some("ZT001, ZT002: internal tool, replaced in January"));
    let (code, report, _) = json(dir.path(), &["--fail-on", "low"]);
    assert_eq!(code, 0);
    for rule in ["ZT001", "ZT002"] {
        let s = &finding(&report, rule)["suppressed"];
        assert_eq!(s["source"], "annotation");
        assert_eq!(s["reason"], "internal tool, replaced in January");
        assert_eq!(s["evidence"]["file"], "./app.yaml");
    }
    let (code, report, _) = json(dir.path(), &["--no-inline-ignores"]);
    assert_eq!(code, 1);
    assert!(finding(&report, "ZT001").get("suppressed").is_none());
    // A malformed annotation is reported, not obeyed.
    let bad = tempfile::tempdir().expect("dir");
    estate(bad.path(), Some("please ignore"));
    let (code, _, err) = json(bad.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("annotation ztpath.dev/ignore is not of the form") && !err.contains("please ignore"),
        "{err}"
    );
}

#[test]
fn with_a_baseline_only_what_the_change_brings_fails() {
    let dir = tempfile::tempdir().expect("dir");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).expect("dir");
    for entry in std::fs::read_dir(path("fixtures/demo")).expect("demo") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&p, repo.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let (code, out, err) =
        run_in(&repo, &["scan", ".", "--format", "json", "--fail-on", "never", "--now", NOW]);
    assert_eq!(code, 0, "{err}");
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, out).expect("baseline");
    let base = baseline.to_str().expect("utf-8");
    // Unchanged: the demo's own findings are all existing, so the gate passes.
    let (code, report, _) = json(&repo, &["--baseline", base]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["new"], 0);
    assert!(report["findings"].as_array().expect("findings").iter().all(|f| f["baseline"] == "existing"));
    // Reordered files and an unrelated ConfigMap: still nothing new.
    let names: Vec<_> = std::fs::read_dir(&repo).expect("repo").map(|e| e.expect("entry").path()).collect();
    for (i, p) in names.iter().enumerate() {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        std::fs::rename(p, repo.join(format!("{:02}-{name}", names.len() - i))).expect("rename");
    }
    std::fs::write(
        repo.join("zz-settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n  namespace: shop\ndata:\n  CHECKOUT_V2: \"true\"\n",
    )
    .expect("configmap");
    let (code, report, err) = json(&repo, &["--baseline", base]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(report["summary"]["new"], 0);
    // A plaintext workload and a cluster-admin binding: new findings, and the gate fails.
    std::fs::write(repo.join("pr.yaml"), PR).expect("pr");
    let (code, report, _) = json(&repo, &["--baseline", base]);
    assert_eq!(code, 1);
    let new: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["baseline"] == "new")
        .map(|f| {
            format!("{} {}", f["rule"].as_str().unwrap_or(""), f["subject"]["name"].as_str().unwrap_or(""))
        })
        .collect();
    assert!(new.contains(&"ZT001 reports".to_owned()), "{new:?}");
    assert!(new.contains(&"ZT008 reports".to_owned()), "{new:?}");
    let (_, table, _) = scan(&repo, &["--baseline", base, "--format", "table"]);
    assert!(table.contains("critical (new)") && table.contains("new since the baseline"), "{table}");
    let (_, sarif, _) = scan(&repo, &["--baseline", base, "--format", "sarif"]);
    assert!(
        sarif.contains("\"baselineState\": \"new\"") && sarif.contains("\"baselineState\": \"unchanged\"")
    );
    // A baseline that is not a report is an error naming it.
    std::fs::write(dir.path().join("junk.json"), "{\"not\": \"a report\"}").expect("junk");
    let junk = dir.path().join("junk.json");
    let (code, _, err) = scan(&repo, &["--baseline", junk.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(err.contains("junk.json") && err.contains("not a ztpath JSON report"), "{err}");
}

const PR: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: reports
  namespace: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reports
  namespace: shop
spec:
  selector:
    matchLabels: {app: reports}
  template:
    metadata:
      labels: {app: reports}
      annotations:
        sidecar.istio.io/inject: \"false\"
    spec:
      serviceAccountName: reports
      containers:
        - name: reports
          image: example/reports:1.0
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: reports
  namespace: shop
spec:
  selector: {app: reports}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: reports-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: reports
    namespace: shop
";
