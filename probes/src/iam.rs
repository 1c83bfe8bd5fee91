//! AWS IAM read from files: `aws iam get-account-authorization-details` output (GAAD), single
//! `aws iam get-role` / `get-user` outputs, and the IAM credential report (CSV).
//!
//! GAAD is the format cloudsplaining and PMapper read: `UserDetailList`, `GroupDetailList`,
//! `RoleDetailList` and `Policies`. Policy documents arrive either as JSON objects (the CLI decodes
//! them) or as URL-encoded JSON strings (the raw API, `%7B%22Version%22…`); both are read into the
//! same [`PolicyDocument`]. A decoded document has no lines of its own, so all its parts carry the
//! line of the field that held it.
//!
//! The credential report is read by [`read_credential_report`] (CSV text) and
//! [`read_credential_report_json`] (the `aws iam get-credential-report` JSON wrapper); it is not
//! offered to the file walker by [`read_document`].

use std::sync::Arc;

use crate::model::{Diagnostic, Inventory, Source};
use crate::yaml::{self, Node, Value};

/// Everything read from IAM files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IamInventory {
    /// IAM users.
    pub users: Vec<IamUser>,
    /// IAM groups.
    pub groups: Vec<IamGroup>,
    /// IAM roles, with their trust policies.
    pub roles: Vec<IamRole>,
    /// Managed policies (AWS-managed and customer-managed) with their versions.
    pub policies: Vec<ManagedPolicy>,
    /// Rows of IAM credential reports.
    pub credential_report: Vec<CredentialReportRow>,
    /// Access keys from `list-access-keys` (with last use when known).
    pub access_keys: Vec<AccessKey>,
    /// IAM OIDC identity providers (EKS clusters' issuers, CI issuers such as GitHub Actions).
    pub oidc_providers: Vec<OidcProvider>,
    /// EKS Pod Identity associations (cluster, namespace, service account -> role).
    pub pod_identity_associations: Vec<PodIdentityAssociation>,
}

impl IamInventory {
    /// Appends everything of `other`.
    pub fn extend(&mut self, other: IamInventory) {
        self.users.extend(other.users);
        self.groups.extend(other.groups);
        self.roles.extend(other.roles);
        self.policies.extend(other.policies);
        self.credential_report.extend(other.credential_report);
        self.access_keys.extend(other.access_keys);
        self.oidc_providers.extend(other.oidc_providers);
        self.pod_identity_associations.extend(other.pod_identity_associations);
    }

    /// True when nothing was read.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.groups.is_empty()
            && self.roles.is_empty()
            && self.policies.is_empty()
            && self.credential_report.is_empty()
            && self.access_keys.is_empty()
            && self.oidc_providers.is_empty()
            && self.pod_identity_associations.is_empty()
    }
}

/// An IAM user (`UserDetailList` item or `get-user` output).
#[derive(Clone, Debug, PartialEq)]
pub struct IamUser {
    /// `UserName`.
    pub name: String,
    /// `Arn`.
    pub arn: String,
    /// `UserId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `GroupList`: names of the groups the user belongs to.
    pub groups: Vec<String>,
    /// `AttachedManagedPolicies`.
    pub attached_policies: Vec<AttachedPolicy>,
    /// `UserPolicyList`: inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// `PermissionsBoundary.PermissionsBoundaryArn`.
    pub permissions_boundary: Option<String>,
    /// `Tags` as (Key, Value).
    pub tags: Vec<(String, String)>,
    /// File and line of the entry.
    pub source: Source,
}

/// An IAM group (`GroupDetailList` item).
#[derive(Clone, Debug, PartialEq)]
pub struct IamGroup {
    /// `GroupName`.
    pub name: String,
    /// `Arn`.
    pub arn: String,
    /// `GroupId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `AttachedManagedPolicies`.
    pub attached_policies: Vec<AttachedPolicy>,
    /// `GroupPolicyList`: inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// File and line of the entry.
    pub source: Source,
}

/// An IAM role (`RoleDetailList` item or `get-role` output).
#[derive(Clone, Debug, PartialEq)]
pub struct IamRole {
    /// `RoleName`.
    pub name: String,
    /// `Arn`.
    pub arn: String,
    /// `RoleId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `AssumeRolePolicyDocument`: the trust policy (a resource policy on the role).
    pub trust_policy: Option<PolicyDocument>,
    /// `AttachedManagedPolicies`.
    pub attached_policies: Vec<AttachedPolicy>,
    /// `RolePolicyList`: inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// `InstanceProfileList`.
    pub instance_profiles: Vec<InstanceProfile>,
    /// `PermissionsBoundary.PermissionsBoundaryArn`.
    pub permissions_boundary: Option<String>,
    /// `Tags` as (Key, Value).
    pub tags: Vec<(String, String)>,
    /// `RoleLastUsed.LastUsedDate`, as written.
    pub last_used: Option<String>,
    /// `MaxSessionDuration` in seconds.
    pub max_session_duration: Option<i64>,
    /// File and line of the entry.
    pub source: Source,
}

/// An instance profile a role belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceProfile {
    /// `InstanceProfileName`.
    pub name: String,
    /// `Arn`.
    pub arn: Option<String>,
}

/// A managed policy attached to a user, group or role (`AttachedManagedPolicies` item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// `PolicyName`.
    pub name: String,
    /// `PolicyArn`.
    pub arn: String,
}

/// An inline policy (`UserPolicyList`, `GroupPolicyList`, `RolePolicyList` item).
#[derive(Clone, Debug, PartialEq)]
pub struct InlinePolicy {
    /// `PolicyName`.
    pub name: String,
    /// `PolicyDocument` (absent when missing or unreadable; a diagnostic says why).
    pub document: Option<PolicyDocument>,
    /// File and line of the entry.
    pub source: Source,
}

/// A managed policy (`Policies` item).
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedPolicy {
    /// `PolicyName`.
    pub name: String,
    /// `Arn` (`arn:aws:iam::aws:policy/…` for AWS-managed policies).
    pub arn: String,
    /// `PolicyId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `DefaultVersionId`.
    pub default_version_id: Option<String>,
    /// `AttachmentCount`.
    pub attachment_count: Option<i64>,
    /// `PermissionsBoundaryUsageCount`.
    pub permissions_boundary_usage_count: Option<i64>,
    /// `IsAttachable`.
    pub is_attachable: Option<bool>,
    /// `PolicyVersionList`.
    pub versions: Vec<PolicyVersion>,
    /// File and line of the entry.
    pub source: Source,
}

impl ManagedPolicy {
    /// True for AWS-managed policies (`arn:aws:iam::aws:policy/…`, any partition).
    pub fn is_aws_managed(&self) -> bool {
        self.arn.split(':').nth(4) == Some("aws")
    }

    /// The document in force: the version marked `IsDefaultVersion`, else the one named by
    /// `DefaultVersionId`, else the only version.
    pub fn default_document(&self) -> Option<&PolicyDocument> {
        let by_flag = self.versions.iter().find(|v| v.is_default);
        let by_id = || {
            let id = self.default_version_id.as_deref()?;
            self.versions.iter().find(|v| v.version_id.as_deref() == Some(id))
        };
        let only = || if self.versions.len() == 1 { self.versions.first() } else { None };
        by_flag.or_else(by_id).or_else(only)?.document.as_ref()
    }
}

/// One version of a managed policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyVersion {
    /// `VersionId` (`v1`, `v2`…).
    pub version_id: Option<String>,
    /// `IsDefaultVersion`.
    pub is_default: bool,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `Document`.
    pub document: Option<PolicyDocument>,
}

/// An IAM policy document (identity policy or trust policy).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDocument {
    /// `Version` (`2012-10-17`).
    pub version: Option<String>,
    /// `Id`.
    pub id: Option<String>,
    /// `Statement` (an object or a list in the source; always a list here).
    pub statements: Vec<Statement>,
    /// True when the document was a URL-encoded (or otherwise string-embedded) JSON text.
    pub encoded: bool,
    /// File and line of the document (of the field holding it, when it was encoded).
    pub source: Source,
}

/// The effect of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
    /// Missing or some other text (kept as written; IAM rejects it, so it grants nothing).
    Other(String),
}

/// One statement of a policy document. Single strings are read as one-item lists.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action`.
    pub actions: Vec<String>,
    /// `NotAction`.
    pub not_actions: Vec<String>,
    /// `Resource`.
    pub resources: Vec<String>,
    /// `NotResource`.
    pub not_resources: Vec<String>,
    /// `Principal` or `NotPrincipal` as (kind, value): kind is `AWS`, `Service`, `Federated`,
    /// `CanonicalUser`…; `"Principal": "*"` gives `("*", "*")`.
    pub principals: Vec<(String, String)>,
    /// True when the principals came from `NotPrincipal`.
    pub not_principal: bool,
    /// `Condition` flattened to one entry per (operator, key).
    pub conditions: Vec<Condition>,
    /// Line of the statement (of the document field when it was encoded).
    pub line: u32,
}

impl Statement {
    /// True when `principals` allows everyone: `"*"` or `{"AWS": "*"}` (not for `NotPrincipal`).
    pub fn has_wildcard_principal(&self) -> bool {
        !self.not_principal && self.principals.iter().any(|(k, v)| v == "*" && (k == "*" || k == "AWS"))
    }
}

/// One condition of a statement: `"Condition": {operator: {key: value-or-list}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Operator, as written (`StringEquals`, `ForAnyValue:StringLike`, `Bool`…).
    pub operator: String,
    /// Condition key, as written (`aws:SourceArn`, `oidc.eks…/id/…:sub`…).
    pub key: String,
    /// Values (numbers and booleans in canonical text form).
    pub values: Vec<String>,
}

/// An access key of an IAM user (`list-access-keys` item, optionally joined with
/// `get-access-key-last-used`). The key id is an identifier, not the secret; the secret access
/// key is never read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    /// `UserName`.
    pub user: String,
    /// `AccessKeyId` (`AKIA…`).
    pub id: String,
    /// `Status` is `Active`.
    pub active: bool,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `AccessKeyLastUsed.LastUsedDate`, as written (`None`: never used, or not known).
    pub last_used_date: Option<String>,
    /// `AccessKeyLastUsed.ServiceName` (`N/A` is `None`).
    pub last_used_service: Option<String>,
    /// File and line of the entry.
    pub source: Source,
}

/// An IAM OIDC identity provider (`get-open-id-connect-provider` output, or the ARN alone from
/// `list-open-id-connect-providers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcProvider {
    /// The provider's ARN (`arn:aws:iam::<acct>:oidc-provider/<host/path>`).
    pub arn: String,
    /// `Url` (issuer host and path, without scheme), when known.
    pub url: Option<String>,
    /// `ClientIDList` (audiences).
    pub client_ids: Vec<String>,
    /// `ThumbprintList`.
    pub thumbprints: Vec<String>,
    /// File and line of the entry.
    pub source: Source,
}

/// An EKS Pod Identity association (`eks describe-pod-identity-association` or
/// `list-pod-identity-associations` item): pods of `service_account` in `namespace` of
/// `cluster` receive credentials of `role_arn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodIdentityAssociation {
    /// `clusterName`.
    pub cluster: String,
    /// `namespace`.
    pub namespace: String,
    /// `serviceAccount`.
    pub service_account: String,
    /// `roleArn` (absent in list output, which has no role).
    pub role_arn: Option<String>,
    /// `associationArn`.
    pub association_arn: Option<String>,
    /// File and line of the entry.
    pub source: Source,
}

/// One access key's columns in the credential report. `N/A` and empty cells are `None`; other
/// placeholders (`no_information`, `not_supported`) are kept as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessKeyReport {
    /// `access_key_N_active`.
    pub active: bool,
    /// `access_key_N_last_rotated` (creation or last change time).
    pub last_rotated: Option<String>,
    /// `access_key_N_last_used_date`.
    pub last_used_date: Option<String>,
    /// `access_key_N_last_used_region`.
    pub last_used_region: Option<String>,
    /// `access_key_N_last_used_service`.
    pub last_used_service: Option<String>,
}

/// One row of the IAM credential report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialReportRow {
    /// `user` (`<root_account>` for the root user).
    pub user: String,
    /// `arn`.
    pub arn: String,
    /// `user_creation_time`.
    pub user_creation_time: Option<String>,
    /// `password_enabled` (`true`, `false`, `not_supported`), as written.
    pub password_enabled: Option<String>,
    /// `password_last_used`.
    pub password_last_used: Option<String>,
    /// `mfa_active`.
    pub mfa_active: bool,
    /// `access_key_1_*` and `access_key_2_*`.
    pub access_keys: [AccessKeyReport; 2],
    /// `cert_1_active`, `cert_2_active`.
    pub certs_active: [bool; 2],
    /// File and line of the row.
    pub source: Source,
}

impl CredentialReportRow {
    /// True for the root user's row.
    pub fn is_root(&self) -> bool {
        self.user == "<root_account>" || self.arn.ends_with(":root")
    }
}

// ---------------------------------------------------------------------------------------------
// GAAD and get-role / get-user
// ---------------------------------------------------------------------------------------------

const GAAD_KEYS: [&str; 3] = ["UserDetailList", "GroupDetailList", "RoleDetailList"];

/// Reads one document without a `kind` when it is IAM: GAAD output, or a single `get-role` /
/// `get-user` output. Returns false, adding nothing, for anything else (AWS Config items, Envoy
/// configs, bare policy documents, credential-report wrappers…).
pub fn read_document(node: &Node, file: &Arc<str>, inventory: &mut Inventory) -> bool {
    if is_gaad(node) {
        read_gaad(node, file, inventory);
        return true;
    }
    let single = |key: &str, name: &str| {
        let n = node.field(key);
        node.entries().len() == 1 && n.is_map() && n.get(name).is_some() && n.get("Arn").is_some()
    };
    if single("Role", "RoleName") {
        let role = read_role(node.field("Role"), file, &mut inventory.diagnostics);
        inventory.iam.roles.push(role);
        return true;
    }
    if single("User", "UserName") {
        let user = read_user(node.field("User"), file, &mut inventory.diagnostics);
        inventory.iam.users.push(user);
        return true;
    }
    false
}

/// Parses a text (as the file walker would) and reads its IAM documents; for tests and tools
/// that want IAM only. Syntax errors become diagnostics.
pub fn read_iam_text(file: &str, text: &str) -> (IamInventory, Vec<Diagnostic>) {
    let file: Arc<str> = file.into();
    let mut inventory = Inventory::default();
    for doc in yaml::parse_documents(text) {
        match doc {
            Ok(node) => {
                read_document(&node, &file, &mut inventory);
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

fn opt(node: &Node, key: &str) -> Option<String> {
    node.field(key).string()
}

fn required(node: &Node, key: &str, file: &Arc<str>, what: &str, diags: &mut Vec<Diagnostic>) -> String {
    match node.field(key).string() {
        Some(s) => s,
        None => {
            diags
                .push(Diagnostic { source: src(file, node.line), reason: format!("{what} without `{key}`") });
            String::new()
        }
    }
}

fn attached(node: &Node) -> Vec<AttachedPolicy> {
    node.field("AttachedManagedPolicies")
        .items()
        .iter()
        .filter_map(|p| {
            let arn = p.field("PolicyArn").string()?;
            let name =
                p.field("PolicyName").string().unwrap_or_else(|| arn.rsplit('/').next().unwrap_or("").into());
            Some(AttachedPolicy { name, arn })
        })
        .collect()
}

fn inline(node: &Node, key: &str, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> Vec<InlinePolicy> {
    node.field(key)
        .items()
        .iter()
        .filter(|p| p.is_map())
        .map(|p| InlinePolicy {
            name: p.field("PolicyName").string().unwrap_or_default(),
            document: policy_document(p.field("PolicyDocument"), file, diags),
            source: src(file, p.line),
        })
        .collect()
}

fn tags(node: &Node) -> Vec<(String, String)> {
    let tags = node.field("Tags");
    if tags.is_map() {
        return tags.string_map();
    }
    tags.items()
        .iter()
        .filter_map(|t| Some((t.field("Key").string()?, t.field("Value").string().unwrap_or_default())))
        .collect()
}

fn boundary(node: &Node) -> Option<String> {
    node.at(&["PermissionsBoundary", "PermissionsBoundaryArn"]).and_then(Node::string)
}

fn read_user(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamUser {
    IamUser {
        name: required(node, "UserName", file, "IAM user", diags),
        arn: required(node, "Arn", file, "IAM user", diags),
        id: opt(node, "UserId"),
        path: opt(node, "Path"),
        create_date: opt(node, "CreateDate"),
        groups: node.field("GroupList").strings(),
        attached_policies: attached(node),
        inline_policies: inline(node, "UserPolicyList", file, diags),
        permissions_boundary: boundary(node),
        tags: tags(node),
        source: src(file, node.line),
    }
}

fn read_group(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamGroup {
    IamGroup {
        name: required(node, "GroupName", file, "IAM group", diags),
        arn: required(node, "Arn", file, "IAM group", diags),
        id: opt(node, "GroupId"),
        path: opt(node, "Path"),
        create_date: opt(node, "CreateDate"),
        attached_policies: attached(node),
        inline_policies: inline(node, "GroupPolicyList", file, diags),
        source: src(file, node.line),
    }
}

fn read_role(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> IamRole {
    IamRole {
        name: required(node, "RoleName", file, "IAM role", diags),
        arn: required(node, "Arn", file, "IAM role", diags),
        id: opt(node, "RoleId"),
        path: opt(node, "Path"),
        create_date: opt(node, "CreateDate"),
        trust_policy: policy_document(node.field("AssumeRolePolicyDocument"), file, diags),
        attached_policies: attached(node),
        inline_policies: inline(node, "RolePolicyList", file, diags),
        instance_profiles: node
            .field("InstanceProfileList")
            .items()
            .iter()
            .filter_map(|p| {
                Some(InstanceProfile { name: p.field("InstanceProfileName").string()?, arn: opt(p, "Arn") })
            })
            .collect(),
        permissions_boundary: boundary(node),
        tags: tags(node),
        last_used: node.at(&["RoleLastUsed", "LastUsedDate"]).and_then(Node::string),
        max_session_duration: node.field("MaxSessionDuration").as_i64(),
        source: src(file, node.line),
    }
}

fn read_managed_policy(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> ManagedPolicy {
    ManagedPolicy {
        name: required(node, "PolicyName", file, "managed policy", diags),
        arn: required(node, "Arn", file, "managed policy", diags),
        id: opt(node, "PolicyId"),
        path: opt(node, "Path"),
        default_version_id: opt(node, "DefaultVersionId"),
        attachment_count: node.field("AttachmentCount").as_i64(),
        permissions_boundary_usage_count: node.field("PermissionsBoundaryUsageCount").as_i64(),
        is_attachable: node.field("IsAttachable").as_bool(),
        versions: node
            .field("PolicyVersionList")
            .items()
            .iter()
            .filter(|v| v.is_map())
            .map(|v| PolicyVersion {
                version_id: opt(v, "VersionId"),
                is_default: v.field("IsDefaultVersion").as_bool().unwrap_or(false),
                create_date: opt(v, "CreateDate"),
                document: policy_document(v.field("Document"), file, diags),
            })
            .collect(),
        source: src(file, node.line),
    }
}

// ---------------------------------------------------------------------------------------------
// Policy documents
// ---------------------------------------------------------------------------------------------

/// Reads a policy document held by `node`: a mapping, or a string holding URL-encoded (or plain)
/// JSON. `None` for a missing field; `None` with a diagnostic for one that cannot be read.
pub fn policy_document(node: &Node, file: &Arc<str>, diags: &mut Vec<Diagnostic>) -> Option<PolicyDocument> {
    match &node.value {
        Value::Null => None,
        Value::Map(_) => Some(document_from_map(node, file, false, None)),
        Value::Str(text) => {
            let fail = |diags: &mut Vec<Diagnostic>, why: &str| {
                diags.push(Diagnostic {
                    source: src(file, node.line),
                    reason: format!("IAM policy document string could not be read: {why}"),
                });
                None
            };
            let decoded = if text.trim_start().starts_with('{') {
                text.clone()
            } else {
                match percent_decode(text) {
                    Some(d) => d,
                    None => return fail(diags, "bad URL encoding"),
                }
            };
            let mut docs = yaml::parse_documents(&decoded).into_iter();
            match docs.next() {
                Some(Ok(inner)) if inner.is_map() => {
                    Some(document_from_map(&inner, file, true, Some(node.line)))
                }
                Some(Ok(_)) | None => fail(diags, "not a JSON object"),
                Some(Err(e)) => fail(diags, &format!("not valid JSON: {}", e.reason)),
            }
        }
        _ => {
            diags.push(Diagnostic {
                source: src(file, node.line),
                reason: "IAM policy document is neither an object nor a string".to_owned(),
            });
            None
        }
    }
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

/// Standard base64 (padding optional, whitespace ignored). `None` on a bad character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
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
}
