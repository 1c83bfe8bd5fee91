//! From a list item of the API to the located [`Node`] the file reader builds, and the evidence
//! URI of a live object.

use crate::yaml::{Node, Value};

/// A list item read as the file reader reads a JSON document: by the same reader, with its
/// budgets, its depth limit and its typing of scalars, so an object from the API and the same
/// object in a file are the same tree. Objects from the API have no lines: every node is at line
/// 0 ("not known"), and evidence names the object instead. `Err` says why in the reader's words,
/// which never quote the input.
pub(crate) fn item(text: &str) -> Result<Node, String> {
    let mut documents = crate::yaml::parse_documents(text).into_iter();
    match (documents.next(), documents.next()) {
        (Some(Ok(mut node)), None) if node.is_map() => {
            unlocate(&mut node);
            Ok(node)
        }
        (Some(Err(e)), _) => Err(e.reason),
        _ => Err("not one JSON object".to_owned()),
    }
}

/// Every node at line 0. The reader bounds the depth of what it builds, so this recursion is
/// bounded too.
fn unlocate(node: &mut Node) {
    node.line = 0;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(unlocate),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| unlocate(n)),
        _ => {}
    }
}

/// Sets the text field `key` of a mapping node, in place or at its end.
fn set_text(node: &mut Node, key: &str, text: &str) {
    let Value::Map(entries) = &mut node.value else { return };
    let value = Node { line: 0, value: Value::Str(text.to_owned()) };
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => entries.push((key.to_owned(), value)),
    }
}

/// Sets `apiVersion` and `kind` of a list item to those of the resource listed: items of
/// built-in lists carry neither, metadata-only items carry `meta.k8s.io/v1`
/// `PartialObjectMetadata`, and what the resource list says is what the object is.
pub(crate) fn set_type(item: &mut Node, api_version: &str, kind: &str) {
    set_text(item, "apiVersion", api_version);
    set_text(item, "kind", kind);
}

/// A Secret listed metadata-only has no `type`: a service-account token Secret is known by the
/// annotation that names its account, and gets that type back so the reader sees it as one.
pub(crate) fn restore_token_type(item: &mut Node) {
    let annotated = item
        .at(&["metadata", "annotations", "kubernetes.io/service-account.name"])
        .is_some_and(|n| n.as_str().is_some());
    if annotated {
        set_text(item, "type", "kubernetes.io/service-account-token");
    }
}

/// The evidence "file" of a live object:
/// `kube://<context>/<namespace>/<Kind>[.<group>]/<name>?resourceVersion=<N>`, with `_` for the
/// namespace of a cluster-scoped object, and the kind qualified by its API group outside the core
/// group, as kubectl writes it (`Deployment.apps`, `Gateway.networking.istio.io`: Istio and the
/// Gateway API both have a `Gateway`). Each part is percent-encoded outside `[A-Za-z0-9._~:@-]`,
/// so no part can add a `/`, a `?` or a control character.
pub(crate) fn evidence_uri(
    context: &str,
    namespace: Option<&str>,
    (kind, group): (&str, &str),
    name: &str,
    resource_version: Option<&str>,
) -> String {
    let mut uri = String::with_capacity(16 + context.len() + kind.len() + name.len());
    uri.push_str("kube://");
    percent_encode(context, &mut uri);
    uri.push('/');
    match namespace {
        Some(ns) => percent_encode(ns, &mut uri),
        None => uri.push('_'),
    }
    uri.push('/');
    percent_encode(kind, &mut uri);
    if !group.is_empty() {
        uri.push('.');
        percent_encode(group, &mut uri);
    }
    uri.push('/');
    percent_encode(name, &mut uri);
    if let Some(rv) = resource_version {
        uri.push_str("?resourceVersion=");
        percent_encode(rv, &mut uri);
    }
    uri
}

/// The evidence "file" of what concerns the whole cluster (discovery): `kube://<context>`.
pub(crate) fn cluster_uri(context: &str) -> String {
    let mut uri = String::from("kube://");
    percent_encode(context, &mut uri);
    uri
}

/// Appends `part` percent-encoded outside RFC 3986's unreserved characters and `:` and `@`
/// (allowed in a path segment and a query alike): an evidence URI's parts, a `continue` token.
pub(crate) fn percent_encode(part: &str, out: &mut String) {
    use std::fmt::Write as _;
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b':' | b'@' | b'-') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_become_the_readers_tree_at_line_0() {
        let n = item("{\"a\": [1, 2.5, \"x\", true, null],\n \"b\": {\"c\": \"18\"}}").unwrap();
        assert_eq!(n.field("a").items().len(), 5);
        assert_eq!(n.field("a").items()[0].as_i64(), Some(1));
        assert_eq!(n.field("a").items()[2].as_str().as_deref(), Some("x"));
        // A quoted number stays a string, as in a file.
        assert!(matches!(n.at(&["b", "c"]).unwrap().value, Value::Str(_)));
        assert_eq!((n.line, n.field("b").field("c").line), (0, 0));
        assert!(item("[1, 2]").is_err(), "an item is an object");
        assert!(item("{\"a\": ").is_err());
        let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        assert!(item(&format!("{{\"d\": {deep}}}")).is_err(), "the reader's depth limit holds");
    }

    #[test]
    fn evidence_uris_name_the_object_and_cannot_be_bent() {
        assert_eq!(
            evidence_uri("prod", Some("shop"), ("Secret", ""), "db", Some("42")),
            "kube://prod/shop/Secret/db?resourceVersion=42"
        );
        assert_eq!(
            evidence_uri("a/b c", None, ("ClusterRole", "rbac.authorization.k8s.io"), "x?y", None),
            "kube://a%2Fb%20c/_/ClusterRole.rbac.authorization.k8s.io/x%3Fy"
        );
        // Istio's Gateway and the Gateway API's are told apart.
        assert_ne!(
            evidence_uri("c", Some("shop"), ("Gateway", "networking.istio.io"), "public", None),
            evidence_uri("c", Some("shop"), ("Gateway", "gateway.networking.k8s.io"), "public", None)
        );
        assert_eq!(evidence_uri("c", None, ("K", ""), "n\u{1b}[1m", None), "kube://c/_/K/n%1B%5B1m");
    }

    #[test]
    fn metadata_only_token_secrets_get_their_type_back() {
        let mut secret = item(
            r#"{"metadata": {"name": "t", "annotations": {"kubernetes.io/service-account.name": "app"}}}"#,
        )
        .unwrap();
        restore_token_type(&mut secret);
        assert_eq!(secret.field("type").string().as_deref(), Some("kubernetes.io/service-account-token"));
        let mut plain = item(r#"{"metadata": {"name": "p"}}"#).unwrap();
        restore_token_type(&mut plain);
        set_type(&mut plain, "v1", "Secret");
        assert!(plain.get("type").is_none());
        assert_eq!(plain.field("kind").string().as_deref(), Some("Secret"));
    }
}
