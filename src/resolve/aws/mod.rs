//! AWS IAM as the engine sees it: who each principal is, what its policies let it do (the
//! capabilities an audit cares about), who may assume each role, and which Kubernetes service
//! accounts, CI pipelines, users and roles become which role.
//!
//! Everything here is computed once per scan from the IAM inventory and read by the graph
//! builder and the ZT2xx rules.

pub mod arn;
pub mod policy;
pub mod trust;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;
use ztpath_probes::Source;
use ztpath_probes::iam::{IamInventory, IamRole, IamUser, ManagedPolicy, PolicyDocument};

use crate::ids::{role_node_id, user_node_id};
use crate::resolve::estate::Estate;
pub use arn::account_of;
use policy::{Grant, cap, grant};
use trust::{TrustEntry, Trustee};

/// Actions that let a principal raise its own privileges (or take over another principal's)
/// without any other permission: the well-known IAM escalation primitives.
pub const ESCALATION_ACTIONS: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
];

/// Actions that, with `iam:PassRole`, run code as any passed role.
pub const PASS_ROLE_LAUNCHERS: &[&str] = &[
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "cloudformation:CreateStack",
    "glue:CreateDevEndpoint",
    "ecs:RunTask",
];

/// Actions that read a secret's value.
pub const SECRET_READS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
];

/// An action no policy names: only `*` (or a `NotAction` that spares it) covers it.
const ANY_ACTION: &str = "ztpath:AnyActionNotNamedByAnyPolicy";

/// A user or a role.
#[derive(Clone, Copy, Debug)]
pub enum PrincipalRef<'a> {
    User(&'a IamUser),
    Role(&'a IamRole),
}

impl<'a> PrincipalRef<'a> {
    pub fn arn(&self) -> &'a str {
        match self {
            PrincipalRef::User(u) => &u.arn,
            PrincipalRef::Role(r) => &r.arn,
        }
    }
    pub fn name(&self) -> &'a str {
        match self {
            PrincipalRef::User(u) => &u.name,
            PrincipalRef::Role(r) => &r.name,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            PrincipalRef::User(_) => "IAMUser",
            PrincipalRef::Role(_) => "IAMRole",
        }
    }
    pub fn source(&self) -> &'a Source {
        match self {
            PrincipalRef::User(u) => &u.source,
            PrincipalRef::Role(r) => &r.source,
        }
    }
    pub fn node_id(&self) -> String {
        match self {
            PrincipalRef::User(u) => user_node_id(&u.arn),
            PrincipalRef::Role(r) => role_node_id(&r.arn),
        }
    }
}

/// What one principal may do, as far as the audit cares.
#[derive(Debug, Default)]
pub struct Capabilities<'a> {
    /// Every action on every resource (`Action: *`, or a `NotAction` that spares IAM, with
    /// `Resource: *`), including IAM writes.
    pub admin: Option<Grant<'a>>,
    /// Every action but some (a `NotAction` or `*` grant that is not admin), on everything.
    pub broad: Option<Grant<'a>>,
    /// Escalation actions allowed on every resource.
    pub escalation: Vec<(&'static str, Grant<'a>)>,
    /// `iam:PassRole` on every role, with the launchers that make it an escalation.
    pub pass_role_any: Option<(Grant<'a>, Vec<&'static str>)>,
    /// Secret-reading actions and where they are allowed.
    pub secret_reads: Vec<(&'static str, Grant<'a>)>,
    /// `sts:AssumeRole` and where it is allowed.
    pub assume_role: Grant<'a>,
    /// Attached policies whose documents the input lacks (their grants are unknown).
    pub unknown_policies: Vec<&'a str>,
    /// The boundary named but not in the input (not applied).
    pub unknown_boundary: Option<&'a str>,
}

impl<'a> Capabilities<'a> {
    /// How the principal can take over its account, if it can: what it may do (for messages)
    /// and the grant that allows it. Administrator first, then an escalation primitive on every
    /// resource, then `iam:PassRole` on every role together with a way to run code.
    pub fn account_takeover(&self) -> Option<(String, &Grant<'a>)> {
        if let Some(g) = &self.admin {
            return Some(("every action on every resource".to_owned(), g));
        }
        if let Some((action, g)) = self.escalation.first() {
            let more = match self.escalation.len() - 1 {
                0 => String::new(),
                n => format!(" and {n} other escalation actions"),
            };
            return Some((format!("{action}{more} on every resource"), g));
        }
        match &self.pass_role_any {
            Some((g, launchers)) if !launchers.is_empty() => {
                Some((format!("iam:PassRole on every role with {}", launchers.join(", ")), g))
            }
            _ => None,
        }
    }
}

/// A principal (user or role) with its policies.
pub struct Principal<'a> {
    pub who: PrincipalRef<'a>,
    pub account: Option<&'a str>,
    /// (policy name or ARN, document), inline, attached and (for users) through groups.
    pub policies: Vec<(&'a str, &'a PolicyDocument)>,
    pub caps: Capabilities<'a>,
}

/// An IAM access key, from `list-access-keys` or the credential report.
#[derive(Clone, Debug)]
pub struct KeyView<'a> {
    pub user: &'a str,
    pub user_arn: String,
    /// How the report names it: the key id's last four characters, or the credential report's
    /// slot (`key-1`, `key-2`).
    pub label: String,
    pub active: bool,
    pub created_day: Option<i64>,
    /// Last use: `Some(day)`, or `None` with `never_used` telling whether it was never used or
    /// is simply not known.
    pub last_used_day: Option<i64>,
    pub never_used: bool,
    pub source: Source,
}

impl KeyView<'_> {
    pub fn node_id(&self) -> String {
        format!("aws-key:{}/{}", self.user, self.label)
    }
}

/// Something that becomes a role from outside IAM: a Kubernetes service account (IRSA or Pod
/// Identity) or a federated subject (a CI pipeline's OIDC token).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Assumer {
    /// A Kubernetes service account (namespace, name).
    ServiceAccount { namespace: String, name: String, how: &'static str },
    /// A federated web-identity subject (issuer host, sub pattern; `*` when unconstrained).
    Federated { issuer: String, subject: String },
}

impl Assumer {
    /// How messages name it: `service account ns/name`, `<issuer> subject <sub>`.
    pub fn describe(&self) -> String {
        match self {
            Assumer::ServiceAccount { namespace, name, .. } => format!("service account {namespace}/{name}"),
            Assumer::Federated { issuer, subject } => format!("{issuer} subject {subject}"),
        }
    }
}

/// One way into a role, with its evidence.
#[derive(Clone, Debug)]
pub struct RoleEntry {
    pub assumer: Assumer,
    pub evidence: Source,
    pub label: String,
}

/// The IAM side of an estate.
pub struct AwsModel<'a> {
    pub inv: &'a IamInventory,
    pub principals: Vec<Principal<'a>>,
    pub principal_index: HashMap<&'a str, usize>,
    pub roles: HashMap<&'a str, &'a IamRole>,
    pub policies: HashMap<&'a str, &'a ManagedPolicy>,
    /// Trust entries of each role (by ARN).
    pub trust: HashMap<&'a str, Vec<TrustEntry>>,
    /// Roles that trust a whole account (or anyone), by account id (`*` for anyone).
    pub account_trusting: BTreeMap<String, Vec<&'a str>>,
    /// Roles that name a principal ARN in their trust policy, by that ARN.
    pub arn_trusting: HashMap<String, Vec<&'a str>>,
    /// Ways into each role from outside IAM (service accounts, federated subjects).
    pub entries: BTreeMap<&'a str, Vec<RoleEntry>>,
    pub keys: Vec<KeyView<'a>>,
    /// Where the account shows federation (an OIDC provider, a role entered by workload identity
    /// federation, a role trusting an OIDC or SAML provider), when it does.
    pub federation: Option<Federation>,
    pub accounts: BTreeSet<&'a str>,
    /// AWS principals mapped into the cluster by the `aws-auth` ConfigMap.
    pub kube_mappings: Vec<KubeMapping>,
    /// The AWS credentials the graph holds (access keys, federated tokens) by node id: their
    /// kind for the report and where the input shows them.
    pub credentials: HashMap<String, (&'static str, Vec<Source>)>,
}

/// Evidence that an account federates identity, so that static keys have an alternative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Federation {
    /// What shows it, in words (`OIDC provider arn:…`, `role arn:… trusts SAML provider arn:…`).
    pub evidence: String,
    /// True when workloads can federate (OIDC, web identity); false when only people can,
    /// through SAML single sign-on.
    pub workloads: bool,
}

/// One `mapRoles` or `mapUsers` entry of the `kube-system/aws-auth` ConfigMap: an IAM role or
/// user that authenticates to the cluster as `username` in `groups`.
#[derive(Clone, Debug)]
pub struct KubeMapping {
    /// `rolearn` or `userarn`, as written (aws-auth wants role ARNs without their path).
    pub arn: String,
    /// Node id of the principal: the role or user of the inventory it names, else one made from
    /// the ARN.
    pub node_id: String,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub source: Source,
}

impl<'a> AwsModel<'a> {
    pub fn new(est: &Estate<'a>) -> AwsModel<'a> {
        let inv = &est.inv.iam;
        let mut policies: HashMap<&str, &ManagedPolicy> = HashMap::default();
        for p in &inv.policies {
            policies.insert(p.arn.as_str(), p);
        }
        let mut roles: HashMap<&str, &IamRole> = HashMap::default();
        for r in &inv.roles {
            roles.insert(r.arn.as_str(), r);
        }
        let groups: HashMap<&str, &ztpath_probes::iam::IamGroup> =
            inv.groups.iter().map(|g| (g.name.as_str(), g)).collect();

        let mut principals = Vec::with_capacity(inv.users.len() + inv.roles.len());
        for u in &inv.users {
            let mut docs = Vec::new();
            let mut unknown = Vec::new();
            collect_policies(&u.inline_policies, &u.attached_policies, &policies, &mut docs, &mut unknown);
            for gname in &u.groups {
                if let Some(g) = groups.get(gname.as_str()) {
                    collect_policies(
                        &g.inline_policies,
                        &g.attached_policies,
                        &policies,
                        &mut docs,
                        &mut unknown,
                    );
                }
            }
            principals.push(principal(
                PrincipalRef::User(u),
                docs,
                unknown,
                u.permissions_boundary.as_deref(),
                &policies,
            ));
        }
        for r in &inv.roles {
            let mut docs = Vec::new();
            let mut unknown = Vec::new();
            collect_policies(&r.inline_policies, &r.attached_policies, &policies, &mut docs, &mut unknown);
            principals.push(principal(
                PrincipalRef::Role(r),
                docs,
                unknown,
                r.permissions_boundary.as_deref(),
                &policies,
            ));
        }
        let principal_index = principals.iter().enumerate().map(|(i, p)| (p.who.arn(), i)).collect();

        let mut trust: HashMap<&str, Vec<TrustEntry>> = HashMap::default();
        let mut account_trusting: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut arn_trusting: HashMap<String, Vec<&str>> = HashMap::default();
        for r in &inv.roles {
            let entries = r.trust_policy.as_ref().map(trust::entries).unwrap_or_default();
            for e in &entries {
                if !e.assume {
                    continue;
                }
                match &e.trustee {
                    Trustee::Anyone => account_trusting.entry("*".to_owned()).or_default().push(&r.arn),
                    Trustee::Account(a) => account_trusting.entry(a.clone()).or_default().push(&r.arn),
                    Trustee::Arn(a) => arn_trusting.entry(a.clone()).or_default().push(&r.arn),
                    _ => {}
                }
            }
            trust.insert(&r.arn, entries);
        }
        for v in account_trusting.values_mut().chain(arn_trusting.values_mut()) {
            v.sort();
            v.dedup();
        }

        let mut accounts: BTreeSet<&str> = BTreeSet::new();
        for p in &principals {
            accounts.extend(p.account);
        }

        let mut m = AwsModel {
            inv,
            principals,
            principal_index,
            roles,
            policies,
            trust,
            account_trusting,
            arn_trusting,
            entries: BTreeMap::new(),
            keys: keys(inv),
            federation: None,
            accounts,
            kube_mappings: Vec::new(),
            credentials: HashMap::default(),
        };
        m.kube_mappings = m.aws_auth(est);
        m.entries = m.role_entries(est);
        m.federation = m.federation_evidence();
        for k in &m.keys {
            m.credentials.insert(k.node_id(), ("aws-access-key", vec![k.source.clone()]));
        }
        for e in m.entries.values().flatten() {
            if let Assumer::Federated { issuer, subject } = &e.assumer {
                let entry = m
                    .credentials
                    .entry(crate::ids::federated_id(issuer, subject))
                    .or_insert_with(|| ("oidc-token", Vec::new()));
                entry.1.push(e.evidence.clone());
            }
        }
        m
    }

    /// The ways into each role from outside IAM: IRSA annotations and trust subjects naming
    /// service accounts, Pod Identity associations, and federated (CI) subjects.
    fn role_entries(&self, est: &Estate<'a>) -> BTreeMap<&'a str, Vec<RoleEntry>> {
        let mut out: BTreeMap<&'a str, Vec<RoleEntry>> = BTreeMap::new();
        let role_key = |arn: &str| -> Option<&'a str> { self.roles.get_key_value(arn).map(|(k, _)| *k) };
        // IRSA: the annotation says which role the pod's token is exchanged for; the trust
        // policy decides whether the exchange succeeds. A role the input lacks leaves the
        // annotation as all there is: the entry stands, unverified.
        for sa in &est.inv.service_accounts {
            let Some(arn) = sa.meta.annotations.get("eks.amazonaws.com/role-arn") else { continue };
            let ns = sa.meta.ns();
            let subject = format!("system:serviceaccount:{ns}:{}", sa.meta.name);
            let (key, why) = match role_key(arn) {
                // The EKS webhook requests tokens for the audience `sts.amazonaws.com`.
                Some(key)
                    if self.trust[key]
                        .iter()
                        .any(|e| e.web_identity_admits(&subject, "sts.amazonaws.com")) =>
                {
                    (key, format!("its trust policy admits {subject}"))
                }
                Some(_) => continue,
                None => (arn.as_str(), "role not in the input; trust not checked".to_owned()),
            };
            out.entry(key).or_default().push(RoleEntry {
                assumer: Assumer::ServiceAccount {
                    namespace: ns.to_owned(),
                    name: sa.meta.name.clone(),
                    how: "IRSA",
                },
                evidence: sa.meta.source.clone(),
                label: format!("assumes AWS IAM role {arn} through IRSA ({why})"),
            });
        }
        // EKS Pod Identity: the association binds the service account; the role must trust the
        // Pod Identity agent's service principal.
        for a in &self.inv.pod_identity_associations {
            let Some(arn) = a.role_arn.as_deref() else { continue };
            let Some(key) = role_key(arn) else { continue };
            let trusts_agent = self.trust[key].iter().any(|e| {
                e.assume && matches!(&e.trustee, Trustee::Service(s) if s == "pods.eks.amazonaws.com")
            });
            if !trusts_agent {
                continue;
            }
            out.entry(key).or_default().push(RoleEntry {
                assumer: Assumer::ServiceAccount {
                    namespace: a.namespace.clone(),
                    name: a.service_account.clone(),
                    how: "EKS Pod Identity",
                },
                evidence: a.source.clone(),
                label: format!(
                    "assumes AWS IAM role {arn} through the EKS Pod Identity association of cluster {}",
                    a.cluster
                ),
            });
        }
        // Web-identity trust subjects: service accounts named by an EKS issuer's `sub`, and
        // every other issuer's subjects (CI pipelines) as federated assumers.
        let mut sas_by_ns: HashMap<&str, Vec<&ztpath_probes::ServiceAccount>> = HashMap::default();
        for sa in &est.inv.service_accounts {
            sas_by_ns.entry(sa.meta.ns()).or_default().push(sa);
        }
        for r in &self.inv.roles {
            for e in &self.trust[r.arn.as_str()] {
                let Trustee::Federated { provider, subjects } = &e.trustee else { continue };
                if !e.assume {
                    continue;
                }
                let issuer = trust::issuer_of(provider);
                let evidence =
                    r.trust_policy.as_ref().map(|d| d.source.at(e.line)).unwrap_or(r.source.clone());
                if trust::is_eks_issuer(&issuer) {
                    for sub in subjects {
                        let Some(rest) = sub.strip_prefix("system:serviceaccount:") else { continue };
                        let Some((ns_pat, sa_pat)) = rest.split_once(':') else { continue };
                        if ns_pat.contains(['*', '?']) {
                            // Every namespace: ZT206 reports it; no edge per service account.
                            continue;
                        }
                        let in_ns = sas_by_ns.get(ns_pat).map(Vec::as_slice).unwrap_or_default();
                        let matching: Vec<&ztpath_probes::ServiceAccount> = if sa_pat.contains(['*', '?']) {
                            in_ns
                                .iter()
                                .copied()
                                .filter(|sa| policy::wildcard_match(sa_pat, &sa.meta.name, false))
                                .collect()
                        } else {
                            est.service_accounts.get(&(ns_pat, sa_pat)).copied().into_iter().collect()
                        };
                        for sa in matching {
                            let assumer = Assumer::ServiceAccount {
                                namespace: sa.meta.ns().to_owned(),
                                name: sa.meta.name.clone(),
                                how: "IRSA",
                            };
                            let list = out.entry(r.arn.as_str()).or_default();
                            if list.iter().any(|x| x.assumer == assumer) {
                                continue;
                            }
                            list.push(RoleEntry {
                                assumer,
                                evidence: evidence.clone(),
                                label: format!(
                                    "can assume AWS IAM role {} (its trust policy admits subject {sub})",
                                    r.arn
                                ),
                            });
                        }
                    }
                } else {
                    let subs: Vec<String> =
                        if subjects.is_empty() { vec!["*".to_owned()] } else { subjects.clone() };
                    for sub in subs {
                        out.entry(r.arn.as_str()).or_default().push(RoleEntry {
                            assumer: Assumer::Federated { issuer: issuer.clone(), subject: sub.clone() },
                            evidence: evidence.clone(),
                            label: format!("assumes AWS IAM role {} by web identity", r.arn),
                        });
                    }
                }
            }
        }
        for v in out.values_mut() {
            v.sort_by(|a, b| a.assumer.cmp(&b.assumer));
            v.dedup_by(|a, b| a.assumer == b.assumer);
        }
        out
    }

    /// Reads `mapRoles` and `mapUsers` of `kube-system/aws-auth` (YAML lists held in strings).
    fn aws_auth(&self, est: &Estate<'a>) -> Vec<KubeMapping> {
        let mut out = Vec::new();
        for cm in
            est.inv.config_maps.iter().filter(|c| c.meta.name == "aws-auth" && c.meta.ns() == "kube-system")
        {
            for (key, value, line) in &cm.data {
                let (field, is_role) = match key.as_str() {
                    "mapRoles" => ("rolearn", true),
                    "mapUsers" => ("userarn", false),
                    _ => continue,
                };
                let Some(Ok(doc)) = ztpath_probes::yaml::parse_documents(value.expose()).into_iter().next()
                else {
                    continue;
                };
                for item in doc.items() {
                    let Some(arn) = item.field(field).string() else { continue };
                    let node_id = if is_role { self.role_for_auth_arn(&arn) } else { user_node_id(&arn) };
                    out.push(KubeMapping {
                        arn,
                        node_id,
                        username: item.field("username").string(),
                        groups: item.field("groups").strings(),
                        // The entries of a block scalar start on the line after its key.
                        source: cm.meta.source.at(line + item.line),
                    });
                }
            }
        }
        out
    }

    /// The role an aws-auth `rolearn` names: aws-auth matches on account and role name (the ARN
    /// without its path), so a role with a path is found by name.
    fn role_for_auth_arn(&self, arn: &str) -> String {
        if self.roles.contains_key(arn) {
            return role_node_id(arn);
        }
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let account = account_of(arn);
        self.inv
            .roles
            .iter()
            .find(|r| r.name == name && account_of(&r.arn) == account)
            .map_or_else(|| role_node_id(arn), |r| role_node_id(&r.arn))
    }

    fn federation_evidence(&self) -> Option<Federation> {
        let workloads = |evidence: String| Some(Federation { evidence, workloads: true });
        if let Some(p) = self.inv.oidc_providers.first() {
            return workloads(format!(
                "OIDC provider {}",
                if p.arn.is_empty() { p.url.as_deref().unwrap_or("") } else { &p.arn }
            ));
        }
        if let Some((role, _)) = self.entries.iter().next() {
            return workloads(format!("role {role} is assumed by workload identity federation"));
        }
        for r in &self.inv.roles {
            if self.trust[r.arn.as_str()].iter().any(|e| matches!(e.trustee, Trustee::Federated { .. })) {
                return workloads(format!("role {} trusts a federated identity provider", r.arn));
            }
        }
        // SAML: people sign in through single sign-on and get short-lived role credentials.
        for r in &self.inv.roles {
            if let Some(provider) = self.trust[r.arn.as_str()].iter().find_map(|e| match &e.trustee {
                Trustee::Saml { provider } if e.assume => Some(provider),
                _ => None,
            }) {
                return Some(Federation {
                    evidence: format!("role {} trusts SAML provider {provider}", r.arn),
                    workloads: false,
                });
            }
        }
        None
    }

    /// Roles `p` can assume: the role's trust policy must admit it (by ARN, by account, or
    /// anyone), and — unless the trust names its ARN in the same account — `p`'s own policies
    /// must allow `sts:AssumeRole` on the role. Whole-account trust is returned as the account
    /// (the graph joins it through one scope node).
    pub fn assumable(&self, p: &Principal<'a>) -> Assumable<'a> {
        let mut out = Assumable::default();
        let arn = p.who.arn();
        if let Some(list) = self.arn_trusting.get(arn) {
            for &r in list {
                let same_account = account_of(r) == p.account;
                if same_account
                    || p.caps.assume_role.resources.iter().any(|pat| policy::resource_within(r, pat))
                {
                    out.roles.push(r);
                }
            }
        }
        let g = &p.caps.assume_role;
        if !g.allowed() {
            return out;
        }
        for (acct, list) in &self.account_trusting {
            let open = acct == "*";
            if !open && Some(acct.as_str()) != p.account {
                continue;
            }
            let everything = g.resources.iter().any(|pat| {
                pat == "*"
                    || (pat.ends_with(":role/*") && account_of(pat).is_none_or(|a| a == "*" || a == acct))
            });
            if everything && !open {
                out.account_scopes.push(acct.clone());
                continue;
            }
            for &r in list {
                if g.resources.iter().any(|pat| policy::resource_within(r, pat)) {
                    out.roles.push(r);
                }
            }
        }
        out.roles.sort();
        out.roles.dedup();
        out
    }
}

/// What one principal can assume.
#[derive(Default, Debug)]
pub struct Assumable<'a> {
    pub roles: Vec<&'a str>,
    /// Accounts in which every role trusting the account is assumable.
    pub account_scopes: Vec<String>,
}

fn collect_policies<'a>(
    inline: &'a [ztpath_probes::iam::InlinePolicy],
    attached: &'a [ztpath_probes::iam::AttachedPolicy],
    managed: &HashMap<&str, &'a ManagedPolicy>,
    docs: &mut Vec<(&'a str, &'a PolicyDocument)>,
    unknown: &mut Vec<&'a str>,
) {
    for p in inline {
        if let Some(d) = &p.document {
            docs.push((p.name.as_str(), d));
        }
    }
    for a in attached {
        match managed.get(a.arn.as_str()).and_then(|m| m.default_document()) {
            Some(d) => docs.push((a.name.as_str(), d)),
            None => match builtin_policy(&a.arn) {
                Some(d) => docs.push((a.name.as_str(), d)),
                None => unknown.push(a.arn.as_str()),
            },
        }
    }
}

fn principal<'a>(
    who: PrincipalRef<'a>,
    policies: Vec<(&'a str, &'a PolicyDocument)>,
    unknown: Vec<&'a str>,
    boundary_arn: Option<&'a str>,
    managed: &HashMap<&str, &'a ManagedPolicy>,
) -> Principal<'a> {
    let boundary: Option<&PolicyDocument> = boundary_arn
        .and_then(|b| managed.get(b).and_then(|m| m.default_document()).or_else(|| builtin_policy(b)));
    let boundary_docs: Vec<(&str, &PolicyDocument)> =
        boundary.map(|d| vec![(boundary_arn.unwrap_or(""), d)]).unwrap_or_default();
    let eval = |action: &str| -> Grant<'a> {
        let g = grant(&policies, action);
        match boundary {
            Some(_) => cap(g, &grant(&boundary_docs, action)),
            None => g,
        }
    };
    let mut caps = Capabilities {
        unknown_policies: unknown,
        unknown_boundary: boundary_arn.filter(|_| boundary.is_none()),
        ..Capabilities::default()
    };
    let any = eval(ANY_ACTION);
    let iam_write = eval("iam:PutRolePolicy");
    if any.on_everything() && iam_write.on_everything() {
        caps.admin = Some(any);
    } else {
        if any.on_everything() {
            caps.broad = Some(any);
        }
        for &action in ESCALATION_ACTIONS {
            let g = eval(action);
            if g.on_everything() {
                caps.escalation.push((action, g));
            }
        }
        let pass = eval("iam:PassRole");
        if pass.on_everything() {
            let launchers = PASS_ROLE_LAUNCHERS.iter().copied().filter(|l| eval(l).allowed()).collect();
            caps.pass_role_any = Some((pass, launchers));
        }
    }
    for &action in SECRET_READS {
        let g = eval(action);
        if g.allowed() {
            caps.secret_reads.push((action, g));
        }
    }
    caps.assume_role = eval("sts:AssumeRole");
    Principal { account: account_of(who.arn()), who, policies, caps }
}

/// Access keys: `list-access-keys` entries where the input has them for a user, else the
/// credential report's two slots.
fn keys(inv: &IamInventory) -> Vec<KeyView<'_>> {
    let arn_of_user: HashMap<&str, &str> =
        inv.users.iter().map(|u| (u.name.as_str(), u.arn.as_str())).collect();
    let mut out = Vec::new();
    let listed: BTreeSet<&str> = inv.access_keys.iter().map(|k| k.user.as_str()).collect();
    let rows: HashMap<&str, &ztpath_probes::iam::CredentialReportRow> =
        inv.credential_report.iter().map(|r| (r.user.as_str(), r)).collect();
    for k in &inv.access_keys {
        let tail: String = k.id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let report_row = rows.get(k.user.as_str());
        // Fill a missing last use from the report's slot created the same day.
        let mut last_used = k.last_used_date.as_deref().and_then(crate::dates::parse_day);
        // Without a last-use date, `list-access-keys` cannot tell "never used" from "not
        // asked"; the credential report can.
        let mut never = false;
        if last_used.is_none()
            && let Some(row) = report_row
        {
            let created = k.create_date.as_deref().and_then(crate::dates::parse_day);
            for slot in &row.access_keys {
                if slot.last_rotated.as_deref().and_then(crate::dates::parse_day) == created
                    && created.is_some()
                {
                    last_used = slot.last_used_date.as_deref().and_then(crate::dates::parse_day);
                    never = last_used.is_none();
                }
            }
        }
        out.push(KeyView {
            user: &k.user,
            user_arn: arn_of_user
                .get(k.user.as_str())
                .map(std::string::ToString::to_string)
                .unwrap_or_default(),
            label: format!("key-…{tail}"),
            active: k.active,
            created_day: k.create_date.as_deref().and_then(crate::dates::parse_day),
            last_used_day: last_used,
            never_used: never,
            source: k.source.clone(),
        });
    }
    for row in &inv.credential_report {
        if listed.contains(row.user.as_str()) {
            continue;
        }
        for (i, slot) in row.access_keys.iter().enumerate() {
            let created = slot.last_rotated.as_deref().and_then(crate::dates::parse_day);
            if !slot.active && created.is_none() {
                continue;
            }
            let last = slot.last_used_date.as_deref().and_then(crate::dates::parse_day);
            out.push(KeyView {
                user: &row.user,
                user_arn: row.arn.clone(),
                label: format!("key-{}", i + 1),
                active: slot.active,
                created_day: created,
                last_used_day: last,
                // The report writes N/A for a key that was never used.
                never_used: last.is_none() && slot.last_used_date.is_none(),
                source: row.source.clone(),
            });
        }
    }
    out
}

/// AWS-managed policies an account attaches by ARN without the input holding their documents:
/// the few whose grants matter most, written out from their published definitions.
fn builtin_policy(arn: &str) -> Option<&'static PolicyDocument> {
    static BUILTIN: LazyLock<Vec<(&'static str, PolicyDocument)>> = LazyLock::new(|| {
        let doc = |name: &str, statements: &[(&[&str], &[&str], bool)]| {
            let source = crate::resolve::builtin::source(&format!("AWS managed policy {name}"));
            PolicyDocument {
                version: Some("2012-10-17".into()),
                id: None,
                statements: statements
                    .iter()
                    .map(|(actions, resources, not)| ztpath_probes::iam::Statement {
                        sid: None,
                        effect: ztpath_probes::iam::Effect::Allow,
                        actions: if *not {
                            Vec::new()
                        } else {
                            actions.iter().map(std::string::ToString::to_string).collect()
                        },
                        not_actions: if *not {
                            actions.iter().map(std::string::ToString::to_string).collect()
                        } else {
                            Vec::new()
                        },
                        resources: resources.iter().map(std::string::ToString::to_string).collect(),
                        not_resources: Vec::new(),
                        principals: Vec::new(),
                        not_principal: false,
                        conditions: Vec::new(),
                        line: 0,
                    })
                    .collect(),
                encoded: false,
                source,
            }
        };
        vec![
            ("AdministratorAccess", doc("AdministratorAccess", &[(&["*"], &["*"], false)])),
            (
                "PowerUserAccess",
                doc("PowerUserAccess", &[(&["iam:*", "organizations:*", "account:*"], &["*"], true)]),
            ),
            (
                "IAMFullAccess",
                doc("IAMFullAccess", &[(&["iam:*", "organizations:DescribeAccount"], &["*"], false)]),
            ),
            (
                "SecretsManagerReadWrite",
                doc("SecretsManagerReadWrite", &[(&["secretsmanager:*", "kms:Decrypt"], &["*"], false)]),
            ),
            (
                "AmazonSSMReadOnlyAccess",
                doc(
                    "AmazonSSMReadOnlyAccess",
                    &[(&["ssm:Get*", "ssm:Describe*", "ssm:List*"], &["*"], false)],
                ),
            ),
        ]
    });
    if account_of(arn) != Some("aws") {
        return None;
    }
    let name = arn.rsplit('/').next()?;
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, d)| d)
}

/// Environment of a name: `prod` or `non-prod` by its words (`payments-prod`, `dev`,
/// `staging-eu`), `None` when it says neither.
pub fn environment_of(name: &str) -> Option<&'static str> {
    let mut env = None;
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()).map(str::to_ascii_lowercase) {
        match word.as_str() {
            "prod" | "production" | "prd" | "live" => return Some("prod"),
            "dev" | "develop" | "development" | "test" | "testing" | "qa" | "staging" | "stage" | "stg"
            | "sandbox" | "uat" | "preprod" | "nonprod" => env = Some("non-prod"),
            _ => {}
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_read_from_whole_words() {
        assert_eq!(environment_of("payments-prod"), Some("prod"));
        assert_eq!(environment_of("preprod"), Some("non-prod"));
        assert_eq!(environment_of("repo:org/app:environment:production"), Some("prod"));
        assert_eq!(environment_of("dev"), Some("non-prod"));
        assert_eq!(environment_of("product-catalog"), None);
    }

    #[test]
    fn accounts_come_from_arns_and_bare_ids() {
        assert_eq!(account_of("arn:aws:iam::123456789012:role/x"), Some("123456789012"));
        assert_eq!(account_of("123456789012"), Some("123456789012"));
        assert_eq!(account_of("arn:aws:iam::aws:policy/AdministratorAccess"), Some("aws"));
    }

    fn model_of(gaad: &str, f: impl FnOnce(&AwsModel<'_>)) {
        let inv = ztpath_probes::Inventory {
            iam: ztpath_probes::iam::read_gaad_text("gaad.json", gaad),
            ..Default::default()
        };
        let est = Estate::new(&inv);
        f(&AwsModel::new(&est));
    }

    const ASSUME_GAAD: &str = r#"{
      "UserDetailList": [
        {"UserName": "ops", "Arn": "arn:aws:iam::111111111111:user/ops",
         "UserPolicyList": [{"PolicyName": "any", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}]},
        {"UserName": "dev", "Arn": "arn:aws:iam::111111111111:user/dev",
         "UserPolicyList": [{"PolicyName": "some", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/app-*"}]}}]},
        {"UserName": "nobody", "Arn": "arn:aws:iam::111111111111:user/nobody"},
        {"UserName": "partner", "Arn": "arn:aws:iam::222222222222:user/partner"}
      ],
      "RoleDetailList": [
        {"RoleName": "app-a", "Arn": "arn:aws:iam::111111111111:role/app-a",
         "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}},
        {"RoleName": "named", "Arn": "arn:aws:iam::111111111111:role/named",
         "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111111111111:user/nobody", "arn:aws:iam::222222222222:user/partner"]}, "Action": "sts:AssumeRole"}]}}
      ]
    }"#;

    #[test]
    fn who_can_assume_what() {
        model_of(ASSUME_GAAD, |m| {
            let of = |arn: &str| m.assumable(&m.principals[m.principal_index[arn]]);
            // AssumeRole on `*`: every role trusting the account, as one scope.
            let ops = of("arn:aws:iam::111111111111:user/ops");
            assert_eq!(ops.account_scopes, vec!["111111111111".to_owned()]);
            // A pattern: the matching roles that trust the account.
            let dev = of("arn:aws:iam::111111111111:user/dev");
            assert_eq!(
                (dev.roles, dev.account_scopes.len()),
                (vec!["arn:aws:iam::111111111111:role/app-a"], 0)
            );
            // Named in the trust policy, same account: no identity grant needed.
            assert_eq!(
                of("arn:aws:iam::111111111111:user/nobody").roles,
                vec!["arn:aws:iam::111111111111:role/named"]
            );
            // Named from another account: its own account must allow sts:AssumeRole too.
            assert!(of("arn:aws:iam::222222222222:user/partner").roles.is_empty());
        });
    }

    #[test]
    fn builtin_policies_are_found_by_arn() {
        assert!(builtin_policy("arn:aws:iam::aws:policy/AdministratorAccess").is_some());
        assert!(builtin_policy("arn:aws-us-gov:iam::aws:policy/PowerUserAccess").is_some());
        assert!(builtin_policy("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none());
    }
}
