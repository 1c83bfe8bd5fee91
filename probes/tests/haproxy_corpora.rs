//! The HAProxy reader against real configuration from haproxytech/kubernetes-ingress (copied
//! verbatim under `shared/corpora`) and the small `fixtures/proxies/haproxy/edge.cfg`. Every
//! fact asserted here was read from the files themselves. The corpus test is skipped when the
//! corpora are absent (under CI it fails).

mod common;

use std::path::Path;

use ztpath_probes::{
    BackendTarget, ClientCertMode, HeaderAction, IdentityHeader, ListenerTls, Proxy, ProxyKind, read_paths,
};

use common::corpus;

#[test]
fn kubernetes_ingress_cfg_files() {
    let Some(dir) = corpus("haproxytech__kubernetes-ingress") else { return };
    let inv = read_paths(&[dir]);
    let haproxy: Vec<&Proxy> = inv.proxies.iter().filter(|p| p.kind == ProxyKind::Haproxy).collect();
    // Two .cfg files, both called haproxy.cfg, both read without a diagnostic.
    assert_eq!(haproxy.len(), 2);
    assert!(haproxy.iter().all(|p| p.name == "haproxy"));
    assert!(!inv.diagnostics.iter().any(|d| d.source.file.ends_with(".cfg")), "{:?}", inv.diagnostics);

    // fs/usr/local/etc/haproxy/haproxy.cfg: the controller's base configuration. Its four
    // frontends (`frontend https from haproxytech`, …) have no `bind` in the file: the
    // controller adds them at run time. So no listener is invented.
    let base =
        haproxy.iter().find(|p| p.source.file.ends_with("fs/usr/local/etc/haproxy/haproxy.cfg")).unwrap();
    assert!(base.listeners.is_empty());
    assert_eq!(
        base.attrs.get("frontends_without_bind").map(String::as_str),
        Some("https, http, healthz, stats")
    );

    // documentation/tcp-cr-full-example/haproxy.cfg: `frontend tcpcr_tests_fe-http-echo`,
    // `mode tcp`, `bind 0.0.0.0:32766 name v4` (line 8), routing on `req_ssl_sni`.
    let tcp = haproxy.iter().find(|p| p.source.file.ends_with("tcp-cr-full-example/haproxy.cfg")).unwrap();
    assert_eq!(tcp.listeners.len(), 1);
    let l = &tcp.listeners[0];
    assert_eq!(
        (l.name.as_str(), l.port, l.tls, l.client_cert, l.line),
        ("tcpcr_tests_fe-http-echo", Some(32766), ListenerTls::Passthrough, ClientCertMode::None, 8)
    );
    assert_eq!(l.hosts, vec!["backend0.example.com", "backend1.example.com"]);
    // Routes: `use_backend … if switch_be_0` (line 19), `… if switch_be_1` (line 20) and
    // `default_backend tests_svc_http-echo_https` (line 21); each backend has SRV_1 and SRV_2
    // enabled and SRV_3 / SRV_4 `disabled` (127.0.0.1:8443, not targets). Plain TCP to them.
    let routes: Vec<(&str, &BackendTarget, u32, u32)> =
        l.routes.iter().map(|r| (r.matches.as_str(), &r.backend.target, r.line, r.backend.line)).collect();
    let addr = |host: &str| BackendTarget::Address { host: host.to_owned(), port: Some(8443) };
    assert_eq!(
        routes,
        vec![
            ("switch_be_0", &addr("10.244.0.50"), 19, 31),
            ("switch_be_0", &addr("[fd00:10:244::32]"), 19, 32),
            ("switch_be_1", &addr("10.244.0.51"), 20, 42),
            ("switch_be_1", &addr("[fd00:10:244::33]"), 20, 43),
            ("default", &addr("[fd00:10:244::35]"), 21, 53),
            ("default", &addr("10.244.0.53"), 21, 54),
        ]
    );
    assert!(l.routes.iter().all(|r| !r.backend.tls && r.backend.verify_server.is_none()));
    // `tcp-request content accept` is not an access restriction; no header rules in TCP mode.
    assert!(l.authz.is_empty() && l.identity_headers.is_empty());
}

#[test]
fn fixture_edge() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/proxies/haproxy");
    let inv = read_paths(&[path]);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 1);
    let p = &inv.proxies[0];
    assert_eq!((p.kind, p.name.as_str()), (ProxyKind::Haproxy, "edge"));

    let partners = &p.listeners[0];
    assert_eq!(
        (partners.name.as_str(), partners.port, partners.tls, partners.client_cert, partners.line),
        ("partners", Some(443), ListenerTls::Terminate, ClientCertMode::Optional, 13)
    );
    assert_eq!(
        partners.identity_headers,
        vec![
            IdentityHeader {
                name: "X-SSL-Client-DN".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: 15
            },
            IdentityHeader { name: "X-Client-Cert".into(), action: HeaderAction::Append, line: 16 },
        ]
    );
    assert_eq!(partners.authz, vec!["http-request deny if !{ ssl_c_used } (line 17)"]);
    let backends: Vec<(&str, bool, Option<bool>, bool)> = partners
        .routes
        .iter()
        .map(|r| (r.matches.as_str(), r.backend.tls, r.backend.verify_server, r.backend.client_cert))
        .collect();
    assert_eq!(
        backends,
        vec![
            ("{ path_beg /orders }", true, Some(false), false),
            ("{ path_beg /orders }", true, Some(true), true),
            ("default", false, None, false),
        ]
    );
    assert!(p.attrs["send-proxy-v2-ssl-cn"].starts_with("catalog/c1 (line 35)"));

    let sni = &p.listeners[1];
    assert_eq!(
        (sni.port, sni.tls, sni.hosts.clone()),
        (Some(8443), ListenerTls::Passthrough, vec!["pay.shop.example".to_owned()])
    );
    assert_eq!(
        sni.routes[0].backend.target,
        BackendTarget::Address { host: "10.0.2.20".into(), port: Some(443) }
    );
}
