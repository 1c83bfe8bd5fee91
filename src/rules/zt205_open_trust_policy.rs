//! ZT205: an IAM role that anyone (or a whole foreign account) can assume.

use ztpath_probes::iam::Effect;
use ztpath_reports::Severity;

use super::{Hit, Rule, Sink, subject};
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT205",
    name: "open-trust-policy",
    title: "IAM role trust policy admits any principal",
    severity: Severity::Critical,
    owasp_nhi: &["NHI5:2025", "NHI3:2025"],
    nist_800_207: &["T3", "T4", "T6"],
    rationale: "A role's trust policy decides who can become the role. `Principal: \"*\"` (or `{\"AWS\": \"*\"}`) \
without a condition lets any AWS principal in any account assume it; the role's permissions are then public.",
    remediation: "Name the principals that need the role (role ARNs, not `*`), and for cross-account access add \
`sts:ExternalId` and `aws:PrincipalOrgID` / `aws:SourceAccount` conditions. Use a service principal for AWS \
services.",
    detects: "A role whose trust policy has an `Allow` statement with a wildcard principal (`\"*\"` or `AWS: \"*\"`) \
and no `Condition`.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for role in &a.estate.inv.iam.roles {
        let Some(trust) = &role.trust_policy else { continue };
        for st in &trust.statements {
            if st.effect != Effect::Allow || !st.has_wildcard_principal() || !st.conditions.is_empty() {
                continue;
            }
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: subject("IAMRole", None, &role.name),
                key: st.line.to_string(),
                message: format!(
                    "Role {} can be assumed by any AWS principal: its trust policy allows `{}` for `*` with no condition.",
                    role.arn,
                    st.actions.join(", ")
                ),
                evidence: vec![trust.source.at(st.line.max(trust.source.line))],
                paths: Vec::new(),
            });
        }
    }
}
