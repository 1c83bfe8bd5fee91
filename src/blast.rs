//! Blast radius: what the holder of each credential can reach, and the chain that explains it.
//!
//! A walk from the credential over the identity graph, where each edge kind has one meaning:
//! a token *authenticates as* its service account; a service account *can* act on a permission
//! scope (read every Secret of a namespace, create or exec into its pods, impersonate its
//! identities); a scope *contains* Secrets, pods and service accounts, and what it contains is
//! taken over in turn; a service account *acts as* the workloads that run as it and so can make
//! their calls (a call reaches a service but takes nothing over). Static credentials *unlock*
//! the peer they authenticate to.
//!
//! What a credential reaches is a set, whatever order the walk finds it in: each reached item
//! counts once, under one category (a workload taken over counts as a workload, one that is only
//! called as a service, and one whose identity is only borrowed not at all), and each listed item
//! is explained by a shortest chain of steps.
//!
//! Where many credentials reach the same large region (every identity of a namespace that a
//! group binding lets anyone take over, the whole cluster behind a cluster-wide grant), walking
//! that region once per credential costs the number of credentials times the size of the estate.
//! So the region behind each scope is walked once: a walk stops at every scope it reaches (a
//! *hub*), each scope's own walk stops at the scopes it reaches in turn, and a credential's reach
//! is its own short walk plus the union of the hub walks behind the scopes it reached. Those
//! unions are computed once per set of entry scopes (credentials of one namespace usually share
//! theirs), and the chains are shortest paths through the hubs (Dijkstra over the few hubs).
#![allow(
    clippy::cast_possible_truncation,
    reason = "node and edge positions are petgraph indices, which are u32"
)]

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use petgraph::graph::{EdgeIndex, NodeIndex};
use rayon::prelude::*;
use ztpath_reports::{BlastRadius, Credential, Evidence, Reach};

use crate::discover::calls::Calls;
use crate::graph::{AuthGraph, EdgeKind, GEdge, NodeKind};
use crate::intern::Interner;
use crate::resolve::aws::AwsModel;
use crate::resolve::estate::Estate;

/// Reach entries kept per credential in the report (counts are always complete).
pub const MAX_LISTED: usize = 50;

/// Added to the score of each dangerous permission held cluster-wide.
pub const CLUSTER_WIDE_BONUS: u64 = 25;

/// How many of a union's reached items, in listing order, are kept for the credentials that
/// share it (a credential's own walk can demote a few of them).
const UNION_TOP: usize = 2 * MAX_LISTED;

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

// ---------------------------------------------------------------------------------------------
// Marks: a node reached in one way
// ---------------------------------------------------------------------------------------------

/// Reached and taken over: the walk goes on from it with everything it holds.
const OWN: u8 = 0;
/// Reached over an edge that ends the walk there (a static credential unlocks its peer).
const OWN_LEAF: u8 = 1;
/// A workload whose identity is borrowed (its service account is held): only its calls go on.
const ACT: u8 = 2;
/// Called as a service: reached, nothing taken over.
const CALLED: u8 = 3;

/// A node and how it was reached.
type Mark = u64;

fn mark(node: u32, how: u8) -> Mark {
    (u64::from(node) << 2) | u64::from(how)
}

fn node_of(m: Mark) -> u32 {
    (m >> 2) as u32
}

fn how_of(m: Mark) -> u8 {
    (m & 3) as u8
}

/// Where a walk found a mark: the mark it came from, over which edge, at which distance.
#[derive(Clone, Copy)]
struct Via {
    parent: Option<Mark>,
    edge: u32,
    depth: u32,
}

/// The categories of reached items, in listing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cat {
    Identity,
    Workload,
    Secret,
    Service,
}

impl Cat {
    const ALL: [Cat; 4] = [Cat::Identity, Cat::Workload, Cat::Secret, Cat::Service];

    fn name(self) -> &'static str {
        match self {
            Cat::Identity => "identity",
            Cat::Workload => "workload",
            Cat::Secret => "secret",
            Cat::Service => "service",
        }
    }

    /// The marks that explain an item of this category, best first.
    fn marks(self) -> &'static [u8] {
        match self {
            Cat::Identity | Cat::Workload | Cat::Secret => &[OWN, OWN_LEAF],
            Cat::Service => &[CALLED, OWN_LEAF, OWN],
        }
    }
}

fn is_principal(kind: NodeKind) -> bool {
    matches!(kind, NodeKind::ServiceAccount | NodeKind::IamRole | NodeKind::IamUser | NodeKind::KubeSubject)
}

/// The category of a node reached in the ways `hows` (a bit per mark kind), if it counts.
fn category(kind: NodeKind, hows: u8) -> Option<Cat> {
    let has = |h: u8| hows & (1 << h) != 0;
    let own = has(OWN) || has(OWN_LEAF);
    match kind {
        _ if hows == 0 => None,
        k if is_principal(k) => Some(Cat::Identity),
        NodeKind::Credential | NodeKind::AwsResource => own.then_some(Cat::Secret),
        NodeKind::Workload if has(OWN) => Some(Cat::Workload),
        // Reached over a call, or unlocked by a server's own secret: authenticated to, not taken
        // over.
        NodeKind::Workload => (has(OWN_LEAF) || (!has(ACT) && has(CALLED))).then_some(Cat::Service),
        NodeKind::Service | NodeKind::External | NodeKind::Local => {
            (own || has(CALLED)).then_some(Cat::Service)
        }
        _ => None,
    }
}

/// How an edge is followed from a node of `kind` reached as `how` (OWN or ACT): the mark it
/// gives its target, or `None` when the walk does not follow it.
fn follow(kind: NodeKind, how: u8, e: &GEdge) -> Option<u8> {
    let own = how == OWN;
    let takes_over = match (kind, own, e.kind) {
        (NodeKind::Credential, true, EdgeKind::AuthenticatesAs | EdgeKind::Unlocks) => true,
        // Reading a narrow set of AWS secrets is reaching those secrets, not holding a
        // dangerous permission; account-wide reads are permissions.
        (k, true, EdgeKind::Can) if is_principal(k) => true,
        (NodeKind::ServiceAccount, true, EdgeKind::ActsAs) => false,
        (
            NodeKind::ServiceAccount | NodeKind::IamRole | NodeKind::IamUser | NodeKind::Credential,
            true,
            EdgeKind::AssumesRole,
        ) => true,
        (NodeKind::IamRole | NodeKind::IamUser, true, EdgeKind::MapsTo) => true,
        (NodeKind::Scope, true, EdgeKind::Contains) => true,
        (NodeKind::Workload, true, EdgeKind::UsesCredential | EdgeKind::RunsAs) => true,
        (NodeKind::Workload, _, EdgeKind::Calls | EdgeKind::CallsExternal) => false,
        _ => return None,
    };
    // A call reaches its target but goes no further; neither does an unlocked peer.
    let terminal = matches!(e.kind, EdgeKind::Calls | EdgeKind::CallsExternal | EdgeKind::Unlocks);
    Some(match (takes_over, terminal) {
        (true, false) => OWN,
        (true, true) => OWN_LEAF,
        (false, false) => ACT,
        (false, true) => CALLED,
    })
}

/// A dangerous permission held by a principal taken over: its `can` edges, except narrow reads
/// of AWS secrets (those are secrets reached).
fn is_permission(kind: NodeKind, e: &GEdge, target: NodeKind) -> bool {
    e.kind == EdgeKind::Can
        && is_principal(kind)
        && !(matches!(kind, NodeKind::IamRole | NodeKind::IamUser)
            && target == NodeKind::AwsResource
            && !e.wide)
}

// ---------------------------------------------------------------------------------------------
// Walks
// ---------------------------------------------------------------------------------------------

/// A breadth-first walk from one node (taken over) that does not go through other scopes.
struct Walk {
    marks: HashMap<Mark, Via>,
    /// Scope nodes reached and not walked through, in discovery order.
    hubs: Vec<u32>,
}

impl Walk {
    fn from(g: &AuthGraph, kinds: &[NodeKind], root: u32) -> Walk {
        let start = mark(root, OWN);
        let mut marks: HashMap<Mark, Via> = HashMap::default();
        marks.insert(start, Via { parent: None, edge: u32::MAX, depth: 0 });
        let mut queue = VecDeque::from([start]);
        let mut hubs = Vec::new();
        while let Some(cur) = queue.pop_front() {
            let (n, how) = (node_of(cur), how_of(cur));
            let depth = marks[&cur].depth;
            let kind = kinds[n as usize];
            for (t, ei, e) in g.out_indexed(NodeIndex::new(n as usize)) {
                let tk = kinds[t.index()];
                let Some(next) = follow(kind, how, e) else { continue };
                let m = mark(t.index() as u32, next);
                if marks.contains_key(&m) {
                    continue;
                }
                marks.insert(m, Via { parent: Some(cur), edge: ei.index() as u32, depth: depth + 1 });
                if next == OWN || next == ACT {
                    if tk == NodeKind::Scope {
                        hubs.push(t.index() as u32);
                    } else {
                        queue.push_back(m);
                    }
                }
            }
        }
        Walk { marks, hubs }
    }

    /// The ways each node was reached, a bit per mark kind.
    fn hows(&self) -> HashMap<u32, u8> {
        let mut out: HashMap<u32, u8> = HashMap::default();
        for &m in self.marks.keys() {
            *out.entry(node_of(m)).or_default() |= 1 << how_of(m);
        }
        out
    }

    /// The steps from the walk's root to a mark: (node the step leaves, edge), in order.
    fn path(&self, m: Mark) -> Vec<(u32, u32)> {
        let mut steps = Vec::new();
        let mut cur = m;
        while let Some(via) = self.marks.get(&cur)
            && let Some(p) = via.parent
        {
            steps.push((node_of(p), via.edge));
            cur = p;
        }
        steps.reverse();
        steps
    }

    fn depth(&self, m: Mark) -> Option<u32> {
        self.marks.get(&m).map(|v| v.depth)
    }
}

/// The distinct permissions a principal holds: (edge, label, held cluster-wide), by label.
fn permissions_of(g: &AuthGraph, kinds: &[NodeKind], n: u32) -> Vec<(u32, bool)> {
    let kind = kinds[n as usize];
    let mut out: Vec<(u32, bool)> = g
        .out_indexed(NodeIndex::new(n as usize))
        .filter(|(t, _, e)| is_permission(kind, e, kinds[t.index()]))
        .map(|(_, ei, e)| (ei.index() as u32, e.wide))
        .collect();
    let label = |e: u32| g.edge_data(EdgeIndex::new(e as usize)).label.as_str();
    // One permission per label (two scopes taken over by one grant are one permission); where
    // labels repeat, it is held cluster-wide only if every edge says so.
    out.sort_by(|a, b| label(a.0).cmp(label(b.0)).then(a.1.cmp(&b.1)));
    out.dedup_by(|later, first| label(later.0) == label(first.0));
    out
}

/// Orders permissions as their text (`<holder id>: <label>`) sorts, without building it.
fn permission_order(g: &AuthGraph, a: (u32, u32), b: (u32, u32)) -> Ordering {
    let text = |(n, e): (u32, u32)| {
        let id = g.node_data(NodeIndex::new(n as usize)).id.as_bytes();
        let label = g.edge_data(EdgeIndex::new(e as usize)).label.as_bytes();
        id.iter().chain(b": ").chain(label).copied()
    };
    text(a).cmp(text(b))
}

fn permission_text(g: &AuthGraph, (n, e): (u32, u32)) -> String {
    format!(
        "{}: {}",
        g.node_data(NodeIndex::new(n as usize)).id,
        g.edge_data(EdgeIndex::new(e as usize)).label
    )
}

// ---------------------------------------------------------------------------------------------
// Hubs: scope nodes, each walked once
// ---------------------------------------------------------------------------------------------

struct Hubs {
    /// Scope node → hub number.
    of_node: HashMap<u32, usize>,
    nodes: Vec<u32>,
    walks: Vec<Walk>,
    /// Strongly connected component of each hub, in the graph of hubs reaching hubs.
    scc: Vec<usize>,
    /// For each component, the components it reaches (itself included), a bit each.
    reach: Vec<Vec<u64>>,
    members: Vec<Vec<usize>>,
}

impl Hubs {
    fn new(g: &AuthGraph, kinds: &[NodeKind]) -> Hubs {
        let nodes: Vec<u32> =
            (0..kinds.len() as u32).filter(|&n| kinds[n as usize] == NodeKind::Scope).collect();
        let of_node: HashMap<u32, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let walks: Vec<Walk> = nodes.par_iter().map(|&n| Walk::from(g, kinds, n)).collect();
        let next: Vec<Vec<usize>> =
            walks.iter().map(|w| w.hubs.iter().map(|h| of_node[h]).collect()).collect();
        let (scc, members) = components(&next);
        // Tarjan numbers components so that a component reaches only lower numbers.
        let words = members.len().div_ceil(64);
        let mut reach: Vec<Vec<u64>> = Vec::with_capacity(members.len());
        for (c, hubs) in members.iter().enumerate() {
            let mut bits = vec![0u64; words];
            bits[c / 64] |= 1 << (c % 64);
            for &h in hubs {
                for &t in &next[h] {
                    let tc = scc[t];
                    if tc != c {
                        for (b, r) in bits.iter_mut().zip(&reach[tc]) {
                            *b |= r;
                        }
                    }
                }
            }
            reach.push(bits);
        }
        Hubs { of_node, nodes, walks, scc, reach, members }
    }

    fn reaches(&self, from: usize, to: usize) -> bool {
        self.reach[from][to / 64] & (1 << (to % 64)) != 0
    }

    /// The components a walk enters, without those that another one of them reaches.
    fn key(&self, entered: &[u32]) -> Vec<usize> {
        let mut comps: Vec<usize> = entered.iter().map(|h| self.scc[self.of_node[h]]).collect();
        comps.sort_unstable();
        comps.dedup();
        let all = comps.clone();
        comps.retain(|&c| !all.iter().any(|&o| o != c && self.reaches(o, c)));
        comps
    }
}

/// Strongly connected components (Tarjan, iterative), numbered so that edges between
/// components go from higher to lower numbers; returns the component of each node and the
/// members of each component.
fn components(next: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    const NONE: usize = usize::MAX;
    let n = next.len();
    let (mut index, mut low, mut comp) = (vec![NONE; n], vec![0; n], vec![NONE; n]);
    let (mut stack, mut on_stack, mut members) = (Vec::new(), vec![false; n], Vec::new());
    let mut counter = 0;
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = call.last_mut() {
            if let Some(&w) = next[v].get(*i) {
                *i += 1;
                if index[w] == NONE {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let c = members.len();
                let mut group = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = c;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                group.sort_unstable();
                members.push(group);
            }
        }
    }
    (comp, members)
}

// ---------------------------------------------------------------------------------------------
// Unions: what the hubs behind one set of entry components reach together
// ---------------------------------------------------------------------------------------------

/// The ways each node is reached in a union: a map for small unions, an array for large ones.
enum Hows {
    Sparse(HashMap<u32, u8>),
    Dense(Vec<u8>),
}

impl Hows {
    fn get(&self, n: u32) -> u8 {
        match self {
            Hows::Sparse(m) => m.get(&n).copied().unwrap_or(0),
            Hows::Dense(v) => v[n as usize],
        }
    }

    fn each(&self, mut f: impl FnMut(u32, u8)) {
        match self {
            Hows::Sparse(m) => m.iter().for_each(|(&n, &h)| f(n, h)),
            Hows::Dense(v) => {
                v.iter().enumerate().filter(|(_, h)| **h != 0).for_each(|(n, &h)| f(n as u32, h));
            }
        }
    }
}

struct Union {
    /// The hubs behind the entry components, in hub order.
    hubs: Vec<usize>,
    in_union: HashSet<usize>,
    hows: Hows,
    counts: [usize; 4],
    permissions: usize,
    wide: usize,
    /// The first permissions in listing order: (holder, edge).
    top_permissions: Vec<(u32, u32)>,
    /// The first reached items in listing order: (category, node).
    top: Vec<(Cat, u32)>,
    /// `top` holds every reached item.
    complete: bool,
    /// For the marks of the listed items: the hubs whose walks hold them.
    providers: HashMap<Mark, Vec<usize>>,
}

impl Union {
    fn new(g: &AuthGraph, kinds: &[NodeKind], hubs: &Hubs, key: &[usize]) -> Union {
        let mut comps = vec![0u64; hubs.members.len().div_ceil(64)];
        for &c in key {
            for (b, r) in comps.iter_mut().zip(&hubs.reach[c]) {
                *b |= r;
            }
        }
        let mut members: Vec<usize> = Vec::new();
        for (c, group) in hubs.members.iter().enumerate() {
            if comps[c / 64] & (1 << (c % 64)) != 0 {
                members.extend(group);
            }
        }
        members.sort_unstable();
        let size: usize = members.iter().map(|&h| hubs.walks[h].marks.len()).sum();
        let mut hows = if size > kinds.len() / 8 {
            Hows::Dense(vec![0u8; kinds.len()])
        } else {
            Hows::Sparse(HashMap::default())
        };
        for &h in &members {
            for &m in hubs.walks[h].marks.keys() {
                let bit = 1 << how_of(m);
                match &mut hows {
                    Hows::Sparse(map) => *map.entry(node_of(m)).or_default() |= bit,
                    Hows::Dense(v) => v[node_of(m) as usize] |= bit,
                }
            }
        }
        let mut counts = [0usize; 4];
        let (mut permissions, mut wide) = (0, 0);
        let mut all_permissions: Vec<(u32, u32)> = Vec::new();
        let mut reached: Vec<(Cat, u32)> = Vec::new();
        hows.each(|n, h| {
            let kind = kinds[n as usize];
            if let Some(c) = category(kind, h) {
                counts[c as usize] += 1;
                reached.push((c, n));
            }
            if h & (1 << OWN) != 0 && is_principal(kind) {
                let held = permissions_of(g, kinds, n);
                permissions += held.len();
                wide += held.iter().filter(|(_, w)| *w).count();
                all_permissions.extend(held.into_iter().map(|(e, _)| (n, e)));
            }
        });
        let top_permissions = first_sorted(all_permissions, MAX_LISTED, |a, b| permission_order(g, *a, *b));
        let complete = reached.len() <= UNION_TOP;
        let top = first_sorted(reached, UNION_TOP, |a, b| listing_order(g, *a, *b));
        let mut wanted: HashSet<Mark> = HashSet::default();
        for &(c, n) in &top {
            wanted.extend(c.marks().iter().map(|&h| mark(n, h)));
        }
        wanted.extend(top_permissions.iter().map(|&(n, _)| mark(n, OWN)));
        let mut providers: HashMap<Mark, Vec<usize>> = HashMap::default();
        for &h in &members {
            for &m in &wanted {
                if hubs.walks[h].marks.contains_key(&m) {
                    providers.entry(m).or_default().push(h);
                }
            }
        }
        let in_union = members.iter().copied().collect();
        Union {
            hubs: members,
            in_union,
            hows,
            counts,
            permissions,
            wide,
            top_permissions,
            top,
            complete,
            providers,
        }
    }
}

/// Reached items in listing order: identities first, then workloads, secrets, services, each by
/// node id.
fn listing_order(g: &AuthGraph, a: (Cat, u32), b: (Cat, u32)) -> Ordering {
    let id = |n: u32| g.node_data(NodeIndex::new(n as usize)).id.as_str();
    a.0.cmp(&b.0).then_with(|| id(a.1).cmp(id(b.1)))
}

/// The first `k` items of `items` in `order`, sorted.
fn first_sorted<T>(mut items: Vec<T>, k: usize, order: impl Fn(&T, &T) -> Ordering) -> Vec<T> {
    if items.len() > k {
        items.select_nth_unstable_by(k, &order);
        items.truncate(k);
    }
    items.sort_by(&order);
    items
}

// ---------------------------------------------------------------------------------------------
// The blast radius of every credential
// ---------------------------------------------------------------------------------------------

/// Credentials whose radii are computed at once, at most (see [`blast_radius`]).
const RADIUS_CHUNK: usize = 2048;

/// Computes the blast radius of every credential, widest first. Credentials are walked in
/// parallel; each result depends on the graph only.
pub fn blast_radius(
    graph: &AuthGraph,
    estate: &Estate<'_>,
    calls: &Calls,
    aws: &AwsModel<'_>,
) -> Vec<BlastRadius> {
    let a = &Inputs { graph, estate, calls, aws };
    let g = &a.graph;
    let kinds: Vec<NodeKind> = g.nodes().map(|(_, n)| n.kind).collect();
    let starts: Vec<u32> =
        (0..kinds.len() as u32).filter(|&n| kinds[n as usize] == NodeKind::Credential).collect();
    let hubs = Hubs::new(g, &kinds);
    let walks: Vec<(Walk, Vec<usize>)> = starts
        .par_iter()
        .map(|&s| {
            let w = Walk::from(g, &kinds, s);
            let key = hubs.key(&w.hubs);
            (w, key)
        })
        .collect();
    let mut keys: Vec<&Vec<usize>> = walks.iter().map(|(_, k)| k).filter(|k| !k.is_empty()).collect();
    keys.sort_unstable();
    keys.dedup();
    let unions: HashMap<&[usize], Union> = keys
        .par_iter()
        .map(|k| (k.as_slice(), Union::new(g, &kinds, &hubs, k)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    let index = CredentialIndex::new(a);
    let mut positions = vec![0u32; g.edge_count()];
    for n in 0..kinds.len() {
        for (i, (_, e, _)) in g.out_indexed(NodeIndex::new(n)).enumerate() {
            positions[e.index()] = i as u32;
        }
    }
    let ctx = Context { g, kinds: &kinds, hubs: &hubs, positions };
    // Credentials are walked in parallel a slice at a time; then their sentences become one
    // shared copy each (the chains of different credentials share most of their steps, and
    // every reach names one of a few kinds), so that the duplicates of one slice are freed
    // before the next is walked.
    let mut texts = Interner::default();
    let mut out: Vec<BlastRadius> = Vec::new();
    for (starts, walks) in starts.chunks(RADIUS_CHUNK).zip(walks.chunks(RADIUS_CHUNK)) {
        let radii: Vec<(u32, Radius)> = starts
            .par_iter()
            .zip(walks)
            .filter_map(|(&s, (w, key))| {
                let union = (!key.is_empty()).then(|| &unions[key.as_slice()]);
                ctx.radius(s, w, union).map(|r| (s, r))
            })
            .collect();
        out.extend(radii.into_iter().map(|(s, (score, counts, steps, mut reaches))| {
            for r in &mut reaches {
                texts.share(&mut r.kind);
                texts.share(&mut r.target);
            }
            BlastRadius {
                credential: credential_of(a, &index, NodeIndex::new(s as usize)),
                score,
                counts,
                steps: steps.iter().map(|t| texts.get(t)).collect(),
                reaches,
            }
        }));
    }
    out.sort_by(|x, y| y.score.cmp(&x.score).then_with(|| x.credential.id.cmp(&y.credential.id)));
    out
}

struct Context<'c> {
    g: &'c AuthGraph,
    kinds: &'c [NodeKind],
    hubs: &'c Hubs,
    /// For each edge, its position among the outgoing edges of its node, in walk order.
    positions: Vec<u32>,
}

/// How the walk from a credential reaches a hub: straight from its own walk, or through another
/// hub's walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Own,
    Hub(usize),
}

/// The best way found to a hub: its length, the order a single walk from the credential would
/// have found it in (the position of each step's edge among its node's edges: a breadth-first
/// walk meets paths of one length in this lexicographic order), and the way in.
#[derive(Clone)]
struct Route {
    len: u32,
    order: Vec<u32>,
    entry: Entry,
}

type Radius = (u64, BTreeMap<String, usize>, Vec<String>, Vec<Reach>);

impl Context<'_> {
    /// Counts, score and listing of one credential, from its own walk and the union of the hubs
    /// it enters; `None` when it reaches nothing.
    fn radius(&self, start: u32, walk: &Walk, union: Option<&Union>) -> Option<Radius> {
        let (g, kinds) = (self.g, self.kinds);
        let in_union = |n: u32| union.map_or(0, |u| u.hows.get(n));
        let own_hows = walk.hows();
        let mut counts = union.map_or([0; 4], |u| u.counts);
        let (mut permissions, mut wide) = union.map_or((0, 0), |u| (u.permissions, u.wide));
        let mut own_permissions: Vec<(u32, u32)> = Vec::new();
        for (&n, &h) in &own_hows {
            let kind = kinds[n as usize];
            let before = in_union(n);
            let after = before | h;
            if after != before {
                if let Some(c) = category(kind, before) {
                    counts[c as usize] -= 1;
                }
                if let Some(c) = category(kind, after) {
                    counts[c as usize] += 1;
                }
            }
            if h & (1 << OWN) != 0 && before & (1 << OWN) == 0 && is_principal(kind) {
                let held = permissions_of(g, kinds, n);
                permissions += held.len();
                wide += held.iter().filter(|(_, w)| *w).count();
                own_permissions.extend(held.into_iter().map(|(e, _)| (n, e)));
            }
        }
        // The credential itself is where the walk starts, not something it reaches.
        let start_hows = in_union(start) | own_hows.get(&start).copied().unwrap_or(0);
        if let Some(c) = category(kinds[start as usize], start_hows) {
            counts[c as usize] -= 1;
        }
        if permissions == 0 && counts.iter().all(|&n| n == 0) {
            return None;
        }

        // What is listed: the first permissions by text, then the first reached items.
        let mut listed_permissions = own_permissions;
        listed_permissions.extend(union.map_or(&[][..], |u| &u.top_permissions[..]));
        let listed_permissions =
            first_sorted(listed_permissions, MAX_LISTED, |a, b| permission_order(g, *a, *b));
        let room = MAX_LISTED - listed_permissions.len();
        let final_cat =
            |n: u32| category(kinds[n as usize], in_union(n) | own_hows.get(&n).copied().unwrap_or(0));
        let listed = if room == 0 {
            Vec::new()
        } else {
            let mut candidates: Vec<(Cat, u32)> =
                own_hows.keys().filter_map(|&n| final_cat(n).map(|c| (c, n))).collect();
            if let Some(u) = union {
                candidates.extend(u.top.iter().filter_map(|&(_, n)| final_cat(n).map(|c| (c, n))));
            }
            candidates.sort_by(|a, b| listing_order(g, *a, *b));
            candidates.dedup_by_key(|c| c.1);
            candidates.retain(|c| c.1 != start);
            // The union's kept items end where its listing was cut: past that point something
            // this walk demoted may hide an item that belongs in the listing.
            let short = union.is_some_and(|u| {
                !u.complete
                    && u.top.last().is_some_and(|&last| {
                        candidates
                            .get(room - 1)
                            .is_none_or(|&c| listing_order(g, c, last) == Ordering::Greater)
                    })
            });
            if short && let Some(u) = union {
                u.hows.each(|n, _| {
                    if let Some(c) = final_cat(n) {
                        candidates.push((c, n));
                    }
                });
                candidates.extend(own_hows.keys().filter_map(|&n| final_cat(n).map(|c| (c, n))));
                candidates.sort_by(|a, b| listing_order(g, *a, *b));
                candidates.dedup_by_key(|c| c.1);
                candidates.retain(|c| c.1 != start);
            }
            candidates.truncate(room);
            candidates
        };

        // Chains: shortest through this walk and the hubs' walks.
        let routes = union.map(|u| self.routes(walk, u));
        let mut steps = Steps::default();
        let mut reaches = Vec::with_capacity(listed_permissions.len() + listed.len());
        for &(holder, edge) in &listed_permissions {
            let text = permission_text(g, (holder, edge));
            let mut chain = self.chain(walk, union, routes.as_ref(), &[mark(holder, OWN)], &mut steps);
            chain.push(steps.index(&text));
            reaches.push(Reach { kind: "permission".into(), target: text.into(), chain });
        }
        for &(c, n) in &listed {
            let wanted: Vec<Mark> = c.marks().iter().map(|&h| mark(n, h)).collect();
            let chain = self.chain(walk, union, routes.as_ref(), &wanted, &mut steps);
            let target = g.node_data(NodeIndex::new(n as usize)).id.clone();
            reaches.push(Reach { kind: c.name().into(), target, chain });
        }

        let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
        if permissions > 0 {
            by_kind.insert("permission".to_owned(), permissions);
        }
        for c in Cat::ALL {
            if counts[c as usize] > 0 {
                by_kind.insert(c.name().to_owned(), counts[c as usize]);
            }
        }
        // A dangerous permission over the whole cluster (or AWS account) outweighs any count of
        // namespaced items.
        let score = by_kind.iter().map(|(k, n)| weight(k) * *n as u64).sum::<u64>()
            + CLUSTER_WIDE_BONUS * wide as u64;
        Some((score, by_kind, steps.list, reaches))
    }

    /// The first shortest route from the credential to every hub of its union (Dijkstra; the
    /// hubs are few), ties broken in the order a single walk would meet them.
    fn routes(&self, walk: &Walk, union: &Union) -> HashMap<usize, Route> {
        let hubs = self.hubs;
        let mut best: HashMap<usize, Route> = HashMap::default();
        let mut heap = BinaryHeap::new();
        let offer = |best: &mut HashMap<usize, Route>, heap: &mut BinaryHeap<_>, hub: usize, route: Route| {
            let better = best.get(&hub).is_none_or(|b| (route.len, &route.order) < (b.len, &b.order));
            if better {
                heap.push(Reverse((route.len, route.order.clone(), hub)));
                best.insert(hub, route);
            }
        };
        for &h in &walk.hubs {
            let path = walk.path(mark(h, OWN));
            let route = Route { len: path.len() as u32, order: self.order_of(&path), entry: Entry::Own };
            offer(&mut best, &mut heap, hubs.of_node[&h], route);
        }
        while let Some(Reverse((len, order, hub))) = heap.pop() {
            if best.get(&hub).is_some_and(|b| (b.len, &b.order) < (len, &order)) {
                continue;
            }
            let w = &hubs.walks[hub];
            for &next in &w.hubs {
                let nh = hubs.of_node[&next];
                if !union.in_union.contains(&nh) {
                    continue;
                }
                let path = w.path(mark(next, OWN));
                let mut next_order = order.clone();
                next_order.extend(self.order_of(&path));
                let route = Route { len: len + path.len() as u32, order: next_order, entry: Entry::Hub(hub) };
                offer(&mut best, &mut heap, nh, route);
            }
        }
        best
    }

    /// The position of each step's edge among the edges of the node it leaves.
    fn order_of(&self, path: &[(u32, u32)]) -> Vec<u32> {
        path.iter().map(|&(_, e)| self.positions[e as usize]).collect()
    }

    /// The steps of the first shortest chain to the first reachable of `wanted` (marks of one
    /// item), as indices into `steps`.
    fn chain(
        &self,
        walk: &Walk,
        union: Option<&Union>,
        routes: Option<&HashMap<usize, Route>>,
        wanted: &[Mark],
        steps: &mut Steps,
    ) -> Vec<usize> {
        let hubs = self.hubs;
        // (length, walk order, from the credential's own walk or a hub's, the mark)
        let mut best: Option<(u32, Vec<u32>, Entry, Mark)> = None;
        let consider =
            |best: &mut Option<(u32, Vec<u32>, Entry, Mark)>, len: u32, order: Vec<u32>, entry, m| {
                if best.as_ref().is_none_or(|b| (len, &order) < (b.0, &b.1)) {
                    *best = Some((len, order, entry, m));
                }
            };
        for &m in wanted {
            if walk.marks.contains_key(&m) {
                let path = walk.path(m);
                consider(&mut best, path.len() as u32, self.order_of(&path), Entry::Own, m);
            }
            if let (Some(u), Some(routes)) = (union, routes) {
                let providers: Vec<usize> = match u.providers.get(&m) {
                    Some(list) => list.clone(),
                    // Not among the union's first items (a listing that went past them).
                    None => {
                        u.hubs.iter().copied().filter(|&h| hubs.walks[h].marks.contains_key(&m)).collect()
                    }
                };
                for h in providers {
                    let (Some(route), Some(d)) = (routes.get(&h), hubs.walks[h].depth(m)) else { continue };
                    if best.as_ref().is_some_and(|b| b.0 < route.len + d) {
                        continue;
                    }
                    let mut order = route.order.clone();
                    order.extend(self.order_of(&hubs.walks[h].path(m)));
                    consider(&mut best, route.len + d, order, Entry::Hub(h), m);
                }
            }
        }
        let Some((_, _, entry, m)) = best else { return Vec::new() };
        // Walk back from the mark to the credential, one walk at a time.
        let mut segments: Vec<Vec<(u32, u32)>> = Vec::new();
        let (mut at, mut target) = (entry, m);
        loop {
            match at {
                Entry::Own => {
                    segments.push(walk.path(target));
                    break;
                }
                Entry::Hub(h) => {
                    segments.push(hubs.walks[h].path(target));
                    target = mark(hubs.nodes[h], OWN);
                    at = routes.and_then(|r| r.get(&h)).map_or(Entry::Own, |r| r.entry);
                }
            }
        }
        segments
            .iter()
            .rev()
            .flatten()
            .map(|&(node, edge)| {
                let text = format!(
                    "{} {}",
                    self.g.node_data(NodeIndex::new(node as usize)).id,
                    self.g.edge_data(EdgeIndex::new(edge as usize)).label
                );
                steps.index(&text)
            })
            .collect()
    }
}

/// The steps of one credential's chains, each once.
#[derive(Default)]
struct Steps {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Steps {
    fn index(&mut self, text: &str) -> usize {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = self.list.len();
        self.list.push(text.to_owned());
        self.index.insert(text.to_owned(), i);
        i
    }
}

/// What the walk reads.
struct Inputs<'x, 'a> {
    graph: &'x AuthGraph,
    estate: &'x Estate<'a>,
    calls: &'x Calls,
    aws: &'x AwsModel<'a>,
}

/// Where the credentials the graph holds are defined, by workload (so that finding a literal's
/// places does not scan every credential of the estate).
struct CredentialIndex {
    by_workload: HashMap<usize, Vec<usize>>,
}

impl CredentialIndex {
    fn new(a: &Inputs<'_, '_>) -> CredentialIndex {
        let mut by_workload: HashMap<usize, Vec<usize>> = HashMap::default();
        for (i, c) in a.calls.credentials.iter().enumerate() {
            by_workload.entry(c.workload).or_default().push(i);
        }
        CredentialIndex { by_workload }
    }
}

/// A credential node as the report shows it: location and fingerprint, never a value.
fn credential_of(a: &Inputs<'_, '_>, index: &CredentialIndex, n: NodeIndex) -> Credential {
    let node = a.graph.node_data(n);
    let id = node.id.clone();
    let ns = node.namespace.clone();
    let mut evidence = Vec::new();
    let mut fingerprint = node.attrs.get("fingerprint").cloned();
    let kind = if let Some(rest) = id.strip_prefix("secret:") {
        let (sns, name) = rest.split_once('/').unwrap_or(("", rest));
        match a.estate.secrets.get(&(sns, name)) {
            Some(s) => {
                evidence.push(Evidence { file: (&s.meta.source.file).into(), line: s.meta.source.line });
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
                    file: (&wv.meta().source.file).into(),
                    line: wv.w.pod.service_account_line.max(wv.meta().source.line),
                });
            }
        }
        "service-account-token"
    } else if let Some((kind, sources)) = a.aws.credentials.get(id.as_str()) {
        // AWS access keys and federated tokens: where the key is listed, where trust admits the
        // token.
        evidence.extend(sources.iter().map(|s| Evidence { file: (&s.file).into(), line: s.line }));
        kind
    } else {
        // A literal is carried by the workloads with an edge to it; find it by workload and name.
        for (w, _) in a.graph.incoming(n) {
            if let Some(&wi) = a.estate.workload_index.get(&a.graph.node_data(w).id) {
                let held = index.by_workload.get(&wi).into_iter().flatten().map(|&i| &a.calls.credentials[i]);
                for c in held.filter(|c| c.name == node.name) {
                    evidence.push(Evidence { file: (&c.source.file).into(), line: c.source.line });
                }
            }
        }
        // Or by a proxy, in a backend URL: where its configuration holds it.
        if node.attrs.get("type").is_some_and(|t| t == "literal in proxy configuration") {
            for leak in &a.calls.leaks {
                if matches!(leak.owner, crate::discover::calls::LeakOwner::Proxy(_))
                    && leak.name == node.name
                    && id.ends_with(&format!("/url@{}", leak.source))
                {
                    evidence.push(Evidence { file: (&leak.source.file).into(), line: leak.source.line });
                }
            }
        }
        "literal"
    };
    evidence.sort();
    evidence.dedup();
    evidence.truncate(5);
    Credential {
        id: id.to_string(),
        kind: kind.to_owned(),
        name: node.name.clone(),
        namespace: ns,
        fingerprint,
        evidence,
    }
}
