//! ZT006: a credential that does not expire, or lives far longer than needed.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject, workload_subject};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT006",
    name: "long-lived-credential",
    title: "Long-lived service-account credential",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi7],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
    rationale: "Legacy service-account token Secrets never expire and are never rotated; a copy taken once works \
until someone deletes the Secret, and manually created ones are not cleaned up by the legacy token cleaner. \
Projected tokens are bound and short-lived by default (one hour); asking for days or more throws that away.",
    remediation: "Delete `kubernetes.io/service-account-token` Secrets and let pods use projected tokens (the default \
since Kubernetes 1.22); for tokens outside pods use `kubectl create token` / the TokenRequest API with a short \
`--duration`. Keep `serviceAccountToken.expirationSeconds` at or near the default 3600.",
    detects: "- A Secret of type `kubernetes.io/service-account-token` (it authenticates as the service account named \
by its `kubernetes.io/service-account.name` annotation): **high**.\n\
- A projected `serviceAccountToken` volume source with `expirationSeconds` above the limit (default 86400, \
`--max-token-seconds`): **medium**.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for s in &a.inventory().secrets {
        if s.secret_type != "kubernetes.io/service-account-token" {
            continue;
        }
        let sa = s
            .meta
            .annotations
            .get("kubernetes.io/service-account.name")
            .map_or("an unnamed service account", String::as_str);
        let paths: Vec<ztpath_reports::PathId> = Vec::new();
        sink.push(Hit {
            severity: Severity::High,
            subject: subject("Secret", s.meta.namespace.as_deref(), &s.meta.name),
            key: String::new(),
            message: format!(
                "Secret {}/{} is a legacy service-account token for {}/{sa}: it never expires and is never rotated.",
                s.meta.ns(),
                s.meta.name,
                s.meta.ns()
            ),
            evidence: vec![s.meta.source.clone()],
            paths,
        });
    }
    for w in a.workloads() {
        for t in &w.projected_tokens {
            let Some(seconds) = t.expiration_seconds.filter(|s| *s > a.options().max_token_seconds) else {
                continue;
            };
            sink.push(Hit {
                severity: Severity::Medium,
                subject: workload_subject(w),
                key: t.key.clone(),
                message: format!(
                    "{} requests a projected service-account token valid for {seconds} s ({:.1} days), above the {} s limit.",
                    w.display(),
                    seconds as f64 / 86_400.0,
                    a.options().max_token_seconds
                ),
                evidence: vec![w.meta().source.at(t.line)],
                paths: Vec::new(),
            });
        }
    }
}
