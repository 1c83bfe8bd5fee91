//! `ztpath scan --aws` end to end: the binary against a moto server seeded through the IAM API
//! (probes/tests/support/moto.rs), and without credentials.
#![cfg(feature = "aws-live")]

mod common;
#[path = "../probes/tests/support/moto.rs"]
mod moto;

use std::path::Path;
use std::process::Command;

use ztpath_reports::Report;

/// Runs `ztpath` in the repository root with an environment that holds no AWS setting of the
/// machine: no profile files, no instance metadata, only `env`. Returns (exit code, stdout,
/// stderr).
fn run_aws(args: &[&str], env: &[(&str, &str)], home: &Path) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ztpath"));
    cmd.args(args).current_dir(common::root()).env_remove("ZTPATH_TIMINGS");
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(&key);
        }
    }
    let missing = home.join("missing");
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", &missing)
        .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().expect("run ztpath");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FAKE_KEYS: &[(&str, &str)] = &[("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")];

#[test]
fn scan_aws_reads_the_seeded_iam_estate() {
    let Some(moto) = moto::Moto::start(common::root()) else { return };
    let seeded = moto::seed(&moto.url);
    let home = tempfile::tempdir().expect("tempdir");
    let args = [
        "scan",
        "--aws",
        "--aws-endpoint",
        &moto.url,
        "--aws-source",
        "iam",
        "--region",
        "us-east-1",
        "-f",
        "json",
        "--fail-on",
        "never",
    ];
    let (code, stdout, stderr) = run_aws(&args, FAKE_KEYS, home.path());
    assert_eq!(code, 0, "stderr:\n{stderr}");
    let report: Report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}; stderr:\n{stderr}"));
    // 3 users, 1 group, 3 roles, 1 managed policy, 2 users' keys, 3 report rows, 1 OIDC provider.
    assert_eq!(report.summary.objects, 14, "stderr:\n{stderr}");
    assert_eq!(report.summary.files, 0);
    assert!(stderr.contains("aws: collected 14 object(s)"), "{stderr}");
    assert!(stderr.contains("3 role(s)") && stderr.contains("3 access key(s)"), "{stderr}");
    for role in ["web-irsa", "partner-wildcard", "ec2-app"] {
        assert!(stdout.contains(&format!("role/{role}")), "role {role} is not in the report");
    }
    for secret in &seeded.secrets {
        assert!(
            !stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()),
            "a secret was printed"
        );
    }
    // Merged with files: the demo estate's objects come on top of the account's.
    let mut with_files = vec![args[0], "fixtures/demo"];
    with_files.extend_from_slice(&args[1..]);
    let (code, stdout, stderr) = run_aws(&with_files, FAKE_KEYS, home.path());
    assert_eq!(code, 0, "stderr:\n{stderr}");
    let merged: Report = serde_json::from_str(&stdout).expect("a JSON report");
    assert!(merged.summary.files > 0);
    assert!(merged.summary.objects > 14);
    assert!(merged.summary.workloads > 0);
    // SARIF: the account's objects are logical locations, never made-up files.
    let mut sarif_args = args.to_vec();
    sarif_args[9] = "sarif";
    let (code, stdout, stderr) = run_aws(&sarif_args, FAKE_KEYS, home.path());
    assert_eq!(code, 0, "stderr:\n{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty(), "the seeded account has findings");
    for r in results {
        for loc in r["locations"].as_array().into_iter().flatten() {
            assert!(loc.get("physicalLocation").is_none(), "a live object as a file: {loc}");
            let name = loc["logicalLocations"][0]["fullyQualifiedName"].as_str().expect("a logical location");
            assert!(name.starts_with("aws-iam://") || name.starts_with("aws-config://"), "{name}");
        }
    }
}

#[test]
fn scan_aws_without_credentials_says_so_and_exits_2() {
    let home = tempfile::tempdir().expect("tempdir");
    // A closed port: nothing may be sent anyway.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (code, stdout, stderr) = run_aws(
        &["scan", "--aws", "--aws-endpoint", &endpoint, "--region", "us-east-1", "-f", "json"],
        &[],
        home.path(),
    );
    assert_eq!(code, 2, "stderr:\n{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("no usable AWS credentials"), "{stderr}");
}

#[test]
fn aws_options_need_aws() {
    let (code, _, stderr) = common::run(&["scan", "--region", "us-east-1", "fixtures/demo"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--aws"), "{stderr}");
}
