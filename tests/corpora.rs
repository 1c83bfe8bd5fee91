//! Real-world inputs: the public configuration corpora in ../shared/corpora (read-only; never
//! modified or copied). Every file is read without a crash, every diagnostic is well formed, and
//! the weaknesses that the files visibly contain are reported. Each specific assertion below was
//! established by reading the file named in it.
//!
//! When the corpora are absent the tests print a note and pass, except under CI (`CI` set), where
//! they fail.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{corpora, describe, findings_on, line_count, parse_diagnostic, path, run, scan_json_full};
use ztpath_reports::{Report, Severity};

const CHECKOV: &str = "bridgecrewio__checkov/tests/kubernetes";
const BADPODS: &str = "BishopFox__badPods/manifests";
const KUBEHOUND: &str = "DataDog__KubeHound/test/setup/test-cluster/attacks";
const ISTIO: &str = "istio__istio";
const LINKERD: &str = "linkerd__linkerd2";

/// Corpus folders that hold Kubernetes objects: scanning each alone must succeed (exit 0).
const KUBERNETES_FOLDERS: [&str; 10] = [
    "BishopFox__badPods",
    "DataDog__KubeHound",
    "aws__amazon-eks-pod-identity-webhook",
    "bridgecrewio__checkov",
    "haproxytech__kubernetes-ingress",
    "istio__istio",
    "kubernetes-sigs__aws-load-balancer-controller",
    "kubernetes-sigs__gateway-api",
    "kubernetes__ingress-nginx",
    "linkerd__linkerd2",
];

/// Files of the corpora that really are broken (checked with a strict JSON parser) or that the
/// reader is known to refuse (see `spire_quickstart_is_read_whole`).
const KNOWN_UNREADABLE: [&str; 3] = [
    "awslabs__aws-config-rdk/rdk/template/example_ci/AWS_EC2_NetworkInterface.json", // truncated JSON
    // ingress-nginx test data for its config cleaner: fragments whose `http {` block is never
    // closed, so not valid nginx configurations.
    "kubernetes__ingress-nginx/test/data/cleanConf.expected.conf",
    "kubernetes__ingress-nginx/test/data/cleanConf.src.conf",
];

/// Real files that give a key twice: read, with the duplicate reported (file, line of the second key).
const KNOWN_DUPLICATE_KEYS: [(&str, u32); 1] =
    [("aws__amazon-eks-pod-identity-webhook/pkg/handler/testdata/rawPodWithInitContainer.pod.yaml", 23)];

/// Scans corpus paths (relative to the corpora root) as one estate with --fail-on never.
fn scan(corpora: &str, rels: &[&str]) -> Report {
    let paths: Vec<String> = rels.iter().map(|r| format!("{corpora}/{r}")).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let (code, report, stderr) = scan_json_full(&args);
    assert_eq!(code, 0, "scan {rels:?} exited {code}; stderr:\n{stderr}");
    report
}

fn all(report: &Report) -> String {
    describe(&report.findings.iter().collect::<Vec<_>>())
}

/// Asserts one finding of `rule` on the subject, optionally of `severity`; returns its message.
fn expect_finding(
    report: &Report,
    rule: &str,
    kind: &str,
    ns: &str,
    name: &str,
    severity: Option<Severity>,
) -> String {
    let hits = findings_on(report, rule, kind, ns, name);
    assert!(!hits.is_empty(), "expected {rule} on {kind} {ns}/{name}; findings:\n{}", all(report));
    if let Some(s) = severity {
        assert!(
            hits.iter().any(|f| f.severity == s),
            "{rule} on {kind} {ns}/{name} should be {s}:\n{}",
            describe(&hits)
        );
    }
    hits[0].message.clone()
}

fn expect_none(report: &Report, rule: &str, kind: &str, ns: &str, name: &str) {
    let hits = findings_on(report, rule, kind, ns, name);
    assert!(hits.is_empty(), "no {rule} expected on {kind} {ns}/{name}:\n{}", describe(&hits));
}

/// Checks that every non-empty stderr line is a `file:line: reason` diagnostic about an existing
/// file (or the `ztpath: nothing readable` notice when `allow_nothing`), and returns them.
fn check_stderr(stderr: &str, allow_nothing: bool) -> Vec<common::DiagLine> {
    let mut out = Vec::new();
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        if allow_nothing && line.starts_with("ztpath: nothing readable in ") {
            continue;
        }
        let d = parse_diagnostic(line)
            .unwrap_or_else(|| panic!("stderr line not in `file:line: reason` form: {line}"));
        let file = path(&d.file);
        assert!(file.is_file(), "diagnostic names a file that does not exist: {line}");
        // A parse error at the end of the input is reported on the line after the last one.
        assert!(d.line as usize <= line_count(&file) + 1, "diagnostic line past the end of the file: {line}");
        out.push(d);
    }
    out
}

#[test]
fn whole_corpus_scans_in_one_run() {
    let Some(c) = corpora() else { return };
    let (code, report, stderr) = scan_json_full(&[c]);
    assert_eq!(code, 0, "exit {code} (101 = panic) with --fail-on never; stderr:\n{stderr}");
    let diags = check_stderr(&stderr, false);
    assert_eq!(diags.len(), report.diagnostics.len(), "stderr and report.diagnostics agree");
    assert_eq!(report.summary.diagnostics, report.diagnostics.len());
    // Only the known unreadable files give diagnostics, and the truncated JSON is one of them.
    for d in &diags {
        // h5bp's configurations include files that the corpus does not hold: each is said, and
        // each named file is really absent (relative to the directory of h5bp's nginx.conf).
        let h5bp = format!("{c}/h5bp__server-configs-nginx/");
        if d.file.starts_with(&h5bp)
            && let Some(target) = d.reason.strip_prefix("include ")
            && let Some(target) = target.strip_suffix(": not found in the scanned tree; not read")
        {
            assert!(!path(&format!("{h5bp}{target}")).exists(), "{target} exists: {d:?}");
            continue;
        }
        if KNOWN_DUPLICATE_KEYS.iter().any(|(k, l)| d.file == format!("{c}/{k}") && d.line == *l) {
            assert!(d.reason.starts_with("duplicate key serviceAccountName: "), "{}", d.reason);
            continue;
        }
        assert!(
            KNOWN_UNREADABLE.iter().any(|k| d.file == format!("{c}/{k}")),
            "unexpected diagnostic (a real file the reader refuses?): {}:{}: {}",
            d.file,
            d.line,
            d.reason
        );
    }
    let truncated = format!("{c}/{}", KNOWN_UNREADABLE[0]);
    assert!(
        diags.iter().any(|d| d.file == truncated && d.line == 88),
        "the truncated JSON is reported: {diags:?}"
    );
    assert!(report.summary.objects > 0 && report.summary.workloads > 0 && !report.findings.is_empty());
    // Every finding points at real lines.
    for f in &report.findings {
        assert!(!f.evidence.is_empty(), "{} {} has no evidence", f.rule, f.subject);
        for e in &f.evidence {
            let file = path(&e.file);
            assert!(file.is_file(), "{} {}: evidence {e} does not exist", f.rule, f.subject);
            assert!(
                e.line > 0 && e.line as usize <= line_count(&file),
                "{} {}: evidence {e}",
                f.rule,
                f.subject
            );
        }
    }
}

#[test]
fn each_corpus_folder_scans_alone() {
    let Some(c) = corpora() else { return };
    let mut folders: Vec<String> = std::fs::read_dir(path(c))
        .expect("corpora")
        .filter_map(std::result::Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert!(folders.len() >= KUBERNETES_FOLDERS.len(), "{folders:?}");
    for folder in &folders {
        let dir = format!("{c}/{folder}");
        let (code, stdout, stderr) =
            run(&["scan", &dir, "--format", "json", "--fail-on", "never", "--now", common::NOW]);
        assert!(code == 0 || code == 2, "{folder}: exit {code} (101 = panic); stderr:\n{stderr}");
        check_stderr(&stderr, true);
        if KUBERNETES_FOLDERS.contains(&folder.as_str()) {
            assert_eq!(code, 0, "{folder} holds Kubernetes objects; stderr:\n{stderr}");
        }
        if code == 0 {
            let report: Report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{folder}: {e}"));
            assert!(report.summary.objects > 0, "{folder}");
        } else {
            // Folders of AWS, nginx or Envoy configuration hold no Kubernetes object.
            assert!(stderr.contains("nothing readable"), "{folder}: exit 2 must say why: {stderr}");
            assert!(stdout.is_empty(), "{folder}");
        }
    }
}

/// PEM private-key lines and base64 private keys found in the corpora.
fn corpus_private_keys(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read dir").filter_map(std::result::Result::ok) {
        let p: PathBuf = entry.path();
        if p.is_dir() {
            corpus_private_keys(&p, out);
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        let mut in_key = false;
        for line in text.lines() {
            let t = line.trim();
            if t.contains("BEGIN") && t.contains("PRIVATE KEY") {
                in_key = true;
            } else if t.contains("END") && t.contains("PRIVATE KEY") {
                in_key = false;
            } else if in_key && t.len() >= 20 {
                out.insert(t.to_string());
            } else if let Some((_, v)) = t.split_once(": ") {
                // `tls.key: <base64 of a PEM private key>` in Secret data.
                let v = v.trim().trim_matches('"');
                if v.len() > 40
                    && let Some(pem) = common::base64_decode(v).and_then(|b| String::from_utf8(b).ok())
                    && pem.contains("PRIVATE KEY")
                {
                    out.insert(v.to_string());
                    out.extend(
                        pem.lines().filter(|l| !l.starts_with("-----") && l.len() >= 20).map(str::to_string),
                    );
                }
            }
        }
    }
}

#[test]
fn corpus_private_keys_are_never_printed() {
    let Some(c) = corpora() else { return };
    let mut keys = BTreeSet::new();
    corpus_private_keys(&path(c), &mut keys);
    assert!(keys.len() > 10, "found {} private-key lines", keys.len());
    for format in ["json", "table", "dot"] {
        let (code, stdout, stderr) =
            run(&["scan", c, "--format", format, "--fail-on", "never", "--now", common::NOW]);
        assert_eq!(code, 0, "{stderr}");
        let leaks: Vec<_> =
            keys.iter().filter(|k| stdout.contains(k.as_str()) || stderr.contains(k.as_str())).collect();
        assert!(leaks.is_empty(), "--format {format} prints private-key material: {leaks:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// bridgecrewio/checkov: k8s check fixtures.

#[test]
fn checkov_committed_secrets_and_the_pod_that_loads_a_password() {
    let Some(c) = corpora() else { return };
    // Three Secrets with committed `data`; secret-test-pod-2 loads test-secret (with its
    // `password`) by envFrom; secret-test-pod loads only user names.
    let r = scan(c, &[&format!("{CHECKOV}/checks/example_Secrets/pod-secretEnvironment-FAILED.yaml")]);
    for name in ["backend-user", "db-user", "test-secret"] {
        expect_finding(&r, "ZT005", "Secret", "default", name, Some(Severity::Medium));
    }
    let msg = expect_finding(&r, "ZT004", "Pod", "default", "secret-test-pod-2", None);
    assert!(msg.contains("password"), "{msg}");
    expect_none(&r, "ZT004", "Pod", "default", "secret-test-pod");
    // Both pods run as the implicit default account with its token mounted, unused.
    expect_finding(&r, "ZT007", "ServiceAccount", "default", "default", None);
    expect_finding(&r, "ZT011", "Pod", "default", "secret-test-pod", Some(Severity::Low));
}

#[test]
fn checkov_default_service_account_bound_to_cluster_admin() {
    let Some(c) = corpora() else { return };
    // ClusterRoleBinding destroy-k8s binds cluster-admin to ServiceAccount whoa/default.
    let r = scan(
        c,
        &[&format!(
            "{CHECKOV}/checks/example_DefaultServiceAccountBinding/DefaultServiceAccountBinding-FAILED.yaml"
        )],
    );
    let msg = expect_finding(&r, "ZT008", "ServiceAccount", "whoa", "default", Some(Severity::Critical));
    assert!(msg.contains("cluster-admin") && msg.contains("destroy-k8s"), "{msg}");
    // The PASSED variant binds secret-reader to a human group and pod-reader to supercool,
    // which nothing runs as.
    let r = scan(
        c,
        &[&format!(
            "{CHECKOV}/checks/example_DefaultServiceAccountBinding/DefaultServiceAccountBinding-PASSED.yaml"
        )],
    );
    assert!(common::of_rule(&r, "ZT008").is_empty(), "no service account is overprivileged:\n{}", all(&r));
    expect_finding(&r, "ZT010", "ServiceAccount", "whoa", "supercool", Some(Severity::Low));
}

#[test]

fn checkov_binding_to_the_implicit_default_account_is_not_dangling() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{CHECKOV}/checks/example_DefaultServiceAccountBinding")]);
    let dangling: Vec<_> = common::of_rule(&r, "ZT010")
        .into_iter()
        .filter(|f| f.subject.kind.ends_with("Binding") && f.message.contains("whoa/default"))
        .collect();
    assert!(dangling.is_empty(), "bindings to whoa/default are not dangling:\n{}", describe(&dangling));
}

#[test]
fn checkov_automounted_tokens() {
    let Some(c) = corpora() else { return };
    let dir = format!("{CHECKOV}/checks/example_ServiceAccountTokens");
    // pod1 leaves automount unset, pod2 sets it true; neither account has a binding.
    let r = scan(c, &[&format!("{dir}/ServiceAccountTokensFAILED.yaml")]);
    expect_finding(&r, "ZT011", "Pod", "default", "pod1", Some(Severity::Low));
    let msg = expect_finding(&r, "ZT011", "Pod", "default", "pod2", Some(Severity::Low));
    assert!(msg.contains("automountServiceAccountToken: true"), "{msg}");
    // pod-pass sets automountServiceAccountToken: false.
    let r = scan(c, &[&format!("{dir}/ServiceAccountTokensPASSED.yaml")]);
    assert!(common::of_rule(&r, "ZT011").is_empty(), "{}", all(&r));
}

#[test]
fn checkov_unbound_roles_grant_nothing() {
    let Some(c) = corpora() else { return };
    // Wildcard, bind and escalate Roles that nothing binds: no identity holds them.
    let r = scan(
        c,
        &[
            &format!("{CHECKOV}/checks/example_WildcardRoles"),
            &format!("{CHECKOV}/checks/example_RbacBindRoleBindings"),
            &format!("{CHECKOV}/checks/example_RbacEscalateRoles"),
        ],
    );
    assert!(common::of_rule(&r, "ZT008").is_empty(), "{}", all(&r));
}

#[test]
fn checkov_load_balancer_service_without_mesh() {
    let Some(c) = corpora() else { return };
    // A LoadBalancer Service in front of an unmeshed nginx Deployment.
    let r = scan(c, &[&format!("{CHECKOV}/checks/example_WildcardEntities/nginx-app.yaml")]);
    expect_finding(&r, "ZT001", "Deployment", "default", "my-nginx", Some(Severity::High));
    expect_finding(&r, "ZT002", "Deployment", "default", "my-nginx", None);
    // A NetworkPolicy selects myapp-pod: still ZT002, which says addresses are not identities.
    let r = scan(c, &[&format!("{CHECKOV}/graph/resources/Keyword/network-policy-attached.yaml")]);
    let msg = expect_finding(&r, "ZT002", "Pod", "default", "myapp-pod", None);
    assert!(msg.contains("NetworkPolicy") && msg.contains("address"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// BishopFox/badPods.

/// Each badPods manifest (relative to manifests/) and the workload it defines.
const BADPODS_WORKLOADS: [(&str, &str, &str); 16] = [
    (
        "everything-allowed/cronjob/everything-allowed-exec-cronjob.yaml",
        "CronJob",
        "everything-allowed-exec-cronjob",
    ),
    (
        "everything-allowed/deamonset/everything-allowed-exec-deamonset.yaml",
        "DaemonSet",
        "everything-allowed-exec-daemonset",
    ),
    (
        "everything-allowed/deployment/everything-allowed-exec-deployment.yaml",
        "Deployment",
        "everything-allowed-exec-deployment",
    ),
    ("everything-allowed/job/everything-allowed-exec-job.yaml", "Job", "everything-allowed-exec-job"),
    ("everything-allowed/pod/everything-allowed-exec-pod.yaml", "Pod", "everything-allowed-exec-pod"),
    (
        "everything-allowed/replicaset/everything-allowed-exec-replicaset.yaml",
        "ReplicaSet",
        "everything-allowed-exec-replicaset",
    ),
    (
        "everything-allowed/replicationcontroller/everything-allowed-exec-replicationcontroller.yaml",
        "ReplicationController",
        "everything-allowed-exec-replicationcontroller",
    ),
    (
        "everything-allowed/statefulset/everything-allowed-exec-statefulset.yaml",
        "StatefulSet",
        "everything-allowed-exec-statefulset",
    ),
    ("hostipc/pod/hostipc-exec-pod.yaml", "Pod", "hostipc-exec-pod"),
    ("hostnetwork/pod/hostnetwork-exec-pod.yaml", "Pod", "hostnetwork-exec-pod"),
    ("hostpath/pod/hostpath-exec-pod.yaml", "Pod", "hostpath-exec-pod"),
    ("hostpid/pod/hostpid-exec-pod.yaml", "Pod", "hostpid-exec-pod"),
    (
        "nothing-allowed/deployment/nothing-allowed-exec-deployment.yaml",
        "Deployment",
        "nothing-allowed-exec-deployment",
    ),
    ("nothing-allowed/pod/nothing-allowed-exec-pod.yaml", "Pod", "nothing-allowed-exec-pod"),
    ("priv-and-hostpid/pod/priv-and-hostpid-exec-pod.yaml", "Pod", "priv-and-hostpid-exec-pod"),
    ("priv/pod/priv-exec-pod.yaml", "Pod", "priv-exec-pod"),
];

#[test]
fn badpods_every_workload_mounts_an_unneeded_token() {
    let Some(c) = corpora() else { return };
    // None sets serviceAccountName or automountServiceAccountToken, and there is no RBAC at all.
    for (file, kind, name) in BADPODS_WORKLOADS {
        let r = scan(c, &[&format!("{BADPODS}/{file}")]);
        expect_finding(&r, "ZT011", kind, "default", name, Some(Severity::Low));
        assert!(common::of_rule(&r, "ZT008").is_empty(), "{file}: no RBAC, no ZT008:\n{}", all(&r));
    }
}

#[test]
fn badpods_pentest_service_serves_unmeshed_pods_in_plaintext() {
    let Some(c) = corpora() else { return };
    // Only the StatefulSet file has a Service (headless, selector app: pentest, port 4444).
    let r = scan(
        c,
        &[&format!("{BADPODS}/everything-allowed/statefulset/everything-allowed-exec-statefulset.yaml")],
    );
    let msg = expect_finding(
        &r,
        "ZT001",
        "StatefulSet",
        "default",
        "everything-allowed-exec-statefulset",
        Some(Severity::High),
    );
    assert!(msg.contains("4444"), "{msg}");
    expect_finding(&r, "ZT002", "StatefulSet", "default", "everything-allowed-exec-statefulset", None);
    // Read together, that Service selects every pod template labelled app: pentest; the CronJob
    // and the Job label only their own metadata, so they serve nothing.
    let r = scan(c, &[BADPODS]);
    for (_, kind, name) in BADPODS_WORKLOADS {
        if kind == "CronJob" || kind == "Job" {
            expect_none(&r, "ZT001", kind, "default", name);
        } else {
            expect_finding(&r, "ZT001", kind, "default", name, Some(Severity::High));
        }
    }
    // All of them share the namespace's default account.
    let msg = expect_finding(&r, "ZT007", "ServiceAccount", "default", "default", None);
    assert!(msg.contains("16 workloads"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// DataDog/KubeHound: attack-path test cluster.

#[test]
fn kubehound_escalation_edges_give_zt008() {
    let Some(c) = corpora() else { return };
    let cases: [(&str, &str, Severity, &str); 8] = [
        ("IDENTITY_IMPERSONATE.yaml", "impersonate-sa", Severity::High, "impersonate"),
        ("POD_CREATE.yaml", "pod-create-sa", Severity::High, "create pods"),
        ("POD_EXEC.yaml", "pod-exec-sa", Severity::High, "exec"),
        ("ROLE_BIND_CRB_CR.yaml", "rolebind-sa-crb-cr-crb-cr", Severity::Critical, "bind"),
        ("ROLE_BIND_CRB_CR.yaml", "rolebind-sa-crb-cr-rb-cr", Severity::Critical, "bind"),
        ("ROLE_BIND_CRB_CR.yaml", "rolebind-sa-crb-cr-rb-r", Severity::Critical, "bind"),
        ("ROLE_BIND_RB_CR-SA.yaml", "rolebind-sa-rb-cr-rb-cr", Severity::High, "bind"),
        ("ROLE_BIND_RB_R-SA.yaml", "rolebind-sa-rb-r-rb-r", Severity::High, "bind"),
    ];
    for (file, sa, sev, what) in cases {
        let r = scan(c, &[&format!("{KUBEHOUND}/{file}")]);
        let msg = expect_finding(&r, "ZT008", "ServiceAccount", "default", sa, Some(sev));
        assert!(msg.contains(what), "{file}: {msg}");
    }
}

#[test]
fn kubehound_grants_to_users_groups_and_nodes_are_not_service_accounts() {
    let Some(c) = corpora() else { return };
    let r = scan(
        c,
        &[&format!("{KUBEHOUND}/ROLE_BIND_RB_R-UG.yaml"), &format!("{KUBEHOUND}/IDENTITY_ASSUME.yaml")],
    );
    assert!(common::of_rule(&r, "ZT008").is_empty(), "{}", all(&r));
}

#[test]
fn kubehound_namespaced_secret_reads_count_in_the_blast_radius() {
    let Some(c) = corpora() else { return };
    // TOKEN_LIST (`list secrets` in default) and TOKEN_BRUTEFORCE (`get secrets` in default) are
    // namespace-scoped: by the rule page they are not ZT008 but widen the token's blast radius.
    let r =
        scan(c, &[&format!("{KUBEHOUND}/TOKEN_LIST.yaml"), &format!("{KUBEHOUND}/TOKEN_BRUTEFORCE.yaml")]);
    assert!(common::of_rule(&r, "ZT008").is_empty(), "{}", all(&r));
    // Read next to checkov's three Secrets of namespace default, tokenlist-sa's mounted token
    // reaches all of them.
    let r = scan(
        c,
        &[
            &format!("{KUBEHOUND}/TOKEN_LIST.yaml"),
            &format!("{CHECKOV}/checks/example_Secrets/pod-secretEnvironment-FAILED.yaml"),
        ],
    );
    let b = r
        .blast_radius
        .iter()
        .find(|b| b.credential.id == "token:default/tokenlist-sa")
        .unwrap_or_else(|| panic!("no blast radius for tokenlist-sa's token: {:?}", r.blast_radius));
    for s in ["secret:default/backend-user", "secret:default/db-user", "secret:default/test-secret"] {
        assert!(
            b.reaches.iter().any(|x| x.kind == "secret" && x.target == s),
            "{s} not reached: {:#?}",
            b.reaches
        );
    }
    assert!(b.reaches.iter().any(|x| x.kind == "permission" && x.target.contains("namespace default")));
}

#[test]

fn kubehound_pod_patch_is_an_escalation() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{KUBEHOUND}/POD_PATCH.yaml")]);
    expect_finding(&r, "ZT008", "ServiceAccount", "default", "pod-patch-sa", Some(Severity::High));
}

#[test]
fn kubehound_kubectl_list_dumps_are_read() {
    let Some(c) = corpora() else { return };
    // `kubectl get -o json` Lists: pods, roles, bindings, endpointslices, nodes.
    let (code, r, stderr) = scan_json_full(&[&format!("{c}/DataDog__KubeHound/pkg/collector/testdata")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert!(r.summary.objects >= 5 && r.summary.workloads >= 1, "{:?}", r.summary);
    assert!(
        r.nodes.iter().any(|n| n.kind == "service-account" && n.namespace.as_deref() == Some("test-app")),
        "the pods' service account is modelled"
    );
}

// ---------------------------------------------------------------------------------------------
// istio/istio.

const AUTHZ: &str = "istio__istio/pilot/pkg/security/authz/builder/testdata";

#[test]
fn istio_allow_with_an_empty_rule_is_allow_all_and_deny_is_not() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{AUTHZ}/http/allow-empty-rule-in.yaml")]);
    expect_finding(&r, "ZT003", "AuthorizationPolicy", "foo", "allow-all", Some(Severity::High));
    let r = scan(c, &[&format!("{AUTHZ}/http/deny-empty-rule-in.yaml")]);
    assert!(common::of_rule(&r, "ZT003").is_empty(), "DENY with {{}} is deny-all:\n{}", all(&r));
}

#[test]
fn istio_wildcard_principal_is_allow_all() {
    let Some(c) = corpora() else { return };
    // principals: ["*"] in one source of the ALLOW rule.
    let r = scan(c, &[&format!("{AUTHZ}/http/simple-policy-principal-with-wildcard-in.yaml")]);
    expect_finding(&r, "ZT003", "AuthorizationPolicy", "foo", "httpbin", Some(Severity::Medium));
}

#[test]
fn istio_policies_naming_sources_or_operations_are_not_allow_all() {
    let Some(c) = corpora() else { return };
    // Named principals/namespaces, dry-run, CUSTOM, DENY and operation-only rules.
    let files = [
        "http/deny-and-allow-in.yaml",
        "http/dry-run-mix-in.yaml",
        "http/custom-simple-http-in.yaml",
        "http/multiple-policies-in.yaml",
        "http/single-policy-in.yaml",
        "http/td-aliases-source-principal-in.yaml",
        "tcp/deny-both-http-tcp-in.yaml",
        "tcp/allow-both-http-tcp-in.yaml",
    ];
    for f in files {
        let r = scan(c, &[&format!("{AUTHZ}/{f}")]);
        assert!(common::of_rule(&r, "ZT003").is_empty(), "{f}:\n{}", all(&r));
    }
}

#[test]
fn istio_analyzer_authorization_policies() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{ISTIO}/pkg/config/analysis/analyzers/testdata/authorizationpolicies.yaml")]);
    // httpbin-bogus-ns admits namespaces ["*", …]; the others name sources, negate them, or are
    // the mesh-wide `spec: {}` deny-all.
    let zt003: Vec<_> = common::of_rule(&r, "ZT003").iter().map(|f| common::subject(&f.subject)).collect();
    assert_eq!(zt003, ["AuthorizationPolicy httpbin/httpbin-bogus-ns"], "{}", all(&r));
    // Namespace httpbin is istio-injection: enabled and no PeerAuthentication exists: PERMISSIVE.
    let msg = expect_finding(&r, "ZT001", "Deployment", "httpbin", "httpbin", Some(Severity::Medium));
    assert!(msg.contains("PERMISSIVE"), "{msg}");
}

#[test]
fn istio_samples_without_sidecars_accept_plaintext() {
    let Some(c) = corpora() else { return };
    // Namespace default is not labelled for injection in these samples.
    let r = scan(c, &[&format!("{ISTIO}/samples/httpbin/httpbin.yaml")]);
    let msg = expect_finding(&r, "ZT001", "Deployment", "default", "httpbin", Some(Severity::High));
    assert!(msg.contains("no mesh sidecar"), "{msg}");
    // ext-authz opts out explicitly (sidecar.istio.io/inject: "false").
    let r = scan(c, &[&format!("{ISTIO}/samples/extauthz/ext-authz.yaml")]);
    expect_finding(&r, "ZT001", "Deployment", "default", "ext-authz", Some(Severity::High));
    // The JWT sample commits its signing key in stringData.
    let r = scan(c, &[&format!("{ISTIO}/samples/jwt-server/jwt-server.yaml")]);
    expect_finding(&r, "ZT005", "Secret", "default", "jwt-cert-key-secret", None);
}

#[test]
fn istio_helloworld_versions_are_one_identity() {
    let Some(c) = corpora() else { return };
    // helloworld-v1 and helloworld-v2 (`app: helloworld`, `version: v1`/`v2`) are the two
    // versions of the traffic-shifting sample; both run as the namespace's default account.
    let r = scan(c, &[&format!("{ISTIO}/samples/helloworld/helloworld.yaml")]);
    assert_eq!(r.summary.workloads, 2, "{}", all(&r));
    expect_none(&r, "ZT007", "ServiceAccount", "default", "default");
}

#[test]

fn spire_quickstart_is_read_whole() {
    let Some(c) = corpora() else { return };
    let file = format!("{c}/{ISTIO}/samples/security/spire/spire-quickstart.yaml");
    let (code, r, stderr) = scan_json_full(&[&file]);
    assert_eq!(code, 0);
    assert!(r.diagnostics.is_empty(), "{stderr}");
    assert!(
        r.nodes.iter().any(|n| n.id == "workload:spire/DaemonSet/spire-agent"),
        "the spire-agent DaemonSet"
    );
    expect_none(&r, "ZT010", "ServiceAccount", "spire", "spire-agent");
}

// ---------------------------------------------------------------------------------------------
// linkerd/linkerd2.

#[test]
fn linkerd_emoji_policy_web_public_is_allow_all() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{LINKERD}/test/integration/viz/policy/testdata/emoji-policy.yaml")]);
    let msg =
        expect_finding(&r, "ZT003", "ServerAuthorization", "default", "web-public", Some(Severity::High));
    assert!(msg.contains("unauthenticated"), "{msg}");
    // emoji-grpc admits one namespace's identities (prefix wildcard), voting-grpc one account.
    expect_none(&r, "ZT003", "ServerAuthorization", "default", "emoji-grpc");
    expect_none(&r, "ZT003", "ServerAuthorization", "default", "voting-grpc");
}

#[test]
fn linkerd_multicluster_legacy_token_and_any_meshed_gateway() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{LINKERD}/multicluster/cmd/testdata/install_default.golden")]);
    expect_finding(
        &r,
        "ZT006",
        "Secret",
        "linkerd-multicluster",
        "linkerd-service-mirror-remote-access-default-token",
        Some(Severity::High),
    );
    // MeshTLSAuthentication any-meshed: identities ['*'].
    let msg =
        expect_finding(&r, "ZT003", "AuthorizationPolicy", "linkerd-multicluster", "linkerd-gateway", None);
    assert!(msg.contains("any-meshed"), "{msg}");
}

#[test]
fn linkerd_viz_prometheus_and_open_network_authentication() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{LINKERD}/viz/cmd/testdata/install_default.golden")]);
    // ClusterRole linkerd-linkerd-viz-prometheus: get/list/watch nodes/proxy, cluster-wide.
    let msg =
        expect_finding(&r, "ZT008", "ServiceAccount", "linkerd-viz", "prometheus", Some(Severity::Critical));
    assert!(msg.contains("nodes/proxy"), "{msg}");
    // NetworkAuthentication kube-api-server: 0.0.0.0/0 and ::/0.
    let msg = expect_finding(&r, "ZT003", "AuthorizationPolicy", "linkerd-viz", "tap", None);
    assert!(msg.contains("kube-api-server"), "{msg}");
}

#[test]
fn linkerd_control_plane_opts_out_of_authentication() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &[&format!("{LINKERD}/cli/cmd/testdata/install_default.golden")]);
    // The control-plane pod templates set config.linkerd.io/default-inbound-policy: all-unauthenticated.
    for name in ["linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"] {
        expect_finding(&r, "ZT003", "Deployment", "linkerd", name, None);
        expect_finding(&r, "ZT001", "Deployment", "linkerd", name, Some(Severity::Medium));
    }
    // The identity issuer's key.pem is committed in the Secret.
    let msg = expect_finding(&r, "ZT005", "Secret", "linkerd", "linkerd-identity-issuer", None);
    assert!(msg.contains("key.pem"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Ingress controllers: kubernetes/ingress-nginx, haproxytech/kubernetes-ingress,
// kubernetes-sigs/aws-load-balancer-controller.

#[test]
fn ingress_controllers_read_every_secret() {
    let Some(c) = corpora() else { return };
    // ClusterRole ingress-nginx: list/watch secrets; ingress-nginx-admission: get/update
    // validatingwebhookconfigurations; both cluster-wide.
    let r = scan(c, &["kubernetes__ingress-nginx/deploy/static/provider/aws/deploy.yaml"]);
    let msg = expect_finding(
        &r,
        "ZT008",
        "ServiceAccount",
        "ingress-nginx",
        "ingress-nginx",
        Some(Severity::Critical),
    );
    assert!(msg.contains("Secrets"), "{msg}");
    let msg = expect_finding(
        &r,
        "ZT008",
        "ServiceAccount",
        "ingress-nginx",
        "ingress-nginx-admission",
        Some(Severity::Critical),
    );
    assert!(msg.contains("webhook"), "{msg}");
    // haproxy: get/list/watch/create/patch/update secrets cluster-wide, token automounted; read
    // with the folder's two committed Secrets, the token reaches them (ZT009).
    let r = scan(c, &["haproxytech__kubernetes-ingress"]);
    expect_finding(
        &r,
        "ZT008",
        "ServiceAccount",
        "haproxy-controller",
        "haproxy-kubernetes-ingress",
        Some(Severity::Critical),
    );
    expect_finding(
        &r,
        "ZT009",
        "ServiceAccountToken",
        "haproxy-controller",
        "haproxy-kubernetes-ingress token",
        Some(Severity::High),
    );
    // aws-load-balancer-controller: get/list/watch secrets cluster-wide.
    let r = scan(c, &["kubernetes-sigs__aws-load-balancer-controller/docs/install/v2_2_4_full.yaml"]);
    expect_finding(
        &r,
        "ZT008",
        "ServiceAccount",
        "kube-system",
        "aws-load-balancer-controller",
        Some(Severity::Critical),
    );
}

// Regression: `credential_name` used to match any name containing `AUTH`, so OAUTH_PROVIDER=github
// was reported as a credential literal (ZT005 high + ZT004); AUTH is meant as a prefix only
// (fixtures ZT004/good/03).
#[test]
fn vouch_proxy_oauth_provider_is_not_a_credential() {
    let Some(c) = corpora() else { return };
    let file = "kubernetes__ingress-nginx/docs/examples/auth/oauth-external-auth/vouch-proxy.yaml";
    assert!(path(&format!("{c}/{file}")).is_file(), "{file}");
    let r = scan(c, &[file]);
    for rule in ["ZT004", "ZT005"] {
        let hits: Vec<_> =
            common::of_rule(&r, rule).into_iter().filter(|f| f.message.contains("OAUTH_PROVIDER")).collect();
        assert!(hits.is_empty(), "OAUTH_PROVIDER=github is not a credential:\n{}", describe(&hits));
    }
}

#[test]

fn cluster_wide_secret_reader_token_is_wide_without_secrets_in_the_input() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &["kubernetes__ingress-nginx/deploy/static/provider/aws/deploy.yaml"]);
    let b = r
        .blast_radius
        .iter()
        .find(|b| b.credential.id == "token:ingress-nginx/ingress-nginx")
        .expect("blast radius of the controller's token");
    assert!(
        b.reaches.iter().any(|x| x.kind == "permission" && x.target.contains("cluster-wide")),
        "the token carries the cluster-wide secret read: score {}, reaches {:#?}",
        b.score,
        b.reaches
    );
    expect_finding(&r, "ZT009", "ServiceAccountToken", "ingress-nginx", "ingress-nginx token", None);
}

#[test]
fn whole_corpus_output_is_deterministic() {
    let Some(c) = corpora() else { return };
    // The engine works in parallel; the report must not depend on scheduling.
    for format in ["json", "dot"] {
        let args = ["scan", c, "--format", format, "--fail-on", "never", "--now", common::NOW];
        let (_, first, _) = run(&args);
        let (_, second, _) = run(&args);
        assert!(!first.is_empty() && first == second, "two runs of {args:?} differ");
    }
}

// duo-labs/cloudmapper: a demo account's IAM dumps.

#[test]
fn cloudmapper_root_key_and_open_trust_policy() {
    let Some(c) = corpora() else { return };
    let r = scan(c, &["duo-labs__cloudmapper"]);
    // iam-get-credential-report.json: the root row has access_key_1_active true.
    expect_finding(
        &r,
        "ZT204",
        "AccessKey",
        "",
        "arn:aws:iam::123456789012:root/access-key-1",
        Some(Severity::Critical),
    );
    // iam-get-account-authorization-details.json: bad_role trusts {"AWS": "*"} with no condition.
    expect_finding(&r, "ZT205", "IAMRole", "", "bad_role", Some(Severity::Critical));
    // The other roles trust AWS services only.
    assert_eq!(r.findings.iter().filter(|f| f.rule == "ZT205").count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Layer-4 and in-pod hops (issue 9, item 5).

#[test]
fn layer4_load_balancers_follow_the_backend_port_and_loopback_upstreams_stay_in_the_pod() {
    let Some(c) = corpora() else { return };
    // ingress-nginx's AWS deploy.yaml: an NLB with TCP listeners; the Service ports carry
    // appProtocol `http` (80) and `https` (443). Port 80 is a plaintext hop, port 443 passes TLS.
    let r = scan(c, &["kubernetes__ingress-nginx/deploy/static/provider/aws/deploy.yaml"]);
    let lb = |rule: &str| {
        findings_on(&r, rule, "Service", "ingress-nginx", "ingress-nginx-controller")
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
    };
    let zt106 = lb("ZT106");
    assert_eq!(zt106.len(), 1, "{zt106:?}");
    assert!(zt106[0].starts_with("ingress-nginx-controller listener http (port 80)"), "{}", zt106[0]);
    assert!(zt106[0].contains("port 80 has appProtocol `http`"), "{}", zt106[0]);
    let zt107 = lb("ZT107");
    assert_eq!(zt107.len(), 1, "{zt107:?}");
    assert!(zt107[0].starts_with("ingress-nginx-controller listener https (port 443)"), "{}", zt107[0]);
    assert!(zt107[0].contains("port 443 has appProtocol `https`"), "{}", zt107[0]);
    // checkov's nginx-app.yaml: a LoadBalancer port 80 with no name, appProtocol or probe: the
    // backend's protocol is unknown, and ZT107 says so instead of claiming TLS.
    let r = scan(c, &[&format!("{CHECKOV}/checks/example_WildcardEntities/nginx-app.yaml")]);
    let msg = expect_finding(&r, "ZT107", "Service", "default", "my-nginx-svc", Some(Severity::Medium));
    assert!(msg.contains("TLS or not") && !msg.contains("TLS session"), "{msg}");
    // Gateway API basic-tcp.yaml: TCP listeners forward bytes as they come: not plaintext (no
    // ZT106), and not known to be TLS.
    let r = scan(c, &["kubernetes-sigs__gateway-api/examples/standard/basic-tcp.yaml"]);
    expect_none(&r, "ZT106", "Gateway", "default", "my-tcp-gateway");
    let msg = expect_finding(&r, "ZT107", "Gateway", "default", "my-tcp-gateway", None);
    assert!(msg.contains("does not show whether port 6000 of the backend speaks TLS"), "{msg}");
    // Envoy's google-vrp edge: TLS terminated on 0.0.0.0:10000, then plaintext to 127.0.0.1:10002,
    // the service in the same pod: an in-pod hop, no ZT106.
    let r = scan(c, &["envoyproxy__envoy/configs/google-vrp/envoy-edge.yaml"]);
    assert!(common::of_rule(&r, "ZT106").is_empty(), "{}", all(&r));
    let hop = r
        .paths
        .iter()
        .find(|p| p.to.ends_with("/127.0.0.1:10002"))
        .and_then(|p| p.hops.last())
        .unwrap_or_else(|| panic!("{:#?}", r.paths.iter().map(|p| &p.id).collect::<Vec<_>>()));
    assert_eq!(hop.auth, ztpath_reports::AuthMethod::InPod);
}
