//! Service-mesh policy: Istio and Linkerd.

pub mod istio;
pub mod linkerd;
