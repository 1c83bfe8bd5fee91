//! What a workload's inbound side demands of its callers: the transport it accepts (mTLS
//! required, optional, or plaintext) and whether it checks who the caller is.
//!
//! Istio and Linkerd semantics follow docs/semantics.md#istio and docs/semantics.md#linkerd: Istio
//! PeerAuthentication resolves workload > namespace > mesh and defaults to PERMISSIVE; an Istio
//! workload with no ALLOW policy admits everyone, `spec: {}` admits no one, `rules: [{}]` admits
//! everyone. Linkerd's default inbound policy is `all-unauthenticated` unless an annotation or the
//! install says otherwise, and once a Server covers a port only its authorizations admit callers.

use rustc_hash::FxHashMap as HashMap;

use ztpath_probes::{
    AuthzAction, ClientTlsMode, DestinationRule, IstioAuthorizationPolicy, IstioRule,
    LinkerdAuthorizationPolicy, LinkerdServer, MtlsMode, PeerAuthentication, ServerAuthorization, Source,
};

use crate::resolve::estate::{Estate, Mesh, WorkloadView};

/// What the server side accepts on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transport {
    /// Plaintext accepted and nothing better offered (no mesh, DISABLE, skipped port).
    Plaintext,
    /// mTLS used when the caller can, plaintext accepted (PERMISSIVE, Linkerd unauthenticated).
    Optional,
    /// Only mTLS with a mesh identity.
    Strict,
}

/// Who is admitted, as far as identity goes; ordered from the narrowest to the widest.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Admission {
    /// No one is admitted (Istio `spec: {}`, Linkerd `deny`, a Server with no authorization).
    Nobody,
    /// Callers are admitted by name (principals, namespaces, service accounts, JWT principals).
    Named,
    /// An external authorizer decides (Istio CUSTOM).
    External,
    /// Any authenticated mesh workload is admitted (no names).
    AnyMeshed,
    /// Anyone who can reach the port is admitted.
    Anyone,
}

/// The inbound verdict for one workload port, with the reason and the deciding configuration.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub transport: Transport,
    pub transport_reason: String,
    pub transport_evidence: Vec<Source>,
    pub admission: Admission,
    /// True when `admission` comes from an explicit allow-all object (reported by ZT003).
    pub admission_explicit: bool,
    pub admission_reason: String,
    pub admission_evidence: Vec<Source>,
}

/// Per-namespace indexes of mesh policy, built once.
pub struct MeshIndex<'a> {
    pa: HashMap<&'a str, Vec<&'a PeerAuthentication>>,
    authz: HashMap<&'a str, Vec<&'a IstioAuthorizationPolicy>>,
    dr_by_host: HashMap<String, Vec<&'a DestinationRule>>,
    servers: HashMap<&'a str, Vec<&'a LinkerdServer>>,
    server_authz: HashMap<&'a str, Vec<&'a ServerAuthorization>>,
    l5d_policies: HashMap<&'a str, Vec<&'a LinkerdAuthorizationPolicy>>,
}

impl<'a> MeshIndex<'a> {
    pub fn new(estate: &Estate<'a>) -> MeshIndex<'a> {
        let inv = estate.inv;
        let mut idx = MeshIndex {
            pa: HashMap::default(),
            authz: HashMap::default(),
            dr_by_host: HashMap::default(),
            servers: HashMap::default(),
            server_authz: HashMap::default(),
            l5d_policies: HashMap::default(),
        };
        for p in &inv.istio.peer_authentications {
            idx.pa.entry(p.meta.ns()).or_default().push(p);
        }
        // Istio: among several matching workload policies the oldest wins; sort by creation time
        // (absent timestamps keep input order, which is stable).
        for list in idx.pa.values_mut() {
            list.sort_by(|a, b| match (&a.meta.creation_timestamp, &b.meta.creation_timestamp) {
                (Some(x), Some(y)) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            });
        }
        for p in &inv.istio.authorization_policies {
            idx.authz.entry(p.meta.ns()).or_default().push(p);
        }
        for d in &inv.istio.destination_rules {
            let host = normalize_host(&d.host, d.meta.ns());
            idx.dr_by_host.entry(host).or_default().push(d);
        }
        for s in &inv.linkerd.servers {
            idx.servers.entry(s.meta.ns()).or_default().push(s);
        }
        for s in &inv.linkerd.server_authorizations {
            idx.server_authz.entry(s.meta.ns()).or_default().push(s);
        }
        for p in &inv.linkerd.authorization_policies {
            idx.l5d_policies.entry(p.meta.ns()).or_default().push(p);
        }
        idx
    }

    /// The inbound verdict for a workload on a container port (`None`: the workload as a whole).
    pub fn inbound(&self, estate: &Estate<'a>, w: &WorkloadView<'a>, port: Option<u32>) -> Inbound {
        match w.mesh {
            Mesh::None => Inbound {
                transport: Transport::Plaintext,
                transport_reason: format!(
                    "no mesh sidecar ({}), so callers are not authenticated by the transport",
                    w.mesh_reason
                ),
                transport_evidence: vec![w.meta().source.clone()],
                admission: Admission::Anyone,
                admission_explicit: false,
                admission_reason: "no mesh proxy enforces any authorization policy".to_owned(),
                admission_evidence: vec![w.meta().source.clone()],
            },
            Mesh::Istio => self.istio_inbound(estate, w, port),
            Mesh::Linkerd => self.linkerd_inbound(estate, w, port),
        }
    }

    fn istio_inbound(&self, estate: &Estate<'a>, w: &WorkloadView<'a>, port: Option<u32>) -> Inbound {
        let labels = &w.w.pod.labels;
        let root = estate.istio_root.as_str();
        let selected = |p: &&&PeerAuthentication| {
            p.selector.as_ref().is_some_and(|s| s.iter().all(|(k, v)| labels.get(k) == Some(v)))
        };
        let in_ns = self.pa.get(w.ns).map_or(&[][..], Vec::as_slice);
        // Workload-level policies in the root namespace are ignored by Istio.
        let workload_pa = if w.ns == root { None } else { in_ns.iter().find(selected) };
        let ns_pa = in_ns.iter().find(|p| p.selector.is_none() && w.ns != root);
        let mesh_pa = self.pa.get(root).and_then(|l| l.iter().find(|p| p.selector.is_none()));

        let mut mode = MtlsMode::Unset;
        let mut reason = String::new();
        let mut evidence = Vec::new();
        if let Some(p) = workload_pa {
            if let Some(m) = port.and_then(|port| p.port_level.get(&port)).filter(|m| **m != MtlsMode::Unset)
            {
                mode = *m;
                reason = format!(
                    "port {} of PeerAuthentication {}/{} sets {}",
                    port.unwrap_or(0),
                    w.ns,
                    p.meta.name,
                    mode_name(*m)
                );
                evidence.push(p.meta.source.clone());
            } else if p.mode != MtlsMode::Unset {
                mode = p.mode;
                reason = format!(
                    "workload PeerAuthentication {}/{} sets {}",
                    w.ns,
                    p.meta.name,
                    mode_name(p.mode)
                );
                evidence.push(p.meta.source.at(p.mode_line));
            }
        }
        for (scope, pa) in [("namespace", ns_pa), ("mesh-wide", mesh_pa)] {
            if mode != MtlsMode::Unset {
                break;
            }
            if let Some(p) = pa
                && p.mode != MtlsMode::Unset
            {
                mode = p.mode;
                reason = format!(
                    "{scope} PeerAuthentication {}/{} sets {}",
                    p.meta.ns(),
                    p.meta.name,
                    mode_name(p.mode)
                );
                evidence.push(p.meta.source.at(p.mode_line));
            }
        }
        let transport = match mode {
            MtlsMode::Strict => Transport::Strict,
            MtlsMode::Disable => Transport::Plaintext,
            MtlsMode::Permissive => Transport::Optional,
            MtlsMode::Unset => {
                reason =
                    "no PeerAuthentication sets a mode for it, and Istio's default is PERMISSIVE".to_owned();
                evidence.push(w.meta().source.clone());
                Transport::Optional
            }
        };
        let (admission, explicit, admission_reason, admission_evidence) = self.istio_admission(estate, w);
        Inbound {
            transport,
            transport_reason: reason,
            transport_evidence: evidence,
            admission,
            admission_explicit: explicit,
            admission_reason,
            admission_evidence,
        }
    }

    /// Istio authorization: CUSTOM → external; ALLOW policies decide who gets in.
    fn istio_admission(
        &self,
        estate: &Estate<'a>,
        w: &WorkloadView<'a>,
    ) -> (Admission, bool, String, Vec<Source>) {
        let labels = &w.w.pod.labels;
        let root = estate.istio_root.as_str();
        let applies = |p: &&&IstioAuthorizationPolicy| {
            p.target_refs.is_empty()
                && !istio_dry_run(p)
                && p.selector.as_ref().is_none_or(|s| s.iter().all(|(k, v)| labels.get(k) == Some(v)))
        };
        let own = self.authz.get(w.ns).map_or(&[][..], Vec::as_slice);
        let mesh_wide =
            if w.ns == root { &[][..] } else { self.authz.get(root).map_or(&[][..], Vec::as_slice) };
        let policies: Vec<&IstioAuthorizationPolicy> =
            own.iter().chain(mesh_wide).filter(applies).copied().collect();

        if let Some(p) = policies.iter().find(|p| p.action == AuthzAction::Custom) {
            return (
                Admission::External,
                false,
                format!(
                    "CUSTOM AuthorizationPolicy {}/{} delegates the decision to an external authorizer",
                    p.meta.ns(),
                    p.meta.name
                ),
                vec![p.meta.source.clone()],
            );
        }
        let allows: Vec<&IstioAuthorizationPolicy> =
            policies.iter().filter(|p| p.action == AuthzAction::Allow).copied().collect();
        if allows.is_empty() {
            let denies = policies.iter().filter(|p| p.action == AuthzAction::Deny).count();
            let note = if denies > 0 {
                format!(" ({denies} DENY policies subtract callers but name none that are allowed)")
            } else {
                String::new()
            };
            return (
                Admission::Anyone,
                false,
                format!("no Istio ALLOW AuthorizationPolicy selects it, so every caller is allowed{note}"),
                vec![w.meta().source.clone()],
            );
        }
        // The weakest ALLOW rule decides.
        let mut worst: Option<(Admission, bool, String, Source)> = None;
        let mut any_rule = false;
        for p in &allows {
            for rule in p.rules.iter().flatten() {
                any_rule = true;
                let (adm, why) = classify_istio_rule(rule);
                if adm != Admission::Named && worst.as_ref().is_none_or(|(a, ..)| adm > *a) {
                    let explicit = adm == Admission::AnyMeshed
                        || rule.from.is_empty() && rule.to.is_empty() && rule.when.is_empty();
                    worst = Some((
                        adm,
                        explicit,
                        format!("ALLOW AuthorizationPolicy {}/{}: {why}", p.meta.ns(), p.meta.name),
                        p.meta.source.at(rule.line.max(p.spec_line)),
                    ));
                }
            }
        }
        if !any_rule {
            let p = allows[0];
            return (
                Admission::Nobody,
                false,
                format!(
                    "ALLOW AuthorizationPolicy {}/{} has no rules, which allows nothing",
                    p.meta.ns(),
                    p.meta.name
                ),
                vec![p.meta.source.clone()],
            );
        }
        match worst {
            Some((adm, explicit, why, src)) => (adm, explicit, why, vec![src]),
            None => (
                Admission::Named,
                false,
                format!(
                    "ALLOW AuthorizationPolicy {} names the callers it admits",
                    allows
                        .iter()
                        .map(|p| format!("{}/{}", p.meta.ns(), p.meta.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                allows.iter().map(|p| p.meta.source.clone()).collect(),
            ),
        }
    }

    fn linkerd_inbound(&self, estate: &Estate<'a>, w: &WorkloadView<'a>, port: Option<u32>) -> Inbound {
        let pod = &w.w.pod;
        // skip-inbound-ports bypass the proxy entirely: plaintext, no policy.
        let skip = pod
            .annotations
            .get("config.linkerd.io/skip-inbound-ports")
            .or_else(|| estate.namespace_annotations(w.ns).get("config.linkerd.io/skip-inbound-ports"));
        if let (Some(list), Some(port)) = (skip, port)
            && port_list_contains(list, port)
        {
            return Inbound {
                transport: Transport::Plaintext,
                transport_reason: format!(
                    "port {port} is in config.linkerd.io/skip-inbound-ports ({list}), so traffic bypasses the Linkerd proxy: no mTLS, no policy"
                ),
                transport_evidence: vec![w.meta().source.at(pod.line)],
                admission: Admission::Anyone,
                admission_explicit: false,
                admission_reason: format!("port {port} bypasses the proxy, so no Linkerd policy applies"),
                admission_evidence: vec![w.meta().source.at(pod.line)],
            };
        }
        // A Server covering the port replaces the default policy for it.
        let container_ports: Vec<(&str, u32)> =
            pod.containers.iter().flat_map(|c| c.ports.iter().map(|p| (p.name.as_str(), p.port))).collect();
        let servers: Vec<&LinkerdServer> = self
            .servers
            .get(w.ns)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|s| s.pod_selector.as_ref().is_some_and(|sel| sel.matches(&pod.labels)))
            .filter(|s| match port {
                None => true,
                Some(port) => {
                    s.port == port.to_string()
                        || container_ports.iter().any(|(n, p)| *p == port && !n.is_empty() && *n == s.port)
                }
            })
            .copied()
            .collect();
        if let Some(server) = servers.first() {
            return self.linkerd_server_inbound(estate, w, server);
        }
        let (policy, origin, src) = default_inbound_policy(estate, w);
        let (transport, admission) = match policy.as_str() {
            "all-authenticated" | "cluster-authenticated" => (Transport::Strict, Admission::AnyMeshed),
            "deny" => (Transport::Strict, Admission::Nobody),
            // all-unauthenticated, cluster-unauthenticated, audit, and anything unknown
            _ => (Transport::Optional, Admission::Anyone),
        };
        let explicit = origin != "Linkerd's built-in default" && policy == "all-unauthenticated";
        // A value Linkerd does not know is not repeated: an annotation can hold anything.
        const KNOWN: &[&str] = &[
            "all-unauthenticated",
            "cluster-unauthenticated",
            "all-authenticated",
            "cluster-authenticated",
            "deny",
            "audit",
        ];
        let policy = if KNOWN.contains(&policy.as_str()) {
            format!("`{policy}` ({origin})")
        } else {
            format!("(an unknown value in the {origin}, read as `all-unauthenticated`)")
        };
        Inbound {
            transport,
            transport_reason: format!(
                "Linkerd default inbound policy {policy}{}",
                if transport == Transport::Optional {
                    ": meshed callers get mTLS, unmeshed callers are accepted in plaintext"
                } else {
                    ""
                }
            ),
            transport_evidence: vec![src.clone()],
            admission,
            admission_explicit: explicit,
            admission_reason: format!("Linkerd default inbound policy {policy} names no caller identities"),
            admission_evidence: vec![src],
        }
    }

    fn linkerd_server_inbound(
        &self,
        estate: &Estate<'a>,
        w: &WorkloadView<'a>,
        server: &LinkerdServer,
    ) -> Inbound {
        let ns = w.ns;
        let server_src = server.meta.source.clone();
        let mut best: Option<(Admission, bool, String, Source)> = None;
        let mut consider = |adm: Admission, explicit: bool, why: String, src: Source| {
            // Several authorizations add up: the widest admission decides.
            if best.as_ref().is_none_or(|(a, ..)| adm > *a) {
                best = Some((adm, explicit, why, src));
            }
        };
        for sa in self.server_authz.get(ns).map_or(&[][..], Vec::as_slice) {
            let targets = sa.server_name.as_deref() == Some(server.meta.name.as_str())
                || sa.server_selector.as_ref().is_some_and(|sel| sel.matches(&server.meta.labels));
            if !targets {
                continue;
            }
            let src = sa.meta.source.at(sa.client_line.max(sa.meta.source.line));
            let name = format!("ServerAuthorization {ns}/{}", sa.meta.name);
            if sa.unauthenticated {
                consider(Admission::Anyone, true, format!("{name} allows unauthenticated clients"), src);
            } else if sa.unauthenticated_tls || sa.identities.iter().any(|i| i == "*") {
                consider(Admission::AnyMeshed, true, format!("{name} allows any TLS/meshed client"), src);
            } else if !sa.networks.is_empty() && sa.identities.is_empty() && sa.service_accounts.is_empty() {
                consider(
                    Admission::Anyone,
                    false,
                    format!("{name} admits by network ({}) only", sa.networks.join(", ")),
                    src,
                );
            } else {
                consider(Admission::Named, false, format!("{name} names its clients"), src);
            }
        }
        for p in self.l5d_policies.get(ns).map_or(&[][..], Vec::as_slice) {
            let t = &p.target;
            let targets = (t.kind == "Server" && t.name == server.meta.name) || t.kind == "Namespace";
            if !targets {
                continue;
            }
            let (adm, explicit, why) = classify_linkerd_policy(estate, p);
            consider(
                adm,
                explicit,
                format!("AuthorizationPolicy {ns}/{}: {why}", p.meta.name),
                p.meta.source.clone(),
            );
        }
        let (admission, explicit, reason, src) = match best {
            Some(b) => b,
            None => match server.access_policy.as_deref() {
                Some(ap @ ("all-unauthenticated" | "cluster-unauthenticated")) => (
                    Admission::Anyone,
                    ap == "all-unauthenticated",
                    format!("Server {ns}/{} has accessPolicy `{ap}` and no authorization", server.meta.name),
                    server_src.clone(),
                ),
                Some(ap @ ("all-authenticated" | "cluster-authenticated")) => (
                    Admission::AnyMeshed,
                    false,
                    format!(
                        "Server {ns}/{} has accessPolicy `{ap}` and no authorization naming clients",
                        server.meta.name
                    ),
                    server_src.clone(),
                ),
                _ => (
                    Admission::Nobody,
                    false,
                    format!(
                        "Server {ns}/{} has no authorization, so its port denies every caller",
                        server.meta.name
                    ),
                    server_src.clone(),
                ),
            },
        };
        let transport = if admission == Admission::Anyone { Transport::Optional } else { Transport::Strict };
        Inbound {
            transport,
            transport_reason: format!(
                "Linkerd Server {ns}/{} covers the port; {}",
                server.meta.name,
                if transport == Transport::Optional {
                    "its authorizations admit unauthenticated (plaintext) clients"
                } else {
                    "only meshed clients with mTLS are admitted"
                }
            ),
            transport_evidence: vec![server_src, src.clone()],
            admission,
            admission_explicit: explicit,
            admission_reason: reason,
            admission_evidence: vec![src],
        }
    }

    /// DestinationRules that set client TLS for calls to a service host (`svc.ns.svc.cluster.local`),
    /// as seen from a caller in `caller_ns`. Returns the mode and where it is set.
    pub fn client_tls(
        &self,
        host_fqdn: &str,
        caller_ns: &str,
        root: &str,
    ) -> Option<(ClientTlsMode, Source, String)> {
        let rules = self.dr_by_host.get(host_fqdn)?;
        // Istio looks up DestinationRules in the caller's namespace, then the service's, then the root.
        let service_ns = host_fqdn.split('.').nth(1).unwrap_or("");
        for ns in [caller_ns, service_ns, root] {
            if let Some(d) = rules.iter().find(|d| d.meta.ns() == ns && d.workload_selector.is_none()) {
                if let Some((mode, line)) = d.tls_mode {
                    return Some((
                        mode,
                        d.meta.source.at(line),
                        format!("DestinationRule {}/{}", d.meta.ns(), d.meta.name),
                    ));
                }
                return None;
            }
        }
        None
    }
}

fn classify_istio_rule(rule: &IstioRule) -> (Admission, String) {
    if rule.from.is_empty() {
        if rule.to.is_empty() && rule.when.is_empty() {
            return (Admission::Anyone, "an empty rule matches every request".to_owned());
        }
        return (
            Admission::Anyone,
            "a rule with no `from` admits every caller for its operations".to_owned(),
        );
    }
    let mut worst = (Admission::Named, String::new());
    for s in &rule.from {
        let star = |l: &[String]| l.iter().any(|v| v == "*");
        let (adm, why) = if star(&s.principals) || star(&s.namespaces) {
            (
                Admission::AnyMeshed,
                "`principals`/`namespaces` of `*` admit any authenticated workload".to_owned(),
            )
        } else if !s.principals.is_empty()
            || !s.namespaces.is_empty()
            || !s.service_accounts.is_empty()
            || !s.request_principals.is_empty()
        {
            (Admission::Named, String::new())
        } else if !s.ip_blocks.is_empty() || !s.remote_ip_blocks.is_empty() {
            (
                Admission::Anyone,
                "a source that names only IP blocks admits by address, not identity".to_owned(),
            )
        } else {
            (Admission::Anyone, "a source that names no identity admits every caller".to_owned())
        };
        if adm > worst.0 {
            worst = (adm, why);
        }
    }
    worst
}

fn classify_linkerd_policy(estate: &Estate<'_>, p: &LinkerdAuthorizationPolicy) -> (Admission, bool, String) {
    let inv = estate.inv;
    let mut names = Vec::new();
    let mut adm = Admission::Named;
    let mut explicit = false;
    if p.required_authentications.is_empty() {
        return (Admission::Anyone, true, "requires no authentication".to_owned());
    }
    for r in &p.required_authentications {
        let ns = r.namespace.as_deref().unwrap_or(p.meta.ns());
        match r.kind.as_str() {
            "MeshTLSAuthentication" => {
                if let Some(m) = inv.linkerd.mesh_tls_authentication(ns, &r.name) {
                    if m.identities.iter().any(|i| i == "*") {
                        adm = Admission::AnyMeshed;
                        explicit = true;
                        names.push(format!(
                            "MeshTLSAuthentication {} admits any meshed identity (`*`)",
                            r.name
                        ));
                    } else {
                        names.push(format!("MeshTLSAuthentication {} names identities", r.name));
                    }
                } else {
                    names.push(format!("MeshTLSAuthentication {} (not in the input)", r.name));
                }
            }
            "NetworkAuthentication" => {
                let open = inv.linkerd.network_authentication(ns, &r.name).is_some_and(|n| {
                    n.networks.iter().any(|(cidr, _)| cidr == "0.0.0.0/0" || cidr == "::/0")
                });
                // A network authentication alone admits by address: anyone on those networks.
                if p.required_authentications.len() == 1 {
                    adm = Admission::Anyone;
                    explicit = open;
                }
                names.push(format!(
                    "NetworkAuthentication {}{}",
                    r.name,
                    if open { " allows every address" } else { " admits by address" }
                ));
            }
            "ServiceAccount" => names.push(format!("ServiceAccount {}", r.name)),
            other => names.push(format!("{other} {}", r.name)),
        }
    }
    (adm, explicit, names.join("; "))
}

/// An Istio AuthorizationPolicy annotated `istio.io/dry-run: "true"` is evaluated and logged but
/// not enforced.
pub fn istio_dry_run(p: &IstioAuthorizationPolicy) -> bool {
    p.meta.annotations.get("istio.io/dry-run").is_some_and(|v| v == "true")
}

/// The annotation (on a Namespace or a pod template) that sets Linkerd's default inbound policy.
pub const LINKERD_DEFAULT_POLICY: &str = "config.linkerd.io/default-inbound-policy";

/// Does an explicit annotation set Linkerd's default inbound policy to admit anyone?
pub fn linkerd_admits_all(annotations: &ztpath_probes::StringMap) -> bool {
    annotations.get(LINKERD_DEFAULT_POLICY).is_some_and(|v| v == "all-unauthenticated")
}

fn default_inbound_policy(estate: &Estate<'_>, w: &WorkloadView<'_>) -> (String, String, Source) {
    const KEY: &str = LINKERD_DEFAULT_POLICY;
    if let Some(v) = w.w.pod.annotations.get(KEY) {
        return (v.clone(), "pod annotation".to_owned(), w.meta().source.at(w.w.pod.line));
    }
    if let Some(v) = estate.namespace_annotations(w.ns).get(KEY) {
        let src = estate
            .inv
            .namespaces
            .iter()
            .find(|n| n.meta.name == w.ns)
            .map_or_else(|| w.meta().source.clone(), |n| n.meta.source.clone());
        return (v.clone(), format!("namespace {} annotation", w.ns), src);
    }
    if let Some((v, src)) = &estate.inv.linkerd.cluster_default_policy {
        return (v.clone(), "cluster default from linkerd-config".to_owned(), src.clone());
    }
    ("all-unauthenticated".to_owned(), "Linkerd's built-in default".to_owned(), w.meta().source.clone())
}

/// Is `port` in a Linkerd port list such as `"25,587,4190-4191"`?
pub fn port_list_contains(list: &str, port: u32) -> bool {
    list.split(',').map(str::trim).any(|item| match item.split_once('-') {
        Some((a, b)) => {
            a.parse::<u32>().is_ok_and(|a| a <= port) && b.parse::<u32>().is_ok_and(|b| port <= b)
        }
        None => item.parse::<u32>() == Ok(port),
    })
}

/// `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local` → `svc.ns.svc.cluster.local`.
pub fn normalize_host(host: &str, ns: &str) -> String {
    let parts: Vec<&str> = host.split('.').collect();
    match parts.len() {
        1 => format!("{host}.{ns}.svc.cluster.local"),
        2 => format!("{host}.svc.cluster.local"),
        3 if parts[2] == "svc" => format!("{host}.cluster.local"),
        _ => host.to_owned(),
    }
}

/// Istio's name of an mTLS mode.
pub fn mode_name(m: MtlsMode) -> &'static str {
    match m {
        MtlsMode::Unset => "UNSET",
        MtlsMode::Disable => "DISABLE",
        MtlsMode::Permissive => "PERMISSIVE",
        MtlsMode::Strict => "STRICT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists() {
        assert!(port_list_contains("25,587,4190-4191", 4190));
        assert!(port_list_contains("8080", 8080));
        assert!(!port_list_contains("25, 587", 80));
    }

    #[test]
    fn hosts_normalize() {
        assert_eq!(normalize_host("cart", "shop"), "cart.shop.svc.cluster.local");
        assert_eq!(normalize_host("cart.shop", "x"), "cart.shop.svc.cluster.local");
        assert_eq!(normalize_host("cart.shop.svc.cluster.local", "x"), "cart.shop.svc.cluster.local");
    }
}
