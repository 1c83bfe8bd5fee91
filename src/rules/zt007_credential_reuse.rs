//! ZT007: one credential or one identity shared by several workloads.

use std::collections::{BTreeMap, BTreeSet};

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, proxy_subject, subject, workload_subject};
use crate::analysis::Analysis;
use crate::resolve::estate::{Estate, WorkloadView};

pub(super) static RULE: Rule = Rule {
    id: "ZT007",
    name: "credential-reuse",
    title: "Credential or identity shared by several workloads",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi9, OwaspNhi::Nhi8],
    nist_800_207: &[NistTenet::T3, NistTenet::T4],
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
(a password and the connection URL built from it) is that object's alone. The finding is on the Secret holding \
the value that sorts first by namespace and name (else the first place in that order), never on the first in \
file order, so its id stays when files are reordered or added.\n\
- One service account used by two or more workloads (they share one SPIFFE identity and one RBAC grant set): \
**medium**.\n\n\
Pods and ReplicaSets owned by a controller in the input are folded into it first, so a Deployment is one workload.\n\n\
Versions of one application are one identity by design (canary, blue-green and A/B rollouts run the old and the \
new version side by side under one account, with the same Secrets), so a Secret object or a service account \
that only versions of one application share is not reported. Two workloads are versions of one application when \
their pod labels (else their own labels) give the same `app.kubernetes.io/name` (else `app`) with different \
`app.kubernetes.io/version` (else `version`) values and the same `app.kubernetes.io/component` (or none), or when \
their names differ only by a version or rollout suffix: `-v2`, `-v1-2-3`, `-v1.2.3`, `-1.2.3` (with at least one dot; \
`-2` alone is an ordinal, not a version), `-canary`, `-stable`, `-primary` (Flagger), `-baseline`, `-preview`, \
`-blue`, `-green`. Different applications sharing one still are reported; the message names each application \
once, with its versions.",
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
    let est = &a.estate();
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
        let apps = applications(est, &ws);
        if apps.len() < 2 {
            continue;
        }
        let mut evidence: Vec<_> = ws.iter().map(|&i| est.workloads[i].meta().source.clone()).collect();
        if let Some(s) = est.secrets.get(&(*ns, *name)) {
            evidence.insert(0, s.meta.source.clone());
        }
        sink.push(Hit {
            severity: Severity::Medium,
            subject: subject("Secret", Some(ns), name),
            key: "shared-object".to_owned(),
            message: format!("Secret {ns}/{name} is loaded by {}: {}.", count(&ws, &apps), list(est, &apps)),
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
    for leak in &a.calls().leaks {
        // Every literal form counts: an env or argument literal, a ConfigMap entry, a password in
        // a URL (in env, arguments, a ConfigMap or a proxy's configuration).
        let (ns, what, owner) = match leak.owner {
            crate::discover::calls::LeakOwner::Workload(wi) => {
                let w = &est.workloads[wi];
                (Some(w.ns.to_owned()), format!("{} `{}`", w.display(), leak.name), workload_subject(w))
            }
            crate::discover::calls::LeakOwner::ConfigMap(ci) => {
                let c = &est.inv.config_maps[ci];
                (
                    Some(c.meta.ns().to_owned()),
                    format!("ConfigMap {}/{} key `{}`", c.meta.ns(), c.meta.name, leak.name),
                    subject("ConfigMap", c.meta.namespace.as_deref(), &c.meta.name),
                )
            }
            crate::discover::calls::LeakOwner::Proxy(pi) => {
                let p = &est.inv.proxies[pi];
                let subj = proxy_subject(p);
                (p.namespace.clone(), format!("{subj} ({})", leak.name), subj)
            }
        };
        let what = if leak.shape.in_url() { format!("{what} (in a URL)") } else { what };
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
        // Named after the Secret that holds it that sorts first (by subject, then place), else
        // the first place in that order: never by file order, so that reordering or adding
        // files leaves the finding's id as it was.
        let order = |a: &&Place, b: &&Place| (&a.owner, &a.what).cmp(&(&b.owner, &b.what));
        let first = places
            .iter()
            .filter(|p| p.owner.kind == "Secret")
            .min_by(order)
            .or_else(|| places.iter().min_by(order))
            .expect("a value has a place");
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
        let apps = applications(est, ws);
        if apps.len() < 2 {
            continue;
        }
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
                "{} run as service account {ns}/{sa} and so share the identity {}: {}.",
                count(ws, &apps),
                est.spiffe_id(ns, sa),
                list(est, &apps)
            ),
            evidence,
            paths: Vec::new(),
        });
    }
}

/// Label keys naming a workload's application, version and component, first found wins.
const APP_KEYS: &[&str] = &["app.kubernetes.io/name", "app"];
const VERSION_KEYS: &[&str] = &["app.kubernetes.io/version", "version"];
const COMPONENT_KEYS: &[&str] = &["app.kubernetes.io/component"];

/// The first of `keys` among the workload's pod labels, else among its own labels.
fn label<'w>(w: &'w WorkloadView<'_>, keys: &[&str]) -> Option<&'w str> {
    keys.iter()
        .find_map(|key| w.w.pod.labels.get(key).or_else(|| w.meta().labels.get(key)))
        .map(String::as_str)
}

/// The workloads `ws` (indexes into `Estate::workloads`, in input order) grouped by application:
/// versions of one application (see the rule's page) in one group. Groups are in the order of
/// their first workload and keep the input order inside.
fn applications(est: &Estate<'_>, ws: &[usize]) -> Vec<Vec<usize>> {
    // Same application label and component with more than one version; same name once version
    // and rollout suffixes are cut, with more than one name. Positions in `ws`, with the value
    // that must differ.
    let mut by_label: BTreeMap<(&str, &str), Vec<(usize, &str)>> = BTreeMap::new();
    let mut by_base: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
    for (k, &wi) in ws.iter().enumerate() {
        let w = &est.workloads[wi];
        if let (Some(app), Some(version)) = (label(w, APP_KEYS), label(w, VERSION_KEYS)) {
            let component = label(w, COMPONENT_KEYS).unwrap_or("");
            by_label.entry((app, component)).or_default().push((k, version));
        }
        by_base.entry(without_version_suffix(w.name())).or_default().push((k, w.name()));
    }
    // Union-find over positions; the smaller position is the root.
    let mut parent: Vec<usize> = (0..ws.len()).collect();
    fn root(parent: &mut [usize], mut k: usize) -> usize {
        while parent[k] != k {
            parent[k] = parent[parent[k]];
            k = parent[k];
        }
        k
    }
    for members in by_label.values().chain(by_base.values()) {
        let distinct: BTreeSet<&str> = members.iter().map(|m| m.1).collect();
        if distinct.len() < 2 {
            continue;
        }
        for pair in members.windows(2) {
            let (a, b) = (root(&mut parent, pair[0].0), root(&mut parent, pair[1].0));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, &wi) in ws.iter().enumerate() {
        let r = root(&mut parent, k);
        groups.entry(r).or_default().push(wi);
    }
    groups.into_values().collect()
}

/// `name` without its version and rollout suffixes (`cart-v2-canary` → `cart`, `cart-v1-2-3` →
/// `cart`, `cart-1.2.3` → `cart`); `name` itself when it has none. `cart-2` keeps its number (an
/// ordinal, as of a StatefulSet's pods, says nothing of versions), and the first part always
/// stays.
fn without_version_suffix(name: &str) -> &str {
    const TRACKS: &[&str] = &["canary", "stable", "primary", "baseline", "preview", "blue", "green"];
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let dotted = |p: &str| p.split('.').all(digits);
    // `v1`, `v1.2`
    let v_number = |p: &str| p.strip_prefix('v').is_some_and(dotted);
    let parts: Vec<&str> = name.split('-').collect();
    let mut keep = parts.len();
    while keep > 1 {
        let last = parts[keep - 1];
        if TRACKS.contains(&last) || v_number(last) || last.contains('.') && dotted(last) {
            keep -= 1;
            continue;
        }
        if digits(last) {
            // The later parts of `-v1-2-3`: a run of numbers after a `vN` part.
            let mut first = keep - 1;
            while first > 0 && digits(parts[first - 1]) {
                first -= 1;
            }
            if first >= 2 && v_number(parts[first - 1]) {
                keep = first - 1;
                continue;
            }
        }
        break;
    }
    let len = parts[..keep].iter().map(|p| p.len()).sum::<usize>() + keep - 1;
    &name[..len]
}

/// "3 workloads" or, when some are versions of one application, "3 workloads of 2 applications".
fn count(ws: &[usize], apps: &[Vec<usize>]) -> String {
    if apps.len() == ws.len() {
        format!("{} workloads", ws.len())
    } else {
        format!("{} workloads of {} applications", ws.len(), apps.len())
    }
}

/// The applications, each named once: a workload alone as `ns/Kind/name`; versions of one as
/// `app (versions ns/Kind/app-v1, ns/Kind/app-v2)`, named by their common application label, else
/// by the first one's name without its suffix.
fn list(est: &Estate<'_>, apps: &[Vec<usize>]) -> String {
    let item = |group: &[usize]| {
        let first = &est.workloads[group[0]];
        if group.len() == 1 {
            return first.display();
        }
        let app = label(first, APP_KEYS)
            .filter(|app| group.iter().all(|&i| label(&est.workloads[i], APP_KEYS) == Some(*app)))
            .unwrap_or_else(|| without_version_suffix(first.name()));
        let names: Vec<String> = group.iter().map(|&i| est.workloads[i].display()).collect();
        format!("{app} (versions {})", names.join(", "))
    };
    apps.iter().map(|g| item(g)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::without_version_suffix;

    #[test]
    fn version_and_rollout_suffixes_are_cut_and_nothing_else() {
        for (name, base) in [
            ("cart-v2", "cart"),
            ("cart-v1-2-3", "cart"),
            ("cart-v1.2", "cart"),
            ("cart-1.2.3", "cart"),
            ("cart-canary", "cart"),
            ("cart-v2-canary", "cart"),
            ("cart-primary", "cart"),
            ("cart-blue", "cart"),
            ("web-api-green", "web-api"),
            ("cart", "cart"),
            ("cart-2", "cart-2"),
            ("cart-1-2", "cart-1-2"),
            ("cart-worker", "cart-worker"),
            ("v2", "v2"),
            ("canary", "canary"),
            ("v1-2", "v1-2"),
            ("cart-vx", "cart-vx"),
            ("cart-v", "cart-v"),
            ("cart-1.", "cart-1."),
            ("a--v1", "a-"),
        ] {
            assert_eq!(without_version_suffix(name), base, "{name}");
        }
    }
}
