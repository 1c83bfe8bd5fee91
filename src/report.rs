//! Analysis + findings → the Report (the only place that knows both the engine and the schema).

use std::collections::{BTreeMap, HashSet};

use ztpath_probes::Inventory;
use ztpath_reports::{Diagnostic, Edge, Finding, Node, Report, SCHEMA_VERSION, Severity, Summary, Tool};

use crate::analysis::Analysis;
use crate::graph::{EdgeKind, NodeKind};
use crate::rules;

/// Builds the report. Every list is sorted so that the same input gives the same bytes.
pub fn build(inv: &Inventory, mut a: Analysis<'_>, mut findings: Vec<Finding>) -> Report {
    // Link findings and paths both ways. The analysis is consumed: its paths and blast radius
    // move into the report instead of being copied. A report without the graph (the table view)
    // carries no paths, so there is nothing to link, and the paths are dropped here, before the
    // report's other lists are built.
    let with_graph = a.options().graph_in_report;
    for f in &mut findings {
        f.paths.retain(|p| a.path_position(p).is_some());
    }
    let path_count = a.paths().len();
    // In id order.
    let (mut paths, blast) = a.take_outputs();
    if with_graph {
        for f in &findings {
            for id in &f.paths {
                if let Ok(i) = paths.binary_search_by(|p| p.id.cmp(id)) {
                    paths[i].findings.push(f.id.clone());
                }
            }
        }
        for p in &mut paths {
            p.findings.sort();
            p.findings.dedup();
        }
    } else {
        let dropped = std::mem::take(&mut paths);
        if a.options().skip_teardown {
            // As for the analysis below: the process exits after reporting.
            std::mem::forget(dropped);
        }
    }
    let mut flagged: HashSet<(&str, &str)> = HashSet::new();
    for p in paths.iter().filter(|p| !p.findings.is_empty()) {
        for hop in &p.hops {
            flagged.insert((hop.from.as_str(), hop.to.as_str()));
        }
    }

    // Kinds are a handful of words: one shared string each, not one per node and edge.
    let mut kinds: Vec<(&'static str, ztpath_reports::SharedStr)> = Vec::new();
    let mut kind = |k: &'static str| -> ztpath_reports::SharedStr {
        if let Some((_, s)) = kinds.iter().find(|(n, _)| std::ptr::eq(*n, k) || *n == k) {
            return s.clone();
        }
        let s = ztpath_reports::SharedStr::from(k);
        kinds.push((k, s.clone()));
        s
    };
    let mut nodes: Vec<Node> = a
        .graph()
        .nodes()
        .filter(|(_, n)| with_graph && n.kind != NodeKind::Scope)
        .map(|(_, n)| Node {
            id: n.id.clone(),
            kind: kind(n.kind.as_str()),
            name: n.name.clone(),
            namespace: n.namespace.clone(),
            attrs: n.attrs.iter().map(|(k, v)| (kind(k), v.clone())).collect(),
        })
        .collect();
    // Ids are unique (and so are an edge's from, to and kind): an unstable sort gives the same
    // order without the stable sort's buffer of half the list.
    nodes.sort_unstable_by(|x, y| x.id.cmp(&y.id));
    let mut edges: Vec<Edge> = a
        .graph()
        .edges()
        .filter(|(_, _, e)| {
            with_graph && !matches!(e.kind, EdgeKind::Can | EdgeKind::Contains | EdgeKind::ActsAs)
        })
        .map(|(f, t, e)| {
            let (from, to) = (&a.graph().node_data(f).id, &a.graph().node_data(t).id);
            let flag = flagged.contains(&(from.as_str(), to.as_str()));
            Edge {
                from: from.clone(),
                to: to.clone(),
                kind: kind(e.kind.as_str()),
                auth: e.auth,
                identity: e.identity,
                flagged: flag,
            }
        })
        .collect();
    edges.sort_unstable_by(|x, y| (&x.from, &x.to, &x.kind).cmp(&(&y.from, &y.to, &y.kind)));
    drop(flagged);

    let mut by_severity: BTreeMap<String, usize> =
        Severity::ALL.iter().map(|s| (s.as_str().to_owned(), 0)).collect();
    for f in &findings {
        *by_severity.entry(f.severity.as_str().to_owned()).or_default() += 1;
    }
    let mut diagnostics: Vec<Diagnostic> = inv
        .diagnostics
        .iter()
        .chain(&a.unplaced().diagnostics())
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
        workloads: a.workloads().len(),
        identities: a.graph().count(NodeKind::ServiceAccount),
        credentials: a.graph().count(NodeKind::Credential),
        paths: path_count,
        findings: by_severity,
        diagnostics: diagnostics.len(),
        skipped_kinds: inv.skipped_kinds.clone(),
        suppressed: 0,
        new: None,
        input_digest: inv.input_digest.as_ref().map(|d| d.as_str().to_owned()),
        unread_kinds: inv
            .unread_kinds
            .iter()
            .map(|u| ztpath_reports::UnreadKind {
                kind: u.kind.clone(),
                group: Some(u.group.clone()).filter(|g| !g.is_empty()),
                namespace: u.namespace.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
    };
    let report = Report {
        schema_version: SCHEMA_VERSION.to_owned(),
        tool: Tool { name: "ztpath".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        summary,
        nodes,
        edges,
        paths,
        blast_radius: blast,
        findings,
        rules: rules::RULES
            .iter()
            .filter(|r| a.options().policy.runs(r.id))
            .map(|r| rules::info(r))
            .collect(),
        diagnostics,
        tls: inv.tls.iter().map(|o| crate::tls::endpoint(o, a.options().today)).collect(),
    };
    if a.options().skip_teardown {
        std::mem::forget(a);
    }
    report
}
