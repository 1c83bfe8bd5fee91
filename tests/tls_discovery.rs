//! `scan --tls` finds the endpoints the estate names: the listeners of proxies, load balancers,
//! Ingresses and Gateways by their bound or published addresses and host names, and (in a
//! cluster) Services by their DNS names; wildcards, malformed names and loopback listeners are
//! left out. Offline: the fixture's addresses are from the documentation ranges.
#![cfg(feature = "tls-live")]

mod common;

use std::path::PathBuf;

use ztpath::tls_targets::{Discovery, from_estate};

fn targets(dir: &str, discovery: Discovery) -> Vec<(String, String)> {
    let inventory = ztpath_probes::read_paths(&[PathBuf::from(dir)]);
    from_estate(&inventory, discovery)
        .into_iter()
        .map(|t| {
            let m = t.maps_to.expect("every discovered target is mapped");
            let object = match m.namespace {
                Some(ns) => format!("{}/{ns}/{}", m.kind, m.name),
                None => format!("{}/{}", m.kind, m.name),
            };
            (t.text, object)
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(t, o)| ((*t).to_owned(), (*o).to_owned())).collect()
}

/// What the fixture names outside a cluster.
const LISTENERS: &[(&str, &str)] = &[
    // The Ingress's TLS host, at the address its status publishes; its plaintext rules name only
    // a wildcard and a malformed host, so the address alone.
    ("k8s-shop-web-0123456789.eu-west-1.elb.amazonaws.com:443=shop.example.com", "Ingress/shop/web"),
    ("k8s-shop-web-0123456789.eu-west-1.elb.amazonaws.com:80", "Ingress/shop/web"),
    // A LoadBalancer Service terminating TLS (AWS ssl-cert), at its status IP.
    ("198.51.100.9:443", "Service/shop/front"),
    // A LoadBalancer Service passing TCP through (layer 4): its port reaches the pods.
    ("198.51.100.10:8443", "Service/shop/api-lb"),
    // nginx: the bound address with the server name (not `_`); a wildcard bind by its name; the
    // loopback server not at all.
    ("10.1.2.3:8443=edge.internal", "NginxConfig/nginx"),
    ("www.example.org:443", "NginxConfig/nginx"),
    // HAProxy: the bound address; `bind :8443` names no address and no host.
    ("192.0.2.20:443", "HaproxyConfig/haproxy"),
    // The Gateway's listener host name at its status address.
    ("203.0.113.7:443=api.example.com", "Gateway/infra/edge"),
];

#[test]
fn listeners_name_their_endpoints() {
    assert_eq!(targets("fixtures/tls-discovery", Discovery::default()), pairs(LISTENERS));
}

#[test]
fn in_a_cluster_services_are_reached_by_their_dns_names() {
    let got = targets("fixtures/tls-discovery", Discovery { cluster_services: true });
    let mut expected = pairs(LISTENERS);
    // Every TCP port of every Service with a selector (not the UDP one).
    expected.extend(pairs(&[
        ("front.shop.svc:443", "Service/shop/front"),
        ("api-lb.shop.svc:8443", "Service/shop/api-lb"),
        ("api.shop.svc:8443", "Service/shop/api"),
    ]));
    assert_eq!(got, expected);
}

#[test]
fn aws_load_balancers_are_reached_by_their_dns_names() {
    assert_eq!(
        targets("fixtures/proxies/aws", Discovery::default()),
        pairs(&[
            ("payments-nlb-0f1e2d3c.elb.eu-west-1.amazonaws.com:443", "LoadBalancer/payments-nlb"),
            ("shop-edge-1234567890.eu-west-1.elb.amazonaws.com:80", "LoadBalancer/shop-edge"),
            ("shop-edge-1234567890.eu-west-1.elb.amazonaws.com:443", "LoadBalancer/shop-edge"),
        ])
    );
}

#[test]
fn the_number_of_endpoints_probed_is_capped_and_the_report_says_so() {
    // The first endpoint is pinned to a closed loopback port: refused at once, nothing dialled
    // beyond this machine.
    let (code, stdout, stderr) = common::run(&[
        "scan",
        "fixtures/tls-discovery",
        "--tls",
        "--tls-max-targets",
        "1",
        "--tls-resolve",
        "k8s-shop-web-0123456789.eu-west-1.elb.amazonaws.com:443:127.0.0.1",
        "--tls-timeout",
        "2",
        "--format",
        "json",
        "--now",
        "2026-11-25",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let tls = doc["tls"].as_array().expect("tls");
    assert_eq!(tls.len(), 1, "{doc}");
    assert_eq!(tls[0]["target"], LISTENERS[0].0);
    assert!(tls[0]["error"].is_string(), "a refused connection is said: {doc}");
    let said: Vec<&str> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        said.contains(&"the estate names 8 TLS endpoints; the first 1 were probed (raise --tls-max-targets)"),
        "{said:?}"
    );
}
