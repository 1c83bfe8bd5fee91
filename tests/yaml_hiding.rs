//! Bindings that YAML or JSON syntax could hide (issue 8, item 5): a subject written with a merge
//! key and an explicit name, a roleRef that names its ClusterRole twice. The scan reads them as the
//! Kubernetes API server does, reports the over-privileged ServiceAccount, and reports the
//! duplicate key on stderr without quoting the values.

mod common;

use common::{DiagLine, findings_on, parse_diagnostic, scan_json_full};

const MERGE: &str = "fixtures/rules/ZT008/bad/12-merge-key-subject.yaml";
const DUPLICATE: &str = "fixtures/rules/ZT008/bad/13-duplicate-roleref-name.yaml";

fn diagnostics(stderr: &str) -> Vec<DiagLine> {
    stderr.lines().filter_map(parse_diagnostic).collect()
}

#[test]
fn a_merged_subject_with_an_explicit_name_is_bound_under_that_name() {
    let (code, report, stderr) = scan_json_full(&[MERGE]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        findings_on(&report, "ZT008", "ServiceAccount", "zt008-bad-merge", "app").len(),
        1,
        "the ServiceAccount named explicitly is bound to cluster-admin: {:#?}",
        report.findings
    );
    assert!(diagnostics(&stderr).is_empty(), "overriding a merged key is ordinary YAML: {stderr}");
}

#[test]
fn a_duplicate_role_ref_name_binds_the_last_one_and_is_reported() {
    let (code, report, stderr) = scan_json_full(&[DUPLICATE]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        findings_on(&report, "ZT008", "ServiceAccount", "zt008-bad-dupkey", "app").len(),
        1,
        "the last roleRef name (cluster-admin) is the one bound: {:#?}",
        report.findings
    );
    assert_eq!(
        diagnostics(&stderr),
        [DiagLine {
            file: DUPLICATE.to_owned(),
            line: 52,
            reason: "duplicate key name: the last value is read, as the Kubernetes API server does"
                .to_owned(),
        }],
        "{stderr}"
    );
    assert_eq!(report.summary.diagnostics, 1);
}

#[test]
fn the_same_in_json_and_with_the_explicit_key_before_the_merge_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "zt008-json"}},
  {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
   "metadata": {"name": "json-binding"},
   "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "zt008-json"}],
   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
               "name": "view", "name": "cluster-admin"}}
]}
"#;
    let yaml = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: zt008-before}\n---\n\
apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: before-merge}\n\
subjects:\n- &ci {kind: ServiceAccount, name: ci, namespace: zt008-before}\n- name: app\n  <<: *ci\n\
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n";
    let json_path = dir.path().join("list.json");
    let yaml_path = dir.path().join("before.yaml");
    std::fs::write(&json_path, json).unwrap();
    std::fs::write(&yaml_path, yaml).unwrap();
    let (json_file, yaml_file) = (json_path.to_str().unwrap(), yaml_path.to_str().unwrap());

    let (code, report, stderr) = scan_json_full(&[json_file, yaml_file]);
    assert_eq!(code, 0, "{stderr}");
    for ns in ["zt008-json", "zt008-before"] {
        assert_eq!(
            findings_on(&report, "ZT008", "ServiceAccount", ns, "app").len(),
            1,
            "{ns}/app is bound to cluster-admin: {:#?}",
            report.findings
        );
    }
    let mut diags = diagnostics(&stderr);
    diags.sort_by(|a, b| a.file.cmp(&b.file));
    assert_eq!(diags.len(), 2, "{stderr}");
    assert_eq!((diags[0].file.as_str(), diags[0].line), (yaml_file, 11));
    assert_eq!(
        diags[0].reason,
        "key name is set before a merge key (<<) that sets it too: the mapping's own value is read; some decoders (go-yaml v2) read the merged one"
    );
    assert_eq!((diags[1].file.as_str(), diags[1].line), (json_file, 7));
    assert_eq!(
        diags[1].reason,
        "duplicate key name: the last value is read, as the Kubernetes API server does"
    );
    for value in ["view", "cluster-admin"] {
        assert!(!stderr.contains(value), "stderr quotes a value ({value}):\n{stderr}");
    }
}
