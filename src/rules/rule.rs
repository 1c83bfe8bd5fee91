//! What a rule is made of: its declaration ([`Rule`]), the raw hits its check reports into a
//! [`Sink`], and the helpers that name a finding's subject. Rules import this module; the
//! registry in `rules/mod.rs` imports the rules.

use std::collections::BTreeMap;

use ztpath_probes::Source;
pub use ztpath_reports::{NistTenet, OwaspNhi};
use ztpath_reports::{Severity, Subject};

use crate::analysis::Analysis;

/// A rule's declaration.
pub struct Rule {
    /// Stable id, never reused (`ZT001`).
    pub id: &'static str,
    /// Kebab-case name of the bad pattern.
    pub name: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Default severity (a finding may say more or less, with its reason in the message).
    pub severity: Severity,
    /// OWASP Non-Human Identities Top 10 (2025) risks.
    pub owasp_nhi: &'static [OwaspNhi],
    /// NIST SP 800-207 §2.1 tenets.
    pub nist_800_207: &'static [NistTenet],
    /// Why it matters.
    pub rationale: &'static str,
    /// How to fix it.
    pub remediation: &'static str,
    /// What exactly it detects, in Markdown (the doc page's body).
    pub detects: &'static str,
    /// The check.
    pub check: fn(&Analysis<'_>, &mut Sink<'_>),
}

/// One raw hit; hits of the same rule, subject and key merge into one finding.
pub struct Hit {
    pub severity: Severity,
    pub subject: Subject,
    /// Distinguishes several findings of one rule on one subject (e.g. two credentials).
    pub key: String,
    pub message: String,
    pub evidence: Vec<Source>,
    pub paths: Vec<ztpath_reports::SharedStr>,
}

/// Collects the hits of one rule.
pub struct Sink<'r> {
    pub(super) rule: &'r Rule,
    pub(super) hits: BTreeMap<(Subject, String), Hit>,
}

impl Sink<'_> {
    /// Records a hit; a second hit on the same subject and key adds its paths and evidence.
    pub fn push(&mut self, hit: Hit) {
        let key = (hit.subject.clone(), hit.key.clone());
        match self.hits.get_mut(&key) {
            Some(existing) => {
                existing.paths.extend(hit.paths);
                existing.evidence.extend(hit.evidence);
                existing.severity = existing.severity.min(hit.severity);
            }
            None => {
                self.hits.insert(key, hit);
            }
        }
    }

    /// The rule's default severity.
    pub fn default_severity(&self) -> Severity {
        self.rule.severity
    }
}
/// Subject helpers.
pub fn subject(kind: &str, namespace: Option<&str>, name: &str) -> Subject {
    Subject { kind: kind.to_owned(), namespace: namespace.map(str::to_owned), name: name.to_owned() }
}

/// The subject for a proxy or load balancer: the Kubernetes object, or the configuration file.
pub fn proxy_subject(p: &ztpath_probes::Proxy) -> Subject {
    subject(crate::paths::backends::object_kind(p), p.namespace.as_deref(), &p.name)
}

/// A finding on a path through a proxy: one per proxy listener, listing its paths.
pub fn proxy_hit(
    a: &Analysis<'_>,
    sink: &mut Sink<'_>,
    p: &crate::paths::proxies::ProxyPath,
    severity: Severity,
    what: &str,
) {
    let proxy = &a.inventory().proxies[p.proxy];
    let listener = &proxy.listeners[p.listener];
    let path = &a.paths()[p.path];
    let detail = path.hops.last().map_or("", |h| h.detail.as_str());
    let evidence: Vec<Source> = path
        .hops
        .iter()
        .flat_map(|h| h.evidence.iter().map(|e| Source { file: e.file.as_str().into(), line: e.line }))
        .collect();
    sink.push(Hit {
        severity,
        subject: proxy_subject(proxy),
        key: listener.name.clone(),
        message: format!(
            "{} listener {} (port {}): {what} ({detail}).",
            proxy.name,
            listener.name,
            listener.port.map_or_else(|| "?".to_owned(), |n| n.to_string())
        ),
        evidence,
        paths: vec![path.id.clone()],
    });
}

/// A finding on an IAM access key: subject `AccessKey <user>/<key>`, evidence where the key is
/// listed.
pub fn access_key_hit(k: &crate::resolve::aws::KeyView<'_>, severity: Severity, message: String) -> Hit {
    Hit {
        severity,
        subject: subject("AccessKey", None, &format!("{}/{}", k.user, k.label)),
        key: String::new(),
        message,
        evidence: vec![k.source.clone()],
        paths: Vec::new(),
    }
}

/// The subject for a workload.
pub fn workload_subject(w: &crate::resolve::estate::WorkloadView<'_>) -> Subject {
    subject(w.kind(), Some(w.ns), w.name())
}
