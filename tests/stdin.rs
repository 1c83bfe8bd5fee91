//! `ztpath scan -`: manifests on standard input give the report the files give, apart from the
//! evidence's file names, within the per-file byte limit.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{NOW, command, root, scan_json};
use ztpath_reports::Report;

/// `ztpath scan ARGS…` with `input` on standard input: (exit code, stdout, stderr).
fn scan_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = command(root())
        .arg("scan")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo's manifests (not its AWS exports), concatenated as `kubectl` or `helm template` would
/// print them.
fn demo_manifests() -> (Vec<String>, String) {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures/demo"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    let mut all = String::new();
    for n in &names {
        all.push_str("---\n");
        all.push_str(&std::fs::read_to_string(root().join("fixtures/demo").join(n)).unwrap());
        all.push('\n');
    }
    (names.iter().map(|n| format!("fixtures/demo/{n}")).collect(), all)
}

fn findings(r: &Report) -> Vec<(String, String, String)> {
    let mut v: Vec<_> =
        r.findings.iter().map(|f| (f.rule.clone(), f.subject.to_string(), f.severity.to_string())).collect();
    v.sort();
    v
}

fn path_ids(r: &Report) -> Vec<String> {
    r.paths.iter().map(|p| p.id.to_string()).collect()
}

#[test]
fn stdin_gives_the_report_the_files_give() {
    let (files, text) = demo_manifests();
    let paths: Vec<&str> = files.iter().map(String::as_str).collect();
    let from_files = scan_json(&paths);
    let (code, out, err) =
        scan_stdin(&["-", "--format", "json", "--fail-on", "never", "--now", NOW], text.as_bytes());
    assert_eq!(code, 0, "{err}");
    let from_stdin: Report = serde_json::from_str(&out).unwrap();
    assert_eq!(findings(&from_stdin), findings(&from_files));
    assert_eq!(path_ids(&from_stdin), path_ids(&from_files));
    assert_eq!(from_stdin.summary.objects, from_files.summary.objects);
    let ev = &from_stdin.findings[0].evidence[0];
    assert_eq!(ev.file, "<stdin>");
    assert!(ev.line > 0);
    assert!(from_stdin.findings.iter().flat_map(|f| &f.evidence).all(|e| e.file == "<stdin>"));
}

#[test]
fn stdin_mixes_with_paths() {
    let (_, text) = demo_manifests();
    let payments = std::fs::read_to_string(root().join("fixtures/demo/payments.yaml")).unwrap();
    let rest = text.replace(&payments, "");
    let (code, out, err) = scan_stdin(
        &["-", "fixtures/demo/payments.yaml", "--format", "json", "--fail-on", "never", "--now", NOW],
        rest.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    let mixed: Report = serde_json::from_str(&out).unwrap();
    let (files, _) = demo_manifests();
    let from_files = scan_json(&files.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(findings(&mixed), findings(&from_files));
    let evidence: std::collections::BTreeSet<&str> =
        mixed.findings.iter().flat_map(|f| &f.evidence).map(|e| e.file.as_str()).collect();
    assert!(evidence.contains("<stdin>") && evidence.contains("fixtures/demo/payments.yaml"), "{evidence:?}");
}

#[test]
fn empty_or_unreadable_stdin_is_an_error_naming_standard_input() {
    let (code, _, err) = scan_stdin(&["-", "--format", "json"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("standard input"), "{err}");
    let (code, _, err) = scan_stdin(&["-", "--format", "json"], b"kind: [\n\xff\xfe");
    assert_eq!(code, 2);
    assert!(err.contains("<stdin>"), "{err}");
}
