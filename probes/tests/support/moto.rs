//! A moto server (the AWS API emulator, from PyPI) started by a test, and the IAM estate the
//! live-collection tests seed into it through the IAM API.
//!
//! scripts/test.sh installs moto into `target/venv-moto` and exports `ZTPATH_MOTO` (the path of
//! its `moto_server`); without that variable the venv is looked for at the same place. When no
//! moto is found the test is skipped with a note, except under CI (`CI` set), where it fails.
//! Shared by probes/tests/aws_live.rs and the root package's tests/aws_live.rs and tests/kube_live.rs.
#![allow(dead_code)]
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips or found, as tests do")]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_iam::config::{Credentials, Region};

/// The account moto answers for with unknown access keys.
pub(crate) const ACCOUNT: &str = "123456789012";
/// The OIDC issuer (host and path) of the seeded EKS cluster.
pub(crate) const OIDC_ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

/// A running moto server, stopped on drop.
pub(crate) struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

/// Where moto_server is: `ZTPATH_MOTO`, else `<workspace>/target/venv-moto/bin/moto_server`.
fn moto_server(workspace: &Path) -> Option<PathBuf> {
    let candidate = match std::env::var_os("ZTPATH_MOTO") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace.join("target/venv-moto/bin/moto_server"),
    };
    candidate.is_file().then_some(candidate)
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it accepts connections. `None` (after
    /// a note) when moto is not installed outside CI; a panic when it is missing under CI or does
    /// not come up.
    pub(crate) fn start(workspace: &Path) -> Option<Moto> {
        let Some(bin) = moto_server(workspace) else {
            let hint = "moto_server not found (set ZTPATH_MOTO, or run scripts/test.sh, which installs it into target/venv-moto)";
            assert!(!in_ci(), "{hint}; CI is set, so this is a failure");
            eprintln!("note: {hint}; skipping this test");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let mut child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let started = Instant::now();
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{} exited before listening: {status}", bin.display());
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} did not listen on port {port} within 60 s", bin.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Moto { child, url: format!("http://127.0.0.1:{port}") })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the seeding created that the tests check against. The secrets are kept only to check
/// that no output ever shows them.
pub(crate) struct Seeded {
    /// ci-deployer's key that was used once (for `iam:GetUser`).
    pub used_key: String,
    /// ci-deployer's key that was never used.
    pub unused_key: String,
    /// legacy's key, made inactive.
    pub inactive_key: String,
    /// The secret access keys of the three keys.
    pub secrets: Vec<String>,
}

/// An IAM client of moto with the given key.
pub(crate) fn iam_client(url: &str, key: &str, secret: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(key, secret, None, None, "moto-test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// Seeds moto's IAM with: users `alice`, `ci-deployer` (two active keys, one used once and one
/// never used, in group `deployers`) and `legacy` (one inactive key); group `deployers` with an
/// inline policy and the managed policy `deploy-artifacts`; roles `web-irsa` (IRSA trust on the
/// EKS OIDC provider, `:sub` and `:aud` pinned), `partner-wildcard` (`{"AWS": "*"}`) and
/// `ec2-app` (EC2 service, inline policy, `deploy-artifacts` attached); and the EKS OIDC provider.
pub(crate) fn seed(url: &str) -> Seeded {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(seed_async(url))
}

async fn seed_async(url: &str) -> Seeded {
    let iam = iam_client(url, "testing", "testing");
    for user in ["alice", "ci-deployer", "legacy"] {
        iam.create_user().user_name(user).send().await.expect("CreateUser");
    }
    let mut keys = Vec::new();
    for user in ["ci-deployer", "ci-deployer", "legacy"] {
        let out = iam.create_access_key().user_name(user).send().await.expect("CreateAccessKey");
        let key = out.access_key().expect("a key");
        keys.push((key.access_key_id().to_owned(), key.secret_access_key().to_owned()));
    }
    iam.update_access_key()
        .user_name("legacy")
        .access_key_id(&keys[2].0)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey");
    // One call signed with ci-deployer's first key: moto records it as that key's last use.
    iam_client(url, &keys[0].0, &keys[0].1)
        .get_user()
        .user_name("ci-deployer")
        .send()
        .await
        .expect("GetUser with the first key");

    let artifacts = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::shop-artifacts/*"}]}"#;
    let policy_arn = iam
        .create_policy()
        .policy_name("deploy-artifacts")
        .policy_document(artifacts)
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("policy ARN")
        .to_owned();

    iam.create_group().group_name("deployers").send().await.expect("CreateGroup");
    iam.add_user_to_group()
        .group_name("deployers")
        .user_name("ci-deployer")
        .send()
        .await
        .expect("AddUserToGroup");
    iam.put_group_policy()
        .group_name("deployers")
        .policy_name("read-config")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("PutGroupPolicy");
    iam.attach_group_policy()
        .group_name("deployers")
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("AttachGroupPolicy");

    iam.create_open_id_connect_provider()
        .url(format!("https://{OIDC_ISSUER}"))
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
        .send()
        .await
        .expect("CreateOpenIDConnectProvider");

    let irsa = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_ISSUER}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{OIDC_ISSUER}:sub":"system:serviceaccount:shop:web","{OIDC_ISSUER}:aud":"sts.amazonaws.com"}}}}}}]}}"#
    );
    let wildcard = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
    let ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for (name, trust) in [("web-irsa", irsa.as_str()), ("partner-wildcard", wildcard), ("ec2-app", ec2)] {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .send()
            .await
            .expect("CreateRole");
    }
    iam.put_role_policy()
        .role_name("ec2-app")
        .policy_name("queue")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:orders"}]}"#,
        )
        .send()
        .await
        .expect("PutRolePolicy");
    iam.attach_role_policy()
        .role_name("ec2-app")
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("AttachRolePolicy");

    Seeded {
        used_key: keys[0].0.clone(),
        unused_key: keys[1].0.clone(),
        inactive_key: keys[2].0.clone(),
        secrets: keys.iter().map(|(_, s)| s.clone()).collect(),
    }
}
