//! RBAC in the graph: the edges from an identity to the roles bound to it and to the permission
//! scopes its dangerous capabilities take over. Shared by service accounts and by the Kubernetes
//! users and groups AWS principals are mapped to.

use crate::graph::{AuthGraph, EdgeKind, GEdge, NodeKind};
use crate::resolve::rbac::{Capability, Scope, capabilities};

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
