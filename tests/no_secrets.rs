//! "Never print a secret": no report format (table, JSON, DOT), and nothing on stderr, holds a
//! secret value of the fixtures, in clear or in base64.
//!
//! The values are collected from the manifests by a small line-based extractor (Secret `data`
//! decoded from base64 and `stringData`, credential-named env literals and ConfigMap entries,
//! well-known token shapes, passwords in URLs, bearer tokens). For the demo the extractor's
//! result must equal the hand-made list below, read from the files, so the extractor cannot
//! silently miss one.
//!
//! A second estate plants a distinct canary value in every place a reader looks (Secret data,
//! env values, args, ConfigMaps, annotations, the userinfo of URLs in every source, nginx, HAProxy
//! and Envoy files, AWS access keys, lines the readers cannot parse, unusual file and key names)
//! and checks every format, stdout, stderr and `--output`, for the value, its base64 and its
//! unkeyed SHA-256 prefix.

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
        // A well-known default (`password`, `admin`) is a word the reports use in their own text;
        // tests/credential_values.rs checks that such values are reported and never quoted.
        || ztpath_probes::k8s::well_known_default(v)
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
    let expected: BTreeSet<String> = DEMO_SECRETS.iter().map(std::string::ToString::to_string).collect();
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
    secrets.extend(DEMO_SECRETS.iter().chain(RULES_SECRETS.iter()).map(std::string::ToString::to_string));
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
            let (code, stdout, stderr) =
                run(&["scan", input, "--format", format, "--fail-on", "never", "--now", common::NOW]);
            assert_eq!(code, 0, "scan {input} --format {format}: {stderr}");
            assert!(!stdout.is_empty(), "scan {input} --format {format} printed nothing");
            runs += 1;
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                for (secret, form) in &needles {
                    if text.contains(form.as_str()) {
                        let at = text.find(form.as_str()).unwrap();
                        let mut start = at.saturating_sub(60);
                        while !text.is_char_boundary(start) {
                            start -= 1;
                        }
                        let mut end = (at + form.len() + 20).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        let ctx = &text[start..end];
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

// ---------------------------------------------------------------------------------------------
// Canaries: a distinct secret value planted in every place a reader looks
// ---------------------------------------------------------------------------------------------

/// Every canary of the estate below. Each is a value the tool could know to be secret (or that it
/// reads and must keep to itself); none may appear in any output, in clear, in base64, or as the
/// unkeyed SHA-256 prefix a guess could be checked against.
const CANARIES: &[&str] = &[
    "cnry-secret-data-01",
    "cnry-secret-string-02",
    "cnry-env-value-03",
    "cnry-env-plain-04",
    "cnry-arg-05",
    "cnry-cm-value-06",
    "cnry-cm-plain-07",
    "cnry-annotation-08",
    "cnry-snippet-09",
    "cnry-url-env-10",
    "cnry-url-cm-11",
    "cnry-url-annotation-12",
    "cnry-url-nginx-13",
    "cnry-url-haproxy-14",
    "cnry-url-envoy-15",
    "cnry-url-istio-16",
    "cnry-nginx-header-17",
    "cnry-haproxy-header-18",
    "cnry-envoy-header-19",
    "cnryuser-env-20",
    "cnryuser-nginx-21",
    "cnryuser-haproxy-22",
    "cnryuser-envoy-23",
    "AKIACNRY0CANARY00024",
    "cnry-aws-secret-key-25",
    "AKIACNRY0CANARY00026",
    "cnry-odd-names-27",
    "cnry-odd-names-28",
    "cnry-upstream-user-29",
    "cnry-upstream-pass-30",
    "cnry-lb-annotation-31",
    "cnry-tls-key-32",
    "cnry-envoy-grpc-33",
    "cnry-oidc-url-34",
];

/// Canaries alone on lines that the readers cannot parse (HAProxy, YAML, JSON): diagnostics name
/// the place, never the content.
const PARSE_ERROR_CANARIES: &[&str] = &["cnry-parse-haproxy-41", "cnry-parse-yaml-42", "cnry-parse-json-43"];

/// The same on a line nginx cannot parse: its parser's message still quotes the token today.
const NGINX_PARSE_ERROR_CANARY: &str = "cnry-parse-nginx-40";

const CANARY_MANIFESTS: &str = "apiVersion: v1
kind: Secret
metadata: {name: api, namespace: shop}
data:
  password: Y25yeS1zZWNyZXQtZGF0YS0wMQ==
stringData:
  token: cnry-secret-string-02
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: shop}
type: kubernetes.io/tls
stringData:
  tls.key: cnry-tls-key-32
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: shop
  annotations:
    example.com/api-key: cnry-annotation-08
data:
  DB_PASSWORD: cnry-cm-value-06
  GREETING: cnry-cm-plain-07
  UPSTREAM_URL: https://cmuser:cnry-url-cm-11@api.vendor.example/v1
  AWS_ACCESS_KEY_ID: AKIACNRY0CANARY00026
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: shop
  annotations:
    vault.example.com/token: cnry-annotation-08
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels: {app: app}
      annotations:
        example.com/db-url: postgres://annuser:cnry-annotation-08@db.shop:5432/x
    spec:
      containers:
      - name: app
        image: app
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: API_TOKEN
          value: cnry-env-value-03
        - name: GREETING
          value: cnry-env-plain-04
        - name: DB_URL
          value: postgres://cnryuser-env-20:cnry-url-env-10@db.data.example:5432/app
        - name: AWS_ACCESS_KEY_ID
          value: AKIACNRY0CANARY00024
        args: ['--password=cnry-arg-05', '--upstream', 'https://u:cnry-arg-05@args.example.com/x']
---
apiVersion: v1
kind: Service
metadata:
  name: edge
  namespace: shop
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
    service.beta.kubernetes.io/aws-load-balancer-access-log-s3-bucket-prefix: cnry-lb-annotation-31
spec:
  type: LoadBalancer
  selector: {app: app}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-url: https://annuser:cnry-url-annotation-12@auth.example/check
    nginx.ingress.kubernetes.io/configuration-snippet: |
      proxy_set_header Authorization \"Bearer cnry-snippet-09\";
    nginx.ingress.kubernetes.io/proxy-ssl-name: https://u:cnry-url-annotation-12@y.example
spec:
  ingressClassName: nginx
  rules:
  - host: web.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: edge, port: {number: 80}}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: partner, namespace: shop}
spec:
  hosts: ['*']
  gateways: [public]
  http:
  - route:
    - destination: {host: 'vsuser:cnry-url-istio-16@api.partner.example', port: {number: 443}}
";

/// Unusual file and key names: whatever they are, the values stay hidden.
const CANARY_ODD_NAMES: &str = "apiVersion: v1
kind: Secret
metadata: {name: 'odd: name', namespace: 'shop'}
stringData:
  'cnry-looks-like-a-value': cnry-odd-names-27
  'key with spaces and : colons': cnry-odd-names-28
";

const CANARY_NGINX: &str = "events {}
http {
  upstream pool {
    server cnry-upstream-user-29:cnry-upstream-pass-30@pool1.internal:9000;
  }
  server {
    listen 80;
    location / {
      proxy_set_header Authorization \"Basic cnry-nginx-header-17\";
      proxy_pass http://cnryuser-nginx-21:cnry-url-nginx-13@backend:8080;
    }
    location /pool { proxy_pass http://pool; }
  }
}
";

const CANARY_HAPROXY: &str = "global
  log stdout format raw local0
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
frontend fe
  bind :80
  http-request set-header Authorization \"Bearer cnry-haproxy-header-18\"
  default_backend be
backend be
  server s1 cnryuser-haproxy-22:cnry-url-haproxy-14@app.internal:8080
";

const CANARY_ENVOY: &str = r#"static_resources:
  listeners:
  - name: ingress
    address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            request_headers_to_add:
            - header: {key: authorization, value: "Bearer cnry-envoy-header-19"}
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app}
          http_filters:
          - name: envoy.filters.http.ext_authz
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
              grpc_service:
                google_grpc: {target_uri: "grpcuser:cnry-envoy-grpc-33@authz.internal:9001", stat_prefix: authz}
          - name: envoy.filters.http.router
  clusters:
  - name: app
    type: STATIC
    load_assignment:
      cluster_name: app
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: "cnryuser-envoy-23:cnry-url-envoy-15@envoy.internal", port_value: 9000}}}
"#;

const CANARY_ACCESS_KEYS: &str = r#"{"AccessKeyMetadata": [
  {"UserName": "ci", "AccessKeyId": "AKIACNRY0CANARY00024", "Status": "Active", "CreateDate": "2020-01-01T00:00:00Z",
   "SecretAccessKey": "cnry-aws-secret-key-25"}
], "IsTruncated": false}"#;

/// An IAM OIDC provider whose URL carries a userinfo.
const CANARY_OIDC: &str = r#"{"Url": "https://oidcuser:cnry-oidc-url-34@oidc.example/id/1",
 "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": []}"#;

/// Files the readers cannot (entirely) parse, with a token alone on the broken line.
const CANARY_BROKEN: &[(&str, &str)] = &[
    (
        "broken-nginx.conf",
        "events {}\nhttp {\n  server {\n    listen 80;\nAPI_KEY=cnry-parse-nginx-40\n  }\n}\n",
    ),
    (
        "broken-haproxy.cfg",
        "global\n  log stdout local0\nfrontend fe\n  bind :80\nAPI_KEY=\"cnry-parse-haproxy-41\n  default_backend be\nbackend be\n  server s1 10.0.0.1:80\n",
    ),
    (
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: shop}\ndata:\n  a: b\nAPI_KEY=cnry-parse-yaml-42\n  c: [d\n",
    ),
    (
        "broken.json",
        "{\"kind\": \"ConfigMap\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"j\"},\n\"data\": {\"a\": \"b\"}\nAPI_KEY=cnry-parse-json-43}\n",
    ),
];

fn canary_estate(dir: &Path, broken: bool) {
    let files: &[(&str, &str)] = &[
        ("manifests.yaml", CANARY_MANIFESTS),
        ("odd names ünïcode.yaml", CANARY_ODD_NAMES),
        ("nginx.conf", CANARY_NGINX),
        ("haproxy.cfg", CANARY_HAPROXY),
        ("envoy.yaml", CANARY_ENVOY),
        ("access-keys.json", CANARY_ACCESS_KEYS),
        ("oidc-provider.json", CANARY_OIDC),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    if broken {
        for (name, text) in CANARY_BROKEN {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
}

/// What must not appear for one value: the value, its base64 (padded or not), and the 12 hex
/// digits an unkeyed SHA-256 fingerprint of it would show.
fn canary_forms(value: &str) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut out = forms(value);
    let digest = Sha256::digest(value.as_bytes());
    out.push(digest[..6].iter().map(|b| format!("{b:02x}")).collect());
    out
}

/// Scans `dir` in every format, to stdout and with `--output`, and returns every place a canary
/// shows up.
fn canary_leaks(dir: &Path, canaries: &[&str]) -> Vec<String> {
    let needles: Vec<(&str, String)> =
        canaries.iter().flat_map(|c| canary_forms(c).into_iter().map(move |f| (*c, f))).collect();
    let out_file =
        dir.parent().unwrap().join(format!("{}-report.out", dir.file_name().unwrap().to_string_lossy()));
    let mut leaks = Vec::new();
    let dir_arg = dir.to_str().unwrap();
    let out_arg = out_file.to_str().unwrap();
    for format in ["table", "json", "dot"] {
        for to_file in [false, true] {
            let mut args =
                vec!["scan", dir_arg, "--format", format, "--fail-on", "never", "--now", "2026-11-25"];
            if to_file {
                args.extend(["--output", out_arg]);
            }
            let (code, stdout, stderr) = run(&args);
            assert_eq!(code, 0, "{args:?}: {stderr}");
            let written = if to_file {
                std::fs::read_to_string(&out_file).unwrap_or_else(|e| panic!("{args:?} wrote no report: {e}"))
            } else {
                String::new()
            };
            assert!(!stdout.is_empty() || !written.is_empty(), "{args:?} printed nothing");
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr), ("--output file", &written)] {
                for (canary, form) in &needles {
                    if let Some(at) = text.find(form.as_str()) {
                        let mut start = at.saturating_sub(60);
                        while !text.is_char_boundary(start) {
                            start -= 1;
                        }
                        let mut end = (at + form.len() + 20).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        leaks.push(format!(
                            "--format {format}{} {stream} contains {form:?} (of {canary:?}): …{}…",
                            if to_file { " --output" } else { "" },
                            &text[start..end]
                        ));
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_file(&out_file);
    leaks
}

#[test]
fn no_canary_reaches_any_format_stderr_or_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let estate = dir.path().join("estate");
    std::fs::create_dir(&estate).unwrap();
    canary_estate(&estate, true);
    // The estate is read: the canaries sit where the analysis looks, and every reader found the
    // credentials it holds (only the broken files give diagnostics).
    let report = common::scan_json(&[estate.to_str().unwrap()]);
    let bad: Vec<_> = report.diagnostics.iter().filter(|d| !d.file.contains("/broken")).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    // … and each broken file does.
    let broken: BTreeSet<&str> =
        report.diagnostics.iter().map(|d| d.file.rsplit('/').next().unwrap_or("")).collect();
    let expected: BTreeSet<&str> = CANARY_BROKEN.iter().map(|(f, _)| *f).collect();
    assert_eq!(broken, expected, "{:#?}", report.diagnostics);
    let zt005: BTreeSet<String> =
        report.findings.iter().filter(|f| f.rule == "ZT005").map(|f| f.subject.to_string()).collect();
    for subject in [
        "Secret shop/api",
        "Secret shop/tls",
        "Secret shop/odd: name",
        "ConfigMap shop/cfg",
        "Deployment shop/app",
        "NginxConfig nginx",
        "HaproxyConfig haproxy",
        "EnvoyConfig envoy",
        "Ingress shop/web",
        "Gateway shop/public",
    ] {
        assert!(zt005.contains(subject), "no ZT005 on {subject}: {zt005:#?}");
    }
    assert!(report.findings.iter().any(|f| f.rule == "ZT202" && f.subject.name == "ci/key-…0024"));
    let all: Vec<&str> = CANARIES.iter().chain(PARSE_ERROR_CANARIES).copied().collect();
    let leaks = canary_leaks(&estate, &all);
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
}

/// The token on the line nginx cannot parse: kept apart because nginx's parse messages quote the
/// directive (`the "API_KEY=…" directive has no ";"`); they are being rewritten so that no
/// diagnostic quotes input (wt-diag). Un-ignore once that is merged.
#[test]
fn no_canary_on_a_broken_nginx_line_reaches_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let estate = dir.path().join("estate");
    std::fs::create_dir(&estate).unwrap();
    canary_estate(&estate, true);
    let leaks = canary_leaks(&estate, &[NGINX_PARSE_ERROR_CANARY]);
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
}
