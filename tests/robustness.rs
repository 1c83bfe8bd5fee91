//! Broken and hostile inputs never stop a scan (fixtures/invalid and generated files), and the
//! same input always gives byte-identical output.

mod common;

use std::time::{Duration, Instant};

use common::{parse_diagnostic, run, scan_json_full};

const INVALID: &str = "fixtures/invalid";

/// (file, accepted line range, words the reason must contain) — fixtures/invalid/README.md.
const BROKEN: [(&str, u32, u32, &[&str]); 4] = [
    ("fixtures/invalid/alias-bomb.yaml", 12, 21, &["alias"]),
    ("fixtures/invalid/helm-template.yaml", 15, 41, &["Helm"]),
    ("fixtures/invalid/malformed.json", 18, 19, &[]),
    ("fixtures/invalid/mixed-valid-broken.yaml", 14, 22, &[]),
];

#[test]
fn invalid_folder_gives_one_diagnostic_per_broken_input_and_reads_the_rest() {
    let start = Instant::now();
    let (code, report, stderr) = scan_json_full(&[INVALID]);
    let elapsed = start.elapsed();
    assert!(code == 0 || code == 1, "exit {code} (101 = panic); stderr:\n{stderr}");
    assert_eq!(code, 0, "the valid objects give no findings: {:?}", report.findings);
    assert!(elapsed < Duration::from_secs(60), "the alias bomb is refused cheaply, took {elapsed:?}");

    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let parsed: Vec<_> = lines.iter().map(|l| (l, parse_diagnostic(l))).collect();
    let bad_form: Vec<_> = parsed.iter().filter(|(_, d)| d.is_none()).map(|(l, _)| l).collect();
    assert!(bad_form.is_empty(), "stderr lines not in `file:line: reason` form: {bad_form:#?}");
    let diags: Vec<_> = parsed.into_iter().filter_map(|(_, d)| d).collect();
    assert_eq!(diags.len(), 4, "exactly 4 diagnostics:\n{stderr}");
    for (file, lo, hi, words) in BROKEN {
        let d = diags
            .iter()
            .find(|d| d.file == file)
            .unwrap_or_else(|| panic!("no diagnostic for {file}:\n{stderr}"));
        assert!((lo..=hi).contains(&d.line), "{file}: line {} not in {lo}..={hi}", d.line);
        assert!(d.reason.contains("not valid YAML/JSON"), "{file}: {}", d.reason);
        for w in words {
            assert!(d.reason.contains(w), "{file}: the reason should mention {w:?}: {}", d.reason);
        }
    }
    // The JSON report lists the same diagnostics.
    assert_eq!(report.summary.diagnostics, 4);
    let mut from_json: Vec<_> =
        report.diagnostics.iter().map(|d| (d.file.clone(), d.line, d.message.clone())).collect();
    let mut from_stderr: Vec<_> = diags.iter().map(|d| (d.file.clone(), d.line, d.reason.clone())).collect();
    from_json.sort();
    from_stderr.sort();
    assert_eq!(from_json, from_stderr, "stderr and report.diagnostics agree");

    // The valid objects of the same files are still read.
    assert_eq!(report.summary.files, 5, "5 files read");
    assert_eq!(report.summary.objects, 5, "5 valid objects read");
    for id in [
        "sa:invalid-mixed/reader",
        "sa:invalid-helm/web",
        "sa:invalid-alias/after-the-bomb",
        "sa:invalid-neighbour/still-read",
    ] {
        assert!(
            report.nodes.iter().any(|n| n.id == id),
            "{id} is read; nodes: {:?}",
            report.nodes.iter().map(|n| &n.id).collect::<Vec<_>>()
        );
    }
    // Nothing from the broken documents.
    assert!(!report.nodes.iter().any(|n| n.id.contains("invalid-json")), "malformed.json yields nothing");
    assert!(report.findings.is_empty());
}

#[test]
fn each_broken_file_alone() {
    for (file, lo, hi, _) in BROKEN {
        let (code, stdout, stderr) = run(&["scan", file, "--format", "json", "--fail-on", "never"]);
        let d: Vec<_> = stderr.lines().filter_map(parse_diagnostic).collect();
        assert_eq!(d.len(), 1, "{file}: one diagnostic:\n{stderr}");
        assert!(d[0].file == file && (lo..=hi).contains(&d[0].line), "{file}: {:?}", d[0]);
        if file.ends_with("malformed.json") {
            // Its only document is the broken List: nothing readable.
            assert_eq!(code, 2, "{file}: {stderr}");
            assert!(stderr.contains("nothing readable"), "{stderr}");
        } else {
            assert_eq!(code, 0, "{file}: the valid document is read; stderr:\n{stderr}");
            let report: ztpath_reports::Report = serde_json::from_str(&stdout).expect("report");
            assert_eq!(report.summary.objects, 1, "{file}");
        }
    }
}

#[test]
fn hostile_generated_inputs_do_not_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |name: &str| dir.path().join(name);
    let ok = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: survivor\n  namespace: hostile\nautomountServiceAccountToken: false\n";
    std::fs::write(p("ok.yaml"), ok).unwrap();
    // Deeply nested flow and block collections, JSON nesting.
    std::fs::write(p("deep-flow.yaml"), format!("a: {}{}\n", "[".repeat(50_000), "]".repeat(50_000)))
        .unwrap();
    let deep_block: String = (0..2_000).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    std::fs::write(p("deep-block.yaml"), deep_block).unwrap();
    std::fs::write(p("deep.json"), format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000))).unwrap();
    // Not text, not UTF-8, empty, comments only, scalars and lists at the top.
    std::fs::write(p("binary.yaml"), (0u8..=255).cycle().take(4096).collect::<Vec<u8>>()).unwrap();
    std::fs::write(p("latin1.yaml"), b"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: caf\xe9\n")
        .unwrap();
    std::fs::write(p("empty.yaml"), "").unwrap();
    std::fs::write(p("comments.yaml"), "# nothing\n---\n# more\n").unwrap();
    std::fs::write(p("scalar.yaml"), "just a string\n").unwrap();
    std::fs::write(p("list.yaml"), "- a\n- b\n").unwrap();
    // Kubernetes-shaped but with wrong types everywhere.
    std::fs::write(
        p("wrong-types.yaml"),
        "apiVersion: v1\nkind: null\nmetadata: {name: x}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: 5\nspec: []\n---\nkind: Pod\nmetadata: {name: p, namespace: hostile}\nspec: {containers: 7, serviceAccountName: [1]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: hostile}\nsubjects: {kind: ServiceAccount}\nroleRef: 3\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: hostile}\nspec: {selector: [a], ports: [{port: \"x\", targetPort: {}}]}\n",
    )
    .unwrap();
    // A long single line and a duplicate key.
    std::fs::write(
        p("long.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: long, namespace: hostile}}\ndata:\n  k: {}\n",
            "x".repeat(2_000_000)
        ),
    )
    .unwrap();
    std::fs::write(
        p("dupkey.yaml"),
        "apiVersion: v1\nkind: ServiceAccount\nkind: Secret\nmetadata: {name: d, namespace: hostile}\n",
    )
    .unwrap();

    let start = Instant::now();
    let (code, stdout, stderr) =
        run(&["scan", dir.path().to_str().unwrap(), "--format", "json", "--fail-on", "never"]);
    assert!(start.elapsed() < Duration::from_secs(120), "took {:?}", start.elapsed());
    assert_eq!(code, 0, "no crash (101 = panic, -1 = signal), the survivor is read; stderr:\n{stderr}");
    let report: ztpath_reports::Report = serde_json::from_str(&stdout).expect("a JSON report");
    assert!(report.nodes.iter().any(|n| n.id == "sa:hostile/survivor"), "the valid file is read");
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        // Whole-file diagnostics (not UTF-8) have no line: `file: reason`.
        let tmp = dir.path().to_str().unwrap();
        assert!(line.starts_with(tmp), "every stderr line is a diagnostic about an input: {line}");
    }
    for name in ["deep-flow.yaml", "deep-block.yaml", "deep.json", "binary.yaml", "latin1.yaml"] {
        assert!(
            report.diagnostics.iter().any(|d| d.file.ends_with(name)),
            "{name} is reported as unreadable: {:#?}",
            report.diagnostics
        );
    }
    // Each hostile file on its own: exit 0 or 2, never a crash.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let f = entry.unwrap().path();
        let (code, _, stderr) = run(&["scan", f.to_str().unwrap(), "--format", "json", "--fail-on", "never"]);
        assert!(code == 0 || code == 2, "{}: exit {code}; stderr:\n{stderr}", f.display());
    }
}

#[test]
fn same_input_gives_byte_identical_output() {
    for format in ["json", "dot", "table"] {
        let args = ["scan", "fixtures/demo", "--format", format, "--fail-on", "never", "--now", common::NOW];
        let (c1, first, e1) = run(&args);
        let (c2, second, e2) = run(&args);
        assert_eq!((c1, c2), (0, 0), "{e1}{e2}");
        assert!(!first.is_empty());
        assert!(first == second, "two runs of {args:?} differ");
        assert_eq!(e1, e2);
    }
}

#[test]
fn file_order_on_the_command_line_does_not_matter() {
    let mut files: Vec<String> = Vec::new();
    for dir in ["fixtures/demo", "fixtures/demo/aws"] {
        files.extend(
            std::fs::read_dir(common::path(dir))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".json") || n.ends_with(".csv"))
                .map(|n| format!("{dir}/{n}")),
        );
    }
    files.sort();
    let as_dir =
        run(&["scan", "fixtures/demo", "--format", "json", "--fail-on", "never", "--now", common::NOW]).1;
    for order in [files.clone(), files.iter().rev().cloned().collect()] {
        let mut args = vec!["scan", "--format", "json", "--fail-on", "never", "--now", common::NOW];
        args.extend(order.iter().map(String::as_str));
        let (code, out, stderr) = run(&args);
        assert_eq!(code, 0, "{stderr}");
        assert!(out == as_dir, "listing the files ({order:?}) gives the same report as the directory");
    }
}
