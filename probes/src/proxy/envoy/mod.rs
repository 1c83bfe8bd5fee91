//! Envoy configuration (API v3, YAML or JSON): what each listener does with its callers' TLS and
//! identity, and how it reaches its backends.
//!
//! Accepted documents, one [`Proxy`] each (named after `node.id`, else the file stem):
//! - a bootstrap with `static_resources` (and `admin`, `node`, `dynamic_resources`), or a
//!   bootstrap with only `dynamic_resources` (no listeners then: they come from xDS);
//! - a bare document with `listeners` and/or `clusters`;
//! - an xDS `resources` list of typed Listeners, Clusters and RouteConfigurations
//!   (`dynamic-config-fs` files, DiscoveryResponse dumps);
//! - an admin `/config_dump` (`configs` of Bootstrap/Listeners/Clusters/RoutesConfigDump).
//!
//! One [`ProxyListener`] per filter chain (a listener's chains can differ in TLS). The defaults
//! that matter are Envoy's, not the intuitive ones (docs/semantics.md#envoy):
//! - client certificates are optional unless `require_client_certificate` or a SPKI/hash/SAN
//!   match is set, and are not verified without a trusted CA (`trusted_ca` or an SDS validation
//!   context); `ACCEPT_UNTRUSTED` lets failing chains through;
//! - `forward_client_cert_details` absent means `SANITIZE`;
//! - an `UpstreamTlsContext` does not verify the server without a validation context;
//! - a `jwt_authn` filter verifies nothing on requests that no rule requires.
//!
//! Field names are accepted in snake_case and in the lowerCamelCase of the proto JSON mapping.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::inventory::{
    BackendTarget, ClientCertMode, Diagnostic, HeaderAction, IdentityHeader, Inventory, JwtCheck,
    ListenerTls, PortTls, Proxy, ProxyBackend, ProxyKind, ProxyListener, ProxyRoute, Source, StringMap,
    XfccMode,
};
use crate::proxy::headers::identity_name;
use crate::yaml::{Node, Value};

static NULL: Node = Node { line: 0, value: Value::Null };

/// Reads a document that is an Envoy configuration; false when it is not one.
pub(crate) fn read_document(node: &Node, file: &Arc<str>, inventory: &mut Inventory) -> bool {
    let Some(doc) = gather(node) else { return false };
    let mut diagnostics = Vec::new();
    let proxy = build_proxy(&doc, node, file, &mut diagnostics);
    inventory.proxies.push(proxy);
    inventory.diagnostics.extend(diagnostics);
    true
}

// ---------------------------------------------------------------------------------------------
// Recognising a document and collecting its listeners, clusters and route configurations
// ---------------------------------------------------------------------------------------------

/// The parts of one Envoy document.
#[derive(Default)]
struct Doc<'a> {
    /// How the document is shaped (shown in the proxy's attrs).
    shape: &'static str,
    /// The bootstrap, when there is one (for `node`, `admin`, `dynamic_resources`).
    bootstrap: Option<&'a Node>,
    listeners: Vec<&'a Node>,
    clusters: Vec<&'a Node>,
    route_configs: Vec<&'a Node>,
}

fn gather(node: &Node) -> Option<Doc<'_>> {
    if !node.is_map() {
        return None;
    }
    if let Some(statics) = key(node, "static_resources").filter(|s| s.is_map()) {
        return Some(Doc {
            shape: "bootstrap",
            bootstrap: Some(node),
            listeners: list(f(statics, "listeners")).iter().collect(),
            clusters: list(f(statics, "clusters")).iter().collect(),
            route_configs: Vec::new(),
        });
    }
    if let Some(configs) = node.get("configs").filter(|c| c.is_seq()) {
        return config_dump(configs);
    }
    if let Some(resources) = node.get("resources").filter(|r| r.is_seq()) {
        return xds_resources(resources);
    }
    let listeners = list(f(node, "listeners"));
    let clusters = list(f(node, "clusters"));
    let envoy_listeners = listeners.iter().any(|l| {
        ["filter_chains", "default_filter_chain", "listener_filters"].iter().any(|k| key(l, k).is_some())
            || key(l, "address").is_some_and(|a| key(a, "socket_address").is_some())
    });
    let envoy_clusters = clusters.iter().any(|c| {
        ["load_assignment", "connect_timeout", "lb_policy", "transport_socket", "eds_cluster_config"]
            .iter()
            .any(|k| key(c, k).is_some())
    });
    if envoy_listeners || envoy_clusters {
        return Some(Doc {
            shape: "static listeners and clusters",
            listeners: listeners.iter().collect(),
            clusters: clusters.iter().collect(),
            ..Doc::default()
        });
    }
    // A bootstrap whose listeners all come from xDS.
    let admin_socket =
        key(node, "admin").and_then(|a| key(a, "address")).and_then(|a| key(a, "socket_address"));
    if key(node, "dynamic_resources").is_some_and(Node::is_map) || admin_socket.is_some() {
        return Some(Doc { shape: "bootstrap", bootstrap: Some(node), ..Doc::default() });
    }
    None
}

/// An xDS `resources` list: typed Listeners, Clusters, RouteConfigurations (also wrapped in a
/// `Resource`). None when no item is one of those.
fn xds_resources(resources: &Node) -> Option<Doc<'_>> {
    let mut doc = Doc { shape: "xDS resources", ..Doc::default() };
    for item in resources.items() {
        let item = match type_of(item) {
            Some(t) if t.ends_with(".Resource") => f(item, "resource"),
            _ => item,
        };
        let Some(ty) = type_of(item) else { continue };
        let ty = ty.as_str();
        if !ty.contains("envoy.") {
            continue;
        }
        if ty.ends_with(".Listener") {
            doc.listeners.push(item);
        } else if ty.ends_with(".Cluster") {
            doc.clusters.push(item);
        } else if ty.ends_with(".RouteConfiguration") {
            doc.route_configs.push(item);
        }
    }
    let found = !(doc.listeners.is_empty() && doc.clusters.is_empty() && doc.route_configs.is_empty());
    found.then_some(doc)
}

/// An admin `/config_dump`.
fn config_dump(configs: &Node) -> Option<Doc<'_>> {
    let mut doc = Doc { shape: "config_dump", ..Doc::default() };
    let mut envoy = false;
    let (mut dumped_listeners, mut dumped_clusters) = (false, false);
    for config in configs.items() {
        let Some(ty) = type_of(config) else { continue };
        if !ty.contains("envoy.admin.") {
            continue;
        }
        envoy = true;
        if ty.ends_with("BootstrapConfigDump") {
            doc.bootstrap = key(config, "bootstrap");
        } else if ty.ends_with("ListenersConfigDump") {
            dumped_listeners = true;
            for l in list(f(config, "static_listeners")) {
                doc.listeners.push(f(l, "listener"));
            }
            for l in list(f(config, "dynamic_listeners")) {
                let state = key(l, "active_state").or_else(|| key(l, "warming_state"));
                if let Some(listener) = state.and_then(|s| key(s, "listener")) {
                    doc.listeners.push(listener);
                }
            }
        } else if ty.ends_with("ClustersConfigDump") {
            dumped_clusters = true;
            for field in ["static_clusters", "dynamic_active_clusters", "dynamic_warming_clusters"] {
                for c in list(f(config, field)) {
                    doc.clusters.push(f(c, "cluster"));
                }
            }
        } else if ty.ends_with("RoutesConfigDump") {
            for field in ["static_route_configs", "dynamic_route_configs"] {
                for r in list(f(config, field)) {
                    doc.route_configs.push(f(r, "route_config"));
                }
            }
        }
    }
    // Static resources appear both in the bootstrap and in the listener/cluster dumps.
    if let Some(statics) = doc.bootstrap.and_then(|b| key(b, "static_resources")) {
        if !dumped_listeners {
            doc.listeners.extend(list(f(statics, "listeners")));
        }
        if !dumped_clusters {
            doc.clusters.extend(list(f(statics, "clusters")));
        }
    }
    doc.listeners.retain(|l| l.is_map());
    doc.clusters.retain(|c| c.is_map());
    envoy.then_some(doc)
}

// ---------------------------------------------------------------------------------------------
// Building the proxy
// ---------------------------------------------------------------------------------------------

/// Clusters and route configurations of the document by name (the first of a name wins, as in
/// Envoy, which refuses duplicates).
struct Ctx<'a> {
    clusters: HashMap<String, &'a Node>,
    route_configs: HashMap<String, &'a Node>,
}

fn by_name<'a>(nodes: &[&'a Node]) -> HashMap<String, &'a Node> {
    let mut map = HashMap::with_capacity(nodes.len());
    for node in nodes {
        if let Some(name) = key(node, "name").and_then(Node::string) {
            map.entry(name).or_insert(*node);
        }
    }
    map
}

fn build_proxy(doc: &Doc<'_>, root: &Node, file: &Arc<str>, diagnostics: &mut Vec<Diagnostic>) -> Proxy {
    let source = Source { file: Arc::clone(file), line: root.line };
    let boot = doc.bootstrap.unwrap_or(&NULL);
    let node_id =
        key(boot, "node").and_then(|n| key(n, "id")).and_then(Node::string).filter(|s| !s.is_empty());
    let name = node_id.unwrap_or_else(|| {
        Path::new(&**file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    });
    let mut attrs = StringMap::new();
    attrs.insert("format".into(), doc.shape.into());
    if let Some(cluster) = key(boot, "node").and_then(|n| key(n, "cluster")).and_then(Node::string) {
        attrs.insert("node.cluster".into(), cluster);
    }
    if let Some(sock) =
        key(boot, "admin").and_then(|a| key(a, "address")).and_then(|a| key(a, "socket_address"))
    {
        attrs.insert("admin".into(), socket_text(sock));
    }
    if let Some(dynamic) = key(boot, "dynamic_resources") {
        for (field, attr) in [("lds_config", "lds"), ("cds_config", "cds"), ("ads_config", "ads")] {
            if let Some(cfg) = key(dynamic, field) {
                attrs.insert(attr.into(), config_source_text(cfg));
            }
        }
    }
    if doc.listeners.is_empty() && !doc.clusters.is_empty() {
        let names: Vec<String> = doc.clusters.iter().filter_map(|c| key(c, "name")?.string()).collect();
        attrs.insert("clusters".into(), names.join(", "));
    }

    let ctx = Ctx { clusters: by_name(&doc.clusters), route_configs: by_name(&doc.route_configs) };
    let mut listeners = Vec::new();
    for (index, listener) in doc.listeners.iter().enumerate() {
        read_listener(listener, index, &ctx, &source, &mut listeners, diagnostics);
    }
    Proxy {
        kind: ProxyKind::Envoy,
        name,
        namespace: None,
        source,
        runs_on: None,
        listeners,
        attrs,
        credentials: Vec::new(),
    }
}

fn socket_text(sock: &Node) -> String {
    let address = crate::urls::strip_userinfo(&f(sock, "address").string().unwrap_or_default());
    match f(sock, "port_value").as_i64() {
        Some(port) => format!("{address}:{port}"),
        None => address,
    }
}

fn config_source_text(cfg: &Node) -> String {
    if let Some(path) = key(cfg, "path_config_source").and_then(|p| key(p, "path")).and_then(Node::string) {
        return path;
    }
    if let Some(path) = key(cfg, "path").and_then(Node::string) {
        return path;
    }
    if key(cfg, "ads").is_some() {
        return "ADS".into();
    }
    if let Some(api) = key(cfg, "api_config_source") {
        let ty = f(api, "api_type").string().unwrap_or_else(|| "API".into());
        let clusters: Vec<String> = list(f(api, "grpc_services"))
            .iter()
            .filter_map(|g| key(g, "envoy_grpc").and_then(|e| key(e, "cluster_name")).and_then(Node::string))
            .chain(f(api, "cluster_names").strings())
            .collect();
        return if clusters.is_empty() { ty } else { format!("{ty} via {}", clusters.join(", ")) };
    }
    "configured".into()
}

/// What a filter chain does with TLS from its clients.
struct ChainTls {
    tls: ListenerTls,
    client_cert: ClientCertMode,
}

fn read_listener(
    listener: &Node,
    index: usize,
    ctx: &Ctx<'_>,
    source: &Source,
    out: &mut Vec<ProxyListener>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let sock = key(listener, "address").and_then(|a| key(a, "socket_address"));
    let port =
        sock.and_then(|s| key(s, "port_value")).and_then(Node::as_i64).and_then(|p| u32::try_from(p).ok());
    let base = key(listener, "name")
        .and_then(Node::string)
        .filter(|s| !s.is_empty())
        .or_else(|| sock.map(socket_text))
        .unwrap_or_else(|| format!("listener[{index}]"));
    let inspector = list(f(listener, "listener_filters")).iter().any(|lf| {
        let (name, ty) = filter_ident(lf);
        name.contains("tls_inspector") || ty.ends_with("TlsInspector")
    });
    let mut chains: Vec<&Node> = list(f(listener, "filter_chains")).iter().filter(|c| c.is_map()).collect();
    if let Some(default) = key(listener, "default_filter_chain").filter(|c| c.is_map()) {
        chains.push(default);
    }
    let several = chains.len() > 1;
    let local = binds_locally(listener);
    let bound =
        sock.and_then(|s| f(s, "address").string()).and_then(|h| crate::proxy::address::bound_host(&h));
    for (i, chain) in chains.into_iter().enumerate() {
        let name = if several {
            let chain_name = key(chain, "name").and_then(Node::string).unwrap_or_else(|| i.to_string());
            format!("{base}#{chain_name}")
        } else {
            base.clone()
        };
        let line = if several { chain.line } else { listener.line };
        let mut l = read_chain(chain, name, port, line, inspector, ctx, source, diagnostics);
        l.local_only = local;
        l.address = bound.clone();
        out.push(l);
    }
}

/// Is every address a listener binds (`address`, `additional_addresses`) on loopback or a pipe?
fn binds_locally(listener: &Node) -> bool {
    let local = |address: &Node| {
        if let Some(sock) = key(address, "socket_address") {
            f(sock, "address").string().is_some_and(|h| crate::proxy::address::is_local_host(&h))
        } else {
            key(address, "pipe").and_then(|p| key(p, "path")).is_some()
        }
    };
    let Some(main) = key(listener, "address") else { return false };
    local(main) && list(f(listener, "additional_addresses")).iter().all(|a| local(f(a, "address")))
}

#[allow(clippy::too_many_arguments, reason = "one call site; the arguments are the listener's facts")]
fn read_chain(
    chain: &Node,
    name: String,
    port: Option<u32>,
    line: u32,
    inspector: bool,
    ctx: &Ctx<'_>,
    source: &Source,
    diagnostics: &mut Vec<Diagnostic>,
) -> ProxyListener {
    let matcher = f(chain, "filter_chain_match");
    let server_names = f(matcher, "server_names").strings();
    let transport_protocol = key(matcher, "transport_protocol").and_then(Node::string).unwrap_or_default();
    let filters = list(f(chain, "filters"));
    let hcm = filters.iter().find_map(|flt| {
        let (name, ty) = filter_ident(flt);
        (name.ends_with("http_connection_manager") || ty.ends_with(".HttpConnectionManager"))
            .then(|| typed_config(flt).0)
    });
    let tcp = filters.iter().find_map(|flt| {
        let (name, ty) = filter_ident(flt);
        (name.ends_with("tcp_proxy") || ty.ends_with(".TcpProxy")).then(|| typed_config(flt).0)
    });

    let mut listener = ProxyListener::new(name, port, server_names.clone(), ListenerTls::Plaintext, line);

    // Network-level authorization filters.
    for flt in filters {
        let (fname, ty) = filter_ident(flt);
        if let Some(text) = authz_description(&fname, &ty, typed_config(flt).0) {
            listener.authz.push(text);
        }
    }

    if let Some(hcm) = hcm {
        read_hcm(hcm, ctx, source, &mut listener, diagnostics);
    }
    if let Some(tcp) = tcp {
        let matches = if server_names.is_empty() { "*".to_owned() } else { server_names.join(",") };
        for cluster in tcp_clusters(tcp) {
            for backend in backends(ctx, &cluster, tcp.line) {
                listener.routes.push(ProxyRoute {
                    matches: matches.clone(),
                    backend,
                    identity_headers: None,
                    line: tcp.line,
                });
            }
        }
    }

    let downstream = downstream_tls_context(chain);
    let chain_tls = match downstream {
        Some(ctx_node) => ChainTls { tls: ListenerTls::Terminate, client_cert: client_cert_mode(ctx_node) },
        None => {
            let tls_matched =
                inspector && (!server_names.is_empty() || transport_protocol.eq_ignore_ascii_case("tls"));
            let tls = if hcm.is_some() || transport_protocol == "raw_buffer" {
                ListenerTls::Plaintext
            } else if tcp.is_some() && tls_matched {
                ListenerTls::Passthrough
            } else if tcp.is_some() {
                // A TCP proxy hands the client's bytes on as they are (TLS or not, as the
                // backend speaks), unless Envoy itself originates TLS upstream: then the
                // client's side is plaintext.
                let originates_tls = listener.routes.iter().any(|r| r.backend.tls);
                if originates_tls { ListenerTls::Plaintext } else { ListenerTls::Layer4 }
            } else {
                ListenerTls::Plaintext
            };
            ChainTls { tls, client_cert: ClientCertMode::None }
        }
    };
    listener.tls = chain_tls.tls;
    listener.client_cert = chain_tls.client_cert;
    listener
}

/// The HTTP connection manager: XFCC, HTTP filters, routes and identity headers.
fn read_hcm(
    hcm: &Node,
    ctx: &Ctx<'_>,
    source: &Source,
    listener: &mut ProxyListener,
    diagnostics: &mut Vec<Diagnostic>,
) {
    listener.xfcc = match key(hcm, "forward_client_cert_details") {
        None => Some(XfccMode::Sanitize),
        Some(v) => {
            let mode = xfcc_mode(v);
            if mode.is_none() {
                diagnostics.push(Diagnostic {
                    source: source.at(v.line),
                    // The value is not quoted: a diagnostic never echoes the input.
                    reason: "unknown forward_client_cert_details value, expecting SANITIZE, FORWARD_ONLY, \
                             APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY or 0 to 4"
                        .to_owned(),
                });
            }
            mode
        }
    };
    // With SANITIZE_SET or APPEND_FORWARD, Envoy writes its own XFCC element from the verified
    // client certificate: `Hash` always (and `By` when its own certificate has a URI SAN), plus
    // what `set_current_client_cert_details` asks for.
    if matches!(listener.xfcc, Some(XfccMode::SanitizeSet | XfccMode::AppendForward)) {
        let details = key(hcm, "set_current_client_cert_details");
        let mut fields = vec!["Hash"];
        for (k, name) in
            [("subject", "Subject"), ("uri", "URI"), ("dns", "DNS"), ("cert", "Cert"), ("chain", "Chain")]
        {
            if details.and_then(|d| key(d, k)).and_then(Node::as_bool) == Some(true) {
                fields.push(name);
            }
        }
        let line = key(hcm, "forward_client_cert_details").map_or(hcm.line, |v| v.line);
        listener.identity_headers.push(IdentityHeader {
            name: format!("x-forwarded-client-cert ({})", fields.join(", ")),
            action: HeaderAction::Set { from_client_cert: true },
            line,
        });
    }

    for flt in list(f(hcm, "http_filters")) {
        if key(flt, "disabled").and_then(Node::as_bool) == Some(true) {
            let (fname, _) = filter_ident(flt);
            if fname.contains("jwt_authn") || fname.contains("rbac") || fname.contains("ext_authz") {
                listener.authz.push(format!("{fname}: disabled unless a route enables it"));
            }
            continue;
        }
        let (fname, ty) = filter_ident(flt);
        let cfg = typed_config(flt).0;
        if fname.contains("jwt_authn") || ty.ends_with(".JwtAuthentication") {
            let (checks, headers) = jwt_checks(cfg, flt.line);
            listener.jwt.extend(checks);
            listener.identity_headers.extend(headers);
        } else if let Some(text) = authz_description(&fname, &ty, cfg) {
            listener.authz.push(text);
        }
    }

    let route_config = match key(hcm, "route_config") {
        Some(rc) => Some(rc),
        None => match key(hcm, "rds") {
            Some(rds) => {
                let wanted = f(rds, "route_config_name").string().unwrap_or_default();
                let found = ctx.route_configs.get(&wanted).copied();
                if found.is_none() {
                    listener.routes.push(unresolved_route("(routes from RDS)", &wanted, rds.line));
                }
                found
            }
            None => {
                if let Some(scoped) = key(hcm, "scoped_routes") {
                    let name = f(scoped, "name").string().unwrap_or_else(|| "scoped routes".into());
                    listener.routes.push(unresolved_route("(scoped routes)", &name, scoped.line));
                }
                None
            }
        },
    };
    if let Some(rc) = route_config {
        read_route_config(rc, ctx, listener);
    }
}

fn unresolved_route(matches: &str, name: &str, line: u32) -> ProxyRoute {
    ProxyRoute {
        matches: matches.into(),
        backend: ProxyBackend::plain(BackendTarget::Named(name.into()), line),
        identity_headers: None,
        line,
    }
}

fn read_route_config(rc: &Node, ctx: &Ctx<'_>, listener: &mut ProxyListener) {
    let top_headers = identity_headers(rc);
    listener.identity_headers.extend(top_headers.iter().cloned());
    for vhost in list(f(rc, "virtual_hosts")) {
        let domains = f(vhost, "domains").strings();
        for d in &domains {
            // `*` serves any host: an empty list says the same.
            if d != "*" && !listener.hosts.contains(d) {
                listener.hosts.push(d.clone());
            }
        }
        let host_part =
            if domains.is_empty() || domains == ["*"] { String::new() } else { domains.join(",") };
        let vhost_headers = identity_headers(vhost);
        for route in list(f(vhost, "routes")) {
            let Some(action) = key(route, "route") else { continue };
            let route_headers = identity_headers(route);
            let headers = if vhost_headers.is_empty() && route_headers.is_empty() {
                None
            } else {
                Some(top_headers.iter().chain(&vhost_headers).chain(&route_headers).cloned().collect())
            };
            let matches = format!("{host_part}{}", path_match(f(route, "match")));
            for cluster in route_clusters(action) {
                let found = match &cluster {
                    RouteCluster::Name(name) => backends(ctx, name, action.line),
                    RouteCluster::Header(header) => vec![ProxyBackend::plain(
                        BackendTarget::Named(format!("cluster named by request header {header}")),
                        action.line,
                    )],
                };
                for backend in found {
                    listener.routes.push(ProxyRoute {
                        matches: matches.clone(),
                        backend,
                        identity_headers: headers.clone(),
                        line: route.line,
                    });
                }
            }
        }
    }
}

fn path_match(m: &Node) -> String {
    for field in ["prefix", "path", "path_separated_prefix"] {
        if let Some(p) = key(m, field).and_then(Node::string) {
            return p;
        }
    }
    if let Some(re) = key(m, "safe_regex").and_then(|r| key(r, "regex")).and_then(Node::string) {
        return format!("~{re}");
    }
    if let Some(tpl) = key(m, "path_match_policy") {
        let (cfg, _) = typed_config(tpl);
        if let Some(t) = key(cfg, "path_template").and_then(Node::string) {
            return t;
        }
    }
    if key(m, "connect_matcher").is_some() {
        return "CONNECT".into();
    }
    String::new()
}

enum RouteCluster {
    Name(String),
    Header(String),
}

fn route_clusters(action: &Node) -> Vec<RouteCluster> {
    if let Some(c) = key(action, "cluster").and_then(Node::string) {
        return vec![RouteCluster::Name(c)];
    }
    if let Some(w) = key(action, "weighted_clusters") {
        return list(f(w, "clusters"))
            .iter()
            .filter_map(|c| key(c, "name").and_then(Node::string))
            .map(RouteCluster::Name)
            .collect();
    }
    if let Some(h) = key(action, "cluster_header").and_then(Node::string) {
        return vec![RouteCluster::Header(h)];
    }
    if let Some(spec) = key(action, "cluster_specifier_plugin").and_then(Node::string) {
        return vec![RouteCluster::Name(spec)];
    }
    Vec::new()
}

fn tcp_clusters(tcp: &Node) -> Vec<String> {
    if let Some(c) = key(tcp, "cluster").and_then(Node::string) {
        return vec![c];
    }
    list(f(f(tcp, "weighted_clusters"), "clusters")).iter().filter_map(|c| key(c, "name")?.string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Clusters: endpoints and upstream TLS
// ---------------------------------------------------------------------------------------------

/// The backends a cluster name stands for: one per endpoint address, or the name itself when the
/// cluster is not in this document or has no static endpoints (EDS, ORIGINAL_DST, …).
fn backends(ctx: &Ctx<'_>, name: &str, line: u32) -> Vec<ProxyBackend> {
    let Some(cluster) = ctx.clusters.get(name).copied() else {
        return vec![ProxyBackend::plain(BackendTarget::Named(name.into()), line)];
    };
    let upstream = upstream_tls(cluster);
    let make = |target: BackendTarget| ProxyBackend {
        target,
        tls: upstream.is_some(),
        verify_server: upstream.as_ref().map(|u| u.verified),
        client_cert: upstream.as_ref().is_some_and(|u| u.client_cert),
        substitutes_identity: upstream
            .as_ref()
            .filter(|u| u.client_cert)
            .map(|_| "the proxy's own certificate".to_owned()),
        credential: None,
        port_tls: PortTls::Unknown,
        line: upstream.as_ref().map_or(cluster.line, |u| u.line),
    };
    let endpoints = cluster_endpoints(cluster);
    if endpoints.is_empty() {
        return vec![make(BackendTarget::Named(name.into()))];
    }
    endpoints
        .into_iter()
        .map(|(host, port)| {
            // An address written as `user:password@host` keeps no credential in its name.
            let (host, credential) = crate::urls::split_userinfo(&host);
            ProxyBackend { credential, ..make(BackendTarget::Address { host, port }) }
        })
        .collect()
}

fn cluster_endpoints(cluster: &Node) -> Vec<(String, Option<u32>)> {
    let mut out = Vec::new();
    let mut push = |address: &Node| {
        if let Some(sock) = key(address, "socket_address") {
            let host = f(sock, "address").string().unwrap_or_default();
            let port = key(sock, "port_value").and_then(Node::as_i64).and_then(|p| u32::try_from(p).ok());
            if !host.is_empty() && !out.contains(&(host.clone(), port)) {
                out.push((host, port));
            }
        } else if let Some(path) = key(address, "pipe").and_then(|p| key(p, "path")).and_then(Node::string) {
            out.push((path, None));
        }
    };
    for locality in list(f(f(cluster, "load_assignment"), "endpoints")) {
        for lb in list(f(locality, "lb_endpoints")) {
            push(f(f(lb, "endpoint"), "address"));
        }
    }
    // v2 `hosts`.
    for host in list(f(cluster, "hosts")) {
        push(host);
    }
    out
}

struct UpstreamTls {
    verified: bool,
    client_cert: bool,
    line: u32,
}

/// The cluster's `UpstreamTlsContext` facts; None for plaintext. With `transport_socket_matches`,
/// TLS only when every match (and the default socket, if any) is TLS: otherwise some endpoints
/// are reached in plaintext.
fn upstream_tls(cluster: &Node) -> Option<UpstreamTls> {
    let default = key(cluster, "transport_socket")
        .map(|ts| tls_context(ts, "UpstreamTlsContext"))
        .or_else(|| key(cluster, "tls_context").map(Some));
    let matches = list(f(cluster, "transport_socket_matches"));
    let context = if matches.is_empty() {
        default.flatten()?
    } else {
        let contexts: Vec<Option<&Node>> =
            matches.iter().map(|m| tls_context(f(m, "transport_socket"), "UpstreamTlsContext")).collect();
        if contexts.iter().any(Option::is_none) || matches!(default, Some(None)) {
            return None;
        }
        contexts.into_iter().flatten().next()?
    };
    let common = f(context, "common_tls_context");
    let validation = Validation::of(common);
    Some(UpstreamTls {
        verified: validation.verified(),
        client_cert: has_own_certificate(common),
        line: context.line,
    })
}

fn has_own_certificate(common: &Node) -> bool {
    ["tls_certificates", "tls_certificate_sds_secret_configs"].iter().any(|k| !list(f(common, k)).is_empty())
        || ["tls_certificate_provider_instance", "tls_certificate_certificate_provider_instance"]
            .iter()
            .any(|k| key(common, k).is_some())
}

/// The `DownstreamTlsContext` of a filter chain, if its transport socket is TLS.
fn downstream_tls_context(chain: &Node) -> Option<&Node> {
    if let Some(ts) = key(chain, "transport_socket") {
        return tls_context(ts, "DownstreamTlsContext");
    }
    // v2 `tls_context` on the filter chain.
    key(chain, "tls_context")
}

/// The TLS context inside a transport socket (unwrapping sockets that wrap another, such as the
/// PROXY protocol or tap sockets). None when the socket is not TLS.
fn tls_context<'a>(socket: &'a Node, wanted: &str) -> Option<&'a Node> {
    let mut socket = socket;
    for _ in 0..4 {
        let name = f(socket, "name").string().unwrap_or_default();
        let (cfg, ty) = typed_config(socket);
        if ty.ends_with(wanted) || (ty.is_empty() && (name == "envoy.transport_sockets.tls" || name == "tls"))
        {
            return Some(cfg);
        }
        match key(cfg, "transport_socket") {
            Some(inner) => socket = inner,
            None => return None,
        }
    }
    None
}

/// A `CertificateValidationContext`, from `validation_context`, an SDS validation context, or a
/// `combined_validation_context`.
struct Validation<'a> {
    context: Option<&'a Node>,
    from_sds: bool,
}

impl<'a> Validation<'a> {
    fn of(common: &'a Node) -> Validation<'a> {
        if let Some(vc) = key(common, "validation_context") {
            return Validation { context: Some(vc), from_sds: false };
        }
        if let Some(combined) = key(common, "combined_validation_context") {
            let sds = key(combined, "validation_context_sds_secret_config").is_some()
                || key(combined, "validation_context_certificate_provider_instance").is_some();
            return Validation { context: Some(f(combined, "default_validation_context")), from_sds: sds };
        }
        if key(common, "validation_context_sds_secret_config").is_some()
            || key(common, "validation_context_certificate_provider_instance").is_some()
        {
            return Validation { context: Some(&NULL), from_sds: true };
        }
        Validation { context: None, from_sds: false }
    }

    fn present(&self) -> bool {
        self.context.is_some()
    }

    fn field(&self, name: &str) -> Option<&'a Node> {
        self.context.and_then(|c| key(c, name))
    }

    fn has_ca(&self) -> bool {
        self.from_sds
            || self.field("trusted_ca").is_some()
            || self.field("ca_certificate_provider_instance").is_some()
            || self.field("system_root_certs").is_some()
    }

    fn pinned(&self) -> bool {
        ["verify_certificate_spki", "verify_certificate_hash"]
            .iter()
            .any(|k| self.field(k).is_some_and(|v| !v.strings().is_empty()))
    }

    fn san_match(&self) -> bool {
        ["match_typed_subject_alt_names", "match_subject_alt_names"]
            .iter()
            .any(|k| self.field(k).is_some_and(|v| !list(v).is_empty()))
    }

    fn accept_untrusted(&self) -> bool {
        self.field("trust_chain_verification").and_then(Node::string).as_deref() == Some("ACCEPT_UNTRUSTED")
    }

    /// A presented certificate is checked against a CA or a pin and a failure is not let through.
    fn verified(&self) -> bool {
        (self.has_ca() || self.pinned()) && !self.accept_untrusted()
    }
}

/// Client certificates on a TLS-terminating chain.
fn client_cert_mode(context: &Node) -> ClientCertMode {
    let validation = Validation::of(f(context, "common_tls_context"));
    let require = key(context, "require_client_certificate").and_then(bool_value) == Some(true);
    if !validation.present() && !require {
        return ClientCertMode::None;
    }
    let mandatory = require || validation.pinned() || validation.san_match();
    match (mandatory, validation.verified()) {
        (true, true) => ClientCertMode::Required,
        (true, false) => ClientCertMode::Unverified,
        (false, true) => ClientCertMode::Optional,
        (false, false) if validation.has_ca() => ClientCertMode::Unverified,
        (false, false) => ClientCertMode::None,
    }
}

/// A `BoolValue`: `true`, or `{value: true}`.
fn bool_value(node: &Node) -> Option<bool> {
    node.as_bool().or_else(|| node.get("value").and_then(Node::as_bool))
}

fn xfcc_mode(v: &Node) -> Option<XfccMode> {
    if let Some(i) = v.as_i64() {
        return [
            XfccMode::Sanitize,
            XfccMode::ForwardOnly,
            XfccMode::AppendForward,
            XfccMode::SanitizeSet,
            XfccMode::AlwaysForwardOnly,
        ]
        .get(usize::try_from(i).ok()?)
        .copied();
    }
    match v.string()?.to_ascii_uppercase().as_str() {
        "SANITIZE" => Some(XfccMode::Sanitize),
        "FORWARD_ONLY" => Some(XfccMode::ForwardOnly),
        "APPEND_FORWARD" => Some(XfccMode::AppendForward),
        "SANITIZE_SET" => Some(XfccMode::SanitizeSet),
        "ALWAYS_FORWARD_ONLY" => Some(XfccMode::AlwaysForwardOnly),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP filters: JWT, RBAC, ext_authz; identity headers
// ---------------------------------------------------------------------------------------------

/// Per-provider JWT checks of a `JwtAuthentication`, and the headers it sets from verified
/// claims (`claim_to_headers`, `forward_payload_header`).
fn jwt_checks(cfg: &Node, filter_line: u32) -> (Vec<JwtCheck>, Vec<IdentityHeader>) {
    struct Seen {
        referenced: bool,
        relaxed: bool,
        unverified: bool,
    }
    let providers = f(cfg, "providers").entries();
    let mut seen: Vec<Seen> =
        providers.iter().map(|_| Seen { referenced: false, relaxed: false, unverified: false }).collect();
    let mut requirements: Vec<&Node> =
        list(f(cfg, "rules")).iter().filter_map(|r| key(r, "requires")).collect();
    requirements.extend(f(cfg, "requirement_map").entries().iter().map(|(_, r)| r));
    let mut any_extract_only = false;
    for req in requirements {
        let mut names = Vec::new();
        let mut flags = ReqFlags::default();
        walk_requirement(req, &mut names, &mut flags, 0);
        any_extract_only |= flags.extract_only;
        // `allow_missing_or_failed` / `extract_only_without_validation` alone apply to every provider.
        let everyone = names.is_empty() && (flags.allow_missing || flags.extract_only);
        for (i, (pname, _)) in providers.iter().enumerate() {
            if everyone || names.iter().any(|n| n == pname) {
                seen[i].referenced = true;
                seen[i].relaxed |= flags.allow_missing || flags.extract_only;
                seen[i].unverified |= flags.extract_only;
            }
        }
    }
    let mut checks = Vec::new();
    let mut headers = Vec::new();
    for ((_, provider), s) in providers.iter().zip(&seen) {
        let issuer = key(provider, "issuer").and_then(Node::string).filter(|s| !s.is_empty());
        checks.push(JwtCheck {
            issuer,
            audiences: f(provider, "audiences").strings(),
            enforced: s.referenced && !s.relaxed,
            verified: !s.unverified,
            line: provider.line,
        });
        for c in list(f(provider, "claim_to_headers")) {
            if let Some(name) = key(c, "header_name").and_then(Node::string) {
                headers.push(IdentityHeader {
                    name,
                    action: HeaderAction::Set { from_client_cert: false },
                    line: c.line,
                });
            }
        }
        if let Some(h) = key(provider, "forward_payload_header")
            && let Some(name) = h.string()
        {
            headers.push(IdentityHeader {
                name,
                action: HeaderAction::Set { from_client_cert: false },
                line: h.line,
            });
        }
    }
    if providers.is_empty() && any_extract_only {
        checks.push(JwtCheck {
            issuer: None,
            audiences: vec![],
            enforced: false,
            verified: false,
            line: filter_line,
        });
    }
    (checks, headers)
}

#[derive(Default)]
struct ReqFlags {
    allow_missing: bool,
    extract_only: bool,
}

fn walk_requirement(req: &Node, names: &mut Vec<String>, flags: &mut ReqFlags, depth: usize) {
    if depth > 16 {
        return;
    }
    if let Some(p) = key(req, "provider_name").and_then(Node::string) {
        names.push(p);
    }
    if let Some(p) =
        key(req, "provider_and_audiences").and_then(|p| key(p, "provider_name")).and_then(Node::string)
    {
        names.push(p);
    }
    if key(req, "allow_missing_or_failed").is_some() || key(req, "allow_missing").is_some() {
        flags.allow_missing = true;
    }
    if key(req, "extract_only_without_validation").is_some() {
        flags.extract_only = true;
    }
    for combo in ["requires_any", "requires_all"] {
        for r in list(f(f(req, combo), "requirements")) {
            walk_requirement(r, names, flags, depth + 1);
        }
    }
}

/// A description of an RBAC or ext_authz filter (HTTP or network); None for other filters.
fn authz_description(name: &str, ty: &str, cfg: &Node) -> Option<String> {
    let label = if name.is_empty() { ty.rsplit('.').next().unwrap_or(ty) } else { name };
    if name.ends_with(".rbac") || name == "rbac" || ty.ends_with(".RBAC") {
        if let Some(rules) = key(cfg, "rules") {
            let action = f(rules, "action").string().unwrap_or_else(|| "ALLOW".into());
            let policies: Vec<&str> =
                f(rules, "policies").entries().iter().map(|(k, _)| k.as_str()).collect();
            return Some(format!("{label}: {action} policies [{}]", policies.join(", ")));
        }
        if key(cfg, "matcher").is_some() {
            return Some(format!("{label}: matcher"));
        }
        if key(cfg, "shadow_rules").is_some() || key(cfg, "shadow_matcher").is_some() {
            return Some(format!("{label}: shadow rules only (not enforced)"));
        }
        return Some(format!("{label}: no rules (every request allowed)"));
    }
    if name.contains("ext_authz") || ty.ends_with(".ExtAuthz") {
        let mut text = if let Some(http) = key(cfg, "http_service") {
            let cluster = f(f(http, "server_uri"), "cluster").string().unwrap_or_default();
            let mut t = format!("{label}: HTTP service via cluster {cluster}");
            let allowed: Vec<String> =
                list(f(f(f(http, "authorization_response"), "allowed_upstream_headers"), "patterns"))
                    .iter()
                    .filter_map(|p| key(p, "exact").or_else(|| key(p, "prefix")).and_then(Node::string))
                    .collect();
            if !allowed.is_empty() {
                t.push_str(&format!(" (upstream headers from the service: {})", allowed.join(", ")));
            }
            t
        } else if let Some(grpc) = key(cfg, "grpc_service") {
            let cluster = key(grpc, "envoy_grpc")
                .and_then(|e| key(e, "cluster_name"))
                .or_else(|| key(grpc, "google_grpc").and_then(|g| key(g, "target_uri")))
                .and_then(Node::string)
                .map(|target| crate::urls::strip_userinfo(&target))
                .unwrap_or_default();
            format!("{label}: gRPC service via {cluster}")
        } else {
            format!("{label}: external authorization")
        };
        if key(cfg, "failure_mode_allow").and_then(Node::as_bool) == Some(true) {
            text.push_str("; failure_mode_allow: requests pass when the service fails");
        }
        return Some(text);
    }
    None
}

/// `request_headers_to_add` / `request_headers_to_remove` of a route configuration, virtual host
/// or route, for identity headers.
fn identity_headers(node: &Node) -> Vec<IdentityHeader> {
    let mut out = Vec::new();
    for h in list(f(node, "request_headers_to_add")) {
        let header = f(h, "header");
        let Some(name) = key(header, "key").and_then(Node::string) else { continue };
        if !identity_name(&name) {
            continue;
        }
        let value = f(header, "value").string().unwrap_or_default();
        let from_client_cert = value.contains("%DOWNSTREAM_PEER_");
        // `%REQ(name)%` copies a request header, which the client may have sent itself: as
        // nginx's `$http_…` and HAProxy's `req.hdr(…)`.
        let from_request = value.contains("%REQ(");
        let action = match key(h, "append_action").and_then(Node::string).as_deref() {
            _ if from_request => HeaderAction::PassThrough,
            Some("OVERWRITE_IF_EXISTS_OR_ADD" | "OVERWRITE_IF_EXISTS") => {
                HeaderAction::Set { from_client_cert }
            }
            Some("ADD_IF_ABSENT") => HeaderAction::Append,
            Some(_) => HeaderAction::Append,
            // The deprecated `append` defaults to true.
            None => match key(h, "append").and_then(bool_value) {
                Some(false) => HeaderAction::Set { from_client_cert },
                _ => HeaderAction::Append,
            },
        };
        out.push(IdentityHeader { name, action, line: h.line });
    }
    for h in list(f(node, "request_headers_to_remove")) {
        if let Some(name) = h.string().filter(|n| identity_name(n)) {
            out.push(IdentityHeader { name, action: HeaderAction::Remove, line: h.line });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Node helpers
// ---------------------------------------------------------------------------------------------

/// The child at a snake_case key, or at its lowerCamelCase form (proto JSON mapping).
fn key<'a>(node: &'a Node, snake: &str) -> Option<&'a Node> {
    node.get(snake).or_else(|| {
        if !snake.contains('_') {
            return None;
        }
        let mut camel = String::with_capacity(snake.len());
        let mut upper = false;
        for c in snake.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                camel.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                camel.push(c);
            }
        }
        node.get(&camel)
    })
}

/// [`key`], or a null node.
fn f<'a>(node: &'a Node, snake: &str) -> &'a Node {
    key(node, snake).unwrap_or(&NULL)
}

/// A repeated field: the items of a sequence, or a lone mapping written where a list belongs.
fn list(node: &Node) -> &[Node] {
    match &node.value {
        Value::Seq(items) => items,
        Value::Map(_) => std::slice::from_ref(node),
        _ => &[],
    }
}

fn type_of(node: &Node) -> Option<String> {
    node.get("@type").and_then(Node::string)
}

/// A filter's typed configuration and its type URL (unwrapping `TypedStruct`; v2 `config`).
fn typed_config(filter: &Node) -> (&Node, String) {
    let cfg = key(filter, "typed_config").or_else(|| key(filter, "config")).unwrap_or(&NULL);
    let ty = type_of(cfg).unwrap_or_default();
    if ty.ends_with("TypedStruct") {
        let inner = f(cfg, "type_url").string().unwrap_or_default();
        return (f(cfg, "value"), inner);
    }
    (cfg, ty)
}

/// A filter's name and type URL.
fn filter_ident(filter: &Node) -> (String, String) {
    (f(filter, "name").string().unwrap_or_default(), typed_config(filter).1)
}

#[cfg(test)]
mod tests;
