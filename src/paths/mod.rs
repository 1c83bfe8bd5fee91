//! Auth paths and their hops: how a caller is authenticated where it arrives, and what becomes
//! of its workload identity.

pub mod backends;
pub mod cluster;
pub mod port_tls;
pub mod proxies;
pub mod set;
pub mod wire;

use ztpath_probes::{ClientTlsMode, Source};
use ztpath_reports::{AuthMethod, Evidence, Hop, IdentityState, VerdictOrigin};

use crate::resolve::estate::{Estate, Mesh, WorkloadView};
use crate::resolve::mesh::{Admission, Inbound, MeshIndex, Transport};

/// Container ports a workload serves on: the target ports of the Services selecting it, else
/// its declared container ports.
pub fn serving_ports(estate: &Estate<'_>, w: &WorkloadView<'_>) -> Vec<u32> {
    let mut ports = Vec::new();
    for &si in &w.services {
        for p in &estate.services[si].ports {
            if let Some(port) = resolve_target_port(w, &p.target_port) {
                ports.push(port);
            }
        }
    }
    if ports.is_empty() {
        ports.extend(w.w.pod.containers.iter().flat_map(|c| c.ports.iter().map(|p| p.port)));
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// A Service `targetPort` (number or container port name) → container port number.
pub fn resolve_target_port(w: &WorkloadView<'_>, target: &str) -> Option<u32> {
    target.parse().ok().or_else(|| {
        w.w.pod.containers.iter().flat_map(|c| &c.ports).find(|p| p.name == target).map(|p| p.port)
    })
}

/// The weakest inbound verdict over a workload's serving ports, with the port it applies to.
pub fn weakest_inbound<'a>(
    mesh: &MeshIndex<'a>,
    estate: &Estate<'a>,
    w: &WorkloadView<'a>,
) -> (Inbound, Option<u32>) {
    let ports = serving_ports(estate, w);
    if ports.is_empty() {
        return (mesh.inbound(estate, w, None), None);
    }
    let mut worst: Option<(Inbound, Option<u32>)> = None;
    for port in ports {
        let inbound = mesh.inbound(estate, w, Some(port));
        let weaker = match &worst {
            None => true,
            Some((cur, _)) => {
                inbound.transport < cur.transport
                    || (inbound.transport == cur.transport && inbound.admission > cur.admission)
            }
        };
        if weaker {
            worst = Some((inbound, Some(port)));
        }
    }
    worst.expect("ports is not empty")
}

pub fn evidence(sources: &[Source]) -> Vec<Evidence> {
    let mut ev: Vec<Evidence> =
        sources.iter().map(|s| Evidence { file: (&s.file).into(), line: s.line }).collect();
    ev.sort();
    ev.dedup();
    ev
}

/// The hop from a zone (any caller that can reach the workload's address) into a workload.
pub fn zone_hop(
    from: &str,
    w: &WorkloadView<'_>,
    inbound: &Inbound,
    port: Option<u32>,
    zone_detail: &str,
) -> Hop {
    let port_note = port.map(|p| format!(" on port {p}")).unwrap_or_default();
    let (auth, identity, what) = match inbound.transport {
        Transport::Plaintext => (AuthMethod::Plaintext, IdentityState::Lost, "accepts plaintext"),
        Transport::Optional => {
            (AuthMethod::OptionalMtls, IdentityState::Lost, "accepts plaintext as well as mTLS")
        }
        Transport::Strict => (
            AuthMethod::MeshMtls,
            IdentityState::Preserved,
            match inbound.admission {
                Admission::Named => "requires mTLS and admits named identities only",
                _ => "requires mTLS but admits any authenticated mesh identity",
            },
        ),
    };
    let mut sources = inbound.transport_evidence.clone();
    sources.extend(inbound.admission_evidence.iter().cloned());
    Hop {
        from: from.into(),
        to: w.id.clone(),
        via: Some(zone_detail.into()),
        auth,
        identity,
        detail: format!(
            "{} {what}{port_note}: {}; {}",
            w.display(),
            inbound.transport_reason,
            inbound.admission_reason
        )
        .into(),
        evidence: evidence(&sources),
        origin: VerdictOrigin::Receiver,
    }
}

/// What the caller side adds: a DestinationRule that overrides mTLS.
pub struct ClientSide {
    pub tls: Option<(ClientTlsMode, Source, String)>,
}

/// The hop of a call from `caller` to `target` through a Service.
pub fn call_hop(
    caller: &WorkloadView<'_>,
    target: &WorkloadView<'_>,
    via: String,
    inbound: &Inbound,
    client: &ClientSide,
    static_credential: Option<(String, Source)>,
    reference: &Source,
) -> Hop {
    let mut sources = vec![reference.clone()];
    sources.extend(inbound.transport_evidence.iter().cloned());
    let refused = |why: String| (AuthMethod::MeshMtls, IdentityState::Unknown, why);
    // Between Istio sidecars, a DestinationRule's TLS mode other than ISTIO_MUTUAL decides the hop.
    let origin = match (caller.mesh, target.mesh, &client.tls) {
        (
            Mesh::Istio,
            Mesh::Istio,
            Some((ClientTlsMode::Disable | ClientTlsMode::Simple | ClientTlsMode::Mutual, ..)),
        ) => VerdictOrigin::CallerTlsSetting,
        _ => VerdictOrigin::Receiver,
    };
    let (mut auth, mut identity, mut detail) = match (caller.mesh, target.mesh) {
        (_, Mesh::None) => (
            AuthMethod::Plaintext,
            IdentityState::Lost,
            format!(
                "{} has no mesh sidecar, so {} arrives unauthenticated",
                target.display(),
                caller.display()
            ),
        ),
        (Mesh::Istio, Mesh::Istio) => match &client.tls {
            Some((ClientTlsMode::Disable, src, name)) => {
                sources.push(src.clone());
                if inbound.transport == Transport::Strict {
                    refused(format!("{name} disables TLS towards a STRICT workload: the call is refused"))
                } else {
                    (
                        AuthMethod::Plaintext,
                        IdentityState::Lost,
                        format!(
                            "{name} sets tls.mode DISABLE, overriding auto mTLS: the caller's identity is dropped"
                        ),
                    )
                }
            }
            Some((ClientTlsMode::Simple, src, name)) => {
                sources.push(src.clone());
                (
                    AuthMethod::Unknown,
                    IdentityState::Lost,
                    format!(
                        "{name} sets tls.mode SIMPLE: TLS without a client certificate, so the callee cannot see who called"
                    ),
                )
            }
            Some((ClientTlsMode::Mutual, src, name)) => {
                sources.push(src.clone());
                (
                    AuthMethod::Unknown,
                    IdentityState::Terminated,
                    format!(
                        "{name} sets tls.mode MUTUAL with its own certificate, which replaces the workload identity"
                    ),
                )
            }
            _ => match inbound.transport {
                Transport::Plaintext => (
                    AuthMethod::Plaintext,
                    IdentityState::Lost,
                    format!("{}: plaintext", inbound.transport_reason),
                ),
                _ => (
                    AuthMethod::MeshMtls,
                    IdentityState::Preserved,
                    format!("Istio mTLS between sidecars carries {}'s identity", caller.display()),
                ),
            },
        },
        (Mesh::Linkerd, Mesh::Linkerd) => match inbound.transport {
            Transport::Plaintext => {
                (AuthMethod::Plaintext, IdentityState::Lost, inbound.transport_reason.clone())
            }
            _ => (
                AuthMethod::MeshMtls,
                IdentityState::Preserved,
                format!("Linkerd mTLS carries {}'s identity", caller.display()),
            ),
        },
        (caller_mesh, _) => {
            let why = if caller_mesh == Mesh::None {
                format!("{} has no mesh sidecar and sends plaintext", caller.display())
            } else {
                format!(
                    "{} is in {}, {} in another mesh, so no mTLS is negotiated",
                    caller.display(),
                    caller_mesh.as_str(),
                    target.display()
                )
            };
            match inbound.transport {
                Transport::Strict => {
                    refused(format!("{why}; {} requires mTLS and refuses it", target.display()))
                }
                _ => (
                    AuthMethod::Plaintext,
                    IdentityState::Lost,
                    format!("{why}; {} accepts it ({})", target.display(), inbound.transport_reason),
                ),
            }
        }
    };
    if let Some((name, src)) = static_credential {
        sources.push(src);
        if matches!(auth, AuthMethod::Plaintext | AuthMethod::Unknown) {
            auth = AuthMethod::StaticSecret;
            identity = IdentityState::Lost;
        }
        detail.push_str(&format!("; the caller also presents the static credential {name}"));
    }
    if inbound.admission == Admission::Nobody {
        detail.push_str(&format!("; {}", inbound.admission_reason));
    }
    Hop {
        from: caller.id.clone(),
        to: target.id.clone(),
        via: Some(via.into()),
        auth,
        identity,
        detail: detail.into(),
        evidence: evidence(&sources),
        origin,
    }
}

/// Weakness order for the path verdict: the lower, the weaker ([`AuthMethod::strength`], the
/// order the report documents).
pub fn auth_strength(a: AuthMethod) -> u8 {
    a.strength()
}

/// Weakness order for the identity state ([`IdentityState::strength`]).
pub fn identity_strength(i: IdentityState) -> u8 {
    i.strength()
}
