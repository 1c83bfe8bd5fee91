//! AWS IAM on the identity graph.
//!
//! Nodes: users, groups, roles, attached managed policies, OIDC providers, instance profiles,
//! access keys (static credentials), federated tokens (a CI pipeline's OIDC token is a
//! credential too) and the AWS resources named by the grants that matter (secret stores).
//!
//! Edges the blast-radius walk follows: a key *authenticates as* its user; a service account,
//! federated token, instance profile, user or role *assumes* a role; a principal *can* act on an
//! account scope (administrator, or every role that trusts the account) or a resource pattern.
//! Edges for the architect's view only: *member of* a group, *has policy*, a provider *federates*
//! a role.
//!
//! Whole-account reach stays one edge: "can assume every role that trusts account A" goes to one
//! scope node, which contains those roles.

use crate::graph::{AuthGraph, EdgeKind, GEdge, NodeKind};
use crate::ids::{account_scope_id, assumable_scope_id, federated_id, role_node_id, sa_id, user_node_id};
use crate::resolve::aws::trust::{Trustee, issuer_of};
use crate::resolve::aws::{Assumer, AwsModel, Principal, account_of};

pub fn add(g: &mut AuthGraph, m: &AwsModel<'_>) {
    let inv = m.inv;
    for r in &inv.roles {
        let n = g.node(role_node_id(&r.arn), NodeKind::IamRole, &r.name, None);
        g.set_attr(n, "arn", r.arn.clone());
    }
    for x in &inv.groups {
        let n = g.node(format!("iam-group:{}", x.arn), NodeKind::IamGroup, &x.name, None);
        g.set_attr(n, "arn", x.arn.clone());
    }
    let group_arns: rustc_hash::FxHashMap<&str, &str> =
        inv.groups.iter().map(|x| (x.name.as_str(), x.arn.as_str())).collect();
    for u in &inv.users {
        let n = g.node(user_node_id(&u.arn), NodeKind::IamUser, &u.name, None);
        g.set_attr(n, "arn", u.arn.clone());
        for gname in &u.groups {
            let gid = match group_arns.get(gname.as_str()) {
                Some(arn) => format!("iam-group:{arn}"),
                None => format!("iam-group:{gname}"),
            };
            let gn = g.node(gid, NodeKind::IamGroup, gname, None);
            g.edge(n, gn, GEdge::new(EdgeKind::MemberOf, format!("is a member of IAM group {gname}")));
        }
    }
    // Policies (the architect's view: which policy grants what to whom): attached managed
    // policies by ARN, inline policies as nodes of their own under their owner.
    let owners = inv
        .users
        .iter()
        .map(|u| (user_node_id(&u.arn), &u.attached_policies, &u.inline_policies))
        .chain(inv.roles.iter().map(|r| (role_node_id(&r.arn), &r.attached_policies, &r.inline_policies)))
        .chain(
            inv.groups
                .iter()
                .map(|x| (format!("iam-group:{}", x.arn), &x.attached_policies, &x.inline_policies)),
        );
    for (owner, attached, inline) in owners {
        let on = g.get(&owner).expect("principal node");
        for p in attached {
            let pn = g.node(format!("iam-policy:{}", p.arn), NodeKind::IamPolicy, &p.name, None);
            g.edge(on, pn, GEdge::new(EdgeKind::HasPolicy, format!("has managed policy {}", p.name)));
        }
        for p in inline {
            let pn =
                g.node(format!("iam-inline-policy:{owner}#{}", p.name), NodeKind::IamPolicy, &p.name, None);
            g.set_attr(pn, "inline", "true".to_owned());
            g.edge(on, pn, GEdge::new(EdgeKind::HasPolicy, format!("has inline policy {}", p.name)));
        }
    }

    // Access keys: static credentials that authenticate as their user.
    for k in m.keys.iter().filter(|k| k.active) {
        let un = g.node(user_node_id(&k.user_arn), NodeKind::IamUser, k.user, None);
        let kn =
            g.node(k.node_id(), NodeKind::Credential, &format!("{} access key {}", k.user, k.label), None);
        g.set_attr(kn, "type", "aws-access-key".to_owned());
        g.edge(
            kn,
            un,
            GEdge::new(EdgeKind::AuthenticatesAs, format!("authenticates as IAM user {}", k.user)),
        );
        if k.user == "<root_account>" {
            // The root user: no policy limits it.
            let acct = account_of(&k.user_arn).unwrap_or("unknown");
            let sn = account_scope(g, acct);
            g.edge(
                un,
                sn,
                GEdge::new(
                    EdgeKind::Can,
                    format!("is the root user of AWS account {acct}, account-wide (no policy limits it)"),
                )
                .wide(true),
            );
        }
    }

    // What each principal can do.
    for p in &m.principals {
        add_capabilities(g, m, p);
    }
    for (acct, roles) in &m.account_trusting {
        // Roles trusting anyone sit in every account's scope.
        let accounts: Vec<String> = if acct == "*" {
            m.accounts.iter().map(std::string::ToString::to_string).collect()
        } else {
            vec![acct.clone()]
        };
        for a in accounts {
            let sn = g.node(
                assumable_scope_id(&a),
                NodeKind::Scope,
                &format!("every role that trusts account {a}"),
                None,
            );
            for &r in roles {
                let rn = g.node(role_node_id(r), NodeKind::IamRole, r.rsplit('/').next().unwrap_or(r), None);
                let why = if acct == "*" { "trusts any principal" } else { "trusts the whole account" };
                g.edge(sn, rn, GEdge::new(EdgeKind::Contains, format!("includes role {r}, which {why}")));
            }
        }
    }

    // Ways into roles from outside IAM.
    for (role, entries) in &m.entries {
        let rn = g.node(role_node_id(role), NodeKind::IamRole, role.rsplit('/').next().unwrap_or(role), None);
        for e in entries {
            let from = match &e.assumer {
                Assumer::ServiceAccount { namespace, name, .. } => {
                    g.node(sa_id(namespace, name), NodeKind::ServiceAccount, name, Some(namespace))
                }
                Assumer::Federated { issuer, subject } => {
                    let n = g.node(
                        federated_id(issuer, subject),
                        NodeKind::Credential,
                        &format!("{issuer} token for {subject}"),
                        None,
                    );
                    g.set_attr(n, "type", "oidc-token".to_owned());
                    n
                }
            };
            g.edge(from, rn, GEdge::new(EdgeKind::AssumesRole, e.label.clone()));
        }
    }
    // Identity providers and the roles they federate; instance profiles and their roles.
    for r in &inv.roles {
        let rn = g.get(&role_node_id(&r.arn)).expect("role node");
        for e in &m.trust[r.arn.as_str()] {
            if !e.assume {
                continue;
            }
            let (pn, label) = match &e.trustee {
                Trustee::Federated { provider, .. } => (
                    g.node(
                        format!("oidc-provider:{provider}"),
                        NodeKind::OidcProvider,
                        &issuer_of(provider),
                        None,
                    ),
                    format!("its tokens can assume role {}", r.arn),
                ),
                Trustee::Saml { provider } => (
                    g.node(format!("saml-provider:{provider}"), NodeKind::SamlProvider, provider, None),
                    format!("its SAML assertions (single sign-on) can assume role {}", r.arn),
                ),
                _ => continue,
            };
            g.edge(pn, rn, GEdge::new(EdgeKind::Federates, label));
        }
        for ip in &r.instance_profiles {
            let n =
                g.node(format!("instance-profile:{}", ip.name), NodeKind::InstanceProfile, &ip.name, None);
            g.edge(
                n,
                rn,
                GEdge::new(
                    EdgeKind::AssumesRole,
                    format!("gives EC2 instances the credentials of role {}", r.arn),
                ),
            );
        }
    }
}

fn add_capabilities(g: &mut AuthGraph, m: &AwsModel<'_>, p: &Principal<'_>) {
    let pn = g.get(&p.who.node_id()).expect("principal node");
    let acct = p.account.unwrap_or("unknown");
    let caps = &p.caps;
    // What the evaluation could not see: the grants behind these are unknown.
    if !caps.unknown_policies.is_empty() {
        g.set_attr(pn, "policies-not-in-input", caps.unknown_policies.join(" "));
    }
    if let Some(b) = caps.unknown_boundary {
        g.set_attr(pn, "boundary-not-in-input", b.to_owned());
    }
    if let Some((what, grant)) = caps.account_takeover() {
        let sn = account_scope(g, acct);
        let by = grant.origins.first().map(|o| o.policy).unwrap_or("?");
        let label = if caps.admin.is_some() {
            format!("is administrator of AWS account {acct}, account-wide ({what}, policy {by})")
        } else {
            format!("can make itself administrator of AWS account {acct}, account-wide ({what}, policy {by})")
        };
        g.edge(pn, sn, GEdge::new(EdgeKind::Can, label).wide(true));
    }
    for (action, grant) in &caps.secret_reads {
        for pattern in &grant.resources {
            let what = secret_store(action);
            let rn = g.node(
                format!("aws-resource:{}:{pattern}", action.split(':').next().unwrap_or("aws")),
                NodeKind::AwsResource,
                &format!("{what} {pattern}"),
                None,
            );
            let wide = if pattern == "*" { ", account-wide" } else { "" };
            g.edge(
                pn,
                rn,
                GEdge::new(EdgeKind::Can, format!("can read {what} {pattern} ({action}){wide}"))
                    .wide(pattern == "*"),
            );
        }
    }
    let assumable = m.assumable(p);
    for a in &assumable.account_scopes {
        let sn = g.node(
            assumable_scope_id(a),
            NodeKind::Scope,
            &format!("every role that trusts account {a}"),
            None,
        );
        g.edge(pn, sn, GEdge::new(EdgeKind::Can, format!("can assume every role that trusts account {a}")));
    }
    for r in &assumable.roles {
        let rn = g.node(role_node_id(r), NodeKind::IamRole, r.rsplit('/').next().unwrap_or(r), None);
        let cross = if account_of(r) != p.account { " (cross-account)" } else { "" };
        g.edge(pn, rn, GEdge::new(EdgeKind::AssumesRole, format!("can assume role {r}{cross}")));
    }
}

/// Puts the aws-auth mappings on the graph: principal → Kubernetes user and groups, and what
/// RBAC grants those (`system:masters` holds everything, bypassing RBAC).
pub fn add_kubernetes_mappings(g: &mut AuthGraph, m: &AwsModel<'_>, rbac: &crate::resolve::rbac::Rbac<'_>) {
    for k in &m.kube_mappings {
        let kind = if k.node_id.starts_with("iam-role:") { NodeKind::IamRole } else { NodeKind::IamUser };
        let name = k.arn.rsplit('/').next().unwrap_or(&k.arn).to_owned();
        let pn = g.node(k.node_id.clone(), kind, &name, None);
        let subjects = k
            .username
            .iter()
            .map(|u| ("User", u.as_str()))
            .chain(k.groups.iter().map(|x| ("Group", x.as_str())));
        for (skind, sname) in subjects {
            // Templated names (`system:node:{{EC2PrivateDNSName}}`) stay as written.
            let sn = g.node(
                format!("k8s-{}:{sname}", skind.to_ascii_lowercase()),
                NodeKind::KubeSubject,
                sname,
                None,
            );
            let what = if skind == "User" { "user" } else { "group" };
            g.edge(
                pn,
                sn,
                GEdge::new(
                    EdgeKind::MapsTo,
                    format!("is Kubernetes {what} {sname} through the aws-auth ConfigMap"),
                ),
            );
            crate::graph::grants::add_grant_edges(g, sn, rbac.grants_of_subject(skind, sname));
            if skind == "Group" && sname == "system:masters" {
                for scope in ["secrets", "pods", "identities"] {
                    if let Some(sc) = g.get(&format!("scope:{scope}/*")) {
                        g.edge(
                            sn,
                            sc,
                            GEdge::new(
                                EdgeKind::Can,
                                "holds every permission cluster-wide (system:masters bypasses RBAC)",
                            )
                            .wide(true),
                        );
                    }
                }
            }
        }
    }
}

/// The scope "everything in account `acct`", which contains every role trusting the account.
fn account_scope(g: &mut AuthGraph, acct: &str) -> petgraph::graph::NodeIndex {
    let sn =
        g.node(account_scope_id(acct), NodeKind::Scope, &format!("everything in AWS account {acct}"), None);
    let an = g.node(
        assumable_scope_id(acct),
        NodeKind::Scope,
        &format!("every role that trusts account {acct}"),
        None,
    );
    g.edge(sn, an, GEdge::new(EdgeKind::Contains, format!("includes every role that trusts account {acct}")));
    sn
}

/// What a secret-reading action reads.
fn secret_store(action: &str) -> &'static str {
    match action.split(':').next() {
        Some("secretsmanager") => "Secrets Manager secrets",
        Some("ssm") => "SSM parameters",
        Some("kms") => "data encrypted under KMS keys",
        _ => "secrets",
    }
}
