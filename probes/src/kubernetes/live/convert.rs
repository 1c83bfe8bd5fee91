//! From the API's JSON to the located [`Node`] the file reader builds, and the evidence URI of a
//! live object.

use crate::yaml::{Node, Value};

/// The node the YAML/JSON reader would give for this JSON value. Objects from the API have no
/// lines: every node is at line 0 ("not known"), and evidence names the object instead.
pub(crate) fn node(value: serde_json::Value) -> Node {
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(items) => Value::Seq(items.into_iter().map(node).collect()),
        serde_json::Value::Object(map) => Value::Map(map.into_iter().map(|(k, v)| (k, node(v))).collect()),
    };
    Node { line: 0, value }
}

/// Sets `apiVersion` and `kind` of a list item to those of the resource listed: items of
/// built-in lists carry neither, metadata-only items carry `meta.k8s.io/v1`
/// `PartialObjectMetadata`, and what the resource list says is what the object is.
pub(crate) fn set_type(item: &mut serde_json::Value, api_version: &str, kind: &str) {
    if let serde_json::Value::Object(map) = item {
        map.insert("apiVersion".to_owned(), serde_json::Value::String(api_version.to_owned()));
        map.insert("kind".to_owned(), serde_json::Value::String(kind.to_owned()));
    }
}

/// A Secret listed metadata-only has no `type`: a service-account token Secret is known by the
/// annotation that names its account, and gets that type back so the reader sees it as one.
pub(crate) fn restore_token_type(item: &mut serde_json::Value) {
    let annotated = item
        .pointer("/metadata/annotations/kubernetes.io~1service-account.name")
        .is_some_and(serde_json::Value::is_string);
    if annotated && let serde_json::Value::Object(map) = item {
        map.insert(
            "type".to_owned(),
            serde_json::Value::String("kubernetes.io/service-account-token".to_owned()),
        );
    }
}

/// The evidence "file" of a live object:
/// `kube://<context>/<namespace>/<Kind>/<name>?resourceVersion=<N>`, with `_` for the namespace
/// of a cluster-scoped object. Each part is percent-encoded outside `[A-Za-z0-9._~:@-]`, so no
/// part can add a `/`, a `?` or a control character.
pub(crate) fn evidence_uri(
    context: &str,
    namespace: Option<&str>,
    kind: &str,
    name: &str,
    resource_version: Option<&str>,
) -> String {
    let mut uri = String::with_capacity(16 + context.len() + kind.len() + name.len());
    uri.push_str("kube://");
    encode(context, &mut uri);
    uri.push('/');
    match namespace {
        Some(ns) => encode(ns, &mut uri),
        None => uri.push('_'),
    }
    uri.push('/');
    encode(kind, &mut uri);
    uri.push('/');
    encode(name, &mut uri);
    if let Some(rv) = resource_version {
        uri.push_str("?resourceVersion=");
        encode(rv, &mut uri);
    }
    uri
}

/// The evidence "file" of what concerns the whole cluster (discovery): `kube://<context>`.
pub(crate) fn cluster_uri(context: &str) -> String {
    let mut uri = String::from("kube://");
    encode(context, &mut uri);
    uri
}

fn encode(part: &str, out: &mut String) {
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
    fn json_becomes_the_readers_tree() {
        let n =
            node(serde_json::json!({"a": [1, 2.5, "x", true, null], "b": {"c": 18446744073709551615u64}}));
        assert_eq!(n.field("a").items().len(), 5);
        assert_eq!(n.field("a").items()[0].as_i64(), Some(1));
        assert_eq!(n.field("a").items()[2].as_str().as_deref(), Some("x"));
        assert!(matches!(n.at(&["b", "c"]).unwrap().value, Value::Float(_)));
        assert_eq!(n.line, 0);
    }

    #[test]
    fn evidence_uris_name_the_object_and_cannot_be_bent() {
        assert_eq!(
            evidence_uri("prod", Some("shop"), "Secret", "db", Some("42")),
            "kube://prod/shop/Secret/db?resourceVersion=42"
        );
        assert_eq!(
            evidence_uri("a/b c", None, "ClusterRole", "x?y", None),
            "kube://a%2Fb%20c/_/ClusterRole/x%3Fy"
        );
        assert_eq!(evidence_uri("c", None, "K", "n\u{1b}[1m", None), "kube://c/_/K/n%1B%5B1m");
    }

    #[test]
    fn metadata_only_token_secrets_get_their_type_back() {
        let mut item = serde_json::json!({"metadata": {"name": "t", "annotations": {"kubernetes.io/service-account.name": "app"}}});
        restore_token_type(&mut item);
        assert_eq!(item["type"], "kubernetes.io/service-account-token");
        let mut plain = serde_json::json!({"metadata": {"name": "p"}});
        restore_token_type(&mut plain);
        assert!(plain.get("type").is_none());
    }
}
