//! Fingerprints of secret values are keyed (HMAC-SHA-256): with a random key per scan by default,
//! so that a reader of a report cannot test a guessed value against them, and with a fixed key
//! (`--fingerprint-key` or `ZTPATH_FINGERPRINT_KEY`) when reports must be compared. Finding ids
//! never depend on the key.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use ztpath_reports::Report;

/// A Secret whose value is the weak `hello`, the same value again in another namespace (ZT007),
/// and a literal credential in a Deployment.
const ESTATE: &str = "apiVersion: v1
kind: Secret
metadata: {name: weak, namespace: a}
stringData:
  password: hello
---
apiVersion: v1
kind: Secret
metadata: {name: copy, namespace: b}
stringData:
  token: hello
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: a}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: app
        image: app
        env:
        - name: API_TOKEN
          value: s3cr3t-literal-token
";

/// `ztpath scan FILE --format json` with the environment this test gives (the shared helper
/// always fixes the key; these runs must not).
fn scan(file: &str, key_env: Option<&str>, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ztpath"));
    cmd.args(["scan", file, "--format", "json", "--fail-on", "never", "--now", "2026-11-25"])
        .args(extra)
        .env_remove("ZTPATH_TIMINGS")
        .env_remove("ZTPATH_FINGERPRINT_KEY");
    if let Some(k) = key_env {
        cmd.env("ZTPATH_FINGERPRINT_KEY", k);
    }
    let out = cmd.output().expect("run ztpath");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report(file: &str, key_env: Option<&str>, extra: &[&str]) -> (String, Report) {
    let (code, stdout, stderr) = scan(file, key_env, extra);
    assert_eq!(code, 0, "{stderr}");
    let r = serde_json::from_str(&stdout).expect("JSON report");
    (stdout, r)
}

/// Every fingerprint in a report: credential nodes' and those quoted in finding messages.
fn fingerprints(r: &Report) -> BTreeSet<String> {
    let mut out: BTreeSet<String> =
        r.nodes.iter().filter_map(|n| n.attrs.get("fingerprint").cloned()).collect();
    for f in &r.findings {
        let mut rest = f.message.as_str();
        while let Some(i) = rest.find("hmac:") {
            out.insert(rest[i..i + 17].to_owned());
            rest = &rest[i + 17..];
        }
    }
    out
}

fn ids(r: &Report) -> Vec<(String, String)> {
    r.findings.iter().map(|f| (f.rule.clone(), f.id.to_string())).collect()
}

fn estate() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.yaml");
    std::fs::write(&file, ESTATE).unwrap();
    let file = file.display().to_string();
    (dir, file)
}

#[test]
fn without_a_key_fingerprints_change_from_scan_to_scan_but_finding_ids_do_not() {
    let (_dir, file) = estate();
    let (_, first) = report(&file, None, &[]);
    let (_, second) = report(&file, None, &[]);
    let (f1, f2) = (fingerprints(&first), fingerprints(&second));
    assert!(f1.len() >= 2, "{f1:?}");
    assert!(f1.is_disjoint(&f2), "two random keys gave common fingerprints: {f1:?} {f2:?}");
    assert_eq!(ids(&first), ids(&second), "finding ids must not depend on the key");
    // The same for every rule's findings, and every node, path and blast radius, on the demo,
    // the rule fixtures and the proxies.
    let all = ["fixtures/demo", "fixtures/rules", "fixtures/proxies"]
        .map(|p| common::path(p).display().to_string());
    let runs: Vec<Report> = (0..2)
        .map(|_| {
            let (code, stdout, stderr) = scan(&all[0], None, &[&all[1], &all[2]]);
            assert_eq!(code, 0, "{stderr}");
            serde_json::from_str(&stdout).unwrap()
        })
        .collect();
    assert!(fingerprints(&runs[0]).is_disjoint(&fingerprints(&runs[1])));
    assert!(runs[0].findings.len() > 100);
    assert_eq!(ids(&runs[0]), ids(&runs[1]));
    let node_ids = |r: &Report| r.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
    assert_eq!(node_ids(&runs[0]), node_ids(&runs[1]));
    let path_ids = |r: &Report| r.paths.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_eq!(path_ids(&runs[0]), path_ids(&runs[1]));
    let blast = |r: &Report| r.blast_radius.iter().map(|b| b.credential.id.clone()).collect::<Vec<_>>();
    assert_eq!(blast(&runs[0]), blast(&runs[1]));
    // Reuse is still seen within one report: the two Secrets share one fingerprint.
    let reuse: Vec<_> = first.findings.iter().filter(|f| f.rule == "ZT007").collect();
    assert_eq!(reuse.len(), 1, "{reuse:#?}");
    assert_eq!(reuse[0].subject.to_string(), "Secret a/weak");
    assert!(reuse[0].message.contains("across namespaces a, b"), "{}", reuse[0].message);
}

#[test]
fn the_same_key_gives_the_same_report() {
    let (_dir, file) = estate();
    let (by_flag, r1) = report(&file, None, &["--fingerprint-key", "team-baseline-key"]);
    let (again, _) = report(&file, None, &["--fingerprint-key", "team-baseline-key"]);
    let (by_env, _) = report(&file, Some("team-baseline-key"), &[]);
    assert!(by_flag == again, "two runs with one key differ");
    assert!(by_flag == by_env, "the flag and the environment variable give the same key");
    // The flag wins over the environment.
    let (over, _) = report(&file, Some("another-key"), &["--fingerprint-key", "team-baseline-key"]);
    assert!(over == by_flag, "--fingerprint-key overrides ZTPATH_FINGERPRINT_KEY");
    // Another key: other fingerprints, same findings.
    let (_, r2) = report(&file, Some("another-key"), &[]);
    assert!(fingerprints(&r1).is_disjoint(&fingerprints(&r2)));
    assert_eq!(ids(&r1), ids(&r2));
    // The key itself is never printed.
    assert!(!by_flag.contains("team-baseline-key"));
}

#[test]
fn a_weak_value_cannot_be_confirmed_from_its_fingerprint() {
    let (_dir, file) = estate();
    for (key, extra) in [(None, &[][..]), (Some("k"), &[][..]), (None, &["--fingerprint-key", ""][..])] {
        let (code, stdout, stderr) = scan(&file, key, extra);
        if extra.len() == 2 {
            // An empty key is refused rather than silently replaced.
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("--fingerprint-key is empty"), "{stderr}");
            assert!(stdout.is_empty());
            continue;
        }
        assert_eq!(code, 0, "{stderr}");
        // SHA-256("hello") starts 2cf24dba5fb0: an unkeyed fingerprint would give the value away
        // (the keyed input digest, `hmac-sha256:`, is no unkeyed `sha256:` fingerprint).
        let unkeyed = stdout.replace("hmac-sha256:", "");
        assert!(!stdout.contains("2cf24dba5fb0") && !unkeyed.contains("sha256:"), "{stdout}");
        let r: Report = serde_json::from_str(&stdout).unwrap();
        let weak = r.findings.iter().find(|f| f.rule == "ZT005" && f.subject.name == "weak").expect("ZT005");
        assert!(weak.message.contains("`password` (hmac:"), "{}", weak.message);
    }
    let (code, _, stderr) = scan(&file, Some(""), &[]);
    assert_eq!(code, 2, "an empty ZTPATH_FINGERPRINT_KEY is refused: {stderr}");
    assert!(stderr.contains("ZTPATH_FINGERPRINT_KEY is empty"), "{stderr}");
}

fn digest_of(stdout: &str) -> String {
    let report: Report = serde_json::from_str(stdout).expect("a JSON report");
    report.summary.input_digest.expect("files were read, so the summary has an input digest")
}

#[test]
fn the_input_digest_names_the_files_read_under_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a");
    std::fs::create_dir(&a).expect("mkdir");
    std::fs::write(a.join("estate.yaml"), ESTATE).expect("write");
    std::fs::write(a.join("more.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n")
        .expect("write");
    let root = a.display().to_string();
    let digest = |key: Option<&str>| {
        let (code, out, err) = scan(&root, key, &[]);
        assert_eq!(code, 0, "{err}");
        digest_of(&out)
    };
    let first = digest(Some("k1"));
    assert!(first.starts_with("hmac-sha256:"), "{first}");
    let hex = &first["hmac-sha256:".len()..];
    assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");
    // The same files and key: the same digest; another key: another one; no key: one per run.
    assert_eq!(digest(Some("k1")), first);
    assert_ne!(digest(Some("k2")), first);
    assert_ne!(digest(None), digest(None));
    // One byte of one file changed: another digest; restored: the first again.
    std::fs::write(a.join("more.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\n")
        .expect("write");
    assert_ne!(digest(Some("k1")), first);
    std::fs::write(a.join("more.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n")
        .expect("write");
    assert_eq!(digest(Some("k1")), first);
    // A file that is not an input (no extension a reader takes) is not in it.
    std::fs::write(a.join("notes.txt"), "not read").expect("write");
    assert_eq!(digest(Some("k1")), first);
    // The digest is no plain SHA-256 of any input, so it cannot be used to test a guess.
    for name in ["estate.yaml", "more.yaml"] {
        let bytes = std::fs::read(a.join(name)).expect("read");
        let plain: String =
            <sha2::Sha256 as sha2::Digest>::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(hex, plain);
    }
}
