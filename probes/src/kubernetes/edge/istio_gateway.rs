//! Istio Gateways and VirtualServices, read as items and joined into proxies (see
//! docs/semantics.md#istio).

use super::helpers::closest;
use super::helpers::host_lists_intersect;
use super::helpers::new_proxy;
use super::helpers::port_of;

use crate::common::string_map;
use crate::inventory::{
    BackendTarget, ClientCertMode, EdgeItems, IstioGatewayItem, IstioServerItem, ListenerTls, Namespace,
    ObjectMeta, Proxy, ProxyBackend, ProxyKind, ProxyListener, ProxyRoute, Service, VirtualServiceItem,
    VsMatch, VsRoute, VsRouteKind, XfccMode,
};
use crate::yaml::Node;
use std::collections::{HashMap, HashSet};

/// Protocols Istio serves as HTTP (their servers ignore `tls` except `httpsRedirect`).
pub(super) fn istio_http_protocol(protocol: &str) -> bool {
    matches!(protocol, "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" | "HTTP_PROXY")
}

pub(super) fn istio_gateway(node: &Node, meta: &ObjectMeta) -> IstioGatewayItem {
    let spec = node.field("spec");
    let mut proxy = new_proxy(ProxyKind::IstioGateway, meta);
    let selector = string_map(spec.field("selector"));
    proxy.runs_on = if selector.is_empty() { None } else { Some(selector) };
    let mut servers = Vec::new();
    for (i, s) in spec.field("servers").items().iter().enumerate() {
        let port = port_of(s.at(&["port", "number"]).unwrap_or(s.field("port")));
        let protocol =
            s.at(&["port", "protocol"]).and_then(Node::string).unwrap_or_default().to_ascii_uppercase();
        let name = s.at(&["port", "name"]).and_then(Node::string).unwrap_or_else(|| format!("server-{i}"));
        let raw_hosts = s.field("hosts").strings();
        let hosts: Vec<(Option<String>, String)> = raw_hosts
            .iter()
            .map(|h| match h.split_once('/') {
                Some((ns, host)) => (Some(ns.to_owned()), host.to_owned()),
                None => (None, h.clone()),
            })
            .collect();
        let tls_block = s.get("tls").filter(|t| t.is_map());
        let https_redirect = tls_block.is_some_and(|t| t.field("httpsRedirect").as_bool() == Some(true));
        let mode = tls_block.and_then(|t| t.field("mode").string()).map(|m| m.to_ascii_uppercase());
        let (tls, client_cert) = if istio_http_protocol(&protocol) {
            (ListenerTls::Plaintext, ClientCertMode::None)
        } else if tls_block.is_none() {
            if matches!(protocol.as_str(), "HTTPS" | "TLS") {
                // Istio refuses an HTTPS/TLS server without tls settings.
                proxy
                    .attrs
                    .insert(format!("server {name} tls"), format!("{protocol} server without tls settings"));
                (ListenerTls::Passthrough, ClientCertMode::None)
            } else {
                // TCP (and MONGO, MYSQL, REDIS…): a TCP proxy that forwards bytes as they come.
                (ListenerTls::Layer4, ClientCertMode::None)
            }
        } else {
            // The proto's zero value is PASSTHROUGH: an omitted mode passes TLS through.
            match mode.as_deref().unwrap_or("PASSTHROUGH") {
                "SIMPLE" => (ListenerTls::Terminate, ClientCertMode::None),
                "MUTUAL" | "ISTIO_MUTUAL" => (ListenerTls::Terminate, ClientCertMode::Required),
                "OPTIONAL_MUTUAL" => (ListenerTls::Terminate, ClientCertMode::Optional),
                "AUTO_PASSTHROUGH" => {
                    proxy.attrs.insert(
                        format!("server {name} tls"),
                        "AUTO_PASSTHROUGH: the SNI names the destination, no VirtualService needed"
                            .to_owned(),
                    );
                    (ListenerTls::Passthrough, ClientCertMode::None)
                }
                "PASSTHROUGH" => (ListenerTls::Passthrough, ClientCertMode::None),
                _ => {
                    // The value is not repeated: it could be anything.
                    proxy.attrs.insert(
                        format!("server {name} tls"),
                        "unknown tls mode, expecting SIMPLE, MUTUAL, ISTIO_MUTUAL, OPTIONAL_MUTUAL, \
                         PASSTHROUGH or AUTO_PASSTHROUGH; read as PASSTHROUGH"
                            .to_owned(),
                    );
                    (ListenerTls::Passthrough, ClientCertMode::None)
                }
            }
        };
        if https_redirect {
            proxy.attrs.insert(
                format!("server {name} httpsRedirect"),
                "true: every request is redirected to HTTPS".to_owned(),
            );
        }
        let line_hosts: Vec<String> = hosts.iter().map(|(_, h)| h.clone()).collect();
        let mut l = ProxyListener::new(name, port, line_hosts, tls, s.line);
        l.client_cert = client_cert;
        // Istio gateways SANITIZE_SET the XFCC header by default (docs/semantics.md#istio).
        l.xfcc = Some(XfccMode::SanitizeSet);
        proxy.listeners.push(l);
        let auto_passthrough = !istio_http_protocol(&protocol) && mode.as_deref() == Some("AUTO_PASSTHROUGH");
        servers.push(IstioServerItem { protocol, hosts, https_redirect, auto_passthrough });
    }
    IstioGatewayItem { proxy, servers }
}

pub(super) fn virtual_service(node: &Node, meta: &ObjectMeta) -> VirtualServiceItem {
    let spec = node.field("spec");
    let mut routes = Vec::new();
    for (key, kind) in [("http", VsRouteKind::Http), ("tls", VsRouteKind::Tls), ("tcp", VsRouteKind::Tcp)] {
        for r in spec.field(key).items() {
            let mut matches = Vec::new();
            let mut described = Vec::new();
            for m in r.field("match").items() {
                matches.push(VsMatch {
                    gateways: m.field("gateways").strings(),
                    port: port_of(m.field("port")),
                    sni_hosts: m.field("sniHosts").strings(),
                });
                if let Some(uri) = m.get("uri") {
                    for (how, v) in uri.entries() {
                        described.extend(v.string().map(|v| format!("uri {how} {v}")));
                    }
                }
                let sni = m.field("sniHosts").strings();
                if !sni.is_empty() {
                    described.push(format!("sni {}", sni.join(",")));
                }
                if let Some(p) = port_of(m.field("port")) {
                    described.push(format!("port {p}"));
                }
            }
            let destinations = r
                .field("route")
                .items()
                .iter()
                .filter_map(|d| {
                    let dest = d.field("destination");
                    let port = dest.at(&["port", "number"]).and_then(port_of);
                    Some((dest.field("host").string()?, port, dest.line))
                })
                .collect();
            let description =
                if described.is_empty() { key.to_owned() } else { format!("{key} {}", described.join(" ")) };
            routes.push(VsRoute { kind, matches, description, destinations, line: r.line });
        }
    }
    VirtualServiceItem {
        meta: meta.clone(),
        hosts: spec.field("hosts").strings(),
        gateways: spec.field("gateways").strings(),
        routes,
    }
}

/// The namespace and name a VirtualService `gateways` entry names: `ns/name`, `name` (the
/// VirtualService's namespace) or the old `name.ns.svc.cluster.local`; `None` for `mesh`.
pub(super) fn istio_gateway_ref(entry: &str, vs_namespace: &str) -> Option<(String, String)> {
    if entry == "mesh" {
        return None;
    }
    if let Some((ns, name)) = entry.split_once('/') {
        return Some((ns.to_owned(), name.to_owned()));
    }
    let mut parts = entry.split('.');
    match (parts.next(), parts.next()) {
        (Some(name), Some(ns)) => Some((ns.to_owned(), name.to_owned())),
        _ => Some((vs_namespace.to_owned(), entry.to_owned())),
    }
}

/// Resolves a VirtualService destination host: `svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`
/// become a Service; other names (external hosts, ServiceEntries) stay addresses.
pub(super) fn istio_destination(
    host: &str,
    port: Option<u32>,
    vs_namespace: &str,
    known: &HashSet<(&str, &str)>,
    namespaces: &HashSet<&str>,
) -> BackendTarget {
    let service = |ns: &str, name: &str| BackendTarget::Service {
        namespace: ns.to_owned(),
        name: name.to_owned(),
        port: port.map(|p| p.to_string()),
    };
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [name] if !name.contains('*') => service(vs_namespace, name),
        [name, ns] if known.contains(&(*ns, *name)) || namespaces.contains(ns) => service(ns, name),
        [name, ns, "svc", ..] => service(ns, name),
        _ => BackendTarget::Address { host: host.to_owned(), port },
    }
}

pub(super) fn assemble_istio(
    items: &EdgeItems,
    namespaces: &[Namespace],
    services: &[Service],
) -> Vec<Proxy> {
    let mut proxies: Vec<Proxy> = items.istio_gateways.iter().map(|g| g.proxy.clone()).collect();
    let mut by_name: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, g) in items.istio_gateways.iter().enumerate() {
        by_name
            .entry((g.proxy.namespace.clone().unwrap_or_default(), g.proxy.name.clone()))
            .or_default()
            .push(i);
    }
    let known: HashSet<(&str, &str)> = services.iter().map(|s| (s.meta.ns(), s.meta.name.as_str())).collect();
    let ns_names: HashSet<&str> = namespaces.iter().map(|n| n.meta.name.as_str()).collect();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();

    for (vi, vs) in items.virtual_services.iter().enumerate() {
        let vs_ns = vs.meta.ns();
        for entry in &vs.gateways {
            let Some(key) = istio_gateway_ref(entry, vs_ns) else { continue };
            let Some(candidates) = by_name.get(&key) else { continue };
            for gi in closest(candidates, |i| &items.istio_gateways[i].proxy.source, &vs.meta.source) {
                if !seen.insert((gi, vi)) {
                    continue;
                }
                let gw = &items.istio_gateways[gi];
                let gw_ns = gw.proxy.namespace.as_deref().unwrap_or("");
                let same_file = vs.meta.source.file == gw.proxy.source.file;
                let mut bound = false;
                for (si, server) in gw.servers.iter().enumerate() {
                    let listener = &gw.proxy.listeners[si];
                    // The server's hosts, as far as this VirtualService's namespace may use them.
                    let usable: Vec<String> = server
                        .hosts
                        .iter()
                        .filter(|(ns, _)| match ns.as_deref() {
                            None | Some("*") => true,
                            Some(".") => vs_ns == gw_ns,
                            Some(ns) => ns == vs_ns,
                        })
                        .map(|(_, h)| h.clone())
                        .collect();
                    if usable.is_empty() || !host_lists_intersect(&usable, &vs.hosts) {
                        continue;
                    }
                    bound = true;
                    if server.https_redirect {
                        continue;
                    }
                    let wanted = if istio_http_protocol(&server.protocol)
                        || (server.protocol == "HTTPS" && listener.tls == ListenerTls::Terminate)
                    {
                        Some(VsRouteKind::Http)
                    } else if server.auto_passthrough {
                        None
                    } else if listener.tls == ListenerTls::Passthrough {
                        Some(VsRouteKind::Tls)
                    } else {
                        Some(VsRouteKind::Tcp)
                    };
                    for r in vs.routes.iter().filter(|r| Some(r.kind) == wanted) {
                        // A match's `gateways` overrides the VirtualService's.
                        let applies = r.matches.is_empty()
                            || r.matches.iter().any(|m| {
                                (m.gateways.is_empty()
                                    || m.gateways
                                        .iter()
                                        .any(|g| istio_gateway_ref(g, vs_ns).as_ref() == Some(&key)))
                                    && m.port.is_none_or(|p| Some(p) == listener.port)
                                    && (m.sni_hosts.is_empty() || host_lists_intersect(&m.sni_hosts, &usable))
                            });
                        if !applies {
                            continue;
                        }
                        for (host, port, dline) in &r.destinations {
                            let target = istio_destination(host, *port, vs_ns, &known, &ns_names);
                            let line = if same_file { *dline } else { listener.line };
                            proxies[gi].listeners[si].routes.push(ProxyRoute {
                                matches: format!(
                                    "VirtualService {vs_ns}/{}: {}",
                                    vs.meta.name, r.description
                                ),
                                // The mesh decides gateway-to-service TLS (DestinationRules).
                                backend: ProxyBackend::plain(target, line),
                                identity_headers: None,
                                line: if same_file { r.line } else { listener.line },
                            });
                        }
                    }
                }
                if bound && !same_file {
                    proxies[gi].attrs.insert(
                        format!("route VirtualService {vs_ns}/{}", vs.meta.name),
                        vs.meta.source.to_string(),
                    );
                }
            }
        }
    }
    proxies
}
