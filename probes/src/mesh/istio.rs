//! Istio security and traffic policy: PeerAuthentication, AuthorizationPolicy,
//! RequestAuthentication, DestinationRule, and the mesh settings held in the `istio` ConfigMap.
//!
//! The reader keeps facts as written and only fills in the defaults the API itself defines (an
//! absent `action` is ALLOW, an absent `mtls.mode` is UNSET, a `tls` block without `mode` is
//! DISABLE). Three shapes of `rules` mean different things and are kept apart: absent (`None`),
//! `rules: []` (`Some(vec![])`) and `rules: [{}]` (one empty rule that matches every request).
//!
//! Other Istio kinds (Gateway, Sidecar, VirtualService, ServiceEntry, EnvoyFilter, …) are not
//! read here; they are counted as skipped.

use std::collections::BTreeMap;

use crate::common::match_labels;
use crate::inventory::{
    AuthzAction, ClientTlsMode, DestinationRule, Inventory, IstioAuthorizationPolicy, IstioOperation,
    IstioRule, IstioSource, MeshConfig, MtlsMode, ObjectMeta, PeerAuthentication, RequestAuthentication,
};
use crate::yaml::{self, Node, Value};

const SECURITY: &str = "security.istio.io";
const NETWORKING: &str = "networking.istio.io";

/// Reads one object into the inventory; false when the kind is not one of this module's.
pub(crate) fn read(node: &Node, meta: &ObjectMeta, inventory: &mut Inventory) -> bool {
    let group = meta.api_version.split('/').next().unwrap_or_default();
    let spec = node.field("spec");
    let spec_line = line_or(spec, meta.source.line);
    let istio = &mut inventory.istio;
    match (group, meta.kind.as_str()) {
        (SECURITY, "PeerAuthentication") => {
            istio.peer_authentications.push(peer_authentication(spec, spec_line, meta));
        }
        (SECURITY, "AuthorizationPolicy") => {
            istio.authorization_policies.push(authorization_policy(spec, spec_line, meta));
        }
        (SECURITY, "RequestAuthentication") => {
            istio.request_authentications.push(request_authentication(spec, meta));
        }
        (NETWORKING, "DestinationRule") => istio.destination_rules.push(destination_rule(spec, meta)),
        _ => return false,
    }
    true
}

/// Reads the mesh settings from the `mesh` entry of Istio's ConfigMap (`istio` or
/// `istio-<revision>` in the Istio namespace). `mesh_yaml` is the entry's text, itself YAML;
/// `mesh_line` is the line of the entry. `None` when the ConfigMap is not Istio's or the text is
/// not a YAML mapping. Settings left out are `None` (their defaults apply: `istio-system`,
/// `cluster.local`, auto mTLS on).
#[allow(dead_code, reason = "called by the core ConfigMap reader (k8s.rs) once its hook is wired")]
pub(crate) fn mesh_config_from_configmap(
    meta: &ObjectMeta,
    mesh_yaml: &str,
    mesh_line: u32,
) -> Option<MeshConfig> {
    if meta.kind != "ConfigMap" || !(meta.name == "istio" || meta.name.starts_with("istio-")) {
        return None;
    }
    let source = meta.source.at(mesh_line);
    let docs = yaml::parse_documents(mesh_yaml);
    let mesh = match docs.first() {
        // `mesh: ""`: nothing set, every default applies.
        None => {
            return Some(MeshConfig {
                root_namespace: None,
                trust_domain: None,
                enable_auto_mtls: None,
                source,
            });
        }
        Some(Ok(node)) if node.is_map() => node,
        Some(_) => return None,
    };
    let text = |key: &str| mesh.field(key).string().filter(|s| !s.is_empty());
    Some(MeshConfig {
        root_namespace: text("rootNamespace"),
        trust_domain: text("trustDomain"),
        enable_auto_mtls: mesh.field("enableAutoMtls").as_bool(),
        source,
    })
}

fn peer_authentication(spec: &Node, spec_line: u32, meta: &ObjectMeta) -> PeerAuthentication {
    let mode_node = spec.at(&["mtls", "mode"]);
    let mut port_level = BTreeMap::new();
    for (port, setting) in spec.field("portLevelMtls").entries() {
        // Keys are container ports; YAML may write them as numbers or quoted strings.
        if let Ok(port) = port.trim().trim_matches(['"', '\'']).parse::<u32>() {
            port_level.insert(port, mtls_mode(setting.field("mode")));
        }
    }
    PeerAuthentication {
        meta: meta.clone(),
        selector: match_labels(spec.field("selector")),
        mode: mode_node.map_or(MtlsMode::Unset, mtls_mode),
        mode_line: mode_node.map_or(spec_line, |n| line_or(n, spec_line)),
        port_level,
    }
}

/// `UNSET`/`DISABLE`/`PERMISSIVE`/`STRICT` or their enum numbers. Anything else is a value Istio
/// would refuse, so it is read as UNSET (inherit) rather than guessed.
fn mtls_mode(node: &Node) -> MtlsMode {
    match node.as_str().as_deref() {
        Some("DISABLE" | "1") => MtlsMode::Disable,
        Some("PERMISSIVE" | "2") => MtlsMode::Permissive,
        Some("STRICT" | "3") => MtlsMode::Strict,
        _ => MtlsMode::Unset,
    }
}

fn authorization_policy(spec: &Node, spec_line: u32, meta: &ObjectMeta) -> IstioAuthorizationPolicy {
    let mut target_refs: Vec<(String, String)> =
        spec.field("targetRefs").items().iter().filter_map(target_ref).collect();
    if let Some(single) = spec.get("targetRef").and_then(target_ref) {
        target_refs.push(single);
    }
    // `rules:` left empty or `rules: null` is the same as no `rules` key.
    let rules = match spec.get("rules").map(|n| &n.value) {
        Some(Value::Seq(items)) => Some(items.iter().filter_map(rule).collect()),
        _ => None,
    };
    IstioAuthorizationPolicy {
        meta: meta.clone(),
        selector: match_labels(spec.field("selector")),
        target_refs,
        action: authz_action(spec.field("action")),
        provider: spec.at(&["provider", "name"]).and_then(Node::string).filter(|s| !s.is_empty()),
        rules,
        spec_line,
    }
}

fn target_ref(node: &Node) -> Option<(String, String)> {
    let name = node.field("name").string().filter(|s| !s.is_empty())?;
    Some((node.field("kind").string().unwrap_or_default(), name))
}

/// `ALLOW` (also when absent), `DENY`, `AUDIT`, `CUSTOM`, or their enum numbers.
fn authz_action(node: &Node) -> AuthzAction {
    match node.as_str().as_deref() {
        Some("DENY" | "1") => AuthzAction::Deny,
        Some("AUDIT" | "2") => AuthzAction::Audit,
        Some("CUSTOM" | "3") => AuthzAction::Custom,
        _ => AuthzAction::Allow,
    }
}

/// One rule. A `null` entry (`- ` with nothing after it) is read like `{}`: a rule without
/// conditions. Scalars and sequences are not rules and are dropped.
fn rule(node: &Node) -> Option<IstioRule> {
    if !(node.is_map() || node.is_null()) {
        return None;
    }
    let from = node
        .field("from")
        .items()
        .iter()
        .filter(|f| f.is_map() || f.is_null())
        .map(|f| match f.get("source") {
            Some(s) => source(s, line_or(s, f.line)),
            None => IstioSource { line: f.line, ..IstioSource::default() },
        })
        .collect();
    let to = node
        .field("to")
        .items()
        .iter()
        .filter(|t| t.is_map() || t.is_null())
        .map(|t| operation(t.field("operation")))
        .collect();
    let when = node
        .field("when")
        .items()
        .iter()
        .filter(|c| c.is_map())
        .map(|c| {
            (
                c.field("key").string().unwrap_or_default(),
                string_list(c.field("values")),
                string_list(c.field("notValues")),
            )
        })
        .collect();
    Some(IstioRule { from, to, when, line: node.line })
}

fn source(node: &Node, line: u32) -> IstioSource {
    let list = |key: &str| string_list(node.field(key));
    IstioSource {
        principals: list("principals"),
        not_principals: list("notPrincipals"),
        request_principals: list("requestPrincipals"),
        not_request_principals: list("notRequestPrincipals"),
        namespaces: list("namespaces"),
        not_namespaces: list("notNamespaces"),
        service_accounts: list("serviceAccounts"),
        not_service_accounts: list("notServiceAccounts"),
        trust_domains: list("trustDomains"),
        not_trust_domains: list("notTrustDomains"),
        ip_blocks: list("ipBlocks"),
        not_ip_blocks: list("notIpBlocks"),
        remote_ip_blocks: list("remoteIpBlocks"),
        not_remote_ip_blocks: list("notRemoteIpBlocks"),
        line,
    }
}

fn operation(node: &Node) -> IstioOperation {
    let list = |key: &str| string_list(node.field(key));
    IstioOperation {
        hosts: list("hosts"),
        ports: list("ports"),
        methods: list("methods"),
        paths: list("paths"),
        has_negations: ["notHosts", "notPorts", "notMethods", "notPaths"].iter().any(|k| !list(k).is_empty()),
    }
}

fn request_authentication(spec: &Node, meta: &ObjectMeta) -> RequestAuthentication {
    RequestAuthentication {
        meta: meta.clone(),
        selector: match_labels(spec.field("selector")),
        jwt_rules: spec
            .field("jwtRules")
            .items()
            .iter()
            .filter(|r| r.is_map())
            .map(|r| (r.field("issuer").string().unwrap_or_default(), string_list(r.field("audiences"))))
            .collect(),
    }
}

fn destination_rule(spec: &Node, meta: &ObjectMeta) -> DestinationRule {
    let policy = spec.field("trafficPolicy");
    let mut insecure_skip_verify = skips_verify(policy.field("tls"));
    let mut port_tls = Vec::new();
    for setting in policy.field("portLevelSettings").items() {
        let tls = setting.field("tls");
        insecure_skip_verify |= skips_verify(tls);
        let port = setting.at(&["port", "number"]).and_then(Node::as_i64).and_then(|p| u32::try_from(p).ok());
        if let (Some(port), Some((mode, line))) = (port, client_tls(tls)) {
            port_tls.push((port, mode, line));
        }
    }
    let mut subset_tls = Vec::new();
    for subset in spec.field("subsets").items() {
        let sub_policy = subset.field("trafficPolicy");
        insecure_skip_verify |= skips_verify(sub_policy.field("tls"));
        for setting in sub_policy.field("portLevelSettings").items() {
            insecure_skip_verify |= skips_verify(setting.field("tls"));
        }
        let name = subset.field("name").string().unwrap_or_default();
        if let Some((mode, line)) = client_tls(sub_policy.field("tls")) {
            subset_tls.push((name, mode, line));
        }
    }
    DestinationRule {
        meta: meta.clone(),
        host: spec.field("host").string().unwrap_or_default(),
        workload_selector: match_labels(spec.field("workloadSelector")),
        tls_mode: client_tls(policy.field("tls")),
        port_tls,
        subset_tls,
        insecure_skip_verify,
    }
}

/// The mode of a `tls` block with the line of `mode`. A `tls` block without `mode` is DISABLE
/// (the enum's zero value), and Istio applies it as written: it does not fall back to auto mTLS.
/// `None` when there is no `tls` block or the mode is not one Istio accepts.
fn client_tls(tls: &Node) -> Option<(ClientTlsMode, u32)> {
    if !tls.is_map() {
        return None;
    }
    let Some(mode) = tls.get("mode") else {
        return Some((ClientTlsMode::Disable, tls.line));
    };
    let parsed = match mode.as_str().as_deref() {
        Some("DISABLE" | "0") => ClientTlsMode::Disable,
        Some("SIMPLE" | "1") => ClientTlsMode::Simple,
        Some("MUTUAL" | "2") => ClientTlsMode::Mutual,
        Some("ISTIO_MUTUAL" | "3") => ClientTlsMode::IstioMutual,
        _ if mode.is_null() => ClientTlsMode::Disable,
        _ => return None,
    };
    Some((parsed, line_or(mode, tls.line)))
}

fn skips_verify(tls: &Node) -> bool {
    tls.field("insecureSkipVerify").as_bool() == Some(true)
}

/// A list of strings; a lone scalar (a common slip for a one-item list) counts as one item, so a
/// constraint is never silently dropped.
fn string_list(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Seq(_) => node.strings(),
        Value::Null | Value::Map(_) => Vec::new(),
        _ => node.string().into_iter().collect(),
    }
}

/// The node's line, or `fallback` for the placeholder node that stands for a missing field.
fn line_or(node: &Node, fallback: u32) -> u32 {
    if node.line == 0 { fallback } else { node.line }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::files::read_text;
    use crate::inventory::Source;

    fn policies(text: &str) -> Vec<IstioAuthorizationPolicy> {
        read_text("t.yaml", text).istio.authorization_policies
    }

    const AP: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: p\n  namespace: foo\n";

    #[test]
    fn empty_spec_is_an_allow_policy_without_rules() {
        let p = policies(&format!("{AP}spec: {{}}\n"));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].action, AuthzAction::Allow);
        assert_eq!(p[0].rules, None);
        assert_eq!(p[0].selector, None);
        assert_eq!(p[0].spec_line, 6);
        assert_eq!(p[0].meta.source, Source { file: Arc::from("t.yaml"), line: 1 });
        // No spec at all, a null spec and `rules: null` read the same way.
        for tail in ["", "spec:\n", "spec:\n  rules:\n", "spec: {rules: ~}\n"] {
            let p = policies(&format!("{AP}{tail}"));
            assert_eq!((p[0].action, &p[0].rules), (AuthzAction::Allow, &None), "{tail:?}");
        }
    }

    #[test]
    fn empty_rule_list_and_one_empty_rule_differ() {
        let p = policies(&format!("{AP}spec:\n  rules: []\n"));
        assert_eq!(p[0].rules, Some(vec![]));
        let p = policies(&format!("{AP}spec:\n  rules:\n  - {{}}\n"));
        assert_eq!(p[0].rules, Some(vec![IstioRule { line: 8, ..IstioRule::default() }]));
        let p = policies(&format!("{AP}spec:\n  rules:\n  -\n"));
        assert_eq!(p[0].rules.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn deny_with_principals_and_negative_matches() {
        let text = format!(
            "{AP}spec:\n  action: DENY\n  selector:\n    matchLabels: {{app: db}}\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/a/sa/b\"]\n        notNamespaces: [prod]\n    - source: {{}}\n    to:\n    - operation:\n        ports: [5432, \"8080\"]\n        notPaths: [\"/health\"]\n    when:\n    - key: source.principal\n      notValues: [\"cluster.local/ns/x/sa/y\"]\n"
        );
        let p = &policies(&text)[0];
        assert_eq!(p.action, AuthzAction::Deny);
        assert_eq!(p.selector.as_ref().and_then(|s| s.get("app")).map(String::as_str), Some("db"));
        let rules = p.rules.as_ref().unwrap();
        assert_eq!(rules.len(), 1);
        let r = &rules[0];
        assert_eq!(r.line, 11);
        assert_eq!(r.from.len(), 2);
        assert_eq!(r.from[0].principals, ["cluster.local/ns/a/sa/b"]);
        assert_eq!(r.from[0].not_namespaces, ["prod"]);
        assert_eq!(r.from[0].line, 13);
        // `source: {}` is a source with nothing set.
        assert_eq!(r.from[1], IstioSource { line: 15, ..IstioSource::default() });
        assert_eq!(r.to[0].ports, ["5432", "8080"]);
        assert!(r.to[0].has_negations);
        assert_eq!(
            r.when,
            [("source.principal".to_owned(), vec![], vec!["cluster.local/ns/x/sa/y".to_owned()])]
        );
    }

    #[test]
    fn custom_action_keeps_its_provider_and_target_refs() {
        let text = format!(
            "{AP}spec:\n  action: CUSTOM\n  provider:\n    name: ext-authz\n  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: gw\n  targetRef: {{kind: Service, name: svc}}\n  rules:\n  - to:\n    - operation:\n        paths: [\"/admin/*\"]\n"
        );
        let p = &policies(&text)[0];
        assert_eq!(p.action, AuthzAction::Custom);
        assert_eq!(p.provider.as_deref(), Some("ext-authz"));
        assert_eq!(
            p.target_refs,
            [("Gateway".to_owned(), "gw".to_owned()), ("Service".to_owned(), "svc".to_owned())]
        );
        assert_eq!(p.rules.as_ref().unwrap()[0].to[0].paths, ["/admin/*"]);
        assert!(!p.rules.as_ref().unwrap()[0].to[0].has_negations);
    }

    #[test]
    fn audit_action_and_odd_values_do_not_panic() {
        let text = format!(
            "{AP}spec:\n  action: AUDIT\n  selector: [1, 2]\n  rules:\n  - 7\n  - from: [1, {{source: 3}}, ~]\n    to: {{operation: x}}\n    when: [x, {{key: k, values: v}}]\n"
        );
        let p = &policies(&text)[0];
        assert_eq!(p.action, AuthzAction::Audit);
        let rules = p.rules.as_ref().unwrap();
        assert_eq!(rules.len(), 1, "the scalar rule is dropped");
        assert_eq!(rules[0].from.len(), 2);
        assert!(rules[0].to.is_empty());
        assert_eq!(rules[0].when, [("k".to_owned(), vec!["v".to_owned()], vec![])]);
    }

    #[test]
    fn peer_authentication_modes_and_port_level() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {name: pa, namespace: ns}\nspec:\n  selector:\n    matchLabels: {app: b}\n  mtls:\n    mode: STRICT\n  portLevelMtls:\n    8090:\n      mode: DISABLE\n    \"9000\":\n      mode: PERMISSIVE\n    bad: {mode: STRICT}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec:\n  selector:\n    matchLabels: {}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: x}\nspec: {mtls: {mode: strict}}\n",
        );
        let pa = &inv.istio.peer_authentications;
        assert_eq!(pa.len(), 3);
        assert_eq!(pa[0].mode, MtlsMode::Strict);
        assert_eq!(pa[0].mode_line, 8);
        assert_eq!(
            pa[0].port_level,
            BTreeMap::from([(8090, MtlsMode::Disable), (9000, MtlsMode::Permissive)])
        );
        assert!(pa[0].selector.is_some());
        // No mode: UNSET, pointing at the spec (a block mapping starts at its first key); an
        // empty selector is no selector.
        assert_eq!((pa[1].mode, pa[1].mode_line, &pa[1].selector), (MtlsMode::Unset, 20, &None));
        // Lower case is not a mode Istio accepts.
        assert_eq!(pa[2].mode, MtlsMode::Unset);
        assert_eq!(pa[2].meta.namespace.as_deref(), Some("default"));
    }

    #[test]
    fn destination_rule_modes() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: dr, namespace: ns}\nspec:\n  host: db.prod.svc.cluster.local\n  workloadSelector:\n    matchLabels: {app: client}\n  trafficPolicy:\n    tls:\n      mode: SIMPLE\n    portLevelSettings:\n    - port: {number: 443}\n      tls:\n        mode: MUTUAL\n    - port: {number: \"8443\"}\n      tls: {mode: ISTIO_MUTUAL}\n    - port: {number: 80}\n      loadBalancer: {simple: ROUND_ROBIN}\n  subsets:\n  - name: legacy\n    trafficPolicy:\n      tls:\n        mode: DISABLE\n        insecureSkipVerify: true\n  - name: v2\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bare}\nspec:\n  host: x\n  trafficPolicy:\n    tls:\n      sni: x.example\n",
        );
        let dr = &inv.istio.destination_rules;
        assert_eq!(dr.len(), 2);
        assert_eq!(dr[0].host, "db.prod.svc.cluster.local");
        assert!(dr[0].workload_selector.is_some());
        assert_eq!(dr[0].tls_mode, Some((ClientTlsMode::Simple, 10)));
        assert_eq!(
            dr[0].port_tls,
            [(443, ClientTlsMode::Mutual, 14), (8443, ClientTlsMode::IstioMutual, 16)]
        );
        assert_eq!(dr[0].subset_tls, [("legacy".to_owned(), ClientTlsMode::Disable, 23)]);
        assert!(dr[0].insecure_skip_verify);
        // A tls block without a mode is DISABLE, at the tls block's line.
        assert_eq!(dr[1].tls_mode, Some((ClientTlsMode::Disable, 34)));
        assert!(!dr[1].insecure_skip_verify);
    }

    #[test]
    fn request_authentication_rules() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: ns}\nspec:\n  selector: {matchLabels: {app: api}}\n  jwtRules:\n  - issuer: https://issuer.example\n    audiences: [api, web]\n    jwksUri: https://issuer.example/jwks\n  - issuer: other\n",
        );
        let ra = &inv.istio.request_authentications[0];
        assert!(ra.selector.is_some());
        assert_eq!(
            ra.jwt_rules,
            [
                ("https://issuer.example".to_owned(), vec!["api".to_owned(), "web".to_owned()]),
                ("other".to_owned(), vec![])
            ]
        );
    }

    #[test]
    fn other_istio_kinds_are_skipped() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\n---\napiVersion: networking.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: wrong-group}\n",
        );
        // Gateways are read by the edge reader now.
        assert_eq!(inv.skipped_kinds.get("Gateway"), None);
        assert_eq!(inv.skipped_kinds.get("Sidecar"), Some(&1));
        assert_eq!(inv.skipped_kinds.get("AuthorizationPolicy"), Some(&1));
        assert!(inv.istio.authorization_policies.is_empty());
    }

    fn config_map_meta(name: &str) -> ObjectMeta {
        let doc = yaml::parse_documents(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: istio-system}}\n"
        ))
        .remove(0)
        .unwrap();
        crate::common::object_meta(&doc, &Arc::from("cm.yaml"))
    }

    #[test]
    fn mesh_config_from_the_istio_config_map() {
        let meta = config_map_meta("istio");
        let mesh = "defaultConfig:\n  discoveryAddress: istiod:15012\nrootNamespace: istio-config\ntrustDomain: corp.example\nenableAutoMtls: false\n";
        let cfg = mesh_config_from_configmap(&meta, mesh, 7).unwrap();
        assert_eq!(cfg.root_namespace.as_deref(), Some("istio-config"));
        assert_eq!(cfg.trust_domain.as_deref(), Some("corp.example"));
        assert_eq!(cfg.enable_auto_mtls, Some(false));
        assert_eq!(cfg.source.line, 7);
        assert_eq!(&*cfg.source.file, "cm.yaml");

        // Revisioned ConfigMap, settings left to their defaults.
        let cfg =
            mesh_config_from_configmap(&config_map_meta("istio-1-22"), "accessLogFile: /dev/stdout\n", 3)
                .unwrap();
        assert_eq!((cfg.root_namespace, cfg.trust_domain, cfg.enable_auto_mtls), (None, None, None));
        assert!(mesh_config_from_configmap(&config_map_meta("istio"), "", 3).is_some());

        assert!(mesh_config_from_configmap(&config_map_meta("other"), mesh, 7).is_none());
        assert!(mesh_config_from_configmap(&meta, "[unclosed", 7).is_none());
        assert!(mesh_config_from_configmap(&meta, "just text", 7).is_none());
    }

    #[test]
    fn mesh_config_from_the_istio_corpus() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/corpora/istio__istio/pkg/config/analysis/analyzers/testdata/mesh-with-automtls.yaml"
        );
        if !crate::common::corpus_present(std::path::Path::new(path)) {
            return;
        }
        let text = std::fs::read_to_string(path).expect("readable");
        let cfg = mesh_config_from_configmap(&config_map_meta("istio"), &text, 1).unwrap();
        assert_eq!(cfg.enable_auto_mtls, Some(true));
    }
}
