//! Access keys, OIDC providers and EKS Pod Identity associations.

use super::fields::fld;
use super::fields::src;

use crate::inventory::Diagnostic;
use crate::inventory::aws::*;
use crate::yaml::Node;
use std::sync::Arc;

/// One joined access-key record at the top of a document (`UserName`, `AccessKeyId` and a
/// `Status` or an `AccessKeyLastUsed`).
pub(super) fn is_access_key_record(node: &Node) -> bool {
    node.get("AccessKeyId").is_some()
        && node.get("UserName").is_some()
        && (node.get("Status").is_some() || node.get("AccessKeyLastUsed").is_some())
}

/// A value that says "nothing": missing, empty, or `N/A` (how `GetAccessKeyLastUsed` marks a
/// key that was never used).
pub(super) fn known(node: &Node) -> Option<String> {
    node.string().filter(|s| !s.is_empty() && s != "N/A")
}

/// One `AccessKeyMetadata` entry (or joined record). The secret access key is never read.
pub(super) fn read_access_key(
    node: &Node,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> Option<AccessKey> {
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
pub(super) fn is_oidc_provider_output(node: &Node) -> bool {
    let named = node.get("Url").is_some_and(|u| u.as_str().is_some())
        || ["Arn", "OpenIDConnectProviderArn"]
            .iter()
            .any(|k| node.get(k).and_then(Node::as_str).is_some_and(|a| a.contains(":oidc-provider/")));
    named && ["ClientIDList", "ThumbprintList"].iter().any(|k| node.field(k).is_seq())
}

/// The issuer (host and path) an OIDC provider ARN names: the part after `oidc-provider/`.
pub(super) fn issuer_of_provider_arn(arn: &str) -> Option<String> {
    let (_, url) = arn.split_once(":oidc-provider/")?;
    (!url.is_empty()).then(|| url.to_owned())
}

/// A provider object: `get-open-id-connect-provider` output (with an added `Arn` or
/// `OpenIDConnectProviderArn` when the writer knew it) or the configuration of an
/// `AWS::IAM::OIDCProvider` item. Without any ARN the provider is kept with an empty `arn`.
pub(super) fn read_oidc_provider(
    node: &Node,
    file: &Arc<str>,
    arn: Option<String>,
    line: u32,
) -> OidcProvider {
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
pub(super) fn read_listed_provider(
    node: &Node,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> Option<OidcProvider> {
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
pub(super) fn is_pod_identity_association(node: &Node) -> bool {
    node.is_map() && (node.get("serviceAccount").is_some() || node.get("associationArn").is_some())
}

pub(super) fn read_pod_identity(
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
