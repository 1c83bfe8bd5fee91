//! ZT302: the configuration says TLS and the wire speaks plaintext, or the reverse.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT302",
    name: "wire-transport-mismatch",
    title: "Live endpoint speaks plaintext where the configuration says TLS, or the reverse",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T2, NistTenet::T5],
    rationale: "An endpoint whose configuration terminates TLS (or requires mesh mTLS) but that answers a \
TLS ClientHello in plaintext carries credentials and data in the clear, and authenticates no caller; the \
configuration that reviews look at is not what runs. The reverse (TLS where the configuration says plaintext) \
is harmless on the wire but means the configuration read is not the one deployed.",
    remediation: "Redeploy the reviewed configuration, or correct the repository; for a mesh, check that the \
sidecar is injected and the port not excluded. Probe again with `ztpath probe tls`.",
    detects: "An endpoint probed live and mapped to an object whose listener terminates TLS or whose \
workload requires STRICT mTLS, that answered in plaintext: **high**; or one whose listener is plaintext and \
that completed a TLS handshake: **low**.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for v in super::wire::views(a) {
        let (Some((expected, config)), Some(tls)) = (v.expects_tls, v.o.tls) else { continue };
        if expected == tls {
            continue;
        }
        let (severity, message) = if expected {
            (
                Severity::High,
                format!(
                    "The configuration {config}, but the live endpoint {} answers in plaintext.",
                    v.endpoint()
                ),
            )
        } else {
            (
                Severity::Low,
                format!(
                    "The configuration {config}, but the live endpoint {} speaks TLS: the configuration read is not the one running.",
                    v.endpoint()
                ),
            )
        };
        sink.push(Hit {
            severity,
            subject: v.subject.clone(),
            key: v.endpoint(),
            message,
            evidence: v.evidence.clone(),
            paths: v.paths.clone(),
        });
    }
}
