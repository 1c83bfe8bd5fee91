//! Inventory → identity graph → auth paths. The rules then read the [`Analysis`].

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;
use ztpath_probes::{Inventory, Source};
use ztpath_reports::{AuthPath, Hop, IdentityState};

use crate::discover::calls::{Calls, CredentialOrigin, Role, Target};
use crate::graph::{AuthGraph, EdgeKind, GEdge, NodeKind};
use crate::paths::{self, ClientSide};
use crate::resolve::estate::Estate;
use crate::resolve::mesh::{Admission, Inbound, MeshIndex, normalize_host};
use crate::resolve::rbac::{Capability, Rbac, Scope, capabilities};

/// Settings of an analysis.
#[derive(Clone, Debug)]
pub struct Options {
    /// Blast-radius score above which ZT009 fires.
    pub blast_radius_threshold: u64,
    /// Projected token lifetime (seconds) above which ZT006 fires.
    pub max_token_seconds: i64,
    /// Put the graph (nodes, edges) and the auth paths in the Report. The table view shows
    /// neither, so the CLI leaves them out for it; JSON and DOT carry them.
    pub graph_in_report: bool,
    /// Today, as days since 1970-01-01 (UTC): the reference for key ages. Set it (`--now`) for
    /// reproducible reports.
    pub today: i64,
    /// Access-key age in days above which ZT202 fires.
    pub max_key_age_days: i64,
    /// Days without use after which ZT203 fires for an active access key.
    pub max_key_unused_days: i64,
    /// Do not free the inventory and the analysis when done: for a process that exits right
    /// after reporting (the CLI). Library users keep the default, `false`.
    pub skip_teardown: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            blast_radius_threshold: 30,
            max_token_seconds: 86_400,
            graph_in_report: true,
            today: crate::dates::today(),
            max_key_age_days: 90,
            max_key_unused_days: 90,
            skip_teardown: false,
        }
    }
}

/// Per-workload inbound verdict (serving workloads only).
pub struct WorkloadInbound {
    pub inbound: Inbound,
    pub port: Option<u32>,
    /// NetworkPolicies isolating its ingress, with whether they still admit any source.
    pub network_policies: Vec<Source>,
    pub zone: Option<String>,
}

/// Everything the rules read.
pub struct Analysis<'a> {
    pub estate: Estate<'a>,
    pub mesh: MeshIndex<'a>,
    pub rbac: Rbac<'a>,
    /// Service accounts that bindings name in a namespace the input does not declare, while
    /// workloads without a namespace run as accounts of those names.
    pub unplaced: crate::resolve::placement::Unplaced,
    /// AWS IAM: principals, capabilities, trust and the ways into each role.
    pub aws: crate::resolve::aws::AwsModel<'a>,
    pub calls: Calls,
    pub graph: AuthGraph,
    pub inbound: Vec<Option<WorkloadInbound>>,
    pub paths: Vec<AuthPath>,
    path_index: HashMap<String, usize>,
    /// Paths ending at each workload (by workload index).
    pub paths_into: Vec<Vec<usize>>,
    /// Credentials ranked by blast radius.
    pub blast: Vec<ztpath_reports::BlastRadius>,
    /// Paths through proxies and load balancers, with the facts the proxy rules read.
    pub proxy_paths: Vec<crate::paths::proxies::ProxyPath>,
    /// The proxies each workload runs (by workload index), as the proxy paths joined them.
    pub proxies_run_by: HashMap<usize, Vec<usize>>,
    pub options: Options,
}

impl<'a> Analysis<'a> {
    pub fn new(inv: &'a Inventory, options: Options) -> Analysis<'a> {
        let mut clock = crate::timings::Laps::new("analyse");
        let estate = Estate::new(inv);
        clock.lap("estate");
        let mesh = MeshIndex::new(&estate);
        let rbac = Rbac::new(inv);
        let unplaced = crate::resolve::placement::Unplaced::find(&estate, &rbac);
        let aws = crate::resolve::aws::AwsModel::new(&estate);
        clock.lap("mesh+rbac");
        let calls = Calls::discover(&estate);
        clock.lap("calls");
        let mut a = Analysis {
            inbound: Vec::new(),
            paths: Vec::new(),
            path_index: HashMap::default(),
            paths_into: vec![Vec::new(); estate.workloads.len()],
            blast: Vec::new(),
            proxy_paths: Vec::new(),
            proxies_run_by: HashMap::default(),
            graph: AuthGraph::default(),
            estate,
            mesh,
            rbac,
            unplaced,
            aws,
            calls,
            options,
        };
        a.build_graph();
        clock.lap("graph");
        a.build_paths();
        crate::paths::proxies::add_proxy_paths(&mut a);
        clock.lap("paths");
        a.blast = crate::blast::blast_radius(&a);
        clock.lap("blast");
        a
    }

    pub fn path(&self, id: &str) -> Option<&AuthPath> {
        self.path_index.get(id).map(|&i| &self.paths[i])
    }

    /// Adds a path (or returns the one with the same id) and indexes it; returns its position.
    pub fn add_path(&mut self, path: AuthPath) -> usize {
        if let Some(&i) = self.path_index.get(&path.id) {
            return i;
        }
        let i = self.paths.len();
        if let Some(&wi) = self.estate.workload_index.get(&path.to) {
            self.paths_into[wi].push(i);
        }
        self.path_index.insert(path.id.clone(), i);
        self.paths.push(path);
        i
    }

    /// Position of a path in `paths`.
    pub fn path_position(&self, id: &str) -> Option<usize> {
        self.path_index.get(id).copied()
    }

    fn build_graph(&mut self) {
        let est = &self.estate;
        let g = &mut self.graph;
        let inv = est.inv;

        // Permission scopes exist for every namespace, even one whose Secrets the input omits: a
        // cluster-wide Secret reader is dangerous whether or not the Secrets are in the files.
        // A cluster-wide grant is one edge to the cluster scope, which contains the namespaces'.
        for (scope, what) in
            [("secrets", "all Secrets"), ("pods", "all pods"), ("identities", "all service accounts")]
        {
            let all =
                g.node(format!("scope:{scope}/*"), NodeKind::Scope, &format!("{what} in the cluster"), None);
            for ns in &est.namespace_names {
                let n = g.node(
                    format!("scope:{scope}/{ns}"),
                    NodeKind::Scope,
                    &format!("{what} in {ns}"),
                    Some(ns),
                );
                g.edge(all, n, GEdge::new(EdgeKind::Contains, format!("includes namespace {ns}")));
            }
        }

        // Identities and the credentials that become them.
        for sa in &inv.service_accounts {
            let ns = sa.meta.ns();
            let n = g.node(sa_id(ns, &sa.meta.name), NodeKind::ServiceAccount, &sa.meta.name, Some(ns));
            g.set_attr(n, "spiffe", est.spiffe_id(ns, &sa.meta.name));
        }
        for s in &inv.secrets {
            let ns = s.meta.ns();
            let n = g.node(secret_id(ns, &s.meta.name), NodeKind::Credential, &s.meta.name, Some(ns));
            g.set_attr(n, "type", s.secret_type.clone());
            if s.secret_type == "kubernetes.io/service-account-token"
                && let Some(sa) = s.meta.annotations.get("kubernetes.io/service-account.name")
            {
                let san = g.node(sa_id(ns, sa), NodeKind::ServiceAccount, sa, Some(ns));
                g.edge(
                    n,
                    san,
                    GEdge::new(
                        EdgeKind::AuthenticatesAs,
                        format!("is a non-expiring token of service account {ns}/{sa}"),
                    ),
                );
            }
            // Every Secret is readable by whoever can read Secrets in its namespace.
            let scope = g.node(
                format!("scope:secrets/{ns}"),
                NodeKind::Scope,
                &format!("all Secrets in {ns}"),
                Some(ns),
            );
            g.edge(scope, n, GEdge::new(EdgeKind::Contains, format!("holds Secret {ns}/{}", s.meta.name)));
        }

        for w in &est.workloads {
            let wn = g.node(w.id.clone(), NodeKind::Workload, w.name(), Some(w.ns));
            g.set_attr(wn, "kind", w.kind().to_owned());
            g.set_attr(wn, "mesh", w.mesh.as_str().to_owned());
            let san = g.node(sa_id(w.ns, &w.sa), NodeKind::ServiceAccount, &w.sa, Some(w.ns));
            g.set_attr(san, "spiffe", est.spiffe_id(w.ns, &w.sa));
            g.edge(
                wn,
                san,
                GEdge::new(EdgeKind::RunsAs, format!("runs as service account {}/{}", w.ns, w.sa)),
            );
            g.edge(san, wn, GEdge::new(EdgeKind::ActsAs, format!("is the identity of {}", w.display())));
            if w.token_mounted || !w.projected_tokens.is_empty() {
                let tn = g.node(
                    format!("token:{}/{}", w.ns, w.sa),
                    NodeKind::Credential,
                    &format!("{} token", w.sa),
                    Some(w.ns),
                );
                g.set_attr(tn, "type", "service-account-token (mounted)".to_owned());
                g.edge(
                    wn,
                    tn,
                    GEdge::new(EdgeKind::UsesCredential, format!("mounts the token of {}/{}", w.ns, w.sa)),
                );
                g.edge(
                    tn,
                    san,
                    GEdge::new(EdgeKind::AuthenticatesAs, format!("authenticates as {}/{}", w.ns, w.sa)),
                );
            }
            for secret in &w.secrets {
                let cn = g.node(secret_id(w.ns, secret), NodeKind::Credential, secret, Some(w.ns));
                g.edge(
                    wn,
                    cn,
                    GEdge::new(EdgeKind::UsesCredential, format!("loads Secret {}/{secret}", w.ns)),
                );
            }
            let pods = g.node(
                format!("scope:pods/{}", w.ns),
                NodeKind::Scope,
                &format!("all pods in {}", w.ns),
                Some(w.ns),
            );
            g.edge(pods, wn, GEdge::new(EdgeKind::Contains, format!("runs {}", w.display())));
            let ids = g.node(
                format!("scope:identities/{}", w.ns),
                NodeKind::Scope,
                &format!("all service accounts in {}", w.ns),
                Some(w.ns),
            );
            g.edge(
                ids,
                san,
                GEdge::new(EdgeKind::Contains, format!("includes service account {}/{}", w.ns, w.sa)),
            );
        }
        // AWS IAM: principals, keys, what they can do and who becomes which role.
        crate::graph::aws::add(g, &self.aws);
        for sa in &inv.service_accounts {
            let ns = sa.meta.ns();
            let ids = g.node(
                format!("scope:identities/{ns}"),
                NodeKind::Scope,
                &format!("all service accounts in {ns}"),
                Some(ns),
            );
            let san = g.node(sa_id(ns, &sa.meta.name), NodeKind::ServiceAccount, &sa.meta.name, Some(ns));
            g.edge(
                ids,
                san,
                GEdge::new(EdgeKind::Contains, format!("includes service account {ns}/{}", sa.meta.name)),
            );
        }

        for (si, s) in est.services.iter().enumerate() {
            let ns = s.meta.ns();
            let sn = g.node(service_id(ns, &s.meta.name), NodeKind::Service, &s.meta.name, Some(ns));
            g.set_attr(sn, "type", s.service_type.clone());
            for &wi in &est.service_workloads[si] {
                let wn = g.get(&est.workloads[wi].id).expect("workload node");
                g.edge(sn, wn, GEdge::new(EdgeKind::Selects, "selects"));
            }
        }

        // Literal credentials a workload carries.
        for c in &self.calls.credentials {
            let w = &est.workloads[c.workload];
            let wn = g.get(&w.id).expect("workload node");
            let cn = match &c.origin {
                CredentialOrigin::SecretKey { secret, .. }
                | CredentialOrigin::SecretUnknownKeys { secret } => {
                    g.node(secret_id(w.ns, secret), NodeKind::Credential, secret, Some(w.ns))
                }
                CredentialOrigin::Literal { fingerprint, .. }
                | CredentialOrigin::UrlPassword { fingerprint } => {
                    let n =
                        g.node(literal_id(&w.display(), &c.name), NodeKind::Credential, &c.name, Some(w.ns));
                    g.set_attr(n, "type", "literal in manifest".to_owned());
                    g.set_attr(n, "fingerprint", fingerprint.clone());
                    g.edge(
                        wn,
                        n,
                        GEdge::new(EdgeKind::UsesCredential, format!("carries {} in its manifest", c.name)),
                    );
                    n
                }
            };
            if let Some(t) = &c.target {
                let tn = target_node(g, est, t);
                g.edge(
                    cn,
                    tn,
                    GEdge::new(
                        EdgeKind::Unlocks,
                        format!("authenticates {} to {}", c.name, g.node_data(tn).id),
                    ),
                );
            }
            // A server's own secret unlocks the server for whoever holds it.
            if let Role::Accepts { .. } = c.role {
                g.edge(
                    cn,
                    wn,
                    GEdge::new(EdgeKind::Unlocks, format!("is accepted by {} as {}", w.display(), c.name)),
                );
            }
        }
        // A caller holding a server's secret, when the server has no Service to name: its
        // credential unlocks the server itself.
        for c in &self.calls.credentials {
            let Role::Accepts { holders, .. } = &c.role else { continue };
            let server = &est.workloads[c.workload];
            let sn = g.get(&server.id).expect("workload node");
            for h in holders {
                let hc = &self.calls.credentials[h.credential];
                if hc.target.is_some() {
                    continue;
                }
                if let Some(hn) = g.get(&credential_node_id(est, hc)) {
                    g.edge(
                        hn,
                        sn,
                        GEdge::new(EdgeKind::Unlocks, format!("authenticates {} to {}", hc.name, server.id)),
                    );
                }
            }
        }

        // RBAC: bound roles, and dangerous capabilities as edges to scope nodes.
        let mut sa_keys: BTreeSet<(String, String)> = BTreeSet::new();
        for (_, n) in g.nodes() {
            if n.kind == NodeKind::ServiceAccount {
                sa_keys.insert((n.namespace.clone().unwrap_or_default(), n.name.clone()));
            }
        }
        for (ns, sa) in &sa_keys {
            let san = g.get(&sa_id(ns, sa)).expect("sa node");
            add_grant_edges(g, san, self.rbac.grants_of(ns, sa));
        }
        // AWS principals mapped into the cluster by the aws-auth ConfigMap: their Kubernetes
        // user and groups get the same edges as a service account.
        crate::graph::aws::add_kubernetes_mappings(g, &self.aws, &self.rbac);
    }

    fn build_paths(&mut self) {
        let est = &self.estate;
        let mesh = &self.mesh;
        let mut paths: BTreeMap<String, AuthPath> = BTreeMap::new();

        // Inbound verdicts and zone hops: pure per workload, so computed in parallel.
        let zones: Vec<Option<ZoneResult>> = est
            .workloads
            .par_iter()
            .map(|w| {
                if !w.serving() {
                    return None;
                }
                let (verdict, port) = paths::weakest_inbound(mesh, est, w);
                let (zone, zone_label, policies) = network_zone(est, w);
                let mut entry =
                    WorkloadInbound { inbound: verdict, port, network_policies: policies, zone: None };
                let hop = zone.filter(|_| entry.inbound.admission != Admission::Nobody).map(|zone| {
                    let hop = paths::zone_hop(&zone, w, &entry.inbound, port, &zone_label);
                    entry.zone = Some(zone);
                    (zone_label, hop)
                });
                Some((entry, hop))
            })
            .collect();

        // Call hops, also pure per call.
        let mut creds_by_workload: HashMap<usize, Vec<usize>> = HashMap::default();
        for (ci, c) in self.calls.credentials.iter().enumerate() {
            creds_by_workload.entry(c.workload).or_default().push(ci);
        }
        let calls = &self.calls;
        // The inbound verdict of each call target, once per (workload, port) however many
        // workloads call it.
        let mut targets: Vec<(usize, Option<u32>)> = calls
            .calls
            .par_iter()
            .flat_map_iter(|call| match &call.target {
                Target::Service(si) => service_targets(est, call, *si).1,
                Target::External(_) => Vec::new(),
            })
            .collect();
        targets.par_sort_unstable();
        targets.dedup();
        let mut inbound_of: HashMap<(usize, Option<u32>), Inbound> = targets
            .into_par_iter()
            .map(|(ti, port)| ((ti, port), mesh.inbound(est, &est.workloads[ti], port)))
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        let call_hops: Vec<Vec<(Hop, EdgeKind, String)>> = calls
            .calls
            .par_iter()
            .map(|call| {
                let caller = &est.workloads[call.caller];
                let credential = creds_by_workload
                    .get(&call.caller)
                    .into_iter()
                    .flatten()
                    .map(|&ci| &calls.credentials[ci])
                    .find(|c| c.target.as_ref() == Some(&call.target))
                    .map(|c| (c.name.clone(), c.source.clone()));
                match &call.target {
                    Target::Service(si) => {
                        call_hops_to_service(est, mesh, &inbound_of, call, *si, credential)
                    }
                    Target::External(host) => vec![(
                        external_hop(caller, host, call, credential),
                        EdgeKind::CallsExternal,
                        format!("calls {host}"),
                    )],
                }
            })
            .collect();

        // Apply to the graph in input order (deterministic).
        let mut inbound = Vec::with_capacity(zones.len());
        for (w, z) in est.workloads.iter().zip(zones) {
            let Some((entry, hop)) = z else {
                inbound.push(None);
                continue;
            };
            if let Some((label, hop)) = hop {
                let zn = self.graph.node(hop.from.clone(), NodeKind::Zone, &label, None);
                let wn = self.graph.get(&w.id).expect("workload node");
                let e = self.graph.edge(zn, wn, GEdge::new(EdgeKind::Reaches, label));
                let ed = self.graph.edge_data_mut(e);
                ed.auth = Some(hop.auth);
                ed.identity = Some(hop.identity);
                insert_path(&mut paths, hop);
            }
            inbound.push(Some(entry));
        }
        // Callers that authorization policies name: the policy says they are meant to call.
        let est = &self.estate;
        let named: Vec<(usize, usize, String, Source)> = policy_callers(est)
            .into_iter()
            .filter(|(c, t, ..)| {
                !paths.contains_key(&format!("path:{}->{}", est.workloads[*c].id, est.workloads[*t].id))
            })
            .collect();
        let mut missing: Vec<usize> =
            named.iter().map(|n| n.1).filter(|&t| !inbound_of.contains_key(&(t, None))).collect();
        missing.sort_unstable();
        missing.dedup();
        let computed: Vec<_> = missing
            .into_par_iter()
            .map(|t| ((t, None), self.mesh.inbound(est, &est.workloads[t], None)))
            .collect();
        inbound_of.extend(computed);
        let named: Vec<(Hop, EdgeKind, String)> = named
            .into_par_iter()
            .map(|(c, t, via, src)| {
                let (caller, target) = (&est.workloads[c], &est.workloads[t]);
                let client = ClientSide { tls: None };
                let hop = paths::call_hop(caller, target, via, &inbound_of[&(t, None)], &client, None, &src);
                (hop, EdgeKind::Calls, format!("calls {}", target.display()))
            })
            .collect();
        // Callers holding the secret a server accepts: a static-secret hop into the server when
        // no call of theirs reaches it already.
        let mut holder_hops: Vec<(Hop, EdgeKind, String)> = Vec::new();
        let mut holder_seen: BTreeSet<String> = BTreeSet::new();
        // The (caller, target) pairs the calls and the policies already produce, looked up once
        // per holder instead of scanning every hop.
        let produced: rustc_hash::FxHashSet<(&str, &str)> = call_hops
            .iter()
            .flatten()
            .chain(&named)
            .map(|(hop, ..)| (hop.from.as_str(), hop.to.as_str()))
            .collect();
        let mut server_inbound: HashMap<usize, Inbound> = HashMap::default();
        for c in &self.calls.credentials {
            let Role::Accepts { holders, .. } = &c.role else { continue };
            let server = &est.workloads[c.workload];
            for h in holders {
                let caller = &est.workloads[h.workload];
                let id = format!("path:{}->{}", caller.id, server.id);
                if paths.contains_key(&id)
                    || produced.contains(&(caller.id.as_str(), server.id.as_str()))
                    || !holder_seen.insert(id)
                {
                    continue;
                }
                let hc = &self.calls.credentials[h.credential];
                let inb =
                    server_inbound.entry(c.workload).or_insert_with(|| self.mesh.inbound(est, server, None));
                let via = format!(
                    "holds `{}`, which {} accepts as `{}` ({})",
                    hc.name,
                    server.display(),
                    c.name,
                    h.how.describe()
                );
                let hop = paths::call_hop(
                    caller,
                    server,
                    via,
                    inb,
                    &ClientSide { tls: None },
                    Some((hc.name.clone(), hc.source.clone())),
                    &hc.source,
                );
                holder_hops.push((hop, EdgeKind::Calls, format!("calls {}", server.display())));
            }
        }
        for (hop, kind, label) in call_hops.into_iter().flatten().chain(named).chain(holder_hops) {
            let cn = self.graph.get(&hop.from).expect("caller");
            let tn = match kind {
                EdgeKind::CallsExternal => {
                    let host = hop.to.trim_start_matches("external:").to_owned();
                    self.graph.node(hop.to.clone(), NodeKind::External, &host, None)
                }
                _ => self.graph.get(&hop.to).expect("target"),
            };
            let e = self.graph.edge(cn, tn, GEdge::new(kind, label));
            let ed = self.graph.edge_data_mut(e);
            ed.auth = Some(hop.auth);
            ed.identity = Some(hop.identity);
            insert_path(&mut paths, hop);
        }
        let est = &self.estate;

        let workload_index: HashMap<&str, usize> =
            est.workloads.iter().enumerate().map(|(i, w)| (w.id.as_str(), i)).collect();
        for (i, (id, p)) in paths.into_iter().enumerate() {
            if let Some(&wi) = workload_index.get(p.to.as_str()) {
                self.paths_into[wi].push(i);
            }
            self.path_index.insert(id, i);
            self.paths.push(p);
        }
        self.inbound = inbound;
    }
}

/// The Service port a call to a Service uses, and the workloads it reaches with the port each
/// listens on (the caller itself left out).
fn service_targets<'e>(
    est: &'e Estate<'_>,
    call: &crate::discover::calls::Call,
    si: usize,
) -> (Option<&'e ztpath_probes::ServicePort>, Vec<(usize, Option<u32>)>) {
    let svc = est.services[si];
    let service_port =
        call.port.and_then(|p| svc.ports.iter().find(|sp| sp.port == p)).or_else(|| svc.ports.first());
    let targets = est.service_workloads[si]
        .iter()
        .filter(|&&ti| ti != call.caller)
        .map(|&ti| {
            let port =
                service_port.and_then(|sp| paths::resolve_target_port(&est.workloads[ti], &sp.target_port));
            (ti, port)
        })
        .collect();
    (service_port, targets)
}

/// Hops of one call to a Service: one per workload the Service selects.
fn call_hops_to_service(
    est: &Estate<'_>,
    mesh: &MeshIndex<'_>,
    inbound_of: &HashMap<(usize, Option<u32>), Inbound>,
    call: &crate::discover::calls::Call,
    si: usize,
    credential: Option<(String, Source)>,
) -> Vec<(Hop, EdgeKind, String)> {
    let caller = &est.workloads[call.caller];
    let svc = est.services[si];
    let fqdn = normalize_host(&svc.meta.name, svc.meta.ns());
    let client = ClientSide {
        tls: (caller.mesh == crate::resolve::estate::Mesh::Istio)
            .then(|| mesh.client_tls(&fqdn, caller.ns, &est.istio_root))
            .flatten(),
    };
    let (service_port, targets) = service_targets(est, call, si);
    let mut out = Vec::new();
    for (ti, port) in targets {
        let target = &est.workloads[ti];
        let inb = &inbound_of[&(ti, port)];
        let via = match service_port {
            Some(sp) => format!("service {}/{}:{} (via {})", svc.meta.ns(), svc.meta.name, sp.port, call.via),
            None => format!("service {}/{} (via {})", svc.meta.ns(), svc.meta.name, call.via),
        };
        let hop = paths::call_hop(caller, target, via, inb, &client, credential.clone(), &call.source);
        out.push((hop, EdgeKind::Calls, format!("calls {}", target.display())));
    }
    out
}

/// The hop of a call to a host outside the estate.
fn external_hop(
    caller: &crate::resolve::estate::WorkloadView<'_>,
    host: &str,
    call: &crate::discover::calls::Call,
    credential: Option<(String, Source)>,
) -> Hop {
    let (auth, identity, detail) = match &credential {
        Some((name, _)) => (
            ztpath_reports::AuthMethod::StaticSecret,
            IdentityState::Lost,
            format!(
                "{} authenticates to {host} with the static credential {name}, not a workload identity",
                caller.display()
            ),
        ),
        None => (
            ztpath_reports::AuthMethod::Unknown,
            IdentityState::Unknown,
            format!(
                "{} calls {host}; how it authenticates is not in the configuration read",
                caller.display()
            ),
        ),
    };
    let mut sources = vec![call.source.clone()];
    sources.extend(credential.into_iter().map(|(_, s)| s));
    Hop {
        from: caller.id.clone(),
        to: format!("external:{host}"),
        via: Some(call.via.clone()),
        auth,
        identity,
        detail,
        evidence: paths::evidence(&sources),
        origin: ztpath_reports::VerdictOrigin::Receiver,
    }
}

/// (caller, target) pairs named by authorization policies: Istio ALLOW rules' `principals`
/// (`<td>/ns/<ns>/sa/<sa>`) and `serviceAccounts` (`<ns>/<sa>`), Linkerd MeshTLSAuthentication
/// identities and identityRefs and ServerAuthorization service accounts, each with the policy as
/// evidence. Wildcards name no one in particular and are skipped.
fn policy_callers(est: &Estate<'_>) -> Vec<(usize, usize, String, Source)> {
    let inv = est.inv;
    let mut out = Vec::new();
    let sa_of_principal = |p: &str| -> Option<(String, String)> {
        let p = p.strip_prefix("spiffe://").unwrap_or(p);
        let parts: Vec<&str> = p.split('/').collect();
        match parts.as_slice() {
            [_, "ns", ns, "sa", sa] if !ns.contains('*') && !sa.contains('*') => {
                Some(((*ns).to_owned(), (*sa).to_owned()))
            }
            _ => None,
        }
    };
    let mut push = |callers: &[(String, String)], targets: &[usize], via: String, src: &Source| {
        for (ns, sa) in callers {
            for &c in est.workloads_of_sa(ns, sa) {
                for &t in targets {
                    if c != t {
                        out.push((c, t, via.clone(), src.clone()));
                    }
                }
            }
        }
    };
    for p in &inv.istio.authorization_policies {
        if p.action != ztpath_probes::AuthzAction::Allow {
            continue;
        }
        let targets = est.istio_policy_targets(p);
        if targets.is_empty() {
            continue;
        }
        for rule in p.rules.iter().flatten() {
            let mut callers = Vec::new();
            for src in &rule.from {
                callers.extend(src.principals.iter().filter_map(|pr| sa_of_principal(pr)));
                callers.extend(src.service_accounts.iter().filter_map(|s| {
                    s.split_once('/')
                        .filter(|(ns, sa)| !ns.contains('*') && !sa.contains('*'))
                        .map(|(ns, sa)| (ns.to_owned(), sa.to_owned()))
                }));
            }
            let via = format!("named by AuthorizationPolicy {}/{}", p.meta.ns(), p.meta.name);
            push(&callers, &targets, via, &p.meta.source.at(rule.line.max(p.meta.source.line)));
        }
    }
    // Linkerd: identities are `<sa>.<ns>.serviceaccount.identity.linkerd.<td>`.
    let sa_of_identity = |id: &str| -> Option<(String, String)> {
        let mut parts = id.split('.');
        let (sa, ns, kind) = (parts.next()?, parts.next()?, parts.next()?);
        (kind == "serviceaccount" && !sa.contains('*') && !ns.contains('*'))
            .then(|| (ns.to_owned(), sa.to_owned()))
    };
    let server_targets = |ns: &str, name: &str| -> Vec<usize> {
        inv.linkerd
            .servers
            .iter()
            .filter(|s| s.meta.ns() == ns && s.meta.name == name)
            .flat_map(|s| {
                est.workloads_in(ns)
                    .iter()
                    .copied()
                    .filter(|&wi| {
                        s.pod_selector
                            .as_ref()
                            .is_some_and(|sel| sel.matches(&est.workloads[wi].w.pod.labels))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    for p in &inv.linkerd.authorization_policies {
        if p.target.kind != "Server" {
            continue;
        }
        let targets = server_targets(p.meta.ns(), &p.target.name);
        let mut callers = Vec::new();
        for r in &p.required_authentications {
            let ns = r.namespace.as_deref().unwrap_or(p.meta.ns());
            match r.kind.as_str() {
                "MeshTLSAuthentication" => {
                    if let Some(m) = inv.linkerd.mesh_tls_authentication(ns, &r.name) {
                        callers.extend(m.identities.iter().filter_map(|i| sa_of_identity(i)));
                        callers.extend(m.identity_refs.iter().filter(|i| i.kind == "ServiceAccount").map(
                            |i| {
                                (
                                    i.namespace.clone().unwrap_or_else(|| m.meta.ns().to_owned()),
                                    i.name.clone(),
                                )
                            },
                        ));
                    }
                }
                "ServiceAccount" => callers.push((ns.to_owned(), r.name.clone())),
                _ => {}
            }
        }
        let via = format!("named by AuthorizationPolicy {}/{}", p.meta.ns(), p.meta.name);
        push(&callers, &targets, via, &p.meta.source);
    }
    for a in &inv.linkerd.server_authorizations {
        let Some(server) = &a.server_name else { continue };
        let targets = server_targets(a.meta.ns(), server);
        let mut callers: Vec<(String, String)> =
            a.identities.iter().filter_map(|i| sa_of_identity(i)).collect();
        callers.extend(
            a.service_accounts
                .iter()
                .map(|(ns, sa)| (ns.clone().unwrap_or_else(|| a.meta.ns().to_owned()), sa.clone())),
        );
        let via = format!("named by ServerAuthorization {}/{}", a.meta.ns(), a.meta.name);
        push(&callers, &targets, via, &a.meta.source.at(a.client_line.max(a.meta.source.line)));
    }
    out.sort_by_key(|x| (x.0, x.1));
    out.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
    out
}

/// A serving workload's inbound verdict and, when some zone reaches it, the zone's label and hop.
type ZoneResult = (WorkloadInbound, Option<(String, Hop)>);

fn insert_path(paths: &mut BTreeMap<String, AuthPath>, hop: Hop) {
    let id = format!("path:{}->{}", hop.from, hop.to);
    paths.entry(id.clone()).or_insert_with(|| AuthPath {
        id,
        from: hop.from.clone(),
        to: hop.to.clone(),
        auth: Some(hop.auth),
        identity: Some(hop.identity),
        hops: vec![hop],
        findings: Vec::new(),
    });
}

/// Which network zone can reach a workload: every address (no ingress isolation), the sources a
/// NetworkPolicy admits, or none (isolated with no ingress rule).
fn network_zone(
    est: &Estate<'_>,
    w: &crate::resolve::estate::WorkloadView<'_>,
) -> (Option<String>, String, Vec<Source>) {
    let policies: Vec<_> = est
        .network_policies_in(w.ns)
        .iter()
        .filter(|p| p.policy_types.iter().any(|t| t == "Ingress") && p.pod_selector.matches(&w.w.pod.labels))
        .collect();
    if w.w.pod.host_network || policies.is_empty() {
        return (
            Some("zone:cluster".to_owned()),
            "any pod or address that can reach the cluster network".to_owned(),
            Vec::new(),
        );
    }
    let sources: Vec<Source> = policies.iter().map(|p| p.meta.source.clone()).collect();
    let rules: Vec<_> = policies.iter().flat_map(|p| p.ingress.iter().map(move |r| (p, r))).collect();
    if rules.is_empty() {
        return (None, String::new(), sources);
    }
    if rules.iter().any(|(_, r)| r.peers.is_empty()) {
        return (
            Some("zone:cluster".to_owned()),
            "any source (a NetworkPolicy ingress rule has no `from`)".to_owned(),
            sources,
        );
    }
    let names: Vec<String> = policies.iter().map(|p| format!("{}/{}", p.meta.ns(), p.meta.name)).collect();
    let id = format!("zone:netpol/{}", names.join("+"));
    (Some(id), format!("sources admitted by NetworkPolicy {}", names.join(", ")), sources)
}

fn target_node(g: &mut AuthGraph, est: &Estate<'_>, t: &Target) -> petgraph::graph::NodeIndex {
    match t {
        Target::Service(si) => {
            let s = est.services[*si];
            g.node(service_id(s.meta.ns(), &s.meta.name), NodeKind::Service, &s.meta.name, Some(s.meta.ns()))
        }
        Target::External(host) => g.node(format!("external:{host}"), NodeKind::External, host, None),
    }
}

/// Edges from an identity to the roles bound to it, and to the permission scopes its dangerous
/// capabilities take over (within each grant's scope).
pub fn add_grant_edges<'g, 'a: 'g>(
    g: &mut AuthGraph,
    from: petgraph::graph::NodeIndex,
    grants: impl Iterator<Item = &'g crate::resolve::rbac::Grant<'a>>,
) {
    for grant in grants {
        let role = &grant.role.meta;
        let rid = match role.namespace.as_deref() {
            Some(rns) if role.kind == "Role" => format!("role:{rns}/{}", role.name),
            _ => format!("clusterrole:{}", role.name),
        };
        let rn = g.node(
            rid,
            NodeKind::Role,
            &role.name,
            role.namespace.as_deref().filter(|_| role.kind == "Role"),
        );
        g.edge(from, rn, GEdge::new(EdgeKind::BoundTo, grant.via()));
        for cap in capabilities(grant.rule) {
            // What each capability lets its holder take over, within the grant's scope.
            let scopes: &[&str] = match cap {
                Capability::ReadSecrets => &["secrets"],
                Capability::CreatePods | Capability::ExecPods => &["pods", "identities"],
                Capability::Impersonate | Capability::MintTokens | Capability::ApproveCsr => &["identities"],
                Capability::NodesProxy | Capability::Webhooks => &["pods"],
                Capability::Wildcard | Capability::BindEscalate => &["secrets", "pods", "identities"],
            };
            let target = match &grant.scope {
                Scope::Cluster => "*",
                Scope::Namespace(n) => n.as_str(),
            };
            for scope in scopes {
                if let Some(sc) = g.get(&format!("scope:{scope}/{target}")) {
                    let label =
                        format!("can {} {} ({})", cap.describe(), grant.scope.describe(), grant.via());
                    g.edge(from, sc, GEdge::new(EdgeKind::Can, label).wide(grant.scope == Scope::Cluster));
                }
            }
        }
    }
}

pub fn sa_id(ns: &str, name: &str) -> String {
    format!("sa:{ns}/{name}")
}
pub fn secret_id(ns: &str, name: &str) -> String {
    format!("secret:{ns}/{name}")
}
pub fn service_id(ns: &str, name: &str) -> String {
    format!("service:{ns}/{name}")
}
pub fn literal_id(workload: &str, name: &str) -> String {
    format!("literal:{workload}/{name}")
}

/// The graph node of a workload's static credential.
pub fn credential_node_id(est: &Estate<'_>, c: &crate::discover::calls::HeldCredential) -> String {
    let w = &est.workloads[c.workload];
    match &c.origin {
        CredentialOrigin::SecretKey { secret, .. } | CredentialOrigin::SecretUnknownKeys { secret } => {
            secret_id(w.ns, secret)
        }
        CredentialOrigin::Literal { .. } | CredentialOrigin::UrlPassword { .. } => {
            literal_id(&w.display(), &c.name)
        }
    }
}
