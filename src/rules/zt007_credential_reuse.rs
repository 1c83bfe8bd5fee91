//! ZT007: one credential or one identity shared by several workloads.

use std::collections::{BTreeMap, BTreeSet};

use ztpath_reports::Severity;

use super::{Hit, Rule, Sink, proxy_subject, subject, workload_subject};
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT007",
    name: "credential-reuse",
    title: "Credential or identity shared by several workloads",
    severity: Severity::Medium,
    owasp_nhi: &["NHI9:2025", "NHI8:2025"],
    nist_800_207: &["T3", "T4"],
    rationale: "When several workloads share one Secret, one secret value or one service account, compromising any \
of them yields the others' access, policies cannot tell them apart (a mesh principal is the service account), and \
the credential cannot be rotated or revoked for one without breaking all. Sharing across namespaces usually means \
sharing across teams or environments, which collapses their isolation.",
    remediation: "Give each workload its own service account and its own credential, scoped to what it needs. \
Generate distinct secret values per workload and per environment; reference them from a secrets manager rather than \
copying one value into several Secrets.",
    detects: "- One Secret loaded (env, envFrom, volume, projected) by two or more workloads that load a common key \
which may be secret (`imagePullSecrets` are not counted): **medium**. A `secretKeyRef` loads one key, `envFrom` and \
a volume without `items:` every key, a volume or projected source with `items:` only the keys listed. Public keys \
(`tls.crt`, `ca.crt` and other `*.crt`, `*.cer`, `*.cert`, `*cert.pem`, `ca.pem` certificates, `*.pub`, a token \
Secret's `namespace`) are not secret material: a workload that mounts only `tls.crt`/`ca.crt` of a TLS Secret shares \
nothing with the holders of `tls.key`.\n\
- One secret value (same fingerprint) held by two or more objects (Secrets, workloads, ConfigMaps, proxy \
configurations) in any literal form: a Secret value, an env or argument literal, a ConfigMap entry, a password \
inside a URL: **medium**, **high** when they are in different namespaces. A value written twice within one object \
(a password and the connection URL built from it) is that object's alone.\n\
- One service account used by two or more workloads (they share one SPIFFE identity and one RBAC grant set): \
**medium**.\n\n\
Pods and ReplicaSets owned by a controller in the input are folded into it first, so a Deployment is one workload.",
    check,
};

/// Where a secret value is stored.
struct Place {
    /// Described for the message.
    what: String,
    /// Namespace of the object holding it.
    namespace: Option<String>,
    /// The object holding it (a Secret, a workload, a ConfigMap).
    owner: ztpath_reports::Subject,
    source: ztpath_probes::Source,
}

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let est = &a.estate;
    // One Secret object used by several workloads.
    let mut users: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (wi, w) in est.workloads.iter().enumerate() {
        for s in &w.secrets {
            users.entry((w.ns, s)).or_default().push(wi);
        }
    }
    for ((ns, name), loaders) in &users {
        // Workloads share the Secret when they load a common key that may be secret: one that
        // mounts only `tls.crt` and `ca.crt` shares nothing with the holder of `tls.key`, nor one
        // that reads `username` with one that reads `api-key`.
        let keys = |wi: usize| est.workloads[wi].secret_keys.get(name).and_then(Option::as_ref);
        let common = |a: usize, b: usize| match (keys(a), keys(b)) {
            (Some(x), Some(y)) => !x.is_disjoint(y),
            _ => true,
        };
        let ws: Vec<usize> =
            loaders.iter().copied().filter(|&a| loaders.iter().any(|&b| b != a && common(a, b))).collect();
        if ws.len() < 2 {
            continue;
        }
        let names: Vec<String> = ws.iter().map(|&i| est.workloads[i].display()).collect();
        let mut evidence: Vec<_> = ws.iter().map(|&i| est.workloads[i].meta().source.clone()).collect();
        if let Some(s) = est.secrets.get(&(*ns, *name)) {
            evidence.insert(0, s.meta.source.clone());
        }
        sink.push(Hit {
            severity: Severity::Medium,
            subject: subject("Secret", Some(ns), name),
            key: "shared-object".to_owned(),
            message: format!("Secret {ns}/{name} is loaded by {} workloads: {}.", ws.len(), names.join(", ")),
            evidence,
            paths: Vec::new(),
        });
    }
    // One value in several places. Values are grouped by fingerprint, but the finding is named
    // by where the value is (its subject and key), never by the fingerprint: fingerprints change
    // from one scan to the next unless the key is fixed, finding ids must not.
    let mut values: BTreeMap<String, Vec<Place>> = BTreeMap::new();
    for s in &est.inv.secrets {
        if s.secret_type == "kubernetes.io/service-account-token" {
            continue;
        }
        for e in &s.entries {
            if let Some(f) = &e.fingerprint {
                values.entry(f.0.clone()).or_default().push(Place {
                    what: format!("Secret {}/{} key `{}`", s.meta.ns(), s.meta.name, e.key),
                    namespace: s.meta.namespace.clone(),
                    owner: subject("Secret", s.meta.namespace.as_deref(), &s.meta.name),
                    source: s.meta.source.at(e.line),
                });
            }
        }
    }
    for leak in &a.calls.leaks {
        // Every literal form counts: an env or argument literal, a ConfigMap entry, a password in
        // a URL (in env, arguments, a ConfigMap or a proxy's configuration).
        let (ns, what, owner) = match leak.owner {
            crate::calls::LeakOwner::Workload(wi) => {
                let w = &est.workloads[wi];
                (Some(w.ns.to_owned()), format!("{} `{}`", w.display(), leak.name), workload_subject(w))
            }
            crate::calls::LeakOwner::ConfigMap(ci) => {
                let c = &est.inv.config_maps[ci];
                (
                    Some(c.meta.ns().to_owned()),
                    format!("ConfigMap {}/{} key `{}`", c.meta.ns(), c.meta.name, leak.name),
                    subject("ConfigMap", c.meta.namespace.as_deref(), &c.meta.name),
                )
            }
            crate::calls::LeakOwner::Proxy(pi) => {
                let p = &est.inv.proxies[pi];
                let subj = proxy_subject(p);
                (p.namespace.clone(), format!("{subj} ({})", leak.name), subj)
            }
        };
        let what =
            if crate::calls::URL_SHAPES.contains(&leak.shape) { format!("{what} (in a URL)") } else { what };
        values.entry(leak.fingerprint.clone()).or_default().push(Place {
            what,
            namespace: ns,
            owner,
            source: leak.source.clone(),
        });
    }
    for (fingerprint, places) in &values {
        // Shared means held by several objects: one value written twice in one object (a
        // password and the connection string built from it) is that object's alone.
        let owners: BTreeSet<String> = places.iter().map(|p| p.owner.to_string()).collect();
        if owners.len() < 2 {
            continue;
        }
        let distinct: BTreeSet<&str> = places.iter().map(|p| p.what.as_str()).collect();
        let namespaces: BTreeSet<&str> = places.iter().filter_map(|p| p.namespace.as_deref()).collect();
        let cross = namespaces.len() > 1;
        // Named after the first Secret that holds it (in input order), else the first place.
        let first = places.iter().find(|p| p.owner.kind == "Secret").unwrap_or(&places[0]);
        sink.push(Hit {
            severity: if cross { Severity::High } else { Severity::Medium },
            subject: first.owner.clone(),
            key: format!("value at {}", first.what),
            message: format!(
                "The same secret value ({fingerprint}) is stored in {} places{}: {}.",
                distinct.len(),
                if cross {
                    format!(
                        " across namespaces {}",
                        namespaces.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                } else {
                    String::new()
                },
                distinct.iter().copied().collect::<Vec<_>>().join("; ")
            ),
            evidence: places.iter().map(|p| p.source.clone()).collect(),
            paths: Vec::new(),
        });
    }
    // One service account used by several workloads.
    let mut by_sa: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (wi, w) in est.workloads.iter().enumerate() {
        by_sa.entry((w.ns, w.sa.as_str())).or_default().push(wi);
    }
    for ((ns, sa), ws) in &by_sa {
        if ws.len() < 2 {
            continue;
        }
        let names: Vec<String> = ws.iter().map(|&i| est.workloads[i].display()).collect();
        let mut evidence: Vec<_> = ws
            .iter()
            .map(|&i| {
                let w = &est.workloads[i];
                w.meta().source.at(w.w.pod.service_account_line.max(w.meta().source.line))
            })
            .collect();
        if let Some(s) = est.service_accounts.get(&(*ns, *sa)) {
            evidence.insert(0, s.meta.source.clone());
        }
        sink.push(Hit {
            severity: Severity::Medium,
            subject: subject("ServiceAccount", Some(ns), sa),
            key: String::new(),
            message: format!(
                "{} workloads run as service account {ns}/{sa} and so share the identity {}: {}.",
                ws.len(),
                est.spiffe_id(ns, sa),
                names.join(", ")
            ),
            evidence,
            paths: Vec::new(),
        });
    }
}
