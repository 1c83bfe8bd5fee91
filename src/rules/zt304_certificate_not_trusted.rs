//! ZT304: a presented chain is untrusted or self-signed, or the leaf is not valid for the name.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT304",
    name: "certificate-not-trusted",
    title: "Server certificate untrusted, self-signed, or not valid for the name",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T2, NistTenet::T6],
    rationale: "A certificate that does not chain to a trusted CA, or that is not issued for the name the \
client connects to, authenticates nothing: clients either fail, or are configured not to verify and would \
accept any certificate, an attacker's included. A self-signed certificate where the configuration expects \
one issued by a CA (the mesh's, the organisation's) means the server does not hold the identity it claims.",
    remediation: "Serve a certificate issued by the CA clients trust (pass it with `--tls-ca` to check \
against a private CA) for every name the endpoint is reached by (DNS or IP SANs; the subject CN is not \
used for names).",
    detects: "A live endpoint whose chain does not lead to the roots (system roots, or `--tls-ca`): \
**high** when the leaf is self-signed and the endpoint is mapped to an estate object, **medium** otherwise; \
and, apart, a leaf not valid for the server name: **medium** (not for a workload certificate with a SPIFFE ID \
and no DNS or IP name: clients check that ID, which ZT306 compares with the graph).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for v in super::wire::views(a) {
        let Some(leaf) = v.o.leaf() else { continue };
        if v.o.trusted == Some(false) {
            let (severity, what) = if leaf.self_signed {
                (if v.mapped { Severity::High } else { Severity::Medium }, "is self-signed")
            } else {
                (Severity::Medium, "does not chain to a trusted root")
            };
            sink.push(Hit {
                severity,
                subject: v.subject.clone(),
                key: format!("{} trust", v.endpoint()),
                message: format!("The certificate of {} ({}) {what}.", v.endpoint(), leaf.subject),
                evidence: v.evidence.clone(),
                paths: v.paths.clone(),
            });
        }
        // A workload certificate (an X.509-SVID) with no DNS or IP name is checked by its SPIFFE
        // ID, which ZT306 compares: it has no name to match.
        let svid = leaf.dns_sans.is_empty()
            && leaf.ip_sans.is_empty()
            && leaf.uri_sans.iter().any(|u| u.get(..9).is_some_and(|p| p.eq_ignore_ascii_case("spiffe://")));
        if v.o.name_valid == Some(false) && !svid {
            let name = v.o.sni.as_deref().unwrap_or(&v.o.host);
            sink.push(Hit {
                severity: Severity::Medium,
                subject: v.subject.clone(),
                key: format!("{} name", v.endpoint()),
                message: format!(
                    "The certificate of {} ({}) is not valid for the name {name}.",
                    v.endpoint(),
                    leaf.subject
                ),
                evidence: v.evidence.clone(),
                paths: v.paths.clone(),
            });
        }
    }
}
