//! Kubernetes objects: the core kinds (workloads, Services, RBAC, NetworkPolicies, …) and the
//! edge (Ingress, LoadBalancer Services, Gateway API, Istio gateways).

pub mod edge;
pub mod objects;

#[cfg(feature = "kube-live")]
pub mod live;
