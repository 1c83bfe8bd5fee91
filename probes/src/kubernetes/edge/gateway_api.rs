//! Gateway API: Gateways, routes, BackendTLSPolicies and ReferenceGrants, read as items and
//! joined into proxies (see docs/semantics.md#gateway-api).

use super::helpers::GATEWAY_GROUP;
use super::helpers::closest;
use super::helpers::host_lists_intersect;
use super::helpers::new_proxy;
use super::helpers::port_of;

use crate::common::label_selector;
use crate::inventory::{
    BackendRef, BackendTarget, BackendTlsPolicyItem, ClientCertMode, Diagnostic, EdgeItems, GatewayItem,
    GatewayListenerItem, ListenerTls, Namespace, ObjectMeta, ParentRef, Proxy, ProxyBackend, ProxyKind,
    ProxyListener, ProxyRoute, ReferenceGrantItem, RouteItem, RouteRule, Service, StringMap, XfccMode,
};
use crate::yaml::Node;
use std::collections::{HashMap, HashSet};

/// Client-certificate mode from a frontend `validation` block: AllowValidOnly (default) or
/// AllowInsecureFallback.
pub(super) fn frontend_mode(validation: Option<&Node>) -> Option<ClientCertMode> {
    let v = validation.filter(|v| v.is_map())?;
    Some(match v.field("mode").string().as_deref() {
        Some("AllowInsecureFallback") => ClientCertMode::Optional,
        _ => ClientCertMode::Required,
    })
}

pub(super) fn gateway(node: &Node, meta: &ObjectMeta, diagnostics: &mut Vec<Diagnostic>) -> GatewayItem {
    let spec = node.field("spec");
    let mut proxy = new_proxy(ProxyKind::Gateway, meta);
    let class = spec.field("gatewayClassName").string();
    if let Some(class) = &class {
        proxy.attrs.insert("class".to_owned(), class.clone());
    }
    let istio = class.as_deref() == Some("istio");
    if istio {
        // Istio deploys the gateway itself and labels its pods with the Gateway's name.
        proxy.runs_on =
            Some([("gateway.networking.k8s.io/gateway-name".to_owned(), meta.name.clone())].into());
    }
    let frontend = spec.at(&["tls", "frontend"]);
    let default_mode = frontend_mode(frontend.and_then(|f| f.at(&["default", "validation"])));
    let per_port: Vec<(u32, Option<ClientCertMode>)> = frontend
        .map(|f| f.field("perPort").items())
        .unwrap_or_default()
        .iter()
        .filter_map(|p| Some((port_of(p.field("port"))?, frontend_mode(p.at(&["tls", "validation"])))))
        .collect();
    if let Some(f) = frontend.filter(|f| f.is_map()) {
        let mode = f.at(&["default", "validation", "mode"]).and_then(Node::string);
        proxy.attrs.insert(
            "frontend-validation".to_owned(),
            match (default_mode, mode) {
                (None, _) => "per port only".to_owned(),
                (Some(_), Some(m)) => m,
                (Some(_), None) => "AllowValidOnly (default)".to_owned(),
            },
        );
    }
    let backend_client_cert =
        spec.at(&["tls", "backend", "clientCertificateRef", "name"]).and_then(Node::string);
    if let Some(cert) = &backend_client_cert {
        proxy.attrs.insert("backend-client-certificate".to_owned(), cert.clone());
    }

    let mut listeners = Vec::new();
    for (i, l) in spec.field("listeners").items().iter().enumerate() {
        let name = l.field("name").string().unwrap_or_else(|| format!("listener-{i}"));
        let port = port_of(l.field("port"));
        let protocol = l.field("protocol").string().unwrap_or_default().to_ascii_uppercase();
        let hostname = l.field("hostname").string().filter(|h| !h.is_empty());
        let tls = match protocol.as_str() {
            "HTTPS" | "TLS" => match l.at(&["tls", "mode"]).and_then(Node::string).as_deref() {
                Some("Passthrough") => ListenerTls::Passthrough,
                _ => ListenerTls::Terminate,
            },
            // TCPRoute and UDPRoute listeners forward bytes as they come.
            "TCP" | "UDP" => ListenerTls::Layer4,
            _ => ListenerTls::Plaintext,
        };
        let mut listener = ProxyListener::new(name, port, hostname.iter().cloned().collect(), tls, l.line);
        if tls == ListenerTls::Terminate {
            let by_port = port.and_then(|p| per_port.iter().find(|(pp, _)| *pp == p));
            // Before v1.5 the experimental channel had per-listener `tls.frontendValidation`.
            let legacy =
                l.at(&["tls", "frontendValidation"]).filter(|v| v.is_map()).map(|_| ClientCertMode::Required);
            listener.client_cert = match by_port {
                Some((_, mode)) => mode.unwrap_or(ClientCertMode::None),
                None => default_mode.or(legacy).unwrap_or(ClientCertMode::None),
            };
        }
        if istio {
            listener.xfcc = Some(XfccMode::SanitizeSet);
        }
        proxy.listeners.push(listener);
        let allowed = l.field("allowedRoutes");
        let namespaces = allowed.field("namespaces");
        listeners.push(GatewayListenerItem {
            protocol,
            hostname,
            allowed_from: namespaces.field("from").string().unwrap_or_else(|| "Same".to_owned()),
            allowed_selector: namespaces.get("selector").map(|s| label_selector(s, meta, diagnostics)),
            allowed_kinds: allowed
                .field("kinds")
                .items()
                .iter()
                .filter_map(|k| k.field("kind").string())
                .collect(),
        });
    }
    super::helpers::publish_address(node, &mut proxy);
    GatewayItem { proxy, listeners, backend_client_cert }
}

pub(super) fn route(node: &Node, meta: &ObjectMeta) -> RouteItem {
    let spec = node.field("spec");
    let ns = meta.ns();
    let parents = spec
        .field("parentRefs")
        .items()
        .iter()
        .filter_map(|p| {
            Some(ParentRef {
                group: p.field("group").string().unwrap_or_else(|| GATEWAY_GROUP.to_owned()),
                kind: p.field("kind").string().unwrap_or_else(|| "Gateway".to_owned()),
                namespace: p.field("namespace").string().unwrap_or_else(|| ns.to_owned()),
                name: p.field("name").string()?,
                section_name: p.field("sectionName").string(),
                port: port_of(p.field("port")),
            })
        })
        .collect();
    let hostnames = spec.field("hostnames").strings();
    let host = if hostnames.is_empty() { "*".to_owned() } else { hostnames.join(",") };
    let rules = spec
        .field("rules")
        .items()
        .iter()
        .map(|r| {
            let mut conditions = Vec::new();
            for m in r.field("matches").items() {
                if let Some(path) = m.at(&["path", "value"]).and_then(Node::string) {
                    conditions.push(path);
                }
                if let Some(method) = m.get("method") {
                    match (method.field("service").string(), method.field("method").string()) {
                        (Some(s), Some(mm)) => conditions.push(format!("{s}/{mm}")),
                        (Some(s), None) => conditions.push(format!("{s}/*")),
                        (None, Some(mm)) => conditions.push(format!("*/{mm}")),
                        (None, None) => conditions.extend(method.string()),
                    }
                }
            }
            let matches =
                if conditions.is_empty() { host.clone() } else { format!("{host} {}", conditions.join(" ")) };
            let backends = r
                .field("backendRefs")
                .items()
                .iter()
                .filter_map(|b| {
                    Some(BackendRef {
                        group: b.field("group").string().unwrap_or_default(),
                        kind: b.field("kind").string().unwrap_or_else(|| "Service".to_owned()),
                        namespace: b.field("namespace").string().unwrap_or_else(|| ns.to_owned()),
                        name: b.field("name").string()?,
                        port: b.field("port").string(),
                        line: b.line,
                    })
                })
                .collect();
            RouteRule { matches, backends, line: r.line }
        })
        .collect();
    RouteItem { meta: meta.clone(), parents, hostnames, rules }
}

pub(super) fn backend_tls_policy(node: &Node, meta: &ObjectMeta) -> BackendTlsPolicyItem {
    let spec = node.field("spec");
    // v1alpha2 had a single `targetRef` and `tls` in place of `validation`.
    let mut refs: Vec<&Node> = spec.field("targetRefs").items().iter().collect();
    refs.extend(spec.get("targetRef"));
    let targets = refs
        .into_iter()
        .filter(|r| r.field("kind").string().is_none_or(|k| k == "Service"))
        .filter_map(|r| Some((r.field("name").string()?, r.field("sectionName").string())))
        .collect();
    let validation = spec.get("validation").or_else(|| spec.get("tls")).unwrap_or(spec.field("validation"));
    let ca_refs = ["caCertificateRefs", "caCertRefs"].iter().any(|k| !validation.field(k).items().is_empty());
    let well_known = ["wellKnownCACertificates", "wellKnownCACerts"]
        .iter()
        .any(|k| validation.field(k).string().is_some());
    BackendTlsPolicyItem {
        meta: meta.clone(),
        targets,
        verified: ca_refs || well_known,
        hostname: validation.field("hostname").string(),
        subject_alt_names: validation
            .field("subjectAltNames")
            .items()
            .iter()
            .filter_map(|s| s.field("hostname").string().or_else(|| s.field("uri").string()))
            .collect(),
    }
}

pub(super) fn reference_grant(node: &Node, meta: &ObjectMeta) -> ReferenceGrantItem {
    let spec = node.field("spec");
    ReferenceGrantItem {
        meta: meta.clone(),
        from: spec
            .field("from")
            .items()
            .iter()
            .map(|f| {
                (
                    f.field("group").string().unwrap_or_default(),
                    f.field("kind").string().unwrap_or_default(),
                    f.field("namespace").string().unwrap_or_default(),
                )
            })
            .collect(),
        to: spec
            .field("to")
            .items()
            .iter()
            .map(|t| {
                (
                    t.field("group").string().unwrap_or_default(),
                    t.field("kind").string().unwrap_or_default(),
                    t.field("name").string(),
                )
            })
            .collect(),
    }
}

/// The route kinds a listener protocol accepts when `allowedRoutes.kinds` is not set.
pub(super) fn default_route_kinds(protocol: &str, tls: ListenerTls) -> &'static [&'static str] {
    match (protocol, tls) {
        ("HTTP" | "HTTPS", _) => &["HTTPRoute", "GRPCRoute"],
        ("TLS", ListenerTls::Passthrough) => &["TLSRoute"],
        ("TLS", _) => &["TLSRoute", "TCPRoute"],
        ("TCP", _) => &["TCPRoute"],
        ("UDP", _) => &["UDPRoute"],
        _ => &[],
    }
}

/// Namespace labels, with the `kubernetes.io/metadata.name` label the API server adds.
pub(super) fn namespace_labels(namespaces: &[Namespace]) -> HashMap<&str, StringMap> {
    namespaces
        .iter()
        .map(|n| {
            let mut labels = n.meta.labels.clone();
            labels.insert("kubernetes.io/metadata.name".to_owned(), n.meta.name.clone());
            (n.meta.name.as_str(), labels)
        })
        .collect()
}

pub(super) fn assemble_gateways(
    items: &EdgeItems,
    namespaces: &[Namespace],
    services: &[Service],
) -> Vec<Proxy> {
    let mut proxies: Vec<Proxy> = items.gateways.iter().map(|g| g.proxy.clone()).collect();
    let mut by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, g) in items.gateways.iter().enumerate() {
        by_name
            .entry((g.proxy.namespace.as_deref().unwrap_or(""), g.proxy.name.as_str()))
            .or_default()
            .push(i);
    }
    let ns_labels = namespace_labels(namespaces);
    let mut policies: HashMap<(&str, &str), Vec<&BackendTlsPolicyItem>> = HashMap::new();
    for p in &items.backend_tls_policies {
        for (name, _) in &p.targets {
            policies.entry((p.meta.ns(), name.as_str())).or_default().push(p);
        }
    }
    let service_ports: HashMap<(&str, &str), &Service> =
        services.iter().map(|s| ((s.meta.ns(), s.meta.name.as_str()), s)).collect();
    let mut seen: HashSet<(usize, usize, usize)> = HashSet::new();

    for (ri, route) in items.routes.iter().enumerate() {
        for parent in &route.parents {
            if parent.kind != "Gateway" || parent.group != GATEWAY_GROUP {
                continue;
            }
            let Some(candidates) = by_name.get(&(parent.namespace.as_str(), parent.name.as_str())) else {
                continue;
            };
            for gi in closest(candidates, |i| &items.gateways[i].proxy.source, &route.meta.source) {
                let gw = &items.gateways[gi];
                let gw_ns = gw.proxy.namespace.as_deref().unwrap_or("");
                for (li, info) in gw.listeners.iter().enumerate() {
                    let listener = &gw.proxy.listeners[li];
                    if parent.section_name.as_ref().is_some_and(|s| *s != listener.name)
                        || parent.port.is_some_and(|p| Some(p) != listener.port)
                    {
                        continue;
                    }
                    let kind_ok = if info.allowed_kinds.is_empty() {
                        default_route_kinds(&info.protocol, listener.tls).contains(&route.meta.kind.as_str())
                    } else {
                        info.allowed_kinds.contains(&route.meta.kind)
                    };
                    if !kind_ok {
                        continue;
                    }
                    let route_ns = route.meta.ns();
                    let ns_ok = match info.allowed_from.as_str() {
                        "All" => true,
                        "Selector" => match ns_labels.get(route_ns) {
                            Some(labels) => info.allowed_selector.as_ref().is_some_and(|s| s.matches(labels)),
                            None => {
                                // Namespace not in the input: its labels are unknown.
                                let implicit: StringMap =
                                    [("kubernetes.io/metadata.name".to_owned(), route_ns.to_owned())].into();
                                let ok = info.allowed_selector.as_ref().is_some_and(|s| s.matches(&implicit));
                                if !ok {
                                    let key = "assumed-namespace-labels".to_owned();
                                    let entry = proxies[gi].attrs.get_or_insert_with(key, String::new);
                                    if !entry.split(", ").any(|n| n == route_ns) {
                                        if !entry.is_empty() {
                                            entry.push_str(", ");
                                        }
                                        entry.push_str(route_ns);
                                    }
                                }
                                true
                            }
                        },
                        _ => route_ns == gw_ns,
                    };
                    if !ns_ok {
                        continue;
                    }
                    let listener_hosts: Vec<String> = info.hostname.iter().cloned().collect();
                    if !host_lists_intersect(&listener_hosts, &route.hostnames) {
                        continue;
                    }
                    if !seen.insert((gi, li, ri)) {
                        continue;
                    }
                    let same_file = route.meta.source.file == gw.proxy.source.file;
                    if !same_file {
                        // ProxyRoute lines refer to the proxy's file; record where the route is.
                        proxies[gi].attrs.insert(
                            format!("route {} {}/{}", route.meta.kind, route_ns, route.meta.name),
                            route.meta.source.to_string(),
                        );
                    }
                    for rule in &route.rules {
                        for b in &rule.backends {
                            let (backend, refused) = gateway_backend(
                                b,
                                route,
                                gw,
                                &items.reference_grants,
                                &policies,
                                &service_ports,
                            );
                            if let Some(reason) = refused {
                                let key = format!("refused backendRef {}/{}", b.namespace, b.name);
                                proxies[gi].attrs.insert(key, reason);
                                continue;
                            }
                            let line = if same_file { b.line } else { listener.line };
                            proxies[gi].listeners[li].routes.push(ProxyRoute {
                                matches: format!(
                                    "{} {}/{}: {}",
                                    route.meta.kind, route_ns, route.meta.name, rule.matches
                                ),
                                backend: ProxyBackend { line, ..backend },
                                identity_headers: None,
                                line: if same_file { rule.line } else { listener.line },
                            });
                        }
                    }
                }
            }
        }
    }
    proxies
}

/// The backend of one backendRef, or why the gateway refuses it (a cross-namespace reference
/// without a ReferenceGrant).
pub(super) fn gateway_backend(
    b: &BackendRef,
    route: &RouteItem,
    gw: &GatewayItem,
    grants: &[ReferenceGrantItem],
    policies: &HashMap<(&str, &str), Vec<&BackendTlsPolicyItem>>,
    services: &HashMap<(&str, &str), &Service>,
) -> (ProxyBackend, Option<String>) {
    let is_service = b.kind == "Service" && b.group.is_empty();
    let target = if is_service {
        BackendTarget::Service { namespace: b.namespace.clone(), name: b.name.clone(), port: b.port.clone() }
    } else {
        BackendTarget::Named(format!("{}/{}", b.kind, b.name))
    };
    let mut backend = ProxyBackend::plain(target, b.line);
    let route_ns = route.meta.ns();
    if b.namespace != route_ns {
        let granted = grants.iter().any(|g| {
            g.meta.ns() == b.namespace
                && g.from.iter().any(|(group, kind, ns)| {
                    group == GATEWAY_GROUP && *kind == route.meta.kind && ns == route_ns
                })
                && g.to.iter().any(|(group, kind, name)| {
                    *group == b.group && *kind == b.kind && name.as_ref().is_none_or(|n| *n == b.name)
                })
        });
        if !granted {
            return (
                backend,
                Some(format!(
                    "{} {}/{} refers to {} {}/{} in another namespace without a ReferenceGrant",
                    route.meta.kind, route_ns, route.meta.name, b.kind, b.namespace, b.name
                )),
            );
        }
    }
    if !is_service {
        return (backend, None);
    }
    let port_matches = |section: &Option<String>| match section {
        None => true,
        Some(s) => {
            b.port.as_ref() == Some(s)
                || services.get(&(b.namespace.as_str(), b.name.as_str())).is_some_and(|svc| {
                    svc.ports.iter().any(|p| p.name == *s && b.port.as_deref() == Some(&p.port.to_string()))
                })
        }
    };
    let policy = policies.get(&(b.namespace.as_str(), b.name.as_str())).and_then(|ps| {
        ps.iter().find(|p| p.targets.iter().any(|(name, section)| *name == b.name && port_matches(section)))
    });
    if let Some(p) = policy {
        backend.tls = true;
        backend.verify_server = Some(p.verified);
        if let Some(cert) = &gw.backend_client_cert {
            backend.client_cert = true;
            backend.substitutes_identity = Some(format!("the gateway's client certificate ({cert})"));
        }
    }
    (backend, None)
}
