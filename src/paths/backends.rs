//! Where a proxy's backend and configuration are: the place of a listener's settings, the Service
//! a backend names, and the kind of object a proxy is named by. Shared by the proxy paths and the
//! port-TLS facts.

use ztpath_probes::{BackendTarget, Proxy, ProxyListener, Source};

use crate::resolve::estate::Estate;

/// A place in a listener's configuration: its own file when it has one (an included nginx file,
/// a listener read from another AWS Config file), else the proxy's.
pub fn at(p: &Proxy, l: &ProxyListener, line: u32) -> Source {
    match &l.file {
        Some(file) => Source { file: file.clone(), line },
        None => p.source.at(if line == 0 { p.source.line } else { line }),
    }
}

/// The Service a route's target names, as (namespace, name, port): a Service backend, a Service
/// DNS name (`svc.ns`, `svc.ns.svc.cluster.local`, or a bare name in the proxy's namespace), or
/// an AWS target group bound to a Service by a TargetGroupBinding.
pub fn service_ref(
    estate: &Estate<'_>,
    p: &Proxy,
    target: &BackendTarget,
) -> Option<(String, String, Option<String>)> {
    match target {
        BackendTarget::Service { namespace, name, port } => {
            Some((namespace.clone(), name.clone(), port.clone()))
        }
        BackendTarget::Address { host, port } => {
            if ztpath_probes::address::is_local_host(host) {
                return None;
            }
            let parts: Vec<&str> = host.split('.').collect();
            let port = port.map(|n| n.to_string());
            match parts.as_slice() {
                [name, ns] | [name, ns, "svc", ..] => Some(((*ns).to_owned(), (*name).to_owned(), port)),
                [name] => p.namespace.as_ref().map(|ns| (ns.clone(), (*name).to_owned(), port)),
                _ => None,
            }
        }
        BackendTarget::Named(tg) => estate
            .inv
            .target_group_bindings
            .iter()
            .find(|b| &b.target_group == tg)
            .map(|b| (b.meta.ns().to_owned(), b.service.clone(), b.port.clone())),
    }
}

/// The kind of object a proxy or load balancer is named by in findings: the Kubernetes object, or
/// the configuration file.
pub fn object_kind(p: &Proxy) -> &'static str {
    use ztpath_probes::ProxyKind as K;
    match p.kind {
        K::IngressNginx | K::IngressAlb | K::Ingress => "Ingress",
        K::Gateway | K::IstioGateway => "Gateway",
        K::ServiceLoadBalancer => "Service",
        K::Envoy => "EnvoyConfig",
        K::Nginx => "NginxConfig",
        K::Haproxy => "HaproxyConfig",
        K::AwsAlb | K::AwsNlb => "LoadBalancer",
    }
}
