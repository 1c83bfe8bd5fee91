//! The CI gate's policy: what a team has decided about findings, applied to a finished report.
//!
//! - **Rules:** disabled rules do not run; a severity override replaces the severity of every
//!   finding of its rule ([`Policy::severity_of`], applied as findings are made).
//! - **Suppressions:** an `[[ignore]]` entry of the configuration file (rule, subject with globs,
//!   or finding id; a reason; an optional expiry) or a `ztpath.dev/ignore: "ZT011, ZT002: reason"`
//!   annotation on the subject object accepts a finding on the record. A suppressed finding
//!   stays in the report with its reason and leaves the gate. An expired entry suppresses nothing
//!   and is reported, and so is an entry that matches nothing.
//! - **Baseline:** the finding ids of an earlier JSON report; findings not in it are new, and
//!   only new findings gate.
//!
//! Annotations are written by whoever writes the manifests, so a pull request can suppress its
//! own findings: every suppression is listed in every format, and `inline-ignores = false` (or
//! `--no-inline-ignores`) turns annotations off where the authors are not trusted.

use std::collections::{BTreeMap, BTreeSet};

use ztpath_probes::{Inventory, Source};
use ztpath_reports::{
    BaselineState, Diagnostic, Evidence, Finding, Report, Severity, Subject, Suppression, SuppressionSource,
};

/// The annotation that suppresses findings on the object it is on.
pub const IGNORE_ANNOTATION: &str = "ztpath.dev/ignore";

/// One `[[ignore]]` entry.
#[derive(Clone, Debug)]
pub struct Ignore {
    /// Rule id (upper case), if the entry names one.
    pub rule: Option<String>,
    /// Finding id, if the entry names one.
    pub id: Option<String>,
    /// Subject patterns (globs); `None` matches anything.
    pub kind: Option<glob::Pattern>,
    pub namespace: Option<glob::Pattern>,
    pub name: Option<glob::Pattern>,
    pub reason: String,
    /// `YYYY-MM-DD` as written, and as days since 1970-01-01.
    pub expires: Option<(String, i64)>,
    /// Where the entry is (the configuration file and the entry's line).
    pub source: Evidence,
}

impl Ignore {
    fn matches(&self, f: &Finding) -> bool {
        let glob = |p: &Option<glob::Pattern>, v: Option<&str>| match p {
            None => true,
            Some(p) => v.is_some_and(|v| p.matches(v)),
        };
        self.rule.as_deref().is_none_or(|r| r.eq_ignore_ascii_case(&f.rule))
            && self.id.as_deref().is_none_or(|id| id == f.id)
            && glob(&self.kind, Some(&f.subject.kind))
            && glob(&self.namespace, f.subject.namespace.as_deref())
            && glob(&self.name, Some(&f.subject.name))
    }
}

/// What the team decided, from `.ztpath.toml` and the command line.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Rules that do not run (ids, upper case).
    pub disabled: BTreeSet<String>,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
    pub ignores: Vec<Ignore>,
    /// Read `ztpath.dev/ignore` annotations.
    pub inline_ignores: bool,
    /// Finding ids of the baseline report, when one is given.
    pub baseline: Option<BTreeSet<String>>,
}

impl Policy {
    /// The policy with nothing decided: every rule runs, annotations are read.
    pub fn new() -> Policy {
        Policy { inline_ignores: true, ..Policy::default() }
    }

    pub fn runs(&self, rule: &str) -> bool {
        !self.disabled.contains(rule)
    }

    pub fn severity_of(&self, rule: &str, found: Severity) -> Severity {
        self.severity.get(rule).copied().unwrap_or(found)
    }
}

/// Marks suppressed and (against a baseline) new findings, recounts the summary, and adds a
/// diagnostic per expired entry and per entry that matched nothing. `today` is days since
/// 1970-01-01 (`--now`).
pub fn apply(report: &mut Report, inv: &Inventory, policy: &Policy, today: i64) {
    let (annotations, malformed) = if policy.inline_ignores { annotated(inv) } else { Default::default() };
    let mut used = vec![false; policy.ignores.len()];
    for f in &mut report.findings {
        f.suppressed = suppression(f, policy, &annotations, today, &mut used);
        if let Some(ids) = &policy.baseline {
            f.baseline =
                Some(if ids.contains(f.id.as_str()) { BaselineState::Existing } else { BaselineState::New });
        }
    }
    for (entry, used) in policy.ignores.iter().zip(used) {
        let message = match &entry.expires {
            Some((day, until)) if *until < today => {
                format!(
                    "ignore entry expired on {day}: it no longer suppresses anything; renew it with a reason or fix the findings"
                )
            }
            _ if !used => {
                "ignore entry matches no finding: remove it, or check its rule and subject".to_owned()
            }
            _ => continue,
        };
        report.diagnostics.push(Diagnostic {
            file: entry.source.file.to_string(),
            line: entry.source.line,
            message,
        });
    }
    for source in malformed {
        report.diagnostics.push(Diagnostic {
            file: source.file.to_string(),
            line: source.line,
            message: format!(
                "annotation {IGNORE_ANNOTATION} is not of the form \"ZT011: reason\" (rule ids, comma-separated, a colon, a reason): ignored"
            ),
        });
    }
    report.diagnostics.sort_by(|x, y| (&x.file, x.line, &x.message).cmp(&(&y.file, y.line, &y.message)));
    recount(report);
}

/// Severity counts of the findings that are not suppressed, the suppressed count and, against a
/// baseline, the count of new findings.
fn recount(report: &mut Report) {
    for n in report.summary.findings.values_mut() {
        *n = 0;
    }
    let mut suppressed = 0;
    let mut new = 0;
    for f in &report.findings {
        if f.suppressed.is_some() {
            suppressed += 1;
            continue;
        }
        *report.summary.findings.entry(f.severity.as_str().to_owned()).or_default() += 1;
        if f.baseline == Some(BaselineState::New) {
            new += 1;
        }
    }
    report.summary.suppressed = suppressed;
    report.summary.new = report.findings.iter().any(|f| f.baseline.is_some()).then_some(new);
    report.summary.diagnostics = report.diagnostics.len();
}

fn suppression(
    f: &Finding,
    policy: &Policy,
    annotations: &BTreeMap<Subject, Annotation<'_>>,
    today: i64,
    used: &mut [bool],
) -> Option<Suppression> {
    for (i, entry) in policy.ignores.iter().enumerate() {
        if !entry.matches(f) {
            continue;
        }
        used[i] = true;
        if entry.expires.as_ref().is_some_and(|(_, until)| *until < today) {
            continue;
        }
        return Some(Suppression {
            reason: entry.reason.clone(),
            expires: entry.expires.as_ref().map(|(d, _)| d.clone()),
            source: SuppressionSource::Config,
            evidence: entry.source.clone(),
        });
    }
    let a = annotations.get(&f.subject)?;
    a.rules.iter().any(|r| r.eq_ignore_ascii_case(&f.rule)).then(|| Suppression {
        reason: a.reason.to_owned(),
        expires: None,
        source: SuppressionSource::Annotation,
        evidence: Evidence { file: a.source.file.clone().into(), line: a.source.line },
    })
}

/// `"ZT011, ZT002: reason"` → the rule ids and the reason; `None` when it has no rule id or no
/// reason.
pub fn parse_annotation(value: &str) -> Option<(Vec<&str>, &str)> {
    let (rules, reason) = value.split_once(':')?;
    let rules: Vec<&str> = rules.split(',').map(str::trim).collect();
    let reason = reason.trim();
    let id = |r: &&str| {
        r.len() >= 3 && r[..2].eq_ignore_ascii_case("zt") && r[2..].bytes().all(|b| b.is_ascii_digit())
    };
    (!reason.is_empty() && rules.iter().all(id)).then_some((rules, reason))
}

/// A `ztpath.dev/ignore` annotation, parsed.
struct Annotation<'i> {
    rules: Vec<&'i str>,
    reason: &'i str,
    source: &'i Source,
}

/// The `ztpath.dev/ignore` annotations of the objects findings can be about, parsed once, by
/// subject; and where the malformed ones are.
fn annotated(inv: &Inventory) -> (BTreeMap<Subject, Annotation<'_>>, Vec<&Source>) {
    let mut out = BTreeMap::new();
    let mut malformed = Vec::new();
    for meta in inv.object_metas() {
        let Some(value) = meta.annotations.get(IGNORE_ANNOTATION) else { continue };
        let Some((rules, reason)) = parse_annotation(value) else {
            malformed.push(&meta.source);
            continue;
        };
        let subject =
            Subject { kind: meta.kind.clone(), namespace: meta.namespace.clone(), name: meta.name.clone() };
        out.entry(subject).or_insert(Annotation { rules, reason, source: &meta.source });
    }
    (out, malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_name_rules_and_a_reason() {
        assert_eq!(
            parse_annotation("ZT011: batch job, no API calls"),
            Some((vec!["ZT011"], "batch job, no API calls"))
        );
        assert_eq!(parse_annotation("zt011 , ZT002 : ok"), Some((vec!["zt011", "ZT002"], "ok")));
        assert_eq!(parse_annotation("ZT011"), None);
        assert_eq!(parse_annotation("ZT011:   "), None);
        assert_eq!(parse_annotation("all: because"), None);
    }
}
