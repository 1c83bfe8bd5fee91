//! Who calls whom, and with which static credential.
//!
//! Call edges come from the configuration a workload carries: env values, container args and the
//! ConfigMaps it loads that name a Service's DNS name (`svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`,
//! with or without scheme and port). Credentials come from env vars fed by Secrets, `envFrom`
//! Secrets, literal values that look like credentials, and passwords embedded in URLs. A
//! credential is tied to the peer it authenticates to when its env name shares a prefix with the
//! URL variable of that peer (`PAYMENTS_URL` + `PAYMENTS_API_KEY`), or when the peer itself loads
//! the same Secret (it verifies what the caller presents).

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use ztpath_probes::{EnvFrom, EnvValue, Sensitive, Source};

pub use crate::discover::credentials::*;
use crate::discover::names::{credential_name, name_base, normalise, url_name};
pub use crate::discover::shapes::LeakShape;
use crate::discover::shapes::{
    leaked_shape, strip_auth_scheme, token_shape, url_credential, url_credentials, url_tokens,
};
use crate::discover::values::{Neighbours, Weakness, weakness};
use crate::resolve::estate::{Estate, WorkloadView};

/// One value a workload's configuration holds, where calls and URL credentials are looked for.
struct Ref<'a> {
    /// Env var or ConfigMap key (empty for an argument).
    name: String,
    value: &'a Sensitive,
    source: Source,
    /// An env var (or a ConfigMap key loaded as one).
    env: bool,
    /// The ConfigMap it is written in (its URL credentials are that ConfigMap's leaks).
    config_map: Option<usize>,
}

impl Calls {
    pub fn discover(estate: &Estate<'_>) -> Calls {
        let mut out = Calls::default();
        let inv = estate.inv;
        let config_maps: BTreeMap<(&str, &str), usize> = inv
            .config_maps
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.meta.ns(), c.meta.name.as_str()), i))
            .collect();
        // Values of the credential keys of every Secret: a literal with one of them is a
        // credential whatever it looks like.
        let secret_values: BTreeSet<String> = inv
            .secrets
            .iter()
            .filter(|s| s.secret_type != "kubernetes.io/service-account-token")
            .flat_map(|s| s.entries.iter())
            .filter(|e| credential_name(&e.key) || e.key == "ssh-privatekey")
            .filter_map(|e| e.fingerprint.as_ref().map(|f| f.0.clone()))
            .collect();

        for (ci, cm) in inv.config_maps.iter().enumerate() {
            let neighbours: Neighbours =
                cm.data.iter().map(|(k, v, _)| (normalise(k), (k.clone(), v.fingerprint().0))).collect();
            for (key, value, line) in &cm.data {
                let source = cm.meta.source.at(*line);
                if let Some(shape) = leaked_shape(key, value, &secret_values) {
                    out.leaks.push(LeakedValue {
                        owner: LeakOwner::ConfigMap(ci),
                        name: key.clone(),
                        fingerprint: value.fingerprint().to_string(),
                        shape,
                        source: source.clone(),
                        weakness: literal_weakness(key, value, &neighbours),
                    });
                }
                // A credential inside a URL is this ConfigMap's, whoever loads it.
                for (secret, shape) in url_credentials(value.expose()) {
                    let fingerprint = secret.fingerprint().to_string();
                    if shape == LeakShape::TokenInUrl
                        && out.leaks.iter().any(|l| l.source == source && l.name == *key)
                    {
                        continue; // the value's own format already gave the token away
                    }
                    let weakness = ztpath_probes::k8s::well_known_default(secret.expose())
                        .then_some(Weakness::WellKnownDefault);
                    out.leaks.push(LeakedValue {
                        owner: LeakOwner::ConfigMap(ci),
                        name: key.clone(),
                        fingerprint,
                        shape,
                        source: source.clone(),
                        weakness,
                    });
                }
            }
        }

        // Each workload's references are independent: resolve them in parallel, merge in order.
        let per_workload: Vec<Calls> = estate
            .workloads
            .par_iter()
            .enumerate()
            .map(|(wi, w)| discover_workload(estate, wi, w, &config_maps, &secret_values))
            .collect();
        for part in per_workload {
            out.calls.extend(part.calls);
            out.credentials.extend(part.credentials);
            out.leaks.extend(part.leaks);
        }
        // One value written once is one leak, however many workloads load the ConfigMap holding it.
        let mut seen = BTreeSet::new();
        out.leaks.retain(|l| {
            let owner = match l.owner {
                LeakOwner::Workload(i) => (0, i),
                LeakOwner::ConfigMap(i) => (1, i),
                LeakOwner::Proxy(i) => (2, i),
            };
            seen.insert((owner, l.name.clone(), l.shape, l.source.clone()))
        });
        keep_pair_secrets(estate, &mut out);
        crate::discover::servers::link_holders(estate, &mut out);
        out
    }
}

/// A caller's Secret key is taken as presented to a callee that loads the same Secret only when
/// the Secret belongs to that pair: every workload of the namespace that loads it serves the
/// callee's Service or calls it. A Secret that other workloads load too (a partner's API key, a
/// shared database password) is a credential they all present to someone else, and the callee
/// holding it is one more client, not the side that checks it.
fn keep_pair_secrets(estate: &Estate<'_>, out: &mut Calls) {
    if !out.credentials.iter().any(|c| c.target_from_shared_secret) {
        return;
    }
    let mut callers: HashMap<usize, BTreeSet<usize>> = HashMap::default();
    for call in &out.calls {
        if let Target::Service(si) = call.target {
            callers.entry(si).or_default().insert(call.caller);
        }
    }
    let mut loaders: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
    for (wi, w) in estate.workloads.iter().enumerate() {
        for secret in &w.secrets {
            loaders.entry((w.ns, *secret)).or_default().push(wi);
        }
    }
    for c in &mut out.credentials {
        if !c.target_from_shared_secret {
            continue;
        }
        let (Some(Target::Service(si)), CredentialOrigin::SecretKey { secret, .. }) = (&c.target, &c.origin)
        else {
            continue;
        };
        let ns = estate.workloads[c.workload].ns;
        let servers = &estate.service_workloads[*si];
        let calling = callers.get(si);
        let pair = loaders
            .get(&(ns, secret.as_str()))
            .into_iter()
            .flatten()
            .all(|l| servers.contains(l) || calling.is_some_and(|set| set.contains(l)));
        if !pair {
            c.target = None;
            c.target_from_shared_secret = false;
        }
    }
}

/// The values of a pod's env vars by normalised name (literals, ConfigMap keys, and Secret keys
/// committed with data), to find the user name a password goes with.
fn env_neighbours(
    estate: &Estate<'_>,
    w: &WorkloadView<'_>,
    config_maps: &BTreeMap<(&str, &str), usize>,
) -> Neighbours {
    let inv = estate.inv;
    let mut out = Neighbours::new();
    for c in &w.w.pod.containers {
        for e in &c.env {
            let fp = match &e.value {
                EnvValue::Literal(v) => Some(v.fingerprint().0),
                EnvValue::ConfigMapKey { config_map, key } => config_maps
                    .get(&(w.ns, config_map.as_str()))
                    .and_then(|&ci| inv.config_maps[ci].data.iter().find(|(k, ..)| k == key))
                    .map(|(_, v, _)| v.fingerprint().0),
                EnvValue::SecretKey { secret, key } => estate
                    .secrets
                    .get(&(w.ns, secret.as_str()))
                    .and_then(|s| s.entries.iter().rev().find(|en| en.key == *key))
                    .and_then(|en| en.fingerprint.as_ref())
                    .map(|f| f.0.clone()),
                EnvValue::Other => None,
            };
            if let Some(fp) = fp {
                out.insert(normalise(&e.name), (e.name.clone(), fp));
            }
        }
    }
    out
}

/// How guessable a literal credential is.
fn literal_weakness(name: &str, value: &Sensitive, neighbours: &Neighbours) -> Option<Weakness> {
    let v = strip_auth_scheme(value.expose().trim());
    weakness(name, &value.fingerprint().0, ztpath_probes::k8s::well_known_default(v), neighbours)
}

/// Calls, credentials and leaks of one workload.
fn discover_workload<'a>(
    estate: &Estate<'a>,
    wi: usize,
    w: &WorkloadView<'a>,
    config_maps: &BTreeMap<(&str, &str), usize>,
    secret_values: &BTreeSet<String>,
) -> Calls {
    let inv = estate.inv;
    let mut out = Calls::default();
    let mut refs: Vec<Ref<'_>> = Vec::new();
    let mut creds: Vec<HeldCredential> = Vec::new();
    // For each credential: whether it is the server side (decided once the peers are known).
    let mut accepting: Vec<Option<&'static str>> = Vec::new();
    let neighbours = env_neighbours(estate, w, config_maps);
    let held = |name: &str, origin: CredentialOrigin, source: Source| HeldCredential {
        target_from_shared_secret: false,
        workload: wi,
        name: name.to_owned(),
        origin,
        source,
        target: None,
        role: Role::Presents,
    };
    let literal = |v: &Sensitive, shape: LeakShape| CredentialOrigin::Literal {
        fingerprint: v.fingerprint().to_string(),
        shape: Some(shape),
    };
    for c in &w.w.pod.containers {
        for e in &c.env {
            let src = w.meta().source.at(e.line);
            match &e.value {
                EnvValue::Literal(v) => {
                    refs.push(Ref {
                        name: e.name.clone(),
                        value: v,
                        source: src.clone(),
                        env: true,
                        config_map: None,
                    });
                    if let Some(shape) = leaked_shape(&e.name, v, secret_values) {
                        out.leaks.push(LeakedValue {
                            owner: LeakOwner::Workload(wi),
                            name: e.name.clone(),
                            fingerprint: v.fingerprint().to_string(),
                            shape,
                            source: src.clone(),
                            weakness: literal_weakness(&e.name, v, &neighbours),
                        });
                        creds.push(held(&e.name, literal(v, shape), src));
                        accepting.push(crate::discover::servers::accepting(&e.name, c, w, estate));
                    }
                }
                EnvValue::SecretKey { secret, key } => {
                    if credential_name(&e.name) || credential_name(key) {
                        let origin = CredentialOrigin::SecretKey { secret: secret.clone(), key: key.clone() };
                        creds.push(held(&e.name, origin, src));
                        accepting.push(crate::discover::servers::accepting(&e.name, c, w, estate));
                    }
                }
                EnvValue::ConfigMapKey { config_map, key } => {
                    if let Some(&ci) = config_maps.get(&(w.ns, config_map.as_str()))
                        && let Some((_, v, line)) = inv.config_maps[ci].data.iter().find(|(k, ..)| k == key)
                    {
                        let src = inv.config_maps[ci].meta.source.at(*line);
                        refs.push(Ref {
                            name: e.name.clone(),
                            value: v,
                            source: src.clone(),
                            env: true,
                            config_map: Some(ci),
                        });
                        if let Some(shape) = leaked_shape(&e.name, v, secret_values) {
                            // Written in the ConfigMap; a credential there even when only the
                            // variable's name says so.
                            out.leaks.push(LeakedValue {
                                owner: LeakOwner::ConfigMap(ci),
                                name: key.clone(),
                                fingerprint: v.fingerprint().to_string(),
                                shape,
                                source: src.clone(),
                                weakness: literal_weakness(&e.name, v, &neighbours),
                            });
                            creds.push(held(&e.name, literal(v, shape), src));
                            accepting.push(crate::discover::servers::accepting(&e.name, c, w, estate));
                        }
                    }
                }
                EnvValue::Other => {}
            }
        }
        for e in &c.env_from {
            match e {
                EnvFrom::Secret { name, line } => {
                    let src = w.meta().source.at(*line);
                    match estate.secrets.get(&(w.ns, name.as_str())) {
                        // A Secret whose keys the input shows: the credential-like ones.
                        Some(secret) if !secret.entries.is_empty() => {
                            for entry in secret.entries.iter().filter(|en| credential_name(&en.key)) {
                                let origin = CredentialOrigin::SecretKey {
                                    secret: name.clone(),
                                    key: entry.key.clone(),
                                };
                                creds.push(held(&entry.key, origin, src.clone()));
                                accepting.push(crate::discover::servers::accepting(&entry.key, c, w, estate));
                            }
                        }
                        // Not in the input, or managed elsewhere (no data written): every key it
                        // holds becomes an env var, credentials included.
                        _ => {
                            let origin = CredentialOrigin::SecretUnknownKeys { secret: name.clone() };
                            creds.push(held(&format!("envFrom {name}"), origin, src));
                            accepting.push(None);
                        }
                    }
                }
                EnvFrom::ConfigMap { name, .. } => {
                    if let Some(&ci) = config_maps.get(&(w.ns, name.as_str())) {
                        let cm = &inv.config_maps[ci];
                        for (k, v, line) in &cm.data {
                            let src = cm.meta.source.at(*line);
                            refs.push(Ref {
                                name: k.clone(),
                                value: v,
                                source: src.clone(),
                                env: true,
                                config_map: Some(ci),
                            });
                            if let Some(shape) = leaked_shape(k, v, secret_values) {
                                creds.push(held(k, literal(v, shape), src));
                                accepting.push(crate::discover::servers::accepting(k, c, w, estate));
                            }
                        }
                    }
                }
            }
        }
        for (arg, line) in &c.args {
            // A token of a known format given as an argument (`--token=ghp_…`).
            if let Some(shape) = token_shape(arg.expose()) {
                let src = w.meta().source.at(*line);
                out.leaks.push(LeakedValue {
                    owner: LeakOwner::Workload(wi),
                    name: ARGUMENT.to_owned(),
                    fingerprint: arg.fingerprint().to_string(),
                    shape,
                    source: src.clone(),
                    weakness: None,
                });
                creds.push(held(ARGUMENT, literal(arg, shape), src));
                accepting.push(None);
            }
            refs.push(Ref {
                name: String::new(),
                value: arg,
                source: w.meta().source.at(*line),
                env: false,
                config_map: None,
            });
        }
        // `redis-server --requirepass …`: the password callers must present.
        if let Some((value, line)) = crate::discover::servers::requirepass(c) {
            match value {
                crate::discover::servers::RequirePass::Env(var) => {
                    if let Some(i) = creds.iter().position(|cr| cr.name == var) {
                        accepting[i] = Some(crate::discover::servers::REQUIREPASS);
                    } else if let Some(e) = c.env.iter().rev().find(|e| e.name == var) {
                        let src = w.meta().source.at(e.line);
                        let origin = match &e.value {
                            EnvValue::SecretKey { secret, key } => {
                                Some(CredentialOrigin::SecretKey { secret: secret.clone(), key: key.clone() })
                            }
                            EnvValue::Literal(v)
                                if !ztpath_probes::k8s::looks_like_placeholder(v.expose()) =>
                            {
                                out.leaks.push(LeakedValue {
                                    owner: LeakOwner::Workload(wi),
                                    name: var.clone(),
                                    fingerprint: v.fingerprint().to_string(),
                                    shape: LeakShape::PasswordInArguments,
                                    source: src.clone(),
                                    weakness: literal_weakness(&var, v, &neighbours),
                                });
                                Some(literal(v, LeakShape::PasswordInArguments))
                            }
                            _ => None,
                        };
                        if let Some(origin) = origin {
                            creds.push(held(&var, origin, src));
                            accepting.push(Some(crate::discover::servers::REQUIREPASS));
                        }
                    }
                }
                crate::discover::servers::RequirePass::Literal(v) => {
                    let src = w.meta().source.at(line);
                    let weakness = ztpath_probes::k8s::well_known_default(v.expose())
                        .then_some(Weakness::WellKnownDefault);
                    out.leaks.push(LeakedValue {
                        owner: LeakOwner::Workload(wi),
                        name: "--requirepass".to_owned(),
                        fingerprint: v.fingerprint().to_string(),
                        shape: LeakShape::PasswordInArguments,
                        source: src.clone(),
                        weakness,
                    });
                    creds.push(held("--requirepass", literal(&v, LeakShape::PasswordInArguments), src));
                    accepting.push(Some(crate::discover::servers::REQUIREPASS));
                }
            }
        }
    }
    // ConfigMaps mounted as files are configuration too (e.g. an application.yaml).
    for cm_name in &w.config_maps {
        if let Some(&ci) = config_maps.get(&(w.ns, *cm_name)) {
            let cm = &inv.config_maps[ci];
            for (k, v, line) in &cm.data {
                refs.push(Ref {
                    name: k.clone(),
                    value: v,
                    source: cm.meta.source.at(*line),
                    env: false,
                    config_map: Some(ci),
                });
            }
        }
    }

    // Resolve references to calls, one per (target, via-name), and take the credentials that
    // URLs carry.
    let mut seen: BTreeSet<(Target, String)> = BTreeSet::new();
    let mut url_targets: Vec<(String, Target)> = Vec::new();
    for r in &refs {
        let name = &r.name;
        let addressy = url_name(name);
        // Credentials of this value already tied to the host their URL names.
        let mut tied: BTreeSet<String> = BTreeSet::new();
        for h in host_refs(r.value.expose()) {
            let strong = h.scheme || h.port.is_some() || addressy;
            let Some(target) = resolve(estate, w.ns, &h.host, strong, h.scheme || (r.env && addressy)) else {
                continue;
            };
            if let Target::Service(si) = target {
                // A workload reaching its own Service is not an auth path.
                if w.services.contains(&si) {
                    continue;
                }
            }
            if let Some((secret, _)) = &h.credential {
                // The credential itself is fingerprinted, not the URL around it.
                let fingerprint = secret.fingerprint().to_string();
                tied.insert(fingerprint.clone());
                creds.push(HeldCredential {
                    target: Some(target.clone()),
                    ..held(
                        if name.is_empty() { "argument URL" } else { name },
                        CredentialOrigin::UrlPassword { fingerprint },
                        r.source.clone(),
                    )
                });
                accepting.push(None);
            }
            if !name.is_empty() {
                url_targets.push((name.clone(), target.clone()));
            }
            if seen.insert((target.clone(), name.clone())) {
                out.calls.push(Call {
                    caller: wi,
                    target,
                    port: h.port,
                    via: if name.is_empty() { "container argument".to_owned() } else { name.clone() },
                    source: r.source.clone(),
                });
            }
        }
        // Every credential in a URL is a leak where it is written, whether or not its host is
        // one the input shows; one whose host was not resolved is still held.
        for (secret, shape) in url_credentials(r.value.expose()) {
            let fingerprint = secret.fingerprint().to_string();
            if r.config_map.is_none() {
                // A token that the value's own format already gave away is one leak.
                let known = shape == LeakShape::TokenInUrl
                    && out.leaks.iter().any(|l| {
                        l.owner == LeakOwner::Workload(wi)
                            && (l.name == *name || name.is_empty() && l.name == ARGUMENT)
                            && l.source == r.source
                    });
                if !known {
                    let weakness = ztpath_probes::k8s::well_known_default(secret.expose())
                        .then_some(Weakness::WellKnownDefault);
                    out.leaks.push(LeakedValue {
                        owner: LeakOwner::Workload(wi),
                        name: name.clone(),
                        fingerprint: fingerprint.clone(),
                        shape,
                        source: r.source.clone(),
                        weakness,
                    });
                }
            }
            if tied.insert(fingerprint.clone()) {
                creds.push(held(
                    if name.is_empty() { "argument URL" } else { name },
                    CredentialOrigin::UrlPassword { fingerprint },
                    r.source.clone(),
                ));
                accepting.push(None);
            }
        }
    }

    // The server side: its own secret, unless the workload names a peer it presents it to.
    let address_names: Vec<&str> = refs
        .iter()
        .filter(|r| {
            crate::discover::servers::address_variable(&r.name) && !r.value.expose().trim().is_empty()
        })
        .map(|r| r.name.as_str())
        .collect();
    debug_assert_eq!(creds.len(), accepting.len(), "one accepting-side verdict per credential");
    for (cred, what) in creds.iter_mut().zip(&accepting) {
        if let Some(what) = what
            && (*what == crate::discover::servers::REQUIREPASS
                || !crate::discover::servers::names_peer(&cred.name, address_names.iter().copied()))
        {
            cred.role = Role::Accepts { what, holders: Vec::new() };
        }
    }

    // Tie credentials to peers.
    for cred in &mut creds {
        if cred.target.is_some() || cred.role != Role::Presents {
            continue;
        }
        let base = name_base(&cred.name);
        if !base.is_empty()
            && let Some((_, t)) = url_targets.iter().find(|(n, _)| name_base(n) == base)
        {
            cred.target = Some(t.clone());
            continue;
        }
        if let CredentialOrigin::SecretKey { secret, .. } = &cred.origin {
            // The callee loads the same Secret: it checks what the caller presents.
            let shared =
                url_targets.iter().map(|(_, t)| t).chain(seen.iter().map(|(t, _)| t)).find(|t| match t {
                    Target::Service(si) => estate.service_workloads[*si].iter().any(|&o| {
                        let other = &estate.workloads[o];
                        other.ns == w.ns && other.secrets.contains(secret.as_str())
                    }),
                    Target::External(_) => false,
                });
            if let Some(t) = shared {
                cred.target = Some(t.clone());
                cred.target_from_shared_secret = true;
            }
        }
    }
    out.credentials.extend(creds);
    out
}

/// A host named in a value.
#[derive(Debug, PartialEq, Eq)]
pub struct HostRef {
    pub host: String,
    pub port: Option<u32>,
    pub scheme: bool,
    /// A credential in the URL's userinfo (a password, or a user name that is a token) and its
    /// shape ([`LeakShape::PasswordInUrl`], [`LeakShape::TokenInUrl`]).
    pub credential: Option<(Sensitive, LeakShape)>,
}

/// Finds host names in free text: URLs, `host:port`, bare DNS names.
pub fn host_refs(text: &str) -> Vec<HostRef> {
    let mut out = Vec::new();
    for token in url_tokens(text) {
        let (scheme, rest) = match token.find("://") {
            Some(i) => (true, &token[i + 3..]),
            None => (false, token),
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        if !scheme && userinfo.is_some() {
            continue; // `user@host` outside a URL is an email or ssh target, not a call we model
        }
        let credential = match userinfo {
            Some(_) => ztpath_probes::urls::split_userinfo(rest).1.as_ref().and_then(url_credential),
            None => None,
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, p.parse().ok()),
            Some((_, p)) if !p.is_empty() => continue, // `a:b` that is not host:port
            Some((h, _)) => (h, None),
            None => (hostport, None),
        };
        if !scheme && authority_end != rest.len() && port.is_none() {
            continue; // a path like `conf/app.yaml`
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if !valid_host(&host) {
            continue;
        }
        out.push(HostRef { host, port, scheme, credential });
    }
    out
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !h.starts_with(['-', '.'])
        && !h.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !h.contains("..")
}

/// Resolves a host to a Service of the estate or, when `external_ok`, to an external host.
fn resolve(
    estate: &Estate<'_>,
    caller_ns: &str,
    host: &str,
    strong: bool,
    external_ok: bool,
) -> Option<Target> {
    let parts: Vec<&str> = host.split('.').collect();
    let lookup = |name: &str, ns: &str| estate.service_index.get(&(ns, name)).map(|&i| Target::Service(i));
    match parts.as_slice() {
        [name] => {
            if strong {
                lookup(name, caller_ns)
            } else {
                None
            }
        }
        [name, ns] => lookup(name, ns).or_else(|| external(host, external_ok)),
        // The API server's in-cluster name: an endpoint of its own, not a workload of the input.
        ["kubernetes", "default", ..] => lookup("kubernetes", "default")
            .or_else(|| Some(Target::External("kubernetes.default.svc".to_owned()))),
        [name, ns, "svc", ..] => lookup(name, ns),
        _ => external(host, external_ok),
    }
}

fn external(host: &str, ok: bool) -> Option<Target> {
    let tld = host.rsplit('.').next().unwrap_or("");
    (ok && host.contains('.')
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_lowercase())
        && !host.ends_with(".local")
        && !host.ends_with(".internal")
        && !host.ends_with(".svc")
        && !host.contains(".svc."))
    .then(|| Target::External(host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_hosts_in_urls_and_host_ports() {
        let refs = host_refs(
            "http://orders.shop.svc.cluster.local:8080/api and redis:6379, postgres://app:s3cret@db.data:5432/x",
        );
        let hosts: Vec<_> = refs.iter().map(|r| (r.host.as_str(), r.port, r.credential.is_some())).collect();
        assert_eq!(
            hosts,
            vec![
                ("orders.shop.svc.cluster.local", Some(8080), false),
                ("and", None, false),
                ("redis", Some(6379), false),
                ("db.data", Some(5432), true)
            ]
        );
        let (secret, shape) = refs[3].credential.as_ref().unwrap();
        assert_eq!((secret.expose(), *shape), ("s3cret", LeakShape::PasswordInUrl));
        // A user name alone is a credential when it is a token; otherwise only stripped.
        let token = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let refs = host_refs(&format!("https://{token}@github.com/o/r https://git@gitlab.example/x"));
        let got: Vec<_> = refs
            .iter()
            .map(|r| (r.host.as_str(), r.credential.as_ref().map(|(s, k)| (s.expose(), *k))))
            .collect();
        assert_eq!(got, vec![("github.com", Some((token, LeakShape::TokenInUrl))), ("gitlab.example", None)]);
        // In an option too.
        let refs = host_refs("--upstream=https://u:pw@args.example.com/x");
        assert_eq!(refs[0].credential.as_ref().map(|(s, _)| s.expose()), Some("pw"));
        assert!(host_refs("conf/app.yaml").is_empty());
        assert!(host_refs("10.0.0.1:80").is_empty());
    }

    #[test]
    fn pairs_names() {
        assert_eq!(name_base("PAYMENTS_API_KEY"), "PAYMENTS");
        assert_eq!(name_base("PAYMENTS_URL"), "PAYMENTS");
        assert!(credential_name("DB_PASSWORD"));
        assert!(credential_name("stripe-api-key"));
        assert!(!credential_name("AWS_ACCESS_KEY_ID"));
        assert!(!credential_name("PASSWORD_FILE"));
        assert!(!credential_name("AUTH_URL"));
    }

    #[test]
    fn which_values_are_credentials() {
        let none = BTreeSet::new();
        let shape = |name: &str, v: &str| leaked_shape(name, &Sensitive::new(v.to_owned()), &none);
        for (name, v) in [
            ("DB_PASSWORD", "password"),
            ("DB_PASSWORD", "k9!"),
            ("DB_PASSWORD", "1234"),
            ("JWT_SECRET", "changeme"),
            ("API_TOKEN", "test"),
            ("PARTNER_API_KEY", "admin"),
        ] {
            assert_eq!(shape(name, v), Some(LeakShape::CredentialNamed), "{name}={v}");
        }
        for (name, v) in [
            ("DB_PASSWORD", "REPLACE_ME"),
            ("DB_PASSWORD", "$(DB_PASSWORD)"),
            ("DB_PASSWORD", "/run/secrets/db"),
            ("PASSWORD_MIN_LENGTH", "12"),
            ("TOKEN_TTL_SECONDS", "3600"),
            ("AUTH_STRATEGY", "oidc"),
            ("ROUTING_KEY", "jobs"),
            ("AUTH_REQUIRED", "true"),
            ("LOG_LEVEL", "info"),
        ] {
            assert_eq!(shape(name, v), None, "{name}={v}");
        }
        // Any literal equal to a Secret's credential value, whatever its name.
        let copied = Sensitive::new("tok-8841".to_owned());
        let values: BTreeSet<String> = [copied.fingerprint().0].into();
        assert_eq!(leaked_shape("HEADER_VALUE", &copied, &values), Some(LeakShape::SecretCopy));
    }

    #[test]
    fn url_credentials_whatever_the_host() {
        let got: Vec<_> = url_credentials(
            "a=postgres://u:pw1@10.0.0.7/db b=redis://:pw2@cache.internal:6379 c=https://x.example",
        )
        .into_iter()
        .map(|(s, k)| (s.expose().to_owned(), k))
        .collect();
        assert_eq!(
            got,
            [("pw1".to_owned(), LeakShape::PasswordInUrl), ("pw2".to_owned(), LeakShape::PasswordInUrl)]
        );
    }

    #[test]
    fn token_shapes() {
        assert_eq!(token_shape("AKIAIOSFODNN7EXAMPLE"), Some(LeakShape::AwsAccessKeyId));
        assert_eq!(token_shape("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), Some(LeakShape::GitHubToken));
        assert_eq!(token_shape("hello world"), None);
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";
        assert_eq!(token_shape(jwt), Some(LeakShape::Jwt));
    }
}
