//! Hops that are not what they seem (issue 9, item 5).
//!
//! A layer-4 load balancer passes bytes through: its hop is TLS passthrough only when the backend
//! port is known to speak TLS, plaintext when it is known to speak plaintext (ZT106), and unknown
//! otherwise (fixtures/proxies/layer4). Listeners on loopback and backends at loopback or on a Unix
//! socket are inside one pod: in-pod hops, not network hops (fixtures/proxies/in-pod).

mod common;

use common::{describe, scan_json};
use ztpath_reports::{AuthMethod, AuthPath, Finding, IdentityState, Report};

const LAYER4: &str = "fixtures/proxies/layer4";
const IN_POD: &str = "fixtures/proxies/in-pod";

/// The two-hop path through `proxy`'s listener `listener`.
fn through<'r>(r: &'r Report, proxy: &str, listener: &str) -> &'r AuthPath {
    let marker = format!("->{proxy}#{listener}/");
    r.paths.iter().find(|p| p.hops.len() == 2 && p.id.as_text().contains(&marker)).unwrap_or_else(|| {
        panic!(
            "no path through {proxy} listener {listener}; paths: {:#?}",
            r.paths.iter().map(|p| &p.id).collect::<Vec<_>>()
        )
    })
}

/// (auth, identity) of each hop.
fn verdicts(p: &AuthPath) -> Vec<(AuthMethod, IdentityState)> {
    p.hops.iter().map(|h| (h.auth, h.identity)).collect()
}

/// The proxy-rule findings as (rule, severity, subject, listener message prefix), sorted.
fn proxy_findings(r: &Report) -> Vec<(String, String, String, String)> {
    let mut got: Vec<(String, String, String, String)> = r
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("ZT1"))
        .map(|f| {
            let prefix = f.message.split(':').next().unwrap_or_default().to_owned();
            (f.rule.clone(), f.severity.to_string(), common::subject(&f.subject), prefix)
        })
        .collect();
    got.sort();
    got
}

fn finding<'r>(r: &'r Report, rule: &str, message_start: &str) -> &'r Finding {
    r.findings.iter().find(|f| f.rule == rule && f.message.starts_with(message_start)).unwrap_or_else(|| {
        panic!("no {rule} starting {message_start:?}:\n{}", describe(&r.findings.iter().collect::<Vec<_>>()))
    })
}

fn rows(items: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    items.iter().map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into())).collect()
}

const EDGE: &str = "proxy:serviceloadbalancer/l4/edge";

#[test]
fn a_load_balancer_port_is_plaintext_tls_or_unknown_as_its_backend_port_speaks() {
    let r = scan_json(&[&format!("{LAYER4}/service-ports.yaml")]);
    use AuthMethod::{Plaintext, TlsPassthrough, Unknown};
    use IdentityState::{Lost, Unknown as Unsure};
    // Port named `http`, appProtocol `kubernetes.io/h2c`: plaintext both ways.
    for listener in ["http", "rpc"] {
        let p = through(&r, EDGE, listener);
        assert_eq!(verdicts(p), [(Plaintext, Lost), (Plaintext, Lost)], "{listener}: {:#?}", p.hops);
        assert_eq!(p.to, "workload:l4/Deployment/api");
    }
    assert!(through(&r, EDGE, "http").hops[1].detail.contains("Service l4/edge port 80 is named `http`"));
    assert!(through(&r, EDGE, "rpc").hops[1].detail.contains("appProtocol `kubernetes.io/h2c`"));
    // An HTTPS httpGet probe on the target port: TLS passes through; the probe is evidence.
    let secure = through(&r, EDGE, "secure");
    assert_eq!(verdicts(secure), [(TlsPassthrough, Unsure), (TlsPassthrough, Unsure)]);
    assert!(
        secure.hops[1].detail.contains("answers an HTTPS httpGet probe on port 8443"),
        "{}",
        secure.hops[1].detail
    );
    assert!(secure.hops[1].evidence.iter().any(|e| e.file.ends_with("service-ports.yaml") && e.line == 42));
    // Nothing said: unknown, and the hop says so instead of claiming TLS.
    let raw = through(&r, EDGE, "raw");
    assert_eq!(verdicts(raw), [(Unknown, Unsure), (Unknown, Unsure)]);
    for h in &raw.hops {
        assert!(
            h.detail.contains("does not show whether port 7000 of the backend speaks TLS"),
            "{}",
            h.detail
        );
        assert!(!h.detail.contains("TLS session"), "{}", h.detail);
    }
    assert_eq!(
        proxy_findings(&r),
        rows(&[
            ("ZT106", "medium", "Service l4/edge", "edge listener http (port 80)"),
            ("ZT106", "medium", "Service l4/edge", "edge listener rpc (port 9090)"),
            ("ZT107", "medium", "Service l4/edge", "edge listener raw (port 7000)"),
            ("ZT107", "medium", "Service l4/edge", "edge listener secure (port 443)"),
        ])
    );
    // ZT107 never says that TLS continues where none is known.
    let unknown = finding(&r, "ZT107", "edge listener raw");
    assert!(
        unknown.message.contains("TLS or not") && !unknown.message.contains("TLS session"),
        "{}",
        unknown.message
    );
    let tls = finding(&r, "ZT107", "edge listener secure");
    assert!(tls.message.contains("the client's TLS session continues to the backend"), "{}", tls.message);
    assert_eq!(tls.paths, std::slice::from_ref(&secure.id));
    assert_eq!(
        finding(&r, "ZT106", "edge listener http").paths,
        std::slice::from_ref(&through(&r, EDGE, "http").id)
    );
}

#[test]
fn a_load_balancer_in_front_of_an_ingress_controller_takes_its_listeners_port_by_port() {
    let r = scan_json(&[&format!("{LAYER4}/ingress-controller.yaml")]);
    let lb = "proxy:serviceloadbalancer/ingress-nginx/ingress-nginx-controller";
    let web = through(&r, lb, "web");
    assert_eq!(verdicts(web)[0], (AuthMethod::Plaintext, IdentityState::Lost));
    assert!(
        web.hops[0]
            .detail
            .contains("the pods serve Ingress shop/blog, whose listener http on port 80 serves plaintext"),
        "{}",
        web.hops[0].detail
    );
    let websecure = through(&r, lb, "websecure");
    assert_eq!(verdicts(websecure)[0], (AuthMethod::TlsPassthrough, IdentityState::Unknown));
    assert!(websecure.hops[0].detail.contains("whose listener shop-tls on port 443 terminates TLS"));
    // Chains go on through the Ingress listener on the port the hop lands on, and only that one.
    let chained: Vec<(String, String)> = r
        .paths
        .iter()
        .filter(|p| p.hops.len() == 3)
        .map(|p| (p.hops[0].via.as_deref().unwrap_or_default().to_owned(), p.hops[2].from.to_string()))
        .collect();
    assert_eq!(
        chained,
        [
            ("web port 80".to_owned(), "proxy:ingressnginx/shop/blog".to_owned()),
            ("websecure port 443".to_owned(), "proxy:ingressnginx/shop/shop".to_owned()),
        ]
    );
    let subject = "Service ingress-nginx/ingress-nginx-controller";
    let lb_findings: Vec<_> = proxy_findings(&r).into_iter().filter(|f| f.2 == subject).collect();
    assert_eq!(
        lb_findings,
        rows(&[
            ("ZT106", "medium", subject, "ingress-nginx-controller listener web (port 80)"),
            ("ZT107", "medium", subject, "ingress-nginx-controller listener websecure (port 443)"),
        ])
    );
}

#[test]
fn an_nlb_tcp_listener_is_unknown_alone_and_plaintext_once_bound_to_its_service() {
    let nlb = "proxy:awsnlb/-/storefront-nlb";
    let alone = scan_json(&[&format!("{LAYER4}/nlb.yaml")]);
    let p = through(&alone, nlb, "TCP:80");
    assert_eq!(verdicts(p), [(AuthMethod::Unknown, IdentityState::Unknown); 2]);
    assert_eq!(
        proxy_findings(&alone),
        rows(&[("ZT107", "medium", "LoadBalancer storefront-nlb", "storefront-nlb listener TCP")])
    );
    // With the TargetGroupBinding the target group is Service shop/storefront, port `http-web`.
    let bound = scan_json(&[&format!("{LAYER4}/nlb.yaml"), "fixtures/proxies/layer4-binding"]);
    let p = through(&bound, nlb, "TCP:80");
    assert_eq!(p.to, "workload:shop/Deployment/storefront");
    assert_eq!(verdicts(p), [(AuthMethod::Plaintext, IdentityState::Lost); 2]);
    assert!(
        p.hops[1].detail.contains("Service shop/storefront port 8080 is named `http-web`"),
        "{}",
        p.hops[1].detail
    );
    assert_eq!(
        proxy_findings(&bound),
        rows(&[("ZT106", "medium", "LoadBalancer storefront-nlb", "storefront-nlb listener TCP")])
    );
}

const SIDECAR: &str = "proxy:envoy/pay/api-sidecar/envoy.yaml";

#[test]
fn a_sidecar_hop_to_its_own_application_is_in_pod() {
    let r = scan_json(&[&format!("{IN_POD}/sidecar.yaml")]);
    // The loopback upstream is the pod that runs the sidecar.
    let mtls = through(&r, SIDECAR, "mtls");
    assert_eq!(mtls.to, "workload:pay/Deployment/api");
    assert_eq!(
        verdicts(mtls),
        [
            (AuthMethod::ClientCertificate, IdentityState::Preserved),
            (AuthMethod::InPod, IdentityState::Propagated)
        ]
    );
    assert!(mtls.hops[1].detail.starts_with("the backend is in the proxy's own pod, reached over loopback"));
    // The path's verdict is its weakest network hop, not the in-pod one.
    assert_eq!(mtls.auth, Some(AuthMethod::ClientCertificate));
    let health = through(&r, SIDECAR, "health");
    assert_eq!(
        verdicts(health),
        [(AuthMethod::Plaintext, IdentityState::Lost), (AuthMethod::InPod, IdentityState::Lost)]
    );
    // No plaintext-to-backend, substitution or unverified-TLS finding on in-pod hops.
    let proxy_rules: Vec<&Finding> = r.findings.iter().filter(|f| f.rule.starts_with("ZT1")).collect();
    assert!(proxy_rules.is_empty(), "{}", describe(&proxy_rules));
    // ZT001 on api lists the path whose network hop is plaintext, not the one that requires
    // client certificates.
    let zt001 = common::findings_on(&r, "ZT001", "Deployment", "pay", "api");
    assert_eq!(zt001.len(), 1, "{}", describe(&zt001));
    assert!(zt001[0].paths.contains(&health.id), "{:#?}", zt001[0].paths);
    assert!(!zt001[0].paths.contains(&mtls.id), "{:#?}", zt001[0].paths);
}

#[test]
fn a_loopback_listener_is_reached_from_its_own_pod_only() {
    let r = scan_json(&[&format!("{IN_POD}/sidecar.yaml")]);
    let out = through(&r, SIDECAR, "outbound-ledger");
    assert_eq!(out.from, format!("local:{SIDECAR}"));
    assert!(
        r.nodes.iter().any(|n| n.id == out.from && n.kind == "local"),
        "the pod's processes are a local node"
    );
    assert_eq!(out.to, "workload:pay/Deployment/ledger");
    assert_eq!(
        verdicts(out),
        [
            (AuthMethod::InPod, IdentityState::Preserved),
            (AuthMethod::ClientCertificate, IdentityState::Preserved)
        ]
    );
    assert!(r.findings.iter().all(|f| f.rule != "ZT102"));
    // batch calls api over the network: its call goes on through api's sidecar listeners on the
    // network, never through the loopback one.
    let from_batch: Vec<&str> = r
        .paths
        .iter()
        .filter(|p| p.from == "workload:pay/Deployment/batch" && p.hops.len() == 2)
        .map(|p| p.hops[1].via.as_deref().unwrap_or_default())
        .collect();
    assert!(!from_batch.is_empty());
    assert!(from_batch.iter().all(|v| !v.contains("ledger")), "{from_batch:?}");

    // The same listener on 0.0.0.0: any pod reaches it, the certificate Envoy presents stands for
    // all of them (ZT102), and batch's call goes on through it.
    let text = std::fs::read_to_string(common::path(&format!("{IN_POD}/sidecar.yaml"))).expect("read");
    let open = text.replace("address: 127.0.0.1, port_value: 15001", "address: 0.0.0.0, port_value: 15001");
    assert_ne!(text, open);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("sidecar.yaml"), open).expect("write");
    let r = scan_json(&[dir.path().to_str().expect("utf-8 path")]);
    let out = through(&r, SIDECAR, "outbound-ledger");
    assert_eq!(out.from, "external:clients");
    assert_eq!(out.hops[1].identity, IdentityState::Terminated);
    assert_eq!(
        proxy_findings(&r),
        rows(&[(
            "ZT102",
            "medium",
            "EnvoyConfig pay/api-sidecar/envoy.yaml",
            "api-sidecar/envoy.yaml listener outbound-ledger (port 15001)"
        )])
    );
    assert!(
        r.paths
            .iter()
            .any(|p| p.from == "workload:pay/Deployment/batch" && p.to == "workload:pay/Deployment/ledger"),
        "{:#?}",
        r.paths.iter().map(|p| &p.id).collect::<Vec<_>>()
    );
}

#[test]
fn an_nginx_sidecar_reaches_its_application_over_loopback_and_a_socket() {
    let r = scan_json(&[&format!("{IN_POD}/nginx-sidecar.conf")]);
    let proxy = "proxy:nginx/-/nginx-sidecar";
    let ends: Vec<(&str, AuthMethod, AuthMethod)> =
        r.paths.iter().map(|p| (p.to.as_str(), p.hops[0].auth, p.hops[1].auth)).collect();
    assert_eq!(
        ends,
        [
            (&*format!("local:{proxy}/127.0.0.1:8080"), AuthMethod::ServerTls, AuthMethod::InPod),
            (&*format!("local:{proxy}/unix:/run/app/admin.sock"), AuthMethod::ServerTls, AuthMethod::InPod),
            ("external:status.internal.example.com:8080", AuthMethod::InPod, AuthMethod::Plaintext),
        ]
    );
    assert!(r.paths[1].hops[1].detail.contains("reached over a Unix socket"));
    // The loopback listener's hop to a backend elsewhere crosses the network: ZT106 on it alone.
    assert_eq!(
        proxy_findings(&r),
        rows(&[(
            "ZT106",
            "medium",
            "NginxConfig nginx-sidecar",
            "nginx-sidecar listener status (port 9000)"
        )])
    );
    assert_eq!(
        r.findings.iter().find(|f| f.rule == "ZT106").map(|f| f.paths.clone()),
        Some(vec![r.paths[2].id.clone()])
    );
}

#[test]
fn two_proxies_with_one_name_keep_their_own_paths_and_messages() {
    // Two nginx.conf in two folders: the same kind, namespace and name, the same server and route.
    // The first re-encrypts and verifies, the second forwards plaintext.
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = |scheme: &str, verify: &str| {
        format!(
            "events {{}}\nhttp {{\n  server {{\n    listen 443 ssl;\n    server_name api.example.com;\n    ssl_certificate /t.crt;\n    ssl_certificate_key /t.key;\n    location / {{\n      proxy_pass {scheme}://api.internal.example.com:8443;\n{verify}    }}\n  }}\n}}\n"
        )
    };
    for (folder, text) in [
        ("a", conf("https", "      proxy_ssl_verify on;\n      proxy_ssl_trusted_certificate /ca.crt;\n")),
        ("b", conf("http", "")),
    ] {
        std::fs::create_dir(dir.path().join(folder)).expect("mkdir");
        std::fs::write(dir.path().join(folder).join("nginx.conf"), text).expect("write");
    }
    let r = scan_json(&[dir.path().to_str().expect("utf-8 path")]);
    let proxies: Vec<&str> = r.nodes.iter().filter(|n| n.kind == "proxy").map(|n| n.id.as_str()).collect();
    assert_eq!(proxies.len(), 2, "{proxies:?}");
    assert!(proxies.iter().all(|id| id.starts_with("proxy:nginx/-/nginx@")), "{proxies:?}");
    let zt106 = common::of_rule(&r, "ZT106");
    assert_eq!(zt106.len(), 1, "{}", describe(&zt106));
    assert!(zt106[0].message.contains("the proxy forwards in plaintext"), "{}", zt106[0].message);
    assert_eq!(zt106[0].paths.len(), 1);
    let path = r.paths.iter().find(|p| p.id == zt106[0].paths[0]).expect("the finding's path");
    assert!(path.hops[0].to.ends_with("/b/nginx.conf:1"), "{}", path.hops[0].to);
    assert_eq!(path.hops[1].auth, AuthMethod::Plaintext);
}
