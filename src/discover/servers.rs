//! The accepting side of a static secret.
//!
//! A database given `MYSQL_ROOT_PASSWORD`, a Redis started with `--requirepass`, a dashboard
//! given its admin password: each is configured with the secret its callers must present, it
//! does not present it to anyone. Such a credential is the server's ([`crate::discover::credentials::Role::Accepts`]);
//! the callers holding the same secret are linked to it ([`link_holders`]), get a static-secret
//! hop into the server, and the server's finding names them.
//!
//! A variable is taken as the accepting side when
//! - it is one of [`SERVER_VARIABLES`], and either only servers read it (`server_only`), or the
//!   container runs that server's image, or the workload serves that server's port; or it names the
//!   application's own admin or root password (`ADMIN_PASSWORD`, `*_ADMIN_PASSWORD`,
//!   `*_ROOT_PASSWORD`, also `_PASS`/`_PWD`) and the workload serves; or it is the value of
//!   `--requirepass` on the command line;
//! - the workload is not a Job or CronJob (those run to completion: a backup job with
//!   `MYSQL_ROOT_PASSWORD` is a client);
//! - and the workload names no peer for it: no address variable with the same prefix, even with the
//!   role word dropped (`MYSQL_HOST` next to `MYSQL_ROOT_PASSWORD`, `KEYCLOAK_URL` next to
//!   `KEYCLOAK_ADMIN_PASSWORD`), which would make it a client of that peer.
//!
//! A callee that holds, for no peer of its own, the same secret (Secret key or value) that a
//! caller presents to it is the accepting side of it too: it verifies what the caller presents.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use ztpath_probes::{Container, EnvValue, Sensitive};

use crate::discover::credentials::{CredentialOrigin, HeldCredential, Holder, HolderHow, Role, Target};
use crate::discover::images::SERVER_VARIABLES;
use crate::discover::names::{name_base, normalise};
use crate::resolve::estate::{Estate, WorkloadView};

/// What `--requirepass` sets.
pub const REQUIREPASS: &str = "the Redis password";

/// What a callee's copy of the secret its callers present to it is for.
pub const VERIFIES: &str = "the shared secret its callers present";

/// An image reference's name: the last path segment without tag or digest, lower case.
fn image_name(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split(':').next().unwrap_or(last).to_ascii_lowercase()
}

/// `ADMIN_PASSWORD`, `*_ADMIN_PASSWORD`, `ROOT_PASSWORD`, `*_ROOT_PASSWORD` (and `_PASS`, `_PWD`).
fn own_admin_password(normalised: &str) -> bool {
    ["ADMIN", "ROOT"].iter().any(|role| {
        ["PASSWORD", "PASS", "PWD"].iter().any(|p| {
            let tail = format!("{role}_{p}");
            normalised == tail || normalised.ends_with(&format!("_{tail}"))
        })
    })
}

/// Does the workload serve `port` (a container port, or a Service port or target port)?
fn serves_port(estate: &Estate<'_>, w: &WorkloadView<'_>, port: u32) -> bool {
    w.w.pod.containers.iter().any(|c| c.ports.iter().any(|p| p.port == port))
        || w.services.iter().any(|&si| {
            estate.services[si].ports.iter().any(|p| p.port == port || p.target_port == port.to_string())
        })
}

/// What the variable `name` of container `c` configures when it is the server's own secret
/// (before checking that the workload names no peer for it: [`names_peer`]).
pub fn accepting(
    name: &str,
    c: &Container,
    w: &WorkloadView<'_>,
    estate: &Estate<'_>,
) -> Option<&'static str> {
    if matches!(w.kind(), "Job" | "CronJob") {
        return None;
    }
    let n = normalise(name);
    if let Some(v) = SERVER_VARIABLES.iter().find(|v| v.name == n) {
        let image = image_name(&c.image);
        return (v.server_only || v.images.contains(&image.as_str()) || serves_port(estate, w, v.port))
            .then_some(v.what);
    }
    (own_admin_password(&n) && w.serving()).then_some("its own admin password")
}

/// An address variable, by its words (`PAYMENTS_URL`, `DB_HOST`, `KAFKA_BROKERS`; not
/// `GF_SECURITY_ADMIN_USER`, whose `SECURITY` only contains `URI`).
pub fn address_variable(name: &str) -> bool {
    normalise(name).split('_').any(|w| {
        matches!(
            w,
            "URL"
                | "URI"
                | "HOST"
                | "HOSTNAME"
                | "ADDR"
                | "ADDRESS"
                | "ENDPOINT"
                | "ENDPOINTS"
                | "SERVER"
                | "SERVERS"
                | "DSN"
                | "CONNECTION"
                | "BROKERS"
                | "UPSTREAM"
        )
    })
}

/// True when one of the workload's address variables (`address_names`) shares the credential's
/// prefix, also once a role word is dropped from it (`MYSQL_ROOT_PASSWORD` → `MYSQL_ROOT` and
/// `MYSQL`): the credential is then presented to that peer.
pub fn names_peer<'n>(name: &str, address_names: impl IntoIterator<Item = &'n str>) -> bool {
    let mut bases = BTreeSet::new();
    let mut base = name_base(name);
    bases.insert(base.clone());
    while let Some(stripped) =
        ["_ADMIN", "_ROOT", "_DEFAULT", "_INITDB", "_SUPERUSER", "_SECURITY", "_BOOTSTRAP"]
            .iter()
            .find_map(|r| base.strip_suffix(r).filter(|b| !b.is_empty()).map(str::to_owned))
    {
        bases.insert(stripped.clone());
        base = stripped;
    }
    address_names.into_iter().any(|a| bases.contains(&name_base(a)))
}

/// The value `--requirepass` is given on a container's command line.
pub enum RequirePass {
    /// `$(VAR)`, `$VAR` or `${VAR}`: an env var of the container.
    Env(String),
    /// A literal password.
    Literal(Sensitive),
}

/// Finds `--requirepass <value>` (or `--requirepass=<value>`) in a container's command and
/// arguments, as separate items or inside one shell string; returns the value and its line.
pub fn requirepass(c: &Container) -> Option<(RequirePass, u32)> {
    let words: Vec<(&str, u32)> =
        c.args.iter().flat_map(|(a, line)| a.expose().split_whitespace().map(move |w| (w, *line))).collect();
    let (value, line) = words.iter().enumerate().find_map(|(i, (w, line))| {
        let w = w.trim_matches(['"', '\'']);
        if w == "--requirepass" {
            words.get(i + 1).map(|(v, l)| (*v, *l))
        } else {
            w.strip_prefix("--requirepass=").map(|v| (v, *line))
        }
    })?;
    let value = value.trim_matches(['"', '\'', ';']);
    if let Some(var) = value
        .strip_prefix("$(")
        .and_then(|v| v.strip_suffix(')'))
        .or_else(|| value.strip_prefix("${").and_then(|v| v.strip_suffix('}')))
        .or_else(|| value.strip_prefix('$'))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Some((RequirePass::Env(var.to_owned()), line));
    }
    (!ztpath_probes::k8s::looks_like_placeholder(value) && !value.starts_with('-'))
        .then(|| (RequirePass::Literal(Sensitive::new(value.to_owned())), line))
}

/// The env var `name` of a container, if it is defined there.
pub fn env_value<'c>(c: &'c Container, name: &str) -> Option<&'c EnvValue> {
    c.env.iter().rev().find(|e| e.name == name).map(|e| &e.value)
}

/// The fingerprint of the value a credential holds, when the input shows it (a literal, a URL's
/// password, a key of a Secret committed with data).
pub fn value_fingerprint<'e>(estate: &'e Estate<'_>, c: &'e HeldCredential) -> Option<&'e str> {
    match &c.origin {
        CredentialOrigin::Literal { fingerprint, .. } | CredentialOrigin::UrlPassword { fingerprint } => {
            Some(fingerprint)
        }
        CredentialOrigin::SecretKey { secret, key } => {
            let ns = estate.workloads[c.workload].ns;
            estate
                .secrets
                .get(&(ns, secret.as_str()))
                .and_then(|s| s.entries.iter().rev().find(|e| e.key == *key))
                .and_then(|e| e.fingerprint.as_ref())
                .map(|f| f.0.as_str())
        }
        CredentialOrigin::SecretUnknownKeys { .. } => None,
    }
}

/// Links every accepting-side credential to the callers that hold the same secret: the same key
/// of the same Secret (in env, `envFrom` or a mounted volume), the same value (by fingerprint), or a
/// credential they present to one of the server's Services. A caller's credential that named no
/// peer now names the server (through the Service it calls, else the server's first Service).
/// A Secret key that a caller only mounts as a file becomes a credential it holds.
pub fn link_holders(estate: &Estate<'_>, calls: &mut crate::discover::credentials::Calls) {
    // Every lookup below goes through an index built once (and kept up to date as credentials are
    // added or get a target), so the cost is linear in the credentials and their matches rather
    // than a scan of every credential per server.
    let mut by_workload: Vec<Vec<usize>> = vec![Vec::new(); estate.workloads.len()];
    for (i, c) in calls.credentials.iter().enumerate() {
        by_workload[c.workload].push(i);
    }

    // A callee holding, for no peer, the very secret a caller presents to it verifies it: that
    // credential is its accepting side (an HMAC key both sides read from one Secret).
    let mut verifiers: Vec<usize> = Vec::new();
    for c in calls.credentials.iter().filter(|c| c.role == Role::Presents) {
        let Some(Target::Service(si)) = &c.target else { continue };
        let fingerprint = value_fingerprint(estate, c);
        for &s in &estate.service_workloads[*si] {
            verifiers.extend(by_workload[s].iter().copied().filter(|&i| {
                let v = &calls.credentials[i];
                v.workload != c.workload
                    && v.role == Role::Presents
                    && v.target.is_none()
                    && match (&v.origin, &c.origin) {
                        (
                            CredentialOrigin::SecretKey { secret: a, key: k },
                            CredentialOrigin::SecretKey { secret: b, key: l },
                        ) => a == b && k == l && estate.workloads[s].ns == estate.workloads[c.workload].ns,
                        _ => fingerprint.is_some() && value_fingerprint(estate, v) == fingerprint,
                    }
            }));
        }
    }
    for i in verifiers {
        calls.credentials[i].role = Role::Accepts { what: VERIFIES, holders: Vec::new() };
    }
    let servers: Vec<usize> = (0..calls.credentials.len())
        .filter(|&i| matches!(calls.credentials[i].role, Role::Accepts { .. }))
        .collect();
    if servers.is_empty() {
        return;
    }

    let mut index = HolderIndex::default();
    for ci in 0..calls.credentials.len() {
        index.add(estate, calls, ci);
    }
    let mut calls_by_caller: Vec<Vec<usize>> = vec![Vec::new(); estate.workloads.len()];
    for (k, call) in calls.calls.iter().enumerate() {
        calls_by_caller[call.caller].push(k);
    }

    for ai in servers {
        let server = calls.credentials[ai].workload;
        let sw = &estate.workloads[server];
        let secret_key = match &calls.credentials[ai].origin {
            CredentialOrigin::SecretKey { secret, key } => Some((secret.clone(), key.clone())),
            _ => None,
        };
        let fingerprint = value_fingerprint(estate, &calls.credentials[ai]).map(str::to_owned);
        let mut holders: Vec<Holder> = Vec::new();
        // Secret keys mounted as files: each becomes a credential of the workload that mounts it.
        if let Some((secret, key)) = &secret_key {
            for &wi in estate.workloads_in(sw.ns) {
                let w = &estate.workloads[wi];
                if wi == server {
                    continue;
                }
                let Some(loaded) = w.secret_keys.get(secret.as_str()) else { continue };
                if loaded.as_ref().is_some_and(|k| !k.contains(key.as_str())) {
                    continue;
                }
                let in_env = by_workload[wi].iter().any(|&i| match &calls.credentials[i].origin {
                    CredentialOrigin::SecretKey { secret: s, key: k } => s == secret && k == key,
                    CredentialOrigin::SecretUnknownKeys { secret: s } => s == secret,
                    _ => false,
                });
                if in_env {
                    continue;
                }
                if let Some((volume, line)) = mounting_volume(w, secret, key) {
                    let ci = calls.credentials.len();
                    calls.credentials.push(HeldCredential {
                        workload: wi,
                        name: format!("volume {volume}"),
                        origin: CredentialOrigin::SecretKey { secret: secret.clone(), key: key.clone() },
                        source: w.meta().source.at(line),
                        target: None,
                        role: Role::Presents,
                        target_from_shared_secret: false,
                    });
                    by_workload[wi].push(ci);
                    index.add(estate, calls, ci);
                }
            }
        }
        // The credentials that can match: the same Secret key, the same value, or a credential
        // aimed at one of the server's Services. Visited in credential order.
        let mut candidates: Vec<usize> = Vec::new();
        if let Some((secret, key)) = &secret_key {
            candidates
                .extend(index.secret_key.get(&(sw.ns, secret.clone(), key.clone())).into_iter().flatten());
            candidates.extend(index.secret.get(&(sw.ns, secret.clone())).into_iter().flatten());
        }
        if let Some(f) = &fingerprint {
            candidates.extend(index.fingerprint.get(f.as_str()).into_iter().flatten());
        }
        for &si in &sw.services {
            candidates.extend(index.service.get(&si).into_iter().flatten());
        }
        candidates.sort_unstable();
        candidates.dedup();
        for ci in candidates {
            let c = &calls.credentials[ci];
            if c.workload == server || c.role != Role::Presents {
                continue;
            }
            let same_ns = estate.workloads[c.workload].ns == sw.ns;
            let how = match (&c.origin, &secret_key) {
                (CredentialOrigin::SecretKey { secret, key }, Some((s, k)))
                    if same_ns && secret == s && key == k =>
                {
                    Some(HolderHow::SameSecretKey)
                }
                (CredentialOrigin::SecretUnknownKeys { secret }, Some((s, _))) if same_ns && secret == s => {
                    Some(HolderHow::SameSecretKey)
                }
                _ => None,
            }
            .or_else(|| {
                fingerprint
                    .as_deref()
                    .filter(|f| value_fingerprint(estate, c) == Some(*f))
                    .map(|_| HolderHow::SameValue)
            })
            .or_else(|| {
                matches!(&c.target, Some(Target::Service(si)) if sw.services.contains(si))
                    .then_some(HolderHow::NamesServer)
            });
            let Some(how) = how else { continue };
            if c.target.is_none() && !sw.services.is_empty() {
                // Through the Service the caller calls, else the server's first one.
                let called = calls_by_caller[c.workload].iter().find_map(|&k| match calls.calls[k].target {
                    Target::Service(si) if sw.services.contains(&si) => Some(si),
                    _ => None,
                });
                let si = called.unwrap_or(sw.services[0]);
                calls.credentials[ci].target = Some(Target::Service(si));
                index.service.entry(si).or_default().push(ci);
            }
            holders.push(Holder { workload: calls.credentials[ci].workload, credential: ci, how });
        }
        if let Role::Accepts { holders: h, .. } = &mut calls.credentials[ai].role {
            *h = holders;
        }
    }
}

/// Credentials by what a server's accepting side can match them on.
#[derive(Default)]
struct HolderIndex<'e> {
    /// `(namespace, Secret, key)` of a Secret-key credential.
    secret_key: HashMap<(&'e str, String, String), Vec<usize>>,
    /// `(namespace, Secret)` of a credential loading a Secret's unknown keys.
    secret: HashMap<(&'e str, String), Vec<usize>>,
    /// The value's fingerprint.
    fingerprint: HashMap<String, Vec<usize>>,
    /// The Service a credential is aimed at.
    service: HashMap<usize, Vec<usize>>,
}

impl<'e> HolderIndex<'e> {
    fn add(&mut self, estate: &'e Estate<'_>, calls: &crate::discover::credentials::Calls, ci: usize) {
        let c = &calls.credentials[ci];
        let ns = estate.workloads[c.workload].ns;
        match &c.origin {
            CredentialOrigin::SecretKey { secret, key } => {
                self.secret_key.entry((ns, secret.clone(), key.clone())).or_default().push(ci);
            }
            CredentialOrigin::SecretUnknownKeys { secret } => {
                self.secret.entry((ns, secret.clone())).or_default().push(ci);
            }
            _ => {}
        }
        if let Some(f) = value_fingerprint(estate, c) {
            self.fingerprint.entry(f.to_owned()).or_default().push(ci);
        }
        if let Some(Target::Service(si)) = &c.target {
            self.service.entry(*si).or_default().push(ci);
        }
    }
}

/// The volume (name and line) through which a workload mounts `key` of `secret`.
fn mounting_volume(w: &WorkloadView<'_>, secret: &str, key: &str) -> Option<(String, u32)> {
    let lists = |items: &Option<Vec<String>>| items.as_ref().is_none_or(|i| i.iter().any(|k| k == key));
    w.w.pod.volumes.iter().find_map(|v| {
        let hit = match &v.kind {
            ztpath_probes::VolumeKind::Secret { name, items } => name == secret && lists(items),
            ztpath_probes::VolumeKind::Projected(sources) => sources.iter().any(|s| {
                matches!(s, ztpath_probes::ProjectedSource::Secret { name, items } if name == secret && lists(items))
            }),
            _ => false,
        };
        hit.then(|| (v.name.clone(), v.line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_and_admin_passwords() {
        assert_eq!(image_name("docker.io/library/postgres:16-alpine"), "postgres");
        assert_eq!(image_name("bitnami/redis@sha256:abcd"), "redis");
        assert_eq!(image_name("oliver006/redis_exporter:v1"), "redis_exporter");
        assert!(own_admin_password("ADMIN_PASSWORD"));
        assert!(own_admin_password("JENKINS_ADMIN_PASS"));
        assert!(!own_admin_password("SUPERADMIN_PASSWORD"));
        assert!(!own_admin_password("DB_PASSWORD"));
    }

    #[test]
    fn peers_named_by_prefix() {
        assert!(names_peer("MYSQL_ROOT_PASSWORD", ["MYSQL_HOST"]));
        assert!(names_peer("KEYCLOAK_ADMIN_PASSWORD", ["KEYCLOAK_URL"]));
        assert!(!names_peer("MYSQL_ROOT_PASSWORD", ["CATALOG_URL"]));
        assert!(!names_peer("GF_SECURITY_ADMIN_PASSWORD", ["GF_SERVER_ROOT_URL"]));
    }
}
