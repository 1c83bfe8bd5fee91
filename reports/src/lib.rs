//! ztpath-reports: the Report schema and its renderers.
//!
//! The [`Report`] is ztpath's versioned output contract: the engine fills it, and each format
//! module renders it. This crate knows nothing of probes or the engine. Every collection in a
//! Report is already in a stable order, so renderers write it as it is and the same input gives
//! byte-identical output.
//!
//! No field of a Report ever holds a secret value: credentials appear by location and
//! [fingerprint](Credential::fingerprint) only. A fingerprint is keyed (`hmac:` and 12 hex digits
//! of an HMAC-SHA-256 under the scan's key, random unless `--fingerprint-key` fixes it), so it
//! compares within one report, or across reports made with the same key, and cannot be used to
//! check a guessed value. Ids (of nodes, paths and findings) are built from names and locations,
//! never from values or fingerprints.
//!
//! # Schema versions
//!
//! [`SCHEMA_VERSION`] follows semantic versioning: a reader written for major version N reads
//! every N.x report.
//!
//! **2.4.0** adds the summary's `unread_kinds`, written only when a live Kubernetes read (`scan
//! --kube`) did not read some kinds in full: one [`UnreadKind`] (`kind`, `group` unless core,
//! `namespace` when the gap is one namespace's, `reason`) per kind refused (403), failed, cut off by the deadline, or read
//! metadata-only (Secrets with `--kube-secrets metadata`), so that a partial read is not mistaken
//! for a clean one (docs/kube.md). A 2.3 reader reads a 2.4 report.
//!
//! **2.3.0** adds the summary's `input_digest`, a keyed digest of the files read (written when a
//! file was read). A 2.2 reader reads a 2.3 report.
//!
//! **2.2.0** adds `tls`, written only when live TLS handshakes ran (`ztpath probe tls`, `ztpath
//! scan --tls`): one [`tls::TlsEndpoint`] per endpoint probed (docs/tls.md). A 2.1 reader reads a
//! 2.2 report.
//!
//! **2.1.0** adds, for the CI gate, fields that are written only when used: a finding's
//! `suppressed` (reason, `expires`, `source` `config` or `annotation`, and the `evidence` of the
//! entry or annotation) and `baseline` (`new` or `existing`, with `--baseline`), and the
//! summary's `suppressed` count and `new` count. `summary.findings` counts the findings that are
//! not suppressed. A 2.0 reader reads a 2.1 report.
//!
//! **2.0.0** removes what a report repeated, so that its size follows the estate's rather than
//! the number of findings and paths times the catalogue:
//!
//! - `findings[]` no longer carry `title`, `remediation`, `owasp_nhi` and `nist_800_207`: they
//!   are the rule's, and `rules[]` holds them once (with `rationale` and `doc`). Join on
//!   `findings[].rule` = `rules[].id`.
//! - `paths[]` no longer carry `from` and `to`: they are `hops[0].from` and `hops[-1].to`.
//! - `blast_radius[]` entries have a `steps` list of sentences, and each `reaches[].chain` is a
//!   list of indices into it instead of the sentences themselves (the chains of one credential
//!   share most steps).
//! - Fingerprints of secret values are keyed: `hmac:` and 12 hex digits of an HMAC-SHA-256 under
//!   the scan's key (random per scan unless `--fingerprint-key` sets it), where 1.0.0 wrote
//!   `sha256:` and a plain digest. Equal fingerprints still mean equal values within a report,
//!   and across reports made with the same key only.
//!
//! The JSON is written as it is serialised, straight to the output, instead of being built in
//! memory first.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

pub use path_id::PathId;
pub use shared::{Attrs, SharedStr};

pub mod compliance;
pub mod diff;
pub mod dot;
pub mod html;
pub mod json;
pub mod markdown;
mod path_id;
pub mod sarif;
mod shared;
pub mod table;
pub mod text;
pub mod tls;

#[cfg(test)]
pub(crate) mod sample;

/// Version of the JSON schema. Bump the major part on any breaking change.
pub const SCHEMA_VERSION: &str = "2.4.0";

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// comfy-table terminal tables with a one-line summary.
    Table,
    /// The Report as JSON.
    Json,
    /// Graphviz DOT of the identity graph.
    Dot,
    /// SARIF 2.1.0, for code scanning ([`sarif`]; [`sarif::render`] takes the scanned root).
    Sarif,
    /// One self-contained HTML page for auditors and architects ([`html`]).
    Html,
    /// GitHub-flavoured Markdown: summary, compliance matrix, findings by rule ([`markdown`]).
    Markdown,
}

/// What the document formats (HTML, Markdown) show about the scan beyond the Report: the
/// reference date and the inputs as the user named them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentOptions {
    /// The reference date (`--now`, or today), `YYYY-MM-DD`.
    pub now: Option<String>,
    /// The paths given to `ztpath scan` (and `aws` for a live collection).
    pub inputs: Vec<String>,
}

impl Report {
    /// The catalogue entry of a finding's rule (its title, rationale, remediation and mappings).
    pub fn rule_of(&self, finding: &Finding) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == finding.rule)
    }
}

/// Renders a report in a format.
pub fn render(report: &Report, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => table::render(report, out),
        Format::Json => json::render(report, out),
        Format::Dot => dot::render(report, out),
        Format::Sarif => sarif::render(report, &sarif::SarifOptions::default(), out).map(|_| ()),
        Format::Html => html::render(report, &DocumentOptions::default(), out),
        Format::Markdown => markdown::render(report, &DocumentOptions::default(), out),
    }
}

/// Finding severity, most severe first in sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Exploitable now, estate-wide impact.
    Critical,
    /// Fix soon.
    High,
    /// Fix in the normal course.
    Medium,
    /// Hygiene.
    Low,
    /// For information.
    Info,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A risk of the OWASP Non-Human Identities Top 10 (2025). Written in a report as its id
/// (`NHI4:2025`); an id outside the list does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OwaspNhi {
    /// NHI1:2025 Improper Offboarding.
    #[serde(rename = "NHI1:2025")]
    Nhi1,
    /// NHI2:2025 Secret Leakage.
    #[serde(rename = "NHI2:2025")]
    Nhi2,
    /// NHI3:2025 Vulnerable Third-Party NHI.
    #[serde(rename = "NHI3:2025")]
    Nhi3,
    /// NHI4:2025 Insecure Authentication.
    #[serde(rename = "NHI4:2025")]
    Nhi4,
    /// NHI5:2025 Overprivileged NHI.
    #[serde(rename = "NHI5:2025")]
    Nhi5,
    /// NHI6:2025 Insecure Cloud Deployment Configurations.
    #[serde(rename = "NHI6:2025")]
    Nhi6,
    /// NHI7:2025 Long-Lived Secrets.
    #[serde(rename = "NHI7:2025")]
    Nhi7,
    /// NHI8:2025 Environment Isolation.
    #[serde(rename = "NHI8:2025")]
    Nhi8,
    /// NHI9:2025 NHI Reuse.
    #[serde(rename = "NHI9:2025")]
    Nhi9,
    /// NHI10:2025 Human Use of NHI.
    #[serde(rename = "NHI10:2025")]
    Nhi10,
}

impl OwaspNhi {
    /// The ten risks, in order.
    pub const ALL: [OwaspNhi; 10] = [
        OwaspNhi::Nhi1,
        OwaspNhi::Nhi2,
        OwaspNhi::Nhi3,
        OwaspNhi::Nhi4,
        OwaspNhi::Nhi5,
        OwaspNhi::Nhi6,
        OwaspNhi::Nhi7,
        OwaspNhi::Nhi8,
        OwaspNhi::Nhi9,
        OwaspNhi::Nhi10,
    ];

    /// The id as OWASP writes it (`NHI4:2025`).
    pub fn id(self) -> &'static str {
        match self {
            OwaspNhi::Nhi1 => "NHI1:2025",
            OwaspNhi::Nhi2 => "NHI2:2025",
            OwaspNhi::Nhi3 => "NHI3:2025",
            OwaspNhi::Nhi4 => "NHI4:2025",
            OwaspNhi::Nhi5 => "NHI5:2025",
            OwaspNhi::Nhi6 => "NHI6:2025",
            OwaspNhi::Nhi7 => "NHI7:2025",
            OwaspNhi::Nhi8 => "NHI8:2025",
            OwaspNhi::Nhi9 => "NHI9:2025",
            OwaspNhi::Nhi10 => "NHI10:2025",
        }
    }

    /// The risk's title.
    pub fn title(self) -> &'static str {
        match self {
            OwaspNhi::Nhi1 => "Improper Offboarding",
            OwaspNhi::Nhi2 => "Secret Leakage",
            OwaspNhi::Nhi3 => "Vulnerable Third-Party NHI",
            OwaspNhi::Nhi4 => "Insecure Authentication",
            OwaspNhi::Nhi5 => "Overprivileged NHI",
            OwaspNhi::Nhi6 => "Insecure Cloud Deployment Configurations",
            OwaspNhi::Nhi7 => "Long-Lived Secrets",
            OwaspNhi::Nhi8 => "Environment Isolation",
            OwaspNhi::Nhi9 => "NHI Reuse",
            OwaspNhi::Nhi10 => "Human Use of NHI",
        }
    }
}

impl fmt::Display for OwaspNhi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A tenet of zero trust from NIST SP 800-207 §2.1. Written in a report as `T1`..`T7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NistTenet {
    /// Every data source and computing service is a resource.
    T1,
    /// Communication is secured whatever the network location.
    T2,
    /// Access is granted per session.
    T3,
    /// Access is decided by dynamic policy.
    T4,
    /// The posture of every asset is monitored.
    T5,
    /// Authentication and authorization are dynamic and enforced before access.
    T6,
    /// Information is collected to improve the posture.
    T7,
}

impl NistTenet {
    /// The seven tenets, in order.
    pub const ALL: [NistTenet; 7] = [
        NistTenet::T1,
        NistTenet::T2,
        NistTenet::T3,
        NistTenet::T4,
        NistTenet::T5,
        NistTenet::T6,
        NistTenet::T7,
    ];

    /// The id (`T1`..`T7`).
    pub fn id(self) -> &'static str {
        match self {
            NistTenet::T1 => "T1",
            NistTenet::T2 => "T2",
            NistTenet::T3 => "T3",
            NistTenet::T4 => "T4",
            NistTenet::T5 => "T5",
            NistTenet::T6 => "T6",
            NistTenet::T7 => "T7",
        }
    }

    /// The tenet, paraphrased.
    pub fn title(self) -> &'static str {
        match self {
            NistTenet::T1 => "All data sources and computing services are resources",
            NistTenet::T2 => "All communication is secured regardless of network location",
            NistTenet::T3 => "Access is granted per session, with least privilege",
            NistTenet::T4 => "Access is decided by dynamic policy on client identity and state",
            NistTenet::T5 => "The integrity and security posture of all assets is monitored",
            NistTenet::T6 => {
                "Authentication and authorization are dynamic and strictly enforced before access"
            }
            NistTenet::T7 => {
                "Information about assets, network and communications is collected to improve posture"
            }
        }
    }
}

impl fmt::Display for NistTenet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// Counts.
    pub summary: Summary,
    /// Graph nodes, sorted by id.
    pub nodes: Vec<Node>,
    /// Graph edges, sorted by (from, to, kind).
    pub edges: Vec<Edge>,
    /// Auth paths, sorted by id.
    pub paths: Vec<AuthPath>,
    /// Credentials ranked by blast radius, widest first.
    pub blast_radius: Vec<BlastRadius>,
    /// Findings, most severe first, then by rule and subject.
    pub findings: Vec<Finding>,
    /// The catalogue of the rules that ran (for SARIF and for readers of the JSON).
    pub rules: Vec<RuleInfo>,
    /// Inputs that could not be read.
    pub diagnostics: Vec<Diagnostic>,
    /// Endpoints probed live (`probe tls`, `scan --tls`), in target order; absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls: Vec<tls::TlsEndpoint>,
}

/// Tool name and version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `ztpath`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// Counts for the one-line summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Objects read.
    pub objects: usize,
    /// Workloads in the graph.
    pub workloads: usize,
    /// Identities (service accounts, …).
    pub identities: usize,
    /// Credentials.
    pub credentials: usize,
    /// Auth paths.
    pub paths: usize,
    /// Findings by severity name (`critical` … `info`); every severity is present.
    pub findings: BTreeMap<String, usize>,
    /// Number of inputs that could not be read.
    pub diagnostics: usize,
    /// Kinds that were read but not modelled, with counts.
    pub skipped_kinds: BTreeMap<String, usize>,
    /// Findings suppressed (not counted in `findings`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suppressed: usize,
    /// With a baseline: findings not in it (suppressed ones left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<usize>,
    /// A digest of the files read (`hmac-sha256:` and 64 hex digits): HMAC-SHA-256 under the
    /// fingerprint key of each file's name and SHA-256, in path order. Two reports made with the
    /// same `--fingerprint-key` from the same files carry the same digest. Absent when no file was
    /// read (a live source alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_digest: Option<String>,
    /// Kinds a live read did not read in full (`scan --kube`), in order; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread_kinds: Vec<UnreadKind>,
}

/// A kind a live read did not read, or read only in part.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadKind {
    /// The kind (`Secret`, `ClusterRole`, …).
    pub kind: String,
    /// Its API group; absent for the core group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The namespace it was not read in; absent: cluster-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Why (`forbidden: list secrets in namespace payments`).
    pub reason: String,
}

impl UnreadKind {
    /// `Secret in namespace payments: forbidden: list secrets in namespace payments`.
    pub fn describe(&self) -> String {
        let kind = match &self.group {
            Some(g) => format!("{} ({g})", self.kind),
            None => self.kind.clone(),
        };
        match &self.namespace {
            Some(ns) => format!("{kind} in namespace {ns}: {}", self.reason),
            None => format!("{kind}: {}", self.reason),
        }
    }
}

impl Summary {
    /// The sentence that says which kinds a live read did not read in full, if any.
    pub fn unread_sentence(&self) -> Option<String> {
        if self.unread_kinds.is_empty() {
            return None;
        }
        let list: Vec<String> = self.unread_kinds.iter().map(UnreadKind::describe).collect();
        Some(format!("Not read in full, so this report is partial: {}", list.join("; ")))
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    /// Total number of findings.
    pub fn total_findings(&self) -> usize {
        self.findings.values().sum()
    }
}

/// A graph node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Stable id, e.g. `workload:shop/Deployment/cart`.
    pub id: SharedStr,
    /// `workload`, `service-account`, `credential`, `service`, `role`, `zone`, `external`, ….
    pub kind: SharedStr,
    /// Display name.
    pub name: String,
    /// Namespace, when namespaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Extra facts for display (e.g. `spiffe` → SPIFFE ID, `mesh` → `istio`), sorted by key.
    #[serde(skip_serializing_if = "Attrs::is_empty", default)]
    pub attrs: Attrs,
}

/// A graph edge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Source node id.
    pub from: SharedStr,
    /// Target node id.
    pub to: SharedStr,
    /// `calls` (workload → workload), `runs-as`, `uses-credential`, `authenticates-as`,
    /// `bound-to`, `selects`, `reaches` (zone → workload), `member-of`, ….
    pub kind: SharedStr,
    /// For `calls`: how the caller is authenticated on this hop (an [`AuthMethod`] name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthMethod>,
    /// For `calls`: what happens to the caller's identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityState>,
    /// True when a finding sits on this edge (DOT highlights it).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub flagged: bool,
}

/// How the caller is authenticated on a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// Mesh mTLS with workload identity, required.
    MeshMtls,
    /// mTLS when both sides can, plaintext accepted.
    OptionalMtls,
    /// No authentication of the caller at the transport.
    Plaintext,
    /// A static secret (API key, password, basic auth) sent by the caller.
    StaticSecret,
    /// A bearer token (e.g. a service-account or JWT) sent by the caller.
    BearerToken,
    /// A client certificate outside a mesh (a proxy's listener, or a proxy's own certificate
    /// towards its backend).
    ClientCertificate,
    /// TLS that authenticates only the server: the caller stays anonymous.
    ServerTls,
    /// TLS passed through a proxy undecrypted: the backend decides.
    TlsPassthrough,
    /// Inside one pod (or host) over loopback or a Unix socket: no network is crossed (a
    /// sidecar proxy and its own application). Added in schema 1.1.0.
    InPod,
    /// Not known from the configuration read.
    Unknown,
}

impl AuthMethod {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::MeshMtls => "mesh-mtls",
            AuthMethod::OptionalMtls => "optional-mtls",
            AuthMethod::Plaintext => "plaintext",
            AuthMethod::StaticSecret => "static-secret",
            AuthMethod::BearerToken => "bearer-token",
            AuthMethod::ClientCertificate => "client-certificate",
            AuthMethod::ServerTls => "server-tls",
            AuthMethod::TlsPassthrough => "tls-passthrough",
            AuthMethod::InPod => "in-pod",
            AuthMethod::Unknown => "unknown",
        }
    }

    /// How strongly the caller is authenticated, for comparing verdicts: the lower, the weaker.
    /// A path's `auth` is its weakest hop's by this order, and `ztpath diff` calls a path
    /// weakened when it goes down. From weakest to strongest: `plaintext` (0), `static-secret`
    /// (1: a copyable secret, never rotated by the platform), `unknown` and `tls-passthrough` (2:
    /// not decided here), `server-tls` (3: encrypted, caller anonymous), `optional-mtls` (4:
    /// mTLS that still accepts plaintext), `bearer-token` (5), `client-certificate` (6: verified
    /// mTLS outside a mesh), `mesh-mtls` (7), `in-pod` (8: no network is crossed).
    pub fn strength(self) -> u8 {
        match self {
            AuthMethod::Plaintext => 0,
            AuthMethod::StaticSecret => 1,
            AuthMethod::Unknown | AuthMethod::TlsPassthrough => 2,
            AuthMethod::ServerTls => 3,
            AuthMethod::OptionalMtls => 4,
            AuthMethod::BearerToken => 5,
            AuthMethod::ClientCertificate => 6,
            AuthMethod::MeshMtls => 7,
            AuthMethod::InPod => 8,
        }
    }
}

/// What happens to the caller's workload identity on a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityState {
    /// The callee sees the caller's own workload identity.
    Preserved,
    /// A proxy verified the caller and forwards its identity in a way the next hop can trust
    /// (a header it sets itself from the verified certificate, XFCC `SANITIZE_SET`).
    Propagated,
    /// A header carrying an identity reaches the callee with a value the client can choose.
    Spoofable,
    /// A hop ends the caller's identity and goes on with its own.
    Terminated,
    /// The callee cannot tell who called.
    Lost,
    /// Not known from the configuration read.
    Unknown,
}

impl IdentityState {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityState::Preserved => "preserved",
            IdentityState::Propagated => "propagated",
            IdentityState::Spoofable => "spoofable",
            IdentityState::Terminated => "terminated",
            IdentityState::Lost => "lost",
            IdentityState::Unknown => "unknown",
        }
    }

    /// How well the caller's identity survives, for comparing verdicts: the lower, the weaker.
    /// From weakest to strongest: `spoofable` (0: worse than lost, the callee trusts a name the
    /// client chose), `lost` (1), `terminated` (2), `unknown` (3), `propagated` (4), `preserved`
    /// (5).
    pub fn strength(self) -> u8 {
        match self {
            IdentityState::Spoofable => 0,
            IdentityState::Lost => 1,
            IdentityState::Terminated => 2,
            IdentityState::Unknown => 3,
            IdentityState::Propagated => 4,
            IdentityState::Preserved => 5,
        }
    }
}

/// A caller → hops → target path.
///
/// In JSON, `from` and `to` are not written: they are the first hop's `from` and the last hop's
/// `to`, and reading a report fills them in from there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "AuthPathFields")]
pub struct AuthPath {
    /// Stable id (`path:<from>-><to>`, with the listener and route for paths through a proxy).
    pub id: PathId,
    /// Caller node id (a workload, a zone, or an external client): the first hop's `from`.
    pub from: SharedStr,
    /// Target node id: the last hop's `to`.
    pub to: SharedStr,
    /// Hops in order.
    pub hops: Vec<Hop>,
    /// The weakest hop's method.
    pub auth: Option<AuthMethod>,
    /// The weakest hop's identity state.
    pub identity: Option<IdentityState>,
    /// Ids of the findings on this path.
    pub findings: Vec<SharedStr>,
}

impl Serialize for AuthPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("AuthPath", 5)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("hops", &self.hops)?;
        s.serialize_field("auth", &self.auth)?;
        s.serialize_field("identity", &self.identity)?;
        s.serialize_field("findings", &self.findings)?;
        s.end()
    }
}

/// An [`AuthPath`] as JSON holds it.
#[derive(Deserialize)]
struct AuthPathFields {
    id: PathId,
    hops: Vec<Hop>,
    auth: Option<AuthMethod>,
    identity: Option<IdentityState>,
    findings: Vec<SharedStr>,
}

impl From<AuthPathFields> for AuthPath {
    fn from(p: AuthPathFields) -> AuthPath {
        let from = p.hops.first().map(|h| h.from.clone()).unwrap_or_default();
        let to = p.hops.last().map(|h| h.to.clone()).unwrap_or_default();
        AuthPath {
            id: p.id,
            from,
            to,
            hops: p.hops,
            auth: p.auth,
            identity: p.identity,
            findings: p.findings,
        }
    }
}

/// One hop of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// Node id the hop leaves.
    pub from: SharedStr,
    /// Node id the hop reaches.
    pub to: SharedStr,
    /// What carries it (e.g. `service shop/cart:8080`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<SharedStr>,
    /// How the caller is authenticated here.
    pub auth: AuthMethod,
    /// What happens to the caller's identity.
    pub identity: IdentityState,
    /// Why, in one sentence.
    pub detail: SharedStr,
    /// Where the deciding configuration is.
    pub evidence: Vec<Evidence>,
    /// What decided the verdict. Not written in the report (schema 2.0.0 has no such field, and a
    /// report read back has the default); rules read it instead of the detail's words.
    #[serde(skip)]
    pub origin: VerdictOrigin,
}

/// What decided a hop's verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VerdictOrigin {
    /// What the receiving side accepts, or the transport between the two sides.
    #[default]
    Receiver,
    /// A TLS setting on the caller's side that overrides the mesh's automatic mTLS (an Istio
    /// DestinationRule with `tls.mode` `DISABLE`, `SIMPLE` or `MUTUAL`).
    CallerTlsSetting,
}

/// Reach of one credential.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastRadius {
    /// The credential.
    pub credential: Credential,
    /// Weighted score (higher is wider).
    pub score: u64,
    /// Counts by reached kind (`identity`, `permission`, `secret`, `service`, …).
    pub counts: BTreeMap<String, usize>,
    /// The steps of the chains below, each once (the chains of one credential share most of
    /// theirs): a short sentence each, e.g. `sa:shop/cart can read Secrets in namespace shop`.
    pub steps: Vec<SharedStr>,
    /// What it reaches (the first of them, most important first; [`BlastRadius::counts`] has
    /// the totals), each with the chain of steps that explains it.
    pub reaches: Vec<Reach>,
}

impl BlastRadius {
    /// The steps of a reach's chain, in order. An index outside [`BlastRadius::steps`] (a
    /// hand-edited report) is skipped.
    pub fn chain<'a>(&'a self, reach: &'a Reach) -> impl Iterator<Item = &'a str> + 'a {
        reach.chain.iter().filter_map(|&i| self.steps.get(i).map(SharedStr::as_str))
    }
}

/// A credential, by location and fingerprint only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// Node id.
    pub id: String,
    /// `secret`, `legacy-sa-token`, `projected-sa-token`, `env-literal`, ….
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Short keyed fingerprint of the value (`hmac:` and 12 hex digits), when the value is known:
    /// equal fingerprints mean equal values within one report (or across reports made with one
    /// `--fingerprint-key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Where it is defined.
    pub evidence: Vec<Evidence>,
}

/// Something a credential reaches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// `identity`, `permission`, `secret`, `service`, `workload`, ….
    pub kind: SharedStr,
    /// What is reached, e.g. `shop/sa/cart` or `get,list secrets in shop`.
    pub target: SharedStr,
    /// Steps from the credential to the target: indices into [`BlastRadius::steps`]
    /// ([`BlastRadius::chain`] gives the sentences).
    pub chain: Vec<usize>,
}

/// A finding. What belongs to its rule (title, rationale, remediation, OWASP NHI and NIST SP
/// 800-207 mappings) is in [`Report::rules`], once: join on [`Finding::rule`]
/// ([`Report::rule_of`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: 16 hex digits of the SHA-256 of (rule, subject, discriminator), which are names
    /// and locations, never a value or its fingerprint, so the id is the same on every scan of the
    /// same input whatever the fingerprint key.
    pub id: SharedStr,
    /// Rule id, e.g. `ZT001`: the [`RuleInfo::id`] of its entry in [`Report::rules`].
    pub rule: String,
    /// Severity (the rule's default, or higher where this instance is worse).
    pub severity: Severity,
    /// What was found, specifically.
    pub message: String,
    /// What the finding is about.
    pub subject: Subject,
    /// Where.
    pub evidence: Vec<Evidence>,
    /// Ids of the auth paths the gap sits on.
    pub paths: Vec<PathId>,
    /// Against a `--baseline` report: whether the finding was there already. Absent without a
    /// baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
    /// Accepted on the record (`.ztpath.toml` `[[ignore]]`, or a `ztpath.dev/ignore` annotation):
    /// the finding stays in the report but leaves the gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// Counts for the gate: not suppressed, and not already in the baseline.
    pub fn gates(&self) -> bool {
        self.suppressed.is_none() && self.baseline != Some(BaselineState::Existing)
    }
}

/// A finding compared with a baseline report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: the change brought it.
    New,
    /// In the baseline already (same finding id).
    Existing,
}

/// Why a finding is accepted, by whom and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The reason given (required).
    pub reason: String,
    /// Last day it holds (`YYYY-MM-DD`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where the suppression is written.
    pub source: SuppressionSource,
    /// The entry or annotation itself.
    pub evidence: Evidence,
}

/// Where a suppression is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionSource {
    /// An `[[ignore]]` entry of the configuration file.
    Config,
    /// A `ztpath.dev/ignore` annotation on the subject object.
    Annotation,
}

/// The object a finding is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Subject {
    /// Kind (`Deployment`, `ServiceAccount`, `Secret`, …).
    pub kind: String,
    /// Namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// A place in the input.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// File (or live object reference), shared by every piece of evidence in it.
    pub file: SharedStr,
    /// Line (1-based; 0 when not known).
    pub line: u32,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { f.write_str(&self.file) } else { write!(f, "{}:{}", self.file, self.line) }
    }
}

/// A rule of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// Id.
    pub id: String,
    /// Kebab-case name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Default severity.
    pub severity: Severity,
    /// OWASP NHI Top 10 (2025) risks.
    pub owasp_nhi: Vec<OwaspNhi>,
    /// NIST SP 800-207 tenets.
    pub nist_800_207: Vec<NistTenet>,
    /// Why it matters.
    pub rationale: String,
    /// How to fix.
    pub remediation: String,
    /// Path of the doc page, e.g. `docs/rules/ZT001.md`.
    pub doc: String,
    /// The doc page itself (Markdown), for formats that carry it (SARIF's `help`). Not part of
    /// the JSON report, which names the page in [`RuleInfo::doc`].
    #[serde(skip)]
    pub help: String,
}

/// An input that could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// File.
    pub file: String,
    /// Line (0 when the whole file).
    pub line: u32,
    /// Reason.
    pub message: String,
}
