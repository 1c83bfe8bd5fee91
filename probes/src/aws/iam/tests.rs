use super::credential_report::*;
use super::*;
use crate::inventory::Source;
pub(super) use crate::inventory::aws::*;
use crate::yaml::{self};
use std::sync::Arc;

#[test]
fn percent_decoding() {
    assert_eq!(percent_decode("%7B%22a%22%3A1%7D").as_deref(), Some("{\"a\":1}"));
    assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
    assert_eq!(percent_decode("%7"), None);
    assert_eq!(percent_decode("%zz"), None);
}

#[test]
fn base64_round() {
    assert_eq!(base64_decode("dXNlcixhcm4=").as_deref(), Some(&b"user,arn"[..]));
    assert_eq!(base64_decode("!"), None);
}

#[test]
fn csv_quotes() {
    assert_eq!(split_csv(r#"a,"b,c","d""e",,"#), vec!["a", "b,c", "d\"e", "", ""]);
}

#[test]
fn not_iam_documents_are_left_alone() {
    for text in [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        r#"{"static_resources":{"listeners":[]}}"#,
        r#"{"configurationItemVersion":"1.3","resourceType":"AWS::IAM::Role","configuration":{}}"#,
        r#"{"Content":"user,arn,user_creation_time\n","ReportFormat":"text/csv"}"#,
        r#"{"Policies":[{"PolicyName":"x"}]}"#,
    ] {
        let (iam, diags) = read_iam_text("x.json", text);
        assert!(iam.is_empty() && diags.is_empty(), "{text}");
    }
}

#[test]
fn encoded_trust_policy_with_irsa_conditions() {
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:pay:api","oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":["sts.amazonaws.com"]}}}}"#;
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
    let text = format!(
        "{{\"RoleDetailList\": [\n  {{\"RoleName\": \"irsa\", \"Arn\": \"arn:aws:iam::111122223333:role/irsa\",\n   \"AssumeRolePolicyDocument\": \"{encoded}\"}}]}}"
    );
    let (iam, diags) = read_iam_text("gaad.json", &text);
    assert!(diags.is_empty(), "{diags:?}");
    let trust = iam.roles[0].trust_policy.as_ref().expect("decoded");
    assert!(trust.encoded);
    assert_eq!(trust.source.line, 3);
    let s = &trust.statements[0];
    assert_eq!((s.effect.clone(), s.line), (Effect::Allow, 3));
    assert_eq!(s.actions, ["sts:AssumeRoleWithWebIdentity"]);
    assert_eq!(s.principals[0].0, "Federated");
    assert_eq!(s.conditions.len(), 2);
    assert_eq!(s.conditions[0].values, ["system:serviceaccount:pay:api"]);
    assert_eq!(s.conditions[1].values, ["sts.amazonaws.com"]);
}

#[test]
fn broken_encoded_document_is_a_diagnostic() {
    let text = r#"{"RoleDetailList":[{"RoleName":"r","Arn":"a","AssumeRolePolicyDocument":"%7B%22Vers"}]}"#;
    let (iam, diags) = read_iam_text("g.json", text);
    assert_eq!(iam.roles.len(), 1);
    assert!(iam.roles[0].trust_policy.is_none());
    assert_eq!(diags.len(), 1, "{diags:?}");
}

#[test]
fn credential_report_rows_and_bad_rows() {
    let text = "user,arn,user_creation_time,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date\n\
                    bob,arn:aws:iam::1:user/bob,2020-01-01T00:00:00+00:00,false,true,2020-01-02T00:00:00+00:00,N/A\n\
                    broken,row\n";
    let (rows, diags) = read_credential_report("credential_report.csv", text);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source.line, 2);
    assert!(rows[0].access_keys[0].active);
    assert_eq!(rows[0].access_keys[0].last_used_date, None);
    assert!(!rows[0].access_keys[1].active, "column absent");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].source.line, 3);
}

// -----------------------------------------------------------------------------------------
// AWS Config items, access keys, OIDC providers, Pod Identity associations
// -----------------------------------------------------------------------------------------

/// RFC 3986 encoding, as the IAM API writes policy documents.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A JSON string literal holding `text`.
fn json_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

const IRSA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:pay:api"}}}]}"#;

#[test]
fn config_role_api_shape_with_url_encoded_trust_policy_in_a_string_configuration() {
    let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;
    let configuration = format!(
        r#"{{"path":"/","roleName":"pay-api","roleId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/pay-api","createDate":"2024-01-02T03:04:05Z","assumeRolePolicyDocument":"{}","instanceProfileList":[{{"instanceProfileName":"pay-api","arn":"arn:aws:iam::111122223333:instance-profile/pay-api"}}],"rolePolicyList":[{{"policyName":"bucket","policyDocument":"{}"}}],"attachedManagedPolicies":[{{"policyName":"ReadOnlyAccess","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}],"permissionsBoundary":{{"permissionsBoundaryType":"Policy","permissionsBoundaryArn":"arn:aws:iam::111122223333:policy/boundary"}},"roleLastUsed":{{"lastUsedDate":"2024-05-01T00:00:00Z","region":"eu-west-1"}},"maxSessionDuration":3600,"tags":[{{"key":"team","value":"pay"}}]}}"#,
        url_encode(IRSA_TRUST),
        url_encode(inline)
    );
    let text = format!(
        "{{\"version\": \"1.3\", \"accountId\": \"111122223333\",\n \"configurationItemStatus\": \"OK\", \"resourceType\": \"AWS::IAM::Role\",\n \"arn\": \"arn:aws:iam::111122223333:role/pay-api\", \"resourceId\": \"AROAEXAMPLE\", \"resourceName\": \"pay-api\",\n \"tags\": {{\"team\": \"other\", \"env\": \"prod\"}},\n \"configuration\": {}}}",
        json_string(&configuration)
    );
    // Through the file walker (the shared Config reader) and through the IAM-only entry.
    let walked = crate::files::read_text("role.json", &text);
    assert!(walked.diagnostics.is_empty(), "{:?}", walked.diagnostics);
    assert_eq!(walked.objects_read, 1);
    let (iam, diags) = read_iam_text("role.json", &text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam, walked.iam);

    assert_eq!(iam.roles.len(), 1);
    let r = &iam.roles[0];
    assert_eq!((r.name.as_str(), r.arn.as_str()), ("pay-api", "arn:aws:iam::111122223333:role/pay-api"));
    assert_eq!((r.id.as_deref(), r.path.as_deref()), (Some("AROAEXAMPLE"), Some("/")));
    assert_eq!(r.create_date.as_deref(), Some("2024-01-02T03:04:05Z"));
    assert_eq!(r.source.line, 1, "the line of the configuration item");
    assert_eq!(&*r.source.file, "role.json");

    let trust = r.trust_policy.as_ref().expect("decoded trust policy");
    assert!(trust.encoded);
    assert_eq!(trust.source.line, 5, "the line of the `configuration` string");
    let s = &trust.statements[0];
    assert_eq!(s.principals[0].0, "Federated");
    assert!(s.principals[0].1.ends_with(":oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"));
    assert_eq!(s.actions, ["sts:AssumeRoleWithWebIdentity"]);
    assert_eq!(s.conditions[0].key, "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub");
    assert_eq!(s.conditions[0].values, ["system:serviceaccount:pay:api"]);

    assert_eq!(r.inline_policies.len(), 1);
    let p = &r.inline_policies[0];
    assert_eq!(p.name, "bucket");
    let effects: Vec<_> = p.document.as_ref().expect("inline").statements.iter().map(|s| &s.effect).collect();
    assert_eq!(effects, [&Effect::Allow, &Effect::Deny]);
    assert_eq!(
        r.attached_policies,
        [AttachedPolicy {
            name: "ReadOnlyAccess".into(),
            arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into()
        }]
    );
    assert_eq!(r.instance_profiles[0].name, "pay-api");
    assert_eq!(r.permissions_boundary.as_deref(), Some("arn:aws:iam::111122223333:policy/boundary"));
    assert_eq!(r.last_used.as_deref(), Some("2024-05-01T00:00:00Z"));
    assert_eq!(r.max_session_duration, Some(3600));
    let tags: Vec<(&str, &str)> = r.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(tags, [("team", "pay"), ("env", "prod")], "configuration tags first, then the item's");
}

#[test]
fn config_user_policy_document_list_is_read_whole() {
    let encoded = url_encode(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster","eks:ListClusters"],"Resource":"*"},{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#,
    );
    let text = format!(
        r#"{{"fileVersion": "1.0", "configurationItems": [
 {{"configurationItemVersion": "1.3", "awsAccountId": "111122223333", "ARN": "arn:aws:iam::111122223333:user/ci",
  "resourceType": "AWS::IAM::User", "resourceName": "ci", "configurationItemStatus": "OK",
  "configuration": {{"userName": "ci", "userId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/ci",
    "groupList": ["deployers"],
    "userPolicyList": [{{"policyName": "deploy", "policyDocument": [
      {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}}]}},
      "{encoded}"
    ]}}],
    "attachedManagedPolicies": [{{"policyName": "ELB-policy", "policyArn": "arn:aws:iam::111122223333:policy/ELB-policy"}}]}}}}
]}}"#
    );
    let (iam, diags) = read_iam_text("users.json", &text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.users.len(), 1);
    let u = &iam.users[0];
    assert_eq!((u.name.as_str(), u.id.as_deref(), u.source.line), ("ci", Some("AIDAEXAMPLE"), 2));
    assert_eq!(u.groups, ["deployers"]);
    assert_eq!(u.attached_policies[0].arn, "arn:aws:iam::111122223333:policy/ELB-policy");
    let doc = u.inline_policies[0].document.as_ref().expect("documents");
    assert_eq!(doc.statements.len(), 3, "both documents of the list");
    assert_eq!(doc.source.line, 6, "the line of the list");
    assert!(doc.encoded, "one of them was encoded");
    let lines: Vec<u32> = doc.statements.iter().map(|s| s.line).collect();
    assert_eq!(lines, [7, 8, 8]);
    assert_eq!(doc.statements[0].actions, ["ecr:*"]);
    assert_eq!(doc.statements[1].actions, ["eks:DescribeCluster", "eks:ListClusters"]);
}

#[test]
fn config_group_and_policy_from_batch_and_select_results() {
    let v1 =
        url_encode(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
    let text = format!(
        r#"{{"baseConfigurationItems": [
  {{"arn": "arn:aws:iam::111122223333:policy/deploy", "resourceType": "AWS::IAM::Policy", "resourceId": "ANPAEXAMPLE",
    "configuration": {{"policyName": "deploy", "policyId": "ANPAEXAMPLE", "arn": "arn:aws:iam::111122223333:policy/deploy",
      "defaultVersionId": "v2", "attachmentCount": 3, "isAttachable": true,
      "policyVersionList": [
        {{"versionId": "v1", "isDefaultVersion": false, "document": "{v1}"}},
        {{"versionId": "v2", "isDefaultVersion": true, "document": [
          {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}}]}},
          {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}}]}}]}}]}}}}
], "unprocessedResourceKeys": []}}"#
    );
    let (iam, diags) = read_iam_text("batch.json", &text);
    assert!(diags.is_empty(), "{diags:?}");
    let p = &iam.policies[0];
    assert_eq!((p.name.as_str(), p.source.line), ("deploy", 2));
    assert!(!p.is_aws_managed());
    assert_eq!((p.attachment_count, p.is_attachable), (Some(3), Some(true)));
    assert_eq!(p.versions.len(), 2);
    assert_eq!(p.versions[0].document.as_ref().expect("v1").statements[0].actions, ["*"]);
    let default = p.default_document().expect("v2");
    let actions: Vec<_> = default.statements.iter().map(|s| s.actions[0].as_str()).collect();
    assert_eq!(actions, ["ecs:*", "logs:*"]);

    // SelectResourceConfig: each result a JSON string; other resource types are left alone.
    let group = r#"{"resourceType":"AWS::IAM::Group","arn":"arn:aws:iam::111122223333:group/admins","configuration":{"groupName":"admins","groupId":"AGPAEXAMPLE","groupPolicyList":[],"attachedManagedPolicies":[{"policyName":"AdministratorAccess","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}]}}"#;
    let bucket = r#"{"resourceType":"AWS::S3::Bucket","arn":"arn:aws:s3:::b","configuration":{}}"#;
    let text =
        format!("{{\"Results\": [\n{},\n{}], \"QueryInfo\": {{}}}}", json_string(bucket), json_string(group));
    let (iam, diags) = read_iam_text("select.json", &text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.groups.len(), 1);
    let g = &iam.groups[0];
    assert_eq!(
        (g.name.as_str(), g.arn.as_str(), g.source.line),
        ("admins", "arn:aws:iam::111122223333:group/admins", 3)
    );
    assert_eq!(g.attached_policies[0].name, "AdministratorAccess");
}

#[test]
fn config_history_latest_item_wins_and_deleted_resources_are_dropped() {
    let role = |time: &str, status: &str, action: &str| {
        format!(
            r#"{{"arn": "arn:aws:iam::1:role/r", "resourceType": "AWS::IAM::Role", "configurationItemCaptureTime": "{time}", "configurationItemStatus": "{status}",
  "configuration": {{"roleName": "r", "assumeRolePolicyDocument": {{"Statement": [{{"Effect": "Allow", "Action": "{action}", "Principal": {{"Service": "ec2.amazonaws.com"}}}}]}}}}}}"#
        )
    };
    let deleted_user = r#"{"ARN": "arn:aws:iam::1:user/gone", "resourceType": "AWS::IAM::User", "configurationItemStatus": "ResourceDeleted", "configuration": null}"#;
    let text = format!(
        "{{\"configurationItems\": [{}, {}, {}]}}",
        role("2024-02-01T00:00:00Z", "OK", "sts:AssumeRole"),
        role("2024-01-01T00:00:00Z", "ResourceDiscovered", "sts:TagSession"),
        deleted_user
    );
    let (iam, diags) = read_iam_text("history.json", &text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.roles.len(), 1);
    assert_eq!(iam.roles[0].trust_policy.as_ref().expect("trust").statements[0].actions, ["sts:AssumeRole"]);
    assert!(iam.users.is_empty());

    // A document whose only item is a deletion is taken (nothing left to read), not skipped.
    let inv = crate::files::read_text("deleted.json", deleted_user);
    assert!(inv.iam.is_empty() && inv.diagnostics.is_empty());
    assert_eq!((inv.objects_read, inv.skipped_kinds.get("(no kind)")), (1, None));
    let text = format!(
        "{{\"configurationItems\": [{}, {}]}}",
        role("2024-01-01T00:00:00Z", "OK", "sts:AssumeRole"),
        role("2024-03-01T00:00:00Z", "ResourceDeleted", "sts:AssumeRole")
    );
    assert!(read_iam_text("h.json", &text).0.roles.is_empty());
}

#[test]
fn config_items_that_cannot_be_read_are_diagnostics() {
    // A broken JSON string, a configuration that is not an object, a role whose name and ARN
    // are only on the item, and one with neither.
    let text = r#"{"configurationItems": [
 {"arn": "arn:aws:iam::1:role/a", "resourceType": "AWS::IAM::Role",
  "configuration": "{\"roleName\": "},
 {"arn": "arn:aws:iam::1:role/b", "resourceType": "AWS::IAM::Role", "configuration": [1]},
 {"ARN": "arn:aws:iam::1:role/c", "resourceName": "c", "resourceType": "AWS::IAM::Role", "configuration": {"path": "/"}},
 {"resourceType": "AWS::IAM::Role", "configurationItemStatus": "OK", "configuration": {"path": "/x/"}}
]}"#;
    let (iam, diags) = read_iam_text("bad.json", text);
    let at: Vec<u32> = diags.iter().map(|d| d.source.line).collect();
    assert_eq!(at, [3, 4, 6, 6], "{diags:?}");
    assert!(diags[0].reason.contains("embedded JSON"));
    assert!(diags[1].reason.contains("not an object"));
    assert!(diags.iter().all(|d| &*d.source.file == "bad.json"));
    assert_eq!(iam.roles.len(), 2);
    assert_eq!((iam.roles[0].name.as_str(), iam.roles[0].arn.as_str()), ("c", "arn:aws:iam::1:role/c"));
    assert_eq!(iam.roles[1].path.as_deref(), Some("/x/"));
}

#[test]
fn access_keys_with_and_without_last_use() {
    let text = r#"{"AccessKeyMetadata": [
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE1", "Status": "Active", "CreateDate": "2020-01-01T00:00:00Z"},
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE2", "Status": "Inactive", "CreateDate": "2021-01-01T00:00:00Z",
   "AccessKeyLastUsed": {"LastUsedDate": "2021-06-01T00:00:00Z", "ServiceName": "s3", "Region": "eu-west-1"}},
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE3", "Status": "Active", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}},
  {"UserName": "ci"},
  "AKIANOTANOBJECT",
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE4", "Status": "Expired"}
], "IsTruncated": false}"#;
    let inv = crate::files::read_text("keys.json", text);
    assert_eq!(inv.objects_read, 1);
    let keys = &inv.iam.access_keys;
    let ids: Vec<_> = keys.iter().map(|k| (k.id.as_str(), k.active, k.source.line)).collect();
    assert_eq!(
        ids,
        [
            ("AKIAEXAMPLE1", true, 2),
            ("AKIAEXAMPLE2", false, 3),
            ("AKIAEXAMPLE3", true, 5),
            ("AKIAEXAMPLE4", true, 8)
        ]
    );
    assert!(keys.iter().all(|k| k.user == "ci"));
    assert_eq!(keys[0].create_date.as_deref(), Some("2020-01-01T00:00:00Z"));
    assert_eq!((keys[0].last_used_date.as_deref(), keys[0].last_used_service.as_deref()), (None, None));
    assert_eq!(keys[1].last_used_date.as_deref(), Some("2021-06-01T00:00:00Z"));
    assert_eq!(keys[1].last_used_service.as_deref(), Some("s3"));
    assert_eq!(
        (keys[2].last_used_date.as_deref(), keys[2].last_used_service.as_deref()),
        (None, None),
        "N/A"
    );
    let at: Vec<u32> = inv.diagnostics.iter().map(|d| d.source.line).collect();
    assert_eq!(at, [6, 7, 8], "{:?}", inv.diagnostics);
    assert_eq!(
        inv.diagnostics[2].reason,
        "access key AKIAEXAMPLE4 has an unknown `Status`, expecting `Active` or `Inactive`; treated as active"
    );

    // One joined record on its own; a never-used key has a null date.
    let text = r#"{"UserName": "bob", "AccessKeyId": "AKIABOB", "Status": "Active", "CreateDate": "2019-01-01T00:00:00Z",
 "AccessKeyLastUsed": {"LastUsedDate": null, "ServiceName": "N/A", "Region": "N/A"}}"#;
    let (iam, diags) = read_iam_text("bob.json", text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.access_keys.len(), 1);
    let k = &iam.access_keys[0];
    assert_eq!((k.user.as_str(), k.id.as_str(), k.active), ("bob", "AKIABOB", true));
    assert_eq!((k.last_used_date.as_deref(), k.last_used_service.as_deref()), (None, None));
}

#[test]
fn oidc_providers_listed_fetched_and_recorded() {
    let text = r#"{"OpenIDConnectProviderList": [
  {"Arn": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
  {"Arn": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
  {"Arn": "arn:aws:iam::111122223333:saml-provider/corp"},
  {}
]}"#;
    let inv = crate::files::read_text("providers.json", text);
    let got: Vec<_> = inv.iam.oidc_providers.iter().map(|p| (p.url.as_deref(), p.source.line)).collect();
    assert_eq!(
        got,
        [
            (Some("oidc.eks.eu-west-1.amazonaws.com/id/ABC"), 2),
            (Some("token.actions.githubusercontent.com"), 3)
        ]
    );
    assert_eq!(
        inv.iam.oidc_providers[1].arn,
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    );
    let at: Vec<u32> = inv.diagnostics.iter().map(|d| d.source.line).collect();
    assert_eq!(at, [4, 5], "{:?}", inv.diagnostics);

    // get-open-id-connect-provider has no ARN: kept with an empty one.
    let text = r#"{"Url": "oidc.eks.eu-west-1.amazonaws.com/id/ABC", "ClientIDList": ["sts.amazonaws.com"],
 "ThumbprintList": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"], "CreateDate": "2024-01-01T00:00:00Z", "Tags": []}"#;
    let (iam, diags) = read_iam_text("get.json", text);
    assert!(diags.is_empty(), "{diags:?}");
    let p = &iam.oidc_providers[0];
    assert_eq!((p.arn.as_str(), p.url.as_deref()), ("", Some("oidc.eks.eu-west-1.amazonaws.com/id/ABC")));
    assert_eq!((p.client_ids.as_slice(), p.thumbprints.len()), (&["sts.amazonaws.com".to_owned()][..], 1));

    // With an added ARN, and a URL written with its scheme.
    let text = r#"{"OpenIDConnectProviderArn": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com",
 "Url": "https://token.actions.githubusercontent.com", "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": []}"#;
    let (iam, _) = read_iam_text("get.json", text);
    let p = &iam.oidc_providers[0];
    assert_eq!(p.arn, "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com");
    assert_eq!(p.url.as_deref(), Some("token.actions.githubusercontent.com"));

    // No `Url` (a writer that had none): the issuer comes from the ARN.
    let text = r#"{"Arn": "arn:aws:iam::1:oidc-provider/oidc.example.com/id/9", "ClientIDList": [], "ThumbprintList": []}"#;
    let (iam, diags) = read_iam_text("get.json", text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(iam.oidc_providers[0].url.as_deref(), Some("oidc.example.com/id/9"));

    // An AWS Config item (`ClientIdList` in Config's spelling).
    let text = r#"{"resourceType": "AWS::IAM::OIDCProvider", "arn": "arn:aws:iam::1:oidc-provider/oidc.example.com",
 "configuration": {"Url": "oidc.example.com", "ClientIdList": ["sts.amazonaws.com"], "ThumbprintList": []}}"#;
    let inv = crate::files::read_text("ci.json", text);
    let p = &inv.iam.oidc_providers[0];
    assert_eq!(
        (p.arn.as_str(), p.url.as_deref()),
        ("arn:aws:iam::1:oidc-provider/oidc.example.com", Some("oidc.example.com"))
    );
    assert_eq!(p.client_ids, ["sts.amazonaws.com"]);
}

#[test]
fn pod_identity_associations_described_and_listed() {
    let text = r#"{"association": {"clusterName": "prod", "namespace": "pay", "serviceAccount": "api",
  "roleArn": "arn:aws:iam::111122223333:role/pay-api",
  "associationArn": "arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-1", "associationId": "a-1",
  "tags": {}, "createdAt": "2024-01-01T00:00:00Z", "modifiedAt": "2024-01-01T00:00:00Z"}}"#;
    let inv = crate::files::read_text("describe.json", text);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.objects_read, 1);
    assert_eq!(
        inv.iam.pod_identity_associations,
        [PodIdentityAssociation {
            cluster: "prod".into(),
            namespace: "pay".into(),
            service_account: "api".into(),
            role_arn: Some("arn:aws:iam::111122223333:role/pay-api".into()),
            association_arn: Some(
                "arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-1".into()
            ),
            source: Source { file: "describe.json".into(), line: 1 },
        }]
    );

    let text = r#"{"associations": [
  {"clusterName": "prod", "namespace": "pay", "serviceAccount": "api", "associationArn": "arn:aws:eks:eu-west-1:1:podidentityassociation/prod/a-1", "associationId": "a-1"},
  {"clusterName": "prod", "serviceAccount": "worker", "associationArn": "arn:aws:eks:eu-west-1:1:podidentityassociation/prod/a-2", "associationId": "a-2"},
  {"clusterName": "prod", "namespace": "ops", "serviceAccount": "bot", "associationArn": "arn:aws:eks:eu-west-1:1:podidentityassociation/prod/a-3", "ownerArn": "arn:aws:eks:eu-west-1:1:addon/prod/x/y"}
], "nextToken": null}"#;
    let (iam, diags) = read_iam_text("list.json", text);
    let got: Vec<_> = iam
        .pod_identity_associations
        .iter()
        .map(|a| (a.namespace.as_str(), a.service_account.as_str(), a.role_arn.is_none(), a.source.line))
        .collect();
    assert_eq!(got, [("pay", "api", true, 2), ("ops", "bot", true, 4)]);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].source.line, 3);
    assert!(diags[0].reason.contains("`namespace`"), "{}", diags[0].reason);

    // Lists of something else, and an empty list, are not taken.
    for other in [r#"{"associations": []}"#, r#"{"associations": [{"RouteTableId": "rtb-1", "Main": true}]}"#]
    {
        let inv = crate::files::read_text("other.json", other);
        assert!(inv.iam.is_empty() && inv.diagnostics.is_empty(), "{other}");
        assert_eq!(inv.skipped_kinds.get("(no kind)"), Some(&1), "{other}");
    }
}

#[test]
fn policy_document_forms() {
    let file: Arc<str> = "p.json".into();
    let read = |text: &str| {
        let node = yaml::parse_documents(text).remove(0).expect("json");
        let mut diags = Vec::new();
        let doc = policy_document(node.field("d"), &file, &mut diags);
        (doc, diags)
    };
    // Form encoding: `+` for spaces between JSON tokens.
    let form = "%7B+%22Version%22%3A+%222012-10-17%22%2C+%22Statement%22%3A+%5B%7B%22Effect%22%3A+%22Allow%22%2C+%22Action%22%3A+%22a%2Bb%3Ac%22%7D%5D%7D";
    let (doc, diags) = read(&format!("{{\"d\": \"{form}\"}}"));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(doc.expect("form").statements[0].actions, ["a+b:c"], "an encoded `+` stays a plus");
    // A compact RFC 3986 text whose values hold a literal `+`.
    let (doc, _) = read(&format!(
        "{{\"d\": \"{}\"}}",
        url_encode(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}]}"#
        )
    ));
    assert_eq!(doc.expect("rfc").statements[0].resources, ["arn:aws:s3:::a+b/*"]);
    // A plain JSON string holding a list of documents.
    let list =
        r#"[{"Statement":{"Effect":"Allow","Action":"x:A"}},{"Statement":{"Effect":"Deny","Action":"x:B"}}]"#;
    let (doc, diags) = read(&format!("{{\"d\": {}}}", json_string(list)));
    assert!(diags.is_empty());
    let doc = doc.expect("list");
    assert!(doc.encoded);
    assert_eq!(doc.statements.len(), 2);
    // A list with an unreadable member: the rest is kept, the member reported.
    let (doc, diags) = read(
        "{\"d\": [\n{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"x:A\"}},\n\"%7B%22Vers\",\n7]}",
    );
    assert_eq!(doc.expect("kept").statements.len(), 1);
    let at: Vec<u32> = diags.iter().map(|d| d.source.line).collect();
    assert_eq!(at, [3, 4]);
    // An empty list is no document.
    let (doc, diags) = read(r#"{"d": []}"#);
    assert!(doc.is_none() && diags.is_empty());
}

/// Values an IAM document holds in the wrong place (a secret pasted as a status, an ARN, a
/// policy document) give diagnostics at their line that do not quote them.
#[test]
fn diagnostics_never_quote_the_input() {
    const CANARY: &str = "canary123secret";
    let text = r#"{"AccessKeyMetadata": [
  {"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE1", "Status": "API_KEY=canary123secret"}
], "IsTruncated": false}
---
{"OpenIDConnectProviderList": [
  {"Arn": "API_KEY=canary123secret"}
]}
---
{"Policies": [{"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p", "DefaultVersionId": "v1",
  "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
    "Document": "{\"Statement\": [API_KEY=canary123secret"}]}]}
---
{"Policies": [{"PolicyName": "q", "Arn": "arn:aws:iam::1:policy/q", "DefaultVersionId": "v1",
  "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
    "Document": "API_KEY%3Dcanary123secret%ZZ"}]}]}
"#;
    let inv = crate::files::read_text("iam.json", text);
    let got: Vec<(u32, &str)> = inv.diagnostics.iter().map(|d| (d.source.line, d.reason.as_str())).collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        got[..2],
        [
            (
                2,
                "access key AKIAEXAMPLE1 has an unknown `Status`, expecting `Active` or `Inactive`; treated as active"
            ),
            (
                6,
                "OpenIDConnectProviderList entry whose `Arn` is not an OIDC provider ARN \
                     (arn:aws:iam::ACCOUNT:oidc-provider/ISSUER); skipped"
            ),
        ]
    );
    // (The YAML reader's own words, after the prefix, are its business.)
    assert_eq!(got[2].0, 11);
    assert!(
        got[2].1.starts_with("IAM policy document string could not be read: not valid JSON: "),
        "{got:?}"
    );
    assert_eq!(got[3], (15, "IAM policy document string could not be read: bad URL encoding"));
    for (_, reason) in &got {
        assert!(!reason.contains(CANARY) && !reason.contains("API_KEY"), "{reason}");
    }
}
