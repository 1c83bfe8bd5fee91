//! A small, hand-built Report shared by the renderer tests.
//!
//! It is shaped like real engine output (sorted collections, consistent summary counts) and
//! deliberately includes awkward input: a node id with a double quote and a backslash, a
//! flagged plaintext call, and an unreadable file. Each renderer's tests assert against it so
//! that all formats are checked on the same facts.

use std::collections::BTreeMap;

use crate::{
    AuthMethod, AuthPath, BlastRadius, Credential, Diagnostic, Edge, Evidence, Finding, Hop, IdentityState,
    NistTenet, Node, OwaspNhi, Reach, Report, RuleInfo, SCHEMA_VERSION, Severity, Subject, Summary, Tool,
};

/// Node id with characters that must be escaped in DOT.
pub(crate) const AWKWARD_ID: &str = r#"external:partner "acme" \ gw"#;
/// Credential fingerprint used by the sample.
pub(crate) const FINGERPRINT: &str = "hmac:1a2b3c4d5e6f";
pub(crate) const CART: &str = "workload:shop/Deployment/cart";
pub(crate) const API: &str = "workload:payments/Deployment/api";
pub(crate) const DB_CREDS: &str = "credential:shop/Secret/db-creds";

fn ev(file: &str, line: u32) -> Evidence {
    Evidence { file: file.into(), line }
}

fn node(id: &str, kind: &str, name: &str, namespace: Option<&str>) -> Node {
    Node {
        id: id.into(),
        kind: kind.into(),
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        attrs: crate::Attrs::default(),
    }
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Two namespaces (`payments`, `shop`), four nodes, a flagged plaintext call, one path, a
/// critical and a medium finding, one blast-radius entry and one diagnostic.
pub(crate) fn report() -> Report {
    let mut api = node(API, "workload", "api", Some("payments"));
    api.attrs.insert("mesh".into(), "istio".into());
    let nodes = vec![
        node(DB_CREDS, "credential", "db-creds", Some("shop")),
        node(AWKWARD_ID, "external", r#"partner "acme" \ gw"#, None),
        api,
        node(CART, "workload", "cart", Some("shop")),
    ];

    let edges = vec![
        Edge {
            from: AWKWARD_ID.into(),
            to: CART.into(),
            kind: "calls".into(),
            auth: Some(AuthMethod::BearerToken),
            identity: Some(IdentityState::Unknown),
            flagged: false,
        },
        Edge {
            from: CART.into(),
            to: DB_CREDS.into(),
            kind: "uses-credential".into(),
            auth: None,
            identity: None,
            flagged: false,
        },
        Edge {
            from: CART.into(),
            to: API.into(),
            kind: "calls".into(),
            auth: Some(AuthMethod::Plaintext),
            identity: Some(IdentityState::Lost),
            flagged: true,
        },
    ];

    let path_id = format!("path:{CART}->{API}");
    let paths = vec![AuthPath {
        id: path_id.clone().into(),
        from: CART.into(),
        to: API.into(),
        hops: vec![Hop {
            from: CART.into(),
            to: API.into(),
            via: Some("service payments/api:8080".into()),
            auth: AuthMethod::Plaintext,
            identity: IdentityState::Lost,
            detail: "PeerAuthentication in payments is PERMISSIVE and cart has no sidecar.".into(),
            evidence: vec![ev("mesh/peer-auth.yaml", 4), ev("shop/cart.yaml", 21)],
            origin: crate::VerdictOrigin::Receiver,
        }],
        auth: Some(AuthMethod::Plaintext),
        identity: Some(IdentityState::Lost),
        findings: vec!["f-zt001-cart-api".into()],
    }];

    let blast_radius = vec![BlastRadius {
        credential: Credential {
            id: DB_CREDS.into(),
            kind: "secret".into(),
            name: "db-creds".into(),
            namespace: Some("shop".into()),
            fingerprint: Some(FINGERPRINT.into()),
            evidence: vec![ev("shop/db-creds.yaml", 1)],
        },
        score: 42,
        counts: counts(&[("identity", 1), ("permission", 3), ("secret", 12)]),
        steps: vec!["mounted by shop/Deployment/cart".into()],
        reaches: vec![Reach { kind: "identity".into(), target: "shop/sa/cart".into(), chain: vec![0] }],
    }];

    let findings = vec![
        Finding {
            id: "f-zt001-cart-api".into(),
            rule: "ZT001".into(),
            severity: Severity::Critical,
            message: "cart calls payments/api in plaintext; api cannot tell who called".into(),
            subject: Subject {
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: "cart".into(),
            },
            evidence: vec![
                ev("mesh/peer-auth.yaml", 4),
                ev("shop/cart.yaml", 21),
                ev("payments/api.yaml", 9),
            ],
            paths: vec![path_id.into()],
            baseline: None,
            suppressed: None,
        },
        Finding {
            id: "f-zt004-db-creds".into(),
            rule: "ZT004".into(),
            severity: Severity::Medium,
            message: "Secret db-creds is a static password shared by 2 workloads".into(),
            subject: Subject {
                kind: "Secret".into(),
                namespace: Some("shop".into()),
                name: "db-creds".into(),
            },
            evidence: vec![ev("shop/db-creds.yaml", 1)],
            paths: vec![],
            baseline: None,
            suppressed: None,
        },
    ];

    let rules = vec![RuleInfo {
        id: "ZT001".into(),
        name: "plaintext-hop".into(),
        title: "Plaintext hop loses caller identity".into(),
        severity: Severity::Critical,
        owasp_nhi: vec![OwaspNhi::Nhi5],
        nist_800_207: vec![NistTenet::T2],
        rationale: "Without transport authentication the callee cannot verify the caller.".into(),
        remediation: "Require STRICT mTLS.".into(),
        doc: "docs/rules/ZT001.md".into(),
        help: String::new(),
    }];

    let diagnostics = vec![Diagnostic {
        file: "manifests/broken.yaml".into(),
        line: 7,
        message: "mapping values are not allowed here".into(),
    }];

    Report {
        schema_version: SCHEMA_VERSION.into(),
        tool: Tool { name: "ztpath".into(), version: "0.1.0".into() },
        summary: Summary {
            files: 3,
            objects: 7,
            workloads: 2,
            identities: 1,
            credentials: 1,
            paths: 1,
            findings: counts(&[("critical", 1), ("high", 0), ("medium", 1), ("low", 0), ("info", 0)]),
            diagnostics: 1,
            skipped_kinds: counts(&[("ConfigMap", 2)]),
            suppressed: 0,
            new: None,
            input_digest: Some(format!("hmac-sha256:{}", "0123456789abcdef".repeat(4))),
            unread_kinds: Vec::new(),
        },
        nodes,
        edges,
        paths,
        blast_radius,
        findings,
        rules,
        diagnostics,
        tls: Vec::new(),
    }
}

/// Checks that hold across all three formats.
/// Renders with one of the format modules' `render` functions into a string.
pub(crate) fn render_to_string(
    render: fn(&Report, &mut dyn std::io::Write) -> std::io::Result<()>,
    report: &Report,
) -> String {
    let mut out = Vec::new();
    render(report, &mut out).expect("rendering into memory cannot fail");
    String::from_utf8(out).expect("renderers write UTF-8")
}

/// The sample with `n` findings (copies of its first, with distinct ids and messages): a report
/// large enough that rendering it whole in memory would show.
pub(crate) fn large_report(n: usize) -> Report {
    let mut r = report();
    let first = r.findings[0].clone();
    r.findings = (0..n)
        .map(|i| {
            let mut f = first.clone();
            f.id = format!("f-{i:06}").into();
            f.message = format!("{} (instance {i})", first.message);
            f
        })
        .collect();
    r
}

/// A writer that keeps what it is given and the largest single write it was asked to do.
#[derive(Default)]
pub(crate) struct Recorder {
    pub bytes: Vec<u8>,
    pub largest_write: usize,
}

impl std::io::Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.largest_write = self.largest_write.max(buf.len());
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer that fails once it has taken `left` bytes, as a full disk or a closed pipe does.
pub(crate) struct FailAfter {
    pub left: usize,
    pub kind: std::io::ErrorKind,
}

impl std::io::Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::from(self.kind));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.left == 0 { Err(std::io::Error::from(self.kind)) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::{Format, render};

    fn render_all(report: &Report) -> Vec<String> {
        [Format::Table, Format::Json, Format::Dot]
            .into_iter()
            .map(|format| {
                let mut out = Vec::new();
                render(report, format, &mut out).unwrap();
                String::from_utf8(out).unwrap()
            })
            .collect()
    }

    fn collect_keys(value: &serde_json::Value, keys: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    keys.insert(k.clone());
                    collect_keys(v, keys);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect_keys(v, keys)),
            _ => {}
        }
    }

    #[test]
    fn credentials_appear_by_fingerprint_and_no_value_field_exists() {
        let outputs = render_all(&report());
        let (table, json) = (&outputs[0], &outputs[1]);
        assert!(table.contains(FINGERPRINT));
        assert!(json.contains(FINGERPRINT));
        let doc: serde_json::Value = serde_json::from_str(json).unwrap();
        let mut keys = BTreeSet::new();
        collect_keys(&doc, &mut keys);
        assert!(keys.contains("fingerprint"));
        for banned in ["value", "data", "stringData", "password", "plaintext_value"] {
            assert!(!keys.contains(banned), "JSON has a `{banned}` key");
        }
    }

    #[test]
    fn renderers_do_not_make_up_missing_facts() {
        let mut report = report();
        report.blast_radius[0].credential.fingerprint = None;
        let outputs = render_all(&report);
        for out in &outputs {
            assert!(!out.contains("hmac:"), "a fingerprint appeared from nowhere:\n{out}");
        }
        // The table marks the gap instead of filling it.
        let row = outputs[0].lines().find(|l| l.contains("secret shop/db-creds")).unwrap();
        assert!(row.contains("┆ - "));
        // JSON leaves the key out rather than writing a placeholder.
        let doc: serde_json::Value = serde_json::from_str(&outputs[1]).unwrap();
        assert!(doc["blast_radius"][0]["credential"].get("fingerprint").is_none());
    }
}
