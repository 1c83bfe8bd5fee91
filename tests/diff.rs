//! `ztpath diff OLD NEW` end to end: a pull request that makes identity worse fails, one that only
//! moves files and adds an unrelated object passes, JSON-report sides give the same diff as path
//! sides, and the Markdown comment cannot be injected into.

mod common;

use std::path::Path;

use common::{NOW, command, root};
use ztpath_reports::diff::Diff;

/// A plaintext workload (legacy has no mesh) whose service account is bound to cluster-admin, and
/// a PeerAuthentication that turns shop/cart's mTLS off (which weakens its existing paths).
const WORSE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: intruder, namespace: legacy}
spec:
  selector: {matchLabels: {app: intruder}}
  template:
    metadata: {labels: {app: intruder}}
    spec:
      serviceAccountName: intruder
      containers:
      - name: app
        image: example/intruder:1.0
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: intruder, namespace: legacy}
spec:
  selector: {app: intruder}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: intruder, namespace: legacy}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: intruder-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: intruder, namespace: legacy}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: cart-plaintext, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  mtls: {mode: DISABLE}
";

/// A tempdir with `old/` and `new/` copies of the demo.
fn two_demos() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for side in ["old", "new"] {
        copy_dir(&root().join("fixtures/demo"), &dir.path().join(side));
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `ztpath diff OLD NEW ARGS…` in `dir`: (exit code, stdout, stderr).
fn diff(dir: &Path, old: &str, new: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["diff", old, new, "--now", NOW];
    all.extend_from_slice(args);
    let out = command(dir).args(&all).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn diff_json(dir: &Path, old: &str, new: &str) -> (i32, Diff) {
    let (code, out, err) = diff(dir, old, new, &["--format", "json"]);
    let parsed = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not a diff ({e}): {out}\n{err}"));
    (code, parsed)
}

#[test]
fn a_change_that_weakens_identity_fails_and_says_how() {
    let dir = two_demos();
    std::fs::write(dir.path().join("new/added.yaml"), WORSE).unwrap();
    let (code, d) = diff_json(dir.path(), "old", "new");
    assert_eq!(code, 1, "{:#?}", d.summary);
    assert!(d.summary.failed && d.summary.worse > 0);
    assert_eq!(d.schema_version, ztpath_reports::diff::DIFF_SCHEMA_VERSION);
    let added: Vec<(&str, &str)> =
        d.findings.added.iter().map(|f| (f.rule.as_str(), f.subject.name.as_str())).collect();
    assert!(added.contains(&("ZT008", "intruder")), "cluster-admin binding: {added:?}");
    assert!(added.contains(&("ZT001", "intruder")), "plaintext workload: {added:?}");
    assert!(added.contains(&("ZT001", "cart")), "{added:?}");
    assert!(d.findings.resolved.is_empty(), "{:?}", d.findings.resolved);
    assert!(
        d.paths.added.iter().any(|p| p.to == "workload:legacy/Deployment/intruder"),
        "{:?}",
        d.paths.added
    );
    let weakened = d
        .paths
        .weakened
        .iter()
        .find(|p| p.id == "path:workload:shop/Deployment/frontend->workload:shop/Deployment/cart")
        .unwrap_or_else(|| panic!("frontend -> cart weakened: {:?}", d.paths.weakened));
    assert_eq!(weakened.auth.old, Some(ztpath_reports::AuthMethod::MeshMtls));
    assert_eq!(weakened.auth.new, Some(ztpath_reports::AuthMethod::Plaintext));
    assert_eq!(weakened.identity.new, Some(ztpath_reports::IdentityState::Lost));
    assert!(d.paths.removed.is_empty() && d.paths.strengthened.is_empty());
    let grown = d.blast_radius.grown.iter().find(|b| b.credential == "token:legacy/intruder").unwrap();
    assert_eq!(grown.score.old, None);
    assert!(grown.newly_reached.iter().any(|r| r.kind == "permission" && r.target.contains("cluster-admin")));

    // The table says the same, and the gate can be lowered out of the way.
    let (code, table, _) = diff(dir.path(), "old", "new", &["--format", "table"]);
    assert_eq!(code, 1);
    assert!(table.contains("Paths weakened (2)") && table.contains("mesh-mtls -> plaintext"), "{table}");
    assert!(table.contains("ZT008 ServiceAccount legacy/intruder"), "{table}");
    let (code, _, _) = diff(dir.path(), "old", "new", &["--fail-on", "never", "--format", "json"]);
    assert_eq!(code, 0);
    // Backwards, the same change is a fix: nothing gets worse, and the findings are resolved.
    let (code, back) = diff_json(dir.path(), "new", "old");
    assert_eq!(code, 0, "{:#?}", back.summary);
    assert_eq!(back.findings.resolved.len(), d.findings.added.len());
    assert_eq!(back.paths.strengthened.len(), d.paths.weakened.len());
}

#[test]
fn reordering_files_and_an_unrelated_config_map_change_nothing() {
    let dir = two_demos();
    let new = dir.path().join("new");
    // Renamed so that the sort order of the files changes.
    std::fs::rename(new.join("shop.yaml"), new.join("a-shop.yaml")).unwrap();
    std::fs::rename(new.join("analytics.yaml"), new.join("z-analytics.yaml")).unwrap();
    std::fs::write(
        new.join("config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: feature-flags, namespace: shop}\ndata: {dark-mode: \"on\"}\n",
    )
    .unwrap();
    let (code, d) = diff_json(dir.path(), "old", "new");
    assert_eq!(code, 0, "{:#?}", d.summary);
    let s = &d.summary;
    assert_eq!(
        (
            s.findings_added,
            s.findings_resolved,
            s.paths_added,
            s.paths_removed,
            s.paths_weakened,
            s.blast_grown
        ),
        (0, 0, 0, 0, 0, 0),
        "{d:#?}"
    );
    assert_eq!(s.paths_strengthened + s.blast_shrunk, 0);
}

#[test]
fn json_report_sides_give_the_diff_that_path_sides_give() {
    let dir = two_demos();
    std::fs::write(dir.path().join("new/added.yaml"), WORSE).unwrap();
    for side in ["old", "new"] {
        let out = command(dir.path())
            .args(["scan", side, "--format", "json", "--fail-on", "never", "--now", NOW])
            .output()
            .unwrap();
        std::fs::write(dir.path().join(format!("{side}.json")), out.stdout).unwrap();
    }
    let (code, from_paths) = diff_json(dir.path(), "old", "new");
    let (code_reports, from_reports) = diff_json(dir.path(), "old.json", "new.json");
    let (code_mixed, mixed) = diff_json(dir.path(), "old.json", "new");
    assert_eq!((code, code_reports, code_mixed), (1, 1, 1));
    assert_eq!(from_reports.old.kind, "report");
    assert_eq!(from_paths.old.kind, "scan");
    assert_eq!(mixed.new.kind, "scan");
    for other in [&from_reports, &mixed] {
        assert_eq!(other.summary, from_paths.summary);
        assert_eq!(other.findings, from_paths.findings);
        assert_eq!(other.paths, from_paths.paths);
        assert_eq!(other.blast_radius, from_paths.blast_radius);
    }
}

#[test]
fn bad_sides_exit_2_naming_the_file_without_quoting_it() {
    let dir = two_demos();
    std::fs::write(dir.path().join("broken.json"), "{\"schema_version\": \"2.1.0\", \"tool\": SECRET-TEXT")
        .unwrap();
    let (code, out, err) = diff(dir.path(), "broken.json", "new", &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("broken.json") && !err.contains("SECRET-TEXT"), "{err}");
    let (code, _, err) = diff(dir.path(), "old", "missing-dir", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("missing-dir"), "{err}");
    std::fs::write(
        dir.path().join("other.json"),
        "{\"schema_version\": \"1.0.0\", \"tool\": {\"name\": \"ztpath\", \"version\": \"0\"}}",
    )
    .unwrap();
    let (code, _, err) = diff(dir.path(), "other.json", "new", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("other.json") && err.contains("schema major version"), "{err}");
}

#[test]
fn the_markdown_comment_escapes_hostile_names() {
    let dir = two_demos();
    let hostile = "x<script>alert(1)</script>|`rm`|[link](http://e.example)@team";
    // The name sits in an annotation-free ConfigMap value and in a finding's message through a
    // workload name that Kubernetes would refuse but a file can hold.
    let text = WORSE.replace(
        "name: intruder, namespace: legacy}\nspec:\n  selector",
        &format!("name: \"{hostile}\", namespace: legacy}}\nspec:\n  selector"),
    );
    std::fs::write(dir.path().join("new/added.yaml"), text).unwrap();
    let (code, md, err) = diff(dir.path(), "old", "new", &["--format", "markdown"]);
    assert_eq!(code, 1, "{err}");
    assert!(md.starts_with("### "), "{md}");
    assert!(md.contains("x&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\|\\`rm\\`\\|\\[link\\]"), "{md}");
    assert!(!md.contains("<script>") && !md.contains("](http") && !md.contains("@team"), "{md}");
    // Every table row keeps its column count: no `|` of the input opens a cell.
    for block in md.split("\n\n") {
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        let Some(first) = rows.first() else { continue };
        let cells = |l: &str| l.replace("\\|", "").matches('|').count();
        for r in &rows {
            assert_eq!(cells(r), cells(first), "{r}");
        }
    }
}
