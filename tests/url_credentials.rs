//! Credentials written inside URLs and addresses (`scheme://user:password@host`, `user:pw@host:port`)
//! are never part of an id, a name or a message: the peer is named by its host and port alone,
//! and the credential becomes a credential node held by the proxy or workload, fingerprinted,
//! with an edge to the peer it unlocks (and a ZT005 finding), wherever the URL is written.

mod common;

use std::path::Path;

use common::run;
use ztpath_reports::{Node, Report};

/// Every user name and password written in the estate below.
const USERINFO: &[&str] = &[
    "ngxuser",
    "ngx-pass-1",
    "upuser",
    "up-pass-2",
    "bareuser",
    "bare-pass-3",
    "hauser",
    "ha-pass-4",
    "envoyuser",
    "envoy-pass-5",
    "vsuser",
    "vs-pass-6",
    "annuser",
    "ann-pass-7",
    "dbuser",
    "shared-pass-8",
    "cmuser",
    "cm-pass-9",
    "arguser",
    "arg-pass-10",
    "tokuser",
];

const NGINX: &str = "events {}
http {
  upstream pool {
    server upuser:up-pass-2@pool1.internal:9000;
  }
  server {
    listen 80;
    location / { proxy_pass http://ngxuser:ngx-pass-1@backend:8080; }
    location /pool { proxy_pass http://pool; }
    location /bare { proxy_pass http://bareuser:bare-pass-3@bare.internal; }
    location /user { proxy_pass https://tokuser@named.internal; }
  }
}
";

const HAPROXY: &str = "global
  log stdout format raw local0
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
frontend fe
  bind :80
  default_backend be
backend be
  server s1 hauser:ha-pass-4@app.internal:8080
  server s2 ipv4@10.0.0.2:8081
";

const ENVOY: &str = r#"static_resources:
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
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app}
          http_filters:
          - name: envoy.filters.http.router
  clusters:
  - name: app
    type: STATIC
    load_assignment:
      cluster_name: app
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: "envoyuser:envoy-pass-5@envoy.internal", port_value: 9000}}}
"#;

const MANIFESTS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-url: https://annuser:ann-pass-7@auth.example/check
spec:
  ingressClassName: nginx
  rules:
  - host: web.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: partner, namespace: edge}
spec:
  hosts: ['*']
  gateways: [public]
  http:
  - route:
    - destination: {host: 'vsuser:vs-pass-6@api.partner.example', port: {number: 443}}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData:
  password: shared-pass-8
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data:
  UPSTREAM_URL: https://cmuser:cm-pass-9@api.vendor.example/v1
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: shop}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: app
        image: app
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: DB_URL
          value: postgres://dbuser:shared-pass-8@db.data.example:5432/app
        args: ['--upstream=https://arguser:arg-pass-10@args.example.com/x']
";

fn estate(dir: &Path) {
    for (name, text) in [
        ("nginx.conf", NGINX),
        ("haproxy.cfg", HAPROXY),
        ("envoy.yaml", ENVOY),
        ("manifests.yaml", MANIFESTS),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn scan(dir: &Path, format: &str) -> (String, String) {
    let (code, stdout, stderr) = run(&[
        "scan",
        dir.to_str().unwrap(),
        "--format",
        format,
        "--fail-on",
        "never",
        "--now",
        "2026-11-25",
    ]);
    assert_eq!(code, 0, "scan --format {format}: {stderr}");
    (stdout, stderr)
}

fn node<'r>(r: &'r Report, id: &str) -> &'r Node {
    r.nodes.iter().find(|n| n.id == id).unwrap_or_else(|| {
        panic!("no node {id}; nodes: {:#?}", r.nodes.iter().map(|n| &n.id).collect::<Vec<_>>())
    })
}

/// The credential node that unlocks `peer`, held by `holder` (a proxy or workload node id).
fn credential_for<'r>(r: &'r Report, holder: &str, peer: &str) -> &'r Node {
    let held: Vec<&str> = r
        .edges
        .iter()
        .filter(|e| e.from == holder && e.kind == "uses-credential")
        .map(|e| e.to.as_str())
        .collect();
    let id = r
        .edges
        .iter()
        .find(|e| e.kind == "unlocks" && e.to == peer && held.contains(&e.from.as_str()))
        .map(|e| e.from.as_str())
        .unwrap_or_else(|| panic!("{holder} holds no credential that unlocks {peer}; holds {held:?}"));
    let n = node(r, id);
    assert_eq!(n.kind, "credential", "{n:?}");
    let fp = n.attrs.get("fingerprint").unwrap_or_else(|| panic!("{id} has no fingerprint: {n:?}"));
    assert!(fp.starts_with("hmac:") && fp.len() == 17, "{id}: {fp}");
    n
}

#[test]
fn userinfo_never_reaches_any_output() {
    let dir = tempfile::tempdir().unwrap();
    estate(dir.path());
    let mut leaks = Vec::new();
    for format in ["json", "dot", "table"] {
        let (stdout, stderr) = scan(dir.path(), format);
        for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            for word in USERINFO {
                if let Some(at) = text.find(word) {
                    let ctx = &text[at.saturating_sub(60)..(at + word.len() + 20).min(text.len())];
                    leaks.push(format!("--format {format} {stream}: {word:?} in …{ctx}…"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

#[test]
fn proxies_name_their_peers_by_host_and_hold_the_credential() {
    let dir = tempfile::tempdir().unwrap();
    estate(dir.path());
    let r: Report = serde_json::from_str(&scan(dir.path(), "json").0).unwrap();
    // nginx: `proxy_pass http://user:pw@backend:8080`, an upstream server with userinfo, and a
    // URL without a port.
    let ngx = "proxy:nginx/-/nginx";
    for peer in ["external:backend:8080", "external:pool1.internal:9000", "external:bare.internal:80"] {
        node(&r, peer);
        credential_for(&r, ngx, peer);
    }
    // A user name alone is stripped; it is a credential only when it has a token's format.
    node(&r, "external:named.internal:443");
    assert!(
        !r.edges.iter().any(|e| e.kind == "unlocks" && e.to == "external:named.internal:443"),
        "a plain user name is not a credential"
    );
    // HAProxy: `server s1 user:pw@host:port`; an address family prefix is not a userinfo.
    credential_for(&r, "proxy:haproxy/-/haproxy", "external:app.internal:8080");
    node(&r, "external:10.0.0.2:8081");
    // Envoy: an endpoint address `user:pw@host`.
    credential_for(&r, "proxy:envoy/-/envoy", "external:envoy.internal:9000");
    // Istio: a VirtualService destination host.
    credential_for(&r, "proxy:istiogateway/edge/public", "external:api.partner.example:443");
    // An Ingress annotation: ingress-nginx sends the auth-url credential to the auth service.
    credential_for(&r, "proxy:ingressnginx/shop/web", "external:auth.example");
    // Each is reported where it is written, by fingerprint.
    let zt005: Vec<&str> =
        r.findings.iter().filter(|f| f.rule == "ZT005").map(|f| f.message.as_str()).collect();
    for expected in [
        "NginxConfig nginx (credential in the URL of backend:8080) holds a password in URL in clear text",
        "HaproxyConfig haproxy (credential in the URL of app.internal:8080) holds a password in URL",
        "EnvoyConfig envoy (credential in the URL of envoy.internal:9000) holds a password in URL",
        "Ingress shop/web (credential in the URL of auth.example) holds a password in URL",
    ] {
        assert!(
            zt005.iter().any(|m| m.starts_with(expected) && m.contains("(fingerprint hmac:")),
            "{expected}\n{zt005:#?}"
        );
    }
    let nginx_pass = credential_for(&r, ngx, "external:backend:8080");
    let evidence: Vec<(String, u32)> = r
        .blast_radius
        .iter()
        .filter(|b| b.credential.id == nginx_pass.id)
        .flat_map(|b| b.credential.evidence.iter().map(|e| (e.file.to_string(), e.line)))
        .collect();
    assert_eq!(evidence, [(dir.path().join("nginx.conf").display().to_string(), 8)]);
}

#[test]
fn workload_urls_fingerprint_the_password_itself() {
    let dir = tempfile::tempdir().unwrap();
    estate(dir.path());
    let r: Report = serde_json::from_str(&scan(dir.path(), "json").0).unwrap();
    let w = "workload:shop/Deployment/app";
    // Env, ConfigMap (loaded with envFrom) and argument URLs.
    let db = credential_for(&r, w, "external:db.data.example");
    credential_for(&r, w, "external:api.vendor.example");
    credential_for(&r, w, "external:args.example.com");
    // The env URL's password is the Secret's value: one fingerprint, the password's, not the URL's.
    let secret =
        r.findings.iter().find(|f| f.rule == "ZT005" && f.subject.name == "db").expect("ZT005 on Secret db");
    let fp = &db.attrs["fingerprint"];
    assert!(secret.message.contains(fp.as_str()), "{fp} vs {}", secret.message);
}
