//! The scan is not a way in (issue 8): it opens nothing outside the paths it was given, never a
//! FIFO or a device, walks link loops once, and says what it did not read. Each test plants a
//! canary outside the scanned tree (a file, and a variable in the scanner's own environment that
//! `/proc/self/environ` would show) and checks that it appears nowhere: stdout, stderr or the
//! report file, in every format.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A value that must never reach any output.
const CANARY: &str = "zt-canary-7f3a9c1e55d24b";

/// A scan that does not end within this is taken to hang (a FIFO, `/dev/zero`); normal scans of
/// these trees take milliseconds. This bounds the test, it measures nothing.
const HANG: Duration = Duration::from_secs(60);

/// Runs `ztpath` in `dir` with a canary in its environment and a deadline; returns (exit code,
/// stdout, stderr). Panics when the deadline passes (the process is killed first).
fn run_guarded(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let (stdout_path, stderr_path) = (out_dir.path().join("out"), out_dir.path().join("err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ztpath"))
        .args(args)
        .current_dir(dir)
        .env("ZTPATH_TEST_CANARY", CANARY)
        .env_remove("ZTPATH_TIMINGS")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ztpath {args:?} in {} did not finish within {HANG:?}: it hangs", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    (status.code().unwrap_or(-1), read(&stdout_path), read(&stderr_path))
}

/// Scans `target` (relative to `dir`) in every format, to stdout and with `--output`, and checks
/// that the canary is nowhere. Returns the JSON report and the stderr of the JSON run.
fn scan_everywhere(dir: &Path, target: &str, extra: &[&str]) -> (i32, ztpath_reports::Report, String) {
    let mut json = None;
    for format in ["json", "table", "dot"] {
        let mut args = vec!["scan", target, "--format", format, "--fail-on", "never", "--now", "2026-11-25"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run_guarded(dir, &args);
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(!text.contains(CANARY), "{format}: the canary reached {what}:\n{text}");
        }
        let out = tempfile::NamedTempFile::new().unwrap();
        let out_path = out.path().to_str().unwrap().to_owned();
        args.extend_from_slice(&["--output", &out_path]);
        let (_, _, stderr_file) = run_guarded(dir, &args);
        let written = std::fs::read_to_string(out.path()).unwrap_or_default();
        assert!(!written.contains(CANARY), "{format}: the canary reached the --output file");
        assert!(!stderr_file.contains(CANARY), "{format} --output: the canary reached stderr");
        if format == "json" {
            json = Some((code, stdout, stderr));
        }
    }
    let (code, stdout, stderr) = json.unwrap();
    let report = if stdout.is_empty() {
        ztpath_reports::Report::default()
    } else {
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not a JSON report: {e}\n{stderr}"))
    };
    (code, report, stderr)
}

/// A service account that makes a scan have something to report.
const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: inside\n  namespace: sec\n";

/// A tree `root/` with a service account, and `outside/` beside it holding the canary.
fn estate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("root")).unwrap();
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    std::fs::write(dir.path().join("root/sa.yaml"), SA).unwrap();
    std::fs::write(dir.path().join("outside/secret.conf"), format!("{CANARY};\n")).unwrap();
    std::fs::write(
        dir.path().join("outside/secret.yaml"),
        format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: outside\n  namespace: sec\n  labels: {{x: {CANARY}}}\n"),
    )
    .unwrap();
    dir
}

/// The stderr lines that name `file` (as printed).
fn diagnostics_for<'a>(stderr: &'a str, file: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.starts_with(file)).collect()
}

#[test]
fn relative_includes_that_leave_the_tree_are_not_read_and_are_named() {
    let dir = estate();
    let deep = format!("{}proc/self/environ", "../".repeat(30));
    std::fs::write(
        dir.path().join("root/nginx.conf"),
        format!(
            "events {{}}\nhttp {{\n  include ../outside/secret.conf;\n  include {deep};\n  include ../outside/*.conf;\n  server {{ listen 80; location / {{ proxy_pass http://app:8080; }} }}\n}}\n"
        ),
    )
    .unwrap();
    let (code, report, stderr) = scan_everywhere(dir.path(), "root", &[]);
    assert_eq!(code, 0, "{stderr}");
    let said = diagnostics_for(&stderr, "root/nginx.conf");
    assert_eq!(
        said,
        [
            "root/nginx.conf:3: include ../outside/secret.conf leaves the scanned tree; not read",
            &format!("root/nginx.conf:4: include {deep} leaves the scanned tree; not read"),
            "root/nginx.conf:5: include ../outside/*.conf leaves the scanned tree; not read",
        ],
        "{stderr}"
    );
    assert_eq!(report.summary.diagnostics, 3);
    // The rest of the configuration is still read.
    assert!(report.nodes.iter().any(|n| n.kind == "proxy"), "{:?}", report.nodes);
}

#[cfg(unix)]
#[test]
fn links_out_of_the_tree_are_refused_unless_asked_for() {
    use std::os::unix::fs::symlink;
    let dir = estate();
    let root = dir.path().join("root");
    symlink("/proc/self/environ", root.join("env.conf")).unwrap();
    symlink(dir.path().join("outside/secret.yaml"), root.join("linked.yaml")).unwrap();
    symlink(dir.path().join("outside"), root.join("linked-dir")).unwrap();
    std::fs::write(
        root.join("nginx.conf"),
        "events {}\nhttp {\n  include env.conf;\n  server { listen 80; location / { proxy_pass http://app:8080; } }\n}\n",
    )
    .unwrap();
    let (code, report, stderr) = scan_everywhere(dir.path(), "root", &[]);
    assert_eq!(code, 0, "{stderr}");
    let link = "is a symbolic link to a place outside the scanned tree; not read (--follow-outside-symlinks reads it)";
    for expected in [
        format!("root/nginx.conf:3: include env.conf {link}"),
        format!("root/linked.yaml: {link}"),
        format!("root/linked-dir: {link}"),
    ] {
        assert!(stderr.lines().any(|l| l == expected), "missing `{expected}` in:\n{stderr}");
    }
    assert!(!report.nodes.iter().any(|n| n.id == "sa:sec/outside"), "the linked file is not read");

    // Asked for, the links are followed: the file behind the link is read, and so is
    // /proc/self/environ (a regular file) as nginx text; what it holds is still never quoted.
    let (code, report, stderr) = scan_everywhere(dir.path(), "root", &["--follow-outside-symlinks"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(report.nodes.iter().any(|n| n.id == "sa:sec/outside"), "followed: {:?}", report.nodes);
}

#[test]
fn the_given_paths_are_the_tree_and_missing_includes_are_said() {
    let dir = estate();
    std::fs::write(
        dir.path().join("root/nginx.conf"),
        "events {}\nhttp {\n  include mime.types;\n  include conf.d/*.conf;\n  server { listen 80; location / { proxy_pass http://app:8080; } }\n}\n",
    )
    .unwrap();
    let (_, _, stderr) = scan_everywhere(dir.path(), "root", &[]);
    assert_eq!(
        diagnostics_for(&stderr, "root/nginx.conf"),
        ["root/nginx.conf:3: include mime.types: not found in the scanned tree; not read"],
        "a glob that matches nothing is not an error (nginx accepts it); a missing file is"
    );
}

#[cfg(unix)]
#[test]
fn fifos_devices_and_sockets_are_never_opened() {
    use std::os::unix::fs::symlink;
    let dir = estate();
    let root = dir.path().join("root");
    for name in ["pipe.yaml", "pipe.conf", "pipe.json"] {
        let status = Command::new("mkfifo").arg(root.join(name)).status().unwrap();
        assert!(status.success(), "mkfifo");
    }
    symlink("/dev/zero", root.join("zero.yaml")).unwrap();
    symlink("/dev/urandom", root.join("random.conf")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("sock.yaml")).unwrap();
    // With links followed, the devices are refused by their type.
    let (code, report, stderr) = scan_everywhere(dir.path(), "root", &["--follow-outside-symlinks"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(report.nodes.iter().any(|n| n.id == "sa:sec/inside"), "the regular file is read");
    let mut said: Vec<&str> = stderr.lines().collect();
    said.sort();
    assert_eq!(
        said,
        [
            "root/pipe.conf: is not a regular file (a FIFO); not read",
            "root/pipe.json: is not a regular file (a FIFO); not read",
            "root/pipe.yaml: is not a regular file (a FIFO); not read",
            "root/random.conf: is not a regular file (a device); not read",
            "root/sock.yaml: is not a regular file (a socket); not read",
            "root/zero.yaml: is not a regular file (a device); not read",
        ],
        "{stderr}"
    );
    // Named on the command line, the same.
    let (code, _, stderr) = run_guarded(&root, &["scan", "pipe.yaml", "zero.yaml", "-f", "json"]);
    assert_eq!(code, 2, "nothing readable: {stderr}");
    assert!(stderr.contains("pipe.yaml: is not a regular file (a FIFO); not read"), "{stderr}");
    // Without --follow-outside-symlinks, /dev/zero is outside the tree first.
    assert!(stderr.contains("zero.yaml: is a symbolic link to a place outside the scanned tree"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn link_loops_are_walked_once() {
    use std::os::unix::fs::symlink;
    let dir = estate();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("dir/sub")).unwrap();
    std::fs::write(root.join("dir/sub/more.yaml"), SA.replace("inside", "deeper")).unwrap();
    // Two branches back up at every level: without cycle detection the walk is exponential.
    symlink("..", root.join("dir/a")).unwrap();
    symlink("../dir", root.join("dir/b")).unwrap();
    symlink("../..", root.join("dir/sub/c")).unwrap();
    symlink("../sub", root.join("dir/sub/d")).unwrap();
    let (code, report, stderr) = scan_everywhere(dir.path(), "root", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report.summary.files, 2, "each file once");
    assert_eq!(report.summary.objects, 2, "each object once");
    assert!(stderr.is_empty(), "links inside the tree are fine: {stderr}");
}

#[test]
fn a_tree_of_broken_files_is_nothing_readable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "kind: [\n").unwrap();
    std::fs::write(dir.path().join("b.json"), "{\"kind\": \n").unwrap();
    std::fs::write(dir.path().join("nginx.conf"), "events {\nhttp {\n  server { listen 80;\n").unwrap();
    let (code, stdout, stderr) = run_guarded(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 2, "only broken inputs: exit 2, not a clean bill\nstdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("nothing readable"), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("./")).count(),
        3,
        "one diagnostic per file:\n{stderr}"
    );
}

/// The README's table of limits says what the code enforces: each bound, formatted as the table
/// writes it, stands in the row that names it.
#[test]
fn the_readme_lists_every_limit_with_its_value() {
    use ztpath_probes::{ReadLimits, yaml};
    let readme = std::fs::read_to_string(common::path("README.md")).unwrap();
    let row = |start: &str| {
        readme
            .lines()
            .find(|l| l.starts_with(&format!("| {start}")))
            .unwrap_or_else(|| panic!("no README row for {start}"))
            .to_owned()
    };
    let thousands = |n: usize| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let l = ReadLimits::default();
    let expected: [(&str, String); 11] = [
        ("one file", format!("{} MiB", l.max_file_bytes >> 20)),
        ("all files of a scan", format!("{} GiB", l.max_total_bytes >> 30)),
        ("files opened", thousands(l.max_files)),
        ("directory entries", thousands(l.max_dir_entries)),
        ("directory depth", l.max_dir_depth.to_string()),
        ("objects kept", thousands(l.max_objects)),
        ("YAML/JSON: nesting depth", yaml::MAX_DEPTH.to_string()),
        ("YAML: nodes copied by aliases", format!("{} per document", thousands(yaml::MAX_ALIAS_NODES))),
        ("YAML: nodes copied by aliases", format!("{} per file", thousands(yaml::MAX_ALIAS_NODES_PER_FILE))),
        (
            "YAML/JSON: memory of a document's tree",
            format!(
                "{} bytes per byte of its text, plus {} MiB",
                yaml::TREE_BYTES_PER_TEXT_BYTE,
                yaml::TREE_BYTES_ALLOWANCE >> 20
            ),
        ),
        ("YAML: scanner look-ahead", format!("{} tokens", thousands(yaml::MAX_TOKENS_AHEAD as usize))),
    ];
    for (name, value) in expected {
        let line = row(name);
        assert!(line.contains(&value), "README row `{line}` should say {value}");
    }
}
