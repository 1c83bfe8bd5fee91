//! AWS Config configuration items: unwrapping the envelopes they arrive in.
//!
//! Config hands out items in several wrappings (docs/semantics.md#aws-iam), and the readers of resource
//! families (ELBv2 in [`super::elb`], IAM in [`super::iam`]) all want the same thing out of
//! them: the items themselves. [`items`] walks a document once and returns them; the readers only
//! look at `resourceType` and `configuration`. Accepted wrappings:
//! - one item, in the API shape (`accountId`, `arn`, `version`, `configuration` as a JSON
//!   **string**, relationships with `relationshipName`) or in the delivery shape (`awsAccountId`,
//!   `ARN`, `configurationItemVersion`, `configuration` as an object, relationships with `name`);
//! - a bare array of items (as some tools save them);
//! - `{"configurationItems": [...]}`: GetResourceConfigHistory and the delivered history and
//!   snapshot files;
//! - `{"baseConfigurationItems": [...]}`: BatchGetResourceConfig;
//! - `{"configurationItem": {...}}`: the SNS ConfigurationItemChangeNotification and a Config
//!   rule's `invokingEvent`, the item possibly itself a JSON string; also an `invokingEvent` or an
//!   SNS `Message` (with `"Type": "Notification"`) that is a JSON string holding such a wrapper;
//! - `{"Results": ["{...}", ...]}`: SelectResourceConfig, each result a JSON string.
//!
//! JSON held in a string has no lines of its own in the file: every node parsed from it carries
//! the line of the string.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::inventory::{Diagnostic, Source};
use crate::yaml::{self, Node, Value};

/// Resource-type prefix of the ELBv2 family.
pub(crate) const ELBV2: &str = "AWS::ElasticLoadBalancingV2::";
/// Resource-type prefix of the IAM family.
pub(crate) const IAM: &str = "AWS::IAM::";

/// How deep string-wrapped envelopes (an SNS `Message` holding an `invokingEvent`…) are followed.
const MAX_WRAPPING: usize = 2;

/// The configuration items a document holds, in reading order, keeping those whose
/// `resourceType` starts with one of `families`. Items found in the document are borrowed; items
/// parsed out of JSON strings are owned. Empty for a document that is no Config envelope.
pub(crate) fn items<'a>(node: &'a Node, families: &[&str]) -> Vec<Cow<'a, Node>> {
    let mut out = Vec::new();
    walk(node, families, 0, &mut out);
    out
}

fn walk<'a>(node: &'a Node, families: &[&str], depth: usize, out: &mut Vec<Cow<'a, Node>>) {
    let wanted =
        |item: &Node| is_config_item(item) && families.iter().any(|f| resource_type(item).starts_with(f));
    let mentions = |text: &str| families.iter().any(|f| text.contains(f));
    if node.is_seq() {
        out.extend(node.items().iter().filter(|i| wanted(i)).map(Cow::Borrowed));
        return;
    }
    if !node.is_map() {
        return;
    }
    if is_config_item(node) {
        if wanted(node) {
            out.push(Cow::Borrowed(node));
        }
        return;
    }
    for wrapper in ["configurationItems", "baseConfigurationItems"] {
        if let Some(list) = node.get(wrapper).filter(|l| l.is_seq()) {
            out.extend(list.items().iter().filter(|i| wanted(i)).map(Cow::Borrowed));
            return;
        }
    }
    if let Some(item) = node.get("configurationItem") {
        match str_value(item) {
            Some(text) => {
                if mentions(text)
                    && let Ok(parsed) = parse_embedded(text, item.line)
                    && wanted(&parsed)
                {
                    out.push(Cow::Owned(parsed));
                }
            }
            None if wanted(item) => out.push(Cow::Borrowed(item)),
            None => {}
        }
        return;
    }
    // A Config rule event or an SNS envelope whose payload is a JSON string.
    for (field, marker) in [("invokingEvent", None), ("Message", Some(("Type", "Notification")))] {
        let Some(payload) = node.get(field) else { continue };
        let Some(text) = str_value(payload) else { continue };
        if marker.is_some_and(|(k, v)| node.get(k).and_then(Node::string).as_deref() != Some(v)) {
            continue;
        }
        if depth < MAX_WRAPPING
            && text.contains("configurationItem")
            && let Ok(parsed) = parse_embedded(text, payload.line)
        {
            let mut inner = Vec::new();
            walk(&parsed, families, depth + 1, &mut inner);
            out.extend(inner.into_iter().map(|i| Cow::Owned(i.into_owned())));
        }
        return;
    }
    if let Some(results) = node.get("Results").filter(|r| r.is_seq()) {
        for result in results.items() {
            let Some(text) = str_value(result) else { continue };
            if !mentions(text) {
                continue;
            }
            if let Ok(parsed) = parse_embedded(text, result.line)
                && wanted(&parsed)
            {
                out.push(Cow::Owned(parsed));
            }
        }
    }
}

/// A configuration item in either shape: a `resourceType` of AWS and a configuration, status or
/// ARN. A resource schema (`"resourceType": "string"`) is not one.
pub(crate) fn is_config_item(node: &Node) -> bool {
    node.is_map()
        && resource_type(node).starts_with("AWS::")
        && ["configuration", "configurationItemStatus", "arn", "ARN", "resourceId"]
            .iter()
            .any(|k| node.get(k).is_some())
}

/// The item's `resourceType` (empty when missing).
pub(crate) fn resource_type(node: &Node) -> &str {
    node.get("resourceType").and_then(str_value).unwrap_or("")
}

/// The item's own ARN: `arn` (API shape) or `ARN` (delivery shape).
pub(crate) fn arn(node: &Node) -> Option<String> {
    ["arn", "ARN"].iter().find_map(|k| node.get(k).and_then(Node::string)).filter(|a| !a.is_empty())
}

/// True when the item records a deletion (`ResourceDeleted`, `ResourceDeletedNotRecorded`).
pub(crate) fn is_deleted(node: &Node) -> bool {
    matches!(
        node.get("configurationItemStatus").and_then(str_value),
        Some("ResourceDeleted" | "ResourceDeletedNotRecorded")
    )
}

/// The item's `configuration`: the object as it is, or the JSON a string holds (all its nodes on
/// the string's line). Null when absent or blank; a diagnostic at the string when it is not JSON.
pub(crate) fn configuration<'a>(item: &'a Node, file: &Arc<str>) -> Result<Cow<'a, Node>, Diagnostic> {
    const NULL: Node = Node { line: 0, value: Value::Null };
    let Some(c) = item.get("configuration") else { return Ok(Cow::Owned(NULL)) };
    match str_value(c) {
        Some(text) if text.trim().is_empty() => Ok(Cow::Owned(NULL)),
        Some(text) => parse_embedded(text, c.line).map(Cow::Owned).map_err(|reason| Diagnostic {
            source: Source { file: Arc::clone(file), line: c.line },
            reason: format!("configuration item: embedded JSON is not valid: {reason}"),
        }),
        None => Ok(Cow::Borrowed(c)),
    }
}

/// Parses JSON held in a string; every node gets the string's `line`.
pub(crate) fn parse_embedded(text: &str, line: u32) -> Result<Node, String> {
    match yaml::parse_documents(text).into_iter().next() {
        Some(Ok(mut node)) => {
            relocate(&mut node, line);
            Ok(node)
        }
        Some(Err(e)) => Err(e.reason),
        None => Err("empty".to_owned()),
    }
}

/// The text of a string node (not of numbers or booleans).
pub(crate) fn str_value(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

fn relocate(node: &mut Node, line: u32) {
    node.line = line;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, line)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| relocate(n, line)),
        _ => {}
    }
}

/// Of several items for one resource (same `resourceType` and ARN, or `resourceId` when there
/// is no ARN), keeps the latest (`configurationItemCaptureTime`, then reading order), in the
/// order the resources first appear; then drops the resources whose latest item is a deletion.
pub(crate) fn latest<'n>(items: &[&'n Node]) -> Vec<&'n Node> {
    let key = |i: &Node| {
        let id = arn(i).or_else(|| i.get("resourceId").and_then(Node::string)).unwrap_or_default();
        (resource_type(i).to_owned(), id)
    };
    let time = |i: &Node| i.get("configurationItemCaptureTime").and_then(Node::string);
    let mut kept: Vec<&Node> = Vec::new();
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for &item in items {
        match index.get(&key(item)) {
            Some(&at) => {
                if time(item) >= time(kept[at]) {
                    kept[at] = item;
                }
            }
            None => {
                index.insert(key(item), kept.len());
                kept.push(item);
            }
        }
    }
    kept.retain(|i| !is_deleted(i));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        yaml::parse_documents(text).remove(0).expect("valid")
    }

    fn types(node: &Node, families: &[&str]) -> Vec<String> {
        items(node, families).iter().map(|i| resource_type(i).to_owned()).collect()
    }

    #[test]
    fn every_envelope_yields_its_items() {
        let role = r#"{"arn": "arn:aws:iam::1:role/r", "resourceType": "AWS::IAM::Role", "configuration": {"roleName": "r"}}"#;
        let lb = r#"{"ARN": "arn:x", "resourceType": "AWS::ElasticLoadBalancingV2::LoadBalancer", "configuration": {}}"#;
        let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\\\""));
        let both = [ELBV2, IAM];
        for doc in [
            role.to_owned(),
            format!("[{role}, {lb}]"),
            format!(r#"{{"configurationItems": [{role}, {lb}]}}"#),
            format!(r#"{{"baseConfigurationItems": [{role}, {lb}]}}"#),
            format!(r#"{{"configurationItem": {role}}}"#),
            format!(r#"{{"configurationItem": {}}}"#, quoted(role)),
            format!(r#"{{"invokingEvent": {}}}"#, quoted(&format!(r#"{{"configurationItem": {role}}}"#))),
            format!(
                r#"{{"Type": "Notification", "Message": {}}}"#,
                quoted(&format!(r#"{{"configurationItem": {role}}}"#))
            ),
            format!(
                r#"{{"Results": [{}, {}]}}"#,
                quoted(role),
                quoted(r#"{"resourceType": "AWS::S3::Bucket", "arn": "b"}"#)
            ),
        ] {
            let node = parse(&doc);
            let found = types(&node, &both);
            assert_eq!(found.first().map(String::as_str), Some("AWS::IAM::Role"), "{doc}");
            assert!(types(&node, &[ELBV2]).iter().all(|t| t.starts_with(ELBV2)), "{doc}");
        }
        assert_eq!(types(&parse(&format!("[{role}, {lb}]")), &both).len(), 2);
        assert!(types(&parse(r#"{"resourceType": "string", "arn": "string"}"#), &both).is_empty());
        assert!(
            types(&parse(r#"{"Message": "{\"configurationItem\": {}}"}"#), &both).is_empty(),
            "no SNS Type"
        );
    }

    #[test]
    fn embedded_items_carry_the_line_of_their_string() {
        let node = parse(
            "{\n\"configurationItem\":\n \"{\\\"arn\\\": \\\"a\\\", \\\"resourceType\\\": \\\"AWS::IAM::User\\\", \\\"configuration\\\": {}}\"}",
        );
        let found = items(&node, &[IAM]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 3);
        assert_eq!(found[0].field("configuration").line, 3);
    }

    #[test]
    fn configuration_as_object_string_blank_or_broken() {
        let file: Arc<str> = "f.json".into();
        let item = parse("{\"configuration\": \"{\\\"a\\\": 1}\"}");
        assert_eq!(configuration(&item, &file).expect("parsed").field("a").as_i64(), Some(1));
        let item = parse("{\"configuration\": {\"a\": 1}}");
        assert!(matches!(configuration(&item, &file), Ok(Cow::Borrowed(_))));
        let item = parse("{\"configuration\": \" \"}");
        assert!(configuration(&item, &file).expect("blank").is_null());
        let item = parse("{\n\"configuration\": \"{oops\"}");
        let diag = configuration(&item, &file).expect_err("broken");
        assert_eq!((&*diag.source.file, diag.source.line), ("f.json", 2));
    }

    #[test]
    fn latest_item_per_resource_and_deletions_dropped() {
        let doc = parse(
            r#"[{"arn": "a", "resourceType": "AWS::IAM::Role", "configurationItemCaptureTime": "2024-02-01", "configuration": {"v": 2}},
                {"arn": "a", "resourceType": "AWS::IAM::Role", "configurationItemCaptureTime": "2024-01-01", "configuration": {"v": 1}},
                {"arn": "b", "resourceType": "AWS::IAM::Role", "configurationItemCaptureTime": "2024-01-01", "configuration": {"v": 1}},
                {"arn": "b", "resourceType": "AWS::IAM::Role", "configurationItemCaptureTime": "2024-03-01", "configurationItemStatus": "ResourceDeleted"},
                {"arn": "a", "resourceType": "AWS::IAM::User", "configuration": {"v": 3}}]"#,
        );
        let all: Vec<&Node> = doc.items().iter().collect();
        let kept = latest(&all);
        let got: Vec<_> = kept
            .iter()
            .map(|i| (resource_type(i), i.at(&["configuration", "v"]).and_then(Node::as_i64)))
            .collect();
        assert_eq!(got, [("AWS::IAM::Role", Some(2)), ("AWS::IAM::User", Some(3))]);
    }
}
