//! ZT107: TLS passes through a proxy to a backend that is not known to authenticate clients.

use ztpath_probes::{ClientCertMode, ListenerTls};
use ztpath_reports::Severity;

use super::rule::{NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;
use crate::paths::proxies::Front;

pub(super) static RULE: Rule = Rule {
    id: "ZT107",
    name: "passthrough-without-client-auth",
    title: "TLS passthrough to a backend that does not require client certificates",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T6],
    rationale: "With TLS passthrough the proxy sees no identity and enforces nothing: routing by SNI is not access \
control. Authentication then rests entirely on the backend's own TLS server, and if that does not require client \
certificates, anyone who reaches the listener reaches the backend anonymously.",
    remediation: "Require client certificates on the backend's TLS server (and verify them against your CA), or \
terminate and re-establish mutual TLS at the proxy with the caller's identity propagated.",
    detects: "A passthrough listener routing to a backend for which the input shows no listener that requires \
client certificates: a listener that routes TLS by SNI (Istio Gateway `PASSTHROUGH`, Gateway API \
`Passthrough`, ingress-nginx `ssl-passthrough`, an Envoy filter chain matching server names, HAProxy on \
`req.ssl_sni`, nginx `ssl_preread`), or a layer-4 listener that forwards bytes as they come (a `LoadBalancer` \
Service, an NLB TCP listener, HAProxy `mode tcp`, an nginx `stream` server, an Envoy `tcp_proxy`, a Gateway API \
TCP listener, an Istio TCP server) when the backend port is known to speak TLS or is not known either way. The \
finding says which: it speaks of a TLS session only where TLS is known (a port named `https` or `tls`, an \
`appProtocol` of `https`, `tls` or `kubernetes.io/wss`, an HTTPS probe or health check, a TLS listener of the \
server the pods run); otherwise it says that whether the bytes are TLS is not known. A layer-4 hop to a port \
known to speak plaintext is ZT106's.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let inv = a.inventory();
    for p in a.proxy_paths() {
        // TLS known to pass through, or bytes passed at layer 4 to a port not known to speak TLS
        // or plaintext (a port known to be plaintext is ZT106's).
        let what = match p.front {
            Front::TlsPassthrough => {
                "TLS passes through to a backend not known to require client certificates"
            }
            Front::Layer4Unknown => {
                "bytes pass through at layer 4, TLS or not, to a backend not known to require client certificates"
            }
            Front::Plaintext | Front::Terminate => continue,
        };
        // A backend that is itself a proxy requiring client certificates authenticates the client.
        let backend_requires = p.target.map(|wi| a.proxies_run_by(wi)).is_some_and(|qs| {
            qs.iter().any(|&q| {
                inv.proxies[q]
                    .listeners
                    .iter()
                    .any(|l| l.tls == ListenerTls::Terminate && l.client_cert == ClientCertMode::Required)
            })
        });
        if !backend_requires {
            super::rule::proxy_hit(a, sink, p, sink.default_severity(), what);
        }
    }
}
