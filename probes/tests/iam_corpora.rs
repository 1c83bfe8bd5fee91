//! The IAM reader against real `get-account-authorization-details` outputs, single policies and
//! scanner results (salesforce/cloudsplaining test files), an account dump with GAAD, a
//! credential report and `get-role` outputs (duo-labs/cloudmapper demo account data), and the
//! AWS Config configuration item examples of IAM users, roles, groups and policies
//! (awslabs/aws-config-rdk), copied verbatim under `shared/corpora`. Every fact asserted here was read from the files themselves.
//! The corpus tests are skipped when the corpora are absent (under CI they fail).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ztpath_probes::iam::{
    AttachedPolicy, Effect, IamInventory, IamRole, read_credential_report, read_credential_report_json,
    read_iam_text,
};
use ztpath_probes::{Diagnostic, yaml};

use common::corpus;

const GAAD_CS: &str = "salesforce__cloudsplaining/test/files/example-authz-details.json";
const DEMO: &str = "duo-labs__cloudmapper/account-data/demo/us-east-1";
const RDK: &str = "awslabs__aws-config-rdk/rdk/template/example_ci";

fn read(relative: &str) -> Option<(IamInventory, Vec<Diagnostic>, String)> {
    let path = corpus(relative)?;
    let text = std::fs::read_to_string(&path).expect("utf-8");
    let (iam, diags) = read_iam_text(&path.display().to_string(), &text);
    Some((iam, diags, text))
}

fn role<'a>(iam: &'a IamInventory, name: &str) -> &'a IamRole {
    iam.roles.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no role {name}"))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_file_is_read_without_panic() {
    let mut items = 0;
    for dir in [
        "salesforce__cloudsplaining",
        "duo-labs__cloudmapper",
        "awslabs__aws-config-rdk",
        "awslabs__aws-config-resource-schema",
    ] {
        let Some(root) = corpus(dir) else { return };
        let mut all = Vec::new();
        files(&root, &mut all);
        assert!(all.len() > 10, "{dir}: {}", all.len());
        for path in all {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let name = path.display().to_string();
            let (iam, diags) = read_iam_text(&name, &text);
            // Real IAM data is well formed: no IAM diagnostic (syntax errors of the non-JSON
            // files, licences and Python, are expected).
            assert!(diags.iter().all(|d| d.reason.starts_with("not valid YAML/JSON")), "{name}: {diags:?}");
            items += iam.users.len() + iam.groups.len() + iam.roles.len() + iam.policies.len();
            // No corpus file is a bare credential report CSV (cloudmapper's is JSON-wrapped).
            let (rows, _) = read_credential_report(&name, &text);
            assert!(rows.is_empty(), "{name}");
        }
    }
    // cloudsplaining: 4 GAAD files of note, cloudmapper: GAAD + 4 get-role + 2 get-user, rdk: 4
    // Config items (the resource schemas are not items).
    assert!(items > 60, "{items}");
}

#[test]
fn other_readers_do_not_claim_gaad_documents() {
    // files.rs offers documents without `kind` to Envoy and AWS Config first; a GAAD must reach
    // the IAM reader untouched by them.
    let Some(path) = corpus(GAAD_CS) else { return };
    let text = std::fs::read_to_string(&path).expect("utf-8");
    let inv = ztpath_probes::read_text("gaad.json", &text);
    assert!(inv.proxies.is_empty(), "claimed by another reader");
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
}

#[test]
fn cloudsplaining_gaad_counts_and_items() {
    let Some((iam, diags, _)) = read(GAAD_CS) else { return };
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!((iam.users.len(), iam.groups.len(), iam.roles.len(), iam.policies.len()), (3, 2, 3, 32));
    assert_eq!(iam.policies.iter().map(|p| p.versions.len()).sum::<usize>(), 33);

    let names: Vec<_> = iam.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["obama", "userwithlotsofpermissions", "biden"]);
    let u = &iam.users[1];
    assert_eq!(u.groups, ["admin"]);
    assert_eq!(u.inline_policies.len(), 1);
    assert_eq!(u.inline_policies[0].name, "InsecureUserPolicy");
    assert!(u.inline_policies[0].document.is_some());

    let r = role(&iam, "OverprivilegedEC2");
    assert_eq!(r.source.line, 239, "line of the entry's opening brace");
    assert_eq!(r.instance_profiles.len(), 1);
    assert_eq!(r.instance_profiles[0].name, "OverprivilegedEC2");
    let trust = r.trust_policy.as_ref().expect("trust policy");
    assert!(!trust.encoded);
    assert_eq!(trust.statements[0].principals, [("Service".to_owned(), "ec2.amazonaws.com".to_owned())]);
    assert_eq!(trust.statements[0].actions, ["sts:AssumeRole"]);
    assert_eq!(trust.statements[0].effect, Effect::Allow);
}

#[test]
fn cloudsplaining_managed_policy_versions_conditions_and_not_action() {
    let Some((iam, _, _)) = read(GAAD_CS) else { return };
    let p = iam.policies.iter().find(|p| p.name == "AWSCodeCommitPowerUser").expect("policy");
    assert!(p.is_aws_managed());
    assert_eq!(p.default_version_id.as_deref(), Some("v11"));
    let versions: Vec<_> = p.versions.iter().map(|v| (v.version_id.as_deref(), v.is_default)).collect();
    assert_eq!(versions, [(Some("v11"), true), (Some("v10"), false)]);
    let doc = p.default_document().expect("default document");
    let s = doc
        .statements
        .iter()
        .find(|s| s.sid.as_deref() == Some("CodeStarNotificationsReadWriteAccess"))
        .expect("sid");
    assert_eq!(s.conditions.len(), 1);
    let c = &s.conditions[0];
    assert_eq!(
        (&c.operator, c.key.as_str(), c.values.as_slice()),
        (
            &ztpath_probes::iam::ConditionOperator::parse("StringLike"),
            "codestar-notifications:NotificationsForResource",
            &["arn:aws:codecommit:*".to_owned()][..]
        )
    );
    assert_eq!(s.resources, ["*"]);
    assert_eq!(s.actions.len(), 5);

    let power = iam.policies.iter().find(|p| p.name == "PowerUserAccess").expect("PowerUserAccess");
    assert_eq!(power.source.line, 4267);
    let s = &power.default_document().expect("doc").statements[0];
    assert!(s.actions.is_empty());
    assert_eq!(s.not_actions, ["iam:*", "organizations:*", "account:*"]);
    assert_eq!(s.line, 4283);
}

#[test]
fn cloudmapper_gaad_trust_policies() {
    let Some((iam, diags, _)) = read(&format!("{DEMO}/iam-get-account-authorization-details.json")) else {
        return;
    };
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!((iam.users.len(), iam.groups.len(), iam.roles.len(), iam.policies.len()), (2, 1, 4, 2));
    let user = iam.users.iter().find(|u| u.name == "USER").expect("USER");
    assert_eq!(user.groups, ["GROUP_WITH_BAD_INLINE_POLICY"]);
    assert_eq!(iam.groups[0].attached_policies[0].name, "AmazonEC2RoleforSSM");

    let bad = role(&iam, "bad_role");
    assert_eq!(bad.source.line, 271);
    let s = &bad.trust_policy.as_ref().expect("trust").statements[0];
    assert_eq!(s.principals, [("AWS".to_owned(), "*".to_owned())]);
    assert!(s.has_wildcard_principal());
    assert_eq!(bad.inline_policies[0].name, "dostuff");

    let trusted: Vec<_> = ["exfiller", "level1", "level3"]
        .iter()
        .map(|n| role(&iam, n).trust_policy.as_ref().expect("trust").statements[0].principals[0].1.clone())
        .collect();
    assert_eq!(trusted, ["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]);
    assert!(iam.roles.iter().all(|r| r.instance_profiles.is_empty() && r.permissions_boundary.is_none()));
}

#[test]
fn cloudmapper_get_role_outputs() {
    let Some((iam, diags, _)) = read(&format!("{DEMO}/iam-get-role/level1")) else { return };
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.roles.len(), 1);
    let r = &iam.roles[0];
    assert_eq!((r.name.as_str(), r.arn.as_str()), ("level1", "arn:aws:iam::123456789012:role/level1"));
    assert_eq!(r.max_session_duration, Some(3600));
    let s = &r.trust_policy.as_ref().expect("trust").statements[0];
    assert_eq!(s.principals, [("AWS".to_owned(), "arn:aws:iam::123456789012:root".to_owned())]);
    assert!(s.conditions.is_empty(), "`Condition: {{}}` holds no condition");

    // The get-role output for bad_role trusts the account root, unlike the GAAD's `AWS: *`.
    let Some((iam, _, _)) = read(&format!("{DEMO}/iam-get-role/bad_role")) else { return };
    assert_eq!(
        iam.roles[0].trust_policy.as_ref().expect("trust").statements[0].principals[0].1,
        "arn:aws:iam::123456789012:root"
    );

    let Some((iam, _, _)) = read(&format!("{DEMO}/iam-get-user/USER")) else { return };
    assert_eq!(iam.users.len(), 1);
    assert_eq!(iam.users[0].arn, "arn:aws:iam::aws:user/USER");
}

#[test]
fn url_encoded_corpus_trust_policy_reads_like_the_object() {
    // The corpora hold no encoded document, so the GAAD's bad_role trust policy is encoded the
    // way the raw IAM API returns it (RFC 3986) and must read back to the same statements.
    let Some((iam, _, text)) = read(&format!("{DEMO}/iam-get-account-authorization-details.json")) else {
        return;
    };
    let doc = r#"{"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": "*"}}], "Version": "2012-10-17"}"#;
    assert!(text.contains("\"AWS\": \"*\""));
    let encoded: String = doc
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    assert!(encoded.starts_with("%7B%22Statement%22"));
    let gaad = format!(
        "{{\"RoleDetailList\": [{{\"RoleName\": \"bad_role\", \"Arn\": \"arn:aws:iam::123456789012:role/bad_role\",\n\"AssumeRolePolicyDocument\": \"{encoded}\"}}]}}"
    );
    let (decoded, diags) = read_iam_text("encoded.json", &gaad);
    assert!(diags.is_empty(), "{diags:?}");
    let got = decoded.roles[0].trust_policy.as_ref().expect("decoded");
    let want = role(&iam, "bad_role").trust_policy.as_ref().expect("trust");
    assert!(got.encoded);
    assert_eq!(got.version.as_deref(), Some("2012-10-17"));
    assert_eq!(got.source.line, 2);
    assert_eq!(got.statements.len(), want.statements.len());
    for (g, w) in got.statements.iter().zip(&want.statements) {
        assert_eq!(g.line, 2, "decoded statements carry the field's line");
        assert_eq!((&g.effect, &g.actions, &g.principals), (&w.effect, &w.actions, &w.principals));
    }
}

#[test]
fn cloudmapper_credential_report() {
    let Some(path) = corpus(&format!("{DEMO}/iam-get-credential-report.json")) else { return };
    let text = std::fs::read_to_string(&path).expect("utf-8");
    let node = yaml::parse_documents(&text).remove(0).expect("json");
    let file: Arc<str> = "iam-get-credential-report.json".into();
    let (rows, diags) = read_credential_report_json(&node, &file).expect("a credential report");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.source.line == 2), "rows carry the line of `Content`");

    let root = &rows[0];
    assert!(root.is_root());
    assert_eq!(root.arn, "arn:aws:iam::123456789012:root");
    assert!(root.mfa_active);
    let k = &root.access_keys[0];
    assert!(k.active, "an active root access key");
    assert_eq!(k.last_rotated.as_deref(), Some("2018-11-23T16:01:14+00:00"));
    assert_eq!(k.last_used_date.as_deref(), Some("2018-11-27T00:02:00+00:00"));
    assert_eq!(
        (k.last_used_region.as_deref(), k.last_used_service.as_deref()),
        (Some("us-east-1"), Some("ecr"))
    );
    assert!(!root.access_keys[1].active);
    assert_eq!(root.access_keys[1].last_rotated, None, "N/A");
    assert_eq!(root.password_enabled.as_deref(), Some("not_supported"));

    let auditor = &rows[1];
    assert_eq!(auditor.user, "auditor_tmp");
    assert!(auditor.access_keys[0].active);
    assert_eq!(auditor.access_keys[0].last_rotated.as_deref(), Some("2019-05-07T15:35:55+00:00"));
    assert_eq!(auditor.access_keys[0].last_used_date, None, "never used");

    let user = &rows[2];
    assert!(!user.is_root());
    assert!(user.access_keys[1].active);
    assert_eq!(user.access_keys[1].last_used_service.as_deref(), Some("s3"));

    // The same CSV read as a `credential_report.csv` file: rows carry their own lines.
    let csv = node.field("Content").string().expect("content");
    let (rows, diags) = read_credential_report("credential_report.csv", &csv);
    assert!(diags.is_empty());
    assert_eq!(rows.iter().map(|r| r.source.line).collect::<Vec<_>>(), [2, 3, 4]);
}

#[test]
fn documents_that_are_not_gaad_are_left_alone() {
    for file in [
        "salesforce__cloudsplaining/test/files/test_policy_file.json",
        "salesforce__cloudsplaining/examples/policies/wildcards.json",
        "salesforce__cloudsplaining/test/files/scanning/test_role_detail_results.json",
        "salesforce__cloudsplaining/test/files/scanning/test_authorization_file_details_missing_constraints_v2.json",
        "duo-labs__cloudmapper/account-data/demo/us-east-1/iam-get-credential-report.json",
        "duo-labs__cloudmapper/account-data/demo/us-east-1/iam-get-account-summary.json",
        "duo-labs__cloudmapper/account-data/demo/us-east-1/ec2-describe-instances.json",
    ] {
        let Some((iam, diags, _)) = read(file) else { return };
        assert!(iam.is_empty() && diags.is_empty(), "{file}: {iam:?} {diags:?}");
    }
}

fn arns(policies: &[AttachedPolicy]) -> Vec<&str> {
    policies.iter().map(|p| p.arn.as_str()).collect()
}

#[test]
fn rdk_config_item_iam_user() {
    // Delivery-shape keys (`ARN`, `configurationItemVersion`) next to `accountId`; the inline
    // policy's `policyDocument` is a list of documents.
    let Some((iam, diags, _)) = read(&format!("{RDK}/AWS_IAM_User.json")) else { return };
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.users.len(), 1);
    let u = &iam.users[0];
    assert_eq!((u.name.as_str(), u.arn.as_str()), ("johndoe", "arn:aws:iam::112233445566:user/johndoe"));
    assert_eq!((u.id.as_deref(), u.path.as_deref()), (Some("AIDAILEDWOGIPJFAKOJKW"), Some("/")));
    assert_eq!(u.create_date.as_deref(), Some("2016-09-22T05:55:07.000Z"));
    assert_eq!(u.source.line, 1, "the item's line");
    assert_eq!(u.groups, ["MyTestGroup"]);
    assert_eq!(
        arns(&u.attached_policies),
        [
            "arn:aws:iam::264683526309:policy/ELB-policy",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::264683526309:policy/service-role/config-role-ap-northeast-1_AWSConfigDeliveryPermissions_ap-northeast-1",
        ]
    );
    assert_eq!(u.inline_policies.len(), 1);
    let p = &u.inline_policies[0];
    assert_eq!((p.name.as_str(), p.source.line), ("policygen-johndoe-201611060951", 46));
    let doc = p.document.as_ref().expect("the listed document");
    assert!(!doc.encoded);
    assert_eq!(doc.version.as_deref(), Some("2012-10-17"));
    assert_eq!(doc.statements.len(), 1);
    let s = &doc.statements[0];
    assert_eq!((s.sid.as_deref(), &s.effect, s.line), (Some("Stmt1478454695000"), &Effect::Allow, 52));
    assert_eq!(
        (s.actions.as_slice(), s.resources.as_slice()),
        (&["codedeploy:*".to_owned()][..], &["*".to_owned()][..])
    );
    assert!(u.permissions_boundary.is_none() && u.tags.is_empty());
}

#[test]
fn rdk_config_item_iam_role() {
    let Some((iam, diags, _)) = read(&format!("{RDK}/AWS_IAM_Role.json")) else { return };
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.roles.len(), 1);
    let r = &iam.roles[0];
    assert_eq!(
        (r.name.as_str(), r.arn.as_str()),
        ("config-role-ezcrc2", "arn:aws:iam::264683526309:role/service-role/config-role-ezcrc2")
    );
    assert_eq!((r.id.as_deref(), r.path.as_deref()), (Some("AROAIY7FPU7KRV7IZBNPC"), Some("/service-role/")));
    assert_eq!(r.source.line, 1);
    let trust = r.trust_policy.as_ref().expect("trust policy");
    assert!(!trust.encoded, "an object in this example");
    assert_eq!(trust.source.line, 37);
    assert_eq!(trust.statements.len(), 1);
    let s = &trust.statements[0];
    assert_eq!(s.principals, [("Service".to_owned(), "config.amazonaws.com".to_owned())]);
    assert_eq!((s.actions.as_slice(), &s.effect), (&["sts:AssumeRole".to_owned()][..], &Effect::Allow));
    assert_eq!((s.sid.as_deref(), s.line), (Some(""), 40));
    assert!(!s.has_wildcard_principal() && s.conditions.is_empty());
    assert_eq!(
        arns(&r.attached_policies),
        [
            "arn:aws:iam::264683526309:policy/ELB-policy",
            "arn:aws:iam::264683526309:policy/service-role/config-role-ezcrc2-AWSConfigDeliveryPermissions-us-west-2",
            "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole",
        ]
    );
    assert!(r.inline_policies.is_empty() && r.instance_profiles.is_empty());
    assert!(r.permissions_boundary.is_none() && r.last_used.is_none());
}

#[test]
fn rdk_config_item_iam_group() {
    // `configurationItemStatus: ResourceDiscovered` is a live resource.
    let Some((iam, diags, _)) = read(&format!("{RDK}/AWS_IAM_Group.json")) else { return };
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.groups.len(), 1);
    let g = &iam.groups[0];
    assert_eq!(
        (g.name.as_str(), g.arn.as_str()),
        ("MyTestGroup", "arn:aws:iam::264683526309:group/MyTestGroup")
    );
    assert_eq!((g.id.as_deref(), g.source.line), (Some("AGPAJNIBGFRSRIKL7VAD6"), 1));
    assert_eq!(arns(&g.attached_policies), ["arn:aws:iam::aws:policy/AdministratorAccess"]);
    assert_eq!(g.attached_policies[0].name, "AdministratorAccess");
    assert!(g.inline_policies.is_empty());
    // Group membership is in the relationships (`Contains User`), not read as users.
    assert!(iam.users.is_empty());
}

#[test]
fn rdk_config_item_iam_policy() {
    // The version's `document` is a list of documents, too.
    let Some((iam, diags, _)) = read(&format!("{RDK}/AWS_IAM_Policy.json")) else { return };
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.policies.len(), 1);
    let p = &iam.policies[0];
    assert_eq!(
        (p.name.as_str(), p.arn.as_str()),
        ("ELB-policy", "arn:aws:iam::264683526309:policy/ELB-policy")
    );
    assert!(!p.is_aws_managed());
    assert_eq!((p.id.as_deref(), p.path.as_deref()), (Some("ANPAIJWML3NX3NT6UAGO4"), Some("/")));
    assert_eq!(p.default_version_id.as_deref(), Some("v1"));
    assert_eq!(
        (p.attachment_count, p.is_attachable, p.permissions_boundary_usage_count),
        (Some(4), Some(true), None)
    );
    assert_eq!(p.source.line, 1);
    assert_eq!(p.versions.len(), 1);
    let v = &p.versions[0];
    assert_eq!((v.version_id.as_deref(), v.is_default), (Some("v1"), true));
    assert_eq!(v.create_date.as_deref(), Some("April 29, 2016 10:11:26 AM"), "kept as written");
    let doc = p.default_document().expect("default document");
    assert_eq!(doc.statements.len(), 1);
    let s = &doc.statements[0];
    assert_eq!((s.sid.as_deref(), s.line), (Some("Stmt1461949544000"), 59));
    assert_eq!(s.actions, ["elasticloadbalancing:Describe*"]);
    assert_eq!(s.resources, ["*"]);
}

#[test]
fn rdk_folder_through_the_file_walker() {
    // The four IAM items are read by the walker too (one object each); the roles that Lambda
    // and CodeBuild items name in their relationships are not items and are not invented.
    let Some(inv) = common::read(RDK) else { return };
    let iam = &inv.iam;
    assert_eq!((iam.users.len(), iam.groups.len(), iam.roles.len(), iam.policies.len()), (1, 1, 1, 1));
    assert!(iam.access_keys.is_empty() && iam.oidc_providers.is_empty());
    let files = [
        &*iam.users[0].source.file,
        &*iam.groups[0].source.file,
        &*iam.roles[0].source.file,
        &*iam.policies[0].source.file,
    ];
    for (file, name) in files.iter().zip(["AWS_IAM_User", "AWS_IAM_Group", "AWS_IAM_Role", "AWS_IAM_Policy"])
    {
        assert!(file.ends_with(&format!("{name}.json")), "{file}");
    }
    // The one diagnostic is the corpus's own broken JSON, not an IAM reader complaint.
    assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    assert!(inv.diagnostics[0].source.file.ends_with("AWS_EC2_NetworkInterface.json"));
}
