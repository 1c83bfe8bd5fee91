//! AWS Config configuration items of the IAM resource types (see docs/semantics.md#aws-iam).

use super::fields::src;
use super::gaad::Around;
use super::gaad::group_from;
use super::gaad::managed_policy_from;
use super::gaad::role_from;
use super::gaad::tags;
use super::gaad::user_from;
use super::keys::read_oidc_provider;

use crate::aws::config_items;
use crate::inventory::{Diagnostic, Inventory};
use crate::yaml::Node;
use std::sync::Arc;

pub(super) const CONFIG_USER: &str = "AWS::IAM::User";
pub(super) const CONFIG_ROLE: &str = "AWS::IAM::Role";
pub(super) const CONFIG_GROUP: &str = "AWS::IAM::Group";
pub(super) const CONFIG_POLICY: &str = "AWS::IAM::Policy";
pub(super) const CONFIG_OIDC_PROVIDER: &str = "AWS::IAM::OIDCProvider";
pub(super) const CONFIG_TYPES: [&str; 5] =
    [CONFIG_USER, CONFIG_ROLE, CONFIG_GROUP, CONFIG_POLICY, CONFIG_OIDC_PROVIDER];

/// Reads the IAM configuration items a document holds, in any of the envelopes AWS Config uses
/// (one item in the API or delivery shape, `configurationItems`, `baseConfigurationItems`,
/// `configurationItem`, SelectResourceConfig `Results`…); false when it holds none this module
/// reads. The file walker reads these documents through the shared Config reader, which also
/// hands ELBv2 items to the load-balancer reader; this entry point is for IAM-only callers.
pub fn read_config_document(node: &Node, file: &Arc<str>, inventory: &mut Inventory) -> bool {
    let found = config_items::items(node, &[config_items::IAM]);
    let found: Vec<&Node> = found.iter().map(|i| &**i).collect();
    read_config_items(&found, file, inventory)
}

/// Reads `AWS::IAM::{User, Role, Group, Policy, OIDCProvider}` configuration items into the same
/// structures as the IAM API output (the configuration's camelCase keys are matched without
/// regard to case). Of several items for one resource the latest wins and a deleted resource is
/// dropped (within the items given). Each resource keeps the line of its item. An item with an
/// empty configuration (`ResourceNotRecorded`, `{}`) gives nothing; false when no item was
/// taken, so that the document is counted as skipped.
pub(crate) fn read_config_items(items: &[&Node], file: &Arc<str>, inventory: &mut Inventory) -> bool {
    let ours: Vec<&Node> =
        items.iter().copied().filter(|i| CONFIG_TYPES.contains(&config_items::resource_type(i))).collect();
    // A deletion is information even when nothing is left to read.
    let mut consumed = ours.iter().any(|i| config_items::is_deleted(i));
    let diags = &mut inventory.diagnostics;
    let iam = &mut inventory.iam;
    for item in config_items::latest(&ours) {
        let configuration = match config_items::configuration(item, file) {
            Ok(c) => c,
            Err(diagnostic) => {
                diags.push(diagnostic);
                consumed = true;
                continue;
            }
        };
        if configuration.is_null() || (configuration.is_map() && configuration.entries().is_empty()) {
            continue;
        }
        consumed = true;
        let resource_type = config_items::resource_type(item);
        if !configuration.is_map() {
            diags.push(Diagnostic {
                source: src(file, item.line),
                reason: format!("{resource_type} configuration item: `configuration` is not an object"),
            });
            continue;
        }
        let around = Around {
            name: item.get("resourceName").and_then(Node::string).filter(|n| !n.is_empty()),
            arn: config_items::arn(item),
            id: item.get("resourceId").and_then(Node::string),
            created: item.get("resourceCreationTime").and_then(Node::string),
            tags: tags(item),
            line: Some(item.line),
        };
        let cfg = &*configuration;
        match resource_type {
            CONFIG_USER => iam.users.push(user_from(cfg, &around, file, diags)),
            CONFIG_ROLE => iam.roles.push(role_from(cfg, &around, file, diags)),
            CONFIG_GROUP => iam.groups.push(group_from(cfg, &around, file, diags)),
            CONFIG_POLICY => iam.policies.push(managed_policy_from(cfg, &around, file, diags)),
            _ => iam.oidc_providers.push(read_oidc_provider(cfg, file, around.arn.clone(), item.line)),
        }
    }
    consumed
}
