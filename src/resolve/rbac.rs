//! Effective RBAC of service accounts: which rules reach which service account, at which scope,
//! through which binding. Aggregated ClusterRoles are expanded; group subjects that cover service
//! accounts (`system:serviceaccounts`, `system:serviceaccounts:<ns>`, `system:authenticated`) are
//! applied to every service account they cover without copying the grant per account.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use ztpath_probes::{Inventory, PolicyRule, Role, RoleBinding, RoleKind, Source};

/// Where a grant applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every namespace (ClusterRoleBinding).
    Cluster,
    /// One namespace (RoleBinding).
    Namespace(String),
}

impl Scope {
    pub fn covers(&self, ns: &str) -> bool {
        match self {
            Scope::Cluster => true,
            Scope::Namespace(n) => n == ns,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Scope::Cluster => "cluster-wide".to_owned(),
            Scope::Namespace(ns) => format!("in namespace {ns}"),
        }
    }
}

/// One rule granted to a subject through one binding.
#[derive(Debug)]
pub struct Grant<'a> {
    pub rule: &'a PolicyRule,
    pub role: &'a Role,
    pub binding: &'a RoleBinding,
    pub scope: Scope,
}

impl Grant<'_> {
    pub fn allows(&self, verb: &str, group: &str, resource: &str) -> bool {
        rule_allows(self.rule, verb, group, resource)
    }
    pub fn source(&self) -> &Source {
        &self.binding.meta.source
    }
    /// `ClusterRole/admin via RoleBinding shop/x`.
    pub fn via(&self) -> String {
        format!(
            "{} {} via {} {}",
            self.role.meta.kind,
            self.role.meta.name,
            self.binding.meta.kind,
            match self.binding.meta.namespace.as_deref() {
                Some(ns) => format!("{ns}/{}", self.binding.meta.name),
                None => self.binding.meta.name.clone(),
            }
        )
    }
}

/// True when an RBAC rule allows `verb` on `group`/`resource` (resource may carry a subresource,
/// e.g. `pods/exec`). `*` matches anything; `resourceNames` restrictions are ignored here (they
/// narrow a grant but do not remove it: callers report them).
pub fn rule_allows(rule: &PolicyRule, verb: &str, group: &str, resource: &str) -> bool {
    let any = |list: &[String], want: &str| list.iter().any(|v| v == "*" || v == want);
    any(&rule.verbs, verb)
        && (rule.api_groups.is_empty() && group.is_empty() || any(&rule.api_groups, group))
        && any(&rule.resources, resource)
}

/// Effective grants, indexed for per-service-account lookup.
pub struct Rbac<'a> {
    /// Grants to one (namespace, service account).
    by_sa: HashMap<(String, String), Vec<Grant<'a>>>,
    /// Grants to every service account in a namespace (`system:serviceaccounts:<ns>`).
    by_sa_namespace: HashMap<String, Vec<Grant<'a>>>,
    /// Grants to every service account (`system:serviceaccounts`, `system:authenticated`).
    to_all: Vec<Grant<'a>>,
    /// Service-account subjects named in bindings: (ns, name) → bindings naming them.
    pub named_subjects: HashMap<(String, String), Vec<(&'a RoleBinding, u32)>>,
    /// Grants to non-service-account subjects (users, other groups), counted for the summary.
    pub other_subjects: usize,
    /// Grants to users and groups that are not service accounts, by (kind, name): the subjects
    /// AWS principals become through the `aws-auth` ConfigMap.
    by_subject: HashMap<(String, String), Vec<Grant<'a>>>,
    /// Every binding with the rules it grants (role and aggregated parts) and its scope.
    pub bindings: Vec<ResolvedBinding<'a>>,
}

/// A binding resolved to the rules it grants.
pub struct ResolvedBinding<'a> {
    pub binding: &'a RoleBinding,
    pub rules: Vec<(&'a PolicyRule, &'a Role)>,
    pub scope: Scope,
    /// False when the role it names is neither in the input nor a known built-in.
    pub role_found: bool,
}

impl<'a> Rbac<'a> {
    pub fn new(inv: &'a Inventory) -> Rbac<'a> {
        let mut cluster_roles: HashMap<&str, &Role> = HashMap::default();
        let mut roles: HashMap<(&str, &str), &Role> = HashMap::default();
        for r in &inv.roles {
            if r.meta.kind == "ClusterRole" {
                cluster_roles.entry(r.meta.name.as_str()).or_insert(r);
            } else {
                roles.entry((r.meta.ns(), r.meta.name.as_str())).or_insert(r);
            }
        }
        let aggregated = expand_aggregation(inv);

        let mut rbac = Rbac {
            by_sa: HashMap::default(),
            by_sa_namespace: HashMap::default(),
            to_all: Vec::new(),
            named_subjects: HashMap::default(),
            other_subjects: 0,
            by_subject: HashMap::default(),
            bindings: Vec::new(),
        };
        for b in &inv.role_bindings {
            let cluster_binding = b.meta.kind == "ClusterRoleBinding";
            let role = match b.role_kind {
                // A ClusterRoleBinding cannot refer to a Role, and the API server refuses a
                // binding to any other kind: neither grants anything.
                RoleKind::Role if cluster_binding => continue,
                RoleKind::Unknown => continue,
                RoleKind::Role => roles.get(&(b.meta.ns(), b.role_name.as_str())).copied(),
                RoleKind::ClusterRole => cluster_roles.get(b.role_name.as_str()).copied(),
            };
            let scope =
                if cluster_binding { Scope::Cluster } else { Scope::Namespace(b.meta.ns().to_owned()) };
            // Rules of the role itself plus, for an aggregated ClusterRole, its parts.
            let mut rules: Vec<(&PolicyRule, &Role)> = Vec::new();
            match role {
                Some(role) => {
                    rules.extend(role.rules.iter().map(|r| (r, role)));
                    if let Some(parts) =
                        aggregated.get(role.meta.name.as_str()).filter(|_| role.meta.kind == "ClusterRole")
                    {
                        for part in parts {
                            rules.extend(part.rules.iter().map(|r| (r, *part)));
                        }
                    }
                }
                None => {
                    // A binding to a built-in ClusterRole that the input does not define.
                    if let Some(builtin) = builtin_cluster_role(&b.role_name) {
                        rules.extend(builtin.rules.iter().map(|r| (r, builtin)));
                    }
                }
            }
            for s in &b.subjects {
                let grants = || {
                    rules.iter().map(|(rule, role)| Grant { rule, role, binding: b, scope: scope.clone() })
                };
                match (s.kind.as_str(), s.name.as_str()) {
                    ("ServiceAccount", name) => {
                        let ns = s.namespace.clone().unwrap_or_else(|| b.meta.ns().to_owned());
                        let key = (ns, name.to_owned());
                        rbac.named_subjects.entry(key.clone()).or_default().push((b, s.line));
                        rbac.by_sa.entry(key).or_default().extend(grants());
                    }
                    ("User", name) if name.starts_with("system:serviceaccount:") => {
                        let mut parts = name.trim_start_matches("system:serviceaccount:").splitn(2, ':');
                        if let (Some(ns), Some(sa)) = (parts.next(), parts.next()) {
                            let key = (ns.to_owned(), sa.to_owned());
                            rbac.named_subjects.entry(key.clone()).or_default().push((b, s.line));
                            rbac.by_sa.entry(key).or_default().extend(grants());
                        }
                    }
                    ("Group", "system:serviceaccounts") => rbac.to_all.extend(grants()),
                    ("Group", "system:authenticated") => {
                        // Every service account, and every other authenticated user too.
                        rbac.to_all.extend(grants());
                        rbac.by_subject
                            .entry(("Group".to_owned(), "system:authenticated".to_owned()))
                            .or_default()
                            .extend(grants());
                    }
                    ("Group", name) if name.starts_with("system:serviceaccounts:") => {
                        let ns = name.trim_start_matches("system:serviceaccounts:").to_owned();
                        rbac.by_sa_namespace.entry(ns).or_default().extend(grants());
                    }
                    (kind @ ("User" | "Group"), name) => {
                        rbac.other_subjects += 1;
                        rbac.by_subject
                            .entry((kind.to_owned(), name.to_owned()))
                            .or_default()
                            .extend(grants());
                    }
                    _ => rbac.other_subjects += 1,
                }
            }
            let role_found = !rules.is_empty() || role.is_some();
            rbac.bindings.push(ResolvedBinding { binding: b, rules, scope, role_found });
        }
        rbac
    }

    /// Every grant bound to a user or group (`kind` is `User` or `Group`) by name, plus those
    /// bound to `system:authenticated`, which every authenticated user is in.
    pub fn grants_of_subject(&self, kind: &str, name: &str) -> impl Iterator<Item = &Grant<'a>> {
        self.by_subject.get(&(kind.to_owned(), name.to_owned())).into_iter().flatten().chain(
            self.by_subject
                .get(&("Group".to_owned(), "system:authenticated".to_owned()))
                .into_iter()
                .flatten()
                .filter(move |_| !(kind == "Group" && name == "system:authenticated")),
        )
    }

    /// Every grant that applies to a service account, in binding order.
    pub fn grants_of(&self, ns: &str, sa: &str) -> impl Iterator<Item = &Grant<'a>> {
        self.by_sa
            .get(&(ns.to_owned(), sa.to_owned()))
            .into_iter()
            .flatten()
            .chain(self.by_sa_namespace.get(ns).into_iter().flatten())
            .chain(self.to_all.iter())
    }

    /// True when any binding grants the service account anything.
    pub fn has_grants(&self, ns: &str, sa: &str) -> bool {
        self.grants_of(ns, sa).next().is_some()
    }
}

/// ClusterRole name → the ClusterRoles its aggregation rule selects (by their labels), transitively.
fn expand_aggregation(inv: &Inventory) -> HashMap<&str, Vec<&Role>> {
    let cluster_roles: Vec<&Role> = inv.roles.iter().filter(|r| r.meta.kind == "ClusterRole").collect();
    let mut out: HashMap<&str, Vec<&Role>> = HashMap::default();
    for r in cluster_roles.iter().filter(|r| !r.aggregation.is_empty()) {
        let mut picked: Vec<&Role> = Vec::new();
        let mut names = BTreeSet::new();
        let mut frontier = vec![*r];
        while let Some(agg) = frontier.pop() {
            for part in &cluster_roles {
                if part.meta.name == r.meta.name || names.contains(part.meta.name.as_str()) {
                    continue;
                }
                if agg.aggregation.iter().any(|sel| !sel.is_empty() && sel.matches(&part.meta.labels)) {
                    names.insert(part.meta.name.as_str());
                    picked.push(part);
                    if !part.aggregation.is_empty() {
                        frontier.push(part);
                    }
                }
            }
        }
        out.insert(r.meta.name.as_str(), picked);
    }
    out
}

/// The built-in ClusterRoles whose power matters when a binding names them without the input
/// defining them (a repo of manifests rarely contains `cluster-admin`).
fn builtin_cluster_role(name: &str) -> Option<&'static Role> {
    use std::sync::LazyLock;
    static BUILTINS: LazyLock<Vec<Role>> = LazyLock::new(|| {
        let role = |name: &str, rules: Vec<(Vec<&str>, Vec<&str>, Vec<&str>)>| Role {
            meta: ztpath_probes::ObjectMeta {
                kind: "ClusterRole".into(),
                api_version: "rbac.authorization.k8s.io/v1".into(),
                name: name.into(),
                namespace: None,
                namespace_defaulted: false,
                labels: Default::default(),
                annotations: Default::default(),
                creation_timestamp: None,
                owner: None,
                source: crate::resolve::builtin::source("built-in ClusterRole"),
            },
            rules: rules
                .into_iter()
                .map(|(groups, resources, verbs)| PolicyRule {
                    api_groups: groups.into_iter().map(str::to_owned).collect(),
                    resources: resources.into_iter().map(str::to_owned).collect(),
                    verbs: verbs.into_iter().map(str::to_owned).collect(),
                    resource_names: vec![],
                    non_resource_urls: vec![],
                    line: 0,
                })
                .collect(),
            aggregation: vec![],
        };
        let rw = vec!["get", "list", "watch", "create", "update", "patch", "delete"];
        // What `admin` and `edit` share: run and enter pods, read Secrets, act as service accounts.
        let workload_rules = || {
            vec![
                (
                    vec![""],
                    vec![
                        "pods",
                        "pods/exec",
                        "pods/attach",
                        "pods/portforward",
                        "secrets",
                        "configmaps",
                        "services",
                        "serviceaccounts",
                    ],
                    rw.clone(),
                ),
                (vec!["apps", "batch"], vec!["*"], rw.clone()),
                (vec![""], vec!["serviceaccounts"], vec!["impersonate"]),
            ]
        };
        let mut admin = workload_rules();
        admin.push((vec!["rbac.authorization.k8s.io"], vec!["roles", "rolebindings"], rw.clone()));
        vec![
            role("cluster-admin", vec![(vec!["*"], vec!["*"], vec!["*"])]),
            role("admin", admin),
            role("edit", workload_rules()),
            role(
                "view",
                vec![(
                    vec!["", "apps", "batch"],
                    vec!["pods", "services", "configmaps", "deployments", "jobs"],
                    vec!["get", "list", "watch"],
                )],
            ),
        ]
    });
    BUILTINS.iter().find(|r| r.meta.name == name)
}

/// A dangerous capability granted by RBAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// `*` verbs on `*` resources.
    Wildcard,
    /// get/list/watch on Secrets.
    ReadSecrets,
    /// create Pods or pod controllers (runs as any SA of the namespace, mounts any Secret).
    CreatePods,
    /// pods/exec or pods/attach.
    ExecPods,
    /// impersonate users, groups or service accounts.
    Impersonate,
    /// bind or escalate roles.
    BindEscalate,
    /// nodes/proxy (kubelet API, exec in every pod of a node).
    NodesProxy,
    /// serviceaccounts/token create (mint tokens for any SA).
    MintTokens,
    /// Approve certificate signing requests.
    ApproveCsr,
    /// Change admission webhooks.
    Webhooks,
}

impl Capability {
    pub fn describe(self) -> &'static str {
        match self {
            Capability::Wildcard => "all verbs on all resources (*)",
            Capability::ReadSecrets => "read Secrets (get/list/watch)",
            Capability::CreatePods => "create pods or change pod controllers",
            Capability::ExecPods => "exec/attach into pods or patch them",
            Capability::Impersonate => "impersonate other identities",
            Capability::BindEscalate => "bind or escalate roles",
            Capability::NodesProxy => "nodes/proxy (kubelet API)",
            Capability::MintTokens => "create service-account tokens",
            Capability::ApproveCsr => "approve certificate signing requests",
            Capability::Webhooks => "change admission webhooks",
        }
    }
}

/// The dangerous capabilities one rule grants.
pub fn capabilities(rule: &PolicyRule) -> Vec<Capability> {
    let mut caps = Vec::new();
    let has_verb = |v: &str| rule.verbs.iter().any(|x| x == "*" || x == v);
    let allows = |verb: &str, group: &str, res: &str| rule_allows(rule, verb, group, res);
    if rule.verbs.iter().any(|v| v == "*") && rule.resources.iter().any(|r| r == "*") {
        caps.push(Capability::Wildcard);
    }
    if ["get", "list", "watch"].iter().any(|v| allows(v, "", "secrets")) {
        caps.push(Capability::ReadSecrets);
    }
    let controllers = [
        ("", "pods"),
        ("apps", "deployments"),
        ("apps", "daemonsets"),
        ("apps", "statefulsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("", "replicationcontrollers"),
    ];
    // Creating a controller, or changing its pod template, runs a pod as any service account.
    if controllers.iter().any(|(g, r)| ["create", "update", "patch"].iter().any(|v| allows(v, g, r))) {
        caps.push(Capability::CreatePods);
    }
    // Before Kubernetes 1.35 `get` on pods/exec was enough (WebSocket upgrade); patching a pod can
    // swap its container image, which runs code with that pod's identity and mounts.
    if ["create", "get"].iter().any(|v| allows(v, "", "pods/exec") || allows(v, "", "pods/attach"))
        || ["update", "patch"].iter().any(|v| allows(v, "", "pods"))
    {
        caps.push(Capability::ExecPods);
    }
    if has_verb("impersonate")
        && rule.resources.iter().any(|r| {
            matches!(r.as_str(), "*" | "users" | "groups" | "serviceaccounts" | "userextras/scopes" | "uids")
        })
    {
        caps.push(Capability::Impersonate);
    }
    if (has_verb("bind") || has_verb("escalate"))
        && rule.resources.iter().any(|r| matches!(r.as_str(), "*" | "roles" | "clusterroles"))
    {
        caps.push(Capability::BindEscalate);
    }
    if ["get", "create"].iter().any(|v| allows(v, "", "nodes/proxy")) {
        caps.push(Capability::NodesProxy);
    }
    if allows("create", "", "serviceaccounts/token") {
        caps.push(Capability::MintTokens);
    }
    if allows("update", "certificates.k8s.io", "certificatesigningrequests/approval") {
        caps.push(Capability::ApproveCsr);
    }
    if ["create", "update", "patch"].iter().any(|v| {
        allows(v, "admissionregistration.k8s.io", "mutatingwebhookconfigurations")
            || allows(v, "admissionregistration.k8s.io", "validatingwebhookconfigurations")
    }) {
        caps.push(Capability::Webhooks);
    }
    caps
}

#[cfg(test)]
mod tests {
    use super::*;
    use ztpath_probes::read_text;

    const RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-reader
  labels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: mon}
roleRef: {kind: ClusterRole, name: monitoring, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: ServiceAccount, name: prom, namespace: obs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: all-sa, namespace: dev}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: Group, name: "system:serviceaccounts:dev", apiGroup: rbac.authorization.k8s.io}
"#;

    #[test]
    fn users_and_groups_get_their_own_grants_and_those_of_every_authenticated_user() {
        let inv = read_text(
            "rbac.yaml",
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: deployers-edit}
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: Group, name: deployers, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-view}
roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: sa-admin}
roleRef: {kind: ClusterRole, name: admin, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: Group, name: system:serviceaccounts, apiGroup: rbac.authorization.k8s.io}]
"#,
        );
        let rbac = Rbac::new(&inv);
        let roles = |kind: &str, name: &str| -> Vec<String> {
            let mut v: Vec<String> =
                rbac.grants_of_subject(kind, name).map(|g| g.role.meta.name.clone()).collect();
            v.dedup();
            v
        };
        // The group's own binding plus system:authenticated's; not the service-account group's.
        assert_eq!(roles("Group", "deployers"), vec!["edit", "view"]);
        assert_eq!(roles("User", "ci-deploy"), vec!["view"]);
    }

    #[test]
    fn aggregation_and_group_subjects_reach_service_accounts() {
        let inv = read_text("rbac.yaml", RBAC);
        let rbac = Rbac::new(&inv);
        let prom: Vec<_> = rbac.grants_of("obs", "prom").collect();
        assert_eq!(prom.len(), 1, "the aggregated part's rule reaches the subject");
        assert!(capabilities(prom[0].rule).contains(&Capability::ReadSecrets));
        assert_eq!(prom[0].scope, Scope::Cluster);
        let any_dev: Vec<_> = rbac.grants_of("dev", "whatever").collect();
        assert_eq!(any_dev.len(), 1);
        assert!(capabilities(any_dev[0].rule).contains(&Capability::Wildcard));
        assert_eq!(any_dev[0].scope, Scope::Namespace("dev".into()));
        assert!(!rbac.has_grants("prod", "whatever"));
    }
}
