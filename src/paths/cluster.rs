//! Phase 4a: the auth paths inside the cluster — from the network zone that reaches each serving
//! workload, from each call a workload makes (to a Service or outside), from callers that
//! authorization policies name, and from holders of a secret a server accepts — with each serving
//! workload's inbound verdict. The hops found are added to the graph as edges.

use petgraph::graph::NodeIndex;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use ztpath_probes::{PolicyType, Source};
use ztpath_reports::{AuthPath, Hop, IdentityState, PathId};

use crate::discover::calls::{Calls, Role, Target};
use crate::graph::{AuthGraph, EdgeKind, GEdge, NodeKind};
use crate::paths::set::PathSet;
use crate::paths::{self, ClientSide};
use crate::resolve::estate::Estate;
use crate::resolve::mesh::{Admission, Inbound, MeshIndex, normalize_host};

/// Per-workload inbound verdict (serving workloads only).
pub struct WorkloadInbound {
    pub inbound: Inbound,
    pub port: Option<u32>,
    /// NetworkPolicies isolating its ingress, with whether they still admit any source.
    pub network_policies: Vec<Source>,
    pub zone: Option<String>,
}

pub fn in_cluster(
    est: &Estate<'_>,
    mesh: &MeshIndex<'_>,
    calls: &Calls,
    graph: &mut AuthGraph,
) -> (Vec<Option<WorkloadInbound>>, PathSet) {
    let mut paths = PathSet::new(est);

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
    for (ci, c) in calls.credentials.iter().enumerate() {
        creds_by_workload.entry(c.workload).or_default().push(ci);
    }
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
    // One hop per (call, target workload), one per external call, one per zone: the room the
    // graph and the path set need, made once.
    let hops_coming = targets.len()
        + calls.calls.iter().filter(|c| matches!(c.target, Target::External(_))).count()
        + zones.iter().filter(|z| matches!(z, Some((_, Some(_))))).count();
    graph.reserve_edges(hops_coming);
    paths.reserve(hops_coming);
    targets.par_sort_unstable();
    targets.dedup();
    let mut inbound_of: HashMap<(usize, Option<u32>), Inbound> = targets
        .into_par_iter()
        .map(|(ti, port)| ((ti, port), mesh.inbound(est, &est.workloads[ti], port)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    // Apply to the graph in input order (deterministic).
    let mut inbound = Vec::with_capacity(zones.len());
    for (w, z) in est.workloads.iter().zip(zones) {
        let Some((entry, hop)) = z else {
            inbound.push(None);
            continue;
        };
        if let Some((label, hop)) = hop {
            let zn = graph.node(hop.from.clone(), NodeKind::Zone, &label, None);
            let wn = graph.get(&w.id).expect("workload node");
            let e = graph.edge(zn, wn, GEdge::new(EdgeKind::Reaches, label));
            let ed = graph.edge_data_mut(e);
            ed.auth = Some(hop.auth);
            ed.identity = Some(hop.identity);
            insert_path(est, &mut paths, hop);
        }
        inbound.push(Some(entry));
    }
    // Callers that authorization policies name: the policy says they are meant to call.
    // Only zone paths are in the set yet, so none of these pairs has its path already: a pair a
    // call also joins is added once, by whichever comes first.
    let named: Vec<(usize, usize, String, Source)> = policy_callers(est);
    let mut missing: Vec<usize> =
        named.iter().map(|n| n.1).filter(|&t| !inbound_of.contains_key(&(t, None))).collect();
    missing.sort_unstable();
    missing.dedup();
    let computed: Vec<_> =
        missing.into_par_iter().map(|t| ((t, None), mesh.inbound(est, &est.workloads[t], None))).collect();
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
    let hops_of_call = |call: &crate::discover::calls::Call| {
        let caller = &est.workloads[call.caller];
        let credential = creds_by_workload
            .get(&call.caller)
            .into_iter()
            .flatten()
            .map(|&ci| &calls.credentials[ci])
            .find(|c| c.target.as_ref() == Some(&call.target))
            .map(|c| (c.name.clone(), c.source.clone()));
        match &call.target {
            Target::Service(si) => call_hops_to_service(est, mesh, &inbound_of, call, *si, credential),
            Target::External(host) => vec![(
                external_hop(caller, host, call, credential),
                EdgeKind::CallsExternal,
                format!("calls {host}"),
            )],
        }
    };
    // Call hops are computed in parallel a slice of calls at a time and added to the graph in
    // input order (deterministic): a dense estate makes millions of them, and holding every
    // hop's sentences at once before adding them was a third of the scan's peak memory.
    // `produced` keeps the (caller, target) pairs the calls and the policies join, which are
    // the workload pairs the set has paths for.
    let mut produced: rustc_hash::FxHashSet<(NodeIndex, NodeIndex)> = rustc_hash::FxHashSet::default();
    for chunk in calls.calls.chunks(CALL_CHUNK) {
        let hops: Vec<Vec<(Hop, EdgeKind, String)>> = chunk.par_iter().map(hops_of_call).collect();
        for (hop, kind, label) in hops.into_iter().flatten() {
            produced.insert(add_hop(est, graph, &mut paths, hop, kind, label));
        }
    }
    for (hop, kind, label) in named {
        produced.insert(add_hop(est, graph, &mut paths, hop, kind, label));
    }
    // Callers holding the secret a server accepts: a static-secret hop into the server when
    // no call of theirs reaches it already (and one per pair, however many secrets it holds).
    let mut holder_hops: Vec<(Hop, EdgeKind, String)> = Vec::new();
    let mut server_inbound: HashMap<usize, Inbound> = HashMap::default();
    for c in &calls.credentials {
        let Role::Accepts { holders, .. } = &c.role else { continue };
        let server = &est.workloads[c.workload];
        for h in holders {
            let caller = &est.workloads[h.workload];
            let pair = (graph.get(&caller.id).expect("caller"), graph.get(&server.id).expect("server"));
            if !produced.insert(pair) {
                continue;
            }
            let hc = &calls.credentials[h.credential];
            let inb = server_inbound.entry(c.workload).or_insert_with(|| mesh.inbound(est, server, None));
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
    for (hop, kind, label) in holder_hops {
        add_hop(est, graph, &mut paths, hop, kind, label);
    }

    paths.sort_by_id(est);
    (inbound, paths)
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
        to: format!("external:{host}").into(),
        via: Some(call.via.as_str().into()),
        auth,
        identity,
        detail: detail.into(),
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

/// Calls hops whose sentences are held at once, at most (see `in_cluster`).
const CALL_CHUNK: usize = 4096;

/// Adds a call hop to the graph (an edge carrying its verdict) and as a path; returns the pair
/// of nodes it joins.
fn add_hop(
    est: &Estate<'_>,
    graph: &mut AuthGraph,
    paths: &mut PathSet,
    hop: Hop,
    kind: EdgeKind,
    label: String,
) -> (NodeIndex, NodeIndex) {
    let cn = graph.get(&hop.from).expect("caller");
    let tn = match kind {
        EdgeKind::CallsExternal => {
            let host = hop.to.trim_start_matches("external:").to_owned();
            graph.node(hop.to.clone(), NodeKind::External, &host, None)
        }
        _ => graph.get(&hop.to).expect("target"),
    };
    let e = graph.edge(cn, tn, GEdge::new(kind, label));
    let ed = graph.edge_data_mut(e);
    ed.auth = Some(hop.auth);
    ed.identity = Some(hop.identity);
    insert_path(est, paths, hop);
    (cn, tn)
}

fn insert_path(est: &Estate<'_>, paths: &mut PathSet, hop: Hop) {
    let id = PathId::between(hop.from.clone(), hop.to.clone());
    // `add` keeps the path already there when the id is taken.
    paths.add(
        est,
        AuthPath {
            id,
            from: hop.from.clone(),
            to: hop.to.clone(),
            auth: Some(hop.auth),
            identity: Some(hop.identity),
            hops: vec![hop],
            findings: Vec::new(),
        },
    );
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
        .filter(|p| p.applies_to(PolicyType::Ingress) && p.pod_selector.matches(&w.w.pod.labels))
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
    // Sorted: the zone is the same whatever order the policies were read in (files by path, a
    // live cluster by kind).
    let mut names: Vec<String> =
        policies.iter().map(|p| format!("{}/{}", p.meta.ns(), p.meta.name)).collect();
    names.sort_unstable();
    let id = format!("zone:netpol/{}", names.join("+"));
    (Some(id), format!("sources admitted by NetworkPolicy {}", names.join(", ")), sources)
}
