//! Paths through proxies and load balancers: the multi-tier estate of fixtures/proxies/multi-tier
//! (an NLB in front of the ingress-nginx controller, Ingress rules with and without client
//! certificates, an Istio gateway with optional client certificates) and the proxy rules.

mod common;

use common::scan_json;
use ztpath_reports::{AuthMethod, AuthPath, IdentityState, Report};

const MULTI: &str = "fixtures/proxies/multi-tier";

fn path_ending<'r>(r: &'r Report, proxy: &str, target: &str) -> &'r AuthPath {
    r.paths.iter().find(|p| p.hops.len() == 2 && p.hops[0].to == proxy && p.to == target).unwrap_or_else(
        || {
            panic!(
                "no path through {proxy} to {target}; paths: {:#?}",
                r.paths.iter().map(|p| &p.id).collect::<Vec<_>>()
            )
        },
    )
}

#[test]
fn hops_through_each_proxy_have_the_expected_verdicts() {
    let r = scan_json(&[MULTI]);
    // Client certificate required and verified, then forwarded by the controller: propagated.
    let orders = path_ending(&r, "proxy:ingressnginx/shop/orders", "workload:shop/Deployment/orders");
    assert_eq!(
        (orders.hops[0].auth, orders.hops[0].identity),
        (AuthMethod::ClientCertificate, IdentityState::Preserved)
    );
    assert_eq!(orders.hops[1].identity, IdentityState::Propagated, "{:#?}", orders.hops[1]);
    // The controller runs with a sidecar, so the hop to the STRICT backend is mesh mTLS.
    assert_eq!(orders.hops[1].auth, AuthMethod::MeshMtls, "{:#?}", orders.hops[1]);
    // No auth-tls: anonymous clients over server-only TLS, client-sent ssl-client-* headers pass.
    let legacy = path_ending(&r, "proxy:ingressnginx/legacy/legacy", "workload:legacy/Deployment/legacy");
    assert_eq!((legacy.hops[0].auth, legacy.hops[0].identity), (AuthMethod::ServerTls, IdentityState::Lost));
    assert_eq!(legacy.hops[1].identity, IdentityState::Spoofable);
    assert_eq!(legacy.hops[1].auth, AuthMethod::ServerTls, "HTTPS to the backend without proxy-ssl-verify");
    assert_eq!(legacy.identity, Some(IdentityState::Spoofable), "the path's verdict is its weakest hop");
    // OPTIONAL_MUTUAL: anonymous clients get in; the gateway reaches the backend over the mesh with
    // its own identity.
    assert_eq!(
        path_ending(&r, "proxy:istiogateway/istio-ingress/public", "workload:shop/Deployment/reports").hops
            [1]
        .auth,
        AuthMethod::MeshMtls
    );
    let reports =
        path_ending(&r, "proxy:istiogateway/istio-ingress/public", "workload:shop/Deployment/reports");
    assert_eq!(
        (reports.hops[0].auth, reports.hops[0].identity),
        (AuthMethod::OptionalMtls, IdentityState::Lost)
    );
    // The NLB passes TLS through to the controller.
    let nlb = path_ending(
        &r,
        "proxy:serviceloadbalancer/ingress-nginx/ingress-nginx-controller",
        "workload:ingress-nginx/Deployment/ingress-nginx-controller",
    );
    assert_eq!(nlb.hops[0].auth, AuthMethod::TlsPassthrough);
}

#[test]
fn a_load_balancer_in_front_of_the_controller_gives_three_hop_paths() {
    let r = scan_json(&[MULTI]);
    let chained: Vec<&AuthPath> = r.paths.iter().filter(|p| p.hops.len() == 3).collect();
    let ends: Vec<&str> = chained.iter().map(|p| p.to.as_str()).collect();
    assert!(ends.contains(&"workload:shop/Deployment/orders"), "{ends:?}");
    assert!(ends.contains(&"workload:legacy/Deployment/legacy"), "{ends:?}");
    for p in &chained {
        assert_eq!(p.from, "external:clients");
        assert_eq!(p.hops[0].to, "proxy:serviceloadbalancer/ingress-nginx/ingress-nginx-controller");
        assert!(p.hops[2].from.starts_with("proxy:ingressnginx/"), "{:#?}", p.hops);
    }
}

#[test]
fn proxy_findings_are_the_expected_ones() {
    let r = scan_json(&[MULTI]);
    let mut got: Vec<(String, String, String)> = r
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("ZT1"))
        .map(|f| (f.rule.clone(), f.severity.to_string(), common::subject(&f.subject)))
        .collect();
    got.sort();
    let expected: Vec<(String, String, String)> = [
        ("ZT103", "medium", "Ingress legacy/legacy"),
        ("ZT104", "medium", "Gateway istio-ingress/public"),
        ("ZT105", "medium", "Ingress legacy/legacy"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(got, expected);
    // Each finding lists the path it sits on and points at the Ingress or Gateway file.
    for f in r.findings.iter().filter(|f| f.rule.starts_with("ZT1")) {
        assert!(!f.paths.is_empty() || f.rule == "ZT104", "{f:#?}");
        assert!(f.evidence.iter().all(|e| e.file.starts_with(MULTI) && e.line > 0), "{:#?}", f.evidence);
    }
}

#[test]
fn orders_would_be_flagged_without_forwarding_the_certificate() {
    // The same Ingress without pass-certificate-to-upstream: the client-sent ssl-client-cert
    // header is not overwritten, so the orders path becomes spoofable (medium).
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["controller.yaml", "gateway.yaml", "apps.yaml"] {
        std::fs::copy(common::path(&format!("{MULTI}/{name}")), dir.path().join(name)).expect("copy");
    }
    let ingress = std::fs::read_to_string(common::path(&format!("{MULTI}/ingress.yaml"))).expect("read");
    let changed = ingress.replace(
        "auth-tls-pass-certificate-to-upstream: \"true\"",
        "auth-tls-pass-certificate-to-upstream: \"false\"",
    );
    assert_ne!(ingress, changed);
    std::fs::write(dir.path().join("ingress.yaml"), changed).expect("write");
    let r = scan_json(&[dir.path().to_str().expect("utf-8 path")]);
    assert!(
        r.findings.iter().any(|f| f.rule == "ZT103" && common::subject(&f.subject) == "Ingress shop/orders"),
        "{}",
        common::describe(&r.findings.iter().collect::<Vec<_>>())
    );
}

#[test]
fn an_unmeshed_proxy_is_refused_by_a_strict_backend() {
    // Without the controller's sidecar, its plaintext hop to the STRICT `orders` is refused.
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["ingress.yaml", "gateway.yaml", "apps.yaml"] {
        std::fs::copy(common::path(&format!("{MULTI}/{name}")), dir.path().join(name)).expect("copy");
    }
    let controller =
        std::fs::read_to_string(common::path(&format!("{MULTI}/controller.yaml"))).expect("read");
    let unmeshed = controller.replace("labels: {istio-injection: enabled}", "labels: {}");
    assert_ne!(controller, unmeshed);
    std::fs::write(dir.path().join("controller.yaml"), unmeshed).expect("write");
    let r = scan_json(&[dir.path().to_str().expect("utf-8 path")]);
    let orders = path_ending(&r, "proxy:ingressnginx/shop/orders", "workload:shop/Deployment/orders");
    assert_eq!(orders.hops[1].identity, IdentityState::Unknown);
    assert!(orders.hops[1].detail.contains("refused"), "{}", orders.hops[1].detail);
}

#[test]
fn an_aws_target_group_joins_its_kubernetes_service_through_a_target_group_binding() {
    let r = scan_json(&["fixtures/proxies/aws", "fixtures/proxies/aws-binding"]);
    let alb = r
        .paths
        .iter()
        .find(|p| p.hops.len() == 2 && p.hops[0].to == "proxy:awsalb/-/shop-edge")
        .expect("a path through the shop-edge ALB");
    assert_eq!(alb.to, "workload:shop/Deployment/storefront", "{alb:#?}");
    // The ALB forwards the client's certificate chain without verifying it (mTLS passthrough).
    assert_eq!(alb.hops[0].identity, IdentityState::Spoofable);
    // Without the binding, the target group stays an unresolved upstream.
    let alone = scan_json(&["fixtures/proxies/aws"]);
    assert!(alone.paths.iter().any(|p| p.to.starts_with("upstream:proxy:awsalb/-/shop-edge/")));
}

#[test]
fn a_workload_calling_the_ingress_controller_goes_on_through_it() {
    let r = scan_json(&[MULTI]);
    let through: Vec<&AuthPath> = r
        .paths
        .iter()
        .filter(|p| p.from == "workload:legacy/Deployment/batch-client" && p.hops.len() == 2)
        .collect();
    let ends: Vec<&str> = through.iter().map(|p| p.to.as_str()).collect();
    assert!(ends.contains(&"workload:shop/Deployment/orders"), "{ends:?}");
    for p in &through {
        assert!(p.hops[0].to.starts_with("proxy:ingressnginx/"), "{:#?}", p.hops);
    }
}

#[test]
fn an_envoy_config_in_a_config_map_runs_in_the_pods_that_mount_it() {
    let r = scan_json(&["fixtures/proxies/envoy-in-cluster"]);
    let proxy = "proxy:envoy/shop/edge-envoy/envoy.yaml";
    // web calls the envoy Service, and the call goes on through the Envoy configuration.
    let through = r
        .paths
        .iter()
        .find(|p| p.from == "workload:shop/Deployment/web" && p.hops.len() == 2)
        .unwrap_or_else(|| panic!("{:#?}", r.paths.iter().map(|p| &p.id).collect::<Vec<_>>()));
    assert_eq!(through.hops[0].to, proxy);
    assert_eq!(through.to, "workload:shop/Deployment/orders");
    assert_eq!(through.hops[1].auth, AuthMethod::ServerTls, "upstream TLS without a validation context");
    // The finding points into the manifest, at the lines inside the ConfigMap.
    let f = r.findings.iter().find(|f| f.rule == "ZT105").expect("ZT105 on the embedded Envoy config");
    assert!(
        f.evidence.iter().all(|e| e.file.ends_with("envoy-in-cluster/estate.yaml") && e.line > 10),
        "{:#?}",
        f.evidence
    );
}

const EDGE_IN_FRONT_OF_ENVOY: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx}
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
spec:
  type: LoadBalancer
  selector: {app.kubernetes.io/name: ingress-nginx}
  ports: [{name: https, port: 443, targetPort: 443}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
  template:
    metadata: {labels: {app.kubernetes.io/name: ingress-nginx}}
    spec:
      automountServiceAccountToken: false
      containers: [{name: controller, image: registry.k8s.io/ingress-nginx/controller:v1.12.0, ports: [{containerPort: 443}]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop-api, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [api.shop.example], secretName: api-tls}]
  rules:
  - host: api.shop.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: envoy, port: {number: 8080}}}}
"#;

#[test]
fn load_balancer_ingress_envoy_and_service_chain_into_one_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        common::path("fixtures/proxies/envoy-in-cluster/estate.yaml"),
        dir.path().join("estate.yaml"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("edge.yaml"), EDGE_IN_FRONT_OF_ENVOY).expect("write");
    let r = scan_json(&[dir.path().to_str().expect("utf-8 path")]);
    let long =
        r.paths.iter().find(|p| p.hops.len() == 4).unwrap_or_else(|| {
            panic!("no 4-hop path: {:#?}", r.paths.iter().map(|p| &p.id).collect::<Vec<_>>())
        });
    let through: Vec<&str> = long.hops.iter().map(|h| h.to.as_str()).collect();
    assert_eq!(
        through,
        [
            "proxy:serviceloadbalancer/ingress-nginx/ingress-nginx-controller",
            "proxy:ingressnginx/shop/shop-api",
            "proxy:envoy/shop/edge-envoy/envoy.yaml",
            "workload:shop/Deployment/orders",
        ]
    );
    assert_eq!(long.from, "external:clients");
}

#[test]
fn a_client_sent_x_user_is_flagged_alike_behind_nginx_haproxy_and_envoy() {
    // Each proxy copies the client's own X-User on to its backend: one identity-header list is
    // shared by the three readers, so each gets the same ZT103.
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        (
            "nginx.conf",
            "http {\n server {\n  listen 80;\n  location / {\n   proxy_set_header X-User $http_x_user;\n\
             \x20  proxy_pass http://app:8080;\n  }\n }\n}\n",
        ),
        (
            "haproxy.cfg",
            "frontend fe\n  mode http\n  bind :80\n  http-request set-header X-User %[req.hdr(x-user)]\n\
             \x20 default_backend app\nbackend app\n  server a app:8080\n",
        ),
        (
            "envoy.yaml",
            r#"static_resources:
  listeners:
  - name: edge
    address: {socket_address: {address: 0.0.0.0, port_value: 80}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: edge
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app}
                request_headers_to_add:
                - header: {key: X-User, value: "%REQ(x-user)%"}
                  append_action: OVERWRITE_IF_EXISTS_OR_ADD
  clusters:
  - name: app
    load_assignment: {cluster_name: app, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: app, port_value: 8080}}}}]}]}
"#,
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let r = scan_json(&[dir.path().to_str().expect("utf-8 path")]);
    let zt103 = common::of_rule(&r, "ZT103");
    let mut subjects: Vec<String> = zt103.iter().map(|f| common::subject(&f.subject)).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["EnvoyConfig envoy", "HaproxyConfig haproxy", "NginxConfig nginx"],
        "{}",
        common::describe(&zt103)
    );
    let details: Vec<&str> = r
        .paths
        .iter()
        .flat_map(|p| &p.hops)
        .filter(|h| h.identity == IdentityState::Spoofable)
        .map(|h| h.detail.as_str())
        .collect();
    assert_eq!(details.len(), 3, "{details:?}");
    assert!(details.iter().all(|d| d.contains("header `X-User` reaches the backend")), "{details:?}");
}
