//! ZT207: one IAM role is assumed by several service accounts or pipelines.

use std::collections::{BTreeMap, BTreeSet};

use ztpath_probes::Source;
use ztpath_reports::Severity;

use super::{Hit, Rule, Sink, subject};
use crate::aws::Assumer;
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT207",
    name: "shared-iam-role",
    title: "IAM role shared by several workload identities",
    severity: Severity::Medium,
    owasp_nhi: &["NHI9:2025", "NHI5:2025"],
    nist_800_207: &["T3", "T4"],
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

/// The identities entering one role: service accounts (namespace, name), federated subjects, and
/// the evidence of each.
type Assumers = (BTreeSet<(String, String)>, BTreeSet<String>, Vec<Source>);

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let mut by_role: BTreeMap<&str, Assumers> = BTreeMap::new();
    for (role, entries) in &a.aws.entries {
        let e = by_role.entry(role).or_default();
        for x in entries {
            match &x.assumer {
                Assumer::ServiceAccount { namespace, name, .. } => {
                    e.0.insert((namespace.clone(), name.clone()));
                }
                Assumer::Federated { issuer, subject } => {
                    e.1.insert(format!("{issuer} subject {subject}"));
                }
                Assumer::Principal { .. } => continue,
            }
            e.2.push(x.evidence.clone());
        }
    }
    for (ns, name, arn) in &a.aws.service_accounts_with_unknown_roles {
        let e = by_role.entry(arn).or_default();
        e.0.insert((ns.clone(), name.clone()));
        if let Some(sa) = a.estate.service_accounts.get(&(ns.as_str(), name.as_str())) {
            e.2.push(sa.meta.source.clone());
        }
    }
    for (role, (sas, federated, evidence)) in by_role {
        if sas.len() < 2 && (sas.is_empty() || federated.is_empty()) {
            continue;
        }
        let namespaces: BTreeSet<&str> = sas.iter().map(|(ns, _)| ns.as_str()).collect();
        let severity = if namespaces.len() > 1 { Severity::High } else { sink.default_severity() };
        let mut who: Vec<String> = sas.iter().map(|(ns, n)| format!("service account {ns}/{n}")).collect();
        who.extend(federated.iter().cloned());
        sink.push(Hit {
            severity,
            subject: subject("IAMRole", None, role.rsplit('/').next().unwrap_or(role)),
            key: String::new(),
            message: format!("Role {role} is assumed by {} identities: {}.", who.len(), who.join(", ")),
            evidence,
            paths: Vec::new(),
        });
    }
}
