//! Policy documents: JSON objects, URL-encoded or plain JSON strings, and lists of documents,
//! all read into one [`PolicyDocument`](crate::inventory::PolicyDocument).

use super::fields::opt;
use super::fields::src;

use crate::inventory::Diagnostic;
use crate::inventory::aws::*;
use crate::yaml::{self, Node, Value};
use std::sync::Arc;

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
pub(super) fn decode_document_text(text: &str) -> Result<Node, String> {
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
pub(super) fn merge_documents(
    docs: Vec<PolicyDocument>,
    file: &Arc<str>,
    line: u32,
) -> Option<PolicyDocument> {
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

pub(super) fn document_from_map(
    node: &Node,
    file: &Arc<str>,
    encoded: bool,
    line: Option<u32>,
) -> PolicyDocument {
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
pub(super) fn one_or_many(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Seq(_) => node.strings(),
        Value::Null => Vec::new(),
        _ => node.string().into_iter().collect(),
    }
}

pub(super) fn read_statement(node: &Node, line: u32) -> Statement {
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
                operator: ConditionOperator::parse(operator),
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
