//! The identity graph: one petgraph of workloads, identities, credentials, services, roles,
//! network zones and permission scopes.
//!
//! "Anyone in this zone can reach X" is one zone node with one edge per reached workload, and
//! "this identity can read every Secret of namespace N" is one edge to a scope node, never an
//! edge per Secret: the graph stays linear in the size of the estate.

pub mod aws;
pub mod build;
pub mod grants;

use rustc_hash::FxHashMap as HashMap;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use ztpath_reports::{AuthMethod, IdentityState, SharedStr};

use crate::intern::Interner;

/// Kinds of node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    Workload,
    ServiceAccount,
    Credential,
    Service,
    Role,
    Zone,
    External,
    /// A process in a proxy's own pod (or host), reached over loopback or a Unix socket: the
    /// application behind a sidecar, or the callers of a loopback listener.
    Local,
    /// A permission scope: every Secret, or every pod/identity, of one namespace.
    Scope,
    /// A proxy or load balancer (a hop on auth paths).
    Proxy,
    /// An AWS IAM role.
    IamRole,
    /// An AWS IAM user.
    IamUser,
    /// An AWS IAM group.
    IamGroup,
    /// An AWS managed policy.
    IamPolicy,
    /// An IAM OIDC identity provider.
    OidcProvider,
    /// An IAM SAML identity provider (human single sign-on).
    SamlProvider,
    /// An EC2 instance profile.
    InstanceProfile,
    /// AWS resources named by a policy (an ARN pattern).
    AwsResource,
    /// A Kubernetes user or group that is not a service account (what `aws-auth` maps AWS
    /// principals to).
    KubeSubject,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Workload => "workload",
            NodeKind::ServiceAccount => "service-account",
            NodeKind::Credential => "credential",
            NodeKind::Service => "service",
            NodeKind::Role => "role",
            NodeKind::Zone => "zone",
            NodeKind::External => "external",
            NodeKind::Local => "local",
            NodeKind::Scope => "scope",
            NodeKind::Proxy => "proxy",
            NodeKind::IamRole => "iam-role",
            NodeKind::IamUser => "iam-user",
            NodeKind::IamGroup => "iam-group",
            NodeKind::IamPolicy => "iam-policy",
            NodeKind::OidcProvider => "oidc-provider",
            NodeKind::SamlProvider => "saml-provider",
            NodeKind::InstanceProfile => "instance-profile",
            NodeKind::AwsResource => "aws-resource",
            NodeKind::KubeSubject => "kubernetes-subject",
        }
    }
}

/// Kinds of edge. The blast-radius walk gives each its meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// workload → workload (through a Service).
    Calls,
    /// workload → external host.
    CallsExternal,
    /// proxy or load balancer → the backend it forwards to.
    Forwards,
    /// workload → service account.
    RunsAs,
    /// workload → credential it loads.
    UsesCredential,
    /// token credential → service account.
    AuthenticatesAs,
    /// static credential → the peer it authenticates to.
    Unlocks,
    /// service account → role (label says through which binding).
    BoundTo,
    /// service → workload.
    Selects,
    /// zone → workload.
    Reaches,
    /// service account → workloads running as it (a holder of its token acts as them).
    ActsAs,
    /// service account → scope (a dangerous capability).
    Can,
    /// scope → member (secret, workload or service account).
    Contains,
    /// service account, IAM principal, federated token or instance profile → the AWS IAM role
    /// it can become.
    AssumesRole,
    /// IAM user → group.
    MemberOf,
    /// IAM principal → managed policy attached to it.
    HasPolicy,
    /// OIDC provider → role whose trust policy accepts its tokens.
    Federates,
    /// IAM principal → the Kubernetes user or group the `aws-auth` ConfigMap maps it to.
    MapsTo,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Calls => "calls",
            EdgeKind::CallsExternal => "calls-external",
            EdgeKind::Forwards => "forwards",
            EdgeKind::RunsAs => "runs-as",
            EdgeKind::UsesCredential => "uses-credential",
            EdgeKind::AuthenticatesAs => "authenticates-as",
            EdgeKind::Unlocks => "unlocks",
            EdgeKind::BoundTo => "bound-to",
            EdgeKind::Selects => "selects",
            EdgeKind::Reaches => "reaches",
            EdgeKind::ActsAs => "acts-as",
            EdgeKind::Can => "can",
            EdgeKind::Contains => "contains",
            EdgeKind::AssumesRole => "assumes-role",
            EdgeKind::MemberOf => "member-of",
            EdgeKind::HasPolicy => "has-policy",
            EdgeKind::Federates => "federates",
            EdgeKind::MapsTo => "maps-to",
        }
    }
}

/// A node.
#[derive(Clone, Debug)]
pub struct GNode {
    pub id: SharedStr,
    pub kind: NodeKind,
    pub name: String,
    pub namespace: Option<String>,
    pub attrs: Attrs,
}

/// A node's attributes (a handful at most): a list kept sorted by key. A map would allocate a
/// whole B-tree leaf for each of the estate's nodes.
#[derive(Clone, Debug, Default)]
pub struct Attrs(Vec<(&'static str, String)>);

impl Attrs {
    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0.binary_search_by(|(k, _)| (*k).cmp(key)).ok().map(|i| &self.0[i].1)
    }

    /// Sets `key` (replacing its value if set).
    pub fn insert(&mut self, key: &'static str, value: String) {
        match self.0.binary_search_by(|(k, _)| (*k).cmp(key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// The attributes in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &String)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }
}

/// An edge.
#[derive(Clone, Debug)]
pub struct GEdge {
    pub kind: EdgeKind,
    /// Short sentence used in blast-radius chains (e.g. "can read Secrets via RoleBinding x"),
    /// one copy per distinct text in the graph.
    pub label: SharedStr,
    pub auth: Option<AuthMethod>,
    pub identity: Option<IdentityState>,
    /// For `can`: the permission holds over the whole cluster or AWS account (the blast
    /// radius weighs it more).
    pub wide: bool,
}

impl GEdge {
    pub fn new(kind: EdgeKind, label: impl Into<SharedStr>) -> GEdge {
        GEdge { kind, label: label.into(), auth: None, identity: None, wide: false }
    }

    /// Marks a permission held cluster-wide or account-wide.
    pub fn wide(mut self, wide: bool) -> GEdge {
        self.wide = wide;
        self
    }
}

/// The identity graph.
#[derive(Default)]
pub struct AuthGraph {
    g: DiGraph<GNode, GEdge>,
    index: HashMap<SharedStr, NodeIndex>,
    edge_index: HashMap<(NodeIndex, NodeIndex, EdgeKind), EdgeIndex>,
    /// One copy of each edge label ("calls shop/Deployment/cart" repeats for every caller).
    labels: Interner,
    /// Built: see [`AuthGraph::seal`].
    sealed: bool,
}

impl AuthGraph {
    /// Adds a node, or returns the existing one with that id.
    pub fn node(
        &mut self,
        id: impl Into<SharedStr> + AsRef<str>,
        kind: NodeKind,
        name: &str,
        namespace: Option<&str>,
    ) -> NodeIndex {
        if let Some(&i) = self.index.get(id.as_ref()) {
            return i;
        }
        let id: SharedStr = id.into();
        let i = self.g.add_node(GNode {
            id: id.clone(),
            kind,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            attrs: Attrs::default(),
        });
        self.index.insert(id, i);
        i
    }

    /// Makes room for `additional` more edges at once (a phase that adds a million call edges
    /// would otherwise double the edge list, and its index, several times over).
    pub fn reserve_edges(&mut self, additional: usize) {
        self.g.reserve_edges(additional);
        self.edge_index.reserve(additional);
    }

    /// Ends building: the index that keeps edges unique and the labels' table are freed (a
    /// million call edges make them tens of megabytes). Nothing adds an edge after the paths.
    pub fn seal(&mut self) {
        self.edge_index = HashMap::default();
        self.labels = Interner::default();
        self.sealed = true;
    }

    /// Adds an edge unless one of the same kind already joins the two nodes.
    ///
    /// # Panics
    /// After [`AuthGraph::seal`].
    pub fn edge(&mut self, from: NodeIndex, to: NodeIndex, mut edge: GEdge) -> EdgeIndex {
        assert!(!self.sealed, "an edge added to a sealed graph");
        let key = (from, to, edge.kind);
        if let Some(&e) = self.edge_index.get(&key) {
            return e;
        }
        self.labels.share(&mut edge.label);
        let e = self.g.add_edge(from, to, edge);
        self.edge_index.insert(key, e);
        e
    }

    pub fn get(&self, id: &str) -> Option<NodeIndex> {
        self.index.get(id).copied()
    }

    pub fn set_attr(&mut self, n: NodeIndex, key: &'static str, value: String) {
        self.g[n].attrs.insert(key, value);
    }

    pub fn node_data(&self, n: NodeIndex) -> &GNode {
        &self.g[n]
    }

    pub fn edge_data_mut(&mut self, e: EdgeIndex) -> &mut GEdge {
        &mut self.g[e]
    }

    /// Outgoing edges of a node: (target, edge).
    pub fn out(&self, n: NodeIndex) -> impl Iterator<Item = (NodeIndex, &GEdge)> {
        self.g.edges(n).map(|e| (e.target(), e.weight()))
    }

    /// Outgoing edges of a node with their indices: (target, edge index, edge).
    pub fn out_indexed(&self, n: NodeIndex) -> impl Iterator<Item = (NodeIndex, EdgeIndex, &GEdge)> {
        self.g.edges(n).map(|e| (e.target(), e.id(), e.weight()))
    }

    /// An edge by index.
    pub fn edge_data(&self, e: EdgeIndex) -> &GEdge {
        &self.g[e]
    }

    /// Incoming edges of a node: (source, edge).
    pub fn incoming(&self, n: NodeIndex) -> impl Iterator<Item = (NodeIndex, &GEdge)> {
        self.g.edges_directed(n, petgraph::Direction::Incoming).map(|e| (e.source(), e.weight()))
    }

    pub fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &GNode)> {
        self.g.node_indices().map(|i| (i, &self.g[i]))
    }

    pub fn edges(&self) -> impl Iterator<Item = (NodeIndex, NodeIndex, &GEdge)> {
        self.g.edge_references().map(|e| (e.source(), e.target(), e.weight()))
    }

    pub fn edge_count(&self) -> usize {
        self.g.edge_count()
    }

    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    pub fn count(&self, kind: NodeKind) -> usize {
        self.g.node_weights().filter(|n| n.kind == kind).count()
    }

    /// Checks the invariants every later stage relies on (used by tests).
    pub fn verify(&self) -> Result<(), String> {
        for (id, &i) in &self.index {
            if &self.g[i].id != id {
                return Err(format!("index of {id} points at {}", self.g[i].id));
            }
        }
        if self.index.len() != self.g.node_count() {
            return Err("duplicate node ids".to_owned());
        }
        for e in self.g.edge_references() {
            let (s, t) = (&self.g[e.source()], &self.g[e.target()]);
            let ok = match e.weight().kind {
                EdgeKind::Calls => s.kind == NodeKind::Workload && t.kind == NodeKind::Workload,
                EdgeKind::RunsAs => s.kind == NodeKind::Workload && t.kind == NodeKind::ServiceAccount,
                EdgeKind::AuthenticatesAs => {
                    s.kind == NodeKind::Credential && t.kind == NodeKind::ServiceAccount
                }
                EdgeKind::Reaches => s.kind == NodeKind::Zone && t.kind == NodeKind::Workload,
                EdgeKind::Can => {
                    matches!(
                        s.kind,
                        NodeKind::ServiceAccount
                            | NodeKind::IamRole
                            | NodeKind::IamUser
                            | NodeKind::KubeSubject
                    ) && matches!(t.kind, NodeKind::Scope | NodeKind::AwsResource)
                }
                EdgeKind::AssumesRole => t.kind == NodeKind::IamRole,
                _ => true,
            };
            if !ok {
                return Err(format!(
                    "edge {} from {} to {} joins the wrong kinds",
                    e.weight().kind.as_str(),
                    s.id,
                    t.id
                ));
            }
        }
        Ok(())
    }
}
