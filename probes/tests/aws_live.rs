//! Live AWS collection against real servers: AWS Config against a loopback server that answers
//! the JSON 1.1 protocol from recorded responses (fixtures/aws-live/config/), and IAM against
//! moto (started here, seeded through the IAM API).
#![cfg(feature = "aws-live")]

mod support {
    pub(crate) mod config_server;
    pub(crate) mod moto;
}

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::config_server::{ConfigServer, Mode};
use support::moto::{self, Moto};
use ztpath_probes::aws_live::{self, AwsError, AwsOptions, AwsSources};
use ztpath_probes::iam::{ConditionOperator, Statement};
use ztpath_probes::{ClientCertMode, Inventory, ListenerTls, ProxyKind, Sensitive};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root")
}

fn fixtures() -> PathBuf {
    workspace().join("fixtures/aws-live/config")
}

/// Options for a test server: fixed fake credentials, one region, no progress, short timeouts.
fn options(endpoint: &str, sources: AwsSources) -> AwsOptions {
    AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.into()),
        sources,
        timeout: Duration::from_secs(20),
        deadline: Duration::from_secs(120),
        progress: false,
        static_credentials: Some(("testing".into(), Sensitive::new("testing".into()))),
        ..AwsOptions::default()
    }
}

fn sorted<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = names.collect();
    v.sort_unstable();
    v
}

fn trust_statements<'a>(inv: &'a Inventory, role: &str) -> &'a [Statement] {
    let r = inv.iam.roles.iter().find(|r| r.name == role).unwrap_or_else(|| panic!("role {role}"));
    &r.trust_policy.as_ref().unwrap_or_else(|| panic!("{role} has a trust policy")).statements
}

#[test]
fn config_items_are_listed_page_by_page_fetched_in_batches_and_read() {
    let server = ConfigServer::start(Mode::Fixtures(fixtures()));
    let inv = ztpath_probes::finish(
        aws_live::collect(&options(&server.url, AwsSources::Config)).expect("collected"),
    );
    let requests = server.requests();

    // Only the two read-only operations, in the JSON 1.1 protocol.
    for r in &requests {
        assert!(
            ["StarlingDoveService.ListDiscoveredResources", "StarlingDoveService.BatchGetResourceConfig"]
                .contains(&r.target.as_str()),
            "unexpected operation {}",
            r.target
        );
        assert_eq!(r.content_type, "application/x-amz-json-1.1");
    }
    // Every resource type is listed, 100 at a time; the policies take two pages.
    let lists: Vec<(&str, Option<&str>)> = requests
        .iter()
        .filter(|r| r.target.ends_with("ListDiscoveredResources"))
        .map(|r| {
            assert_eq!(r.body["limit"], 100, "{:?}", r.body);
            (r.body["resourceType"].as_str().expect("resourceType"), r.body["nextToken"].as_str())
        })
        .collect();
    assert_eq!(
        lists,
        [
            ("AWS::IAM::User", None),
            ("AWS::IAM::Role", None),
            ("AWS::IAM::Group", None),
            ("AWS::IAM::Policy", None),
            ("AWS::IAM::Policy", Some("AAIAB2page2tokenEXAMPLE")),
            ("AWS::ElasticLoadBalancingV2::LoadBalancer", None),
            ("AWS::ElasticLoadBalancingV2::Listener", None),
            ("AWS::ElasticLoadBalancingV2::TargetGroup", None),
        ]
    );
    // Batches of at most 100 keys of one type; the key left unprocessed is asked for again alone.
    let batches: Vec<(&str, Vec<&str>)> = requests
        .iter()
        .filter(|r| r.target.ends_with("BatchGetResourceConfig"))
        .map(|r| {
            let keys = r.body["resourceKeys"].as_array().expect("resourceKeys");
            assert!(!keys.is_empty() && keys.len() <= 100, "batch of {}", keys.len());
            let t = keys[0]["resourceType"].as_str().expect("resourceType");
            assert!(keys.iter().all(|k| k["resourceType"] == t));
            (t, keys.iter().map(|k| k["resourceId"].as_str().expect("resourceId")).collect())
        })
        .collect();
    let shape: Vec<(&str, usize)> = batches.iter().map(|(t, k)| (*t, k.len())).collect();
    assert_eq!(
        shape,
        [
            ("AWS::IAM::Role", 2),
            ("AWS::IAM::Role", 1),
            ("AWS::IAM::Policy", 100),
            ("AWS::IAM::Policy", 30),
            ("AWS::ElasticLoadBalancingV2::LoadBalancer", 1),
            ("AWS::ElasticLoadBalancingV2::Listener", 1),
            ("AWS::ElasticLoadBalancingV2::TargetGroup", 1),
        ]
    );
    assert_eq!(batches[1].1, ["AROAEXAMPLEPARTNER001"], "the retry asks for the unprocessed key only");

    // The load balancer, its listener and target group are joined into one ALB.
    assert_eq!(inv.proxies.len(), 1, "{:#?}", inv.proxies);
    let alb = &inv.proxies[0];
    assert_eq!(alb.kind, ProxyKind::AwsAlb);
    assert_eq!(alb.name, "shop-edge");
    assert_eq!(
        &*alb.source.file,
        "aws-config://123456789012/us-east-1/AWS::ElasticLoadBalancingV2::LoadBalancer/arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-edge/50dc6c495c0c9188"
    );
    assert_eq!(alb.listeners.len(), 1);
    let listener = &alb.listeners[0];
    assert_eq!(listener.port, Some(443));
    assert_eq!(listener.tls, ListenerTls::Terminate);
    assert_eq!(listener.client_cert, ClientCertMode::Unverified, "mTLS passthrough verifies nothing");
    assert_eq!(listener.routes.len(), 1, "{:#?}", listener.routes);
    assert!(inv.diagnostics.is_empty(), "{:#?}", inv.diagnostics);
    assert_eq!(inv.files_read, 0, "a live collection reads no file");

    // IAM items of Config are read by the IAM reader: the two roles of the fixtures, no fewer.
    assert_eq!(sorted(inv.iam.roles.iter().map(|r| r.name.as_str())), ["orders-irsa", "partner-wildcard"]);
    let irsa = trust_statements(&inv, "orders-irsa");
    assert_eq!(
        irsa[0].principals,
        [("Federated".to_owned(), format!("arn:aws:iam::123456789012:oidc-provider/{}", moto::OIDC_ISSUER))]
    );
    assert!(
        irsa[0]
            .conditions
            .iter()
            .any(|c| c.key.ends_with(":sub") && c.values == ["system:serviceaccount:shop:orders"])
    );
    assert!(trust_statements(&inv, "partner-wildcard")[0].has_wildcard_principal());
    let role = inv.iam.roles.iter().find(|r| r.name == "orders-irsa").expect("orders-irsa");
    assert_eq!(&*role.source.file, "aws-config://123456789012/global/AWS::IAM::Role/AROAEXAMPLEORDERS0001");
    assert_eq!(sorted(inv.iam.policies.iter().map(|p| p.name.as_str())), ["team-policy-001"]);
}

#[test]
fn an_aggregator_is_read_across_its_source_accounts() {
    let server = ConfigServer::start(Mode::Fixtures(fixtures()));
    let opts = AwsOptions { aggregator: Some("org".into()), ..options(&server.url, AwsSources::Config) };
    let inv = ztpath_probes::finish(aws_live::collect(&opts).expect("collected"));
    let requests = server.requests();

    // Only the aggregate twins of the two read-only operations, each naming the aggregator.
    for r in &requests {
        assert!(
            [
                "StarlingDoveService.ListAggregateDiscoveredResources",
                "StarlingDoveService.BatchGetAggregateResourceConfig"
            ]
            .contains(&r.target.as_str()),
            "unexpected operation {}",
            r.target
        );
        assert_eq!(r.content_type, "application/x-amz-json-1.1");
        assert_eq!(r.body["ConfigurationAggregatorName"], "org", "{:?}", r.body);
    }
    // Every resource type is listed, 100 at a time (PascalCase members); the roles take two pages.
    let lists: Vec<(&str, Option<&str>)> = requests
        .iter()
        .filter(|r| r.target.ends_with("ListAggregateDiscoveredResources"))
        .map(|r| {
            assert_eq!(r.body["Limit"], 100, "{:?}", r.body);
            (r.body["ResourceType"].as_str().expect("ResourceType"), r.body["NextToken"].as_str())
        })
        .collect();
    assert_eq!(
        lists,
        [
            ("AWS::IAM::User", None),
            ("AWS::IAM::Role", None),
            ("AWS::IAM::Role", Some("AGGpage2tokenEXAMPLE")),
            ("AWS::IAM::Group", None),
            ("AWS::IAM::Policy", None),
            ("AWS::ElasticLoadBalancingV2::LoadBalancer", None),
            ("AWS::ElasticLoadBalancingV2::Listener", None),
            ("AWS::ElasticLoadBalancingV2::TargetGroup", None),
        ]
    );
    // Both pages go into one batch of three; the identifier left unprocessed is asked for again
    // alone, with its source account and region.
    let batches: Vec<Vec<(&str, &str, &str)>> = requests
        .iter()
        .filter(|r| r.target.ends_with("BatchGetAggregateResourceConfig"))
        .map(|r| {
            let ids = r.body["ResourceIdentifiers"].as_array().expect("ResourceIdentifiers");
            ids.iter()
                .map(|k| {
                    assert_eq!(k["ResourceType"], "AWS::IAM::Role", "{k:?}");
                    let field = |f: &str| k[f].as_str().unwrap_or_else(|| panic!("{f} in {k:?}"));
                    (field("SourceAccountId"), field("SourceRegion"), field("ResourceId"))
                })
                .collect()
        })
        .collect();
    assert_eq!(
        batches,
        [
            vec![
                ("111111111111", "us-east-1", "AROAEXAMPLEPAYMENTS01"),
                ("222222222222", "us-east-1", "AROAEXAMPLEAUDIT00001"),
                ("222222222222", "us-east-1", "AROAEXAMPLEVENDOR0001"),
            ],
            vec![("222222222222", "us-east-1", "AROAEXAMPLEVENDOR0001")],
        ]
    );

    // The roles of both accounts, each labelled with the account that holds it.
    assert!(inv.diagnostics.is_empty(), "{:#?}", inv.diagnostics);
    assert_eq!(inv.files_read, 0, "a live collection reads no file");
    assert!(inv.proxies.is_empty(), "{:#?}", inv.proxies);
    let mut roles: Vec<(&str, &str, &str)> =
        inv.iam.roles.iter().map(|r| (r.name.as_str(), r.arn.as_str(), &*r.source.file)).collect();
    roles.sort_unstable();
    assert_eq!(
        roles,
        [
            (
                "audit-reader",
                "arn:aws:iam::222222222222:role/audit-reader",
                "aws-config://222222222222/global/AWS::IAM::Role/AROAEXAMPLEAUDIT00001"
            ),
            (
                "payments-api",
                "arn:aws:iam::111111111111:role/payments-api",
                "aws-config://111111111111/global/AWS::IAM::Role/AROAEXAMPLEPAYMENTS01"
            ),
            (
                "vendor-wildcard",
                "arn:aws:iam::222222222222:role/vendor-wildcard",
                "aws-config://222222222222/global/AWS::IAM::Role/AROAEXAMPLEVENDOR0001"
            ),
        ]
    );
    assert_eq!(
        trust_statements(&inv, "audit-reader")[0].principals,
        [("AWS".to_owned(), "arn:aws:iam::111111111111:root".to_owned())],
        "the cross-account trust is read"
    );
    assert!(trust_statements(&inv, "vendor-wildcard")[0].has_wildcard_principal());
}

#[test]
fn an_unreachable_endpoint_is_an_error_naming_the_calls() {
    // A port that was free a moment ago: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut opts = options(&format!("http://127.0.0.1:{port}"), AwsSources::Iam);
    opts.max_attempts = 1;
    opts.timeout = Duration::from_secs(5);
    let err = aws_live::collect(&opts).expect_err("nothing can be collected");
    let AwsError::NothingCollected(diags) = &err else { panic!("{err}") };
    let text = err.to_string();
    assert!(text.contains("GetAccountAuthorizationDetails failed: dispatch failure"), "{text}");
    // Once IAM proved unreachable, the other IAM calls are not tried.
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(&*diags[0].source.file, "aws://iam");
}

#[test]
fn iam_is_collected_from_moto_and_config_failures_degrade_to_it() {
    let Some(moto) = Moto::start(workspace()) else { return };
    let seeded = moto::seed(&moto.url);
    let inv =
        ztpath_probes::finish(aws_live::collect(&options(&moto.url, AwsSources::Iam)).expect("collected"));
    assert!(
        inv.diagnostics.is_empty(),
        "{:#?}",
        inv.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>()
    );

    // GetAccountAuthorizationDetails: users, groups, roles with trust policies, managed policies.
    assert_eq!(sorted(inv.iam.users.iter().map(|u| u.name.as_str())), ["alice", "ci-deployer", "legacy"]);
    let ci = inv.iam.users.iter().find(|u| u.name == "ci-deployer").expect("ci-deployer");
    assert_eq!(ci.arn, "arn:aws:iam::123456789012:user/ci-deployer");
    assert_eq!(ci.groups, ["deployers"]);
    assert_eq!(&*ci.source.file, "aws-iam://123456789012/user/ci-deployer");
    assert_eq!(sorted(inv.iam.groups.iter().map(|g| g.name.as_str())), ["deployers"]);
    let group = &inv.iam.groups[0];
    assert_eq!(group.inline_policies.len(), 1);
    assert!(group.inline_policies[0].document.is_some(), "inline policy documents are read");
    assert_eq!(
        sorted(inv.iam.roles.iter().map(|r| r.name.as_str())),
        ["ec2-app", "partner-wildcard", "web-irsa"]
    );

    let irsa = trust_statements(&inv, "web-irsa");
    assert_eq!(irsa.len(), 1);
    assert_eq!(
        irsa[0].principals,
        [("Federated".to_owned(), format!("arn:aws:iam::123456789012:oidc-provider/{}", moto::OIDC_ISSUER))]
    );
    assert_eq!(irsa[0].actions, ["sts:AssumeRoleWithWebIdentity"]);
    let conditions: Vec<(&ConditionOperator, &str, Vec<&str>)> = irsa[0]
        .conditions
        .iter()
        .map(|c| (&c.operator, c.key.as_str(), c.values.iter().map(String::as_str).collect()))
        .collect();
    assert!(
        conditions.contains(&(
            &ConditionOperator::parse("StringEquals"),
            &format!("{}:sub", moto::OIDC_ISSUER),
            vec!["system:serviceaccount:shop:web"]
        )),
        "{conditions:?}"
    );
    let wildcard = trust_statements(&inv, "partner-wildcard");
    assert!(wildcard[0].has_wildcard_principal(), "{wildcard:?}");
    assert_eq!(
        trust_statements(&inv, "ec2-app")[0].principals,
        [("Service".to_owned(), "ec2.amazonaws.com".to_owned())]
    );
    let ec2 = inv.iam.roles.iter().find(|r| r.name == "ec2-app").expect("ec2-app");
    assert_eq!(ec2.inline_policies.len(), 1);
    assert_eq!(ec2.attached_policies.len(), 1);
    assert_eq!(ec2.attached_policies[0].name, "deploy-artifacts");
    let local: Vec<&str> =
        sorted(inv.iam.policies.iter().filter(|p| !p.is_aws_managed()).map(|p| p.name.as_str()));
    assert_eq!(local, ["deploy-artifacts"]);
    let artifacts = inv.iam.policies.iter().find(|p| p.name == "deploy-artifacts").expect("policy");
    assert!(artifacts.default_document().is_some(), "the default version's document is read");

    // ListAccessKeys + GetAccessKeyLastUsed.
    let mut keys: Vec<(&str, &str, bool, bool)> = inv
        .iam
        .access_keys
        .iter()
        .map(|k| (k.user.as_str(), k.id.as_str(), k.active, k.last_used_date.is_some()))
        .collect();
    keys.sort_unstable();
    let mut expected = vec![
        ("ci-deployer", seeded.used_key.as_str(), true, true),
        ("ci-deployer", seeded.unused_key.as_str(), true, false),
        ("legacy", seeded.inactive_key.as_str(), false, false),
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    let used = inv.iam.access_keys.iter().find(|k| k.id == seeded.used_key).expect("used key");
    assert_eq!(used.last_used_service.as_deref(), Some("iam"));
    let unused = inv.iam.access_keys.iter().find(|k| k.id == seeded.unused_key).expect("unused key");
    assert_eq!(unused.last_used_date, None);
    assert_eq!(unused.last_used_service, None, "`N/A` is no service");
    assert!(unused.create_date.is_some());

    // The credential report.
    let row = |user: &str| {
        inv.iam
            .credential_report
            .iter()
            .find(|r| r.user == user)
            .unwrap_or_else(|| panic!("report row {user}"))
    };
    let users: Vec<&str> =
        sorted(inv.iam.credential_report.iter().filter(|r| !r.is_root()).map(|r| r.user.as_str()));
    assert_eq!(users, ["alice", "ci-deployer", "legacy"]);
    let ci_row = row("ci-deployer");
    assert!(ci_row.access_keys[0].active && ci_row.access_keys[1].active);
    assert_eq!(ci_row.access_keys.iter().filter(|k| k.last_used_date.is_some()).count(), 1, "{ci_row:?}");
    assert!(!row("alice").access_keys[0].active);
    assert!(!row("legacy").access_keys[0].active);
    assert_eq!(&*ci_row.source.file, "aws-iam://123456789012/credential-report");

    // The OIDC providers.
    assert_eq!(inv.iam.oidc_providers.len(), 1, "{:#?}", inv.iam.oidc_providers);
    let oidc = &inv.iam.oidc_providers[0];
    assert_eq!(oidc.arn, format!("arn:aws:iam::123456789012:oidc-provider/{}", moto::OIDC_ISSUER));
    assert_eq!(oidc.url.as_deref().map(|u| u.trim_start_matches("https://")), Some(moto::OIDC_ISSUER));
    assert_eq!(oidc.client_ids, ["sts.amazonaws.com"]);
    assert_eq!(oidc.thumbprints, ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]);

    // No secret access key anywhere in what was collected.
    let dump = format!("{inv:?}");
    for secret in &seeded.secrets {
        assert!(!dump.contains(secret.as_str()), "a secret access key reached the inventory");
    }

    // AWS Config denied: with both sources the IAM part still arrives, with a diagnostic naming
    // the call; with Config alone the collection falls back to IAM.
    let denied = ConfigServer::start(Mode::Deny);
    for sources in [AwsSources::Both, AwsSources::Config] {
        let mut opts = options(&moto.url, sources);
        opts.config_endpoint_url = Some(denied.url.clone());
        let inv = aws_live::collect(&opts).expect("IAM still collected");
        assert_eq!(sorted(inv.iam.users.iter().map(|u| u.name.as_str())), ["alice", "ci-deployer", "legacy"]);
        assert_eq!(inv.iam.roles.len(), 3);
        let reasons: Vec<String> = inv.diagnostics.iter().map(ToString::to_string).collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("ListDiscoveredResources(AWS::IAM::User) failed: AccessDeniedException")),
            "{reasons:#?}"
        );
        assert_eq!(
            reasons.iter().any(|r| r.contains("falling back to the IAM APIs")),
            sources == AwsSources::Config,
            "{reasons:#?}"
        );
    }
    // Config was abandoned after its first denial (for each of the two runs).
    assert_eq!(denied.requests().len(), 2, "{:#?}", denied.requests());
}
