//! ZT208: one IAM role serves production and non-production alike.

use std::collections::BTreeMap;

use ztpath_probes::Source;
use ztpath_reports::Severity;

use super::{Hit, Rule, Sink, subject};
use crate::aws::{Assumer, environment_of};
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT208",
    name: "iam-role-across-environments",
    title: "IAM role used by production and non-production identities",
    severity: Severity::High,
    owasp_nhi: &["NHI8:2025", "NHI9:2025"],
    nist_800_207: &["T3", "T4"],
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
        if let Some((labels, _)) = a.estate.namespaces.get(ns) {
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
    let mut by_role: BTreeMap<&str, Vec<(&'static str, String, Source)>> = BTreeMap::new();
    for (role, entries) in &a.aws.entries {
        for x in entries {
            let (env, who) = match &x.assumer {
                Assumer::ServiceAccount { namespace, name, .. } => {
                    (env_of_ns(namespace), format!("service account {namespace}/{name}"))
                }
                Assumer::Federated { issuer, subject } => {
                    (environment_of(subject), format!("{issuer} subject {subject}"))
                }
                Assumer::Principal { arn } => (environment_of(arn), arn.clone()),
            };
            if let Some(env) = env {
                by_role.entry(role).or_default().push((env, who, x.evidence.clone()));
            }
        }
    }
    for (ns, name, arn) in &a.aws.service_accounts_with_unknown_roles {
        if let (Some(env), Some(sa)) =
            (env_of_ns(ns), a.estate.service_accounts.get(&(ns.as_str(), name.as_str())))
        {
            by_role.entry(arn).or_default().push((
                env,
                format!("service account {ns}/{name}"),
                sa.meta.source.clone(),
            ));
        }
    }
    for (role, list) in by_role {
        let name = role.rsplit('/').next().unwrap_or(role);
        let own = environment_of(name);
        let has = |e: &str| own == Some(e) || list.iter().any(|(x, ..)| *x == e);
        if !(has("prod") && has("non-prod")) {
            continue;
        }
        let mut parts: Vec<String> = list.iter().map(|(env, who, _)| format!("{who} ({env})")).collect();
        parts.sort();
        parts.dedup();
        let own_text = own.map(|e| format!(" (its name says {e})")).unwrap_or_default();
        sink.push(Hit {
            severity: sink.default_severity(),
            subject: subject("IAMRole", None, name),
            key: String::new(),
            message: format!("Role {role}{own_text} is assumed across environments: {}.", parts.join(", ")),
            evidence: list.into_iter().map(|(_, _, s)| s).collect(),
            paths: Vec::new(),
        });
    }
}
