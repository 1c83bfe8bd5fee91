//! Reading files and directories into an [`Inventory`].
//!
//! Files are read in parallel and merged in sorted path order, so the Inventory (and everything
//! built from it) is the same on every run. A file or document that cannot be read becomes a
//! [`Diagnostic`]; it never stops the scan.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::common::object_meta;
use crate::model::{Diagnostic, Inventory, Source};
use crate::yaml::{self, Node};
use crate::{aws, config_items, edge, envoy, haproxy, iam, istio, k8s, linkerd, nginx};

/// Files larger than this are reported and skipped.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// Text configuration formats read by their own modules, which see all their files at once
/// (nginx resolves `include`s, so a file included by another is not read twice as a root).
#[derive(Default)]
struct TextConfigs {
    nginx: Vec<PathBuf>,
    haproxy: Vec<PathBuf>,
}

/// Reads every file under the given paths. Directories are walked recursively for `.yaml`,
/// `.yml` and `.json` files (hidden entries skipped); files named explicitly are read whatever
/// their extension.
pub fn read_paths(paths: &[PathBuf]) -> Inventory {
    let mut inventory = Inventory::default();
    let mut files = Vec::new();
    let mut text = TextConfigs::default();
    for path in paths {
        collect(path, true, &mut files, &mut text, &mut inventory);
    }
    files.sort();
    files.dedup();
    let parts: Vec<Inventory> = files.par_iter().map(|f| read_file(f)).collect();
    for part in parts {
        inventory.extend(part);
    }
    for list in [&mut text.nginx, &mut text.haproxy] {
        list.sort();
        list.dedup();
    }
    if !text.nginx.is_empty() {
        let mut part = nginx::read_files(&text.nginx);
        part.objects_read += part.proxies.len();
        inventory.extend(part);
    }
    if !text.haproxy.is_empty() {
        let mut part = haproxy::read_files(&text.haproxy);
        part.objects_read += part.proxies.len();
        inventory.extend(part);
    }
    aws::assemble_aws_proxies(&mut inventory);
    edge::assemble(&mut inventory);
    inventory.iam.dedup();
    inventory
}

fn collect(
    path: &Path,
    explicit: bool,
    files: &mut Vec<PathBuf>,
    text: &mut TextConfigs,
    inventory: &mut Inventory,
) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            inventory.diagnostics.push(Diagnostic {
                source: Source { file: path.display().to_string().into(), line: 0 },
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    if meta.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => {
                inventory.diagnostics.push(Diagnostic {
                    source: Source { file: path.display().to_string().into(), line: 0 },
                    reason: format!("cannot list directory: {e}"),
                });
                return;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            collect(&entry.path(), false, files, text, inventory);
        }
    } else {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if EXTENSIONS.contains(&ext.as_str()) || ext == "csv" {
            files.push(path.to_path_buf());
        } else if haproxy::is_candidate(path, name, &ext, explicit) {
            text.haproxy.push(path.to_path_buf());
        } else if nginx::is_candidate(path, name, &ext, explicit) {
            text.nginx.push(path.to_path_buf());
        } else if explicit {
            files.push(path.to_path_buf());
        }
    }
}

fn read_file(path: &Path) -> Inventory {
    let name: Arc<str> = path.display().to_string().into();
    let fail = |reason: String| {
        let mut inv = Inventory::default();
        inv.diagnostics.push(Diagnostic { source: Source { file: Arc::clone(&name), line: 0 }, reason });
        inv
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return fail(format!("file is larger than {} MiB; skipped", MAX_FILE_BYTES >> 20));
        }
        Err(e) => return fail(format!("cannot read: {e}")),
        Ok(_) => {}
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read: {e}")),
    };
    match String::from_utf8(bytes) {
        Ok(text) => read_text(&name, &text),
        Err(_) => fail("not UTF-8 text; skipped".to_owned()),
    }
}

/// Reads one file's text (YAML, multi-document YAML or JSON) into an Inventory.
pub fn read_text(file: &str, text: &str) -> Inventory {
    let file: Arc<str> = file.into();
    let mut inventory = Inventory { files_read: 1, ..Inventory::default() };
    // CSV: only the IAM credential report is read; other CSV files are not configuration.
    if file.to_ascii_lowercase().ends_with(".csv") {
        if iam::is_credential_report(&file, text) {
            let (rows, diagnostics) = iam::read_credential_report(&file, text);
            inventory.objects_read += rows.len();
            inventory.iam.credential_report.extend(rows);
            inventory.diagnostics.extend(diagnostics);
        }
        return inventory;
    }
    let looks_templated = text.contains("{{");
    for doc in yaml::documents(text, modelled_kind) {
        match doc {
            Ok(doc) => {
                for warning in doc.warnings {
                    let source = Source { file: Arc::clone(&file), line: warning.line };
                    inventory.diagnostics.push(Diagnostic { source, reason: warning.reason });
                }
                read_object(&doc.node, &file, &mut inventory, 0);
            }
            Err(e) => {
                let mut reason = format!("not valid YAML/JSON: {}", e.reason);
                if looks_templated {
                    reason.push_str(
                        " (looks like an unrendered Helm template: render it with `helm template` first)",
                    );
                }
                inventory
                    .diagnostics
                    .push(Diagnostic { source: Source { file: Arc::clone(&file), line: e.line }, reason });
            }
        }
    }
    inventory
}

/// Kinds some probe reads (and `List`s, which hold them). Documents of other kinds are only
/// checked for syntax and counted, never built.
fn modelled_kind(kind: &str) -> bool {
    const KINDS: &[&str] = &[
        // core Kubernetes
        "Namespace",
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
        "Service",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "NetworkPolicy",
        // Istio
        "PeerAuthentication",
        "AuthorizationPolicy",
        "RequestAuthentication",
        "DestinationRule",
        "Gateway",
        "VirtualService",
        // Linkerd
        "Server",
        "ServerAuthorization",
        "MeshTLSAuthentication",
        "NetworkAuthentication",
        // edge: Ingress and Gateway API
        "Ingress",
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "TCPRoute",
        "BackendTLSPolicy",
        "ReferenceGrant",
        // AWS Load Balancer Controller
        "TargetGroupBinding",
    ];
    kind.ends_with("List") || KINDS.contains(&kind)
}

/// Dispatches one object by kind; unwraps `List` and `*List` objects.
fn read_object(node: &Node, file: &Arc<str>, inventory: &mut Inventory, depth: usize) {
    if !node.is_map() {
        // A scalar or sequence document (e.g. a bare JSON array) is not an object.
        *inventory.skipped_kinds.entry("(not an object)".to_owned()).or_default() += 1;
        return;
    }
    let kind = node.field("kind").string().unwrap_or_default();
    if (kind == "List" || kind.ends_with("List")) && node.field("items").is_seq() && depth < 4 {
        for item in node.field("items").items() {
            read_object(item, file, inventory, depth + 1);
        }
        return;
    }
    if kind.is_empty() {
        // Configuration that is not a Kubernetes object: an Envoy bootstrap, an AWS Config item.
        if let Some((rows, diagnostics)) = iam::read_credential_report_json(node, file) {
            // `aws iam get-credential-report` output: the CSV inside `Content`.
            inventory.objects_read += rows.len();
            inventory.iam.credential_report.extend(rows);
            inventory.diagnostics.extend(diagnostics);
        } else if envoy::read_document(node, file, inventory)
            // AWS Config items (ELBv2 and IAM families, in one walk of the envelope), then ELBv2
            // `describe-*` output, then IAM CLI output (GAAD, get-role, access keys, OIDC
            // providers, EKS Pod Identity associations…).
            || config_items::read_document(node, file, inventory)
            || aws::read_describe_output(node, file, inventory)
            || iam::read_document(node, file, inventory)
        {
            inventory.objects_read += 1;
        } else {
            *inventory.skipped_kinds.entry("(no kind)".to_owned()).or_default() += 1;
        }
        return;
    }
    inventory.objects_read += 1;
    let meta = object_meta(node, file);
    let group = meta.api_version.split('/').next().unwrap_or("").to_owned();
    let handled = if edge::handles(&meta) {
        edge::read(node, &meta, inventory)
    } else if group.ends_with("istio.io") {
        istio::read(node, &meta, inventory)
    } else if group.ends_with("linkerd.io") {
        linkerd::read(node, &meta, inventory)
    } else {
        k8s::read(node, &meta, inventory)
    };
    if !handled {
        *inventory.skipped_kinds.entry(kind).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_unwrapped_and_unknown_kinds_counted() {
        let inv = read_text(
            "x.yaml",
            "kind: List\nitems:\n- kind: Widget\n  metadata: {name: a}\n- kind: Widget\n  metadata: {name: b}\n",
        );
        assert_eq!(inv.skipped_kinds.get("Widget"), Some(&2));
    }

    #[test]
    fn iam_documents_and_credential_reports_are_read() {
        let gaad = r#"{"UserDetailList": [{"UserName": "ci", "Arn": "arn:aws:iam::111122223333:user/ci"}],
                       "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
        let inv = read_text("gaad.json", gaad);
        assert_eq!(inv.iam.users.len(), 1);
        assert_eq!(inv.objects_read, 1);
        let csv = "user,arn,user_creation_time,password_enabled,access_key_1_active\nci,arn:aws:iam::111122223333:user/ci,2020-01-01T00:00:00+00:00,false,true\n";
        let inv = read_text("credential_report.csv", csv);
        assert_eq!(inv.iam.credential_report.len(), 1, "{:?}", inv.diagnostics);
        assert!(read_text("other.csv", "a,b\n1,2\n").diagnostics.is_empty(), "other CSV files are not ours");
    }

    #[test]
    fn one_config_envelope_feeds_the_load_balancer_and_iam_readers() {
        let snapshot = r#"{"fileVersion": "1.0", "configSnapshotId": "s", "configurationItems": [
  {"ARN": "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/n/1",
   "resourceType": "AWS::ElasticLoadBalancingV2::LoadBalancer", "configuration": {"type": "network"}},
  {"ARN": "arn:aws:iam::1:role/r", "resourceType": "AWS::IAM::Role",
   "configuration": {"roleName": "r", "arn": "arn:aws:iam::1:role/r"}},
  {"ARN": "arn:aws:s3:::b", "resourceType": "AWS::S3::Bucket", "configuration": {}}
]}"#;
        let inv = read_text("snapshot.json", snapshot);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        assert_eq!((inv.aws_lb_items.len(), inv.iam.roles.len(), inv.objects_read), (1, 1, 1));
        assert_eq!(inv.iam.roles[0].source.line, 4);
        assert!(inv.skipped_kinds.is_empty());
    }

    #[test]
    fn iam_cli_outputs_are_dispatched_and_other_documents_still_skipped() {
        for text in [
            r#"{"AccessKeyMetadata": [{"UserName": "u", "AccessKeyId": "AKIA1", "Status": "Active"}]}"#,
            r#"{"OpenIDConnectProviderList": [{"Arn": "arn:aws:iam::1:oidc-provider/example.com"}]}"#,
            r#"{"Url": "example.com", "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": []}"#,
            r#"{"association": {"clusterName": "c", "namespace": "n", "serviceAccount": "s"}}"#,
            r#"{"associations": [{"clusterName": "c", "namespace": "n", "serviceAccount": "s"}]}"#,
        ] {
            let inv = read_text("out.json", text);
            assert!(inv.diagnostics.is_empty(), "{text}: {:?}", inv.diagnostics);
            assert_eq!((inv.objects_read, inv.iam.is_empty()), (1, false), "{text}");
        }
        for text in [
            r#"{"resourceType": "AWS::S3::Bucket", "arn": "arn:aws:s3:::b", "configuration": {}}"#,
            r#"{"configurationItems": []}"#,
            r#"{"Url": "https://example.com"}"#,
        ] {
            let inv = read_text("other.json", text);
            assert_eq!(inv.skipped_kinds.get("(no kind)"), Some(&1), "{text}");
            assert_eq!(inv.objects_read, 0, "{text}");
        }
    }

    #[test]
    fn broken_documents_are_reported_with_file_and_line() {
        let inv = read_text("bad.yaml", "kind: Widget\n---\nkind: [\n");
        assert_eq!(inv.diagnostics.len(), 1);
        assert_eq!(&*inv.diagnostics[0].source.file, "bad.yaml");
        assert!(inv.diagnostics[0].source.line >= 3);
        assert_eq!(inv.skipped_kinds.get("Widget"), Some(&1));
    }
}
