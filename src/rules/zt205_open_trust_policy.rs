//! ZT205: an IAM role that anyone, or a whole foreign account, can assume without a condition.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;
use crate::resolve::aws::account_of;
use crate::resolve::aws::trust::Trustee;

pub(super) static RULE: Rule = Rule {
    id: "ZT205",
    name: "open-trust-policy",
    title: "IAM role trust policy admits any principal, or a foreign account without conditions",
    severity: Severity::Critical,
    owasp_nhi: &[OwaspNhi::Nhi5, OwaspNhi::Nhi3],
    nist_800_207: &[NistTenet::T3, NistTenet::T4, NistTenet::T6],
    rationale: "A role's trust policy decides who can become the role. `Principal: \"*\"` (or `{\"AWS\": \"*\"}`) \
without a condition lets any AWS principal in any account assume it; the role's permissions are then public.",
    remediation: "Name the principals that need the role (role ARNs, not `*`), and for cross-account access add \
`sts:ExternalId` and `aws:PrincipalOrgID` / `aws:SourceAccount` conditions. Use a service principal for AWS \
services.",
    detects: "A role whose trust policy has an `Allow` statement for `sts:AssumeRole*` with a wildcard principal \
(`\"*\"` or `AWS: \"*\"`) and no `Condition` (critical), or naming another account's root (or bare account id) \
with no `Condition`, so without `sts:ExternalId` (high: every identity of that account that its own policies \
allow can become the role, and a third party serving many customers can be confused into using it).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for role in &a.inventory().iam.roles {
        let Some(trust) = &role.trust_policy else { continue };
        let own = account_of(&role.arn);
        for e in &a.aws().trust[role.arn.as_str()] {
            if !e.assume || !e.conditions.is_empty() {
                continue;
            }
            let (severity, who) = match &e.trustee {
                Trustee::Anyone => (sink.default_severity(), "any AWS principal in any account".to_owned()),
                Trustee::Account(acct) if Some(acct.as_str()) != own => (
                    Severity::High,
                    format!(
                        "every principal of the foreign account {acct} (no sts:ExternalId or other condition)"
                    ),
                ),
                _ => continue,
            };
            sink.push(Hit {
                severity,
                subject: subject("IAMRole", None, &role.name),
                key: e.line.to_string(),
                message: format!("Role {} can be assumed by {who}.", role.arn),
                evidence: vec![trust.source.at(e.line.max(trust.source.line))],
                paths: Vec::new(),
            });
        }
    }
}
