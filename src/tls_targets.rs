//! The endpoints an estate names, for `scan --tls`: where each proxy, load balancer, Ingress and
//! Gateway listener can be reached (its bound or published address, else its host names), and,
//! when ztpath runs inside the cluster, every Service by its cluster DNS name. Each target is
//! mapped to the object it came from, so the rules compare the wire with that object's
//! configuration.
//!
//! Every name comes from the input, so it is admitted only when it is a DNS name or an address
//! rustls accepts (no wildcard, no `_`, no control character), and the number of targets is
//! capped by the caller.

use std::collections::HashSet;

use ztpath_probes::tls::TlsTarget;
use ztpath_probes::{EstateRef, Inventory, ListenerTls, Proxy, ProxyKind};

/// Where to look for endpoints.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discovery {
    /// Also every Service with a selector, by `name.namespace.svc` (in-cluster DNS).
    pub cluster_services: bool,
}

/// The endpoints the estate names, in the estate's order, each once (by host, port and SNI).
pub fn from_estate(inventory: &Inventory, discovery: Discovery) -> Vec<TlsTarget> {
    let mut out = Vec::new();
    for p in &inventory.proxies {
        proxy_targets(p, &mut out);
    }
    if discovery.cluster_services {
        for s in &inventory.services {
            if s.selector.is_none() {
                continue;
            }
            let ns = s.meta.ns();
            let host = format!("{}.{ns}.svc", s.meta.name);
            if !valid_name(&host) {
                continue;
            }
            for port in s.ports.iter().filter(|p| p.protocol.eq_ignore_ascii_case("TCP")) {
                let Ok(port) = u16::try_from(port.port) else { continue };
                out.push(target(&host, port, None, "Service", Some(ns), &s.meta.name));
            }
        }
    }
    dedup(out)
}

/// Puts the given targets first and adds the discovered ones that reach another endpoint (host,
/// port and SNI) of an object and port no given target was mapped to: the user's own target for a
/// listener replaces what the estate says of it.
pub fn merge(given: Vec<TlsTarget>, discovered: Vec<TlsTarget>) -> Vec<TlsTarget> {
    let covered: HashSet<(String, Option<String>, String, u16)> =
        given.iter().filter_map(|t| t.maps_to.as_ref().map(|m| object_port(m, t.port))).collect();
    let mut all = given;
    all.extend(
        discovered
            .into_iter()
            .filter(|t| t.maps_to.as_ref().is_none_or(|m| !covered.contains(&object_port(m, t.port)))),
    );
    dedup(all)
}

fn object_port(m: &EstateRef, port: u16) -> (String, Option<String>, String, u16) {
    (m.kind.to_ascii_lowercase(), m.namespace.clone(), m.name.clone(), port)
}

fn dedup(targets: Vec<TlsTarget>) -> Vec<TlsTarget> {
    let mut seen = HashSet::new();
    targets
        .into_iter()
        .filter(|t| {
            seen.insert((t.host.to_ascii_lowercase(), t.port, t.sni.as_ref().map(|s| s.to_ascii_lowercase())))
        })
        .collect()
}

fn proxy_targets(p: &Proxy, out: &mut Vec<TlsTarget>) {
    let kind = crate::paths::backends::object_kind(p);
    // An AWS load balancer is reached by its DNS name.
    let dns_name = matches!(p.kind, ProxyKind::AwsAlb | ProxyKind::AwsNlb)
        .then(|| p.attrs.get("dns_name"))
        .flatten()
        .filter(|n| valid_name(n));
    for l in &p.listeners {
        // Passed-through and layer-4 listeners show the backend's TLS, which their configuration
        // does not describe; except a LoadBalancer Service's layer-4 port at its published
        // address, which reaches the Service's pods (the wire is compared with theirs).
        let reaches_pods = crate::paths::wire::passes_to_pods(p, l);
        if l.local_only || !(reaches_pods || matches!(l.tls, ListenerTls::Terminate | ListenerTls::Plaintext))
        {
            continue;
        }
        let Some(port) = l.port.and_then(|p| u16::try_from(p).ok()).filter(|&p| p != 0) else { continue };
        let names: Vec<&str> = l.hosts.iter().map(String::as_str).filter(|h| valid_name(h)).collect();
        let address = l.address.as_deref().filter(|a| valid_name(a)).or(dns_name.map(String::as_str));
        let ns = p.namespace.as_deref();
        match (address, names.as_slice()) {
            (Some(address), []) => out.push(target(address, port, None, kind, ns, &p.name)),
            (Some(address), names) => {
                for name in names {
                    let sni = (!name.eq_ignore_ascii_case(address)).then_some(*name);
                    out.push(target(address, port, sni, kind, ns, &p.name));
                }
            }
            (None, names) => {
                for name in names {
                    out.push(target(name, port, None, kind, ns, &p.name));
                }
            }
        }
    }
}

/// A DNS name or an IP address that can be connected to and sent as SNI: not a wildcard, not
/// nginx's catch-all `_`, not `localhost`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
        && !is_loopback_name(name)
        && ztpath_probes::tls::is_server_name(name)
}

fn is_loopback_name(name: &str) -> bool {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    lower == "localhost" || lower.ends_with(".localhost")
}

fn target(host: &str, port: u16, sni: Option<&str>, kind: &str, ns: Option<&str>, name: &str) -> TlsTarget {
    let endpoint = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let text = match sni {
        Some(sni) => format!("{endpoint}={sni}"),
        None => endpoint,
    };
    TlsTarget {
        text,
        host: host.to_ascii_lowercase(),
        port,
        sni: sni.map(str::to_ascii_lowercase),
        maps_to: Some(EstateRef {
            kind: kind.to_owned(),
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_admitted_only_when_they_can_be_dialled() {
        for good in ["shop.example.com", "10.0.0.5", "2001:db8::1", "api.shop.svc"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["*.example.com", "_", "", "localhost", "a b", "x\u{1b}[2J", "shop/evil", "a@b"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
