//! AWS IAM read from files. Accepted shapes:
//! - `aws iam get-account-authorization-details` output (GAAD): `UserDetailList`,
//!   `GroupDetailList`, `RoleDetailList` and `Policies`, the format cloudsplaining and PMapper
//!   read; single `aws iam get-role` / `get-user` outputs;
//! - AWS Config configuration items of `AWS::IAM::User`, `AWS::IAM::Role`, `AWS::IAM::Group`,
//!   `AWS::IAM::Policy` (and `AWS::IAM::OIDCProvider`), in every envelope Config uses (STANDARDS.md
//!   8.3; unwrapped by the crate's shared `config_items` walk, which the ELBv2 reader uses too).
//!   Their `configuration` (an object, or a JSON string in the API shape) has the API's fields in
//!   camelCase (`roleName`, `assumeRolePolicyDocument`, `attachedManagedPolicies[].policyArn`,
//!   `policyVersionList[].document`…); keys are matched without regard to case, so one reader
//!   serves both. Each resource keeps the line of its item; of several items for a resource in
//!   one document the latest wins and a deleted resource is dropped;
//! - `aws iam list-access-keys` output (`AccessKeyMetadata`), whose entries may carry the
//!   `AccessKeyLastUsed` of `get-access-key-last-used` (`N/A` service: never used), and such a
//!   joined record on its own;
//! - `aws iam list-open-id-connect-providers` output (the ARNs; the issuer is the ARN's part
//!   after `oidc-provider/`) and `aws iam get-open-id-connect-provider` output (which has no ARN:
//!   an added `Arn` or `OpenIDConnectProviderArn` is read, else the ARN is left empty);
//! - `aws eks describe-pod-identity-association` (`association`) and
//!   `aws eks list-pod-identity-associations` (`associations`, which carry no role) output;
//! - the IAM credential report, read by [`read_credential_report`] (CSV text) and
//!   [`read_credential_report_json`] (the `aws iam get-credential-report` JSON wrapper); it is not
//!   offered to the file walker by [`read_document`].
//!
//! Policy documents arrive as JSON objects (the CLI decodes them), as URL-encoded JSON strings
//! (the raw API, `%7B%22Version%22…`, and Config items), as plain JSON strings, or as lists of
//! documents (Config); all are read into the same [`PolicyDocument`] by [`policy_document`]. A
//! document decoded from a string has no lines of its own, so all its parts carry the line of
//! the field that held it.
//!
//! A malformed entry gives a [`Diagnostic`] with its file and line and is skipped (or kept with
//! what could be read, as said at each reader); nothing here panics on input.

use std::sync::Arc;

use crate::aws::config_items;
pub use crate::inventory::aws::*;
use crate::inventory::{Diagnostic, Inventory, Source};
use crate::yaml::{self, Node, Value};
// Dispatch: GAAD, get-role / get-user, access keys, OIDC providers, Pod Identity associations
// ---------------------------------------------------------------------------------------------

const GAAD_KEYS: [&str; 3] = ["UserDetailList", "GroupDetailList", "RoleDetailList"];

/// Reads one document without a `kind` when it is IAM CLI output: GAAD, a single `get-role` /
/// `get-user` output, `list-access-keys` output (or one joined access-key record),
/// `get-open-id-connect-provider` / `list-open-id-connect-providers` output, or EKS
/// `describe-pod-identity-association` / `list-pod-identity-associations` output. Returns false,
/// adding nothing, for anything else (AWS Config items, which [`read_config_document`] reads,
/// Envoy configs, bare policy documents, credential-report wrappers…).
pub fn read_document(node: &Node, file: &Arc<str>, inventory: &mut Inventory) -> bool {
    if !node.is_map() {
        return false;
    }
    if is_gaad(node) {
        read_gaad(node, file, inventory);
        return true;
    }
    let single = |key: &str, name: &str| {
        let n = node.field(key);
        node.entries().len() == 1 && n.is_map() && n.get(name).is_some() && n.get("Arn").is_some()
    };
    let diags = &mut inventory.diagnostics;
    let iam = &mut inventory.iam;
    if single("Role", "RoleName") {
        iam.roles.push(read_role(node.field("Role"), file, diags));
        return true;
    }
    if single("User", "UserName") {
        iam.users.push(read_user(node.field("User"), file, diags));
        return true;
    }
    if let Some(list) = node.get("AccessKeyMetadata").filter(|l| l.is_seq()) {
        iam.access_keys.extend(list.items().iter().filter_map(|k| read_access_key(k, file, diags)));
        return true;
    }
    if is_access_key_record(node) {
        iam.access_keys.extend(read_access_key(node, file, diags));
        return true;
    }
    if let Some(list) = node.get("OpenIDConnectProviderList").filter(|l| l.is_seq()) {
        iam.oidc_providers.extend(list.items().iter().filter_map(|p| read_listed_provider(p, file, diags)));
        return true;
    }
    if is_oidc_provider_output(node) {
        iam.oidc_providers.push(read_oidc_provider(node, file, None, node.line));
        return true;
    }
    if let Some(association) = node.get("association").filter(|a| is_pod_identity_association(a)) {
        iam.pod_identity_associations.extend(read_pod_identity(association, file, diags));
        return true;
    }
    if let Some(list) = node.get("associations").filter(|l| l.items().iter().any(is_pod_identity_association))
    {
        iam.pod_identity_associations
            .extend(list.items().iter().filter_map(|a| read_pod_identity(a, file, diags)));
        return true;
    }
    false
}

/// Parses a text (as the file walker would) and reads its IAM documents, CLI output and AWS
/// Config items alike; for tests and tools that want IAM only. Syntax errors become diagnostics.
pub fn read_iam_text(file: &str, text: &str) -> (IamInventory, Vec<Diagnostic>) {
    let file: Arc<str> = file.into();
    let mut inventory = Inventory::default();
    for doc in yaml::parse_documents(text) {
        match doc {
            Ok(node) => {
                let _ = read_document(&node, &file, &mut inventory)
                    || read_config_document(&node, &file, &mut inventory);
            }
            Err(e) => inventory.diagnostics.push(Diagnostic {
                source: Source { file: Arc::clone(&file), line: e.line },
                reason: format!("not valid YAML/JSON: {}", e.reason),
            }),
        }
    }
    (inventory.iam, inventory.diagnostics)
}

/// Like [`read_iam_text`], keeping only the IAM items.
pub fn read_gaad_text(file: &str, text: &str) -> IamInventory {
    read_iam_text(file, text).0
}

fn is_gaad(node: &Node) -> bool {
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

fn read_gaad(node: &Node, file: &Arc<str>, inventory: &mut Inventory) {
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

fn src(file: &Arc<str>, line: u32) -> Source {
    Source { file: Arc::clone(file), line }
}

/// The child at `key`, or else the one whose key differs only in ASCII case: the IAM API writes
/// `RoleName`, `AttachedManagedPolicies`, `PolicyArn`; AWS Config writes `roleName`,
/// `attachedManagedPolicies`, `policyArn` (and `ClientIdList` for `ClientIDList`).
fn fld<'a>(node: &'a Node, key: &str) -> &'a Node {
    node.get(key)
        .or_else(|| node.entries().iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
        .unwrap_or_else(|| node.field(key))
}

fn opt(node: &Node, key: &str) -> Option<String> {
    fld(node, key).string()
}

/// What the item around a configuration says of its resource: used where the configuration
/// lacks a field (an AWS Config item also carries `resourceName`, `arn`, `resourceId`,
/// `resourceCreationTime`, `tags`), and the item's line as the evidence line. Empty for IAM API
/// output.
#[derive(Default)]
struct Around {
    name: Option<String>,
    arn: Option<String>,
    id: Option<String>,
    created: Option<String>,
    tags: Vec<(String, String)>,
    line: Option<u32>,
}

impl Around {
    fn line(&self, node: &Node) -> u32 {
        self.line.unwrap_or(node.line)
    }
}

fn required(
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

fn attached(node: &Node) -> Vec<AttachedPolicy> {
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

fn inline(node: &Node, key: &str, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> Vec<InlinePolicy> {
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
fn tags(node: &Node) -> Vec<(String, String)> {
    let tags = fld(node, "Tags");
    if tags.is_map() {
        return tags.string_map();
    }
    tags.items().iter().filter_map(|t| Some((opt(t, "Key")?, opt(t, "Value").unwrap_or_default()))).collect()
}

/// The configuration's tags, then the item's tags for keys the configuration lacks.
fn merged_tags(node: &Node, around: &Around) -> Vec<(String, String)> {
    let mut all = tags(node);
    for (k, v) in &around.tags {
        if !all.iter().any(|(have, _)| have == k) {
            all.push((k.clone(), v.clone()));
        }
    }
    all
}

fn boundary(node: &Node) -> Option<String> {
    opt(fld(node, "PermissionsBoundary"), "PermissionsBoundaryArn")
}

fn read_user(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamUser {
    user_from(node, &Around::default(), file, diags)
}

fn user_from(node: &Node, around: &Around, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamUser {
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

fn read_group(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamGroup {
    group_from(node, &Around::default(), file, diags)
}

fn group_from(node: &Node, around: &Around, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamGroup {
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

fn read_role(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamRole {
    role_from(node, &Around::default(), file, diags)
}

fn role_from(node: &Node, around: &Around, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamRole {
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

fn read_managed_policy(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> ManagedPolicy {
    managed_policy_from(node, &Around::default(), file, diags)
}

fn managed_policy_from(
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

// ---------------------------------------------------------------------------------------------
// AWS Config configuration items
// ---------------------------------------------------------------------------------------------

const CONFIG_USER: &str = "AWS::IAM::User";
const CONFIG_ROLE: &str = "AWS::IAM::Role";
const CONFIG_GROUP: &str = "AWS::IAM::Group";
const CONFIG_POLICY: &str = "AWS::IAM::Policy";
const CONFIG_OIDC_PROVIDER: &str = "AWS::IAM::OIDCProvider";
const CONFIG_TYPES: [&str; 5] = [CONFIG_USER, CONFIG_ROLE, CONFIG_GROUP, CONFIG_POLICY, CONFIG_OIDC_PROVIDER];

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

// ---------------------------------------------------------------------------------------------
// Access keys, OIDC providers, EKS Pod Identity associations
// ---------------------------------------------------------------------------------------------

/// One joined access-key record at the top of a document (`UserName`, `AccessKeyId` and a
/// `Status` or an `AccessKeyLastUsed`).
fn is_access_key_record(node: &Node) -> bool {
    node.get("AccessKeyId").is_some()
        && node.get("UserName").is_some()
        && (node.get("Status").is_some() || node.get("AccessKeyLastUsed").is_some())
}

/// A value that says "nothing": missing, empty, or `N/A` (how `GetAccessKeyLastUsed` marks a
/// key that was never used).
fn known(node: &Node) -> Option<String> {
    node.string().filter(|s| !s.is_empty() && s != "N/A")
}

/// One `AccessKeyMetadata` entry (or joined record). The secret access key is never read.
fn read_access_key(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> Option<AccessKey> {
    let mut fail = |reason: String| {
        diags.push(Diagnostic { source: src(file, node.line), reason });
        None
    };
    if !node.is_map() {
        return fail("access key entry is not an object; skipped".to_owned());
    }
    let (Some(id), Some(user)) = (known(node.field("AccessKeyId")), known(node.field("UserName"))) else {
        return fail("access key entry without `AccessKeyId` or `UserName`; skipped".to_owned());
    };
    let status = node.field("Status").string();
    let active = match status.as_deref() {
        Some("Active") => true,
        Some("Inactive") => false,
        // Treated as usable: an audit should not hide a key whose state it cannot read.
        // The value is not quoted: a diagnostic never echoes the input.
        other => {
            let what = if other.is_some() { "an unknown `Status`" } else { "no `Status`" };
            fail(format!("access key {id} has {what}, expecting `Active` or `Inactive`; treated as active"));
            true
        }
    };
    let used = node.field("AccessKeyLastUsed");
    if !(used.is_null() || used.is_map()) {
        fail(format!("access key {id}: `AccessKeyLastUsed` is not an object; last use unknown"));
    }
    Some(AccessKey {
        user,
        id,
        active,
        create_date: known(node.field("CreateDate")),
        last_used_date: known(used.field("LastUsedDate")),
        last_used_service: known(used.field("ServiceName")),
        source: src(file, node.line),
    })
}

/// `get-open-id-connect-provider` output: a `ClientIDList` or `ThumbprintList`, with a `Url` or
/// an added OIDC provider ARN.
fn is_oidc_provider_output(node: &Node) -> bool {
    let named = node.get("Url").is_some_and(|u| u.as_str().is_some())
        || ["Arn", "OpenIDConnectProviderArn"]
            .iter()
            .any(|k| node.get(k).and_then(Node::as_str).is_some_and(|a| a.contains(":oidc-provider/")));
    named && ["ClientIDList", "ThumbprintList"].iter().any(|k| node.field(k).is_seq())
}

/// The issuer (host and path) an OIDC provider ARN names: the part after `oidc-provider/`.
fn issuer_of_provider_arn(arn: &str) -> Option<String> {
    let (_, url) = arn.split_once(":oidc-provider/")?;
    (!url.is_empty()).then(|| url.to_owned())
}

/// A provider object: `get-open-id-connect-provider` output (with an added `Arn` or
/// `OpenIDConnectProviderArn` when the writer knew it) or the configuration of an
/// `AWS::IAM::OIDCProvider` item. Without any ARN the provider is kept with an empty `arn`.
fn read_oidc_provider(node: &Node, file: &Arc<str>, arn: Option<String>, line: u32) -> OidcProvider {
    let arn = ["Arn", "OpenIDConnectProviderArn"]
        .iter()
        .find_map(|k| known(fld(node, k)))
        .or(arn)
        .unwrap_or_default();
    let url = known(fld(node, "Url"))
        .map(|u| {
            crate::urls::strip_userinfo(u.trim_start_matches("https://")).trim_end_matches('/').to_owned()
        })
        .or_else(|| issuer_of_provider_arn(&arn));
    OidcProvider {
        arn,
        url,
        client_ids: fld(node, "ClientIDList").strings(),
        thumbprints: fld(node, "ThumbprintList").strings(),
        source: src(file, line),
    }
}

/// One `OpenIDConnectProviderList` entry: the ARN, and the issuer it names.
fn read_listed_provider(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> Option<OidcProvider> {
    let arn = known(node.field("Arn"));
    match arn.as_deref().and_then(issuer_of_provider_arn) {
        Some(url) => Some(OidcProvider {
            arn: arn.unwrap_or_default(),
            url: Some(url),
            client_ids: Vec::new(),
            thumbprints: Vec::new(),
            source: src(file, node.line),
        }),
        None => {
            diags.push(Diagnostic {
                source: src(file, node.line),
                reason: if arn.is_some() {
                    "OpenIDConnectProviderList entry whose `Arn` is not an OIDC provider ARN \
                     (arn:aws:iam::ACCOUNT:oidc-provider/ISSUER); skipped"
                        .to_owned()
                } else {
                    "OpenIDConnectProviderList entry without an `Arn`; skipped".to_owned()
                },
            });
            None
        }
    }
}

/// An object that looks like an EKS Pod Identity association (of `describe`, `create`,
/// `list`…): it names a service account or has an association ARN.
fn is_pod_identity_association(node: &Node) -> bool {
    node.is_map() && (node.get("serviceAccount").is_some() || node.get("associationArn").is_some())
}

fn read_pod_identity(
    node: &Node,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> Option<PodIdentityAssociation> {
    let get = |k: &str| node.get(k).and_then(Node::string).filter(|s| !s.is_empty());
    let (cluster, namespace, service_account) = (get("clusterName"), get("namespace"), get("serviceAccount"));
    let (Some(cluster), Some(namespace), Some(service_account)) = (cluster, namespace, service_account)
    else {
        let missing: Vec<&str> =
            ["clusterName", "namespace", "serviceAccount"].into_iter().filter(|k| get(k).is_none()).collect();
        diags.push(Diagnostic {
            source: src(file, node.line),
            reason: if node.is_map() {
                format!("EKS Pod Identity association without `{}`; skipped", missing.join("`, `"))
            } else {
                "EKS Pod Identity association entry is not an object; skipped".to_owned()
            },
        });
        return None;
    };
    Some(PodIdentityAssociation {
        cluster,
        namespace,
        service_account,
        role_arn: get("roleArn"),
        association_arn: get("associationArn"),
        source: src(file, node.line),
    })
}

// ---------------------------------------------------------------------------------------------
// Policy documents
// ---------------------------------------------------------------------------------------------

/// Reads a policy document held by `node`:
/// - a mapping;
/// - a string holding JSON, plain or URL-encoded (RFC 3986 `%XX`; when that reading gives no
///   policy and the text has `+`, the form encoding with `+` for a space is tried);
/// - a list of documents (AWS Config writes a user's `policyDocument` and a policy version's
///   `document` as a list), or a string holding one: all of them are read, as one document
///   whose statements are theirs in order (IAM evaluates the union of statements, so this grants
///   what the documents grant together). `Version` and `Id` are the first document's.
///
/// `None` for a missing field or an empty list; `None` with a diagnostic for one that cannot be
/// read (in a list, the readable documents are kept and each unreadable one is reported).
pub fn policy_document(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> Option<PolicyDocument> {
    let fail = |diags: &mut Vec<Diagnostic>, why: &str| {
        diags.push(Diagnostic {
            source: src(file, node.line),
            reason: format!("IAM policy document string could not be read: {why}"),
        });
        None
    };
    match &node.value {
        Value::Null => None,
        Value::Map(_) => Some(document_from_map(node, file, false, None)),
        Value::Seq(items) => {
            let docs = items.iter().filter_map(|d| policy_document(d, file, diags)).collect();
            merge_documents(docs, file, node.line)
        }
        Value::Str(text) => {
            let inner = match decode_document_text(text) {
                Ok(inner) => inner,
                Err(why) => return fail(diags, &why),
            };
            match &inner.value {
                Value::Map(_) => Some(document_from_map(&inner, file, true, Some(node.line))),
                Value::Seq(items) if items.iter().all(Node::is_map) => {
                    let docs =
                        items.iter().map(|d| document_from_map(d, file, true, Some(node.line))).collect();
                    merge_documents(docs, file, node.line)
                }
                _ => fail(diags, "not a JSON object"),
            }
        }
        _ => {
            diags.push(Diagnostic {
                source: src(file, node.line),
                reason: "IAM policy document is neither an object, a list nor a string".to_owned(),
            });
            None
        }
    }
}

/// The JSON a policy-document string holds, plain or URL-encoded.
fn decode_document_text(text: &str) -> Result<Node, String> {
    let parse = |json: &str| match yaml::parse_documents(json).into_iter().next() {
        Some(Ok(node)) => Ok(node),
        Some(Err(e)) => Err(format!("not valid JSON: {}", e.reason)),
        None => Err("not a JSON object".to_owned()),
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return parse(text);
    }
    let rfc = percent_decode(text).ok_or_else(|| "bad URL encoding".to_owned()).and_then(|d| parse(&d));
    // A policy has a `Statement` (or is a list of documents); a form-encoded text read the
    // RFC 3986 way keeps its `+`, which breaks the JSON or glues onto the keys.
    let is_policy = |n: &Node| n.is_seq() || n.get("Statement").is_some();
    if rfc.as_ref().is_ok_and(is_policy) || !text.contains('+') {
        return rfc;
    }
    match percent_decode(&text.replace('+', "%20")).map(|d| parse(&d)) {
        Some(Ok(form)) if is_policy(&form) => Ok(form),
        _ => rfc,
    }
}

/// One document made of several: their statements in order, `Version` and `Id` of the first,
/// `encoded` when any was; the line of the field that held the list (or of the only document).
fn merge_documents(docs: Vec<PolicyDocument>, file: &Arc<str>, line: u32) -> Option<PolicyDocument> {
    if docs.len() <= 1 {
        return docs.into_iter().next();
    }
    let mut docs = docs.into_iter();
    let mut merged = docs.next()?;
    merged.source = src(file, line);
    for doc in docs {
        merged.encoded |= doc.encoded;
        merged.statements.extend(doc.statements);
    }
    Some(merged)
}

/// Decodes `%XX` escapes (RFC 3986; `+` is kept). `None` on a bad escape or non-UTF-8 result.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn document_from_map(node: &Node, file: &Arc<str>, encoded: bool, line: Option<u32>) -> PolicyDocument {
    let at = |n: &Node| line.unwrap_or(n.line);
    let statement = node.field("Statement");
    let statements = if statement.is_map() { std::slice::from_ref(statement) } else { statement.items() };
    PolicyDocument {
        version: opt(node, "Version"),
        id: opt(node, "Id"),
        statements: statements.iter().filter(|s| s.is_map()).map(|s| read_statement(s, at(s))).collect(),
        encoded,
        source: src(file, at(node)),
    }
}

/// A string or a list of strings.
fn one_or_many(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Seq(_) => node.strings(),
        Value::Null => Vec::new(),
        _ => node.string().into_iter().collect(),
    }
}

fn read_statement(node: &Node, line: u32) -> Statement {
    let effect = match node.field("Effect").string() {
        Some(e) if e == "Allow" => Effect::Allow,
        Some(e) if e == "Deny" => Effect::Deny,
        other => Effect::Other(other.unwrap_or_default()),
    };
    let (principal, not_principal) = match node.get("NotPrincipal") {
        Some(p) => (p, true),
        None => (node.field("Principal"), false),
    };
    let principals = match &principal.value {
        Value::Map(entries) => entries
            .iter()
            .flat_map(|(kind, v)| one_or_many(v).into_iter().map(move |v| (kind.clone(), v)))
            .collect(),
        _ => principal.string().map(|p| vec![(p.clone(), p)]).unwrap_or_default(),
    };
    let conditions = node
        .field("Condition")
        .entries()
        .iter()
        .flat_map(|(operator, keys)| {
            keys.entries().iter().map(move |(key, values)| Condition {
                operator: operator.clone(),
                key: key.clone(),
                values: one_or_many(values),
            })
        })
        .collect();
    Statement {
        sid: opt(node, "Sid"),
        effect,
        actions: one_or_many(node.field("Action")),
        not_actions: one_or_many(node.field("NotAction")),
        resources: one_or_many(node.field("Resource")),
        not_resources: one_or_many(node.field("NotResource")),
        principals,
        not_principal,
        conditions,
        line,
    }
}

// ---------------------------------------------------------------------------------------------
// Credential report
// ---------------------------------------------------------------------------------------------

/// True when a file looks like a credential report: named `credential_report.csv` or starting
/// with the report's header.
pub fn is_credential_report(file: &str, text: &str) -> bool {
    file.rsplit(['/', '\\']).next() == Some("credential_report.csv")
        || text.trim_start_matches('\u{feff}').starts_with("user,arn,user_creation_time")
}

/// Reads a credential report (CSV text, header first). Columns are found by name, so older and
/// newer reports with more or fewer columns are read alike. Rows with a different number of cells
/// than the header are reported and skipped; a text without `user` and `arn` columns gives one
/// diagnostic and no rows (check [`is_credential_report`] first when guessing).
pub fn read_credential_report(file: &str, text: &str) -> (Vec<CredentialReportRow>, Vec<Diagnostic>) {
    read_report_lines(&Arc::from(file), text, None)
}

/// Reads the JSON that `aws iam get-credential-report` prints (`Content`, `ReportFormat`), the
/// content being either the CSV text or its base64 encoding. `None` when the document is not such
/// a wrapper.
pub fn read_credential_report_json(
    node: &Node,
    file: &Arc<str>,
) -> Option<(Vec<CredentialReportRow>, Vec<Diagnostic>)> {
    let content = node.field("Content");
    let text = content.string()?;
    let format = node.field("ReportFormat").string();
    if format.as_deref().is_some_and(|f| f != "text/csv") {
        return None;
    }
    let csv = if is_credential_report("", &text) {
        text
    } else {
        let decoded = base64_decode(&text).and_then(|b| String::from_utf8(b).ok())?;
        if !is_credential_report("", &decoded) {
            return None;
        }
        decoded
    };
    Some(read_report_lines(file, &csv, Some(content.line)))
}

fn read_report_lines(
    file: &Arc<str>,
    text: &str,
    fixed_line: Option<u32>,
) -> (Vec<CredentialReportRow>, Vec<Diagnostic>) {
    let mut rows = Vec::new();
    let mut diags = Vec::new();
    let mut lines =
        text.trim_start_matches('\u{feff}').lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let line_of = |i: usize| fixed_line.unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX));
    let Some((header_index, header)) = lines.next() else { return (rows, diags) };
    let header: Vec<String> = split_csv(header).into_iter().map(|h| h.trim().to_owned()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(user_col), Some(arn_col)) = (col("user"), col("arn")) else {
        diags.push(Diagnostic {
            source: src(file, line_of(header_index)),
            reason: "credential report without `user` and `arn` columns".to_owned(),
        });
        return (rows, diags);
    };
    for (i, line) in lines {
        let cells = split_csv(line);
        if cells.len() != header.len() {
            diags.push(Diagnostic {
                source: src(file, line_of(i)),
                reason: format!(
                    "credential report row has {} cells, the header {}; skipped",
                    cells.len(),
                    header.len()
                ),
            });
            continue;
        }
        let cell = |name: &str| -> Option<String> {
            let v = cells.get(col(name)?)?.trim();
            (!v.is_empty() && v != "N/A").then(|| v.to_owned())
        };
        let flag = |name: &str| cell(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let key = |n: u8| AccessKeyReport {
            active: flag(&format!("access_key_{n}_active")),
            last_rotated: cell(&format!("access_key_{n}_last_rotated")),
            last_used_date: cell(&format!("access_key_{n}_last_used_date")),
            last_used_region: cell(&format!("access_key_{n}_last_used_region")),
            last_used_service: cell(&format!("access_key_{n}_last_used_service")),
        };
        rows.push(CredentialReportRow {
            user: cells[user_col].trim().to_owned(),
            arn: cells[arn_col].trim().to_owned(),
            user_creation_time: cell("user_creation_time"),
            password_enabled: cell("password_enabled"),
            password_last_used: cell("password_last_used"),
            mfa_active: flag("mfa_active"),
            access_keys: [key(1), key(2)],
            certs_active: [flag("cert_1_active"), flag("cert_2_active")],
            source: src(file, line_of(i)),
        });
    }
    (rows, diags)
}

/// Splits one CSV line, honouring double quotes (`""` inside quotes is a quote).
fn split_csv(line: &str) -> Vec<String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// Standard base64 (padding optional, whitespace ignored), by the `base64` crate. `None` on a
/// bad character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    // Padding optional (some tools drop it); the text may be wrapped over lines.
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D").as_deref(), Some("{\"a\":1}"));
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%7"), None);
        assert_eq!(percent_decode("%zz"), None);
    }

    #[test]
    fn base64_round() {
        assert_eq!(base64_decode("dXNlcixhcm4=").as_deref(), Some(&b"user,arn"[..]));
        assert_eq!(base64_decode("!"), None);
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(split_csv(r#"a,"b,c","d""e",,"#), vec!["a", "b,c", "d\"e", "", ""]);
    }

    #[test]
    fn not_iam_documents_are_left_alone() {
        for text in [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            r#"{"static_resources":{"listeners":[]}}"#,
            r#"{"configurationItemVersion":"1.3","resourceType":"AWS::IAM::Role","configuration":{}}"#,
            r#"{"Content":"user,arn,user_creation_time\n","ReportFormat":"text/csv"}"#,
            r#"{"Policies":[{"PolicyName":"x"}]}"#,
        ] {
            let (iam, diags) = read_iam_text("x.json", text);
            assert!(iam.is_empty() && diags.is_empty(), "{text}");
        }
    }

    #[test]
    fn encoded_trust_policy_with_irsa_conditions() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:pay:api","oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":["sts.amazonaws.com"]}}}}"#;
        let encoded: String = doc
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let text = format!(
            "{{\"RoleDetailList\": [\n  {{\"RoleName\": \"irsa\", \"Arn\": \"arn:aws:iam::111122223333:role/irsa\",\n   \"AssumeRolePolicyDocument\": \"{encoded}\"}}]}}"
        );
        let (iam, diags) = read_iam_text("gaad.json", &text);
        assert!(diags.is_empty(), "{diags:?}");
        let trust = iam.roles[0].trust_policy.as_ref().expect("decoded");
        assert!(trust.encoded);
        assert_eq!(trust.source.line, 3);
        let s = &trust.statements[0];
        assert_eq!((s.effect.clone(), s.line), (Effect::Allow, 3));
        assert_eq!(s.actions, ["sts:AssumeRoleWithWebIdentity"]);
        assert_eq!(s.principals[0].0, "Federated");
        assert_eq!(s.conditions.len(), 2);
        assert_eq!(s.conditions[0].values, ["system:serviceaccount:pay:api"]);
        assert_eq!(s.conditions[1].values, ["sts.amazonaws.com"]);
    }

    #[test]
    fn broken_encoded_document_is_a_diagnostic() {
        let text =
            r#"{"RoleDetailList":[{"RoleName":"r","Arn":"a","AssumeRolePolicyDocument":"%7B%22Vers"}]}"#;
        let (iam, diags) = read_iam_text("g.json", text);
        assert_eq!(iam.roles.len(), 1);
        assert!(iam.roles[0].trust_policy.is_none());
        assert_eq!(diags.len(), 1, "{diags:?}");
    }

    #[test]
    fn credential_report_rows_and_bad_rows() {
        let text = "user,arn,user_creation_time,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date\n\
                    bob,arn:aws:iam::1:user/bob,2020-01-01T00:00:00+00:00,false,true,2020-01-02T00:00:00+00:00,N/A\n\
                    broken,row\n";
        let (rows, diags) = read_credential_report("credential_report.csv", text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].source.line, 2);
        assert!(rows[0].access_keys[0].active);
        assert_eq!(rows[0].access_keys[0].last_used_date, None);
        assert!(!rows[0].access_keys[1].active, "column absent");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].source.line, 3);
    }

    // -----------------------------------------------------------------------------------------
    // AWS Config items, access keys, OIDC providers, Pod Identity associations
    // -----------------------------------------------------------------------------------------

    /// RFC 3986 encoding, as the IAM API writes policy documents.
    fn url_encode(text: &str) -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    /// A JSON string literal holding `text`.
    fn json_string(text: &str) -> String {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }

    const IRSA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:pay:api"}}}]}"#;

    #[test]
    fn config_role_api_shape_with_url_encoded_trust_policy_in_a_string_configuration() {
        let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;
        let configuration = format!(
            r#"{{"path":"/","roleName":"pay-api","roleId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/pay-api","createDate":"2024-01-02T03:04:05Z","assumeRolePolicyDocument":"{}","instanceProfileList":[{{"instanceProfileName":"pay-api","arn":"arn:aws:iam::111122223333:instance-profile/pay-api"}}],"rolePolicyList":[{{"policyName":"bucket","policyDocument":"{}"}}],"attachedManagedPolicies":[{{"policyName":"ReadOnlyAccess","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}],"permissionsBoundary":{{"permissionsBoundaryType":"Policy","permissionsBoundaryArn":"arn:aws:iam::111122223333:policy/boundary"}},"roleLastUsed":{{"lastUsedDate":"2024-05-01T00:00:00Z","region":"eu-west-1"}},"maxSessionDuration":3600,"tags":[{{"key":"team","value":"pay"}}]}}"#,
            url_encode(IRSA_TRUST),
            url_encode(inline)
        );
        let text = format!(
            "{{\"version\": \"1.3\", \"accountId\": \"111122223333\",\n \"configurationItemStatus\": \"OK\", \"resourceType\": \"AWS::IAM::Role\",\n \"arn\": \"arn:aws:iam::111122223333:role/pay-api\", \"resourceId\": \"AROAEXAMPLE\", \"resourceName\": \"pay-api\",\n \"tags\": {{\"team\": \"other\", \"env\": \"prod\"}},\n \"configuration\": {}}}",
            json_string(&configuration)
        );
        // Through the file walker (the shared Config reader) and through the IAM-only entry.
        let walked = crate::files::read_text("role.json", &text);
        assert!(walked.diagnostics.is_empty(), "{:?}", walked.diagnostics);
        assert_eq!(walked.objects_read, 1);
        let (iam, diags) = read_iam_text("role.json", &text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(iam, walked.iam);

        assert_eq!(iam.roles.len(), 1);
        let r = &iam.roles[0];
        assert_eq!((r.name.as_str(), r.arn.as_str()), ("pay-api", "arn:aws:iam::111122223333:role/pay-api"));
        assert_eq!((r.id.as_deref(), r.path.as_deref()), (Some("AROAEXAMPLE"), Some("/")));
        assert_eq!(r.create_date.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(r.source.line, 1, "the line of the configuration item");
        assert_eq!(&*r.source.file, "role.json");

        let trust = r.trust_policy.as_ref().expect("decoded trust policy");
        assert!(trust.encoded);
        assert_eq!(trust.source.line, 5, "the line of the `configuration` string");
        let s = &trust.statements[0];
        assert_eq!(s.principals[0].0, "Federated");
        assert!(s.principals[0].1.ends_with(":oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"));
        assert_eq!(s.actions, ["sts:AssumeRoleWithWebIdentity"]);
        assert_eq!(s.conditions[0].key, "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub");
        assert_eq!(s.conditions[0].values, ["system:serviceaccount:pay:api"]);

        assert_eq!(r.inline_policies.len(), 1);
        let p = &r.inline_policies[0];
        assert_eq!(p.name, "bucket");
        let effects: Vec<_> =
            p.document.as_ref().expect("inline").statements.iter().map(|s| &s.effect).collect();
        assert_eq!(effects, [&Effect::Allow, &Effect::Deny]);
        assert_eq!(
            r.attached_policies,
            [AttachedPolicy {
                name: "ReadOnlyAccess".into(),
                arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into()
            }]
        );
        assert_eq!(r.instance_profiles[0].name, "pay-api");
        assert_eq!(r.permissions_boundary.as_deref(), Some("arn:aws:iam::111122223333:policy/boundary"));
        assert_eq!(r.last_used.as_deref(), Some("2024-05-01T00:00:00Z"));
        assert_eq!(r.max_session_duration, Some(3600));
        let tags: Vec<(&str, &str)> = r.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(tags, [("team", "pay"), ("env", "prod")], "configuration tags first, then the item's");
    }

    #[test]
    fn config_user_policy_document_list_is_read_whole() {
        let encoded = url_encode(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster","eks:ListClusters"],"Resource":"*"},{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#,
        );
        let text = format!(
            r#"{{"fileVersion": "1.0", "configurationItems": [
 {{"configurationItemVersion": "1.3", "awsAccountId": "111122223333", "ARN": "arn:aws:iam::111122223333:user/ci",
  "resourceType": "AWS::IAM::User", "resourceName": "ci", "configurationItemStatus": "OK",
  "configuration": {{"userName": "ci", "userId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/ci",
    "groupList": ["deployers"],
    "userPolicyList": [{{"policyName": "deploy", "policyDocument": [
      {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}}]}},
      "{encoded}"
    ]}}],
    "attachedManagedPolicies": [{{"policyName": "ELB-policy", "policyArn": "arn:aws:iam::111122223333:policy/ELB-policy"}}]}}}}
]}}"#
        );
        let (iam, diags) = read_iam_text("users.json", &text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(iam.users.len(), 1);
        let u = &iam.users[0];
        assert_eq!((u.name.as_str(), u.id.as_deref(), u.source.line), ("ci", Some("AIDAEXAMPLE"), 2));
        assert_eq!(u.groups, ["deployers"]);
        assert_eq!(u.attached_policies[0].arn, "arn:aws:iam::111122223333:policy/ELB-policy");
        let doc = u.inline_policies[0].document.as_ref().expect("documents");
        assert_eq!(doc.statements.len(), 3, "both documents of the list");
        assert_eq!(doc.source.line, 6, "the line of the list");
        assert!(doc.encoded, "one of them was encoded");
        let lines: Vec<u32> = doc.statements.iter().map(|s| s.line).collect();
        assert_eq!(lines, [7, 8, 8]);
        assert_eq!(doc.statements[0].actions, ["ecr:*"]);
        assert_eq!(doc.statements[1].actions, ["eks:DescribeCluster", "eks:ListClusters"]);
    }

    #[test]
    fn config_group_and_policy_from_batch_and_select_results() {
        let v1 = url_encode(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        );
        let text = format!(
            r#"{{"baseConfigurationItems": [
  {{"arn": "arn:aws:iam::111122223333:policy/deploy", "resourceType": "AWS::IAM::Policy", "resourceId": "ANPAEXAMPLE",
    "configuration": {{"policyName": "deploy", "policyId": "ANPAEXAMPLE", "arn": "arn:aws:iam::111122223333:policy/deploy",
      "defaultVersionId": "v2", "attachmentCount": 3, "isAttachable": true,
      "policyVersionList": [
        {{"versionId": "v1", "isDefaultVersion": false, "document": "{v1}"}},
        {{"versionId": "v2", "isDefaultVersion": true, "document": [
          {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}}]}},
          {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}}]}}]}}]}}}}
], "unprocessedResourceKeys": []}}"#
        );
        let (iam, diags) = read_iam_text("batch.json", &text);
        assert!(diags.is_empty(), "{diags:?}");
        let p = &iam.policies[0];
        assert_eq!((p.name.as_str(), p.source.line), ("deploy", 2));
        assert!(!p.is_aws_managed());
        assert_eq!((p.attachment_count, p.is_attachable), (Some(3), Some(true)));
        assert_eq!(p.versions.len(), 2);
        assert_eq!(p.versions[0].document.as_ref().expect("v1").statements[0].actions, ["*"]);
        let default = p.default_document().expect("v2");
        let actions: Vec<_> = default.statements.iter().map(|s| s.actions[0].as_str()).collect();
        assert_eq!(actions, ["ecs:*", "logs:*"]);

        // SelectResourceConfig: each result a JSON string; other resource types are left alone.
        let group = r#"{"resourceType":"AWS::IAM::Group","arn":"arn:aws:iam::111122223333:group/admins","configuration":{"groupName":"admins","groupId":"AGPAEXAMPLE","groupPolicyList":[],"attachedManagedPolicies":[{"policyName":"AdministratorAccess","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}]}}"#;
        let bucket = r#"{"resourceType":"AWS::S3::Bucket","arn":"arn:aws:s3:::b","configuration":{}}"#;
        let text = format!(
            "{{\"Results\": [\n{},\n{}], \"QueryInfo\": {{}}}}",
            json_string(bucket),
            json_string(group)
        );
        let (iam, diags) = read_iam_text("select.json", &text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(iam.groups.len(), 1);
        let g = &iam.groups[0];
        assert_eq!(
            (g.name.as_str(), g.arn.as_str(), g.source.line),
            ("admins", "arn:aws:iam::111122223333:group/admins", 3)
        );
        assert_eq!(g.attached_policies[0].name, "AdministratorAccess");
    }

    #[test]
    fn config_history_latest_item_wins_and_deleted_resources_are_dropped() {
        let role = |time: &str, status: &str, action: &str| {
            format!(
                r#"{{"arn": "arn:aws:iam::1:role/r", "resourceType": "AWS::IAM::Role", "configurationItemCaptureTime": "{time}", "configurationItemStatus": "{status}",
  "configuration": {{"roleName": "r", "assumeRolePolicyDocument": {{"Statement": [{{"Effect": "Allow", "Action": "{action}", "Principal": {{"Service": "ec2.amazonaws.com"}}}}]}}}}}}"#
            )
        };
        let deleted_user = r#"{"ARN": "arn:aws:iam::1:user/gone", "resourceType": "AWS::IAM::User", "configurationItemStatus": "ResourceDeleted", "configuration": null}"#;
        let text = format!(
            "{{\"configurationItems\": [{}, {}, {}]}}",
            role("2024-02-01T00:00:00Z", "OK", "sts:AssumeRole"),
            role("2024-01-01T00:00:00Z", "ResourceDiscovered", "sts:TagSession"),
            deleted_user
        );
        let (iam, diags) = read_iam_text("history.json", &text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(iam.roles.len(), 1);
        assert_eq!(
            iam.roles[0].trust_policy.as_ref().expect("trust").statements[0].actions,
            ["sts:AssumeRole"]
        );
        assert!(iam.users.is_empty());

        // A document whose only item is a deletion is taken (nothing left to read), not skipped.
        let inv = crate::files::read_text("deleted.json", deleted_user);
        assert!(inv.iam.is_empty() && inv.diagnostics.is_empty());
        assert_eq!((inv.objects_read, inv.skipped_kinds.get("(no kind)")), (1, None));
        let text = format!(
            "{{\"configurationItems\": [{}, {}]}}",
            role("2024-01-01T00:00:00Z", "OK", "sts:AssumeRole"),
            role("2024-03-01T00:00:00Z", "ResourceDeleted", "sts:AssumeRole")
        );
        assert!(read_iam_text("h.json", &text).0.roles.is_empty());
    }

    #[test]
    fn config_items_that_cannot_be_read_are_diagnostics() {
        // A broken JSON string, a configuration that is not an object, a role whose name and ARN
        // are only on the item, and one with neither.
        let text = r#"{"configurationItems": [
 {"arn": "arn:aws:iam::1:role/a", "resourceType": "AWS::IAM::Role",
  "configuration": "{\"roleName\": "},
 {"arn": "arn:aws:iam::1:role/b", "resourceType": "AWS::IAM::Role", "configuration": [1]},
 {"ARN": "arn:aws:iam::1:role/c", "resourceName": "c", "resourceType": "AWS::IAM::Role", "configuration": {"path": "/"}},
 {"resourceType": "AWS::IAM::Role", "configurationItemStatus": "OK", "configuration": {"path": "/x/"}}
]}"#;
        let (iam, diags) = read_iam_text("bad.json", text);
        let at: Vec<u32> = diags.iter().map(|d| d.source.line).collect();
        assert_eq!(at, [3, 4, 6, 6], "{diags:?}");
        assert!(diags[0].reason.contains("embedded JSON"));
        assert!(diags[1].reason.contains("not an object"));
        assert!(diags.iter().all(|d| &*d.source.file == "bad.json"));
        assert_eq!(iam.roles.len(), 2);
        assert_eq!((iam.roles[0].name.as_str(), iam.roles[0].arn.as_str()), ("c", "arn:aws:iam::1:role/c"));
        assert_eq!(iam.roles[1].path.as_deref(), Some("/x/"));
    }

    #[test]
    fn access_keys_with_and_without_last_use() {
        let text = r#"{"AccessKeyMetadata": [
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE1", "Status": "Active", "CreateDate": "2020-01-01T00:00:00Z"},
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE2", "Status": "Inactive", "CreateDate": "2021-01-01T00:00:00Z",
   "AccessKeyLastUsed": {"LastUsedDate": "2021-06-01T00:00:00Z", "ServiceName": "s3", "Region": "eu-west-1"}},
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE3", "Status": "Active", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}},
  {"UserName": "ci"},
  "AKIANOTANOBJECT",
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE4", "Status": "Expired"}
], "IsTruncated": false}"#;
        let inv = crate::files::read_text("keys.json", text);
        assert_eq!(inv.objects_read, 1);
        let keys = &inv.iam.access_keys;
        let ids: Vec<_> = keys.iter().map(|k| (k.id.as_str(), k.active, k.source.line)).collect();
        assert_eq!(
            ids,
            [
                ("AKIAEXAMPLE1", true, 2),
                ("AKIAEXAMPLE2", false, 3),
                ("AKIAEXAMPLE3", true, 5),
                ("AKIAEXAMPLE4", true, 8)
            ]
        );
        assert!(keys.iter().all(|k| k.user == "ci"));
        assert_eq!(keys[0].create_date.as_deref(), Some("2020-01-01T00:00:00Z"));
        assert_eq!((keys[0].last_used_date.as_deref(), keys[0].last_used_service.as_deref()), (None, None));
        assert_eq!(keys[1].last_used_date.as_deref(), Some("2021-06-01T00:00:00Z"));
        assert_eq!(keys[1].last_used_service.as_deref(), Some("s3"));
        assert_eq!(
            (keys[2].last_used_date.as_deref(), keys[2].last_used_service.as_deref()),
            (None, None),
            "N/A"
        );
        let at: Vec<u32> = inv.diagnostics.iter().map(|d| d.source.line).collect();
        assert_eq!(at, [6, 7, 8], "{:?}", inv.diagnostics);
        assert_eq!(
            inv.diagnostics[2].reason,
            "access key AKIAEXAMPLE4 has an unknown `Status`, expecting `Active` or `Inactive`; treated as active"
        );

        // One joined record on its own; a never-used key has a null date.
        let text = r#"{"UserName": "bob", "AccessKeyId": "AKIABOB", "Status": "Active", "CreateDate": "2019-01-01T00:00:00Z",
 "AccessKeyLastUsed": {"LastUsedDate": null, "ServiceName": "N/A", "Region": "N/A"}}"#;
        let (iam, diags) = read_iam_text("bob.json", text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(iam.access_keys.len(), 1);
        let k = &iam.access_keys[0];
        assert_eq!((k.user.as_str(), k.id.as_str(), k.active), ("bob", "AKIABOB", true));
        assert_eq!((k.last_used_date.as_deref(), k.last_used_service.as_deref()), (None, None));
    }

    #[test]
    fn oidc_providers_listed_fetched_and_recorded() {
        let text = r#"{"OpenIDConnectProviderList": [
  {"Arn": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
  {"Arn": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
  {"Arn": "arn:aws:iam::111122223333:saml-provider/corp"},
  {}
]}"#;
        let inv = crate::files::read_text("providers.json", text);
        let got: Vec<_> = inv.iam.oidc_providers.iter().map(|p| (p.url.as_deref(), p.source.line)).collect();
        assert_eq!(
            got,
            [
                (Some("oidc.eks.eu-west-1.amazonaws.com/id/ABC"), 2),
                (Some("token.actions.githubusercontent.com"), 3)
            ]
        );
        assert_eq!(
            inv.iam.oidc_providers[1].arn,
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
        );
        let at: Vec<u32> = inv.diagnostics.iter().map(|d| d.source.line).collect();
        assert_eq!(at, [4, 5], "{:?}", inv.diagnostics);

        // get-open-id-connect-provider has no ARN: kept with an empty one.
        let text = r#"{"Url": "oidc.eks.eu-west-1.amazonaws.com/id/ABC", "ClientIDList": ["sts.amazonaws.com"],
 "ThumbprintList": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"], "CreateDate": "2024-01-01T00:00:00Z", "Tags": []}"#;
        let (iam, diags) = read_iam_text("get.json", text);
        assert!(diags.is_empty(), "{diags:?}");
        let p = &iam.oidc_providers[0];
        assert_eq!((p.arn.as_str(), p.url.as_deref()), ("", Some("oidc.eks.eu-west-1.amazonaws.com/id/ABC")));
        assert_eq!(
            (p.client_ids.as_slice(), p.thumbprints.len()),
            (&["sts.amazonaws.com".to_owned()][..], 1)
        );

        // With an added ARN, and a URL written with its scheme.
        let text = r#"{"OpenIDConnectProviderArn": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com",
 "Url": "https://token.actions.githubusercontent.com", "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": []}"#;
        let (iam, _) = read_iam_text("get.json", text);
        let p = &iam.oidc_providers[0];
        assert_eq!(p.arn, "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com");
        assert_eq!(p.url.as_deref(), Some("token.actions.githubusercontent.com"));

        // No `Url` (a writer that had none): the issuer comes from the ARN.
        let text = r#"{"Arn": "arn:aws:iam::1:oidc-provider/oidc.example.com/id/9", "ClientIDList": [], "ThumbprintList": []}"#;
        let (iam, diags) = read_iam_text("get.json", text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(iam.oidc_providers[0].url.as_deref(), Some("oidc.example.com/id/9"));

        // An AWS Config item (`ClientIdList` in Config's spelling).
        let text = r#"{"resourceType": "AWS::IAM::OIDCProvider", "arn": "arn:aws:iam::1:oidc-provider/oidc.example.com",
 "configuration": {"Url": "oidc.example.com", "ClientIdList": ["sts.amazonaws.com"], "ThumbprintList": []}}"#;
        let inv = crate::files::read_text("ci.json", text);
        let p = &inv.iam.oidc_providers[0];
        assert_eq!(
            (p.arn.as_str(), p.url.as_deref()),
            ("arn:aws:iam::1:oidc-provider/oidc.example.com", Some("oidc.example.com"))
        );
        assert_eq!(p.client_ids, ["sts.amazonaws.com"]);
    }

    #[test]
    fn pod_identity_associations_described_and_listed() {
        let text = r#"{"association": {"clusterName": "prod", "namespace": "pay", "serviceAccount": "api",
  "roleArn": "arn:aws:iam::111122223333:role/pay-api",
  "associationArn": "arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-1", "associationId": "a-1",
  "tags": {}, "createdAt": "2024-01-01T00:00:00Z", "modifiedAt": "2024-01-01T00:00:00Z"}}"#;
        let inv = crate::files::read_text("describe.json", text);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        assert_eq!(inv.objects_read, 1);
        assert_eq!(
            inv.iam.pod_identity_associations,
            [PodIdentityAssociation {
                cluster: "prod".into(),
                namespace: "pay".into(),
                service_account: "api".into(),
                role_arn: Some("arn:aws:iam::111122223333:role/pay-api".into()),
                association_arn: Some(
                    "arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-1".into()
                ),
                source: Source { file: "describe.json".into(), line: 1 },
            }]
        );

        let text = r#"{"associations": [
  {"clusterName": "prod", "namespace": "pay", "serviceAccount": "api", "associationArn": "arn:aws:eks:eu-west-1:1:podidentityassociation/prod/a-1", "associationId": "a-1"},
  {"clusterName": "prod", "serviceAccount": "worker", "associationArn": "arn:aws:eks:eu-west-1:1:podidentityassociation/prod/a-2", "associationId": "a-2"},
  {"clusterName": "prod", "namespace": "ops", "serviceAccount": "bot", "associationArn": "arn:aws:eks:eu-west-1:1:podidentityassociation/prod/a-3", "ownerArn": "arn:aws:eks:eu-west-1:1:addon/prod/x/y"}
], "nextToken": null}"#;
        let (iam, diags) = read_iam_text("list.json", text);
        let got: Vec<_> = iam
            .pod_identity_associations
            .iter()
            .map(|a| (a.namespace.as_str(), a.service_account.as_str(), a.role_arn.is_none(), a.source.line))
            .collect();
        assert_eq!(got, [("pay", "api", true, 2), ("ops", "bot", true, 4)]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].source.line, 3);
        assert!(diags[0].reason.contains("`namespace`"), "{}", diags[0].reason);

        // Lists of something else, and an empty list, are not taken.
        for other in
            [r#"{"associations": []}"#, r#"{"associations": [{"RouteTableId": "rtb-1", "Main": true}]}"#]
        {
            let inv = crate::files::read_text("other.json", other);
            assert!(inv.iam.is_empty() && inv.diagnostics.is_empty(), "{other}");
            assert_eq!(inv.skipped_kinds.get("(no kind)"), Some(&1), "{other}");
        }
    }

    #[test]
    fn policy_document_forms() {
        let file: Arc<str> = "p.json".into();
        let read = |text: &str| {
            let node = yaml::parse_documents(text).remove(0).expect("json");
            let mut diags = Vec::new();
            let doc = policy_document(node.field("d"), &file, &mut diags);
            (doc, diags)
        };
        // Form encoding: `+` for spaces between JSON tokens.
        let form = "%7B+%22Version%22%3A+%222012-10-17%22%2C+%22Statement%22%3A+%5B%7B%22Effect%22%3A+%22Allow%22%2C+%22Action%22%3A+%22a%2Bb%3Ac%22%7D%5D%7D";
        let (doc, diags) = read(&format!("{{\"d\": \"{form}\"}}"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(doc.expect("form").statements[0].actions, ["a+b:c"], "an encoded `+` stays a plus");
        // A compact RFC 3986 text whose values hold a literal `+`.
        let (doc, _) = read(&format!(
            "{{\"d\": \"{}\"}}",
            url_encode(
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}]}"#
            )
        ));
        assert_eq!(doc.expect("rfc").statements[0].resources, ["arn:aws:s3:::a+b/*"]);
        // A plain JSON string holding a list of documents.
        let list = r#"[{"Statement":{"Effect":"Allow","Action":"x:A"}},{"Statement":{"Effect":"Deny","Action":"x:B"}}]"#;
        let (doc, diags) = read(&format!("{{\"d\": {}}}", json_string(list)));
        assert!(diags.is_empty());
        let doc = doc.expect("list");
        assert!(doc.encoded);
        assert_eq!(doc.statements.len(), 2);
        // A list with an unreadable member: the rest is kept, the member reported.
        let (doc, diags) = read(
            "{\"d\": [\n{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"x:A\"}},\n\"%7B%22Vers\",\n7]}",
        );
        assert_eq!(doc.expect("kept").statements.len(), 1);
        let at: Vec<u32> = diags.iter().map(|d| d.source.line).collect();
        assert_eq!(at, [3, 4]);
        // An empty list is no document.
        let (doc, diags) = read(r#"{"d": []}"#);
        assert!(doc.is_none() && diags.is_empty());
    }

    /// Values an IAM document holds in the wrong place (a secret pasted as a status, an ARN, a
    /// policy document) give diagnostics at their line that do not quote them.
    #[test]
    fn diagnostics_never_quote_the_input() {
        const CANARY: &str = "canary123secret";
        let text = r#"{"AccessKeyMetadata": [
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE1", "Status": "API_KEY=canary123secret"}
], "IsTruncated": false}
---
{"OpenIDConnectProviderList": [
  {"Arn": "API_KEY=canary123secret"}
]}
---
{"Policies": [{"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p", "DefaultVersionId": "v1",
  "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
    "Document": "{\"Statement\": [API_KEY=canary123secret"}]}]}
---
{"Policies": [{"PolicyName": "q", "Arn": "arn:aws:iam::1:policy/q", "DefaultVersionId": "v1",
  "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
    "Document": "API_KEY%3Dcanary123secret%ZZ"}]}]}
"#;
        let inv = crate::files::read_text("iam.json", text);
        let got: Vec<(u32, &str)> =
            inv.diagnostics.iter().map(|d| (d.source.line, d.reason.as_str())).collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(
            got[..2],
            [
                (
                    2,
                    "access key AKIAEXAMPLE1 has an unknown `Status`, expecting `Active` or `Inactive`; treated as active"
                ),
                (
                    6,
                    "OpenIDConnectProviderList entry whose `Arn` is not an OIDC provider ARN \
                     (arn:aws:iam::ACCOUNT:oidc-provider/ISSUER); skipped"
                ),
            ]
        );
        // (The YAML reader's own words, after the prefix, are its business.)
        assert_eq!(got[2].0, 11);
        assert!(
            got[2].1.starts_with("IAM policy document string could not be read: not valid JSON: "),
            "{got:?}"
        );
        assert_eq!(got[3], (15, "IAM policy document string could not be read: bad URL encoding"));
        for (_, reason) in &got {
            assert!(!reason.contains(CANARY) && !reason.contains("API_KEY"), "{reason}");
        }
    }
}
