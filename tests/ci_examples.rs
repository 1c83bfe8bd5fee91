//! docs/ci.md stays true: every `ztpath scan` and `ztpath diff` command its examples run is run
//! here, in order, against a copy of the demo estate standing in for `deploy/` (and for the base
//! branch's `../base/deploy`). Each must run (exit 0 or 1, never 2), and what it writes must be
//! what the next step reads (SARIF, a JSON report used as a baseline, Markdown).

mod common;

use std::path::Path;

use common::{path, run_in};

/// The `ztpath …` commands of docs/ci.md, as written, cut at the shell's redirections.
fn commands() -> Vec<String> {
    let doc = std::fs::read_to_string(path("docs/ci.md")).expect("docs/ci.md");
    let mut out = Vec::new();
    for line in doc.lines() {
        let Some(at) = line.find("ztpath scan ").or_else(|| line.find("ztpath diff ")) else { continue };
        let cmd = &line[at..];
        let cmd = cmd.split(" > ").next().unwrap_or(cmd);
        let cmd = cmd.split(" || ").next().unwrap_or(cmd);
        out.push(cmd.trim_end_matches(['\'', ' ']).to_owned());
    }
    out
}

fn copy_demo(to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(path("fixtures/demo")).expect("demo") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
        }
    }
}

#[test]
fn every_command_of_the_ci_examples_runs() {
    let cmds = commands();
    let kinds: Vec<&str> =
        cmds.iter().map(|c| if c.starts_with("ztpath diff") { "diff" } else { "scan" }).collect();
    assert!(cmds.len() >= 6 && kinds.contains(&"diff"), "the examples changed: {cmds:?}");
    let dir = tempfile::tempdir().expect("dir");
    let work = dir.path().join("repo");
    copy_demo(&work.join("deploy"));
    copy_demo(&dir.path().join("base/deploy"));
    for cmd in &cmds {
        // The GitLab gate downloads the default branch's report; here it is the one made above.
        if cmd.contains("--baseline baseline.json") && !work.join("baseline.json").exists() {
            std::fs::copy(work.join("ztpath-report.json"), work.join("baseline.json")).expect("baseline");
        }
        let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        let mut with_now = args.clone();
        with_now.extend_from_slice(&["--now", common::NOW]);
        let (code, out, err) = run_in(&work, &with_now);
        assert!(code == 0 || code == 1, "`{cmd}` exited {code}: {err}");
        if cmd.contains("--format markdown") {
            assert!(!out.trim().is_empty(), "`{cmd}` wrote nothing");
        }
    }
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("ztpath.sarif")).expect("ztpath.sarif"))
            .expect("SARIF");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(work.join("ztpath-report.json").is_file());
}
