//! ZT106: a load balancer or proxy forwards to its backend in plaintext.

use ztpath_probes::{ListenerTls, ProxyKind};
use ztpath_reports::Severity;

use super::rule::{NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;
use crate::paths::proxies::Front;
use crate::resolve::estate::Mesh;

pub(super) static RULE: Rule = Rule {
    id: "ZT106",
    name: "plaintext-to-backend",
    title: "Proxy or load balancer forwards in plaintext",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T2],
    rationale: "Behind the edge, the request (with its tokens, cookies and identity headers) crosses the network \
in clear, and the backend cannot tell the proxy from any other sender on that network. Terminating TLS at a load \
balancer and forwarding plaintext is the classic implicit-trust perimeter that NIST SP 800-207 §2.2 warns \
against.",
    remediation: "Re-encrypt to the backend and authenticate the hop: HTTPS/TLS target groups with the target \
authenticating callers, a verified upstream TLS context, ingress-nginx `backend-protocol: HTTPS` with \
`proxy-ssl-verify`, a Gateway API `BackendTLSPolicy`, or put the backend (and the proxy) in the mesh with STRICT \
mTLS.",
    detects: "A path through a proxy or load balancer whose backend hop is plaintext, when the backend is not a \
meshed workload (whose sidecar may add mTLS) — for AWS load balancers and `LoadBalancer` Services always. \
**High** when the listener terminated TLS (the client was promised an encrypted channel).\n\n\
A layer-4 hop (a `LoadBalancer` Service, an NLB TCP listener, a TCP proxy or TCP route) forwards the client's \
bytes as they are, so it is plaintext only when the backend port is known to speak plaintext: an AWS target \
group's HTTP health check on the traffic port, a plaintext listener of the server the backend's pods run, an \
`httpGet` probe without `scheme: HTTPS` or a `grpc` probe on that port, a Service port `appProtocol` of `http`, \
`h2c`, `kubernetes.io/h2c`, `kubernetes.io/ws` or `grpc`, or a Service or container port named `http`, \
`http2`, `grpc` or `h2c` (`<protocol>[-<suffix>]`, as Istio reads port names). A layer-4 hop to a port known \
to speak TLS, or not known either way, is ZT107's. A hop to a loopback address or a Unix socket (a sidecar in \
front of its own application) stays inside the pod and is not reported.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for p in a.proxy_paths() {
        let proxy = &a.inventory().proxies[p.proxy];
        let listener = &proxy.listeners[p.listener];
        let route = &listener.routes[p.route];
        // TLS passing through, or bytes of a port not known to be plaintext, are not this rule's;
        // nor is a hop to an application in the proxy's own pod, which crosses no network.
        let plaintext = matches!(p.front, Front::Plaintext | Front::Terminate) && !route.backend.tls;
        if !plaintext || p.in_pod {
            continue;
        }
        let lb = matches!(
            proxy.kind,
            ProxyKind::AwsAlb | ProxyKind::AwsNlb | ProxyKind::IngressAlb | ProxyKind::ServiceLoadBalancer
        );
        let meshed = p.target.is_some_and(|wi| a.workloads()[wi].mesh != Mesh::None);
        if meshed && !lb {
            continue;
        }
        let severity =
            if listener.tls == ListenerTls::Terminate { Severity::High } else { sink.default_severity() };
        super::rule::proxy_hit(a, sink, p, severity, "the hop to the backend is plaintext");
    }
}
