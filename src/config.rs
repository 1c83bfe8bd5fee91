//! `.ztpath.toml`: the gate's settings kept with the repository (docs/configuration.md).
//!
//! Found at the scanned root or the nearest of its parents that has one, or given with
//! `--config`. Command-line flags win over the file, the file over the defaults. A file that
//! cannot be used is an error naming the file and the line, never quoting what is written there:
//! an ignore entry without a reason, an unknown rule id, a bad date, severity or glob.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use ztpath_reports::{Evidence, Severity};

use crate::gate::{Ignore, Policy};

/// The file's name.
pub const FILE_NAME: &str = ".ztpath.toml";

/// What the file sets (unset fields keep the command line's or the built-in values).
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    /// `fail-on`: a severity, or `None` inside for `never`.
    pub fail_on: Option<Option<Severity>>,
    pub blast_radius_threshold: Option<u64>,
    pub max_token_seconds: Option<i64>,
    pub max_key_age_days: Option<i64>,
    pub max_key_unused_days: Option<i64>,
    pub policy: Policy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    fail_on: Option<String>,
    blast_radius_threshold: Option<u64>,
    max_token_seconds: Option<i64>,
    max_key_age_days: Option<i64>,
    max_key_unused_days: Option<i64>,
    inline_ignores: Option<bool>,
    #[serde(default)]
    rules: Rules,
    #[serde(default)]
    ignore: Vec<toml::Spanned<Entry>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Rules {
    /// Only these rules run (when given).
    enable: Option<Vec<String>>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    rule: Option<String>,
    id: Option<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    reason: Option<String>,
    expires: Option<String>,
}

/// The configuration file for a scan: `explicit`, else the nearest `.ztpath.toml` at or above
/// `root`.
pub fn locate(explicit: Option<&Path>, root: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let start = std::fs::canonicalize(root?).ok()?;
    start.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file())
}

/// Reads and checks a configuration file. The error names the file and, where known, the line.
pub fn load(path: &Path, known_rules: &[&str]) -> Result<Config, String> {
    const LIMIT: u64 = 1 << 20;
    let shown = ztpath_reports::text::escape_file(&path.display().to_string()).into_owned();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read the configuration: {e}"))?;
    if !meta.is_file() || meta.len() > LIMIT {
        return Err(format!("{shown}: not a configuration file (a regular file of at most 1 MiB)"));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read the configuration: {e}"))?;
    parse(&text, &shown, known_rules).map(|mut c| {
        c.path = Some(path.to_path_buf());
        c
    })
}

fn line_of(text: &str, offset: usize) -> u32 {
    let upto = &text.as_bytes()[..offset.min(text.len())];
    u32::try_from(upto.iter().filter(|&&b| b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

fn severity(word: &str) -> Option<Severity> {
    Severity::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(word))
}

/// Parses the text of a configuration file named `shown` in messages.
pub fn parse(text: &str, shown: &str, known_rules: &[&str]) -> Result<Config, String> {
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| format!(":{}", line_of(text, s.start))).unwrap_or_default();
        // toml's own message can quote the text; say what is wrong in general terms instead.
        format!(
            "{shown}{at}: not a valid ztpath configuration (TOML syntax, or a key or value type ztpath does not know; see docs/configuration.md)"
        )
    })?;
    let known: BTreeSet<String> = known_rules.iter().map(|r| r.to_ascii_uppercase()).collect();
    let rule_id = |r: &str, what: &str| -> Result<String, String> {
        let id = r.trim().to_ascii_uppercase();
        if known.contains(&id) {
            Ok(id)
        } else {
            Err(format!("{shown}: {what} names a rule ztpath does not have (see `ztpath rules`)"))
        }
    };
    let mut policy = Policy::new();
    if let Some(v) = file.inline_ignores {
        policy.inline_ignores = v;
    }
    if let Some(enable) = &file.rules.enable {
        let enabled: BTreeSet<String> =
            enable.iter().map(|r| rule_id(r, "[rules] enable")).collect::<Result<_, _>>()?;
        policy.disabled.extend(known.iter().filter(|r| !enabled.contains(*r)).cloned());
    }
    for r in &file.rules.disable {
        policy.disabled.insert(rule_id(r, "[rules] disable")?);
    }
    for (r, s) in &file.rules.severity {
        let id = rule_id(r, "[rules.severity]")?;
        let s = severity(s).ok_or_else(|| {
            format!("{shown}: [rules.severity] for {id} must be critical, high, medium, low or info")
        })?;
        policy.severity.insert(id, s);
    }
    for spanned in &file.ignore {
        let line = line_of(text, spanned.span().start);
        let e = spanned.get_ref();
        let at = format!("{shown}:{line}");
        let reason = e.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).ok_or_else(|| {
            format!("{at}: an [[ignore]] entry needs a `reason`: an accepted risk is accepted on the record")
        })?;
        let rule = e.rule.as_deref().map(|r| rule_id(r, &format!("{at}: [[ignore]] `rule`"))).transpose()?;
        let pattern = |p: &Option<String>, key: &str| -> Result<Option<glob::Pattern>, String> {
            p.as_deref()
                .map(|g| {
                    glob::Pattern::new(g).map_err(|_| format!("{at}: [[ignore]] `{key}` is not a valid glob"))
                })
                .transpose()
        };
        let (kind, namespace, name) =
            (pattern(&e.kind, "kind")?, pattern(&e.namespace, "namespace")?, pattern(&e.name, "name")?);
        if rule.is_none() && e.id.is_none() {
            return Err(format!("{at}: an [[ignore]] entry names a `rule` or a finding `id`"));
        }
        let expires = match e.expires.as_deref() {
            None => None,
            Some(d) => Some((
                d.to_owned(),
                crate::dates::parse_day(d)
                    .ok_or_else(|| format!("{at}: [[ignore]] `expires` must be a date, YYYY-MM-DD"))?,
            )),
        };
        policy.ignores.push(Ignore {
            rule,
            id: e.id.clone(),
            kind,
            namespace,
            name,
            reason: reason.to_owned(),
            expires,
            source: Evidence { file: shown.to_owned().into(), line },
        });
    }
    let fail_on =
        match file.fail_on.as_deref() {
            None => None,
            Some(w) if w.eq_ignore_ascii_case("never") => Some(None),
            Some(w) => Some(Some(severity(w).filter(|s| *s != Severity::Info).ok_or_else(|| {
                format!("{shown}: `fail-on` must be critical, high, medium, low or never")
            })?)),
        };
    Ok(Config {
        path: None,
        fail_on,
        blast_radius_threshold: file.blast_radius_threshold,
        max_token_seconds: file.max_token_seconds,
        max_key_age_days: file.max_key_age_days,
        max_key_unused_days: file.max_key_unused_days,
        policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[&str] = &["ZT001", "ZT002", "ZT011"];

    #[test]
    fn a_full_file_is_read() {
        let c = parse(
            "fail-on = \"medium\"\nblast-radius-threshold = 50\n[rules]\ndisable = [\"zt002\"]\n[rules.severity]\nZT011 = \"low\"\n\n[[ignore]]\nrule = \"ZT011\"\nnamespace = \"batch-*\"\nreason = \"jobs call no API\"\nexpires = \"2027-01-31\"\n",
            ".ztpath.toml",
            RULES,
        )
        .expect("valid");
        assert_eq!(c.fail_on, Some(Some(Severity::Medium)));
        assert_eq!(c.blast_radius_threshold, Some(50));
        assert!(c.policy.disabled.contains("ZT002"));
        assert_eq!(c.policy.severity.get("ZT011"), Some(&Severity::Low));
        let i = &c.policy.ignores[0];
        assert_eq!(i.source.line, 8);
        assert_eq!(i.expires.as_ref().map(|e| e.0.as_str()), Some("2027-01-31"));
    }

    #[test]
    fn bad_files_are_refused_with_the_line_and_without_the_text() {
        let err = |t: &str| parse(t, "c.toml", RULES).expect_err("refused");
        let e = err("[[ignore]]\nrule = \"ZT011\"\n");
        assert!(e.starts_with("c.toml:1:") && e.contains("reason"), "{e}");
        let e = err("[[ignore]]\nrule = \"ZT999\"\nreason = \"x\"\n");
        assert!(e.contains("rule ztpath does not have"), "{e}");
        let e = err("[[ignore]]\nrule = \"ZT011\"\nreason = \"x\"\nexpires = \"2027-02-30\"\n");
        assert!(e.contains("YYYY-MM-DD"), "{e}");
        let e = err("secret-sauce = \"hunter2\"\n");
        assert!(e.starts_with("c.toml:1:") && !e.contains("hunter2") && !e.contains("secret-sauce"), "{e}");
        let e = err("[rules]\ndisable = [\"NOPE\"]\n");
        assert!(e.contains("[rules] disable"), "{e}");
    }
}
