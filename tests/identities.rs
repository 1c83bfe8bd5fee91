//! Identities that are one by design: versions of one application sharing their service account,
//! manifests without namespaces (`--namespace`), and SAML single sign-on in IAM trust policies.

mod common;

use common::{findings_on, of_rule, run, scan_json, scan_json_full};
use ztpath_reports::Report;

/// Every finding message of `report`, for assertions that a phrase appears nowhere.
fn messages(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.message.as_str()).collect()
}

// Versions of one application.

#[test]
fn versions_of_one_application_are_named_once_among_the_applications_sharing_an_account() {
    let r = scan_json(&["fixtures/rules/ZT007/bad/07-versions-and-another-application.yaml"]);
    let hits = findings_on(&r, "ZT007", "ServiceAccount", "zt007-bad-mixed", "search");
    assert_eq!(hits.len(), 1, "{}", common::describe(&of_rule(&r, "ZT007")));
    assert_eq!(
        hits[0].message,
        "3 workloads of 2 applications run as service account zt007-bad-mixed/search and so share the identity \
spiffe://cluster.local/ns/zt007-bad-mixed/sa/search: search (versions zt007-bad-mixed/Deployment/search-v1, \
zt007-bad-mixed/Deployment/search-v2), zt007-bad-mixed/CronJob/indexer."
    );
    // Each workload is still evidence.
    assert_eq!(hits[0].evidence.len(), 4, "{:?}", hits[0].evidence);
}

#[test]
fn versions_share_their_account_and_secrets_by_label_or_by_name() {
    for (file, workloads) in [
        ("fixtures/rules/ZT007/good/05-canary-versions-share-serviceaccount.yaml", 2),
        ("fixtures/rules/ZT007/good/06-blue-green-and-primary-names.yaml", 4),
    ] {
        let r = scan_json(&[file]);
        assert!(of_rule(&r, "ZT007").is_empty(), "{file}:\n{}", common::describe(&of_rule(&r, "ZT007")));
        // Every version is there, as a workload of its own.
        assert_eq!(r.summary.workloads, workloads, "{file}");
    }
}

#[test]
fn components_of_one_release_are_different_applications() {
    let r = scan_json(&["fixtures/rules/ZT007/bad/08-components-of-one-release.yaml"]);
    let hits = findings_on(&r, "ZT007", "ServiceAccount", "zt007-bad-components", "shop");
    assert_eq!(hits.len(), 1, "{}", common::describe(&of_rule(&r, "ZT007")));
    assert_eq!(
        hits[0].message,
        "2 workloads run as service account zt007-bad-components/shop and so share the identity \
spiffe://cluster.local/ns/zt007-bad-components/sa/shop: zt007-bad-components/Deployment/shop-api, \
zt007-bad-components/Deployment/shop-worker."
    );
}

// Manifests without namespaces.

const UNNAMESPACED: &str = "fixtures/unnamespaced";

const SUGGESTION: &str = "fixtures/unnamespaced/rbac.yaml:19: bindings grant permissions to 1 service account(s) \
in namespace `monitoring`, which no object in the input declares, while 1 workload(s) without a namespace run as \
service accounts of the same names; if these manifests are applied with `kubectl apply -n monitoring`, scan them \
with `--namespace monitoring`";

#[test]
fn manifests_without_namespaces_get_one_diagnostic_that_suggests_the_namespace() {
    let (code, r, stderr) = scan_json_full(&[UNNAMESPACED]);
    assert_eq!(code, 0, "{stderr}");
    let said: Vec<&str> = stderr.lines().collect();
    assert_eq!(said, [SUGGESTION]);
    let diagnostics: Vec<String> =
        r.diagnostics.iter().map(|d| format!("{}:{}: {}", d.file, d.line, d.message)).collect();
    assert_eq!(diagnostics, [SUGGESTION]);
    assert_eq!(r.summary.diagnostics, 1);
    // The account is not said to be unused: its workloads are probably the unnamespaced ones.
    let hits = findings_on(&r, "ZT008", "ServiceAccount", "monitoring", "collector");
    assert_eq!(hits.len(), 1, "{}", common::describe(&of_rule(&r, "ZT008")));
    assert_eq!(
        hits[0].message,
        "Service account monitoring/collector (no workload in the input is in namespace monitoring, but 1 \
workload(s) without a namespace run as `collector`: see --namespace) can read Secrets (get/list/watch) \
cluster-wide (ClusterRole collector via ClusterRoleBinding collector)."
    );
    assert!(!messages(&r).iter().any(|m| m.contains("used by 0")), "{:#?}", messages(&r));
    assert!(of_rule(&r, "ZT010").is_empty(), "{}", common::describe(&of_rule(&r, "ZT010")));
}

#[test]
fn the_namespace_flag_places_the_objects_that_carry_none() {
    let (code, r, stderr) = scan_json_full(&[UNNAMESPACED, "--namespace", "monitoring"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let ids: Vec<&str> = r.nodes.iter().map(|n| n.id.as_str()).collect();
    for id in ["workload:monitoring/Deployment/collector", "sa:monitoring/collector"] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    assert!(!ids.iter().any(|id| id.contains("default/")), "{ids:?}");
    // The RoleBinding's subject has no namespace: it is the binding's, now `monitoring`, so both
    // bindings reach the one account its workload runs as.
    let hits = findings_on(&r, "ZT008", "ServiceAccount", "monitoring", "collector");
    assert_eq!(hits.len(), 1, "{}", common::describe(&of_rule(&r, "ZT008")));
    assert_eq!(
        hits[0].message,
        "Service account monitoring/collector (used by 1 workload(s)) can read Secrets (get/list/watch) \
cluster-wide, exec/attach into pods or patch them in namespace monitoring (ClusterRole collector via \
ClusterRoleBinding collector; Role collector-debug via RoleBinding collector-debug)."
    );
    // Its token now reaches the Secrets of the cluster.
    assert_eq!(
        findings_on(&r, "ZT009", "ServiceAccountToken", "monitoring", "collector token").len(),
        1,
        "{}",
        common::describe(&of_rule(&r, "ZT009"))
    );
    // `-n` is the same flag.
    let (_, short, _) = scan_json_full(&[UNNAMESPACED, "-n", "monitoring"]);
    assert_eq!(short.findings, r.findings);
}

#[test]
fn objects_that_name_their_namespace_keep_it_under_the_namespace_flag() {
    let r = scan_json(&[
        "fixtures/rules/ZT007/bad/04-serviceaccount-shared.yaml",
        UNNAMESPACED,
        "--namespace",
        "monitoring",
    ]);
    assert_eq!(findings_on(&r, "ZT007", "ServiceAccount", "zt007-bad-sharedsa", "backend").len(), 1);
    assert!(r.nodes.iter().any(|n| n.id == "workload:zt007-bad-sharedsa/Deployment/api"));
    assert!(r.nodes.iter().any(|n| n.id == "workload:monitoring/Deployment/collector"));
}

#[test]
fn a_namespace_the_input_declares_is_not_in_question() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["serviceaccount.yaml", "deployment.yaml", "rbac.yaml"] {
        std::fs::copy(common::path(&format!("{UNNAMESPACED}/{name}")), dir.path().join(name)).expect("copy");
    }
    std::fs::write(
        dir.path().join("namespace.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring}\n",
    )
    .expect("write");
    let (code, r, stderr) = scan_json_full(&[dir.path().to_str().unwrap()]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let hits = findings_on(&r, "ZT008", "ServiceAccount", "monitoring", "collector");
    assert_eq!(hits.len(), 1);
    assert!(hits[0].message.contains("(used by 0 workload(s))"), "{}", hits[0].message);
}

#[test]
fn the_token_of_an_unplaced_workload_is_not_called_unneeded() {
    let file = "fixtures/rules/ZT011/good/05-unnamespaced-workload-bound-in-another-namespace.yaml";
    let (code, r, stderr) = scan_json_full(&[file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(of_rule(&r, "ZT011").is_empty(), "{}", common::describe(&of_rule(&r, "ZT011")));
    assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
    assert!(r.diagnostics[0].message.ends_with("scan them with `--namespace zt011-good-unplaced`"));
    // Placed where the binding says, the account holds its grant.
    let r = scan_json(&[file, "-n", "zt011-good-unplaced"]);
    assert!(of_rule(&r, "ZT011").is_empty() && r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    // Placed elsewhere by the user, the binding names another account, and the token has no use.
    let r = scan_json(&[file, "-n", "elsewhere"]);
    assert_eq!(findings_on(&r, "ZT011", "Deployment", "elsewhere", "reader").len(), 1);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

#[test]
fn a_namespace_that_is_not_a_name_is_a_usage_error() {
    for bad in ["Monitoring", "-x", "a_b", "", &"n".repeat(64)] {
        let (code, stdout, stderr) = run(&["scan", UNNAMESPACED, &format!("--namespace={bad}")]);
        assert_eq!(code, 2, "{bad:?}: {stderr}");
        assert_eq!(stdout, "");
        assert!(stderr.contains("not a Kubernetes namespace name"), "{bad:?}: {stderr}");
    }
}

// SAML single sign-on.

#[test]
fn saml_trust_is_not_web_identity_trust() {
    let r = scan_json(&["fixtures/rules/ZT206/good/saml.yaml"]);
    assert!(of_rule(&r, "ZT206").is_empty(), "{}", common::describe(&of_rule(&r, "ZT206")));
    // The SAML provider federates its roles; no web-identity token is made up for it.
    let provider = "saml-provider:arn:aws:iam::111122223333:saml-provider/corp-idp";
    let node = r.nodes.iter().find(|n| n.id == provider).expect("the SAML provider is a node");
    assert_eq!(node.kind, "saml-provider");
    let federated: Vec<&str> = r
        .edges
        .iter()
        .filter(|e| e.from == provider && e.kind == "federates")
        .map(|e| e.to.as_str())
        .collect();
    assert_eq!(
        federated,
        [
            "iam-role:arn:aws:iam::111122223333:role/sso-admin",
            "iam-role:arn:aws:iam::111122223333:role/sso-readonly"
        ]
    );
    assert!(!r.nodes.iter().any(|n| n.id.starts_with("oidc-")), "{:?}", r.nodes);
    assert!(r.blast_radius.is_empty(), "{:?}", r.blast_radius);
}

#[test]
fn web_identity_trust_that_also_allows_saml_is_still_web_identity_trust() {
    let r = scan_json(&["fixtures/rules/ZT206/bad/sts-wildcard-action.yaml"]);
    let hits = findings_on(&r, "ZT206", "IAMRole", "", "ci-release");
    assert_eq!(hits.len(), 1, "{}", common::describe(&of_rule(&r, "ZT206")));
}

#[test]
fn saml_single_sign_on_is_federation_for_static_keys() {
    let r = scan_json(&["fixtures/rules/ZT201/bad/key-and-saml.yaml"]);
    let hits = findings_on(&r, "ZT201", "AccessKey", "", "ops-alice/key-1");
    assert_eq!(hits.len(), 1, "{}", common::describe(&of_rule(&r, "ZT201")));
    assert_eq!(
        hits[0].message,
        "IAM user ops-alice authenticates with a static access key (key-1) although the account federates human \
sign-in through SAML (role arn:aws:iam::111122223333:role/sso-admin trusts SAML provider \
arn:aws:iam::111122223333:saml-provider/corp-idp), which gives short-lived role credentials."
    );
    assert!(of_rule(&r, "ZT206").is_empty(), "{}", common::describe(&of_rule(&r, "ZT206")));
}
