//! Field helpers every IAM shape shares: sources, and keys matched without regard to ASCII case.

use std::sync::Arc;

use crate::inventory::Source;
use crate::yaml::Node;

/// The source at `line` of `file`.
pub(super) fn src(file: &Arc<str>, line: u32) -> Source {
    Source { file: Arc::clone(file), line }
}

/// The child at `key`, or else the one whose key differs only in ASCII case: the IAM API writes
/// `RoleName`, `AttachedManagedPolicies`, `PolicyArn`; AWS Config writes `roleName`,
/// `attachedManagedPolicies`, `policyArn` (and `ClientIdList` for `ClientIDList`).
pub(super) fn fld<'a>(node: &'a Node, key: &str) -> &'a Node {
    node.get(key)
        .or_else(|| node.entries().iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
        .unwrap_or_else(|| node.field(key))
}

/// The string at `key` (see [`fld`]).
pub(super) fn opt(node: &Node, key: &str) -> Option<String> {
    fld(node, key).string()
}
