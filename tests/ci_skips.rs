//! Under CI a test that lacks what it needs fails instead of skipping: the corpus helper of
//! tests/common panics when the corpora are missing and `CI` is set, and scripts/test.sh stops
//! with an error before building anything.

mod common;

use std::ffi::OsStr;
#[cfg(unix)]
use std::path::PathBuf;
#[cfg(unix)]
use std::process::Command;

use common::{ci_value, corpora_at};

#[test]
fn ci_is_any_value_but_empty_false_and_0() {
    for on in ["true", "1", "yes", "github-actions"] {
        assert!(ci_value(Some(OsStr::new(on))), "CI={on}");
    }
    for off in ["", "false", "0"] {
        assert!(!ci_value(Some(OsStr::new(off))), "CI={off:?}");
    }
    assert!(!ci_value(None), "CI unset");
}

#[test]
fn missing_corpora_skip_outside_ci_and_fail_under_ci() {
    assert_eq!(corpora_at("fixtures", false), Some("fixtures"));
    assert_eq!(corpora_at("fixtures", true), Some("fixtures"));
    assert_eq!(corpora_at("fixtures/no-such-corpora", false), None);
    let under_ci = std::panic::catch_unwind(|| corpora_at("fixtures/no-such-corpora", true));
    let message = under_ci.expect_err("missing corpora under CI fail the test");
    let text = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| message.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(text.contains("no-such-corpora") && text.contains("CI is set"), "{text}");
}

/// `tool` as found on PATH.
#[cfg(unix)]
fn which(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{tool} is not on PATH"))
}

/// Runs a copy of scripts/test.sh in a scratch tree that has no `../shared`, with only `bash` and
/// `dirname` on PATH (so nothing past the corpora check can build, install or fetch anything) and
/// `CI` as given; returns (exit code, stderr).
#[cfg(unix)]
fn test_script_without_corpora(ci: Option<&str>) -> (i32, String) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let repo = scratch.path().join("repo");
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(repo.join("scripts")).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(common::path("scripts/test.sh"), repo.join("scripts/test.sh")).unwrap();
    for tool in ["bash", "dirname"] {
        std::os::unix::fs::symlink(which(tool), bin.join(tool)).unwrap();
    }
    let mut cmd = Command::new(bin.join("bash"));
    cmd.arg(repo.join("scripts/test.sh")).current_dir(&repo).env_clear().env("PATH", &bin);
    if let Some(ci) = ci {
        cmd.env("CI", ci);
    }
    let out = cmd.output().expect("run scripts/test.sh");
    assert!(!repo.join("target").exists(), "nothing is installed past the corpora check");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[cfg(unix)]
#[test]
fn test_script_stops_under_ci_when_the_corpora_are_missing() {
    let (code, stderr) = test_script_without_corpora(Some("true"));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.trim(), "error: ../shared/corpora not found; under CI the corpus tests need it");
    // Outside CI it only notes the skip and goes on (here to fail on the tools it lacks).
    for ci in [None, Some("false"), Some("0")] {
        let (_, stderr) = test_script_without_corpora(ci);
        assert!(
            stderr.starts_with("note: ../shared/corpora not found; the corpus tests will be skipped"),
            "CI={ci:?}: {stderr}"
        );
    }
}
