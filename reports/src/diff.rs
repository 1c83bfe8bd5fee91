//! The schema of `ztpath diff` and its renderers (table, JSON, Markdown).
//!
//! A [`Diff`] says what a change did to identity between two states of an estate: the findings
//! it added and resolved (by finding id), the auth paths it added and removed (by path id), the
//! paths whose verdict it weakened or strengthened (by [`AuthMethod::strength`] and
//! [`IdentityState::strength`], or a new static-secret hop), and the credentials whose blast
//! radius it grew or shrank. The engine (`ztpath::diff`) fills it; this module only writes it.
//!
//! # Schema versions
//!
//! [`DIFF_SCHEMA_VERSION`] follows semantic versioning, separately from the report's
//! [`crate::SCHEMA_VERSION`]; docs/diff.md describes every field. **1.0.0** is the first.
//!
//! Every string here may come from an input that an attacker wrote (a pull request): the table
//! goes through [`text::escape`], and the Markdown through [`markdown_escape`], so that no name
//! can start a heading, close a table cell, open a link or write HTML in a pull-request comment.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::{AuthMethod, Finding, IdentityState, Severity, Tool, text};

/// Version of the diff's JSON schema.
pub const DIFF_SCHEMA_VERSION: &str = "1.0.0";

/// What a change did to identity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    /// [`DIFF_SCHEMA_VERSION`].
    pub schema_version: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The state before the change.
    pub old: Side,
    /// The state after it.
    pub new: Side,
    /// Counts, and whether the change fails the gate.
    pub summary: DiffSummary,
    /// Findings added and resolved.
    pub findings: FindingChanges,
    /// Auth paths added, removed, weakened and strengthened.
    pub paths: PathChanges,
    /// Credentials whose reach changed.
    pub blast_radius: BlastChanges,
}

/// One side of a diff.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// The argument as given (a file or directory).
    pub source: String,
    /// `report` (a JSON report read back) or `scan` (scanned by this run).
    pub kind: String,
    /// The schema version of that side's report.
    pub report_schema: String,
    /// Findings (not suppressed) on that side.
    pub findings: usize,
    /// Auth paths on that side.
    pub paths: usize,
}

/// Counts of a diff.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    /// Findings in the new state whose id the old one lacks.
    pub findings_added: usize,
    /// Findings of the old state whose id the new one lacks.
    pub findings_resolved: usize,
    /// Paths added.
    pub paths_added: usize,
    /// Paths removed.
    pub paths_removed: usize,
    /// Paths whose verdict went down.
    pub paths_weakened: usize,
    /// Paths whose verdict went up (and nothing down).
    pub paths_strengthened: usize,
    /// Credentials whose blast radius grew (or that are new and reach something).
    pub blast_grown: usize,
    /// Credentials whose blast radius shrank (or that are gone).
    pub blast_shrunk: usize,
    /// The `--fail-on` threshold the gate used (`never`: none).
    pub fail_on: String,
    /// Changes for the worse at or above the threshold: added findings (not suppressed),
    /// weakened paths and grown blast radii whose `severity` is at or above it.
    pub worse: usize,
    /// True when `worse` is not zero: the run exits 1.
    pub failed: bool,
}

/// Findings added and resolved, as the reports hold them (most severe first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingChanges {
    /// In the new state only.
    pub added: Vec<Finding>,
    /// In the old state only.
    pub resolved: Vec<Finding>,
}

/// Paths added, removed and changed, each list sorted by path id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathChanges {
    /// In the new state only.
    pub added: Vec<PathRef>,
    /// In the old state only.
    pub removed: Vec<PathRef>,
    /// Verdict down, or a new static-secret hop.
    pub weakened: Vec<PathChange>,
    /// Verdict up, nothing down.
    pub strengthened: Vec<PathChange>,
}

/// A path, in short.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRef {
    /// Path id.
    pub id: String,
    /// Caller node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// The path's method (its weakest hop's).
    pub auth: Option<AuthMethod>,
    /// The path's identity state (its weakest hop's).
    pub identity: Option<IdentityState>,
}

/// A path whose verdict changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathChange {
    /// Path id.
    pub id: String,
    /// Caller node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// Method before and after.
    pub auth: Change<Option<AuthMethod>>,
    /// Identity state before and after.
    pub identity: Change<Option<IdentityState>>,
    /// Hops that send a static secret now and did not before, as `from -> to`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_static_secret_hops: Vec<String>,
    /// How much it matters: the most severe finding (not suppressed) on the path in the new
    /// state, `low` when there is none.
    pub severity: Severity,
    /// Ids of the findings on the path in the new state.
    pub findings: Vec<String>,
}

/// A value before and after.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<T> {
    /// Before.
    pub old: T,
    /// After.
    pub new: T,
}

/// Credentials whose blast radius changed, widest change first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastChanges {
    /// Score up, or something newly reached.
    pub grown: Vec<BlastChange>,
    /// Score down or something no longer reached, nothing newly reached.
    pub shrunk: Vec<BlastChange>,
}

/// One credential's change of reach.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastChange {
    /// Credential node id.
    pub credential: String,
    /// Its kind (`secret`, `projected-sa-token`, …).
    pub kind: String,
    /// Its display name.
    pub name: String,
    /// Score before (`null`: the credential is new) and after (`null`: it is gone).
    pub score: Change<Option<u64>>,
    /// What it reaches now and did not before (identities, permissions, secrets, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub newly_reached: Vec<Reached>,
    /// What it reached before and does not now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_longer_reached: Vec<Reached>,
    /// How much it matters (grown only): `high` when the new score is above the blast-radius
    /// threshold (where ZT009 fires), else `medium`; `info` for a shrunk one.
    pub severity: Severity,
}

/// Something a credential reaches.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reached {
    /// `identity`, `permission`, `secret`, `service`, ….
    pub kind: String,
    /// What is reached.
    pub target: String,
}

/// How many newly reached things of one credential the table and the Markdown list.
const MAX_REACHED: usize = 10;

/// Diff output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    /// Plain text sections for a terminal or a CI log.
    Table,
    /// The [`Diff`] as JSON.
    Json,
    /// A pull-request comment.
    Markdown,
}

/// Writes a diff in a format.
pub fn render(diff: &Diff, format: DiffFormat, out: &mut dyn Write) -> io::Result<()> {
    let text = match format {
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(diff).map_err(io::Error::other)?;
            s.push('\n');
            s
        }
        DiffFormat::Table => table(diff),
        DiffFormat::Markdown => markdown(diff),
    };
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn opt_str<T: Copy>(v: Option<T>, f: fn(T) -> &'static str) -> &'static str {
    v.map_or("none", f)
}

fn auth_change(c: &Change<Option<AuthMethod>>) -> String {
    let (a, b) = (opt_str(c.old, AuthMethod::as_str), opt_str(c.new, AuthMethod::as_str));
    if a == b { a.to_owned() } else { format!("{a} -> {b}") }
}

fn identity_change(c: &Change<Option<IdentityState>>) -> String {
    let (a, b) = (opt_str(c.old, IdentityState::as_str), opt_str(c.new, IdentityState::as_str));
    if a == b { a.to_owned() } else { format!("{a} -> {b}") }
}

fn score_change(c: &Change<Option<u64>>) -> String {
    let show = |v: Option<u64>, none: &str| v.map_or_else(|| none.to_owned(), |n| n.to_string());
    format!("{} -> {}", show(c.old, "new"), show(c.new, "gone"))
}

fn headline(diff: &Diff) -> String {
    let s = &diff.summary;
    if s.failed {
        format!("this change makes identity worse: {} change(s) at or above {}", s.worse, s.fail_on)
    } else {
        format!("nothing at or above {} gets worse", s.fail_on)
    }
}

fn counts(diff: &Diff) -> String {
    let s = &diff.summary;
    format!(
        "findings +{} -{}; paths +{} -{}, {} weakened, {} strengthened; blast radius {} grown, {} shrunk",
        s.findings_added,
        s.findings_resolved,
        s.paths_added,
        s.paths_removed,
        s.paths_weakened,
        s.paths_strengthened,
        s.blast_grown,
        s.blast_shrunk
    )
}

/// One finding as a line of text (unescaped: each renderer escapes it).
fn finding_line(f: &Finding) -> String {
    let suppressed = if f.suppressed.is_some() { " (suppressed)" } else { "" };
    let at = f.evidence.first().map(|e| format!(" at {e}")).unwrap_or_default();
    format!("{} {} {}: {}{at}{suppressed}", f.severity, f.rule, f.subject, f.message)
}

fn path_line(p: &PathRef) -> String {
    format!(
        "{} -> {} ({}, identity {})",
        p.from,
        p.to,
        opt_str(p.auth, AuthMethod::as_str),
        opt_str(p.identity, IdentityState::as_str)
    )
}

fn change_line(p: &PathChange) -> String {
    let mut s = format!(
        "{} -> {}: auth {}, identity {}",
        p.from,
        p.to,
        auth_change(&p.auth),
        identity_change(&p.identity)
    );
    if !p.new_static_secret_hops.is_empty() {
        let _ = write!(s, "; new static-secret hop {}", p.new_static_secret_hops.join(", "));
    }
    s
}

fn blast_line(b: &BlastChange) -> String {
    format!("{} ({}): score {}", b.credential, b.kind, score_change(&b.score))
}

fn reached_line(r: &Reached) -> String {
    format!("{}: {}", r.kind, r.target)
}

fn table(diff: &Diff) -> String {
    let e = |s: &str| text::escape(s).into_owned();
    let mut out = String::new();
    let mut section = |title: &str, count: usize, lines: Vec<String>| {
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(out, "{title} ({count})");
        for l in lines {
            let _ = writeln!(out, "  {l}");
        }
        out.push('\n');
    };
    let marked = |f: &Finding, mark: char| format!("{mark} {}", e(&finding_line(f)));
    section(
        "Findings added",
        diff.findings.added.len(),
        diff.findings.added.iter().map(|f| marked(f, '+')).collect(),
    );
    section(
        "Findings resolved",
        diff.findings.resolved.len(),
        diff.findings.resolved.iter().map(|f| marked(f, '-')).collect(),
    );
    let weakened = diff.paths.weakened.iter().map(|p| format!("{} {}", p.severity, e(&change_line(p))));
    section("Paths weakened", diff.paths.weakened.len(), weakened.collect());
    section(
        "Paths added",
        diff.paths.added.len(),
        diff.paths.added.iter().map(|p| format!("+ {}", e(&path_line(p)))).collect(),
    );
    section(
        "Paths removed",
        diff.paths.removed.len(),
        diff.paths.removed.iter().map(|p| format!("- {}", e(&path_line(p)))).collect(),
    );
    section(
        "Paths strengthened",
        diff.paths.strengthened.len(),
        diff.paths.strengthened.iter().map(|p| e(&change_line(p))).collect(),
    );
    let mut grown = Vec::new();
    for b in &diff.blast_radius.grown {
        grown.push(format!("{} {}", b.severity, e(&blast_line(b))));
        grown.extend(
            b.newly_reached.iter().take(MAX_REACHED).map(|r| format!("    + {}", e(&reached_line(r)))),
        );
        if b.newly_reached.len() > MAX_REACHED {
            grown.push(format!(
                "    ... and {} more (the JSON output lists all)",
                b.newly_reached.len() - MAX_REACHED
            ));
        }
    }
    section("Blast radius grown", diff.blast_radius.grown.len(), grown);
    section(
        "Blast radius shrunk",
        diff.blast_radius.shrunk.len(),
        diff.blast_radius.shrunk.iter().map(|b| e(&blast_line(b))).collect(),
    );
    let _ = writeln!(out, "{}", counts(diff));
    let _ = writeln!(out, "{}", headline(diff));
    out
}

/// `s` safe as inline Markdown text anywhere in a line or a table cell: control and
/// bidirectional characters shown escaped ([`text::escape`]); `&`, `<`, `>` written as entities
/// (no HTML); the characters that open Markdown constructs (emphasis, code, links, images,
/// tables, strike-through, headings) and `:` (no autolink) backslash-escaped; `@` as an entity, so that
/// no name mentions a user or team.
pub fn markdown_escape(s: &str) -> String {
    let safe = text::escape(s);
    let mut out = String::with_capacity(safe.len() + 8);
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("&#64;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '|' | '~' | '!' | '#' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn markdown(diff: &Diff) -> String {
    let m = |s: &str| markdown_escape(s);
    let s = &diff.summary;
    let mut out = String::new();
    let mark = if s.failed { "❌" } else { "✅" };
    let _ = writeln!(out, "### {mark} ztpath diff: {}\n", m(&headline(diff)));
    out.push_str("| | added | removed / resolved | weakened / grown | strengthened / shrunk |\n");
    out.push_str("|---|---:|---:|---:|---:|\n");
    let _ = writeln!(out, "| Findings | {} | {} | | |", s.findings_added, s.findings_resolved);
    let _ = writeln!(
        out,
        "| Auth paths | {} | {} | {} | {} |",
        s.paths_added, s.paths_removed, s.paths_weakened, s.paths_strengthened
    );
    let _ = writeln!(out, "| Blast radius | | | {} | {} |", s.blast_grown, s.blast_shrunk);
    let mut section = |title: &str, header: &str, rows: Vec<String>| {
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n#### {title} ({})\n", rows.len());
        out.push_str(header);
        for r in rows {
            out.push_str(&r);
            out.push('\n');
        }
    };
    let finding_row = |f: &Finding| {
        let at = f.evidence.first().map(ToString::to_string).unwrap_or_default();
        let suppressed = if f.suppressed.is_some() { " (suppressed)" } else { "" };
        format!(
            "| {}{suppressed} | {} | {} | {} | {} |",
            f.severity,
            m(&f.rule),
            m(&f.subject.to_string()),
            m(&f.message),
            m(&at)
        )
    };
    let findings_header = "| Severity | Rule | Subject | Message | Evidence |\n|---|---|---|---|---|\n";
    section("Findings added", findings_header, diff.findings.added.iter().map(finding_row).collect());
    let path_change_row = |p: &PathChange| {
        let hops = p.new_static_secret_hops.iter().map(|h| m(h)).collect::<Vec<_>>().join(", ");
        format!(
            "| {} | {} | {} | {} | {} | {} |",
            p.severity,
            m(&p.from),
            m(&p.to),
            m(&auth_change(&p.auth)),
            m(&identity_change(&p.identity)),
            hops
        )
    };
    let change_header =
        "| Severity | From | To | Auth | Identity | New static-secret hops |\n|---|---|---|---|---|---|\n";
    section("Paths weakened", change_header, diff.paths.weakened.iter().map(path_change_row).collect());
    let blast_row = |b: &BlastChange| {
        let mut reached: Vec<String> =
            b.newly_reached.iter().take(MAX_REACHED).map(|r| m(&reached_line(r))).collect();
        if b.newly_reached.len() > MAX_REACHED {
            reached.push(format!("… and {} more", b.newly_reached.len() - MAX_REACHED));
        }
        let reached = reached.join("<br>");
        format!(
            "| {} | {} | {} | {} | {} |",
            b.severity,
            m(&b.credential),
            m(&b.kind),
            m(&score_change(&b.score)),
            reached
        )
    };
    let blast_header = "| Severity | Credential | Kind | Score | Newly reached |\n|---|---|---|---|---|\n";
    section("Blast radius grown", blast_header, diff.blast_radius.grown.iter().map(blast_row).collect());
    let path_row = |p: &PathRef| {
        format!(
            "| {} | {} | {} | {} |",
            m(&p.from),
            m(&p.to),
            opt_str(p.auth, AuthMethod::as_str),
            opt_str(p.identity, IdentityState::as_str)
        )
    };
    let path_header = "| From | To | Auth | Identity |\n|---|---|---|---|\n";
    section("Paths added", path_header, diff.paths.added.iter().map(path_row).collect());
    section("Paths removed", path_header, diff.paths.removed.iter().map(path_row).collect());
    section(
        "Paths strengthened",
        change_header,
        diff.paths.strengthened.iter().map(path_change_row).collect(),
    );
    section("Findings resolved", findings_header, diff.findings.resolved.iter().map(finding_row).collect());
    let shrunk_row = |b: &BlastChange| {
        format!("| {} | {} | {} |", m(&b.credential), m(&b.kind), m(&score_change(&b.score)))
    };
    section(
        "Blast radius shrunk",
        "| Credential | Kind | Score |\n|---|---|---|\n",
        diff.blast_radius.shrunk.iter().map(shrunk_row).collect(),
    );
    let _ = writeln!(
        out,
        "\n<sub>ztpath {} · diff schema {} · old: {} ({}) · new: {} ({})</sub>",
        m(&diff.tool.version),
        DIFF_SCHEMA_VERSION,
        m(&diff.old.source),
        m(&diff.old.kind),
        m(&diff.new.source),
        m(&diff.new.kind)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escape_leaves_no_construct_or_html() {
        let hostile = "<script>alert(1)</script> | `x` **b** [l](http://e) @team\n# h";
        let got = markdown_escape(hostile);
        assert!(!got.contains('<') && !got.contains('>') && !got.contains('\n'), "{got}");
        for c in ['|', '`', '*', '[', ']', '(', ')'] {
            let unescaped = got.char_indices().any(|(i, ch)| ch == c && !got[..i].ends_with('\\'));
            assert!(!unescaped, "{c} left bare in {got}");
        }
        assert!(!got.contains('@'));
    }

    #[test]
    fn the_order_of_strength_puts_plaintext_and_spoofable_lowest() {
        assert!(AuthMethod::MeshMtls.strength() > AuthMethod::StaticSecret.strength());
        assert!(AuthMethod::StaticSecret.strength() > AuthMethod::Plaintext.strength());
        assert!(IdentityState::Preserved.strength() > IdentityState::Lost.strength());
        assert!(IdentityState::Lost.strength() > IdentityState::Spoofable.strength());
    }
}
