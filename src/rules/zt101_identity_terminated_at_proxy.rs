//! ZT101: Proxy verifies the caller, then drops its identity.

use ztpath_reports::{IdentityState, Severity};

use super::rule::{NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT101",
    name: "identity-terminated-at-proxy",
    title: "Proxy verifies the caller, then drops its identity",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T2, NistTenet::T6],
    rationale: "The listener authenticates the client with a certificate, and then forwards the request with nothing that tells the backend who that client was: no header set from the verified certificate, no XFCC. The backend either trusts every request from the proxy (anyone the proxy admits can do anything the proxy can) or cannot enforce per-caller policy at all. Zero trust asks that each resource decide per caller (NIST SP 800-207 tenets 3 and 6).",
    remediation: "Forward the verified identity in a way the backend can trust: Envoy `forward_client_cert_details: SANITIZE_SET` with `set_current_client_cert_details` (URI for SPIFFE IDs); nginx `proxy_set_header X-SSL-Client-DN $ssl_client_s_dn` (and `$ssl_client_verify`) in every location that proxies; HAProxy `http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]`; ingress-nginx `auth-tls-pass-certificate-to-upstream`. Better still, keep mutual TLS end to end (mesh) and authorize on the workload identity.",
    detects: "A path `clients → proxy → backend` where the proxy's listener requires and verifies a client certificate, but the hop to the backend neither sets an identity header from that certificate nor propagates XFCC, and does not substitute its own certificate either (that case is ZT102). One finding per listener lists its paths.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for p in a.proxy_paths().iter().filter(|p| p.client_verified && p.identity == IdentityState::Lost) {
        super::rule::proxy_hit(
            a,
            sink,
            p,
            sink.default_severity(),
            "the verified client identity ends at the proxy",
        );
    }
}
