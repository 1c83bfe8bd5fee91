//! ZT306: the SPIFFE ID a server presents is not the identity the graph expects of it.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT306",
    name: "spiffe-identity-mismatch",
    title: "Server presents another identity than its workload's",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi9, OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T6, NistTenet::T4],
    rationale: "Authorization policies admit callers, and callers trust servers, by SPIFFE ID. A server \
that presents the ID of another service account (or another trust domain) than the one its workload runs \
as has been given someone else's identity: policies written for that identity now admit or trust it, and \
the graph's view of who talks to whom is wrong. It is identity substitution, whether by a copied key or a \
misrouted endpoint.",
    remediation: "Find where the certificate comes from: a Secret copied from another workload, a \
hand-made certificate, a load balancer sending the traffic to another workload. Give each workload its own \
identity from the mesh CA or SPIRE.",
    detects: "A live endpoint mapped to a workload (or a Service, whose workloads are taken) whose leaf \
certificate carries SPIFFE IDs of which none is `spiffe://<trust domain>/ns/<namespace>/sa/<service \
account>` of those workloads (trust domain and scheme compared without case, the path exactly).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for v in super::wire::views(a) {
        if v.spiffe_ids.is_empty() {
            continue;
        }
        let Some(leaf) = v.o.leaf() else { continue };
        let presented: Vec<&str> = leaf.spiffe_ids().collect();
        if presented.is_empty()
            || presented.iter().any(|p| v.spiffe_ids.iter().any(|e| super::wire::same_spiffe_id(p, e)))
        {
            continue;
        }
        sink.push(Hit {
            severity: Severity::High,
            subject: v.subject.clone(),
            key: v.endpoint(),
            message: format!(
                "{} presents {}, but the workload runs as {}.",
                v.endpoint(),
                presented.join(", "),
                v.spiffe_ids.join(", ")
            ),
            evidence: v.evidence.clone(),
            paths: v.paths.clone(),
        });
    }
}
