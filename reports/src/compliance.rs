//! The compliance matrix: the ten OWASP NHI (2025) risks and the seven NIST SP 800-207 tenets,
//! each with the findings of the rules mapped to it, by severity, and the rules that check it.
//!
//! A finding counts in every category its rule maps to (a rule may map to several), and
//! suppressed findings are left out, as in [`crate::Summary::findings`]. A category no rule of the
//! report maps to is *not covered*: this tool says nothing about it, which is not a pass. The HTML
//! and Markdown renderers draw the same rows from here.

use std::collections::HashMap;

use crate::{NistTenet, OwaspNhi, Report, Severity};

/// One row of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// `NHI1:2025` … `NHI10:2025`, or `T1` … `T7`.
    pub id: &'static str,
    /// The category's title.
    pub title: &'static str,
    /// Findings by severity, in [`Severity::ALL`] order.
    pub counts: [usize; 5],
    /// Ids of the rules of the report that check the category, in catalogue order.
    pub rules: Vec<String>,
}

/// What a row says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// At least one finding other than `info`.
    Fails,
    /// Only `info` findings, or none, and rules check it.
    Passes,
    /// No rule of this report checks it.
    NotCovered,
}

impl Status {
    /// Lower-case words for the page.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fails => "fails",
            Status::Passes => "passes",
            Status::NotCovered => "not covered",
        }
    }
}

impl Row {
    /// Every finding of the row.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Fails, passes, or not covered.
    pub fn status(&self) -> Status {
        if self.rules.is_empty() {
            Status::NotCovered
        } else if self.counts[..4].iter().any(|&n| n > 0) {
            Status::Fails
        } else {
            Status::Passes
        }
    }
}

/// The matrix: the OWASP rows, then the NIST rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    /// NHI1 … NHI10.
    pub owasp: Vec<Row>,
    /// T1 … T7.
    pub nist: Vec<Row>,
}

fn severity_index(s: Severity) -> usize {
    Severity::ALL.iter().position(|&x| x == s).unwrap_or(4)
}

/// Counts the report's findings into the matrix.
pub fn matrix(report: &Report) -> Matrix {
    let mut owasp: Vec<Row> = OwaspNhi::ALL
        .iter()
        .map(|c| Row { id: c.id(), title: c.title(), counts: [0; 5], rules: Vec::new() })
        .collect();
    let mut nist: Vec<Row> = NistTenet::ALL
        .iter()
        .map(|t| Row { id: t.id(), title: t.title(), counts: [0; 5], rules: Vec::new() })
        .collect();
    let mut by_rule: HashMap<&str, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for rule in &report.rules {
        let o: Vec<usize> =
            rule.owasp_nhi.iter().filter_map(|c| OwaspNhi::ALL.iter().position(|x| x == c)).collect();
        let n: Vec<usize> =
            rule.nist_800_207.iter().filter_map(|t| NistTenet::ALL.iter().position(|x| x == t)).collect();
        for &i in &o {
            owasp[i].rules.push(rule.id.clone());
        }
        for &i in &n {
            nist[i].rules.push(rule.id.clone());
        }
        by_rule.insert(rule.id.as_str(), (o, n));
    }
    for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        let Some((o, n)) = by_rule.get(f.rule.as_str()) else { continue };
        let s = severity_index(f.severity);
        for &i in o {
            owasp[i].counts[s] += 1;
        }
        for &i in n {
            nist[i].counts[s] += 1;
        }
    }
    Matrix { owasp, nist }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_counts_its_critical_finding_under_its_rules_categories() {
        let m = matrix(&crate::sample::report());
        assert_eq!(m.owasp.len(), 10);
        assert_eq!(m.nist.len(), 7);
        // ZT001 (critical) maps to NHI5 and T2; ZT004 is not in the sample's catalogue.
        assert_eq!(m.owasp[4].counts, [1, 0, 0, 0, 0]);
        assert_eq!(m.owasp[4].status(), Status::Fails);
        assert_eq!(m.nist[1].counts, [1, 0, 0, 0, 0]);
        assert_eq!(m.owasp[0].status(), Status::NotCovered);
        assert_eq!(m.owasp[0].total(), 0);
    }

    #[test]
    fn suppressed_findings_do_not_count_and_info_alone_passes() {
        let mut r = crate::sample::report();
        r.findings[0].severity = Severity::Info;
        let m = matrix(&r);
        assert_eq!(m.owasp[4].counts, [0, 0, 0, 0, 1]);
        assert_eq!(m.owasp[4].status(), Status::Passes);
        r.findings[0].suppressed = Some(crate::Suppression {
            reason: "accepted".into(),
            expires: None,
            source: crate::SuppressionSource::Config,
            evidence: crate::Evidence::default(),
        });
        assert_eq!(matrix(&r).owasp[4].total(), 0);
    }
}
