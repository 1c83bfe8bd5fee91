//! What a person at a terminal gets: severities in colour (never with `NO_COLOR`, never when the
//! output is piped or written to a file) and shell completions.

mod common;

use std::process::Command;

use common::{NOW, path, root, run};

const ESTATE: &str = "fixtures/rules/ZT001/bad/01-unmeshed.yaml";

/// Runs ztpath under a pseudo-terminal (util-linux `script`), so that stdout is a terminal.
fn on_a_terminal(no_color: Option<&str>) -> String {
    let bin = env!("CARGO_BIN_EXE_ztpath");
    let cmd = format!("{bin} scan {ESTATE} --now {NOW} --fail-on never");
    let mut script = Command::new("script");
    script
        .current_dir(root())
        .args(["-qec", &cmd, "/dev/null"])
        .env("ZTPATH_FINGERPRINT_KEY", "ztpath-tests");
    match no_color {
        Some(v) => script.env("NO_COLOR", v),
        None => script.env_remove("NO_COLOR"),
    };
    let out = script.output().expect("util-linux `script` runs (Debian's bsdutils)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn severities_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let coloured = on_a_terminal(None);
    assert!(coloured.contains("Findings (2)"), "{coloured}");
    assert!(coloured.contains("\u{1b}[38;5;1m high"), "high is not coloured: {coloured:?}");
    let plain = on_a_terminal(Some("1"));
    assert!(plain.contains("Findings (2)") && !plain.contains('\u{1b}'), "{plain:?}");
    // An empty NO_COLOR does not count (no-color.org).
    assert!(on_a_terminal(Some("")).contains('\u{1b}'));
}

#[test]
fn piped_or_written_output_has_no_colour() {
    let (_, out, _) = run(&["scan", ESTATE, "--now", NOW, "--fail-on", "never", "--format", "table"]);
    assert!(out.contains("Findings (2)") && !out.contains('\u{1b}'));
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("report.txt");
    let cmd = format!(
        "{} scan {ESTATE} --now {NOW} --fail-on never --format table --output {}",
        env!("CARGO_BIN_EXE_ztpath"),
        file.display()
    );
    let status = Command::new("script")
        .current_dir(root())
        .args(["-qec", &cmd, "/dev/null"])
        .status()
        .expect("script");
    assert!(status.success());
    let text = std::fs::read_to_string(&file).expect("report");
    assert!(text.contains("Findings (2)") && !text.contains('\u{1b}'));
    assert!(path(ESTATE).is_file());
}

#[test]
fn completions_cover_the_subcommands_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_ztpath()"),
        ("zsh", "#compdef ztpath"),
        ("fish", "complete -c ztpath"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: no {marker}");
        assert!(out.contains("baseline") && out.contains("scan"), "{shell}: the scan options are missing");
    }
    let (code, _, _) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}
