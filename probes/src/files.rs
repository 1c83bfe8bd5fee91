//! Reading files and directories into an [`Inventory`].
//!
//! Files are read in parallel and merged in sorted path order, so the Inventory (and everything
//! built from it) is the same on every run. A file or document that cannot be read becomes a
//! [`Diagnostic`]; it never stops the scan.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::aws::{self, elb, iam};
use crate::common::object_meta_in;
use crate::confine::{ReadOptions, ReadScope, Refusal, identity};
use crate::inventory::{Diagnostic, Inventory, RawInventory, Source};
use crate::kubernetes::{edge, objects};
use crate::mesh::{istio, linkerd};
use crate::proxy::{envoy, haproxy, nginx};
use crate::yaml::{self, Node};

/// Files larger than this are reported and skipped (the default of [`ReadOptions`]).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// How much of a file is looked at to decide whether it is nginx or HAProxy configuration.
const SNIFF_BYTES: usize = 8 * 1024;

/// A file for the document readers, admitted and typed, not yet read.
struct Found {
    /// The path as shown (the given path joined with the names below it).
    path: PathBuf,
    /// Size as `stat` reports it (what it takes from the scan's byte budget).
    size: u64,
}

/// What a walk found, by reader. nginx and HAProxy see all their files at once (nginx resolves
/// `include`s, so a file included by another is not read twice as a root).
#[derive(Default)]
struct Walk {
    documents: Vec<Found>,
    nginx: Vec<PathBuf>,
    haproxy: Vec<PathBuf>,
    /// Files and directories already seen, by device and inode (links and loops).
    seen: HashSet<(u64, u64)>,
    entries: usize,
}

/// Reads every file under the given paths with the default [`ReadOptions`].
pub fn read_paths(paths: &[PathBuf]) -> Inventory {
    read_paths_with(paths, &ReadOptions::default())
}

/// Reads every file under the given paths. Directories are walked recursively (hidden entries
/// skipped) for `.yaml`, `.yml`, `.json` and `.csv` files, and for nginx and HAProxy files
/// recognised by their content; files named explicitly are read whatever their extension.
/// Nothing outside the given paths is opened (see [`crate::confine`]).
pub fn read_paths_with(paths: &[PathBuf], options: &ReadOptions) -> Inventory {
    crate::finish(read_paths_raw(paths, options))
}

/// Like [`read_paths_with`], leaving the Inventory raw: for a caller that merges it with another
/// source before the [finish step](crate::finish).
///
/// A path `-` stands for standard input ([`STDIN_PATH`]): read once, as YAML or JSON documents,
/// before the files, within the same per-file and scan-wide byte limits, with evidence naming
/// [`STDIN_NAME`]. (A file called `-` is `./-`.)
pub fn read_paths_raw(paths: &[PathBuf], options: &ReadOptions) -> RawInventory {
    let stdin = paths.iter().any(|p| p.as_os_str() == STDIN_PATH);
    let files: Vec<PathBuf> = paths.iter().filter(|p| p.as_os_str() != STDIN_PATH).cloned().collect();
    // Standard input is no root: it must not widen what the scan may open to the working directory.
    let scope = ReadScope::new(&files, options.clone());
    let mut inventory = RawInventory::default();
    if stdin {
        inventory.extend(read_stream_raw(&scope, &mut std::io::stdin().lock(), options));
    }
    let mut walk = Walk::default();
    for path in &files {
        visit(&scope, path, true, 0, &mut walk, &mut inventory);
    }
    let mut documents = std::mem::take(&mut walk.documents);
    documents.sort_by(|a, b| a.path.cmp(&b.path));
    documents.dedup_by(|a, b| a.path == b.path);
    // The byte budget is taken in path order before any file is read, so the same files are read
    // on every run whatever the threads do.
    documents.retain(|f| {
        let fits = scope.reserve(f.size);
        if !fits {
            inventory.diagnostics.push(refused(&f.path, &Refusal::Budget("bytes read")));
        }
        fits
    });
    let namespace = options.default_namespace.as_deref();
    let parts: Vec<RawInventory> =
        documents.par_iter().map(|f| read_file(&scope, &f.path, namespace)).collect();
    let max_objects = scope.limits().max_objects;
    for (found, part) in documents.iter().zip(parts) {
        if inventory.objects_read + part.objects_read > max_objects {
            inventory.diagnostics.push(refused(&found.path, &Refusal::Budget("objects")));
            continue;
        }
        inventory.extend(part);
    }
    for list in [&mut walk.nginx, &mut walk.haproxy] {
        list.sort();
        list.dedup();
    }
    if !walk.nginx.is_empty() {
        let mut part = nginx::read_files(&scope, &walk.nginx);
        part.objects_read += part.proxies.len();
        inventory.extend(part.into());
    }
    if !walk.haproxy.is_empty() {
        let mut part = haproxy::read_files(&scope, &walk.haproxy);
        part.objects_read += part.proxies.len();
        inventory.extend(part.into());
    }
    inventory.input_digest = scope.input_digest();
    inventory
}

/// The path argument that stands for standard input.
pub const STDIN_PATH: &str = "-";

/// The file name that evidence and diagnostics give standard input (`<stdin>:LINE`).
pub const STDIN_NAME: &str = "<stdin>";

/// Reads a stream (standard input) as one file called [`STDIN_NAME`]: at most the per-file limit
/// is read (past it the stream is left unread and nothing of it is used, as with a file that is
/// too large), and what is read is taken from the scan's byte budget.
fn read_stream_raw(scope: &ReadScope, stream: &mut dyn std::io::Read, options: &ReadOptions) -> RawInventory {
    use std::io::Read as _;
    let fail = |reason: String| {
        let mut inv = RawInventory::default();
        inv.diagnostics.push(Diagnostic { source: Source { file: STDIN_NAME.into(), line: 0 }, reason });
        inv
    };
    let limit = scope.limits().max_file_bytes;
    let mut bytes = Vec::new();
    if let Err(e) = stream.take(limit.saturating_add(1)).read_to_end(&mut bytes) {
        return fail(Refusal::Io(e).to_string());
    }
    if bytes.len() as u64 > limit {
        return fail(format!(
            "standard input is larger than {} MiB; stopped reading there, and nothing of it is used",
            limit >> 20
        ));
    }
    if !scope.reserve(bytes.len() as u64) {
        return fail(Refusal::Budget("bytes read").to_string());
    }
    scope.record(STDIN_NAME, &bytes);
    match String::from_utf8(bytes) {
        Ok(text) => read_text_raw(STDIN_NAME, &text, options.default_namespace.as_deref()),
        Err(_) => fail("not UTF-8 text; skipped".to_owned()),
    }
}

/// A diagnostic for a path the scan did not open.
fn refused(path: &Path, refusal: &Refusal) -> Diagnostic {
    Diagnostic {
        source: Source { file: path.display().to_string().into(), line: 0 },
        reason: refusal.to_string(),
    }
}

/// Visits one path: a directory is listed (sorted, so the walk is the same on every run), a file
/// is sorted to its reader. Links are followed only inside the scanned tree (unless the user
/// asked otherwise), each directory and file is visited once, and the walk is bounded.
fn visit(
    scope: &ReadScope,
    path: &Path,
    explicit: bool,
    depth: usize,
    walk: &mut Walk,
    inventory: &mut Inventory,
) {
    let limits = scope.limits();
    walk.entries += 1;
    if walk.entries > limits.max_dir_entries {
        if scope.first_report("directory entries") {
            inventory.diagnostics.push(refused(path, &Refusal::Budget("directory entries")));
        }
        return;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    // Entries found by the walk that no reader wants are not resolved: only what would be read
    // must be inside the tree (and only that gets a diagnostic when it is not).
    let wanted = explicit
        || matches!(ext.as_str(), "yaml" | "yml" | "json" | "csv" | "conf" | "cfg")
        || std::fs::metadata(path).is_ok_and(|m| m.is_dir());
    if !wanted {
        return;
    }
    let canonical = match scope.admit(path) {
        Ok(c) => c,
        Err(Refusal::Missing) if !explicit && is_link => return, // a dangling link
        Err(refusal) => {
            inventory.diagnostics.push(refused(path, &refusal));
            return;
        }
    };
    let meta = match std::fs::metadata(&canonical) {
        Ok(m) => m,
        Err(e) => {
            inventory.diagnostics.push(refused(path, &Refusal::Io(e)));
            return;
        }
    };
    if let Some(id) = identity(&meta)
        && !walk.seen.insert(id)
    {
        // Seen already: a second link to it, or a loop.
        return;
    }
    if meta.is_dir() {
        if depth > limits.max_dir_depth {
            inventory.diagnostics.push(refused(path, &Refusal::Budget("directory depth")));
            return;
        }
        let names = match scope.list_dir(path) {
            Ok(names) => names,
            Err(refusal) => {
                inventory.diagnostics.push(refused(path, &refusal));
                return;
            }
        };
        for name in names {
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            visit(scope, &path.join(name), false, depth + 1, walk, inventory);
        }
        return;
    }
    if !meta.is_file() {
        let Err(refusal) = scope.admit_file(path) else { return };
        inventory.diagnostics.push(refused(path, &refusal));
        return;
    }
    if EXTENSIONS.contains(&ext.as_str()) || ext == "csv" {
        walk.documents.push(Found { path: path.to_path_buf(), size: meta.len() });
        return;
    }
    let prefix = OnceCell::new();
    let sniff = || {
        prefix
            .get_or_init(|| scope.read_prefix(path, SNIFF_BYTES).ok().map(|bytes| sniffed_text(&bytes)))
            .clone()
    };
    if haproxy::is_candidate(name, &ext, explicit, &sniff) {
        walk.haproxy.push(path.to_path_buf());
    } else if nginx::is_candidate(name, &ext, explicit, &sniff) {
        walk.nginx.push(path.to_path_buf());
    } else if explicit {
        walk.documents.push(Found { path: path.to_path_buf(), size: meta.len() });
    }
}

/// The beginning of a file as text, cut at its last line break when it filled the sniff buffer.
fn sniffed_text(bytes: &[u8]) -> String {
    let mut end = bytes.len();
    if bytes.len() == SNIFF_BYTES
        && let Some(cut) = bytes.iter().rposition(|b| *b == b'\n')
    {
        end = cut + 1;
    }
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn read_file(scope: &ReadScope, path: &Path, namespace: Option<&str>) -> RawInventory {
    let name: Arc<str> = path.display().to_string().into();
    let fail = |reason: String| {
        let mut inv = RawInventory::default();
        inv.diagnostics.push(Diagnostic { source: Source { file: Arc::clone(&name), line: 0 }, reason });
        inv
    };
    let bytes = match scope.read(path, true) {
        Ok(b) => b,
        Err(refusal) => return fail(refusal.to_string()),
    };
    match String::from_utf8(bytes) {
        Ok(text) => read_text_raw(&name, &text, namespace),
        Err(_) => fail("not UTF-8 text; skipped".to_owned()),
    }
}

/// Reads one file's text (YAML, multi-document YAML or JSON) into an Inventory; namespaced objects
/// without a namespace get `default`.
pub fn read_text(file: &str, text: &str) -> Inventory {
    read_text_in(file, text, None)
}

/// Like [`read_text`]; namespaced objects without a namespace get `namespace` when it is given
/// (see [`ReadOptions::default_namespace`]).
pub fn read_text_in(file: &str, text: &str, namespace: Option<&str>) -> Inventory {
    crate::finish(read_text_raw(file, text, namespace))
}

/// Like [`read_text_in`], leaving the Inventory raw (items that join across files not joined yet).
pub fn read_text_raw(file: &str, text: &str, namespace: Option<&str>) -> RawInventory {
    let file: Arc<str> = file.into();
    let mut inventory = RawInventory::from(Inventory { files_read: 1, ..Inventory::default() });
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
                read_object(&doc.node, &file, namespace, &mut inventory, 0);
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
pub(crate) fn modelled_kind(kind: &str) -> bool {
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
        // ztpath's own: a recorded live TLS observation
        "TlsObservation",
    ];
    kind.ends_with("List") || KINDS.contains(&kind)
}

/// Dispatches one object by kind; unwraps `List` and `*List` objects. The live Kubernetes reader
/// (`kubernetes::live`) sends every object it lists through here too, so that an object read from
/// the API and the same object read from a file become the same items.
pub(crate) fn read_object(
    node: &Node,
    file: &Arc<str>,
    namespace: Option<&str>,
    inventory: &mut RawInventory,
    depth: usize,
) {
    if !node.is_map() {
        // A scalar or sequence document (e.g. a bare JSON array) is not an object.
        *inventory.skipped_kinds.entry("(not an object)".to_owned()).or_default() += 1;
        return;
    }
    let kind = node.field("kind").string().unwrap_or_default();
    if (kind == "List" || kind.ends_with("List")) && node.field("items").is_seq() && depth < 4 {
        for item in node.field("items").items() {
            read_object(item, file, namespace, inventory, depth + 1);
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
            || aws::read_config_document(node, file, inventory)
            || elb::read_describe_output(node, file, inventory)
            || iam::read_document(node, file, inventory)
        {
            inventory.objects_read += 1;
        } else {
            *inventory.skipped_kinds.entry("(no kind)".to_owned()).or_default() += 1;
        }
        return;
    }
    inventory.objects_read += 1;
    let meta = object_meta_in(node, file, namespace);
    let group = meta.api_version.split('/').next().unwrap_or("").to_owned();
    let handled = if group == "ztpath.dev" && meta.kind == "TlsObservation" {
        crate::wire_record::read(node, &meta, inventory)
    } else if edge::handles(&meta) {
        edge::read(node, &meta, inventory)
    } else if group.ends_with("istio.io") {
        istio::read(node, &meta, inventory)
    } else if group.ends_with("linkerd.io") {
        linkerd::read(node, &meta, inventory)
    } else {
        objects::read(node, &meta, inventory)
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
        let inv = read_text_raw("snapshot.json", snapshot, None);
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
    fn objects_without_a_namespace_get_the_one_given_else_default() {
        let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n\
apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b, namespace: shop}\n---\n\
apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\n";
        let placed = |inv: &Inventory| {
            let mut metas: Vec<_> = inv.service_accounts.iter().map(|s| &s.meta).collect();
            metas.extend(inv.roles.iter().map(|r| &r.meta));
            metas
                .iter()
                .map(|m| (m.name.clone(), m.namespace.clone(), m.namespace_defaulted))
                .collect::<Vec<_>>()
        };
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            placed(&read_text("x.yaml", text)),
            [("a".into(), s("default"), true), ("b".into(), s("shop"), false), ("c".into(), None, false)]
        );
        assert_eq!(
            placed(&read_text_in("x.yaml", text, Some("monitoring"))),
            [("a".into(), s("monitoring"), false), ("b".into(), s("shop"), false), ("c".into(), None, false)]
        );
    }

    #[test]
    fn the_read_options_namespace_reaches_every_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.yaml"),
            "kind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: b}\n",
        )
        .unwrap();
        let options = ReadOptions { default_namespace: Some("monitoring".into()), ..ReadOptions::default() };
        let inv = read_paths_with(&[dir.path().to_path_buf()], &options);
        let got: Vec<&str> = inv.service_accounts.iter().map(|s| s.meta.ns()).collect();
        assert_eq!(got, ["monitoring", "monitoring"]);
        let inv = read_paths(&[dir.path().to_path_buf()]);
        let got: Vec<&str> = inv.service_accounts.iter().map(|s| s.meta.ns()).collect();
        assert_eq!(got, ["default", "default"]);
    }

    #[test]
    fn a_stream_is_read_as_stdin_within_the_file_limit() {
        let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: n}\n";
        let scope = ReadScope::new(&[], ReadOptions::default());
        let inv = read_stream_raw(&scope, &mut text.as_bytes(), &ReadOptions::default());
        assert_eq!(inv.service_accounts.len(), 1);
        assert_eq!(&*inv.service_accounts[0].meta.source.file, STDIN_NAME);
        let small = ReadOptions {
            limits: crate::confine::ReadLimits { max_file_bytes: 10, ..Default::default() },
            ..ReadOptions::default()
        };
        let scope = ReadScope::new(&[], small.clone());
        let inv = read_stream_raw(&scope, &mut text.as_bytes(), &small);
        assert!(inv.service_accounts.is_empty());
        assert_eq!(inv.diagnostics.len(), 1);
        assert!(inv.diagnostics[0].reason.contains("larger than"), "{}", inv.diagnostics[0].reason);
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

#[cfg(test)]
mod limit_tests {
    use super::*;
    use crate::confine::ReadLimits;

    const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: NAME, namespace: n}\n";

    /// A directory of `count` service-account files, `f00.yaml`, `f01.yaml`…
    fn tree(count: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..count {
            std::fs::write(dir.path().join(format!("f{i:02}.yaml")), SA.replace("NAME", &format!("sa{i}")))
                .unwrap();
        }
        dir
    }

    fn read_with(dir: &Path, limits: ReadLimits) -> Inventory {
        read_paths_with(&[dir.to_path_buf()], &ReadOptions { limits, ..ReadOptions::default() })
    }

    fn said(inv: &Inventory) -> Vec<String> {
        inv.diagnostics
            .iter()
            .map(|d| format!("{}: {}", Path::new(&*d.source.file).file_name().unwrap().display(), d.reason))
            .collect()
    }

    #[test]
    fn the_byte_budget_keeps_the_first_files_in_path_order() {
        let dir = tree(5);
        let size = SA.replace("NAME", "sa0").len() as u64;
        let inv = read_with(dir.path(), ReadLimits { max_total_bytes: 3 * size, ..ReadLimits::default() });
        let names: Vec<&str> = inv.service_accounts.iter().map(|s| s.meta.name.as_str()).collect();
        assert_eq!(names, ["sa0", "sa1", "sa2"]);
        assert_eq!(
            said(&inv),
            [
                "f03.yaml: the scan's limit on bytes read is reached; not read",
                "f04.yaml: the scan's limit on bytes read is reached; not read"
            ]
        );
    }

    #[test]
    fn the_object_budget_stops_adding_files() {
        let dir = tree(4);
        let inv = read_with(dir.path(), ReadLimits { max_objects: 2, ..ReadLimits::default() });
        assert_eq!(inv.service_accounts.len(), 2);
        assert_eq!(inv.diagnostics.len(), 2, "{:?}", said(&inv));
        assert!(said(&inv)[0].ends_with("the scan's limit on objects is reached; not read"));
    }

    #[test]
    fn the_walk_is_bounded_in_entries_depth_and_files_opened() {
        let dir = tree(4);
        // The root and two files.
        let inv = read_with(dir.path(), ReadLimits { max_dir_entries: 3, ..ReadLimits::default() });
        assert_eq!(inv.service_accounts.len(), 2);
        assert_eq!(said(&inv), ["f02.yaml: the scan's limit on directory entries is reached; not read"]);

        let inv = read_with(dir.path(), ReadLimits { max_files: 1, ..ReadLimits::default() });
        assert_eq!(inv.service_accounts.len(), 1);
        assert_eq!(inv.diagnostics.len(), 3, "{:?}", said(&inv));
        assert!(said(&inv)[0].ends_with("the scan's limit on files opened is reached; not read"));

        let deep = tempfile::tempdir().unwrap();
        let mut at = deep.path().to_path_buf();
        for i in 0..5 {
            at.push(format!("d{i}"));
        }
        std::fs::create_dir_all(&at).unwrap();
        std::fs::write(at.join("sa.yaml"), SA.replace("NAME", "deep")).unwrap();
        std::fs::write(deep.path().join("d0/sa.yaml"), SA.replace("NAME", "shallow")).unwrap();
        let inv = read_with(deep.path(), ReadLimits { max_dir_depth: 3, ..ReadLimits::default() });
        let names: Vec<&str> = inv.service_accounts.iter().map(|s| s.meta.name.as_str()).collect();
        assert_eq!(names, ["shallow"]);
        assert_eq!(said(&inv), ["d3: the scan's limit on directory depth is reached; not read"]);
    }
}
