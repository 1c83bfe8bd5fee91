//! Markdown renderer: the auditor's summary, the compliance matrix and the findings grouped by
//! rule, in GitHub-flavoured Markdown for wikis, tickets and pull-request comments.
//!
//! Every string that comes from the input (names, messages, files, path ids) goes through
//! [`markdown_escape`]: `|` and backticks are backslash-escaped, `<`, `>` and `&` written as
//! entities, line breaks and other controls shown as visible escapes (`\n`), so no input can end a
//! table row, open a code span or inject HTML. The rules' rationale and remediation are the
//! catalogue's own Markdown and are written as they are.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::compliance::{self, Row};
use crate::diff::markdown_escape;
use crate::{DocumentOptions, Finding, Report, RuleInfo, Severity};

/// How many paths a finding's row names before it says how many more there are.
const PATHS_PER_ROW: usize = 3;
/// How many diagnostics are listed.
const DIAGNOSTICS_LISTED: usize = 200;

fn m(s: &str) -> String {
    markdown_escape(s)
}

/// Writes the report as GitHub-flavoured Markdown.
pub fn render(report: &Report, options: &DocumentOptions, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(document(report, options).as_bytes())
}

fn document(report: &Report, options: &DocumentOptions) -> String {
    let mut s = String::with_capacity(4096 + report.findings.len() * 200);
    let _ = writeln!(s, "# ztpath report\n");
    let mut scope = format!(
        "{} {} · schema {}",
        m(&report.tool.name),
        m(&report.tool.version),
        m(&report.schema_version)
    );
    if let Some(now) = &options.now {
        let _ = write!(scope, " · reference date {}", m(now));
    }
    if !options.inputs.is_empty() {
        let inputs: Vec<String> = options.inputs.iter().map(|i| m(i)).collect();
        let _ = write!(scope, " · inputs {}", inputs.join(", "));
    }
    if let Some(digest) = &report.summary.input_digest {
        let _ = write!(scope, " · input digest {}", m(digest));
    }
    let _ = writeln!(s, "{scope}\n");
    summary(&mut s, report);
    matrix(&mut s, report);
    findings(&mut s, report);
    diagnostics(&mut s, report);
    s
}

fn summary(s: &mut String, report: &Report) {
    let sm = &report.summary;
    let _ = writeln!(s, "## Summary\n");
    let _ = writeln!(s, "| Files | Objects | Workloads | Identities | Credentials | Paths | Diagnostics |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        sm.files, sm.objects, sm.workloads, sm.identities, sm.credentials, sm.paths, sm.diagnostics
    );
    let _ = writeln!(s, "| Severity | Findings |");
    let _ = writeln!(s, "|---|---:|");
    for sev in Severity::ALL {
        let _ = writeln!(s, "| {sev} | {} |", sm.findings.get(sev.as_str()).copied().unwrap_or(0));
    }
    let _ = writeln!(s, "| **total** | **{}** |\n", sm.total_findings());
    let mut extra = Vec::new();
    if sm.suppressed > 0 {
        extra.push(format!("{} suppressed (not counted above)", sm.suppressed));
    }
    if let Some(new) = sm.new {
        extra.push(format!("{new} new against the baseline"));
    }
    if let Some(unread) = sm.unread_sentence() {
        extra.push(format!("**{}**", m(&unread)));
    }
    if !extra.is_empty() {
        let _ = writeln!(s, "{}.\n", extra.join("; "));
    }
}

fn matrix_rows(s: &mut String, rows: &[Row], label: &str) {
    let _ = writeln!(s, "| {label} | Critical | High | Medium | Low | Info | Status | Rules |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---|---|");
    for r in rows {
        let rules = if r.rules.is_empty() {
            "—".to_string()
        } else {
            r.rules.iter().map(|id| m(id)).collect::<Vec<_>>().join(", ")
        };
        let c = r.counts;
        let _ = writeln!(
            s,
            "| {} {} | {} | {} | {} | {} | {} | {} | {} |",
            m(r.id),
            m(r.title),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            r.status().as_str(),
            rules
        );
    }
    s.push('\n');
}

fn matrix(s: &mut String, report: &Report) {
    let mx = compliance::matrix(report);
    let _ = writeln!(s, "## Compliance matrix\n");
    let _ = writeln!(
        s,
        "Findings (not suppressed) by severity in each category their rule maps to; *not covered* means no rule of this scan checks it.\n"
    );
    let _ = writeln!(s, "### OWASP Non-Human Identities Top 10 (2025)\n");
    matrix_rows(s, &mx.owasp, "Risk");
    let _ = writeln!(s, "### NIST SP 800-207 tenets\n");
    matrix_rows(s, &mx.nist, "Tenet");
}

/// The findings of each rule, the rules ordered by their most severe finding, then by id.
pub(crate) fn groups(report: &Report) -> Vec<(&str, Vec<&Finding>)> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_rule: std::collections::HashMap<&str, Vec<&Finding>> = std::collections::HashMap::new();
    for f in &report.findings {
        by_rule
            .entry(f.rule.as_str())
            .or_insert_with(|| {
                order.push(f.rule.as_str());
                Vec::new()
            })
            .push(f);
    }
    let worst = |fs: &[&Finding]| fs.iter().map(|f| f.severity).min().unwrap_or(Severity::Info);
    let mut groups: Vec<(&str, Vec<&Finding>)> =
        order.into_iter().map(|r| (r, by_rule.remove(r).unwrap_or_default())).collect();
    groups.sort_by(|a, b| worst(&a.1).cmp(&worst(&b.1)).then_with(|| a.0.cmp(b.0)));
    groups
}

fn rule_header(s: &mut String, id: &str, rule: Option<&RuleInfo>, n: usize) {
    let title = rule.map_or("", |r| r.title.as_str());
    let plural = if n == 1 { "finding" } else { "findings" };
    let _ = writeln!(s, "### {} {} ({n} {plural})\n", m(id), m(title));
    let Some(rule) = rule else { return };
    let nhi: Vec<&str> = rule.owasp_nhi.iter().map(|c| c.id()).collect();
    let nist: Vec<&str> = rule.nist_800_207.iter().map(|t| t.id()).collect();
    let _ = writeln!(
        s,
        "Severity {} · OWASP NHI {} · NIST SP 800-207 {} · {}\n",
        rule.severity,
        m(&nhi.join(", ")),
        m(&nist.join(", ")),
        m(&rule.doc)
    );
    let _ = writeln!(s, "**Why.** {}\n", rule.rationale.trim());
    let _ = writeln!(s, "**Fix.** {}\n", rule.remediation.trim());
}

fn finding_row(s: &mut String, f: &Finding) {
    let mut sev = f.severity.as_str().to_string();
    if f.suppressed.is_some() {
        sev.push_str(" (suppressed)");
    }
    if f.baseline == Some(crate::BaselineState::New) {
        sev.push_str(" (new)");
    }
    let evidence: Vec<String> = f.evidence.iter().map(|e| m(&e.to_string())).collect();
    let mut paths: Vec<String> = f.paths.iter().take(PATHS_PER_ROW).map(|p| m(&p.to_string())).collect();
    if f.paths.len() > PATHS_PER_ROW {
        paths.push(format!("and {} more", f.paths.len() - PATHS_PER_ROW));
    }
    let _ = writeln!(
        s,
        "| {sev} | {} | {} | {} | {} |",
        m(&f.subject.to_string()),
        m(&f.message),
        evidence.join("<br>"),
        paths.join("<br>")
    );
}

fn findings(s: &mut String, report: &Report) {
    let _ = writeln!(s, "## Findings by rule\n");
    let groups = groups(report);
    if groups.is_empty() {
        let _ = writeln!(s, "No findings.\n");
        return;
    }
    for (id, fs) in groups {
        rule_header(s, id, report.rules.iter().find(|r| r.id == id), fs.len());
        let _ = writeln!(s, "| Severity | Subject | Message | Evidence | Paths |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for f in fs {
            finding_row(s, f);
        }
        s.push('\n');
    }
}

fn diagnostics(s: &mut String, report: &Report) {
    if report.diagnostics.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Inputs not read\n");
    let _ = writeln!(s, "| File | Line | Reason |");
    let _ = writeln!(s, "|---|---:|---|");
    for d in report.diagnostics.iter().take(DIAGNOSTICS_LISTED) {
        let _ = writeln!(s, "| {} | {} | {} |", m(&d.file), d.line, m(&d.message));
    }
    if report.diagnostics.len() > DIAGNOSTICS_LISTED {
        let _ = writeln!(
            s,
            "\nand {} more (the JSON report lists them all).",
            report.diagnostics.len() - DIAGNOSTICS_LISTED
        );
    }
    s.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn render(r: &Report) -> String {
        document(r, &DocumentOptions { now: Some("2026-11-25".into()), inputs: vec!["fixtures/demo".into()] })
    }

    #[test]
    fn structure_summary_matrix_and_findings_by_rule() {
        let md = render(&sample::report());
        let heads: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            heads,
            [
                "# ztpath report",
                "## Summary",
                "## Compliance matrix",
                "### OWASP Non-Human Identities Top 10 (2025)",
                "### NIST SP 800-207 tenets",
                "## Findings by rule",
                "### ZT001 Plaintext hop loses caller identity (1 finding)",
                "### ZT004  (1 finding)",
                "## Inputs not read",
            ]
        );
        let header = format!(
            "ztpath 0.1.0 · schema {} · reference date 2026-11-25 · inputs fixtures/demo · input digest hmac-sha256\\:{}\n",
            crate::SCHEMA_VERSION,
            "0123456789abcdef".repeat(4)
        );
        assert!(md.contains(&header), "{md}");
        assert!(md.contains("| critical | 1 |\n| high | 0 |\n| medium | 1 |"), "{md}");
        assert!(
            md.contains("| NHI5\\:2025 Overprivileged NHI | 1 | 0 | 0 | 0 | 0 | fails | ZT001 |\n"),
            "{md}"
        );
        assert!(md.contains("| NHI1\\:2025 Improper Offboarding | 0 | 0 | 0 | 0 | 0 | not covered | — |\n"));
        assert!(md.contains("| T2 All communication is secured regardless of network location | 1 | 0 | 0 | 0 | 0 | fails | ZT001 |\n"));
        assert!(md.contains(
            "| critical | Deployment shop/cart | cart calls payments/api in plaintext; api cannot tell who called | mesh/peer-auth.yaml\\:4<br>shop/cart.yaml\\:21<br>payments/api.yaml\\:9 | path\\:workload\\:shop/Deployment/cart-&gt;workload\\:payments/Deployment/api |\n"
        ), "{md}");
        assert!(md.contains("**Fix.** Require STRICT mTLS.\n"));
        assert!(md.contains("| manifests/broken.yaml | 7 | mapping values are not allowed here |\n"));
    }

    #[test]
    fn hostile_names_are_escaped_exactly() {
        let mut r = sample::report();
        r.findings[0].subject.name = "a|b`c<script>alert(1)</script>\nd".into();
        r.findings[0].message = "x | y `z` <img src=x onerror=alert(1)> \u{202e}rtl".into();
        r.findings[0].evidence = vec![crate::Evidence { file: "dir/\"><b>.yaml".into(), line: 3 }];
        let md = render(&r);
        let row = md.lines().find(|l| l.starts_with("| critical | Deployment")).unwrap();
        assert_eq!(
            row,
            "| critical | Deployment shop/a\\|b\\`c&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\\\nd | x \\| y \\`z\\` &lt;img src=x onerror=alert\\(1\\)&gt; \\\\u\\{202e\\}rtl | dir/\"&gt;&lt;b&gt;.yaml\\:3 | path\\:workload\\:shop/Deployment/cart-&gt;workload\\:payments/Deployment/api |"
        );
        // A line break and an RTL override are shown as visible escapes (`\n`, `\u{202e}` once
        // GitHub renders the backslashes), and the row still has exactly six unescaped pipes.
        let bare = row.char_indices().filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\')).count();
        assert_eq!(bare, 6);
    }

    #[test]
    fn suppressed_and_new_are_marked_and_more_paths_are_counted() {
        let mut r = sample::report();
        r.findings[1].baseline = Some(crate::BaselineState::New);
        r.findings[0].paths = (0..5).map(|i| format!("path:{i}").into()).collect();
        let md = render(&r);
        assert!(md.contains("| medium (new) | Secret shop/db-creds |"));
        assert!(md.contains("path\\:0<br>path\\:1<br>path\\:2<br>and 2 more |"));
    }
}
