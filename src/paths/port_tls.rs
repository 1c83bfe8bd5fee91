//! What a backend port is known to speak: TLS, plaintext, or not known.
//!
//! A layer-4 hop (a `LoadBalancer` Service, an NLB TCP listener, a TCP proxy) passes the client's
//! bytes on as they are, so whether TLS is involved is decided by the port it lands on. That is a
//! fact of the estate, read in this order, the first that says something winning:
//!
//! 1. what the proxy's own configuration shows (an AWS target group's health check on the traffic
//!    port);
//! 2. the server the backend's pods run on that port, when the input holds it (an ingress
//!    controller, a gateway, an Envoy whose configuration they mount): its listener terminates TLS
//!    or serves plaintext;
//! 3. the pods' probes on that port (`httpGet` over HTTPS or HTTP; a `grpc` probe is plaintext,
//!    the kubelet speaks gRPC without TLS);
//! 4. the Service port's `appProtocol` (`https`, `kubernetes.io/wss`, `tls` / `http`, `h2c`,
//!    `kubernetes.io/h2c`, `kubernetes.io/ws`, `grpc`);
//! 5. the Service port's name, then the container port's name, by Istio's protocol-selection
//!    convention `<protocol>[-<suffix>]` (`https`, `tls` / `http`, `http2`, `grpc`, `h2c`).
//!
//! Nothing else is taken as evidence: a port number (443, 8443) is not, nor a `tcp` name. When
//! nothing is shown the answer is [`PortTls::Unknown`], and the hop says so.

use ztpath_probes::{
    ListenerTls, PortTls, ProbeKind, Proxy, ProxyListener, ProxyRoute, Service, ServicePort, Source,
};

use rustc_hash::FxHashMap as HashMap;

use crate::paths::backends::{at, object_kind, service_ref};
use crate::resolve::estate::Estate;

/// What a backend port speaks, why, and where the input shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortFact {
    pub tls: PortTls,
    /// A clause for the hop's detail: "Service shop/web port 80 has appProtocol `http`".
    pub why: String,
    pub source: Option<Source>,
    /// The port numbers the hop lands on, when known (the Service port and the container port),
    /// so that a chain through the backend's own proxy goes on from the listener on that port.
    pub ports: Vec<u32>,
}

impl PortFact {
    fn unknown(why: String, ports: Vec<u32>) -> PortFact {
        PortFact { tls: PortTls::Unknown, why, source: None, ports }
    }
}

/// TLS or plaintext by a protocol word as Istio's protocol selection and the Kubernetes
/// `appProtocol` conventions use it.
fn protocol_word(word: &str) -> PortTls {
    match word.to_ascii_lowercase().as_str() {
        "https" | "tls" | "wss" | "kubernetes.io/wss" | "grpcs" => PortTls::Tls,
        "http" | "http2" | "h2c" | "kubernetes.io/h2c" | "ws" | "kubernetes.io/ws" | "grpc" | "grpc-web" => {
            PortTls::Plaintext
        }
        _ => PortTls::Unknown,
    }
}

/// A port name `<protocol>[-<suffix>]`: `http-metrics` is HTTP, `https-admin` TLS, `web` unknown.
pub fn port_name_tls(name: &str) -> PortTls {
    let prefix = name.split('-').next().unwrap_or("");
    match protocol_word(prefix) {
        PortTls::Unknown => protocol_word(name),
        known => known,
    }
}

/// An `appProtocol` value, matched whole.
pub fn app_protocol_tls(app_protocol: &str) -> PortTls {
    protocol_word(app_protocol)
}

/// The Service port a route names (`port` by number or name; the only port when not given).
pub fn service_port<'s>(svc: &'s Service, port: Option<&str>) -> Option<&'s ServicePort> {
    match port {
        Some(p) => {
            svc.ports.iter().find(|sp| sp.port.to_string() == p || (!sp.name.is_empty() && sp.name == p))
        }
        None if svc.ports.len() == 1 => svc.ports.first(),
        None => None,
    }
}

/// What the port a route of layer-4 listener `l` of proxy `pi` lands on speaks, for one backend
/// (`workload`: the backend workload when the route resolves to one).
pub fn backend_port(
    est: &Estate<'_>,
    proxies_run_by: &HashMap<usize, Vec<usize>>,
    pi: usize,
    l: &ProxyListener,
    r: &ProxyRoute,
    workload: Option<usize>,
) -> PortFact {
    let p: &Proxy = &est.inv.proxies[pi];
    let b = &r.backend;
    let service = service_ref(est, p, &b.target);
    let svc = service.as_ref().and_then(|(ns, name, _)| {
        est.service_index.get(&(ns.as_str(), name.as_str())).map(|&si| est.services[si])
    });
    let sp = svc.and_then(|s| service_port(s, service.as_ref().and_then(|(.., port)| port.as_deref())));
    // The port on the pods: the Service's targetPort, else the port the route names.
    let target_port: Option<String> = match (sp, &b.target) {
        (Some(sp), _) => Some(sp.target_port.clone()),
        (None, ztpath_probes::BackendTarget::Address { port: Some(n), .. }) => Some(n.to_string()),
        (None, _) => service.as_ref().and_then(|(.., port)| port.clone()),
    };
    let view = workload.map(|wi| &est.workloads[wi]);
    let containers =
        view.map(|w| w.w.pod.containers.iter().filter(|c| !c.init).collect::<Vec<_>>()).unwrap_or_default();
    // The container port: by number, or by the name the targetPort gives.
    let (number, container_port) = match target_port.as_deref() {
        Some(tp) => match tp.parse::<u32>() {
            Ok(n) => (
                Some(n),
                containers.iter().find_map(|c| c.ports.iter().find(|cp| cp.port == n).map(|cp| (*c, cp))),
            ),
            Err(_) => {
                let found = containers.iter().find_map(|c| {
                    c.ports.iter().find(|cp| !cp.name.is_empty() && cp.name == tp).map(|cp| (*c, cp))
                });
                (found.map(|(_, cp)| cp.port), found)
            }
        },
        None => (None, None),
    };
    let mut ports: Vec<u32> = sp.map(|sp| sp.port).into_iter().chain(number).collect();
    ports.dedup();
    let port_text = number
        .or(sp.map(|sp| sp.port))
        .map_or_else(|| "the backend port".to_owned(), |n| format!("port {n} of the backend"));
    let fact = |tls: PortTls, why: String, source: Option<Source>| PortFact {
        tls,
        why,
        source,
        ports: ports.clone(),
    };

    // 1. The proxy's own configuration.
    if b.port_tls != PortTls::Unknown {
        let how = if b.port_tls == PortTls::Tls { "HTTPS" } else { "plain HTTP" };
        return fact(
            b.port_tls,
            format!("the target group's health check speaks {how} on the traffic port"),
            Some(at(p, l, b.line)),
        );
    }
    // 2. The server the backend's pods run on that port.
    if let (Some(wi), false) = (workload, ports.is_empty()) {
        let mut seen: Vec<(PortTls, String, Source)> = Vec::new();
        for &qi in proxies_run_by.get(&wi).into_iter().flatten().filter(|&&q| q != pi) {
            let q = &est.inv.proxies[qi];
            for ql in q.listeners.iter().filter(|ql| ql.port.is_some_and(|n| ports.contains(&n))) {
                let (tls, does) = match ql.tls {
                    ListenerTls::Terminate => (PortTls::Tls, "terminates TLS"),
                    ListenerTls::Passthrough => (PortTls::Tls, "takes TLS only"),
                    ListenerTls::Plaintext => (PortTls::Plaintext, "serves plaintext"),
                    ListenerTls::Layer4 => continue,
                };
                let name = match &q.namespace {
                    Some(ns) => format!("{ns}/{}", q.name),
                    None => q.name.clone(),
                };
                let why = format!(
                    "the pods serve {} {name}, whose listener {} on port {} {does}",
                    object_kind(q),
                    ql.name,
                    ql.port.unwrap_or_default()
                );
                seen.push((tls, why, at(q, ql, ql.line)));
            }
        }
        // Listeners on that port that disagree show nothing.
        if let Some((tls, why, source)) = seen.first().cloned()
            && seen.iter().all(|(t, ..)| *t == tls)
        {
            return fact(tls, why, Some(source));
        }
    }
    // 3. The pods' probes on that port.
    if let (Some(view), Some(n)) = (view, number) {
        let named = container_port.map(|(_, cp)| cp.name.as_str()).filter(|s| !s.is_empty());
        for c in &containers {
            for pr in c.probes.iter().filter(|pr| pr.port == n.to_string() || Some(pr.port.as_str()) == named)
            {
                let (tls, what) = match pr.kind {
                    ProbeKind::HttpGet { https: true } => (PortTls::Tls, "an HTTPS httpGet probe"),
                    ProbeKind::HttpGet { https: false } => (PortTls::Plaintext, "a plain-HTTP httpGet probe"),
                    ProbeKind::Grpc => (PortTls::Plaintext, "the kubelet's gRPC probe, which speaks no TLS,"),
                    ProbeKind::TcpSocket => continue,
                };
                return fact(
                    tls,
                    format!("container {} of {} answers {what} on port {n}", c.name, view.display()),
                    Some(view.meta().source.at(pr.line)),
                );
            }
        }
    }
    // 4. and 5. The declared protocol of the Service port, then the names.
    if let (Some(svc), Some(sp)) = (svc, sp) {
        let place = format!("Service {}/{} port {}", svc.meta.ns(), svc.meta.name, sp.port);
        if let Some(ap) = sp.app_protocol.as_deref() {
            let tls = app_protocol_tls(ap);
            if tls != PortTls::Unknown {
                return fact(
                    tls,
                    format!("{place} has appProtocol `{ap}`"),
                    Some(svc.meta.source.at(sp.line)),
                );
            }
        }
        let tls = port_name_tls(&sp.name);
        if tls != PortTls::Unknown {
            return fact(tls, format!("{place} is named `{}`", sp.name), Some(svc.meta.source.at(sp.line)));
        }
    }
    if let (Some(view), Some((c, cp))) = (view, container_port) {
        let tls = port_name_tls(&cp.name);
        if tls != PortTls::Unknown {
            return fact(
                tls,
                format!(
                    "container port {} of {} ({}) is named `{}`",
                    cp.port,
                    view.display(),
                    c.name,
                    cp.name
                ),
                Some(view.meta().source.at(cp.line)),
            );
        }
    }
    PortFact::unknown(format!("the input does not show whether {port_text} speaks TLS"), ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_follow_istio_and_kubernetes_conventions() {
        for (name, tls) in [
            ("http", PortTls::Plaintext),
            ("http-metrics", PortTls::Plaintext),
            ("http2", PortTls::Plaintext),
            ("grpc", PortTls::Plaintext),
            ("grpc-web", PortTls::Plaintext),
            ("h2c", PortTls::Plaintext),
            ("https", PortTls::Tls),
            ("HTTPS-admin", PortTls::Tls),
            ("tls", PortTls::Tls),
            ("tls-passthrough", PortTls::Tls),
            ("tcp", PortTls::Unknown),
            ("web", PortTls::Unknown),
            ("httpx", PortTls::Unknown),
            ("", PortTls::Unknown),
        ] {
            assert_eq!(port_name_tls(name), tls, "{name}");
        }
        for (ap, tls) in [
            ("kubernetes.io/h2c", PortTls::Plaintext),
            ("kubernetes.io/ws", PortTls::Plaintext),
            ("kubernetes.io/wss", PortTls::Tls),
            ("https", PortTls::Tls),
            ("HTTP", PortTls::Plaintext),
            ("linkerd.io/opaque", PortTls::Unknown),
            ("tcp", PortTls::Unknown),
        ] {
            assert_eq!(app_protocol_tls(ap), tls, "{ap}");
        }
    }
}
