//! ZT010: identities and bindings left behind.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT010",
    name: "orphaned-identity",
    title: "Orphaned service account or dangling role binding",
    severity: Severity::Low,
    owasp_nhi: &[OwaspNhi::Nhi1],
    nist_800_207: &[NistTenet::T5, NistTenet::T7],
    rationale: "A service account that keeps its permissions after its workload is gone is an unowned credential: \
its tokens (and any legacy token Secret) still work, and nobody notices their use. A binding that names a service \
account which does not exist is worse: whoever can create a service account with that name in that namespace \
silently receives the binding's permissions.",
    remediation: "Delete service accounts (and their token Secrets) whose workloads are gone, and remove their \
RoleBindings. Delete or fix bindings whose subjects do not exist. Make offboarding part of decommissioning a \
workload.",
    detects: "- A ServiceAccount that RoleBindings/ClusterRoleBindings grant permissions to, while no workload in the \
input runs as it: **low**.\n\
- A binding whose ServiceAccount subject does not exist, in a namespace whose ServiceAccounts the input contains \
and where no workload runs as that name: **medium** (subject: the binding).\n\n\
Only meaningful when the input is the whole namespace (a cluster dump or a complete set of manifests).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let est = &a.estate();
    let namespaces_with_sas: std::collections::BTreeSet<&str> =
        est.inv.service_accounts.iter().map(|s| s.meta.ns()).collect();
    let mut subjects: Vec<_> = a.rbac().named_subjects.iter().collect();
    subjects.sort_by(|x, y| x.0.cmp(y.0));
    for ((ns, sa), bindings) in subjects {
        let used = !est.workloads_of_sa(ns, sa).is_empty();
        if used {
            continue;
        }
        let names: Vec<String> =
            bindings.iter().map(|(b, _)| format!("{} {}", b.meta.kind, b.meta.name)).collect();
        match est.service_accounts.get(&(ns.as_str(), sa.as_str())) {
            Some(obj) => sink.push(Hit {
                severity: Severity::Low,
                subject: subject("ServiceAccount", Some(ns), sa),
                key: String::new(),
                message: format!("Service account {ns}/{sa} is granted permissions by {} but no workload in the input runs as it.", names.join(", ")),
                evidence: std::iter::once(obj.meta.source.clone()).chain(bindings.iter().map(|(b, line)| b.meta.source.at(*line))).collect(),
                paths: Vec::new(),
            }),
            // Every namespace has a `default` service account, whether or not the input shows it.
            None if namespaces_with_sas.contains(ns.as_str()) && sa != "default" => {
                for (b, line) in bindings {
                    sink.push(Hit {
                        severity: Severity::Medium,
                        subject: subject(&b.meta.kind, b.meta.namespace.as_deref(), &b.meta.name),
                        key: format!("{ns}/{sa}"),
                        message: format!(
                            "{} {} grants {} {} to service account {ns}/{sa}, which does not exist: whoever creates it inherits the permissions.",
                            b.meta.kind, b.meta.name, b.role_kind, b.role_name
                        ),
                        evidence: vec![b.meta.source.at(*line)],
                        paths: Vec::new(),
                    });
                }
            }
            None => {}
        }
    }
}
