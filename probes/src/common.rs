//! Helpers shared by the probe modules: object metadata and selectors, and what a diagnostic
//! may quote.

use std::sync::Arc;

use crate::inventory::{
    Diagnostic, LabelSelector, ObjectMeta, SelectorOperator, SelectorRequirement, Source, StringMap,
};
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

/// The namespace of namespaced objects that carry none, when the scan is given no other.
const DEFAULT_NAMESPACE: &str = "default";

/// Reads `kind`, `apiVersion` and `metadata` of an object; a namespaced object without a namespace
/// gets `default`.
#[cfg(test)]
pub(crate) fn object_meta(node: &Node, file: &Arc<str>) -> ObjectMeta {
    object_meta_in(node, file, None)
}

/// Reads `kind`, `apiVersion` and `metadata` of an object. A namespaced object without a namespace
/// gets `namespace` (the scan's `--namespace`, as `kubectl apply -n` would place it) or, when the
/// scan has none, `default`, and is then marked as placed by default.
pub(crate) fn object_meta_in(node: &Node, file: &Arc<str>, namespace: Option<&str>) -> ObjectMeta {
    let kind = node.field("kind").string().unwrap_or_default();
    let md = node.field("metadata");
    let written = md.field("namespace").string().filter(|s| !s.is_empty());
    let cluster_scoped = CLUSTER_SCOPED.contains(&kind.as_str());
    let namespace_defaulted = !cluster_scoped && written.is_none() && namespace.is_none();
    let namespace = if cluster_scoped {
        None
    } else {
        Some(written.unwrap_or_else(|| namespace.unwrap_or(DEFAULT_NAMESPACE).to_owned()))
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
        namespace_defaulted,
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

/// A `LabelSelector` (`matchLabels` / `matchExpressions`) of the object `meta`. A requirement
/// whose operator is not one of the four the API server accepts selects nothing, and is reported
/// in `diagnostics` (by line, without quoting the operator).
pub(crate) fn label_selector(
    node: &Node,
    meta: &ObjectMeta,
    diagnostics: &mut Vec<Diagnostic>,
) -> LabelSelector {
    LabelSelector {
        match_labels: string_map(node.field("matchLabels")),
        match_expressions: node
            .field("matchExpressions")
            .items()
            .iter()
            .map(|e| {
                let operator = SelectorOperator::parse(&e.field("operator").string().unwrap_or_default());
                if operator == SelectorOperator::Unknown {
                    diagnostics.push(Diagnostic {
                        source: meta.source.at(e.line),
                        reason: format!(
                            "{}: a matchExpressions operator other than In, NotIn, Exists and \
                             DoesNotExist, which the API server refuses; the selector is read as \
                             selecting nothing",
                            meta.kind
                        ),
                    });
                }
                SelectorRequirement {
                    key: e.field("key").string().unwrap_or_default(),
                    operator,
                    values: e.field("values").strings(),
                }
            })
            .collect(),
    }
}

/// `matchLabels` of a selector, `None` when absent or empty.
pub(crate) fn match_labels(node: &Node) -> Option<StringMap> {
    let labels = string_map(node.field("matchLabels"));
    if labels.is_empty() { None } else { Some(labels) }
}

/// Has `word` the shape of a configuration keyword (an nginx directive name, an HAProxy
/// keyword), so that a diagnostic may name it? Diagnostics never quote the content of an input
/// file; a keyword is named only when it cannot be much else:
/// - a lower-case ASCII letter or `_` first, then lower-case letters, digits, `_` and the
///   `separators` given (`-` and `.` for HAProxy);
/// - at most 40 characters and at most 2 digits (`http2_push_preload`, not a hex token);
/// - a word longer than 16 characters is made of shorter ones (it holds a separator).
///
/// Anything else (`API_KEY=…`, a base64 or hex blob, a long run of letters) is not named: the
/// diagnostic says what kind of thing it was instead.
pub(crate) fn keyword_shaped(word: &str, separators: &[u8]) -> bool {
    let b = word.as_bytes();
    let is_sep = |c: &u8| *c == b'_' || separators.contains(c);
    (1..=40).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || is_sep(c))
        && b.iter().filter(|c| c.is_ascii_digit()).count() <= 2
        && (b.len() <= 16 || b.iter().any(is_sep))
}

#[cfg(test)]
mod tests {
    use super::keyword_shaped;

    #[test]
    fn keywords_are_named_and_other_words_are_not() {
        for w in ["listen", "proxy_pass", "ssl_certificate_key", "http2", "large_client_header_buffers", "_x"]
        {
            assert!(keyword_shaped(w, b""), "{w}");
        }
        for w in ["http-request", "tune.ssl.default-dh-param", "use_backend", "h1-case-adjust-bogus-client"] {
            assert!(keyword_shaped(w, b"-."), "{w}");
        }
        for w in [
            "",
            "API_KEY=canary123secret",
            "canary123secret",
            "Listen",
            "ssl_SECRET",
            "1listen",
            "a3f9c2d4e5b6a7c8d9e0f1a2b3c4d5e6",
            "abcdefghijklmnopqrstuvwxyzabcdef",
            "http-request",
            "x".repeat(41).as_str(),
            "pass\u{1b}[2J",
            "caf\u{e9}",
        ] {
            assert!(!keyword_shaped(w, b""), "{w}");
        }
    }
}

/// For unit tests that read `../shared/corpora`: whether `path` exists. When it does not, a note
/// and `false` (the test skips), except under CI (`CI` set to anything but "", "false" or "0"),
/// where a missing corpus fails the test: this panics.
#[cfg(test)]
pub(crate) fn corpus_present(path: &std::path::Path) -> bool {
    corpus_present_in(path, std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0"))
}

#[cfg(test)]
fn corpus_present_in(path: &std::path::Path, ci: bool) -> bool {
    if path.exists() {
        return true;
    }
    assert!(!ci, "corpus {} not found; CI is set, so the test fails instead of skipping", path.display());
    #[allow(clippy::print_stderr, reason = "a test says why it skips, outside CI")]
    {
        eprintln!("skipping: corpus {} not found", path.display());
    }
    false
}

#[cfg(test)]
mod corpus_tests {
    use std::path::Path;

    #[test]
    fn a_missing_corpus_skips_outside_ci_and_fails_under_ci() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let missing = here.join("no-such-corpus");
        assert!(super::corpus_present_in(here, true) && super::corpus_present_in(here, false));
        assert!(!super::corpus_present_in(&missing, false));
        let under_ci = std::panic::catch_unwind(|| super::corpus_present_in(&missing, true));
        assert!(under_ci.is_err(), "a missing corpus under CI must fail the test");
    }
}
