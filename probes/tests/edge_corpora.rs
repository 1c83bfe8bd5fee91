//! The edge reader (Ingress, Gateway API, Istio Gateway and VirtualService) against real
//! manifests from kubernetes/ingress-nginx, kubernetes-sigs/gateway-api,
//! kubernetes-sigs/aws-load-balancer-controller, istio/istio and haproxytech/kubernetes-ingress
//! (copied verbatim under `shared/corpora`). Every fact asserted here was read from the files
//! themselves. The tests are skipped when the corpora are absent (under CI
//! they fail).

mod common;

use ztpath_probes::{
    BackendTarget, ClientCertMode, HeaderAction, Inventory, ListenerTls, Proxy, ProxyKind, ProxyListener,
    RawInventory, ReadOptions, XfccMode, read_paths, read_paths_raw,
};

use common::corpus;

/// Reads a corpus (gateways and routes joined by the finish step).
fn read(relative: &str) -> Option<Inventory> {
    Some(read_paths(&[corpus(relative)?]))
}

/// Reads a corpus without the finish step: the edge items as collected.
fn read_raw(relative: &str) -> Option<RawInventory> {
    Some(read_paths_raw(&[corpus(relative)?], &ReadOptions::default()))
}

fn of_kind(inv: &Inventory, kind: ProxyKind) -> Vec<&Proxy> {
    inv.proxies.iter().filter(|p| p.kind == kind).collect()
}

/// The proxy of that kind and name whose file ends with `file`.
fn proxy<'a>(inv: &'a Inventory, kind: ProxyKind, name: &str, file: &str) -> &'a Proxy {
    inv.proxies
        .iter()
        .find(|p| p.kind == kind && p.name == name && p.source.file.ends_with(file))
        .unwrap_or_else(|| panic!("no {kind:?} {name} in {file}"))
}

fn listener<'a>(p: &'a Proxy, name: &str) -> &'a ProxyListener {
    p.listeners.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("{} has no listener {name}", p.name))
}

fn svc(ns: &str, name: &str, port: Option<&str>) -> BackendTarget {
    BackendTarget::Service { namespace: ns.into(), name: name.into(), port: port.map(Into::into) }
}

fn targets(l: &ProxyListener) -> Vec<BackendTarget> {
    l.routes.iter().map(|r| r.backend.target.clone()).collect()
}

/// Every proxy, listener and route points back into a file of the corpus.
fn check_sources(inv: &Inventory) {
    for p in &inv.proxies {
        assert!(p.source.line > 0, "{} has no line", p.name);
        for l in &p.listeners {
            assert!(l.line > 0, "{}/{} has no line", p.name, l.name);
            for r in &l.routes {
                assert!(
                    r.line > 0 && r.backend.line > 0,
                    "{}/{}: route {} has no line",
                    p.name,
                    l.name,
                    r.matches
                );
            }
        }
    }
}

#[test]
fn ingress_nginx_examples() {
    let Some(inv) = read("kubernetes__ingress-nginx") else { return };
    check_sources(&inv);
    // 14 `kind: Ingress` documents, all of class nginx.
    assert_eq!(of_kind(&inv, ProxyKind::IngressNginx).len(), 14);
    assert_eq!(inv.proxies.iter().filter(|p| p.kind == ProxyKind::Ingress).count(), 0);

    // docs/examples/auth/client-certs/ingress.yaml: auth-tls-verify-client "on", CA in
    // default/ca-secret, pass-certificate-to-upstream "true", TLS for mydomain.com.
    let p = proxy(&inv, ProxyKind::IngressNginx, "nginx-test", "auth/client-certs/ingress.yaml");
    assert_eq!(p.listeners.len(), 1, "every rule host has TLS: no plaintext listener");
    let l = listener(p, "tls-secret");
    assert_eq!((l.tls, l.port, l.client_cert), (ListenerTls::Terminate, Some(443), ClientCertMode::Required));
    assert_eq!(l.hosts, ["mydomain.com"]);
    assert_eq!(l.line, 31);
    for h in &l.identity_headers {
        assert_eq!(h.action, HeaderAction::Set { from_client_cert: true }, "{}", h.name);
        assert_eq!(h.line, 8, "the auth-tls-secret annotation");
    }
    assert!(l.identity_headers.iter().any(|h| h.name == "ssl-client-cert"));
    assert_eq!(targets(l), [svc("default", "http-svc", Some("80"))]);
    assert_eq!(l.routes[0].line, 23);
    assert_eq!(p.attrs["auth-tls-secret"], "default/ca-secret");

    // docs/examples/auth/external-auth/ingress.yaml: auth-url, no TLS, no client certificates:
    // the ssl-client-* headers a client sends reach http-svc.
    let p = proxy(&inv, ProxyKind::IngressNginx, "external-auth", "auth/external-auth/ingress.yaml");
    let l = listener(p, "http");
    assert_eq!((l.tls, l.port), (ListenerTls::Plaintext, Some(80)));
    assert_eq!(
        l.authz,
        ["ingress-nginx external authentication (auth-url https://httpbin.org/basic-auth/user/passwd)"]
    );
    let dn = l.identity_headers.iter().find(|h| h.name == "ssl-client-subject-dn").unwrap();
    assert_eq!(dn.action, HeaderAction::PassThrough);

    // docs/examples/multi-tls/multi-tls.yaml: two TLS entries, one per host.
    let p = proxy(&inv, ProxyKind::IngressNginx, "foo-tls", "multi-tls/multi-tls.yaml");
    assert_eq!(p.listeners.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["foobar", "barbaz"]);
    assert_eq!(targets(listener(p, "barbaz")), [svc("default", "nginx", Some("80"))]);
    assert_eq!(listener(p, "barbaz").routes[0].line, 129);

    // docs/examples/static-ip/nginx-ingress.yaml: a TLS entry without hosts serves the rule
    // without host.
    let p = proxy(&inv, ProxyKind::IngressNginx, "ingress-nginx", "static-ip/nginx-ingress.yaml");
    assert_eq!(p.listeners.len(), 1);
    assert_eq!(p.listeners[0].hosts, ["*"]);
    assert_eq!(p.listeners[0].tls, ListenerTls::Terminate);

    // docs/examples/customization/configuration-snippets/ingress.yaml.
    let p = proxy(
        &inv,
        ProxyKind::IngressNginx,
        "nginx-configuration-snippet",
        "configuration-snippets/ingress.yaml",
    );
    assert!(p.attrs["snippets"].starts_with("configuration-snippet"));

    // docs/examples/docker-registry: the same Ingress with and without TLS.
    let with = proxy(&inv, ProxyKind::IngressNginx, "docker-registry", "ingress-with-tls.yaml");
    let without = proxy(&inv, ProxyKind::IngressNginx, "docker-registry", "ingress-without-tls.yaml");
    assert_eq!(with.listeners[0].tls, ListenerTls::Terminate);
    assert_eq!(without.listeners[0].tls, ListenerTls::Plaintext);
    assert_eq!(targets(&without.listeners[0]), [svc("docker-registry", "docker-registry", Some("5000"))]);
}

#[test]
fn gateway_api_examples() {
    let Some(inv) = read("kubernetes-sigs__gateway-api") else { return };
    check_sources(&inv);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    // 19 Gateways; 2 BackendTLSPolicies, 2 ReferenceGrants; 10 HTTPRoutes, 2 GRPCRoutes, 3
    // TLSRoutes and 3 TCPRoutes.
    assert_eq!(of_kind(&inv, ProxyKind::Gateway).len(), 19);
    let Some(raw) = read_raw("kubernetes-sigs__gateway-api") else { return };
    assert_eq!(raw.edge_items.backend_tls_policies.len(), 2);
    assert_eq!(raw.edge_items.reference_grants.len(), 2);
    assert_eq!(raw.edge_items.routes.len(), 18);
    for kind in ["Gateway", "HTTPRoute", "TLSRoute", "BackendTLSPolicy", "ReferenceGrant"] {
        assert_eq!(inv.skipped_kinds.get(kind), None, "{kind} is read");
    }

    // standard/frontend-cert-validation.yaml: a Gateway-level default validation (mode omitted:
    // AllowValidOnly) and a perPort override for 8443 with its own CA.
    let p = proxy(&inv, ProxyKind::Gateway, "client-validation-basic", "frontend-cert-validation.yaml");
    assert_eq!(listener(p, "foo-https").client_cert, ClientCertMode::Required);
    assert_eq!(listener(p, "bar-https").client_cert, ClientCertMode::Required);
    assert_eq!(p.attrs["frontend-validation"], "AllowValidOnly (default)");

    // standard/backend-tls.yaml: the gateway's client certificate for backends.
    let p = proxy(&inv, ProxyKind::Gateway, "backend-tls", "standard/backend-tls.yaml");
    assert_eq!(p.attrs["backend-client-certificate"], "foo-example-cert");
    assert_eq!(listener(p, "foo-http").tls, ListenerTls::Plaintext);

    // standard/cross-namespace-routing: the shared gateway in infra-ns admits routes from
    // namespaces labelled shared-gateway-access (0-namespaces.yaml): site-ns and store-ns.
    let p = proxy(&inv, ProxyKind::Gateway, "shared-gateway", "cross-namespace-routing/gateway.yaml");
    let l = listener(p, "https");
    assert_eq!((l.tls, l.client_cert), (ListenerTls::Terminate, ClientCertMode::None));
    assert_eq!(
        targets(l),
        [
            svc("site-ns", "home", Some("8080")),
            svc("site-ns", "login-v1", Some("8080")),
            svc("site-ns", "login-v2", Some("8080")),
            svc("store-ns", "store", Some("8080")),
        ]
    );
    assert!(l.routes.iter().all(|r| !r.backend.tls && r.backend.verify_server.is_none()));
    assert!(
        p.attrs["route HTTPRoute store-ns/store"].ends_with("cross-namespace-routing/store-route.yaml:3")
    );
    assert!(!p.attrs.contains_key("assumed-namespace-labels"));

    // standard/http-route-attachment: foo-gateway admits gateway-api-example-ns2 by its
    // kubernetes.io/metadata.name label; prod-gateway wants expose-apps=true, which no route has.
    let p = proxy(&inv, ProxyKind::Gateway, "foo-gateway", "http-route-attachment/gateway-strict.yaml");
    assert_eq!(targets(listener(p, "prod-web")), [svc("gateway-api-example-ns2", "foo-svc", Some("8080"))]);
    let p = proxy(&inv, ProxyKind::Gateway, "prod-gateway", "http-route-attachment/gateway-namespaces.yaml");
    assert!(listener(p, "prod-web").routes.is_empty());

    // standard/tls-routing: Passthrough on 443 with TLSRoute foo-route, Terminate on 8443.
    let p = proxy(&inv, ProxyKind::Gateway, "example-gateway", "standard/tls-routing/gateway.yaml");
    let pass = listener(p, "tls");
    assert_eq!(pass.tls, ListenerTls::Passthrough);
    assert_eq!(targets(pass), [svc("default", "foo-svc", Some("443"))]);
    let term = listener(p, "tls-terminate");
    assert_eq!(term.tls, ListenerTls::Terminate);
    assert_eq!(targets(term), [svc("default", "bar-svc", Some("8080"))]);

    // standard/simple-http-https: foo and bar routes on the https listener; the http listener's
    // only route redirects (no backendRefs).
    let p = proxy(&inv, ProxyKind::Gateway, "example-gateway", "simple-http-https/gateway.yaml");
    assert!(listener(p, "http").routes.is_empty());
    assert_eq!(listener(p, "https").routes.len(), 3);
    assert_eq!(listener(p, "https").hosts, ["*.example.com"]);

    // standard/basic-grpc.yaml: GRPCRoute rules by method, in the Gateway's file.
    let p = proxy(&inv, ProxyKind::Gateway, "my-gateway", "standard/basic-grpc.yaml");
    let l = listener(p, "https");
    assert_eq!(l.routes[0].matches, "GRPCRoute default/grpc-app-1: example.com com.example.User/Login");
    assert_eq!((l.routes[0].line, l.routes[0].backend.line), (40, 45));

    // standard/backendtlspolicy: CA references and the system trust store both verify.
    let policies = &raw.edge_items.backend_tls_policies;
    let auth = policies.iter().find(|p| p.meta.name == "tls-upstream-auth").unwrap();
    assert_eq!(auth.targets, [("auth".to_owned(), None)]);
    assert!(auth.verified);
    assert_eq!(auth.hostname.as_deref(), Some("auth.example.com"));
    assert!(policies.iter().find(|p| p.meta.name == "tls-upstream-dev").unwrap().verified);
}

#[test]
fn aws_load_balancer_controller_ingresses() {
    let Some(inv) = read("kubernetes-sigs__aws-load-balancer-controller") else { return };
    check_sources(&inv);
    assert_eq!(of_kind(&inv, ProxyKind::IngressAlb).len(), 5);

    // docs/examples/grpc/grpcserver-ingress.yaml: listen-ports HTTP 80 + HTTPS 443 with
    // ssl-redirect: only the HTTPS listener routes, to the gRPC service, in plain HTTP/2.
    let p = proxy(&inv, ProxyKind::IngressAlb, "grpcserver", "grpc/grpcserver-ingress.yaml");
    assert!(listener(p, "HTTP:80").routes.is_empty());
    let https = listener(p, "HTTPS:443");
    assert_eq!((https.tls, https.client_cert, https.line), (ListenerTls::Terminate, ClientCertMode::None, 7));
    assert_eq!(targets(https), [svc("grpcserver", "grpcserver", Some("50051"))]);
    assert!(!https.routes[0].backend.tls);
    assert_eq!(p.attrs["backend-protocol-version"], "GRPC");

    // docs/examples/cognito-ingress-template.yaml: Cognito authentication on HTTPS, and a path
    // whose backend is the ssl-redirect action annotation.
    let p = proxy(&inv, ProxyKind::IngressAlb, "<ingress-name>", "cognito-ingress-template.yaml");
    assert_eq!(listener(p, "HTTPS:443").authz, ["ALB user authentication (auth-type cognito)"]);
    assert!(listener(p, "HTTP:80").authz.is_empty());
    assert_eq!(
        listener(p, "HTTPS:443").routes[0].backend.target,
        BackendTarget::Named("ALB action ssl-redirect".into())
    );

    // docs/examples/2048/2048_full.yaml: no listen-ports and no certificate: HTTP on 80 only.
    let p = proxy(&inv, ProxyKind::IngressAlb, "ingress-2048", "2048/2048_full.yaml");
    assert_eq!(p.listeners.len(), 1);
    assert_eq!((p.listeners[0].tls, p.listeners[0].port), (ListenerTls::Plaintext, Some(80)));
    assert_eq!(p.attrs["target-type"], "ip");
    assert_eq!(targets(&p.listeners[0]), [svc("game-2048", "service-2048", Some("80"))]);
}

#[test]
fn istio_gateways_and_virtual_services() {
    let Some(inv) = read("istio__istio") else { return };
    check_sources(&inv);
    // 38 `kind: Gateway` documents: 37 networking.istio.io, 1 Gateway API (samples/httpbin).
    assert_eq!(of_kind(&inv, ProxyKind::IstioGateway).len(), 37);
    assert_eq!(of_kind(&inv, ProxyKind::Gateway).len(), 1);
    let Some(raw) = read_raw("istio__istio") else { return };
    assert_eq!(raw.edge_items.virtual_services.len(), 13);
    assert!(
        of_kind(&inv, ProxyKind::IstioGateway)
            .iter()
            .all(|p| p.listeners.iter().all(|l| l.xfcc == Some(XfccMode::SanitizeSet)))
    );

    // tests/testdata/config/ingress.yaml: HTTP and SIMPLE HTTPS, VirtualService `ingress`
    // routing /foo to service3.default.svc.cluster.local:80.
    let p = proxy(&inv, ProxyKind::IstioGateway, "istio-ingress", "tests/testdata/config/ingress.yaml");
    assert_eq!(p.runs_on.as_ref().unwrap()["istio"], "ingress");
    let https = listener(p, "https");
    assert_eq!((https.tls, https.client_cert), (ListenerTls::Terminate, ClientCertMode::None));
    assert_eq!(targets(https), [svc("default", "service3", Some("80"))]);
    assert_eq!(https.routes[0].matches, "VirtualService testns/ingress: http uri prefix /foo");
    assert_eq!((https.routes[0].line, https.routes[0].backend.line), (41, 46));
    assert!(!https.routes[0].backend.tls && https.routes[0].backend.verify_server.is_none());

    // tests/testdata/config/gateway-all.yaml: the HTTP server only redirects (httpsRedirect);
    // VirtualService `all` (another file) routes on the HTTPS server.
    let p = proxy(&inv, ProxyKind::IstioGateway, "my-gateway", "tests/testdata/config/gateway-all.yaml");
    assert!(listener(p, "http").routes.is_empty());
    assert_eq!(listener(p, "http").tls, ListenerTls::Plaintext);
    assert_eq!(listener(p, "https").routes.len(), 3);
    assert!(p.attrs["route VirtualService testns/all"].ends_with("virtual-service-all.yaml:1"));

    // tests/testdata/config/rule-route-via-egressgateway.yaml: of the two http routes, only the
    // one matching gateway istio-egressgateway applies to the egress gateway.
    let p = proxy(
        &inv,
        ProxyKind::IstioGateway,
        "istio-egressgateway",
        "tests/testdata/config/egressgateway.yaml",
    );
    for l in &p.listeners {
        assert_eq!(targets(l), [BackendTarget::Address { host: "eu.bookinfo.com".into(), port: None }]);
    }

    // samples/helloworld/helloworld-gateway.yaml: /hello to helloworld:5000 in the same file.
    let p = proxy(
        &inv,
        ProxyKind::IstioGateway,
        "helloworld-gateway",
        "samples/helloworld/helloworld-gateway.yaml",
    );
    assert_eq!(targets(listener(p, "http")), [svc("default", "helloworld", Some("5000"))]);

    // samples/httpbin/gateway-api/httpbin-gateway.yaml: an istio-class Gateway API gateway,
    // run by pods labelled with its name.
    let p = proxy(&inv, ProxyKind::Gateway, "httpbin-gateway", "gateway-api/httpbin-gateway.yaml");
    assert_eq!(p.runs_on.as_ref().unwrap()["gateway.networking.k8s.io/gateway-name"], "httpbin-gateway");
    assert_eq!(targets(listener(p, "http")), [svc("default", "httpbin", Some("8000"))]);
}

#[test]
fn haproxy_ingress_class_is_recorded() {
    let Some(inv) = read("haproxytech__kubernetes-ingress") else { return };
    check_sources(&inv);
    let ingresses = of_kind(&inv, ProxyKind::Ingress);
    assert_eq!(ingresses.len(), 3);
    assert!(ingresses.iter().all(|p| p.attrs["class"] == "haproxy"));
    // deploy/tests/e2e/https-runtime/config/echo-app-offload-default.yaml: TLS only for
    // default.haproxy, so offload-test.haproxy is served in plain HTTP.
    let p = proxy(&inv, ProxyKind::Ingress, "http-echo-offload", "echo-app-offload-default.yaml");
    assert!(listener(p, "haproxy-default").routes.is_empty());
    let http = listener(p, "http");
    assert_eq!(http.hosts, ["offload-test.haproxy"]);
    assert_eq!(targets(http), [svc("default", "http-echo-offload", Some("http"))]);
    // Another controller's header handling is unknown: nothing is claimed.
    assert!(http.identity_headers.is_empty());
}
