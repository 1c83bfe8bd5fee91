//! ZT204: the AWS account root user has an active access key.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT204",
    name: "root-access-key",
    title: "AWS root user has an active access key",
    severity: Severity::Critical,
    owasp_nhi: &[OwaspNhi::Nhi7, OwaspNhi::Nhi5],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "The root user's access key is a static credential that can do anything in the account, cannot \
be limited by IAM policies or permission boundaries, and is typically used by automation nobody owns. A leak is \
a full account compromise.",
    remediation: "Delete the root user's access keys (IAM console, Security credentials of the root user) and \
move any automation that used them to roles assumed through federation (OIDC, IAM Identity Center, instance \
or pod roles). Keep MFA on the root user and use it only for the few tasks that require it.",
    detects: "A row of the IAM credential report (`credential_report.csv`, or the `get-credential-report` JSON) \
for `<root_account>` with `access_key_1_active` or `access_key_2_active` true.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for row in a.inventory().iam.credential_report.iter().filter(|r| r.is_root()) {
        for (i, key) in row.access_keys.iter().enumerate().filter(|(_, k)| k.active) {
            let used = key
                .last_used_date
                .as_deref()
                .map_or_else(|| "never used".to_owned(), |d| format!("last used {d}"));
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: subject("AccessKey", None, &format!("{}/access-key-{}", row.arn, i + 1)),
                key: String::new(),
                message: format!(
                    "The root user of {} has an active access key {} ({used}); it can do anything in the account and no policy limits it.",
                    row.arn.trim_end_matches(":root"),
                    i + 1
                ),
                evidence: vec![row.source.clone()],
                paths: Vec::new(),
            });
        }
    }
}
