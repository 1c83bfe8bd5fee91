//! The report as it leaves the binary: the 2.x JSON schema, and an `--output` file that a
//! failed write would leave incomplete is not left behind.

mod common;

use std::collections::BTreeSet;

use common::{root, run};

fn demo_json() -> serde_json::Value {
    let (code, stdout, stderr) =
        run(&["scan", "fixtures/demo", "--format", "json", "--fail-on", "never", "--now", common::NOW]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("a JSON report")
}

#[test]
fn findings_name_their_rule_and_the_catalogue_holds_it_once() {
    let doc = demo_json();
    assert_eq!(doc["schema_version"], "2.4.0");
    let rules: BTreeSet<&str> =
        doc["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.len() > 10, "the demo has findings");
    for f in findings {
        for field in ["title", "remediation", "owasp_nhi", "nist_800_207"] {
            assert!(f.get(field).is_none(), "a finding repeats its rule's {field}: {f}");
        }
        let rule = f["rule"].as_str().unwrap();
        assert!(rules.contains(rule), "{rule} is not in rules[]");
    }
    for r in doc["rules"].as_array().unwrap() {
        assert!(r["title"].as_str().is_some_and(|t| !t.is_empty()), "{r}");
        assert!(r["remediation"].as_str().is_some_and(|t| !t.is_empty()), "{r}");
    }
}

#[test]
fn paths_and_chains_are_written_once() {
    let doc = demo_json();
    for p in doc["paths"].as_array().unwrap() {
        assert!(p.get("from").is_none() && p.get("to").is_none(), "{p}");
        assert!(!p["hops"].as_array().unwrap().is_empty(), "{p}");
    }
    let mut chains = 0;
    for b in doc["blast_radius"].as_array().unwrap() {
        let steps = b["steps"].as_array().unwrap();
        let distinct: BTreeSet<&str> = steps.iter().map(|s| s.as_str().unwrap()).collect();
        assert_eq!(distinct.len(), steps.len(), "a step is listed twice: {b}");
        for r in b["reaches"].as_array().unwrap() {
            for i in r["chain"].as_array().unwrap() {
                assert!(i.as_u64().is_some_and(|i| usize::try_from(i).is_ok_and(|i| i < steps.len())), "{r}");
                chains += 1;
            }
        }
    }
    assert!(chains > 20, "the demo's credentials reach things");
}

/// A write that fails half-way (here: a file size limit, as a full disk would) leaves no report
/// file that a later step could take for a whole one, and the scan says it could not write.
#[cfg(unix)]
#[test]
fn a_report_file_that_could_not_be_written_whole_is_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.json");
    let bin = env!("CARGO_BIN_EXE_ztpath");
    let script = format!(
        "trap '' XFSZ; ulimit -f 8; exec '{bin}' scan fixtures/demo --format json --fail-on never --output '{}'",
        out.display()
    );
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(root())
        .env_remove("ZTPATH_TIMINGS")
        .env("ZTPATH_FINGERPRINT_KEY", "ztpath-tests")
        .output()
        .expect("run sh");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write") && stderr.contains("report.json"), "{stderr}");
    assert!(!out.exists(), "an incomplete report was left behind");

    // Without the limit the same command writes the whole report.
    let (code, _, stderr) = run(&[
        "scan",
        "fixtures/demo",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&out).expect("the report file");
    assert!(text.len() > 8 * 512 && text.ends_with("}\n"), "{} bytes", text.len());
}
