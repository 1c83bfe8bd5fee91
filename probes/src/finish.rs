//! The finish step: the one place where what the readers filled (a [`RawInventory`]) becomes the
//! [`Inventory`] the engine reads. Files, a live AWS account and any later source all end here,
//! after every source is read and merged:
//! - AWS load-balancer resources are joined by ARN into proxies;
//! - Gateway API Gateways and their routes, and Istio Gateways and their VirtualServices, are
//!   joined into proxies;
//! - no userinfo survives in any proxy's names, targets or attributes;
//! - IAM entities read from several places (files, an export and the live account) are kept
//!   once.

use crate::aws::elb;
use crate::inventory::{Inventory, RawInventory};
use crate::kubernetes::edge;
use crate::urls;

/// Joins and de-duplicates a raw inventory into the finished one.
pub fn finish(raw: RawInventory) -> Inventory {
    let RawInventory { mut inventory, aws_lb_items, edge_items } = raw;
    elb::join_load_balancers(aws_lb_items, &mut inventory);
    edge::join(&edge_items, &mut inventory);
    urls::scrub_proxies(&mut inventory);
    inventory.iam.dedup();
    inventory
}
