//! ZT206: a role assumable with a web identity token but no `sub` condition (IRSA, CI OIDC).

use ztpath_probes::iam::Effect;
use ztpath_reports::Severity;

use super::{Hit, Rule, Sink, subject};
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT206",
    name: "unconstrained-web-identity-trust",
    title: "Web-identity trust without a subject condition",
    severity: Severity::High,
    owasp_nhi: &["NHI6:2025", "NHI5:2025"],
    nist_800_207: &["T3", "T6"],
    rationale: "A role trusted through OIDC (`sts:AssumeRoleWithWebIdentity`) is only as narrow as the conditions \
on the token. Without a condition on the provider's `:sub` claim, every identity the provider issues tokens to \
can assume the role: with an EKS cluster's provider (IRSA), any service account in any namespace of the cluster; \
with a CI provider, any repository and branch. A wildcard in the `sub` value widens it the same way.",
    remediation: "Add `StringEquals` on `<provider>:sub` naming the one subject that needs the role \
(`system:serviceaccount:<ns>:<sa>` for IRSA, `repo:<org>/<repo>:ref:refs/heads/main` or an environment for \
GitHub Actions), and on `<provider>:aud` (`sts.amazonaws.com`). Avoid `StringLike` with `*` in the subject.",
    detects: "A role whose trust policy allows `sts:AssumeRoleWithWebIdentity` to a `Federated` principal with no \
condition on a `…:sub` key (**high**), or only a `StringLike` one whose value contains `*` (**high**, message \
says which).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for role in &a.estate.inv.iam.roles {
        let Some(trust) = &role.trust_policy else { continue };
        for st in &trust.statements {
            let web_identity =
                st.actions.iter().any(|x| x == "sts:AssumeRoleWithWebIdentity" || x == "sts:*" || x == "*");
            let federated: Vec<&str> =
                st.principals.iter().filter(|(k, _)| k == "Federated").map(|(_, v)| v.as_str()).collect();
            if st.effect != Effect::Allow || !web_identity || federated.is_empty() {
                continue;
            }
            let subs: Vec<&ztpath_probes::iam::Condition> =
                st.conditions.iter().filter(|c| c.key.ends_with(":sub")).collect();
            let why = if subs.is_empty() {
                "no condition on the token's `sub` claim, so every identity the provider issues tokens to can assume it".to_owned()
            } else if subs.iter().all(|c| c.values.iter().any(|v| v.contains('*'))) {
                format!(
                    "its `sub` condition is a wildcard ({}), so any matching identity can assume it",
                    subs.iter()
                        .flat_map(|c| c.values.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                continue;
            };
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: subject("IAMRole", None, &role.name),
                key: st.line.to_string(),
                message: format!(
                    "Role {} trusts web identities from {} with {why}.",
                    role.arn,
                    federated.join(", ")
                ),
                evidence: vec![trust.source.at(st.line.max(trust.source.line))],
                paths: Vec::new(),
            });
        }
    }
}
