//! The raw form readers fill: an [`Inventory`] plus the items that can only be joined once every
//! file (or live source) is read. `crate::finish` turns it into an Inventory.
//!
//! Files are read one at a time, while a Gateway and its routes, an Istio Gateway and its
//! VirtualServices, or an AWS listener, its load balancer and its target groups may be in
//! different documents or files.

use std::ops::{Deref, DerefMut};

use super::proxy::Proxy;
use super::root::Inventory;
use super::shared::{LabelSelector, ObjectMeta, Source, StringMap};

/// What readers produce: the Inventory read so far and the items still waiting to be joined.
/// It dereferences to the Inventory, so a reader fills both through one handle.
#[derive(Debug, Default)]
pub struct RawInventory {
    /// Items complete as read.
    pub inventory: Inventory,
    /// AWS load-balancer resources waiting to be joined into proxies (see [`AwsLbItem`]).
    pub aws_lb_items: Vec<AwsLbItem>,
    /// Gateway API and Istio Gateway objects waiting to be joined into proxies.
    pub edge_items: EdgeItems,
}

impl RawInventory {
    /// Appends another raw inventory (used to merge per-file and per-source results).
    pub fn extend(&mut self, other: RawInventory) {
        self.inventory.extend(other.inventory);
        self.aws_lb_items.extend(other.aws_lb_items);
        self.edge_items.extend(other.edge_items);
    }
}

impl From<Inventory> for RawInventory {
    fn from(inventory: Inventory) -> Self {
        RawInventory { inventory, ..RawInventory::default() }
    }
}

impl Deref for RawInventory {
    type Target = Inventory;
    fn deref(&self) -> &Inventory {
        &self.inventory
    }
}

impl DerefMut for RawInventory {
    fn deref_mut(&mut self) -> &mut Inventory {
        &mut self.inventory
    }
}

/// An AWS load-balancer resource (ELBv2 LoadBalancer, Listener or TargetGroup) read from an AWS
/// Config configuration item or an ELBv2 `describe-*` output, waiting to be joined.
///
/// Files are read one at a time, while a listener, its load balancer and its target groups may be
/// in different documents or files. The AWS reader collects them here; once every file is read,
/// the finish step joins them by ARN into [`Proxy`] items.
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

/// Gateway API and Istio objects read file by file, joined into proxies by the finish step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgeItems {
    /// Gateway API Gateways.
    pub gateways: Vec<GatewayItem>,
    /// HTTPRoutes, GRPCRoutes, TLSRoutes, TCPRoutes and UDPRoutes.
    pub routes: Vec<RouteItem>,
    /// BackendTLSPolicies.
    pub backend_tls_policies: Vec<BackendTlsPolicyItem>,
    /// ReferenceGrants.
    pub reference_grants: Vec<ReferenceGrantItem>,
    /// Istio (`networking.istio.io`) Gateways.
    pub istio_gateways: Vec<IstioGatewayItem>,
    /// Istio VirtualServices.
    pub virtual_services: Vec<VirtualServiceItem>,
}

impl EdgeItems {
    /// Appends the items of another file.
    pub fn extend(&mut self, other: EdgeItems) {
        self.gateways.extend(other.gateways);
        self.routes.extend(other.routes);
        self.backend_tls_policies.extend(other.backend_tls_policies);
        self.reference_grants.extend(other.reference_grants);
        self.istio_gateways.extend(other.istio_gateways);
        self.virtual_services.extend(other.virtual_services);
    }

    /// True when nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.gateways.is_empty()
            && self.routes.is_empty()
            && self.backend_tls_policies.is_empty()
            && self.reference_grants.is_empty()
            && self.istio_gateways.is_empty()
            && self.virtual_services.is_empty()
    }
}

/// A Gateway API Gateway: its proxy with listeners and no routes yet.
#[derive(Clone, Debug, PartialEq)]
pub struct GatewayItem {
    /// The proxy (kind [`ProxyKind::Gateway`]); `listeners` parallel `listeners` below.
    pub proxy: Proxy,
    /// What decides which routes attach to each listener.
    pub listeners: Vec<GatewayListenerItem>,
    /// `spec.tls.backend.clientCertificateRef` name: the certificate the gateway presents to
    /// backends it reaches over TLS.
    pub backend_client_cert: Option<String>,
}

/// Route attachment facts of one Gateway listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayListenerItem {
    /// `protocol` in upper case (`HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP`).
    pub protocol: String,
    /// `hostname`, when set.
    pub hostname: Option<String>,
    /// `allowedRoutes.namespaces.from`: `Same` (default), `All` or `Selector`.
    pub allowed_from: String,
    /// `allowedRoutes.namespaces.selector` for `Selector`.
    pub allowed_selector: Option<LabelSelector>,
    /// `allowedRoutes.kinds[].kind`; empty means the kinds the protocol supports.
    pub allowed_kinds: Vec<String>,
}

/// An HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteItem {
    /// Metadata (`kind` tells the route kinds apart).
    pub meta: ObjectMeta,
    /// `parentRefs`.
    pub parents: Vec<ParentRef>,
    /// `hostnames`.
    pub hostnames: Vec<String>,
    /// `rules`.
    pub rules: Vec<RouteRule>,
}

/// One `parentRefs` entry, with defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentRef {
    /// `group` (default `gateway.networking.k8s.io`).
    pub group: String,
    /// `kind` (default `Gateway`).
    pub kind: String,
    /// `namespace` (default: the route's).
    pub namespace: String,
    /// `name`.
    pub name: String,
    /// `sectionName`: a listener name.
    pub section_name: Option<String>,
    /// `port`.
    pub port: Option<u32>,
}

/// One route rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRule {
    /// What it matches, described (hostnames and paths or methods).
    pub matches: String,
    /// `backendRefs`.
    pub backends: Vec<BackendRef>,
    /// Line of the rule.
    pub line: u32,
}

/// One `backendRefs` entry, with defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendRef {
    /// `group` (default `""`, core).
    pub group: String,
    /// `kind` (default `Service`).
    pub kind: String,
    /// `namespace` (default: the route's).
    pub namespace: String,
    /// `name`.
    pub name: String,
    /// `port`.
    pub port: Option<String>,
    /// Line.
    pub line: u32,
}

/// A BackendTLSPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendTlsPolicyItem {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `targetRefs` of kind Service: name and optional `sectionName` (a port name).
    pub targets: Vec<(String, Option<String>)>,
    /// `validation.caCertificateRefs` or `validation.wellKnownCACertificates` is set: the
    /// gateway verifies the backend's certificate.
    pub verified: bool,
    /// `validation.hostname`.
    pub hostname: Option<String>,
    /// `validation.subjectAltNames` values (hostnames or URIs such as SPIFFE IDs).
    pub subject_alt_names: Vec<String>,
}

/// A ReferenceGrant.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceGrantItem {
    /// Metadata (the namespace is the one granting access).
    pub meta: ObjectMeta,
    /// `from`: group, kind, namespace.
    pub from: Vec<(String, String, String)>,
    /// `to`: group, kind, optional name.
    pub to: Vec<(String, String, Option<String>)>,
}

/// An Istio Gateway: its proxy with one listener per server and no routes yet.
#[derive(Clone, Debug, PartialEq)]
pub struct IstioGatewayItem {
    /// The proxy (kind [`ProxyKind::IstioGateway`]); `listeners` parallel `servers`.
    pub proxy: Proxy,
    /// Route binding facts of each server.
    pub servers: Vec<IstioServerItem>,
}

/// Route binding facts of one Istio Gateway server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IstioServerItem {
    /// `port.protocol` in upper case.
    pub protocol: String,
    /// `hosts`, split into the optional namespace part of `ns/host` and the host.
    pub hosts: Vec<(Option<String>, String)>,
    /// `tls.httpsRedirect: true`: every request is redirected, nothing is routed.
    pub https_redirect: bool,
    /// `tls.mode: AUTO_PASSTHROUGH`: the SNI names the destination, no VirtualService binds.
    pub auto_passthrough: bool,
}

/// A VirtualService.
#[derive(Clone, Debug, PartialEq)]
pub struct VirtualServiceItem {
    /// Metadata.
    pub meta: ObjectMeta,
    /// `hosts`.
    pub hosts: Vec<String>,
    /// `gateways` as written (`mesh`, `name`, `ns/name`).
    pub gateways: Vec<String>,
    /// `http`, `tls` and `tcp` routes.
    pub routes: Vec<VsRoute>,
}

/// Which section of a VirtualService a route comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VsRouteKind {
    /// `http`.
    Http,
    /// `tls` (SNI routing of passed-through TLS).
    Tls,
    /// `tcp`.
    Tcp,
}

/// One VirtualService route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsRoute {
    /// Section.
    pub kind: VsRouteKind,
    /// `match` entries; empty matches everything.
    pub matches: Vec<VsMatch>,
    /// What it matches, described.
    pub description: String,
    /// `route[].destination`: host, port number, line.
    pub destinations: Vec<(String, Option<u32>, u32)>,
    /// Line.
    pub line: u32,
}

/// The parts of a VirtualService `match` entry that decide where it applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsMatch {
    /// `gateways`: restricts the match to these gateways.
    pub gateways: Vec<String>,
    /// `port`.
    pub port: Option<u32>,
    /// `sniHosts` (tls routes).
    pub sni_hosts: Vec<String>,
}
