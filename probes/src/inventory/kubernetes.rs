//! Kubernetes core objects: namespaces, workloads, Services, ServiceAccounts, Secrets,
//! ConfigMaps, RBAC and NetworkPolicies.

use super::shared::{Fingerprint, LabelSelector, ObjectMeta, Sensitive, StringMap};

/// A Namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    /// Metadata (labels carry `istio-injection`, `istio.io/rev`; annotations `linkerd.io/inject`).
    pub meta: ObjectMeta,
}

/// A workload: a Pod or the pod template of a controller.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Metadata of the object itself.
    pub meta: ObjectMeta,
    /// The pod template (for a Pod, the Pod itself).
    pub pod: PodSpec,
}

/// The parts of a pod spec that matter for identity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodSpec {
    /// Labels of the pod (template) — what Services and policies select.
    pub labels: StringMap,
    /// Annotations of the pod (template): injection and Linkerd settings.
    pub annotations: StringMap,
    /// `serviceAccountName` (or deprecated `serviceAccount`); `None` means `default`.
    pub service_account_name: Option<String>,
    /// `automountServiceAccountToken` on the pod (overrides the ServiceAccount's).
    pub automount_token: Option<bool>,
    /// Line of `automountServiceAccountToken` or of `serviceAccountName`, for evidence.
    pub service_account_line: u32,
    /// `hostNetwork: true` (the pod bypasses mesh and NetworkPolicy).
    pub host_network: bool,
    /// Containers and init containers.
    pub containers: Vec<Container>,
    /// Volumes.
    pub volumes: Vec<Volume>,
    /// `imagePullSecrets` names.
    pub image_pull_secrets: Vec<String>,
    /// Line of the pod spec (template) for evidence.
    pub line: u32,
}

/// A container (or init container).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    /// Name.
    pub name: String,
    /// Image.
    pub image: String,
    /// True for init containers.
    pub init: bool,
    /// `env` entries.
    pub env: Vec<EnvVar>,
    /// `envFrom` entries.
    pub env_from: Vec<EnvFrom>,
    /// `command` then `args`, each kept with its line.
    pub args: Vec<(Sensitive, u32)>,
    /// Declared `containerPort`s.
    pub ports: Vec<ContainerPort>,
    /// Probes that connect to a port (`httpGet`, `grpc`, `tcpSocket`; `exec` probes are not kept).
    pub probes: Vec<PortProbe>,
    /// `volumeMounts`: (volume name, mount path).
    pub volume_mounts: Vec<(String, String)>,
    /// Line of the container.
    pub line: u32,
}

/// A declared container port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    /// Port name (`""` when unnamed).
    pub name: String,
    /// Port number.
    pub port: u32,
    /// Line of the port entry.
    pub line: u32,
}

/// A liveness, readiness or startup probe of a container that connects to one of its ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortProbe {
    /// `port`: a number or a container port name.
    pub port: String,
    /// How it talks to the port.
    pub kind: ProbeKind,
    /// Line of the probe's `httpGet`/`grpc`/`tcpSocket` entry.
    pub line: u32,
}

/// What a probe sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    /// `httpGet`, over TLS when `scheme: HTTPS` (the kubelet then does not verify the
    /// certificate), plain HTTP otherwise.
    HttpGet {
        /// `scheme: HTTPS`.
        https: bool,
    },
    /// `grpc`: the kubelet's gRPC health check, which speaks plaintext HTTP/2.
    Grpc,
    /// `tcpSocket`: a bare connection, which says nothing about TLS.
    TcpSocket,
}

/// One `env` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Where the value comes from.
    pub value: EnvValue,
    /// Line of the entry.
    pub line: u32,
}

/// The value of an env var.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvValue {
    /// `value:` written in the manifest.
    Literal(Sensitive),
    /// `valueFrom.secretKeyRef`.
    SecretKey {
        /// Secret name.
        secret: String,
        /// Key within the Secret.
        key: String,
    },
    /// `valueFrom.configMapKeyRef`.
    ConfigMapKey {
        /// ConfigMap name.
        config_map: String,
        /// Key.
        key: String,
    },
    /// `valueFrom.fieldRef` / `resourceFieldRef`, or nothing.
    Other,
}

/// One `envFrom` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvFrom {
    /// `secretRef`.
    Secret {
        /// Secret name.
        name: String,
        /// Line.
        line: u32,
    },
    /// `configMapRef`.
    ConfigMap {
        /// ConfigMap name.
        name: String,
        /// Line.
        line: u32,
    },
}

/// A pod volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// Volume name.
    pub name: String,
    /// What it holds.
    pub kind: VolumeKind,
    /// Line.
    pub line: u32,
}

/// The kinds of volume that carry credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VolumeKind {
    /// `secret.secretName`, with the keys `items:` lists (`None`: every key of the Secret).
    Secret {
        /// Secret name.
        name: String,
        /// `items[].key`; `None` when `items` is absent or empty (then every key is mounted).
        items: Option<Vec<String>>,
    },
    /// `configMap.name`.
    ConfigMap(String),
    /// A `projected` volume: its sources.
    Projected(Vec<ProjectedSource>),
    /// `hostPath`.
    HostPath(String),
    /// Anything else.
    Other,
}

/// A source of a projected volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectedSource {
    /// `serviceAccountToken` with its audience and `expirationSeconds` (default 3600).
    ServiceAccountToken {
        /// `audience`, if set.
        audience: Option<String>,
        /// `expirationSeconds`, if set.
        expiration_seconds: Option<i64>,
        /// Line of the source.
        line: u32,
    },
    /// A Secret, with the keys its `items:` lists (`None`: every key).
    Secret {
        /// Secret name.
        name: String,
        /// `items[].key`; `None` when `items` is absent or empty.
        items: Option<Vec<String>>,
    },
    /// A ConfigMap.
    ConfigMap(String),
    /// downwardAPI, clusterTrustBundle, ….
    Other,
}

/// A Service.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `spec.type` (`ClusterIP` when unset).
    pub service_type: String,
    /// `spec.selector`; `None` for a Service without selector (manual endpoints, ExternalName).
    pub selector: Option<StringMap>,
    /// Ports.
    pub ports: Vec<ServicePort>,
    /// `spec.externalName`.
    pub external_name: Option<String>,
}

/// A Service port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    /// Port name.
    pub name: String,
    /// Service port.
    pub port: u32,
    /// `targetPort`: a number or a container port name (defaults to `port`).
    pub target_port: String,
    /// `appProtocol`.
    pub app_protocol: Option<String>,
    /// `protocol` (TCP when unset).
    pub protocol: String,
    /// Line of the port entry.
    pub line: u32,
}

/// A ServiceAccount.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceAccount {
    /// Metadata (annotations carry `eks.amazonaws.com/role-arn`).
    pub meta: ObjectMeta,
    /// `automountServiceAccountToken`.
    pub automount_token: Option<bool>,
    /// Line of `automountServiceAccountToken`.
    pub automount_line: u32,
    /// `secrets[].name` (legacy token references).
    pub secrets: Vec<String>,
    /// `imagePullSecrets[].name`.
    pub image_pull_secrets: Vec<String>,
}

/// A Secret. Values are fingerprinted; the clear value is never kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Secret {
    /// Metadata (`kubernetes.io/service-account.name` annotation for token Secrets).
    pub meta: ObjectMeta,
    /// `type` (`Opaque` when unset).
    pub secret_type: String,
    /// Entries of `data` and `stringData`.
    pub entries: Vec<SecretEntry>,
}

/// One key of a Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretEntry {
    /// Key name.
    pub key: String,
    /// Fingerprint of the decoded value; `None` when the value is empty, redacted or a template.
    pub fingerprint: Option<Fingerprint>,
    /// True when a real value is written in the file (not empty, not a placeholder).
    pub has_value: bool,
    /// True when that value is a well-known default (`password`, `admin`, `changeme`, …; see
    /// `k8s::well_known_default`), which anyone can guess without reading the file.
    pub well_known_default: bool,
    /// Length of the decoded value.
    pub value_len: usize,
    /// Line of the entry.
    pub line: u32,
}

/// A ConfigMap. Values are [`Sensitive`] because people put credentials in ConfigMaps.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigMap {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `data` entries: key, value, line.
    pub data: Vec<(String, Sensitive, u32)>,
}

/// A Role or ClusterRole.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    /// Metadata (`kind` tells Role from ClusterRole; labels are matched by aggregation).
    pub meta: ObjectMeta,
    /// Rules.
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors`, for aggregated ClusterRoles.
    pub aggregation: Vec<LabelSelector>,
}

/// One RBAC rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRule {
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `resources` (with subresources as `pods/exec`).
    pub resources: Vec<String>,
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `resourceNames`.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`.
    pub non_resource_urls: Vec<String>,
    /// Line of the rule.
    pub line: u32,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug, PartialEq)]
pub struct RoleBinding {
    /// Metadata (`kind` tells the two apart).
    pub meta: ObjectMeta,
    /// `roleRef.kind`.
    pub role_kind: RoleKind,
    /// `roleRef.name`.
    pub role_name: String,
    /// Subjects.
    pub subjects: Vec<Subject>,
}

/// The kind of role a binding refers to (`roleRef.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleKind {
    /// `Role`: a Role in the binding's namespace (a ClusterRoleBinding cannot refer to one).
    Role,
    /// `ClusterRole`; also when `roleRef.kind` is absent, so that a partial manifest still shows
    /// what it could grant.
    ClusterRole,
    /// Any other kind. The API server refuses such a binding, so it grants nothing (the reader
    /// says so in a diagnostic). The text is not kept: it is input that no message may quote.
    Unknown,
}

impl RoleKind {
    /// `roleRef.kind` as written (`None`: absent).
    pub fn parse(text: Option<&str>) -> RoleKind {
        match text {
            Some("Role") => RoleKind::Role,
            Some("ClusterRole") | None => RoleKind::ClusterRole,
            Some(_) => RoleKind::Unknown,
        }
    }

    /// The kind's name, as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
            RoleKind::Unknown => "role of an unknown kind",
        }
    }
}

impl std::fmt::Display for RoleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RBAC subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// `ServiceAccount`, `User` or `Group`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (ServiceAccounts; defaults to the binding's namespace for RoleBindings).
    pub namespace: Option<String>,
    /// Line.
    pub line: u32,
}

/// A NetworkPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPolicy {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `spec.podSelector`.
    pub pod_selector: LabelSelector,
    /// Effective `policyTypes` (defaulted as the API server does when the field is absent or
    /// empty: Ingress, plus Egress when there is at least one egress rule). Entries other than
    /// `Ingress` and `Egress`, which the API server refuses, are left out with a diagnostic.
    pub policy_types: Vec<PolicyType>,
    /// `ingress` rules (empty with Ingress in `policy_types` = deny all ingress).
    pub ingress: Vec<NetworkPolicyRule>,
    /// `egress` rules.
    pub egress: Vec<NetworkPolicyRule>,
}

impl NetworkPolicy {
    /// True when the policy isolates the pods it selects for this direction of traffic.
    pub fn applies_to(&self, direction: PolicyType) -> bool {
        self.policy_types.contains(&direction)
    }
}

/// A NetworkPolicy `policyTypes` entry: the direction of traffic the policy isolates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// `Ingress`.
    Ingress,
    /// `Egress`.
    Egress,
}

impl PolicyType {
    /// An entry as written; `None` for anything but `Ingress` and `Egress` (case-sensitive, as
    /// the API server's validation is).
    pub fn parse(text: &str) -> Option<PolicyType> {
        match text {
            "Ingress" => Some(PolicyType::Ingress),
            "Egress" => Some(PolicyType::Egress),
            _ => None,
        }
    }
}

/// One ingress or egress rule.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPolicyRule {
    /// `from` / `to` peers; empty means any peer.
    pub peers: Vec<NetworkPeer>,
    /// Ports (as written: numbers or names); empty means all ports.
    pub ports: Vec<String>,
    /// Line.
    pub line: u32,
}

/// A NetworkPolicy peer.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPeer {
    /// `podSelector` (None: not given).
    pub pod_selector: Option<LabelSelector>,
    /// `namespaceSelector` (None: not given, meaning the policy's own namespace).
    pub namespace_selector: Option<LabelSelector>,
    /// `ipBlock.cidr` and `except`.
    pub ip_block: Option<(String, Vec<String>)>,
}
