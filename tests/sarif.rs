//! `--format sarif`: what code scanning reads. The logs of the demo, of every rule's bad fixtures
//! and of the corpora are validated by Microsoft's SARIF Multitool with the SARIF and GitHub
//! (`Gh`) rule kinds, and must show no error; the results must be the JSON report's findings, with
//! locations that point at the lines, paths as code flows, and fingerprints that stay when lines
//! move.
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips or found, as tests do")]

mod common;
mod tls_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::{NOW, corpora, in_ci, path, root, run_in, scan_json};

fn sarif_of(args: &[&str]) -> Value {
    sarif_in(root(), &[&["scan"], args].concat())
}

/// The SARIF of `ztpath ARGS` run in `dir`, which must succeed.
fn sarif_in(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "sarif", "--fail-on", "never", "--now", NOW]);
    let (code, out, err) = run_in(dir, &all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("SARIF is not JSON ({e}): {out}"))
}

/// The Multitool (`ZTPATH_SARIF_MULTITOOL`, else where scripts/test.sh installs it), or `None`
/// with a note; under CI its absence fails the test.
fn multitool() -> Option<PathBuf> {
    let candidate = std::env::var_os("ZTPATH_SARIF_MULTITOOL").map(PathBuf::from).unwrap_or_else(|| {
        path("target/node-sarif/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
    });
    if candidate.is_file() {
        return Some(candidate);
    }
    let missing = format!(
        "the SARIF Multitool is not at {} (set ZTPATH_SARIF_MULTITOOL, or run scripts/test.sh, which installs it)",
        candidate.display()
    );
    assert!(!in_ci(), "{missing}; CI is set, so the test fails instead of skipping");
    eprintln!("note: {missing}; skipping the validation");
    None
}

/// Validates the logs with the SARIF and GitHub rules; returns the errors (`file: rule: text`).
fn validate(tool: &Path, logs: &[PathBuf], dir: &Path) -> Vec<String> {
    let out = dir.join("validation.sarif");
    let status = Command::new(tool)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .arg("validate")
        .args(["--rule-kind", "Sarif;Gh", "-o"])
        .arg(&out)
        .args(logs)
        .output()
        .expect("the Multitool runs");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!("no validation output ({e}); the Multitool said: {}", String::from_utf8_lossy(&status.stdout))
    });
    let v: Value = serde_json::from_str(&text).expect("the validation log is JSON");
    let mut errors = Vec::new();
    for r in v["runs"][0]["results"].as_array().into_iter().flatten() {
        if r["level"] == "error" {
            let file =
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or("?");
            errors.push(format!("{file}: {}: {}", r["ruleId"], r["message"]["text"]));
        }
    }
    errors
}

#[test]
fn the_demo_the_bad_fixtures_and_the_corpora_validate_without_errors() {
    let Some(tool) = multitool() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut logs = Vec::new();
    let mut write = |name: &str, v: &Value| {
        let p = dir.path().join(format!("{name}.sarif"));
        std::fs::write(&p, serde_json::to_vec(v).expect("serialises")).expect("writes");
        logs.push(p);
    };
    write("demo", &sarif_of(&["fixtures/demo"]));
    let mut rules = 0;
    for entry in std::fs::read_dir(path("fixtures/rules")).expect("fixtures/rules") {
        let rule = entry.expect("entry").file_name().to_string_lossy().into_owned();
        let bad = format!("fixtures/rules/{rule}/bad");
        if path(&bad).is_dir() {
            write(&format!("bad-{rule}"), &sarif_of(&[&bad]));
            rules += 1;
        }
    }
    assert!(rules >= 27, "only {rules} bad fixture folders found");
    if let Some(c) = corpora() {
        write("corpora", &sarif_of(&[c]));
    }
    // Suppressions and baseline states too.
    let gated = tempfile::tempdir().expect("temp dir");
    std::fs::copy(path("fixtures/rules/ZT001/bad/01-unmeshed.yaml"), gated.path().join("app.yaml"))
        .expect("copy");
    std::fs::write(
        gated.path().join(".ztpath.toml"),
        "[[ignore]]\nrule = \"ZT001\"\nreason = \"accepted until the mesh rollout\"\nexpires = \"2027-01-31\"\n",
    )
    .expect("config");
    let base = gated.path().join("base.json");
    let (_, out, _) =
        run_in(gated.path(), &["scan", ".", "--format", "json", "--fail-on", "never", "--now", NOW]);
    std::fs::write(&base, out).expect("baseline");
    let (_, out, err) = run_in(
        gated.path(),
        &[
            "scan",
            "app.yaml",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "--now",
            NOW,
            "--baseline",
            "base.json",
        ],
    );
    let gated_log: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert!(out.contains("\"suppressions\"") && out.contains("\"baselineState\""));
    write("gated", &gated_log);
    let errors = validate(&tool, &logs, dir.path());
    assert!(errors.is_empty(), "{} SARIF errors:\n{}", errors.len(), errors.join("\n"));
}

#[test]
fn live_tls_logs_validate_and_carry_the_wire_findings() {
    // `probe tls --format sarif` and `scan --tls --format sarif` against rustls servers started
    // here: one that admits without a client certificate and presents another account's SPIFFE ID,
    // one with an expired certificate, and a plaintext port.
    use tls_support::{Ca, ClientAuth, Spec, Versions};
    let Some(tool) = multitool() else { return };
    let ca = Ca::new("mesh CA");
    let clients = Ca::new("mesh client CA");
    let other = tls_support::substituted_leaf(&ca);
    let expired = ca.leaf(&["old.shop.svc"], None, (2025, 1, 1, 0), (2026, 11, 1, 0));
    let servers = tls_support::start(
        &[
            tls_support::admits_anyone(&other, &clients),
            Spec { leaf: &expired, auth: ClientAuth::Off, versions: Versions::Tls12Only, client_ca: None },
        ],
        1,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("ca.pem"), &ca.pem).expect("write");
    std::fs::write(dir.path().join("estate.yaml"), tls_support::STRICT_SHOP).expect("write");
    let api = format!("{}=api.shop.svc", servers.addrs[0]);
    let old = format!("{}=old.shop.svc", servers.addrs[1]);
    let plain = servers.addrs[2].to_string();
    let sarif = |args: &[&str]| sarif_in(dir.path(), &[args, &["--tls-ca", "ca.pem"]].concat());
    let probed = sarif(&["probe", "tls", &api, &old, &plain]);
    let mapped = format!("{api}=Deployment/shop/api");
    let scanned = sarif(&["scan", "estate.yaml", "--tls", "--tls-target", &mapped, "--tls-target", &old]);
    let rules_of = |v: &Value| -> BTreeSet<String> {
        v["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap_or_default().to_owned())
            .filter(|r| r.starts_with("ZT3"))
            .collect()
    };
    // The expired certificate (ZT303) in both; the admission without a certificate under STRICT
    // (ZT301) and the other account's identity (ZT306) only where the estate says what to expect.
    assert!(rules_of(&probed).contains("ZT303"), "{probed}");
    let scanned_rules = rules_of(&scanned);
    for rule in ["ZT301", "ZT303", "ZT306"] {
        assert!(scanned_rules.contains(rule), "{rule} missing: {scanned_rules:?}");
    }
    let mut logs = Vec::new();
    for (name, log) in [("probe-tls", &probed), ("scan-tls", &scanned)] {
        let p = dir.path().join(format!("{name}.sarif"));
        std::fs::write(&p, serde_json::to_vec(log).expect("serialises")).expect("writes");
        logs.push(p);
    }
    let errors = validate(&tool, &logs, dir.path());
    assert!(errors.is_empty(), "{} SARIF errors:\n{}", errors.len(), errors.join("\n"));
}

#[test]
fn the_validator_finds_an_error_it_should() {
    // A log GitHub refuses (an absolute helpUri is required; this one is relative), to show that
    // the validation above can fail.
    let Some(tool) = multitool() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut v = sarif_of(&["fixtures/rules/ZT011/bad"]);
    v["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = Value::from("docs/rules/ZT001.md");
    let p = dir.path().join("broken.sarif");
    std::fs::write(&p, serde_json::to_vec(&v).expect("serialises")).expect("writes");
    let errors = validate(&tool, &[p], dir.path());
    assert!(errors.iter().any(|e| e.contains("SARIF1005")), "{errors:?}");
}

#[test]
fn results_are_the_findings_at_their_lines() {
    let report = scan_json(&["fixtures/demo"]);
    let v = sarif_of(&["fixtures/demo"]);
    let run = &v["runs"][0];
    assert_eq!(run["originalUriBaseIds"]["SCANROOT"]["uri"], "fixtures/demo/");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), report.rules.len());
    for r in rules {
        assert!(
            r["helpUri"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!("docs/rules/{}.md", r["id"].as_str().unwrap_or(""))))
        );
        assert!(r["help"]["markdown"].as_str().is_some_and(|m| m.contains("## How to fix it")));
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    for (r, f) in results.iter().zip(&report.findings) {
        assert_eq!(r["ruleId"], f.rule.as_str());
        assert_eq!(r["partialFingerprints"]["ztpathFindingId/v1"], f.id.as_str());
        let want = match f.severity {
            ztpath_reports::Severity::Critical | ztpath_reports::Severity::High => "error",
            ztpath_reports::Severity::Medium => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], want, "{}", f.id);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "SCANROOT");
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        let file = path("fixtures/demo").join(uri);
        let line = usize::try_from(loc["region"]["startLine"].as_u64().expect("line")).expect("a line");
        let lines = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .lines()
            .count();
        assert!(line >= 1 && line <= lines, "{uri}:{line} is past the end ({lines} lines)");
        assert_eq!(format!("fixtures/demo/{uri}"), f.evidence[0].file.trim_start_matches("./"));
        assert_eq!(u32::try_from(line).ok(), Some(f.evidence[0].line));
    }
}

#[test]
fn a_proxy_finding_steps_through_caller_proxy_and_backend() {
    let report = scan_json(&["fixtures/proxies"]);
    let v = sarif_of(&["fixtures/proxies"]);
    let results = v["runs"][0]["results"].as_array().expect("results");
    let (r, f) = results
        .iter()
        .zip(&report.findings)
        .find(|(_, f)| f.rule == "ZT103" && !f.paths.is_empty())
        .expect("a ZT103 finding on a path");
    let flow = &r["codeFlows"][0]["threadFlows"][0]["locations"];
    let steps = flow.as_array().expect("steps");
    let path = report.paths.iter().find(|p| p.id == f.paths[0]).expect("the finding's path");
    assert_eq!(steps.len(), path.hops.len());
    assert!(steps.len() >= 2, "caller → proxy → backend has two hops at least");
    for (step, hop) in steps.iter().zip(&path.hops) {
        let text = step["location"]["message"]["text"].as_str().expect("step text");
        assert!(text.starts_with(&format!("{} → {}", hop.from, hop.to)), "{text}");
        assert!(text.contains(hop.auth.as_str()) && text.contains(hop.identity.as_str()), "{text}");
    }
}

#[test]
fn fingerprints_stay_when_lines_move_and_files_are_reordered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = |to: &Path, shift: bool| {
        std::fs::create_dir_all(to).expect("dir");
        let mut files: Vec<PathBuf> = std::fs::read_dir(path("fixtures/demo"))
            .expect("demo")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for (i, p) in files.iter().enumerate() {
            {
                let text = std::fs::read_to_string(p).expect("readable");
                let name = p.file_name().expect("name").to_string_lossy().into_owned();
                // Shifted: three comment lines on top, and the files renamed so they sort the
                // other way round.
                let (name, text) = if shift {
                    (format!("{:02}-{name}", files.len() - i), format!("# moved\n#\n#\n{text}"))
                } else {
                    (name, text)
                };
                std::fs::write(to.join(name), text).expect("writes");
            }
        }
    };
    copy(&dir.path().join("a"), false);
    copy(&dir.path().join("b"), true);
    let prints = |sub: &str| -> BTreeMap<String, (String, u64)> {
        let (code, out, err) =
            run_in(dir.path(), &["scan", sub, "--format", "sarif", "--fail-on", "never", "--now", NOW]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).expect("SARIF");
        v["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["ztpathFindingId/v1"].as_str().expect("print").to_owned(),
                    (
                        r["ruleId"].as_str().unwrap_or_default().to_owned(),
                        r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap_or(0),
                    ),
                )
            })
            .collect()
    };
    let (a, b) = (prints("a"), prints("b"));
    assert!(a.len() > 10);
    let only_a: BTreeSet<_> = a.keys().filter(|k| !b.contains_key(*k)).map(|k| &a[k].0).collect();
    let only_b: BTreeSet<_> = b.keys().filter(|k| !a.contains_key(*k)).map(|k| &b[k].0).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "fingerprints changed: rules {only_a:?} / {only_b:?}");
    assert!(a.iter().any(|(k, (_, line))| b[k].1 == line + 3), "the lines did move");
}
