//! Kubernetes edge objects: Ingress, Gateway API, Istio Gateway and VirtualService, Services of
//! type LoadBalancer (placeholder: the reader is being written).

use crate::model::{Inventory, ObjectMeta};
use crate::yaml::Node;

/// True for the kinds this module reads.
pub(crate) fn handles(_meta: &ObjectMeta) -> bool {
    false
}

/// Reads one object; false when the kind is not one of this module's.
pub(crate) fn read(_node: &Node, _meta: &ObjectMeta, _inventory: &mut Inventory) -> bool {
    false
}
