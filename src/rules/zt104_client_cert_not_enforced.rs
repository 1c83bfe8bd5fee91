//! ZT104: a TLS listener asks for client certificates but does not require or verify them.

use ztpath_probes::{ClientCertMode, ListenerTls};
use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT104",
    name: "client-cert-not-enforced",
    title: "Client certificate optional or not verified",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T6],
    rationale: "A listener configured for client certificates looks like mutual TLS in review, but when the \
certificate is optional anonymous clients still get in, and when it is not verified against a CA any \
self-signed certificate with any subject is accepted. Either way the identity the proxy acts on is not \
authenticated.",
    remediation: "Require and verify: nginx `ssl_verify_client on` with `ssl_client_certificate`; HAProxy \
`verify required` with `ca-file`; Envoy `require_client_certificate: true` with a `trusted_ca`; Istio Gateway \
`MUTUAL`; Gateway API frontend validation `AllowValidOnly`; ingress-nginx `auth-tls-verify-client: \"on\"`; ALB \
mutual authentication `verify`.",
    detects: "A TLS-terminating listener whose client certificate is optional (nginx `optional`, HAProxy `verify \
optional`, Envoy without `require_client_certificate`, Istio `OPTIONAL_MUTUAL`, Gateway API \
`AllowInsecureFallback`, ingress-nginx `auth-tls-verify-client: optional`): **medium**; or not verified against a \
CA (nginx `optional_no_ca`, Envoy without `trusted_ca`, `ACCEPT_UNTRUSTED`, ALB mTLS `passthrough`): **high**.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for p in &a.inventory().proxies {
        for l in &p.listeners {
            let (severity, what) = match (l.tls, l.client_cert) {
                (ListenerTls::Terminate, ClientCertMode::Optional) => {
                    (Severity::Medium, "asks for a client certificate but lets clients without one in")
                }
                (ListenerTls::Terminate, ClientCertMode::Unverified) => {
                    (Severity::High, "accepts client certificates without verifying them against a CA")
                }
                _ => continue,
            };
            let paths = a
                .proxy_paths()
                .iter()
                .filter(|pp| {
                    std::ptr::eq(&a.inventory().proxies[pp.proxy], p)
                        && std::ptr::eq(&p.listeners[pp.listener], l)
                })
                .map(|pp| a.paths()[pp.path].id.clone())
                .collect();
            sink.push(Hit {
                severity,
                subject: super::rule::proxy_subject(p),
                key: l.name.clone(),
                message: format!(
                    "{} listener {} (port {}) {what}.",
                    p.name,
                    l.name,
                    l.port.map_or_else(|| "?".to_owned(), |n| n.to_string())
                ),
                evidence: vec![crate::paths::backends::at(p, l, l.line)],
                paths,
            });
        }
    }
}
