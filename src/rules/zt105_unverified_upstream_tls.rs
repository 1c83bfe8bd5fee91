//! ZT105: a proxy talks TLS to its backend without verifying the backend's certificate.

use ztpath_reports::Severity;

use super::rule::{NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT105",
    name: "unverified-upstream-tls",
    title: "TLS to the backend without verifying it",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T2, NistTenet::T6],
    rationale: "\"HTTPS to the backend\" encrypts the hop but authenticates nothing when the proxy does not \
verify the backend's certificate: anyone who can answer on the backend's address (a rogue pod, a hijacked \
endpoint) receives the requests, and the caller identity headers and tokens that travel with them. nginx \
`proxy_ssl_verify` and ingress-nginx `proxy-ssl-verify` are off by default, Envoy verifies upstreams only with a \
validation context, and AWS load balancers never validate target certificates.",
    remediation: "Verify the backend: nginx `proxy_ssl_verify on` with `proxy_ssl_trusted_certificate` and \
`proxy_ssl_name`; ingress-nginx `proxy-ssl-verify: \"on\"` with `proxy-ssl-secret`; Envoy an \
`UpstreamTlsContext` validation context with `trusted_ca` and SAN matching; Gateway API a `BackendTLSPolicy`; or \
let the mesh carry the hop with mTLS. Behind an AWS load balancer, authenticate the caller in the target itself.",
    detects: "A path through a proxy whose backend hop uses TLS without server verification (nginx \
`proxy_ssl_verify` off or unset, HAProxy `verify none` or `ssl-server-verify none`, Envoy without a validation \
context, ingress-nginx `backend-protocol: HTTPS` without `proxy-ssl-verify`, ALB/NLB HTTPS/TLS target groups). \
Not when the backend is at a loopback address or a Unix socket: inside the proxy's own pod no one else can \
answer.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for p in a.proxy_paths() {
        let proxy = &a.inventory().proxies[p.proxy];
        let route = &proxy.listeners[p.listener].routes[p.route];
        // In the proxy's own pod no one else can answer on the loopback address.
        if route.backend.tls && route.backend.verify_server != Some(true) && !p.in_pod {
            super::rule::proxy_hit(
                a,
                sink,
                p,
                sink.default_severity(),
                "the proxy does not verify the backend it sends TLS to",
            );
        }
    }
}
