//! Analysis + findings → the Report (the only place that knows both the engine and the schema).

use std::collections::{BTreeMap, BTreeSet};

use ztpath_probes::Inventory;
use ztpath_reports::{Diagnostic, Edge, Finding, Node, Report, SCHEMA_VERSION, Severity, Summary, Tool};

use crate::engine::Analysis;
use crate::graph::{EdgeKind, NodeKind};
use crate::rules;

/// Builds the report. Every list is sorted so that the same input gives the same bytes.
pub fn build(inv: &Inventory, a: &Analysis<'_>, mut findings: Vec<Finding>) -> Report {
    // Link findings and paths both ways.
    let mut paths = a.paths.clone();
    let index: BTreeMap<String, usize> = paths.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
    let mut flagged: BTreeSet<(String, String)> = BTreeSet::new();
    for f in &mut findings {
        f.paths.retain(|p| index.contains_key(p));
        for p in &f.paths {
            let i = index[p];
            paths[i].findings.push(f.id.clone());
            for hop in &paths[i].hops {
                flagged.insert((hop.from.clone(), hop.to.clone()));
            }
        }
    }
    for p in &mut paths {
        p.findings.sort();
        p.findings.dedup();
    }

    let mut nodes: Vec<Node> = a
        .graph
        .nodes()
        .filter(|(_, n)| n.kind != NodeKind::Scope)
        .map(|(_, n)| Node {
            id: n.id.clone(),
            kind: n.kind.as_str().to_owned(),
            name: n.name.clone(),
            namespace: n.namespace.clone(),
            attrs: n.attrs.clone(),
        })
        .collect();
    nodes.sort_by(|x, y| x.id.cmp(&y.id));
    let mut edges: Vec<Edge> = a
        .graph
        .edges()
        .filter(|(_, _, e)| !matches!(e.kind, EdgeKind::Can | EdgeKind::Contains | EdgeKind::ActsAs))
        .map(|(f, t, e)| {
            let (from, to) = (a.graph.node_data(f).id.clone(), a.graph.node_data(t).id.clone());
            let flag = flagged.contains(&(from.clone(), to.clone()));
            Edge {
                from,
                to,
                kind: e.kind.as_str().to_owned(),
                auth: e.auth,
                identity: e.identity,
                flagged: flag,
            }
        })
        .collect();
    edges.sort_by(|x, y| (&x.from, &x.to, &x.kind).cmp(&(&y.from, &y.to, &y.kind)));

    let mut by_severity: BTreeMap<String, usize> =
        Severity::ALL.iter().map(|s| (s.as_str().to_owned(), 0)).collect();
    for f in &findings {
        if let Some(s) = f.severity {
            *by_severity.entry(s.as_str().to_owned()).or_default() += 1;
        }
    }
    let mut diagnostics: Vec<Diagnostic> = inv
        .diagnostics
        .iter()
        .map(|d| Diagnostic {
            file: d.source.file.to_string(),
            line: d.source.line,
            message: d.reason.clone(),
        })
        .collect();
    diagnostics.sort_by(|x, y| (&x.file, x.line, &x.message).cmp(&(&y.file, y.line, &y.message)));

    let summary = Summary {
        files: inv.files_read,
        objects: inv.objects_read,
        workloads: a.estate.workloads.len(),
        identities: a.graph.count(NodeKind::ServiceAccount),
        credentials: a.graph.count(NodeKind::Credential),
        paths: paths.len(),
        findings: by_severity,
        diagnostics: diagnostics.len(),
        skipped_kinds: inv.skipped_kinds.clone(),
    };
    Report {
        schema_version: SCHEMA_VERSION.to_owned(),
        tool: Tool { name: "ztpath".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        summary,
        nodes,
        edges,
        paths,
        blast_radius: a.blast.clone(),
        findings,
        rules: rules::RULES.iter().map(|r| rules::info(r)).collect(),
        diagnostics,
    }
}
