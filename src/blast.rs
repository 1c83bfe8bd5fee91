//! Blast radius: what the holder of each credential can reach, and the chain that explains it.
//!
//! A walk from the credential over the identity graph, where each edge kind has one meaning:
//! a token *authenticates as* its service account; a service account *can* act on a permission
//! scope (read every Secret of a namespace, create or exec into its pods, impersonate its
//! identities); a scope *contains* Secrets, pods and service accounts, and what it contains is
//! taken over in turn; a service account *acts as* the workloads that run as it and so can make
//! their calls (a call reaches a service but takes nothing over). Static credentials *unlock*
//! the peer they authenticate to.

use std::collections::{BTreeMap, VecDeque};

use rustc_hash::FxHashMap as HashMap;

use petgraph::graph::NodeIndex;
use rayon::prelude::*;
use ztpath_reports::{BlastRadius, Credential, Evidence, Reach};

use crate::engine::Analysis;
use crate::graph::{EdgeKind, NodeKind};

/// Reach entries kept per credential in the report (counts are always complete).
pub const MAX_LISTED: usize = 50;

/// Added to the score of each dangerous permission held cluster-wide.
pub const CLUSTER_WIDE_BONUS: u64 = 25;

/// Weights of the score: an identity or a dangerous permission weighs more than one Secret.
fn weight(kind: &str) -> u64 {
    match kind {
        "permission" => 15,
        "identity" => 10,
        "workload" => 5,
        "secret" => 2,
        _ => 1,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Mode {
    /// Taken over: everything it holds is ours.
    Own,
    /// Acting as a workload's identity: only its calls.
    ActAs,
}

/// A node reached in a mode.
type Step = (NodeIndex, Mode);

/// Computes the blast radius of every credential, widest first. Credentials are walked in
/// parallel; each walk is independent.
pub fn blast_radius(a: &Analysis<'_>) -> Vec<BlastRadius> {
    let starts: Vec<NodeIndex> =
        a.graph.nodes().filter(|(_, n)| n.kind == NodeKind::Credential).map(|(i, _)| i).collect();
    let mut out: Vec<BlastRadius> = starts.par_iter().filter_map(|&s| reach_of(a, s)).collect();
    out.sort_by(|x, y| y.score.cmp(&x.score).then_with(|| x.credential.id.cmp(&y.credential.id)));
    out
}

/// The walk from one credential; `None` when it reaches nothing.
fn reach_of(a: &Analysis<'_>, start: NodeIndex) -> Option<BlastRadius> {
    let g = &a.graph;
    // For each reached step: the step it was reached from and the edge's label (strings are
    // built only for the chains that are listed).
    let mut parent: HashMap<Step, Option<(Step, &str)>> = HashMap::default();
    let mut queue = VecDeque::new();
    parent.insert((start, Mode::Own), None);
    queue.push_back((start, Mode::Own));
    let mut reached: Vec<(&'static str, Step)> = Vec::new();
    let mut permissions: Vec<(String, Step, bool)> = Vec::new();
    while let Some(cur @ (n, mode)) = queue.pop_front() {
        let kind = g.node_data(n).kind;
        for (t, e) in g.out(n) {
            let next_mode = match (kind, mode, e.kind) {
                (NodeKind::Credential, Mode::Own, EdgeKind::AuthenticatesAs | EdgeKind::Unlocks) => {
                    Some(Mode::Own)
                }
                // Reading a narrow set of AWS secrets is reaching those secrets, not holding a
                // dangerous permission; account-wide reads are permissions.
                (NodeKind::IamRole | NodeKind::IamUser, Mode::Own, EdgeKind::Can)
                    if g.node_data(t).kind == NodeKind::AwsResource && !e.wide =>
                {
                    Some(Mode::Own)
                }
                (
                    NodeKind::ServiceAccount | NodeKind::IamRole | NodeKind::IamUser | NodeKind::KubeSubject,
                    Mode::Own,
                    EdgeKind::Can,
                ) => {
                    permissions.push((format!("{}: {}", g.node_data(n).id, e.label), cur, e.wide));
                    Some(Mode::Own)
                }
                (NodeKind::ServiceAccount, Mode::Own, EdgeKind::ActsAs) => Some(Mode::ActAs),
                (
                    NodeKind::ServiceAccount | NodeKind::IamRole | NodeKind::IamUser | NodeKind::Credential,
                    Mode::Own,
                    EdgeKind::AssumesRole,
                ) => Some(Mode::Own),
                (NodeKind::IamRole | NodeKind::IamUser, Mode::Own, EdgeKind::MapsTo) => Some(Mode::Own),
                (NodeKind::Scope, Mode::Own, EdgeKind::Contains) => Some(Mode::Own),
                (NodeKind::Workload, Mode::Own, EdgeKind::UsesCredential | EdgeKind::RunsAs) => {
                    Some(Mode::Own)
                }
                (NodeKind::Workload, _, EdgeKind::Calls | EdgeKind::CallsExternal) => Some(Mode::ActAs),
                _ => None,
            };
            let Some(next_mode) = next_mode else { continue };
            // A call reaches its target but goes no further.
            let terminal = matches!(e.kind, EdgeKind::Calls | EdgeKind::CallsExternal | EdgeKind::Unlocks);
            let key = (t, next_mode);
            if parent.contains_key(&key) || (next_mode == Mode::ActAs && parent.contains_key(&(t, Mode::Own)))
            {
                continue;
            }
            parent.insert(key, Some((cur, e.label.as_str())));
            let tk = g.node_data(t).kind;
            let category = match (tk, next_mode, terminal) {
                (
                    NodeKind::ServiceAccount | NodeKind::IamRole | NodeKind::IamUser | NodeKind::KubeSubject,
                    ..,
                ) => Some("identity"),
                (NodeKind::Credential | NodeKind::AwsResource, Mode::Own, _) => Some("secret"),
                // Reached over a call or unlocked by a server's own secret: authenticated to, not taken over.
                (NodeKind::Workload | NodeKind::Service | NodeKind::External | NodeKind::Local, _, true) => {
                    Some("service")
                }
                (NodeKind::Workload, Mode::Own, _) => Some("workload"),
                _ => None,
            };
            if let Some(c) = category {
                reached.push((c, key));
            }
            if !terminal {
                queue.push_back(key);
            }
        }
    }
    if reached.is_empty() && permissions.is_empty() {
        return None;
    }
    let chain = |mut k: Step| {
        let mut steps = Vec::new();
        while let Some(Some((p, label))) = parent.get(&k) {
            steps.push(format!("{} {label}", g.node_data(p.0).id));
            k = *p;
        }
        steps.reverse();
        steps
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut reaches = Vec::new();
    permissions.sort();
    permissions.dedup_by(|x, y| x.0 == y.0);
    for (what, at, _) in &permissions {
        *counts.entry("permission".to_owned()).or_default() += 1;
        if reaches.len() < MAX_LISTED {
            let mut c = chain(*at);
            c.push(what.clone());
            reaches.push(Reach { kind: "permission".to_owned(), target: what.clone(), chain: c });
        }
    }
    // Identities first, then workloads, secrets, services: the listing shows what matters most.
    reached.sort_by(|(c1, k1), (c2, k2)| {
        (order(c1), &g.node_data(k1.0).id).cmp(&(order(c2), &g.node_data(k2.0).id))
    });
    for (c, k) in &reached {
        *counts.entry((*c).to_owned()).or_default() += 1;
        if reaches.len() < MAX_LISTED {
            reaches.push(Reach {
                kind: (*c).to_owned(),
                target: g.node_data(k.0).id.clone(),
                chain: chain(*k),
            });
        }
    }
    // A dangerous permission over the whole cluster (or AWS account) outweighs any count of
    // namespaced items.
    let cluster_wide = permissions.iter().filter(|(.., wide)| *wide).count() as u64;
    let score =
        counts.iter().map(|(k, n)| weight(k) * *n as u64).sum::<u64>() + CLUSTER_WIDE_BONUS * cluster_wide;
    Some(BlastRadius { credential: credential_of(a, start), score, counts, reaches })
}

fn order(c: &str) -> u8 {
    match c {
        "identity" => 0,
        "workload" => 1,
        "secret" => 2,
        _ => 3,
    }
}

/// A credential node as the report shows it: location and fingerprint, never a value.
pub fn credential_of(a: &Analysis<'_>, n: NodeIndex) -> Credential {
    let node = a.graph.node_data(n);
    let id = node.id.clone();
    let ns = node.namespace.clone();
    let mut evidence = Vec::new();
    let mut fingerprint = node.attrs.get("fingerprint").cloned();
    let kind = if let Some(rest) = id.strip_prefix("secret:") {
        let (sns, name) = rest.split_once('/').unwrap_or(("", rest));
        match a.estate.secrets.get(&(sns, name)) {
            Some(s) => {
                evidence.push(Evidence { file: s.meta.source.file.to_string(), line: s.meta.source.line });
                let prints: Vec<&str> =
                    s.entries.iter().filter_map(|e| e.fingerprint.as_ref().map(|f| f.0.as_str())).collect();
                if prints.len() == 1 {
                    fingerprint = Some(prints[0].to_owned());
                } else if !prints.is_empty() {
                    fingerprint = Some(format!("{} keys", prints.len()));
                }
                if s.secret_type == "kubernetes.io/service-account-token" {
                    "legacy-sa-token"
                } else {
                    "secret"
                }
            }
            None => "secret (not in input)",
        }
    } else if id.starts_with("token:") {
        // Where the token is mounted.
        for (w, _) in a.graph.incoming(n) {
            if let Some(wv) =
                a.estate.workload_index.get(&a.graph.node_data(w).id).map(|&i| &a.estate.workloads[i])
            {
                evidence.push(Evidence {
                    file: wv.meta().source.file.to_string(),
                    line: wv.w.pod.service_account_line.max(wv.meta().source.line),
                });
            }
        }
        "service-account-token"
    } else if let Some((kind, sources)) = a.aws.credentials.get(&id) {
        // AWS access keys and federated tokens: where the key is listed, where trust admits the
        // token.
        evidence.extend(sources.iter().map(|s| Evidence { file: s.file.to_string(), line: s.line }));
        kind
    } else {
        // A literal is carried by the workloads with an edge to it; find it by workload and name.
        for (w, _) in a.graph.incoming(n) {
            if let Some(&wi) = a.estate.workload_index.get(&a.graph.node_data(w).id) {
                for c in a.calls.credentials.iter().filter(|c| c.workload == wi && c.name == node.name) {
                    evidence.push(Evidence { file: c.source.file.to_string(), line: c.source.line });
                }
            }
        }
        // Or by a proxy, in a backend URL: where its configuration holds it.
        if node.attrs.get("type").is_some_and(|t| t == "literal in proxy configuration") {
            for leak in &a.calls.leaks {
                if matches!(leak.owner, crate::calls::LeakOwner::Proxy(_))
                    && leak.name == node.name
                    && id.ends_with(&format!("/url@{}", leak.source))
                {
                    evidence.push(Evidence { file: leak.source.file.to_string(), line: leak.source.line });
                }
            }
        }
        "literal"
    };
    evidence.sort();
    evidence.dedup();
    evidence.truncate(5);
    Credential { id, kind: kind.to_owned(), name: node.name.clone(), namespace: ns, fingerprint, evidence }
}
