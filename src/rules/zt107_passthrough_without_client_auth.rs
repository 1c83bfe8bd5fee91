//! ZT107: TLS passes through a proxy to a backend that is not known to authenticate clients.

use ztpath_probes::{ClientCertMode, ListenerTls};
use ztpath_reports::Severity;

use super::{Rule, Sink};
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT107",
    name: "passthrough-without-client-auth",
    title: "TLS passthrough to a backend that does not require client certificates",
    severity: Severity::Medium,
    owasp_nhi: &["NHI4:2025"],
    nist_800_207: &["T6"],
    rationale: "With TLS passthrough the proxy sees no identity and enforces nothing: routing by SNI is not access \
control. Authentication then rests entirely on the backend's own TLS server, and if that does not require client \
certificates, anyone who reaches the listener reaches the backend anonymously.",
    remediation: "Require client certificates on the backend's TLS server (and verify them against your CA), or \
terminate and re-establish mutual TLS at the proxy with the caller's identity propagated.",
    detects: "A passthrough listener (Istio Gateway `PASSTHROUGH`, Gateway API `Passthrough`, ingress-nginx \
`ssl-passthrough`, HAProxy `mode tcp` without `ssl`, NLB TCP listeners) routing to a backend for which the input \
shows no listener that requires client certificates.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let inv = a.estate.inv;
    for p in &a.proxy_paths {
        let listener = &inv.proxies[p.proxy].listeners[p.listener];
        if listener.tls != ListenerTls::Passthrough {
            continue;
        }
        // A backend that is itself a proxy requiring client certificates authenticates the client.
        let backend_requires = p.target.and_then(|wi| a.proxies_run_by.get(&wi)).is_some_and(|qs| {
            qs.iter().any(|&q| {
                inv.proxies[q]
                    .listeners
                    .iter()
                    .any(|l| l.tls == ListenerTls::Terminate && l.client_cert == ClientCertMode::Required)
            })
        });
        if !backend_requires {
            super::proxy_hit(
                a,
                sink,
                p,
                sink.default_severity(),
                "TLS passes through to a backend not known to require client certificates",
            );
        }
    }
}
