//! Placeholder: filled in by the istio probe work.

use crate::model::{Inventory, ObjectMeta};
use crate::yaml::Node;

/// Reads one object into the inventory; false when the kind is not one of this module's.
pub(crate) fn read(_node: &Node, _meta: &ObjectMeta, _inventory: &mut Inventory) -> bool {
    false
}
