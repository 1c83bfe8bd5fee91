//! What the edge readers share: annotation prefixes, API groups, listeners and backends.

use crate::inventory::{
    BackendTarget, ObjectMeta, PortTls, Proxy, ProxyBackend, ProxyKind, Source, StringMap,
};
use crate::yaml::{self, Node};

pub(super) const NGINX: &str = "nginx.ingress.kubernetes.io/";
pub(super) const ALB: &str = "alb.ingress.kubernetes.io/";
pub(super) const AWS_SERVICE: &str = "service.beta.kubernetes.io/";
pub(super) const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
pub(super) const ISTIO_GROUP: &str = "networking.istio.io";

/// The API group of an object (`""` for the core group).
pub(super) fn group(meta: &ObjectMeta) -> &str {
    meta.api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// The address an object publishes for its clients: the first `status.loadBalancer.ingress`
/// entry (hostname, else IP) of a Service or Ingress, the first `status.addresses` (else
/// `spec.addresses`) value of a Gateway, else a Service's `spec.loadBalancerIP`. Wildcards and
/// sockets are not addresses ([`crate::proxy::address::bound_host`]).
pub(super) fn published_address(node: &Node) -> Option<String> {
    let status = node.field("status");
    let spec = node.field("spec");
    let lb = status.field("loadBalancer").field("ingress").items().first().and_then(|i| {
        i.field("hostname").string().filter(|h| !h.is_empty()).or_else(|| i.field("ip").string())
    });
    let listed = |n: &Node| n.field("addresses").items().first().and_then(|a| a.field("value").string());
    lb.or_else(|| listed(status))
        .or_else(|| listed(spec))
        .or_else(|| spec.field("loadBalancerIP").string())
        .and_then(|a| crate::proxy::address::bound_host(&a))
}

/// Gives every listener of `proxy` that names no address the object's published one.
pub(super) fn publish_address(node: &Node, proxy: &mut Proxy) {
    if let Some(address) = published_address(node) {
        for l in proxy.listeners.iter_mut().filter(|l| l.address.is_none()) {
            l.address = Some(address.clone());
        }
    }
}

pub(super) fn port_of(node: &Node) -> Option<u32> {
    node.as_i64().and_then(|p| u32::try_from(p).ok())
}

pub(super) fn new_proxy(kind: ProxyKind, meta: &ObjectMeta) -> Proxy {
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
pub(super) struct BackendTls {
    pub(super) tls: bool,
    pub(super) verify_server: Option<bool>,
    pub(super) client_cert: bool,
    pub(super) substitutes_identity: Option<String>,
}

impl BackendTls {
    pub(super) fn backend(&self, target: BackendTarget, line: u32) -> ProxyBackend {
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
pub(super) fn annotation_line(node: &Node, meta: &ObjectMeta, key: &str) -> u32 {
    node.at(&["metadata", "annotations", key]).map_or(meta.source.line, |n| n.line)
}

/// Does a host pattern (`*`, `*.example.com`, `foo.example.com`) cover a host name?
pub(super) fn host_matches(pattern: &str, host: &str) -> bool {
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
pub(super) fn hosts_intersect(a: &str, b: &str) -> bool {
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
pub(super) fn host_lists_intersect(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|x| b.iter().any(|y| hosts_intersect(x, y)))
}

/// Of several definitions of one name (a corpus or a multi-environment repository can hold the
/// same Gateway twice), the ones closest to the referring object: same file, else same
/// directory, else all.
pub(super) fn closest<'a>(
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
pub(super) fn parse_annotation(text: &str) -> Result<Node, String> {
    match yaml::parse_documents(text).into_iter().next() {
        Some(Ok(node)) => Ok(node),
        Some(Err(e)) => Err(e.reason),
        None => Err("empty value".to_owned()),
    }
}
