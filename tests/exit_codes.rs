//! The CLI contract: exit 0 = no finding at or above --fail-on (default high), 1 = findings at
//! or above it, 2 = usage error or nothing readable; the report on stdout, diagnostics on stderr.

mod common;

use common::{path, run, scan_json};
use ztpath_reports::{Report, RuleInfo, Severity};

const DEMO: &str = "fixtures/demo";

fn max_severity(report: &Report) -> Option<Severity> {
    report.findings.iter().map(|f| f.severity).min() // Critical sorts first
}

#[test]
fn demo_fails_on_high_by_default() {
    let (code, stdout, stderr) = run(&["scan", DEMO, "--format", "json", "--now", common::NOW]);
    assert_eq!(code, 1, "the demo has high findings; stderr:\n{stderr}");
    assert!(serde_json::from_str::<Report>(&stdout).is_ok(), "the report is still printed");
}

#[test]
fn demo_with_fail_on_never_exits_0() {
    let (code, _, stderr) =
        run(&["scan", DEMO, "--format", "json", "--fail-on", "never", "--now", common::NOW]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
}

#[test]
fn demo_with_fail_on_critical_exits_1() {
    let report = scan_json(&[DEMO]);
    let critical: Vec<_> = report.findings.iter().filter(|f| f.severity == Severity::Critical).collect();
    assert!(!critical.is_empty(), "the demo has critical findings (ZT008 cluster-wide)");
    let (code, _, stderr) =
        run(&["scan", DEMO, "--format", "json", "--fail-on", "critical", "--now", common::NOW]);
    assert_eq!(code, 1, "stderr:\n{stderr}");
}

#[test]
fn every_threshold_follows_the_most_severe_finding() {
    // ZT011/bad as a whole also holds ZT001 (high) and ZT002 (medium) findings; the bare-pod file
    // alone holds only its low ZT011 finding; ZT001/good/01 holds nothing.
    let cases = [
        ("fixtures/rules/ZT011/bad", Some(Severity::High)),
        ("fixtures/rules/ZT011/bad/04-bare-pod.yaml", Some(Severity::Low)),
        ("fixtures/rules/ZT001/good/01-istio-namespace-strict.yaml", None),
        (DEMO, Some(Severity::Critical)),
    ];
    for (input, expected_max) in cases {
        let report = scan_json(&[input]);
        assert_eq!(
            max_severity(&report),
            expected_max,
            "{input}: most severe finding\n{}",
            common::describe(&report.findings.iter().collect::<Vec<_>>())
        );
        for (flag, threshold) in [
            ("critical", Some(Severity::Critical)),
            ("high", Some(Severity::High)),
            ("medium", Some(Severity::Medium)),
            ("low", Some(Severity::Low)),
            ("never", None),
        ] {
            let want = match (threshold, expected_max) {
                (Some(t), Some(m)) if m <= t => 1,
                _ => 0,
            };
            let (code, _, stderr) =
                run(&["scan", input, "--format", "json", "--fail-on", flag, "--now", common::NOW]);
            assert_eq!(
                code, want,
                "{input} --fail-on {flag} (most severe: {expected_max:?}); stderr:\n{stderr}"
            );
        }
        let want_default = i32::from(expected_max.is_some_and(|m| m <= Severity::High));
        let (code, _, _) = run(&["scan", input, "--format", "json", "--now", common::NOW]);
        assert_eq!(code, want_default, "{input} with the default --fail-on high");
    }
}

#[test]
fn only_low_findings_do_not_fail_medium() {
    let input = "fixtures/rules/ZT011/bad/04-bare-pod.yaml";
    let report = scan_json(&[input]);
    let rows: Vec<_> = report.findings.iter().map(|f| (f.rule.as_str(), f.severity)).collect();
    assert_eq!(rows, [("ZT011", Severity::Low)], "{input} holds one low ZT011 finding");
    assert_eq!(run(&["scan", input, "--format", "json", "--fail-on", "medium"]).0, 0);
    assert_eq!(run(&["scan", input, "--format", "json", "--fail-on", "low"]).0, 1);
}

#[test]
fn empty_directory_is_nothing_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["scan", d]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("nothing readable"), "stderr says why: {stderr}");
    assert!(stdout.is_empty(), "no report for nothing: {stdout}");
}

#[test]
fn yaml_without_kubernetes_objects_is_nothing_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("values.yaml"), "replicas: 3\nimage: nginx\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "apiVersion: v1\nkind: ServiceAccount\n").unwrap();
    let (code, _, stderr) = run(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "stderr:\n{stderr}");
    assert!(stderr.contains("nothing readable"), "{stderr}");
}

#[test]
fn nonexistent_path_exits_2() {
    let (code, stdout, stderr) = run(&["scan", "fixtures/does-not-exist"]);
    assert_eq!(code, 2, "stderr:\n{stderr}");
    assert!(stderr.contains("fixtures/does-not-exist"), "stderr names the path: {stderr}");
    assert!(stdout.is_empty());
}

#[test]
fn nonexistent_path_next_to_a_readable_one_is_a_diagnostic() {
    let (code, report_json, stderr) =
        run(&["scan", "fixtures/does-not-exist", DEMO, "--format", "json", "--fail-on", "never"]);
    assert_eq!(code, 0, "the readable input is still scanned; stderr:\n{stderr}");
    let report: Report = serde_json::from_str(&report_json).expect("report");
    assert_eq!(report.summary.diagnostics, 1, "{:?}", report.diagnostics);
    assert!(stderr.contains("fixtures/does-not-exist"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["scan", DEMO, "--bogus"][..],
        &["scan", DEMO, "--fail-on", "sometimes"],
        &["scan", DEMO, "--format", "xml"],
        &["scan", DEMO, "--blast-radius-threshold", "lots"],
        &["frobnicate"],
        &[],
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 2, "ztpath {args:?}; stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(!stderr.trim().is_empty(), "ztpath {args:?} explains the usage error on stderr");
    }
    let (_, _, stderr) = run(&["scan", DEMO, "--bogus"]);
    assert!(stderr.contains("--bogus"), "{stderr}");
}

#[test]
fn help_and_version_exit_0() {
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for cmd in ["scan", "rules", "explain"] {
        assert!(stdout.contains(cmd), "--help lists {cmd}:\n{stdout}");
    }
    let (code, stdout, _) = run(&["scan", "--help"]);
    assert_eq!(code, 0);
    for flag in ["--format", "--output", "--fail-on", "--blast-radius-threshold", "--max-token-seconds"] {
        assert!(stdout.contains(flag), "scan --help lists {flag}:\n{stdout}");
    }
    let (code, stdout, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(stdout.contains(env!("CARGO_PKG_VERSION")), "{stdout}");
}

#[test]
fn output_flag_writes_the_report_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.json");
    let (code, stdout, stderr) =
        run(&["scan", DEMO, "--format", "json", "--now", common::NOW, "--output", out.to_str().unwrap()]);
    assert_eq!(code, 1, "the exit code still follows --fail-on; stderr:\n{stderr}");
    assert!(stdout.is_empty(), "nothing on stdout with --output: {stdout}");
    let written: Report = serde_json::from_str(&std::fs::read_to_string(&out).expect("report written"))
        .expect("valid JSON report");
    assert_eq!(written, scan_json(&[DEMO]), "--output writes the same report as stdout");
    // Without --format, --output defaults to JSON.
    let out2 = dir.path().join("default.out");
    let (code, _, _) =
        run(&["scan", DEMO, "--fail-on", "never", "--now", common::NOW, "--output", out2.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(serde_json::from_str::<Report>(&std::fs::read_to_string(&out2).unwrap()).is_ok());
}

#[test]
fn thresholds_are_options() {
    // --blast-radius-threshold and --max-token-seconds move ZT009 and ZT006.
    let scan_with = |args: &[&str]| {
        let mut a = vec!["scan", DEMO, "--format", "json", "--fail-on", "never", "--now", common::NOW];
        a.extend_from_slice(args);
        let (code, stdout, stderr) = run(&a);
        assert_eq!(code, 0, "{a:?}: {stderr}");
        serde_json::from_str::<Report>(&stdout).expect("report")
    };
    let default = scan_with(&[]);
    assert_eq!(common::of_rule(&default, "ZT009").len(), 2, "the legacy token and the admin pipeline token");
    let strict = scan_with(&["--blast-radius-threshold", "5"]);
    assert!(common::of_rule(&strict, "ZT009").len() > 1, "a lower threshold flags more credentials");
    let lax = scan_with(&["--blast-radius-threshold", "1000"]);
    assert!(common::of_rule(&lax, "ZT009").is_empty(), "nothing is over 1000");
    let zt006 = |r: &Report| common::findings_on(r, "ZT006", "CronJob", "analytics", "nightly-export").len();
    assert_eq!(zt006(&default), 1, "172800 s > 86400 s");
    assert_eq!(zt006(&scan_with(&["--max-token-seconds", "172800"])), 0, "172800 s is not > 172800 s");
}

#[test]
fn explain_prints_the_rule_page() {
    let (code, stdout, stderr) = run(&["explain", "ZT001"]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    let page = std::fs::read_to_string(path("docs/rules/ZT001.md")).expect("docs/rules/ZT001.md");
    assert_eq!(stdout, page, "`ztpath explain ZT001` prints docs/rules/ZT001.md");
    // By name too.
    let (code, by_name, _) = run(&["explain", "plaintext-or-optional-mtls-hop"]);
    assert_eq!(code, 0);
    assert_eq!(by_name, page);
}

#[test]
fn explain_unknown_rule_exits_2() {
    let (code, stdout, stderr) = run(&["explain", "NOPE"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("NOPE"), "stderr names the unknown rule: {stderr}");
}

#[test]
fn rules_json_lists_the_catalogue_in_order() {
    let (code, stdout, stderr) = run(&["rules", "--format", "json"]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    let rules: Vec<RuleInfo> =
        serde_json::from_str(&stdout).expect("rules --format json is a list of RuleInfo");
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    // Kubernetes and mesh rules ZT001..ZT011, proxy and load-balancer rules ZT101..ZT107.
    // AWS IAM rules: ZT201..ZT209. Live TLS rules: ZT301..ZT307.
    let expected: Vec<String> =
        (1..=11).chain(101..=107).chain(201..=209).chain(301..=307).map(|n| format!("ZT{n:03}")).collect();
    assert_eq!(ids, expected, "rule ids in order");
    for r in &rules {
        assert!(
            !r.title.is_empty() && !r.name.is_empty() && !r.rationale.is_empty() && !r.remediation.is_empty()
        );
        assert_eq!(r.doc, format!("docs/rules/{}.md", r.id));
    }
    // The scan report carries the same catalogue.
    assert_eq!(scan_json(&[DEMO]).rules, rules);
}

#[test]
fn rules_table_and_markdown_exit_0() {
    let (code, table, _) = run(&["rules"]);
    assert_eq!(code, 0);
    let (code, md, _) = run(&["rules", "--format", "markdown"]);
    assert_eq!(code, 0);
    for n in 1..=11 {
        let id = format!("ZT{n:03}");
        assert!(table.contains(&id) && md.contains(&id), "{id} listed");
    }
}
