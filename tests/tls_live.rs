//! `ztpath probe tls` and `ztpath scan --tls` against rustls servers started here on loopback,
//! with certificates made by rcgen around the reference date 2026-11-25 (`--now 2026-11-25`):
//! the verdicts and certificate fields a user would read, exactly.

mod common;
mod tls_support;

use serde_json::Value;
use tls_support::{Ca, ClientAuth, Spec, Versions};

const NOW: &str = "2026-11-25";
const SPIFFE: &str = "spiffe://example.org/ns/shop/sa/api";

fn probe(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["probe", "tls", "--format", "json", "--now", NOW];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = common::run(&all);
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, doc, stderr)
}

fn findings(doc: &Value, rule: &str) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or_default().to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn verdicts_and_certificate_fields_match_each_rustls_server() {
    let ca = Ca::new("ztpath test CA");
    let clients = Ca::new("ztpath client CA");
    // A day-long workload certificate around the reference date, an expired one, a year-long one.
    let day = ca.leaf(&["api.shop.svc"], Some(SPIFFE), (2026, 11, 24, 12), (2026, 11, 25, 12));
    let expired = ca.leaf(&["old.shop.svc"], None, (2025, 1, 1, 0), (2026, 11, 1, 0));
    let year = ca.leaf(
        &["batch.shop.svc"],
        Some("spiffe://example.org/ns/shop/sa/batch"),
        (2026, 6, 1, 0),
        (2027, 6, 1, 0),
    );
    let lonely = tls_support::self_signed(&["lonely.shop.svc"]);
    let servers = tls_support::start(
        &[
            Spec {
                leaf: &day,
                auth: ClientAuth::Required,
                versions: Versions::Both,
                client_ca: Some(&clients),
            },
            Spec {
                leaf: &day,
                auth: ClientAuth::Optional,
                versions: Versions::Tls13Only,
                client_ca: Some(&clients),
            },
            Spec { leaf: &expired, auth: ClientAuth::Off, versions: Versions::Tls12Only, client_ca: None },
            Spec {
                leaf: &year,
                auth: ClientAuth::Required,
                versions: Versions::Tls12Only,
                client_ca: Some(&clients),
            },
            Spec { leaf: &lonely, auth: ClientAuth::Off, versions: Versions::Both, client_ca: None },
            Spec { leaf: &day, auth: ClientAuth::Off, versions: Versions::Tls13Only, client_ca: None },
        ],
        1,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).expect("write CA");
    let client = clients.leaf(
        &["client.shop.svc"],
        Some("spiffe://example.org/ns/shop/sa/client"),
        (2000, 1, 1, 0),
        (2099, 1, 1, 0),
    );
    let (cert_file, key_file) = (dir.path().join("client.pem"), dir.path().join("client.key"));
    std::fs::write(&cert_file, &client.pem).expect("write");
    std::fs::write(&key_file, &client.key_pem).expect("write");

    let a = &servers.addrs;
    let targets = [
        format!("{}=api.shop.svc", a[0]),
        format!("{}=api.shop.svc", a[1]),
        format!("{}=old.shop.svc", a[2]),
        format!("{}=batch.shop.svc", a[3]),
        format!("{}=lonely.shop.svc", a[4]),
        format!("{}=wrong.shop.svc", a[5]),
        a[6].to_string(),
    ];
    let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
    let ca_arg = ca_file.to_str().expect("utf-8");
    args.extend(["--tls-ca", ca_arg, "--fail-on", "never"]);
    let (code, doc, stderr) = probe(&args);
    assert_eq!(code, 0, "{stderr}");
    let tls = doc["tls"].as_array().expect("tls[]");
    assert_eq!(tls.len(), 7);

    // Required, TLS 1.3 and 1.2: the refusal comes after the handshake as certificate_required.
    let e = &tls[0];
    assert_eq!(e["target"], targets[0]);
    assert_eq!(e["address"], a[0].to_string());
    assert_eq!(e["tls"], true);
    assert_eq!(e["version"], "TLSv1.3");
    assert_eq!(e["client_auth"], "required");
    assert_eq!(e["refusal"], "alert 116 (certificate_required)");
    assert_eq!(e["tls12_accepted"], true);
    assert_eq!(e["verified"], true);
    assert_eq!(e["ca_names"], serde_json::json!(["CN=ztpath client CA, O=ztpath tests"]));
    assert!(e["cipher"].as_str().is_some_and(|c| c.starts_with("TLS13_")), "{e}");
    let leaf = &e["certificates"][0];
    assert_eq!(e["certificates"].as_array().map(Vec::len), Some(1));
    assert_eq!(leaf["subject"], "CN=api.shop.svc");
    assert_eq!(leaf["issuer"], "CN=ztpath test CA, O=ztpath tests");
    assert_eq!(leaf["dns_sans"], serde_json::json!(["api.shop.svc"]));
    assert_eq!(leaf["uri_sans"], serde_json::json!([SPIFFE]));
    assert_eq!(leaf["not_before"], "2026-11-24T12:00:00Z");
    assert_eq!(leaf["not_after"], "2026-11-25T12:00:00Z");
    assert_eq!(leaf["lifetime_hours"], 24);
    assert_eq!(leaf["lifetime_days"], 1);
    assert_eq!(leaf["self_signed"], false);
    assert_eq!(leaf["key"], "EC P-256");
    assert_eq!(leaf["signature_algorithm"], "ecdsa-with-SHA256");

    // Optional, TLS 1.3 only: asked, let in; TLS 1.2 refused.
    assert_eq!(tls[1]["client_auth"], "optional");
    assert_eq!(tls[1]["refusal"], Value::Null);
    assert_eq!(tls[1]["tls12_accepted"], false);
    assert_eq!(tls[1]["version"], "TLSv1.3");

    // No client auth, TLS 1.2 only, expired: trusted, but not verified at the reference date.
    let e = &tls[2];
    assert_eq!((e["version"].as_str(), e["client_auth"].as_str()), (Some("TLSv1.2"), Some("not-requested")));
    assert!(e["cipher"].as_str().is_some_and(|c| c.starts_with("TLS_ECDHE_")), "{e}");
    assert_eq!(
        (e["trusted"].clone(), e["verified"].clone(), e["name_valid"].clone()),
        (Value::Bool(true), Value::Bool(false), Value::Bool(true))
    );
    assert_eq!(e["certificates"][0]["days_left"], -24);

    // Required in TLS 1.2: the handshake itself fails.
    let e = &tls[3];
    assert_eq!((e["version"].as_str(), e["client_auth"].as_str()), (Some("TLSv1.2"), Some("required")));
    // rustls sends certificate_required in TLS 1.2 too (OpenSSL sends handshake_failure there).
    assert_eq!(e["refusal"], "alert 116 (certificate_required)");
    assert_eq!(e["certificates"][0]["lifetime_days"], 365);

    // Self-signed, not from the CA.
    assert_eq!(
        (tls[4]["trusted"].clone(), tls[4]["certificates"][0]["self_signed"].clone()),
        (Value::Bool(false), Value::Bool(true))
    );
    // Valid chain, wrong name.
    assert_eq!(
        (tls[5]["trusted"].clone(), tls[5]["name_valid"].clone(), tls[5]["verified"].clone()),
        (Value::Bool(true), Value::Bool(false), Value::Bool(false))
    );
    // Plaintext.
    assert_eq!(tls[6]["tls"], false);
    assert_eq!(tls[6]["certificates"], serde_json::json!([]));

    // The findings that follow from the wire alone.
    assert_eq!(
        findings(&doc, "ZT303"),
        vec![(
            "high".to_owned(),
            format!("The certificate of {} (CN=old.shop.svc) expired on 2026-11-01T00:00:00Z.", a[2])
        )]
    );
    assert_eq!(findings(&doc, "ZT305").len(), 1, "the year-long workload certificate");
    assert!(findings(&doc, "ZT305")[0].1.contains("spiffe://example.org/ns/shop/sa/batch"));
    let trust = findings(&doc, "ZT304");
    assert_eq!(trust.len(), 2, "{trust:?}");
    assert!(trust.iter().any(|(s, m)| s == "medium" && m.ends_with("(CN=lonely.shop.svc) is self-signed.")));
    assert!(trust.iter().any(|(_, m)| m.ends_with("is not valid for the name wrong.shop.svc.")));
    assert!(findings(&doc, "ZT307").is_empty(), "EC keys: no RSA key exchange possible");

    // With a client identity the CA trusts, mutual TLS is let in.
    let (cert_arg, key_arg) = (cert_file.to_str().expect("utf-8"), key_file.to_str().expect("utf-8"));
    let (code, doc, stderr) = probe(&[
        &targets[0],
        &targets[1],
        "--tls-ca",
        ca_arg,
        "--tls-client-cert",
        cert_arg,
        "--tls-client-key",
        key_arg,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["tls"][0]["client_cert_accepted"], true);
    assert_eq!(doc["tls"][0]["client_auth"], "required");
    assert_eq!(doc["tls"][1]["client_cert_accepted"], true);
    // The key is never printed.
    let key_body: String = client.key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!doc.to_string().contains(&key_body[..32]) && !stderr.contains(&key_body[..32]));

    // The table says the same in words.
    let (code, table, _) =
        common::run(&["probe", "tls", &targets[0], "--format", "table", "--now", NOW, "--tls-ca", ca_arg]);
    assert_eq!(code, 0);
    assert!(table.contains("client auth: required (alert 116 (certificate_required))"), "{table}");
}

#[test]
fn scan_tls_compares_the_wire_with_the_estate() {
    let ca = Ca::new("mesh CA");
    let clients = Ca::new("mesh client CA");
    // The server presents the identity of another service account, and admits without a certificate.
    let other = tls_support::substituted_leaf(&ca);
    let servers = tls_support::start(&[tls_support::admits_anyone(&other, &clients)], 1);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ca.pem"), &ca.pem).expect("write");
    std::fs::write(dir.path().join("estate.yaml"), tls_support::STRICT_SHOP).expect("write");
    let api = format!("{}=api.shop.svc=Deployment/shop/api", servers.addrs[0]);
    let web = format!("{}=Deployment/shop/web", servers.addrs[1]);
    let (code, stdout, stderr) = common::run_in(
        dir.path(),
        &[
            "scan",
            "estate.yaml",
            "--tls",
            "--tls-target",
            &api,
            "--tls-target",
            &web,
            "--tls-ca",
            "ca.pem",
            "--format",
            "json",
            "--now",
            NOW,
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("json");
    let api_at = servers.addrs[0].to_string();
    let web_at = servers.addrs[1].to_string();
    assert_eq!(
        findings(&doc, "ZT301"),
        vec![(
            "high".to_owned(),
            format!(
                "The configuration says STRICT mesh mTLS, but the live endpoint {api_at} asks for a client certificate but lets a client without one in."
            )
        )]
    );
    assert_eq!(
        findings(&doc, "ZT306"),
        vec![(
            "high".to_owned(),
            format!(
                "{api_at} presents spiffe://cluster.local/ns/shop/sa/payments, but the workload runs as spiffe://cluster.local/ns/shop/sa/api."
            )
        )]
    );
    assert_eq!(
        findings(&doc, "ZT302"),
        vec![(
            "high".to_owned(),
            format!(
                "The configuration requires mesh mTLS (STRICT), but the live endpoint {web_at} answers in plaintext."
            )
        )]
    );
    let subjects: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "ZT301")
        .map(|f| &f["subject"])
        .collect();
    assert_eq!(
        subjects,
        vec![&serde_json::json!({"kind": "Deployment", "namespace": "shop", "name": "api"})]
    );
    assert_eq!(
        doc["tls"][0]["maps_to"],
        serde_json::json!({"kind": "Deployment", "namespace": "shop", "name": "api"})
    );
}

#[test]
fn bad_targets_are_usage_errors_that_do_not_quote_the_input() {
    let (code, _, stderr) = common::run(&["probe", "tls", "SECRET-HOST-NAME"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("target 1: expected host:port") && !stderr.contains("SECRET"), "{stderr}");
    let (code, _, stderr) = common::run(&["probe", "tls", "a:1", "--tls-resolve", "SECRET:1:nope"]);
    assert_eq!(code, 2);
    assert!(!stderr.contains("SECRET"), "{stderr}");
}
