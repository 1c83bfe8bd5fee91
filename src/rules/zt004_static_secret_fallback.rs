//! ZT004: a workload authenticates with a static secret instead of its workload identity.

use ztpath_reports::Severity;

use super::{Hit, Rule, Sink, workload_subject};
use crate::calls::{CredentialOrigin, Target};
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT004",
    name: "static-secret-fallback",
    title: "Workload authenticates with a static secret",
    severity: Severity::Medium,
    owasp_nhi: &["NHI4:2025", "NHI7:2025"],
    nist_800_207: &["T3", "T6"],
    rationale: "A static API key, token or password authenticates whoever holds a copy, not the workload it was \
issued to. It does not expire on its own, it is copied into every replica and every place that renders the \
manifest, and once leaked it works from anywhere. Workload identity (mesh mTLS, projected service-account tokens, \
cloud workload federation) gives short-lived, bound credentials instead.",
    remediation: "Authenticate with the workload's identity: mesh mTLS and an AuthorizationPolicy naming the caller \
for in-cluster peers; workload identity federation (IRSA/EKS Pod Identity, GKE/Azure workload identity, SPIFFE \
JWT-SVIDs) for cloud and external APIs. Where a provider only takes static keys, fetch them at run time from a \
secrets manager with short leases and rotate them; never write them into manifests.",
    detects: "A workload that carries a credential to present to a peer or an external API:\n\n\
- an env var fed by `secretKeyRef` whose name or key looks like a credential (`*_API_KEY`, `*_TOKEN`, \
`*_PASSWORD`, `*_SECRET`, `*_CREDENTIALS`, `*AUTH*`, `*_KEY`, …);\n\
- an `envFrom` Secret with such keys (or a Secret the input does not define);\n\
- a literal credential in env or in a ConfigMap it loads, and a password inside a URL (`https://user:pass@host`).\n\n\
The peer is named when the credential's env name shares its prefix with the URL variable of a Service or external \
host (`PAYMENTS_URL` + `PAYMENTS_API_KEY`), or when the called workload loads the same Secret. The finding lists \
the auth path to that peer.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for c in &a.calls.credentials {
        let w = &a.estate.workloads[c.workload];
        let (origin, key) = match &c.origin {
            CredentialOrigin::SecretKey { secret, key } => {
                (format!("key `{key}` of Secret {}/{secret}", w.ns), secret.clone())
            }
            CredentialOrigin::SecretUnknownKeys { secret } => {
                (format!("Secret {}/{secret} (all keys, via envFrom)", w.ns), secret.clone())
            }
            CredentialOrigin::Literal { fingerprint, .. } => {
                (format!("a literal value in the manifest ({fingerprint})"), c.name.clone())
            }
            CredentialOrigin::UrlPassword { fingerprint } => {
                (format!("a password embedded in a URL ({fingerprint})"), c.name.clone())
            }
        };
        let (peer, paths) = match &c.target {
            Some(Target::Service(si)) => {
                let s = a.estate.services[*si];
                let paths: Vec<String> = a.estate.service_workloads[*si]
                    .iter()
                    .map(|&ti| format!("path:{}->{}", w.id, a.estate.workloads[ti].id))
                    .filter(|id| a.path(id).is_some())
                    .collect();
                (format!("service {}/{}", s.meta.ns(), s.meta.name), paths)
            }
            Some(Target::External(host)) => {
                (format!("external host {host}"), vec![format!("path:{}->external:{host}", w.id)])
            }
            None => ("a peer the configuration does not name".to_owned(), Vec::new()),
        };
        sink.push(Hit {
            severity: sink.default_severity(),
            subject: workload_subject(w),
            key,
            message: format!(
                "{} authenticates to {peer} with the static credential `{}` from {origin}.",
                w.display(),
                c.name
            ),
            evidence: vec![c.source.clone()],
            paths,
        });
    }
}
