//! AWS IAM read from files. Accepted shapes:
//! - `aws iam get-account-authorization-details` output (GAAD): `UserDetailList`,
//!   `GroupDetailList`, `RoleDetailList` and `Policies`, the format cloudsplaining and PMapper
//!   read; single `aws iam get-role` / `get-user` outputs;
//! - AWS Config configuration items of `AWS::IAM::User`, `AWS::IAM::Role`, `AWS::IAM::Group`,
//!   `AWS::IAM::Policy` (and `AWS::IAM::OIDCProvider`), in every envelope Config uses (docs/semantics.md#aws-iam;
//!   unwrapped by the crate's shared `config_items` walk, which the ELBv2 reader uses too).
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

use gaad::is_gaad;
use gaad::read_gaad;
use gaad::read_role;
use gaad::read_user;
use keys::is_access_key_record;
use keys::is_oidc_provider_output;
use keys::is_pod_identity_association;
use keys::read_access_key;
use keys::read_listed_provider;
use keys::read_oidc_provider;
use keys::read_pod_identity;

use std::sync::Arc;

pub use crate::inventory::aws::*;
use crate::inventory::{Diagnostic, Inventory, Source};
use crate::yaml::{self, Node};

mod config;
pub use config::read_config_document;
pub(crate) use config::read_config_items;
pub use credential_report::{is_credential_report, read_credential_report, read_credential_report_json};
pub use policy::{percent_decode, policy_document};
mod credential_report;
mod fields;
mod gaad;
mod keys;
mod policy;
#[cfg(test)]
mod tests;
// Dispatch: GAAD, get-role / get-user, access keys, OIDC providers, Pod Identity associations
// ---------------------------------------------------------------------------------------------

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
