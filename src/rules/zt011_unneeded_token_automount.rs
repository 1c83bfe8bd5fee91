//! ZT011: a service-account token mounted into a workload that has no use for it.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, workload_subject};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT011",
    name: "unneeded-token-automount",
    title: "Service-account token mounted but not needed",
    severity: Severity::Low,
    owasp_nhi: &[OwaspNhi::Nhi5, OwaspNhi::Nhi7],
    nist_800_207: &[NistTenet::T3],
    rationale: "Every pod gets its service account's API token mounted unless told otherwise. When the service \
account has no RBAC bindings the workload does not call the Kubernetes API, so the token only serves an attacker: \
it authenticates to the API server (discovery, and whatever the cluster grants all authenticated identities, now \
or later) and proves the pod's identity to anything that accepts Kubernetes tokens.",
    remediation: "Set `automountServiceAccountToken: false` on the ServiceAccount (the `default` one in every \
namespace especially) or in the pod template; mount a projected token with a specific `audience` only where a \
workload needs one.",
    detects: "A workload whose pod spec (or, failing that, its ServiceAccount) leaves `automountServiceAccountToken` \
unset or `true`, while no RoleBinding or ClusterRoleBinding grants its service account anything (directly or \
through `system:serviceaccounts` groups). A workload without a namespace is left out when bindings grant an \
account of its service account's name in a namespace the input does not declare: the manifests are probably \
meant for `kubectl apply -n` (a diagnostic suggests `--namespace`).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for (wi, w) in a.workloads().iter().enumerate() {
        // A workload without a namespace whose account name bindings grant in another namespace
        // (see --namespace) may well hold those grants: not known to need no token.
        if !w.token_mounted || a.rbac().has_grants(w.ns, &w.sa) || a.unplaced().is_unplaced(wi) {
            continue;
        }
        let setting = match (
            w.w.pod.automount_token,
            a.estate().service_accounts.get(&(w.ns, w.sa.as_str())).and_then(|s| s.automount_token),
        ) {
            (Some(true), _) => "the pod sets automountServiceAccountToken: true",
            (None, Some(true)) => "its ServiceAccount sets automountServiceAccountToken: true",
            _ => "automountServiceAccountToken is not set, so the token is mounted by default",
        };
        sink.push(Hit {
            severity: sink.default_severity(),
            subject: workload_subject(w),
            key: String::new(),
            message: format!(
                "{} mounts the API token of service account {}/{} ({setting}), but no RBAC binding grants that account anything.",
                w.display(),
                w.ns,
                w.sa
            ),
            evidence: vec![w.meta().source.at(w.w.pod.service_account_line.max(w.meta().source.line))],
            paths: Vec::new(),
        });
    }
}
