//! ZT201: an IAM user holds an active static access key although the account federates
//! workload identity.

use ztpath_reports::Severity;

use super::rule::{NistTenet, OwaspNhi, Rule, Sink, access_key_hit};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT201",
    name: "static-access-key-despite-federation",
    title: "IAM user with an active access key where federation is available",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi7, OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "An IAM user's access key is a static secret: it does not expire, it works from anywhere, and \
whoever copies it is the user until someone rotates it. The account already trusts an identity provider (an EKS \
cluster's OIDC issuer, a CI provider, SAML), so the workload using the key could receive short-lived role \
credentials instead.",
    remediation: "Move the workload to a role: IRSA or EKS Pod Identity for pods, the CI provider's OIDC \
federation for pipelines, an instance profile for EC2. Then deactivate and delete the key. Where a key must \
stay, restrict it with `aws:SourceIp`/`aws:SourceVpc` conditions and rotate it.",
    detects: "An active access key of an IAM user (from `list-access-keys` or the credential report) in an \
estate that shows federation: an IAM OIDC provider, a role whose trust policy admits a federated principal \
(IRSA, Pod Identity or CI), or, failing those, a role that trusts a SAML provider (human single sign-on: whoever \
uses the key, if a person, can sign in that way for short-lived credentials). The root user's keys are ZT204's.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let Some(federation) = &a.aws().federation else { return };
    let federates = if federation.workloads {
        format!("the account federates workload identity ({})", federation.evidence)
    } else {
        format!(
            "the account federates human sign-in through SAML ({}), which gives short-lived role credentials",
            federation.evidence
        )
    };
    for k in a.aws().keys.iter().filter(|k| k.active && k.user != "<root_account>") {
        sink.push(access_key_hit(
            k,
            sink.default_severity(),
            format!(
                "IAM user {} authenticates with a static access key ({}) although {federates}.",
                k.user, k.label
            ),
        ));
    }
}
