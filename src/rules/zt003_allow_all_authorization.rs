//! ZT003: an authorization policy that allows every caller.

use ztpath_probes::{AuthzAction, IstioAuthorizationPolicy};
use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;
use crate::resolve::mesh::{LINKERD_DEFAULT_POLICY, istio_dry_run, linkerd_admits_all};

pub(super) static RULE: Rule = Rule {
    id: "ZT003",
    name: "allow-all-authorization",
    title: "Authorization policy allows every caller",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi5, OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "An allow-all policy looks like access control in review but checks nothing: every workload (or, for \
unauthenticated policies, every client) that reaches the port is admitted. Worse, its presence switches an Istio \
workload from allow-by-default to deny-by-default, so it hides that nothing was actually narrowed.",
    remediation: "Replace the wildcard with the identities that need access: Istio `from.source.principals` / \
`namespaces` listing real callers (never `*`, never an empty rule `{}`); Linkerd `MeshTLSAuthentication.identities` \
or `identityRefs` naming ServiceAccounts instead of `*`, no `unauthenticated: true` ServerAuthorization, and a \
default inbound policy of `all-authenticated` or stricter.",
    detects: "- Istio `AuthorizationPolicy` with `action: ALLOW` (the default) that has an empty rule (`rules: [{}]`) or a \
source with `principals: [\"*\"]` or `namespaces: [\"*\"]`. (`spec: {}` is deny-all and is **not** reported.) Policies \
annotated `istio.io/dry-run: \"true\"` are skipped.\n\
- Linkerd `ServerAuthorization` with `client.unauthenticated: true` (high) or `meshTLS.unauthenticatedTLS` / \
`identities: [\"*\"]` (medium).\n\
- Linkerd `AuthorizationPolicy` whose `MeshTLSAuthentication` has `identities: [\"*\"]`, whose \
`NetworkAuthentication` admits `0.0.0.0/0` or `::/0`, or that requires no authentication.\n\
- Linkerd `Server` with `accessPolicy: all-unauthenticated`.\n\
- An explicit `config.linkerd.io/default-inbound-policy: all-unauthenticated` annotation on a Namespace or pod \
template.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let inv = a.inventory();
    for p in &inv.istio.authorization_policies {
        if p.action != AuthzAction::Allow || istio_dry_run(p) {
            continue;
        }
        for rule in p.rules.iter().flatten() {
            let empty = rule.from.is_empty() && rule.to.is_empty() && rule.when.is_empty();
            let star = rule
                .from
                .iter()
                .any(|s| s.principals.iter().any(|v| v == "*") || s.namespaces.iter().any(|v| v == "*"));
            if !empty && !star {
                continue;
            }
            let workloads = a.estate().istio_policy_targets(p);
            let why = if empty {
                "has an empty rule, which matches every request"
            } else {
                "admits `*` principals or namespaces: any authenticated workload"
            };
            sink.push(Hit {
                severity: if empty { Severity::High } else { Severity::Medium },
                subject: subject("AuthorizationPolicy", p.meta.namespace.as_deref(), &p.meta.name),
                key: String::new(),
                message: format!(
                    "Istio ALLOW AuthorizationPolicy {}/{} {why}; it applies to {}.",
                    p.meta.ns(),
                    p.meta.name,
                    scope_of(a, &workloads, p)
                ),
                evidence: vec![p.meta.source.at(rule.line.max(p.meta.source.line))],
                paths: paths_of(a, &workloads),
            });
        }
    }
    for s in &inv.linkerd.server_authorizations {
        let (sev, why) = if s.unauthenticated {
            (Severity::High, "allows unauthenticated clients (`client.unauthenticated: true`)")
        } else if s.unauthenticated_tls || s.identities.iter().any(|i| i == "*") {
            (Severity::Medium, "allows any TLS or meshed client without naming identities")
        } else {
            continue;
        };
        sink.push(Hit {
            severity: sev,
            subject: subject("ServerAuthorization", s.meta.namespace.as_deref(), &s.meta.name),
            key: String::new(),
            message: format!("Linkerd ServerAuthorization {}/{} {why}.", s.meta.ns(), s.meta.name),
            evidence: vec![s.meta.source.at(s.client_line.max(s.meta.source.line))],
            paths: Vec::new(),
        });
    }
    for p in &inv.linkerd.authorization_policies {
        let mut reasons = Vec::new();
        let mut evidence = vec![p.meta.source.clone()];
        if p.required_authentications.is_empty() {
            reasons.push("requires no authentication".to_owned());
        }
        for r in &p.required_authentications {
            let ns = r.namespace.as_deref().unwrap_or(p.meta.ns());
            match r.kind.as_str() {
                "MeshTLSAuthentication" => {
                    if let Some(m) = inv.linkerd.mesh_tls_authentication(ns, &r.name)
                        && m.identities.iter().any(|i| i == "*")
                    {
                        reasons.push(format!(
                            "MeshTLSAuthentication {ns}/{} admits any meshed identity (`*`)",
                            m.meta.name
                        ));
                        evidence.push(m.meta.source.clone());
                    }
                }
                "NetworkAuthentication" => {
                    if let Some(n) = inv.linkerd.network_authentication(ns, &r.name)
                        && n.networks.iter().any(|(c, _)| c == "0.0.0.0/0" || c == "::/0")
                    {
                        reasons
                            .push(format!("NetworkAuthentication {ns}/{} admits every address", n.meta.name));
                        evidence.push(n.meta.source.clone());
                    }
                }
                _ => {}
            }
        }
        if reasons.is_empty() {
            continue;
        }
        sink.push(Hit {
            severity: sink.default_severity(),
            subject: subject("AuthorizationPolicy", p.meta.namespace.as_deref(), &p.meta.name),
            key: String::new(),
            message: format!(
                "Linkerd AuthorizationPolicy {}/{} (target {} {}) {}.",
                p.meta.ns(),
                p.meta.name,
                p.target.kind,
                p.target.name,
                reasons.join("; ")
            ),
            evidence,
            paths: Vec::new(),
        });
    }
    for s in &inv.linkerd.servers {
        if s.access_policy.as_deref() == Some("all-unauthenticated") {
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: subject("Server", s.meta.namespace.as_deref(), &s.meta.name),
                key: String::new(),
                message: format!(
                    "Linkerd Server {}/{} (port {}) has accessPolicy `all-unauthenticated`.",
                    s.meta.ns(),
                    s.meta.name,
                    s.port
                ),
                evidence: vec![s.meta.source.clone()],
                paths: Vec::new(),
            });
        }
    }
    const KEY: &str = LINKERD_DEFAULT_POLICY;
    for ns in &inv.namespaces {
        if linkerd_admits_all(&ns.meta.annotations) {
            let paths = a
                .estate()
                .workloads_in(&ns.meta.name)
                .iter()
                .flat_map(|&wi| a.paths_into(wi).map(|p| p.id.clone()))
                .collect();
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: subject("Namespace", None, &ns.meta.name),
                key: String::new(),
                message: format!("Namespace {} sets `{KEY}: all-unauthenticated`: meshed pods in it accept any client, including unmeshed plaintext ones.", ns.meta.name),
                evidence: vec![ns.meta.source.clone()],
                paths,
            });
        }
    }
    for (wi, w) in a.workloads().iter().enumerate() {
        if linkerd_admits_all(&w.w.pod.annotations) {
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: super::rule::workload_subject(w),
                key: String::new(),
                message: format!("{} sets `{KEY}: all-unauthenticated` on its pods: they accept any client, including unmeshed plaintext ones.", w.display()),
                evidence: vec![w.meta().source.at(w.w.pod.line)],
                paths: a.paths_into(wi).map(|p| p.id.clone()).collect(),
            });
        }
    }
}

fn scope_of(a: &Analysis<'_>, selected: &[usize], p: &IstioAuthorizationPolicy) -> String {
    let root = if p.meta.ns() == a.estate().istio_root { " (root namespace: mesh-wide)" } else { "" };
    format!("{} workload(s) in the input{root}", selected.len())
}

fn paths_of(a: &Analysis<'_>, selected: &[usize]) -> Vec<ztpath_reports::PathId> {
    selected.iter().flat_map(|&wi| a.paths_into(wi).map(|p| p.id.clone())).collect()
}
