//! ZT008: a service account holds cluster-admin-like or escalation-capable permissions.

use std::collections::BTreeMap;

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;
use crate::resolve::rbac::{Capability, Scope, capabilities};

pub(super) static RULE: Rule = Rule {
    id: "ZT008",
    name: "overprivileged-identity",
    title: "Service account holds dangerous Kubernetes permissions",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi5],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "A workload identity with wildcard or escalation-capable permissions turns the compromise of one pod \
into the compromise of the namespace or the cluster: reading Secrets yields every other identity's credentials; \
creating pods or exec-ing into them runs code as any service account of the namespace; impersonate, bind and \
escalate bypass RBAC's own guard rails; `nodes/proxy` reaches the kubelet and every pod on the node.",
    remediation: "Grant the verbs and resources the workload actually uses, in its namespace, with `resourceNames` \
where possible. Never bind `cluster-admin`, `*` verbs or `*` resources to a workload; move privileged automation \
to a dedicated, audited identity. Bind groups such as `system:serviceaccounts` only to read-only roles.",
    detects: "A service account (named, or through the groups `system:serviceaccounts`, \
`system:serviceaccounts:<ns>`, `system:authenticated`) that gets from any Role/ClusterRole, including aggregated \
ClusterRoles and the built-in `cluster-admin`/`admin`/`edit`:\n\n\
- `*` verbs on `*` resources;\n\
- `get`/`list`/`watch` on Secrets cluster-wide (`list` and `watch` return the values too);\n\
- `create` on pods, `create`/`update`/`patch` on pod controllers; `pods/exec`/`pods/attach` (`get` is enough \
before Kubernetes 1.35), `update`/`patch` on pods (an image swap runs code as the pod);\n\
- `impersonate`; `bind`/`escalate` on roles; `get`/`create` on `nodes/proxy`; `create` on \
`serviceaccounts/token`; approving CSRs; changing admission webhooks.\n\n\
Any of these granted cluster-wide is **critical**; within one namespace, **high**. Namespace-scoped Secret reads are counted in the blast radius (ZT009), not here. Group bindings are reported once, \
on the binding.",
    check,
};

/// A dangerous capability held by a service account: scope, "role via binding", evidence.
type GrantNote = (Capability, Scope, String, ztpath_probes::Source);

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let rbac = &a.rbac();
    // Per named service account: all its dangerous grants; group bindings: per binding.
    let mut per_sa: BTreeMap<(String, String), Vec<GrantNote>> = BTreeMap::new();
    for rb in &rbac.bindings {
        let mut caps: Vec<(Capability, String, ztpath_probes::Source)> = Vec::new();
        for (rule, role) in &rb.rules {
            for cap in capabilities(rule) {
                if cap == Capability::ReadSecrets && rb.scope != Scope::Cluster {
                    continue;
                }
                let src = if rule.line > 0 {
                    role.meta.source.at(rule.line)
                } else {
                    rb.binding.meta.source.clone()
                };
                caps.push((cap, format!("{} {}", role.meta.kind, role.meta.name), src));
            }
        }
        if caps.is_empty() {
            continue;
        }
        let b = rb.binding;
        for s in &b.subjects {
            match (s.kind.as_str(), s.name.as_str()) {
                ("ServiceAccount", name) => {
                    let ns = s.namespace.clone().unwrap_or_else(|| b.meta.ns().to_owned());
                    for (cap, role, src) in &caps {
                        per_sa.entry((ns.clone(), name.to_owned())).or_default().push((
                            *cap,
                            rb.scope.clone(),
                            format!("{role} via {} {}", b.meta.kind, b.meta.name),
                            src.clone(),
                        ));
                        per_sa.entry((ns.clone(), name.to_owned())).or_default().push((
                            *cap,
                            rb.scope.clone(),
                            String::new(),
                            b.meta.source.at(s.line),
                        ));
                    }
                }
                ("Group", g)
                    if g == "system:serviceaccounts"
                        || g == "system:authenticated"
                        || g.starts_with("system:serviceaccounts:") =>
                {
                    let covered = if g.starts_with("system:serviceaccounts:") {
                        format!(
                            "every service account in namespace {}",
                            g.trim_start_matches("system:serviceaccounts:")
                        )
                    } else {
                        "every service account in the cluster".to_owned()
                    };
                    let list = describe(caps.iter().map(|(c, ..)| (*c, rb.scope.clone())));
                    sink.push(Hit {
                        severity: severity(caps.iter().map(|(c, ..)| (*c, rb.scope.clone()))),
                        subject: subject(&b.meta.kind, b.meta.namespace.as_deref(), &b.meta.name),
                        key: g.to_owned(),
                        message: format!(
                            "{} {} grants group `{g}` ({covered}) {list}.",
                            b.meta.kind, b.meta.name
                        ),
                        evidence: std::iter::once(b.meta.source.at(s.line))
                            .chain(caps.iter().map(|(.., src)| src.clone()))
                            .collect(),
                        paths: Vec::new(),
                    });
                }
                _ => {}
            }
        }
    }
    for ((ns, sa), grants) in per_sa {
        let vias: Vec<&str> = {
            let mut v: Vec<&str> = grants.iter().map(|g| g.2.as_str()).filter(|s| !s.is_empty()).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let list = describe(grants.iter().map(|g| (g.0, g.1.clone())));
        let workloads = a.estate().workloads_of_sa(&ns, &sa).len();
        let unplaced = a.unplaced().workloads_of(&ns, &sa).len();
        let used_by = if workloads == 0 && unplaced > 0 {
            // The manifests carry no namespace: their workloads may well run in `ns`.
            format!(
                "no workload in the input is in namespace {ns}, but {unplaced} workload(s) without a namespace \
run as `{sa}`: see --namespace"
            )
        } else {
            format!("used by {workloads} workload(s)")
        };
        sink.push(Hit {
            severity: severity(grants.iter().map(|g| (g.0, g.1.clone()))),
            subject: subject("ServiceAccount", Some(&ns), &sa),
            key: String::new(),
            message: format!("Service account {ns}/{sa} ({used_by}) can {list} ({}).", vias.join("; ")),
            evidence: grants.into_iter().map(|g| g.3).collect(),
            paths: Vec::new(),
        });
    }
}

fn describe(caps: impl Iterator<Item = (Capability, Scope)>) -> String {
    let mut items: Vec<(Capability, Scope)> = caps.collect();
    items.sort();
    items.dedup();
    // `*` on `*` already says everything the other capabilities would at the same scope.
    let wild: Vec<Scope> =
        items.iter().filter(|(c, _)| *c == Capability::Wildcard).map(|(_, s)| s.clone()).collect();
    items.retain(|(c, s)| *c == Capability::Wildcard || !wild.contains(s));
    items.iter().map(|(c, s)| format!("{} {}", c.describe(), s.describe())).collect::<Vec<_>>().join(", ")
}

fn severity(caps: impl Iterator<Item = (Capability, Scope)>) -> Severity {
    // Any of these capabilities across the whole cluster is a path to every identity in it.
    let mut sev = Severity::High;
    for (_, s) in caps {
        if s == Scope::Cluster {
            sev = Severity::Critical;
        }
    }
    sev
}
