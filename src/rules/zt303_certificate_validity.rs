//! ZT303: a presented certificate is expired, not yet valid, or expires soon.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;
use crate::tls::{DAY, timestamp};

pub(super) static RULE: Rule = Rule {
    id: "ZT303",
    name: "certificate-expired-or-expiring",
    title: "Server certificate expired, not yet valid, or expiring soon",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T5],
    rationale: "A client that verifies certificates refuses an expired one, so the endpoint is down for it; \
clients that keep working are not verifying, and would accept an attacker's certificate too. A certificate \
close to its end is an outage on a date already known, and a sign that rotation is manual.",
    remediation: "Rotate the certificate, and automate rotation (cert-manager, the mesh's CA, ACME) so that \
certificates are renewed well before their end.",
    detects: "The leaf certificate of a live endpoint whose `notAfter` is before the reference date \
(`--now`): **high**; whose `notBefore` is after it: **medium**; or that expires within `--cert-expiry-days` \
(30) of it: **medium** (unless it lives no longer than that window: a short-lived certificate that is rotated, \
such as a mesh workload certificate, is always close to its end). Judged against `--now`, never the clock, so reports are reproducible.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let now = super::wire::now_seconds(a);
    let soon = a.options().cert_expiry_days.saturating_mul(DAY);
    for v in super::wire::views(a) {
        let Some(leaf) = v.o.leaf() else { continue };
        let (severity, what) = if leaf.not_after < now {
            (Severity::High, format!("expired on {}", timestamp(leaf.not_after)))
        } else if leaf.not_before > now {
            (Severity::Medium, format!("is not valid before {}", timestamp(leaf.not_before)))
        } else if leaf.not_after - now <= soon && leaf.lifetime_seconds() > soon {
            (
                Severity::Medium,
                format!(
                    "expires on {}, within {} days",
                    timestamp(leaf.not_after),
                    a.options().cert_expiry_days
                ),
            )
        } else {
            continue;
        };
        sink.push(Hit {
            severity,
            subject: v.subject.clone(),
            key: v.endpoint(),
            message: format!("The certificate of {} ({}) {what}.", v.endpoint(), leaf.subject),
            evidence: v.evidence.clone(),
            paths: v.paths.clone(),
        });
    }
}
