//! AWS load balancers from AWS Config configuration items (placeholder).

use std::sync::Arc;

use crate::model::Inventory;
use crate::yaml::Node;

/// Reads a document holding AWS Config configuration items; false when it is not one.
pub(crate) fn read_document(_node: &Node, _file: &Arc<str>, _inventory: &mut Inventory) -> bool {
    false
}
