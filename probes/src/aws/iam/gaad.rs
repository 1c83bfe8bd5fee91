//! `aws iam get-account-authorization-details` output (GAAD) and single `get-role` / `get-user`
//! outputs.

use super::fields::{fld, opt, src};
use super::policy::policy_document;

use crate::inventory::aws::*;
use crate::inventory::{Diagnostic, Inventory};
use crate::yaml::Node;
use std::sync::Arc;

/// The top-level lists of a GAAD output.
pub(super) const GAAD_KEYS: [&str; 3] = ["UserDetailList", "GroupDetailList", "RoleDetailList"];

pub(super) fn is_gaad(node: &Node) -> bool {
    if !node.is_map() {
        return false;
    }
    if GAAD_KEYS.iter().any(|k| node.field(k).is_seq()) {
        return true;
    }
    // A GAAD filtered to `--filter LocalManagedPolicy` holds only `Policies`.
    let policies = node.field("Policies");
    policies.is_seq()
        && policies
            .items()
            .iter()
            .any(|p| p.get("PolicyVersionList").is_some() && p.get("PolicyName").is_some())
}

pub(super) fn read_gaad(node: &Node, file: &Arc<str>, inventory: &mut Inventory) {
    let diags = &mut inventory.diagnostics;
    let iam = &mut inventory.iam;
    for item in node.field("UserDetailList").items() {
        if item.is_map() {
            iam.users.push(read_user(item, file, diags));
        }
    }
    for item in node.field("GroupDetailList").items() {
        if item.is_map() {
            iam.groups.push(read_group(item, file, diags));
        }
    }
    for item in node.field("RoleDetailList").items() {
        if item.is_map() {
            iam.roles.push(read_role(item, file, diags));
        }
    }
    for item in node.field("Policies").items() {
        if item.is_map() {
            iam.policies.push(read_managed_policy(item, file, diags));
        }
    }
}

/// What the item around a configuration says of its resource: used where the configuration
/// lacks a field (an AWS Config item also carries `resourceName`, `arn`, `resourceId`,
/// `resourceCreationTime`, `tags`), and the item's line as the evidence line. Empty for IAM API
/// output.
#[derive(Default)]
pub(super) struct Around {
    pub(super) name: Option<String>,
    pub(super) arn: Option<String>,
    pub(super) id: Option<String>,
    pub(super) created: Option<String>,
    pub(super) tags: Vec<(String, String)>,
    pub(super) line: Option<u32>,
}

impl Around {
    pub(super) fn line(&self, node: &Node) -> u32 {
        self.line.unwrap_or(node.line)
    }
}

pub(super) fn required(
    node: &Node,
    key: &str,
    fallback: Option<&String>,
    at: u32,
    file: &Arc<str>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> String {
    match opt(node, key).filter(|s| !s.is_empty()).or_else(|| fallback.cloned()) {
        Some(s) => s,
        None => {
            diags.push(Diagnostic { source: src(file, at), reason: format!("{what} without `{key}`") });
            String::new()
        }
    }
}

pub(super) fn attached(node: &Node) -> Vec<AttachedPolicy> {
    fld(node, "AttachedManagedPolicies")
        .items()
        .iter()
        .filter_map(|p| {
            let arn = opt(p, "PolicyArn")?;
            let name = opt(p, "PolicyName").unwrap_or_else(|| arn.rsplit('/').next().unwrap_or("").into());
            Some(AttachedPolicy { name, arn })
        })
        .collect()
}

pub(super) fn inline(
    node: &Node,
    key: &str,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<InlinePolicy> {
    fld(node, key)
        .items()
        .iter()
        .filter(|p| p.is_map())
        .map(|p| InlinePolicy {
            name: opt(p, "PolicyName").unwrap_or_default(),
            document: policy_document(fld(p, "PolicyDocument"), file, diags),
            source: src(file, p.line),
        })
        .collect()
}

/// `Tags` as a mapping, or as a list of `Key`/`Value` (`key`/`value` in AWS Config) entries.
pub(super) fn tags(node: &Node) -> Vec<(String, String)> {
    let tags = fld(node, "Tags");
    if tags.is_map() {
        return tags.string_map();
    }
    tags.items().iter().filter_map(|t| Some((opt(t, "Key")?, opt(t, "Value").unwrap_or_default()))).collect()
}

/// The configuration's tags, then the item's tags for keys the configuration lacks.
pub(super) fn merged_tags(node: &Node, around: &Around) -> Vec<(String, String)> {
    let mut all = tags(node);
    for (k, v) in &around.tags {
        if !all.iter().any(|(have, _)| have == k) {
            all.push((k.clone(), v.clone()));
        }
    }
    all
}

pub(super) fn boundary(node: &Node) -> Option<String> {
    opt(fld(node, "PermissionsBoundary"), "PermissionsBoundaryArn")
}

pub(super) fn read_user(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamUser {
    user_from(node, &Around::default(), file, diags)
}

pub(super) fn user_from(
    node: &Node,
    around: &Around,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> IamUser {
    let line = around.line(node);
    IamUser {
        name: required(node, "UserName", around.name.as_ref(), line, file, "IAM user", diags),
        arn: required(node, "Arn", around.arn.as_ref(), line, file, "IAM user", diags),
        id: opt(node, "UserId").or_else(|| around.id.clone()),
        path: opt(node, "Path"),
        create_date: opt(node, "CreateDate").or_else(|| around.created.clone()),
        groups: fld(node, "GroupList").strings(),
        attached_policies: attached(node),
        inline_policies: inline(node, "UserPolicyList", file, diags),
        permissions_boundary: boundary(node),
        tags: merged_tags(node, around),
        source: src(file, line),
    }
}

pub(super) fn read_group(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamGroup {
    group_from(node, &Around::default(), file, diags)
}

pub(super) fn group_from(
    node: &Node,
    around: &Around,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> IamGroup {
    let line = around.line(node);
    IamGroup {
        name: required(node, "GroupName", around.name.as_ref(), line, file, "IAM group", diags),
        arn: required(node, "Arn", around.arn.as_ref(), line, file, "IAM group", diags),
        id: opt(node, "GroupId").or_else(|| around.id.clone()),
        path: opt(node, "Path"),
        create_date: opt(node, "CreateDate").or_else(|| around.created.clone()),
        attached_policies: attached(node),
        inline_policies: inline(node, "GroupPolicyList", file, diags),
        source: src(file, line),
    }
}

pub(super) fn read_role(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamRole {
    role_from(node, &Around::default(), file, diags)
}

pub(super) fn role_from(
    node: &Node,
    around: &Around,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> IamRole {
    let line = around.line(node);
    IamRole {
        name: required(node, "RoleName", around.name.as_ref(), line, file, "IAM role", diags),
        arn: required(node, "Arn", around.arn.as_ref(), line, file, "IAM role", diags),
        id: opt(node, "RoleId").or_else(|| around.id.clone()),
        path: opt(node, "Path"),
        create_date: opt(node, "CreateDate").or_else(|| around.created.clone()),
        trust_policy: policy_document(fld(node, "AssumeRolePolicyDocument"), file, diags),
        attached_policies: attached(node),
        inline_policies: inline(node, "RolePolicyList", file, diags),
        instance_profiles: fld(node, "InstanceProfileList")
            .items()
            .iter()
            .filter_map(|p| {
                Some(InstanceProfile { name: opt(p, "InstanceProfileName")?, arn: opt(p, "Arn") })
            })
            .collect(),
        permissions_boundary: boundary(node),
        tags: merged_tags(node, around),
        last_used: opt(fld(node, "RoleLastUsed"), "LastUsedDate"),
        max_session_duration: fld(node, "MaxSessionDuration").as_i64(),
        source: src(file, line),
    }
}

pub(super) fn read_managed_policy(
    node: &Node,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> ManagedPolicy {
    managed_policy_from(node, &Around::default(), file, diags)
}

pub(super) fn managed_policy_from(
    node: &Node,
    around: &Around,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> ManagedPolicy {
    let line = around.line(node);
    ManagedPolicy {
        name: required(node, "PolicyName", around.name.as_ref(), line, file, "managed policy", diags),
        arn: required(node, "Arn", around.arn.as_ref(), line, file, "managed policy", diags),
        id: opt(node, "PolicyId").or_else(|| around.id.clone()),
        path: opt(node, "Path"),
        default_version_id: opt(node, "DefaultVersionId"),
        attachment_count: fld(node, "AttachmentCount").as_i64(),
        permissions_boundary_usage_count: fld(node, "PermissionsBoundaryUsageCount").as_i64(),
        is_attachable: fld(node, "IsAttachable").as_bool(),
        versions: fld(node, "PolicyVersionList")
            .items()
            .iter()
            .filter(|v| v.is_map())
            .map(|v| PolicyVersion {
                version_id: opt(v, "VersionId"),
                is_default: fld(v, "IsDefaultVersion").as_bool().unwrap_or(false),
                create_date: opt(v, "CreateDate"),
                document: policy_document(fld(v, "Document"), file, diags),
            })
            .collect(),
        source: src(file, line),
    }
}
