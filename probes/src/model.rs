//! The Inventory: what the probes read from an estate, with the source of every item.
//!
//! This is the contract between probes and the engine. It holds facts, not judgements: no field
//! here says "insecure". Secret values never enter it in clear: Secret data is reduced to a
//! [`Fingerprint`], and literal values that the engine must inspect (env values, ConfigMap
//! entries) are wrapped in [`Sensitive`], which neither prints nor serialises its content.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Where an item came from: a file and a 1-based line, or a live object (then `file` holds its
/// reference, e.g. `k8s://ns/Pod/name`, and `line` is 0).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    /// Path as given on the command line (joined with the relative path inside a directory).
    pub file: Arc<str>,
    /// Line of the document or field (1-based; 0 when unknown).
    pub line: u32,
}

impl Source {
    /// The same file at another line.
    pub fn at(&self, line: u32) -> Source {
        Source { file: Arc::clone(&self.file), line }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { write!(f, "{}", self.file) } else { write!(f, "{}:{}", self.file, self.line) }
    }
}

/// A short fingerprint of a secret value: `hmac:` and the first 12 hex digits of its
/// HMAC-SHA-256 under the scan's [fingerprint key](set_fingerprint_key). Two places that hold the
/// same value get the same fingerprint within one scan (or across scans that use the same key),
/// so reuse is visible; without the key, a fingerprint does not let anyone test a guessed value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub String);

/// What the printed form of a fingerprint starts with.
pub const FINGERPRINT_PREFIX: &str = "hmac:";

/// The HMAC key of this process's fingerprints: set once, before anything is fingerprinted.
static FINGERPRINT_KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Why the fingerprint key could not be set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FingerprintKeyError {
    /// A key was already in use (set before, or a value was fingerprinted first).
    #[error("the fingerprint key is already set")]
    AlreadySet,
    /// The operating system gave no random bytes.
    #[error("cannot draw a random fingerprint key from the operating system: {0}")]
    Random(String),
}

/// Fixes the key of every fingerprint this process computes, from any text (the HMAC key is the
/// SHA-256 of it). Reports that must be compared (baselines, diffs) are made with the same text;
/// whoever knows it can test guesses against the fingerprints, so keep it as secret as the values.
/// Must be called before anything is fingerprinted.
pub fn set_fingerprint_key(text: &str) -> Result<(), FingerprintKeyError> {
    let key: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    FINGERPRINT_KEY.set(key).map_err(|_| FingerprintKeyError::AlreadySet)
}

/// Draws a random fingerprint key from the operating system, unless a key is already set: the
/// default, so that fingerprints can be compared within one report only. Without this call the
/// first fingerprint draws the key (and panics if the system has no randomness to give).
pub fn init_random_fingerprint_key() -> Result<(), FingerprintKeyError> {
    if FINGERPRINT_KEY.get().is_some() {
        return Ok(());
    }
    let key = random_key()?;
    // Another thread may have drawn one meanwhile: either key is as good.
    let _ = FINGERPRINT_KEY.set(key);
    Ok(())
}

fn random_key() -> Result<[u8; 32], FingerprintKeyError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| FingerprintKeyError::Random(e.to_string()))?;
    Ok(key)
}

fn fingerprint_key() -> &'static [u8; 32] {
    FINGERPRINT_KEY.get_or_init(|| {
        random_key().unwrap_or_else(|e| panic!("{e}: refusing to fingerprint secret values without a key"))
    })
}

impl Fingerprint {
    /// Fingerprints raw bytes with the process's key.
    pub fn of(bytes: &[u8]) -> Fingerprint {
        Fingerprint::keyed(fingerprint_key(), bytes)
    }

    fn keyed(key: &[u8; 32], bytes: &[u8]) -> Fingerprint {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts a key of any length");
        mac.update(bytes);
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(FINGERPRINT_PREFIX.len() + 12);
        hex.push_str(FINGERPRINT_PREFIX);
        for b in &digest[..6] {
            hex.push_str(&format!("{b:02x}"));
        }
        Fingerprint(hex)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A literal value that may be a secret. Its text is reachable only through [`Sensitive::expose`];
/// `Debug` and `Display` show the fingerprint, and it has no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive {
    text: String,
}

impl Sensitive {
    /// Wraps a value.
    pub fn new(text: String) -> Sensitive {
        Sensitive { text }
    }
    /// The value itself: for analysis only, never for output.
    pub fn expose(&self) -> &str {
        &self.text
    }
    /// The value's fingerprint (computed on demand: most values are never shown).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self.text.as_bytes())
    }
    /// Length in characters.
    pub fn len(&self) -> usize {
        self.text.chars().count()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sensitive({})", self.fingerprint())
    }
}

/// The `user[:password]` part of a URL or address (`scheme://user:password@host`), taken out of
/// it by [`crate::urls::split_userinfo`] so that it never becomes part of a name or an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Userinfo {
    /// The user name (which may itself be a token: `https://<token>@host`).
    pub user: Sensitive,
    /// The password, when a `:` follows the user name.
    pub password: Option<Sensitive>,
}

impl Userinfo {
    /// The password, when there is a non-empty one.
    pub fn password(&self) -> Option<&Sensitive> {
        self.password.as_ref().filter(|p| !p.is_empty())
    }
}

/// A problem reading the estate: one file or document that could not be read. The scan goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub source: Source,
    /// Why, in words a user can act on.
    pub reason: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

/// Labels or annotations.
pub type StringMap = BTreeMap<String, String>;

/// Identity of any Kubernetes object, with its source.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectMeta {
    /// `kind` as written (e.g. `Deployment`).
    pub kind: String,
    /// `apiVersion` as written.
    pub api_version: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` for cluster-scoped kinds. Namespaced objects without one get
    /// `default`, as `kubectl apply` would, or the namespace the scan was given
    /// ([`crate::ReadOptions::default_namespace`], as `kubectl apply -n`).
    pub namespace: Option<String>,
    /// True when the object carries no namespace and the scan was given none either, so that
    /// `namespace` is `default` by convention only: where the object is meant to run is not known.
    pub namespace_defaulted: bool,
    /// `metadata.labels`.
    pub labels: StringMap,
    /// `metadata.annotations`.
    pub annotations: StringMap,
    /// `metadata.creationTimestamp` as written (used for Istio's "oldest wins").
    pub creation_timestamp: Option<String>,
    /// Controller owner (`ownerReferences` entry with `controller: true`, else the first): kind and
    /// name. Lets the engine fold Pods into their Deployment.
    pub owner: Option<(String, String)>,
    /// File and line of the object's document.
    pub source: Source,
}

impl ObjectMeta {
    /// Namespace or `""` for cluster-scoped objects.
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }
}

/// A label selector (`matchLabels` + `matchExpressions`). An empty selector selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels` (or a plain map selector such as a Service's `spec.selector`).
    pub match_labels: StringMap,
    /// `matchExpressions`.
    pub match_expressions: Vec<SelectorRequirement>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorRequirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    /// Values for `In`/`NotIn`.
    pub values: Vec<String>,
}

impl LabelSelector {
    /// True when the selector selects every object.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Does the selector select an object with these labels?
    pub fn matches(&self, labels: &StringMap) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let have = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => have.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => have.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
    }
}

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
    /// AWS load-balancer resources waiting to be joined into `proxies` (see [`AwsLbItem`]).
    pub aws_lb_items: Vec<AwsLbItem>,
    /// Gateway API and Istio Gateway objects waiting to be joined into `proxies` by
    /// [`crate::edge::assemble`] (routes and gateways arrive in separate documents).
    pub edge_items: crate::edge::EdgeItems,
    /// AWS IAM users, groups, roles, managed policies and credential-report rows.
    pub iam: crate::iam::IamInventory,
    /// Documents or files that could not be read.
    pub diagnostics: Vec<Diagnostic>,
    /// Kinds seen but not modelled, with counts.
    pub skipped_kinds: BTreeMap<String, usize>,
    /// Number of files read.
    pub files_read: usize,
    /// Number of objects read (after unwrapping Lists).
    pub objects_read: usize,
}

impl Inventory {
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
        self.aws_lb_items.extend(other.aws_lb_items);
        self.edge_items.extend(other.edge_items);
        self.iam.extend(other.iam);
        self.diagnostics.extend(other.diagnostics);
        for (k, n) in other.skipped_kinds {
            *self.skipped_kinds.entry(k).or_default() += n;
        }
        self.files_read += other.files_read;
        self.objects_read += other.objects_read;
    }
}

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
    /// `roleRef.kind` (`Role` or `ClusterRole`).
    pub role_kind: String,
    /// `roleRef.name`.
    pub role_name: String,
    /// Subjects.
    pub subjects: Vec<Subject>,
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
    /// Effective `policyTypes` (defaulted as the API server does: Ingress, plus Egress when egress
    /// rules exist).
    pub policy_types: Vec<String>,
    /// `ingress` rules (empty with Ingress in `policy_types` = deny all ingress).
    pub ingress: Vec<NetworkPolicyRule>,
    /// `egress` rules.
    pub egress: Vec<NetworkPolicyRule>,
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

// ---------------------------------------------------------------------------------------------
// Istio
// ---------------------------------------------------------------------------------------------

/// Istio objects.
#[derive(Debug, Default)]
pub struct IstioInventory {
    /// PeerAuthentications.
    pub peer_authentications: Vec<PeerAuthentication>,
    /// AuthorizationPolicies (`security.istio.io`).
    pub authorization_policies: Vec<IstioAuthorizationPolicy>,
    /// RequestAuthentications.
    pub request_authentications: Vec<RequestAuthentication>,
    /// DestinationRules.
    pub destination_rules: Vec<DestinationRule>,
    /// Mesh settings found in the `istio` ConfigMap (root namespace, trust domain).
    pub mesh_config: Option<MeshConfig>,
}

impl IstioInventory {
    fn extend(&mut self, other: IstioInventory) {
        self.peer_authentications.extend(other.peer_authentications);
        self.authorization_policies.extend(other.authorization_policies);
        self.request_authentications.extend(other.request_authentications);
        self.destination_rules.extend(other.destination_rules);
        if other.mesh_config.is_some() {
            self.mesh_config = other.mesh_config;
        }
    }
}

/// Istio MeshConfig values that change how policy applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeshConfig {
    /// `rootNamespace` (default `istio-system`).
    pub root_namespace: Option<String>,
    /// `trustDomain` (default `cluster.local`).
    pub trust_domain: Option<String>,
    /// `enableAutoMtls` (default true).
    pub enable_auto_mtls: Option<bool>,
    /// Where it was read.
    pub source: Source,
}

/// Istio mTLS mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MtlsMode {
    /// `UNSET`: inherit (PERMISSIVE at the top).
    Unset,
    /// `DISABLE`: plaintext.
    Disable,
    /// `PERMISSIVE`: plaintext or mTLS.
    Permissive,
    /// `STRICT`: mTLS required.
    Strict,
}

/// A PeerAuthentication.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerAuthentication {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `spec.selector.matchLabels`; `None` when absent or empty (namespace/mesh-wide).
    pub selector: Option<StringMap>,
    /// `spec.mtls.mode` (`Unset` when absent).
    pub mode: MtlsMode,
    /// Line of the mode (or of the spec).
    pub mode_line: u32,
    /// `portLevelMtls`: container port → mode.
    pub port_level: BTreeMap<u32, MtlsMode>,
}

/// `AuthorizationPolicy.action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuthzAction {
    /// ALLOW (the default).
    Allow,
    /// DENY.
    Deny,
    /// AUDIT.
    Audit,
    /// CUSTOM (external authorizer).
    Custom,
}

/// An Istio AuthorizationPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct IstioAuthorizationPolicy {
    /// Metadata (annotation `istio.io/dry-run`).
    pub meta: ObjectMeta,
    /// `spec.selector.matchLabels`; `None` when absent.
    pub selector: Option<StringMap>,
    /// `spec.targetRefs` / `targetRef`: (kind, name).
    pub target_refs: Vec<(String, String)>,
    /// Action.
    pub action: AuthzAction,
    /// `provider.name` for CUSTOM.
    pub provider: Option<String>,
    /// `rules`: `None` when the field is absent (ALLOW ⇒ allow nothing), `Some(vec![])` for
    /// `rules: []` (same meaning), and an empty [`IstioRule`] for `rules: [{}]` (match all).
    pub rules: Option<Vec<IstioRule>>,
    /// Line of `spec`.
    pub spec_line: u32,
}

/// One rule of an Istio AuthorizationPolicy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IstioRule {
    /// `from[].source`.
    pub from: Vec<IstioSource>,
    /// `to[].operation`.
    pub to: Vec<IstioOperation>,
    /// `when[]`: key, `values` and `notValues` (a condition may have only `notValues`).
    pub when: Vec<(String, Vec<String>, Vec<String>)>,
    /// Line.
    pub line: u32,
}

/// `from.source`. Unset lists are empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IstioSource {
    /// `principals` (`td/ns/x/sa/y`).
    pub principals: Vec<String>,
    /// `notPrincipals`.
    pub not_principals: Vec<String>,
    /// `requestPrincipals`.
    pub request_principals: Vec<String>,
    /// `notRequestPrincipals`.
    pub not_request_principals: Vec<String>,
    /// `namespaces`.
    pub namespaces: Vec<String>,
    /// `notNamespaces`.
    pub not_namespaces: Vec<String>,
    /// `serviceAccounts` (`ns/sa`).
    pub service_accounts: Vec<String>,
    /// `notServiceAccounts`.
    pub not_service_accounts: Vec<String>,
    /// `trustDomains` (recent Istio: the peer's trust domain).
    pub trust_domains: Vec<String>,
    /// `notTrustDomains`.
    pub not_trust_domains: Vec<String>,
    /// `ipBlocks`.
    pub ip_blocks: Vec<String>,
    /// `notIpBlocks`.
    pub not_ip_blocks: Vec<String>,
    /// `remoteIpBlocks`.
    pub remote_ip_blocks: Vec<String>,
    /// `notRemoteIpBlocks`.
    pub not_remote_ip_blocks: Vec<String>,
    /// Line.
    pub line: u32,
}

/// `to.operation`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IstioOperation {
    /// `hosts`.
    pub hosts: Vec<String>,
    /// `ports`.
    pub ports: Vec<String>,
    /// `methods`.
    pub methods: Vec<String>,
    /// `paths`.
    pub paths: Vec<String>,
    /// `notPaths`, `notMethods`, … present (any negative operation field).
    pub has_negations: bool,
}

/// A RequestAuthentication.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestAuthentication {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `spec.selector.matchLabels`.
    pub selector: Option<StringMap>,
    /// `jwtRules`: issuer and audiences.
    pub jwt_rules: Vec<(String, Vec<String>)>,
}

/// Istio client-side TLS mode in a DestinationRule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientTlsMode {
    /// DISABLE.
    Disable,
    /// SIMPLE.
    Simple,
    /// MUTUAL.
    Mutual,
    /// ISTIO_MUTUAL.
    IstioMutual,
}

/// A DestinationRule's TLS settings.
#[derive(Clone, Debug, PartialEq)]
pub struct DestinationRule {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `spec.host`.
    pub host: String,
    /// `spec.workloadSelector.matchLabels`.
    pub workload_selector: Option<StringMap>,
    /// `trafficPolicy.tls.mode`, with its line.
    pub tls_mode: Option<(ClientTlsMode, u32)>,
    /// `trafficPolicy.portLevelSettings[].tls.mode`: (port, mode, line).
    pub port_tls: Vec<(u32, ClientTlsMode, u32)>,
    /// `subsets[].trafficPolicy.tls.mode`: (subset, mode, line).
    pub subset_tls: Vec<(String, ClientTlsMode, u32)>,
    /// `insecureSkipVerify: true` anywhere in its TLS settings.
    pub insecure_skip_verify: bool,
}

// ---------------------------------------------------------------------------------------------
// Linkerd
// ---------------------------------------------------------------------------------------------

/// Linkerd policy objects. Injection and default-policy annotations live on namespaces and pods.
#[derive(Debug, Default)]
pub struct LinkerdInventory {
    /// Servers.
    pub servers: Vec<LinkerdServer>,
    /// ServerAuthorizations (legacy).
    pub server_authorizations: Vec<ServerAuthorization>,
    /// AuthorizationPolicies (`policy.linkerd.io`).
    pub authorization_policies: Vec<LinkerdAuthorizationPolicy>,
    /// MeshTLSAuthentications.
    pub mesh_tls_authentications: Vec<MeshTlsAuthentication>,
    /// NetworkAuthentications.
    pub network_authentications: Vec<NetworkAuthentication>,
    /// The cluster-wide default inbound policy from the control plane's config
    /// (`proxy.defaultInboundPolicy` / `default-inbound-policy` in `linkerd-config`), if found.
    pub cluster_default_policy: Option<(String, Source)>,
}

impl LinkerdInventory {
    /// The MeshTLSAuthentication `name` in `namespace`.
    pub fn mesh_tls_authentication(&self, namespace: &str, name: &str) -> Option<&MeshTlsAuthentication> {
        self.mesh_tls_authentications.iter().find(|m| m.meta.name == name && m.meta.ns() == namespace)
    }

    /// The NetworkAuthentication `name` in `namespace`.
    pub fn network_authentication(&self, namespace: &str, name: &str) -> Option<&NetworkAuthentication> {
        self.network_authentications.iter().find(|n| n.meta.name == name && n.meta.ns() == namespace)
    }

    fn extend(&mut self, other: LinkerdInventory) {
        self.servers.extend(other.servers);
        self.server_authorizations.extend(other.server_authorizations);
        self.authorization_policies.extend(other.authorization_policies);
        self.mesh_tls_authentications.extend(other.mesh_tls_authentications);
        self.network_authentications.extend(other.network_authentications);
        if other.cluster_default_policy.is_some() {
            self.cluster_default_policy = other.cluster_default_policy;
        }
    }
}

/// A Linkerd Server.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkerdServer {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `podSelector` (`None` when the Server uses `externalWorkloadSelector`).
    pub pod_selector: Option<LabelSelector>,
    /// `port`: number or name.
    pub port: String,
    /// `proxyProtocol`.
    pub proxy_protocol: Option<String>,
    /// `accessPolicy` (default `deny`).
    pub access_policy: Option<String>,
}

/// A legacy ServerAuthorization.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerAuthorization {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `server.name`.
    pub server_name: Option<String>,
    /// `server.selector`.
    pub server_selector: Option<LabelSelector>,
    /// `client.unauthenticated: true`.
    pub unauthenticated: bool,
    /// `client.meshTLS.unauthenticatedTLS: true`.
    pub unauthenticated_tls: bool,
    /// `client.meshTLS.identities`.
    pub identities: Vec<String>,
    /// `client.meshTLS.serviceAccounts`: (namespace or None, name).
    pub service_accounts: Vec<(Option<String>, String)>,
    /// `client.networks[].cidr`.
    pub networks: Vec<String>,
    /// Line of `client`.
    pub client_line: u32,
}

/// A reference to another object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace, when given.
    pub namespace: Option<String>,
}

/// A Linkerd AuthorizationPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkerdAuthorizationPolicy {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `targetRef`.
    pub target: ObjectRef,
    /// `requiredAuthenticationRefs` (all must match).
    pub required_authentications: Vec<ObjectRef>,
}

/// A MeshTLSAuthentication.
#[derive(Clone, Debug, PartialEq)]
pub struct MeshTlsAuthentication {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `identities` (`*` = any meshed client).
    pub identities: Vec<String>,
    /// `identityRefs`.
    pub identity_refs: Vec<ObjectRef>,
}

/// A NetworkAuthentication.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkAuthentication {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `networks[]`: cidr and except.
    pub networks: Vec<(String, Vec<String>)>,
}

// ---------------------------------------------------------------------------------------------
// Proxies and load balancers (Envoy, nginx, HAProxy, Ingress, Gateway API, Istio Gateway, AWS)
// ---------------------------------------------------------------------------------------------

/// What kind of proxy or load balancer a [`Proxy`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProxyKind {
    /// An Envoy bootstrap / static configuration.
    Envoy,
    /// An nginx configuration file (and its includes).
    Nginx,
    /// An HAProxy configuration file.
    Haproxy,
    /// A Kubernetes Ingress served by ingress-nginx (class `nginx` or ingress-nginx annotations).
    IngressNginx,
    /// A Kubernetes Ingress served by the AWS Load Balancer Controller (an ALB).
    IngressAlb,
    /// A Kubernetes Ingress of another or unknown class.
    Ingress,
    /// A Gateway API `Gateway` with its routes.
    Gateway,
    /// An Istio `Gateway` (networking.istio.io) with its VirtualServices.
    IstioGateway,
    /// An AWS Application Load Balancer (from AWS Config or annotations).
    AwsAlb,
    /// An AWS Network Load Balancer.
    AwsNlb,
    /// A Service of type LoadBalancer (cloud annotations decide the kind of LB).
    ServiceLoadBalancer,
}

/// One proxy or load balancer: a hop that traffic crosses on its way to a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct Proxy {
    /// Kind.
    pub kind: ProxyKind,
    /// Name (object name, file stem, ARN resource name, …).
    pub name: String,
    /// Namespace for Kubernetes objects.
    pub namespace: Option<String>,
    /// Where it is defined (the file, or the object's document).
    pub source: Source,
    /// Pods that run this proxy when known (Istio Gateway `selector`), so that paths can join it to
    /// the workload that is the proxy.
    pub runs_on: Option<StringMap>,
    /// Listeners (ports it accepts traffic on).
    pub listeners: Vec<ProxyListener>,
    /// Class, controller or other facts worth showing (e.g. `ingressClassName`), sorted by key.
    pub attrs: StringMap,
    /// Credentials found in URLs of the configuration outside the backends (an ingress-nginx
    /// `auth-url`, …), taken out of the text that held them by [`crate::urls::scrub_proxies`].
    pub credentials: Vec<ProxyCredential>,
}

/// A credential written in a URL of a proxy's configuration, with the host it is sent to.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyCredential {
    /// The URL's host and port (`auth.example`, `auth.example:8443`).
    pub peer: String,
    /// The userinfo.
    pub credential: Userinfo,
    /// Line of the listener whose configuration holds it (0: the proxy's own line).
    pub line: u32,
    /// That listener's file, when not the proxy's.
    pub file: Option<Arc<str>>,
}

/// How a listener handles TLS from its clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListenerTls {
    /// No TLS: clients connect in plaintext.
    Plaintext,
    /// TLS terminated here (the proxy decrypts).
    Terminate,
    /// TLS passed through undecrypted, routed by SNI: only a TLS ClientHello gets a route
    /// (Istio `PASSTHROUGH`, Gateway API `Passthrough`, ingress-nginx `ssl-passthrough`, an Envoy
    /// filter chain matching server names, HAProxy on `req.ssl_sni`, nginx `ssl_preread`).
    Passthrough,
    /// Bytes forwarded at layer 4 without looking at them (a `LoadBalancer` Service, an NLB TCP
    /// listener, a TCP proxy or TCP route): TLS or not, as the backend port speaks. The engine
    /// decides which from the backend ([`PortTls`]); nothing here says that TLS is involved.
    Layer4,
}

/// Whether a port is known to speak TLS: a three-valued fact, never a guess. `Unknown` when the
/// input shows neither (a `tcp` port name, no probe, no server configuration of the backend).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortTls {
    /// Known to speak TLS.
    Tls,
    /// Known to speak plaintext.
    Plaintext,
    /// Not known from the input.
    Unknown,
}

/// Whether a TLS-terminating listener asks for and checks a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientCertMode {
    /// Not requested.
    None,
    /// Requested, not required (nginx `optional`, HAProxy `verify optional`, Istio `OPTIONAL_MUTUAL`,
    /// Envoy without `require_client_certificate`, Gateway `AllowInsecureFallback`).
    Optional,
    /// Requested but not verified against a CA (nginx `optional_no_ca`, Envoy without `trusted_ca`,
    /// ALB mTLS `passthrough`).
    Unverified,
    /// Required and verified.
    Required,
}

/// What a listener does with a request header that carries a caller identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderAction {
    /// The proxy overwrites it (nginx `proxy_set_header`, HAProxy `set-header`), from the client
    /// certificate when `from_client_cert`.
    Set {
        /// The value comes from the verified client certificate (e.g. `$ssl_client_s_dn`).
        from_client_cert: bool,
    },
    /// The proxy appends to it (HAProxy `add-header`): a client-supplied value survives.
    Append,
    /// The proxy removes it.
    Remove,
    /// The proxy lets a client-supplied value through unchanged.
    PassThrough,
}

/// An identity header and what the listener does with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityHeader {
    /// Header name as written (e.g. `X-SSL-Client-DN`, `x-forwarded-client-cert`).
    pub name: String,
    /// What happens to it.
    pub action: HeaderAction,
    /// Line of the directive.
    pub line: u32,
}

/// Envoy's `forward_client_cert_details` (Envoy numbering; Istio's enum is offset by one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum XfccMode {
    /// Strip XFCC (Envoy's default).
    Sanitize,
    /// Forward the client's XFCC if the connection is mTLS.
    ForwardOnly,
    /// Append this hop's element if mTLS, forward earlier elements.
    AppendForward,
    /// Replace XFCC with this hop's element if mTLS.
    SanitizeSet,
    /// Forward the client's XFCC whatever the transport.
    AlwaysForwardOnly,
}

/// A JWT check on a listener or route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtCheck {
    /// Issuer checked (`None`: not checked).
    pub issuer: Option<String>,
    /// Audiences checked (empty: not checked).
    pub audiences: Vec<String>,
    /// False when requests without a valid token still pass (`allow_missing_or_failed`, …).
    pub enforced: bool,
    /// False when the signature is not verified (`extract_only_without_validation`).
    pub verified: bool,
    /// Line.
    pub line: u32,
}

/// A listener: a port a proxy accepts traffic on, and where it sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyListener {
    /// Name (Envoy listener name, nginx `server_name`, HAProxy frontend, Gateway listener, …).
    pub name: String,
    /// Port, when known.
    pub port: Option<u32>,
    /// Host names it serves (SNI / Host).
    pub hosts: Vec<String>,
    /// TLS from clients.
    pub tls: ListenerTls,
    /// Client certificates, for `Terminate` listeners.
    pub client_cert: ClientCertMode,
    /// XFCC handling (Envoy / Istio), when set.
    pub xfcc: Option<XfccMode>,
    /// Identity headers set, cleared or passed through.
    pub identity_headers: Vec<IdentityHeader>,
    /// JWT checks.
    pub jwt: Vec<JwtCheck>,
    /// An authorization filter (Envoy RBAC, ext_authz, nginx `auth_request`, …), described.
    pub authz: Vec<String>,
    /// Routes to backends.
    pub routes: Vec<ProxyRoute>,
    /// Bound only to loopback addresses (127.0.0.0/8, `::1`, `localhost`) or a Unix socket: only
    /// processes of its own pod (or host) can connect to it.
    pub local_only: bool,
    /// Line of the listener.
    pub line: u32,
    /// File that `line` (and the lines of this listener's routes, backends and headers) refer
    /// to, when it is not the proxy's own `source.file`: an nginx `server` block in an included
    /// file. `None`: the proxy's file.
    pub file: Option<Arc<str>>,
}

impl ProxyListener {
    /// A listener with nothing but its address and TLS mode; the readers fill in the rest.
    pub fn new(
        name: String,
        port: Option<u32>,
        hosts: Vec<String>,
        tls: ListenerTls,
        line: u32,
    ) -> ProxyListener {
        ProxyListener {
            name,
            port,
            hosts,
            tls,
            client_cert: ClientCertMode::None,
            xfcc: None,
            identity_headers: Vec::new(),
            jwt: Vec::new(),
            authz: Vec::new(),
            routes: Vec::new(),
            local_only: false,
            line,
            file: None,
        }
    }
}

/// A TargetGroupBinding (`elbv2.k8s.aws`): an AWS target group registered with the pods behind a
/// Service.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupBinding {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The target group's name (from `targetGroupName`, or the name part of `targetGroupARN`).
    pub target_group: String,
    /// `serviceRef.name` (in the binding's namespace).
    pub service: String,
    /// `serviceRef.port` (number or name).
    pub port: Option<String>,
}

/// A route from a listener to a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyRoute {
    /// What it matches (host and path prefix, as written).
    pub matches: String,
    /// Where it goes.
    pub backend: ProxyBackend,
    /// Identity headers handled for this route only (nginx `location` level), overriding the
    /// listener's when `Some` (nginx inheritance is all-or-nothing per level).
    pub identity_headers: Option<Vec<IdentityHeader>>,
    /// Line.
    pub line: u32,
}

/// The target of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendTarget {
    /// A Kubernetes Service.
    Service {
        /// Namespace (the route's own when not given).
        namespace: String,
        /// Name.
        name: String,
        /// Port (number or name) when given.
        port: Option<String>,
    },
    /// A host (DNS name or address) and port.
    Address {
        /// Host.
        host: String,
        /// Port.
        port: Option<u32>,
    },
    /// A named upstream, cluster, backend or target group not resolved to addresses.
    Named(String),
}

/// An AWS load-balancer resource (ELBv2 LoadBalancer, Listener or TargetGroup) read from an AWS
/// Config configuration item or an ELBv2 `describe-*` output, waiting to be joined.
///
/// Files are read one at a time, while a listener, its load balancer and its target groups may be
/// in different documents or files. The AWS reader collects them here; once every file is read,
/// `aws::assemble_aws_proxies` joins them by ARN into [`Proxy`] items and empties this list.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsLbItem {
    /// `AWS::ElasticLoadBalancingV2::LoadBalancer`, `::Listener` or `::TargetGroup`.
    pub resource_type: String,
    /// ARN of the resource.
    pub arn: String,
    /// `resourceName`, when given.
    pub name: Option<String>,
    /// `configurationItemStatus`, when given (`ResourceDeleted`, …).
    pub status: Option<String>,
    /// `configurationItemCaptureTime` as written: of several items for one resource, the latest
    /// wins.
    pub capture_time: Option<String>,
    /// The resource's configuration. A JSON string (API shape) is parsed again; its nodes then
    /// carry the item's line.
    pub configuration: crate::yaml::Node,
    /// `supplementaryConfiguration`, its string values parsed the same way.
    pub supplementary: crate::yaml::Node,
    /// Tags.
    pub tags: StringMap,
    /// The configuration item's file and line.
    pub source: Source,
}

/// How the proxy talks to a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyBackend {
    /// Target.
    pub target: BackendTarget,
    /// TLS to the backend.
    pub tls: bool,
    /// Whether the backend's certificate is verified (`None`: not applicable or unknown).
    pub verify_server: Option<bool>,
    /// Whether the proxy presents a client certificate to the backend.
    pub client_cert: bool,
    /// The backend receives the proxy's own identity in place of the caller's (mTLS with the
    /// proxy's certificate, a fixed credential, …), described.
    pub substitutes_identity: Option<String>,
    /// Credentials written in the backend's URL or address (`user:password@`), taken out of
    /// `target`: the proxy presents them to the backend.
    pub credential: Option<Userinfo>,
    /// What the backend port speaks as far as the reader's own input shows (an AWS target
    /// group's health check on the traffic port); `Unknown` otherwise. The engine adds what the
    /// rest of the estate shows (Service ports, probes, the servers the pods run).
    pub port_tls: PortTls,
    /// Line.
    pub line: u32,
}

impl ProxyBackend {
    /// A backend reached in plaintext, with no credential of the proxy's.
    pub fn plain(target: BackendTarget, line: u32) -> ProxyBackend {
        ProxyBackend {
            target,
            tls: false,
            verify_server: None,
            client_cert: false,
            substitutes_identity: None,
            credential: None,
            port_tls: PortTls::Unknown,
            line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_keyed_hmacs() {
        // HMAC-SHA-256 under the key SHA-256("k"), first 6 bytes (computed independently).
        let key: [u8; 32] = Sha256::digest(b"k").into();
        assert_eq!(Fingerprint::keyed(&key, b"hello").0, "hmac:299f7e190077");
        // Not the bare SHA-256 of the value (`sha256:2cf24dba5fb0` for "hello"), whatever the key.
        let f = Fingerprint::of(b"hello");
        assert!(f.0.starts_with("hmac:") && f.0.len() == 17, "{f}");
        assert!(!f.0.contains("2cf24dba5fb0"), "{f}");
        // One process, one key: the same value always gives the same fingerprint.
        assert_eq!(Fingerprint::of(b"hello"), f);
        assert_ne!(Fingerprint::of(b"hello!"), f);
        let other: [u8; 32] = Sha256::digest(b"other").into();
        assert_ne!(Fingerprint::keyed(&other, b"hello"), Fingerprint::keyed(&key, b"hello"));
    }

    #[test]
    fn sensitive_never_prints_its_value() {
        let s = Sensitive::new("hunter2-very-secret".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("hmac:"), "{shown}");
        assert_eq!(s.fingerprint().0.len(), "hmac:".len() + 12);
    }

    #[test]
    fn selector_semantics() {
        let labels: StringMap = [("app".to_owned(), "web".to_owned())].into();
        let mut sel = LabelSelector::default();
        assert!(sel.matches(&labels));
        sel.match_expressions.push(SelectorRequirement {
            key: "tier".into(),
            operator: "DoesNotExist".into(),
            values: vec![],
        });
        assert!(sel.matches(&labels));
        sel.match_labels.insert("app".into(), "db".into());
        assert!(!sel.matches(&labels));
    }
}
