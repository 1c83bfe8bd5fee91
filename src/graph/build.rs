//! Phase 3: the identity graph of the estate as the inventory and the discovered calls describe
//! it — workloads, service accounts, credentials, Services, RBAC roles and permission scopes, and
//! the AWS principals ([`crate::graph::aws`]). The paths phase then adds the edges it walks (zone
//! reach and calls).

use std::collections::BTreeSet;

use crate::discover::calls::{Calls, CredentialOrigin, HeldCredential, Role, Target};
use crate::graph::grants::add_grant_edges;
use crate::graph::{AuthGraph, EdgeKind, GEdge, NodeKind};
use crate::ids::{literal_id, sa_id, secret_id, service_id};
use crate::resolve::aws::AwsModel;
use crate::resolve::estate::Estate;
use crate::resolve::rbac::Rbac;

/// Builds the graph of the estate.
pub fn identity_graph(est: &Estate<'_>, rbac: &Rbac<'_>, calls: &Calls, aws: &AwsModel<'_>) -> AuthGraph {
    let mut graph = AuthGraph::default();
    let g = &mut graph;
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
            let n =
                g.node(format!("scope:{scope}/{ns}"), NodeKind::Scope, &format!("{what} in {ns}"), Some(ns));
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
        let scope =
            g.node(format!("scope:secrets/{ns}"), NodeKind::Scope, &format!("all Secrets in {ns}"), Some(ns));
        g.edge(scope, n, GEdge::new(EdgeKind::Contains, format!("holds Secret {ns}/{}", s.meta.name)));
    }

    for w in &est.workloads {
        let wn = g.node(w.id.clone(), NodeKind::Workload, w.name(), Some(w.ns));
        g.set_attr(wn, "kind", w.kind().to_owned());
        g.set_attr(wn, "mesh", w.mesh.as_str().to_owned());
        let san = g.node(sa_id(w.ns, &w.sa), NodeKind::ServiceAccount, &w.sa, Some(w.ns));
        g.set_attr(san, "spiffe", est.spiffe_id(w.ns, &w.sa));
        g.edge(wn, san, GEdge::new(EdgeKind::RunsAs, format!("runs as service account {}/{}", w.ns, w.sa)));
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
            g.edge(wn, cn, GEdge::new(EdgeKind::UsesCredential, format!("loads Secret {}/{secret}", w.ns)));
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
    crate::graph::aws::add(g, aws);
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
    for c in &calls.credentials {
        let w = &est.workloads[c.workload];
        let wn = g.get(&w.id).expect("workload node");
        let cn = match &c.origin {
            CredentialOrigin::SecretKey { secret, .. } | CredentialOrigin::SecretUnknownKeys { secret } => {
                g.node(secret_id(w.ns, secret), NodeKind::Credential, secret, Some(w.ns))
            }
            CredentialOrigin::Literal { fingerprint, .. } | CredentialOrigin::UrlPassword { fingerprint } => {
                let n = g.node(literal_id(&w.display(), &c.name), NodeKind::Credential, &c.name, Some(w.ns));
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
                GEdge::new(EdgeKind::Unlocks, format!("authenticates {} to {}", c.name, g.node_data(tn).id)),
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
    for c in &calls.credentials {
        let Role::Accepts { holders, .. } = &c.role else { continue };
        let server = &est.workloads[c.workload];
        let sn = g.get(&server.id).expect("workload node");
        for h in holders {
            let hc = &calls.credentials[h.credential];
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
        add_grant_edges(g, san, rbac.grants_of(ns, sa));
    }
    // AWS principals mapped into the cluster by the aws-auth ConfigMap: their Kubernetes
    // user and groups get the same edges as a service account.
    crate::graph::aws::add_kubernetes_mappings(g, aws, rbac);
    graph
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

/// The graph node of a workload's static credential.
pub fn credential_node_id(est: &Estate<'_>, c: &HeldCredential) -> String {
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
