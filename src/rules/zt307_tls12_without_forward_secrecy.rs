//! ZT307: the server accepts TLS 1.2 with a cipher suite that has no forward secrecy.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT307",
    name: "tls12-without-forward-secrecy",
    title: "TLS 1.2 accepted with a cipher suite without forward secrecy",
    severity: Severity::Medium,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T2],
    rationale: "With RSA key exchange the session keys are sent encrypted under the server's certificate \
key: whoever records the traffic and later obtains that key (a leaked Secret, a backup) decrypts every \
recorded session, with the bearer tokens and passwords in it. ECDHE suites, and every TLS 1.3 suite, do not \
have that weakness.",
    remediation: "Allow only ECDHE (or DHE) suites for TLS 1.2, or TLS 1.3 alone: nginx `ssl_ciphers \
ECDHE+AESGCM:ECDHE+CHACHA20`, HAProxy `ssl-default-bind-ciphers`, Envoy `cipher_suites`.",
    detects: "A live endpoint that, offered a TLS 1.2 ClientHello with only RSA key-exchange suites \
(`TLS_RSA_WITH_*`), chose one of them (probed when the leaf key is RSA and TLS 1.2 is accepted).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for v in super::wire::views(a) {
        let Some(cipher) = &v.o.non_forward_secret_cipher else { continue };
        sink.push(Hit {
            severity: Severity::Medium,
            subject: v.subject.clone(),
            key: v.endpoint(),
            message: format!("{} accepts TLS 1.2 with {cipher}, which has no forward secrecy.", v.endpoint()),
            evidence: v.evidence.clone(),
            paths: v.paths.clone(),
        });
    }
}
