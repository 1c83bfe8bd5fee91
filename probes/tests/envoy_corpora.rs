//! The Envoy reader against real configuration from the envoyproxy/examples and envoyproxy/envoy
//! repositories (copied verbatim under `shared/corpora`), and against the fixtures in
//! `fixtures/proxies/envoy`. Every fact asserted here was read from the files themselves. The
//! corpus tests are skipped when the corpora are absent (under CI they fail).

mod common;

use std::path::Path;

use ztpath_probes::{
    BackendTarget, ClientCertMode, HeaderAction, Inventory, ListenerTls, Proxy, ProxyKind, ProxyListener,
    XfccMode, read_paths,
};

use common::read;

fn fixture(name: &str) -> Inventory {
    read_paths(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/proxies/envoy").join(name)])
}

/// The one proxy of a single-file inventory.
fn proxy(inv: &Inventory) -> &Proxy {
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 1, "{:?}", inv.proxies.iter().map(|p| &p.name).collect::<Vec<_>>());
    assert_eq!(inv.proxies[0].kind, ProxyKind::Envoy);
    &inv.proxies[0]
}

fn listener<'a>(p: &'a Proxy, name: &str) -> &'a ProxyListener {
    p.listeners.iter().find(|l| l.name == name).unwrap_or_else(|| {
        panic!("no listener {name} in {:?}", p.listeners.iter().map(|l| &l.name).collect::<Vec<_>>())
    })
}

fn address(host: &str, port: u32) -> BackendTarget {
    BackendTarget::Address { host: host.into(), port: Some(port) }
}

#[test]
fn whole_envoy_corpora_read_without_panic() {
    let Some(inv) = read("envoyproxy__examples") else { return };
    // 26 YAML files, each one Envoy document (bootstrap, xDS resources or dynamic bootstrap).
    assert_eq!(inv.files_read, 26);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 26);
    assert!(inv.skipped_kinds.is_empty(), "{:?}", inv.skipped_kinds);
    // Every listener points back into its file.
    for p in &inv.proxies {
        assert!(p.source.line > 0);
        for l in &p.listeners {
            assert!(l.line >= p.source.line, "{} {}", p.source, l.name);
            for r in &l.routes {
                assert!(r.line > l.line && r.backend.line > 0, "{} {}", p.source, l.name);
            }
        }
    }
    // No example sets forward_client_cert_details: every HTTP listener has the SANITIZE default,
    // every TCP-proxy listener has no XFCC at all.
    for l in inv.proxies.iter().flat_map(|p| &p.listeners) {
        assert!(matches!(l.xfcc, None | Some(XfccMode::Sanitize)), "{}", l.name);
    }

    let Some(inv) = read("envoyproxy__envoy") else { return };
    assert_eq!(inv.files_read, 4);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 4);
}

#[test]
fn tls_example_terminates_at_envoy_and_does_not_verify_upstream() {
    // envoy-https-http: TLS terminated on 10000 (no client certificates), plain HTTP to the
    // service.
    let Some(inv) = read("envoyproxy__examples/tls/envoy-https-http.yaml") else { return };
    let p = proxy(&inv);
    assert_eq!(p.name, "envoy-https-http", "named after the file stem");
    let l = &p.listeners[0];
    assert_eq!((l.port, l.tls, l.client_cert), (Some(10000), ListenerTls::Terminate, ClientCertMode::None));
    assert_eq!(l.line, 3);
    assert_eq!(l.routes.len(), 1);
    assert_eq!(l.routes[0].matches, "/");
    assert_eq!(l.routes[0].backend.target, address("service-http", 80));
    assert!(!l.routes[0].backend.tls);

    // envoy-http-https: plaintext in, TLS out with only tls_params: the server is not verified.
    let Some(inv) = read("envoyproxy__examples/tls/envoy-http-https.yaml") else { return };
    let l = &proxy(&inv).listeners[0];
    assert_eq!(l.tls, ListenerTls::Plaintext);
    let b = &l.routes[0].backend;
    assert_eq!(b.target, address("service-https", 443));
    assert!(b.tls && !b.client_cert);
    assert_eq!(b.verify_server, Some(false), "UpstreamTlsContext without validation context");
    assert_eq!(b.line, 46, "the UpstreamTlsContext");

    // envoy-https-passthrough: a bare tcp_proxy hands the client's bytes on as they are (the
    // example means TLS, but nothing in the configuration matches on it: layer 4).
    let Some(inv) = read("envoyproxy__examples/tls/envoy-https-passthrough.yaml") else { return };
    let l = &proxy(&inv).listeners[0];
    assert_eq!((l.tls, l.xfcc), (ListenerTls::Layer4, None));
    assert_eq!(l.routes[0].backend.target, address("service-https", 443));
}

#[test]
fn double_proxy_upstream_mtls_with_client_certificate_and_validation() {
    // The frontend wraps plain Postgres in mTLS: its own client certificate, the backend's
    // certificate checked against cacert.pem and a DNS SAN.
    let Some(inv) = read("envoyproxy__examples/double-proxy/envoy-frontend.yaml") else { return };
    let l = listener(proxy(&inv), "postgres_listener");
    assert_eq!((l.port, l.tls), (Some(5432), ListenerTls::Plaintext));
    assert_eq!(l.routes.len(), 1);
    let b = &l.routes[0].backend;
    assert_eq!(b.target, address("proxy-postgres-backend.example.com", 5432));
    assert!(b.tls && b.client_cert);
    assert_eq!(b.verify_server, Some(true));
    assert_eq!(b.substitutes_identity.as_deref(), Some("the proxy's own certificate"));
    assert_eq!(b.line, 31);

    // The backend requires a client certificate signed by cacert.pem with the frontend's SAN,
    // then talks plain Postgres to the database.
    let Some(inv) = read("envoyproxy__examples/double-proxy/envoy-backend.yaml") else { return };
    let l = listener(proxy(&inv), "postgres_listener");
    assert_eq!((l.tls, l.client_cert), (ListenerTls::Terminate, ClientCertMode::Required));
    assert_eq!(l.xfcc, None, "a TCP proxy has no XFCC");
    let b = &l.routes[0].backend;
    assert_eq!(b.target, address("postgres", 5432));
    assert!(!b.tls);
    assert_eq!(b.verify_server, None);
}

#[test]
fn front_proxy_routes_by_path_on_two_listeners() {
    let Some(inv) = read("envoyproxy__examples/front-proxy/envoy.yaml") else { return };
    let p = proxy(&inv);
    assert_eq!(p.attrs.get("admin").map(String::as_str), Some("0.0.0.0:8001"));
    assert_eq!(p.listeners.len(), 2);
    let plain = listener(p, "0.0.0.0:8080");
    let tls = listener(p, "0.0.0.0:8443");
    assert_eq!(plain.tls, ListenerTls::Plaintext);
    assert_eq!((tls.tls, tls.client_cert), (ListenerTls::Terminate, ClientCertMode::None));
    for l in [plain, tls] {
        let routes: Vec<(&str, &BackendTarget)> =
            l.routes.iter().map(|r| (r.matches.as_str(), &r.backend.target)).collect();
        assert_eq!(
            routes,
            vec![
                ("/service/1", &address("service-envoy-1", 8000)),
                ("/service/2", &address("service-envoy-2", 8000))
            ]
        );
        assert!(l.routes.iter().all(|r| !r.backend.tls));
    }
    assert_eq!(plain.routes[0].line, 21);
}

#[test]
fn jwt_authn_example_verifies_firebase_tokens() {
    let Some(inv) = read("envoyproxy__envoy/configs/jwt_authn.yaml") else { return };
    let l = listener(proxy(&inv), "listener_0");
    assert_eq!(l.jwt.len(), 1);
    let j = &l.jwt[0];
    assert_eq!(
        j.issuer.as_deref(),
        Some("https://securetoken.google.com/example.com:example-project-1234567890")
    );
    assert_eq!(j.audiences, vec!["example.com:example-project-1234567890".to_owned()]);
    assert!(j.enforced, "the rule on / requires the firebase provider");
    assert!(j.verified);
    // claim_to_headers: three headers the proxy sets from the verified token.
    let headers: Vec<&str> = l.identity_headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(headers, vec!["x-firebase-uid", "x-firebase-provider", "x-firebase-tenant"]);
    assert!(l.identity_headers.iter().all(|h| h.action == HeaderAction::Set { from_client_cert: false }));
    assert_eq!(l.identity_headers[0].line, 45);
    assert!(l.routes.is_empty(), "the only route is a direct response");
}

#[test]
fn rbac_and_ext_authz_examples_are_described() {
    let Some(inv) = read("envoyproxy__examples/rbac/envoy.yaml") else { return };
    let l = &proxy(&inv).listeners[0];
    assert_eq!(l.authz, vec!["envoy.filters.http.rbac: matcher".to_owned()]);
    assert_eq!(l.routes[0].backend.target, address("backend", 8080));

    let Some(inv) = read("envoyproxy__examples/ext_authz/config/http-service.yaml") else { return };
    let l = &proxy(&inv).listeners[0];
    assert_eq!(l.authz.len(), 1);
    assert!(l.authz[0].contains("HTTP service via cluster ext_authz-http-service"), "{}", l.authz[0]);
    assert!(l.authz[0].contains("x-current-user"), "{}", l.authz[0]);

    let Some(inv) = read("envoyproxy__examples/ext_authz/config/opa-service/v3.yaml") else { return };
    let l = &proxy(&inv).listeners[0];
    assert_eq!(
        l.authz,
        vec!["envoy.filters.http.ext_authz: gRPC service via ext_authz-opa-service".to_owned()]
    );
}

#[test]
fn tls_sni_and_tls_inspector_chains() {
    // One listener, three chains picked by SNI: two terminate TLS, the third passes it through.
    let Some(inv) = read("envoyproxy__examples/tls-sni/envoy.yaml") else { return };
    let p = proxy(&inv);
    assert_eq!(p.listeners.len(), 3);
    assert!(p.listeners.iter().all(|l| l.port == Some(10000)));
    let tls: Vec<(ListenerTls, &str)> =
        p.listeners.iter().map(|l| (l.tls, l.hosts.first().map_or("", String::as_str))).collect();
    assert_eq!(
        tls,
        vec![
            (ListenerTls::Terminate, "domain1.example.com"),
            (ListenerTls::Terminate, "domain2.example.com"),
            (ListenerTls::Passthrough, "domain3.example.com"),
        ]
    );
    assert_eq!(p.listeners[2].routes[0].backend.target, address("service-https", 443));
    assert_eq!(p.listeners[2].line, 82);

    // The client side sends TLS with SNI but never checks the server.
    let Some(inv) = read("envoyproxy__examples/tls-sni/envoy-client.yaml") else { return };
    let l = &proxy(&inv).listeners[0];
    assert_eq!(l.routes.len(), 3);
    assert!(l.routes.iter().all(|r| r.backend.tls && r.backend.verify_server == Some(false)));

    // tls_inspector with transport_protocol: tls → passthrough by ALPN.
    let Some(inv) = read("envoyproxy__examples/tls-inspector/envoy.yaml") else { return };
    let p = proxy(&inv);
    assert_eq!(p.listeners.len(), 3);
    assert_eq!(p.listeners[0].tls, ListenerTls::Passthrough);
    assert_eq!(p.listeners[0].routes[0].backend.target, address("service-https1", 443));
}

#[test]
fn dynamic_config_from_files() {
    let Some(inv) = read("envoyproxy__examples/dynamic-config-fs") else { return };
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 3);
    let boot = inv.proxies.iter().find(|p| p.name == "id_1").expect("bootstrap named by node.id");
    assert!(boot.listeners.is_empty());
    assert_eq!(boot.attrs.get("lds").map(String::as_str), Some("/var/lib/envoy/lds.yaml"));
    assert_eq!(boot.attrs.get("admin").map(String::as_str), Some("0.0.0.0:19000"));
    let lds = inv.proxies.iter().find(|p| p.name == "lds").unwrap();
    let l = listener(lds, "listener_0");
    // `filters` is written as a mapping there, not a list; the cluster lives in cds.yaml.
    assert_eq!(l.routes.len(), 1);
    assert_eq!(l.routes[0].backend.target, BackendTarget::Named("example_proxy_cluster".into()));
    let cds = inv.proxies.iter().find(|p| p.name == "cds").unwrap();
    assert_eq!(cds.attrs.get("clusters").map(String::as_str), Some("example_proxy_cluster"));
}

#[test]
fn google_vrp_edge_terminates_tls_and_routes_content() {
    // `clusters` is a single mapping in this file, not a list.
    let Some(inv) = read("envoyproxy__envoy/configs/google-vrp/envoy-edge.yaml") else { return };
    let l = listener(proxy(&inv), "listener_https");
    assert_eq!((l.tls, l.client_cert), (ListenerTls::Terminate, ClientCertMode::None));
    assert_eq!(l.routes.len(), 1, "the / route is a direct 403");
    assert_eq!(l.routes[0].matches, "/content");
    assert_eq!(l.routes[0].backend.target, address("127.0.0.1", 10002));
}

#[test]
fn fixture_edge_xfcc_modes() {
    let inv = fixture("edge-xfcc.yaml");
    let p = proxy(&inv);
    assert_eq!(p.name, "edge-envoy");
    let mtls = listener(p, "partners_mtls");
    assert_eq!((mtls.tls, mtls.client_cert), (ListenerTls::Terminate, ClientCertMode::Required));
    assert_eq!(mtls.xfcc, Some(XfccMode::SanitizeSet));
    // SANITIZE_SET writes Envoy's own XFCC element, with the fields set_current_client_cert_details
    // asks for.
    assert!(
        mtls.identity_headers.iter().any(|h| h.name == "x-forwarded-client-cert (Hash, Subject, URI)"
            && h.action == HeaderAction::Set { from_client_cert: true }),
        "{:#?}",
        mtls.identity_headers
    );
    assert_eq!(mtls.jwt.len(), 1);
    assert!(mtls.jwt[0].enforced && mtls.jwt[0].verified);
    assert_eq!(mtls.routes[0].matches, "api.example.com/orders");
    let b = &mtls.routes[0].backend;
    assert_eq!(b.target, address("orders.shop.svc.cluster.local", 8443));
    assert_eq!((b.tls, b.verify_server, b.client_cert), (true, Some(true), true));

    let plain = listener(p, "internal_plain");
    assert_eq!((plain.tls, plain.xfcc), (ListenerTls::Plaintext, Some(XfccMode::AlwaysForwardOnly)));
    assert_eq!(plain.identity_headers.len(), 1);
    assert_eq!(plain.identity_headers[0].name, "x-ssl-client-subject");
    assert_eq!(plain.identity_headers[0].action, HeaderAction::Append, "append is Envoy's default");
    assert_eq!(plain.identity_headers[0].line, 78);
}

#[test]
fn fixture_config_dump_resolves_rds_and_camel_case() {
    let inv = fixture("config_dump.json");
    let p = proxy(&inv);
    assert_eq!(p.name, "sidecar~10.0.0.7~payments-7d9f.payments~payments.svc.cluster.local");
    assert_eq!(p.attrs.get("format").map(String::as_str), Some("config_dump"));
    assert_eq!(p.attrs.get("lds").map(String::as_str), Some("ADS"));
    let l = listener(p, "0.0.0.0_8080");
    assert_eq!(l.port, Some(8080));
    assert_eq!(l.xfcc, Some(XfccMode::AppendForward));
    assert_eq!(l.authz, vec!["envoy.filters.http.rbac: shadow rules only (not enforced)".to_owned()]);
    assert_eq!(l.routes.len(), 1, "RDS route configuration found in the RoutesConfigDump");
    let b = &l.routes[0].backend;
    assert_eq!(b.target, BackendTarget::Named("outbound|8080||ledger.payments.svc.cluster.local".into()));
    assert_eq!((b.tls, b.verify_server, b.client_cert), (true, Some(true), true));
}
