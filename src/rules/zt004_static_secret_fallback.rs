//! ZT004: a workload authenticates with a static secret instead of its workload identity.

use ztpath_reports::{PathId, Severity};

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, workload_subject};
use crate::analysis::Analysis;
use crate::discover::calls::{CredentialOrigin, Role, Target};

pub(super) static RULE: Rule = Rule {
    id: "ZT004",
    name: "static-secret-fallback",
    title: "Workload authenticates with a static secret",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi4, OwaspNhi::Nhi7],
    nist_800_207: &[NistTenet::T3, NistTenet::T6],
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
- a literal credential in env or in a ConfigMap it loads, and a password inside a URL (`https://user:pass@host`);\n\
- a Secret key mounted as a file that a server it calls accepts (see below).\n\n\
The peer is named when the credential's env name shares its prefix with the URL variable of a Service or external \
host (`PAYMENTS_URL` + `PAYMENTS_API_KEY`), when the called workload loads the same Secret and no workload but the two sides does (a Secret that others load \
as well, such as a partner key, is a credential they all present to someone else), or when the credential \
is the secret a server of the input accepts. The finding lists the auth path to that peer.\n\n\
A server configured with the secret its callers must present is the accepting side, not a caller: the official \
images' `MYSQL_ROOT_PASSWORD`, `MYSQL_PASSWORD`, `MARIADB_ROOT_PASSWORD`, `MARIADB_PASSWORD`, `POSTGRES_PASSWORD`, \
`MONGO_INITDB_ROOT_PASSWORD`, `RABBITMQ_DEFAULT_PASS`, `MINIO_ROOT_PASSWORD`, `MINIO_SECRET_KEY`, `ELASTIC_PASSWORD`, \
`GF_SECURITY_ADMIN_PASSWORD`, `KEYCLOAK_ADMIN_PASSWORD`, `KC_BOOTSTRAP_ADMIN_PASSWORD`, Bitnami's \
`POSTGRESQL_PASSWORD`, `POSTGRESQL_POSTGRES_PASSWORD`, `MONGODB_ROOT_PASSWORD` and `REDIS_PASSWORD`, the value of \
`redis-server --requirepass`, and an application's own `ADMIN_PASSWORD`/`*_ADMIN_PASSWORD`/`*_ROOT_PASSWORD` when \
it serves. Names clients use too (`MYSQL_PASSWORD`, `POSTGRES_PASSWORD`, `REDIS_PASSWORD`, `ELASTIC_PASSWORD`, \
`MINIO_SECRET_KEY`) count only in the server's image or when the workload serves the server's port; none counts in \
a Job or CronJob, or when the workload has an address variable of the same prefix (`MYSQL_HOST`), which makes it a \
client. The server's finding says it accepts a static secret from whoever holds it and names the holders: the \
workloads that load the same Secret key (env, `envFrom` or a mounted volume), hold the same value (same keyed \
fingerprint) or hold a credential for the server's Service; each gets a static-secret hop into the server.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for c in &a.calls().credentials {
        let w = &a.workloads()[c.workload];
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
        if let Role::Accepts { what, holders } = &c.role {
            let mut names: Vec<String> = holders
                .iter()
                .map(|h| {
                    let hc = &a.calls().credentials[h.credential];
                    format!("{} (`{}`, {})", a.workloads()[h.workload].display(), hc.name, h.how.describe())
                })
                .collect();
            names.sort();
            names.dedup();
            let mut paths: Vec<ztpath_reports::PathId> = holders
                .iter()
                .filter_map(|h| a.path(&PathId::between(a.workloads()[h.workload].id.clone(), w.id.clone())))
                .map(|p| p.id.clone())
                .collect();
            paths.sort();
            paths.dedup();
            let whom = if names.is_empty() {
                "No workload of the input holds it.".to_owned()
            } else {
                format!("It is held by {}.", names.join(", "))
            };
            sink.push(Hit {
                severity: sink.default_severity(),
                subject: workload_subject(w),
                key,
                message: format!(
                    "{} accepts a static secret from whoever holds it: {what} `{}`, from {origin}. {whom}",
                    w.display(),
                    c.name
                ),
                evidence: vec![c.source.clone()],
                paths,
            });
            continue;
        }
        let (peer, paths) = match &c.target {
            Some(Target::Service(si)) => {
                let s = a.estate().services[*si];
                let paths: Vec<ztpath_reports::PathId> = a.estate().service_workloads[*si]
                    .iter()
                    .filter_map(|&ti| a.path(&PathId::between(w.id.clone(), a.workloads()[ti].id.clone())))
                    .map(|p| p.id.clone())
                    .collect();
                (format!("service {}/{}", s.meta.ns(), s.meta.name), paths)
            }
            Some(Target::External(host)) => (
                format!("external host {host}"),
                vec![PathId::between(w.id.clone(), format!("external:{host}").into())],
            ),
            None if matches!(c.origin, CredentialOrigin::UrlPassword { .. }) => {
                ("the host its URL names, which is not in the input".to_owned(), Vec::new())
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
