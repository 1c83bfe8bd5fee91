//! The AWS load-balancer reader against real AWS Config configuration items
//! (awslabs/aws-config-rdk), ELBv2 API dumps (duo-labs/cloudmapper) and Config resource schemas
//! (awslabs/aws-config-resource-schema) copied verbatim under `shared/corpora`, and against the
//! multi-file estate in `fixtures/proxies/aws`. Every fact asserted here was read from the files
//! themselves. The corpus tests are skipped when the corpora are absent
//! (under CI they fail).

mod common;

use std::path::{Path, PathBuf};

use ztpath_probes::{
    BackendTarget, ClientCertMode, HeaderAction, IdentityHeader, Inventory, ListenerTls, Proxy, ProxyKind,
    read_paths,
};

use common::{corpus, read};

fn by_name<'a>(inv: &'a Inventory, name: &str) -> &'a Proxy {
    inv.proxies.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no proxy {name}"))
}

const RDK: &str = "awslabs__aws-config-rdk/rdk/template/example_ci";

#[test]
fn rdk_load_balancer_item_is_an_internet_facing_alb() {
    let Some(inv) = read(&format!("{RDK}/AWS_ElasticLoadBalancingV2_LoadBalancer.json")) else { return };
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 1);
    let p = &inv.proxies[0];
    assert_eq!((p.kind, p.name.as_str()), (ProxyKind::AwsAlb, "MyALB"));
    assert_eq!(p.source.line, 1);
    let attr = |k: &str| p.attrs.get(k).map(String::as_str);
    assert_eq!(attr("scheme"), Some("internet-facing"));
    assert_eq!(attr("type"), Some("application"));
    assert_eq!(attr("account"), Some("264683526309"));
    assert_eq!(attr("dns_name"), Some("MyALB-1278615410.us-east-1.elb.amazonaws.com"));
    assert!(p.listeners.is_empty(), "no listener items in this file");
}

#[test]
fn rdk_listener_item_is_plain_http_forwarding_to_a_target_group() {
    let Some(inv) = read(&format!("{RDK}/AWS_ElasticLoadBalancingV2_Listener.json")) else { return };
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    // Its load balancer is not in the file: the proxy is named from the LoadBalancerArn.
    assert_eq!(inv.proxies.len(), 1);
    let p = &inv.proxies[0];
    assert_eq!((p.kind, p.name.as_str()), (ProxyKind::AwsAlb, "test"));
    assert_eq!(
        p.attrs.get("arn").map(String::as_str),
        Some("arn:aws:elasticloadbalancing:us-east-2:111111111111:loadbalancer/app/test/abcd95d05fc9fc53")
    );
    let l = &p.listeners[0];
    assert_eq!((l.name.as_str(), l.port, l.tls), ("HTTP:80", Some(80), ListenerTls::Plaintext));
    assert_eq!(l.client_cert, ClientCertMode::None);
    assert_eq!(l.routes.len(), 1, "TargetGroupArn and ForwardConfig name the same target group");
    let b = &l.routes[0].backend;
    assert_eq!(b.target, BackendTarget::Named("test".into()));
    assert_eq!(b.verify_server, Some(false));
    assert_eq!(l.routes[0].line, 19, "the forward action");
}

#[test]
fn whole_rdk_corpus_only_elbv2_items_are_read() {
    let Some(inv) = read(RDK) else { return };
    // Two ELBv2 items (a load balancer and a listener of another load balancer); the four IAM
    // items go to the IAM reader (iam_corpora.rs); the classic ELB, EC2, … items are skipped
    // (AWS_LAMBDA_FUNCTION.json is a bare array, which the dispatcher does not offer to the
    // readers).
    assert_eq!(inv.proxies.len(), 2);
    assert_eq!(inv.files_read, 27);
    assert_eq!(inv.skipped_kinds.get("(no kind)"), Some(&19));
    assert_eq!(inv.skipped_kinds.get("(not an object)"), Some(&1));
    // The one diagnostic is the corpus's own broken JSON, not an AWS reader complaint.
    assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    assert!(inv.diagnostics[0].source.file.ends_with("AWS_EC2_NetworkInterface.json"));
}

#[test]
fn schemas_and_api_dumps_are_not_items() {
    // Resource schemas have `"resourceType": "string"` and dotted configuration keys.
    if let Some(inv) = read("awslabs__aws-config-resource-schema") {
        assert!(inv.proxies.is_empty());
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        assert_eq!(inv.files_read, 18);
        assert_eq!(inv.skipped_kinds.get("(no kind)"), Some(&18));
    }
    // cloudmapper: IAM/EC2/… describe outputs and an ELBv2 attributes dump (named without an
    // extension, so it is read only when named explicitly).
    let Some(dir) = corpus("duo-labs__cloudmapper") else { return };
    let attributes = dir.join(
        "account-data/demo/us-east-1/elbv2-describe-load-balancer-attributes/arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A123456789012%3Aloadbalancer%2Fapp%2Fdemo%2Fqwerty",
    );
    let inv = read_paths(&[dir, attributes]);
    assert!(inv.proxies.is_empty());
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
}

#[test]
fn controller_iam_policies_are_not_read() {
    let Some(inv) = read("kubernetes-sigs__aws-load-balancer-controller/docs/install") else { return };
    assert!(inv.proxies.is_empty());
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/proxies/aws")
}

#[test]
fn fixture_alb_joined_across_notification_history_and_snapshot() {
    let inv = read_paths(&[fixtures()]);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 2);
    assert!(inv.skipped_kinds.is_empty(), "{:?}", inv.skipped_kinds);

    let alb = by_name(&inv, "shop-edge");
    assert_eq!(alb.kind, ProxyKind::AwsAlb);
    assert!(alb.source.file.ends_with("shop-edge-notification.json"));
    assert_eq!(alb.source.line, 3, "the configurationItem");
    let attr = |k: &str| alb.attrs.get(k).map(String::as_str);
    assert_eq!(attr("scheme"), Some("internet-facing"));
    assert_eq!(attr("tag:ingress.k8s.aws/stack"), Some("shop/storefront"));
    assert_eq!(attr("attribute:routing.http.drop_invalid_header_fields.enabled"), Some("false"));
    let names: Vec<&str> = alb.listeners.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, vec!["HTTP:80", "HTTPS:443"]);

    // The redirecting HTTP listener has no backend.
    assert!(alb.listeners[0].routes.is_empty());
    // The latest HTTPS listener item (mTLS passthrough) wins over the older one (off).
    let https = &alb.listeners[1];
    assert!(https.file.as_deref().is_some_and(|f| f.ends_with("shop-edge-listener-history.json")));
    assert_eq!(https.line, 3);
    assert_eq!((https.tls, https.client_cert), (ListenerTls::Terminate, ClientCertMode::Unverified));
    assert_eq!(
        https.identity_headers,
        vec![IdentityHeader {
            name: "X-Amzn-Mtls-Clientcert".into(),
            action: HeaderAction::Set { from_client_cert: true },
            line: 24,
        }],
        "the line of the configuration string"
    );
    let b = &https.routes[0].backend;
    assert_eq!(b.target, BackendTarget::Named("k8s-shop-storefro-0a1b2c3d4e".into()));
    assert!(b.tls, "HTTPS target group");
    assert_eq!(b.verify_server, Some(false));
    assert!(
        attr("source:target group k8s-shop-storefro-0a1b2c3d4e")
            .is_some_and(|s| s.ends_with("snapshot.json:23"))
    );
}

#[test]
fn fixture_nlb_from_describe_output() {
    let inv = read_paths(&[fixtures()]);
    let nlb = by_name(&inv, "payments-nlb");
    assert_eq!(nlb.kind, ProxyKind::AwsNlb);
    assert_eq!(nlb.attrs.get("scheme").map(String::as_str), Some("internal"));
    let l: Vec<(&str, ListenerTls, bool)> =
        nlb.listeners.iter().map(|l| (l.name.as_str(), l.tls, l.routes[0].backend.tls)).collect();
    assert_eq!(l, vec![("TLS:443", ListenerTls::Terminate, true), ("TCP:5432", ListenerTls::Layer4, false)]);
    assert!(nlb.listeners.iter().all(|l| l.routes[0].backend.verify_server == Some(false)));
}
