//! What ztpath prints about its input can neither leak the input nor forge output:
//! - a diagnostic names the file, the line (and the column where the reader knows it) and what
//!   was expected, never the text of the offending token: a secret pasted where a directive or a
//!   value should be is not printed back, in any format or on stderr;
//! - text from the input (object names, file names, tokens) reaches the terminal with its control
//!   characters and bidirectional overrides escaped, so a file can neither clear the screen nor
//!   forge a diagnostic line for another file.

mod common;

use std::path::{Path, PathBuf};

use common::{DiagLine, parse_diagnostic, run_in};
use ztpath_reports::Report;

const CANARY: &str = "canary123secret";

/// `ztpath scan . --format FORMAT` in `dir`: (exit code, stdout, stderr).
fn scan(dir: &Path, format: &str) -> (i32, String, String) {
    run_in(dir, &["scan", ".", "--format", format, "--fail-on", "never", "--now", "2026-11-25"])
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A secret where each reader expects something else: a directive (nginx), a quoted word
/// (HAProxy), an enum value (Envoy, IAM, a Linkerd annotation), an ARN (IAM).
fn misplaced_secrets(dir: &Path) {
    write(dir, "nginx.conf", b"http {\n  server {\n    listen 80;\n    API_KEY=canary123secret\n  }\n}\n");
    write(
        dir,
        "edge.cfg",
        b"global\n  daemon\nfrontend fe\n  mode http\n  bind :80\n  API_KEY=\"canary123secret\n  default_backend be\nbackend be\n  server s1 10.0.0.1:80\n",
    );
    write(
        dir,
        "envoy.yaml",
        br#"static_resources:
  listeners:
  - name: l
    address:
      socket_address: {address: 0.0.0.0, port_value: 8080}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          forward_client_cert_details: "API_KEY=canary123secret"
          route_config:
            virtual_hosts:
            - name: v
              domains: ["*"]
              routes:
              - match: {prefix: /}
                route: {cluster: c}
"#,
    );
    write(
        dir,
        "keys.json",
        br#"{"AccessKeyMetadata": [
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE1", "Status": "API_KEY=canary123secret", "CreateDate": "2026-01-01T00:00:00Z"}
], "IsTruncated": false}
"#,
    );
    write(
        dir,
        "providers.json",
        b"{\"OpenIDConnectProviderList\": [\n  {\"Arn\": \"API_KEY=canary123secret\"}\n]}\n",
    );
    let linkerd = std::fs::read_to_string(common::path(
        "fixtures/rules/ZT001/bad/08-linkerd-pod-cluster-unauthenticated.yaml",
    ))
    .unwrap()
    .replace(
        "config.linkerd.io/default-inbound-policy: cluster-unauthenticated",
        "config.linkerd.io/default-inbound-policy: \"API_KEY=canary123secret\"",
    );
    assert!(linkerd.contains(CANARY));
    write(dir, "linkerd.yaml", linkerd.as_bytes());
}

#[test]
fn a_misplaced_secret_is_not_printed_back_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    misplaced_secrets(dir.path());
    let expected = [
        "./edge.cfg:6: column 11: unmatched \" quote, expecting a closing \"",
        "./envoy.yaml:11: unknown forward_client_cert_details value, expecting SANITIZE, FORWARD_ONLY, \
         APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY or 0 to 4",
        "./keys.json:2: access key AKIAEXAMPLE1 has an unknown `Status`, expecting `Active` or `Inactive`; \
         treated as active",
        "./nginx.conf:4: column 5: unexpected \"}\": an unknown directive has no \";\"",
        "./providers.json:2: OpenIDConnectProviderList entry whose `Arn` is not an OIDC provider ARN \
         (arn:aws:iam::ACCOUNT:oidc-provider/ISSUER); skipped",
    ];
    for format in ["json", "table", "dot"] {
        let (code, stdout, stderr) = scan(dir.path(), format);
        assert_eq!(code, 0, "{format}: stderr:\n{stderr}");
        assert!(!stdout.contains(CANARY) && !stdout.contains("API_KEY"), "{format} output quotes the input");
        assert!(!stderr.contains(CANARY) && !stderr.contains("API_KEY"), "{format} stderr:\n{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines, expected, "{format}: stderr");
    }
    let (_, stdout, _) = scan(dir.path(), "json");
    let report: Report = serde_json::from_str(&stdout).unwrap();
    let in_report: Vec<String> =
        report.diagnostics.iter().map(|d| format!("{}:{}: {}", d.file, d.line, d.message)).collect();
    assert_eq!(in_report, expected, "the report lists the same diagnostics");
    // The Linkerd annotation's value is not repeated in the finding it leads to.
    let zt001 = common::findings_on(&report, "ZT001", "Deployment", "zt001-bad-lkcu", "api");
    assert_eq!(zt001.len(), 1, "{}", common::describe(&zt001));
    assert!(
        zt001[0].message.contains(
            "Linkerd default inbound policy (an unknown value in the pod annotation, read as \
             `all-unauthenticated`): meshed callers get mTLS"
        ),
        "{}",
        zt001[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Control characters
// ---------------------------------------------------------------------------------------------

/// The characters a hostile input uses to forge lines or take over the terminal, as YAML
/// double-quoted escapes: a newline followed by a diagnostic of another file, ESC `[2J` (clear
/// the screen), NUL, a right-to-left override.
const YAML_HOSTILE: &str = r"\n/etc/passwd:1: forged\e[2J\0\u202Eevil";

/// Characters that must not reach stdout or stderr as they are (a line break is fine: it is the
/// output's own).
fn raw_controls(text: &str) -> Vec<char> {
    text.chars().filter(|&c| c != '\n' && ztpath_reports::text::is_unsafe(c)).collect()
}

/// Reverses `text::escape` / `text::escape_file` (the test inputs hold no backslash).
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&hex, 16).unwrap()));
            }
            Some('u') => {
                assert_eq!(chars.next(), Some('{'));
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            other => panic!("unexpected escape \\{other:?} in {text:?}"),
        }
    }
    out
}

/// A directory whose names, tokens and file names hold control characters: Kubernetes names,
/// an nginx server name and upstream, an HAProxy backend name, and broken files whose names
/// hold a newline followed by a forged diagnostic, and ESC.
fn hostile_estate(dir: &Path) {
    let h = YAML_HOSTILE;
    let app = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: \"web{h}\"
  namespace: \"ns{h}\"
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      serviceAccountName: \"sa{h}\"
      containers:
      - name: app
        image: app
        env:
        - name: \"DB_PASSWORD{h}\"
          value: \"not-a-real-password-just-a-literal\"
"
    );
    write(dir, "app.yaml", app.as_bytes());
    write(
        dir,
        "nginx.conf",
        "http {\n  server {\n    listen 80;\n    server_name \"a\\nforged.conf:1: x\u{1b}[2J\u{202E}\";\n    \
         location / { proxy_pass http://backend\u{1b}[2J:8080; }\n  }\n}\n"
            .as_bytes(),
    );
    write(
        dir,
        "edge.cfg",
        "frontend fe\n  mode http\n  bind :80\n  use_backend \"b\\nedge.cfg:1: forged\u{1b}[2J\u{0}\u{202E}\"\n"
            .as_bytes(),
    );
    let broken = b"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: [\n";
    write(dir, "x\n/etc/passwd:1: forged.yaml", broken);
    write(dir, "clear\u{1b}[2J\u{202E}.yaml", broken);
}

/// Every stderr line is one diagnostic of a file that exists, with none of the input's control
/// characters; returns them.
fn check_stderr(dir: &Path, stderr: &str) -> Vec<DiagLine> {
    assert!(raw_controls(stderr).is_empty(), "raw control characters on stderr:\n{stderr:?}");
    stderr
        .lines()
        .map(|line| {
            let d = parse_diagnostic(line).unwrap_or_else(|| panic!("not a diagnostic line: {line:?}"));
            let file = unescape(&d.file);
            assert!(dir.join(&file).is_file(), "{line:?} names {file:?}, which is not a file");
            d
        })
        .collect()
}

#[test]
fn control_characters_in_names_and_file_names_are_escaped_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    hostile_estate(dir.path());

    let (code, table, stderr) = scan(dir.path(), "table");
    assert_eq!(code, 0, "stderr:\n{stderr}");
    let diags = check_stderr(dir.path(), &stderr);
    let got: Vec<(String, u32)> = diags.iter().map(|d| (unescape(&d.file), d.line)).collect();
    assert_eq!(
        got,
        [
            ("./clear\u{1b}[2J\u{202E}.yaml".to_owned(), 4),
            ("./edge.cfg".to_owned(), 4),
            ("./x\n/etc/passwd:1: forged.yaml".to_owned(), 4),
        ],
        "{stderr}"
    );
    assert_eq!(diags[0].file, "./clear\\x1b[2J\\u{202e}.yaml");
    assert_eq!(diags[2].file, "./x\\n/etc/passwd\\x3a1: forged.yaml");
    assert_eq!(diags[1].reason, "backend \"b\\nedge.cfg:1: forged\\x1b[2J\\0\\u{202e}\" is not defined");

    // The table: findings on the hostile names, the unreadable files, all escaped.
    assert!(raw_controls(&table).is_empty(), "raw control characters in the table:\n{table:?}");
    // A newline of the input would start a line (or a cell line) with the text after it; escaped,
    // that text stays glued to what came before.
    for line in table.lines() {
        let trimmed = line.trim_start_matches(['│', ' ']);
        assert!(
            !trimmed.starts_with("/etc/passwd") && !trimmed.starts_with("edge.cfg:1"),
            "a line the input started: {line:?}"
        );
    }
    assert!(table.contains("  ./x\\n/etc/passwd\\x3a1: forged.yaml:4: not valid YAML/JSON"), "{table}");
    assert!(table.contains("\\x1b[2J\\0\\u{202e}evil"), "the hostile names are shown escaped:\n{table}");
    assert!(table.contains("a\\nforged.conf:1: x\\x1b[2J\\u{202e}"), "the nginx server name:\n{table}");

    // DOT and JSON: no raw control character either (JSON escapes them; the names are intact).
    let (_, dot, dot_stderr) = scan(dir.path(), "dot");
    assert!(raw_controls(&dot).is_empty(), "raw control characters in the DOT output:\n{dot:?}");
    assert_eq!(dot_stderr, stderr);
    let (_, json, json_stderr) = scan(dir.path(), "json");
    assert!(raw_controls(&json).is_empty());
    assert_eq!(json_stderr, stderr);
    let report: Report = serde_json::from_str(&json).unwrap();
    let files: Vec<&str> = report.diagnostics.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files, ["./clear\u{1b}[2J\u{202E}.yaml", "./edge.cfg", "./x\n/etc/passwd:1: forged.yaml"]);
    assert!(report.nodes.iter().any(|n| n.name == "web\n/etc/passwd:1: forged\u{1b}[2J\u{0}\u{202E}evil"));
}

/// Error messages about the command line escape what they repeat too.
#[test]
fn cli_errors_escape_what_they_repeat() {
    let (code, _, stderr) = common::run(&["explain", "ZT\u{1b}[2J\nforged.yaml:1: x"]);
    assert_eq!(code, 2);
    assert_eq!(stderr, "ztpath: unknown rule `ZT\\x1b[2J\\nforged.yaml:1: x`; `ztpath rules` lists them\n");
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "e\u{1b}[2J\n.yaml", b"# nothing\n");
    let (code, _, stderr) = common::run(&["scan", empty.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 2);
    assert!(raw_controls(&stderr).is_empty(), "{stderr:?}");
    assert!(stderr.contains("e\\x1b[2J\\n.yaml"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
