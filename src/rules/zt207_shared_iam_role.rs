//! ZT207: one IAM role is assumed by several service accounts or pipelines.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;
use crate::resolve::aws::Assumer;

pub(super) static RULE: Rule = Rule {
    id: "ZT207",
    name: "shared-iam-role",
    title: "IAM role shared by several workload identities",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi9, OwaspNhi::Nhi5],
    nist_800_207: &[NistTenet::T3, NistTenet::T4],
    rationale: "When several workloads become the same role, the role carries the union of what they all \
need, every one of them can do what the others do, and AWS CloudTrail can no longer tell which of them acted. \
A compromise of the least protected workload is a compromise of all.",
    remediation: "Give each workload its own role with only its permissions (one role per service account \
or per pipeline), and narrow each trust policy to that one subject.",
    detects: "A role entered by two or more distinct Kubernetes service accounts (IRSA annotations, trust \
`sub` conditions naming them, EKS Pod Identity associations), or by service accounts and a CI pipeline's \
federated token alike. High when the service accounts are in different namespaces.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    // Entries are one per assumer (the model deduplicates them).
    for (role, entries) in &a.aws().entries {
        let namespaces: Vec<&str> = entries
            .iter()
            .filter_map(|e| match &e.assumer {
                Assumer::ServiceAccount { namespace, .. } => Some(namespace.as_str()),
                Assumer::Federated { .. } => None,
            })
            .collect();
        let service_accounts = namespaces.len();
        if service_accounts == 0 || entries.len() < 2 {
            continue;
        }
        let spans_namespaces = namespaces.iter().any(|ns| *ns != namespaces[0]);
        let severity = if spans_namespaces { Severity::High } else { sink.default_severity() };
        let who: Vec<String> = entries.iter().map(|e| e.assumer.describe()).collect();
        sink.push(Hit {
            severity,
            subject: subject("IAMRole", None, role.rsplit('/').next().unwrap_or(role)),
            key: String::new(),
            message: format!("Role {role} is assumed by {} identities: {}.", who.len(), who.join(", ")),
            evidence: entries.iter().map(|e| e.evidence.clone()).collect(),
            paths: Vec::new(),
        });
    }
}
