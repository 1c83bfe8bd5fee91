//! The demo estate (fixtures/demo) against its specification, fixtures/demo/README.md: the exact
//! set of findings, the headline and the clean paths, the call edges, the blast radius and the
//! shape of every finding.

mod common;

use std::collections::BTreeSet;

use common::{document_at, line_count, path, run, scan_json};
use ztpath_reports::{AuthMethod, IdentityState, Report};

const DEMO: &str = "fixtures/demo";

/// (rule, severity, subject kind, namespace, name), sorted. Rows 1-48 of the "Expected findings
/// (complete)" table of fixtures/demo/README.md; severities as the rule pages (docs/rules) grade
/// them: ZT001 high when not meshed, medium for PERMISSIVE / Linkerd unauthenticated; ZT005 high
/// for literals and ConfigMaps, medium for committed Secret data; ZT006 medium for a projected
/// token; ZT007 high across namespaces; ZT008 critical cluster-wide; ZT010 medium for a dangling
/// binding, low for an unused account.
const EXPECTED: [(&str, &str, &str, &str, &str); 48] = [
    ("ZT001", "high", "Deployment", "legacy", "billing"),
    ("ZT001", "high", "Deployment", "legacy", "legacy-web"),
    ("ZT001", "medium", "Deployment", "analytics", "dashboard"),
    ("ZT001", "medium", "Deployment", "analytics", "reports"),
    ("ZT001", "medium", "Deployment", "payments", "payments-api"),
    ("ZT002", "medium", "Deployment", "analytics", "dashboard"),
    ("ZT002", "medium", "Deployment", "legacy", "billing"),
    ("ZT002", "medium", "Deployment", "legacy", "legacy-web"),
    ("ZT003", "high", "AuthorizationPolicy", "payments", "payments-api-allow-all"),
    ("ZT003", "high", "ServerAuthorization", "analytics", "reports-public"),
    ("ZT004", "medium", "CronJob", "legacy", "inventory-sync"),
    ("ZT004", "medium", "CronJob", "legacy", "report-gen"),
    ("ZT004", "medium", "Deployment", "analytics", "reports"),
    ("ZT004", "medium", "Deployment", "legacy", "billing"),
    ("ZT004", "medium", "Deployment", "legacy", "legacy-web"),
    ("ZT004", "medium", "Deployment", "payments", "payments-api"),
    ("ZT004", "medium", "Deployment", "payments", "payments-worker"),
    ("ZT004", "medium", "Job", "legacy", "db-migrate"),
    ("ZT005", "high", "ConfigMap", "analytics", "legacy-exporter-config"),
    ("ZT005", "high", "CronJob", "legacy", "report-gen"),
    ("ZT005", "high", "Deployment", "legacy", "legacy-web"),
    ("ZT005", "medium", "Secret", "analytics", "warehouse-db"),
    ("ZT005", "medium", "Secret", "legacy", "payments-partner-key"),
    ("ZT005", "medium", "Secret", "legacy", "reporting-db"),
    ("ZT005", "medium", "Secret", "payments", "stripe-credentials"),
    ("ZT006", "high", "Secret", "legacy", "inventory-sync-token"),
    ("ZT006", "medium", "CronJob", "analytics", "nightly-export"),
    ("ZT007", "high", "Secret", "analytics", "warehouse-db"),
    ("ZT007", "medium", "Secret", "payments", "stripe-credentials"),
    ("ZT007", "medium", "ServiceAccount", "payments", "payments"),
    ("ZT008", "critical", "ServiceAccount", "legacy", "billing"),
    ("ZT008", "critical", "ServiceAccount", "legacy", "inventory-sync"),
    ("ZT009", "high", "Secret", "legacy", "inventory-sync-token"),
    ("ZT010", "low", "ServiceAccount", "legacy", "old-deployer"),
    ("ZT010", "medium", "RoleBinding", "legacy", "ci-bot-view"),
    ("ZT011", "low", "CronJob", "legacy", "report-gen"),
    ("ZT011", "low", "Deployment", "analytics", "dashboard"),
    ("ZT011", "low", "Deployment", "legacy", "legacy-web"),
    ("ZT011", "low", "Job", "legacy", "db-migrate"),
    ("ZT103", "medium", "Ingress", "payments", "partner-api"),
    ("ZT105", "medium", "Ingress", "payments", "partner-api"),
    ("ZT106", "high", "Ingress", "legacy", "billing-public"),
    // The AWS account (fixtures/demo/aws).
    (
        "ZT009",
        "high",
        "Credential",
        "",
        "token.actions.githubusercontent.com token for repo:acme/shop:environment:production",
    ),
    ("ZT201", "high", "AccessKey", "", "billing-export/key-1"),
    ("ZT202", "high", "AccessKey", "", "billing-export/key-1"),
    ("ZT206", "high", "IAMRole", "", "payments-app"),
    ("ZT207", "medium", "IAMRole", "", "payments-app"),
    ("ZT209", "critical", "IAMRole", "", "shop-deploy"),
];

/// The in-cluster call edges of the README's "Expected call edges" table (rows 1-12), as node ids.
const EXPECTED_CALLS: [(&str, &str); 12] = [
    ("workload:shop/Deployment/frontend", "workload:shop/Deployment/cart"),
    ("workload:shop/Deployment/frontend", "workload:payments/Deployment/payments-api"),
    ("workload:shop/Deployment/cart", "workload:shop/Deployment/catalog"),
    ("workload:payments/Deployment/payments-api", "workload:payments/StatefulSet/ledger"),
    ("workload:payments/Deployment/payments-worker", "workload:payments/StatefulSet/ledger"),
    ("workload:analytics/DaemonSet/collector", "workload:analytics/Deployment/ingest"),
    ("workload:analytics/Deployment/dashboard", "workload:analytics/Deployment/reports"),
    ("workload:analytics/CronJob/nightly-export", "workload:analytics/Deployment/reports"),
    ("workload:legacy/Deployment/legacy-web", "workload:legacy/Deployment/billing"),
    ("workload:legacy/CronJob/report-gen", "workload:legacy/Deployment/billing"),
    ("workload:legacy/Deployment/billing", "workload:payments/Deployment/payments-api"),
    ("workload:legacy/CronJob/inventory-sync", "workload:shop/Deployment/catalog"),
];

/// The README's "External endpoints" table: caller → external host.
const EXPECTED_EXTERNAL: [(&str, &str); 8] = [
    ("workload:payments/Deployment/payments-api", "external:api.stripe.com"),
    ("workload:payments/Deployment/payments-worker", "external:api.stripe.com"),
    ("workload:analytics/Deployment/reports", "external:warehouse.db.example.com"),
    ("workload:analytics/CronJob/nightly-export", "external:warehouse-ingest.example.com"),
    ("workload:legacy/Deployment/legacy-web", "external:legacy-db.corp.example.com"),
    ("workload:legacy/CronJob/report-gen", "external:upload.partner.example.com"),
    ("workload:legacy/Job/db-migrate", "external:warehouse.db.example.com"),
    ("workload:legacy/CronJob/inventory-sync", "external:kubernetes.default.svc"),
];

type Row = (String, String, String, String, String);

fn demo() -> Report {
    scan_json(&[DEMO])
}

fn actual_rows(report: &Report) -> Vec<Row> {
    let mut rows: Vec<Row> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.severity.as_str().to_string(),
                f.subject.kind.clone(),
                f.subject.namespace.clone().unwrap_or_default(),
                f.subject.name.clone(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn expected_rows() -> Vec<Row> {
    let mut rows: Vec<Row> = EXPECTED
        .iter()
        .map(|(r, s, k, ns, n)| (r.to_string(), s.to_string(), k.to_string(), ns.to_string(), n.to_string()))
        .collect();
    rows.sort();
    rows
}

fn fmt_row(r: &Row) -> String {
    format!("{} {:<8} {} {}/{}", r.0, r.1, r.2, r.3, r.4)
}

/// Rows of the markdown table that follows `heading` in the demo README, split into trimmed cells
/// (without the outer pipes), header and separator rows skipped.
fn readme_table(heading: &str) -> Vec<Vec<String>> {
    let text =
        std::fs::read_to_string(path("fixtures/demo/README.md")).expect("read fixtures/demo/README.md");
    let start = text.find(heading).unwrap_or_else(|| panic!("README has no section {heading:?}"));
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text[start + heading.len()..].lines() {
        let line = line.trim();
        if line.starts_with('|') {
            in_table = true;
            let cells: Vec<String> =
                line.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_string()).collect();
            if cells.iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':')) {
                continue;
            }
            rows.push(cells);
        } else if in_table {
            break;
        }
    }
    rows.remove(0); // header
    rows
}

#[test]
fn findings_equal_the_readme_table_exactly() {
    let report = demo();
    let actual = actual_rows(&report);
    let expected = expected_rows();
    if actual != expected {
        let a: BTreeSet<&Row> = actual.iter().collect();
        let e: BTreeSet<&Row> = expected.iter().collect();
        let missing: Vec<String> = e.difference(&a).map(|r| format!("  - {}", fmt_row(r))).collect();
        let extra: Vec<String> = a.difference(&e).map(|r| format!("  + {}", fmt_row(r))).collect();
        let dups: Vec<String> =
            actual.windows(2).filter(|w| w[0] == w[1]).map(|w| format!("  2x {}", fmt_row(&w[0]))).collect();
        let none = |v: &[String]| if v.is_empty() { "  (none)".to_string() } else { v.join("\n") };
        panic!(
            "demo findings differ from fixtures/demo/README.md ({} expected, {} found)\nmissing (expected, not reported):\n{}\nunexpected (reported, not expected):\n{}\nreported more than once (every rule/subject pair must appear once):\n{}",
            expected.len(),
            actual.len(),
            none(&missing),
            none(&extra),
            none(&dups),
        );
    }
    // The summary counts agree with the findings.
    for sev in ["critical", "high", "medium", "low", "info"] {
        let n = expected.iter().filter(|r| r.1 == sev).count();
        assert_eq!(report.summary.findings.get(sev).copied(), Some(n), "summary.findings[{sev}]");
    }
}

#[test]
fn hardcoded_expectations_match_the_readme() {
    // Guards the lists above against drifting from the specification they encode.
    let table = readme_table("## Expected findings (complete)");
    let mut from_readme: Vec<(String, String, String, String)> = table
        .iter()
        .map(|c| {
            let kind = c[2].split(" (").next().unwrap().to_string(); // "AuthorizationPolicy (istio)"
            (c[1].clone(), kind, c[3].clone(), c[4].clone())
        })
        .collect();
    from_readme.sort();
    let mut ours: Vec<(String, String, String, String)> = EXPECTED
        .iter()
        .map(|(r, _, k, ns, n)| (r.to_string(), k.to_string(), ns.to_string(), n.to_string()))
        .collect();
    ours.sort();
    assert_eq!(ours, from_readme, "EXPECTED no longer matches the README's findings table");

    let calls = readme_table("## Expected call edges");
    let strip = |id: &str| {
        // workload:ns/Kind/name -> ns/name
        let rest = id.trim_start_matches("workload:");
        let parts: Vec<&str> = rest.split('/').collect();
        format!("{}/{}", parts[0], parts[2])
    };
    let mut from_readme: Vec<(String, String)> = calls.iter().map(|c| (c[1].clone(), c[2].clone())).collect();
    from_readme.sort();
    let mut ours: Vec<(String, String)> = EXPECTED_CALLS.iter().map(|(f, t)| (strip(f), strip(t))).collect();
    ours.sort();
    assert_eq!(ours, from_readme, "EXPECTED_CALLS no longer matches the README's call-edge table");
}

#[test]
fn headline_path_billing_to_payments_api() {
    let report = demo();
    let id = "path:workload:legacy/Deployment/billing->workload:payments/Deployment/payments-api";
    let zt004 = common::findings_on(&report, "ZT004", "Deployment", "legacy", "billing");
    assert_eq!(zt004.len(), 1, "one ZT004 on Deployment legacy/billing:\n{}", common::describe(&zt004));
    assert!(
        zt004[0].paths.iter().any(|p| p == id),
        "ZT004 on legacy/billing should list {id}; it lists {:?}",
        zt004[0].paths
    );
    let path = report.paths.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("no path {id}"));
    assert_eq!(path.from, "workload:legacy/Deployment/billing");
    assert_eq!(path.to, "workload:payments/Deployment/payments-api");
    assert_eq!(path.hops.len(), 1, "one hop expected: {:#?}", path.hops);
    let hop = &path.hops[0];
    assert_eq!(hop.auth, AuthMethod::StaticSecret, "hop: {hop:#?}");
    assert_eq!(hop.identity, IdentityState::Lost, "hop: {hop:#?}");
    assert_eq!(path.auth, Some(AuthMethod::StaticSecret));
    assert_eq!(path.identity, Some(IdentityState::Lost));
    assert!(!hop.evidence.is_empty(), "the hop has evidence");
    assert!(hop.via.as_deref().is_some_and(|v| v.contains("payments/payments-api")), "via: {:?}", hop.via);
    // The path carries the ZT004 finding, and every finding it names exists.
    assert!(
        path.findings.contains(&zt004[0].id),
        "path findings {:?} lack ZT004 {}",
        path.findings,
        zt004[0].id
    );
}

#[test]
fn shop_frontend_to_cart_is_mutual_tls_and_clean() {
    let report = demo();
    let id = "path:workload:shop/Deployment/frontend->workload:shop/Deployment/cart";
    let path = report.paths.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("no path {id}"));
    assert_eq!(path.auth, Some(AuthMethod::MeshMtls), "{path:#?}");
    assert_eq!(path.identity, Some(IdentityState::Preserved), "{path:#?}");
    assert!(!path.hops.is_empty());
    for hop in &path.hops {
        assert_eq!(hop.auth, AuthMethod::MeshMtls, "{hop:#?}");
        assert_eq!(hop.identity, IdentityState::Preserved, "{hop:#?}");
    }
    assert!(path.findings.is_empty(), "no finding on {id}, got {:?}", path.findings);
    let on_path: Vec<_> = report.findings.iter().filter(|f| f.paths.iter().any(|p| p == id)).collect();
    assert!(on_path.is_empty(), "findings naming {id}:\n{}", common::describe(&on_path));
    // Nothing at all in the clean namespace.
    let shop: Vec<_> =
        report.findings.iter().filter(|f| f.subject.namespace.as_deref() == Some("shop")).collect();
    assert!(shop.is_empty(), "namespace shop must stay clean:\n{}", common::describe(&shop));
}

#[test]
fn call_edges_equal_the_readme() {
    let report = demo();
    let actual: BTreeSet<(String, String)> = report
        .edges
        .iter()
        .filter(|e| e.kind == "calls")
        .map(|e| (e.from.to_string(), e.to.to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> =
        EXPECTED_CALLS.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "calls edges differ from the README\nmissing: {missing:#?}\nunexpected: {extra:#?}"
    );
    let calls = |from: &str, to: &str| {
        report
            .edges
            .iter()
            .find(|e| e.kind == "calls" && e.from == from && e.to == to)
            .unwrap_or_else(|| panic!("no calls edge {from} -> {to}"))
    };
    // Rows 1-8: both ends meshed, the caller's mesh identity goes through.
    for (from, to) in &EXPECTED_CALLS[..8] {
        let e = calls(from, to);
        assert_eq!(e.auth, Some(AuthMethod::MeshMtls), "{from} -> {to}: {e:?}");
        assert_eq!(e.identity, Some(IdentityState::Preserved), "{from} -> {to}: {e:?}");
    }
    // Rows 9-10: unmeshed callers, plaintext, identity lost.
    for (from, to) in &EXPECTED_CALLS[8..10] {
        let e = calls(from, to);
        assert_eq!(e.auth, Some(AuthMethod::Plaintext), "{from} -> {to}: {e:?}");
        assert_eq!(e.identity, Some(IdentityState::Lost), "{from} -> {to}: {e:?}");
        assert!(e.flagged, "{from} -> {to} carries findings and should be flagged");
    }
    // Row 11: the static key.
    let (from, to) = EXPECTED_CALLS[10];
    let e = calls(from, to);
    assert_eq!(e.auth, Some(AuthMethod::StaticSecret), "{e:?}");
    assert_eq!(e.identity, Some(IdentityState::Lost), "{e:?}");
    // Row 12: an unmeshed caller refused by a STRICT target: its identity cannot arrive.
    let (from, to) = EXPECTED_CALLS[11];
    let e = calls(from, to);
    assert_ne!(e.identity, Some(IdentityState::Preserved), "{e:?}");
    let p =
        report.paths.iter().find(|p| p.from == from && p.to == to).expect("path inventory-sync -> catalog");
    assert!(p.findings.is_empty(), "the refused hop carries no finding: {p:#?}");
}

#[test]
fn external_endpoints_of_the_readme_are_called() {
    let report = demo();
    let actual: BTreeSet<(String, String)> = report
        .edges
        .iter()
        .filter(|e| e.kind == "calls-external")
        .map(|e| (e.from.to_string(), e.to.to_string()))
        .collect();
    // The Kubernetes API row is checked by `kubernetes_api_is_an_external_endpoint` (ignored).
    let expected: BTreeSet<(String, String)> =
        EXPECTED_EXTERNAL[..7].iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let kube = (EXPECTED_EXTERNAL[7].0.to_string(), EXPECTED_EXTERNAL[7].1.to_string());
    let extra: Vec<_> = actual.difference(&expected).filter(|e| **e != kube).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "calls-external edges differ from the README\nmissing: {missing:#?}\nunexpected: {extra:#?}"
    );
}

#[test]

fn kubernetes_api_is_an_external_endpoint() {
    let report = demo();
    let (from, to) = EXPECTED_EXTERNAL[7];
    assert!(
        report.edges.iter().any(|e| e.kind == "calls-external" && e.from == from && e.to == to),
        "no calls-external edge {from} -> {to}; external edges: {:#?}",
        report.edges.iter().filter(|e| e.kind == "calls-external").collect::<Vec<_>>()
    );
    let zt004 = common::findings_on(&report, "ZT004", "CronJob", "legacy", "inventory-sync");
    assert!(
        zt004.iter().any(|f| f.paths.iter().any(|p| p == &format!("path:{from}->{to}"))),
        "ZT004 on legacy/inventory-sync should list the path to the API server:\n{}",
        common::describe(&zt004)
    );
}

#[test]
fn blast_radius_is_led_by_the_admin_pipeline_then_the_legacy_token() {
    let report = demo();
    let ids: Vec<(&String, u64)> = report.blast_radius.iter().map(|b| (&b.credential.id, b.score)).collect();
    // The deploy pipeline's OIDC token becomes an AWS administrator: the widest reach.
    let pipeline = &report.blast_radius[0];
    assert_eq!(
        pipeline.credential.id,
        "oidc-token:token.actions.githubusercontent.com#repo:acme/shop:environment:production",
        "{ids:?}"
    );
    assert!(
        pipeline
            .reaches
            .iter()
            .any(|r| r.kind == "permission"
                && r.target.contains("is administrator of AWS account 210987654321")),
        "{:#?}",
        pipeline.reaches
    );
    let top = &report.blast_radius[1];
    assert_eq!(top.credential.id, "secret:legacy/inventory-sync-token", "{ids:?}");
    // Widest first, and strictly ahead of the rest (decision 8: the only ones over the threshold).
    assert!(report.blast_radius.windows(2).all(|w| w[0].score >= w[1].score), "not sorted by score");
    let third = report.blast_radius.get(2).expect("the demo has more than two credentials");
    assert!(top.score > third.score, "top {} vs third {} ({})", top.score, third.score, third.credential.id);
    assert!(third.score <= 30, "only two credentials are over the default threshold: {third:?}");
    assert!(top.score > 30, "over the default threshold 30: {}", top.score);
    let identity = top
        .reaches
        .iter()
        .find(|r| r.kind == "identity" && r.target == "sa:legacy/inventory-sync")
        .unwrap_or_else(|| panic!("reaches lack identity sa:legacy/inventory-sync: {:#?}", top.reaches));
    let first = top.chain(identity).next().expect("a chain");
    assert!(first.contains("inventory-sync-token"), "first step should mention the token: {first:?}");
    // It reaches every Secret of the estate through the cluster-wide secret read.
    for s in [
        "secret:payments/stripe-credentials",
        "secret:analytics/warehouse-db",
        "secret:legacy/payments-partner-key",
        "secret:legacy/reporting-db",
    ] {
        assert!(top.reaches.iter().any(|r| r.kind == "secret" && r.target == s), "reaches lack {s}");
    }
    for r in &top.reaches {
        assert!(!r.chain.is_empty(), "every reach is explained: {r:?}");
        assert_eq!(top.chain(r).count(), r.chain.len(), "every step of {r:?} is in the steps");
    }
}

#[test]
fn every_finding_is_mapped_explained_and_evidenced() {
    let report = demo();
    let path_ids: BTreeSet<&ztpath_reports::PathId> = report.paths.iter().map(|p| &p.id).collect();
    let finding_ids: BTreeSet<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(finding_ids.len(), report.findings.len(), "finding ids are unique");
    let mut problems = Vec::new();
    for f in &report.findings {
        let who = format!("{} {}", f.rule, f.subject);
        // The mappings, title and remediation are the rule's, in the catalogue of the report.
        let Some(rule) = report.rule_of(f) else {
            problems.push(format!("{who}: rule not in the report's catalogue"));
            continue;
        };
        // The ids themselves are enums: a report with an unknown one does not parse.
        if rule.owasp_nhi.is_empty() || rule.nist_800_207.is_empty() {
            problems.push(format!("{who}: no OWASP NHI risk or no NIST SP 800-207 tenet"));
        }
        if rule.remediation.trim().is_empty() {
            problems.push(format!("{who}: empty remediation"));
        }
        if f.message.trim().is_empty() || rule.title.trim().is_empty() {
            problems.push(format!("{who}: empty message or title"));
        }
        if f.evidence.is_empty() {
            problems.push(format!("{who}: no evidence"));
        }
        for e in &f.evidence {
            let file = path(&e.file);
            if !file.is_file() {
                problems.push(format!("{who}: evidence file {} does not exist", e.file));
            } else if e.line == 0 || e.line as usize > line_count(&file) {
                problems.push(format!("{who}: evidence line {e} outside the file"));
            }
        }
        for p in &f.paths {
            if !path_ids.contains(p) {
                problems.push(format!("{who}: lists unknown path {p}"));
            }
        }
    }
    for p in &report.paths {
        for id in &p.findings {
            if !finding_ids.contains(id.as_str()) {
                problems.push(format!("path {} lists unknown finding {id}", p.id));
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn judgement_calls_of_the_readme() {
    let report = demo();
    // Decision 3: one ZT007 for the value shared by two Secrets, high, naming both.
    let shared = common::findings_on(&report, "ZT007", "Secret", "analytics", "warehouse-db");
    assert_eq!(shared.len(), 1, "{}", common::describe(&shared));
    assert!(
        shared[0].message.contains("analytics/warehouse-db")
            && shared[0].message.contains("legacy/reporting-db"),
        "the message names both Secrets: {}",
        shared[0].message
    );
    // Row 7: ZT002 on legacy-web says the NetworkPolicy restricts addresses, not identities, and
    // points at the NetworkPolicy.
    let netpol = common::findings_on(&report, "ZT002", "Deployment", "legacy", "legacy-web");
    assert_eq!(netpol.len(), 1, "{}", common::describe(&netpol));
    let msg = netpol[0].message.to_lowercase();
    assert!(msg.contains("networkpolicy") && msg.contains("address") && msg.contains("identit"), "{msg}");
    assert!(
        netpol[0].evidence.iter().any(|e| {
            let doc = document_at(&path(&e.file), e.line);
            doc.contains("kind: NetworkPolicy") && doc.contains("legacy-web-ingress")
        }),
        "evidence should point at NetworkPolicy legacy-web-ingress: {:?}",
        netpol[0].evidence
    );
    // Row 31: cluster-admin recognised by name.
    let admin = common::findings_on(&report, "ZT008", "ServiceAccount", "legacy", "billing");
    assert!(admin.iter().any(|f| f.message.contains("cluster-admin")), "{}", common::describe(&admin));
    // Row 35: the dangling binding names the missing account.
    let dangling = common::findings_on(&report, "ZT010", "RoleBinding", "legacy", "ci-bot-view");
    assert!(dangling.iter().any(|f| f.message.contains("ci-bot")), "{}", common::describe(&dangling));
}

#[test]
fn table_ends_with_the_one_line_summary() {
    let report = demo();
    let (code, stdout, stderr) =
        run(&["scan", DEMO, "--format", "table", "--fail-on", "never", "--now", common::NOW]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).expect("table output");
    let s = &report.summary;
    let f = |k: &str| s.findings.get(k).copied().unwrap_or(0);
    let expected = format!(
        "ztpath: {} files, {} objects, {} workloads, {} identities, {} credentials, {} paths; findings: {} critical, {} high, {} medium, {} low, {} info; {} unreadable inputs",
        s.files,
        s.objects,
        s.workloads,
        s.identities,
        s.credentials,
        s.paths,
        f("critical"),
        f("high"),
        f("medium"),
        f("low"),
        f("info"),
        s.diagnostics
    );
    assert_eq!(last, expected, "the last line of the table output is the summary of the JSON report");
    assert!(stdout.ends_with('\n'));
    assert_eq!(s.files, 11);
    assert_eq!(s.workloads, 16, "README: 16 workloads");
    assert_eq!(s.diagnostics, 0);
    assert!(stderr.trim().is_empty(), "no diagnostics for the demo: {stderr}");
}
