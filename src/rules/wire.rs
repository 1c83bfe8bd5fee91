//! What the rules of live TLS (ZT301–ZT307) share: each observation with the estate object it
//! belongs to and what the configuration of that object says the wire should show.

use ztpath_probes::{ClientCertMode, ListenerTls, ProxyKind, Source, TlsObservation};

use crate::paths::wire::{WireTarget, endpoint, observed_at};
use ztpath_reports::Subject;

use super::rule::{proxy_subject, subject, workload_subject};
use crate::analysis::Analysis;
use crate::resolve::mesh::Transport;

/// One observation and what the configuration expects of it.
pub(super) struct WireView<'i> {
    pub(super) o: &'i TlsObservation,
    /// The mapped estate object, else the endpoint (`TlsEndpoint host:port`).
    pub(super) subject: Subject,
    /// Where the observation comes from, then the deciding configuration.
    pub(super) evidence: Vec<Source>,
    /// Mapped to an object of the estate that was found.
    pub(super) mapped: bool,
    /// The configuration requires a client certificate: in these words.
    pub(super) requires_client_cert: Option<&'static str>,
    /// The configuration says TLS (`true`) or plaintext (`false`): in these words.
    pub(super) expects_tls: Option<(bool, &'static str)>,
    /// SPIFFE IDs the graph expects the server to present (its workloads' service accounts).
    pub(super) spiffe_ids: Vec<String>,
    /// The paths that arrive at the mapped object (through the listener observed).
    pub(super) paths: Vec<ztpath_reports::PathId>,
}

impl WireView<'_> {
    /// The endpoint as messages name it.
    pub(super) fn endpoint(&self) -> String {
        endpoint(self.o)
    }
}

/// Every observation of the inventory, resolved.
pub(super) fn views<'i>(a: &Analysis<'i>) -> Vec<WireView<'i>> {
    a.inventory().tls.iter().zip(a.wire()).map(|(o, t)| view(a, o, t)).collect()
}

fn view<'i>(a: &Analysis<'i>, o: &'i TlsObservation, t: &WireTarget) -> WireView<'i> {
    let mut v = WireView {
        o,
        subject: subject("TlsEndpoint", None, &endpoint(o)),
        evidence: vec![observed_at(o)],
        mapped: t.mapped(),
        requires_client_cert: None,
        expects_tls: None,
        spiffe_ids: Vec::new(),
        paths: t.paths.iter().map(|&i| a.paths()[i].id.clone()).collect(),
    };
    let Some(r) = &o.maps_to else { return v };
    v.subject = subject(&r.kind, r.namespace.as_deref(), &r.name);
    let inv = a.inventory();
    if let Some((pi, li)) = t.proxy {
        let p = &inv.proxies[pi];
        v.subject = proxy_subject(p);
        if let Some(l) = li.map(|li| &p.listeners[li]) {
            v.evidence.push(crate::paths::backends::at(p, l, l.line));
            v.expects_tls = match l.tls {
                ListenerTls::Terminate => Some((true, "terminates TLS")),
                ListenerTls::Plaintext => Some((false, "listens in plaintext")),
                ListenerTls::Passthrough | ListenerTls::Layer4 => None,
            };
            if l.tls == ListenerTls::Terminate && l.client_cert == ClientCertMode::Required {
                v.requires_client_cert = Some(match p.kind {
                    ProxyKind::Nginx => "`ssl_verify_client on`",
                    ProxyKind::Haproxy => "`verify required`",
                    ProxyKind::Envoy => "`require_client_certificate: true`",
                    ProxyKind::IngressNginx => "`auth-tls-verify-client: on`",
                    ProxyKind::IstioGateway => "`tls.mode: MUTUAL`",
                    ProxyKind::Gateway => "frontend client certificate validation",
                    ProxyKind::AwsAlb => "mutual authentication `verify`",
                    _ => "a required client certificate",
                });
            }
        }
        return v;
    }
    if t.workloads.is_empty() {
        return v;
    }
    v.subject = match t.service {
        Some(si) => {
            let svc = a.estate().services[si];
            subject("Service", Some(svc.meta.ns()), &svc.meta.name)
        }
        None => workload_subject(&a.workloads()[t.workloads[0]]),
    };
    let est = a.estate();
    for &wi in &t.workloads {
        let w = &a.workloads()[wi];
        v.spiffe_ids.push(est.spiffe_id(w.ns, &w.sa));
        if let Some(inbound) = a.inbound(wi)
            && inbound.inbound.transport == Transport::Strict
        {
            v.requires_client_cert = Some("STRICT mesh mTLS");
            v.expects_tls = Some((true, "requires mesh mTLS (STRICT)"));
            v.evidence.extend(inbound.inbound.transport_evidence.iter().cloned());
        }
    }
    v.spiffe_ids.sort();
    v.spiffe_ids.dedup();
    v
}

/// A SPIFFE ID compared as the specification says: scheme and trust domain without regard to
/// case, the path exactly.
pub(super) fn same_spiffe_id(a: &str, b: &str) -> bool {
    let split = |s: &str| -> Option<(String, String)> {
        let rest = s.get(..9).filter(|p| p.eq_ignore_ascii_case("spiffe://")).map(|_| &s[9..])?;
        let (td, path) = rest.split_once('/').map_or((rest, ""), |(t, p)| (t, p));
        Some((td.to_ascii_lowercase(), path.to_owned()))
    };
    matches!((split(a), split(b)), (Some(x), Some(y)) if x == y)
}

/// The reference time of certificate checks: midnight UTC of `--now`.
pub(super) fn now_seconds(a: &Analysis<'_>) -> i64 {
    a.options().today.saturating_mul(crate::tls::DAY)
}

#[cfg(test)]
mod tests {
    #[test]
    fn spiffe_ids_compare_by_the_specification() {
        assert!(super::same_spiffe_id(
            "spiffe://Cluster.Local/ns/a/sa/b",
            "SPIFFE://cluster.local/ns/a/sa/b"
        ));
        assert!(!super::same_spiffe_id(
            "spiffe://cluster.local/ns/a/sa/B",
            "spiffe://cluster.local/ns/a/sa/b"
        ));
        assert!(!super::same_spiffe_id(
            "https://cluster.local/ns/a/sa/b",
            "spiffe://cluster.local/ns/a/sa/b"
        ));
    }
}
