//! Kubernetes edge objects: Ingress, Gateway API, Istio Gateway and VirtualService, and Services
//! of type LoadBalancer, read into [`Proxy`] items.
//!
//! An Ingress is self-contained and becomes a Proxy as soon as it is read. Gateway API Gateways
//! and their routes, and Istio Gateways and their VirtualServices, arrive as separate documents,
//! often in different files: they are collected as [`EdgeItems`] and joined by [`join`] once
//! every file is read. Services of type LoadBalancer are read by the core reader (they are
//! Services first); [`service_load_balancer`] adds the load balancer in front of them.
//!
//! Defaults follow docs/semantics.md: #istio (Istio Gateway tls modes; an omitted mode is the
//! proto's zero value, PASSTHROUGH; Istio gateways SANITIZE_SET the XFCC header), #ingress
//! (ingress-nginx annotations), #gateway-api, and #aws-elb (AWS load balancers never verify
//! target certificates).

use gateway_api::assemble_gateways;
use gateway_api::backend_tls_policy;
use gateway_api::gateway;
use gateway_api::reference_grant;
use gateway_api::route;
use helpers::{GATEWAY_GROUP, ISTIO_GROUP, group};
use ingress::ingress;
use istio_gateway::assemble_istio;
use istio_gateway::istio_gateway;
use istio_gateway::virtual_service;
pub use load_balancer::service_load_balancer;

use crate::inventory::{EdgeItems, Inventory, ObjectMeta, RawInventory};
use crate::yaml::Node;

mod gateway_api;
mod helpers;
mod ingress;
mod istio_gateway;
mod load_balancer;
#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

/// Joins Gateways, routes and BackendTLSPolicies, and Istio Gateways and VirtualServices, into
/// proxies (from `crate::finish`, once every file is read).
pub(crate) fn join(items: &EdgeItems, inventory: &mut Inventory) {
    let mut proxies = assemble_gateways(items, &inventory.namespaces, &inventory.services);
    proxies.extend(assemble_istio(items, &inventory.namespaces, &inventory.services));
    inventory.proxies.extend(proxies);
}

/// True for the kinds this module reads.
pub(crate) fn handles(meta: &ObjectMeta) -> bool {
    matches!(
        (group(meta), meta.kind.as_str()),
        ("networking.k8s.io" | "extensions", "Ingress")
            | (
                GATEWAY_GROUP,
                "Gateway"
                    | "HTTPRoute"
                    | "GRPCRoute"
                    | "TLSRoute"
                    | "TCPRoute"
                    | "UDPRoute"
                    | "BackendTLSPolicy"
                    | "ReferenceGrant"
            )
            | (ISTIO_GROUP, "Gateway" | "VirtualService")
    )
}

/// Reads one object; false when the kind is not one of this module's.
pub(crate) fn read(node: &Node, meta: &ObjectMeta, inventory: &mut RawInventory) -> bool {
    if !handles(meta) {
        return false;
    }
    let items = &mut inventory.edge_items;
    match (group(meta), meta.kind.as_str()) {
        (_, "Ingress") => {
            let proxy = ingress(node, meta, &mut inventory.diagnostics);
            inventory.proxies.push(proxy);
        }
        (ISTIO_GROUP, "Gateway") => items.istio_gateways.push(istio_gateway(node, meta)),
        (ISTIO_GROUP, _) => items.virtual_services.push(virtual_service(node, meta)),
        (_, "Gateway") => items.gateways.push(gateway(node, meta, &mut inventory.inventory.diagnostics)),
        (_, "BackendTLSPolicy") => items.backend_tls_policies.push(backend_tls_policy(node, meta)),
        (_, "ReferenceGrant") => items.reference_grants.push(reference_grant(node, meta)),
        _ => items.routes.push(route(node, meta)),
    }
    true
}
