//! ZT103: Identity header can be forged by the client.

use ztpath_reports::{IdentityState, Severity};

use super::rule::{NistTenet, OwaspNhi, Rule, Sink};
use crate::analysis::Analysis;

pub(super) static RULE: Rule = Rule {
    id: "ZT103",
    name: "spoofable-identity-header",
    title: "Identity header can be forged by the client",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T6, NistTenet::T2],
    rationale: "A backend that reads the caller's identity from a header trusts whoever wrote it. If the proxy lets a client-supplied value through (nginx without `proxy_set_header` for it in that location, HAProxy `add-header`, ingress-nginx hosts without `auth-tls`, Envoy XFCC `ALWAYS_FORWARD_ONLY`, or `FORWARD_ONLY`/`APPEND_FORWARD` without required client certificates, an ALB in mTLS `passthrough` mode), any client can claim any identity.",
    remediation: "Make the proxy own the header: overwrite or remove it on every route (nginx `proxy_set_header NAME \"\"` or a value from `$ssl_client_*` in every location, HAProxy `set-header`/`del-header`, Envoy `SANITIZE`/`SANITIZE_SET`, ALB mTLS `verify`), and have the backend accept it only from the proxy (mTLS between them).",
    detects: "A path through a proxy where an identity header reaches the backend with a client-controlled value, XFCC elements sent by the client are forwarded, or an unverified client certificate's identity is forwarded: **high** when the backend is known to rely on it (the proxy sets that header on other routes, XFCC, an unverified certificate), **medium** when an identity header merely passes through unsanitised (ingress-nginx hosts without `auth-tls` pass client-sent `ssl-client-*` headers).",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for p in a.proxy_paths().iter().filter(|p| p.identity == IdentityState::Spoofable) {
        // High when the backend is known to rely on the identity (the proxy sets the header on
        // other routes, forwards XFCC, or forwards an unverified certificate); medium when an
        // identity header merely passes through unsanitised.
        let (severity, what) = if p.spoof_relied_on {
            (Severity::High, "the caller's identity reaching the backend can be forged")
        } else {
            (
                Severity::Medium,
                "an identity header passes through unsanitised: a backend that trusts it can be fooled",
            )
        };
        super::rule::proxy_hit(a, sink, p, severity, what);
    }
}
