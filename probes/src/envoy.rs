//! Envoy bootstrap and static configuration (placeholder: the reader is being written).

use std::sync::Arc;

use crate::model::Inventory;
use crate::yaml::Node;

/// Reads a document that is an Envoy configuration; false when it is not one.
pub(crate) fn read_document(_node: &Node, _file: &Arc<str>, _inventory: &mut Inventory) -> bool {
    false
}
