//! ZT208: one IAM role serves production and non-production alike.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;
use crate::resolve::aws::{Assumer, environment_of};

pub(super) static RULE: Rule = Rule {
    id: "ZT208",
    name: "iam-role-across-environments",
    title: "IAM role used by production and non-production identities",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi8, OwaspNhi::Nhi9],
    nist_800_207: &[NistTenet::T3, NistTenet::T4],
    rationale: "Development and test environments are less guarded than production: more people deploy to \
them, their code is less reviewed, their secrets are copied around. A role that a dev workload (or a feature \
branch's pipeline) can assume and that production also uses hands production's access to whoever controls the \
weakest environment.",
    remediation: "Split the role: one per environment, each trusting only that environment's service \
accounts (namespace or cluster) or pipeline subjects (`environment:production`, a protected branch), and \
each granted only that environment's resources.",
    detects: "A role whose assumers (service accounts by namespace and namespace `env`/`environment` label, \
federated subjects, and the role's own name) include both a production name (`prod`, `production`, `prd`, \
`live`) and a non-production one (`dev`, `test`, `qa`, `staging`, `stage`, `sandbox`, `uat`, `preprod`…), \
matched as whole words.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let env_of_ns = |ns: &str| -> Option<&'static str> {
        if let Some((labels, _)) = a.estate().namespaces.get(ns) {
            for key in ["environment", "env", "app.kubernetes.io/environment"] {
                if let Some(v) = labels.get(key)
                    && let Some(e) = environment_of(v)
                {
                    return Some(e);
                }
            }
        }
        environment_of(ns)
    };
    for (role, entries) in &a.aws().entries {
        let list: Vec<(&'static str, &crate::resolve::aws::RoleEntry)> = entries
            .iter()
            .filter_map(|x| {
                let env = match &x.assumer {
                    Assumer::ServiceAccount { namespace, .. } => env_of_ns(namespace),
                    Assumer::Federated { subject, .. } => environment_of(subject),
                };
                env.map(|e| (e, x))
            })
            .collect();
        let name = role.rsplit('/').next().unwrap_or(role);
        let own = environment_of(name);
        let has = |e: &str| own == Some(e) || list.iter().any(|(x, _)| *x == e);
        if !(has("prod") && has("non-prod")) {
            continue;
        }
        let parts: Vec<String> =
            list.iter().map(|(env, x)| format!("{} ({env})", x.assumer.describe())).collect();
        let own_text = own.map(|e| format!(" (its name says {e})")).unwrap_or_default();
        sink.push(Hit {
            severity: sink.default_severity(),
            subject: subject("IAMRole", None, name),
            key: String::new(),
            message: format!("Role {role}{own_text} is assumed across environments: {}.", parts.join(", ")),
            evidence: list.iter().map(|(_, x)| x.evidence.clone()).collect(),
            paths: Vec::new(),
        });
    }
}
