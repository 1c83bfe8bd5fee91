//! ZT301: the configuration requires a client certificate, and the wire lets a client in without one.

use ztpath_probes::ClientAuth;
use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT301",
    name: "wire-admits-without-client-cert",
    title: "Configuration requires a client certificate, the live endpoint admits clients without one",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T6, NistTenet::T5],
    rationale: "Configuration is intent; the wire is fact. A repository can say `ssl_verify_client on` while \
the running server was deployed from another branch, or a mesh namespace can be STRICT while the port is \
excluded from the sidecar. Reviews and config scans then vouch for mutual TLS that callers do not have to \
present: any client that reaches the endpoint gets in anonymously.",
    remediation: "Find out what is running: redeploy the configuration the repository holds (or fix the \
repository to say what is deployed), and check again with `ztpath probe tls`. For a mesh, remove the port \
from `excludeInboundPorts`/`skip-inbound-ports` and check that the sidecar is injected.",
    detects: "An endpoint probed live (`ztpath scan --tls --tls-target host:port=Kind/ns/name`, or a \
recorded `TlsObservation`) that belongs to an object whose configuration requires a client certificate \
(nginx `ssl_verify_client on`, HAProxy `verify required`, Envoy `require_client_certificate`, ingress-nginx \
`auth-tls-verify-client: on`, Istio `MUTUAL`, STRICT mesh mTLS), and whose handshake without a certificate \
shows `client_auth` `optional` (asked, not enforced) or `not-requested`.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for v in super::wire::views(a) {
        let (Some(config), Some(auth)) = (v.requires_client_cert, v.o.client_auth) else { continue };
        let what = match auth {
            ClientAuth::Required => continue,
            ClientAuth::Optional => "asks for a client certificate but lets a client without one in",
            ClientAuth::NotRequested => "does not even ask for a client certificate",
        };
        sink.push(Hit {
            severity: Severity::High,
            subject: v.subject.clone(),
            key: v.endpoint(),
            message: format!(
                "The configuration says {config}, but the live endpoint {} {what}.",
                v.endpoint()
            ),
            evidence: v.evidence.clone(),
            paths: v.paths.clone(),
        });
    }
}
