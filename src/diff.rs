//! `ztpath diff`: what a change did to identity between two reports.
//!
//! Both sides are [`Report`]s (read back from JSON, or scanned by the CLI). Everything is matched
//! by stable id: findings by finding id, paths by path id, credentials by node id, so a change
//! that only moves lines, renames files or adds unrelated objects compares equal. The result is
//! a [`Diff`] (schema in `ztpath_reports::diff`, documented in docs/diff.md).
//!
//! What counts as worse, and how much it matters (its severity, against `--fail-on`):
//! - an added finding that is not suppressed: its own severity;
//! - a weakened path (its `auth` or `identity` [strength](ztpath_reports::AuthMethod::strength)
//!   went down, or one of its hops sends a static secret that did not): the most severe finding
//!   not suppressed on the path in the new state, `low` when there is none;
//! - a grown blast radius (a higher score, something newly reached, or a new credential that
//!   reaches something): `high` when the new score is above the blast-radius threshold (where
//!   ZT009 fires), else `medium`.
//!
//! Added paths are listed but do not gate by themselves: what is wrong with a new path is what
//! the rules find on it, and those findings are added findings.

use std::collections::{BTreeMap, BTreeSet};

use ztpath_reports::diff::{
    BlastChange, BlastChanges, Change, DIFF_SCHEMA_VERSION, Diff, DiffSummary, FindingChanges, PathChange,
    PathChanges, PathRef, Reached, Side,
};
use ztpath_reports::{AuthMethod, AuthPath, BlastRadius, PathId, Report, Severity, Tool};

/// What the comparison needs beyond the two reports.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// Findings, paths and blast radii at or above it make the change fail; `None`: never.
    pub fail_on: Option<Severity>,
    /// The score above which a grown blast radius is `high`.
    pub blast_radius_threshold: u64,
}

/// Compares two reports. `old_side` and `new_side` describe where they came from (their counts
/// are filled in here).
pub fn compare(
    old: &Report,
    new: &Report,
    mut old_side: Side,
    mut new_side: Side,
    options: &DiffOptions,
) -> Diff {
    for (side, report) in [(&mut old_side, old), (&mut new_side, new)] {
        side.report_schema.clone_from(&report.schema_version);
        side.findings = report.findings.iter().filter(|f| f.suppressed.is_none()).count();
        side.paths = report.paths.len();
    }
    let findings = finding_changes(old, new);
    let paths = path_changes(old, new);
    let blast_radius = blast_changes(old, new, options.blast_radius_threshold);
    let at = |s: Severity| options.fail_on.is_some_and(|t| s <= t);
    let worse = findings.added.iter().filter(|f| f.suppressed.is_none() && at(f.severity)).count()
        + paths.weakened.iter().filter(|p| at(p.severity)).count()
        + blast_radius.grown.iter().filter(|b| at(b.severity)).count();
    let summary = DiffSummary {
        findings_added: findings.added.len(),
        findings_resolved: findings.resolved.len(),
        paths_added: paths.added.len(),
        paths_removed: paths.removed.len(),
        paths_weakened: paths.weakened.len(),
        paths_strengthened: paths.strengthened.len(),
        blast_grown: blast_radius.grown.len(),
        blast_shrunk: blast_radius.shrunk.len(),
        fail_on: options.fail_on.map_or("never", Severity::as_str).to_owned(),
        worse,
        failed: worse > 0,
    };
    Diff {
        schema_version: DIFF_SCHEMA_VERSION.to_owned(),
        tool: Tool { name: "ztpath".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        old: old_side,
        new: new_side,
        summary,
        findings,
        paths,
        blast_radius,
    }
}

fn finding_changes(old: &Report, new: &Report) -> FindingChanges {
    let old_ids: BTreeSet<&str> = old.findings.iter().map(|f| f.id.as_str()).collect();
    let new_ids: BTreeSet<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
    // The reports' own order (most severe first, then rule and subject) is kept.
    FindingChanges {
        added: new.findings.iter().filter(|f| !old_ids.contains(f.id.as_str())).cloned().collect(),
        resolved: old.findings.iter().filter(|f| !new_ids.contains(f.id.as_str())).cloned().collect(),
    }
}

fn path_ref(p: &AuthPath) -> PathRef {
    PathRef {
        id: p.id.to_string(),
        from: p.from.to_string(),
        to: p.to.to_string(),
        auth: p.auth,
        identity: p.identity,
    }
}

/// The hops of a path that send a static secret, as `from -> to`.
fn static_secret_hops(p: &AuthPath) -> BTreeSet<String> {
    p.hops
        .iter()
        .filter(|h| h.auth == AuthMethod::StaticSecret)
        .map(|h| format!("{} -> {}", h.from, h.to))
        .collect()
}

fn path_changes(old: &Report, new: &Report) -> PathChanges {
    let old_paths: BTreeMap<&PathId, &AuthPath> = old.paths.iter().map(|p| (&p.id, p)).collect();
    let new_paths: BTreeMap<&PathId, &AuthPath> = new.paths.iter().map(|p| (&p.id, p)).collect();
    let severity_of: BTreeMap<&str, Severity> =
        new.findings.iter().filter(|f| f.suppressed.is_none()).map(|f| (f.id.as_str(), f.severity)).collect();
    let mut changes = PathChanges::default();
    for (id, p) in &old_paths {
        if !new_paths.contains_key(id) {
            changes.removed.push(path_ref(p));
        }
    }
    for (id, p) in &new_paths {
        let Some(before) = old_paths.get(id) else {
            changes.added.push(path_ref(p));
            continue;
        };
        let strength = |a: Option<AuthMethod>| a.map(AuthMethod::strength);
        let identity_strength =
            |i: Option<ztpath_reports::IdentityState>| i.map(ztpath_reports::IdentityState::strength);
        let auth_order = strength(p.auth).cmp(&strength(before.auth));
        let identity_order = identity_strength(p.identity).cmp(&identity_strength(before.identity));
        let had = static_secret_hops(before);
        let new_static: Vec<String> =
            static_secret_hops(p).into_iter().filter(|h| !had.contains(h)).collect();
        let weakened = auth_order.is_lt() || identity_order.is_lt() || !new_static.is_empty();
        let strengthened = !weakened && (auth_order.is_gt() || identity_order.is_gt());
        if !weakened && !strengthened {
            continue;
        }
        let severity = p
            .findings
            .iter()
            .filter_map(|f| severity_of.get(f.as_str()).copied())
            .min()
            .unwrap_or(Severity::Low);
        let change = PathChange {
            id: p.id.to_string(),
            from: p.from.to_string(),
            to: p.to.to_string(),
            auth: Change { old: before.auth, new: p.auth },
            identity: Change { old: before.identity, new: p.identity },
            new_static_secret_hops: new_static,
            severity: if weakened { severity } else { Severity::Info },
            findings: p.findings.iter().map(ToString::to_string).collect(),
        };
        if weakened {
            changes.weakened.push(change);
        } else {
            changes.strengthened.push(change);
        }
    }
    changes
}

fn reached(b: &BlastRadius) -> BTreeSet<Reached> {
    b.reaches.iter().map(|r| Reached { kind: r.kind.to_string(), target: r.target.to_string() }).collect()
}

fn blast_changes(old: &Report, new: &Report, threshold: u64) -> BlastChanges {
    let old_blast: BTreeMap<&str, &BlastRadius> =
        old.blast_radius.iter().map(|b| (b.credential.id.as_str(), b)).collect();
    let new_blast: BTreeMap<&str, &BlastRadius> =
        new.blast_radius.iter().map(|b| (b.credential.id.as_str(), b)).collect();
    let ids: BTreeSet<&str> = old_blast.keys().chain(new_blast.keys()).copied().collect();
    let mut changes = BlastChanges::default();
    for id in ids {
        let (before, after) = (old_blast.get(id), new_blast.get(id));
        let was = before.map(|b| reached(b)).unwrap_or_default();
        let is = after.map(|b| reached(b)).unwrap_or_default();
        let newly: Vec<Reached> = is.difference(&was).cloned().collect();
        let gone: Vec<Reached> = was.difference(&is).cloned().collect();
        let (old_score, new_score) = (before.map(|b| b.score), after.map(|b| b.score));
        let grown = !newly.is_empty() || new_score.unwrap_or(0) > old_score.unwrap_or(0);
        let shrunk = !grown && (!gone.is_empty() || new_score.unwrap_or(0) < old_score.unwrap_or(0));
        if !grown && !shrunk {
            continue;
        }
        let credential = &after.or(before).expect("one side has it").credential;
        let severity = match new_score {
            _ if shrunk => Severity::Info,
            Some(s) if s > threshold => Severity::High,
            _ => Severity::Medium,
        };
        let change = BlastChange {
            credential: credential.id.clone(),
            kind: credential.kind.clone(),
            name: credential.name.clone(),
            score: Change { old: old_score, new: new_score },
            newly_reached: newly,
            no_longer_reached: gone,
            severity,
        };
        if grown {
            changes.grown.push(change);
        } else {
            changes.shrunk.push(change);
        }
    }
    // Widest change first, then by credential id.
    let delta = |c: &BlastChange| c.score.new.unwrap_or(0) as i128 - c.score.old.unwrap_or(0) as i128;
    changes.grown.sort_by(|a, b| delta(b).cmp(&delta(a)).then_with(|| a.credential.cmp(&b.credential)));
    changes.shrunk.sort_by(|a, b| delta(a).cmp(&delta(b)).then_with(|| a.credential.cmp(&b.credential)));
    changes
}

/// What a side argument holds: a ztpath JSON report, or manifests to scan.
pub enum SideInput {
    /// A report read back.
    Report(Box<Report>),
    /// A file or directory to scan (or `-`, standard input).
    Scan,
}

/// Reads a side argument: a regular file that is a ztpath JSON report (a JSON object with
/// `schema_version` and `tool.name` `ztpath`) is read as a report; anything else is for the
/// scanner. Errors name the file and never quote it.
pub fn read_side(path: &std::path::Path, max_bytes: u64) -> Result<SideInput, String> {
    use std::io::Read;
    let shown = ztpath_reports::text::escape_file(&path.display().to_string()).into_owned();
    if path.as_os_str() == "-" {
        return Ok(SideInput::Scan);
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read: {}", io_reason(&e)))?;
    if !meta.is_file() {
        return Ok(SideInput::Scan);
    }
    let json_named = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("{shown}: cannot read: {}", io_reason(&e)))?;
    let mut head = [0u8; 4096];
    let n = file.read(&mut head).map_err(|e| format!("{shown}: cannot read: {}", io_reason(&e)))?;
    let text = String::from_utf8_lossy(&head[..n]);
    let starts_object = text.trim_start().starts_with('{');
    // A report's first keys are `schema_version` and `tool`, as the JSON renderer writes them.
    let looks_like_report = starts_object && text.contains("\"schema_version\"");
    if !looks_like_report {
        return Ok(SideInput::Scan);
    }
    if meta.len() > max_bytes {
        return Err(format!("{shown}: the report is larger than {} MiB; not read", max_bytes >> 20));
    }
    let mut bytes = head[..n].to_vec();
    file.take(max_bytes + 1 - n as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: cannot read: {}", io_reason(&e)))?;
    #[derive(serde::Deserialize)]
    struct Probe {
        schema_version: String,
        tool: Tool,
    }
    let probe: Probe = match serde_json::from_slice(&bytes) {
        Ok(p) => p,
        Err(_) if !json_named => return Ok(SideInput::Scan),
        Err(e) => {
            return Err(format!(
                "{shown}:{}: not a ztpath JSON report (make one with `ztpath scan --format json`)",
                e.line()
            ));
        }
    };
    if probe.tool.name != "ztpath" {
        return Ok(SideInput::Scan);
    }
    let major = |v: &str| v.split('.').next().map(str::to_owned);
    if major(&probe.schema_version) != major(ztpath_reports::SCHEMA_VERSION) {
        return Err(format!(
            "{shown}: a report of another schema major version than this ztpath reads ({}); make it again with this version",
            ztpath_reports::SCHEMA_VERSION
        ));
    }
    let report: Report = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{shown}:{}: a ztpath report that does not match schema {} (make it again with `ztpath scan --format json`)",
            e.line(),
            ztpath_reports::SCHEMA_VERSION
        )
    })?;
    Ok(SideInput::Report(Box::new(report)))
}

/// An I/O error as a reason, without the OS's error number.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}
