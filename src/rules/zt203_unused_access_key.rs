//! ZT203: an active access key that was never used, or not for a long time.

use ztpath_reports::Severity;

use super::rule::{NistTenet, OwaspNhi, Rule, Sink, access_key_hit};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT203",
    name: "unused-access-key",
    title: "Active IAM access key unused or never used",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi1, OwaspNhi::Nhi7],
    nist_800_207: &[NistTenet::T3, NistTenet::T5],
    rationale: "A key nobody uses is a credential nobody would miss: typically left behind by a decommissioned \
workload or a departed owner. It still works for whoever holds a copy, and its use would stand out to no one.",
    remediation: "Deactivate the key now and delete it after a grace period. If something breaks, that \
consumer gets role credentials instead of the key back.",
    detects: "An active access key whose last use is more than `--max-key-unused-days` (default 90) before the \
reference date, or that was never used and is older than that limit (the credential report's \
`access_key_N_last_used_date` is `N/A`).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let limit = a.options().max_key_unused_days;
    let today = a.options().today;
    for k in a.aws().keys.iter().filter(|k| k.active) {
        let why = match (k.last_used_day, k.never_used, k.created_day) {
            (Some(used), _, _) if today - used > limit => format!("last used {} days ago", today - used),
            (None, true, Some(created)) if today - created > limit => {
                format!("never used in the {} days since it was created", today - created)
            }
            _ => continue,
        };
        sink.push(access_key_hit(
            k,
            sink.default_severity(),
            format!("Access key {} of IAM user {} is active but {why} (limit {limit}).", k.label, k.user),
        ));
    }
}
