//! "Never print a secret": no report format (table, JSON, DOT), and nothing on stderr, holds a
//! secret value of the fixtures, in clear or in base64.
//!
//! The values are collected from the manifests by a small line-based extractor (Secret `data`
//! decoded from base64 and `stringData`, credential-named env literals and ConfigMap entries,
//! well-known token shapes, passwords in URLs, bearer tokens). For the demo the extractor's
//! result must equal the hand-made list below, read from the files, so the extractor cannot
//! silently miss one.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{base64_decode, base64_encode, path, run};

/// Every secret value in fixtures/demo (see the "Fake value" comments and the README).
const DEMO_SECRETS: [&str; 6] = [
    "demo-warehouse-pass-42", // Secret analytics/warehouse-db = legacy/reporting-db, data.password
    "AKIADEMO0NOTREAL0KEY",   // ConfigMap analytics/legacy-exporter-config aws_access_key_id
    "demo-partner-key-7f3a-not-real", // Secret legacy/payments-partner-key data.api-key
    "Tr0ub4dor-demo-2019",    // Deployment legacy/legacy-web env DB_PASSWORD literal
    "Up1oad-demo-pass",       // CronJob legacy/report-gen REPORT_UPLOAD_URL https://uploader:…@
    "sk_test_demo-not-a-real-key-123", // Secret payments/stripe-credentials data.api-key
];

/// Secret values of fixtures/rules the extractor must find (it may find more).
const RULES_SECRETS: [&str; 17] = [
    "S3cure-demo-Passw0rd-91",
    "AKIADEMO0NOTREAL0KEY",
    "ghp_DEMOnotArealGitHubToken0000000000000",
    "xoxb-000000000000-0000000000000-DEMOnotArealSlackToken00",
    "ZGVtby1ub3QtYS1yZWFsLXByaXZhdGUta2V5LW1hdGVyaWFsLTAxMjM0NTY3ODk=",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vLXNlcnZpY2UiLCJub3RlIjoibm90LWEtcmVhbC10b2tlbiIsImlhdCI6MTcwMDAwMDAwMH0.ZGVtby1zaWduYXR1cmUtbm90LXJlYWw",
    "demo-not-a-real-key-123",
    "demo-db-pass-778",
    "demo-static-bearer-0c1d2e3f",
    "Pr0d-demo-passw0rd-4",
    "demo-idx-pass",
    "demo-pass-123",
    "demo-shared-partner-key-55",
    "demo-smtp-pass-31",
    "demo-api-db-pass-1",
    "demo-worker-db-pass-2",
    "Bearer demo-static-bearer-0c1d2e3f",
];

/// Values shorter than this are ignored (too likely to occur by chance).
const MIN_LEN: usize = 6;

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `key: value` → (key, value without quotes or trailing comment). `- key: value` too.
fn key_value(line: &str) -> Option<(String, String)> {
    let t = line.trim_start().trim_start_matches("- ");
    let (k, v) = t.split_once(':')?;
    if k.contains(' ') || k.is_empty() {
        return None;
    }
    let mut v = v.trim().to_string();
    if !v.starts_with(['"', '\''])
        && let Some(i) = v.find(" #")
    {
        v.truncate(i);
    }
    Some((k.trim_matches(['"', '\'']).to_string(), v.trim().trim_matches(['"', '\'']).to_string()))
}

fn credential_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    if ["_FILE", "_PATH", "_DIR", "_USER", "_USERNAME", "_URL", "_TTL_SECONDS", "_MIN_LENGTH"]
        .iter()
        .any(|s| n.ends_with(s))
    {
        return false;
    }
    ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL"]
        .iter()
        .any(|k| n.contains(k))
        || n.starts_with("AUTH")
        || n.ends_with("_KEY")
        || n.ends_with("_PASS")
}

fn placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    v.len() < MIN_LEN
        || v.starts_with('<')
        || v.contains("${")
        || v.contains("{{")
        || v.starts_with('/')
        || ["changeme", "change-me", "redacted", "placeholder"].iter().any(|p| l.contains(p))
        || v.chars().all(|c| c.is_ascii_digit())
}

/// Token-shaped words anywhere in a value: AWS key ids, GitHub / Slack tokens, JWTs.
fn token_shapes(value: &str, out: &mut BTreeSet<String>) {
    for w in value.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',') {
        let aws = w.len() == 20
            && w.starts_with("AKIA")
            && w.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let github = ["ghp_", "gho_", "ghs_", "github_pat_"].iter().any(|p| w.starts_with(p)) && w.len() > 20;
        let slack = ["xoxb-", "xoxp-", "xoxa-"].iter().any(|p| w.starts_with(p));
        let jwt = w.starts_with("eyJ") && w.matches('.').count() == 2;
        if aws || github || slack || jwt {
            out.insert(w.to_string());
        }
    }
}

/// The password of `scheme://user:password@host` URLs in a value.
fn url_passwords(value: &str, out: &mut BTreeSet<String>) {
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        rest = &rest[i + 3..];
        let authority = rest.split(['/', ' ', '"', '\'']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, pass)) = userinfo.split_once(':')
        {
            out.insert(pass.to_string());
        }
    }
}

/// Lines of the block scalar (`key: |`) that starts after line `i`, and the index after it.
fn block_scalar(lines: &[&str], i: usize) -> (Vec<String>, usize) {
    let base = indent(lines[i]);
    let mut j = i + 1;
    let mut body = Vec::new();
    while j < lines.len() && (lines[j].trim().is_empty() || indent(lines[j]) > base) {
        body.push(lines[j].trim().to_string());
        j += 1;
    }
    (body, j)
}

/// Secret values of one manifest file.
fn extract(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut raw = BTreeSet::new();
    for doc in text.split("\n---") {
        let lines: Vec<&str> = doc.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
        let kind = lines.iter().find_map(|l| l.strip_prefix("kind:")).map(|k| k.trim().to_string());
        let mut section = String::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            if indent(line) == 0 && !line.trim().is_empty() {
                section = line.split(':').next().unwrap_or("").to_string();
            }
            let Some((key, value)) = key_value(line) else {
                i += 1;
                continue;
            };
            let block = value == "|" || value == "|-" || value == ">" || value == ">-";
            let in_data = indent(line) > 0 && (section == "data" || section == "stringData");
            match kind.as_deref() {
                Some("Secret") if in_data => {
                    let non_secret_key = ["username", "user"].contains(&key.to_ascii_lowercase().as_str());
                    let values = if block {
                        let (body, next) = block_scalar(&lines, i);
                        i = next - 1;
                        vec![body.join("\n")]
                    } else {
                        vec![value.clone()]
                    };
                    for v in values {
                        let clear = if section == "data" {
                            base64_decode(&v)
                                .map(|b| String::from_utf8_lossy(&b).into_owned())
                                .unwrap_or_default()
                        } else {
                            v
                        };
                        if !non_secret_key {
                            raw.insert(clear);
                        }
                    }
                }
                Some("ConfigMap") if in_data => {
                    if block {
                        let (body, next) = block_scalar(&lines, i);
                        i = next - 1;
                        let pem = body.iter().any(|l| l.contains("PRIVATE KEY-----"));
                        for l in body {
                            if pem && !l.starts_with("-----") {
                                raw.insert(l);
                            }
                        }
                    } else if credential_name(&key) {
                        raw.insert(value.clone());
                    }
                }
                _ => {}
            }
            // Env entries: `- name: X` followed by `value: Y`.
            if key == "name"
                && line.trim_start().starts_with("- ")
                && credential_name(&value)
                && let Some((k, v)) = lines.get(i + 1).and_then(|l| key_value(l))
                && k == "value"
                && !v.contains("://")
            {
                raw.insert(v.clone());
                if let Some(t) = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("Basic ")) {
                    raw.insert(t.to_string());
                }
            }
            token_shapes(&value, &mut out);
            url_passwords(&value, &mut out);
            i += 1;
        }
    }
    out.extend(raw);
    out.retain(|v| !placeholder(v));
    out
}

fn manifests(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            manifests(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(p);
        }
    }
}

fn secrets_of(rel: &str) -> BTreeSet<String> {
    let mut files = Vec::new();
    manifests(&path(rel), &mut files);
    files.iter().flat_map(|f| extract(&std::fs::read_to_string(f).expect("read manifest"))).collect()
}

/// Every form of a value that must not be printed: clear, base64 padded and unpadded.
fn forms(value: &str) -> Vec<String> {
    let b64 = base64_encode(value.as_bytes());
    let unpadded = b64.trim_end_matches('=').to_string();
    let mut v = vec![value.to_string(), b64];
    if unpadded.len() >= MIN_LEN {
        v.push(unpadded);
    }
    v
}

#[test]
fn extractor_finds_exactly_the_demo_secrets() {
    let found = secrets_of("fixtures/demo");
    let expected: BTreeSet<String> = DEMO_SECRETS.iter().map(|s| s.to_string()).collect();
    assert_eq!(found, expected, "secret values extracted from fixtures/demo");
}

#[test]
fn extractor_finds_the_rules_secrets() {
    let found = secrets_of("fixtures/rules");
    let missing: Vec<_> = RULES_SECRETS.iter().filter(|s| !found.contains(**s)).collect();
    assert!(missing.is_empty(), "not extracted from fixtures/rules: {missing:?}\nfound: {found:#?}");
}

#[test]
fn no_output_format_prints_a_secret() {
    let mut secrets = secrets_of("fixtures/demo");
    secrets.extend(secrets_of("fixtures/rules"));
    secrets.extend(DEMO_SECRETS.iter().chain(RULES_SECRETS.iter()).map(|s| s.to_string()));
    assert!(secrets.len() >= 20, "collected {} values", secrets.len());
    let needles: Vec<(String, String)> =
        secrets.iter().flat_map(|s| forms(s).into_iter().map(move |f| (s.clone(), f))).collect();

    let mut inputs = vec!["fixtures/demo".to_string(), "fixtures/rules".to_string()];
    for id in (1..=11).map(|n| format!("ZT{n:03}")) {
        inputs.push(format!("fixtures/rules/{id}/bad"));
        inputs.push(format!("fixtures/rules/{id}/good"));
    }
    let mut leaks = Vec::new();
    let mut runs = 0;
    for input in &inputs {
        for format in ["table", "json", "dot"] {
            let (code, stdout, stderr) = run(&["scan", input, "--format", format, "--fail-on", "never"]);
            assert_eq!(code, 0, "scan {input} --format {format}: {stderr}");
            assert!(!stdout.is_empty(), "scan {input} --format {format} printed nothing");
            runs += 1;
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                for (secret, form) in &needles {
                    if text.contains(form.as_str()) {
                        let at = text.find(form.as_str()).unwrap();
                        let ctx = &text[at.saturating_sub(60)..(at + form.len() + 20).min(text.len())];
                        leaks.push(format!(
                            "scan {input} --format {format} {stream} contains {form:?} (of {secret:?}): …{ctx}…"
                        ));
                    }
                }
            }
        }
    }
    assert!(leaks.is_empty(), "{} leaks in {runs} runs:\n{}", leaks.len(), leaks.join("\n"));
}

#[test]
fn findings_name_secrets_by_fingerprint() {
    // The demo's literal credential is reported, located and fingerprinted, not quoted.
    let report = common::scan_json(&["fixtures/demo"]);
    let lit = common::findings_on(&report, "ZT005", "Deployment", "legacy", "legacy-web");
    assert_eq!(lit.len(), 1, "{}", common::describe(&lit));
    assert!(lit[0].message.contains("DB_PASSWORD"), "names the variable: {}", lit[0].message);
    assert!(lit[0].message.contains("(fingerprint hmac:"), "gives a fingerprint: {}", lit[0].message);
    let node = report
        .nodes
        .iter()
        .find(|n| n.id == "literal:legacy/Deployment/legacy-web/DB_PASSWORD")
        .expect("the literal is a credential node");
    assert!(node.attrs.get("fingerprint").is_some_and(|f| f.starts_with("hmac:")), "{node:?}");
}
