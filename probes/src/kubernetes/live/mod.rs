//! Reading a live Kubernetes cluster through its API (`ztpath scan --kube`) into the same
//! [`RawInventory`] the file readers fill.
//!
//! - Credentials as kubectl finds them, through kube-rs: `--kubeconfig` (else `KUBECONFIG`, else
//!   `~/.kube/config`), its current context or `--context`, else the in-cluster service account;
//!   token, client-certificate and exec users as kube-rs supports them; TLS by rustls on ring.
//! - Discovery through the API (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`) of the
//!   kinds the file readers read ([`WANTED`]); a kind whose group is not served (a CRD not
//!   installed) is absent, said once in one diagnostic.
//! - Each kind is listed with `limit`/`continue` pages, cluster-wide or in each `--kube-namespace`;
//!   a `410 Gone` on a continue token restarts that list (at most [`MAX_RESTARTS`] times), a 403
//!   makes one diagnostic naming the permission that is missing and an [`UnreadKind`], and the
//!   scan goes on. Lists run [`KubeOptions::concurrency`] at a time, each request within
//!   [`KubeOptions::request_timeout`], all within [`KubeOptions::deadline`]; 429 and 5xx answers
//!   and failed connections are retried [`KubeOptions::retries`] times with exponential backoff
//!   (a `Retry-After` is honoured up to [`MAX_RETRY_AFTER`]).
//! - Each page is converted as it arrives: every item becomes the [`Node`](crate::yaml::Node) the
//!   file reader would build ([`convert`]) and goes through the same per-object reader as a file's
//!   documents (`files::read_object`), with the evidence "file"
//!   `kube://<context>/<namespace>/<Kind>/<name>?resourceVersion=<N>` (`_` for the namespace of a
//!   cluster-scoped object). Secret values are fingerprinted by that reader and never kept; with
//!   [`SecretsMode::Metadata`] Secrets are listed metadata-only (no value leaves the API server).
//! - Only `get` and `list` requests are sent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::inventory::{Diagnostic, RawInventory, Source, UnreadKind};

pub(crate) mod convert;

/// How many times a list whose continue token expired (410 Gone) is started again.
pub const MAX_RESTARTS: u32 = 2;
/// The longest `Retry-After` that is waited for; a longer one waits this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The largest response body read. A page over it is asked for again with half the `limit`
/// (down to one object), so large Secrets or ConfigMaps make pages smaller, not lists unread.
pub const MAX_BODY_BYTES: usize = 64 << 20;

const METADATA_ACCEPT: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// A kind the readers read: its API group (`""` for core), resource (plural) and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WantedKind {
    /// API group, `""` for the core group.
    pub group: &'static str,
    /// Resource name (plural), as in RBAC rules and URLs.
    pub resource: &'static str,
    /// Kind.
    pub kind: &'static str,
}

const fn w(group: &'static str, resource: &'static str, kind: &'static str) -> WantedKind {
    WantedKind { group, resource, kind }
}

/// Every kind `scan --kube` lists: those the file readers model (`files::modelled_kind`) that a
/// cluster serves. docs/kube-clusterrole.yaml grants exactly these.
pub const WANTED: &[WantedKind] = &[
    w("", "namespaces", "Namespace"),
    w("", "pods", "Pod"),
    w("", "replicationcontrollers", "ReplicationController"),
    w("", "services", "Service"),
    w("", "serviceaccounts", "ServiceAccount"),
    w("", "secrets", "Secret"),
    w("", "configmaps", "ConfigMap"),
    w("apps", "deployments", "Deployment"),
    w("apps", "statefulsets", "StatefulSet"),
    w("apps", "daemonsets", "DaemonSet"),
    w("apps", "replicasets", "ReplicaSet"),
    w("batch", "jobs", "Job"),
    w("batch", "cronjobs", "CronJob"),
    w("rbac.authorization.k8s.io", "roles", "Role"),
    w("rbac.authorization.k8s.io", "clusterroles", "ClusterRole"),
    w("rbac.authorization.k8s.io", "rolebindings", "RoleBinding"),
    w("rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding"),
    w("networking.k8s.io", "networkpolicies", "NetworkPolicy"),
    w("networking.k8s.io", "ingresses", "Ingress"),
    w("gateway.networking.k8s.io", "gateways", "Gateway"),
    w("gateway.networking.k8s.io", "httproutes", "HTTPRoute"),
    w("gateway.networking.k8s.io", "grpcroutes", "GRPCRoute"),
    w("gateway.networking.k8s.io", "tlsroutes", "TLSRoute"),
    w("gateway.networking.k8s.io", "tcproutes", "TCPRoute"),
    w("gateway.networking.k8s.io", "backendtlspolicies", "BackendTLSPolicy"),
    w("gateway.networking.k8s.io", "referencegrants", "ReferenceGrant"),
    w("security.istio.io", "peerauthentications", "PeerAuthentication"),
    w("security.istio.io", "authorizationpolicies", "AuthorizationPolicy"),
    w("security.istio.io", "requestauthentications", "RequestAuthentication"),
    w("networking.istio.io", "destinationrules", "DestinationRule"),
    w("networking.istio.io", "gateways", "Gateway"),
    w("networking.istio.io", "virtualservices", "VirtualService"),
    w("policy.linkerd.io", "servers", "Server"),
    w("policy.linkerd.io", "serverauthorizations", "ServerAuthorization"),
    w("policy.linkerd.io", "authorizationpolicies", "AuthorizationPolicy"),
    w("policy.linkerd.io", "meshtlsauthentications", "MeshTLSAuthentication"),
    w("policy.linkerd.io", "networkauthentications", "NetworkAuthentication"),
    w("elbv2.k8s.aws", "targetgroupbindings", "TargetGroupBinding"),
];

/// How Secrets are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecretsMode {
    /// Whole objects: values are fingerprinted as they are read, and never kept.
    #[default]
    Values,
    /// Metadata only (`PartialObjectMetadataList`): no value leaves the API server, so reuse of
    /// Secret values cannot be detected.
    Metadata,
}

/// What is reported while the cluster is read (the CLI draws it on stderr).
pub trait Progress: Send + Sync {
    /// The number of lists to be read is known.
    fn planned(&self, lists: usize);
    /// One list is done (read, refused or failed), with the objects it gave.
    fn listed(&self, kind: &str, namespace: Option<&str>, objects: usize);
}

/// Options of [`read_cluster`].
#[derive(Clone)]
pub struct KubeOptions {
    /// A kubeconfig file (default: `KUBECONFIG`, else `~/.kube/config`, else in-cluster).
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    pub context: Option<String>,
    /// Namespaces to read namespaced kinds in (empty: all namespaces).
    pub namespaces: Vec<String>,
    /// How Secrets are read.
    pub secrets: SecretsMode,
    /// Time allowed for the whole read.
    pub deadline: Duration,
    /// Time allowed for one request (connect, send, and read the answer).
    pub request_timeout: Duration,
    /// Objects asked for per page (`limit`).
    pub page_size: u32,
    /// Lists read at once.
    pub concurrency: usize,
    /// Retries of one request after a 429, a 5xx or a failed connection.
    pub retries: u32,
    /// Objects read from the cluster at most (as the file readers' `max_objects`): past it, the
    /// lists still running stop and are reported unread.
    pub max_objects: usize,
    /// Bytes of list answers read at most (as the file readers' `max_total_bytes`).
    pub max_bytes: u64,
    /// The longest answer read ([`MAX_BODY_BYTES`]); a page over it is asked for again smaller.
    pub max_answer_bytes: usize,
    /// Progress reports.
    pub progress: Option<Arc<dyn Progress>>,
}

impl Default for KubeOptions {
    fn default() -> Self {
        KubeOptions {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            secrets: SecretsMode::Values,
            deadline: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            page_size: 500,
            concurrency: 4,
            retries: 4,
            max_objects: 5_000_000,
            max_bytes: 4 << 30,
            max_answer_bytes: MAX_BODY_BYTES,
            progress: None,
        }
    }
}

/// What [`read_cluster`] read.
#[derive(Debug, Default)]
pub struct KubeRead {
    /// The objects read, with diagnostics and [`UnreadKind`]s.
    pub inventory: RawInventory,
    /// The context read (`in-cluster` for the pod's own account).
    pub context: String,
    /// Lists read (kinds × namespaces).
    pub lists: usize,
}

/// Why nothing could be read.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// No usable configuration or credentials.
    #[error("cannot configure the Kubernetes client: {0}")]
    Config(String),
    /// The API server could not be reached, or refused discovery.
    #[error("cannot discover the cluster's API: {0}")]
    Discovery(String),
    /// The deadline passed before discovery was done.
    #[error("the deadline of {0} s passed before the cluster's API was discovered")]
    Deadline(u64),
}

/// Reads the cluster (see the module documentation). Blocks; runs its own tokio runtime.
pub fn read_cluster(options: &KubeOptions) -> Result<KubeRead, KubeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| KubeError::Config(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(read_cluster_async(options))
}

async fn read_cluster_async(options: &KubeOptions) -> Result<KubeRead, KubeError> {
    let started = Instant::now();
    let deadline = started + options.deadline;
    let (config, context) = configure(options).await?;
    let client = kube::Client::try_from(config).map_err(|e| KubeError::Config(safe_error(&e)))?;
    // One client and one set of budgets for discovery and every list.
    let api = Arc::new(Api::new(client, options.clone(), deadline));
    let discovered = match tokio::time::timeout_at(deadline, discover(&api)).await {
        Ok(found) => found?,
        Err(_) => return Err(KubeError::Deadline(options.deadline.as_secs())),
    };
    let mut inventory = RawInventory::default();
    let cluster = Arc::<str>::from(convert::cluster_uri(&context));
    let note = |inventory: &mut RawInventory, reason: String| {
        inventory
            .diagnostics
            .push(Diagnostic { source: Source { file: Arc::clone(&cluster), line: 0 }, reason });
    };
    if !discovered.absent.is_empty() {
        note(
            &mut inventory,
            format!(
                "not installed in the cluster, so not read (not an error): {}",
                discovered.absent.iter().map(kind_name).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    for (wanted, reason) in &discovered.undiscovered {
        note(&mut inventory, format!("{} not read: {reason}", kind_name(wanted)));
        inventory.unread_kinds.push(UnreadKind {
            kind: wanted.kind.to_owned(),
            group: wanted.group.to_owned(),
            namespace: None,
            reason: reason.clone(),
        });
    }
    if options.secrets == SecretsMode::Metadata && discovered.found.iter().any(|f| f.wanted.kind == "Secret")
    {
        note(
            &mut inventory,
            "Secrets read metadata-only (--kube-secrets metadata): no value was read, so reuse detection of \
Secret values is off"
                .to_owned(),
        );
        inventory.unread_kinds.push(UnreadKind {
            kind: "Secret".to_owned(),
            group: String::new(),
            namespace: None,
            reason: "values not read (--kube-secrets metadata): reuse detection of Secret values is off"
                .to_owned(),
        });
    }
    let mut jobs = Vec::new();
    // Each namespace once, however often it was given.
    let namespaces: BTreeSet<&String> = options.namespaces.iter().collect();
    for found in &discovered.found {
        if found.namespaced && !namespaces.is_empty() {
            for &ns in &namespaces {
                jobs.push(ListJob { found: found.clone(), namespace: Some(ns.clone()) });
            }
        } else {
            jobs.push(ListJob { found: found.clone(), namespace: None });
        }
    }
    if let Some(p) = &options.progress {
        p.planned(jobs.len());
    }
    let lists = jobs.len();
    let outcomes = run_lists(&api, &context, jobs).await;
    for outcome in outcomes {
        inventory.extend(outcome.part);
        if let Some(reason) = outcome.diagnostic {
            note(&mut inventory, reason);
        }
        inventory.unread_kinds.extend(outcome.unread);
    }
    inventory.unread_kinds.sort();
    inventory.unread_kinds.dedup();
    Ok(KubeRead { inventory, context, lists })
}

/// What the user is told when the kubeconfig's user gave no credentials.
const NO_CREDENTIALS: &str = "the kubeconfig user's credentials could not be obtained (its token, token file, \
client certificate or exec plugin failed; what the plugin printed is not shown, as it may hold a token)";

/// A kube-rs error in words of our own where its text could carry a credential or the
/// kubeconfig's content: an exec plugin's failure is shown by kube-rs with everything the plugin
/// printed (a token, perhaps) and its environment, and a YAML error quotes the text it could not
/// read. Other errors keep the text of the first I/O error on their chain (a refused connection,
/// a certificate rustls did not accept), which holds neither.
fn safe_error(e: &(dyn std::error::Error + 'static)) -> String {
    use kube::config::{InferConfigError, KubeconfigError};
    let mut inferred = false;
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<kube::client::AuthError>() {
            return NO_CREDENTIALS.to_owned();
        }
        if err.is::<InferConfigError>() {
            inferred = true;
        }
        if let Some(k) = err.downcast_ref::<KubeconfigError>() {
            let said = match k {
                KubeconfigError::Parse(_) => {
                    "the kubeconfig is not valid YAML (its text is not shown: it holds credentials)"
                        .to_owned()
                }
                KubeconfigError::ReadConfig(io, _) => {
                    format!("the kubeconfig could not be read ({})", io.kind())
                }
                KubeconfigError::LoadContext(_) | KubeconfigError::LoadClusterOfContext(_) => {
                    "the context, or its cluster or user, is not in the kubeconfig".to_owned()
                }
                KubeconfigError::CurrentContextNotSet => {
                    "the kubeconfig sets no current context (give --context)".to_owned()
                }
                KubeconfigError::FindPath => "no kubeconfig found (KUBECONFIG, ~/.kube/config)".to_owned(),
                KubeconfigError::LoadCertificateAuthority(_) | KubeconfigError::ParseCertificates(_) => {
                    "the kubeconfig's certificate authority could not be loaded".to_owned()
                }
                KubeconfigError::LoadClientCertificate(_) | KubeconfigError::LoadClientKey(_) => {
                    "the kubeconfig user's client certificate or key could not be loaded".to_owned()
                }
                _ => "the kubeconfig could not be used".to_owned(),
            };
            return if inferred { format!("not in a pod, and {said}") } else { said };
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref()
                && inner.is::<kube::client::AuthError>()
            {
                return NO_CREDENTIALS.to_owned();
            }
            return format!("connection failed: {io}");
        }
        cur = err.source();
    }
    if inferred {
        return "no kubeconfig and no in-cluster service account could be used".to_owned();
    }
    "the request failed (its error text is not shown)".to_owned()
}

/// A request the client could not make, as a [`Failure`]: credentials that could not be obtained
/// are not retried, anything else is a transport failure (in [`safe_error`]'s words).
fn client_failure(e: &(dyn std::error::Error + 'static)) -> Failure {
    let said = safe_error(e);
    if said == NO_CREDENTIALS { Failure::Credentials } else { Failure::Transport(said) }
}

fn kind_name(w: &WantedKind) -> String {
    if w.group.is_empty() { w.kind.to_owned() } else { format!("{} ({})", w.kind, w.group) }
}

/// The client configuration and the name of the context it came from.
async fn configure(options: &KubeOptions) -> Result<(kube::Config, String), KubeError> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let chosen = KubeConfigOptions { context: options.context.clone(), ..KubeConfigOptions::default() };
    let fail = |e: &(dyn std::error::Error + 'static)| KubeError::Config(safe_error(e));
    let (mut config, context) = if let Some(path) = &options.kubeconfig {
        let file = Kubeconfig::read_from(path).map_err(|e| fail(&e))?;
        let name = options.context.clone().or_else(|| file.current_context.clone()).unwrap_or_default();
        (kube::Config::from_custom_kubeconfig(file, &chosen).await.map_err(|e| fail(&e))?, name)
    } else if let Some(context) = &options.context {
        (kube::Config::from_kubeconfig(&chosen).await.map_err(|e| fail(&e))?, context.clone())
    } else {
        let config = kube::Config::infer().await.map_err(|e| fail(&e))?;
        let name =
            Kubeconfig::read().ok().and_then(|k| k.current_context).unwrap_or_else(|| "in-cluster".into());
        (config, name)
    };
    config.connect_timeout = Some(options.request_timeout);
    config.read_timeout = Some(options.request_timeout);
    config.write_timeout = Some(options.request_timeout);
    // Retries are ours (bounded, within the deadline, honouring Retry-After): kube-rs's own retry
    // layer would retry 429/503/504 again under each of them.
    config.default_retry = false;
    Ok((config, if context.is_empty() { "default".to_owned() } else { context }))
}

/// The client and what bounds its requests.
struct Api {
    client: kube::Client,
    options: KubeOptions,
    deadline: Instant,
    /// Objects and bytes read so far, by every list (the scan-wide budgets).
    objects: std::sync::atomic::AtomicUsize,
    bytes: std::sync::atomic::AtomicU64,
}

impl Api {
    fn new(client: kube::Client, options: KubeOptions, deadline: Instant) -> Api {
        Api { client, options, deadline, objects: 0.into(), bytes: 0.into() }
    }

    /// Counts a page into the budgets; `Err(reason)` when the page takes the scan past one.
    fn charge(&self, objects: usize, bytes: usize) -> Result<(), String> {
        use std::sync::atomic::Ordering::Relaxed;
        let total_objects = self.objects.fetch_add(objects, Relaxed) + objects;
        let total_bytes = self.bytes.fetch_add(bytes as u64, Relaxed) + bytes as u64;
        if total_objects > self.options.max_objects {
            return Err(format!("the scan's budget of {} objects was reached", self.options.max_objects));
        }
        if total_bytes > self.options.max_bytes {
            return Err(format!(
                "the scan's budget of {} bytes read from the API was reached",
                self.options.max_bytes
            ));
        }
        Ok(())
    }
}

/// An answer that is not a success.
#[derive(Debug)]
enum Failure {
    /// An HTTP status with the Status body's `reason` and, on a 410, its new continue token.
    Status { code: u16, reason: Option<String>, next: Option<String> },
    /// No answer in time, a broken connection, or a body that could not be read.
    Transport(String),
    /// The kubeconfig user's credentials could not be obtained (an exec plugin failed, a token
    /// file is missing): asking again would only run the plugin again.
    Credentials,
    /// The total deadline passed.
    Deadline,
    /// The answer was longer than [`MAX_BODY_BYTES`].
    TooLarge,
}

impl Failure {
    fn describe(&self) -> String {
        match self {
            Failure::Status { code, reason, .. } => match reason {
                Some(r) if is_word(r) => format!("HTTP {code} {r}"),
                _ => format!("HTTP {code}"),
            },
            Failure::Transport(e) => e.clone(),
            Failure::Credentials => NO_CREDENTIALS.to_owned(),
            Failure::Deadline => "the deadline passed".to_owned(),
            Failure::TooLarge => "an answer over the size read (one object alone is larger)".to_owned(),
        }
    }
}

/// A Status `reason` is a CamelCase word (`Forbidden`, `Expired`); anything else is not repeated.
fn is_word(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

#[derive(Deserialize)]
struct StatusBody {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    metadata: Option<ListMeta>,
}

#[derive(Deserialize, Default)]
struct ListMeta {
    #[serde(default, rename = "continue")]
    next: Option<String>,
}

impl Api {
    /// GETs `path` and reads the body, retrying 429, 5xx and transport failures with backoff.
    async fn get(&self, path: &str, accept: &str) -> Result<Vec<u8>, Failure> {
        let mut attempt = 0u32;
        loop {
            let wait = match self.get_once(path, accept).await {
                Ok(body) => return Ok(body),
                Err((failure, retry_after)) => {
                    let retryable = match &failure {
                        Failure::Status { code, .. } => *code == 429 || (500..600).contains(code),
                        Failure::Transport(_) => true,
                        Failure::Credentials | Failure::Deadline | Failure::TooLarge => false,
                    };
                    if !retryable || attempt >= self.options.retries {
                        return Err(failure);
                    }
                    let backoff = Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)));
                    retry_after.map_or(backoff, |r| r.min(MAX_RETRY_AFTER))
                }
            };
            attempt += 1;
            if Instant::now() + wait >= self.deadline {
                return Err(Failure::Deadline);
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn get_once(&self, path: &str, accept: &str) -> Result<Vec<u8>, (Failure, Option<Duration>)> {
        use http_body_util::BodyExt as _;
        let request = http::Request::get(path)
            .header(http::header::ACCEPT, accept)
            .body(kube::client::Body::empty())
            .map_err(|e| (Failure::Transport(format!("bad request: {e}")), None))?;
        let timeout = self.options.request_timeout;
        let until = (Instant::now() + timeout).min(self.deadline);
        let attempt = async {
            let response = self.client.send(request).await.map_err(|e| (client_failure(&e), None))?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = match http_body_util::Limited::new(response.into_body(), self.options.max_answer_bytes)
                .collect()
                .await
            {
                Ok(collected) => collected.to_bytes().to_vec(),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    return Err((Failure::TooLarge, None));
                }
                Err(e) => return Err((Failure::Transport(format!("reading the answer failed: {e}")), None)),
            };
            if status.is_success() {
                return Ok(body);
            }
            let parsed: Option<StatusBody> = serde_json::from_slice(&body).ok();
            let (reason, next) = match parsed {
                Some(s) => (s.reason, s.metadata.and_then(|m| m.next).filter(|t| !t.is_empty())),
                None => (None, None),
            };
            Err((Failure::Status { code: status.as_u16(), reason, next }, retry_after))
        };
        match tokio::time::timeout_at(until, attempt).await {
            Ok(result) => result,
            Err(_) if until >= self.deadline => Err((Failure::Deadline, None)),
            Err(_) => {
                Err((Failure::Transport(format!("no answer within {} s", timeout.as_secs_f32())), None))
            }
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let body = self.get(path, "application/json").await?;
        serde_json::from_slice(&body).map_err(|e| Failure::Transport(json_error(&e)))
    }
}

/// A kind found by discovery.
#[derive(Clone, Debug)]
struct Found {
    wanted: WantedKind,
    /// `v1`, `apps/v1`, …
    group_version: String,
    namespaced: bool,
}

#[derive(Default)]
struct Discovered {
    found: Vec<Found>,
    /// Wanted kinds the cluster does not serve.
    absent: Vec<WantedKind>,
    /// Wanted kinds whose discovery failed (403 or other), with why.
    undiscovered: Vec<(WantedKind, String)>,
}

#[derive(Deserialize)]
struct ApiVersions {
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    #[serde(default)]
    versions: Vec<GroupVersion>,
    #[serde(default, rename = "preferredVersion")]
    preferred: Option<GroupVersion>,
}

#[derive(Deserialize, Clone)]
struct GroupVersion {
    #[serde(rename = "groupVersion")]
    group_version: String,
}

#[derive(Deserialize)]
struct ResourceList {
    #[serde(default)]
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    name: String,
    #[serde(default)]
    namespaced: bool,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    verbs: Vec<String>,
}

/// Unaggregated discovery of the wanted groups only: `/api`, `/apis`, then one resource list per
/// group-version of a wanted group (preferred version first).
async fn discover(api: &Api) -> Result<Discovered, KubeError> {
    let fatal = |f: &Failure| KubeError::Discovery(f.describe());
    let core: ApiVersions = api.get_json("/api").await.map_err(|f| fatal(&f))?;
    let groups: GroupList = api.get_json("/apis").await.map_err(|f| fatal(&f))?;
    let mut versions_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    if core.versions.iter().any(|v| v == "v1") {
        versions_of.insert("", vec!["v1".to_owned()]);
    }
    let wanted_groups: BTreeSet<&str> = WANTED.iter().map(|w| w.group).collect();
    for group in &groups.groups {
        let Some(&name) = wanted_groups.get(group.name.as_str()) else { continue };
        let mut list: Vec<String> = group.preferred.iter().map(|p| p.group_version.clone()).collect();
        for v in &group.versions {
            if !list.contains(&v.group_version) {
                list.push(v.group_version.clone());
            }
        }
        versions_of.insert(name, list);
    }
    let mut out = Discovered::default();
    for (group, versions) in &versions_of {
        let mut pending: Vec<WantedKind> = WANTED.iter().filter(|w| w.group == *group).copied().collect();
        let mut failed: Option<String> = None;
        for gv in versions {
            if pending.is_empty() {
                break;
            }
            let path = version_path(group, gv);
            let list: ResourceList = match api.get_json(&path).await {
                Ok(list) => list,
                Err(Failure::Deadline) => return Err(KubeError::Deadline(api.options.deadline.as_secs())),
                Err(f) => {
                    failed = Some(format!("discovery of {gv} failed ({})", f.describe()));
                    continue;
                }
            };
            pending.retain(|w| {
                let hit = list.resources.iter().find(|r| {
                    r.kind == w.kind && !r.name.contains('/') && r.verbs.iter().any(|v| v == "list")
                });
                match hit {
                    Some(r) => {
                        out.found.push(Found {
                            wanted: *w,
                            group_version: gv.clone(),
                            namespaced: r.namespaced,
                        });
                        false
                    }
                    None => true,
                }
            });
        }
        for w in pending {
            match &failed {
                Some(reason) => out.undiscovered.push((w, reason.clone())),
                None => out.absent.push(w),
            }
        }
    }
    for w in WANTED {
        if !versions_of.contains_key(w.group) {
            out.absent.push(*w);
        }
    }
    // Read in WANTED order, so the Inventory is the same on every run.
    let order = |w: &WantedKind| WANTED.iter().position(|x| x == w).unwrap_or(usize::MAX);
    out.found.sort_by_key(|f| order(&f.wanted));
    out.absent.sort_by_key(order);
    Ok(out)
}

/// One list to read: a kind, cluster-wide or in one namespace.
struct ListJob {
    found: Found,
    namespace: Option<String>,
}

/// What one list gave.
#[derive(Default)]
struct ListOutcome {
    part: RawInventory,
    diagnostic: Option<String>,
    unread: Option<UnreadKind>,
}

/// Reads the lists, `concurrency` at a time, and returns their outcomes in job order. Lists still
/// running at the deadline are cancelled and reported unread.
async fn run_lists(api: &Arc<Api>, context: &str, jobs: Vec<ListJob>) -> Vec<ListOutcome> {
    let context: Arc<str> = context.into();
    let limit = Arc::new(tokio::sync::Semaphore::new(api.options.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let described: Vec<(WantedKind, Option<String>)> =
        jobs.iter().map(|j| (j.found.wanted, j.namespace.clone())).collect();
    let mut task_index = std::collections::HashMap::new();
    for (index, job) in jobs.into_iter().enumerate() {
        let api = Arc::clone(api);
        let context = Arc::clone(&context);
        let limit = Arc::clone(&limit);
        let handle = set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let outcome = read_list(&api, &context, &job).await;
            if let Some(p) = &api.options.progress {
                p.listed(job.found.wanted.kind, job.namespace.as_deref(), outcome.part.objects_read);
            }
            (index, outcome)
        });
        task_index.insert(handle.id(), index);
    }
    let mut outcomes: Vec<Option<ListOutcome>> =
        std::iter::repeat_with(|| None).take(described.len()).collect();
    loop {
        match tokio::time::timeout_at(api.deadline, set.join_next()).await {
            Ok(Some(Ok((index, outcome)))) => outcomes[index] = Some(outcome),
            Ok(Some(Err(e))) => {
                // A reader that stopped unexpectedly (a bug): that list is unread, and says why.
                if let Some(&index) = task_index.get(&e.id()) {
                    let (wanted, namespace) = &described[index];
                    outcomes[index] = Some(unread_kind(
                        *wanted,
                        namespace.clone(),
                        "reading it stopped unexpectedly (an error in ztpath)".to_owned(),
                    ));
                }
            }
            Ok(None) => break,
            Err(_) => {
                set.abort_all();
                break;
            }
        }
    }
    let seconds = api.options.deadline.as_secs();
    outcomes
        .into_iter()
        .zip(described)
        .map(|(outcome, (wanted, namespace))| {
            outcome.unwrap_or_else(|| {
                unread_kind(
                    wanted,
                    namespace,
                    format!("the --kube-deadline of {seconds} s passed before it was read"),
                )
            })
        })
        .collect()
}

/// A kind (with its API group where it has one) and where it was listed, for messages.
fn scope_words(wanted: &WantedKind, namespace: Option<&str>) -> String {
    let kind = kind_name(wanted);
    match namespace {
        Some(ns) => format!("{kind} in namespace {ns}"),
        None => format!("{kind} (cluster-wide)"),
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: ListMeta,
    /// Each item is parsed on its own, so one that cannot be read is skipped alone.
    #[serde(default)]
    items: Vec<Box<serde_json::value::RawValue>>,
}

/// The path of an API group version: `/api/v1` for the core group, `/apis/<group>/<version>`
/// for the others.
fn version_path(group: &str, group_version: &str) -> String {
    if group.is_empty() { format!("/api/{group_version}") } else { format!("/apis/{group_version}") }
}

/// Reads one list page by page, converting each page as it arrives.
async fn read_list(api: &Api, context: &str, job: &ListJob) -> ListOutcome {
    let found = &job.found;
    let wanted = found.wanted;
    let prefix = version_path(wanted.group, &found.group_version);
    let base = match &job.namespace {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{}", wanted.resource),
        None => format!("{prefix}/{}", wanted.resource),
    };
    let metadata =
        wanted.kind == "Secret" && wanted.group.is_empty() && api.options.secrets == SecretsMode::Metadata;
    let accept = if metadata { METADATA_ACCEPT } else { "application/json" };
    let mut limit = api.options.page_size.max(1);
    let mut restarts = 0u32;
    let mut part = RawInventory::default();
    let mut token: Option<String> = None;
    let mut diagnostic = None;
    // The page being converted while the next one is fetched: at most one per list, so a list
    // holds at most two pages of JSON at a time.
    let mut converting: Option<tokio::task::JoinHandle<RawInventory>> = None;
    let context: Arc<str> = context.into();
    loop {
        let mut path = format!("{base}?limit={limit}");
        if let Some(t) = &token {
            path.push_str("&continue=");
            convert::percent_encode(t, &mut path);
        }
        let fetched = api.get(&path, accept).await;
        let body = match fetched {
            Ok(body) => body,
            Err(Failure::Status { code: 410, next, .. }) if token.is_some() => {
                if restarts < MAX_RESTARTS {
                    if let Some(handle) = converting.take() {
                        handle.abort();
                    }
                    // The snapshot expired: read the list again from the start, for one snapshot.
                    restarts += 1;
                    part = RawInventory::default();
                    token = None;
                    continue;
                }
                if let Some(next) = next {
                    diagnostic = Some(format!(
                        "{}: the list's snapshot expired {} times (410 Gone); read on from a newer \
snapshot, so it may mix two states of the cluster",
                        scope_words(&wanted, job.namespace.as_deref()),
                        restarts + 1
                    ));
                    // What was read before the last expiry stays: the list goes on from there.
                    restarts += 1;
                    token = Some(next);
                    continue;
                }
                if let Some(handle) = converting.take() {
                    handle.abort();
                }
                return unread(job, "the list's snapshot kept expiring (410 Gone)".to_owned());
            }
            Err(Failure::TooLarge) if limit > 1 => {
                // Large objects (Secrets and ConfigMaps of up to 1 MiB): the same page, smaller.
                limit = (limit / 2).max(1);
                continue;
            }
            Err(failure) => {
                if let Some(handle) = converting.take() {
                    handle.abort();
                }
                return refused(job, &failure);
            }
        };
        let page: Page = match serde_json::from_slice(&body) {
            Ok(page) => page,
            Err(e) => {
                if let Some(handle) = converting.take() {
                    handle.abort();
                }
                return unread(job, format!("the list was {}", json_error(&e)));
            }
        };
        let over = if page.items.len() > limit as usize {
            Some(format!("a page held {} objects where {limit} were asked for", page.items.len()))
        } else {
            api.charge(page.items.len(), body.len()).err()
        };
        if let Some(reason) = over {
            if let Some(handle) = converting.take() {
                handle.abort();
            }
            return unread(job, reason);
        }
        drop(body);
        if let Some(handle) = converting.take() {
            match handle.await {
                Ok(done) => part.extend(done),
                Err(_) => return unread(job, "converting a page failed".to_owned()),
            }
        }
        let (context, found, items) = (Arc::clone(&context), found.clone(), page.items);
        converting = Some(tokio::task::spawn_blocking(move || {
            let mut converted = RawInventory::default();
            convert_page(items, &context, &found, metadata, &mut converted);
            converted
        }));
        match page.metadata.next.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    if let Some(handle) = converting.take() {
        match handle.await {
            Ok(done) => part.extend(done),
            Err(_) => return unread(job, "converting a page failed".to_owned()),
        }
    }
    ListOutcome { part, diagnostic, unread: None }
}

/// A JSON error in words of our own: serde's message may quote the text ("invalid type: string
/// \"…\""), and the answer's text is the server's, so only its class and position are given.
fn json_error(e: &serde_json::Error) -> String {
    let class = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "JSON of another shape",
        serde_json::error::Category::Eof => "JSON cut short",
    };
    format!("not the JSON expected ({class} at line {} column {})", e.line(), e.column())
}

fn convert_page(
    items: Vec<Box<serde_json::value::RawValue>>,
    context: &str,
    found: &Found,
    metadata: bool,
    part: &mut RawInventory,
) {
    let kind = found.wanted.kind;
    for raw in items {
        let mut node = match convert::item(raw.get()) {
            Ok(node) => node,
            Err(why) => {
                part.diagnostics.push(Diagnostic {
                    source: Source { file: convert::cluster_uri(context).into(), line: 0 },
                    reason: format!("{}: an object of a list was skipped: {why}", kind_name(&found.wanted)),
                });
                continue;
            }
        };
        convert::set_type(&mut node, &found.group_version, kind);
        if metadata {
            convert::restore_token_type(&mut node);
        }
        let meta = node.field("metadata");
        let text = |key: &str| meta.field(key).string();
        let namespace = if found.namespaced { text("namespace") } else { None };
        let file: Arc<str> = convert::evidence_uri(
            context,
            namespace.as_deref(),
            (kind, found.wanted.group),
            &text("name").unwrap_or_default(),
            text("resourceVersion").as_deref(),
        )
        .into();
        crate::files::read_object(&node, &file, None, part, 0);
    }
}

/// An outcome for a list that could not be read, with the permission it needs when refused.
fn refused(job: &ListJob, failure: &Failure) -> ListOutcome {
    let wanted = job.found.wanted;
    let reason = match failure {
        Failure::Status { code: 403, .. } => {
            let resource = if wanted.group.is_empty() {
                wanted.resource.to_owned()
            } else {
                format!("{}.{}", wanted.resource, wanted.group)
            };
            match &job.namespace {
                Some(ns) => format!("forbidden: list {resource} in namespace {ns}"),
                _ => format!("forbidden: list {resource} cluster-wide"),
            }
        }
        Failure::Status { code: 401, .. } => "the credentials were refused (401 Unauthorized)".to_owned(),
        Failure::Deadline => format!("the --kube-deadline passed while it was read ({})", failure.describe()),
        other => format!("the list failed: {}", other.describe()),
    };
    unread(job, reason)
}

fn unread(job: &ListJob, reason: String) -> ListOutcome {
    unread_kind(job.found.wanted, job.namespace.clone(), reason)
}

/// The outcome of a list not read, in `namespace` (a job has one for namespaced kinds only).
/// Nothing of it is kept, so no list is read in part.
fn unread_kind(wanted: WantedKind, namespace: Option<String>, reason: String) -> ListOutcome {
    let place = scope_words(&wanted, namespace.as_deref());
    let diagnostic = match reason.strip_prefix("forbidden: ") {
        Some(permission) => format!(
            "{place} not read: the account may not {permission} (403 Forbidden); grant it \
(docs/kube-clusterrole.yaml) for a complete read"
        ),
        None => format!("{place} not read: {reason}"),
    };
    ListOutcome {
        part: RawInventory::default(),
        diagnostic: Some(diagnostic),
        unread: Some(UnreadKind {
            kind: wanted.kind.to_owned(),
            group: wanted.group.to_owned(),
            namespace,
            reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_do_not_quote_the_answer() {
        let Err(e) = serde_json::from_str::<Page>(r#"{"items": "SECRET-VALUE"}"#) else { panic!("read") };
        assert!(e.to_string().contains("SECRET-VALUE"), "serde quotes it");
        let said = json_error(&e);
        assert!(!said.contains("SECRET"), "{said}");
        assert!(said.starts_with("not the JSON expected (JSON of another shape at line 1"), "{said}");
    }

    #[test]
    fn status_reasons_are_repeated_only_when_they_are_one_word() {
        let f = |reason: &str| {
            Failure::Status { code: 503, reason: Some(reason.to_owned()), next: None }.describe()
        };
        assert_eq!(f("ServiceUnavailable"), "HTTP 503 ServiceUnavailable");
        assert_eq!(f("token abc123 leaked \u{1b}[2J"), "HTTP 503");
    }

    #[test]
    fn the_wanted_kinds_are_the_ones_the_file_readers_model() {
        for w in WANTED {
            assert!(crate::files::modelled_kind(w.kind), "{} is not read from files", w.kind);
        }
    }
}
