//! The rule catalogue. Each rule is one file: its declaration (id, title, severity, OWASP NHI and
//! NIST SP 800-207 mappings, rationale, remediation, documentation) and its check, a pure
//! function over the [`Analysis`]. `RULES` is the registry, sorted by id.
//!
//! Adding a rule: write `ztNNN_name.rs` with a `pub static RULE: Rule` and its `check`, add it to
//! `RULES`, add `fixtures/rules/ZTNNN/{bad,good}/`, and regenerate its page with
//! `ztpath rules --write-docs docs/rules` (a test fails while the page is out of date).
//! CONTRIBUTING.md walks through it, with the format of the fixtures' `# expect:` lines.

use std::collections::BTreeSet;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use ztpath_probes::Source;
use ztpath_reports::{Finding, RuleInfo};

use crate::analysis::Analysis;
pub use rule::Rule;
use rule::{Hit, Sink};

pub mod rule;
mod wire;
mod zt001_plaintext_hop;
mod zt002_implicit_network_trust;
mod zt003_allow_all_authorization;
mod zt004_static_secret_fallback;
mod zt005_secret_in_manifest;
mod zt006_long_lived_credential;
mod zt007_credential_reuse;
mod zt008_overprivileged_identity;
mod zt009_excessive_blast_radius;
mod zt010_orphaned_identity;
mod zt011_unneeded_token_automount;
mod zt101_identity_terminated_at_proxy;
mod zt102_identity_substituted_by_proxy;
mod zt103_spoofable_identity_header;
mod zt104_client_cert_not_enforced;
mod zt105_unverified_upstream_tls;
mod zt106_plaintext_to_backend;
mod zt107_passthrough_without_client_auth;
mod zt201_static_key_despite_federation;
mod zt202_stale_access_key;
mod zt203_unused_access_key;
mod zt204_root_access_key;
mod zt205_open_trust_policy;
mod zt206_unconstrained_web_identity_trust;
mod zt207_shared_iam_role;
mod zt208_role_across_environments;
mod zt209_overprivileged_aws_principal;
mod zt301_wire_admits_without_client_cert;
mod zt302_wire_transport_mismatch;
mod zt303_certificate_validity;
mod zt304_certificate_not_trusted;
mod zt305_long_lived_workload_certificate;
mod zt306_spiffe_identity_mismatch;
mod zt307_tls12_without_forward_secrecy;

/// Every rule, sorted by id.
pub static RULES: &[&Rule] = &[
    &zt001_plaintext_hop::RULE,
    &zt002_implicit_network_trust::RULE,
    &zt003_allow_all_authorization::RULE,
    &zt004_static_secret_fallback::RULE,
    &zt005_secret_in_manifest::RULE,
    &zt006_long_lived_credential::RULE,
    &zt007_credential_reuse::RULE,
    &zt008_overprivileged_identity::RULE,
    &zt009_excessive_blast_radius::RULE,
    &zt010_orphaned_identity::RULE,
    &zt011_unneeded_token_automount::RULE,
    &zt101_identity_terminated_at_proxy::RULE,
    &zt102_identity_substituted_by_proxy::RULE,
    &zt103_spoofable_identity_header::RULE,
    &zt104_client_cert_not_enforced::RULE,
    &zt105_unverified_upstream_tls::RULE,
    &zt106_plaintext_to_backend::RULE,
    &zt107_passthrough_without_client_auth::RULE,
    &zt201_static_key_despite_federation::RULE,
    &zt202_stale_access_key::RULE,
    &zt203_unused_access_key::RULE,
    &zt204_root_access_key::RULE,
    &zt205_open_trust_policy::RULE,
    &zt206_unconstrained_web_identity_trust::RULE,
    &zt207_shared_iam_role::RULE,
    &zt208_role_across_environments::RULE,
    &zt209_overprivileged_aws_principal::RULE,
    &zt301_wire_admits_without_client_cert::RULE,
    &zt302_wire_transport_mismatch::RULE,
    &zt303_certificate_validity::RULE,
    &zt304_certificate_not_trusted::RULE,
    &zt305_long_lived_workload_certificate::RULE,
    &zt306_spiffe_identity_mismatch::RULE,
    &zt307_tls12_without_forward_secrecy::RULE,
];

/// Finds a rule by id (case-insensitive) or name.
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name == id_or_name)
}

/// Runs every rule and returns the findings, most severe first, with the paths they sit on.
pub fn run(a: &Analysis<'_>) -> Vec<Finding> {
    // Rules are independent pure functions: run them in parallel, then merge in a fixed order.
    let policy = &a.options().policy;
    let mut findings: Vec<Finding> = RULES
        .par_iter()
        .filter(|rule| policy.runs(rule.id))
        .flat_map_iter(|rule| {
            let mut sink = Sink::new(rule);
            let ((), took) = crate::timings::measure(|| (rule.check)(a, &mut sink));
            crate::timings::step(&format!("rules/{}", rule.id), took);
            sink.into_hits().into_iter().map(move |mut hit| {
                hit.severity = policy.severity_of(rule.id, hit.severity);
                to_finding(rule, hit)
            })
        })
        .collect();
    findings.sort_by(|x, y| {
        (x.severity, &x.rule, &x.subject, &x.id).cmp(&(y.severity, &y.rule, &y.subject, &y.id))
    });
    findings
}

fn to_finding(rule: &Rule, hit: Hit) -> Finding {
    let subject = hit.subject;
    let mut h = Sha256::new();
    for part in [rule.id, &subject.kind, subject.namespace.as_deref().unwrap_or(""), &subject.name, &hit.key]
    {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let id = hex::encode(&digest[..8]);
    // A built-in definition is no place in the input.
    let sources: Vec<Source> =
        hit.evidence.into_iter().filter(|s| !crate::resolve::builtin::is_builtin(s)).collect();
    let evidence = crate::paths::evidence(&sources);
    let paths: BTreeSet<ztpath_reports::PathId> = hit.paths.into_iter().collect();
    Finding {
        id: id.into(),
        rule: rule.id.to_owned(),
        severity: hit.severity,
        message: hit.message,
        subject,
        evidence,
        paths: paths.into_iter().collect(),
        baseline: None,
        suppressed: None,
    }
}

/// The catalogue entry of a rule for the Report.
pub fn info(rule: &Rule) -> RuleInfo {
    RuleInfo {
        id: rule.id.to_owned(),
        name: rule.name.to_owned(),
        title: rule.title.to_owned(),
        severity: rule.severity,
        owasp_nhi: rule.owasp_nhi.to_vec(),
        nist_800_207: rule.nist_800_207.to_vec(),
        rationale: rule.rationale.to_owned(),
        remediation: rule.remediation.to_owned(),
        doc: format!("docs/rules/{}.md", rule.id),
        help: doc_page(rule),
    }
}

/// The doc page of a rule, in Markdown.
pub fn doc_page(rule: &Rule) -> String {
    let mut s = String::new();
    s.push_str(&format!("# {}: {}\n\n", rule.id, rule.title));
    s.push_str(&format!("- Name: `{}`\n- Default severity: {}\n", rule.name, rule.severity));
    s.push_str("- OWASP Non-Human Identities Top 10 (2025): ");
    s.push_str(&rule.owasp_nhi.iter().map(|r| format!("{r} {}", r.title())).collect::<Vec<_>>().join("; "));
    s.push_str("\n- NIST SP 800-207 tenets (§2.1): ");
    s.push_str(
        &rule.nist_800_207.iter().map(|t| format!("{t} {}", t.title())).collect::<Vec<_>>().join("; "),
    );
    s.push_str("\n\n## What it detects\n\n");
    s.push_str(rule.detects.trim());
    s.push_str("\n\n## Why it matters\n\n");
    s.push_str(rule.rationale.trim());
    s.push_str("\n\n## How to fix it\n\n");
    s.push_str(rule.remediation.trim());
    s.push_str(&format!(
        "\n\n## Examples\n\nSee `fixtures/rules/{id}/bad/` (must fire) and `fixtures/rules/{id}/good/` (must not fire).\n",
        id = rule.id
    ));
    s
}
