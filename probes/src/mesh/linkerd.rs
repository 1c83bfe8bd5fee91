//! Linkerd policy (`policy.linkerd.io`): Server, ServerAuthorization, AuthorizationPolicy,
//! MeshTLSAuthentication and NetworkAuthentication, and the cluster-wide default inbound policy
//! held in the control plane's `linkerd-config` ConfigMap.
//!
//! Values are kept as written; defaults that matter (a Server's `accessPolicy` is `deny`, the
//! cluster default policy is `all-unauthenticated`) are left to the engine, so it can tell "set"
//! from "defaulted". Routes (HTTPRoute, GRPCRoute) and other Linkerd kinds are counted as skipped.

use crate::common::label_selector;
use crate::inventory::{
    Diagnostic, Inventory, LinkerdAuthorizationPolicy, LinkerdServer, MeshTlsAuthentication,
    NetworkAuthentication, ObjectMeta, ObjectRef, ServerAuthorization, Source,
};
use crate::yaml::{self, Node, Value};

const POLICY: &str = "policy.linkerd.io";

/// Reads one object into the inventory; false when the kind is not one of this module's.
pub(crate) fn read(node: &Node, meta: &ObjectMeta, inventory: &mut Inventory) -> bool {
    let group = meta.api_version.split('/').next().unwrap_or_default();
    if group != POLICY {
        return false;
    }
    let spec = node.field("spec");
    let linkerd = &mut inventory.linkerd;
    match meta.kind.as_str() {
        "Server" => linkerd.servers.push(server(spec, meta, &mut inventory.diagnostics)),
        "ServerAuthorization" => {
            let line = if spec.line == 0 { meta.source.line } else { spec.line };
            linkerd.server_authorizations.push(server_authorization(
                spec,
                line,
                meta,
                &mut inventory.diagnostics,
            ));
        }
        "AuthorizationPolicy" => linkerd.authorization_policies.push(LinkerdAuthorizationPolicy {
            meta: meta.clone(),
            target: object_ref(spec.field("targetRef")),
            required_authentications: spec
                .field("requiredAuthenticationRefs")
                .items()
                .iter()
                .map(object_ref)
                .collect(),
        }),
        "MeshTLSAuthentication" => linkerd.mesh_tls_authentications.push(MeshTlsAuthentication {
            meta: meta.clone(),
            identities: string_list(spec.field("identities")),
            identity_refs: spec.field("identityRefs").items().iter().map(object_ref).collect(),
        }),
        "NetworkAuthentication" => linkerd.network_authentications.push(NetworkAuthentication {
            meta: meta.clone(),
            networks: spec
                .field("networks")
                .items()
                .iter()
                .filter_map(|n| Some((text(n.field("cidr"))?, string_list(n.field("except")))))
                .collect(),
        }),
        _ => return false,
    }
    true
}

/// The cluster-wide default inbound policy from one data entry of the `linkerd-config`
/// ConfigMap: the `values` entry (the install values, as YAML) gives it at
/// `proxy.defaultInboundPolicy`. `line` is the line of the entry's value.
///
/// The returned source points at the `defaultInboundPolicy` line when the value is a YAML block
/// scalar (`values: |`, whose node line is that of its first non-blank content line); for a JSON
/// file or a one-line value it points at the entry itself.
#[allow(dead_code, reason = "called by the core ConfigMap reader (k8s.rs) once its hook is wired")]
pub(crate) fn default_policy_from_configmap(
    meta: &ObjectMeta,
    key: &str,
    value: &str,
    line: u32,
) -> Option<(String, Source)> {
    if meta.name != "linkerd-config" || key != "values" {
        return None;
    }
    let docs = yaml::parse_documents(value);
    let values = docs.first()?.as_ref().ok()?;
    let policy = values.at(&["proxy", "defaultInboundPolicy"])?;
    let name = text(policy)?;
    let block_scalar = value.contains('\n') && !meta.source.file.to_ascii_lowercase().ends_with(".json");
    let at = if block_scalar && line > 0 {
        let leading_blank = value.lines().take_while(|l| l.trim().is_empty()).count();
        let skipped = u32::try_from(leading_blank).unwrap_or(0).saturating_add(1);
        line.saturating_add(policy.line.saturating_sub(skipped))
    } else {
        line
    };
    Some((name, meta.source.at(at)))
}

fn server(spec: &Node, meta: &ObjectMeta, diagnostics: &mut Vec<Diagnostic>) -> LinkerdServer {
    // `podSelector: {}` selects every pod of the namespace; a Server without one (it selects
    // external workloads with `externalWorkloadSelector`, or is malformed) selects no pod.
    let pod_selector =
        spec.get("podSelector").filter(|s| s.is_map()).map(|s| label_selector(s, meta, diagnostics));
    LinkerdServer {
        meta: meta.clone(),
        pod_selector,
        port: text(spec.field("port")).unwrap_or_default(),
        proxy_protocol: text(spec.field("proxyProtocol")),
        access_policy: text(spec.field("accessPolicy")),
    }
}

fn server_authorization(
    spec: &Node,
    spec_line: u32,
    meta: &ObjectMeta,
    diagnostics: &mut Vec<Diagnostic>,
) -> ServerAuthorization {
    let server = spec.field("server");
    let client = spec.field("client");
    let mesh_tls = client.field("meshTLS");
    ServerAuthorization {
        meta: meta.clone(),
        server_name: text(server.field("name")),
        server_selector: server
            .get("selector")
            .filter(|s| s.is_map())
            .map(|s| label_selector(s, meta, diagnostics)),
        unauthenticated: client.field("unauthenticated").as_bool() == Some(true),
        unauthenticated_tls: mesh_tls.field("unauthenticatedTLS").as_bool() == Some(true),
        identities: string_list(mesh_tls.field("identities")),
        service_accounts: mesh_tls
            .field("serviceAccounts")
            .items()
            .iter()
            .filter_map(|sa| Some((text(sa.field("namespace")), text(sa.field("name"))?)))
            .collect(),
        networks: client.field("networks").items().iter().filter_map(|n| text(n.field("cidr"))).collect(),
        client_line: if client.line == 0 { spec_line } else { client.line },
    }
}

/// A reference as written: an absent `group` is `""` (the core group, as for ServiceAccount and
/// Namespace), an absent `namespace` is `None` (the referring object's namespace).
fn object_ref(node: &Node) -> ObjectRef {
    ObjectRef {
        group: text(node.field("group")).unwrap_or_default(),
        kind: text(node.field("kind")).unwrap_or_default(),
        name: text(node.field("name")).unwrap_or_default(),
        namespace: text(node.field("namespace")),
    }
}

/// A non-empty scalar as text.
fn text(node: &Node) -> Option<String> {
    node.string().filter(|s| !s.is_empty())
}

/// A list of strings; a lone scalar counts as a one-item list.
fn string_list(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Seq(_) => node.strings(),
        Value::Null | Value::Map(_) => Vec::new(),
        _ => node.string().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::files::read_text;

    #[test]
    fn server_authorization_policy_and_mesh_tls_authentication() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: web-http, namespace: shop}\nspec:\n  podSelector:\n    matchLabels: {app: web}\n  port: 8080\n  proxyProtocol: HTTP/1\n---\napiVersion: policy.linkerd.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: web-any-meshed, namespace: shop}\nspec:\n  targetRef:\n    group: policy.linkerd.io\n    kind: Server\n    name: web-http\n  requiredAuthenticationRefs:\n  - group: policy.linkerd.io\n    kind: MeshTLSAuthentication\n    name: any-meshed\n  - kind: ServiceAccount\n    name: frontend\n    namespace: edge\n---\napiVersion: policy.linkerd.io/v1alpha1\nkind: MeshTLSAuthentication\nmetadata: {name: any-meshed, namespace: shop}\nspec:\n  identities: [\"*\"]\n  identityRefs:\n  - kind: Namespace\n    name: edge\n",
        );
        let l = &inv.linkerd;
        assert_eq!(l.servers.len(), 1);
        let s = &l.servers[0];
        assert_eq!(s.port, "8080");
        assert_eq!(s.proxy_protocol.as_deref(), Some("HTTP/1"));
        assert_eq!(s.access_policy, None, "left unset: the engine applies the `deny` default");
        assert_eq!(s.pod_selector.as_ref().unwrap().match_labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(s.meta.source.line, 1);

        let ap = &l.authorization_policies[0];
        assert_eq!(
            ap.target,
            ObjectRef {
                group: "policy.linkerd.io".into(),
                kind: "Server".into(),
                name: "web-http".into(),
                namespace: None
            }
        );
        assert_eq!(ap.required_authentications.len(), 2);
        assert_eq!(ap.required_authentications[0].kind, "MeshTLSAuthentication");
        assert_eq!(
            ap.required_authentications[1],
            ObjectRef {
                group: String::new(),
                kind: "ServiceAccount".into(),
                name: "frontend".into(),
                namespace: Some("edge".into())
            }
        );
        assert_eq!(ap.meta.source.line, 10);

        let mtls = &l.mesh_tls_authentications[0];
        assert_eq!(mtls.identities, ["*"]);
        assert_eq!(mtls.identity_refs[0].kind, "Namespace");
        assert_eq!(mtls.identity_refs[0].name, "edge");
        assert!(inv.skipped_kinds.is_empty());
    }

    #[test]
    fn server_authorization_unauthenticated_and_service_accounts() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: policy.linkerd.io/v1beta1\nkind: ServerAuthorization\nmetadata: {name: public, namespace: shop}\nspec:\n  server:\n    name: web-http\n  client:\n    unauthenticated: true\n    networks:\n    - cidr: 0.0.0.0/0\n    - cidr: ::/0\n---\napiVersion: policy.linkerd.io/v1beta1\nkind: ServerAuthorization\nmetadata: {name: internal, namespace: shop}\nspec:\n  server:\n    selector:\n      matchLabels: {tier: db}\n  client:\n    meshTLS:\n      unauthenticatedTLS: \"true\"\n      identities: [\"*.shop.serviceaccount.identity.linkerd.cluster.local\"]\n      serviceAccounts:\n      - name: api\n      - name: worker\n        namespace: jobs\n      - namespace: no-name\n",
        );
        let sa = &inv.linkerd.server_authorizations;
        assert_eq!(sa.len(), 2);
        assert_eq!(sa[0].server_name.as_deref(), Some("web-http"));
        assert!(sa[0].unauthenticated);
        assert!(!sa[0].unauthenticated_tls);
        assert_eq!(sa[0].networks, ["0.0.0.0/0", "::/0"]);
        assert_eq!(sa[0].client_line, 8);

        assert_eq!(sa[1].server_name, None);
        assert!(sa[1].server_selector.as_ref().is_some_and(|s| s.match_labels.contains_key("tier")));
        assert!(!sa[1].unauthenticated);
        assert!(sa[1].unauthenticated_tls);
        assert_eq!(sa[1].identities.len(), 1);
        assert_eq!(
            sa[1].service_accounts,
            [(None, "api".to_owned()), (Some("jobs".to_owned()), "worker".to_owned())]
        );
    }

    #[test]
    fn network_authentication_external_workloads_and_odd_input() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: policy.linkerd.io/v1alpha1\nkind: NetworkAuthentication\nmetadata: {name: lan}\nspec:\n  networks:\n  - cidr: 10.0.0.0/8\n    except: [10.0.66.0/24]\n  - except: [1.2.3.4/32]\n  - 7\n---\napiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: vm}\nspec:\n  externalWorkloadSelector:\n    matchLabels: {app: legacy}\n  port: admin\n  accessPolicy: all-authenticated\n---\napiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: odd}\nspec: 42\n---\napiVersion: policy.linkerd.io/v1beta1\nkind: ServerAuthorization\nmetadata: {name: odd}\nspec:\n---\napiVersion: policy.linkerd.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: odd}\nspec: {targetRef: [], requiredAuthenticationRefs: {a: b}}\n---\napiVersion: policy.linkerd.io/v1beta1\nkind: HTTPRoute\nmetadata: {name: r}\n---\napiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata: {name: sp}\n",
        );
        let l = &inv.linkerd;
        assert_eq!(
            l.network_authentications[0].networks,
            [("10.0.0.0/8".to_owned(), vec!["10.0.66.0/24".to_owned()])]
        );
        assert_eq!(l.servers.len(), 2);
        assert_eq!(l.servers[0].pod_selector, None);
        assert_eq!(l.servers[0].port, "admin");
        assert_eq!(l.servers[0].access_policy.as_deref(), Some("all-authenticated"));
        assert_eq!((l.servers[1].pod_selector.as_ref(), l.servers[1].port.as_str()), (None, ""));
        // `spec:` with nothing after it: the client line is that of the (null) spec.
        assert_eq!(l.server_authorizations[0].client_line, 28);
        assert!(!l.server_authorizations[0].unauthenticated);
        assert_eq!(l.authorization_policies[0].target.name, "");
        assert!(l.authorization_policies[0].required_authentications.is_empty());
        assert_eq!(inv.skipped_kinds.get("HTTPRoute"), Some(&1));
        assert_eq!(inv.skipped_kinds.get("ServiceProfile"), Some(&1));
    }

    #[test]
    fn empty_pod_selector_selects_every_pod() {
        let inv = read_text(
            "t.yaml",
            "apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: all}\nspec:\n  podSelector: {}\n  port: 4191\n",
        );
        assert!(
            inv.linkerd.servers[0]
                .pod_selector
                .as_ref()
                .is_some_and(crate::inventory::LabelSelector::is_empty)
        );
    }

    fn config_map(file: &str, text: &str) -> (ObjectMeta, Node) {
        let doc = yaml::parse_documents(text).remove(0).unwrap();
        (crate::common::object_meta(&doc, &Arc::from(file)), doc)
    }

    #[test]
    fn default_policy_from_the_values_entry() {
        let text = "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: linkerd-config\n  namespace: linkerd\ndata:\n  values: |\n    clusterDomain: cluster.local\n    proxy:\n      await: true\n      defaultInboundPolicy: cluster-authenticated\n";
        let (meta, doc) = config_map("cm.yaml", text);
        let value = doc.at(&["data", "values"]).unwrap();
        let got = default_policy_from_configmap(&meta, "values", &value.string().unwrap(), value.line);
        let (policy, source) = got.unwrap();
        assert_eq!(policy, "cluster-authenticated");
        assert_eq!(source.line, 11, "the line of defaultInboundPolicy in the file");
        assert_eq!(&*source.file, "cm.yaml");

        // Leading blank lines in a block scalar are part of the value but not of its node line.
        let text = "kind: ConfigMap\nmetadata: {name: linkerd-config}\ndata:\n  values: |\n\n    proxy:\n      defaultInboundPolicy: audit\n";
        let (meta, doc) = config_map("cm.yaml", text);
        let value = doc.at(&["data", "values"]).unwrap();
        let got = default_policy_from_configmap(&meta, "values", &value.string().unwrap(), value.line);
        assert_eq!(got.map(|(p, s)| (p, s.line)), Some(("audit".to_owned(), 7)));

        // A JSON dump keeps the whole value on one line: point at it.
        let (meta, _) =
            config_map("cm.json", "{\"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"linkerd-config\"}}");
        let got = default_policy_from_configmap(&meta, "values", "proxy:\n  defaultInboundPolicy: deny\n", 4);
        assert_eq!(got.map(|(p, s)| (p, s.line)), Some(("deny".to_owned(), 4)));

        assert!(
            default_policy_from_configmap(&meta, "other", "proxy: {defaultInboundPolicy: deny}", 4).is_none()
        );
        assert!(default_policy_from_configmap(&meta, "values", "proxy: {}", 4).is_none());
        assert!(default_policy_from_configmap(&meta, "values", "proxy: [", 4).is_none());
        assert!(default_policy_from_configmap(&meta, "values", "", 4).is_none());
        let (other, _) =
            config_map("cm.yaml", "kind: ConfigMap\nmetadata: {name: linkerd-config-overrides}\n");
        assert!(
            default_policy_from_configmap(&other, "values", "proxy: {defaultInboundPolicy: deny}", 4)
                .is_none()
        );
    }

    #[test]
    fn default_policy_from_the_install_golden() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/corpora/linkerd__linkerd2/cli/cmd/testdata/install_default.golden"
        );
        if !crate::common::corpus_present(std::path::Path::new(path)) {
            return;
        }
        let text = std::fs::read_to_string(path).expect("readable");
        let mut found = Vec::new();
        for doc in yaml::parse_documents(&text).into_iter().flatten() {
            let meta = crate::common::object_meta(&doc, &Arc::from("install_default.golden"));
            if meta.kind != "ConfigMap" {
                continue;
            }
            for (key, value) in doc.field("data").entries() {
                if let Some(hit) =
                    default_policy_from_configmap(&meta, key, &value.string().unwrap_or_default(), value.line)
                {
                    found.push(hit);
                }
            }
        }
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "all-unauthenticated");
        // `values: |` is on line 508 and `defaultInboundPolicy: all-unauthenticated` on line 698.
        assert_eq!(found[0].1.line, 698);
    }
}
