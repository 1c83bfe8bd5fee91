//! ZT305: a workload certificate (with a SPIFFE ID) lives longer than the mesh promises.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT305",
    name: "long-lived-workload-certificate",
    title: "Workload certificate lives longer than allowed",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi7],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "Workload identities are meant to be short-lived: Istio and SPIRE issue SVIDs for hours and \
rotate them, so a stolen key is worth little. A workload certificate that lives for months or a year is a \
long-lived secret: whoever copies its key is that workload for all that time.",
    remediation: "Issue workload certificates from the mesh CA or SPIRE with a short TTL (hours), and \
rotate them automatically; do not mount hand-made long-lived certificates as workload identities.",
    detects: "The leaf certificate of a live endpoint with a `spiffe://` URI SAN whose lifetime \
(`notAfter` − `notBefore`) exceeds `--max-workload-cert-hours` (24).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let max_hours = a.options().max_workload_cert_hours;
    for v in super::wire::views(a) {
        let Some(leaf) = v.o.leaf() else { continue };
        let Some(id) = leaf.spiffe_ids().next() else { continue };
        let hours = leaf.lifetime_seconds() / 3600;
        if leaf.lifetime_seconds() <= max_hours.saturating_mul(3600) {
            continue;
        }
        sink.push(Hit {
            severity: Severity::Medium,
            subject: v.subject.clone(),
            key: v.endpoint(),
            message: format!(
                "The workload certificate of {} ({id}) lives {hours} hours ({} days), more than {max_hours} hours.",
                v.endpoint(),
                hours / 24
            ),
            evidence: v.evidence.clone(),
            paths: v.paths.clone(),
        });
    }
}
