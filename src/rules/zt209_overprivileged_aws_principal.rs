//! ZT209: an IAM role or user that can administer the account, or make itself able to.

use std::collections::BTreeMap;

use ztpath_probes::iam::IamRole;
use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;
use crate::resolve::aws::policy::Grant;
use crate::resolve::aws::trust::Trustee;
use crate::resolve::aws::{Assumer, AwsModel, Principal, PrincipalRef};

pub(super) static RULE: Rule = Rule {
    id: "ZT209",
    name: "overprivileged-aws-principal",
    title: "IAM role or user is administrator, or can escalate to it",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi5],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "A workload's role should hold what that workload needs. `Action: *` on `Resource: *`, or any \
one of the IAM escalation primitives on every resource (attach or put a policy, create a policy version, create \
an access key or login profile for someone, rewrite a trust policy), or `iam:PassRole` on every role together \
with a way to run code (EC2, Lambda, CloudFormation, Glue, ECS), makes the holder administrator of the account. \
A stolen pod token or pipeline token then becomes the account.",
    remediation: "Replace the grant with the actions and resources the workload uses (IAM Access Analyzer can \
generate a policy from CloudTrail activity). Scope `iam:PassRole` to the roles it must pass, with an \
`iam:PassedToService` condition. Attach a permissions boundary to roles that workloads or pipelines assume.",
    detects: "Policy evaluation over the principal's inline and attached policies (and its groups', for users), \
with explicit denies and permissions boundaries applied: `*` on `*` (admin); an escalation action allowed on \
every resource; `iam:PassRole` on every role with a launcher; or, at medium, `iam:PassRole` on every role \
without a launcher, or every action except a few (`NotAction`) on every resource. Critical when a \
non-human identity can use the principal: an access key, a service account (IRSA, Pod Identity), a \
federated token, an instance profile, an AWS service or anyone. AWS \
service-linked roles and IAM Identity Center (SSO) roles are left out: AWS and people use them, not workloads.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let mut active_keys: BTreeMap<&str, usize> = BTreeMap::new();
    for k in a.aws().keys.iter().filter(|k| k.active) {
        *active_keys.entry(k.user).or_default() += 1;
    }
    for p in &a.aws().principals {
        if let PrincipalRef::Role(r) = p.who
            && r.path.as_deref().is_some_and(|path| {
                path.starts_with("/aws-service-role/") || path.starts_with("/aws-reserved/")
            })
        {
            continue;
        }
        let caps = &p.caps;
        let (what, grant, base): (String, &Grant<'_>, Severity) = if let Some((what, g)) =
            caps.account_takeover()
        {
            let verb =
                if caps.admin.is_some() { "is administrator" } else { "can make itself administrator" };
            (format!("{verb}: {what}"), g, Severity::High)
        } else if let Some((g, _)) = &caps.pass_role_any {
            (
                "may pass any role to AWS services (iam:PassRole on every role, without a launch permission yet)".to_owned(),
                g,
                Severity::Medium,
            )
        } else if let Some(g) = &caps.broad {
            (
                "may perform every action except a few (NotAction) on every resource".to_owned(),
                g,
                Severity::Medium,
            )
        } else {
            continue;
        };
        let users = users_of(a.aws(), p, &active_keys);
        let severity = if !users.is_empty() && base == Severity::High { Severity::Critical } else { base };
        let mut by: Vec<&str> = grant.origins.iter().map(|o| o.policy).collect();
        by.sort_unstable();
        by.dedup();
        let cond = if grant.conditional { " (under conditions)" } else { "" };
        let used =
            if users.is_empty() { String::new() } else { format!(" It is used by {}.", users.join(", ")) };
        let mut evidence = vec![p.who.source().clone()];
        evidence
            .extend(grant.origins.iter().map(|o| o.doc.source.at(o.statement.line.max(o.doc.source.line))));
        sink.push(Hit {
            severity,
            subject: subject(p.who.kind(), None, p.who.name()),
            key: String::new(),
            message: format!("{} {what}{cond}, granted by {}.{used}", p.who.arn(), by.join(", ")),
            evidence,
            paths: Vec::new(),
        });
    }
}

/// The non-human identities that can use a principal, described for the message.
fn users_of(m: &AwsModel<'_>, p: &Principal<'_>, active_keys: &BTreeMap<&str, usize>) -> Vec<String> {
    let mut out = Vec::new();
    match p.who {
        PrincipalRef::User(u) => {
            if let Some(keys) = active_keys.get(u.name.as_str()) {
                out.push(format!("{keys} active access key(s)"));
            }
        }
        PrincipalRef::Role(r) => role_users(m, r, &mut out),
    }
    out
}

fn role_users(m: &AwsModel<'_>, r: &IamRole, out: &mut Vec<String>) {
    if let Some(entries) = m.entries.get(r.arn.as_str()) {
        for e in entries {
            out.push(match &e.assumer {
                Assumer::ServiceAccount { how, .. } => format!("{} ({how})", e.assumer.describe()),
                Assumer::Federated { issuer, subject } => format!("{issuer} tokens for {subject}"),
            });
        }
    }
    for ip in &r.instance_profiles {
        out.push(format!("EC2 instances with instance profile {}", ip.name));
    }
    for e in &m.trust[r.arn.as_str()] {
        if !e.assume {
            continue;
        }
        match &e.trustee {
            Trustee::Service(s) if s != "pods.eks.amazonaws.com" => out.push(format!("the AWS service {s}")),
            Trustee::Anyone => out.push("any AWS principal".to_owned()),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
}
