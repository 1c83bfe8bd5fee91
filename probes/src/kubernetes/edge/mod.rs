//! Kubernetes edge objects: Ingress, Gateway API, Istio Gateway and VirtualService, and Services
//! of type LoadBalancer, read into [`Proxy`] items.
//!
//! An Ingress is self-contained and becomes a Proxy as soon as it is read. Gateway API Gateways
//! and their routes, and Istio Gateways and their VirtualServices, arrive as separate documents,
//! often in different files: they are collected as [`EdgeItems`] and joined by [`join`] once
//! every file is read. Services of type LoadBalancer are read by the core reader (they are
//! Services first); [`service_load_balancer`] adds the load balancer in front of them.
//!
//! Defaults follow STANDARDS.md §4.5 (Istio Gateway tls modes; an omitted mode is the proto's
//! zero value, PASSTHROUGH), §4.8 (Istio gateways SANITIZE_SET the XFCC header), §7.3
//! (ingress-nginx annotations), §7.4 (Gateway API) and §8.1 (AWS load balancers never verify
//! target certificates).

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::common::{label_selector, string_map};
use crate::inventory::{
    BackendRef, BackendTarget, BackendTlsPolicyItem, ClientCertMode, Diagnostic, EdgeItems, GatewayItem,
    GatewayListenerItem, HeaderAction, IdentityHeader, Inventory, IstioGatewayItem, IstioServerItem,
    ListenerTls, Namespace, ObjectMeta, ParentRef, PortTls, Proxy, ProxyBackend, ProxyKind, ProxyListener,
    ProxyRoute, RawInventory, ReferenceGrantItem, RouteItem, RouteRule, Service, Source, StringMap,
    VirtualServiceItem, VsMatch, VsRoute, VsRouteKind, XfccMode,
};
use crate::yaml::{self, Node};

const NGINX: &str = "nginx.ingress.kubernetes.io/";
const ALB: &str = "alb.ingress.kubernetes.io/";
const AWS_SERVICE: &str = "service.beta.kubernetes.io/";
const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
const ISTIO_GROUP: &str = "networking.istio.io";

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

fn group(meta: &ObjectMeta) -> &str {
    meta.api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// True for the kinds this module reads.
pub(crate) fn handles(meta: &ObjectMeta) -> bool {
    matches!(
        (group(meta), meta.kind.as_str()),
        ("networking.k8s.io" | "extensions", "Ingress")
            | (
                GATEWAY_GROUP,
                "Gateway"
                    | "HTTPRoute"
                    | "GRPCRoute"
                    | "TLSRoute"
                    | "TCPRoute"
                    | "UDPRoute"
                    | "BackendTLSPolicy"
                    | "ReferenceGrant"
            )
            | (ISTIO_GROUP, "Gateway" | "VirtualService")
    )
}

/// Reads one object; false when the kind is not one of this module's.
pub(crate) fn read(node: &Node, meta: &ObjectMeta, inventory: &mut RawInventory) -> bool {
    if !handles(meta) {
        return false;
    }
    let items = &mut inventory.edge_items;
    match (group(meta), meta.kind.as_str()) {
        (_, "Ingress") => {
            let proxy = ingress(node, meta, &mut inventory.diagnostics);
            inventory.proxies.push(proxy);
        }
        (ISTIO_GROUP, "Gateway") => items.istio_gateways.push(istio_gateway(node, meta)),
        (ISTIO_GROUP, _) => items.virtual_services.push(virtual_service(node, meta)),
        (_, "Gateway") => items.gateways.push(gateway(node, meta)),
        (_, "BackendTLSPolicy") => items.backend_tls_policies.push(backend_tls_policy(node, meta)),
        (_, "ReferenceGrant") => items.reference_grants.push(reference_grant(node, meta)),
        _ => items.routes.push(route(node, meta)),
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn port_of(node: &Node) -> Option<u32> {
    node.as_i64().and_then(|p| u32::try_from(p).ok())
}

fn new_listener(
    name: String,
    port: Option<u32>,
    hosts: Vec<String>,
    tls: ListenerTls,
    line: u32,
) -> ProxyListener {
    ProxyListener::new(name, port, hosts, tls, line)
}

fn new_proxy(kind: ProxyKind, meta: &ObjectMeta) -> Proxy {
    Proxy {
        kind,
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        source: meta.source.clone(),
        runs_on: None,
        listeners: Vec::new(),
        attrs: StringMap::new(),
        credentials: Vec::new(),
    }
}

/// How a proxy reaches its backends (the same for every route of an Ingress or LB).
#[derive(Clone, Debug, Default)]
struct BackendTls {
    tls: bool,
    verify_server: Option<bool>,
    client_cert: bool,
    substitutes_identity: Option<String>,
}

impl BackendTls {
    fn backend(&self, target: BackendTarget, line: u32) -> ProxyBackend {
        ProxyBackend {
            target,
            tls: self.tls,
            verify_server: self.verify_server,
            client_cert: self.client_cert,
            substitutes_identity: self.substitutes_identity.clone(),
            credential: None,
            port_tls: PortTls::Unknown,
            line,
        }
    }
}

/// Line of an annotation, or of the object when absent.
fn annotation_line(node: &Node, meta: &ObjectMeta, key: &str) -> u32 {
    node.at(&["metadata", "annotations", key]).map_or(meta.source.line, |n| n.line)
}

/// Does a host pattern (`*`, `*.example.com`, `foo.example.com`) cover a host name?
fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern == "*" || pattern.is_empty() {
        return true;
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return host.len() > suffix.len()
            && host.to_ascii_lowercase().ends_with(&suffix.to_ascii_lowercase());
    }
    pattern.eq_ignore_ascii_case(host)
}

/// Do two host patterns have a host in common?
fn hosts_intersect(a: &str, b: &str) -> bool {
    if a == "*" || b == "*" || a.is_empty() || b.is_empty() {
        return true;
    }
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(sa), Some(sb)) => {
            let (sa, sb) = (sa.to_ascii_lowercase(), sb.to_ascii_lowercase());
            sa.ends_with(&sb) || sb.ends_with(&sa)
        }
        _ => host_matches(a, b) || host_matches(b, a),
    }
}

/// Lists of hosts intersect; an empty list means any host.
fn host_lists_intersect(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|x| b.iter().any(|y| hosts_intersect(x, y)))
}

/// Of several definitions of one name (a corpus or a multi-environment repository can hold the
/// same Gateway twice), the ones closest to the referring object: same file, else same
/// directory, else all.
fn closest<'a>(
    candidates: &'a [usize],
    source_of: impl Fn(usize) -> &'a Source,
    from: &Source,
) -> Vec<usize> {
    if candidates.len() <= 1 {
        return candidates.to_vec();
    }
    let same_file: Vec<usize> =
        candidates.iter().copied().filter(|&i| source_of(i).file == from.file).collect();
    if !same_file.is_empty() {
        return same_file;
    }
    let dir = |f: &str| f.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
    let from_dir = dir(&from.file);
    let same_dir: Vec<usize> =
        candidates.iter().copied().filter(|&i| dir(&source_of(i).file) == from_dir).collect();
    if same_dir.is_empty() { candidates.to_vec() } else { same_dir }
}

/// Parses a JSON (or YAML flow) annotation value.
fn parse_annotation(text: &str) -> Result<Node, String> {
    match yaml::parse_documents(text).into_iter().next() {
        Some(Ok(node)) => Ok(node),
        Some(Err(e)) => Err(e.reason),
        None => Err("empty value".to_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Ingress
// ---------------------------------------------------------------------------------------------

/// One path of an Ingress rule (or the default backend, with `host` None and path `*`).
struct IngressPath {
    host: Option<String>,
    default: bool,
    matches: String,
    target: BackendTarget,
    line: u32,
}

fn ingress_backend(backend: &Node, namespace: &str, alb: bool) -> Option<BackendTarget> {
    if let Some(service) = backend.get("service") {
        let name = service.field("name").string()?;
        let port = service.field("port");
        let port = port.field("number").string().or_else(|| port.field("name").string());
        if alb && port.as_deref() == Some("use-annotation") {
            return Some(BackendTarget::Named(format!("ALB action {name}")));
        }
        return Some(BackendTarget::Service { namespace: namespace.to_owned(), name, port });
    }
    if let Some(name) = backend.field("serviceName").string() {
        let port = backend.field("servicePort").string();
        if alb && port.as_deref() == Some("use-annotation") {
            return Some(BackendTarget::Named(format!("ALB action {name}")));
        }
        return Some(BackendTarget::Service { namespace: namespace.to_owned(), name, port });
    }
    let resource = backend.get("resource")?;
    let kind = resource.field("kind").string().unwrap_or_default();
    let name = resource.field("name").string().unwrap_or_default();
    Some(BackendTarget::Named(format!("{kind}/{name}")))
}

fn ingress_paths(spec: &Node, namespace: &str, alb: bool) -> Vec<IngressPath> {
    let mut out = Vec::new();
    for rule in spec.field("rules").items() {
        let host = rule.field("host").string().filter(|h| !h.is_empty());
        for path in rule.at(&["http", "paths"]).map(Node::items).unwrap_or_default() {
            let Some(target) = ingress_backend(path.field("backend"), namespace, alb) else { continue };
            let p = path.field("path").string().unwrap_or_else(|| "/".to_owned());
            out.push(IngressPath {
                matches: format!("{}{p}", host.as_deref().unwrap_or("*")),
                host: host.clone(),
                default: false,
                target,
                line: path.line,
            });
        }
    }
    let default = spec.get("defaultBackend").or_else(|| spec.get("backend"));
    if let Some(target) = default.and_then(|d| ingress_backend(d, namespace, alb)) {
        out.push(IngressPath {
            host: None,
            default: true,
            matches: "* (default backend)".to_owned(),
            target,
            line: default.map_or(spec.line, |d| d.line),
        });
    }
    out
}

fn ingress(node: &Node, meta: &ObjectMeta, diagnostics: &mut Vec<Diagnostic>) -> Proxy {
    let spec = node.field("spec");
    let ann = &meta.annotations;
    let class =
        spec.field("ingressClassName").string().or_else(|| ann.get("kubernetes.io/ingress.class").cloned());
    let has_prefix = |prefix: &str| ann.keys().any(|k| k.starts_with(prefix));
    let kind = match class.as_deref() {
        Some("nginx") => ProxyKind::IngressNginx,
        Some("alb") => ProxyKind::IngressAlb,
        _ if has_prefix(NGINX) => ProxyKind::IngressNginx,
        _ if has_prefix(ALB) => ProxyKind::IngressAlb,
        _ => ProxyKind::Ingress,
    };
    let mut proxy = new_proxy(kind, meta);
    if let Some(class) = &class {
        proxy.attrs.insert("class".to_owned(), class.clone());
    }
    let paths = ingress_paths(spec, meta.ns(), kind == ProxyKind::IngressAlb);
    match kind {
        ProxyKind::IngressAlb => alb_ingress(node, meta, &paths, &mut proxy, diagnostics),
        _ => host_ingress(node, meta, &paths, kind == ProxyKind::IngressNginx, &mut proxy),
    }
    proxy
}

/// The ingress-nginx identity headers (`ssl-client-*`) and what the controller does with them.
fn nginx_identity_headers(ca_configured: bool, pass_certificate: bool, line: u32) -> Vec<IdentityHeader> {
    let set = HeaderAction::Set { from_client_cert: true };
    let header = |name: &str, action: HeaderAction| IdentityHeader { name: name.to_owned(), action, line };
    let mut headers = Vec::new();
    for name in ["ssl-client-subject-dn", "ssl-client-issuer-dn", "ssl-client-verify"] {
        headers.push(header(name, if ca_configured { set.clone() } else { HeaderAction::PassThrough }));
    }
    // `ssl-client-cert` is only written with auth-tls-pass-certificate-to-upstream; otherwise a
    // client-supplied one goes through.
    let cert_action = if ca_configured && pass_certificate { set } else { HeaderAction::PassThrough };
    headers.push(header("ssl-client-cert", cert_action));
    headers
}

/// ingress-nginx and Ingresses of other host-routing controllers: one TLS listener per `tls`
/// entry, a plaintext listener for the rules no TLS entry covers.
fn host_ingress(node: &Node, meta: &ObjectMeta, paths: &[IngressPath], nginx: bool, proxy: &mut Proxy) {
    let spec = node.field("spec");
    let ann = |key: &str| {
        if nginx { meta.annotations.get(&format!("{NGINX}{key}")).map(String::as_str) } else { None }
    };
    let ann_line = |key: &str| annotation_line(node, meta, &format!("{NGINX}{key}"));
    let tls_items = spec.field("tls").items();

    if ann("ssl-passthrough") == Some("true") {
        // L4: the controller forwards the TLS stream by SNI; every other annotation is ignored.
        proxy
            .attrs
            .insert("ssl-passthrough".to_owned(), "true (all other annotations are ignored)".to_owned());
        let mut hosts = BTreeSet::new();
        for p in paths {
            hosts.insert(p.host.clone().unwrap_or_else(|| "*".to_owned()));
        }
        for t in tls_items {
            hosts.extend(t.field("hosts").strings());
        }
        let mut l = new_listener(
            "ssl-passthrough".to_owned(),
            Some(443),
            hosts.into_iter().collect(),
            ListenerTls::Passthrough,
            ann_line("ssl-passthrough"),
        );
        let plain = BackendTls::default();
        for p in paths {
            l.routes.push(route_to(p.matches.clone(), plain.backend(p.target.clone(), p.line), p.line));
        }
        proxy.listeners.push(l);
        return;
    }

    // Client certificates (per host: every TLS listener of this Ingress).
    let auth_secret = ann("auth-tls-secret").filter(|s| !s.is_empty());
    let client_cert = match (auth_secret, ann("auth-tls-verify-client").unwrap_or("on")) {
        (None, _) => ClientCertMode::None,
        (Some(_), "optional") => ClientCertMode::Optional,
        (Some(_), "optional_no_ca") => ClientCertMode::Unverified,
        (Some(_), "off") => ClientCertMode::None,
        (Some(_), _) => ClientCertMode::Required,
    };
    let pass_cert = ann("auth-tls-pass-certificate-to-upstream") == Some("true");
    let headers_line = if auth_secret.is_some() { ann_line("auth-tls-secret") } else { meta.source.line };

    // Backends.
    let protocol = ann("backend-protocol").unwrap_or("HTTP").to_ascii_uppercase();
    let proxy_ssl_secret = ann("proxy-ssl-secret").filter(|s| !s.is_empty());
    let backend = if matches!(protocol.as_str(), "HTTPS" | "GRPCS") {
        // proxy-ssl-* settings are read only together with proxy-ssl-secret; verify defaults off.
        let verify = proxy_ssl_secret.is_some() && ann("proxy-ssl-verify") == Some("on");
        BackendTls {
            tls: true,
            verify_server: Some(verify),
            client_cert: proxy_ssl_secret.is_some(),
            substitutes_identity: proxy_ssl_secret
                .map(|s| format!("the ingress controller's client certificate (proxy-ssl-secret {s})")),
        }
    } else {
        BackendTls::default()
    };

    // Authentication at the controller.
    let mut authz = Vec::new();
    if let Some(url) = ann("auth-url") {
        // A `user:password@` in it is a credential the controller sends to the auth service.
        let (url, credential) = crate::urls::split_userinfo(url);
        if let Some(credential) = credential {
            proxy.credentials.push(crate::inventory::ProxyCredential {
                peer: crate::urls::authority(&url).to_owned(),
                credential,
                line: annotation_line(node, meta, &format!("{NGINX}auth-url")),
                file: None,
            });
        }
        authz.push(format!("ingress-nginx external authentication (auth-url {url})"));
    }
    if let Some(kind) = ann("auth-type") {
        authz.push(format!("ingress-nginx {kind} authentication (auth-secret)"));
    }

    if nginx {
        for key in [
            "backend-protocol",
            "auth-tls-secret",
            "auth-tls-verify-client",
            "auth-tls-verify-depth",
            "auth-tls-pass-certificate-to-upstream",
            "auth-tls-match-cn",
            "proxy-ssl-secret",
            "proxy-ssl-verify",
            "proxy-ssl-name",
            "ssl-redirect",
            "force-ssl-redirect",
        ] {
            if let Some(v) = ann(key) {
                proxy.attrs.insert(key.to_owned(), v.to_owned());
            }
        }
        let snippets: Vec<&str> = ["configuration-snippet", "server-snippet", "auth-snippet"]
            .into_iter()
            .filter(|k| ann(k).is_some())
            .collect();
        if !snippets.is_empty() {
            let sets_headers = snippets.iter().any(|k| {
                ann(k).is_some_and(|s| {
                    s.contains("proxy_set_header")
                        || s.contains("more_set_input_headers")
                        || s.contains("more_clear_input_headers")
                })
            });
            proxy.attrs.insert(
                "snippets".to_owned(),
                format!(
                    "{} (nginx configuration injected by the Ingress; {})",
                    snippets.join(", "),
                    if sets_headers { "sets request headers" } else { "can rewrite request headers" }
                ),
            );
        }
    } else {
        proxy.attrs.insert(
            "controller".to_owned(),
            "not modelled: TLS and header handling of this class are unknown".to_owned(),
        );
    }

    // TLS listeners, one per `tls` entry; a rule goes to the first entry covering its host.
    let covers = |t: &Node, host: &Option<String>| {
        let hosts = t.field("hosts").strings();
        match host {
            Some(h) => hosts.iter().any(|p| host_matches(p, h)),
            None => hosts.is_empty(),
        }
    };
    let mut covered = vec![false; paths.len()];
    for (i, t) in tls_items.iter().enumerate() {
        let name = t.field("secretName").string().unwrap_or_else(|| format!("tls-{i}"));
        let hosts = t.field("hosts").strings();
        let hosts = if hosts.is_empty() { vec!["*".to_owned()] } else { hosts };
        let mut l = new_listener(name, Some(443), hosts, ListenerTls::Terminate, t.line);
        l.client_cert = client_cert;
        if nginx {
            let line = if auth_secret.is_some() { headers_line } else { t.line };
            l.identity_headers = nginx_identity_headers(auth_secret.is_some(), pass_cert, line);
        }
        l.authz.clone_from(&authz);
        for (j, p) in paths.iter().enumerate() {
            if !covered[j] && !p.default && covers(t, &p.host) {
                covered[j] = true;
                l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
            }
        }
        proxy.listeners.push(l);
    }
    // The default backend also serves the TLS listeners (and plain HTTP, below).
    for p in paths.iter().filter(|p| p.default) {
        for l in &mut proxy.listeners {
            l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
        }
    }

    // Plain HTTP on port 80: rules no TLS entry covers; with TLS, ingress-nginx redirects the
    // covered hosts to HTTPS unless ssl-redirect is "false".
    let redirect_off =
        nginx && ann("ssl-redirect") == Some("false") && ann("force-ssl-redirect") != Some("true");
    if !tls_items.is_empty() && nginx && !redirect_off {
        proxy.attrs.entry("ssl-redirect".to_owned()).or_insert_with(|| "true (default with TLS)".to_owned());
    }
    let plain: Vec<&IngressPath> =
        paths.iter().zip(&covered).filter(|(_, c)| !**c || redirect_off).map(|(p, _)| p).collect();
    if !plain.is_empty() {
        let mut hosts = BTreeSet::new();
        for p in &plain {
            hosts.insert(p.host.clone().unwrap_or_else(|| "*".to_owned()));
        }
        let line = plain[0].line;
        let line = spec.field("rules").items().first().map_or(line, |r| r.line.min(line));
        let mut l = new_listener(
            "http".to_owned(),
            Some(80),
            hosts.into_iter().collect(),
            ListenerTls::Plaintext,
            line,
        );
        if nginx {
            // The ssl-client-* headers are written on the whole server block when a CA is set.
            l.identity_headers = nginx_identity_headers(
                auth_secret.is_some(),
                pass_cert,
                if auth_secret.is_some() { headers_line } else { line },
            );
        }
        l.authz = authz;
        for p in plain {
            l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
        }
        proxy.listeners.push(l);
    }
}

fn route_to(matches: String, backend: ProxyBackend, line: u32) -> ProxyRoute {
    ProxyRoute { matches, backend, identity_headers: None, line }
}

/// An Ingress served by the AWS Load Balancer Controller: an ALB with listeners from
/// `listen-ports`.
fn alb_ingress(
    node: &Node,
    meta: &ObjectMeta,
    paths: &[IngressPath],
    proxy: &mut Proxy,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let ann = |key: &str| meta.annotations.get(&format!("{ALB}{key}")).map(String::as_str);
    let ann_line = |key: &str| annotation_line(node, meta, &format!("{ALB}{key}"));
    let mut bad = |key: &str, reason: String| {
        diagnostics.push(Diagnostic {
            source: meta.source.at(ann_line(key)),
            reason: format!("{ALB}{key}: {reason}"),
        });
    };
    for key in [
        "scheme",
        "target-type",
        "listen-ports",
        "certificate-arn",
        "ssl-redirect",
        "backend-protocol",
        "backend-protocol-version",
        "group.name",
        "mutual-authentication",
        "auth-type",
        "ssl-policy",
    ] {
        if let Some(v) = ann(key) {
            proxy.attrs.insert(key.to_owned(), v.to_owned());
        }
    }

    // Listeners: listen-ports, defaulting to HTTPS:443 with a certificate, else HTTP:80.
    let mut ports: Vec<(String, u32)> = Vec::new();
    if let Some(text) = ann("listen-ports") {
        match parse_annotation(text) {
            Ok(list) if list.is_seq() => {
                for item in list.items() {
                    for (proto, port) in item.entries() {
                        match port_of(port) {
                            Some(p) => ports.push((proto.to_ascii_uppercase(), p)),
                            // The protocol is named only when it is one: the key may be anything.
                            None if ["HTTP", "HTTPS"].contains(&proto.to_ascii_uppercase().as_str()) => {
                                bad("listen-ports", format!("the port of {proto} is not a number"));
                            }
                            None => bad("listen-ports", "a port is not a number".to_owned()),
                        }
                    }
                }
            }
            Ok(_) => bad("listen-ports", "expected a JSON list such as [{\"HTTPS\": 443}]".to_owned()),
            Err(e) => bad("listen-ports", format!("not valid JSON: {e}")),
        }
    }
    if ports.is_empty() {
        ports.push(if ann("certificate-arn").is_some() {
            ("HTTPS".to_owned(), 443)
        } else {
            ("HTTP".to_owned(), 80)
        });
    }

    // Mutual TLS per port: off (default) | passthrough | verify.
    let mut mtls: HashMap<u32, String> = HashMap::new();
    if let Some(text) = ann("mutual-authentication") {
        match parse_annotation(text) {
            Ok(list) => {
                for item in list.items() {
                    if let Some(port) = port_of(item.field("port")) {
                        mtls.insert(
                            port,
                            item.field("mode").string().unwrap_or_default().to_ascii_lowercase(),
                        );
                    }
                }
            }
            Err(e) => bad("mutual-authentication", format!("not valid JSON: {e}")),
        }
    }

    let backend = if ann("backend-protocol").is_some_and(|p| p.eq_ignore_ascii_case("HTTPS")) {
        // ALB target groups never validate target certificates (STANDARDS.md §8.1).
        BackendTls { tls: true, verify_server: Some(false), ..BackendTls::default() }
    } else {
        BackendTls::default()
    };
    let mut hosts = BTreeSet::new();
    for p in paths {
        hosts.insert(p.host.clone().unwrap_or_else(|| "*".to_owned()));
    }
    let hosts: Vec<String> =
        if hosts.is_empty() { vec!["*".to_owned()] } else { hosts.into_iter().collect() };
    let listen_line = if ann("listen-ports").is_some() { ann_line("listen-ports") } else { meta.source.line };
    let redirect = ann("ssl-redirect").is_some();
    for (proto, port) in ports {
        let https = proto == "HTTPS";
        let tls = if https { ListenerTls::Terminate } else { ListenerTls::Plaintext };
        let mut l = new_listener(format!("{proto}:{port}"), Some(port), hosts.clone(), tls, listen_line);
        if https {
            let header = |name: &str| IdentityHeader {
                name: name.to_owned(),
                action: HeaderAction::Set { from_client_cert: true },
                line: ann_line("mutual-authentication"),
            };
            match mtls.get(&port).map(String::as_str) {
                Some("verify") => {
                    l.client_cert = ClientCertMode::Required;
                    for name in [
                        "X-Amzn-Mtls-Clientcert-Serial-Number",
                        "X-Amzn-Mtls-Clientcert-Issuer",
                        "X-Amzn-Mtls-Clientcert-Subject",
                        "X-Amzn-Mtls-Clientcert-Validity",
                        "X-Amzn-Mtls-Clientcert-Leaf",
                    ] {
                        l.identity_headers.push(header(name));
                    }
                }
                Some("passthrough") => {
                    // The ALB forwards whatever chain was presented, unverified.
                    l.client_cert = ClientCertMode::Unverified;
                    l.identity_headers.push(header("X-Amzn-Mtls-Clientcert"));
                }
                _ => {}
            }
            if let Some(kind) = ann("auth-type").filter(|k| *k != "none") {
                l.authz.push(format!("ALB user authentication (auth-type {kind})"));
            }
        }
        // With ssl-redirect the HTTP listener only redirects.
        if https || !redirect {
            for p in paths {
                l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
            }
        }
        proxy.listeners.push(l);
    }
}

// ---------------------------------------------------------------------------------------------
// Service type LoadBalancer
// ---------------------------------------------------------------------------------------------

/// Adds the load balancer in front of a Service of type LoadBalancer (does nothing for other
/// Services). Called by the core reader, which still reads the object as a Service.
pub fn service_load_balancer(node: &Node, meta: &ObjectMeta, inventory: &mut Inventory) {
    if let Some(proxy) = load_balancer(node, meta) {
        inventory.proxies.push(proxy);
    }
}

fn load_balancer(node: &Node, meta: &ObjectMeta) -> Option<Proxy> {
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
            // AWS load balancers never validate target certificates (STANDARDS.md §8.1).
            BackendTls { tls: true, verify_server: Some(false), ..BackendTls::default() }
        } else {
            BackendTls::default()
        };
        let listener_name = if name.is_empty() { port.to_string() } else { name };
        let mut l = new_listener(listener_name, Some(port), Vec::new(), tls, port_node.line);
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
    Some(proxy)
}

// ---------------------------------------------------------------------------------------------
// Gateway API
// ---------------------------------------------------------------------------------------------

/// Client-certificate mode from a frontend `validation` block: AllowValidOnly (default) or
/// AllowInsecureFallback.
fn frontend_mode(validation: Option<&Node>) -> Option<ClientCertMode> {
    let v = validation.filter(|v| v.is_map())?;
    Some(match v.field("mode").string().as_deref() {
        Some("AllowInsecureFallback") => ClientCertMode::Optional,
        _ => ClientCertMode::Required,
    })
}

fn gateway(node: &Node, meta: &ObjectMeta) -> GatewayItem {
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
        let mut listener = new_listener(name, port, hostname.iter().cloned().collect(), tls, l.line);
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
            allowed_selector: namespaces.get("selector").map(label_selector),
            allowed_kinds: allowed
                .field("kinds")
                .items()
                .iter()
                .filter_map(|k| k.field("kind").string())
                .collect(),
        });
    }
    GatewayItem { proxy, listeners, backend_client_cert }
}

fn route(node: &Node, meta: &ObjectMeta) -> RouteItem {
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

fn backend_tls_policy(node: &Node, meta: &ObjectMeta) -> BackendTlsPolicyItem {
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

fn reference_grant(node: &Node, meta: &ObjectMeta) -> ReferenceGrantItem {
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
fn default_route_kinds(protocol: &str, tls: ListenerTls) -> &'static [&'static str] {
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
fn namespace_labels(namespaces: &[Namespace]) -> HashMap<&str, StringMap> {
    namespaces
        .iter()
        .map(|n| {
            let mut labels = n.meta.labels.clone();
            labels.insert("kubernetes.io/metadata.name".to_owned(), n.meta.name.clone());
            (n.meta.name.as_str(), labels)
        })
        .collect()
}

/// Joins Gateways, routes and BackendTLSPolicies, and Istio Gateways and VirtualServices, into
/// proxies (from `crate::finish`, once every file is read).
pub(crate) fn join(items: &EdgeItems, inventory: &mut Inventory) {
    let mut proxies = assemble_gateways(items, &inventory.namespaces, &inventory.services);
    proxies.extend(assemble_istio(items, &inventory.namespaces, &inventory.services));
    inventory.proxies.extend(proxies);
}

fn assemble_gateways(items: &EdgeItems, namespaces: &[Namespace], services: &[Service]) -> Vec<Proxy> {
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
                                    let entry = proxies[gi].attrs.entry(key).or_default();
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
fn gateway_backend(
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

// ---------------------------------------------------------------------------------------------
// Istio Gateway and VirtualService
// ---------------------------------------------------------------------------------------------

/// Protocols Istio serves as HTTP (their servers ignore `tls` except `httpsRedirect`).
fn istio_http_protocol(protocol: &str) -> bool {
    matches!(protocol, "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" | "HTTP_PROXY")
}

fn istio_gateway(node: &Node, meta: &ObjectMeta) -> IstioGatewayItem {
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
        let mut l = new_listener(name, port, line_hosts, tls, s.line);
        l.client_cert = client_cert;
        // Istio gateways SANITIZE_SET the XFCC header by default (STANDARDS.md §4.8).
        l.xfcc = Some(XfccMode::SanitizeSet);
        proxy.listeners.push(l);
        let auto_passthrough = !istio_http_protocol(&protocol) && mode.as_deref() == Some("AUTO_PASSTHROUGH");
        servers.push(IstioServerItem { protocol, hosts, https_redirect, auto_passthrough });
    }
    IstioGatewayItem { proxy, servers }
}

fn virtual_service(node: &Node, meta: &ObjectMeta) -> VirtualServiceItem {
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
fn istio_gateway_ref(entry: &str, vs_namespace: &str) -> Option<(String, String)> {
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
fn istio_destination(
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

fn assemble_istio(items: &EdgeItems, namespaces: &[Namespace], services: &[Service]) -> Vec<Proxy> {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::files::{read_text, read_text_raw};

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
        for name in ["ssl-client-subject-dn", "ssl-client-issuer-dn", "ssl-client-verify", "ssl-client-cert"]
        {
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
            &NGINX_TLS
                .replace("    nginx.ingress.kubernetes.io/auth-tls-verify-client: optional_no_ca\n", ""),
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
        assert_eq!(
            (l.tls, l.port, l.client_cert),
            (ListenerTls::Passthrough, Some(443), ClientCertMode::None)
        );
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
            BackendTarget::Service {
                namespace: "shop".into(),
                name: "passthrough-backend".into(),
                port: None
            }
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
        assert_eq!(
            ports,
            [("http", Some(80), ListenerTls::Layer4), ("https", Some(443), ListenerTls::Layer4)]
        );
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
}
