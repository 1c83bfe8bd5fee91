//! A cluster joined to its AWS account (fixtures/aws/cluster-and-account): IRSA and Pod Identity
//! service accounts, roles with good and bad trust policies, CI roles assumed through GitHub's
//! OIDC issuer, and IAM users with old keys. Checks the exact AWS findings, and that blast-radius
//! chains cross from a pod's token into AWS and from an access key through a role.

mod common;

use common::{of_rule, scan_json, scan_json_full};
use ztpath_reports::{Report, Severity};

const ESTATE: &str = "fixtures/aws/cluster-and-account";

fn aws_findings(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("ZT2") || f.rule == "ZT009")
        .map(|f| format!("{} {} {} {}", f.rule, f.severity, f.subject.kind, f.subject.name))
        .collect();
    out.sort();
    out
}

#[test]
fn the_joined_estate_gives_exactly_the_expected_aws_findings() {
    let r = scan_json(&[ESTATE]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let expected = [
        // Pod tokens and pipeline tokens whose reach crosses into AWS administration.
        "ZT009 high Credential legacy-deployer access key key-1",
        "ZT009 high Credential legacy-deployer access key key-2",
        "ZT009 high Credential token.actions.githubusercontent.com token for repo:acme/*",
        "ZT009 high ServiceAccountToken exporter token",
        // Static keys although the account federates (EKS and GitHub OIDC providers).
        "ZT201 high AccessKey legacy-deployer/key-1",
        "ZT201 high AccessKey legacy-deployer/key-2",
        "ZT201 high AccessKey metrics-reader/key-1",
        // 2021 and 2026-01-15 keys on 2026-11-25: both over twice the 90-day limit.
        "ZT202 high AccessKey legacy-deployer/key-1",
        "ZT202 high AccessKey legacy-deployer/key-2",
        // Key 2 never used in 314 days.
        "ZT203 medium AccessKey legacy-deployer/key-2",
        // A foreign account trusted without an external id.
        "ZT205 high IAMRole partner-audit",
        // IRSA role with no sub condition; CI role for any repository of the organisation.
        "ZT206 high IAMRole ci-deploy",
        "ZT206 high IAMRole reports-exporter",
        // One role for the prod and dev copies of the payments API.
        "ZT207 high IAMRole payments-api",
        "ZT208 high IAMRole payments-api",
        // Admin through IRSA; PassRole + Lambda for any repository; escalation behind a user key.
        "ZT209 critical IAMRole ci-deploy",
        "ZT209 critical IAMRole reports-exporter",
        "ZT209 high IAMRole deploy-target",
    ];
    let mut expected: Vec<String> = expected.iter().map(std::string::ToString::to_string).collect();
    expected.sort();
    assert_eq!(aws_findings(&r), expected);
    // Good roles stay silent: Pod Identity (billing-worker), a CI role pinned to one environment
    // (ci-release), and AWS's service-linked role.
    for f in &r.findings {
        for quiet in ["billing-worker", "ci-release", "AWSServiceRoleForSupport"] {
            assert_ne!(f.subject.name, quiet, "{f:#?}");
        }
    }
}

#[test]
fn a_pod_token_reaches_the_secrets_its_aws_role_reads() {
    let r = scan_json(&[ESTATE]);
    let b = r
        .blast_radius
        .iter()
        .find(|b| b.credential.id == "token:payments-prod/api")
        .expect("blast radius of the payments API token");
    let secret = b
        .reaches
        .iter()
        .find(|x| x.target == "aws-resource:secretsmanager:arn:aws:secretsmanager:eu-west-1:111122223333:secret:payments/*")
        .unwrap_or_else(|| panic!("{:#?}", b.reaches));
    assert_eq!(secret.kind, "secret");
    let chain = b.chain(secret).collect::<Vec<_>>().join(" | ");
    for step in [
        "token:payments-prod/api authenticates as payments-prod/api",
        "sa:payments-prod/api assumes AWS IAM role arn:aws:iam::111122223333:role/payments-api through IRSA",
        "iam-role:arn:aws:iam::111122223333:role/payments-api can read Secrets Manager secrets",
    ] {
        assert!(chain.contains(step), "missing {step:?} in {chain}");
    }
    // Narrow reads are secrets reached, not dangerous permissions: under the ZT009 threshold.
    assert_eq!(b.counts.get("permission"), None, "{:?}", b.counts);
    assert!(b.score < 30, "{}", b.score);
}

#[test]
fn pod_identity_and_web_identity_subjects_become_role_edges() {
    let r = scan_json(&[ESTATE]);
    let edge = |from: &str, to: &str| {
        r.edges.iter().any(|e| e.from == from && e.to == to && e.kind == "assumes-role")
    };
    assert!(
        edge("sa:billing/worker", "iam-role:arn:aws:iam::111122223333:role/billing-worker"),
        "Pod Identity"
    );
    // A policy the input names but does not hold is shown on its principal, not silently
    // taken as granting nothing.
    let partner =
        r.nodes.iter().find(|n| n.id == "iam-role:arn:aws:iam::111122223333:role/partner-audit").unwrap();
    assert_eq!(
        partner.attrs.get("policies-not-in-input").map(String::as_str),
        Some("arn:aws:iam::aws:policy/SecurityAudit")
    );
    // Policies are nodes too: managed ones by ARN, inline ones under their owner.
    let has_policy =
        |from: &str, to: &str| r.edges.iter().any(|e| e.from == from && e.to == to && e.kind == "has-policy");
    assert!(has_policy(
        "iam-role:arn:aws:iam::111122223333:role/payments-api",
        "iam-policy:arn:aws:iam::111122223333:policy/payments-secrets"
    ));
    assert!(has_policy(
        "iam-role:arn:aws:iam::111122223333:role/billing-worker",
        "iam-inline-policy:iam-role:arn:aws:iam::111122223333:role/billing-worker#billing-parameters"
    ));
    assert!(edge(
        "oidc-token:token.actions.githubusercontent.com#repo:acme/payments:environment:production",
        "iam-role:arn:aws:iam::111122223333:role/ci/ci-release"
    ));
    // IRSA needs the trust policy to admit the service account: the dev API is admitted by the
    // payments-api trust, while no service account may become reports-exporter unannotated.
    assert!(edge("sa:payments-dev/api", "iam-role:arn:aws:iam::111122223333:role/payments-api"));
    assert!(edge(
        "iam-user:arn:aws:iam::111122223333:user/legacy-deployer",
        "iam-role:arn:aws:iam::111122223333:role/deploy-target"
    ));
    assert!(!edge(
        "iam-user:arn:aws:iam::111122223333:user/metrics-reader",
        "iam-role:arn:aws:iam::111122223333:role/deploy-target"
    ));
}

#[test]
fn an_old_key_reaches_account_administration_through_a_role() {
    let r = scan_json(&[ESTATE]);
    let b = r.blast_radius.iter().find(|b| b.credential.id == "aws-key:legacy-deployer/key-1").expect("key");
    assert_eq!(b.credential.kind, "aws-access-key");
    assert_eq!(b.credential.evidence[0].file, format!("{ESTATE}/aws/credential_report.csv"));
    let admin = b.reaches.iter().find(|x| x.kind == "permission").expect("a permission");
    assert!(admin.target.contains("can make itself administrator of AWS account 111122223333"), "{admin:#?}");
    assert_eq!(
        b.chain(admin).take(2).collect::<Vec<_>>(),
        [
            "aws-key:legacy-deployer/key-1 authenticates as IAM user legacy-deployer",
            "iam-user:arn:aws:iam::111122223333:user/legacy-deployer can assume role arn:aws:iam::111122223333:role/deploy-target",
        ]
    );
}

#[test]
fn static_keys_without_federation_are_only_aged() {
    let r = scan_json(&["fixtures/aws/no-federation"]);
    assert!(of_rule(&r, "ZT201").is_empty(), "{:#?}", r.findings);
}

#[test]
fn the_reference_date_decides_key_age() {
    // On 2026-11-25 metrics-reader's key (2026-10-01) is 55 days old; a year later it is stale.
    let (_, r, _) = scan_json_full(&[ESTATE]);
    assert!(!of_rule(&r, "ZT202").iter().any(|f| f.subject.name.starts_with("metrics-reader")));
    let (code, stdout, stderr) =
        common::run(&["scan", ESTATE, "-f", "json", "--fail-on", "never", "--now", "2027-11-25"]);
    assert_eq!(code, 0, "{stderr}");
    let later: Report = serde_json::from_str(&stdout).unwrap();
    let stale = of_rule(&later, "ZT202");
    let m = stale.iter().find(|f| f.subject.name == "metrics-reader/key-1").expect("stale a year later");
    assert_eq!(m.severity, Severity::High, "420 days is over twice the limit");
    let (code, _, stderr) = common::run(&["scan", ESTATE, "--now", "25/11/2026"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("YYYY-MM-DD"), "{stderr}");
}

#[test]
fn a_pipeline_token_crosses_into_aws_and_back_into_the_cluster() {
    // GitHub token (any repository of acme) -> ci-deploy role -> aws-auth maps the role (named
    // without its /ci/ path) to system:masters -> every Secret of the cluster.
    let r = scan_json(&[ESTATE]);
    let b = r
        .blast_radius
        .iter()
        .find(|b| b.credential.id == "oidc-token:token.actions.githubusercontent.com#repo:acme/*")
        .expect("the wildcard pipeline token");
    let masters = b
        .reaches
        .iter()
        .find(|x| x.kind == "permission" && x.target.starts_with("k8s-group:system:masters"))
        .unwrap_or_else(|| panic!("{:#?}", b.reaches));
    assert_eq!(
        b.chain(masters).take(2).collect::<Vec<_>>(),
        [
            "oidc-token:token.actions.githubusercontent.com#repo:acme/* assumes AWS IAM role arn:aws:iam::111122223333:role/ci/ci-deploy by web identity",
            "iam-role:arn:aws:iam::111122223333:role/ci/ci-deploy is Kubernetes group system:masters through the aws-auth ConfigMap",
        ]
    );
    assert!(masters.target.contains("cluster-wide"), "{}", masters.target);
    // A mapped group with harmless grants gets no dangerous permission.
    let metrics =
        r.blast_radius.iter().find(|b| b.credential.id == "aws-key:metrics-reader/key-1").expect("key");
    assert_eq!(metrics.counts.get("permission"), None, "{:?}", metrics.counts);
    assert!(r.edges.iter().any(|e| e.kind == "maps-to"
        && e.from == "iam-user:arn:aws:iam::111122223333:user/metrics-reader"
        && e.to == "k8s-group:metrics-readers"));
}

#[test]
fn the_same_account_exported_twice_counts_once() {
    // A second copy of the GAAD export (as when GAAD and an AWS Config snapshot both hold the
    // account) changes nothing: principals are kept once per ARN.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("gaad-copy.json");
    std::fs::copy(common::path(&format!("{ESTATE}/aws/account-authorization-details.json")), &copy).unwrap();
    let once = scan_json(&[ESTATE]);
    let twice = scan_json(&[ESTATE, copy.to_str().unwrap()]);
    assert_eq!(aws_findings(&twice), aws_findings(&once));
    // Each finding cites one copy, not both.
    for f in twice.findings.iter().filter(|f| f.rule == "ZT209" || f.rule == "ZT205") {
        let files: std::collections::BTreeSet<&str> =
            f.evidence.iter().map(|e| e.file.as_str()).filter(|f| f.ends_with(".json")).collect();
        assert_eq!(files.len(), 1, "{f:#?}");
    }
}
