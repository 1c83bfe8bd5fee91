//! Services of type LoadBalancer: the cloud load balancer in front of them (see
//! docs/semantics.md#aws-elb).

use super::helpers::AWS_SERVICE;
use super::helpers::BackendTls;
use super::helpers::new_proxy;
use super::helpers::port_of;
use super::ingress::route_to;

use crate::inventory::{BackendTarget, Inventory, ListenerTls, ObjectMeta, Proxy, ProxyKind, ProxyListener};
use crate::yaml::Node;

/// Adds the load balancer in front of a Service of type LoadBalancer (does nothing for other
/// Services). Called by the core reader, which still reads the object as a Service.
pub fn service_load_balancer(node: &Node, meta: &ObjectMeta, inventory: &mut Inventory) {
    if let Some(proxy) = load_balancer(node, meta) {
        inventory.proxies.push(proxy);
    }
}

pub(super) fn load_balancer(node: &Node, meta: &ObjectMeta) -> Option<Proxy> {
    let spec = node.field("spec");
    if spec.field("type").string().as_deref() != Some("LoadBalancer") {
        return None;
    }
    let mut proxy = new_proxy(ProxyKind::ServiceLoadBalancer, meta);
    let aws = |key: &str| {
        meta.annotations.get(&format!("{AWS_SERVICE}aws-load-balancer-{key}")).map(String::as_str)
    };
    for (k, v) in &meta.annotations {
        if let Some(short) = k.strip_prefix(AWS_SERVICE).filter(|s| s.starts_with("aws-load-balancer-")) {
            proxy.attrs.insert(short.to_owned(), v.clone());
        }
    }
    let class = spec.field("loadBalancerClass").string();
    if let Some(class) = &class {
        proxy.attrs.insert("loadBalancerClass".to_owned(), class.clone());
    }
    let lb_type = aws("type").unwrap_or("");
    let nlb =
        matches!(lb_type, "nlb" | "external" | "nlb-ip") || class.as_deref() == Some("service.k8s.aws/nlb");
    let any_aws = meta.annotations.keys().any(|k| k.starts_with(&format!("{AWS_SERVICE}aws-load-balancer-")));
    let lb = if nlb {
        "aws-nlb"
    } else if any_aws {
        "aws-clb"
    } else {
        "cloud (provider not identified)"
    };
    proxy.attrs.insert("lb".to_owned(), lb.to_owned());

    // Ports whose listener terminates TLS: ssl-ports (names or numbers, `*`), all when only
    // ssl-cert is set.
    let ssl_cert = aws("ssl-cert").is_some_and(|c| !c.is_empty());
    let ssl_ports: Option<Vec<String>> = aws("ssl-ports")
        .map(|p| p.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
    let backend_protocol = aws("backend-protocol").unwrap_or("").to_ascii_lowercase();
    for port_node in spec.field("ports").items() {
        let Some(port) = port_of(port_node.field("port")) else { continue };
        let name = port_node.field("name").string().unwrap_or_default();
        let terminates = ssl_cert
            && match &ssl_ports {
                None => true,
                Some(list) => list.iter().any(|p| p == "*" || *p == name || *p == port.to_string()),
            };
        let tls = if terminates {
            ListenerTls::Terminate
        } else if lb == "aws-clb" && matches!(backend_protocol.as_str(), "http" | "https") {
            // A classic ELB with an HTTP listener proxies at L7.
            ListenerTls::Plaintext
        } else {
            // L4: the bytes pass through, TLS or not, as the backend port speaks (the engine
            // decides from the Service port, the pods' probes and the servers they run).
            ListenerTls::Layer4
        };
        let backend = if tls != ListenerTls::Layer4 && matches!(backend_protocol.as_str(), "ssl" | "https") {
            // AWS load balancers never validate target certificates (docs/semantics.md#aws-elb).
            BackendTls { tls: true, verify_server: Some(false), ..BackendTls::default() }
        } else {
            BackendTls::default()
        };
        let listener_name = if name.is_empty() { port.to_string() } else { name };
        let mut l = ProxyListener::new(listener_name, Some(port), Vec::new(), tls, port_node.line);
        let target = BackendTarget::Service {
            namespace: meta.ns().to_owned(),
            name: meta.name.clone(),
            port: Some(port.to_string()),
        };
        l.routes.push(route_to(
            format!("port {port}"),
            backend.backend(target, port_node.line),
            port_node.line,
        ));
        proxy.listeners.push(l);
    }
    super::helpers::publish_address(node, &mut proxy);
    Some(proxy)
}
