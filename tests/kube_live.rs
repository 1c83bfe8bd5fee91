//! `scan --kube` against a real HTTPS server that speaks the Kubernetes API's discovery and list
//! protocol (tests/kube_support): the same estate read from files and from the API gives the
//! same findings, paths and blast radii; paging, 410 restarts, 403s, missing CRDs, retries and
//! the deadline behave as docs/kube.md says; no Secret value is ever printed; and kubectl, run
//! against the same server, lists the same objects (so the server speaks the real protocol).
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips, as tests do")]

mod common;
mod kube_support;
#[path = "../probes/tests/support/moto.rs"]
mod moto;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{NOW, base64_encode, command, corpora, in_ci, path, root};
use kube_support::{Fault, KubeServer, objects_of_files, served_key};
use serde_json::Value;

const CONTEXT: &str = "test-ctx";

/// Every YAML/JSON file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else if p.is_file()
                && matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml" | "json"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The demo's Kubernetes manifests (its aws/ folder is read from files in both scans).
fn demo_files() -> Vec<PathBuf> {
    files_under(&path("fixtures/demo"))
        .into_iter()
        .filter(|p| !p.starts_with(path("fixtures/demo/aws")))
        .collect()
}

fn demo_server() -> KubeServer {
    KubeServer::start(objects_of_files(&demo_files()), CONTEXT)
}

/// Runs ztpath in the repository root; (exit code, stdout, stderr, seconds).
fn ztpath(args: &[&str]) -> (i32, String, String, f64) {
    let started = Instant::now();
    let out = command(root()).env_remove("KUBECONFIG").args(args).output().expect("run ztpath");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed().as_secs_f64(),
    )
}

/// `scan --kube --kubeconfig KUBECONFIG --now NOW --fail-on never` and `extra`: (exit code,
/// stdout, stderr).
fn live(kubeconfig: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["scan", "--kube", "--kubeconfig", kubeconfig, "--now", NOW, "--fail-on", "never"];
    args.extend_from_slice(extra);
    let (code, out, err, _) = ztpath(&args);
    (code, out, err)
}

/// `scan --kube` against `server` with `extra` arguments, as JSON: (exit code, report, stderr).
fn kube_scan(server: &KubeServer, extra: &[&str]) -> (i32, Value, String) {
    let kubeconfig = server.kubeconfig.display().to_string();
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = live(&kubeconfig, &args);
    let report =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("no JSON report ({e}); stderr:\n{stderr}"));
    (code, report, stderr)
}

fn file_scan(paths: &[&str]) -> Value {
    let mut args = vec!["scan", "--format", "json", "--now", NOW, "--fail-on", "never"];
    args.extend_from_slice(paths);
    let (code, stdout, stderr, _) = ztpath(&args);
    assert_eq!(code, 0, "file scan {paths:?} exited {code}: {stderr}");
    serde_json::from_str(&stdout).expect("JSON report")
}

/// Drops every `evidence`, `file` and `line` field.
fn strip_evidence(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("evidence");
            map.remove("file");
            map.remove("line");
            for v in map.values_mut() {
                strip_evidence(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_evidence),
        _ => {}
    }
}

/// A message with its words sorted: a message that lists objects lists them in the order they
/// were read (by file path from files, by kind from the API), and only that order may differ.
fn canon_message(message: &str) -> String {
    let mut words: Vec<&str> =
        message.split_whitespace().map(|w| w.trim_end_matches([',', '.', ';'])).collect();
    words.sort_unstable();
    words.join(" ")
}

/// Findings, paths and blast radii of a report, evidence aside: finding ids (which name the
/// evidence) are replaced by rule, subject and message, everywhere they are referred to, and
/// lists are put in one order.
fn essence(report: &Value) -> Value {
    let mut report = report.clone();
    if let Some(findings) = report["findings"].as_array_mut() {
        for f in findings {
            let message = canon_message(f["message"].as_str().unwrap_or(""));
            f["message"] = Value::String(message);
        }
    }
    let mut names = BTreeMap::new();
    for f in report["findings"].as_array().cloned().unwrap_or_default() {
        let key = format!("{} {} {}", f["rule"], f["subject"], f["message"]);
        names.insert(f["id"].as_str().unwrap_or("").to_owned(), key);
    }
    let rename = |v: &mut Value| {
        if let Some(id) = v.as_str()
            && let Some(name) = names.get(id)
        {
            *v = Value::String(name.clone());
        }
    };
    let mut findings = report["findings"].as_array().cloned().unwrap_or_default();
    for f in &mut findings {
        rename(&mut f["id"]);
        f.as_object_mut().map(|m| m.remove("paths"));
    }
    findings.sort_by_key(|f| f["id"].to_string());
    let mut paths = report["paths"].as_array().cloned().unwrap_or_default();
    for p in &mut paths {
        if let Some(ids) = p["findings"].as_array_mut() {
            ids.iter_mut().for_each(rename);
            ids.sort_by_key(Value::to_string);
        }
    }
    paths.sort_by_key(|p| p["id"].to_string());
    let mut blast = report["blast_radius"].as_array().cloned().unwrap_or_default();
    blast.sort_by_key(|b| b["credential"]["id"].to_string());
    // A blast radius is its score, counts and what it reaches; the chain shown for a target is
    // the first one found, and among chains of equal length which is first follows the order the
    // objects were read in (by file path, or by kind from the API), so chains are not compared.
    for b in &mut blast {
        if let Some(reaches) = b["reaches"].as_array_mut() {
            for reach in reaches.iter_mut() {
                reach.as_object_mut().map(|m| m.remove("chain"));
            }
            reaches.sort_by_key(Value::to_string);
        }
        b.as_object_mut().map(|m| m.remove("steps"));
    }
    let mut out = serde_json::json!({
        "findings": findings,
        "paths": paths,
        "blast_radius": blast,
    });
    strip_evidence(&mut out);
    out
}

/// The first difference between two JSON values, as a path and both sides.
fn first_difference<'a>(a: &'a Value, b: &'a Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            // A key on one side only is compared with null (it must not panic the comparison).
            for k in x.keys().chain(y.keys()).collect::<BTreeSet<_>>() {
                let side = |m: &'a serde_json::Map<String, Value>| m.get(k.as_str()).unwrap_or(&Value::Null);
                if let Some(d) = first_difference(side(x), side(y), &format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(p, q, &format!("{at}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{at}: {} items from files, {} live", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{at}: files {a} / live {b}")),
    }
}

/// The findings of a report as (rule, subject, message with its words sorted).
fn finding_keys(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| {
                    format!(
                        "{} {} {}",
                        f["rule"],
                        f["subject"],
                        canon_message(f["message"].as_str().unwrap_or(""))
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_same_essence(files: &Value, live: &Value, what: &str) {
    let (a, b) = (essence(files), essence(live));
    if let Some(d) = first_difference(&a, &b, what) {
        panic!("{what}: the live scan differs from the file scan at {d}");
    }
}

fn diagnostics(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|x| {
                    format!("{}: {}", x["file"].as_str().unwrap_or(""), x["message"].as_str().unwrap_or(""))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn unread(report: &Value) -> Vec<(String, Option<String>, String)> {
    report["summary"]["unread_kinds"]
        .as_array()
        .map(|u| {
            u.iter()
                .map(|x| {
                    (
                        x["kind"].as_str().unwrap_or("").to_owned(),
                        x["namespace"].as_str().map(str::to_owned),
                        x["reason"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_demo_read_live_gives_the_file_scans_findings_paths_and_blast_radii() {
    let server = demo_server();
    let files = file_scan(&["fixtures/demo"]);
    // The Kubernetes objects from the API, the AWS documents from files: one Inventory.
    let (code, live, stderr) = kube_scan(&server, &["fixtures/demo/aws"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!files["findings"].as_array().unwrap().is_empty());
    assert_same_essence(&files, &live, "demo");
    // Evidence names the live objects.
    let text = live.to_string();
    assert!(
        text.contains("kube://test-ctx/_/ClusterRoleBinding.rbac.authorization.k8s.io/"),
        "no kube:// evidence"
    );
    assert!(text.contains("?resourceVersion="), "evidence without resourceVersion");
    assert!(!text.contains("fixtures/demo/rbac.yaml"), "a live object's evidence names a file");
    assert!(unread(&live).is_empty(), "{:?}", unread(&live));
    assert!(stderr.contains("ztpath: kube: read "), "{stderr}");
    // Read-only: only GETs were sent, and every list was paged.
    let log = server.take_log();
    assert!(log.iter().all(|r| r.method == "GET"), "a request that is not a GET");
    assert!(log.iter().filter(|r| r.path.contains("/secrets")).all(|r| r.path.contains("limit=")));
}

/// Files of a corpus folder that the API could hold as they are: every document is a served
/// object (or a kind no reader models), none is broken, and none repeats an object already
/// taken (a cluster holds one object per kind, namespace and name).
fn servable_files(dir: &Path) -> Vec<PathBuf> {
    let modelled: BTreeSet<&str> = ztpath_probes::kube_live::WANTED.iter().map(|w| w.kind).collect();
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    'files: for file in files_under(dir) {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        if text.contains("{{") {
            continue;
        }
        let mut keys = Vec::new();
        let docs = ztpath_probes::yaml::parse_documents(&text);
        if docs.is_empty() {
            continue;
        }
        for doc in docs {
            let Ok(node) = doc else { continue 'files };
            let value = kube_support::json_of(&node);
            let mut objects = Vec::new();
            kube_support::push_object(value, &mut objects, 0);
            for object in objects {
                let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
                match served_key(&object) {
                    Some(key) => keys.push(key),
                    None if kind.is_empty() || modelled.contains(kind) || kind == "TlsObservation" => {
                        continue 'files;
                    }
                    None => {}
                }
            }
        }
        if keys.is_empty()
            || keys.iter().any(|k| taken.contains(k))
            || keys.len() != keys.iter().collect::<BTreeSet<_>>().len()
        {
            continue;
        }
        taken.extend(keys);
        out.push(file);
    }
    out
}

#[test]
fn every_kubernetes_corpus_read_live_gives_the_file_scans_findings() {
    let Some(corpora) = corpora() else { return };
    let mut compared = 0;
    // Every corpus folder: the Kubernetes ones, and any other whose YAML holds objects.
    let mut folders: Vec<String> = std::fs::read_dir(path(corpora))
        .expect("corpora")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    for folder in &folders {
        let dir = path(&format!("{corpora}/{folder}"));
        let files = servable_files(&dir);
        if files.is_empty() {
            continue;
        }
        let server = KubeServer::start(objects_of_files(&files), CONTEXT);
        // The same objects as files, in the order the live scan reads them, so that what the
        // engine shows first of equals (the example Ingress of a listener, the first chain
        // found) is the same on both sides.
        let kinds: Vec<(&str, &str)> =
            ztpath_probes::kube_live::WANTED.iter().map(|w| (w.group, w.resource)).collect();
        let copies = server.dir.path().join("objects");
        std::fs::create_dir(&copies).expect("dir");
        let written = server.write_as_files(&kinds, &copies);
        let from_files = file_scan(&[&copies.display().to_string()]);
        // And the corpus files themselves: the same findings, whatever the order.
        let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let mut args: Vec<&str> = vec!["--namespace", "default"];
        args.extend(shown.iter().map(String::as_str));
        let originals = file_scan(&args);
        assert_eq!(
            finding_keys(&originals),
            finding_keys(&from_files),
            "{folder}: the corpus files and their objects"
        );
        assert!(!written.is_empty());
        let (code, live, stderr) = kube_scan(&server, &[]);
        assert!(code == 0 || code == 1, "{folder}: live scan exited {code}: {stderr}");
        assert_same_essence(&from_files, &live, folder);
        compared += files.len();
    }
    assert!(compared > 100, "only {compared} corpus files compared");
}

#[test]
fn small_pages_and_expired_continue_tokens_give_the_same_report() {
    let server = demo_server();
    let (_, whole, _) = kube_scan(&server, &[]);
    server.take_log();
    let (code, paged, stderr) = kube_scan(&server, &["--kube-page-size", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(essence(&whole), essence(&paged));
    let log = server.take_log();
    assert!(log.iter().any(|r| r.path.contains("limit=2&continue=")), "no continued page");
    // One expired token: that list starts again, and the report is the same.
    server.expire_continues("/api/v1/serviceaccounts", 1);
    server.take_log();
    let (code, restarted, stderr) = kube_scan(&server, &["--kube-page-size", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(essence(&whole), essence(&restarted));
    let first_pages = server
        .take_log()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/serviceaccounts?") && !r.path.contains("continue="))
        .count();
    assert_eq!(first_pages, 2, "the expired list was started again from its first page");
    assert!(diagnostics(&restarted).iter().all(|d| !d.contains("410")), "{:?}", diagnostics(&restarted));
    // Tokens that keep expiring: after two restarts the list reads on with the 410's new token,
    // and says the list may mix two states.
    server.expire_continues("/api/v1/serviceaccounts", 3);
    let (code, mixed, stderr) = kube_scan(&server, &["--kube-page-size", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(essence(&whole), essence(&mixed));
    assert!(
        diagnostics(&mixed).iter().any(|d| d.contains("snapshot expired 3 times (410 Gone)")),
        "{:?}",
        diagnostics(&mixed)
    );
    // A kind of a named API group is named with its group, as in every other diagnostic (Istio
    // and the Gateway API both have a `Gateway`).
    server.expire_continues("/apis/apps/v1/deployments", 3);
    let (code, grouped, stderr) = kube_scan(&server, &["--kube-page-size", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        diagnostics(&grouped)
            .iter()
            .any(|d| d.contains(": Deployment (apps) (cluster-wide): the list's snapshot expired")),
        "{:?}",
        diagnostics(&grouped)
    );
}

#[test]
fn large_answers_make_pages_smaller_and_budgets_bound_the_read() {
    // A ConfigMap nested deeper than JSON readers go is skipped alone, with a diagnostic.
    let mut objects = objects_of_files(&demo_files());
    let mut deep = serde_json::json!("bottom");
    for _ in 0..300 {
        deep = serde_json::json!({ "d": deep });
    }
    objects.push(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "deep", "namespace": "shop"}, "data": {"x": "y"}, "extra": deep}));
    let server = KubeServer::start(objects, CONTEXT);
    let (code, whole, stderr) = kube_scan(&server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        diagnostics(&whole).iter().any(|d| d.contains("ConfigMap: an object of a list was skipped")),
        "{:?}",
        diagnostics(&whole)
    );
    assert!(whole["summary"]["unread_kinds"].as_array().is_none_or(Vec::is_empty), "{}", whole["summary"]);
    // Answers limited to 4 KiB: the pages are asked for again with fewer objects, and the
    // report is the same.
    server.take_log();
    let (code, small, stderr) = kube_scan(&server, &["--kube-max-answer-bytes", "4096"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(essence(&whole), essence(&small));
    let log = server.take_log();
    assert!(log.iter().any(|r| r.path.contains("limit=500")), "first asked for 500");
    let limits: BTreeSet<&str> = log
        .iter()
        .filter_map(|r| r.path.split("limit=").nth(1))
        .map(|l| l.split('&').next().unwrap_or(l))
        .collect();
    assert!(limits.len() > 2 && limits.contains("250"), "then fewer: {limits:?}");
    // A budget of 20 objects: lists stop, and the summary says what was not read in full.
    let (code, capped, stderr) = kube_scan(&server, &["--kube-max-objects", "20"]);
    assert_eq!(code, 0, "{stderr}");
    let unread = capped["summary"]["unread_kinds"].as_array().cloned().unwrap_or_default();
    assert!(
        unread.iter().any(|u| u["reason"].as_str().is_some_and(|r| r.contains("budget of 20 objects"))),
        "{unread:?}"
    );
    assert!(capped["summary"]["objects"].as_u64().unwrap_or(u64::MAX) <= 20 + 500, "{}", capped["summary"]);
}

#[test]
fn a_403_names_the_missing_permission_and_the_summary_says_what_was_not_read() {
    let server = demo_server();
    server.behave(|b| {
        b.forbidden.push(("secrets".into(), Some("payments".into())));
        b.forbidden.push(("clusterroles".into(), None));
    });
    let (code, report, stderr) = kube_scan(&server, &[]);
    assert_eq!(code, 0, "{stderr}");
    let diags = diagnostics(&report);
    assert!(
        diags.iter().any(|d| d.contains("the account may not list secrets cluster-wide (403 Forbidden)")),
        "{diags:?}"
    );
    assert!(
        diags.iter().any(|d| d.contains("may not list clusterroles.rbac.authorization.k8s.io cluster-wide")),
        "{diags:?}"
    );
    assert_eq!(
        unread(&report),
        [
            (
                "ClusterRole".into(),
                None,
                "forbidden: list clusterroles.rbac.authorization.k8s.io cluster-wide".into()
            ),
            ("Secret".into(), None, "forbidden: list secrets cluster-wide".into()),
        ]
    );
    assert_eq!(report["summary"]["unread_kinds"][0]["group"], "rbac.authorization.k8s.io");
    assert!(report["summary"]["unread_kinds"][1].get("group").is_none(), "the core group is written as none");
    assert_eq!(report["schema_version"], ztpath_reports::SCHEMA_VERSION);
    // Namespace by namespace, only payments is refused.
    let (code, report2, stderr) =
        kube_scan(&server, &["--kube-namespace", "payments", "--kube-namespace", "shop"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        diagnostics(&report2).iter().any(|d| d.contains(
            "Secret in namespace payments not read: the account may not list secrets in namespace payments"
        )),
        "{:?}",
        diagnostics(&report2)
    );
    assert!(unread(&report2).contains(&(
        "Secret".into(),
        Some("payments".into()),
        "forbidden: list secrets in namespace payments".into()
    )));
    // Other namespaces are not read at all with --kube-namespace.
    let text = report2.to_string();
    assert!(!text.contains("kube://test-ctx/legacy/"), "legacy read despite --kube-namespace");
    assert!(text.contains("kube://test-ctx/shop/"));
    // The table and markdown summaries say so too.
    let kubeconfig = server.kubeconfig.display().to_string();
    for format in ["table", "markdown", "html"] {
        let (_, out, err, _) = ztpath(&[
            "scan",
            "--kube",
            "--kubeconfig",
            &kubeconfig,
            "--now",
            NOW,
            "--fail-on",
            "never",
            "--format",
            format,
        ]);
        assert!(out.contains("Not read in full, so this report is partial"), "{format}: {err}");
        assert!(out.contains("list secrets"), "{format}");
        if format != "table" {
            // The scope line of the documents names the inputs.
            assert!(out.contains("Kubernetes cluster test"), "{format}: the inputs do not name the cluster");
        }
    }
}

#[test]
fn a_kind_that_is_not_installed_is_absent_and_said_once() {
    let server = demo_server();
    server.behave(|b| b.absent_groups.push("policy.linkerd.io".into()));
    let (code, report, stderr) = kube_scan(&server, &[]);
    assert_eq!(code, 0, "{stderr}");
    let said: Vec<String> =
        diagnostics(&report).into_iter().filter(|d| d.contains("not installed")).collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].starts_with("kube://test-ctx: not installed in the cluster, so not read (not an error): Server (policy.linkerd.io)"), "{said:?}");
    assert!(unread(&report).is_empty(), "a kind not installed is not a partial read");
    assert!(
        server.take_log().iter().all(|r| !r.path.contains("linkerd")),
        "asked for a group the server does not have"
    );
}

#[test]
fn throttled_and_unavailable_answers_are_retried() {
    let server = demo_server();
    let (_, whole, _) = kube_scan(&server, &[]);
    server.behave(|b| {
        b.faults.push(Fault {
            path_contains: "/api/v1/secrets".into(),
            code: 429,
            retry_after: Some(1),
            times: 2,
        });
        b.faults.push(Fault {
            path_contains: "/apis/apps/v1/deployments".into(),
            code: 503,
            retry_after: None,
            times: 2,
        });
        b.faults.push(Fault { path_contains: "/apis".into(), code: 503, retry_after: None, times: 1 });
    });
    server.take_log();
    let (code, retried, stderr) = kube_scan(&server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(essence(&whole), essence(&retried));
    assert!(unread(&retried).is_empty());
    let log = server.take_log();
    assert_eq!(log.iter().filter(|r| r.path.starts_with("/api/v1/secrets")).count(), 3);
    // More failures than retries: the kind is reported unread, the scan goes on.
    server.behave(|b| {
        b.faults.push(Fault {
            path_contains: "/api/v1/configmaps".into(),
            code: 503,
            retry_after: None,
            times: 50,
        });
    });
    let (code, report, stderr) = kube_scan(&server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        unread(&report),
        [("ConfigMap".into(), None, "the list failed: HTTP 503 ServiceUnavailable".into())],
        "{:?} {:?}",
        diagnostics(&report),
        server.take_log().iter().filter(|r| r.path.contains("configmaps")).collect::<Vec<_>>()
    );
}

#[test]
fn a_server_that_stalls_ends_the_scan_within_the_deadline() {
    let server = demo_server();
    server.behave(|b| b.stall = Some("/api/v1/configmaps".into()));
    let kubeconfig = server.kubeconfig.display().to_string();
    let args = [
        "scan",
        "--kube",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "json",
        "--now",
        NOW,
        "--fail-on",
        "never",
        "--kube-deadline",
        "4",
        "--kube-timeout",
        "2",
    ];
    let (code, stdout, stderr, seconds) = ztpath(&args);
    assert!(seconds < 12.0, "took {seconds} s");
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("report");
    let gaps = unread(&report);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].0, "ConfigMap");
    assert!(gaps[0].2.contains("deadline"), "{gaps:?}");
    // A server that stalls discovery: a clear error, within the deadline.
    server.behave(|b| b.stall = Some("/api".into()));
    let (code, _, stderr, seconds) = ztpath(&args);
    assert!(seconds < 12.0, "took {seconds} s");
    assert_eq!(code, 2);
    assert!(stderr.contains("deadline") || stderr.contains("no answer"), "{stderr}");
}

#[test]
fn refused_credentials_are_an_error() {
    let server = demo_server();
    let other = server.kubeconfig_with_token("wrong-token");
    let other = other.display().to_string();
    let (code, _, stderr, _) = ztpath(&["scan", "--kube", "--kubeconfig", &other, "--now", NOW]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(!stderr.contains("wrong-token"), "the token was printed");
}

#[test]
fn an_exec_credential_plugin_gives_the_token() {
    // A kubeconfig user that runs a credential plugin (as `aws eks get-token` or
    // `gke-gcloud-auth-plugin` do): the plugin prints an ExecCredential with the bearer token.
    use std::os::unix::fs::PermissionsExt as _;
    let server = demo_server();
    let plugin = server.dir().join("credential-plugin.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho '{{\"apiVersion\": \"client.authentication.k8s.io/v1beta1\", \"kind\": \"ExecCredential\", \"status\": {{\"token\": \"{}\"}}}}'\n",
            kube_support::TOKEN
        ),
    )
    .expect("plugin");
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let user = format!(
        "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: {}\n  interactiveMode: Never",
        plugin.display()
    );
    let kubeconfig = server.kubeconfig_with_user("exec-ctx", &user).display().to_string();
    let (code, stdout, stderr) = live(&kubeconfig, &["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(doc["summary"]["objects"].as_u64().unwrap_or(0) > 50, "the cluster was read: {stderr}");
    assert!(stdout.contains("kube://exec-ctx/"), "evidence names the exec context");
    assert!(
        !stdout.contains(kube_support::TOKEN) && !stderr.contains(kube_support::TOKEN),
        "the token was printed"
    );
    // A plugin that fails after printing a token: an error that does not show what it printed
    // (kube-rs's own message would), and no scan. It is run once: asking again would only run it
    // again (each run of `aws eks get-token` is a call to AWS).
    let runs = server.dir().join("plugin-runs");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho run >> '{}'\necho '{{\"status\": {{\"token\": \"zt-leaked-plugin-token\"}}}}'\necho zt-leaked-plugin-token >&2\nexit 1\n",
            runs.display()
        ),
    )
    .expect("plugin");
    let (code, stdout, stderr, _) = ztpath(&["scan", "--kube", "--kubeconfig", &kubeconfig, "--now", NOW]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("credentials could not be obtained"), "{stderr}");
    assert!(
        !stderr.contains("zt-leaked") && !stdout.contains("zt-leaked"),
        "the plugin's output was printed: {stderr}"
    );
    let ran = std::fs::read_to_string(&runs).unwrap_or_default().lines().count();
    assert_eq!(ran, 1, "the failing plugin was run {ran} times");
    // A plugin whose first token has expired fails when it is asked again, as the cluster's
    // requests begin: that failure is not retried either (retrying would run it once per retry
    // of every list at work).
    let runs = server.dir().join("plugin-runs-expired");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nif [ -e '{runs}' ]; then echo run >> '{runs}'; exit 1; fi\necho run >> '{runs}'\necho '{{\"apiVersion\": \"client.authentication.k8s.io/v1beta1\", \"kind\": \"ExecCredential\", \"status\": {{\"token\": \"{}\", \"expirationTimestamp\": \"2000-01-01T00:00:00Z\"}}}}'\n",
            kube_support::TOKEN,
            runs = runs.display()
        ),
    )
    .expect("plugin");
    let (code, _, stderr, _) = ztpath(&["scan", "--kube", "--kubeconfig", &kubeconfig, "--now", NOW]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("credentials could not be obtained"), "{stderr}");
    // The first request is the one that fails. Its five attempts (the first and four retries)
    // would each run the plugin at least once more, so that would make at least six runs.
    let ran = std::fs::read_to_string(&runs).unwrap_or_default().lines().count();
    assert!((2..6).contains(&ran), "the plugin was run {ran} times: the failing request was retried");
}

#[test]
#[cfg(feature = "aws-live")]
fn the_cluster_and_an_aws_account_are_one_graph() {
    // `--kube` with `--aws` (moto, seeded through the IAM API): a service account of the cluster
    // annotated with the account's IRSA role `web-irsa` (whose trust names shop/web) assumes it.
    let Some(moto) = moto::Moto::start(root()) else { return };
    let seeded = moto::seed(&moto.url);
    let mut objects = objects_of_files(&demo_files());
    objects.push(serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "web", "namespace": "shop",
            "annotations": {"eks.amazonaws.com/role-arn": format!("arn:aws:iam::{}:role/web-irsa", moto::ACCOUNT)}}}));
    let server = KubeServer::start(objects, CONTEXT);
    let kubeconfig = server.kubeconfig.display().to_string();
    let home = tempfile::tempdir().expect("tempdir");
    let missing = home.path().join("missing");
    let mut cmd = command(root());
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(&key);
        }
    }
    let out = cmd
        .env_remove("KUBECONFIG")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", &missing)
        .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["scan", "--kube", "--kubeconfig", &kubeconfig, "--aws", "--aws-endpoint", &moto.url])
        .args([
            "--aws-source",
            "iam",
            "--region",
            "us-east-1",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--now",
            NOW,
        ])
        .output()
        .expect("run ztpath");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let (_, alone, _) = kube_scan(&server, &[]);
    // Every object of both: the account's 14 on top of the cluster's.
    assert_eq!(
        doc["summary"]["objects"].as_u64(),
        alone["summary"]["objects"].as_u64().map(|n| n + 14),
        "{stderr}"
    );
    let role = format!("iam-role:arn:aws:iam::{}:role/web-irsa", moto::ACCOUNT);
    let assumes: Vec<&Value> = doc["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["from"] == "sa:shop/web" && e["to"] == role.as_str())
        .collect();
    assert_eq!(assumes.len(), 1, "the cluster's account assumes the account's role");
    assert_eq!(assumes[0]["kind"], "assumes-role");
    for secret in &seeded.secrets {
        assert!(
            !stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()),
            "a secret was printed"
        );
    }
}

/// Distinctive values planted in Secrets (and ConfigMaps) served by the API.
const PLANTED: [&str; 3] = ["zt-live-planted-Q7x9pL2m", "zt-live-string-data-W4k8", "AKIAZTLIVEPLANTED0001"];

fn planted_objects() -> Vec<Value> {
    let mut objects = objects_of_files(&demo_files());
    objects.push(serde_json::json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "planted", "namespace": "shop"}, "type": "Opaque",
        "data": {"password": base64_encode(PLANTED[0].as_bytes()), "aws": base64_encode(PLANTED[2].as_bytes())},
        "stringData": {"token": PLANTED[1]}}));
    objects.push(serde_json::json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "planted-copy", "namespace": "payments"}, "type": "Opaque",
        "data": {"password": base64_encode(PLANTED[0].as_bytes())}}));
    objects.push(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "planted-config", "namespace": "shop"},
        "data": {"AWS_SECRET_ACCESS_KEY": PLANTED[1], "DATABASE_URL": format!("postgres://app:{}@db:5432/x", PLANTED[0])}}));
    objects
}

#[test]
fn a_live_scan_prints_no_secret_value_in_any_format() {
    let server = KubeServer::start(planted_objects(), CONTEXT);
    let kubeconfig = server.kubeconfig.display().to_string();
    let mut needles: Vec<String> = PLANTED.iter().map(|p| (*p).to_owned()).collect();
    needles.extend(PLANTED.iter().map(|p| base64_encode(p.as_bytes())));
    let mut reused = false;
    for format in ["json", "table", "markdown", "html", "sarif", "dot"] {
        let (code, out, err) = live(&kubeconfig, &["--format", format]);
        assert_eq!(code, 0, "{format}: {err}");
        for needle in &needles {
            assert!(
                !out.contains(needle.as_str()) && !err.contains(needle.as_str()),
                "{format} printed a planted value"
            );
        }
        if format == "json" {
            let report: Value = serde_json::from_str(&out).expect("json");
            // The reuse of one value in two Secrets is found from their fingerprints.
            reused = reuse_of_planted_copy(&report);
        }
    }
    assert!(reused, "the planted Secrets gave no finding: were they read?");
}

#[test]
fn metadata_only_secrets_transfer_no_value_and_the_report_says_reuse_detection_is_off() {
    let server = KubeServer::start(planted_objects(), CONTEXT);
    let (code, report, stderr) = kube_scan(&server, &["--kube-secrets", "metadata"]);
    assert_eq!(code, 0, "{stderr}");
    let log = server.take_log();
    let secrets: Vec<_> = log.iter().filter(|r| r.path.starts_with("/api/v1/secrets")).collect();
    assert!(!secrets.is_empty());
    assert!(
        secrets
            .iter()
            .all(|r| r.accept == "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
        "{secrets:?}"
    );
    assert!(
        unread(&report)
            .iter()
            .any(|(k, _, r)| k == "Secret" && r.contains("reuse detection of Secret values is off"))
    );
    assert!(diagnostics(&report).iter().any(|d| d.contains("reuse detection of Secret values is off")));
    // Without values, the value both planted Secrets hold cannot be seen to be one.
    assert!(!reuse_of_planted_copy(&report), "reuse found without values");
    let text = report.to_string();
    assert!(!text.contains(PLANTED[0]));
}

/// A reuse finding (ZT007) that names the Secret `planted-copy`, which holds a value of `planted`.
fn reuse_of_planted_copy(report: &Value) -> bool {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["rule"] == "ZT007" && f["message"].as_str().is_some_and(|m| m.contains("planted-copy")))
}

/// kubectl: `ZTPATH_KUBECTL`, else Debian's under the target directory (scripts/test.sh puts it
/// there); `None` (after saying so) outside CI, a failure under CI.
fn kubectl() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let found = std::env::var_os("ZTPATH_KUBECTL")
        .map(PathBuf::from)
        .into_iter()
        .chain([target.join("debian-kubectl/usr/bin/kubectl")])
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !in_ci(),
            "Debian's kubectl is not installed: scripts/test.sh installs it; under CI it is required"
        );
        eprintln!(
            "skipped: Debian's kubectl is not installed (scripts/test.sh installs it; or set ZTPATH_KUBECTL)"
        );
    }
    found
}

#[test]
fn kubectl_lists_the_same_objects_from_the_test_server() {
    let Some(kubectl) = kubectl() else { return };
    let server = demo_server();
    let cache = server.dir.path().join("kubectl-cache");
    let kubeconfig = server.kubeconfig.display().to_string();
    let mut checked = 0;
    for wanted in ztpath_probes::kube_live::WANTED {
        let resource = if wanted.group.is_empty() {
            wanted.resource.to_owned()
        } else {
            format!("{}.{}", wanted.resource, wanted.group)
        };
        let out = std::process::Command::new(&kubectl)
            .args(["--kubeconfig", &kubeconfig, "--cache-dir"])
            .arg(&cache)
            .args(["get", &resource, "-A", "-o", "json", "--chunk-size", "3"])
            .env("HOME", server.dir.path())
            .output()
            .expect("run kubectl");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "kubectl get {resource}: {stderr}");
        let list: Value = serde_json::from_slice(&out.stdout).expect("kubectl JSON");
        let mut names: Vec<String> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                let m = &i["metadata"];
                match m["namespace"].as_str() {
                    Some(ns) => format!("{ns}/{}", m["name"].as_str().unwrap_or("")),
                    None => m["name"].as_str().unwrap_or("").to_owned(),
                }
            })
            .collect();
        names.sort();
        let mut served = server.names(wanted.group, wanted.resource);
        served.sort();
        assert_eq!(names, served, "kubectl get {resource}");
        checked += served.len();
    }
    assert!(checked > 20, "only {checked} objects compared");
    // kubectl paged: every list was asked for with limit=3.
    assert!(server.take_log().iter().any(|r| r.path.contains("limit=3") && r.path.contains("continue=")));
}

#[test]
fn the_clusterrole_docs_ship_grants_what_the_scan_lists_and_ztpath_reports_it() {
    let text =
        std::fs::read_to_string(path("docs/kube-clusterrole.yaml")).expect("docs/kube-clusterrole.yaml");
    for wanted in ztpath_probes::kube_live::WANTED {
        assert!(text.contains(wanted.resource), "the ClusterRole does not grant {}", wanted.resource);
    }
    assert!(
        !text.contains("watch") && !text.contains("create") && !text.contains("\"*\""),
        "more than get/list"
    );
    let report = file_scan(&["docs/kube-clusterrole.yaml"]);
    let found: BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (f["rule"].as_str().unwrap_or("").to_owned(), f["severity"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    // docs/kube.md explains both: the role can read every Secret of the cluster (ZT008), and no
    // workload of the file runs as the account (ZT010).
    let expected: BTreeSet<(String, String)> =
        [("ZT008".into(), "critical".into()), ("ZT010".into(), "low".into())].into_iter().collect();
    assert_eq!(found, expected);
    let doc = std::fs::read_to_string(path("docs/kube.md")).expect("docs/kube.md");
    assert!(doc.contains("ZT008") && doc.contains("ZT010"), "docs/kube.md does not explain the findings");
}

#[test]
fn the_kubeconfig_comes_from_kubeconfig_and_the_context_from_context() {
    let server = demo_server();
    let run = |args: &[&str]| {
        let out =
            command(root()).env("KUBECONFIG", &server.kubeconfig).args(args).output().expect("run ztpath");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&[
        "scan",
        "--kube",
        "--context",
        CONTEXT,
        "--format",
        "json",
        "--now",
        NOW,
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("kube://test-ctx/"), "evidence does not name the context");
    assert!(stderr.contains("from context test-ctx"), "{stderr}");
    let (code, _, stderr) = run(&["scan", "--kube", "--context", "no-such-context", "--now", NOW]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("ztpath: kube: cannot configure the Kubernetes client"), "{stderr}");
    // Flags that need --kube are refused without it.
    let (code, _, stderr) = run(&["scan", "fixtures/demo", "--kube-namespace", "shop"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = run(&["scan", "--kube", "--kube-namespace", "Not_A_Namespace"]);
    assert_eq!(code, 2);
}

#[test]
fn a_context_name_reaches_the_terminal_escaped() {
    // A kubeconfig is the user's, but a context name can still hold an escape sequence (YAML's
    // `\e` in a quoted name). An empty cluster makes ztpath say where it found nothing.
    let server = KubeServer::start(Vec::new(), r#""zt-ctx-\e[2J-4q""#);
    let kubeconfig = server.kubeconfig.display().to_string();
    let (code, _, err) = live(&kubeconfig, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing readable in Kubernetes cluster zt-ctx-"), "{err}");
    assert!(!err.contains('\u{1b}'), "an escape sequence reached the terminal: {err:?}");
}

#[test]
fn a_hostile_answer_is_reported_without_being_quoted() {
    let server = demo_server();
    let hostile = "zt-hostile-answer-\u{1b}[2J-9f3k";
    server.behave(|b| {
        b.garbage.push((
            "/apis/apps/v1/deployments".into(),
            format!(r#"{{"metadata": {{}}, "items": "{}"}}"#, hostile.replace('\u{1b}', "\\u001b")),
        ));
        b.garbage.push(("/apis/batch/v1/jobs".into(), format!("not json {hostile}")));
    });
    for format in ["json", "table"] {
        let kubeconfig = server.kubeconfig.display().to_string();
        let (code, out, err) = live(&kubeconfig, &["--format", format]);
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains("zt-hostile") && !err.contains("zt-hostile"),
            "{format}: the answer was quoted"
        );
        assert!(!err.contains('\u{1b}'), "{format}: an escape sequence reached the terminal");
        if format == "json" {
            let report: Value = serde_json::from_str(&out).expect("json");
            let gaps = unread(&report);
            assert!(
                gaps.iter().any(|(k, _, r)| k == "Deployment"
                    && r.starts_with("the list was not the JSON expected (JSON of another shape")),
                "{gaps:?}"
            );
            assert!(gaps.iter().any(|(k, _, r)| k == "Job" && r.contains("not valid JSON")), "{gaps:?}");
        }
    }
}
