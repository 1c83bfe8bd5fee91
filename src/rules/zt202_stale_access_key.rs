//! ZT202: an active access key older than the rotation limit.

use ztpath_reports::Severity;

use super::rule::{NistTenet, OwaspNhi, Rule, Sink, access_key_hit};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT202",
    name: "stale-access-key",
    title: "IAM access key not rotated within the limit",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi7],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "The longer a static key lives, the more copies of it exist (laptops, CI variables, old \
images, logs) and the longer a leaked copy stays useful. AWS and CIS ask for rotation within 90 days.",
    remediation: "Create a second key, move every consumer to it, deactivate the old key, watch for failures, \
then delete it. Better, replace the key with role credentials (see ZT201).",
    detects: "An active access key whose creation (or last rotation) date is more than `--max-key-age-days` \
(default 90) before the scan's reference date (`--now`, default today). A key twice over the limit is high.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let limit = a.options().max_key_age_days;
    for k in a.aws().keys.iter().filter(|k| k.active) {
        let Some(created) = k.created_day else { continue };
        let age = a.options().today - created;
        if age <= limit {
            continue;
        }
        let severity = if age > 2 * limit { Severity::High } else { sink.default_severity() };
        sink.push(access_key_hit(
            k,
            severity,
            format!("Access key {} of IAM user {} is {age} days old (limit {limit}).", k.label, k.user),
        ));
    }
}
