//! ZT001: a workload accepts callers without mutual TLS, or a caller's mTLS is switched off.

use ztpath_reports::{AuthMethod, IdentityState, Severity, VerdictOrigin};

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, workload_subject};
use crate::analysis::Analysis;
use crate::resolve::mesh::{Admission, Transport};

pub(super) static RULE: Rule = Rule {
    id: "ZT001",
    name: "plaintext-or-optional-mtls-hop",
    title: "Workload accepts callers without mutual TLS",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi4],
    nist_800_207: &[NistTenet::T2, NistTenet::T6],
    rationale: "Without mutual TLS on a hop the callee cannot tell which workload called, and anyone who can \
reach its address can talk to it or read the traffic. PERMISSIVE mode (Istio's default) and Linkerd's default \
`all-unauthenticated` policy accept plaintext next to mTLS, so an unmeshed pod, a compromised node or anything \
that bypasses the sidecar talks to the workload anonymously. NIST SP 800-207 tenet 2 asks that all communication \
be secured and the source authenticated whatever the network location.",
    remediation: "Put the workload in the mesh and require mTLS: an Istio PeerAuthentication with `mtls.mode: STRICT` \
(mesh-wide in the root namespace, or per namespace), or a Linkerd `config.linkerd.io/default-inbound-policy` of \
`all-authenticated`/`cluster-authenticated` with Servers and AuthorizationPolicies. Remove Linkerd \
`skip-inbound-ports` for application ports and DestinationRules with `tls.mode: DISABLE`/`SIMPLE` towards meshed \
services (let auto mTLS use ISTIO_MUTUAL).",
    detects: "A serving workload (selected by a Service, or declaring container ports) whose inbound side accepts \
plaintext:\n\n\
- no mesh sidecar (not injected, injection disabled, or `hostNetwork`): **high**;\n\
- Istio effective mode `DISABLE` (workload port > workload > namespace > mesh-wide PeerAuthentication): **high**;\n\
- Istio `PERMISSIVE`, or no mode set anywhere (Istio's default is PERMISSIVE): **medium**;\n\
- Linkerd default inbound policy `all-unauthenticated` or `cluster-unauthenticated` (pod annotation, namespace \
annotation, `linkerd-config`, or the built-in default), or a Server whose authorizations admit unauthenticated \
clients: **medium**;\n\
- a port listed in `config.linkerd.io/skip-inbound-ports` (traffic bypasses the proxy): **high**;\n\
- a call on which an Istio DestinationRule sets `tls.mode` `DISABLE` or `SIMPLE` (the caller's identity is dropped) \
or `MUTUAL` (replaced by a fixed certificate).\n\n\
One finding per workload lists every auth path into it whose hop is weak. Workloads that admit no caller at all \
(Istio `spec: {}`, Linkerd `deny`) are not reported. A path that ends with a hop inside one pod (a sidecar \
proxy handing requests to its own application over loopback) is judged by its last network hop, the one into \
the sidecar.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    for (wi, w) in a.workloads().iter().enumerate() {
        let Some(entry) = a.inbound(wi) else { continue };
        if entry.inbound.admission == Admission::Nobody {
            continue;
        }
        let weak_paths: Vec<ztpath_reports::PathId> = a
            .paths_into(wi)
            .filter(|p| {
                // The last hop that crosses a network: a sidecar's hop to its own application
                // over loopback is inside the pod.
                p.hops.iter().rev().find(|h| h.auth != AuthMethod::InPod).is_some_and(|h| {
                    matches!(
                        h.auth,
                        AuthMethod::Plaintext | AuthMethod::OptionalMtls | AuthMethod::StaticSecret
                    ) || matches!(h.identity, IdentityState::Lost | IdentityState::Terminated)
                })
            })
            .map(|p| p.id.clone())
            .collect();
        let port = entry.port.map(|p| format!(" on port {p}")).unwrap_or_default();
        let (severity, what) = match entry.inbound.transport {
            Transport::Plaintext => (Severity::High, "accepts plaintext"),
            Transport::Optional => (Severity::Medium, "accepts plaintext alongside mTLS"),
            Transport::Strict => {
                // The server requires mTLS; only callers' DestinationRules can still drop identity.
                let dropped: Vec<&ztpath_reports::AuthPath> = a
                    .paths_into(wi)
                    .filter(|p| {
                        p.hops.last().is_some_and(|h| {
                            h.origin == VerdictOrigin::CallerTlsSetting
                                && h.identity != IdentityState::Preserved
                        })
                    })
                    .collect();
                if let Some(first) = dropped.first() {
                    let hop = first.hops.last().expect("hop");
                    sink.push(Hit {
                        severity: Severity::High,
                        subject: workload_subject(w),
                        key: String::new(),
                        message: format!(
                            "Calls into {} lose the caller's workload identity: {}",
                            w.display(),
                            hop.detail
                        ),
                        evidence: hop
                            .evidence
                            .iter()
                            .map(|e| ztpath_probes::Source { file: e.file.as_str().into(), line: e.line })
                            .collect(),
                        paths: dropped.iter().map(|p| p.id.clone()).collect(),
                    });
                }
                continue;
            }
        };
        let mut evidence = entry.inbound.transport_evidence.clone();
        evidence.push(w.meta().source.clone());
        sink.push(Hit {
            severity,
            subject: workload_subject(w),
            key: String::new(),
            message: format!("{} {what}{port}: {}", w.display(), entry.inbound.transport_reason),
            evidence,
            paths: weak_paths,
        });
    }
}
