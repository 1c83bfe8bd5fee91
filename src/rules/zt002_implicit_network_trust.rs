//! ZT002: a workload admits callers by network reachability instead of by identity.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, workload_subject};
use crate::analysis::Analysis;
use crate::resolve::mesh::Admission;

pub(super) static RULE: Rule = Rule {
    id: "ZT002",
    name: "implicit-network-trust",
    title: "Workload trusts any caller that can reach it",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi4, OwaspNhi::Nhi5],
    nist_800_207: &[NistTenet::T3, NistTenet::T4, NistTenet::T6],
    rationale: "Zero trust admits a caller because of who it is, not where it is. A workload that no authorization \
policy protects by identity accepts every pod that can open a connection to it, so one compromised workload \
anywhere in its network zone can call it. A NetworkPolicy narrows the addresses that may connect, which is \
useful, but an address is not an identity: pods come and go on the same IPs, and anything running in an admitted \
pod inherits the access. NIST SP 800-207 §2.2 says the private network is not an implicit trust zone.",
    remediation: "Write an authorization policy that names the callers: an Istio `AuthorizationPolicy` with \
`action: ALLOW` and `from.source.principals` (e.g. `cluster.local/ns/shop/sa/frontend`) selecting the workload, \
or a Linkerd `Server` for its port with an `AuthorizationPolicy` whose `MeshTLSAuthentication` lists the allowed \
identities. Keep NetworkPolicies as a second layer.",
    detects: "A serving workload whose inbound side admits callers without naming them:\n\n\
- not meshed: nothing can check a caller identity;\n\
- Istio: no `ALLOW` AuthorizationPolicy selects it (DENY policies alone do not name allowed callers), or an ALLOW \
rule admits callers by IP block or by operation only;\n\
- Linkerd: the default inbound policy (`all-unauthenticated`, `cluster-unauthenticated`, `all-authenticated`, \
`cluster-authenticated`) applies because no Server covers the port, or the Server's authorizations admit by \
network only.\n\n\
When a NetworkPolicy selects the workload, the finding says that it restricts addresses, not identities. \
Explicit allow-all policies are reported by ZT003 instead.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for (wi, w) in a.workloads().iter().enumerate() {
        let Some(entry) = a.inbound(wi) else { continue };
        let inb = &entry.inbound;
        if !matches!(inb.admission, Admission::Anyone | Admission::AnyMeshed) || inb.admission_explicit {
            continue;
        }
        // With STRICT mTLS only mesh workloads get through, but any of them does.
        let strict = inb.transport == crate::resolve::mesh::Transport::Strict;
        let who = if inb.admission == Admission::AnyMeshed || strict {
            "any meshed workload"
        } else {
            "any caller that can reach it"
        };
        let mut message = format!("{} admits {who}: {}.", w.display(), inb.admission_reason);
        let mut evidence = inb.admission_evidence.clone();
        if entry.network_policies.is_empty() {
            message.push_str(" No NetworkPolicy selects it either.");
        } else {
            message.push_str(" A NetworkPolicy selects it, but a NetworkPolicy restricts source addresses, not workload identities.");
            evidence.extend(entry.network_policies.iter().cloned());
        }
        evidence.push(w.meta().source.clone());
        sink.push(Hit {
            severity: sink.default_severity(),
            subject: workload_subject(w),
            key: String::new(),
            message,
            evidence,
            paths: a.paths_into(wi).map(|p| p.id.clone()).collect(),
        });
    }
}
