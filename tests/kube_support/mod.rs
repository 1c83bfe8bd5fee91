//! A Kubernetes API server for the live tests (and `examples/kube_test_server.rs`): HTTPS on
//! loopback with a CA made by rcgen, speaking the discovery and list protocol from fixture objects
//! read from YAML/JSON files.
//!
//! - Discovery, unaggregated: `/api` (APIVersions), `/apis` (APIGroupList), `/api/v1` and
//!   `/apis/<group>/<version>` (APIResourceList, with subresources and kinds ztpath does not read,
//!   as a real server lists them). A group can be left out (a CRD not installed).
//! - Lists: `/api/v1/<resource>`, `/api/v1/namespaces/<ns>/<resource>` and the `/apis/<g>/<v>/…`
//!   forms; `limit` and `continue` (the token names the last key sent, so each page is a range
//!   read of the keyed index); an expired token answered `410` with a `Status` of reason
//!   `Expired` and a new token; items without `apiVersion`/`kind`, as the API server sends them;
//!   metadata-only lists (`Accept: …;as=PartialObjectMetadataList;…`).
//! - A bearer token checked on every request (401 otherwise); 403 `Status` bodies (with
//!   `details.kind` the resource plural) for resources the account may not list; injectable 429
//!   and 5xx answers with `Retry-After`; a path that stalls (never answers).
//! - Every request is logged (method, path, accept) for the tests to check.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The bearer token the server accepts.
pub(crate) const TOKEN: &str = "ztpath-test-token-0123456789";

/// One resource the server serves: group, version, plural, kind, namespaced.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServedResource {
    pub(crate) group: &'static str,
    pub(crate) version: &'static str,
    pub(crate) resource: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) namespaced: bool,
}

const fn r(
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ServedResource {
    ServedResource { group, version, resource, kind, namespaced }
}

/// What the server serves, as a cluster with Gateway API, Istio, Linkerd and the AWS Load
/// Balancer Controller installed would: a kind may be served in several versions (objects are
/// served in each), and some kinds are there that ztpath does not read.
pub(crate) const SERVED: &[ServedResource] = &[
    r("", "v1", "namespaces", "Namespace", false),
    r("", "v1", "nodes", "Node", false),
    r("", "v1", "pods", "Pod", true),
    r("", "v1", "replicationcontrollers", "ReplicationController", true),
    r("", "v1", "services", "Service", true),
    r("", "v1", "serviceaccounts", "ServiceAccount", true),
    r("", "v1", "secrets", "Secret", true),
    r("", "v1", "configmaps", "ConfigMap", true),
    r("", "v1", "endpoints", "Endpoints", true),
    r("apps", "v1", "deployments", "Deployment", true),
    r("apps", "v1", "statefulsets", "StatefulSet", true),
    r("apps", "v1", "daemonsets", "DaemonSet", true),
    r("apps", "v1", "replicasets", "ReplicaSet", true),
    r("apps", "v1", "controllerrevisions", "ControllerRevision", true),
    r("batch", "v1", "jobs", "Job", true),
    r("batch", "v1", "cronjobs", "CronJob", true),
    r("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true),
    r("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
    r("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
    r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
    r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
    r("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true),
    r("networking.k8s.io", "v1", "ingresses", "Ingress", true),
    r("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false),
    r("gateway.networking.k8s.io", "v1", "gateways", "Gateway", true),
    r("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true),
    r("gateway.networking.k8s.io", "v1", "grpcroutes", "GRPCRoute", true),
    r("gateway.networking.k8s.io", "v1", "referencegrants", "ReferenceGrant", true),
    r("gateway.networking.k8s.io", "v1", "backendtlspolicies", "BackendTLSPolicy", true),
    r("gateway.networking.k8s.io", "v1", "gatewayclasses", "GatewayClass", false),
    r("gateway.networking.k8s.io", "v1beta1", "gateways", "Gateway", true),
    r("gateway.networking.k8s.io", "v1beta1", "httproutes", "HTTPRoute", true),
    r("gateway.networking.k8s.io", "v1alpha2", "tlsroutes", "TLSRoute", true),
    r("gateway.networking.k8s.io", "v1alpha2", "tcproutes", "TCPRoute", true),
    r("security.istio.io", "v1", "peerauthentications", "PeerAuthentication", true),
    r("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy", true),
    r("security.istio.io", "v1", "requestauthentications", "RequestAuthentication", true),
    r("security.istio.io", "v1beta1", "peerauthentications", "PeerAuthentication", true),
    r("networking.istio.io", "v1", "destinationrules", "DestinationRule", true),
    r("networking.istio.io", "v1", "gateways", "Gateway", true),
    r("networking.istio.io", "v1", "virtualservices", "VirtualService", true),
    r("networking.istio.io", "v1", "sidecars", "Sidecar", true),
    r("networking.istio.io", "v1", "serviceentries", "ServiceEntry", true),
    r("policy.linkerd.io", "v1beta3", "servers", "Server", true),
    r("policy.linkerd.io", "v1beta3", "httproutes", "HTTPRoute", true),
    r("policy.linkerd.io", "v1beta1", "serverauthorizations", "ServerAuthorization", true),
    r("policy.linkerd.io", "v1beta1", "servers", "Server", true),
    r("policy.linkerd.io", "v1alpha1", "authorizationpolicies", "AuthorizationPolicy", true),
    r("policy.linkerd.io", "v1alpha1", "meshtlsauthentications", "MeshTLSAuthentication", true),
    r("policy.linkerd.io", "v1alpha1", "networkauthentications", "NetworkAuthentication", true),
    r("elbv2.k8s.aws", "v1beta1", "targetgroupbindings", "TargetGroupBinding", true),
];

/// The group a built-in kind is served in today, for objects written with a retired group
/// (`extensions/v1beta1` Deployments and Ingresses, `apps/v1beta2`, …).
fn canonical_group(group: &str, kind: &str) -> Option<&'static str> {
    if let Some(s) = SERVED.iter().find(|s| s.group == group && s.kind == kind) {
        return Some(s.group);
    }
    let legacy = matches!(
        group,
        "" | "extensions" | "apps" | "batch" | "rbac.authorization.k8s.io" | "networking.k8s.io"
    );
    if !legacy {
        return None;
    }
    SERVED
        .iter()
        .find(|s| {
            s.kind == kind
                && matches!(
                    s.group,
                    "" | "apps" | "batch" | "rbac.authorization.k8s.io" | "networking.k8s.io"
                )
        })
        .map(|s| s.group)
}

/// The version a client that tries the group's preferred version first, then the others in
/// the order `/apis` lists them, finds `resource` in.
fn discovered_version(group: &str, resource: &str) -> Option<&'static str> {
    let mut versions: Vec<&'static str> = Vec::new();
    for s in SERVED.iter().filter(|s| s.group == group) {
        if !versions.contains(&s.version) {
            versions.push(s.version);
        }
    }
    versions
        .into_iter()
        .find(|v| SERVED.iter().any(|s| s.group == group && s.version == *v && s.resource == resource))
}

/// An injected answer: requests whose path contains `path_contains` get `code` (with
/// `Retry-After: retry_after`), `times` times.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    pub(crate) path_contains: String,
    pub(crate) code: u16,
    pub(crate) retry_after: Option<u32>,
    pub(crate) times: u32,
}

/// One request as received.
#[derive(Clone, Debug)]
pub(crate) struct Logged {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) accept: String,
}

/// The behaviour of a server, changeable while it runs.
#[derive(Default)]
pub(crate) struct Behaviour {
    /// Groups not installed (`policy.linkerd.io`).
    pub(crate) absent_groups: Vec<String>,
    /// Resources the account may not list: (`secrets`, `Some("payments")`) refuses that
    /// namespace (and so every cluster-wide list of it); `None` refuses it everywhere.
    pub(crate) forbidden: Vec<(String, Option<String>)>,
    /// Injected answers.
    pub(crate) faults: Vec<Fault>,
    /// Requests whose path contains this never get an answer.
    pub(crate) stall: Option<String>,
    /// Requests whose path contains the first text get the second as a 200 answer (a hostile or
    /// broken server).
    pub(crate) garbage: Vec<(String, String)>,
}

/// Objects by resource (group, plural), then by (namespace, name): every list is a range read.
type Index = HashMap<(String, String), BTreeMap<(String, String), Value>>;

struct State {
    index: Index,
    behaviour: Mutex<Behaviour>,
    /// Continue requests (to paths that contain the text) still to be answered 410 Expired.
    expire: Mutex<(String, u32)>,
    log: Mutex<Vec<Logged>>,
    served: AtomicU64,
}

/// A running server; dropped, it stops.
pub(crate) struct KubeServer {
    runtime: Option<tokio::runtime::Runtime>,
    state: Arc<State>,
    pub(crate) port: u16,
    pub(crate) dir: tempfile::TempDir,
    /// A kubeconfig with the CA, the token and the context given to [`KubeServer::start`].
    pub(crate) kubeconfig: PathBuf,
    /// The fixture objects loaded, by kind.
    pub(crate) loaded: BTreeMap<String, usize>,
}

impl Drop for KubeServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl KubeServer {
    /// Starts a server holding `objects`, with a kubeconfig whose context is `context`.
    pub(crate) fn start(objects: Vec<Value>, context: &str) -> KubeServer {
        let (index, loaded) = build_index(objects);
        let state = Arc::new(State {
            index,
            behaviour: Mutex::new(Behaviour::default()),
            expire: Mutex::new((String::new(), 0)),
            log: Mutex::new(Vec::new()),
            served: AtomicU64::new(0),
        });
        let (ca, leaf, key) = certificates();
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ca.pem"), &ca).expect("ca");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(vec![leaf], key)
                .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let serving = Arc::clone(&state);
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                // As Go's net/http (the API server's) does: no Nagle delay on small answers.
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let state = Arc::clone(&serving);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let _ = serve_connection(tls, &state).await;
                });
            }
        });
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            kubeconfig_text(port, &dir.path().join("ca.pem"), context, &format!("token: {TOKEN}")),
        )
        .expect("kubeconfig");
        KubeServer { runtime: Some(runtime), state, port, dir, kubeconfig, loaded }
    }

    /// Changes the server's behaviour.
    pub(crate) fn behave(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.state.behaviour.lock().expect("behaviour"));
    }

    /// The next `n` continue requests to paths that contain `path_contains` are answered 410
    /// Expired.
    pub(crate) fn expire_continues(&self, path_contains: &str, n: u32) {
        *self.state.expire.lock().expect("expire") = (path_contains.to_owned(), n);
    }

    /// The requests received so far (and forgets them).
    pub(crate) fn take_log(&self) -> Vec<Logged> {
        std::mem::take(&mut self.state.log.lock().expect("log"))
    }

    /// The names (`namespace/name`, or `name`) of the objects served as `resource` of `group`.
    pub(crate) fn names(&self, group: &str, resource: &str) -> Vec<String> {
        self.state
            .index
            .get(&(group.to_owned(), resource.to_owned()))
            .map(|m| {
                m.keys()
                    .map(|(ns, name)| if ns.is_empty() { name.clone() } else { format!("{ns}/{name}") })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Writes every object that `scan --kube` lists to its own JSON file under `dir`, whole
    /// (`apiVersion` as discovery picks it, `kind`, the namespace the server placed it in), named
    /// so that path order is the order the live scan reads them in: kind by kind in `kinds`
    /// order (group, plural), each by namespace and name.
    pub(crate) fn write_as_files(&self, kinds: &[(&str, &str)], dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (group, resource) in kinds {
            let Some(objects) = self.state.index.get(&((*group).to_owned(), (*resource).to_owned())) else {
                continue;
            };
            let Some(version) = discovered_version(group, resource) else { continue };
            let served =
                SERVED.iter().find(|s| s.group == *group && s.resource == *resource).expect("served");
            let api_version =
                if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
            for object in objects.values() {
                let mut whole = object.clone();
                whole["apiVersion"] = json!(api_version);
                whole["kind"] = json!(served.kind);
                let file = dir.join(format!("{:06}.json", out.len()));
                std::fs::write(&file, serde_json::to_vec_pretty(&whole).expect("json")).expect("write");
                out.push(file);
            }
        }
        out
    }

    /// A kubeconfig for this server with another token (for the 401 test).
    pub(crate) fn kubeconfig_with_token(&self, token: &str) -> PathBuf {
        self.kubeconfig_with_user("other", &format!("token: {token}"))
    }

    /// A kubeconfig for this server whose user is `user` (the YAML of a kubeconfig `user:`
    /// entry, one line per field), in context `context`.
    pub(crate) fn kubeconfig_with_user(&self, context: &str, user: &str) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{context}"));
        std::fs::write(&path, kubeconfig_text(self.port, &self.dir.path().join("ca.pem"), context, user))
            .expect("kubeconfig");
        path
    }

    /// The server's own temporary directory (its CA and kubeconfigs live there).
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A kubeconfig; `user` is the YAML of the user's fields, one per line.
fn kubeconfig_text(port: u16, ca: &Path, context: &str, user: &str) -> String {
    let user: String = user.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:{port}\n    \
certificate-authority: {ca}\nusers:\n- name: auditor\n  user:\n{user}contexts:\n- name: {context}\n  \
context:\n    cluster: test\n    user: auditor\ncurrent-context: {context}\n",
        ca = ca.display()
    )
}

/// A CA (PEM) and a leaf for 127.0.0.1 and localhost signed by it.
fn certificates() -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, "ztpath test cluster CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("key");
    let ca = params.self_signed(&ca_key).expect("CA");
    let issuer = Issuer::new(params, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    leaf.subject_alt_names.push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    leaf.distinguished_name.push(DnType::CommonName, "kube-apiserver");
    let key = KeyPair::generate().expect("key");
    let cert = leaf.signed_by(&key, &issuer).expect("leaf");
    (ca.pem(), cert.der().clone(), PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())))
}

/// The objects of YAML/JSON files, as the API would hold them: `List`s unwrapped, and only
/// objects with a kind, an apiVersion and a name. Files are read with ztpath's own YAML reader,
/// so the server holds the tree the file scan reads.
pub(crate) fn objects_of_files(files: &[PathBuf]) -> Vec<Value> {
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        for node in ztpath_probes::yaml::parse_documents(&text).into_iter().flatten() {
            push_object(json_of(&node), &mut out, 0);
        }
    }
    out
}

/// Pushes `value` onto `out`, or the items of a `List` (nested up to four deep), as the API
/// holds them.
pub(crate) fn push_object(value: Value, out: &mut Vec<Value>, depth: usize) {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.ends_with("List") && depth < 4 {
        if let Some(Value::Array(items)) = value.get("items") {
            for item in items.clone() {
                push_object(item, out, depth + 1);
            }
        }
        return;
    }
    out.push(value);
}

/// The JSON of a YAML node.
pub(crate) fn json_of(node: &ztpath_probes::yaml::Node) -> Value {
    use ztpath_probes::yaml::Value as Y;
    match &node.value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Int(i) => json!(i),
        Y::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Y::Str(s) => Value::String(s.clone()),
        Y::Seq(items) => Value::Array(items.iter().map(json_of).collect()),
        Y::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.clone(), json_of(v))).collect()),
    }
}

/// The key an object is served under: (group, plural, namespace, name), or `None` when the
/// server does not serve its kind. Namespaced objects without a namespace go to `default`, as
/// `kubectl apply` puts them.
pub(crate) fn served_key(object: &Value) -> Option<(&'static str, &'static str, String, String)> {
    let kind = object.get("kind")?.as_str()?;
    let api_version = object.get("apiVersion")?.as_str()?;
    let group = if api_version.contains('/') { api_version.split('/').next()? } else { "" };
    let group = canonical_group(group, kind)?;
    let served = SERVED.iter().find(|s| s.group == group && s.kind == kind)?;
    let meta = object.get("metadata")?;
    let name = meta.get("name")?.as_str().filter(|n| !n.is_empty())?.to_owned();
    let namespace = if served.namespaced {
        meta.get("namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or("default")
            .to_owned()
    } else {
        String::new()
    };
    Some((served.group, served.resource, namespace, name))
}

fn build_index(objects: Vec<Value>) -> (Index, BTreeMap<String, usize>) {
    let mut index: Index = HashMap::new();
    let mut loaded = BTreeMap::new();
    let mut version = 1000u64;
    for mut object in objects {
        let Some((group, resource, namespace, name)) = served_key(&object) else { continue };
        version += 1;
        let kind = object["kind"].as_str().unwrap_or("").to_owned();
        if let Some(Value::Object(meta)) = object.get_mut("metadata") {
            meta.entry("resourceVersion").or_insert_with(|| Value::String(version.to_string()));
            if !namespace.is_empty() {
                meta.insert("namespace".to_owned(), Value::String(namespace.clone()));
            }
        }
        // As the API server sends list items: without apiVersion and kind.
        if let Value::Object(map) = &mut object {
            map.remove("apiVersion");
            map.remove("kind");
        }
        *loaded.entry(kind).or_insert(0) += 1;
        index.entry((group.to_owned(), resource.to_owned())).or_default().insert((namespace, name), object);
    }
    (index, loaded)
}

/// Serves HTTP/1.1 requests on one connection until it closes.
async fn serve_connection<S>(mut stream: S, state: &State) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buffer = Vec::with_capacity(4096);
    loop {
        let head_end = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                break end;
            }
            if buffer.len() > 64 * 1024 {
                return Ok(());
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_owned();
        let target = first.next().unwrap_or("").to_owned();
        let mut headers = HashMap::new();
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let body_len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut rest = buffer.split_off(head_end + 4);
        while rest.len() < body_len {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        buffer = rest.split_off(body_len);
        let answer = answer(state, &method, &target, &headers).await;
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            answer.code,
            reason_phrase(answer.code),
            answer.body.len()
        );
        if let Some(s) = answer.retry_after {
            out.push_str(&format!("Retry-After: {s}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&answer.body);
        stream.write_all(&bytes).await?;
        stream.flush().await?;
        if headers.get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return Ok(());
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Other",
    }
}

struct Answer {
    code: u16,
    body: Vec<u8>,
    retry_after: Option<u32>,
}

fn ok(value: &Value) -> Answer {
    Answer { code: 200, body: serde_json::to_vec(value).expect("json"), retry_after: None }
}

fn status(
    code: u16,
    reason: &str,
    message: &str,
    extra: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Answer {
    let mut map = serde_json::Map::new();
    map.insert("kind".into(), json!("Status"));
    map.insert("apiVersion".into(), json!("v1"));
    map.insert("metadata".into(), json!({}));
    map.insert("status".into(), json!("Failure"));
    map.insert("message".into(), json!(message));
    map.insert("reason".into(), json!(reason));
    map.insert("code".into(), json!(code));
    extra(&mut map);
    Answer { code, body: serde_json::to_vec(&Value::Object(map)).expect("json"), retry_after: None }
}

async fn answer(state: &State, method: &str, target: &str, headers: &HashMap<String, String>) -> Answer {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = path.to_owned();
    let accept = headers.get("accept").cloned().unwrap_or_default();
    state.log.lock().expect("log").push(Logged {
        method: method.to_owned(),
        path: target.to_owned(),
        accept: accept.clone(),
    });
    state.served.fetch_add(1, Ordering::Relaxed);
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return status(401, "Unauthorized", "Unauthorized", |_| {});
    }
    if method != "GET" {
        return status(405, "MethodNotAllowed", "the test server is read-only", |_| {});
    }
    let stall = state.behaviour.lock().expect("behaviour").stall.clone();
    if stall.is_some_and(|s| path.contains(&s)) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    {
        let mut behaviour = state.behaviour.lock().expect("behaviour");
        if let Some(fault) =
            behaviour.faults.iter_mut().find(|f| f.times > 0 && path.contains(&f.path_contains))
        {
            fault.times -= 1;
            let (code, retry_after) = (fault.code, fault.retry_after);
            let mut a = status(
                code,
                if code == 429 { "TooManyRequests" } else { "ServiceUnavailable" },
                "injected",
                |_| {},
            );
            a.retry_after = retry_after;
            return a;
        }
    }
    let garbage = state
        .behaviour
        .lock()
        .expect("behaviour")
        .garbage
        .iter()
        .find(|(p, _)| path.contains(p.as_str()))
        .map(|(_, b)| b.clone());
    if let Some(body) = garbage {
        return Answer { code: 200, body: body.into_bytes(), retry_after: None };
    }
    let absent = state.behaviour.lock().expect("behaviour").absent_groups.clone();
    let installed = |s: &ServedResource| !absent.iter().any(|g| g == s.group);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api"] => ok(&json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:443"}]})),
        ["apis"] => {
            let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for s in SERVED.iter().filter(|s| !s.group.is_empty() && installed(s)) {
                let versions = groups.entry(s.group).or_default();
                if !versions.contains(&s.version) {
                    versions.push(s.version);
                }
            }
            let groups: Vec<Value> = groups
                .iter()
                .map(|(g, vs)| {
                    let versions: Vec<Value> = vs
                        .iter()
                        .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                        .collect();
                    json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
                })
                .collect();
            ok(&json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
        }
        ["api", "v1"] => resource_list("", "v1"),
        ["apis", group, version]
            if SERVED.iter().any(|s| s.group == *group && s.version == *version && installed(s)) =>
        {
            resource_list(group, version)
        }
        ["api", "v1", resource] => list(&path, state, "", "v1", resource, None, query, &accept),
        ["api", "v1", "namespaces", ns, resource] => {
            list(&path, state, "", "v1", resource, Some(ns), query, &accept)
        }
        ["apis", group, version, resource] if installed_group(&absent, group) => {
            list(&path, state, group, version, resource, None, query, &accept)
        }
        ["apis", group, version, "namespaces", ns, resource] if installed_group(&absent, group) => {
            list(&path, state, group, version, resource, Some(ns), query, &accept)
        }
        _ => status(404, "NotFound", "the server could not find the requested resource", |_| {}),
    }
}

fn installed_group(absent: &[String], group: &str) -> bool {
    !absent.iter().any(|g| g == group)
}

fn resource_list(group: &str, version: &str) -> Answer {
    let gv = if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
    let mut resources = Vec::new();
    for s in SERVED.iter().filter(|s| s.group == group && s.version == version) {
        let singular = s.kind.to_ascii_lowercase();
        resources.push(json!({"name": s.resource, "singularName": singular, "namespaced": s.namespaced,
            "kind": s.kind, "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]}));
        resources.push(
            json!({"name": format!("{}/status", s.resource), "singularName": "", "namespaced": s.namespaced,
            "kind": s.kind, "verbs": ["get", "patch", "update"]}),
        );
        if s.resource == "pods" {
            resources.push(json!({"name": "pods/exec", "singularName": "", "namespaced": true,
                "kind": "PodExecOptions", "verbs": ["create", "get"]}));
        }
    }
    ok(&json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}))
}

fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        // A bad escape is kept as sent (and then fails as a bad token).
        (k == key).then(|| ztpath_probes::iam::percent_decode(v).unwrap_or_else(|| v.to_owned()))
    })
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

/// A continue token: the last key sent, hex-encoded (`ns\0name`).
fn token_of(key: &(String, String)) -> String {
    hex(&format!("{}\u{0}{}", key.0, key.1))
}

#[allow(clippy::too_many_arguments)]
fn list(
    path: &str,
    state: &State,
    group: &str,
    version: &str,
    resource: &str,
    namespace: Option<&str>,
    query: &str,
    accept: &str,
) -> Answer {
    let Some(served) =
        SERVED.iter().find(|s| s.group == group && s.version == version && s.resource == resource)
    else {
        return status(404, "NotFound", "the server could not find the requested resource", |_| {});
    };
    if namespace.is_some() && !served.namespaced {
        return status(404, "NotFound", "the server could not find the requested resource", |_| {});
    }
    let refused = state.behaviour.lock().expect("behaviour").forbidden.iter().any(|(res, ns)| {
        res == resource && (ns.is_none() || namespace.is_none() || ns.as_deref() == namespace)
    });
    if refused {
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_owned(),
        };
        let res = if group.is_empty() { resource.to_owned() } else { format!("{resource}.{group}") };
        let message = format!(
            "{res} is forbidden: User \"system:serviceaccount:audit:ztpath\" cannot list resource \"{resource}\" in API group \"{group}\" {scope}"
        );
        let (group, resource) = (group.to_owned(), resource.to_owned());
        return status(403, "Forbidden", &message, move |m| {
            m.insert("details".into(), json!({"group": group, "kind": resource}));
        });
    }
    let limit: usize =
        query_value(query, "limit").and_then(|l| l.parse().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let after = match query_value(query, "continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            let Some(key) =
                unhex(&token).and_then(|t| t.split_once('\u{0}').map(|(a, b)| (a.to_owned(), b.to_owned())))
            else {
                return status(400, "BadRequest", "invalid continue token", |_| {});
            };
            let expire = {
                let mut expire = state.expire.lock().expect("expire");
                let due = expire.1 > 0 && path.contains(&expire.0);
                if due {
                    expire.1 -= 1;
                }
                due
            };
            if expire {
                let fresh = token.clone();
                return status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                    move |m| {
                        m.insert("metadata".into(), json!({"continue": fresh}));
                    },
                );
            }
            Some(key)
        }
        None => None,
    };
    let empty = BTreeMap::new();
    let objects = state.index.get(&(group.to_owned(), resource.to_owned())).unwrap_or(&empty);
    let lower = match &after {
        Some(key) => Bound::Excluded(key.clone()),
        None => match namespace {
            Some(ns) => Bound::Included((ns.to_owned(), String::new())),
            None => Bound::Unbounded,
        },
    };
    let in_scope = |k: &(String, String)| namespace.is_none_or(|ns| k.0 == ns);
    let mut items = Vec::new();
    let mut last = None;
    let mut more = false;
    for (key, object) in objects.range((lower, Bound::Unbounded)) {
        if !in_scope(key) {
            break;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(object);
        last = Some(key);
    }
    let metadata_only = accept.contains("as=PartialObjectMetadataList");
    let items: Vec<Value> = if metadata_only {
        items
            .into_iter()
            .map(|o| json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]}))
            .collect()
    } else {
        items.into_iter().cloned().collect()
    };
    let mut meta = json!({"resourceVersion": "99999"});
    if more && let Some(key) = last {
        meta["continue"] = json!(token_of(key));
    }
    let (api_version, kind) = if metadata_only {
        ("meta.k8s.io/v1".to_owned(), "PartialObjectMetadataList".to_owned())
    } else {
        (
            if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") },
            format!("{}List", served.kind),
        )
    };
    ok(&json!({"apiVersion": api_version, "kind": kind, "metadata": meta, "items": items}))
}
