//! The [`Inventory`] itself: every family's items in one value.

use std::collections::BTreeMap;

use super::aws::IamInventory;
use super::kubernetes::{
    ConfigMap, Namespace, NetworkPolicy, Role, RoleBinding, Secret, Service, ServiceAccount, Workload,
};
use super::mesh::{IstioInventory, LinkerdInventory};
use super::proxy::{Proxy, TargetGroupBinding};
use super::shared::{Diagnostic, ObjectMeta};
use super::wire::TlsObservation;

/// Everything read from an estate.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Namespaces declared in the input.
    pub namespaces: Vec<Namespace>,
    /// Pods and pod controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
    /// ReplicationController).
    pub workloads: Vec<Workload>,
    /// Services.
    pub services: Vec<Service>,
    /// ServiceAccounts.
    pub service_accounts: Vec<ServiceAccount>,
    /// Secrets (values fingerprinted).
    pub secrets: Vec<Secret>,
    /// ConfigMaps.
    pub config_maps: Vec<ConfigMap>,
    /// Roles and ClusterRoles.
    pub roles: Vec<Role>,
    /// RoleBindings and ClusterRoleBindings.
    pub role_bindings: Vec<RoleBinding>,
    /// NetworkPolicies.
    pub network_policies: Vec<NetworkPolicy>,
    /// Istio security and traffic policy.
    pub istio: IstioInventory,
    /// Linkerd policy.
    pub linkerd: LinkerdInventory,
    /// Proxies and load balancers.
    pub proxies: Vec<Proxy>,
    /// AWS Load Balancer Controller TargetGroupBindings: which Service an AWS target group feeds.
    pub target_group_bindings: Vec<TargetGroupBinding>,
    /// AWS IAM users, groups, roles, managed policies and credential-report rows.
    pub iam: IamInventory,
    /// Live TLS observations (`scan --tls`), in target order.
    pub tls: Vec<TlsObservation>,
    /// Documents or files that could not be read.
    pub diagnostics: Vec<Diagnostic>,
    /// Kinds seen but not modelled, with counts.
    pub skipped_kinds: BTreeMap<String, usize>,
    /// Kinds a live source could not read (or read only in part), so that a partial read is not
    /// mistaken for a clean one: a 403, a deadline, a list that failed, Secrets read
    /// metadata-only. Empty for files.
    pub unread_kinds: Vec<UnreadKind>,
    /// Number of files read.
    pub files_read: usize,
    /// Number of objects read (after unwrapping Lists).
    pub objects_read: usize,
    /// The digest of the files read (none when no file was read).
    pub input_digest: Option<super::shared::InputDigest>,
}

impl Inventory {
    /// The metadata of every Kubernetes object kept whole (namespaces, workloads, Services,
    /// service accounts, Secrets, ConfigMaps, RBAC objects, NetworkPolicies, Istio and Linkerd
    /// policy and authentication objects), in that order.
    pub fn object_metas(&self) -> impl Iterator<Item = &ObjectMeta> {
        let istio = &self.istio;
        let linkerd = &self.linkerd;
        self.namespaces
            .iter()
            .map(|o| &o.meta)
            .chain(self.workloads.iter().map(|o| &o.meta))
            .chain(self.services.iter().map(|o| &o.meta))
            .chain(self.service_accounts.iter().map(|o| &o.meta))
            .chain(self.secrets.iter().map(|o| &o.meta))
            .chain(self.config_maps.iter().map(|o| &o.meta))
            .chain(self.roles.iter().map(|o| &o.meta))
            .chain(self.role_bindings.iter().map(|o| &o.meta))
            .chain(self.network_policies.iter().map(|o| &o.meta))
            .chain(istio.peer_authentications.iter().map(|o| &o.meta))
            .chain(istio.authorization_policies.iter().map(|o| &o.meta))
            .chain(istio.request_authentications.iter().map(|o| &o.meta))
            .chain(istio.destination_rules.iter().map(|o| &o.meta))
            .chain(linkerd.servers.iter().map(|o| &o.meta))
            .chain(linkerd.server_authorizations.iter().map(|o| &o.meta))
            .chain(linkerd.authorization_policies.iter().map(|o| &o.meta))
            .chain(linkerd.mesh_tls_authentications.iter().map(|o| &o.meta))
            .chain(linkerd.network_authentications.iter().map(|o| &o.meta))
    }

    /// Appends another inventory (used to merge per-file results).
    pub fn extend(&mut self, other: Inventory) {
        self.namespaces.extend(other.namespaces);
        self.workloads.extend(other.workloads);
        self.services.extend(other.services);
        self.service_accounts.extend(other.service_accounts);
        self.secrets.extend(other.secrets);
        self.config_maps.extend(other.config_maps);
        self.roles.extend(other.roles);
        self.role_bindings.extend(other.role_bindings);
        self.network_policies.extend(other.network_policies);
        self.istio.extend(other.istio);
        self.linkerd.extend(other.linkerd);
        self.proxies.extend(other.proxies);
        self.target_group_bindings.extend(other.target_group_bindings);
        self.iam.extend(other.iam);
        self.tls.extend(other.tls);
        self.diagnostics.extend(other.diagnostics);
        for (k, n) in other.skipped_kinds {
            *self.skipped_kinds.entry(k).or_default() += n;
        }
        self.unread_kinds.extend(other.unread_kinds);
        self.files_read += other.files_read;
        self.objects_read += other.objects_read;
        if self.input_digest.is_none() {
            self.input_digest = other.input_digest;
        }
    }
}

/// A kind a live source did not read, or read only in part.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnreadKind {
    /// The kind (`Secret`, `ClusterRole`, …).
    pub kind: String,
    /// Its API group (`""` for the core group): Istio and Linkerd both have an
    /// `AuthorizationPolicy`.
    pub group: String,
    /// The namespace it was not read in; `None`: cluster-wide (or a cluster-scoped kind).
    pub namespace: Option<String>,
    /// Why, in words (`forbidden: list secrets in namespace payments`); never quotes the source.
    pub reason: String,
}
