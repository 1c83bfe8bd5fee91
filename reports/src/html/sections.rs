//! The static parts of the HTML page: navigation, scope, executive summary (with its SVG
//! charts), compliance matrix, and the containers and filter controls the script fills.
//! Every string from the Report goes through [`esc`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use super::escape::esc;
use crate::compliance::{self, Row};
use crate::{AuthPath, DocumentOptions, NistTenet, OwaspNhi, Report, Severity};

/// How many diagnostics the scope lists.
const DIAGNOSTICS_LISTED: usize = 100;
/// How many namespaces the namespace chart shows.
const NAMESPACES_CHARTED: usize = 10;

pub(super) fn body(report: &Report, options: &DocumentOptions) -> String {
    let mut s = String::with_capacity(32 * 1024);
    s.push_str(
        "<header class=\"top\"><span class=\"brand\">ztpath</span><nav>\
         <a href=\"#scope\">Scope</a><a href=\"#summary\">Summary</a><a href=\"#matrix\">Compliance</a>\
         <a href=\"#findings\">Findings</a><a href=\"#blast\">Blast radius</a><a href=\"#paths\">Paths</a>\
         <a href=\"#graph\">Graph</a></nav></header>\n<main>\n",
    );
    scope(&mut s, report, options);
    summary(&mut s, report);
    matrix(&mut s, report);
    findings(&mut s, report);
    s.push_str(
        "<section id=\"blast\"><h2>Blast radius</h2><p class=\"lead\">Credentials ranked by what they reach; open one for the chains that explain it.</p>\
         <div class=\"toolbar noprint\"><input id=\"b-q\" type=\"search\" placeholder=\"Search credentials\" aria-label=\"Search credentials\"></div>\
         <p class=\"count\" id=\"b-count\"></p><div id=\"b-list\"></div><div class=\"pager noprint\" id=\"b-pager\"></div></section>\n",
    );
    s.push_str(
        "<section id=\"paths\"><h2>Path explorer</h2><p class=\"lead\">Each auth path hop by hop: how the caller is authenticated and what becomes of its identity.</p>\
         <div class=\"toolbar noprint\"><input id=\"p-q\" type=\"search\" placeholder=\"Search paths\" aria-label=\"Search paths\">\
         <label><input type=\"checkbox\" id=\"p-flagged\"> with findings only</label></div>\
         <p class=\"count\" id=\"p-count\"></p><div id=\"p-list\"></div><div class=\"pager noprint\" id=\"p-pager\"></div></section>\n",
    );
    graph(&mut s);
    s.push_str("</main>\n");
    s
}

fn scope(s: &mut String, report: &Report, options: &DocumentOptions) {
    let sm = &report.summary;
    let _ = write!(s, "<section id=\"scope\"><h1>ztpath report</h1><dl class=\"scope\">");
    let mut item = |k: &str, v: String| {
        let _ = write!(s, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    };
    item("Tool", format!("{} {}", esc(&report.tool.name), esc(&report.tool.version)));
    item("Schema", esc(&report.schema_version));
    item("Reference date", options.now.as_deref().map_or_else(|| "not given".to_string(), esc));
    if !options.inputs.is_empty() {
        item(
            "Inputs",
            options.inputs.iter().map(|i| format!("<code>{}</code>", esc(i))).collect::<Vec<_>>().join(" "),
        );
    }
    let live = live_sources(report);
    item("Files read", sm.files.to_string());
    item("Objects", sm.objects.to_string());
    item("Workloads", sm.workloads.to_string());
    item("Identities", sm.identities.to_string());
    item("Credentials", sm.credentials.to_string());
    item("Auth paths", sm.paths.to_string());
    item(
        "Live sources",
        if live.is_empty() {
            "none".into()
        } else {
            live.iter().map(|l| esc(l)).collect::<Vec<_>>().join(", ")
        },
    );
    item("Diagnostics", sm.diagnostics.to_string());
    if let Some(digest) = &sm.input_digest {
        item("Input digest", format!("<code class=\"digest\">{}</code>", esc(digest)));
    }
    s.push_str("</dl>");
    if !sm.skipped_kinds.is_empty() {
        let kinds: Vec<String> = sm.skipped_kinds.iter().map(|(k, n)| format!("{} ({n})", esc(k))).collect();
        let _ = write!(s, "<p class=\"note\">Read but not modelled: {}.</p>", kinds.join(", "));
    }
    if !report.diagnostics.is_empty() {
        let _ = write!(
            s,
            "<details class=\"diags\"><summary>{} inputs not read, and why</summary><ul>",
            report.diagnostics.len()
        );
        for d in report.diagnostics.iter().take(DIAGNOSTICS_LISTED) {
            let at = if d.line == 0 { esc(&d.file) } else { format!("{}:{}", esc(&d.file), d.line) };
            let _ = write!(s, "<li><code>{at}</code>: {}</li>", esc(&d.message));
        }
        if report.diagnostics.len() > DIAGNOSTICS_LISTED {
            let _ = write!(
                s,
                "<li>and {} more (the JSON report lists them all)</li>",
                report.diagnostics.len() - DIAGNOSTICS_LISTED
            );
        }
        s.push_str("</ul></details>");
    }
    s.push_str("</section>\n");
}

/// Evidence that names no file but a live object (`aws:…`, `kube:…`): the distinct schemes.
fn live_sources(report: &Report) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let all = report
        .findings
        .iter()
        .flat_map(|f| f.evidence.iter())
        .chain(report.blast_radius.iter().flat_map(|b| b.credential.evidence.iter()));
    for e in all {
        if let Some((scheme, _)) = e.file.split_once("://")
            && !scheme.is_empty()
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            seen.insert(scheme.to_string());
        }
    }
    seen.into_iter().collect()
}

fn summary(s: &mut String, report: &Report) {
    let sm = &report.summary;
    let _ = write!(s, "<section id=\"summary\"><h2>Executive summary</h2><div class=\"cards\">");
    let _ = write!(
        s,
        "<div class=\"card total\" data-sev=\"total\"><span class=\"n\">{}</span><span class=\"l\">findings</span></div>",
        sm.total_findings()
    );
    for sev in Severity::ALL {
        let n = sm.findings.get(sev.as_str()).copied().unwrap_or(0);
        let _ = write!(
            s,
            "<div class=\"card sev-{sev}\" data-sev=\"{sev}\"><span class=\"n\">{n}</span><span class=\"l\">{sev}</span></div>"
        );
    }
    s.push_str("</div>");
    let mut extra = Vec::new();
    if sm.suppressed > 0 {
        extra.push(format!("{} suppressed findings are not counted above", sm.suppressed));
    }
    if let Some(new) = sm.new {
        extra.push(format!("{new} findings are new against the baseline"));
    }
    if let Some(unread) = sm.unread_sentence() {
        extra.push(format!("<b class=\"unread\">{}</b>", esc(&unread)));
    }
    if !extra.is_empty() {
        let _ = write!(s, "<p class=\"note\">{}.</p>", extra.join("; "));
    }
    top_risks(s, report);
    charts(s, report);
    s.push_str("</section>\n");
}

fn top_risks(s: &mut String, report: &Report) {
    s.push_str("<h3>Top risks</h3><ul class=\"risks\">");
    let mut any = false;
    let worst = report.findings.iter().filter(|f| f.suppressed.is_none()).map(|f| f.severity).min();
    if let Some(worst) = worst.filter(|w| *w <= Severity::High) {
        for f in report.findings.iter().filter(|f| f.suppressed.is_none() && f.severity == worst).take(5) {
            let title = report.rule_of(f).map_or("", |r| r.title.as_str());
            let _ = write!(
                s,
                "<li><span class=\"badge sev-{}\">{}</span> <b>{}</b> {}: {}{} <span class=\"subj\">{}</span></li>",
                f.severity,
                f.severity,
                esc(&f.rule),
                esc(title),
                esc(&f.message),
                if f.message.ends_with(['.', '!', '?']) { "" } else { "." },
                esc(&f.subject.to_string())
            );
            any = true;
        }
    }
    for b in report.blast_radius.iter().filter(|b| b.score > 0).take(3) {
        let counts: Vec<String> = b.counts.iter().map(|(k, n)| format!("{n} {}", esc(k))).collect();
        let who = match &b.credential.namespace {
            Some(ns) => format!("{}/{}", esc(ns), esc(&b.credential.name)),
            None => esc(&b.credential.name),
        };
        let _ = write!(
            s,
            "<li><span class=\"badge blast\">blast radius {}</span> The {} credential <b>{who}</b> reaches {}.</li>",
            b.score,
            esc(&b.credential.kind),
            if counts.is_empty() { "nothing further".into() } else { counts.join(", ") }
        );
        any = true;
    }
    for p in weakest_paths_into_sensitive(report).into_iter().take(3) {
        let name = |id: &str| {
            report
                .nodes
                .binary_search_by(|n| (*n.id).cmp(id))
                .ok()
                .map_or_else(|| esc(id), |i| esc(&label(&report.nodes[i])))
        };
        let _ = write!(
            s,
            "<li><span class=\"badge weak\">weak path</span> <b>{}</b> reaches <b>{}</b>, which holds credentials, with {} and the caller's identity {}.</li>",
            name(&p.from),
            name(&p.to),
            p.auth.map_or("unknown", |a| a.as_str()),
            p.identity.map_or("unknown", |i| i.as_str())
        );
        any = true;
    }
    if !any {
        s.push_str("<li>No critical or high finding, no credential with a blast radius, no weak path into a workload that holds credentials.</li>");
    }
    s.push_str("</ul>");
}

fn label(n: &crate::Node) -> String {
    match &n.namespace {
        Some(ns) => format!("{ns}/{}", n.name),
        None => n.name.clone(),
    }
}

/// Paths that end at a node holding a credential (an edge to a `credential` node), whose weakest
/// hop is plaintext or a static secret or whose caller's identity is spoofable or lost, weakest
/// first.
pub(super) fn weakest_paths_into_sensitive(report: &Report) -> Vec<&AuthPath> {
    let credentials: HashSet<&str> =
        report.nodes.iter().filter(|n| &*n.kind == "credential").map(|n| &*n.id).collect();
    let holders: HashSet<&str> =
        report.edges.iter().filter(|e| credentials.contains(&*e.to)).map(|e| &*e.from).collect();
    let weak = |p: &AuthPath| {
        p.auth.is_some_and(|a| a.strength() <= 1) || p.identity.is_some_and(|i| i.strength() <= 1)
    };
    let mut out: Vec<&AuthPath> =
        report.paths.iter().filter(|p| holders.contains(&*p.to) && weak(p)).collect();
    out.sort_by_key(|p| {
        (
            p.auth.map_or(9, crate::AuthMethod::strength),
            p.identity.map_or(9, crate::IdentityState::strength),
            std::cmp::Reverse(p.findings.len()),
        )
    });
    out
}

/// A horizontal bar chart: one row per (label, count), bars scaled to the largest.
fn bar_chart(s: &mut String, title: &str, rows: &[(String, usize, &str)]) {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let row_h = 18;
    let height = rows.len() * row_h + 4;
    let _ = write!(
        s,
        "<figure class=\"chart\"><figcaption>{}</figcaption><svg viewBox=\"0 0 360 {height}\" width=\"360\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        esc(title)
    );
    for (i, (label, n, class)) in rows.iter().enumerate() {
        let y = i * row_h;
        let w = (n * 170).div_ceil(max);
        let _ = write!(
            s,
            "<text x=\"148\" y=\"{}\" class=\"lbl\" text-anchor=\"end\">{}</text><rect x=\"154\" y=\"{}\" width=\"{w}\" height=\"12\" class=\"bar {class}\"></rect><text x=\"{}\" y=\"{}\" class=\"val\">{n}</text>",
            y + 12,
            esc(&shorten(label, 24)),
            y + 2,
            158 + w,
            y + 12
        );
    }
    s.push_str("</svg></figure>");
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}

fn charts(s: &mut String, report: &Report) {
    s.push_str("<div class=\"charts\">");
    let sev_rows: Vec<(String, usize, &str)> = Severity::ALL
        .iter()
        .map(|sev| {
            (
                sev.as_str().to_string(),
                report.summary.findings.get(sev.as_str()).copied().unwrap_or(0),
                severity_class(*sev),
            )
        })
        .collect();
    bar_chart(s, "Severity mix", &sev_rows);
    let mut by_ns: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        *by_ns.entry(f.subject.namespace.as_deref().unwrap_or("(cluster-wide)")).or_default() += 1;
    }
    let mut ns: Vec<(&str, usize)> = by_ns.into_iter().collect();
    ns.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let others: usize = ns.iter().skip(NAMESPACES_CHARTED).map(|x| x.1).sum();
    let mut ns_rows: Vec<(String, usize, &str)> =
        ns.iter().take(NAMESPACES_CHARTED).map(|(n, c)| ((*n).to_string(), *c, "ns")).collect();
    if others > 0 {
        ns_rows.push((format!("{} other namespaces", ns.len() - NAMESPACES_CHARTED), others, "ns other"));
    }
    bar_chart(s, "Findings by namespace", &ns_rows);
    let mx = compliance::matrix(report);
    let nhi_rows: Vec<(String, usize, &str)> =
        mx.owasp.iter().map(|r| (short_nhi(r), r.total(), "nhi")).collect();
    bar_chart(s, "Findings by OWASP NHI risk", &nhi_rows);
    s.push_str("</div>");
}

fn short_nhi(r: &Row) -> String {
    format!("{} {}", r.id.trim_end_matches(":2025"), r.title)
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
        Severity::Info => "sev-info",
    }
}

fn matrix_rows(s: &mut String, rows: &[Row], group: &str) {
    let _ = write!(s, "<tbody><tr class=\"group\"><th colspan=\"8\">{group}</th></tr>");
    for r in rows {
        let status = r.status();
        let _ = write!(
            s,
            "<tr data-row=\"{}\" class=\"st-{}\"><th scope=\"row\"><span class=\"cat\">{}</span> {}</th>",
            esc(r.id),
            status.as_str().replace(' ', "-"),
            esc(r.id),
            esc(r.title)
        );
        for (i, sev) in Severity::ALL.iter().enumerate() {
            let n = r.counts[i];
            let class =
                if n > 0 { format!(" class=\"hit {}\"", severity_class(*sev)) } else { String::new() };
            let _ = write!(s, "<td data-sev=\"{sev}\"{class}>{n}</td>");
        }
        let _ = write!(s, "<td class=\"status\">{}</td><td class=\"rules\">", status.as_str());
        if r.rules.is_empty() {
            s.push('—');
        }
        for id in &r.rules {
            let _ = write!(
                s,
                "<button type=\"button\" class=\"rule-link\" data-rule=\"{}\">{}</button> ",
                esc(id),
                esc(id)
            );
        }
        s.push_str("</td></tr>");
    }
    s.push_str("</tbody>");
}

fn matrix(s: &mut String, report: &Report) {
    let mx = compliance::matrix(report);
    s.push_str(
        "<section id=\"matrix\"><h2>Compliance matrix</h2><p class=\"lead\">Findings (not suppressed) by severity in each category their rule maps to. \
         <i>Passes</i>: checked, nothing above info; <i>not covered</i>: no rule of this scan checks it, which is not a pass.</p>\
         <table class=\"matrix\"><thead><tr><th>Category</th><th>Critical</th><th>High</th><th>Medium</th><th>Low</th><th>Info</th><th>Status</th><th>Rules</th></tr></thead>",
    );
    matrix_rows(s, &mx.owasp, "OWASP Non-Human Identities Top 10 (2025)");
    matrix_rows(s, &mx.nist, "NIST SP 800-207 tenets");
    s.push_str("</table></section>\n");
}

fn select(s: &mut String, id: &str, label: &str, options: &[(String, String)]) {
    let _ = write!(s, "<label>{label} <select id=\"{id}\"><option value=\"\">all</option>");
    for (value, text) in options {
        let _ = write!(s, "<option value=\"{}\">{}</option>", esc(value), esc(text));
    }
    s.push_str("</select></label>");
}

fn findings(s: &mut String, report: &Report) {
    s.push_str(
        "<section id=\"findings\"><h2>Findings by rule</h2><div class=\"toolbar noprint\" id=\"f-filters\">",
    );
    let sev: Vec<(String, String)> =
        Severity::ALL.iter().map(|x| (x.as_str().into(), x.as_str().into())).collect();
    select(s, "f-sev", "Severity", &sev);
    let titles: HashMap<&str, &str> =
        report.rules.iter().map(|r| (r.id.as_str(), r.title.as_str())).collect();
    let mut rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let rule_opts: Vec<(String, String)> = rules
        .iter()
        .map(|r| ((*r).to_string(), format!("{r} {}", titles.get(r).copied().unwrap_or(""))))
        .collect();
    select(s, "f-rule", "Rule", &rule_opts);
    let mut ns: Vec<&str> = report.findings.iter().filter_map(|f| f.subject.namespace.as_deref()).collect();
    ns.sort_unstable();
    ns.dedup();
    let mut ns_opts: Vec<(String, String)> =
        ns.iter().map(|n| ((*n).to_string(), (*n).to_string())).collect();
    if report.findings.iter().any(|f| f.subject.namespace.is_none()) {
        ns_opts.insert(0, ("-".into(), "(cluster-wide)".into()));
    }
    select(s, "f-ns", "Namespace", &ns_opts);
    let nhi: Vec<(String, String)> =
        OwaspNhi::ALL.iter().map(|c| (c.id().into(), format!("{} {}", c.id(), c.title()))).collect();
    select(s, "f-nhi", "OWASP NHI", &nhi);
    let tenets: Vec<(String, String)> =
        NistTenet::ALL.iter().map(|t| (t.id().into(), format!("{} {}", t.id(), t.title()))).collect();
    select(s, "f-tenet", "NIST tenet", &tenets);
    if report.findings.iter().any(|f| f.baseline.is_some()) {
        select(
            s,
            "f-base",
            "Baseline",
            &[("new".into(), "new".into()), ("existing".into(), "existing".into())],
        );
    }
    if report.findings.iter().any(|f| f.suppressed.is_some()) {
        select(
            s,
            "f-supp",
            "Suppressed",
            &[("no".into(), "active only".into()), ("yes".into(), "suppressed only".into())],
        );
    }
    s.push_str(
        "<input id=\"f-q\" type=\"search\" placeholder=\"Search subject, message, file\" aria-label=\"Search findings\">\
         <button type=\"button\" id=\"f-reset\">Reset</button></div>\
         <p class=\"count\" id=\"f-count\"></p><div id=\"f-groups\"></div></section>\n",
    );
}

fn graph(s: &mut String) {
    s.push_str(
        "<section id=\"graph\" class=\"noprint\"><h2>Identity graph</h2>\
         <div class=\"toolbar\"><input id=\"g-q\" type=\"search\" placeholder=\"Find a node by name\" aria-label=\"Find a node\" list=\"g-names\">\
         <datalist id=\"g-names\"></datalist>\
         <label>Namespace <select id=\"g-ns\"><option value=\"\">overview</option></select></label>\
         <label>Kind <select id=\"g-kind\"><option value=\"\">all</option></select></label>\
         <button type=\"button\" id=\"g-overview\">Overview</button>\
         <button type=\"button\" id=\"g-zin\" aria-label=\"Zoom in\">+</button><button type=\"button\" id=\"g-zout\" aria-label=\"Zoom out\">−</button>\
         <button type=\"button\" id=\"g-fit\">Fit</button><span id=\"g-status\" class=\"count\"></span></div>\
         <div class=\"graph-wrap\"><svg id=\"g-svg\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Identity graph\"><g id=\"g-view\"></g></svg>\
         <aside id=\"g-panel\"><p class=\"hint\">Click a namespace to open it, a node for its neighbourhood, its paths, findings and blast radius. Drag to pan, wheel to zoom.</p></aside></div>\
         <div class=\"legend\"><span class=\"e e-mtls\">mesh-mtls, identity preserved</span><span class=\"e e-opt\">optional-mtls</span>\
         <span class=\"e e-plain\">plaintext, or identity lost</span><span class=\"e e-secret\">static-secret or bearer-token</span>\
         <span class=\"e e-other\">other or unknown</span><span class=\"e e-flag\">flagged by a finding</span><span class=\"e e-hl\">highlighted path</span>\
         <span class=\"k\">▭ workload</span><span class=\"k\">○ identity</span><span class=\"k\">◇ credential</span><span class=\"k\">⬡ service</span><span class=\"k\">△ zone / external</span><span class=\"k\">▱ proxy</span></div>\
         </section>\n",
    );
}
