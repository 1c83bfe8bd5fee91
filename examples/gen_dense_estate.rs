//! Generates a *dense* synthetic estate for benchmarks: few, large tenant namespaces whose
//! workloads share identities, Secrets and configuration, with wide RBAC, many calls and
//! proxies in front.
//!
//! ```text
//! cargo run --release --example gen_dense_estate -- --workloads 10000 --out target/dense [--seed 1]
//! ```
//!
//! This is the second, independent shape next to `examples/gen_estate.rs` (which spreads
//! workloads over many small namespaces, each mostly with its own service account and Secrets).
//! Here a namespace holds 300–700 workloads, and what a real multi-team cluster accumulates
//! is planted at the rates seen in one:
//!
//! - a third of the workloads run as one of five shared ServiceAccounts of their namespace, a
//!   fifth as `default`; two shared accounts still have a legacy (non-expiring) token Secret;
//! - about twelve shared Secrets per namespace (database, Kafka, Redis, object store, partner API
//!   keys, …) that many workloads load by `secretKeyRef` or `envFrom`; some values are copied
//!   between namespaces, and a few partner keys are the same everywhere;
//! - a client-key Secret for a third of the servers, which the server and its callers both load
//!   (`<PEER>_URL` + `<PEER>_API_KEY`);
//! - a `service-directory` ConfigMap per namespace listing 40 of its Services, which one workload in
//!   seven loads whole with `envFrom`, so they call every Service it lists; per-workload
//!   ConfigMaps with an `application.yaml` naming more peers; calls to a shared `platform`
//!   namespace (PostgreSQL, Kafka, Redis, Vault, an OpenTelemetry collector) from most workloads;
//! - wide RBAC: namespace-wide Secret readers bound to shared accounts, a CI deployer per
//!   namespace (cluster-wide pod creation and Secret reads in three namespaces out of ten),
//!   `edit` for the whole `system:serviceaccounts:<ns>` group in a fifth of the namespaces,
//!   wildcard Roles for a few own accounts, ClusterRoles for the platform's agents;
//! - Istio in 60% of the namespaces (PeerAuthentication, AuthorizationPolicies whose principals
//!   are the shared accounts, DestinationRules), Linkerd in 15% (a Server per second workload,
//!   with MeshTLSAuthentications naming the shared accounts), the rest plain, half of the
//!   namespaces default-deny;
//! - proxies: an ingress-nginx controller behind an NLB, an Istio ingress gateway, Ingresses and
//!   Istio Gateways for a few percent of the workloads, and one nginx configuration file per
//!   2,000 workloads with ~25 servers proxying to tenant Services;
//! - credentials in clear: database URLs with a password from a small pool, partner tokens.
//!
//! Output: `platform.yaml`, `cluster.yaml`, `ingress.yaml`, one `t<NNN>-<team>.yaml` per tenant
//! namespace, and `edge/nginx-<NN>.conf`. The same `--workloads` and `--seed` always give
//! byte-identical files. Only std is used.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "a generator prints the estate it writes, and its sizes are small counts"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;
use std::{env, fs, process};

const USAGE: &str = "usage: gen_dense_estate --workloads N --out DIR [--seed S]";

/// Appends one line to a `String` (which cannot fail).
macro_rules! line {
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).expect("writing to a String cannot fail")
    };
}

fn main() {
    let args = match Args::parse(env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("gen_dense_estate: {msg}\n{USAGE}");
            process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("gen_dense_estate: {}: {e}", args.out.display());
        process::exit(1);
    }
}

struct Args {
    workloads: usize,
    out: PathBuf,
    seed: u64,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let (mut workloads, mut out, mut seed) = (None, None, 1u64);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--workloads" => {
                    let v = value()?;
                    workloads =
                        Some(v.parse::<usize>().map_err(|_| format!("--workloads: not a number: {v}"))?);
                }
                "--out" => out = Some(PathBuf::from(value()?)),
                "--seed" => {
                    let v = value()?;
                    seed = v.parse().map_err(|_| format!("--seed: not a number: {v}"))?;
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    process::exit(0);
                }
                other => return Err(format!("unknown argument: {other}")),
            }
        }
        let workloads = workloads.ok_or("--workloads is required")?;
        if workloads == 0 {
            return Err("--workloads must be at least 1".to_owned());
        }
        Ok(Args { workloads, out: out.ok_or("--out is required")?, seed })
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness: a SplitMix64 stream, one per part of the estate
// ---------------------------------------------------------------------------------------------

struct Dice(u64);

impl Dice {
    fn new(seed: u64, stream: u64) -> Dice {
        let mut d = Dice(seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        d.next();
        d
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with `percent` percent probability.
    fn pct(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn one<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn word(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        (0..len).map(|_| CHARS[self.below(CHARS.len())] as char).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------

const TEAMS: &[&str] = &["retail", "logistics", "finance", "media", "risk", "search", "identity", "ads"];
const ROLES: &[&str] = &[
    "api",
    "bff",
    "worker",
    "ingest",
    "indexer",
    "router",
    "ledger",
    "quote",
    "stock",
    "tracker",
    "planner",
    "notifier",
    "exporter",
    "scorer",
    "mailer",
    "archiver",
    "resolver",
    "scheduler",
    "renderer",
    "syncer",
];
/// The shared ServiceAccounts of every tenant namespace; the first two have legacy tokens and
/// the first can read every Secret of the namespace.
const SHARED_SAS: &[&str] = &["app-runner", "batch-runner", "api-runner", "stream-worker", "jobs"];
const DEPLOYER: &str = "ci-deployer";
/// Shared Secrets of a tenant: name, keys, and whether its value is shared between tenants.
const SHARED_SECRETS: &[(&str, &[&str], Sharing)] = &[
    ("db-main", &["username", "password"], Sharing::Some),
    ("db-replica", &["username", "password"], Sharing::None),
    ("kafka-client", &["sasl-username", "sasl-password"], Sharing::Some),
    ("redis-cache", &["password"], Sharing::Some),
    ("object-store", &["access-key-id", "secret-access-key"], Sharing::None),
    ("smtp-relay", &["username", "password"], Sharing::All),
    ("partner-payments", &["api-key"], Sharing::All),
    ("partner-maps", &["api-key"], Sharing::All),
    ("oauth-client", &["client-id", "client-secret"], Sharing::None),
    ("signing-keys", &["jwt-signing-key"], Sharing::None),
    ("vault-approle", &["role-id", "secret-id"], Sharing::None),
    ("analytics-token", &["token"], Sharing::Some),
];
/// Services of the shared `platform` namespace that tenants call.
const PLATFORM: &[(&str, u16)] =
    &[("postgres-main", 5432), ("kafka", 9092), ("redis", 6379), ("vault", 8200), ("otel-collector", 4317)];

#[derive(Clone, Copy, PartialEq)]
enum Sharing {
    /// Each tenant has its own value.
    None,
    /// Tenants draw from a small pool (copied between some of them).
    Some,
    /// One value in every tenant.
    All,
}

#[derive(Clone, Copy, PartialEq)]
enum Mesh {
    Istio,
    Linkerd,
    Plain,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Deployment,
    StatefulSet,
    CronJob,
}

#[derive(Clone, Copy, PartialEq)]
enum Sa {
    Own,
    Default,
    Shared(usize),
    Deployer,
}

struct Tenant {
    name: String,
    team: &'static str,
    mesh: Mesh,
    apps: Range<usize>,
}

struct App {
    name: String,
    role: &'static str,
    tenant: usize,
    kind: Kind,
    sa: Sa,
    grpc: bool,
    /// Has a `<name>-client-keys` Secret that it and its callers load.
    client_keys: bool,
}

impl App {
    fn serves(&self) -> bool {
        self.kind != Kind::CronJob
    }
    fn port(&self) -> u16 {
        if self.grpc { 9090 } else { 8080 }
    }
    fn account(&self) -> &str {
        match self.sa {
            Sa::Own => &self.name,
            Sa::Default => "default",
            Sa::Shared(i) => SHARED_SAS[i],
            Sa::Deployer => DEPLOYER,
        }
    }
    /// Its name as an env var prefix (`quote-012` → `QUOTE_012`).
    fn env_prefix(&self) -> String {
        self.name.to_ascii_uppercase().replace('-', "_")
    }
}

struct Plan {
    seed: u64,
    tenants: Vec<Tenant>,
    apps: Vec<App>,
    /// Values that several tenants' Secrets hold (copied passwords, one partner key everywhere).
    pooled: Vec<String>,
    /// Database passwords that also appear in clear in `DATABASE_URL`s.
    leaked_passwords: Vec<String>,
}

impl Plan {
    fn new(total: usize, seed: u64) -> Plan {
        let mut d = Dice::new(seed, 0);
        let mut tenants = Vec::new();
        let mut apps: Vec<App> = Vec::with_capacity(total);
        while apps.len() < total {
            let left = total - apps.len();
            let size = d.range(300, 700);
            let size = if left < size + 150 { left } else { size };
            let t = tenants.len();
            let start = apps.len();
            for i in 0..size {
                let role = d.one(ROLES);
                let kind = match d.below(100) {
                    0..85 => Kind::Deployment,
                    85..93 => Kind::StatefulSet,
                    _ => Kind::CronJob,
                };
                let sa = match d.below(100) {
                    0..45 => Sa::Own,
                    45..65 => Sa::Default,
                    65..67 => Sa::Deployer,
                    // Skewed: the first shared accounts are the popular ones.
                    _ => Sa::Shared(d.below(SHARED_SAS.len()).min(d.below(SHARED_SAS.len()))),
                };
                let grpc = d.pct(15);
                let client_keys = kind != Kind::CronJob && d.pct(33);
                apps.push(App {
                    name: format!("{role}-{i:03}"),
                    role,
                    tenant: t,
                    kind,
                    sa,
                    grpc,
                    client_keys,
                });
            }
            let mesh = match d.below(100) {
                0..60 => Mesh::Istio,
                60..75 => Mesh::Linkerd,
                _ => Mesh::Plain,
            };
            tenants.push(Tenant {
                name: format!("t{:03}-{}", t + 1, TEAMS[t % TEAMS.len()]),
                team: TEAMS[t % TEAMS.len()],
                mesh,
                apps: start..apps.len(),
            });
        }
        let pooled = (0..6).map(|_| d.word(28)).collect();
        let leaked_passwords = (0..(tenants.len() * 2).max(4)).map(|_| d.word(18)).collect();
        Plan { seed, tenants, apps, pooled, leaked_passwords }
    }

    /// A serving workload for `from` to call: 75% in its tenant, else in another one.
    fn peer(&self, d: &mut Dice, from: usize) -> Option<usize> {
        let t = &self.tenants[self.apps[from].tenant];
        for _ in 0..10 {
            let i = if d.pct(75) || self.tenants.len() == 1 {
                d.range(t.apps.start, t.apps.end - 1)
            } else {
                d.below(self.apps.len())
            };
            if i != from && self.apps[i].serves() {
                return Some(i);
            }
        }
        None
    }

    /// The URL of a workload's Service as `from` would write it.
    fn url(&self, d: &mut Dice, from: usize, to: usize) -> String {
        let (a, t) = (&self.apps[to], &self.tenants[self.apps[to].tenant]);
        let scheme = if a.grpc { "grpc" } else { "http" };
        if self.apps[from].tenant == a.tenant && d.pct(50) {
            return match d.below(3) {
                0 => format!("{scheme}://{}:{}", a.name, a.port()),
                1 => format!("{}:{}", a.name, a.port()),
                _ => format!("{scheme}://{}:{}/api", a.name, a.port()),
            };
        }
        match d.below(2) {
            0 => format!("{scheme}://{}.{}.svc.cluster.local:{}", a.name, t.name, a.port()),
            _ => format!("{scheme}://{}.{}.svc:{}", a.name, t.name, a.port()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// YAML output
// ---------------------------------------------------------------------------------------------

/// A file being written and the number of objects of each kind in it.
#[derive(Default)]
struct Out {
    text: String,
    kinds: BTreeMap<&'static str, usize>,
}

impl Out {
    /// Starts an object: `---`, apiVersion, kind, `metadata.name` and namespace. The caller
    /// continues with more metadata at two spaces, then the body at column 0.
    fn object(&mut self, api: &str, kind: &'static str, name: &str, ns: Option<&str>) -> &mut String {
        *self.kinds.entry(kind).or_default() += 1;
        let t = &mut self.text;
        line!(t, "---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}");
        if let Some(ns) = ns {
            line!(t, "  namespace: {ns}");
        }
        t
    }
}

/// `key:` then `k: v` lines, at `indent`; values are quoted when YAML would read them otherwise.
fn block(t: &mut String, indent: usize, key: &str, entries: &[(&str, String)]) {
    let pad = " ".repeat(indent);
    line!(t, "{pad}{key}:");
    for (k, v) in entries {
        line!(t, "{pad}  {k}: {}", quote(v));
    }
}

fn quote(s: &str) -> String {
    let safe = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !matches!(s, "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n");
    if safe { s.to_owned() } else { format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")) }
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            s.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

fn run(args: &Args) -> io::Result<()> {
    let started = Instant::now();
    let plan = Plan::new(args.workloads, args.seed);
    fs::create_dir_all(args.out.join("edge"))?;
    let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut bytes, mut files) = (0usize, Vec::new());
    let mut write = |name: String, out: Out| -> io::Result<()> {
        fs::write(args.out.join(&name), &out.text)?;
        bytes += out.text.len();
        for (k, n) in out.kinds {
            *totals.entry(k).or_default() += n;
        }
        files.push(name);
        Ok(())
    };
    write("platform.yaml".to_owned(), platform())?;
    write("cluster.yaml".to_owned(), cluster(&plan))?;
    write("ingress.yaml".to_owned(), ingress_controllers())?;
    for t in 0..plan.tenants.len() {
        write(format!("{}.yaml", plan.tenants[t].name), TenantGen::new(&plan, t).file())?;
    }
    let confs = plan.apps.len().div_ceil(2000);
    for i in 0..confs {
        write(format!("edge/nginx-{:02}.conf", i + 1), nginx_conf(&plan, i))?;
    }
    let objects: usize = totals.values().sum();
    eprintln!(
        "gen_dense_estate: wrote {objects} objects in {} files ({:.1} MiB) to {} in {:.2} s \
         ({} workloads in {} tenant namespaces, seed {})",
        files.len(),
        bytes as f64 / 1048576.0,
        args.out.display(),
        started.elapsed().as_secs_f64(),
        plan.apps.len(),
        plan.tenants.len(),
        args.seed
    );
    let kinds: Vec<String> = totals.iter().map(|(k, n)| format!("{k} {n}")).collect();
    eprintln!("gen_dense_estate: by kind: {}", kinds.join(", "));
    warn_if_not_empty(&args.out, &files);
    Ok(())
}

fn warn_if_not_empty(dir: &Path, written: &[String]) {
    let mut others = 0;
    for sub in ["", "edge"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if sub.is_empty() { name.clone() } else { format!("{sub}/{name}") };
            if (name.ends_with(".yaml") || name.ends_with(".conf")) && !written.contains(&rel) {
                others += 1;
            }
        }
    }
    if others > 0 {
        eprintln!(
            "gen_dense_estate: warning: {} holds {others} other files; use an empty directory",
            dir.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Shared parts: the platform namespace, cluster RBAC, ingress controllers, nginx
// ---------------------------------------------------------------------------------------------

fn platform() -> Out {
    let mut o = Out::default();
    let ns = "platform";
    let t = o.object("v1", "Namespace", ns, None);
    block(
        t,
        2,
        "labels",
        &[("kubernetes.io/metadata.name", ns.into()), ("istio-injection", "enabled".into())],
    );
    let t = o.object("security.istio.io/v1", "PeerAuthentication", "default", Some(ns));
    line!(t, "spec:\n  mtls:\n    mode: PERMISSIVE");
    for (name, port) in PLATFORM {
        o.object("v1", "ServiceAccount", name, Some(ns));
        let t = o.object("apps/v1", "StatefulSet", name, Some(ns));
        line!(
            t,
            "spec:\n  serviceName: {name}\n  replicas: 3\n  selector:\n    matchLabels:\n      app: {name}"
        );
        line!(t, "  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:");
        line!(t, "      serviceAccountName: {name}\n      containers:\n      - name: {name}");
        line!(
            t,
            "        image: registry.example.net/platform/{name}:1.0\n        ports:\n        - containerPort: {port}"
        );
        let t = o.object("v1", "Service", name, Some(ns));
        line!(
            t,
            "spec:\n  selector:\n    app: {name}\n  ports:\n  - name: main\n    port: {port}\n    targetPort: {port}"
        );
    }
    o
}

fn cluster(plan: &Plan) -> Out {
    let mut o = Out::default();
    let role = |o: &mut Out, name: &str, rules: &str| {
        let t = o.object("rbac.authorization.k8s.io/v1", "ClusterRole", name, None);
        line!(t, "rules:\n{rules}");
    };
    role(
        &mut o,
        "platform-deployer",
        "- apiGroups: [\"\", apps]\n  resources: [pods, deployments, secrets]\n  verbs: [get, list, create, update]",
    );
    role(&mut o, "secret-sync", "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list, watch]");
    role(&mut o, "namespace-lister", "- apiGroups: [\"\"]\n  resources: [namespaces]\n  verbs: [get, list]");
    role(
        &mut o,
        "node-agent",
        "- apiGroups: [\"\"]\n  resources: [nodes, nodes/proxy, pods]\n  verbs: [get, list]",
    );
    let binding = |o: &mut Out, name: &str, role: &str, subjects: &str| {
        let t = o.object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", name, None);
        line!(
            t,
            "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {role}\nsubjects:\n{subjects}"
        );
    };
    let sa = |name: &str, ns: &str| format!("- kind: ServiceAccount\n  name: {name}\n  namespace: {ns}");
    binding(&mut o, "vault-secret-sync", "secret-sync", &sa("vault", "platform"));
    binding(&mut o, "otel-node-agent", "node-agent", &sa("otel-collector", "platform"));
    binding(
        &mut o,
        "all-serviceaccounts-list-namespaces",
        "namespace-lister",
        "- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:serviceaccounts",
    );
    // Three CI deployers in ten were given cluster-wide rights "for now".
    let mut d = Dice::new(plan.seed, 1);
    for t in &plan.tenants {
        if d.pct(30) {
            binding(&mut o, &format!("{}-deployer", t.name), "platform-deployer", &sa(DEPLOYER, &t.name));
        }
    }
    o
}

fn ingress_controllers() -> Out {
    let mut o = Out::default();
    let ns = "ingress-nginx";
    let t = o.object("v1", "Namespace", ns, None);
    block(t, 2, "labels", &[("kubernetes.io/metadata.name", ns.into())]);
    o.object("v1", "ServiceAccount", "ingress-nginx", Some(ns));
    let labels = "{app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}";
    let t = o.object("v1", "Service", "ingress-nginx-controller", Some(ns));
    block(
        t,
        2,
        "annotations",
        &[
            ("service.beta.kubernetes.io/aws-load-balancer-type", "nlb".into()),
            ("service.beta.kubernetes.io/aws-load-balancer-backend-protocol", "tcp".into()),
        ],
    );
    line!(
        t,
        "spec:\n  type: LoadBalancer\n  selector: {labels}\n  ports:\n  - {{name: https, port: 443, targetPort: 443}}"
    );
    let t = o.object("apps/v1", "Deployment", "ingress-nginx-controller", Some(ns));
    line!(
        t,
        "spec:\n  selector:\n    matchLabels: {labels}\n  template:\n    metadata:\n      labels: {labels}"
    );
    line!(
        t,
        "    spec:\n      serviceAccountName: ingress-nginx\n      containers:\n      - name: controller"
    );
    line!(
        t,
        "        image: registry.k8s.io/ingress-nginx/controller:v1.12.0\n        ports:\n        - {{containerPort: 443, name: https}}"
    );
    // The Istio ingress gateway that the tenants' Gateways select.
    let ns = "istio-system";
    let t = o.object("v1", "Namespace", ns, None);
    block(t, 2, "labels", &[("kubernetes.io/metadata.name", ns.into())]);
    let t = o.object("security.istio.io/v1", "PeerAuthentication", "default", Some(ns));
    line!(t, "spec:\n  mtls:\n    mode: STRICT");
    o.object("v1", "ServiceAccount", "istio-ingressgateway", Some(ns));
    let t = o.object("apps/v1", "Deployment", "istio-ingressgateway", Some(ns));
    line!(t, "spec:\n  selector:\n    matchLabels: {{istio: ingressgateway}}\n  template:\n    metadata:");
    line!(
        t,
        "      labels: {{istio: ingressgateway}}\n    spec:\n      serviceAccountName: istio-ingressgateway"
    );
    line!(
        t,
        "      containers:\n      - name: istio-proxy\n        image: docker.io/istio/proxyv2:1.24.0\n        ports:\n        - containerPort: 8443"
    );
    o
}

/// One nginx configuration file: ~25 servers, each proxying a public host to a tenant Service.
fn nginx_conf(plan: &Plan, index: usize) -> Out {
    let mut d = Dice::new(plan.seed, 2 + index as u64);
    let mut o = Out::default();
    *o.kinds.entry("nginx server").or_default() += 25;
    let t = &mut o.text;
    line!(t, "# Edge proxy {index}, generated.\nevents {{}}\nhttp {{");
    for s in 0..25 {
        let Some(app) = (0..10).map(|_| d.below(plan.apps.len())).find(|&i| plan.apps[i].serves()) else {
            continue;
        };
        let (a, tn) = (&plan.apps[app], &plan.tenants[plan.apps[app].tenant]);
        line!(t, "  server {{");
        let mtls = d.pct(40);
        if d.pct(85) {
            line!(
                t,
                "    listen 443 ssl;\n    ssl_certificate /etc/nginx/tls/edge.crt;\n    ssl_certificate_key /etc/nginx/tls/edge.key;"
            );
            if mtls {
                line!(t, "    ssl_client_certificate /etc/nginx/tls/clients-ca.crt;");
                line!(t, "    ssl_verify_client {};", if d.pct(70) { "on" } else { "optional" });
            }
        } else {
            line!(t, "    listen 80;");
        }
        line!(t, "    server_name {}-{s}.edge{index}.example.net;", a.name);
        line!(t, "    location / {{");
        let scheme = if d.pct(30) { "https" } else { "http" };
        line!(t, "      proxy_pass {scheme}://{}.{}.svc.cluster.local:{};", a.name, tn.name, a.port());
        if scheme == "https" && d.pct(50) {
            line!(
                t,
                "      proxy_ssl_verify on;\n      proxy_ssl_trusted_certificate /etc/nginx/tls/internal-ca.crt;"
            );
        }
        if mtls && d.pct(60) {
            line!(t, "      proxy_set_header X-Client-DN $ssl_client_s_dn;");
        } else if d.pct(20) {
            line!(t, "      proxy_set_header X-Forwarded-User $http_x_forwarded_user;");
        }
        line!(t, "    }}\n  }}");
    }
    line!(t, "}}");
    o
}

// ---------------------------------------------------------------------------------------------
// One tenant namespace
// ---------------------------------------------------------------------------------------------

struct TenantGen<'p> {
    plan: &'p Plan,
    t: &'p Tenant,
    d: Dice,
    out: Out,
    /// Serving workloads listed in the namespace's `service-directory` ConfigMap.
    directory: Vec<usize>,
    default_deny: bool,
}

impl<'p> TenantGen<'p> {
    fn new(plan: &'p Plan, index: usize) -> TenantGen<'p> {
        let mut d = Dice::new(plan.seed, 1000 + index as u64);
        let t = &plan.tenants[index];
        let servers: Vec<usize> = t.apps.clone().filter(|&i| plan.apps[i].serves()).collect();
        let mut directory = Vec::new();
        for _ in 0..servers.len().min(40) {
            let pick = servers[d.below(servers.len())];
            if !directory.contains(&pick) {
                directory.push(pick);
            }
        }
        let default_deny = d.pct(50);
        TenantGen { plan, t, d, out: Out::default(), directory, default_deny }
    }

    fn ns(&self) -> &'p str {
        &self.t.name
    }

    fn file(mut self) -> Out {
        self.namespace();
        self.accounts();
        self.shared_secrets();
        self.directory_config();
        self.namespace_rbac();
        self.network_policies();
        match self.t.mesh {
            Mesh::Istio => self.istio_namespace(),
            Mesh::Linkerd => {}
            Mesh::Plain => {}
        }
        for i in self.t.apps.clone() {
            self.app(i);
        }
        self.out
    }

    fn namespace(&mut self) {
        let ns = self.ns();
        let mut labels =
            vec![("kubernetes.io/metadata.name", ns.to_owned()), ("team", self.t.team.to_owned())];
        if self.t.mesh == Mesh::Istio {
            labels.push(("istio-injection", "enabled".into()));
        }
        let t = self.out.object("v1", "Namespace", ns, None);
        block(t, 2, "labels", &labels);
        if self.t.mesh == Mesh::Linkerd {
            block(t, 2, "annotations", &[("linkerd.io/inject", "enabled".into())]);
        }
    }

    fn accounts(&mut self) {
        let ns = self.ns();
        for (i, sa) in SHARED_SAS.iter().chain([&DEPLOYER]).enumerate() {
            let t = self.out.object("v1", "ServiceAccount", sa, Some(ns));
            block(t, 2, "labels", &[("team", self.t.team.to_owned())]);
            if i < 2 {
                // A token Secret from before bound tokens, never cleaned up.
                let token = format!(
                    "eyJhbGciOiJSUzI1NiJ9.{}.{}",
                    b64(format!("{ns}:{sa}").as_bytes()),
                    self.d.word(40)
                );
                let t = self.out.object("v1", "Secret", &format!("{sa}-token"), Some(ns));
                block(t, 2, "annotations", &[("kubernetes.io/service-account.name", (*sa).to_owned())]);
                line!(
                    t,
                    "type: kubernetes.io/service-account-token\ndata:\n  token: {}",
                    b64(token.as_bytes())
                );
            }
        }
    }

    fn shared_secrets(&mut self) {
        let ns = self.ns();
        for (index, (name, keys, sharing)) in SHARED_SECRETS.iter().enumerate() {
            let values: Vec<String> = keys
                .iter()
                .map(|k| match (*k, sharing) {
                    ("username" | "sasl-username" | "client-id" | "role-id", _) => {
                        format!("{}-{name}", self.t.team)
                    }
                    ("access-key-id", _) => format!("AKIA{}", self.d.word(16).to_ascii_uppercase()),
                    (_, Sharing::All) => self.plan.pooled[index % self.plan.pooled.len()].clone(),
                    (_, Sharing::Some) if self.d.pct(30) => self.plan.pooled[self.d.below(3)].clone(),
                    ("password", _) if *name == "db-main" => {
                        let pool = &self.plan.leaked_passwords;
                        pool[self.d.below(pool.len())].clone()
                    }
                    _ => self.d.word(32),
                })
                .collect();
            let t = self.out.object("v1", "Secret", name, Some(ns));
            line!(t, "type: Opaque\ndata:");
            for (k, v) in keys.iter().zip(values) {
                line!(t, "  {k}: {}", b64(v.as_bytes()));
            }
        }
    }

    fn directory_config(&mut self) {
        let entries: Vec<(String, String)> = self
            .directory
            .clone()
            .into_iter()
            .map(|i| (format!("{}_URL", self.plan.apps[i].env_prefix()), self.plan.url(&mut self.d, i, i)))
            .collect();
        let t = self.out.object("v1", "ConfigMap", "service-directory", Some(self.ns()));
        line!(t, "data:");
        for (k, v) in entries {
            line!(t, "  {k}: {}", quote(&v));
        }
    }

    fn namespace_rbac(&mut self) {
        let ns = self.ns();
        let role = |o: &mut Out, name: &str, rules: &str| {
            let t = o.object("rbac.authorization.k8s.io/v1", "Role", name, Some(ns));
            line!(t, "rules:\n{rules}");
        };
        role(
            &mut self.out,
            "secret-reader",
            "- apiGroups: [\"\"]\n  resources: [secrets, configmaps]\n  verbs: [get, list, watch]",
        );
        role(
            &mut self.out,
            "deployer",
            "- apiGroups: [\"\", apps, batch]\n  resources: [pods, deployments, statefulsets, jobs, secrets]\n  verbs: [get, list, create, update, patch]",
        );
        let sa = |name: &str| format!("- kind: ServiceAccount\n  name: {name}\n  namespace: {ns}");
        role_binding(
            &mut self.out,
            ns,
            "shared-secret-readers",
            "Role",
            "secret-reader",
            &[sa(SHARED_SAS[0]), sa(SHARED_SAS[3])],
        );
        role_binding(&mut self.out, ns, "ci-deployer", "Role", "deployer", &[sa(DEPLOYER)]);
        if self.d.pct(20) {
            let group = format!(
                "- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:serviceaccounts:{ns}"
            );
            role_binding(&mut self.out, ns, "all-accounts-edit", "ClusterRole", "edit", &[group]);
        }
    }

    fn network_policies(&mut self) {
        if !self.default_deny {
            return;
        }
        let ns = self.ns();
        let policy = |o: &mut Out, name: &str, spec: &str| {
            let t = o.object("networking.k8s.io/v1", "NetworkPolicy", name, Some(ns));
            line!(t, "spec:\n{spec}");
        };
        policy(&mut self.out, "default-deny", "  podSelector: {}\n  policyTypes: [Ingress]");
        policy(
            &mut self.out,
            "same-namespace",
            "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {}",
        );
        policy(
            &mut self.out,
            "from-ingress",
            "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: ingress-nginx",
        );
    }

    fn istio_namespace(&mut self) {
        let ns = self.ns();
        let mode = if self.d.pct(70) { "STRICT" } else { "PERMISSIVE" };
        let t = self.out.object("security.istio.io/v1", "PeerAuthentication", "default", Some(ns));
        line!(t, "spec:\n  mtls:\n    mode: {mode}");
        // A public Gateway for the namespace's few exposed Services.
        let t = self.out.object("networking.istio.io/v1", "Gateway", "public", Some(ns));
        line!(
            t,
            "spec:\n  selector:\n    istio: ingressgateway\n  servers:\n  - port: {{number: 443, name: https, protocol: HTTPS}}"
        );
        line!(
            t,
            "    hosts: [\"*.{ns}.example.net\"]\n    tls:\n      mode: {}\n      credentialName: {ns}-public",
            if self.d.pct(20) { "OPTIONAL_MUTUAL" } else { "SIMPLE" }
        );
    }

    // -----------------------------------------------------------------------------------------
    // One workload
    // -----------------------------------------------------------------------------------------

    fn app(&mut self, i: usize) {
        let plan = self.plan;
        let a = &plan.apps[i];
        let ns = self.ns();
        if a.sa == Sa::Own {
            let t = self.out.object("v1", "ServiceAccount", &a.name, Some(ns));
            block(t, 2, "labels", &[("app", a.name.clone())]);
            self.own_rbac(a);
        }
        if a.client_keys {
            let key = self.d.word(40);
            let t = self.out.object("v1", "Secret", &format!("{}-client-keys", a.name), Some(ns));
            line!(t, "type: Opaque\ndata:\n  api-key: {}", b64(key.as_bytes()));
        }
        let config = self.d.pct(50).then(|| self.app_config(i));
        self.controller(i, config.as_deref());
        if !a.serves() {
            return;
        }
        let t = self.out.object("v1", "Service", &a.name, Some(ns));
        line!(
            t,
            "spec:\n  selector:\n    app: {}\n  ports:\n  - name: {}\n    port: {}\n    targetPort: {}",
            a.name,
            if a.grpc { "grpc" } else { "http" },
            a.port(),
            a.port()
        );
        match self.t.mesh {
            Mesh::Istio => self.istio_app(i),
            Mesh::Linkerd if self.d.pct(50) => self.linkerd_app(i),
            _ => {}
        }
        if !a.grpc && self.d.pct(4) {
            self.ingress(i);
        }
        if a.kind == Kind::Deployment && self.d.pct(50) {
            let t = self.out.object("autoscaling/v2", "HorizontalPodAutoscaler", &a.name, Some(ns));
            line!(
                t,
                "spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {}\n  minReplicas: 2\n  maxReplicas: 12",
                a.name
            );
        }
    }

    fn own_rbac(&mut self, a: &App) {
        let ns = self.ns();
        let sa = format!("- kind: ServiceAccount\n  name: {}\n  namespace: {ns}", a.name);
        match self.d.below(100) {
            0..6 => {
                let t = self.out.object("rbac.authorization.k8s.io/v1", "Role", &a.name, Some(ns));
                line!(t, "rules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]");
                role_binding(&mut self.out, ns, &a.name, "Role", &a.name, &[sa]);
            }
            6..12 => role_binding(
                &mut self.out,
                ns,
                &format!("{}-secrets", a.name),
                "Role",
                "secret-reader",
                &[sa],
            ),
            12..20 => {
                role_binding(&mut self.out, ns, &format!("{}-view", a.name), "ClusterRole", "view", &[sa]);
            }
            _ => {}
        }
    }

    /// A ConfigMap with an `application.yaml` naming 2–5 peers; returns its name.
    fn app_config(&mut self, i: usize) -> String {
        let plan = self.plan;
        let a = &plan.apps[i];
        let name = format!("{}-config", a.name);
        let mut yaml = String::from("clients:\n");
        for _ in 0..self.d.range(2, 5) {
            if let Some(p) = plan.peer(&mut self.d, i) {
                let url = plan.url(&mut self.d, i, p);
                line!(
                    yaml,
                    "  {}:\n    url: {url}\n    timeout: {}ms",
                    plan.apps[p].name,
                    100 * self.d.range(1, 30)
                );
            }
        }
        let (pname, pport) = self.d.one(PLATFORM);
        line!(yaml, "platform:\n  endpoint: {pname}.platform.svc.cluster.local:{pport}");
        let t = self.out.object("v1", "ConfigMap", &name, Some(self.ns()));
        block(t, 2, "labels", &[("app", a.name.clone())]);
        line!(t, "data:\n  LOG_LEVEL: info\n  application.yaml: |");
        for l in yaml.lines() {
            line!(t, "    {l}");
        }
        name
    }

    fn controller(&mut self, i: usize, config: Option<&str>) {
        let plan = self.plan;
        let a = &plan.apps[i];
        let ns = self.ns();
        let pod = self.pod(i, config);
        let (api, kind) = match a.kind {
            Kind::Deployment => ("apps/v1", "Deployment"),
            Kind::StatefulSet => ("apps/v1", "StatefulSet"),
            Kind::CronJob => ("batch/v1", "CronJob"),
        };
        let t = self.out.object(api, kind, &a.name, Some(ns));
        block(t, 2, "labels", &[("app", a.name.clone()), ("team", self.t.team.to_owned())]);
        line!(t, "spec:");
        let indent = match a.kind {
            Kind::CronJob => {
                line!(
                    t,
                    "  schedule: \"{} * * * *\"\n  jobTemplate:\n    spec:\n      template:",
                    self.d.below(60)
                );
                8
            }
            kind => {
                if kind == Kind::StatefulSet {
                    line!(t, "  serviceName: {}", a.name);
                }
                line!(
                    t,
                    "  replicas: {}\n  selector:\n    matchLabels:\n      app: {}\n  template:",
                    self.d.range(1, 6),
                    a.name
                );
                4
            }
        };
        let pad = " ".repeat(indent);
        for l in pod.lines() {
            line!(t, "{pad}{l}");
        }
    }

    /// The pod template at column 0.
    fn pod(&mut self, i: usize, config: Option<&str>) -> String {
        let plan = self.plan;
        let a = &plan.apps[i];
        let d = &mut self.d;
        let mut p = String::new();
        line!(p, "metadata:\n  labels:\n    app: {}\n    version: v{}", a.name, d.range(1, 4));
        line!(p, "spec:");
        if a.sa != Sa::Default || d.pct(30) {
            line!(p, "  serviceAccountName: {}", a.account());
        }
        if d.pct(20) {
            line!(p, "  automountServiceAccountToken: false");
        }
        if a.kind == Kind::CronJob {
            line!(p, "  restartPolicy: OnFailure");
        }
        line!(
            p,
            "  containers:\n  - name: {}\n    image: registry.example.net/{}/{}:{}.{}",
            a.role,
            self.t.team,
            a.role,
            d.range(1, 9),
            d.below(30)
        );
        if a.serves() {
            line!(
                p,
                "    ports:\n    - name: {}\n      containerPort: {}",
                if a.grpc { "grpc" } else { "http" },
                a.port()
            );
        }
        self.env(&mut p, i);
        let d = &mut self.d;
        let shared_mount = d.pct(10).then(|| SHARED_SECRETS[d.below(SHARED_SECRETS.len())].0);
        let bound = d.pct(10);
        line!(p, "    volumeMounts:\n    - name: tmp\n      mountPath: /tmp");
        if config.is_some() {
            line!(p, "    - name: config\n      mountPath: /etc/app");
        }
        if shared_mount.is_some() {
            line!(p, "    - name: shared\n      mountPath: /var/run/secrets/shared");
        }
        if bound {
            line!(p, "    - name: bound\n      mountPath: /var/run/secrets/tokens");
        }
        line!(p, "  volumes:\n  - name: tmp\n    emptyDir: {{}}");
        if let Some(cm) = config {
            line!(p, "  - name: config\n    configMap:\n      name: {cm}");
        }
        if let Some(s) = shared_mount {
            line!(p, "  - name: shared\n    secret:\n      secretName: {s}");
        }
        if bound {
            let audience = self.d.one(&["vault", "kafka", "sts.amazonaws.com"]);
            let seconds = self.d.one(&[3600, 7200, 86400, 172800]);
            line!(
                p,
                "  - name: bound\n    projected:\n      sources:\n      - serviceAccountToken:\n          audience: {audience}\n          expirationSeconds: {seconds}\n          path: token"
            );
        }
        p
    }

    fn env(&mut self, p: &mut String, i: usize) {
        let plan = self.plan;
        let a = &plan.apps[i];
        let d = &mut self.d;
        let mut vars: Vec<(String, String)> = Vec::new(); // (name, rest of the entry)
        let literal = |v: &str| format!("      value: {}", quote(v));
        let secret_ref = |s: &str, k: &str| {
            format!("      valueFrom:\n        secretKeyRef:\n          name: {s}\n          key: {k}")
        };
        vars.push(("LOG_LEVEL".into(), literal(d.one(&["info", "warn", "debug"]))));
        vars.push(("REGION".into(), literal(d.one(&["eu-central-1", "eu-west-1", "us-east-2"]))));
        // Peers, each with its client key when it has one.
        let mut named = Vec::new();
        for _ in 0..d.range(2, 6) {
            let Some(peer) = plan.peer(d, i) else { continue };
            if named.contains(&peer) {
                continue;
            }
            named.push(peer);
            let pa = &plan.apps[peer];
            let prefix = pa.env_prefix();
            vars.push((format!("{prefix}_URL"), literal(&plan.url(d, i, peer))));
            if pa.client_keys && pa.tenant == a.tenant && d.pct(70) {
                vars.push((
                    format!("{prefix}_API_KEY"),
                    secret_ref(&format!("{}-client-keys", pa.name), "api-key"),
                ));
            }
        }
        // The platform: the main database nearly always, the rest now and then.
        for (k, (name, port)) in PLATFORM.iter().enumerate() {
            if d.pct(if k == 0 { 70 } else { 30 }) {
                let var = name.to_ascii_uppercase().replace('-', "_");
                if k == 0 && d.pct(4) {
                    // The password in clear, from a pool some Secrets also hold.
                    let pw = &plan.leaked_passwords[d.below(plan.leaked_passwords.len())];
                    vars.push((
                        "DATABASE_URL".into(),
                        literal(&format!("postgres://{}:{pw}@{name}.platform:{port}/{}", a.role, a.role)),
                    ));
                } else {
                    vars.push((
                        format!("{var}_ADDR"),
                        literal(&format!("{name}.platform.svc.cluster.local:{port}")),
                    ));
                }
                if k == 0 {
                    vars.push(("POSTGRES_MAIN_PASSWORD".into(), secret_ref("db-main", "password")));
                }
            }
        }
        if d.pct(35) {
            vars.push(("KAFKA_SASL_PASSWORD".into(), secret_ref("kafka-client", "sasl-password")));
        }
        if d.pct(20) {
            vars.push(("REDIS_PASSWORD".into(), secret_ref("redis-cache", "password")));
        }
        if d.pct(2) {
            let token = &plan.pooled[3 + d.below(3)];
            vars.push(("PARTNER_API_TOKEN".into(), literal(token)));
        }
        if a.client_keys {
            vars.push(("INBOUND_API_KEY".into(), secret_ref(&format!("{}-client-keys", a.name), "api-key")));
        }
        line!(p, "    env:");
        for (name, rest) in vars {
            line!(p, "    - name: {name}\n{rest}");
        }
        let dir = d.pct(15);
        let mut shared: Vec<&str> = Vec::new();
        for _ in 0..d.range(0, 2) {
            if d.pct(40) {
                shared.push(SHARED_SECRETS[d.below(SHARED_SECRETS.len())].0);
            }
        }
        shared.dedup();
        if dir || !shared.is_empty() {
            line!(p, "    envFrom:");
            if dir {
                line!(p, "    - configMapRef:\n        name: service-directory");
            }
            for s in shared {
                line!(p, "    - secretRef:\n        name: {s}");
            }
        }
    }

    fn istio_app(&mut self, i: usize) {
        let plan = self.plan;
        let a = &plan.apps[i];
        let ns = self.ns();
        if self.d.pct(50) {
            let t = self.out.object("security.istio.io/v1", "AuthorizationPolicy", &a.name, Some(ns));
            line!(
                t,
                "spec:\n  selector:\n    matchLabels:\n      app: {}\n  action: ALLOW\n  rules:",
                a.name
            );
            if self.d.pct(5) {
                line!(t, "  - {{}}");
            } else {
                // Mostly the callers' own accounts; now and then a shared one, which admits every
                // workload that runs as it.
                let principals: Vec<String> = (0..self.d.range(1, 3))
                    .map(|_| {
                        let caller = (0..5)
                            .map(|_| self.d.range(self.t.apps.start, self.t.apps.end - 1))
                            .find(|&c| c != i && plan.apps[c].sa == Sa::Own);
                        let sa = match caller {
                            Some(c) if self.d.pct(80) => plan.apps[c].name.as_str(),
                            _ => SHARED_SAS[self.d.below(SHARED_SAS.len())],
                        };
                        format!("\"cluster.local/ns/{ns}/sa/{sa}\"")
                    })
                    .collect();
                line!(t, "  - from:\n    - source:\n        principals: [{}]", principals.join(", "));
            }
        }
        if self.d.pct(30) {
            let mode = if self.d.pct(10) { "DISABLE" } else { "ISTIO_MUTUAL" };
            let t = self.out.object("networking.istio.io/v1", "DestinationRule", &a.name, Some(ns));
            line!(
                t,
                "spec:\n  host: {}.{ns}.svc.cluster.local\n  trafficPolicy:\n    tls:\n      mode: {mode}",
                a.name
            );
        }
        if self.d.pct(3) {
            let t = self.out.object(
                "networking.istio.io/v1",
                "VirtualService",
                &format!("{}-public", a.name),
                Some(ns),
            );
            line!(
                t,
                "spec:\n  hosts: [\"{}.{ns}.example.net\"]\n  gateways: [public]\n  http:\n  - route:\n    - destination:",
                a.name
            );
            line!(
                t,
                "        host: {}.{ns}.svc.cluster.local\n        port: {{number: {}}}",
                a.name,
                a.port()
            );
        }
    }

    fn linkerd_app(&mut self, i: usize) {
        let a = &self.plan.apps[i];
        let ns = self.ns();
        let port = if a.grpc { "grpc" } else { "http" };
        let t = self.out.object("policy.linkerd.io/v1beta3", "Server", &a.name, Some(ns));
        line!(t, "spec:\n  podSelector:\n    matchLabels:\n      app: {}\n  port: {port}", a.name);
        let t = self.out.object(
            "policy.linkerd.io/v1alpha1",
            "MeshTLSAuthentication",
            &format!("{}-callers", a.name),
            Some(ns),
        );
        line!(t, "spec:\n  identityRefs:");
        for _ in 0..self.d.range(1, 2) {
            line!(t, "  - kind: ServiceAccount\n    name: {}", SHARED_SAS[self.d.below(SHARED_SAS.len())]);
        }
        let t = self.out.object("policy.linkerd.io/v1alpha1", "AuthorizationPolicy", &a.name, Some(ns));
        line!(t, "spec:\n  targetRef:\n    group: policy.linkerd.io\n    kind: Server\n    name: {}", a.name);
        line!(
            t,
            "  requiredAuthenticationRefs:\n  - group: policy.linkerd.io\n    kind: MeshTLSAuthentication\n    name: {}-callers",
            a.name
        );
    }

    fn ingress(&mut self, i: usize) {
        let a = &self.plan.apps[i];
        let ns = self.ns();
        let host = format!("{}.{ns}.example.net", a.name);
        let mut annotations = Vec::new();
        match self.d.below(3) {
            0 => {
                annotations.push(("nginx.ingress.kubernetes.io/auth-tls-secret", format!("{ns}/clients-ca")));
                annotations.push(("nginx.ingress.kubernetes.io/auth-tls-verify-client", "on".into()));
                annotations.push((
                    "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream",
                    "true".into(),
                ));
            }
            1 => annotations.push(("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS".into())),
            _ => {}
        }
        let t = self.out.object("networking.k8s.io/v1", "Ingress", &a.name, Some(ns));
        if !annotations.is_empty() {
            block(t, 2, "annotations", &annotations);
        }
        line!(
            t,
            "spec:\n  ingressClassName: nginx\n  tls:\n  - hosts: [{host}]\n    secretName: {}-tls",
            a.name
        );
        line!(
            t,
            "  rules:\n  - host: {host}\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:"
        );
        line!(
            t,
            "          service:\n            name: {}\n            port: {{number: {}}}",
            a.name,
            a.port()
        );
    }
}

fn role_binding(o: &mut Out, ns: &str, name: &str, kind: &str, role: &str, subjects: &[String]) {
    let t = o.object("rbac.authorization.k8s.io/v1", "RoleBinding", name, Some(ns));
    line!(t, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {kind}\n  name: {role}\nsubjects:");
    for s in subjects {
        line!(t, "{s}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_files() {
        let a = TenantGen::new(&Plan::new(900, 3), 1).file().text;
        let b = TenantGen::new(&Plan::new(900, 3), 1).file().text;
        assert_eq!(a, b);
        assert_ne!(a, TenantGen::new(&Plan::new(900, 4), 1).file().text);
        assert_eq!(nginx_conf(&Plan::new(900, 3), 0).text, nginx_conf(&Plan::new(900, 3), 0).text);
    }

    #[test]
    fn base64_is_standard() {
        assert_eq!(b64(b"ab"), "YWI=");
        assert_eq!(b64(b"abc"), "YWJj");
        assert_eq!(b64(b"a"), "YQ==");
    }

    #[test]
    fn tenants_are_large_and_cover_every_workload() {
        let plan = Plan::new(10_000, 1);
        assert_eq!(plan.apps.len(), 10_000);
        assert!(plan.tenants.iter().all(|t| t.apps.len() >= 300), "a tenant is small");
        assert_eq!(plan.tenants.last().unwrap().apps.end, 10_000);
    }
}
