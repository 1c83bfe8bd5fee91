//! The resolved view of an Inventory: workloads folded into their controllers, service accounts
//! resolved, mesh membership decided, and indexes for the lookups every later stage makes.
//!
//! Everything here is derived once, in input order, so that later stages stay linear and
//! deterministic.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;
use ztpath_reports::SharedStr;

use ztpath_probes::{
    EnvFrom, EnvValue, Inventory, ObjectMeta, ProjectedSource, Secret, Service, ServiceAccount, StringMap,
    VolumeKind, Workload,
};

/// The mesh a workload's inbound traffic goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mesh {
    /// No sidecar: traffic arrives as the caller sent it.
    None,
    /// Istio sidecar (injected or already present).
    Istio,
    /// Linkerd proxy.
    Linkerd,
}

impl Mesh {
    pub fn as_str(self) -> &'static str {
        match self {
            Mesh::None => "none",
            Mesh::Istio => "istio",
            Mesh::Linkerd => "linkerd",
        }
    }
}

/// A service-account token a projected volume requests.
#[derive(Debug)]
pub struct ProjectedToken {
    /// `expirationSeconds`, if set.
    pub expiration_seconds: Option<i64>,
    /// Line of the source, for evidence.
    pub line: u32,
    /// What tells it apart in its pod whatever the lines: the volume's name and the token's
    /// position among the volume's token sources.
    pub key: String,
}

/// One workload after folding (a Deployment, not its ReplicaSet and Pods).
#[derive(Debug)]
pub struct WorkloadView<'a> {
    pub w: &'a Workload,
    /// Node id, e.g. `workload:shop/Deployment/cart` (shared by the graph's node and every hop).
    pub id: SharedStr,
    pub ns: &'a str,
    /// Service account name (`default` when unset).
    pub sa: String,
    /// The token of `sa` is mounted (pod field, else SA field, else true).
    pub token_mounted: bool,
    pub mesh: Mesh,
    /// Why the mesh was decided so (for hop details).
    pub mesh_reason: String,
    /// Services that select this workload (indexes into `Estate::services`).
    pub services: Vec<usize>,
    /// Secrets it may hold secret material from (env, envFrom, volumes, projected), excluding
    /// imagePullSecrets and Secrets of which it loads only public keys (`items:` listing only
    /// `tls.crt`, `ca.crt`, …; see [`public_key_material`]); sorted.
    pub secrets: BTreeSet<&'a str>,
    /// For each Secret of `secrets`, the keys it loads that may be secret (public ones left out);
    /// `None` when it loads every key (`envFrom`, a volume without `items`).
    pub secret_keys: BTreeMap<&'a str, Option<BTreeSet<&'a str>>>,
    /// ConfigMaps referenced.
    pub config_maps: BTreeSet<&'a str>,
    /// Longest projected token lifetime requested, with the line.
    pub projected_tokens: Vec<ProjectedToken>,
}

impl WorkloadView<'_> {
    pub fn meta(&self) -> &ObjectMeta {
        &self.w.meta
    }
    pub fn name(&self) -> &str {
        &self.w.meta.name
    }
    pub fn kind(&self) -> &str {
        &self.w.meta.kind
    }
    /// True when something can call it: a Service selects it or it declares ports.
    pub fn serving(&self) -> bool {
        !self.services.is_empty() || self.w.pod.containers.iter().any(|c| !c.ports.is_empty())
    }
    /// `ns/Kind/name`.
    pub fn display(&self) -> String {
        format!("{}/{}/{}", self.ns, self.kind(), self.name())
    }
}

/// The resolved estate.
pub struct Estate<'a> {
    pub inv: &'a Inventory,
    pub workloads: Vec<WorkloadView<'a>>,
    pub services: Vec<&'a Service>,
    /// Namespace labels and annotations (empty maps for namespaces that are only implied).
    pub namespaces: HashMap<&'a str, (&'a StringMap, &'a StringMap)>,
    /// Every namespace seen on any object, sorted.
    pub namespace_names: BTreeSet<&'a str>,
    /// Namespaces the input declares: Namespace objects, and the namespaces objects write in their
    /// metadata (not those given to objects that carry none).
    pub declared_namespaces: BTreeSet<&'a str>,
    pub service_accounts: HashMap<(&'a str, &'a str), &'a ServiceAccount>,
    pub secrets: HashMap<(&'a str, &'a str), &'a Secret>,
    /// Services by (namespace, name).
    pub service_index: HashMap<(&'a str, &'a str), usize>,
    /// Workloads each Service selects (by index into `services`).
    pub service_workloads: Vec<Vec<usize>>,
    /// Workload index by node id.
    pub workload_index: HashMap<SharedStr, usize>,
    /// Workloads by namespace.
    pub workloads_by_ns: HashMap<&'a str, Vec<usize>>,
    /// NetworkPolicies by namespace.
    pub network_policies: HashMap<&'a str, Vec<&'a ztpath_probes::NetworkPolicy>>,
    /// Workloads by (namespace, service account).
    pub workloads_by_sa: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Istio root namespace and trust domain.
    pub istio_root: String,
    pub trust_domain: String,
}

static EMPTY: std::sync::LazyLock<StringMap> = std::sync::LazyLock::new(StringMap::new);

impl<'a> Estate<'a> {
    pub fn new(inv: &'a Inventory) -> Estate<'a> {
        let mesh_config = inv.istio.mesh_config.as_ref();
        let istio_root =
            mesh_config.and_then(|m| m.root_namespace.clone()).unwrap_or_else(|| "istio-system".to_owned());
        let trust_domain =
            mesh_config.and_then(|m| m.trust_domain.clone()).unwrap_or_else(|| "cluster.local".to_owned());

        let mut namespaces: HashMap<&str, (&StringMap, &StringMap)> = HashMap::default();
        for ns in &inv.namespaces {
            namespaces.insert(ns.meta.name.as_str(), (&ns.meta.labels, &ns.meta.annotations));
        }
        let mut namespace_names: BTreeSet<&str> = namespaces.keys().copied().collect();

        // Fold controlled objects into their controllers: a Pod owned by a ReplicaSet that is in
        // the input is the ReplicaSet's, and that one the Deployment's. Counting them apart would
        // make one Deployment look like three workloads sharing credentials.
        let present: BTreeSet<(&str, &str, &str)> =
            inv.workloads.iter().map(|w| (w.meta.ns(), w.meta.kind.as_str(), w.meta.name.as_str())).collect();
        let mut seen_ids = BTreeSet::new();
        let mut workloads = Vec::new();
        for w in &inv.workloads {
            if let Some((kind, name)) = &w.meta.owner
                && present.contains(&(w.meta.ns(), kind.as_str(), name.as_str()))
            {
                continue;
            }
            let id = crate::ids::workload_id(w.meta.ns(), &w.meta.kind, &w.meta.name);
            if !seen_ids.insert(id.clone()) {
                // The same object twice (e.g. a file and a dump of it): keep the first.
                continue;
            }
            workloads.push(WorkloadView {
                w,
                id: id.into(),
                ns: w.meta.ns(),
                sa: w.pod.service_account_name.clone().unwrap_or_else(|| "default".to_owned()),
                token_mounted: true,
                mesh: Mesh::None,
                mesh_reason: String::new(),
                services: Vec::new(),
                secrets: BTreeSet::new(),
                secret_keys: BTreeMap::new(),
                config_maps: BTreeSet::new(),
                projected_tokens: Vec::new(),
            });
        }

        let mut service_accounts = HashMap::default();
        for sa in &inv.service_accounts {
            service_accounts.entry((sa.meta.ns(), sa.meta.name.as_str())).or_insert(sa);
        }
        let mut secrets = HashMap::default();
        for s in &inv.secrets {
            secrets.entry((s.meta.ns(), s.meta.name.as_str())).or_insert(s);
        }
        let mut services = Vec::new();
        let mut service_index = HashMap::default();
        for s in &inv.services {
            if service_index.contains_key(&(s.meta.ns(), s.meta.name.as_str())) {
                continue;
            }
            service_index.insert((s.meta.ns(), s.meta.name.as_str()), services.len());
            services.push(s);
        }
        for meta in inv
            .workloads
            .iter()
            .map(|w| &w.meta)
            .chain(inv.services.iter().map(|s| &s.meta))
            .chain(inv.service_accounts.iter().map(|s| &s.meta))
            .chain(inv.secrets.iter().map(|s| &s.meta))
            .chain(inv.config_maps.iter().map(|s| &s.meta))
            .chain(inv.role_bindings.iter().map(|s| &s.meta))
        {
            if let Some(ns) = meta.namespace.as_deref() {
                namespace_names.insert(ns);
            }
        }
        let mut declared_namespaces: BTreeSet<&str> = namespaces.keys().copied().collect();
        // A Namespace object's own meta has no namespace, so every object counts here.
        for meta in inv.object_metas() {
            if let Some(ns) = meta.namespace.as_deref().filter(|_| !meta.namespace_defaulted) {
                declared_namespaces.insert(ns);
            }
        }

        // Services select workloads in their namespace by pod labels.
        let mut by_ns: HashMap<&str, Vec<usize>> = HashMap::default();
        for (i, w) in workloads.iter().enumerate() {
            by_ns.entry(w.ns).or_default().push(i);
        }
        for (si, s) in services.iter().enumerate() {
            let Some(selector) = &s.selector else { continue };
            for &wi in by_ns.get(s.meta.ns()).map_or(&[][..], Vec::as_slice) {
                let labels = &workloads[wi].w.pod.labels;
                if selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                    workloads[wi].services.push(si);
                }
            }
        }

        let mut network_policies: HashMap<&str, Vec<&ztpath_probes::NetworkPolicy>> = HashMap::default();
        for p in &inv.network_policies {
            network_policies.entry(p.meta.ns()).or_default().push(p);
        }
        let mut service_workloads = vec![Vec::new(); services.len()];
        for (wi, w) in workloads.iter().enumerate() {
            for &si in &w.services {
                service_workloads[si].push(wi);
            }
        }
        let workload_index = workloads.iter().enumerate().map(|(i, w)| (w.id.clone(), i)).collect();
        let mut workloads_by_sa: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
        for (i, view) in workloads.iter_mut().enumerate() {
            let pod = &view.w.pod;
            let sa = service_accounts.get(&(view.ns, view.sa.as_str())).copied();
            view.token_mounted =
                pod.automount_token.or_else(|| sa.and_then(|s| s.automount_token)).unwrap_or(true);
            let (ns_labels, ns_annotations) = namespaces.get(view.ns).copied().unwrap_or((&*EMPTY, &*EMPTY));
            let (mesh, reason) = decide_mesh(view.w, ns_labels, ns_annotations);
            view.mesh = mesh;
            view.mesh_reason = reason;
            collect_references(view, &secrets);
            // Borrow the SA name from the Inventory so the index can hold &'a str.
            let sa_name: &'a str = match sa {
                Some(s) => s.meta.name.as_str(),
                None => view.w.pod.service_account_name.as_deref().unwrap_or("default"),
            };
            workloads_by_sa.entry((view.ns, sa_name)).or_default().push(i);
        }

        Estate {
            inv,
            workloads,
            services,
            namespaces,
            namespace_names,
            declared_namespaces,
            service_accounts,
            secrets,
            service_index,
            service_workloads,
            workload_index,
            workloads_by_ns: by_ns,
            network_policies,
            workloads_by_sa,
            istio_root,
            trust_domain,
        }
    }

    /// Labels of a namespace (empty when not declared).
    pub fn namespace_labels(&self, ns: &str) -> &StringMap {
        self.namespaces.get(ns).map_or(&*EMPTY, |(l, _)| l)
    }

    /// Annotations of a namespace (empty when not declared).
    pub fn namespace_annotations(&self, ns: &str) -> &StringMap {
        self.namespaces.get(ns).map_or(&*EMPTY, |(_, a)| a)
    }

    /// Workloads of a namespace (indexes into `workloads`).
    pub fn workloads_in(&self, ns: &str) -> &[usize] {
        self.workloads_by_ns.get(ns).map_or(&[], Vec::as_slice)
    }

    /// The workloads a sidecar-enforced Istio AuthorizationPolicy applies to: those of its
    /// namespace (every namespace for the root namespace) that its selector matches. Policies
    /// with `targetRefs` apply to waypoints and gateways, not sidecars: none.
    pub fn istio_policy_targets(&self, p: &ztpath_probes::IstioAuthorizationPolicy) -> Vec<usize> {
        if !p.target_refs.is_empty() {
            return Vec::new();
        }
        let selected = |wi: &usize| {
            let labels = &self.workloads[*wi].w.pod.labels;
            p.selector.as_ref().is_none_or(|s| s.iter().all(|(k, v)| labels.get(k) == Some(v)))
        };
        if p.meta.ns() == self.istio_root {
            (0..self.workloads.len()).filter(selected).collect()
        } else {
            self.workloads_in(p.meta.ns()).iter().copied().filter(selected).collect()
        }
    }

    /// NetworkPolicies of a namespace.
    pub fn network_policies_in(&self, ns: &str) -> &[&'a ztpath_probes::NetworkPolicy] {
        self.network_policies.get(ns).map_or(&[], Vec::as_slice)
    }

    /// Workloads running as a service account.
    pub fn workloads_of_sa<'s>(&'s self, ns: &'s str, sa: &'s str) -> &'s [usize] {
        self.workloads_by_sa.get(&(ns, sa)).map_or(&[], Vec::as_slice)
    }

    /// SPIFFE ID of a service account.
    pub fn spiffe_id(&self, ns: &str, sa: &str) -> String {
        format!("spiffe://{}/ns/{ns}/sa/{sa}", self.trust_domain)
    }
}

/// A `--namespace` or `--kube-namespace` value, as clap parses it: a valid namespace name.
pub(crate) fn parse_namespace(text: &str) -> Result<String, String> {
    if is_namespace_name(text) {
        Ok(text.to_owned())
    } else {
        Err("not a Kubernetes namespace name (1 to 63 lowercase letters, digits and `-`, starting and ending \
with a letter or digit)"
            .to_owned())
    }
}

/// True for a valid namespace name: an RFC 1123 label (1 to 63 lowercase ASCII letters, digits
/// and `-`, starting and ending with a letter or digit).
pub fn is_namespace_name(name: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes.iter().all(|&c| alnum(c) || c == b'-')
        && alnum(bytes[0])
        && alnum(bytes[bytes.len() - 1])
}

/// Decides whether a workload has a sidecar, following Istio's and Linkerd's injection rules.
fn decide_mesh(w: &Workload, ns_labels: &StringMap, ns_annotations: &StringMap) -> (Mesh, String) {
    let pod = &w.pod;
    let containers: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
    if containers.contains(&"istio-proxy") {
        return (Mesh::Istio, "has an istio-proxy container".to_owned());
    }
    if containers.contains(&"linkerd-proxy") {
        return (Mesh::Linkerd, "has a linkerd-proxy container".to_owned());
    }
    if pod.host_network {
        return (Mesh::None, "uses hostNetwork, which sidecars do not intercept".to_owned());
    }
    // Istio: any "false"/"disabled" wins, then any "true"/"enabled" (pod label, legacy pod
    // annotation, revision label on pod or namespace, namespace istio-injection label).
    let pod_inject =
        pod.labels.get("sidecar.istio.io/inject").or_else(|| pod.annotations.get("sidecar.istio.io/inject"));
    let ns_injection = ns_labels.get("istio-injection");
    let istio = if pod_inject.is_some_and(|v| v == "false") || ns_injection.is_some_and(|v| v == "disabled") {
        None
    } else if pod_inject.is_some_and(|v| v == "true") {
        Some("pod label sidecar.istio.io/inject=true")
    } else if pod.labels.contains_key("istio.io/rev") {
        Some("pod label istio.io/rev")
    } else if ns_injection.is_some_and(|v| v == "enabled") {
        Some("namespace label istio-injection=enabled")
    } else if ns_labels.contains_key("istio.io/rev") {
        Some("namespace label istio.io/rev")
    } else {
        None
    };
    if let Some(why) = istio {
        return (Mesh::Istio, format!("Istio sidecar injected ({why})"));
    }
    let linkerd = match pod.annotations.get("linkerd.io/inject").map(String::as_str) {
        Some("enabled" | "ingress") => Some("pod annotation linkerd.io/inject"),
        Some(_) => None,
        None => match ns_annotations.get("linkerd.io/inject").map(String::as_str) {
            Some("enabled" | "ingress") => Some("namespace annotation linkerd.io/inject"),
            _ => None,
        },
    };
    if let Some(why) = linkerd {
        return (Mesh::Linkerd, format!("Linkerd proxy injected ({why})"));
    }
    (Mesh::None, "not in an injected namespace and not annotated for injection".to_owned())
}

/// Secret keys that are public material: certificates and CA bundles (`tls.crt`, `ca.crt`,
/// `*.pem` certificates, `*.pub`) and a token Secret's `namespace`. Mounting only these shares no
/// secret with the holders of the private key or token kept beside them.
pub fn public_key_material(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [".crt", ".cer", ".cert", ".pub", "cert.pem", "ca.pem", "ca-bundle.pem", "ca_bundle.pem"]
        .iter()
        .any(|s| k.ends_with(s))
        || matches!(
            k.as_str(),
            "namespace" | "ca-bundle" | "cabundle" | "ca_bundle" | "ca" | "cert" | "certificate"
        )
}

fn collect_references<'a>(view: &mut WorkloadView<'a>, secrets: &HashMap<(&'a str, &'a str), &'a Secret>) {
    let pod = &view.w.pod;
    // Keys loaded from each Secret: `None` is every key.
    let mut keys: BTreeMap<&'a str, Option<BTreeSet<&'a str>>> = BTreeMap::new();
    let mut load = |name: &'a str, some: Option<&'a [String]>| {
        let entry = keys.entry(name).or_insert_with(|| Some(BTreeSet::new()));
        match (entry.as_mut(), some) {
            (Some(set), Some(list)) => set.extend(list.iter().map(String::as_str)),
            (_, None) => *entry = None,
            (None, Some(_)) => {}
        }
    };
    for c in &pod.containers {
        for e in &c.env {
            match &e.value {
                EnvValue::SecretKey { secret, key } => load(secret.as_str(), Some(std::slice::from_ref(key))),
                EnvValue::ConfigMapKey { config_map, .. } => {
                    view.config_maps.insert(config_map.as_str());
                }
                _ => {}
            }
        }
        for e in &c.env_from {
            match e {
                EnvFrom::Secret { name, .. } => load(name.as_str(), None),
                EnvFrom::ConfigMap { name, .. } => {
                    view.config_maps.insert(name.as_str());
                }
            }
        }
    }
    for v in &pod.volumes {
        match &v.kind {
            VolumeKind::Secret { name, items } => load(name.as_str(), items.as_deref()),
            VolumeKind::ConfigMap(name) => {
                view.config_maps.insert(name.as_str());
            }
            VolumeKind::Projected(sources) => {
                let mut tokens = 0;
                for s in sources {
                    match s {
                        ProjectedSource::Secret { name, items } => load(name.as_str(), items.as_deref()),
                        ProjectedSource::ConfigMap(name) => {
                            view.config_maps.insert(name.as_str());
                        }
                        ProjectedSource::ServiceAccountToken { expiration_seconds, line, .. } => {
                            view.projected_tokens.push(ProjectedToken {
                                expiration_seconds: *expiration_seconds,
                                line: *line,
                                key: format!("{}#{tokens}", v.name),
                            });
                            tokens += 1;
                        }
                        ProjectedSource::Other => {}
                    }
                }
            }
            _ => {}
        }
    }
    keys.remove("");
    for (name, loaded) in keys {
        let loaded = match loaded {
            Some(set) => {
                let secret: BTreeSet<&str> = set.into_iter().filter(|k| !public_key_material(k)).collect();
                if secret.is_empty() {
                    continue;
                }
                Some(secret)
            }
            // Every key: nothing secret only when the input shows the Secret's keys and all are public.
            None => {
                if let Some(s) = secrets.get(&(view.ns, name))
                    && !s.entries.is_empty()
                    && s.entries.iter().all(|e| public_key_material(&e.key))
                {
                    continue;
                }
                None
            }
        };
        view.secrets.insert(name);
        view.secret_keys.insert(name, loaded);
    }
    view.config_maps.remove("");
}
