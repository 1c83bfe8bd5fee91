//! What a rule is made of: its declaration ([`Rule`]), the raw hits its check reports into a
//! [`Sink`], and the helpers that name a finding's subject. Rules import this module; the
//! registry in `rules/mod.rs` imports the rules.

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
    pub paths: Vec<ztpath_reports::PathId>,
}

/// Collects the hits of one rule. Hits are kept in the order they came and found again by a
/// hash of their subject and key (a rule with a hundred thousand hits would otherwise hold a
/// second copy of every subject as a map key).
pub struct Sink<'r> {
    pub(super) rule: &'r Rule,
    hits: Vec<Hit>,
    /// Hash of (subject, key) → the first hit with it.
    first: rustc_hash::FxHashMap<u64, u32>,
    /// Per hit: the next hit whose hash is the same, or `u32::MAX`.
    next: Vec<u32>,
}

fn hit_hash(subject: &Subject, key: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one((&subject.kind, &subject.namespace, &subject.name, key))
}

impl<'r> Sink<'r> {
    pub(super) fn new(rule: &'r Rule) -> Sink<'r> {
        Sink { rule, hits: Vec::new(), first: rustc_hash::FxHashMap::default(), next: Vec::new() }
    }

    /// Records a hit; a second hit on the same subject and key adds its paths and evidence.
    pub fn push(&mut self, hit: Hit) {
        const END: u32 = u32::MAX;
        let slot =
            u32::try_from(self.hits.len()).ok().filter(|&n| n < END).expect("fewer hits than u32::MAX");
        let h = hit_hash(&hit.subject, &hit.key);
        let mut at = *self.first.entry(h).or_insert(slot);
        while at != slot {
            let existing = &mut self.hits[at as usize];
            if existing.subject == hit.subject && existing.key == hit.key {
                existing.paths.extend(hit.paths);
                existing.evidence.extend(hit.evidence);
                existing.severity = existing.severity.min(hit.severity);
                return;
            }
            match self.next[at as usize] {
                END => {
                    self.next[at as usize] = slot;
                    at = slot;
                }
                n => at = n,
            }
        }
        self.next.push(END);
        self.hits.push(hit);
    }

    /// The hits, one per subject and key, in (subject, key) order.
    pub(super) fn into_hits(self) -> Vec<Hit> {
        let mut hits = self.hits;
        // Subject and key are unique after the merge: an unstable sort gives one order.
        hits.sort_unstable_by(|x, y| (&x.subject, &x.key).cmp(&(&y.subject, &y.key)));
        hits
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
