use std::sync::Arc;

use super::helpers::*;
use super::istio_gateway::*;
use super::*;
use crate::files::{read_text, read_text_raw};
use crate::inventory::{
    BackendTarget, ClientCertMode, HeaderAction, IdentityHeader, Inventory, ListenerTls, Proxy, ProxyKind,
    ProxyListener, XfccMode,
};
use crate::yaml::{self};

fn read(yaml: &str) -> Inventory {
    read_text("t.yaml", yaml)
}

fn only(inv: &Inventory) -> &Proxy {
    assert_eq!(inv.proxies.len(), 1, "{:#?}", inv.proxies);
    &inv.proxies[0]
}

fn listener<'a>(p: &'a Proxy, name: &str) -> &'a ProxyListener {
    p.listeners
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no listener {name}: {:#?}", p.listeners))
}

fn header<'a>(l: &'a ProxyListener, name: &str) -> &'a IdentityHeader {
    l.identity_headers.iter().find(|h| h.name == name).unwrap_or_else(|| panic!("no header {name}"))
}

fn svc(ns: &str, name: &str, port: &str) -> BackendTarget {
    BackendTarget::Service { namespace: ns.into(), name: name.into(), port: Some(port.into()) }
}

const NGINX_TLS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-tls-secret: shop/ca
    nginx.ingress.kubernetes.io/auth-tls-verify-client: optional_no_ca
spec:
  ingressClassName: nginx
  tls:
  - hosts: [a.example.com]
    secretName: a-tls
  rules:
  - host: a.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: api
            port:
              number: 8080
  - host: b.example.com
    http:
      paths:
      - path: /b
        pathType: Prefix
        backend:
          service: {name: legacy, port: {name: http}}
";

#[test]
fn nginx_auth_tls_optional_no_ca_is_unverified_and_sets_headers() {
    let inv = read(NGINX_TLS);
    let p = only(&inv);
    assert_eq!(p.kind, ProxyKind::IngressNginx);
    assert_eq!(p.namespace.as_deref(), Some("shop"));
    assert_eq!(p.attrs.get("class").map(String::as_str), Some("nginx"));
    let tls = listener(p, "a-tls");
    assert_eq!(
        (tls.tls, tls.port, tls.client_cert),
        (ListenerTls::Terminate, Some(443), ClientCertMode::Unverified)
    );
    assert_eq!(tls.hosts, ["a.example.com"]);
    assert_eq!(tls.line, 12);
    let dn = header(tls, "ssl-client-subject-dn");
    assert_eq!(dn.action, HeaderAction::Set { from_client_cert: true });
    assert_eq!(dn.line, 7, "line of auth-tls-secret");
    assert_eq!(header(tls, "ssl-client-verify").action, HeaderAction::Set { from_client_cert: true });
    // Without auth-tls-pass-certificate-to-upstream the controller does not write ssl-client-cert.
    assert_eq!(header(tls, "ssl-client-cert").action, HeaderAction::PassThrough);
    assert_eq!(tls.routes.len(), 1);
    assert_eq!(tls.routes[0].backend.target, svc("shop", "api", "8080"));
    assert_eq!(tls.routes[0].line, 18);
    assert!(!tls.routes[0].backend.tls);
    // b.example.com has no TLS entry: plain HTTP on port 80.
    let http = listener(p, "http");
    assert_eq!((http.tls, http.port), (ListenerTls::Plaintext, Some(80)));
    assert_eq!(http.hosts, ["b.example.com"]);
    assert_eq!(http.routes[0].backend.target, svc("shop", "legacy", "http"));
    assert_eq!(http.routes[0].matches, "b.example.com/b");
    assert_eq!(p.attrs.get("ssl-redirect").map(String::as_str), Some("true (default with TLS)"));
}

#[test]
fn nginx_without_auth_tls_passes_client_headers_through() {
    let inv = read(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: open\nspec:\n  ingressClassName: nginx\n  rules:\n  - host: x.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: app, port: {number: 80}}\n",
    );
    let p = only(&inv);
    let l = listener(p, "http");
    assert_eq!(l.client_cert, ClientCertMode::None);
    for name in ["ssl-client-subject-dn", "ssl-client-issuer-dn", "ssl-client-verify", "ssl-client-cert"] {
        assert_eq!(header(l, name).action, HeaderAction::PassThrough, "{name}");
    }
    assert_eq!(l.routes[0].backend.target, svc("default", "app", "80"));
}

#[test]
fn nginx_verify_client_values() {
    let with = |v: &str| {
        let yaml = NGINX_TLS.replace("optional_no_ca", v);
        let inv = read(&yaml);
        listener(&inv.proxies[0], "a-tls").client_cert
    };
    assert_eq!(with("on"), ClientCertMode::Required);
    assert_eq!(with("optional"), ClientCertMode::Optional);
    assert_eq!(with("off"), ClientCertMode::None);
    // Default when auth-tls-secret is set: on.
    let inv = read(
        &NGINX_TLS.replace("    nginx.ingress.kubernetes.io/auth-tls-verify-client: optional_no_ca\n", ""),
    );
    assert_eq!(listener(&inv.proxies[0], "a-tls").client_cert, ClientCertMode::Required);
}

#[test]
fn nginx_https_backend_is_unverified_by_default() {
    let base = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: b\n  annotations:\n    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\nEXTRA\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        backend:\n          service: {name: s, port: {number: 443}}\n";
    let inv = read(&base.replace("EXTRA\n", ""));
    let p = only(&inv);
    // No ingressClassName: the nginx annotation decides the class.
    assert_eq!(p.kind, ProxyKind::IngressNginx);
    let b = &listener(p, "http").routes[0].backend;
    assert!(b.tls);
    assert_eq!(b.verify_server, Some(false));
    assert!(!b.client_cert);
    assert_eq!(b.substitutes_identity, None);
    // proxy-ssl-verify on needs proxy-ssl-secret; then the controller's certificate is presented.
    let inv = read(&base.replace("EXTRA", "    nginx.ingress.kubernetes.io/proxy-ssl-verify: \"on\""));
    assert_eq!(listener(&inv.proxies[0], "http").routes[0].backend.verify_server, Some(false));
    let inv = read(&base.replace(
            "EXTRA",
            "    nginx.ingress.kubernetes.io/proxy-ssl-verify: \"on\"\n    nginx.ingress.kubernetes.io/proxy-ssl-secret: ns/client",
        ));
    let b = &listener(&inv.proxies[0], "http").routes[0].backend;
    assert_eq!(b.verify_server, Some(true));
    assert!(b.client_cert);
    assert!(b.substitutes_identity.as_deref().is_some_and(|s| s.contains("ns/client")));
}

#[test]
fn nginx_ssl_passthrough_ignores_other_annotations() {
    let yaml = NGINX_TLS.replace(
            "  annotations:\n",
            "  annotations:\n    nginx.ingress.kubernetes.io/ssl-passthrough: \"true\"\n    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\n",
        );
    let inv = read(&yaml);
    let p = only(&inv);
    assert_eq!(p.listeners.len(), 1);
    let l = &p.listeners[0];
    assert_eq!((l.tls, l.port, l.client_cert), (ListenerTls::Passthrough, Some(443), ClientCertMode::None));
    assert!(l.identity_headers.is_empty());
    assert_eq!(l.hosts, ["a.example.com", "b.example.com"]);
    assert_eq!(l.routes.len(), 2);
    assert!(l.routes.iter().all(|r| !r.backend.tls && r.backend.verify_server.is_none()));
    assert!(!p.attrs.contains_key("auth-tls-secret"));
}

#[test]
fn nginx_snippets_and_external_auth_are_recorded() {
    let yaml = NGINX_TLS.replace(
            "  annotations:\n",
            "  annotations:\n    nginx.ingress.kubernetes.io/configuration-snippet: |\n      more_set_input_headers \"ssl-client-subject-dn: CN=admin\";\n    nginx.ingress.kubernetes.io/auth-url: https://user:pw@auth.example/check\n",
        );
    let inv = read(&yaml);
    let p = only(&inv);
    let snippets = &p.attrs["snippets"];
    assert!(
        snippets.contains("configuration-snippet") && snippets.contains("sets request headers"),
        "{snippets}"
    );
    assert!(!snippets.contains("CN=admin"), "snippet text is not copied");
    let authz = &listener(p, "a-tls").authz;
    assert_eq!(authz, &["ingress-nginx external authentication (auth-url https://auth.example/check)"]);
}

#[test]
fn other_ingress_classes_are_recorded() {
    let inv = read(
        "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata:\n  name: h\n  annotations:\n    kubernetes.io/ingress.class: haproxy\nspec:\n  tls:\n  - hosts: [h.example]\n  rules:\n  - host: h.example\n    http:\n      paths:\n      - path: /\n        backend: {service: {name: s, port: {number: 80}}}\n",
    );
    let p = only(&inv);
    assert_eq!(p.kind, ProxyKind::Ingress);
    assert_eq!(p.attrs["class"], "haproxy");
    assert_eq!(p.listeners.len(), 1);
    assert_eq!(p.listeners[0].name, "tls-0");
    assert!(p.listeners[0].identity_headers.is_empty());
}

#[test]
fn extensions_v1beta1_backends() {
    let inv = read(
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: n}\nspec:\n  backend: {serviceName: fallback, servicePort: 8080}\n  rules:\n  - host: o.example\n    http:\n      paths:\n      - backend: {serviceName: web, servicePort: http}\n",
    );
    let l = listener(only(&inv), "http");
    let targets: Vec<_> = l.routes.iter().map(|r| r.backend.target.clone()).collect();
    assert_eq!(targets, [svc("n", "web", "http"), svc("n", "fallback", "8080")]);
    assert_eq!(l.hosts, ["*", "o.example"]);
}

#[test]
fn alb_ingress_listeners_mtls_and_unverified_targets() {
    let inv = read(
        r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: alb
  namespace: web
  annotations:
    alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 80}, {"HTTPS": 443}, {"HTTPS": 8443}]'
    alb.ingress.kubernetes.io/ssl-redirect: '443'
    alb.ingress.kubernetes.io/backend-protocol: HTTPS
    alb.ingress.kubernetes.io/mutual-authentication: '[{"port": 443, "mode": "verify", "trustStore": "ts"}, {"port": 8443, "mode": "passthrough"}]'
spec:
  ingressClassName: alb
  rules:
  - host: w.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 443}}}
"#,
    );
    let p = only(&inv);
    assert_eq!(p.kind, ProxyKind::IngressAlb);
    let http = listener(p, "HTTP:80");
    assert_eq!(http.tls, ListenerTls::Plaintext);
    assert!(http.routes.is_empty(), "ssl-redirect: the HTTP listener only redirects");
    let verify = listener(p, "HTTPS:443");
    assert_eq!((verify.tls, verify.client_cert), (ListenerTls::Terminate, ClientCertMode::Required));
    assert_eq!(
        header(verify, "X-Amzn-Mtls-Clientcert-Subject").action,
        HeaderAction::Set { from_client_cert: true }
    );
    let pass = listener(p, "HTTPS:8443");
    assert_eq!(pass.client_cert, ClientCertMode::Unverified);
    assert_eq!(pass.identity_headers.len(), 1);
    let b = &verify.routes[0].backend;
    assert!(b.tls);
    assert_eq!(b.verify_server, Some(false));
    assert_eq!(b.target, svc("web", "web", "443"));
}

#[test]
fn alb_bad_listen_ports_is_a_diagnostic_with_line() {
    let inv = read_text(
        "alb.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  annotations:\n    alb.ingress.kubernetes.io/listen-ports: '[{\"HTTPS\": 443'\n    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:x\nspec:\n  ingressClassName: alb\n  defaultBackend: {service: {name: s, port: {number: 80}}}\n",
    );
    assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    assert_eq!(inv.diagnostics[0].source.to_string(), "alb.yaml:6");
    // Falls back to the default: HTTPS:443 because a certificate is set.
    let p = only(&inv);
    assert_eq!(p.listeners[0].name, "HTTPS:443");
    assert_eq!(p.listeners[0].tls, ListenerTls::Terminate);
    assert_eq!(p.listeners[0].routes[0].matches, "* (default backend)");
}

/// A secret in an annotation or a field whose value is checked is not repeated by the
/// diagnostic or the proxy's notes.
#[test]
fn bad_values_are_not_quoted() {
    let inv = read_text(
        "alb.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  annotations:\n    alb.ingress.kubernetes.io/listen-ports: '[{\"API_KEY=canary123secret\": \"x\"}, {\"HTTPS\": \"canary123secret\"}]'\nspec:\n  ingressClassName: alb\n  defaultBackend: {service: {name: s, port: {number: 80}}}\n",
    );
    let got: Vec<String> = inv.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "alb.yaml:6: alb.ingress.kubernetes.io/listen-ports: a port is not a number",
            "alb.yaml:6: alb.ingress.kubernetes.io/listen-ports: the port of HTTPS is not a number",
        ]
    );
    let inv = read(&ISTIO.replace("mode: OPTIONAL_MUTUAL", "mode: API_KEY=canary123secret"));
    let p = only(&inv);
    assert_eq!(listener(p, "optional").tls, ListenerTls::Passthrough);
    let note = &p.attrs["server optional tls"];
    assert!(note.starts_with("unknown tls mode, expecting SIMPLE"), "{note}");
    assert!(p.attrs.values().all(|v| !v.contains("canary123secret")), "{:?}", p.attrs);
}

const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: acme
  tls:
    backend:
      clientCertificateRef: {name: gw-client}
    frontend:
      default:
        validation:
          mode: AllowInsecureFallback
          caCertificateRefs: [{kind: ConfigMap, name: ca}]
      perPort:
      - port: 8443
        tls:
          validation:
            caCertificateRefs: [{kind: ConfigMap, name: ca2}]
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    hostname: '*.example.com'
    allowedRoutes:
      namespaces: {from: All}
    tls:
      certificateRefs: [{name: cert}]
  - name: strict
    protocol: HTTPS
    port: 8443
    tls:
      certificateRefs: [{name: cert}]
  - name: pass
    protocol: TLS
    port: 9443
    tls: {mode: Passthrough}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: app}
spec:
  parentRefs:
  - {name: gw, namespace: infra, sectionName: https}
  hostnames: [shop.example.com]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /cart}
    backendRefs:
    - {name: cart, port: 8443}
    - {name: plain, port: 80}
    - {name: other, namespace: secret-ns, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: cart-tls, namespace: app}
spec:
  targetRefs:
  - {group: '', kind: Service, name: cart}
  validation:
    caCertificateRefs: [{group: '', kind: ConfigMap, name: cart-ca}]
    hostname: cart.app.svc
    subjectAltNames:
    - {type: URI, uri: 'spiffe://cluster.local/ns/app/sa/cart'}
";

#[test]
fn gateway_terminate_route_and_backend_tls_policy() {
    let inv = read(GATEWAY);
    let p = only(&inv);
    assert_eq!(p.kind, ProxyKind::Gateway);
    assert_eq!(p.attrs["class"], "acme");
    let https = listener(p, "https");
    assert_eq!((https.tls, https.port), (ListenerTls::Terminate, Some(443)));
    // The Gateway-level default validation in AllowInsecureFallback mode.
    assert_eq!(https.client_cert, ClientCertMode::Optional);
    assert_eq!(listener(p, "strict").client_cert, ClientCertMode::Required);
    assert_eq!(listener(p, "pass").tls, ListenerTls::Passthrough);
    assert_eq!(listener(p, "pass").client_cert, ClientCertMode::None);
    // Routes: cart with BackendTLSPolicy, plain without; the cross-namespace ref is refused.
    assert_eq!(https.routes.len(), 2, "{:#?}", https.routes);
    let cart = &https.routes[0];
    assert_eq!(cart.matches, "HTTPRoute app/r: shop.example.com /cart");
    assert_eq!((cart.line, cart.backend.line), (46, 49));
    assert_eq!(cart.backend.target, svc("app", "cart", "8443"));
    assert!(cart.backend.tls);
    assert_eq!(cart.backend.verify_server, Some(true));
    assert!(cart.backend.client_cert);
    assert_eq!(
        cart.backend.substitutes_identity.as_deref(),
        Some("the gateway's client certificate (gw-client)")
    );
    let plain = &https.routes[1].backend;
    assert_eq!((plain.tls, plain.verify_server, plain.client_cert), (false, None, false));
    assert!(p.attrs["refused backendRef secret-ns/other"].contains("without a ReferenceGrant"));
    // The section name pins the route to one listener.
    assert!(listener(p, "strict").routes.is_empty());
    let raw = crate::files::read_text_raw("t.yaml", GATEWAY, None);
    let policies = &raw.edge_items.backend_tls_policies;
    assert_eq!(policies[0].hostname.as_deref(), Some("cart.app.svc"));
    assert_eq!(policies[0].subject_alt_names, ["spiffe://cluster.local/ns/app/sa/cart"]);
}

#[test]
fn gateway_route_attachment_rules() {
    // A ReferenceGrant lets the route reach secret-ns/other.
    let granted = format!(
        "{GATEWAY}---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {{name: g, namespace: secret-ns}}\nspec:\n  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: app}}]\n  to: [{{group: '', kind: Service}}]\n"
    );
    let inv = read(&granted);
    assert_eq!(listener(only(&inv), "https").routes.len(), 3);
    // Without sectionName the route tries every listener: `strict` allows only its own
    // namespace (default Same), `pass` only TLSRoutes.
    let inv = read(&GATEWAY.replace(", sectionName: https}", "}"));
    let p = only(&inv);
    assert_eq!(listener(p, "https").routes.len(), 2);
    assert!(listener(p, "strict").routes.is_empty());
    assert!(listener(p, "pass").routes.is_empty());
    // Hostnames must intersect the listener's.
    let inv = read(&GATEWAY.replace("hostnames: [shop.example.com]", "hostnames: [shop.other.org]"));
    assert!(listener(only(&inv), "https").routes.is_empty());
}

#[test]
fn gateway_routes_in_other_files_are_joined_after_reading() {
    let mut docs = GATEWAY.split("---\n");
    let mut raw = read_text_raw("gw.yaml", docs.next().unwrap(), None);
    raw.extend(read_text_raw("route.yaml", docs.next().unwrap(), None));
    raw.extend(read_text_raw("policy.yaml", docs.next().unwrap(), None));
    assert!(raw.proxies.is_empty());
    let inv = crate::finish(raw);
    let p = only(&inv);
    let https = listener(p, "https");
    assert_eq!(https.routes.len(), 2);
    // The route's lines are in another file: they point at the listener, the attrs say where.
    assert_eq!(https.routes[0].line, https.line);
    assert_eq!(p.attrs["route HTTPRoute app/r"], "route.yaml:1");
    assert!(https.routes[0].backend.tls);
}

#[test]
fn gateway_without_validation_and_legacy_policy() {
    let inv = read(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: web, protocol: HTTP, port: 80}\n  - {name: tls, protocol: HTTPS, port: 443, tls: {mode: Terminate}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: rpc}\nspec:\n  parentRefs: [{name: g}]\n  rules:\n  - matches: [{method: {service: pkg.Svc, method: Get}}]\n    backendRefs: [{name: rpc, port: 9000}]\n---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: BackendTLSPolicy\nmetadata: {name: old}\nspec:\n  targetRef: {group: '', kind: Service, name: rpc}\n  tls: {hostname: rpc.default.svc}\n",
    );
    let p = only(&inv);
    assert_eq!(p.runs_on.as_ref().unwrap()["gateway.networking.k8s.io/gateway-name"], "g");
    let tls = listener(p, "tls");
    assert_eq!(
        (tls.tls, tls.client_cert, tls.xfcc),
        (ListenerTls::Terminate, ClientCertMode::None, Some(XfccMode::SanitizeSet))
    );
    assert_eq!(listener(p, "web").tls, ListenerTls::Plaintext);
    for l in &p.listeners {
        assert_eq!(l.routes.len(), 1);
        assert_eq!(l.routes[0].matches, "GRPCRoute default/rpc: * pkg.Svc/Get");
        // A policy without CA: TLS, not verified; no gateway client certificate configured.
        assert_eq!((l.routes[0].backend.tls, l.routes[0].backend.verify_server), (true, Some(false)));
        assert!(!l.routes[0].backend.client_cert);
    }
}

const ISTIO: &str = "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https-simple, protocol: HTTPS}
    hosts: ['shop/*.example.com']
    tls: {mode: SIMPLE, credentialName: cert}
  - port: {number: 8443, name: https-mutual, protocol: HTTPS}
    hosts: ['*']
    tls: {mode: MUTUAL, credentialName: cert}
  - port: {number: 9443, name: tls-nomode, protocol: TLS}
    hosts: ['*']
    tls: {credentialName: cert}
  - port: {number: 9444, name: optional, protocol: HTTPS}
    hosts: ['*']
    tls: {mode: OPTIONAL_MUTUAL}
  - port: {number: 15443, name: tls-auto, protocol: TLS}
    hosts: ['*.local']
    tls: {mode: AUTO_PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [www.example.com]
  gateways: [istio-system/gw, mesh]
  http:
  - match:
    - uri: {prefix: /api}
    route:
    - destination: {host: api, port: {number: 8080}}
    - destination: {host: cart.billing}
    - destination: {host: pay.billing.svc.cluster.local}
    - destination: {host: httpbin.org}
  - match:
    - gateways: [mesh]
    route:
    - destination: {host: mesh-only}
  tls:
  - match:
    - sniHosts: [www.example.com]
      port: 9443
    route:
    - destination: {host: passthrough-backend}
";

#[test]
fn istio_gateway_tls_modes() {
    let inv = read(ISTIO);
    let p = only(&inv);
    assert_eq!(p.kind, ProxyKind::IstioGateway);
    assert_eq!(p.runs_on.as_ref().unwrap()["istio"], "ingressgateway");
    let modes: Vec<_> = p.listeners.iter().map(|l| (l.name.as_str(), l.tls, l.client_cert)).collect();
    assert_eq!(
        modes,
        [
            // HTTP servers ignore tls except httpsRedirect.
            ("http", ListenerTls::Plaintext, ClientCertMode::None),
            ("https-simple", ListenerTls::Terminate, ClientCertMode::None),
            ("https-mutual", ListenerTls::Terminate, ClientCertMode::Required),
            // tls present, mode omitted: the proto default PASSTHROUGH.
            ("tls-nomode", ListenerTls::Passthrough, ClientCertMode::None),
            ("optional", ListenerTls::Terminate, ClientCertMode::Optional),
            ("tls-auto", ListenerTls::Passthrough, ClientCertMode::None),
        ]
    );
    assert!(p.listeners.iter().all(|l| l.xfcc == Some(XfccMode::SanitizeSet)));
    assert_eq!(listener(p, "https-simple").hosts, ["*.example.com"]);
    assert_eq!(listener(p, "https-simple").line, 10);
}

#[test]
fn istio_virtual_service_routes_and_host_resolution() {
    let services = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: billing}\n";
    let inv = read(&format!("{ISTIO}{services}"));
    let p = only(&inv);
    assert!(listener(p, "http").routes.is_empty(), "httpsRedirect: nothing routed");
    let simple = listener(p, "https-simple");
    let targets: Vec<_> = simple.routes.iter().map(|r| r.backend.target.clone()).collect();
    assert_eq!(
        targets,
        [
            svc("shop", "api", "8080"),
            BackendTarget::Service { namespace: "billing".into(), name: "cart".into(), port: None },
            BackendTarget::Service { namespace: "billing".into(), name: "pay".into(), port: None },
            BackendTarget::Address { host: "httpbin.org".into(), port: None },
        ]
    );
    assert_eq!(simple.routes[0].matches, "VirtualService shop/shop: http uri prefix /api");
    assert_eq!((simple.routes[0].line, simple.routes[0].backend.line), (33, 36));
    assert!(simple.routes.iter().all(|r| !r.backend.tls && r.backend.verify_server.is_none()));
    // The mutual server takes the same http routes; the mesh-only route is not on the gateway.
    assert_eq!(listener(p, "https-mutual").routes.len(), 4);
    // SNI routing on the passthrough server, by port.
    let pass = listener(p, "tls-nomode");
    assert_eq!(pass.routes.len(), 1);
    assert_eq!(
        pass.routes[0].backend.target,
        BackendTarget::Service { namespace: "shop".into(), name: "passthrough-backend".into(), port: None }
    );
    assert!(listener(p, "optional").routes.len() == 4);
    assert!(listener(p, "tls-auto").routes.is_empty());
}

#[test]
fn istio_gateway_reference_forms() {
    assert_eq!(istio_gateway_ref("gw", "a"), Some(("a".into(), "gw".into())));
    assert_eq!(istio_gateway_ref("b/gw", "a"), Some(("b".into(), "gw".into())));
    assert_eq!(istio_gateway_ref("gw.b.svc.cluster.local", "a"), Some(("b".into(), "gw".into())));
    assert_eq!(istio_gateway_ref("mesh", "a"), None);
    // A VirtualService in another namespace may not use a `./host` server host.
    let inv = read(&ISTIO.replace("shop/*.example.com", "./*.example.com"));
    assert!(listener(only(&inv), "https-simple").routes.is_empty());
}

#[test]
fn service_load_balancer_from_aws_annotations() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: edge\n  namespace: ingress\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: nlb\n    service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:eu-west-1:1:certificate/x\n    service.beta.kubernetes.io/aws-load-balancer-ssl-ports: https\n    service.beta.kubernetes.io/aws-load-balancer-backend-protocol: ssl\nspec:\n  type: LoadBalancer\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n  - {name: https, port: 443, targetPort: 8443}\n";
    let node = yaml::parse_documents(yaml).remove(0).unwrap();
    let meta = crate::common::object_meta(&node, &Arc::from("lb.yaml"));
    assert!(!handles(&meta), "a Service stays with the core reader");
    let mut inv = Inventory::default();
    service_load_balancer(&node, &meta, &mut inv);
    let p = only(&inv);
    assert_eq!(p.kind, ProxyKind::ServiceLoadBalancer);
    assert_eq!(p.attrs["aws-load-balancer-type"], "nlb");
    assert_eq!(p.attrs["lb"], "aws-nlb");
    let http = listener(p, "http");
    assert_eq!((http.tls, http.port, http.line), (ListenerTls::Layer4, Some(80), 14));
    assert!(!http.routes[0].backend.tls);
    let https = listener(p, "https");
    assert_eq!(https.tls, ListenerTls::Terminate);
    let b = &https.routes[0].backend;
    assert_eq!(b.target, svc("ingress", "edge", "443"));
    assert_eq!((b.tls, b.verify_server), (true, Some(false)));
    // Not a LoadBalancer: nothing.
    let node =
        yaml::parse_documents(&yaml.replace("type: LoadBalancer", "type: ClusterIP")).remove(0).unwrap();
    let mut inv = Inventory::default();
    service_load_balancer(&node, &meta, &mut inv);
    assert!(inv.proxies.is_empty());
}

/// The LoadBalancer Services of kubernetes/ingress-nginx's AWS deploy manifests (the core
/// reader calls `service_load_balancer`; here it is called directly).
#[test]
fn ingress_nginx_aws_deploy_load_balancers() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora/kubernetes__ingress-nginx/deploy/static/provider/aws");
    let lbs = |file: &str| -> Vec<Proxy> {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut inv = Inventory::default();
        for node in yaml::parse_documents(&text).into_iter().flatten() {
            let meta = crate::common::object_meta(&node, &Arc::from(file));
            if meta.kind == "Service" {
                service_load_balancer(&node, &meta, &mut inv);
            }
        }
        inv.proxies
    };
    if !crate::common::corpus_present(&dir) {
        return;
    }
    // deploy.yaml: an NLB with TCP listeners (backend-protocol tcp); the admission webhook
    // Service is ClusterIP.
    let plain = lbs("deploy.yaml");
    assert_eq!(plain.len(), 1);
    let p = &plain[0];
    assert_eq!(
        (p.name.as_str(), p.namespace.as_deref()),
        ("ingress-nginx-controller", Some("ingress-nginx"))
    );
    assert_eq!(p.source.line, 335);
    assert_eq!(p.attrs["aws-load-balancer-type"], "nlb");
    assert_eq!(p.attrs["aws-load-balancer-backend-protocol"], "tcp");
    assert_eq!(p.attrs["lb"], "aws-nlb");
    let ports: Vec<_> = p.listeners.iter().map(|l| (l.name.as_str(), l.port, l.tls)).collect();
    assert_eq!(ports, [("http", Some(80), ListenerTls::Layer4), ("https", Some(443), ListenerTls::Layer4)]);
    assert_eq!(
        p.listeners[1].routes[0].backend.target,
        svc("ingress-nginx", "ingress-nginx-controller", "443")
    );
    // nlb-with-tls-termination/deploy.yaml: ssl-ports "https" terminates 443 with the ACM
    // certificate and forwards plain TCP (no backend-protocol) to the controller's http port.
    let tls = lbs("nlb-with-tls-termination/deploy.yaml");
    let p = &tls[0];
    assert_eq!(p.attrs["aws-load-balancer-ssl-ports"], "https");
    let https = listener(p, "https");
    assert_eq!((https.tls, https.line), (ListenerTls::Terminate, 370));
    assert!(!https.routes[0].backend.tls);
    assert_eq!(listener(p, "http").tls, ListenerTls::Layer4);
}

#[test]
fn host_patterns() {
    assert!(host_matches("*.example.com", "a.example.com"));
    assert!(!host_matches("*.example.com", "example.com"));
    assert!(hosts_intersect("*.example.com", "*.b.example.com"));
    assert!(!hosts_intersect("a.example.com", "b.example.com"));
    assert!(hosts_intersect("*", "x"));
    assert_eq!(crate::urls::strip_userinfo("https://u:p@h/x"), "https://h/x");
    assert_eq!(crate::urls::strip_userinfo("https://h/a@b"), "https://h/a@b");
}
