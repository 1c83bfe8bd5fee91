//! Live TLS observations on the graph. Each observation mapped to an estate object
//! (`--tls-target host:port=Kind/ns/name`, or an endpoint the estate itself names) is resolved to
//! the proxy listener or the workloads it reached; the paths that arrive there are its paths, and
//! the hop of each that arrives there gains the observation as evidence (`tls://host:port`), so a
//! reader of a path sees that the wire was looked at, next to the configuration that decided it.

use rustc_hash::FxHashMap as HashMap;

use ztpath_probes::{ListenerTls, Proxy, ProxyKind, ProxyListener, Source, TlsObservation};
use ztpath_reports::Evidence;

use super::proxies::ProxyPaths;
use super::set::PathSet;
use crate::resolve::estate::Estate;

/// What one observation reached.
#[derive(Clone, Debug, Default)]
pub struct WireTarget {
    /// The proxy (index in the Inventory) and its listener on the port observed, if any.
    pub proxy: Option<(usize, Option<usize>)>,
    /// The Service (index in the estate) whose pods answered: a mapped Service, or the one a
    /// layer-4 load balancer is.
    pub service: Option<usize>,
    /// The workloads (indexes in the estate): the mapped workload, or those the Service
    /// selects.
    pub workloads: Vec<usize>,
    /// Positions (in the [`PathSet`]) of the paths that arrive there.
    pub paths: Vec<usize>,
}

impl WireTarget {
    /// Reached the Service `ns/name` (if the estate has it) and the workloads it selects.
    fn set_service(&mut self, estate: &Estate<'_>, ns: &str, name: &str) {
        self.service = estate.service_index.get(&(ns, name)).copied();
        self.workloads = self.service.map(|s| estate.service_workloads[s].clone()).unwrap_or_default();
    }

    /// Mapped to an object of the estate that was found.
    pub fn mapped(&self) -> bool {
        self.proxy.is_some() || !self.workloads.is_empty()
    }
}

/// A LoadBalancer Service's layer-4 listener passes the bytes to the Service's pods: what answers
/// there is them, so the wire is compared with their configuration, not the load balancer's.
pub fn passes_to_pods(p: &Proxy, l: &ProxyListener) -> bool {
    p.kind == ProxyKind::ServiceLoadBalancer && l.tls == ListenerTls::Layer4
}

/// Where an observation comes from: the recorded document, else `tls://host:port`.
pub fn observed_at(o: &TlsObservation) -> Source {
    o.source.clone().unwrap_or_else(|| Source { file: format!("tls://{}", endpoint(o)).into(), line: 0 })
}

/// The endpoint as messages name it (`host:port`, `[v6]:port`).
pub fn endpoint(o: &TlsObservation) -> String {
    if o.host.contains(':') { format!("[{}]:{}", o.host, o.port) } else { format!("{}:{}", o.host, o.port) }
}

/// Resolves every observation of the Inventory (in its order) and adds each to the evidence of
/// the hops that arrive at what it reached. Linear in the estate and the observations: the
/// proxies, workloads and proxy paths are indexed once.
pub fn attach(estate: &Estate<'_>, proxies: &ProxyPaths, paths: &mut PathSet) -> Vec<WireTarget> {
    let inv = estate.inv;
    if inv.tls.is_empty() {
        return Vec::new();
    }
    let index = Index::new(estate);
    let mut out = Vec::with_capacity(inv.tls.len());
    for o in &inv.tls {
        let mut t = index.resolve(estate, o);
        let seen = observed_at(o);
        let evidence = Evidence { file: (&seen.file).into(), line: seen.line };
        if let Some((pi, li)) = t.proxy {
            let through = proxies.by_proxy.get(&pi).map_or(&[][..], Vec::as_slice);
            for pp in
                through.iter().map(|&k| &proxies.paths[k]).filter(|pp| li.is_none_or(|l| pp.listener == l))
            {
                t.paths.push(pp.path);
                let path = paths.at_mut(pp.path);
                if let Some(hop) = path.hops.iter_mut().find(|h| *h.to == *proxies.ids[pi]) {
                    add_once(&mut hop.evidence, &evidence);
                }
            }
        }
        for &wi in &t.workloads {
            for k in 0..paths.into_workload(wi).len() {
                let pos = paths.into_workload(wi)[k];
                t.paths.push(pos);
                let path = paths.at_mut(pos);
                let to = path.to.clone();
                if let Some(hop) = path.hops.iter_mut().rev().find(|h| h.to == to) {
                    add_once(&mut hop.evidence, &evidence);
                }
            }
        }
        t.paths.sort_unstable();
        t.paths.dedup();
        out.push(t);
    }
    out
}

fn add_once(evidence: &mut Vec<Evidence>, e: &Evidence) {
    if !evidence.contains(e) {
        evidence.push(e.clone());
    }
}

/// What observations are resolved against: proxies by (kind as findings name it, name)
/// (workloads by their id, in the estate's own index; proxy paths by proxy, in the proxy
/// phase's).
struct Index<'e> {
    proxies: HashMap<(String, &'e str), Vec<usize>>,
}

impl<'e> Index<'e> {
    fn new(estate: &'e Estate<'_>) -> Index<'e> {
        let mut index = Index { proxies: HashMap::default() };
        for (pi, p) in estate.inv.proxies.iter().enumerate() {
            let kind = super::backends::object_kind(p).to_ascii_lowercase();
            index.proxies.entry((kind, p.name.as_str())).or_default().push(pi);
        }
        index
    }

    fn resolve(&self, estate: &Estate<'_>, o: &TlsObservation) -> WireTarget {
        let mut t = WireTarget::default();
        let Some(r) = &o.maps_to else { return t };
        let inv = estate.inv;
        // A proxy or load balancer (by the kind its findings carry), and its listener on the port.
        let proxy = self.proxies.get(&(r.kind.to_ascii_lowercase(), r.name.as_str())).and_then(|found| {
            found
                .iter()
                .copied()
                .find(|&pi| r.namespace.is_none() || inv.proxies[pi].namespace == r.namespace)
        });
        if let Some(pi) = proxy {
            let p = &inv.proxies[pi];
            let listener = listener_of(p, o);
            // No listener on the port of a LoadBalancer Service: the port is the pods' too.
            let to_pods = match listener {
                Some(l) => passes_to_pods(p, l),
                None => p.kind == ProxyKind::ServiceLoadBalancer,
            };
            if !to_pods {
                t.proxy =
                    Some((pi, listener.and_then(|l| p.listeners.iter().position(|x| std::ptr::eq(x, l)))));
                return t;
            }
            // The pods of the Service the load balancer was found as (the reference may leave
            // out the namespace, or write the kind in another case).
            let ns = p.namespace.as_deref().unwrap_or("default");
            t.set_service(estate, ns, &p.name);
            return t;
        }
        // Workloads: the object itself, or the ones a Service selects.
        let ns = r.namespace.as_deref().unwrap_or("default");
        if r.kind.eq_ignore_ascii_case("Service") {
            t.set_service(estate, ns, &r.name);
            return t;
        }
        let id = crate::ids::workload_id(ns, &r.kind, &r.name);
        t.workloads = estate.workload_index.get(id.as_str()).map(|&wi| vec![wi]).unwrap_or_default();
        t
    }
}

/// The listener of `p` an observation reached: on its port, the one serving the name it sent
/// (or bound to the address it connected to), else the first on the port; a proxy with one
/// listener has that one.
pub fn listener_of<'p>(p: &'p Proxy, o: &TlsObservation) -> Option<&'p ProxyListener> {
    let name = o.sni.as_deref().unwrap_or(&o.host);
    let on_port: Vec<&ProxyListener> =
        p.listeners.iter().filter(|l| l.port == Some(u32::from(o.port))).collect();
    on_port
        .iter()
        .find(|l| l.hosts.iter().any(|h| h.eq_ignore_ascii_case(name)))
        .or_else(|| {
            on_port.iter().find(|l| l.address.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&o.host)))
        })
        .or(on_port.first())
        .copied()
        .or_else(|| if p.listeners.len() == 1 { p.listeners.first() } else { None })
}
