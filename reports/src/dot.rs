//! DOT renderer: the identity graph for Graphviz.
//!
//! The picture answers "who can call whom, and how is the caller proven": namespaces become
//! clusters, node shapes tell kinds apart, and `calls` edges are coloured by how the caller is
//! authenticated, with flagged edges drawn thick and red so the gaps stand out. Everything
//! shown comes from the Report; nothing is added but a static legend.
//!
//! dot-writer is used only inside this module so it can be replaced without touching callers.
//! It writes ids and quoted attribute values verbatim (no escaping) and panics if the
//! underlying writer fails, so this module escapes every piece of report text itself and
//! renders into memory before copying to `out`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use dot_writer::{Attributes, DotWriter, Scope, Style};

use crate::{AuthMethod, Edge, IdentityState, Node, Report, text};

/// Writes the Report's nodes and edges as a Graphviz digraph.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::new();
    {
        let mut writer = DotWriter::from(&mut buf);
        // Pretty printing must stay on: in compact mode dot-writer strips whitespace, which
        // would alter ids and labels that contain spaces.
        writer.set_pretty_print(true);
        write_graph(report, &mut writer.digraph());
    }
    out.write_all(&buf)
}

fn write_graph(report: &Report, graph: &mut Scope<'_, '_>) {
    graph.set("rankdir", "LR", false);
    graph.set("fontname", "Helvetica", true);
    graph.node_attributes().set("fontname", "Helvetica", true).set("fontsize", "11", false);
    graph.edge_attributes().set("fontname", "Helvetica", true).set("fontsize", "9", false);

    // Group by namespace in name order; within a namespace keep the Report's node order.
    let mut namespaced: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
    let mut cluster_free: Vec<&Node> = Vec::new();
    for node in &report.nodes {
        match node.namespace.as_deref() {
            Some(ns) => namespaced.entry(ns).or_default().push(node),
            None => cluster_free.push(node),
        }
    }

    for (ns, nodes) in &namespaced {
        let mut cluster = graph.cluster();
        cluster.set("label", &escape(&text::escape(ns)), true);
        cluster.set_style(Style::Rounded);
        cluster.set("color", "gray60", false);
        for node in nodes {
            write_node(&mut cluster, node);
        }
    }
    for node in cluster_free {
        write_node(graph, node);
    }

    for edge in &report.edges {
        write_edge(graph, edge);
    }

    // The legend is the root graph's label; set last so clusters do not inherit it.
    graph.set_html(LEGEND);
    graph.set("labelloc", "b", false);
    graph.set("labeljust", "l", false);
}

fn write_node(scope: &mut Scope<'_, '_>, node: &Node) {
    // The line breaks are the renderer's own; those of the Report's text are shown escaped.
    let mut tooltip = text::escape(&node.id).into_owned();
    for (key, value) in &node.attrs {
        tooltip.push_str(&format!("\n{}: {}", text::escape(key), text::escape(value)));
    }
    scope
        .node_named(quoted_id(&node.id))
        .set("label", &escape(&format!("{}\n{}", text::escape(&node.kind), text::escape(&node.name))), true)
        .set("shape", shape(&node.kind), false)
        .set("tooltip", &escape(&tooltip), true);
}

fn write_edge(scope: &mut Scope<'_, '_>, edge: &Edge) {
    let edge_stmt = scope.edge(quoted_id(&edge.from), quoted_id(&edge.to));
    let mut attrs = edge_stmt.attributes();
    // Hops of auth paths (workload calls, and proxies forwarding to backends) are styled by how
    // the caller's identity is carried; structural edges stay thin and gray.
    let color = if edge.kind == "calls" || edge.kind == "forwards" || edge.auth.is_some() {
        let (style, color) = call_look(edge.auth, edge.identity);
        let label = edge.auth.map_or("calls", AuthMethod::as_str);
        let tooltip = format!(
            "auth: {}; identity: {}",
            label,
            edge.identity.map_or("not recorded", IdentityState::as_str)
        );
        attrs.set("label", label, true).set("style", style, true).set("tooltip", &escape(&tooltip), true);
        color
    } else {
        attrs
            .set("label", &escape(&text::escape(&edge.kind)), true)
            .set("fontcolor", "gray40", false)
            .set_pen_width(0.6);
        "gray60"
    };
    if edge.flagged {
        attrs.set("color", "red", false).set_pen_width(3.0);
    } else {
        attrs.set("color", color, false);
    }
}

/// Line style and colour of a `calls` edge. The worst property wins: a hop that loses the
/// caller's identity is red even if some authentication is configured.
fn call_look(auth: Option<AuthMethod>, identity: Option<IdentityState>) -> (&'static str, &'static str) {
    match (auth, identity) {
        // Inside one pod: no network to protect the hop from.
        (Some(AuthMethod::InPod), _) => ("dotted", "gray50"),
        (Some(AuthMethod::Plaintext), _) | (_, Some(IdentityState::Lost)) => ("bold", "red"),
        (Some(AuthMethod::StaticSecret | AuthMethod::BearerToken), _) => ("dotted", "purple"),
        (Some(AuthMethod::OptionalMtls), _) => ("dashed", "darkorange"),
        (Some(AuthMethod::MeshMtls), Some(IdentityState::Preserved)) => ("solid", "darkgreen"),
        _ => ("solid", "gray50"),
    }
}

/// Graphviz shape for a node kind; unknown kinds are drawn as bare text.
fn shape(kind: &str) -> &'static str {
    match kind {
        "workload" => "box",
        "service-account" => "ellipse",
        "credential" => "note",
        "service" => "cds",
        "role" => "hexagon",
        "zone" => "doubleoctagon",
        "external" => "diamond",
        "local" => "cylinder",
        "proxy" => "component",
        "iam-role" => "house",
        _ => "plaintext",
    }
}

/// A report id as a DOT quoted id (its control characters shown escaped, as in a label).
fn quoted_id(id: &str) -> String {
    format!("\"{}\"", escape(&text::escape(id)))
}

/// Escapes text for use between DOT double quotes.
///
/// `"` and `\` are backslash-escaped, so report text can neither end the string nor form a
/// Graphviz label escape such as `\N` or `\l`. Newlines become the `\n` escape (a line break in
/// labels). Report text reaches this function through [`text::escape`], so the only control
/// characters left are the renderer's own line breaks; any other is replaced with U+FFFD (DOT
/// has no way to spell them, and a NUL would cut the string short inside Graphviz).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Key to the edge colours, drawn as an HTML-like label under the graph. It is static text,
/// so it needs no escaping.
const LEGEND: &str = concat!(
    "<<table border=\"0\" cellborder=\"0\" cellspacing=\"1\">",
    "<tr><td align=\"left\"><b>calls edges</b></td></tr>",
    "<tr><td align=\"left\"><font color=\"darkgreen\">solid green: mesh-mtls, identity preserved</font></td></tr>",
    "<tr><td align=\"left\"><font color=\"darkorange\">dashed orange: optional-mtls</font></td></tr>",
    "<tr><td align=\"left\"><font color=\"red\">bold red: plaintext, or identity lost</font></td></tr>",
    "<tr><td align=\"left\"><font color=\"purple\">dotted purple: static-secret or bearer-token</font></td></tr>",
    "<tr><td align=\"left\"><font color=\"gray50\">gray: other or unknown</font></td></tr>",
    "<tr><td align=\"left\"><font color=\"red\"><b>thick red: flagged by a finding</b></font></td></tr>",
    "</table>>"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn render_string(report: &Report) -> String {
        sample::render_to_string(render, report)
    }

    /// What a small DOT lexer sees: the unescaped contents of every quoted string, and the
    /// number of edge operators outside strings.
    struct Lexed {
        strings: Vec<String>,
        arrows: usize,
    }

    /// Checks that every string is closed and braces outside strings balance. Enough to catch
    /// escaping mistakes without needing Graphviz installed.
    fn lex(dot: &str) -> Lexed {
        let mut lexed = Lexed { strings: Vec::new(), arrows: 0 };
        let mut depth = 0i32;
        let mut chars = dot.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    assert!(depth >= 0, "unbalanced braces");
                }
                '-' if chars.peek() == Some(&'>') => lexed.arrows += 1,
                '"' => {
                    let mut s = String::new();
                    loop {
                        match chars.next().expect("unterminated string") {
                            '"' => break,
                            '\\' => match chars.next().expect("dangling backslash") {
                                '"' => s.push('"'),
                                '\\' => s.push('\\'),
                                'n' => s.push('\n'),
                                other => panic!("unexpected escape \\{other}"),
                            },
                            '\n' => panic!("raw newline inside a string"),
                            other => s.push(other),
                        }
                    }
                    lexed.strings.push(s);
                }
                _ => {}
            }
        }
        assert_eq!(depth, 0, "unbalanced braces");
        lexed
    }

    /// The body of `subgraph cluster_<n>`.
    fn cluster_body(dot: &str, n: usize) -> &str {
        let start = dot.find(&format!("subgraph cluster_{n} {{")).expect("cluster");
        let end = start + dot[start..].find("\n  }").expect("cluster end");
        &dot[start..end]
    }

    #[test]
    fn one_cluster_per_namespace_sorted_by_name() {
        let dot = render_string(&sample::report());
        assert!(dot.starts_with("digraph {"));
        assert_eq!(dot.matches("subgraph cluster_").count(), 2);
        let payments = cluster_body(&dot, 0);
        assert!(payments.contains("label=\"payments\""));
        assert!(payments.contains("\"workload:payments/Deployment/api\" ["));
        let shop = cluster_body(&dot, 1);
        assert!(shop.contains("label=\"shop\""));
        assert!(shop.contains("\"workload:shop/Deployment/cart\" ["));
        assert!(shop.contains("\"credential:shop/Secret/db-creds\" ["));
        assert!(!shop.contains("external:"));
    }

    #[test]
    fn node_ids_with_quotes_and_backslashes_are_escaped() {
        let dot = render_string(&sample::report());
        let escaped = r#""external:partner \"acme\" \\ gw""#;
        assert!(dot.contains(&format!("{escaped} [")), "node statement:\n{dot}");
        assert!(dot.contains(&format!("{escaped} -> \"workload:shop/Deployment/cart\"")));
        assert!(!dot.contains(r#""external:partner "acme"#));
        // Reading the output back gives the original ids.
        let strings = lex(&dot).strings;
        assert!(strings.iter().any(|s| s == sample::AWKWARD_ID));
        assert!(strings.iter().any(|s| s == &format!("external\n{}", r#"partner "acme" \ gw"#)));
    }

    #[test]
    fn trailing_backslash_and_control_characters_cannot_break_out() {
        let evil = "b\"]; evil -> x; \"";
        let report = Report {
            nodes: vec![
                Node {
                    id: "a\\".into(),
                    kind: "workload".into(),
                    name: "a\\".into(),
                    namespace: Some("x\"y".into()),
                    ..Node::default()
                },
                Node {
                    id: evil.into(),
                    kind: "role".into(),
                    name: "\u{0}\u{1b}\r\\N".into(),
                    ..Node::default()
                },
            ],
            edges: vec![Edge {
                from: "a\\".into(),
                to: evil.into(),
                kind: "bound-to".into(),
                ..Edge::default()
            }],
            ..Report::default()
        };
        let dot = render_string(&report);
        let lexed = lex(&dot);
        assert!(lexed.strings.iter().any(|s| s == "a\\"));
        assert!(lexed.strings.iter().any(|s| s == evil));
        assert!(lexed.strings.iter().any(|s| s == "x\"y"));
        // `\N` stays literal text instead of becoming Graphviz's node-name escape.
        // Control characters are shown as escapes, not sent to whoever reads the file.
        assert!(lexed.strings.iter().any(|s| s == "role\n\\0\\x1b\\r\\N"), "{:?}", lexed.strings);
        assert!(!dot.contains('\u{0}') && !dot.contains('\u{1b}') && !dot.contains('\r'));
        assert_eq!(lexed.arrows, 1);
    }

    /// A report whose names, ids, namespaces and attributes hold quotes, newlines, ESC, NUL and
    /// bidirectional overrides, with one node per kind of hostile text and one edge.
    fn hostile_report() -> Report {
        let nasty = "n\"]; x -> y; \"\n\u{1b}[2J\u{0}\u{202E}\\";
        let mut a = Node {
            id: format!("workload:{nasty}").into(),
            kind: "workload".into(),
            name: nasty.into(),
            namespace: Some(nasty.into()),
            ..Node::default()
        };
        a.attrs.insert(nasty.into(), nasty.into());
        let b = Node { id: "b\n}".into(), kind: nasty.into(), name: "}\n{".into(), ..Node::default() };
        let edges =
            vec![Edge { from: a.id.clone(), to: b.id.clone(), kind: nasty.into(), ..Edge::default() }];
        Report { nodes: vec![a, b], edges, ..Report::default() }
    }

    #[test]
    fn hostile_text_is_shown_escaped_and_keeps_the_graph_shape() {
        let dot = render_string(&hostile_report());
        let lexed = lex(&dot);
        assert_eq!(lexed.arrows, 1);
        assert!(!dot.chars().any(|c| c != '\n' && crate::text::is_unsafe(c)), "{dot}");
        // What a reader of the graph sees: the escapes, on one line.
        let shown = "n\"]; x -> y; \"\\n\\x1b[2J\\0\\u{202e}\\";
        assert!(lexed.strings.iter().any(|s| s == &format!("workload\n{shown}")), "{:?}", lexed.strings);
        assert!(lexed.strings.iter().any(|s| s == &format!("workload:{shown}")));
        assert!(lexed.strings.iter().any(|s| s == "b\\n}"));
    }

    /// Graphviz itself reads the output: exactly the Report's nodes and edges, no syntax error
    /// or warning. Skipped (with a note) when `dot` is not installed, except under CI.
    #[test]
    fn graphviz_parses_the_output() {
        for report in [sample::report(), hostile_report()] {
            let dot = render_string(&report);
            let child = std::process::Command::new("dot")
                .arg("-Tplain")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn();
            let Ok(mut child) = child else {
                // scripts/test.sh installs Graphviz; under CI its absence is a failure, not a skip.
                let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
                assert!(!ci, "Graphviz `dot` is not installed (scripts/test.sh installs it)");
                #[allow(clippy::print_stderr, reason = "a test says why it skips, outside CI")]
                {
                    eprintln!("note: Graphviz `dot` is not installed; skipping the Graphviz check");
                }
                return;
            };
            child.stdin.take().unwrap().write_all(dot.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() && stderr.trim().is_empty(), "dot failed: {stderr}\n{dot}");
            let plain = String::from_utf8_lossy(&out.stdout);
            let count = |word: &str| plain.lines().filter(|l| l.starts_with(word)).count();
            assert_eq!(count("node "), report.nodes.len(), "{plain}");
            assert_eq!(count("edge "), report.edges.len(), "{plain}");
        }
    }

    #[test]
    fn flagged_edge_is_highlighted_and_calls_are_styled_by_auth() {
        let dot = render_string(&sample::report());
        let flagged = dot
            .lines()
            .find(|l| l.contains("\"workload:shop/Deployment/cart\" -> \"workload:payments/Deployment/api\""))
            .expect("flagged edge");
        assert!(flagged.contains("penwidth=3"), "{flagged}");
        assert!(flagged.contains("color=red"));
        assert!(flagged.contains("label=\"plaintext\""));
        assert!(flagged.contains("style=\"bold\""));

        let bearer = dot.lines().find(|l| l.contains("-> \"workload:shop/Deployment/cart\"")).unwrap();
        assert!(bearer.contains("style=\"dotted\"") && bearer.contains("color=purple"));
        assert!(bearer.contains("label=\"bearer-token\""));
        assert!(!bearer.contains("penwidth=3"));

        let uses = dot.lines().find(|l| l.contains("-> \"credential:shop/Secret/db-creds\"")).unwrap();
        assert!(uses.contains("label=\"uses-credential\"") && uses.contains("color=gray60"));
    }

    #[test]
    fn shapes_by_kind() {
        let dot = render_string(&sample::report());
        let line =
            |id: &str| dot.lines().find(|l| l.trim_start().starts_with(&format!("\"{id}\" ["))).unwrap();
        assert!(line(sample::CART).contains("shape=box"));
        assert!(line(sample::DB_CREDS).contains("shape=note"));
        assert!(dot.contains("shape=diamond"));
        assert_eq!(shape("something-new"), "plaintext");
    }

    #[test]
    fn call_colours() {
        use AuthMethod::{MeshMtls, OptionalMtls, StaticSecret};
        use IdentityState::{Lost, Preserved, Terminated};
        assert_eq!(call_look(Some(MeshMtls), Some(Preserved)), ("solid", "darkgreen"));
        assert_eq!(call_look(Some(MeshMtls), Some(Lost)), ("bold", "red"));
        assert_eq!(call_look(Some(OptionalMtls), Some(Preserved)), ("dashed", "darkorange"));
        assert_eq!(call_look(Some(StaticSecret), Some(Terminated)), ("dotted", "purple"));
        assert_eq!(call_look(Some(AuthMethod::Unknown), None), ("solid", "gray50"));
        assert_eq!(call_look(Some(AuthMethod::InPod), Some(Lost)), ("dotted", "gray50"));
        assert_eq!(call_look(None, None), ("solid", "gray50"));
    }

    #[test]
    fn draws_exactly_the_report_nodes_and_edges() {
        let report = sample::report();
        let dot = render_string(&report);
        let node_lines =
            dot.lines().filter(|l| l.trim_start().starts_with('"') && !l.contains(" -> ")).count();
        assert_eq!(node_lines, report.nodes.len());
        assert_eq!(lex(&dot).arrows, report.edges.len());

        let empty = render_string(&Report::default());
        assert!(!empty.contains("->") && !empty.contains("cluster_"));
    }

    #[test]
    fn deterministic_and_lexically_sound() {
        let report = sample::report();
        let dot = render_string(&report);
        assert_eq!(dot, render_string(&report.clone()));
        lex(&dot);
        assert!(dot.ends_with("}\n"));
    }
}
