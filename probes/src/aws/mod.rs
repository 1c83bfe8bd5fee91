//! AWS: ELBv2 load balancers ([`elb`]), IAM ([`iam`]), the AWS Config envelopes both arrive in
//! ([`config_items`]), and live collection from an account (`live`, feature `aws-live`).

use std::sync::Arc;

use crate::inventory::RawInventory;
use crate::yaml::Node;

pub(crate) mod config_items;
pub mod elb;
pub mod iam;
#[cfg(feature = "aws-live")]
pub mod live;

use config_items::{ELBV2, IAM, items, resource_type};

/// Reads the ELBv2 and IAM configuration items of a document in one walk and hands each family
/// to its reader. False when the document holds none that a reader takes.
pub(crate) fn read_config_document(node: &Node, file: &Arc<str>, inventory: &mut RawInventory) -> bool {
    let found = items(node, &[ELBV2, IAM]);
    if found.is_empty() {
        return false;
    }
    let of = |family: &str| -> Vec<&Node> {
        found.iter().map(|i| &**i).filter(|i| resource_type(i).starts_with(family)).collect()
    };
    let lb = elb::read_config_items(&of(ELBV2), file, inventory);
    let iam = iam::read_config_items(&of(IAM), file, inventory);
    lb || iam
}
