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
use ztpath_probes::{EnvFrom, EnvValue, Sensitive, Source};

use crate::estate::Estate;

/// What a call reaches.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A Service of the estate (index into `Estate::services`).
    Service(usize),
    /// A host outside the estate.
    External(String),
}

/// One discovered call.
#[derive(Clone, Debug)]
pub struct Call {
    pub caller: usize,
    pub target: Target,
    /// Service port named in the reference, if any.
    pub port: Option<u32>,
    /// Where the reference is (env var, arg or ConfigMap key).
    pub via: String,
    pub source: Source,
}

/// Where a held credential comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// A key of a Secret (namespace is the workload's).
    SecretKey { secret: String, key: String },
    /// A whole Secret loaded with `envFrom` that the input does not define.
    SecretUnknownKeys { secret: String },
    /// A literal value in the manifest (env or a ConfigMap it loads).
    Literal { fingerprint: String, shape: Option<&'static str> },
    /// A password inside a URL written in the manifest.
    UrlPassword { fingerprint: String },
}

/// A static credential a workload holds and presents to some peer.
#[derive(Clone, Debug)]
pub struct HeldCredential {
    pub workload: usize,
    /// Env var (or key) name.
    pub name: String,
    pub origin: CredentialOrigin,
    pub source: Source,
    /// The peer it authenticates to, when it can be told.
    pub target: Option<Target>,
}

/// A credential value written in clear in a manifest (env literal or ConfigMap entry).
#[derive(Clone, Debug)]
pub struct LeakedValue {
    /// Workload index or ConfigMap index.
    pub owner: LeakOwner,
    pub name: String,
    pub fingerprint: String,
    pub shape: &'static str,
    pub source: Source,
}

/// What holds a leaked value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakOwner {
    Workload(usize),
    ConfigMap(usize),
    /// A proxy's configuration (index into `Inventory::proxies`): a credential in a backend URL.
    Proxy(usize),
}

/// Shapes of credentials found inside URLs (their fingerprint is the credential's, and a URL is
/// usually repeated where it is used, so these do not count as reuse).
pub const URL_SHAPES: &[&str] = &["password in URL", "token in URL"];

/// All calls, held credentials and leaked values of an estate.
#[derive(Default)]
pub struct Calls {
    pub calls: Vec<Call>,
    pub credentials: Vec<HeldCredential>,
    pub leaks: Vec<LeakedValue>,
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

        for (ci, cm) in inv.config_maps.iter().enumerate() {
            for (key, value, line) in &cm.data {
                if let Some(shape) = leaked_shape(key, value) {
                    out.leaks.push(LeakedValue {
                        owner: LeakOwner::ConfigMap(ci),
                        name: key.clone(),
                        fingerprint: value.fingerprint().to_string(),
                        shape,
                        source: cm.meta.source.at(*line),
                    });
                }
            }
        }

        // Each workload's references are independent: resolve them in parallel, merge in order.
        let per_workload: Vec<Calls> = estate
            .workloads
            .par_iter()
            .enumerate()
            .map(|(wi, w)| {
                let mut out = Calls::default();
                let mut refs: Vec<(String, &Sensitive, Source, bool)> = Vec::new(); // (name, value, source, is_env_name)
                let mut creds: Vec<HeldCredential> = Vec::new();
                for c in &w.w.pod.containers {
                    for e in &c.env {
                        let src = w.meta().source.at(e.line);
                        match &e.value {
                            EnvValue::Literal(v) => {
                                refs.push((e.name.clone(), v, src.clone(), true));
                                if let Some(shape) = leaked_shape(&e.name, v) {
                                    out.leaks.push(LeakedValue {
                                        owner: LeakOwner::Workload(wi),
                                        name: e.name.clone(),
                                        fingerprint: v.fingerprint().to_string(),
                                        shape,
                                        source: src.clone(),
                                    });
                                    creds.push(HeldCredential {
                                        workload: wi,
                                        name: e.name.clone(),
                                        origin: CredentialOrigin::Literal {
                                            fingerprint: v.fingerprint().to_string(),
                                            shape: Some(shape),
                                        },
                                        source: src,
                                        target: None,
                                    });
                                }
                            }
                            EnvValue::SecretKey { secret, key } => {
                                if credential_name(&e.name) || credential_name(key) {
                                    creds.push(HeldCredential {
                                        workload: wi,
                                        name: e.name.clone(),
                                        origin: CredentialOrigin::SecretKey {
                                            secret: secret.clone(),
                                            key: key.clone(),
                                        },
                                        source: src,
                                        target: None,
                                    });
                                }
                            }
                            EnvValue::ConfigMapKey { config_map, key } => {
                                if let Some(&ci) = config_maps.get(&(w.ns, config_map.as_str()))
                                    && let Some((_, v, line)) =
                                        inv.config_maps[ci].data.iter().find(|(k, ..)| k == key)
                                {
                                    refs.push((
                                        e.name.clone(),
                                        v,
                                        inv.config_maps[ci].meta.source.at(*line),
                                        true,
                                    ));
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
                                        for entry in
                                            secret.entries.iter().filter(|en| credential_name(&en.key))
                                        {
                                            creds.push(HeldCredential {
                                                workload: wi,
                                                name: entry.key.clone(),
                                                origin: CredentialOrigin::SecretKey {
                                                    secret: name.clone(),
                                                    key: entry.key.clone(),
                                                },
                                                source: src.clone(),
                                                target: None,
                                            });
                                        }
                                    }
                                    // Not in the input, or managed elsewhere (no data written): every
                                    // key it holds becomes an env var, credentials included.
                                    _ => creds.push(HeldCredential {
                                        workload: wi,
                                        name: format!("envFrom {name}"),
                                        origin: CredentialOrigin::SecretUnknownKeys { secret: name.clone() },
                                        source: src,
                                        target: None,
                                    }),
                                }
                            }
                            EnvFrom::ConfigMap { name, .. } => {
                                if let Some(&ci) = config_maps.get(&(w.ns, name.as_str())) {
                                    let cm = &inv.config_maps[ci];
                                    for (k, v, line) in &cm.data {
                                        let src = cm.meta.source.at(*line);
                                        refs.push((k.clone(), v, src.clone(), true));
                                        if let Some(shape) = leaked_shape(k, v) {
                                            creds.push(HeldCredential {
                                                workload: wi,
                                                name: k.clone(),
                                                origin: CredentialOrigin::Literal {
                                                    fingerprint: v.fingerprint().to_string(),
                                                    shape: Some(shape),
                                                },
                                                source: src,
                                                target: None,
                                            });
                                        }
                                    }
                                }
                            }
                        }
                    }
                    for (arg, line) in &c.args {
                        refs.push((String::new(), arg, w.meta().source.at(*line), false));
                    }
                }
                // ConfigMaps mounted as files are configuration too (e.g. an application.yaml).
                for cm_name in &w.config_maps {
                    if let Some(&ci) = config_maps.get(&(w.ns, *cm_name)) {
                        let cm = &inv.config_maps[ci];
                        for (k, v, line) in &cm.data {
                            refs.push((k.clone(), v, cm.meta.source.at(*line), false));
                        }
                    }
                }

                // Resolve references to calls, one per (target, via-name).
                let mut seen: BTreeSet<(Target, String)> = BTreeSet::new();
                let mut url_targets: Vec<(String, Target)> = Vec::new();
                for (name, value, src, is_env) in &refs {
                    let addressy = url_name(name);
                    for r in host_refs(value.expose()) {
                        let strong = r.scheme || r.port.is_some() || addressy;
                        let Some(target) =
                            resolve(estate, w.ns, &r.host, strong, r.scheme || (*is_env && addressy))
                        else {
                            continue;
                        };
                        if let Target::Service(si) = target {
                            // A workload reaching its own Service is not an auth path.
                            if w.services.contains(&si) {
                                continue;
                            }
                        }
                        if let Some((secret, shape)) = &r.credential {
                            // The credential itself is fingerprinted, not the URL around it.
                            let fingerprint = secret.fingerprint().to_string();
                            // A token that the value's own format already gave away is one leak.
                            let known = *shape == "token in URL"
                                && out.leaks.iter().any(|l| {
                                    l.owner == LeakOwner::Workload(wi) && l.name == *name && l.source == *src
                                });
                            if !known {
                                out.leaks.push(LeakedValue {
                                    owner: LeakOwner::Workload(wi),
                                    name: name.clone(),
                                    fingerprint: fingerprint.clone(),
                                    shape,
                                    source: src.clone(),
                                });
                            }
                            creds.push(HeldCredential {
                                workload: wi,
                                name: if name.is_empty() { "argument URL".to_owned() } else { name.clone() },
                                origin: CredentialOrigin::UrlPassword { fingerprint },
                                source: src.clone(),
                                target: Some(target.clone()),
                            });
                        }
                        if !name.is_empty() {
                            url_targets.push((name.clone(), target.clone()));
                        }
                        if seen.insert((target.clone(), name.clone())) {
                            out.calls.push(Call {
                                caller: wi,
                                target,
                                port: r.port,
                                via: if name.is_empty() {
                                    "container argument".to_owned()
                                } else {
                                    name.clone()
                                },
                                source: src.clone(),
                            });
                        }
                    }
                }

                // Tie credentials to peers.
                for cred in &mut creds {
                    if cred.target.is_some() {
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
                            url_targets.iter().map(|(_, t)| t).chain(seen.iter().map(|(t, _)| t)).find(|t| {
                                match t {
                                    Target::Service(si) => estate.service_workloads[*si].iter().any(|&o| {
                                        let other = &estate.workloads[o];
                                        other.ns == w.ns && other.secrets.contains(secret.as_str())
                                    }),
                                    Target::External(_) => false,
                                }
                            });
                        if let Some(t) = shared {
                            cred.target = Some(t.clone());
                        }
                    }
                }
                out.credentials.extend(creds);
                out
            })
            .collect();
        for part in per_workload {
            out.calls.extend(part.calls);
            out.credentials.extend(part.credentials);
            out.leaks.extend(part.leaks);
        }
        out
    }
}

/// A host named in a value.
#[derive(Debug, PartialEq, Eq)]
pub struct HostRef {
    pub host: String,
    pub port: Option<u32>,
    pub scheme: bool,
    /// A credential in the URL's userinfo (a password, or a user name that is a token) and its
    /// shape (`password in URL`, `token in URL`).
    pub credential: Option<(Sensitive, &'static str)>,
}

/// The credential a URL's userinfo holds: its password, or its user name when that is a token
/// of a known format (`https://<token>@host`).
pub fn url_credential(info: &ztpath_probes::Userinfo) -> Option<(Sensitive, &'static str)> {
    match info.password() {
        Some(p) => Some((p.clone(), "password in URL")),
        None => token_shape(info.user.expose()).map(|_| (info.user.clone(), "token in URL")),
    }
}

/// Finds host names in free text: URLs, `host:port`, bare DNS names.
pub fn host_refs(text: &str) -> Vec<HostRef> {
    let mut out = Vec::new();
    let is_token = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '.' | '-' | '_' | ':' | '/' | '@' | '%' | '+' | '~' | '!' | '$' | '&' | '*' | '?' | '#' | '='
            )
    };
    for token in text.split(|c: char| !is_token(c)) {
        if token.len() < 2 || token.len() > 2048 {
            continue;
        }
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

/// Env or key names that carry an address.
pub fn url_name(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let n = name.to_ascii_uppercase();
    ["URL", "URI", "HOST", "ADDR", "ENDPOINT", "SERVER", "DSN", "CONNECTION", "BROKERS", "UPSTREAM"]
        .iter()
        .any(|k| n.contains(k))
}

/// Env or key names that carry a credential.
pub fn credential_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    if n.ends_with("_FILE")
        || n.ends_with("_PATH")
        || n.ends_with("_DIR")
        || n.ends_with("_ID")
        || n.ends_with("_NAME")
        || n.ends_with("_USER")
        || n.ends_with("_USERNAME")
    {
        return false;
    }
    if n.contains("AUTHOR")
        || [
            "_URL",
            "_URI",
            "_HOST",
            "_ADDR",
            "_ADDRESS",
            "_ENDPOINT",
            "_SERVER",
            "_PORT",
            "_MODE",
            "_ENABLED",
            "_TYPE",
            "_ISSUER",
            "_AUDIENCE",
            "_PROVIDER",
            "_METHOD",
            "_TTL",
            "_TIMEOUT",
        ]
        .iter()
        .any(|s| n.ends_with(s))
    {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "APIKEY",
        "API_KEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "AUTH",
        "PASSPHRASE",
        "CLIENT_KEY",
    ]
    .iter()
    .any(|k| n.contains(k))
        || n.ends_with("_KEY")
        || n == "KEY"
        || n.ends_with("_PASS")
        || n.ends_with("_PWD")
}

/// The shared part of two related env names: `PAYMENTS_API_KEY` and `PAYMENTS_URL` → `PAYMENTS`.
fn name_base(name: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "_API_KEY",
        "_APIKEY",
        "_ACCESS_KEY",
        "_SECRET_KEY",
        "_KEY",
        "_TOKEN",
        "_PASSWORD",
        "_PASS",
        "_PWD",
        "_SECRET",
        "_CREDENTIALS",
        "_CREDENTIAL",
        "_AUTH",
        "_URL",
        "_URI",
        "_HOST",
        "_ADDR",
        "_ADDRESS",
        "_ENDPOINT",
        "_SERVER",
        "_DSN",
        "_BASE",
        "_SERVICE",
        "_API",
    ];
    let mut n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    while let Some(s) = SUFFIXES.iter().find(|s| n.ends_with(*s) && n.len() > s.len()) {
        n.truncate(n.len() - s.len());
    }
    n
}

/// Is this value a credential written in clear? Returns the shape that says so.
pub fn leaked_shape(name: &str, value: &Sensitive) -> Option<&'static str> {
    let v = value.expose().trim();
    // An Authorization header value: judge the credential after the scheme.
    let v = ["Bearer ", "bearer ", "Basic ", "basic ", "Token ", "token "]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .map_or(v, str::trim);
    if let Some(shape) = token_shape(v) {
        return Some(shape);
    }
    if credential_name(name)
        && !ztpath_probes::k8s::looks_like_placeholder(v)
        && !v.contains(char::is_whitespace)
        && v.len() >= 6
        && v.len() <= 4096
        && !looks_like_reference(v)
    {
        return Some("credential-named value");
    }
    None
}

/// Values that point at a credential instead of being one (a path, a URL without password,
/// a boolean or number setting).
fn looks_like_reference(v: &str) -> bool {
    v.starts_with('/')
        || v.starts_with("./")
        || v.contains("://") && !v.contains('@')
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "enabled" | "disabled" | "yes" | "no" | "bearer" | "basic" | "none"
        )
        || v.bytes().all(|b| b.is_ascii_digit())
}

/// Recognises well-known credential formats regardless of the name they are stored under.
pub fn token_shape(v: &str) -> Option<&'static str> {
    // Every format below is at least 20 characters long; most values are short settings.
    if v.len() < 20 {
        return None;
    }
    let alnum_upper = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----") {
        return Some("PEM private key");
    }
    for prefix in ["AKIA", "ASIA"] {
        if let Some(i) = v.find(prefix) {
            let rest = &v[i..];
            if rest.len() >= 20 && alnum_upper(&rest[..20]) {
                return Some("AWS access key id");
            }
        }
    }
    let prefixed: &[(&str, &str, usize)] = &[
        ("ghp_", "GitHub token", 36),
        ("gho_", "GitHub token", 36),
        ("ghs_", "GitHub token", 36),
        ("github_pat_", "GitHub token", 30),
        ("glpat-", "GitLab token", 20),
        ("xoxb-", "Slack token", 20),
        ("xoxp-", "Slack token", 20),
        ("xoxa-", "Slack token", 20),
        ("sk_live_", "Stripe secret key", 20),
        ("rk_live_", "Stripe secret key", 20),
        ("AIza", "Google API key", 35),
        ("SG.", "SendGrid key", 40),
    ];
    for (p, shape, min) in prefixed {
        if let Some(i) = v.find(p) {
            let rest = &v[i + p.len()..];
            let len = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                .count();
            if len >= *min {
                return Some(shape);
            }
        }
    }
    // A JWT: three base64url segments, the first two JSON objects.
    if let Some(i) = v.find("eyJ") {
        let rest = &v[i..];
        let tok: &str = &rest[..rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(rest.len())];
        let segs: Vec<&str> = tok.split('.').collect();
        if segs.len() == 3 && segs[1].starts_with("eyJ") && segs.iter().all(|s| s.len() >= 10) {
            return Some("JWT");
        }
    }
    None
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
        assert_eq!((secret.expose(), *shape), ("s3cret", "password in URL"));
        // A user name alone is a credential when it is a token; otherwise only stripped.
        let token = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let refs = host_refs(&format!("https://{token}@github.com/o/r https://git@gitlab.example/x"));
        let got: Vec<_> = refs
            .iter()
            .map(|r| (r.host.as_str(), r.credential.as_ref().map(|(s, k)| (s.expose(), *k))))
            .collect();
        assert_eq!(got, vec![("github.com", Some((token, "token in URL"))), ("gitlab.example", None)]);
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
    fn token_shapes() {
        assert_eq!(token_shape("AKIAIOSFODNN7EXAMPLE"), Some("AWS access key id"));
        assert_eq!(token_shape("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), Some("GitHub token"));
        assert_eq!(token_shape("hello world"), None);
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";
        assert_eq!(token_shape(jwt), Some("JWT"));
    }
}
