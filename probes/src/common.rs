//! Helpers shared by the probe modules: object metadata and selectors.

use std::sync::Arc;

use crate::model::{LabelSelector, ObjectMeta, SelectorRequirement, Source, StringMap};
use crate::yaml::Node;

/// Kinds that are cluster-scoped (they get no namespace).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "Node",
    "PersistentVolume",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "GatewayClass",
    "APIService",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "RuntimeClass",
];

/// Reads `kind`, `apiVersion` and `metadata` of an object.
pub(crate) fn object_meta(node: &Node, file: &Arc<str>) -> ObjectMeta {
    let kind = node.field("kind").string().unwrap_or_default();
    let md = node.field("metadata");
    let namespace = if CLUSTER_SCOPED.contains(&kind.as_str()) {
        None
    } else {
        Some(md.field("namespace").string().filter(|s| !s.is_empty()).unwrap_or_else(|| "default".to_owned()))
    };
    let owner = {
        let refs = md.field("ownerReferences").items();
        refs.iter()
            .find(|r| r.field("controller").as_bool() == Some(true))
            .or_else(|| refs.first())
            .and_then(|r| Some((r.field("kind").string()?, r.field("name").string()?)))
    };
    ObjectMeta {
        api_version: node.field("apiVersion").string().unwrap_or_default(),
        name: md.field("name").string().or_else(|| md.field("generateName").string()).unwrap_or_default(),
        namespace,
        labels: string_map(md.field("labels")),
        annotations: string_map(md.field("annotations")),
        creation_timestamp: md.field("creationTimestamp").string(),
        owner,
        source: Source { file: Arc::clone(file), line: node.line },
        kind,
    }
}

/// A mapping of scalars as a sorted map.
pub(crate) fn string_map(node: &Node) -> StringMap {
    node.string_map().into_iter().collect()
}

/// A `LabelSelector` (`matchLabels` / `matchExpressions`).
pub(crate) fn label_selector(node: &Node) -> LabelSelector {
    LabelSelector {
        match_labels: string_map(node.field("matchLabels")),
        match_expressions: node
            .field("matchExpressions")
            .items()
            .iter()
            .map(|e| SelectorRequirement {
                key: e.field("key").string().unwrap_or_default(),
                operator: e.field("operator").string().unwrap_or_default(),
                values: e.field("values").strings(),
            })
            .collect(),
    }
}

/// `matchLabels` of a selector, `None` when absent or empty.
pub(crate) fn match_labels(node: &Node) -> Option<StringMap> {
    let labels = string_map(node.field("matchLabels"));
    if labels.is_empty() { None } else { Some(labels) }
}
