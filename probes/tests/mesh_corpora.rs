//! The Istio and Linkerd readers against real configuration from the istio/istio and
//! linkerd/linkerd2 repositories (copied verbatim under `shared/corpora`). Every fact asserted
//! here was read from the files themselves. The tests are skipped when the corpora are absent
//! (under CI they fail).

mod common;

use std::collections::BTreeMap;

use ztpath_probes::{
    AuthzAction, ClientTlsMode, Inventory, IstioAuthorizationPolicy, IstioRule, MtlsMode, ObjectRef,
    PeerAuthentication,
};

use common::read;

fn labels(pairs: &[(&str, &str)]) -> ztpath_probes::StringMap {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn policy<'a>(inv: &'a Inventory, name: &str) -> &'a IstioAuthorizationPolicy {
    inv.istio
        .authorization_policies
        .iter()
        .find(|p| p.meta.name == name)
        .unwrap_or_else(|| panic!("no AuthorizationPolicy {name}"))
}

fn peer_auth<'a>(inv: &'a Inventory, name: &str) -> &'a PeerAuthentication {
    inv.istio
        .peer_authentications
        .iter()
        .find(|p| p.meta.name == name)
        .unwrap_or_else(|| panic!("no PeerAuthentication {name}"))
}

#[test]
fn whole_istio_corpus_reads_without_panic() {
    let Some(inv) = read("istio__istio") else { return };
    assert!(inv.files_read > 100, "{} files", inv.files_read);
    // Counted with `grep '^kind: X$'` over the corpus.
    assert_eq!(inv.istio.authorization_policies.len(), 38);
    assert_eq!(inv.istio.peer_authentications.len(), 14);
    assert_eq!(inv.istio.request_authentications.len(), 1);
    assert_eq!(inv.istio.destination_rules.len(), 23);
    // Gateways and VirtualServices are read by the edge reader; ServiceEntries and Sidecars are
    // not modelled.
    for kind in ["ServiceEntry", "Sidecar"] {
        assert!(inv.skipped_kinds.get(kind).is_some_and(|n| *n > 0), "{kind} should be skipped");
    }
    // Every item points back into its file.
    for p in &inv.istio.authorization_policies {
        assert!(p.meta.source.line > 0 && p.spec_line >= p.meta.source.line, "{}", p.meta.source);
    }
}

#[test]
fn allow_and_deny_with_one_empty_rule() {
    let dir = "istio__istio/pilot/pkg/security/authz/builder/testdata/http";
    let Some(inv) = read(&format!("{dir}/allow-empty-rule-in.yaml")) else { return };
    let p = policy(&inv, "allow-all");
    assert_eq!(p.meta.namespace.as_deref(), Some("foo"));
    assert_eq!(p.action, AuthzAction::Allow, "no action written: ALLOW");
    assert_eq!(p.selector, Some(labels(&[("app", "httpbin"), ("version", "v1")])));
    assert_eq!(p.rules, Some(vec![IstioRule { line: 12, ..IstioRule::default() }]));

    let Some(inv) = read(&format!("{dir}/deny-empty-rule-in.yaml")) else { return };
    let p = policy(&inv, "deny-all");
    assert_eq!(p.action, AuthzAction::Deny);
    assert_eq!(p.rules, Some(vec![IstioRule { line: 13, ..IstioRule::default() }]));
}

#[test]
fn deny_and_allow_principals_custom_providers_and_dry_run() {
    let dir = "istio__istio/pilot/pkg/security/authz/builder/testdata/http";
    let Some(inv) = read(&format!("{dir}/deny-and-allow-in.yaml")) else { return };
    let deny = policy(&inv, "httpbin-deny");
    assert_eq!(deny.action, AuthzAction::Deny);
    assert_eq!(deny.selector, None);
    assert_eq!(deny.rules.as_ref().unwrap()[0].from[0].principals, ["deny"]);
    let allow = policy(&inv, "httpbin-allow");
    assert_eq!(allow.action, AuthzAction::Allow);
    assert_eq!(allow.rules.as_ref().unwrap()[0].from[0].principals, ["allow"]);

    let Some(inv) = read(&format!("{dir}/custom-simple-http-in.yaml")) else { return };
    assert_eq!(inv.istio.authorization_policies.len(), 2);
    for p in &inv.istio.authorization_policies {
        assert_eq!((p.action, p.provider.as_deref()), (AuthzAction::Custom, Some("default")));
    }
    assert_eq!(policy(&inv, "httpbin-2").rules.as_ref().unwrap()[0].to[0].paths, ["/httpbin2"]);

    let Some(inv) = read(&format!("{dir}/dry-run-mix-in.yaml")) else { return };
    let dry = policy(&inv, "httpbin-1");
    assert_eq!(dry.meta.annotations.get("istio.io/dry-run").map(String::as_str), Some("true"));
    assert_eq!(
        policy(&inv, "httpbin-2").meta.annotations.get("istio.io/dry-run").map(String::as_str),
        Some("false")
    );
}

#[test]
fn every_source_and_operation_field_is_read() {
    let dir = "istio__istio/pilot/pkg/security/authz/builder/testdata/http";
    let Some(inv) = read(&format!("{dir}/allow-full-rule-in.yaml")) else { return };
    let rules = policy(&inv, "httpbin-1").rules.clone().unwrap();
    assert_eq!(rules.len(), 2);
    let sa = &rules[0].from[0];
    assert_eq!(sa.service_accounts, ["my-ns/my-sa", "sa-only"]);
    assert_eq!(sa.not_service_accounts, ["my-ns/my-sa-not", "sa-not-only"]);
    assert_eq!(sa.line, 14);
    let full = &rules[1].from[0];
    assert_eq!(full.principals.len(), 4);
    assert_eq!(full.not_principals[0], "not-principal");
    assert_eq!(full.request_principals.last().map(String::as_str), Some("*"));
    assert_eq!(full.not_request_principals.len(), 4);
    assert_eq!(full.namespaces[0], "ns");
    assert_eq!(full.not_namespaces[0], "not-ns");
    assert_eq!(full.ip_blocks, ["1.2.3.4", "5.6.0.0/16"]);
    assert_eq!(full.not_ip_blocks, ["9.0.0.1", "9.2.0.0/16"]);
    assert_eq!(full.remote_ip_blocks, ["1.2.3.4", "5.6.0.0/16"]);
    assert_eq!(full.not_remote_ip_blocks, ["9.0.0.1", "9.2.0.0/16"]);
    let op = &rules[1].to[0];
    assert_eq!(op.ports, ["80", "90"]);
    assert_eq!(op.hosts[0], "exact.com");
    assert_eq!(op.methods.len(), 4);
    assert_eq!(op.paths.len(), 6);
    assert!(op.has_negations);
    assert_eq!(rules[1].when.len(), 14);
    let (key, values, not_values) = &rules[1].when[1];
    assert_eq!(key, "source.ip");
    assert_eq!(values, &["10.10.10.10", "192.168.10.0/24"]);
    assert_eq!(not_values, &["90.10.10.10", "90.168.10.0/24"]);

    let Some(inv) = read(&format!("{dir}/trust-domains-in.yaml")) else { return };
    let from = &policy(&inv, "httpbin").rules.as_ref().unwrap()[0].from;
    assert_eq!(from[0].trust_domains, ["cluster.local", "another.local"]);
    assert_eq!(from[1].not_trust_domains, ["bad*", "untrusted"]);

    let Some(inv) = read(&format!("{dir}/allow-path-in.yaml")) else { return };
    let op = &policy(&inv, "httpbin-1").rules.as_ref().unwrap()[0].to[0];
    assert!(op.has_negations, "notPaths is set");
    assert!(op.methods.is_empty());
}

#[test]
fn analyzer_policies_without_rules() {
    let Some(inv) = read("istio__istio/pkg/config/analysis/analyzers/testdata/authorizationpolicies.yaml")
    else {
        return;
    };
    assert_eq!(inv.istio.authorization_policies.len(), 10);
    // `spec: {}` in the root namespace: an ALLOW policy with no rules, i.e. allow nothing.
    let mesh_wide = policy(&inv, "meshwide-httpbin");
    assert_eq!(mesh_wide.meta.namespace.as_deref(), Some("istio-system"));
    assert_eq!((mesh_wide.action, &mesh_wide.rules, &mesh_wide.selector), (AuthzAction::Allow, &None, &None));
    assert_eq!(mesh_wide.spec_line, 97);
    // Selector but no rules.
    let v1 = policy(&inv, "meshwide-httpbin-v1");
    assert_eq!((v1.action, &v1.rules), (AuthzAction::Allow, &None));
    assert_eq!(v1.selector, Some(labels(&[("version", "bogus-version")])));
    // Two sources, two operations, one condition.
    let rule = &policy(&inv, "httpbin").rules.as_ref().unwrap()[0];
    assert_eq!(rule.from.len(), 2);
    assert_eq!(rule.from[0].principals, ["cluster.local/ns/default/sa/sleep"]);
    assert_eq!(rule.from[1].namespaces, ["httpbin"]);
    assert_eq!(rule.to.len(), 2);
    assert_eq!(rule.when[0].0, "request.auth.claims[iss]");
    let not_ns = &policy(&inv, "httpbin-bogus-not-ns").rules.as_ref().unwrap()[0].from[1];
    assert_eq!(not_ns.not_namespaces.len(), 6);
    assert!(not_ns.namespaces.is_empty());

    let Some(inv) = read("istio__istio/pkg/config/analysis/analyzers/testdata/k8sgateway-selector.yaml")
    else {
        return;
    };
    let ra = &inv.istio.request_authentications[0];
    assert_eq!(ra.meta.name, "ra-ineffective");
    assert!(ra.jwt_rules.is_empty());
    assert_eq!(ra.selector, Some(labels(&[("gateway.networking.k8s.io/gateway-name", "bookinfo-gateway")])));
    assert_eq!(policy(&inv, "ap-ineffective").rules, None);
}

#[test]
fn peer_authentication_modes_in_the_mtls_testdata() {
    let dir = "istio__istio/tests/integration/ambient/testdata";
    for (file, mode) in [
        ("beta-mtls-on.yaml", MtlsMode::Strict),
        ("beta-mtls-automtls.yaml", MtlsMode::Strict),
        ("beta-mtls-permissive.yaml", MtlsMode::Permissive),
        ("plaintext-to-permissive.yaml", MtlsMode::Permissive),
        ("beta-mtls-off.yaml", MtlsMode::Disable),
        ("global-plaintext.yaml", MtlsMode::Disable),
    ] {
        let Some(inv) = read(&format!("{dir}/{file}")) else { return };
        let pa = peer_auth(&inv, "default");
        assert_eq!(pa.mode, mode, "{file}");
        assert_eq!(pa.selector, None, "{file}");
        assert!(pa.port_level.is_empty(), "{file}");
        // No namespace in these files: `default`, as kubectl would apply them.
        assert_eq!(pa.meta.namespace.as_deref(), Some("default"), "{file}");
    }

    let Some(inv) = read(&format!("{dir}/beta-per-port-mtls.yaml")) else { return };
    let pa = peer_auth(&inv, "per-port");
    assert_eq!((pa.mode, pa.mode_line), (MtlsMode::Disable, 12));
    assert_eq!(pa.selector, Some(labels(&[("app", "b")])));
    assert_eq!(pa.port_level, BTreeMap::from([(8090, MtlsMode::Strict)]));

    let Some(inv) = read(&format!("{dir}/beta-mtls-automtls-workload.yaml")) else { return };
    assert_eq!(peer_auth(&inv, "a-disable").mode, MtlsMode::Disable);
    let b = peer_auth(&inv, "b-strict");
    assert_eq!(b.mode, MtlsMode::Strict);
    assert_eq!(b.port_level, BTreeMap::from([(8090, MtlsMode::Disable)]));

    let Some(inv) = read("istio__istio/tests/testdata/config/peer-authn-strict.yaml") else { return };
    let pa = peer_auth(&inv, "default");
    assert_eq!((pa.mode, pa.meta.namespace.as_deref()), (MtlsMode::Strict, Some("testns")));
}

#[test]
fn destination_rule_tls_in_the_testdata() {
    let dir = "istio__istio/tests/integration/ambient/testdata";
    let Some(inv) = read(&format!("{dir}/automtls-partial-sidecar-dr-disable.yaml")) else { return };
    let dr = &inv.istio.destination_rules[0];
    assert_eq!(dr.host, "multiversion");
    assert_eq!(dr.tls_mode.map(|(m, _)| m), Some(ClientTlsMode::Disable));
    assert_eq!(
        dr.subset_tls.iter().map(|(s, m, _)| (s.as_str(), *m)).collect::<Vec<_>>(),
        [("vistio", ClientTlsMode::Disable), ("vlegacy", ClientTlsMode::Disable)]
    );

    let Some(inv) = read(&format!("{dir}/automtls-partial-sidecar-dr-mutual.yaml")) else { return };
    let dr = &inv.istio.destination_rules[0];
    assert_eq!(dr.tls_mode.map(|(m, _)| m), Some(ClientTlsMode::IstioMutual));
    assert!(dr.subset_tls.iter().all(|(_, m, _)| *m == ClientTlsMode::IstioMutual));

    // Subsets without traffic policy, and a DR with only a load balancer: no TLS settings, so
    // auto mTLS decides.
    let Some(inv) = read(&format!("{dir}/automtls-partial-sidecar-dr-no-tls.yaml")) else { return };
    let dr = &inv.istio.destination_rules[0];
    assert_eq!((dr.tls_mode, dr.subset_tls.len()), (None, 0));
    let Some(inv) = read(&format!("{dir}/automtls-passthrough.yaml")) else { return };
    assert_eq!(
        (inv.istio.destination_rules[0].host.as_str(), inv.istio.destination_rules[0].tls_mode),
        ("*", None)
    );

    let analyzers = "istio__istio/pkg/config/analysis/analyzers/testdata";
    let Some(inv) = read(&format!("{analyzers}/destinationrule-compound-mutual-simple.yaml")) else { return };
    let dr = &inv.istio.destination_rules[0];
    assert_eq!(dr.host, "mydbserver.prod.svc.cluster.local");
    assert_eq!(dr.tls_mode, Some((ClientTlsMode::Simple, 10)));
    assert_eq!(dr.port_tls, [(443, ClientTlsMode::Mutual, 17)]);
    assert!(!dr.insecure_skip_verify);

    let Some(inv) = read(&format!("{analyzers}/destinationrule-simple-port-credentialname.yaml")) else {
        return;
    };
    let dr = &inv.istio.destination_rules[0];
    assert_eq!((dr.tls_mode, &dr.port_tls[..]), (None, &[(443, ClientTlsMode::Simple, 12)][..]));

    let Some(inv) = read("istio__istio/tests/testdata/config/destination-rule-ssl.yaml") else { return };
    let modes: Vec<_> =
        inv.istio.destination_rules.iter().map(|d| (d.meta.name.as_str(), d.tls_mode)).collect();
    assert_eq!(modes, [("ssl-simple", Some((ClientTlsMode::Simple, 13))), ("drprefix", None)]);
}

#[test]
fn linkerd_policy_fixtures() {
    let Some(inv) = read("linkerd__linkerd2/test/integration/viz/policy/testdata/emoji-policy.yaml") else {
        return;
    };
    let l = &inv.linkerd;
    assert_eq!(l.servers.len(), 3);
    assert_eq!(l.server_authorizations.len(), 3);
    let ports: Vec<_> = l
        .servers
        .iter()
        .map(|s| (s.meta.name.as_str(), s.port.as_str(), s.proxy_protocol.as_deref()))
        .collect();
    assert_eq!(
        ports,
        [
            ("emoji-grpc", "grpc", Some("gRPC")),
            ("voting-grpc", "grpc", Some("gRPC")),
            ("web-http", "http", Some("HTTP/1"))
        ]
    );
    assert!(l.servers.iter().all(|s| s.access_policy.is_none() && s.pod_selector.is_some()));
    let emoji = &l.server_authorizations[0];
    assert_eq!(emoji.server_name.as_deref(), Some("emoji-grpc"));
    assert_eq!(emoji.identities, ["*.linkerd-stat-authz-test.serviceaccount.identity.linkerd.cluster.local"]);
    assert!(!emoji.unauthenticated);
    let voting = &l.server_authorizations[1];
    assert_eq!(voting.service_accounts, [(None, "web".to_owned())]);
    let web = &l.server_authorizations[2];
    assert_eq!(web.meta.name, "web-public");
    assert!(web.unauthenticated);
    assert_eq!(web.networks, ["0.0.0.0/0", "::/0"]);
    assert_eq!(web.client_line, 94);

    let Some(inv) = read("linkerd__linkerd2/test/integration/install/testdata/smoke_test.yaml") else {
        return;
    };
    let l = &inv.linkerd;
    assert_eq!((l.servers.len(), l.server_authorizations.len()), (2, 2));
    assert_eq!(l.servers[0].port, "9090");
    // The proxy-admin Server selects its pods with an expression, not labels.
    let admin = &l.servers[1];
    assert_eq!((admin.meta.name.as_str(), admin.port.as_str()), ("smoke-test-proxy-admin", "linkerd-admin"));
    let selector = admin.pod_selector.as_ref().unwrap();
    assert!(selector.match_labels.is_empty());
    assert_eq!(selector.match_expressions[0].operator, ztpath_probes::SelectorOperator::In);
    assert_eq!(selector.match_expressions[0].values, ["smoke-test-terminus", "smoke-test-gateway"]);
    // Its ServerAuthorization lets kubelet probes in without authentication.
    assert!(l.server_authorizations[1].unauthenticated);
    assert_eq!(l.server_authorizations[1].server_name.as_deref(), Some("smoke-test-proxy-admin"));
    let namespaces: Vec<_> = l.server_authorizations[0]
        .service_accounts
        .iter()
        .map(|(ns, name)| (ns.as_deref(), name.as_str()))
        .collect();
    assert_eq!(
        namespaces,
        [
            (Some("linkerd-smoke-test"), "default"),
            (Some("linkerd-smoke-test-manual"), "default"),
            (Some("linkerd-smoke-test-ann"), "default")
        ]
    );

    let Some(inv) = read("linkerd__linkerd2/grafana/authzpolicy-grafana.yaml") else { return };
    let ap = &inv.linkerd.authorization_policies[0];
    assert_eq!(ap.meta.namespace.as_deref(), Some("linkerd-viz"));
    assert_eq!((ap.target.kind.as_str(), ap.target.name.as_str()), ("Server", "prometheus-admin"));
    assert_eq!(
        ap.required_authentications,
        [ObjectRef {
            group: String::new(),
            kind: "ServiceAccount".into(),
            name: "grafana".into(),
            namespace: Some("grafana".into())
        }]
    );
}

#[test]
fn linkerd_install_goldens() {
    // `.golden` files are not picked up by a directory walk; name them explicitly.
    let Some(multicluster) = read("linkerd__linkerd2/multicluster/cmd/testdata/install_default.golden")
    else {
        return;
    };
    let l = &multicluster.linkerd;
    assert_eq!((l.servers.len(), l.authorization_policies.len()), (5, 5));
    assert_eq!((l.mesh_tls_authentications.len(), l.network_authentications.len()), (1, 1));
    let gateway = l.servers.iter().find(|s| s.meta.name == "linkerd-gateway").unwrap();
    assert_eq!((gateway.port.as_str(), gateway.proxy_protocol.as_deref()), ("linkerd-proxy", None));
    let gateway_ap = l.authorization_policies.iter().find(|a| a.meta.name == "linkerd-gateway").unwrap();
    let kinds: Vec<_> = gateway_ap.required_authentications.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["MeshTLSAuthentication", "NetworkAuthentication"]);
    assert_eq!(l.mesh_tls_authentications[0].meta.name, "any-meshed");
    assert_eq!(l.mesh_tls_authentications[0].identities, ["*"]);
    assert_eq!(
        l.network_authentications[0].networks,
        [("0.0.0.0/0".to_owned(), vec![]), ("::/0".to_owned(), vec![])]
    );

    let Some(viz) = read("linkerd__linkerd2/viz/cmd/testdata/install_default.golden") else { return };
    let l = &viz.linkerd;
    assert_eq!((l.servers.len(), l.authorization_policies.len()), (4, 4));
    assert_eq!((l.mesh_tls_authentications.len(), l.network_authentications.len()), (1, 2));
    let web = &l.mesh_tls_authentications[0];
    assert_eq!(web.meta.name, "metrics-api-web");
    assert!(web.identities.is_empty());
    assert_eq!(
        web.identity_refs,
        [ObjectRef {
            group: String::new(),
            kind: "ServiceAccount".into(),
            name: "web".into(),
            namespace: None
        }]
    );
    let tap = l.servers.iter().find(|s| s.meta.name == "tap-api").unwrap();
    assert_eq!((tap.port.as_str(), tap.proxy_protocol.as_deref()), ("apiserver", Some("TLS")));

    // The control-plane install has no policy objects of its own.
    let Some(core) = read("linkerd__linkerd2/cli/cmd/testdata/install_default.golden") else { return };
    assert!(core.linkerd.servers.is_empty() && core.linkerd.authorization_policies.is_empty());
}

#[test]
fn whole_linkerd_corpus_reads_without_panic() {
    let Some(inv) = read("linkerd__linkerd2") else { return };
    // The three .yaml fixtures (goldens are not walked): 3 + 2 Servers, 3 + 2
    // ServerAuthorizations, one AuthorizationPolicy.
    assert_eq!(inv.linkerd.servers.len(), 5);
    assert_eq!(inv.linkerd.server_authorizations.len(), 5);
    assert_eq!(inv.linkerd.authorization_policies.len(), 1);
}
