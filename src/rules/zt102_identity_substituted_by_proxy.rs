//! ZT102: Proxy replaces the caller's identity with its own.

use ztpath_reports::{IdentityState, Severity};

use super::rule::{NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT102",
    name: "identity-substituted-by-proxy",
    title: "Proxy replaces the caller's identity with its own",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi4, OwaspNhi::Nhi9],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "When the proxy authenticates to the backend with its own certificate (Envoy upstream `tls_certificates`, nginx `proxy_ssl_certificate`, HAProxy `server ... crt`, a Gateway's backend client certificate) and forwards nothing about the caller, every caller looks the same to the backend: the proxy's identity is a shared credential for all of them, and the backend's authorization can only say yes or no to the proxy.",
    remediation: "Keep the proxy's mTLS (it authenticates the hop) but also forward the caller's verified identity (XFCC `SANITIZE_SET`, a header set from the verified certificate, or a token the backend verifies), and authorize on it at the backend; or let the mesh carry the caller's own workload identity end to end.",
    detects: "A path through a proxy whose backend hop presents the proxy's own client certificate (or other fixed credential) while the caller's identity is not propagated. Not when the hop stays inside the proxy's pod (a backend at a loopback address or a Unix socket), nor when the listener is bound to loopback: its only callers are the processes of its own pod, whose identity the proxy's certificate is.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    // Not inside one pod: a sidecar's certificate towards its own application stands for nobody.
    for p in a.proxy_paths().iter().filter(|p| p.identity == IdentityState::Terminated && !p.in_pod) {
        super::rule::proxy_hit(
            a,
            sink,
            p,
            sink.default_severity(),
            "the backend sees the proxy's identity in place of the caller's",
        );
    }
}
