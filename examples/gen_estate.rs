//! Generates a synthetic Kubernetes + Istio + Linkerd estate for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_estate -- --workloads 10000 --out target/estate [--seed 1]
//! ```
//!
//! The estate is written as multi-document YAML: one file per namespace (`ns-0001.yaml`, …, each
//! starting with its Namespace object), `istio-system.yaml` (the mesh-wide PeerAuthentication),
//! `platform-system.yaml` (an operator bound to cluster-admin) and `cluster.yaml` (ClusterRoles
//! and ClusterRoleBindings). The same `--workloads` and `--seed` always give byte-identical files.
//!
//! Shape, per workload unless noted (see docs/performance.md), about 10 objects per workload:
//! - namespaces of 40–60 workloads; ~50% Istio-injected, ~25% Linkerd-injected, ~25% plain;
//! - one controller: ~80% Deployment, 10% StatefulSet, 5% DaemonSet, 5% CronJob, with 1–2
//!   containers, 5–15 env vars (literals, URLs of other generated Services, mostly in the same
//!   namespace), secretKeyRef env for ~30%, occasional envFrom, Secret/ConfigMap volumes and ~5%
//!   projected serviceAccountToken volumes;
//! - a Service (not for CronJobs); a ServiceAccount of its own for ~80% (the rest use `default`
//!   or a per-namespace shared one);
//! - ~1.5 Secrets (Opaque, a few TLS, ~1% legacy service-account-token, a few values shared on
//!   purpose), ~0.5 ConfigMaps, ~0.3 Roles and ~0.4 RoleBindings;
//! - per namespace: default-deny NetworkPolicy in ~40% plus allow rules; Istio namespaces get a
//!   PeerAuthentication (mostly STRICT), ~1 AuthorizationPolicy per 3 workloads and
//!   DestinationRules; Linkerd namespaces a few Server + MeshTLSAuthentication +
//!   AuthorizationPolicy triples;
//! - kinds ztpath does not model but real estates hold, so that the reader still has to parse
//!   them (~3.4 per workload): HorizontalPodAutoscalers, PodDisruptionBudgets, ServiceMonitors,
//!   ExternalSecrets, a few Ingresses with cert-manager Certificates, Istio VirtualServices,
//!   Linkerd ServiceProfiles, a ResourceQuota and a LimitRange per namespace.
//!
//! Some zero-trust gaps are planted on purpose (PERMISSIVE mTLS, `rules: [{}]`, credentials in
//! clear in env, reused secret values, legacy token Secrets, wildcard Roles, cluster-wide Secret
//! readers), at rates like those of a real estate.
//!
//! Only std is used, so that the example compiles quickly.
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
use std::path::{Path, PathBuf};
use std::time::Instant;
use std::{env, fs, process};

#[path = "support/estate_plan.rs"]
mod estate_plan;
use estate_plan::*;

const USAGE: &str = "usage: gen_estate --workloads N --out DIR [--seed S]";

/// Writes one line into a `String` (formatting into a `String` cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).expect("writing to a String cannot fail")
    };
}

fn main() {
    let args = match Args::parse(env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("gen_estate: {msg}\n{USAGE}");
            process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("gen_estate: {}: {e}", args.out.display());
        process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

struct Args {
    workloads: usize,
    out: PathBuf,
    seed: u64,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let (mut workloads, mut out, mut seed) = (None, None, 1);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--workloads" => {
                    let v = value()?;
                    workloads = Some(v.parse().map_err(|_| format!("--workloads: not a number: {v}"))?);
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
// Output
// ---------------------------------------------------------------------------------------------

/// One output file being built: its YAML text and how many objects of each kind it holds.
#[derive(Default)]
struct YamlFile {
    text: String,
    kinds: BTreeMap<&'static str, usize>,
}

impl YamlFile {
    /// Starts a document with its separator, `apiVersion`, `kind` and `metadata.name` (and
    /// `metadata.namespace`). The caller goes on with more `metadata` fields at two spaces of
    /// indentation, then `spec` or `data`.
    fn begin(
        &mut self,
        api_version: &str,
        kind: &'static str,
        name: &str,
        namespace: Option<&str>,
    ) -> &mut String {
        *self.kinds.entry(kind).or_default() += 1;
        let out = &mut self.text;
        w!(out, "---");
        w!(out, "apiVersion: {api_version}");
        w!(out, "kind: {kind}");
        w!(out, "metadata:");
        w!(out, "  name: {name}");
        if let Some(ns) = namespace {
            w!(out, "  namespace: {ns}");
        }
        out
    }
}

/// Writes `key:` and a map of plain `key: value` lines below it, at `indent` spaces.
fn map(out: &mut String, indent: usize, key: &str, entries: &[(&str, &str)]) {
    let pad = " ".repeat(indent);
    w!(out, "{pad}{key}:");
    for (k, v) in entries {
        w!(out, "{pad}  {k}: {}", scalar(v));
    }
}

/// A string as a YAML scalar: plain when that is unambiguous, double-quoted otherwise (numbers,
/// booleans, empty strings, anything with spaces or punctuation YAML cares about).
fn scalar(s: &str) -> String {
    let plain = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain { s.to_owned() } else { format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")) }
}

/// Appends `text` with every line indented by `indent` spaces.
fn push_indented(out: &mut String, text: &str, indent: usize) {
    let pad = " ".repeat(indent);
    for line in text.lines() {
        w!(out, "{pad}{line}");
    }
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The in-cluster URL of a Service, in one of the forms real configuration uses.
fn service_url(rng: &mut Rng, from: &WorkloadPlan, to: &WorkloadPlan, plan: &Plan) -> String {
    let ns = &plan.namespaces[to.ns].name;
    let (name, port) = (&to.name, to.port());
    let scheme = if to.grpc { "grpc" } else { "http" };
    if to.ns != from.ns {
        return match rng.below(3) {
            0 => format!("{scheme}://{name}.{ns}.svc.cluster.local:{port}"),
            1 => format!("{name}.{ns}.svc:{port}"),
            _ => format!("{scheme}://{name}.{ns}:{port}"),
        };
    }
    match rng.below(4) {
        0 => format!("{scheme}://{name}.{ns}.svc.cluster.local:{port}"),
        1 => format!("{name}:{port}"),
        2 => format!("{scheme}://{name}:{port}/v1"),
        _ => format!("{scheme}://{name}:{port}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Main loop
// ---------------------------------------------------------------------------------------------

fn run(args: &Args) -> io::Result<()> {
    let started = Instant::now();
    let plan = Plan::new(args.workloads, args.seed);
    fs::create_dir_all(&args.out)?;

    let mut written = Vec::new();
    let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut bytes = 0;
    let mut emit = |name: String, file: YamlFile| -> io::Result<()> {
        fs::write(args.out.join(&name), &file.text)?;
        bytes += file.text.len();
        for (kind, n) in file.kinds {
            *totals.entry(kind).or_default() += n;
        }
        written.push(name);
        Ok(())
    };
    emit("cluster.yaml".to_owned(), cluster_file(&plan))?;
    emit("istio-system.yaml".to_owned(), istio_system_file())?;
    emit("platform-system.yaml".to_owned(), platform_file())?;
    for index in 0..plan.namespaces.len() {
        emit(format!("{}.yaml", plan.namespaces[index].name), namespace_file(&plan, index))?;
    }

    let objects: usize = totals.values().sum();
    eprintln!(
        "gen_estate: wrote {objects} objects in {} files ({:.1} MiB) to {} in {:.2} s \
         ({} workloads + 1 operator, {} namespaces, seed {})",
        written.len(),
        bytes as f64 / (1024.0 * 1024.0),
        args.out.display(),
        started.elapsed().as_secs_f64(),
        args.workloads,
        plan.namespaces.len(),
        args.seed,
    );
    let per_kind: Vec<String> = totals.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    eprintln!("gen_estate: by kind: {}", per_kind.join(", "));
    warn_about_strays(&args.out, &written);
    Ok(())
}

/// Earlier runs with more workloads leave files behind that a scan of the directory would read.
fn warn_about_strays(dir: &Path, written: &[String]) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let strays = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(".yaml") && !written.contains(&name)
        })
        .count();
    if strays > 0 {
        eprintln!(
            "gen_estate: warning: {} also holds {strays} other .yaml files; use an empty directory",
            dir.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Cluster-scoped objects and the system namespaces
// ---------------------------------------------------------------------------------------------

fn cluster_file(plan: &Plan) -> YamlFile {
    let mut f = YamlFile::default();
    let reader = |f: &mut YamlFile, name: &str, resources: &str, verbs: &str| {
        let o = f.begin("rbac.authorization.k8s.io/v1", "ClusterRole", name, None);
        w!(o, "rules:");
        w!(o, "- apiGroups: [\"\"]");
        w!(o, "  resources: [{resources}]");
        w!(o, "  verbs: [{verbs}]");
    };
    reader(&mut f, "bench-pod-reader", "pods, pods/log", "get, list, watch");
    reader(&mut f, "bench-secret-reader", "secrets", "get, list");
    reader(&mut f, "bench-namespace-viewer", "namespaces", "get, list, watch");
    reader(&mut f, "bench-node-reader", "nodes, nodes/metrics", "get, list, watch");

    // An aggregated ClusterRole: its rules are the union of the ClusterRoles labelled for it.
    let o = f.begin("rbac.authorization.k8s.io/v1", "ClusterRole", "bench-monitoring", None);
    w!(o, "aggregationRule:");
    w!(o, "  clusterRoleSelectors:");
    w!(o, "  - matchLabels:");
    w!(o, "      rbac.example.com/aggregate-to-monitoring: \"true\"");
    w!(o, "rules: []");
    for (name, resources) in [
        ("bench-monitoring-endpoints", "services, endpoints, pods"),
        ("bench-monitoring-config", "configmaps"),
    ] {
        let o = f.begin("rbac.authorization.k8s.io/v1", "ClusterRole", name, None);
        map(o, 2, "labels", &[("rbac.example.com/aggregate-to-monitoring", "true")]);
        w!(o, "rules:");
        w!(o, "- apiGroups: [\"\"]");
        w!(o, "  resources: [{resources}]");
        w!(o, "  verbs: [get, list, watch]");
    }

    let binding = |f: &mut YamlFile, name: &str, role: &str, subject: &str| {
        let o = f.begin("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", name, None);
        w!(o, "roleRef:");
        w!(o, "  apiGroup: rbac.authorization.k8s.io");
        w!(o, "  kind: ClusterRole");
        w!(o, "  name: {role}");
        w!(o, "subjects:");
        o.push_str(subject);
    };
    let sa = |name: &str, ns: &str| format!("- kind: ServiceAccount\n  name: {name}\n  namespace: {ns}\n");
    binding(&mut f, "estate-operator-admin", "cluster-admin", &sa("estate-operator", "platform-system"));
    binding(&mut f, "prometheus-monitoring", "bench-monitoring", &sa("prometheus", "monitoring"));
    binding(&mut f, "prometheus-nodes", "bench-node-reader", &sa("prometheus", "monitoring"));
    binding(
        &mut f,
        "sre-secret-reader",
        "bench-secret-reader",
        "- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: sre\n",
    );
    // A workload ServiceAccount that can read every Secret in the cluster.
    let w = plan.workloads.iter().find(|w| w.account == Account::Own).unwrap_or(&plan.workloads[0]);
    let ns = &plan.namespaces[w.ns].name;
    binding(&mut f, &format!("{}-secrets", w.name), "bench-secret-reader", &sa(w.service_account(), ns));
    binding(
        &mut f,
        "namespace-viewers",
        "bench-namespace-viewer",
        "- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:authenticated\n",
    );
    f
}

fn istio_system_file() -> YamlFile {
    let mut f = YamlFile::default();
    let o = f.begin("v1", "Namespace", "istio-system", None);
    map(o, 2, "labels", &[("kubernetes.io/metadata.name", "istio-system")]);
    // Mesh-wide policy: a PeerAuthentication in the root namespace without a selector.
    let o = f.begin("security.istio.io/v1", "PeerAuthentication", "default", Some("istio-system"));
    w!(o, "spec:");
    w!(o, "  mtls:");
    w!(o, "    mode: STRICT");
    f
}

fn platform_file() -> YamlFile {
    let mut f = YamlFile::default();
    let ns = "platform-system";
    let o = f.begin("v1", "Namespace", ns, None);
    map(o, 2, "labels", &[("kubernetes.io/metadata.name", ns)]);
    f.begin("v1", "ServiceAccount", "estate-operator", Some(ns));
    let o = f.begin("apps/v1", "Deployment", "estate-operator", Some(ns));
    map(o, 2, "labels", &[("app", "estate-operator")]);
    w!(o, "spec:");
    w!(o, "  replicas: 1");
    w!(o, "  selector:");
    w!(o, "    matchLabels:");
    w!(o, "      app: estate-operator");
    w!(o, "  template:");
    w!(o, "    metadata:");
    w!(o, "      labels:");
    w!(o, "        app: estate-operator");
    w!(o, "    spec:");
    w!(o, "      serviceAccountName: estate-operator");
    w!(o, "      containers:");
    w!(o, "      - name: manager");
    w!(o, "        image: registry.example.com/platform/estate-operator:2.3.1");
    w!(o, "        args: [--leader-elect, \"--metrics-bind-address=:8080\"]");
    f
}

// ---------------------------------------------------------------------------------------------
// One namespace
// ---------------------------------------------------------------------------------------------

/// Generates a namespace's file; all choices come from a generator forked for this namespace.
struct NamespaceGen<'a> {
    plan: &'a Plan,
    ns: &'a NamespacePlan,
    rng: Rng,
    /// The namespace has a default-deny NetworkPolicy, so its servers get allow rules.
    default_deny: bool,
    /// The namespace's Secrets are synced by external-secrets (each has an ExternalSecret).
    external_secrets: bool,
}

/// What a workload's pod template can reference: the Secrets and ConfigMap written for it.
#[derive(Default)]
struct Refs {
    /// Opaque Secrets with their keys.
    opaque: Vec<(String, Vec<&'static str>)>,
    tls: Option<String>,
    config: Option<String>,
}

/// The volumes of a pod template (besides an emptyDir for /tmp), mounted by its main container.
struct Mounts {
    config: Option<String>,
    secret: Option<String>,
    tls: Option<String>,
    /// A projected, audience-bound, expiring ServiceAccount token.
    bound_token: bool,
}

fn namespace_file(plan: &Plan, index: usize) -> YamlFile {
    let ns = &plan.namespaces[index];
    let mut rng = Rng::fork(plan.seed, index);
    let (default_deny, external_secrets) = (rng.chance(0.4), rng.chance(0.6));
    let mut g = NamespaceGen { plan, ns, rng, default_deny, external_secrets };
    let mut f = YamlFile::default();
    g.namespace(&mut f);
    g.registry_secret(&mut f);
    g.quota(&mut f);
    if plan.workloads[ns.workloads.clone()].iter().any(|w| w.account == Account::Shared) {
        let o = f.begin("v1", "ServiceAccount", SHARED_SA, Some(&ns.name));
        map(o, 2, "labels", &[("team", ns.team)]);
    }
    g.network_policies(&mut f);
    if ns.mesh == Mesh::Istio {
        g.istio_namespace_policies(&mut f);
    }
    for w in &plan.workloads[ns.workloads.clone()] {
        g.workload(&mut f, w);
    }
    if ns.mesh == Mesh::Linkerd {
        g.linkerd_policies(&mut f);
    }
    f
}

impl NamespaceGen<'_> {
    fn namespace(&mut self, f: &mut YamlFile) {
        let ns = self.ns;
        let env = self.rng.pick(&["prod", "prod", "prod", "staging", "staging", "dev"]);
        let mut labels =
            vec![("kubernetes.io/metadata.name", ns.name.as_str()), ("team", ns.team), ("env", env)];
        if self.rng.chance(0.4) {
            labels.push(("pod-security.kubernetes.io/enforce", "baseline"));
        }
        match ns.mesh {
            Mesh::Istio if self.rng.chance(0.1) => labels.push(("istio.io/rev", "stable")),
            Mesh::Istio => labels.push(("istio-injection", "enabled")),
            _ => {}
        }
        let o = f.begin("v1", "Namespace", &ns.name, None);
        map(o, 2, "labels", &labels);
        if ns.mesh == Mesh::Linkerd {
            let mut annotations = vec![("linkerd.io/inject", "enabled")];
            if self.rng.chance(0.3) {
                annotations.push(("config.linkerd.io/default-inbound-policy", "all-authenticated"));
            }
            map(o, 2, "annotations", &annotations);
        }
    }

    /// The ResourceQuota and LimitRange every team namespace gets.
    fn quota(&mut self, f: &mut YamlFile) {
        let ns = &self.ns.name;
        let o = f.begin("v1", "ResourceQuota", "compute", Some(ns));
        w!(o, "spec:");
        w!(o, "  hard:");
        w!(o, "    requests.cpu: \"{}\"", 10 * self.rng.between(2, 10));
        w!(o, "    requests.memory: {}Gi", 32 * self.rng.between(1, 8));
        w!(o, "    pods: \"{}\"", 100 * self.rng.between(1, 5));
        let o = f.begin("v1", "LimitRange", "defaults", Some(ns));
        w!(o, "spec:");
        w!(o, "  limits:");
        w!(o, "  - type: Container");
        w!(o, "    defaultRequest:");
        w!(o, "      cpu: 100m");
        w!(o, "      memory: 128Mi");
        w!(o, "    default:");
        w!(o, "      memory: 512Mi");
    }

    /// The image pull Secret that about half of the pods list in `imagePullSecrets`.
    fn registry_secret(&mut self, f: &mut YamlFile) {
        let auth = base64(format!("robot${}:{}", self.ns.team, self.rng.token(32)).as_bytes());
        let config = format!(r#"{{"auths":{{"registry.example.com":{{"auth":"{auth}"}}}}}}"#);
        let o = f.begin("v1", "Secret", "regcred", Some(&self.ns.name));
        w!(o, "type: kubernetes.io/dockerconfigjson");
        w!(o, "data:");
        w!(o, "  .dockerconfigjson: {}", base64(config.as_bytes()));
    }

    fn network_policies(&mut self, f: &mut YamlFile) {
        let ns = &self.ns.name;
        let policy = |f: &mut YamlFile, name: &str, body: &str| {
            let o = f.begin("networking.k8s.io/v1", "NetworkPolicy", name, Some(ns));
            o.push_str(body);
        };
        if !self.default_deny {
            // Without a default deny, allow rules change nothing; some teams write them anyway.
            if self.rng.chance(0.2) {
                policy(f, "allow-from-ingress-nginx", ALLOW_FROM_INGRESS);
            }
            return;
        }
        let deny_egress = self.rng.chance(0.5);
        let types = if deny_egress { "[Ingress, Egress]" } else { "[Ingress]" };
        policy(f, "default-deny", &format!("spec:\n  podSelector: {{}}\n  policyTypes: {types}\n"));
        if self.rng.chance(0.5) {
            policy(f, "allow-same-namespace", ALLOW_SAME_NAMESPACE);
        }
        policy(f, "allow-from-ingress-nginx", ALLOW_FROM_INGRESS);
        if self.rng.chance(0.6) {
            policy(f, "allow-prometheus", ALLOW_PROMETHEUS);
        }
        if deny_egress {
            policy(f, "allow-dns", ALLOW_DNS);
        }
    }

    /// An allow rule for one server in a default-deny namespace: its callers' pods may reach its
    /// port.
    fn app_network_policy(&mut self, f: &mut YamlFile, server: &WorkloadPlan) {
        let o = f.begin(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            &format!("allow-to-{}", server.name),
            Some(&self.ns.name),
        );
        w!(o, "spec:");
        w!(o, "  podSelector:");
        w!(o, "    matchLabels:");
        w!(o, "      app: {}", server.name);
        w!(o, "  policyTypes: [Ingress]");
        w!(o, "  ingress:");
        w!(o, "  - from:");
        for _ in 0..self.rng.between(1, 3) {
            let caller = self.plan.pick_target(&mut self.rng, server);
            w!(o, "    - podSelector:");
            w!(o, "        matchLabels:");
            w!(o, "          app: {}", caller.name);
            if caller.ns != server.ns {
                w!(o, "      namespaceSelector:");
                w!(o, "        matchLabels:");
                w!(o, "          kubernetes.io/metadata.name: {}", self.plan.namespaces[caller.ns].name);
            }
        }
        w!(o, "    ports:");
        w!(o, "    - protocol: TCP");
        w!(o, "      port: {}", server.port());
    }

    fn istio_namespace_policies(&mut self, f: &mut YamlFile) {
        let mode = if self.rng.chance(0.8) { "STRICT" } else { "PERMISSIVE" };
        let o = f.begin("security.istio.io/v1", "PeerAuthentication", "default", Some(&self.ns.name));
        w!(o, "spec:");
        w!(o, "  mtls:");
        w!(o, "    mode: {mode}");
        if self.rng.chance(0.2) {
            // A namespace-wide deny-all AuthorizationPolicy (an empty spec denies everything).
            let o = f.begin("security.istio.io/v1", "AuthorizationPolicy", "deny-all", Some(&self.ns.name));
            w!(o, "spec: {{}}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // One workload and everything that belongs to it
    // -----------------------------------------------------------------------------------------

    fn workload(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let refs = self.secrets_and_config(f, w);
        if w.account == Account::Own {
            self.service_account(f, w);
        }
        self.controller(f, w, &refs);
        if w.has_service() {
            self.service(f, w);
            if self.default_deny && self.rng.chance(0.5) {
                self.app_network_policy(f, w);
            }
        }
        self.rbac(f, w);
        self.extras(f, w, &refs);
        if self.ns.mesh == Mesh::Istio && w.has_service() {
            self.istio_traffic(f, w);
            if self.rng.chance(1.0 / 3.0) {
                self.istio_authorization(f, w);
            }
        }
        if self.ns.mesh == Mesh::Linkerd && w.has_service() && self.rng.chance(0.6) {
            self.service_profile(f, w);
        }
    }

    fn secrets_and_config(&mut self, f: &mut YamlFile, w: &WorkloadPlan) -> Refs {
        const OPAQUE: &[(&str, &[&str])] = &[
            ("db", &["password", "username", "host", "database"]),
            ("api", &["api-key", "api-secret"]),
            ("oauth", &["client-secret", "client-id"]),
            ("redis", &["password"]),
            ("signing", &["jwt-signing-key", "previous-key"]),
            ("smtp", &["password", "username"]),
            ("s3", &["secret-access-key", "access-key-id"]),
        ];
        let mut refs = Refs::default();
        let count = match self.rng.below(100) {
            0..18 => 0,
            18..48 => 1,
            48..90 => 2,
            _ => 3,
        };
        let first = self.rng.below(OPAQUE.len());
        for i in 0..count {
            if refs.tls.is_none() && self.rng.chance(0.07) {
                let name = format!("{}-tls", w.name);
                self.tls_secret(f, &name);
                refs.tls = Some(name);
                continue;
            }
            let (suffix, all_keys) = OPAQUE[(first + i) % OPAQUE.len()];
            let keys = all_keys[..self.rng.between(1, all_keys.len())].to_vec();
            let name = format!("{}-{suffix}", w.name);
            self.opaque_secret(f, &name, &keys, w);
            refs.opaque.push((name, keys));
        }
        if w.account == Account::Own && self.rng.chance(0.01) {
            self.legacy_token_secret(f, w);
        }
        if self.rng.chance(0.5) {
            refs.config = Some(self.config_map(f, w));
        }
        refs
    }

    fn opaque_secret(&mut self, f: &mut YamlFile, name: &str, keys: &[&str], w: &WorkloadPlan) {
        let values: Vec<String> = keys
            .iter()
            .map(|key| match *key {
                // Identifiers are per workload, so only the deliberately shared values repeat.
                "username" => format!("svc_{}", name.replace('-', "_")),
                "client-id" => format!("{}-client", w.name),
                "access-key-id" => format!("AKIA{}", self.rng.token(16).to_ascii_uppercase()),
                "host" => format!("{}.pg.{}.db.internal", w.name, self.ns.team),
                "database" => w.name.replace('-', "_"),
                _ if self.rng.chance(0.01) => {
                    self.plan.shared_values[self.rng.below(self.plan.shared_values.len())].clone()
                }
                "api-key" => format!("sk_live_{}", self.rng.token(32)),
                _ => {
                    let len = self.rng.between(16, 40);
                    self.rng.token(len)
                }
            })
            .collect();
        let o = f.begin("v1", "Secret", name, Some(&self.ns.name));
        map(o, 2, "labels", &[("app", &w.name)]);
        w!(o, "type: Opaque");
        w!(o, "data:");
        for (key, value) in keys.iter().zip(values) {
            w!(o, "  {key}: {}", base64(value.as_bytes()));
        }
        if self.external_secrets {
            self.external_secret(f, name, keys);
        }
    }

    /// The external-secrets object that keeps a Secret in sync with the team's vault.
    fn external_secret(&mut self, f: &mut YamlFile, name: &str, keys: &[&str]) {
        let o = f.begin("external-secrets.io/v1beta1", "ExternalSecret", name, Some(&self.ns.name));
        w!(o, "spec:");
        w!(o, "  refreshInterval: 1h");
        w!(o, "  secretStoreRef:");
        w!(o, "    kind: ClusterSecretStore");
        w!(o, "    name: vault");
        w!(o, "  target:");
        w!(o, "    name: {name}");
        w!(o, "    creationPolicy: Owner");
        w!(o, "  data:");
        for key in keys {
            w!(o, "  - secretKey: {key}");
            w!(o, "    remoteRef:");
            w!(o, "      key: {}/{}/{name}", self.ns.team, self.ns.name);
            w!(o, "      property: {key}");
        }
    }

    fn tls_secret(&mut self, f: &mut YamlFile, name: &str) {
        let pem = |rng: &mut Rng, label: &str, lines: usize| {
            let mut body = format!("-----BEGIN {label}-----\n");
            for _ in 0..lines {
                let bytes: Vec<u8> = (0..48).map(|_| rng.below(256) as u8).collect();
                w!(body, "{}", base64(&bytes));
            }
            w!(body, "-----END {label}-----");
            base64(body.as_bytes())
        };
        let (crt, key) = (pem(&mut self.rng, "CERTIFICATE", 14), pem(&mut self.rng, "PRIVATE KEY", 6));
        let o = f.begin("v1", "Secret", name, Some(&self.ns.name));
        w!(o, "type: kubernetes.io/tls");
        w!(o, "data:");
        w!(o, "  tls.crt: {crt}");
        w!(o, "  tls.key: {key}");
    }

    /// A pre-1.24 long-lived token Secret, as still found in old estates.
    fn legacy_token_secret(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let header = base64(br#"{"alg":"RS256","kid":"bench"}"#);
        let claims = format!(
            r#"{{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"{}","kubernetes.io/serviceaccount/service-account.name":"{}"}}"#,
            self.ns.name, w.name
        );
        let token = format!("{header}.{}.{}", base64(claims.as_bytes()), self.rng.token(86));
        let name = format!("{}-token-{}", w.name, self.rng.hex(5));
        let o = f.begin("v1", "Secret", &name, Some(&self.ns.name));
        map(o, 2, "annotations", &[("kubernetes.io/service-account.name", &w.name)]);
        w!(o, "type: kubernetes.io/service-account-token");
        w!(o, "data:");
        w!(o, "  namespace: {}", base64(self.ns.name.as_bytes()));
        w!(o, "  token: {}", base64(token.as_bytes()));
    }

    fn config_map(&mut self, f: &mut YamlFile, w: &WorkloadPlan) -> String {
        let name = format!("{}-config", w.name);
        let mut app = String::new();
        w!(app, "server:");
        w!(app, "  port: {}", w.port());
        w!(app, "  shutdownTimeout: 20s");
        w!(app, "clients:");
        for _ in 0..self.rng.between(1, 3) {
            let target = self.plan.pick_target(&mut self.rng, w);
            let url = service_url(&mut self.rng, w, target, self.plan);
            w!(app, "  {}:", target.name);
            w!(app, "    url: {url}");
            w!(app, "    timeout: {}ms", 100 * self.rng.between(2, 50));
        }
        w!(app, "features:");
        w!(app, "  newPricing: {}", self.rng.chance(0.5));
        let o = f.begin("v1", "ConfigMap", &name, Some(&self.ns.name));
        map(o, 2, "labels", &[("app", &w.name)]);
        w!(o, "data:");
        w!(o, "  LOG_LEVEL: {}", self.rng.pick(&["info", "info", "debug", "warn"]));
        w!(o, "  FEATURE_FLAGS: {}", scalar("checkout-v2,fast-search"));
        w!(o, "  application.yaml: |");
        push_indented(o, &app, 4);
        name
    }

    fn service_account(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let cloud = match self.rng.below(100) {
            0..10 => {
                Some(("eks.amazonaws.com/role-arn", format!("arn:aws:iam::123456789012:role/{}", w.name)))
            }
            10..15 => Some((
                "iam.gke.io/gcp-service-account",
                format!("{}@bench-project.iam.gserviceaccount.com", w.name),
            )),
            _ => None,
        };
        let no_automount = self.rng.chance(0.3);
        let o = f.begin("v1", "ServiceAccount", &w.name, Some(&self.ns.name));
        map(o, 2, "labels", &[("app", &w.name), ("team", self.ns.team)]);
        if let Some((key, value)) = cloud {
            map(o, 2, "annotations", &[(key, &value)]);
        }
        if no_automount {
            w!(o, "automountServiceAccountToken: false");
        }
    }

    fn controller(&mut self, f: &mut YamlFile, w: &WorkloadPlan, refs: &Refs) {
        let template = self.pod_template(w, refs);
        let replicas = self.rng.pick(&[1, 2, 2, 3, 3, 3, 5, 10]);
        let o = f.begin(w.kind.api_version(), w.kind.name(), &w.name, Some(&self.ns.name));
        map(o, 2, "labels", &[("app", &w.name), ("app.kubernetes.io/part-of", self.ns.team)]);
        w!(o, "spec:");
        match w.kind {
            Kind::CronJob => {
                w!(o, "  schedule: \"*/{} * * * *\"", self.rng.between(5, 30));
                w!(o, "  concurrencyPolicy: Forbid");
                w!(o, "  jobTemplate:");
                w!(o, "    spec:");
                w!(o, "      backoffLimit: 3");
                w!(o, "      template:");
                push_indented(o, &template, 8);
                return;
            }
            Kind::Deployment => {
                w!(o, "  replicas: {replicas}");
                w!(o, "  revisionHistoryLimit: 5");
            }
            Kind::StatefulSet => {
                w!(o, "  replicas: {replicas}");
                w!(o, "  serviceName: {}", w.name);
            }
            Kind::DaemonSet => {
                w!(o, "  updateStrategy:");
                w!(o, "    type: RollingUpdate");
            }
        }
        w!(o, "  selector:");
        w!(o, "    matchLabels:");
        w!(o, "      app: {}", w.name);
        w!(o, "  template:");
        push_indented(o, &template, 4);
        if w.kind == Kind::StatefulSet {
            w!(o, "  volumeClaimTemplates:");
            w!(o, "  - metadata:");
            w!(o, "      name: data");
            w!(o, "    spec:");
            w!(o, "      accessModes: [ReadWriteOnce]");
            w!(o, "      resources:");
            w!(o, "        requests:");
            w!(o, "          storage: {}Gi", self.rng.pick(&[5, 10, 20, 50]));
        }
    }

    /// A pod template (`metadata` + `spec`) at indentation 0, for the caller to indent.
    fn pod_template(&mut self, w: &WorkloadPlan, refs: &Refs) -> String {
        let rng = &mut self.rng;
        let metrics = rng.chance(0.7) && w.kind != Kind::CronJob;
        let mounts = Mounts {
            config: refs.config.clone(),
            secret: refs.opaque.first().filter(|_| rng.chance(0.25)).map(|(name, _)| name.clone()),
            tls: refs.tls.clone().filter(|_| rng.chance(0.6)),
            bound_token: rng.chance(0.05),
        };
        let pull_secret = rng.chance(0.5);
        let pod_no_automount = rng.chance(0.1);
        let host_network = w.kind == Kind::DaemonSet && rng.chance(0.2);
        let version = format!("v{}", rng.between(1, 9));

        let mut t = String::new();
        w!(t, "metadata:");
        map(&mut t, 2, "labels", &[("app", &w.name), ("version", &version)]);
        let mut annotations = Vec::new();
        if metrics {
            annotations.push(("prometheus.io/scrape", "true"));
            annotations.push(("prometheus.io/port", "9102"));
        }
        match self.ns.mesh {
            Mesh::Istio if self.rng.chance(0.03) => annotations.push(("sidecar.istio.io/inject", "false")),
            Mesh::Linkerd if self.rng.chance(0.03) => annotations.push(("linkerd.io/inject", "disabled")),
            Mesh::Plain if self.rng.chance(0.02) => annotations.push(("linkerd.io/inject", "enabled")),
            _ => {}
        }
        if !annotations.is_empty() {
            map(&mut t, 2, "annotations", &annotations);
        }
        w!(t, "spec:");
        match w.account {
            Account::Default if self.rng.chance(0.7) => {}
            _ => w!(t, "  serviceAccountName: {}", w.service_account()),
        }
        if pod_no_automount {
            w!(t, "  automountServiceAccountToken: false");
        }
        if host_network {
            w!(t, "  hostNetwork: true");
        }
        if w.kind == Kind::CronJob {
            w!(t, "  restartPolicy: OnFailure");
        }
        w!(t, "  terminationGracePeriodSeconds: 30");
        w!(t, "  securityContext:");
        w!(t, "    runAsNonRoot: true");
        w!(t, "    runAsUser: {}", 1000 + self.rng.below(9000));
        if pull_secret {
            w!(t, "  imagePullSecrets:");
            w!(t, "  - name: regcred");
        }
        w!(t, "  containers:");
        self.main_container(&mut t, w, refs, metrics, &mounts);
        if self.rng.chance(0.3) {
            self.sidecar(&mut t);
        }
        w!(t, "  volumes:");
        w!(t, "  - name: tmp");
        w!(t, "    emptyDir: {{}}");
        if let Some(config) = &mounts.config {
            w!(t, "  - name: config");
            w!(t, "    configMap:");
            w!(t, "      name: {config}");
        }
        for (volume, secret) in [("secrets", &mounts.secret), ("tls", &mounts.tls)] {
            if let Some(secret) = secret {
                w!(t, "  - name: {volume}");
                w!(t, "    secret:");
                w!(t, "      secretName: {secret}");
                w!(t, "      defaultMode: 0400");
            }
        }
        if mounts.bound_token {
            w!(t, "  - name: bound-token");
            w!(t, "    projected:");
            w!(t, "      sources:");
            w!(t, "      - serviceAccountToken:");
            w!(t, "          path: token");
            w!(
                t,
                "          audience: {}",
                self.rng.pick(&["vault", "sts.amazonaws.com", "https://kafka.example.com"])
            );
            w!(t, "          expirationSeconds: {}", self.rng.pick(&[600, 3600, 7200]));
        }
        t
    }

    fn main_container(
        &mut self,
        t: &mut String,
        w: &WorkloadPlan,
        refs: &Refs,
        metrics: bool,
        mounts: &Mounts,
    ) {
        let rng = &mut self.rng;
        let image = if rng.chance(0.15) {
            format!("ghcr.io/acme/{}@sha256:{}", w.role, rng.hex(64))
        } else {
            format!(
                "registry.example.com/{}/{}:{}.{}.{}",
                self.ns.team,
                w.role,
                rng.between(1, 4),
                rng.below(20),
                rng.below(10)
            )
        };
        w!(t, "  - name: {}", w.role);
        w!(t, "    image: {image}");
        w!(t, "    imagePullPolicy: IfNotPresent");
        if w.kind != Kind::CronJob {
            w!(t, "    ports:");
            w!(t, "    - name: {}", w.port_name());
            w!(t, "      containerPort: {}", w.port());
            w!(t, "      protocol: TCP");
            if metrics {
                w!(t, "    - name: metrics");
                w!(t, "      containerPort: 9102");
            }
        }
        self.env(t, w, refs);
        w!(t, "    resources:");
        w!(t, "      requests:");
        w!(t, "        cpu: {}m", 50 * self.rng.between(1, 10));
        w!(t, "        memory: {}Mi", 64 * self.rng.between(1, 16));
        w!(t, "      limits:");
        w!(t, "        memory: {}Mi", 64 * self.rng.between(16, 32));
        if w.kind != Kind::CronJob {
            for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
                w!(t, "    {probe}:");
                if w.grpc {
                    w!(t, "      grpc:");
                    w!(t, "        port: {}", w.port());
                } else {
                    w!(t, "      httpGet:");
                    w!(t, "        path: {path}");
                    w!(t, "        port: http");
                }
                w!(t, "      periodSeconds: {}", self.rng.pick(&[5, 10, 15]));
            }
        }
        w!(t, "    volumeMounts:");
        w!(t, "    - name: tmp");
        w!(t, "      mountPath: /tmp");
        if mounts.config.is_some() {
            w!(t, "    - name: config");
            w!(t, "      mountPath: /etc/{}", w.role);
            w!(t, "      readOnly: true");
        }
        if mounts.secret.is_some() {
            w!(t, "    - name: secrets");
            w!(t, "      mountPath: /var/run/secrets/app");
            w!(t, "      readOnly: true");
        }
        if mounts.tls.is_some() {
            w!(t, "    - name: tls");
            w!(t, "      mountPath: /etc/tls");
            w!(t, "      readOnly: true");
        }
        if mounts.bound_token {
            w!(t, "    - name: bound-token");
            w!(t, "      mountPath: /var/run/secrets/tokens");
            w!(t, "      readOnly: true");
        }
    }

    /// 5–15 env vars: literals, URLs of other Services, secret references and (rarely) a
    /// credential written in clear.
    fn env(&mut self, t: &mut String, w: &WorkloadPlan, refs: &Refs) {
        const LITERALS: &[(&str, &[&str])] = &[
            ("LOG_LEVEL", &["info", "debug", "warn"]),
            ("LOG_FORMAT", &["json", "text"]),
            ("GOMAXPROCS", &["1", "2", "4"]),
            ("TZ", &["UTC", "Europe/Berlin"]),
            ("HTTP_TIMEOUT", &["5s", "30s", "60s"]),
            ("CACHE_TTL_SECONDS", &["60", "300", "3600"]),
            ("FEATURE_NEW_CHECKOUT", &["true", "false"]),
            ("ENVIRONMENT", &["production", "staging"]),
            ("REGION", &["eu-west-1", "us-east-1"]),
            ("MAX_CONNECTIONS", &["50", "100", "500"]),
            ("RETRY_ATTEMPTS", &["3", "5"]),
            ("JAVA_OPTS", &["-Xms256m -Xmx512m -XX:+UseG1GC", "-XX:MaxRAMPercentage=75"]),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &["http://otel-collector.observability.svc.cluster.local:4317"]),
            ("SPRING_PROFILES_ACTIVE", &["prod", "kubernetes"]),
        ];
        const SECRET_ENV: &[&str] =
            &["DB_PASSWORD", "API_KEY", "CLIENT_SECRET", "REDIS_PASSWORD", "SIGNING_KEY", "S3_SECRET"];

        let rng = &mut self.rng;
        let total = rng.between(5, 15);
        let urls = rng.between(1, 4).min(total - 2);
        // ~80% of workloads have an Opaque Secret, so this gives secretKeyRef env to ~30%.
        let secret_refs = if rng.chance(0.37) && !refs.opaque.is_empty() { rng.between(1, 3) } else { 0 };
        let in_clear = rng.chance(0.03);
        let field_refs = rng.chance(0.3);
        let config_ref = refs.config.as_ref().filter(|_| rng.chance(0.2));
        let others = urls
            + secret_refs
            + usize::from(in_clear)
            + 2 * usize::from(field_refs)
            + usize::from(config_ref.is_some());
        let literals = total.saturating_sub(others);

        w!(t, "    env:");
        let start = rng.below(LITERALS.len());
        for &(name, values) in LITERALS.iter().cycle().skip(start).take(literals.min(LITERALS.len())) {
            let value = rng.pick(values);
            w!(t, "    - name: {name}");
            w!(t, "      value: {}", scalar(value));
        }
        if field_refs {
            for (name, path) in [("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")] {
                w!(t, "    - name: {name}");
                w!(t, "      valueFrom:");
                w!(t, "        fieldRef:");
                w!(t, "          fieldPath: {path}");
            }
        }
        let mut url_names = Vec::new();
        for _ in 0..urls {
            let target = self.plan.pick_target(&mut self.rng, w);
            let url = service_url(&mut self.rng, w, target, self.plan);
            let suffix = if url.contains("://") { "URL" } else { "ADDR" };
            let mut name = format!("{}_{suffix}", target.role.to_ascii_uppercase());
            if url_names.contains(&name) {
                name = format!("{}_{}_{suffix}", target.role.to_ascii_uppercase(), url_names.len() + 1);
            }
            url_names.push(name.clone());
            w!(t, "    - name: {name}");
            w!(t, "      value: {}", scalar(&url));
        }
        for i in 0..secret_refs {
            let (secret, keys) = &refs.opaque[i % refs.opaque.len()];
            let key = keys[i % keys.len()];
            w!(t, "    - name: {}", SECRET_ENV[(i + secret.len()) % SECRET_ENV.len()]);
            w!(t, "      valueFrom:");
            w!(t, "        secretKeyRef:");
            w!(t, "          name: {secret}");
            w!(t, "          key: {key}");
        }
        if in_clear {
            let (name, value) = if self.rng.chance(0.5) {
                (
                    "DATABASE_URL",
                    format!(
                        "postgres://{}:{}@pg-{}.db.internal:5432/{}",
                        w.role,
                        self.rng.token(20),
                        self.ns.team,
                        w.role
                    ),
                )
            } else {
                ("PARTNER_API_TOKEN", self.rng.token(40))
            };
            w!(t, "    - name: {name}");
            w!(t, "      value: {}", scalar(&value));
        }
        if let Some(config) = config_ref {
            w!(t, "    - name: FEATURE_FLAGS");
            w!(t, "      valueFrom:");
            w!(t, "        configMapKeyRef:");
            w!(t, "          name: {config}");
            w!(t, "          key: FEATURE_FLAGS");
        }
        let env_from_secret = refs.opaque.last().filter(|_| self.rng.chance(0.08));
        let env_from_config = refs.config.as_ref().filter(|_| self.rng.chance(0.15));
        if env_from_secret.is_some() || env_from_config.is_some() {
            w!(t, "    envFrom:");
            if let Some(config) = env_from_config {
                w!(t, "    - configMapRef:");
                w!(t, "        name: {config}");
            }
            if let Some((secret, _)) = env_from_secret {
                w!(t, "    - secretRef:");
                w!(t, "        name: {secret}");
            }
        }
    }

    fn sidecar(&mut self, t: &mut String) {
        const SIDECARS: &[(&str, &str, &str, &str)] = &[
            (
                "log-shipper",
                "fluent/fluent-bit:3.0.7",
                "FLUENT_ELASTICSEARCH_HOST",
                "elasticsearch.logging.svc.cluster.local",
            ),
            (
                "cloud-sql-proxy",
                "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0",
                "CSQL_PROXY_PORT",
                "5432",
            ),
            (
                "oauth2-proxy",
                "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
                "OAUTH2_PROXY_UPSTREAMS",
                "http://127.0.0.1:8080",
            ),
        ];
        let (name, image, env, value) = self.rng.pick(SIDECARS);
        w!(t, "  - name: {name}");
        w!(t, "    image: {image}");
        w!(t, "    env:");
        w!(t, "    - name: {env}");
        w!(t, "      value: {}", scalar(value));
        w!(t, "    resources:");
        w!(t, "      requests:");
        w!(t, "        cpu: 20m");
        w!(t, "        memory: 32Mi");
    }

    fn service(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let metrics_port = self.rng.chance(0.5);
        let o = f.begin("v1", "Service", &w.name, Some(&self.ns.name));
        map(o, 2, "labels", &[("app", &w.name)]);
        w!(o, "spec:");
        w!(o, "  type: ClusterIP");
        w!(o, "  selector:");
        w!(o, "    app: {}", w.name);
        w!(o, "  ports:");
        w!(o, "  - name: {}", w.port_name());
        w!(o, "    port: {}", w.port());
        w!(o, "    targetPort: {}", w.port_name());
        w!(o, "    protocol: TCP");
        if w.grpc {
            w!(o, "    appProtocol: grpc");
        }
        if metrics_port {
            w!(o, "  - name: metrics");
            w!(o, "    port: 9102");
            w!(o, "    targetPort: 9102");
        }
    }

    /// ~0.3 Roles and ~0.4 RoleBindings per workload.
    fn rbac(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let ns = &self.ns.name;
        let subject_ns = |g: &Self, other: &WorkloadPlan| g.plan.namespaces[other.ns].name.clone();
        if w.account == Account::Own && self.rng.chance(0.375) {
            let o = f.begin("rbac.authorization.k8s.io/v1", "Role", &w.name, Some(ns));
            w!(o, "rules:");
            w!(o, "- apiGroups: [\"\"]");
            w!(o, "  resources: [configmaps, pods]");
            w!(o, "  verbs: [get, list, watch]");
            match self.rng.below(100) {
                0..20 => {
                    w!(o, "- apiGroups: [\"\"]");
                    w!(o, "  resources: [secrets]");
                    w!(o, "  resourceNames: [{}-db]", w.name);
                    w!(o, "  verbs: [get]");
                }
                20..30 => {
                    w!(o, "- apiGroups: [\"\"]");
                    w!(o, "  resources: [secrets]");
                    w!(o, "  verbs: [get, list, watch]");
                }
                30..33 => {
                    w!(o, "- apiGroups: [\"*\"]");
                    w!(o, "  resources: [\"*\"]");
                    w!(o, "  verbs: [\"*\"]");
                }
                _ => {}
            }
            role_binding(f, ns, &w.name, "Role", &w.name, &w.name, ns);
        }
        if self.rng.chance(0.1) {
            // A binding to a ClusterRole; one in five for a ServiceAccount of another namespace.
            let role = self.rng.pick(&["view", "view", "bench-pod-reader", "bench-secret-reader"]);
            let (sa, sa_ns) = if self.rng.chance(0.2) {
                let other = &self.plan.workloads[self.rng.below(self.plan.workloads.len())];
                (other.service_account().to_owned(), subject_ns(self, other))
            } else {
                (w.service_account().to_owned(), ns.clone())
            };
            role_binding(f, ns, &format!("{}-{role}", w.name), "ClusterRole", role, &sa, &sa_ns);
        }
    }

    /// Kinds ztpath does not model but that every real estate holds next to its workloads.
    fn extras(&mut self, f: &mut YamlFile, w: &WorkloadPlan, refs: &Refs) {
        let ns = &self.ns.name;
        let scalable = matches!(w.kind, Kind::Deployment | Kind::StatefulSet);
        if scalable && self.rng.chance(0.7) {
            let o = f.begin("autoscaling/v2", "HorizontalPodAutoscaler", &w.name, Some(ns));
            w!(o, "spec:");
            w!(o, "  scaleTargetRef:");
            w!(o, "    apiVersion: apps/v1");
            w!(o, "    kind: {}", w.kind.name());
            w!(o, "    name: {}", w.name);
            w!(o, "  minReplicas: 2");
            w!(o, "  maxReplicas: {}", self.rng.pick(&[5, 10, 20]));
            w!(o, "  metrics:");
            w!(o, "  - type: Resource");
            w!(o, "    resource:");
            w!(o, "      name: cpu");
            w!(o, "      target:");
            w!(o, "        type: Utilization");
            w!(o, "        averageUtilization: {}", self.rng.pick(&[60, 70, 80]));
        }
        if scalable && self.rng.chance(0.7) {
            let o = f.begin("policy/v1", "PodDisruptionBudget", &w.name, Some(ns));
            w!(o, "spec:");
            if self.rng.chance(0.5) {
                w!(o, "  minAvailable: 1");
            } else {
                w!(o, "  maxUnavailable: 25%");
            }
            w!(o, "  selector:");
            w!(o, "    matchLabels:");
            w!(o, "      app: {}", w.name);
        }
        if w.has_service() && self.rng.chance(0.75) {
            let o = f.begin("monitoring.coreos.com/v1", "ServiceMonitor", &w.name, Some(ns));
            map(o, 2, "labels", &[("release", "prometheus")]);
            w!(o, "spec:");
            w!(o, "  selector:");
            w!(o, "    matchLabels:");
            w!(o, "      app: {}", w.name);
            w!(o, "  endpoints:");
            w!(o, "  - port: metrics");
            w!(o, "    interval: 30s");
        }
        if w.kind == Kind::Deployment && !w.grpc && self.rng.chance(0.12) {
            self.ingress(f, w, refs);
        }
    }

    /// An Ingress with a cert-manager Certificate (whose Secret cert-manager creates, so it is
    /// referenced but not in the estate).
    fn ingress(&mut self, f: &mut YamlFile, w: &WorkloadPlan, refs: &Refs) {
        let ns = &self.ns.name;
        let host = format!("{}.{}.example.com", w.name, self.ns.team);
        let secret = refs.tls.clone().unwrap_or_else(|| format!("{}-ingress-tls", w.name));
        if refs.tls.is_none() {
            let o = f.begin("cert-manager.io/v1", "Certificate", &secret, Some(ns));
            w!(o, "spec:");
            w!(o, "  secretName: {secret}");
            w!(o, "  dnsNames: [{host}]");
            w!(o, "  issuerRef:");
            w!(o, "    kind: ClusterIssuer");
            w!(o, "    name: letsencrypt");
        }
        let o = f.begin("networking.k8s.io/v1", "Ingress", &w.name, Some(ns));
        map(o, 2, "annotations", &[("nginx.ingress.kubernetes.io/proxy-body-size", "8m")]);
        w!(o, "spec:");
        w!(o, "  ingressClassName: nginx");
        w!(o, "  tls:");
        w!(o, "  - hosts: [{host}]");
        w!(o, "    secretName: {secret}");
        w!(o, "  rules:");
        w!(o, "  - host: {host}");
        w!(o, "    http:");
        w!(o, "      paths:");
        w!(o, "      - path: /");
        w!(o, "        pathType: Prefix");
        w!(o, "        backend:");
        w!(o, "          service:");
        w!(o, "            name: {}", w.name);
        w!(o, "            port:");
        w!(o, "              number: {}", w.port());
    }

    fn istio_traffic(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let ns = &self.ns.name;
        let host = format!("{}.{ns}.svc.cluster.local", w.name);
        if self.rng.chance(0.9) {
            let tls = match self.rng.below(100) {
                0..70 => Some("ISTIO_MUTUAL"),
                70..95 => None,
                _ => Some("DISABLE"),
            };
            let o = f.begin("networking.istio.io/v1", "DestinationRule", &w.name, Some(ns));
            w!(o, "spec:");
            w!(o, "  host: {host}");
            w!(o, "  trafficPolicy:");
            w!(o, "    connectionPool:");
            w!(o, "      http:");
            w!(o, "        http2MaxRequests: {}", self.rng.pick(&[100, 500, 1000]));
            if let Some(mode) = tls {
                w!(o, "    tls:");
                w!(o, "      mode: {mode}");
            }
        }
        if self.rng.chance(0.6) {
            let o = f.begin("networking.istio.io/v1", "VirtualService", &w.name, Some(ns));
            w!(o, "spec:");
            w!(o, "  hosts: [{host}]");
            w!(o, "  http:");
            w!(o, "  - timeout: {}s", self.rng.pick(&[2, 5, 10]));
            w!(o, "    retries:");
            w!(o, "      attempts: 3");
            w!(o, "      perTryTimeout: 2s");
            w!(o, "    route:");
            w!(o, "    - destination:");
            w!(o, "        host: {host}");
            w!(o, "        port:");
            w!(o, "          number: {}", w.port());
        }
    }

    /// An ALLOW policy naming the callers' SPIFFE principals (and, now and then, allowing all).
    fn istio_authorization(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let allow_all = self.rng.chance(0.05);
        let principals: Vec<String> = (0..self.rng.between(1, 3))
            .map(|_| {
                let caller = self.plan.pick_target(&mut self.rng, w);
                let caller_ns = &self.plan.namespaces[caller.ns].name;
                format!("\"cluster.local/ns/{caller_ns}/sa/{}\"", caller.service_account())
            })
            .collect();
        let o = f.begin(
            "security.istio.io/v1",
            "AuthorizationPolicy",
            &format!("{}-allow", w.name),
            Some(&self.ns.name),
        );
        w!(o, "spec:");
        w!(o, "  selector:");
        w!(o, "    matchLabels:");
        w!(o, "      app: {}", w.name);
        w!(o, "  action: ALLOW");
        if allow_all {
            w!(o, "  rules:");
            w!(o, "  - {{}}");
            return;
        }
        w!(o, "  rules:");
        w!(o, "  - from:");
        w!(o, "    - source:");
        w!(o, "        principals: [{}]", principals.join(", "));
        w!(o, "    to:");
        w!(o, "    - operation:");
        w!(o, "        ports: [\"{}\"]", w.port());
        if !w.grpc {
            w!(o, "        methods: [GET, POST]");
        }
    }

    /// A Linkerd ServiceProfile (per-route retries and timeouts), named after the Service's FQDN.
    fn service_profile(&mut self, f: &mut YamlFile, w: &WorkloadPlan) {
        let fqdn = format!("{}.{}.svc.cluster.local", w.name, self.ns.name);
        let o = f.begin("linkerd.io/v1alpha2", "ServiceProfile", &fqdn, Some(&self.ns.name));
        w!(o, "spec:");
        w!(o, "  routes:");
        for (method, path) in [("GET", "/v1/items"), ("POST", "/v1/items"), ("GET", "/healthz")]
            .iter()
            .take(self.rng.between(1, 3))
        {
            w!(o, "  - name: {method} {path}");
            w!(o, "    condition:");
            w!(o, "      method: {method}");
            w!(o, "      pathRegex: {path}");
            w!(o, "    isRetryable: {}", *method == "GET");
            w!(o, "    timeout: {}ms", 100 * self.rng.between(1, 30));
        }
        w!(o, "  retryBudget:");
        w!(o, "    retryRatio: 0.2");
        w!(o, "    minRetriesPerSecond: 10");
        w!(o, "    ttl: 10s");
    }

    /// A few Server + MeshTLSAuthentication + AuthorizationPolicy triples.
    fn linkerd_policies(&mut self, f: &mut YamlFile) {
        let ns = &self.ns.name;
        let servers: Vec<&WorkloadPlan> = self.plan.workloads[self.ns.workloads.clone()]
            .iter()
            .filter(|w| w.has_service())
            .take(self.rng.between(2, 4))
            .collect();
        for w in servers {
            let server = format!("{}-{}", w.name, w.port_name());
            let o = f.begin("policy.linkerd.io/v1beta3", "Server", &server, Some(ns));
            w!(o, "spec:");
            w!(o, "  podSelector:");
            w!(o, "    matchLabels:");
            w!(o, "      app: {}", w.name);
            w!(o, "  port: {}", w.port_name());
            w!(o, "  proxyProtocol: {}", if w.grpc { "gRPC" } else { "HTTP/1" });

            let auth = format!("{}-clients", w.name);
            let callers: Vec<&WorkloadPlan> =
                (0..self.rng.between(1, 3)).map(|_| self.plan.pick_target(&mut self.rng, w)).collect();
            let o = f.begin("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication", &auth, Some(ns));
            w!(o, "spec:");
            if self.rng.chance(0.5) {
                let ids: Vec<String> = callers
                    .iter()
                    .map(|c| {
                        let c_ns = &self.plan.namespaces[c.ns].name;
                        format!(
                            "\"{}.{c_ns}.serviceaccount.identity.linkerd.cluster.local\"",
                            c.service_account()
                        )
                    })
                    .collect();
                w!(o, "  identities: [{}]", ids.join(", "));
            } else {
                w!(o, "  identityRefs:");
                for c in callers {
                    w!(o, "  - kind: ServiceAccount");
                    w!(o, "    name: {}", c.service_account());
                    if c.ns != w.ns {
                        w!(o, "    namespace: {}", self.plan.namespaces[c.ns].name);
                    }
                }
            }

            let o = f.begin(
                "policy.linkerd.io/v1alpha1",
                "AuthorizationPolicy",
                &format!("{}-authn", w.name),
                Some(ns),
            );
            w!(o, "spec:");
            w!(o, "  targetRef:");
            w!(o, "    group: policy.linkerd.io");
            w!(o, "    kind: Server");
            w!(o, "    name: {server}");
            w!(o, "  requiredAuthenticationRefs:");
            w!(o, "  - group: policy.linkerd.io");
            w!(o, "    kind: MeshTLSAuthentication");
            w!(o, "    name: {auth}");
        }
    }
}

fn role_binding(f: &mut YamlFile, ns: &str, name: &str, role_kind: &str, role: &str, sa: &str, sa_ns: &str) {
    let o = f.begin("rbac.authorization.k8s.io/v1", "RoleBinding", name, Some(ns));
    w!(o, "roleRef:");
    w!(o, "  apiGroup: rbac.authorization.k8s.io");
    w!(o, "  kind: {role_kind}");
    w!(o, "  name: {role}");
    w!(o, "subjects:");
    w!(o, "- kind: ServiceAccount");
    w!(o, "  name: {sa}");
    w!(o, "  namespace: {sa_ns}");
}

const ALLOW_SAME_NAMESPACE: &str = "\
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
";

const ALLOW_FROM_INGRESS: &str = "\
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: ingress-nginx
";

const ALLOW_PROMETHEUS: &str = "\
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector:
        matchLabels:
          app.kubernetes.io/name: prometheus
    ports:
    - protocol: TCP
      port: 9102
";

const ALLOW_DNS: &str = "\
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
    ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn scalars_that_yaml_would_retype_are_quoted() {
        assert_eq!(scalar("info"), "info");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("8080"), "\"8080\"");
        assert_eq!(scalar("http://a:80"), "\"http://a:80\"");
        assert_eq!(scalar("-Xmx1g"), "\"-Xmx1g\"");
    }

    #[test]
    fn same_seed_same_estate() {
        let a = namespace_file(&Plan::new(120, 7), 1).text;
        let b = namespace_file(&Plan::new(120, 7), 1).text;
        assert_eq!(a, b);
        assert_ne!(a, namespace_file(&Plan::new(120, 8), 1).text);
    }
}
