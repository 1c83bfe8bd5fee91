//! SARIF 2.1.0 renderer, for code scanning (GitHub, GitLab, Azure DevOps) and SARIF viewers.
//!
//! One run. `tool.driver` lists every rule of the catalogue with its doc page as help, its
//! default level, and properties code scanning reads: `tags` (the OWASP NHI ids, the NIST
//! SP 800-207 tenets, `security`), `security-severity` (a number: critical 9.5, high 8.0,
//! medium 5.5, low 3.0, info 1.0, inside GitHub's bands) and `precision`. Each finding is a
//! result: its first file evidence is the location and the others are related locations; a
//! finding's auth paths become `codeFlows`, one thread per path and one step per hop, so a
//! reviewer can walk caller → proxy → backend. `partialFingerprints` hold the finding id, which
//! depends on rule, subject and key only, so a finding keeps its identity when its lines move.
//!
//! File locations are URIs relative to the scanned root (`uriBaseId` `SCANROOT`, which
//! `originalUriBaseIds` places relative to `%SRCROOT%`, the checkout, when the root was given as
//! a relative path). Evidence from a live source (`aws-config://…`, `aws-iam://…`, `kube://…`,
//! `tls://…`) is a logical location, never a made-up file. GitHub takes at most 25,000 results
//! per run: past that the most severe are kept (findings are sorted most severe first), and the
//! run's properties say how many were left out ([`SarifSummary::omitted`] lets the caller say so
//! on stderr too).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Component, Path};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::json::SafeFormatter;
use crate::{AuthPath, Evidence, Finding, Hop, Report, RuleInfo, Severity};

/// Results GitHub code scanning accepts in one run.
pub const MAX_RESULTS: usize = 25_000;
/// Auth paths shown as code flows per result (the finding lists every path id in its
/// properties).
pub const MAX_FLOWS: usize = 10;
/// Related locations per result (GitHub shows at most 1,000).
pub const MAX_RELATED: usize = 1_000;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const BASE: &str = "SCANROOT";

/// What the SARIF writer needs beyond the Report.
#[derive(Clone, Debug, Default)]
pub struct SarifOptions {
    /// The scanned root (a directory), as given: file URIs are relative to it.
    pub root: Option<std::path::PathBuf>,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SarifSummary {
    pub results: usize,
    /// Findings left out past [`MAX_RESULTS`] (the least severe).
    pub omitted: usize,
}

/// Writes the Report as a SARIF 2.1.0 log.
pub fn render(report: &Report, options: &SarifOptions, out: &mut dyn Write) -> io::Result<SarifSummary> {
    let (log, summary) = log(report, options);
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        SafeFormatter::new(serde_json::ser::PrettyFormatter::new()),
    );
    log.serialize(&mut ser).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(summary)
}

/// The SARIF log as a JSON value.
pub fn log(report: &Report, options: &SarifOptions) -> (Value, SarifSummary) {
    let rule_index: HashMap<&str, usize> =
        report.rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let paths: HashMap<&crate::PathId, &AuthPath> = report.paths.iter().map(|p| (&p.id, p)).collect();
    let root = options.root.as_deref().map(normalised);
    let place = Place { root: root.as_deref() };
    let kept = report.findings.len().min(MAX_RESULTS);
    let results: Vec<Value> = report.findings[..kept]
        .iter()
        .map(|f| result(f, rule_index.get(f.rule.as_str()).copied(), &paths, &place))
        .collect();
    let summary = SarifSummary { results: kept, omitted: report.findings.len() - kept };

    let mut run = Map::new();
    run.insert(
        "tool".into(),
        json!({
            "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": INFORMATION_URI,
                "rules": report.rules.iter().map(rule).collect::<Vec<_>>(),
            }
        }),
    );
    if let Some(base) = root.as_deref().and_then(base_uri) {
        run.insert("originalUriBaseIds".into(), json!({ BASE: base }));
    }
    run.insert("results".into(), Value::Array(results));
    run.insert("columnKind".into(), json!("unicodeCodePoints"));
    let mut props = Map::new();
    props.insert("schemaVersion".into(), json!(report.schema_version));
    if summary.omitted > 0 {
        props.insert("resultsTruncated".into(), json!(true));
        props.insert("resultsTotal".into(), json!(report.findings.len()));
        props.insert("resultsOmitted".into(), json!(summary.omitted));
        props.insert(
            "truncationNote".into(),
            json!(format!(
                "{} findings; code scanning takes {MAX_RESULTS} results per run, so the {} least severe are left out",
                report.findings.len(),
                summary.omitted
            )),
        );
    }
    run.insert("properties".into(), Value::Object(props));
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [Value::Object(run)],
    });
    (log, summary)
}

/// Where the project lives (the workspace's `repository`).
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// GitHub's levels: errors for critical and high, warnings for medium, notes below.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity`: critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn rule(r: &RuleInfo) -> Value {
    let mut tags: Vec<String> = vec!["security".into()];
    tags.extend(r.owasp_nhi.iter().map(|o| o.id().to_owned()));
    tags.extend(r.nist_800_207.iter().map(|t| format!("NIST-800-207-{}", t.id())));
    let help_text =
        format!("{}\n\nWhy it matters: {}\n\nHow to fix it: {}", r.title, r.rationale, r.remediation);
    let help_markdown = if r.help.is_empty() { help_text.clone() } else { r.help.clone() };
    json!({
        "id": r.id,
        "name": pascal_case(&r.name),
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": r.rationale },
        "help": { "text": help_text, "markdown": help_markdown },
        "helpUri": format!("{INFORMATION_URI}/blob/main/{}", r.doc),
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(r.severity),
            "precision": "high",
            "problem.severity": level(r.severity),
        },
    })
}

/// `plaintext-hop` → `PlaintextHop` (SARIF's convention for rule names).
fn pascal_case(kebab: &str) -> String {
    kebab
        .split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect()
}

fn result(
    f: &Finding,
    rule_index: Option<usize>,
    paths: &HashMap<&crate::PathId, &AuthPath>,
    place: &Place<'_>,
) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    r.insert("message".into(), json!({ "text": f.message }));
    // The first file evidence is where the result is shown; live evidence is logical.
    let first_file = f.evidence.iter().position(|e| !is_live(e));
    let primary = first_file.or(if f.evidence.is_empty() { None } else { Some(0) });
    let mut locations = Vec::new();
    if let Some(i) = primary {
        locations.push(place.location(&f.evidence[i], None));
    }
    r.insert("locations".into(), Value::Array(locations));
    let related: Vec<Value> = f
        .evidence
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != primary)
        .take(MAX_RELATED)
        .enumerate()
        .map(|(n, (_, e))| {
            let mut loc = place.location(e, Some("related evidence"));
            loc["id"] = json!(n + 1);
            loc
        })
        .collect();
    if !related.is_empty() {
        r.insert("relatedLocations".into(), Value::Array(related));
    }
    r.insert("partialFingerprints".into(), json!({ "ztpathFindingId/v1": f.id }));
    if let Some(b) = f.baseline {
        let state = match b {
            crate::BaselineState::New => "new",
            crate::BaselineState::Existing => "unchanged",
        };
        r.insert("baselineState".into(), json!(state));
    }
    if let Some(s) = &f.suppressed {
        let kind = match s.source {
            crate::SuppressionSource::Config => "external",
            crate::SuppressionSource::Annotation => "inSource",
        };
        let mut sup = json!({
            "kind": kind,
            "status": "accepted",
            "justification": s.reason,
            "location": place.location(&s.evidence, None),
        });
        if let Some(d) = &s.expires {
            sup["properties"] = json!({ "expires": d });
        }
        r.insert("suppressions".into(), json!([sup]));
    }
    let flows: Vec<Value> =
        f.paths.iter().filter_map(|id| paths.get(id)).take(MAX_FLOWS).map(|p| code_flow(p, place)).collect();
    if !flows.is_empty() {
        r.insert("codeFlows".into(), Value::Array(flows));
    }
    let mut props = Map::new();
    props.insert("findingId".into(), json!(f.id));
    props.insert("severity".into(), json!(f.severity.as_str()));
    props.insert(
        "subject".into(),
        json!({ "kind": f.subject.kind, "namespace": f.subject.namespace, "name": f.subject.name }),
    );
    if !f.paths.is_empty() {
        props.insert("paths".into(), json!(f.paths));
    }
    r.insert("properties".into(), Value::Object(props));
    Value::Object(r)
}

/// One auth path as a thread: a step per hop, located at the hop's first evidence.
fn code_flow(p: &AuthPath, place: &Place<'_>) -> Value {
    let steps: Vec<Value> = p
        .hops
        .iter()
        .map(|h| {
            let text = hop_text(h);
            let location = match h.evidence.first() {
                Some(e) => place.location(e, Some(&text)),
                None => json!({ "message": { "text": text } }),
            };
            json!({ "location": location })
        })
        .collect();
    json!({
        "message": { "text": format!("auth path {}", p.id) },
        "threadFlows": [{ "locations": steps }],
    })
}

fn hop_text(h: &Hop) -> String {
    let via = h.via.as_deref().map(|v| format!(" via {v}")).unwrap_or_default();
    format!("{} → {}{via}: {}, identity {}. {}", h.from, h.to, h.auth.as_str(), h.identity.as_str(), h.detail)
}

/// Live objects are named by a reference, not a file; so is standard input (`scan -`), which
/// no checkout holds.
fn is_live(e: &Evidence) -> bool {
    const SCHEMES: &[&str] = &["aws://", "aws-config://", "aws-iam://", "kube://", "tls://"];
    e.file == "<stdin>" || SCHEMES.iter().any(|s| e.file.starts_with(s))
}

struct Place<'r> {
    root: Option<&'r Path>,
}

impl Place<'_> {
    fn location(&self, e: &Evidence, message: Option<&str>) -> Value {
        let mut loc = Map::new();
        if is_live(e) {
            loc.insert(
                "logicalLocations".into(),
                // The line, where there is one (standard input), is part of the name.
                json!([{ "fullyQualifiedName": e.to_string(), "kind": "resource" }]),
            );
        } else {
            let mut artifact = Map::new();
            let file = normalised(Path::new(&*e.file));
            match self.root.and_then(|r| file.strip_prefix(r).ok()) {
                Some(rel) if !rel.as_os_str().is_empty() => {
                    artifact.insert("uri".into(), json!(encode(rel)));
                    // The current directory scanned: relative to the checkout itself.
                    let base =
                        if self.root.is_some_and(|r| r.as_os_str().is_empty()) { "%SRCROOT%" } else { BASE };
                    artifact.insert("uriBaseId".into(), json!(base));
                }
                _ => {
                    artifact.insert("uri".into(), json!(file_uri(&file)));
                }
            }
            let mut physical = Map::new();
            physical.insert("artifactLocation".into(), Value::Object(artifact));
            if e.line > 0 {
                physical.insert("region".into(), json!({ "startLine": e.line }));
            }
            loc.insert("physicalLocation".into(), Value::Object(physical));
        }
        if let Some(m) = message {
            loc.insert("message".into(), json!({ "text": m }));
        }
        Value::Object(loc)
    }
}

/// `./a/../b/c` → `b/c`: the path as written with `.` and `..` folded (no file system access).
fn normalised(p: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The scanned root for `originalUriBaseIds`: relative to the checkout when given relative and
/// inside it, else an absolute `file:` URI. Always ends with `/`.
fn base_uri(root: &Path) -> Option<Value> {
    if root.is_absolute() {
        let mut uri = file_uri(root);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        return Some(json!({ "uri": uri }));
    }
    if root.as_os_str().is_empty() {
        return None;
    }
    if root.starts_with("..") {
        // Outside the checkout: an absolute URI (SARIF forbids `..` in a base).
        let absolute = normalised(&std::env::current_dir().ok()?.join(root));
        return base_uri(&absolute);
    }
    let mut uri = encode(root);
    uri.push('/');
    Some(json!({ "uri": uri, "uriBaseId": "%SRCROOT%" }))
}

/// A path as a URI: relative paths as relative references, absolute ones as `file:` URIs.
fn file_uri(p: &Path) -> String {
    if p.is_absolute() { format!("file://{}", encode(p)) } else { encode(p) }
}

/// Percent-encodes a path for a URI (RFC 3986: unreserved characters and `/` stay).
fn encode(p: &Path) -> String {
    let s = p.to_string_lossy();
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn sarif(root: Option<&str>) -> Value {
        let report = sample::report();
        log(&report, &SarifOptions { root: root.map(Into::into) }).0
    }

    #[test]
    fn paths_become_uris_relative_to_the_root() {
        assert_eq!(encode(Path::new("a b/ü#.yaml")), "a%20b/%C3%BC%23.yaml");
        assert_eq!(normalised(Path::new("./x/../y/z.yaml")), Path::new("y/z.yaml"));
        let place = Place { root: Some(Path::new("fixtures/demo")) };
        let loc = place.location(&Evidence { file: "./fixtures/demo/apps/a.yaml".into(), line: 4 }, None);
        assert_eq!(loc["physicalLocation"]["artifactLocation"]["uri"], "apps/a.yaml");
        assert_eq!(loc["physicalLocation"]["artifactLocation"]["uriBaseId"], BASE);
        assert_eq!(loc["physicalLocation"]["region"]["startLine"], 4);
        let outside = place.location(&Evidence { file: "/etc/x.yaml".into(), line: 0 }, None);
        assert_eq!(outside["physicalLocation"]["artifactLocation"]["uri"], "file:///etc/x.yaml");
        assert!(outside["physicalLocation"].get("region").is_none());
    }

    #[test]
    fn live_evidence_is_a_logical_location() {
        let place = Place { root: None };
        let loc = place.location(&Evidence { file: "aws-iam://123456789012/role/ci".into(), line: 0 }, None);
        assert!(loc.get("physicalLocation").is_none());
        assert_eq!(loc["logicalLocations"][0]["fullyQualifiedName"], "aws-iam://123456789012/role/ci");
        let stdin = place.location(&Evidence { file: "<stdin>".into(), line: 7 }, None);
        assert!(stdin.get("physicalLocation").is_none());
        assert_eq!(stdin["logicalLocations"][0]["fullyQualifiedName"], "<stdin>:7");
    }

    #[test]
    fn every_rule_and_finding_is_there_with_github_properties() {
        let report = sample::report();
        let v = sarif(Some("."));
        let run = &v["runs"][0];
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["rules"].as_array().map(Vec::len), Some(report.rules.len()));
        let rule = &run["tool"]["driver"]["rules"][0];
        assert!(rule["properties"]["tags"].as_array().is_some_and(|t| t.contains(&json!("security"))));
        assert!(rule["properties"]["security-severity"].as_str().is_some());
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), report.findings.len());
        for (r, f) in results.iter().zip(&report.findings) {
            assert_eq!(r["ruleId"], f.rule.as_str());
            assert_eq!(r["partialFingerprints"]["ztpathFindingId/v1"], f.id.as_str());
            // The sample's catalogue holds ZT001 only: other findings carry no index.
            match r["ruleIndex"].as_u64() {
                Some(i) => assert_eq!(
                    run["tool"]["driver"]["rules"][usize::try_from(i).expect("an index")]["id"],
                    f.rule.as_str()
                ),
                None => assert!(report.rules.iter().all(|x| x.id != f.rule)),
            }
        }
    }

    #[test]
    fn past_the_github_limit_the_most_severe_are_kept_and_the_run_says_so() {
        let mut report = sample::large_report(MAX_RESULTS + 7);
        // The last finding is the least severe; the report's order is most severe first.
        if let Some(last) = report.findings.last_mut() {
            last.severity = Severity::Info;
        }
        let (v, summary) = log(&report, &SarifOptions::default());
        assert_eq!(summary, SarifSummary { results: MAX_RESULTS, omitted: 7 });
        let run = &v["runs"][0];
        assert_eq!(run["results"].as_array().map(Vec::len), Some(MAX_RESULTS));
        assert_eq!(run["properties"]["resultsOmitted"], 7);
        assert!(run["results"].as_array().is_some_and(|r| r.iter().all(|x| x["level"] != "note")));
        let (small, s) = log(&sample::report(), &SarifOptions::default());
        assert_eq!(s.omitted, 0);
        assert!(small["runs"][0]["properties"].get("resultsTruncated").is_none());
    }

    #[test]
    fn the_levels_follow_github_bands() {
        for s in Severity::ALL {
            let n: f64 = security_severity(s).parse().expect("a number");
            let band = match s {
                Severity::Critical => 9.0..=10.0,
                Severity::High => 7.0..=8.9,
                Severity::Medium => 4.0..=6.9,
                Severity::Low | Severity::Info => 0.1..=3.9,
            };
            assert!(band.contains(&n), "{s:?} {n}");
        }
        assert_eq!(pascal_case("plaintext-hop"), "PlaintextHop");
    }
}
