//! Proxies and load balancers as hops on the auth paths.
//!
//! A path through a proxy is `clients → proxy → backend`. The first hop says how the proxy's
//! listener authenticates the client (plaintext, server-only TLS, optional or unverified client
//! certificates, required client certificates, passthrough). The second says what reaches the
//! backend: plaintext or TLS, whether the proxy verifies the backend, and what becomes of the
//! caller's identity: propagated in a header the proxy sets from the verified certificate (or XFCC
//! `SANITIZE_SET`), substituted by the proxy's own certificate, spoofable through a header the
//! client controls, or lost. docs/semantics.md gives the semantics: #istio (gateways), #envoy,
//! #nginx, #haproxy, #ingress, #gateway-api, #aws-elb and #tls.
//!
//! Two kinds of hop are not what they seem. A layer-4 listener (a `LoadBalancer` Service, an NLB
//! TCP listener, a TCP proxy) passes the client's bytes on as they are: the hop is TLS
//! passthrough only when the backend port is known to speak TLS, plaintext when it is known to
//! speak plaintext, and unknown otherwise ([`crate::paths::port_tls`]). And a listener bound to loopback,
//! or a backend at a loopback address or Unix socket, is inside one pod: such hops are
//! [`AuthMethod::InPod`], not network hops.

use rustc_hash::FxHashMap as HashMap;
use ztpath_probes::{
    BackendTarget, ClientCertMode, HeaderAction, IdentityHeader, ListenerTls, PortTls, Proxy, ProxyKind,
    ProxyListener, ProxyRoute, Source, XfccMode,
};
use ztpath_reports::{AuthMethod, AuthPath, Hop, IdentityState, PathId, SharedStr, VerdictOrigin};

use crate::discover::calls::{Calls, LeakedValue};
use crate::graph::AuthGraph;
use crate::graph::{EdgeKind, GEdge, NodeKind};
use crate::paths::backends::{at, service_ref};
use crate::paths::port_tls::PortFact;
use crate::paths::set::PathSet;
use crate::paths::{auth_strength, evidence, identity_strength};
use crate::resolve::estate::Estate;
use crate::resolve::estate::Mesh;
use crate::resolve::mesh::MeshIndex;

/// Id of the node standing for clients outside the estate.
pub const CLIENTS: &str = "external:clients";

/// How a listener's client side looks for one route. A layer-4 listener's depends on the port its
/// backend speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    /// The clients speak plaintext to the proxy (a plaintext listener, or a layer-4 one in front
    /// of a port known to speak plaintext, or one that wraps the bytes in its own TLS).
    Plaintext,
    /// The proxy terminates the clients' TLS.
    Terminate,
    /// The clients' TLS passes through to the backend: routed by SNI, or forwarded at layer 4 to a
    /// port known to speak TLS.
    TlsPassthrough,
    /// Bytes forwarded at layer 4 to a port not known to speak TLS or plaintext.
    Layer4Unknown,
}

impl Front {
    fn of(l: &ProxyListener, originates_tls: bool, fact: Option<&PortFact>) -> Front {
        match l.tls {
            ListenerTls::Plaintext => Front::Plaintext,
            ListenerTls::Terminate => Front::Terminate,
            ListenerTls::Passthrough => Front::TlsPassthrough,
            // The proxy wraps what it forwards in its own TLS: the client's side is plaintext.
            ListenerTls::Layer4 if originates_tls => Front::Plaintext,
            ListenerTls::Layer4 => match fact.map_or(PortTls::Unknown, |f| f.tls) {
                PortTls::Tls => Front::TlsPassthrough,
                PortTls::Plaintext => Front::Plaintext,
                PortTls::Unknown => Front::Layer4Unknown,
            },
        }
    }
}

/// What the rules need to know about one path through a proxy.
#[derive(Clone, Debug)]
pub struct ProxyPath {
    pub proxy: usize,
    pub listener: usize,
    pub route: usize,
    /// Position in the [`PathSet`].
    pub path: usize,
    /// The backend workload, when the route resolves to one.
    pub target: Option<usize>,
    /// The listener verifies a client certificate (an identity exists at the proxy).
    pub client_verified: bool,
    /// What reaches the backend.
    pub identity: IdentityState,
    /// The identity header (or XFCC mode) that a client can forge, when spoofable.
    pub spoofable_by: Option<String>,
    /// The backend is known to rely on it: the proxy sets it elsewhere, forwards XFCC, or
    /// forwards an unverified certificate. Otherwise the header merely passes through unsanitised.
    pub spoof_relied_on: bool,
    /// The proxy presents its own certificate to the backend.
    pub substitutes: Option<String>,
    /// The client side of the listener for this route.
    pub front: Front,
    /// For a layer-4 listener: what the backend port is known to speak, and why.
    pub port: Option<PortFact>,
    /// The backend is in the proxy's own pod (a loopback address or a Unix socket).
    pub in_pod: bool,
    /// The listener is bound to loopback (or a Unix socket): its clients are in its own pod.
    pub local_listener: bool,
}

/// The name of a proxy's kind in node ids (lower case) and in the node's `proxy` attribute.
/// Ids are stable across releases: a new kind gets a new name, an old name never changes.
pub fn kind_name(kind: ProxyKind) -> &'static str {
    match kind {
        ProxyKind::Envoy => "Envoy",
        ProxyKind::Nginx => "Nginx",
        ProxyKind::Haproxy => "Haproxy",
        ProxyKind::IngressNginx => "IngressNginx",
        ProxyKind::IngressAlb => "IngressAlb",
        ProxyKind::Ingress => "Ingress",
        ProxyKind::Gateway => "Gateway",
        ProxyKind::IstioGateway => "IstioGateway",
        ProxyKind::AwsAlb => "AwsAlb",
        ProxyKind::AwsNlb => "AwsNlb",
        ProxyKind::ServiceLoadBalancer => "ServiceLoadBalancer",
    }
}

/// The name of an Envoy XFCC mode in hop details.
fn xfcc_name(mode: XfccMode) -> &'static str {
    match mode {
        XfccMode::Sanitize => "Sanitize",
        XfccMode::ForwardOnly => "ForwardOnly",
        XfccMode::AppendForward => "AppendForward",
        XfccMode::SanitizeSet => "SanitizeSet",
        XfccMode::AlwaysForwardOnly => "AlwaysForwardOnly",
    }
}

/// The id of a proxy's node.
pub fn proxy_id(p: &Proxy) -> String {
    format!("proxy:{}/{}/{}", kind_name(p.kind), p.namespace.as_deref().unwrap_or("-"), p.name).to_lowercase()
}

/// The node id of every proxy. Two proxies with the same kind, namespace and name (two
/// `envoy.yaml` in different folders, one Service in two files) are told apart by where they are
/// defined, so that neither's paths and findings are taken for the other's.
fn proxy_ids(proxies: &[Proxy]) -> Vec<String> {
    let base: Vec<String> = proxies.iter().map(proxy_id).collect();
    let mut count: HashMap<&str, usize> = HashMap::default();
    for id in &base {
        *count.entry(id.as_str()).or_default() += 1;
    }
    base.iter()
        .zip(proxies)
        .map(|(id, p)| if count[id.as_str()] > 1 { format!("{id}@{}", p.source) } else { id.clone() })
        .collect()
}

/// Adds proxy nodes, edges and paths to the analysis.
/// What the proxy phase reads, and the paths and graph it extends.
pub struct ProxyPhase<'p, 'a> {
    pub estate: &'p Estate<'a>,
    pub mesh: &'p MeshIndex<'a>,
    pub calls: &'p Calls,
    pub graph: &'p mut AuthGraph,
    pub paths: &'p mut PathSet,
    pub proxy_paths: Vec<ProxyPath>,
    pub proxies_run_by: HashMap<usize, Vec<usize>>,
    /// Credentials written in clear in proxy configurations.
    pub leaks: Vec<LeakedValue>,
}

/// The proxy phase's result: the paths through proxies with the facts the proxy rules read, and
/// the proxies each workload runs (by workload index).
pub struct ProxyPaths {
    pub paths: Vec<ProxyPath>,
    /// The positions in `paths` of the paths through each proxy (by index in the Inventory).
    pub by_proxy: HashMap<usize, Vec<usize>>,
    pub run_by: HashMap<usize, Vec<usize>>,
    /// Credentials written in clear in proxy configurations, for [`Calls::leaks`].
    pub leaks: Vec<LeakedValue>,
    /// The node id of every proxy (by index in the Inventory).
    pub ids: Vec<String>,
}

/// Phase 4b: paths through every proxy and load balancer, added to `paths` and `graph`.
pub fn through_proxies(
    estate: &Estate<'_>,
    mesh: &MeshIndex<'_>,
    calls: &Calls,
    graph: &mut AuthGraph,
    paths: &mut PathSet,
) -> ProxyPaths {
    let mut phase = ProxyPhase {
        estate,
        mesh,
        calls,
        graph,
        paths,
        proxy_paths: Vec::new(),
        proxies_run_by: HashMap::default(),
        leaks: Vec::new(),
    };
    let ids = proxy_ids(&estate.inv.proxies);
    add_proxy_paths(&mut phase, &ids);
    // The paths through each proxy, by position in `proxy_paths`.
    let mut by_proxy: HashMap<usize, Vec<usize>> = HashMap::default();
    for (i, pp) in phase.proxy_paths.iter().enumerate() {
        by_proxy.entry(pp.proxy).or_default().push(i);
    }
    chain_paths(&mut phase, &by_proxy);
    ProxyPaths { paths: phase.proxy_paths, by_proxy, run_by: phase.proxies_run_by, leaks: phase.leaks, ids }
}

fn add_proxy_paths(a: &mut ProxyPhase<'_, '_>, ids: &[String]) {
    let inv = a.estate.inv;
    if inv.proxies.is_empty() {
        return;
    }
    let clients = a.graph.node(CLIENTS.to_owned(), NodeKind::External, "clients outside the estate", None);
    let runners = runners(a);
    // Who runs which proxy, known before the paths: a layer-4 hop's port is decided by the server
    // its backend's pods run.
    for (pi, ws) in runners.iter().enumerate() {
        for &wi in ws {
            a.proxies_run_by.entry(wi).or_default().push(pi);
        }
    }
    for (pi, p) in inv.proxies.iter().enumerate() {
        let pid = ids[pi].clone();
        let proxy_mesh = mesh_of(a, p, &runners[pi]);
        let pn = a.graph.node(pid.clone(), NodeKind::Proxy, &p.name, p.namespace.as_deref());
        a.graph.set_attr(pn, "proxy", kind_name(p.kind).to_owned());
        // Credentials in URLs of the configuration that are not backends (an `auth-url`).
        for c in p.credentials.iter().filter(|c| !c.peer.is_empty()) {
            let tn = a.graph.node(format!("external:{}", c.peer), NodeKind::External, &c.peer, None);
            let source = match &c.file {
                Some(file) => Source { file: file.clone(), line: c.line },
                None => p.source.at(if c.line == 0 { p.source.line } else { c.line }),
            };
            add_url_credential(a, pi, pn, tn, source, &c.credential);
        }
        for (li, l) in p.listeners.iter().enumerate() {
            // A listener on loopback is reached by the processes of its own pod only.
            let (from_id, from) = if l.local_only {
                let id = local_clients(&pid);
                let n = a.graph.node(
                    id.clone(),
                    NodeKind::Local,
                    &format!("processes in the pod of {}", p.name),
                    p.namespace.as_deref(),
                );
                (id, n)
            } else {
                (CLIENTS.to_owned(), clients)
            };
            // The hop on the edge clients → proxy: the routes' when they agree, else unknown.
            let mut edge_hop: Option<Hop> = None;
            let mut mixed = false;
            for (ri, r) in l.routes.iter().enumerate() {
                for target in resolve_backend(a, &pid, p, r, &runners[pi]) {
                    let workload = match &target.to {
                        Resolved::Workload(wi) => Some(*wi),
                        Resolved::Other(..) | Resolved::Local(..) => None,
                    };
                    let port = (l.tls == ListenerTls::Layer4).then(|| {
                        crate::paths::port_tls::backend_port(a.estate, &a.proxies_run_by, pi, l, r, workload)
                    });
                    let front = Front::of(l, r.backend.tls, port.as_ref());
                    let first = client_hop(&from_id, &pid, p, l, front, port.as_ref());
                    match &edge_hop {
                        None => edge_hop = Some(first.clone()),
                        Some(h) if (h.auth, h.identity) != (first.auth, first.identity) => mixed = true,
                        Some(_) => {}
                    }
                    let hop_in =
                        HopIn { proxy_mesh, pid: &pid, p, l, r, first: &first, front, port: port.as_ref() };
                    let (second, facts) = backend_hop(a, &hop_in, &target);
                    let tn = match &target.to {
                        Resolved::Workload(wi) => {
                            a.graph.get(&a.estate.workloads[*wi].id).expect("workload node")
                        }
                        Resolved::Other(id, name) => a.graph.node(id.clone(), NodeKind::External, name, None),
                        Resolved::Local(id, name) => {
                            a.graph.node(id.clone(), NodeKind::Local, name, p.namespace.as_deref())
                        }
                    };
                    let e = a.graph.edge(
                        pn,
                        tn,
                        GEdge::new(EdgeKind::Forwards, format!("forwards to {}", a.graph.node_data(tn).id)),
                    );
                    if let Some(info) = &r.backend.credential {
                        add_url_credential(a, pi, pn, tn, at(p, l, r.backend.line), info);
                    }
                    let ed = a.graph.edge_data_mut(e);
                    ed.auth = Some(second.auth);
                    ed.identity = Some(second.identity);
                    let to = second.to.clone();
                    let id = PathId::through(
                        first.from.clone(),
                        format!("{pid}#{}/route-{ri}->", l.name),
                        to.clone(),
                    );
                    let (auth, identity) = weakest(&[&first, &second]);
                    let path = AuthPath {
                        id,
                        from: first.from.clone(),
                        to,
                        hops: vec![first.clone(), second],
                        auth: Some(auth),
                        identity: Some(identity),
                        findings: Vec::new(),
                    };
                    let index = a.paths.add(a.estate, path);
                    a.proxy_paths.push(ProxyPath {
                        proxy: pi,
                        listener: li,
                        route: ri,
                        path: index,
                        target: workload,
                        client_verified: l.tls == ListenerTls::Terminate
                            && l.client_cert == ClientCertMode::Required,
                        identity: facts.identity,
                        spoofable_by: facts.spoofable_by,
                        spoof_relied_on: facts.relied_on,
                        substitutes: facts.substitutes,
                        front,
                        port,
                        in_pod: target.in_pod,
                        local_listener: l.local_only,
                    });
                }
            }
            let hop = match edge_hop {
                Some(h) if !mixed => h,
                _ => client_hop(&from_id, &pid, p, l, Front::of(l, false, None), None),
            };
            let e = a.graph.edge(
                from,
                pn,
                GEdge::new(EdgeKind::Reaches, format!("connects to {} port {}", p.name, port_text(l))),
            );
            let ed = a.graph.edge_data_mut(e);
            ed.auth = Some(hop.auth);
            ed.identity = Some(hop.identity);
        }
    }
}

/// A credential written in a backend's URL or address (`user:password@`): a credential node held
/// by the proxy that unlocks the backend, fingerprinted like the passwords of env URLs, and a
/// value in clear text for ZT005. Its id and name say where it is, never what it is.
fn add_url_credential(
    a: &mut ProxyPhase<'_, '_>,
    pi: usize,
    pn: petgraph::graph::NodeIndex,
    tn: petgraph::graph::NodeIndex,
    source: Source,
    info: &ztpath_probes::Userinfo,
) {
    let Some((secret, shape)) = crate::discover::shapes::url_credential(info) else { return };
    let p = &a.estate.inv.proxies[pi];
    let pid = a.graph.node_data(pn).id.clone();
    let name = format!("credential in the URL of {}", a.graph.node_data(tn).name);
    let id = format!("literal:{pid}/url@{source}");
    let fingerprint = secret.fingerprint().to_string();
    let new = a.graph.get(&id).is_none();
    let cn = a.graph.node(id, NodeKind::Credential, &name, p.namespace.as_deref());
    if new {
        a.graph.set_attr(cn, "type", "literal in proxy configuration".to_owned());
        a.graph.set_attr(cn, "fingerprint", fingerprint.clone());
        a.graph.edge(
            pn,
            cn,
            GEdge::new(
                EdgeKind::UsesCredential,
                format!("carries a {shape} in its configuration ({source})"),
            ),
        );
        a.leaks.push(LeakedValue {
            owner: crate::discover::calls::LeakOwner::Proxy(pi),
            name: name.clone(),
            fingerprint,
            shape,
            source,
            weakness: ztpath_probes::k8s::well_known_default(secret.expose())
                .then_some(crate::discover::values::Weakness::WellKnownDefault),
        });
    }
    let target = a.graph.node_data(tn).id.clone();
    a.graph.edge(cn, tn, GEdge::new(EdgeKind::Unlocks, format!("authenticates {} to {target}", p.name)));
}

/// Does this workload run proxy `q`? Istio and Gateway API gateways say so with a selector; the
/// ingress-nginx controller is recognised by its standard label.
fn runs(q: &Proxy, labels: &ztpath_probes::StringMap) -> bool {
    match &q.runs_on {
        Some(sel) if !sel.is_empty() => sel.iter().all(|(k, v)| labels.get(k) == Some(v)),
        _ => {
            q.kind == ztpath_probes::ProxyKind::IngressNginx
                && labels.get("app.kubernetes.io/name").is_some_and(|v| v == "ingress-nginx")
        }
    }
}

/// Joins proxies in front of each other: when a proxy forwards to the workload that runs another
/// proxy (a load balancer in front of an ingress controller or a gateway), the paths through the
/// second one get a longer form that starts at the first: clients → LB → gateway → backend. Calls
/// from workloads to a proxy's pods are extended the same way.
fn chain_paths(a: &mut ProxyPhase<'_, '_>, by_proxy: &HashMap<usize, Vec<usize>>) {
    /// Chains longer than this many proxies are not followed (and a proxy is never re-entered).
    const MAX_PROXIES: usize = 4;
    let runs_on_workload = &a.proxies_run_by;
    // A partial chain: its hops, its id, where it starts, the workload it ends at, and the
    // proxies it went through.
    struct Chain {
        hops: Vec<Hop>,
        id: PathId,
        from: SharedStr,
        to: SharedStr,
        target: Option<usize>,
        proxies: Vec<usize>,
        /// The ports the last hop lands on, when known: only the next proxy's listeners on one
        /// of them go on.
        ports: Vec<u32>,
        /// The last hop stays in the pod: the next proxy's loopback listeners are reachable.
        in_pod: bool,
    }
    // Start from every path through a proxy, and from every call of one workload to another.
    let mut frontier: Vec<Chain> = a
        .proxy_paths
        .iter()
        .map(|pp| {
            let p = &a.paths[pp.path];
            let route = &a.estate.inv.proxies[pp.proxy].listeners[pp.listener].routes[pp.route];
            let ports = match (&pp.port, &route.backend.target) {
                (Some(fact), _) => fact.ports.clone(),
                (None, BackendTarget::Address { port: Some(n), .. }) if pp.in_pod => vec![*n],
                _ => Vec::new(),
            };
            Chain {
                hops: p.hops.clone(),
                id: p.id.clone(),
                from: p.from.clone(),
                to: p.to.clone(),
                target: pp.target,
                proxies: vec![pp.proxy],
                ports,
                in_pod: pp.in_pod,
            }
        })
        // Only calls to a workload that runs a proxy can be extended: the others are not copied.
        .chain(
            a.paths
                .iter()
                .filter(|p| p.hops.len() == 1 && p.from.starts_with("workload:"))
                .filter_map(|p| {
                    let wi = a.estate.workload_index.get(&p.to).copied()?;
                    runs_on_workload.contains_key(&wi).then_some((p, wi))
                })
                .map(|(p, wi)| Chain {
                    hops: p.hops.clone(),
                    id: p.id.clone(),
                    from: p.from.clone(),
                    to: p.to.clone(),
                    target: Some(wi),
                    proxies: Vec::new(),
                    ports: Vec::new(),
                    in_pod: false,
                }),
        )
        .collect();
    let mut combined = Vec::new();
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for chain in &frontier {
            let Some(wi) = chain.target else { continue };
            if chain.proxies.len() >= MAX_PROXIES {
                continue;
            }
            let backs = runs_on_workload
                .get(&wi)
                .into_iter()
                .flatten()
                .filter(|q| !chain.proxies.contains(q))
                .flat_map(|q| by_proxy.get(q).into_iter().flatten());
            for &bi in backs {
                let back = &a.proxy_paths[bi];
                let listener = &a.estate.inv.proxies[back.proxy].listeners[back.listener];
                // A loopback listener is not reached from outside the pod; a listener on another
                // port than the one the hop lands on is not reached either.
                if (back.local_listener && !chain.in_pod)
                    || listener.port.is_some_and(|n| !chain.ports.is_empty() && !chain.ports.contains(&n))
                {
                    continue;
                }
                let b = &a.paths[back.path];
                let (Some(entry), Some(last)) = (b.hops.first(), b.hops.last()) else { continue };
                // The chain's last hop now ends at the next proxy, run by the workload it reached.
                let mut hops = chain.hops.clone();
                if let Some(h) = hops.last_mut() {
                    h.to = entry.to.clone();
                }
                hops.push(last.clone());
                let mut proxies = chain.proxies.clone();
                proxies.push(back.proxy);
                let back_route = &listener.routes[back.route];
                let ports = match (&back.port, &back_route.backend.target) {
                    (Some(fact), _) => fact.ports.clone(),
                    (None, BackendTarget::Address { port: Some(n), .. }) if back.in_pod => vec![*n],
                    _ => Vec::new(),
                };
                next.push(Chain {
                    hops,
                    id: chain.id.then(&b.id),
                    from: chain.from.clone(),
                    to: b.to.clone(),
                    target: back.target,
                    proxies,
                    ports,
                    in_pod: back.in_pod,
                });
            }
        }
        for chain in &next {
            let refs: Vec<&Hop> = chain.hops.iter().collect();
            let (auth, identity) = weakest(&refs);
            combined.push(AuthPath {
                id: chain.id.clone(),
                from: chain.from.clone(),
                to: chain.to.clone(),
                hops: chain.hops.clone(),
                auth: Some(auth),
                identity: Some(identity),
                findings: Vec::new(),
            });
        }
        frontier = next;
    }
    for path in combined {
        a.paths.add(a.estate, path);
    }
}

fn port_text(l: &ProxyListener) -> String {
    l.port.map_or_else(|| "?".to_owned(), |p| p.to_string())
}

/// The weakest method and identity state of a path's hops.
fn weakest(hops: &[&Hop]) -> (AuthMethod, IdentityState) {
    let auth = hops.iter().map(|h| h.auth).min_by_key(|a| auth_strength(*a)).unwrap_or(AuthMethod::Unknown);
    let identity = hops
        .iter()
        .map(|h| h.identity)
        .min_by_key(|i| identity_strength(*i))
        .unwrap_or(IdentityState::Unknown);
    (auth, identity)
}

/// The id of the node standing for the processes in a proxy's own pod (the clients of its
/// loopback listeners).
fn local_clients(pid: &str) -> String {
    format!("local:{pid}")
}

/// The first hop: how the listener authenticates its clients.
fn client_hop(
    from: &str,
    pid: &str,
    p: &Proxy,
    l: &ProxyListener,
    front: Front,
    port: Option<&PortFact>,
) -> Hop {
    let place = format!("{} listener {} (port {})", p.name, l.name, port_text(l));
    let jwt = l.jwt.iter().any(|j| j.enforced && j.verified);
    let layer4 = l.tls == ListenerTls::Layer4;
    let why = port.map_or("", |f| f.why.as_str());
    let (auth, identity, detail) = match (front, l.client_cert) {
        _ if l.local_only => (
            AuthMethod::InPod,
            IdentityState::Preserved,
            format!(
                "{place} is bound to loopback: only processes inside its own pod can connect, so the caller is that pod"
            ),
        ),
        (Front::Plaintext, _) if jwt => (
            AuthMethod::BearerToken,
            IdentityState::Preserved,
            format!("{place} takes plaintext but requires a verified JWT"),
        ),
        (Front::Plaintext, _) if layer4 && port.is_some_and(|f| f.tls == PortTls::Plaintext) => (
            AuthMethod::Plaintext,
            IdentityState::Lost,
            format!(
                "{place} passes bytes through at layer 4 to a port that speaks plaintext, since {why}: clients are anonymous"
            ),
        ),
        (Front::Plaintext, _) => (
            AuthMethod::Plaintext,
            IdentityState::Lost,
            format!("{place} accepts plaintext: clients are anonymous"),
        ),
        (Front::TlsPassthrough, _) if layer4 => (
            AuthMethod::TlsPassthrough,
            IdentityState::Unknown,
            format!(
                "{place} passes bytes through at layer 4 to a port that speaks TLS, since {why}: only the backend can authenticate the client"
            ),
        ),
        (Front::TlsPassthrough, _) => (
            AuthMethod::TlsPassthrough,
            IdentityState::Unknown,
            format!("{place} passes TLS through undecrypted: only the backend can authenticate the client"),
        ),
        (Front::Layer4Unknown, _) => (
            AuthMethod::Unknown,
            IdentityState::Unknown,
            format!(
                "{place} passes bytes through at layer 4 and {why}: whether clients speak TLS, and who authenticates them, is not known"
            ),
        ),
        (Front::Terminate, ClientCertMode::Required) => (
            AuthMethod::ClientCertificate,
            IdentityState::Preserved,
            format!("{place} terminates TLS and requires a client certificate verified against a CA"),
        ),
        (Front::Terminate, ClientCertMode::Optional) => (
            AuthMethod::OptionalMtls,
            IdentityState::Lost,
            format!(
                "{place} terminates TLS; a client certificate is asked for but not required, so anonymous clients get in"
            ),
        ),
        (Front::Terminate, ClientCertMode::Unverified) => (
            AuthMethod::ClientCertificate,
            IdentityState::Spoofable,
            format!(
                "{place} accepts client certificates without verifying them against a CA: any self-made certificate passes"
            ),
        ),
        (Front::Terminate, ClientCertMode::None) if jwt => (
            AuthMethod::BearerToken,
            IdentityState::Preserved,
            format!("{place} terminates TLS and requires a verified JWT"),
        ),
        (Front::Terminate, ClientCertMode::None) => (
            AuthMethod::ServerTls,
            IdentityState::Lost,
            format!("{place} terminates TLS without asking for a client certificate: clients are anonymous"),
        ),
    };
    let mut sources = vec![at(p, l, l.line)];
    sources.extend(port.and_then(|f| f.source.clone()));
    Hop {
        from: from.into(),
        to: pid.into(),
        via: Some(format!("{} port {}", l.name, port_text(l)).into()),
        auth,
        identity,
        detail: detail.into(),
        evidence: evidence(&sources),
        origin: VerdictOrigin::Receiver,
    }
}

/// Where a route leads.
enum Resolved {
    Workload(usize),
    /// A node id and name for a backend outside the input (an address, an unresolved upstream).
    Other(String, String),
    /// A node id and name for a process in the proxy's own pod whose workload is not known.
    Local(String, String),
}

/// One backend of a route.
struct Target {
    to: Resolved,
    /// At a loopback address or a Unix socket: in the proxy's own pod.
    in_pod: bool,
}

fn resolve_backend(
    a: &ProxyPhase<'_, '_>,
    pid: &str,
    p: &Proxy,
    r: &ProxyRoute,
    runners: &[usize],
) -> Vec<Target> {
    let est = &a.estate;
    if let BackendTarget::Address { host, port } = &r.backend.target
        && ztpath_probes::address::is_local_host(host)
    {
        // The proxy's own pod: the workloads that run it, when known.
        if !runners.is_empty() {
            return runners.iter().map(|&wi| Target { to: Resolved::Workload(wi), in_pod: true }).collect();
        }
        let hp = port.map_or_else(|| host.clone(), |n| format!("{host}:{n}"));
        let name = format!("{hp} in the pod of {}", p.name);
        return vec![Target { to: Resolved::Local(format!("local:{pid}/{hp}"), name), in_pod: true }];
    }
    let found = service_ref(a.estate, p, &r.backend.target).and_then(|(ns, name, _)| {
        est.service_index.get(&(ns.as_str(), name.as_str())).map(|&si| est.service_workloads[si].clone())
    });
    match found {
        Some(ws) if !ws.is_empty() => {
            ws.into_iter().map(|wi| Target { to: Resolved::Workload(wi), in_pod: false }).collect()
        }
        _ => {
            let (id, name) = match &r.backend.target {
                BackendTarget::Service { namespace, name, .. } => {
                    (format!("service:{namespace}/{name}"), format!("{namespace}/{name}"))
                }
                BackendTarget::Address { host, port } => {
                    let hp = port.map_or_else(|| host.clone(), |p| format!("{host}:{p}"));
                    (format!("external:{hp}"), hp)
                }
                BackendTarget::Named(n) => (format!("upstream:{pid}/{n}"), n.clone()),
            };
            vec![Target { to: Resolved::Other(id, name), in_pod: false }]
        }
    }
}

/// Facts about the second hop that the rules read.
struct BackendFacts {
    identity: IdentityState,
    spoofable_by: Option<String>,
    relied_on: bool,
    substitutes: Option<String>,
}

/// The identity headers in force for a route: the route's own when it sets any (nginx drops the
/// inherited ones then), else the listener's.
fn headers<'p>(l: &'p ProxyListener, r: &'p ProxyRoute) -> &'p [IdentityHeader] {
    r.identity_headers.as_deref().unwrap_or(&l.identity_headers)
}

/// The mesh the proxy itself is in: an Istio gateway is; an ingress controller is when the pods
/// that run it have the sidecar.
fn mesh_of(a: &ProxyPhase<'_, '_>, p: &Proxy, runners: &[usize]) -> Mesh {
    if matches!(p.kind, ztpath_probes::ProxyKind::IstioGateway) {
        return Mesh::Istio;
    }
    runners.first().map_or(Mesh::None, |&wi| a.estate.workloads[wi].mesh)
}

/// For each proxy, the workloads that run it. Proxies with the same selector (every ingress-nginx
/// Ingress shares the controller) are resolved once, so this stays linear in the estate.
fn runners(a: &ProxyPhase<'_, '_>) -> Vec<Vec<usize>> {
    let mut memo: HashMap<String, Vec<usize>> = HashMap::default();
    a.estate
        .inv
        .proxies
        .iter()
        .map(|p| {
            // A proxy configured from a ConfigMap runs in the workloads that mount it.
            if let Some((ns, cm)) = p.attrs.get("configmap").and_then(|c| c.split_once('/')) {
                return a
                    .estate
                    .workloads_in(ns)
                    .iter()
                    .copied()
                    .filter(|&wi| a.estate.workloads[wi].config_maps.contains(cm))
                    .collect();
            }
            let key = match (&p.runs_on, p.kind) {
                (Some(sel), _) if !sel.is_empty() => format!("{sel:?}"),
                (_, ztpath_probes::ProxyKind::IngressNginx) => "ingress-nginx".to_owned(),
                _ => return Vec::new(),
            };
            memo.entry(key)
                .or_insert_with(|| {
                    (0..a.estate.workloads.len())
                        .filter(|&wi| runs(p, &a.estate.workloads[wi].w.pod.labels))
                        .collect()
                })
                .clone()
        })
        .collect()
}

/// What the second hop is computed from.
struct HopIn<'h> {
    proxy_mesh: Mesh,
    pid: &'h str,
    p: &'h Proxy,
    l: &'h ProxyListener,
    r: &'h ProxyRoute,
    first: &'h Hop,
    front: Front,
    port: Option<&'h PortFact>,
}

fn backend_hop(a: &ProxyPhase<'_, '_>, h: &HopIn<'_>, target: &Target) -> (Hop, BackendFacts) {
    let HopIn { proxy_mesh, pid, p, l, r, first, front, port } = *h;
    let b = &r.backend;
    let in_pod = target.in_pod;
    let (to, target_name, target_mesh) = match &target.to {
        Resolved::Workload(wi) => {
            let w = &a.estate.workloads[*wi];
            (w.id.clone(), w.display(), w.mesh)
        }
        Resolved::Other(id, name) | Resolved::Local(id, name) => {
            (id.as_str().into(), name.clone(), Mesh::None)
        }
    };
    // Inside the pod neither the mesh nor its policy is in the way.
    let target_mesh = if in_pod { Mesh::None } else { target_mesh };
    let strict_backend = match &target.to {
        Resolved::Workload(wi) if target_mesh != Mesh::None => {
            let w = &a.estate.workloads[*wi];
            a.mesh.inbound(a.estate, w, None).transport == crate::resolve::mesh::Transport::Strict
        }
        _ => false,
    };
    let mesh_hop = target_mesh != Mesh::None && proxy_mesh == target_mesh && !b.tls;
    let hdrs = headers(l, r);
    // A route that sets its own headers drops the listener's (nginx): an identity header the
    // listener sets, and so the backend expects, then arrives with whatever the client sent.
    let dropped: Vec<IdentityHeader> = match &r.identity_headers {
        Some(own) => l
            .identity_headers
            .iter()
            .filter(|h| matches!(h.action, HeaderAction::Set { .. }))
            .filter(|h| !own.iter().any(|o| o.name.eq_ignore_ascii_case(&h.name)))
            .map(|h| IdentityHeader { name: h.name.clone(), action: HeaderAction::PassThrough, line: r.line })
            .collect(),
        None => Vec::new(),
    };
    let verified = l.tls == ListenerTls::Terminate && l.client_cert == ClientCertMode::Required;
    let set_from_cert =
        hdrs.iter().find(|h| matches!(h.action, HeaderAction::Set { from_client_cert: true }));
    let forged = hdrs
        .iter()
        .chain(&dropped)
        .find(|h| matches!(h.action, HeaderAction::PassThrough | HeaderAction::Append));
    let xfcc_forgeable = match l.xfcc {
        Some(XfccMode::AlwaysForwardOnly) => {
            Some("x-forwarded-client-cert (ALWAYS_FORWARD_ONLY forwards what the client sent)".to_owned())
        }
        Some(m @ (XfccMode::ForwardOnly | XfccMode::AppendForward)) if !verified => {
            Some(format!("x-forwarded-client-cert ({m:?} passes client-sent elements on)"))
        }
        _ => None,
    };
    let xfcc_propagates = verified && matches!(l.xfcc, Some(XfccMode::SanitizeSet | XfccMode::AppendForward));
    // The proxy's own certificate towards an application in its pod stands for nobody else.
    let substitutes = if in_pod {
        None
    } else {
        b.substitutes_identity
            .clone()
            .or_else(|| b.client_cert.then(|| "the proxy's own client certificate".to_owned()))
    };
    let passes = matches!(front, Front::TlsPassthrough | Front::Layer4Unknown);

    let (identity, why, spoofable_by) = if front == Front::TlsPassthrough {
        (
            IdentityState::Unknown,
            "TLS passes through: the backend must authenticate the client itself".to_owned(),
            None,
        )
    } else if passes {
        (IdentityState::Unknown, "the backend must authenticate the client itself".to_owned(), None)
    } else if let Some(h) = forged {
        (
            IdentityState::Spoofable,
            format!("header `{}` reaches the backend with whatever value the client sent", h.name),
            Some(h.name.clone()),
        )
    } else if let Some(x) = xfcc_forgeable.clone() {
        (IdentityState::Spoofable, format!("{x} reaches the backend"), Some(x))
    } else if first.identity == IdentityState::Spoofable {
        (
            IdentityState::Spoofable,
            "the client certificate was not verified, so whatever identity it claims is forwarded".to_owned(),
            None,
        )
    } else if verified && (set_from_cert.is_some() || xfcc_propagates) {
        let how = set_from_cert.map_or_else(
            || format!("XFCC {}", xfcc_name(l.xfcc.unwrap_or(XfccMode::SanitizeSet))),
            |h| format!("header `{}` set from the verified certificate", h.name),
        );
        (IdentityState::Propagated, format!("the caller's identity is forwarded in {how}"), None)
    } else if l.local_only && (substitutes.is_some() || mesh_hop) {
        // The callers are the proxy's own pod: the identity it presents is theirs.
        (
            IdentityState::Preserved,
            "the backend sees the identity the proxy holds for its own pod, whose processes are its only callers"
                .to_owned(),
            None,
        )
    } else if let Some(s) = &substitutes {
        (IdentityState::Terminated, format!("the backend sees {s}, not the caller"), None)
    } else if mesh_hop && verified {
        (
            IdentityState::Terminated,
            "the backend sees the proxy's mesh identity, not the caller's".to_owned(),
            None,
        )
    } else if verified {
        (
            IdentityState::Lost,
            "the verified client identity ends at the proxy: nothing forwards it".to_owned(),
            None,
        )
    } else {
        (IdentityState::Lost, "no caller identity reaches the backend".to_owned(), None)
    };
    let why_port = port.map_or("", |f| f.why.as_str());
    let (auth, transport) = if in_pod {
        let how = match &b.target {
            BackendTarget::Address { host, .. } if host.contains('/') || host.starts_with('@') => {
                "a Unix socket"
            }
            _ => "loopback",
        };
        (
            AuthMethod::InPod,
            format!("the backend is in the proxy's own pod, reached over {how}: no network is crossed"),
        )
    } else if front == Front::TlsPassthrough && l.tls == ListenerTls::Layer4 {
        (
            AuthMethod::TlsPassthrough,
            format!("the client's TLS session continues to the backend, whose port speaks TLS: {why_port}"),
        )
    } else if front == Front::TlsPassthrough {
        (AuthMethod::TlsPassthrough, "the client's TLS session continues to the backend".to_owned())
    } else if front == Front::Layer4Unknown {
        (
            AuthMethod::Unknown,
            format!("the bytes go on to the backend as the client sent them, and {why_port}"),
        )
    } else if mesh_hop {
        (
            AuthMethod::MeshMtls,
            format!(
                "the {} mesh carries the hop with mTLS and the proxy's own workload identity",
                target_mesh.as_str()
            ),
        )
    } else if !b.tls && strict_backend {
        (
            AuthMethod::MeshMtls,
            "the backend requires mesh mTLS and the proxy is not in its mesh: the hop is refused".to_owned(),
        )
    } else if !b.tls && l.tls == ListenerTls::Layer4 {
        (
            AuthMethod::Plaintext,
            format!("the client's plaintext bytes go on to the backend, since {why_port}"),
        )
    } else if !b.tls {
        (AuthMethod::Plaintext, "the proxy forwards in plaintext".to_owned())
    } else if b.verify_server != Some(true) {
        (AuthMethod::ServerTls, "the proxy uses TLS to the backend but does not verify its certificate: that is encryption, not authentication".to_owned())
    } else if b.client_cert {
        (
            AuthMethod::ClientCertificate,
            "the proxy uses mutual TLS to the backend with its own certificate".to_owned(),
        )
    } else {
        (AuthMethod::ServerTls, "the proxy uses verified TLS to the backend".to_owned())
    };
    // A hop the backend refuses carries no identity at all.
    let refused = !b.tls && strict_backend && !mesh_hop && !passes && !in_pod;
    let (identity, spoofable_by) =
        if refused { (IdentityState::Unknown, None) } else { (identity, spoofable_by) };
    let mut sources: Vec<Source> = vec![at(p, l, r.line.max(b.line))];
    sources.extend(hdrs.iter().map(|h| at(p, l, h.line)));
    sources.extend(port.and_then(|f| f.source.clone()));
    let hop = Hop {
        from: pid.into(),
        to,
        via: Some(format!("route {} → {target_name}", r.matches).into()),
        auth,
        identity,
        detail: if refused { transport.into() } else { format!("{transport}; {why}").into() },
        evidence: evidence(&sources),
        origin: VerdictOrigin::Receiver,
    };
    let relied_on = identity == IdentityState::Spoofable
        && (spoofable_by.is_none()
            || xfcc_forgeable.is_some()
            || forged.is_some_and(|h| {
                dropped.iter().any(|d| d.name == h.name) || matches!(h.action, HeaderAction::Append)
            }));
    (hop, BackendFacts { identity, spoofable_by, relied_on, substitutes })
}
