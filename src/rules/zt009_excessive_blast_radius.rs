//! ZT009: a credential whose holder reaches too much.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, subject};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT009",
    name: "excessive-blast-radius",
    title: "Credential with an excessive blast radius",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi5, OwaspNhi::Nhi7],
    nist_800_207: &[NistTenet::T3, NistTenet::T1],
    rationale: "What matters about a credential is what its holder can do with it: the identities it becomes, the \
permissions those carry, the Secrets they can read and what those Secrets unlock in turn, the workloads it can \
enter and the services it can call. A credential that reaches far turns one leak into an estate-wide incident.",
    remediation: "Cut the chain at its widest step (listed in the blast-radius section of the report): remove the \
permission that reads Secrets or creates pods, replace legacy tokens with projected ones, split shared identities, \
and scope each credential to one workload and one purpose.",
    detects: "Every credential (Secret, mounted service-account token, literal in a manifest) is walked through the \
identity graph: token → service account → its RBAC capabilities → the Secrets, pods and identities those reach → \
and so on; service accounts also act as the workloads that run as them and so reach what those call. Each reached \
item is scored (permission 15, plus 25 when it is granted cluster-wide; identity 10; workload 5; Secret 2; service 1). A credential scoring above the \
threshold (default 30, `--blast-radius-threshold`) is reported, with the counts; the report's `blast_radius` \
section lists what it reaches and the chain of steps to each.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for b in a.blast() {
        if b.score <= a.options().blast_radius_threshold {
            continue;
        }
        let c = &b.credential;
        let counts: Vec<String> = b.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let widest = b.reaches.iter().find(|r| r.kind == "permission").or_else(|| b.reaches.first());
        let how = widest
            .map(|r| {
                format!(" First step to the widest reach: {}.", b.chain(r).collect::<Vec<_>>().join(" → "))
            })
            .unwrap_or_default();
        let kind = match c.kind.as_str() {
            "secret" | "legacy-sa-token" | "secret (not in input)" => "Secret",
            "service-account-token" => "ServiceAccountToken",
            _ => "Credential",
        };
        sink.push(Hit {
            severity: sink.default_severity(),
            subject: subject(kind, c.namespace.as_deref(), &c.name),
            key: c.id.clone(),
            message: format!(
                "{} {} reaches {} (score {}, threshold {}).{how}",
                c.kind,
                c.id,
                counts.join(", "),
                b.score,
                a.options().blast_radius_threshold
            ),
            evidence: c
                .evidence
                .iter()
                .map(|e| ztpath_probes::Source { file: e.file.as_str().into(), line: e.line })
                .collect(),
            paths: Vec::new(),
        });
    }
}
