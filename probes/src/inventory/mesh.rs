//! Service-mesh policy: Istio and Linkerd.

use std::collections::BTreeMap;

use super::shared::{LabelSelector, ObjectMeta, Source, StringMap};

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
    pub(super) fn extend(&mut self, other: IstioInventory) {
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

    pub(super) fn extend(&mut self, other: LinkerdInventory) {
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
