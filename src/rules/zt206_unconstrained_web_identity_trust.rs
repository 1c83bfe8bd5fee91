//! ZT206: a role assumable with a web identity token but no `sub` condition (IRSA, CI OIDC).

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;
use crate::resolve::aws::trust::Trustee;

pub(super) static RULE: Rule = Rule {
    id: "ZT206",
    name: "unconstrained-web-identity-trust",
    title: "Web-identity trust without a subject condition",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi6, OwaspNhi::Nhi5],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "A role trusted through OIDC (`sts:AssumeRoleWithWebIdentity`) is only as narrow as the conditions \
on the token. Without a condition on the provider's `:sub` claim, every identity the provider issues tokens to \
can assume the role: with an EKS cluster's provider (IRSA), any service account in any namespace of the cluster; \
with a CI provider, any repository and branch. A wildcard in the `sub` value widens it the same way.",
    remediation: "Add `StringEquals` on `<provider>:sub` naming the one subject that needs the role \
(`system:serviceaccount:<ns>:<sa>` for IRSA, `repo:<org>/<repo>:ref:refs/heads/main` or an environment for \
GitHub Actions), and on `<provider>:aud` (`sts.amazonaws.com`). Avoid `StringLike` with `*` in the subject.",
    detects: "A role whose trust policy allows `sts:AssumeRole*` to a `Federated` principal with no \
`StringEquals`/`StringLike` condition on a `…:sub` key (**high**; a negated test such as `StringNotEquals` \
names no subject), or only ones whose values contain `*` (**high**, message says which).\n\n\
SAML federation is human single sign-on, not web identity, and is left out: a `Federated` principal that is a \
SAML provider (`arn:aws:iam::<acct>:saml-provider/<name>`), a statement that allows `sts:AssumeRoleWithSAML` but \
not `sts:AssumeRoleWithWebIdentity`, or one that requires a `SAML:` condition key (`SAML:aud`), which no \
web-identity token carries.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for role in &a.inventory().iam.roles {
        let Some(trust) = &role.trust_policy else { continue };
        for e in &a.aws().trust[role.arn.as_str()] {
            let Trustee::Federated { provider, subjects } = &e.trustee else { continue };
            if !e.assume {
                continue;
            }
            let why = if subjects.is_empty() {
                "no condition on the token's `sub` claim, so every identity the provider issues tokens to can assume it".to_owned()
            } else if subjects.iter().all(|v| v.contains('*')) {
                format!(
                    "its `sub` condition is a wildcard ({}), so any matching identity can assume it",
                    subjects.join(", ")
                )
            } else {
                continue;
            };
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: subject("IAMRole", None, &role.name),
                key: e.line.to_string(),
                message: format!("Role {} trusts web identities from {provider} with {why}.", role.arn),
                evidence: vec![trust.source.at(e.line.max(trust.source.line))],
                paths: Vec::new(),
            });
        }
    }
}
