//! Shared helpers for the end-to-end tests: run the `ztpath` binary, read its JSON report, and
//! locate fixtures and the shared corpora. Every test crate uses only part of this module.
#![allow(dead_code)]
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips or found, as tests do")]

use std::path::{Path, PathBuf};
use std::process::Command;

use ztpath_reports::{Finding, Report, Subject};

/// The repository root (where Cargo.toml, fixtures/ and docs/ live). The binary runs here, so
/// paths given relative to it show up as such in evidence and diagnostics.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `root()/rel`.
pub(crate) fn path(rel: &str) -> PathBuf {
    root().join(rel)
}

/// Runs `ztpath` with `args` in the repository root; returns (exit code, stdout, stderr).
/// The exit code is -1 when the process was killed by a signal (a stack overflow, an abort).
pub(crate) fn run(args: &[&str]) -> (i32, String, String) {
    run_in(root(), args)
}

/// The `ztpath` command as every test runs it: in `dir`, without the caller's timing and
/// fake-today variables, and with a fixed fingerprint key (reports compared across runs must be
/// byte-identical).
pub(crate) fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ztpath"));
    cmd.current_dir(dir)
        .env_remove("ZTPATH_TIMINGS")
        .env_remove("ZTPATH_TODAY")
        .env("ZTPATH_FINGERPRINT_KEY", "ztpath-tests");
    cmd
}

/// (exit code, stdout, stderr) of a finished command.
fn outcome(cmd: &mut Command, args: &[&str]) -> (i32, String, String) {
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("cannot run ztpath {args:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `ztpath` with `args` in `dir`; returns (exit code, stdout, stderr).
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    outcome(&mut command(dir), args)
}

/// Runs `ztpath` with `args` in the repository root with the variables `env` set on top of
/// [`run`]'s environment; returns (exit code, stdout, stderr).
pub(crate) fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    outcome(command(root()).envs(env.iter().copied()), args)
}

/// The reference date (`--now`) of every test scan whose report could depend on the day (access-key
/// ages, ZT202 and ZT203): with it the tests give the same result on every day.
pub(crate) const NOW: &str = "2026-11-25";

/// `ztpath scan PATHS --format json --fail-on never`, deserialized. Panics (showing stderr) unless
/// the scan exits 0 and prints a valid report.
pub(crate) fn scan_json(paths: &[&str]) -> Report {
    let (code, report, stderr) = scan_json_full(paths);
    assert_eq!(
        code, 0,
        "ztpath scan {paths:?} --format json --fail-on never exited {code}; stderr:\n{stderr}"
    );
    report
}

/// Like [`scan_json`], but also returns the exit code and stderr, and only requires valid JSON.
pub(crate) fn scan_json_full(paths: &[&str]) -> (i32, Report, String) {
    let mut args = vec!["scan"];
    args.extend_from_slice(paths);
    // A fixed reference date keeps credential ages (ZT202, ZT203) the same on every day.
    args.extend_from_slice(&["--format", "json", "--fail-on", "never", "--now", NOW]);
    let (code, stdout, stderr) = run(&args);
    let report: Report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "ztpath {args:?} (exit {code}) did not print a JSON report: {e}\nstdout (first 2000 bytes):\n{}\nstderr:\n{stderr}",
            &stdout[..stdout.len().min(2000)]
        )
    });
    (code, report, stderr)
}

/// `../shared/corpora` relative to the repository root, as the binary sees it (it runs in the
/// root), or `None` (after printing a note) when the corpora are not there. Under CI (see
/// [`in_ci`]) missing corpora are a failure, not a skip: this panics.
pub(crate) fn corpora() -> Option<&'static str> {
    corpora_at("../shared/corpora", in_ci())
}

/// [`corpora`] for the folder `rel` (relative to the repository root), with `ci` saying whether a
/// missing folder must fail the test.
pub(crate) fn corpora_at(rel: &'static str, ci: bool) -> Option<&'static str> {
    if path(rel).is_dir() {
        return Some(rel);
    }
    let missing = format!("the corpora folder {} does not exist", path(rel).display());
    assert!(!ci, "{missing}; CI is set, so the corpus tests fail instead of skipping");
    eprintln!("note: {missing}; skipping the corpus test");
    None
}

/// Whether the tests run under CI: the variable `CI` is set to anything but "", "false" or "0".
/// There a test that lacks what it needs (the corpora, moto) fails instead of skipping.
pub(crate) fn in_ci() -> bool {
    ci_value(std::env::var_os("CI").as_deref())
}

/// [`in_ci`] for a given value of `CI`.
pub(crate) fn ci_value(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// `Kind ns/name` (or `Kind name` when cluster-scoped).
pub(crate) fn subject(s: &Subject) -> String {
    s.to_string()
}

/// One line per finding: `ZT001 high Deployment ns/name: message`.
pub(crate) fn describe(findings: &[&Finding]) -> String {
    if findings.is_empty() {
        return "  (none)".to_string();
    }
    findings
        .iter()
        .map(|f| format!("  {} {} {}: {}", f.rule, f.severity.as_str(), f.subject, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// All findings of `rule`.
pub(crate) fn of_rule<'a>(report: &'a Report, rule: &str) -> Vec<&'a Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

/// The findings of `rule` on subject (`kind`, `namespace`, `name`); `namespace` "" for
/// cluster-scoped subjects.
pub(crate) fn findings_on<'a>(
    report: &'a Report,
    rule: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| {
            f.rule == rule
                && f.subject.kind == kind
                && f.subject.namespace.as_deref().unwrap_or("") == namespace
                && f.subject.name == name
        })
        .collect()
}

/// A parsed stderr diagnostic line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiagLine {
    /// File as printed.
    pub file: String,
    /// Line (1-based).
    pub line: u32,
    /// Reason.
    pub reason: String,
}

/// Parses `file:line: reason` (line > 0, reason non-empty). `None` when the line has another form.
pub(crate) fn parse_diagnostic(text: &str) -> Option<DiagLine> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b':' {
            continue;
        }
        let digits = bytes[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            continue;
        }
        let after = i + 1 + digits;
        if text[after..].starts_with(": ") && i > 0 {
            let line: u32 = text[i + 1..after].parse().ok()?;
            let reason = text[after + 2..].trim();
            if line == 0 || reason.is_empty() {
                return None;
            }
            return Some(DiagLine { file: text[..i].to_string(), line, reason: reason.to_string() });
        }
    }
    None
}

/// The YAML document (text between `---` separators) of `file` that holds 1-based `line`.
pub(crate) fn document_at(file: &Path, line: u32) -> String {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let lines: Vec<&str> = text.lines().collect();
    let idx = (line as usize).saturating_sub(1).min(lines.len().saturating_sub(1));
    let is_sep = |l: &str| l == "---" || l.starts_with("--- ");
    let start = (0..=idx).rev().find(|&i| is_sep(lines[i].trim_end())).map_or(0, |i| i + 1);
    let end = (idx + 1..lines.len()).find(|&i| is_sep(lines[i].trim_end())).unwrap_or(lines.len());
    lines[start.min(end)..end].join("\n")
}

/// Number of lines of a file.
pub(crate) fn line_count(file: &Path) -> usize {
    std::fs::read_to_string(file).map(|t| t.lines().count()).unwrap_or(0)
}

/// Standard base64 (with padding).
pub(crate) fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 decoding (padding optional, whitespace ignored); `None` on a bad character.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => return None,
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
