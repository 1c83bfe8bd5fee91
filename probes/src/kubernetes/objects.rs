//! Core Kubernetes kinds: workloads and their pod templates, Services, ServiceAccounts, Secrets,
//! ConfigMaps, RBAC and NetworkPolicy.

use base64::Engine as _;

use crate::common::{label_selector, string_map};
use crate::inventory::{
    Container, ContainerPort, Diagnostic, EnvFrom, EnvValue, EnvVar, Fingerprint, Inventory, Namespace,
    NetworkPeer, NetworkPolicy, NetworkPolicyRule, ObjectMeta, PodSpec, PolicyRule, PolicyType, PortProbe,
    ProbeKind, ProjectedSource, Role, RoleBinding, RoleKind, Secret, SecretEntry, Sensitive, Service,
    ServiceAccount, ServicePort, Subject, Volume, VolumeKind, Workload,
};
use crate::yaml::Node;

/// Reads one object into the inventory; false when the kind is not one of this module's.
pub(crate) fn read(node: &Node, meta: &ObjectMeta, inventory: &mut Inventory) -> bool {
    let group = meta.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match (meta.kind.as_str(), group) {
        ("Namespace", "") => inventory.namespaces.push(Namespace { meta: meta.clone() }),
        ("Pod", "") => {
            inventory.workloads.push(Workload { meta: meta.clone(), pod: pod_spec(node, meta, true) });
        }
        ("ReplicationController", "")
        | ("Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet", "apps" | "extensions")
        | ("Job", "batch") => {
            let template = node.at(&["spec", "template"]).unwrap_or(node);
            inventory.workloads.push(Workload { meta: meta.clone(), pod: pod_spec(template, meta, false) });
        }
        ("CronJob", "batch") => {
            let template = node.at(&["spec", "jobTemplate", "spec", "template"]).unwrap_or(node);
            inventory.workloads.push(Workload { meta: meta.clone(), pod: pod_spec(template, meta, false) });
        }
        ("Service", "") => {
            inventory.services.push(service(node, meta));
            // A LoadBalancer Service is also an edge hop.
            crate::kubernetes::edge::service_load_balancer(node, meta, inventory);
        }
        ("ServiceAccount", "") => inventory.service_accounts.push(service_account(node, meta)),
        ("Secret", "") => inventory.secrets.push(secret(node, meta)),
        ("ConfigMap", "") => read_config_map(node, meta, inventory),
        ("Role" | "ClusterRole", "rbac.authorization.k8s.io") => {
            inventory.roles.push(role(node, meta, &mut inventory.diagnostics));
        }
        ("RoleBinding" | "ClusterRoleBinding", "rbac.authorization.k8s.io") => {
            inventory.role_bindings.push(role_binding(node, meta, &mut inventory.diagnostics));
        }
        ("TargetGroupBinding", "elbv2.k8s.aws") => {
            let spec = node.field("spec");
            // ARN: arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
            let from_arn = spec.field("targetGroupARN").string().and_then(|arn| {
                arn.split("targetgroup/").nth(1).and_then(|r| r.split('/').next()).map(str::to_owned)
            });
            if let (Some(target_group), Some(service)) = (
                spec.field("targetGroupName").string().or(from_arn),
                spec.at(&["serviceRef", "name"]).and_then(Node::string),
            ) {
                inventory.target_group_bindings.push(crate::inventory::TargetGroupBinding {
                    meta: meta.clone(),
                    target_group,
                    service,
                    port: spec.at(&["serviceRef", "port"]).and_then(Node::string),
                });
            }
        }
        ("NetworkPolicy", "networking.k8s.io" | "extensions") => {
            inventory.network_policies.push(network_policy(node, meta, &mut inventory.diagnostics));
        }
        _ => return false,
    }
    true
}

/// Reads a pod spec. `node` is the Pod itself (`is_pod`) or a pod template.
fn pod_spec(node: &Node, meta: &ObjectMeta, is_pod: bool) -> PodSpec {
    let spec = node.field("spec");
    let (labels, annotations) = if is_pod {
        (meta.labels.clone(), meta.annotations.clone())
    } else {
        (
            string_map(node.at(&["metadata", "labels"]).unwrap_or(spec)),
            string_map(node.at(&["metadata", "annotations"]).unwrap_or(spec)),
        )
    };
    let sa_node = spec.get("serviceAccountName").or_else(|| spec.get("serviceAccount"));
    let automount = spec.get("automountServiceAccountToken");
    let mut containers = Vec::new();
    for (list, init) in [("initContainers", true), ("containers", false)] {
        for c in spec.field(list).items() {
            containers.push(container(c, init));
        }
    }
    PodSpec {
        labels,
        annotations,
        service_account_name: sa_node.and_then(Node::string).filter(|s| !s.is_empty()),
        automount_token: automount.and_then(Node::as_bool),
        service_account_line: automount.or(sa_node).map_or(spec.line, |n| n.line),
        host_network: spec.field("hostNetwork").as_bool() == Some(true),
        containers,
        volumes: spec.field("volumes").items().iter().map(volume).collect(),
        image_pull_secrets: spec
            .field("imagePullSecrets")
            .items()
            .iter()
            .filter_map(|s| s.field("name").string())
            .collect(),
        line: spec.line.max(node.line),
    }
}

fn container(node: &Node, init: bool) -> Container {
    let env = node
        .field("env")
        .items()
        .iter()
        .map(|e| {
            let from = e.field("valueFrom");
            let value = if let Some(v) = e.get("value").filter(|v| !v.is_null()) {
                EnvValue::Literal(Sensitive::new(v.string().unwrap_or_default()))
            } else if let Some(s) = from.get("secretKeyRef") {
                EnvValue::SecretKey {
                    secret: s.field("name").string().unwrap_or_default(),
                    key: s.field("key").string().unwrap_or_default(),
                }
            } else if let Some(c) = from.get("configMapKeyRef") {
                EnvValue::ConfigMapKey {
                    config_map: c.field("name").string().unwrap_or_default(),
                    key: c.field("key").string().unwrap_or_default(),
                }
            } else {
                EnvValue::Other
            };
            EnvVar { name: e.field("name").string().unwrap_or_default(), value, line: e.line }
        })
        .collect();
    let env_from = node
        .field("envFrom")
        .items()
        .iter()
        .filter_map(|e| {
            if let Some(s) = e.get("secretRef") {
                Some(EnvFrom::Secret { name: s.field("name").string()?, line: e.line })
            } else {
                e.get("configMapRef")
                    .and_then(|c| Some(EnvFrom::ConfigMap { name: c.field("name").string()?, line: e.line }))
            }
        })
        .collect();
    let args = ["command", "args"]
        .iter()
        .flat_map(|k| node.field(k).items())
        .filter_map(|a| Some((Sensitive::new(a.string()?), a.line)))
        .collect();
    Container {
        name: node.field("name").string().unwrap_or_default(),
        image: node.field("image").string().unwrap_or_default(),
        init,
        env,
        env_from,
        args,
        ports: node
            .field("ports")
            .items()
            .iter()
            .filter_map(|p| {
                Some(ContainerPort {
                    name: p.field("name").string().unwrap_or_default(),
                    port: u32::try_from(p.field("containerPort").as_i64()?).ok()?,
                    line: p.line,
                })
            })
            .collect(),
        probes: ["livenessProbe", "readinessProbe", "startupProbe"]
            .iter()
            .filter_map(|k| port_probe(node.field(k)))
            .collect(),
        volume_mounts: node
            .field("volumeMounts")
            .items()
            .iter()
            .filter_map(|m| {
                Some((m.field("name").string()?, m.field("mountPath").string().unwrap_or_default()))
            })
            .collect(),
        line: node.line,
    }
}

/// A probe that connects to a port: its port (number or name) and what it sends.
fn port_probe(probe: &Node) -> Option<PortProbe> {
    let (entry, kind) = if let Some(h) = probe.get("httpGet") {
        let https = h.field("scheme").string().is_some_and(|s| s.eq_ignore_ascii_case("HTTPS"));
        (h, ProbeKind::HttpGet { https })
    } else if let Some(g) = probe.get("grpc") {
        (g, ProbeKind::Grpc)
    } else {
        (probe.get("tcpSocket")?, ProbeKind::TcpSocket)
    };
    let port = entry.field("port").string().filter(|p| !p.is_empty())?;
    Some(PortProbe { port, kind, line: entry.line })
}

fn volume(node: &Node) -> Volume {
    let kind = if let Some(s) = node.get("secret") {
        VolumeKind::Secret { name: s.field("secretName").string().unwrap_or_default(), items: item_keys(s) }
    } else if let Some(c) = node.get("configMap") {
        VolumeKind::ConfigMap(c.field("name").string().unwrap_or_default())
    } else if let Some(p) = node.get("projected") {
        VolumeKind::Projected(
            p.field("sources")
                .items()
                .iter()
                .map(|s| {
                    if let Some(t) = s.get("serviceAccountToken") {
                        ProjectedSource::ServiceAccountToken {
                            audience: t.field("audience").string(),
                            expiration_seconds: t.field("expirationSeconds").as_i64(),
                            line: t.get("expirationSeconds").map_or(t.line, |e| e.line),
                        }
                    } else if let Some(sec) = s.get("secret") {
                        ProjectedSource::Secret {
                            name: sec.field("name").string().unwrap_or_default(),
                            items: item_keys(sec),
                        }
                    } else if let Some(cm) = s.get("configMap") {
                        ProjectedSource::ConfigMap(cm.field("name").string().unwrap_or_default())
                    } else {
                        ProjectedSource::Other
                    }
                })
                .collect(),
        )
    } else if let Some(h) = node.get("hostPath") {
        VolumeKind::HostPath(h.field("path").string().unwrap_or_default())
    } else {
        VolumeKind::Other
    };
    Volume { name: node.field("name").string().unwrap_or_default(), kind, line: node.line }
}

/// The keys a Secret volume's `items:` selects. Kubernetes mounts every key when `items` is absent
/// or empty, so both are `None`.
fn item_keys(source: &Node) -> Option<Vec<String>> {
    let keys: Vec<String> =
        source.field("items").items().iter().filter_map(|i| i.field("key").string()).collect();
    (!keys.is_empty()).then_some(keys)
}

fn service(node: &Node, meta: &ObjectMeta) -> Service {
    let spec = node.field("spec");
    let selector = spec.get("selector").map(string_map).filter(|s| !s.is_empty());
    Service {
        meta: meta.clone(),
        service_type: spec.field("type").string().unwrap_or_else(|| "ClusterIP".to_owned()),
        selector,
        ports: spec
            .field("ports")
            .items()
            .iter()
            .filter_map(|p| {
                let port = u32::try_from(p.field("port").as_i64()?).ok()?;
                Some(ServicePort {
                    name: p.field("name").string().unwrap_or_default(),
                    port,
                    target_port: p.field("targetPort").string().unwrap_or_else(|| port.to_string()),
                    app_protocol: p.field("appProtocol").string(),
                    protocol: p.field("protocol").string().unwrap_or_else(|| "TCP".to_owned()),
                    line: p.line,
                })
            })
            .collect(),
        external_name: spec.field("externalName").string(),
    }
}

fn service_account(node: &Node, meta: &ObjectMeta) -> ServiceAccount {
    let automount = node.get("automountServiceAccountToken");
    let names = |key: &str| node.field(key).items().iter().filter_map(|s| s.field("name").string()).collect();
    ServiceAccount {
        meta: meta.clone(),
        automount_token: automount.and_then(Node::as_bool),
        automount_line: automount.map_or(node.line, |n| n.line),
        secrets: names("secrets"),
        image_pull_secrets: names("imagePullSecrets"),
    }
}

/// True for values that are not a value at all but say where one goes: empty, `<your-key>`,
/// `${VAR}`, `$(VAR)`, `{{ .Values.x }}`, runs of `x` or `*` (`xxxx`, `****`), `REPLACE_ME`-style
/// markers and `redacted`. Only such syntactic stand-ins: a word like `password`, `changeme` or
/// `admin` is a real value (a well-known default, see [`well_known_default`]), and so is a short one.
pub fn looks_like_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    if (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with("${") && v.ends_with('}'))
        || (v.starts_with("$(") && v.ends_with(')'))
        || v.contains("{{")
    {
        return true;
    }
    // Filler: `xxxx`, `XXXXXXXX`, `****`, `...`; at least one `x` or `*` unless it is only dots.
    if v.chars().all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '•')) {
        return true;
    }
    // Markers telling a person to put the value here, whatever their case and separators.
    let word: String =
        v.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    const MARKERS: &[&str] =
        &["redacted", "placeholder", "todo", "tbd", "fixme", "fillme", "setme", "none", "null", "nil", "na"];
    MARKERS.contains(&word.as_str())
        || word.starts_with("replace")
        || word.starts_with("insert") && word.ends_with("here")
        || word.starts_with("your") && word.ends_with("here")
        || word.starts_with("enter") && word.ends_with("here")
        || word.starts_with("put") && word.ends_with("here")
}

/// Values that products ship as their default credential or that people pick first. Anyone can
/// guess them without reading the manifest, so they are worse than a leaked random secret.
/// Compared without regard to case, `-` or `_` (`CHANGE_ME` is `changeme`).
pub const WELL_KNOWN_DEFAULTS: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "secret",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "changeme",
    "changeit",
    "guest",
    "test",
    "test123",
    "demo",
    "default",
    "example",
    "letmein",
    "welcome",
    "qwerty",
    "abc123",
    "1234",
    "12345",
    "123456",
    "12345678",
    "123456789",
    "postgres",
    "mysql",
    "minioadmin",
];

/// True when the value is one of [`WELL_KNOWN_DEFAULTS`].
pub fn well_known_default(value: &str) -> bool {
    let word: String =
        value.trim().chars().filter(|c| !matches!(c, '-' | '_')).map(|c| c.to_ascii_lowercase()).collect();
    WELL_KNOWN_DEFAULTS.iter().any(|d| d.replace(['-', '_'], "") == word)
}

fn secret(node: &Node, meta: &ObjectMeta) -> Secret {
    let mut entries = Vec::new();
    for (key, value) in node.field("data").entries() {
        let text = value.string().unwrap_or_default();
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let decoded = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).ok();
        let (fingerprint, len, has_value, default) = match decoded {
            Some(bytes) => {
                let clear = String::from_utf8_lossy(&bytes);
                let real = !bytes.is_empty() && !looks_like_placeholder(&clear);
                (real.then(|| Fingerprint::of(&bytes)), bytes.len(), real, real && well_known_default(&clear))
            }
            // Not base64: a template or a placeholder; nothing real to fingerprint.
            None => (None, 0, false, false),
        };
        entries.push(SecretEntry {
            key: key.clone(),
            fingerprint,
            has_value,
            well_known_default: default,
            value_len: len,
            line: value.line,
        });
    }
    for (key, value) in node.field("stringData").entries() {
        let text = value.string().unwrap_or_default();
        let real = !looks_like_placeholder(&text);
        entries.push(SecretEntry {
            key: key.clone(),
            fingerprint: real.then(|| Fingerprint::of(text.as_bytes())),
            has_value: real,
            well_known_default: real && well_known_default(&text),
            value_len: text.len(),
            line: value.line,
        });
    }
    Secret {
        meta: meta.clone(),
        secret_type: node.field("type").string().unwrap_or_else(|| "Opaque".to_owned()),
        entries,
    }
}

fn read_config_map(node: &Node, meta: &ObjectMeta, inventory: &mut Inventory) {
    let mut data = Vec::new();
    for (key, value) in node.field("data").entries() {
        let text = value.string().unwrap_or_default();
        if key == "mesh"
            && (meta.name == "istio" || meta.name.starts_with("istio-"))
            && let Some(mesh) = crate::mesh::istio::mesh_config_from_configmap(meta, &text, value.line)
        {
            inventory.istio.mesh_config = Some(mesh);
        }
        if meta.name == "linkerd-config"
            && let Some(policy) =
                crate::mesh::linkerd::default_policy_from_configmap(meta, key, &text, value.line)
        {
            inventory.linkerd.cluster_default_policy = Some(policy);
        }
        read_embedded_envoy(meta, key, &text, value.line, inventory);
        data.push((key.clone(), Sensitive::new(text), value.line));
    }
    inventory.config_maps.push(crate::inventory::ConfigMap { meta: meta.clone(), data });
}

/// An Envoy configuration shipped in a ConfigMap (the usual way to run Envoy on Kubernetes): read
/// it as a proxy whose pods are the workloads that mount the ConfigMap. Lines point into the
/// manifest: the embedded text is parsed with as many leading newlines as its key's line.
fn read_embedded_envoy(meta: &ObjectMeta, key: &str, text: &str, line: u32, inventory: &mut Inventory) {
    let yamlish = [".yaml", ".yml", ".json"].iter().any(|e| key.ends_with(e));
    if !yamlish || !(text.contains("static_resources") || text.contains("filter_chains")) {
        return;
    }
    let padded = format!("{}{text}", "\n".repeat(line as usize));
    let before = inventory.proxies.len();
    for doc in crate::yaml::parse_documents(&padded).into_iter().flatten() {
        crate::proxy::envoy::read_document(&doc, &meta.source.file, inventory);
    }
    for p in &mut inventory.proxies[before..] {
        p.namespace = meta.namespace.clone();
        p.name = format!("{}/{key}", meta.name);
        p.attrs.insert("configmap".to_owned(), format!("{}/{}", meta.ns(), meta.name));
    }
}

fn role(node: &Node, meta: &ObjectMeta, diagnostics: &mut Vec<Diagnostic>) -> Role {
    Role {
        meta: meta.clone(),
        rules: node
            .field("rules")
            .items()
            .iter()
            .map(|r| PolicyRule {
                api_groups: r.field("apiGroups").strings(),
                resources: r.field("resources").strings(),
                verbs: r.field("verbs").strings(),
                resource_names: r.field("resourceNames").strings(),
                non_resource_urls: r.field("nonResourceURLs").strings(),
                line: r.line,
            })
            .collect(),
        aggregation: node
            .at(&["aggregationRule", "clusterRoleSelectors"])
            .map(|s| s.items().iter().map(|s| label_selector(s, meta, diagnostics)).collect())
            .unwrap_or_default(),
    }
}

fn role_binding(node: &Node, meta: &ObjectMeta, diagnostics: &mut Vec<Diagnostic>) -> RoleBinding {
    let role_ref = node.field("roleRef");
    let role_kind = RoleKind::parse(role_ref.field("kind").string().as_deref());
    if role_kind == RoleKind::Unknown {
        diagnostics.push(Diagnostic {
            source: meta.source.at(role_ref.field("kind").line),
            reason: format!(
                "{}: roleRef.kind is neither Role nor ClusterRole, which the API server refuses; \
                 the binding is read as granting nothing",
                meta.kind
            ),
        });
    }
    RoleBinding {
        meta: meta.clone(),
        role_kind,
        role_name: role_ref.field("name").string().unwrap_or_default(),
        subjects: node
            .field("subjects")
            .items()
            .iter()
            .map(|s| Subject {
                kind: s.field("kind").string().unwrap_or_default(),
                name: s.field("name").string().unwrap_or_default(),
                namespace: s.field("namespace").string().filter(|n| !n.is_empty()),
                line: s.line,
            })
            .collect(),
    }
}

fn network_policy(node: &Node, meta: &ObjectMeta, diagnostics: &mut Vec<Diagnostic>) -> NetworkPolicy {
    let spec = node.field("spec");
    let mut rules = |key: &str, peer_key: &str| -> Vec<NetworkPolicyRule> {
        spec.field(key)
            .items()
            .iter()
            .map(|r| NetworkPolicyRule {
                peers: r
                    .field(peer_key)
                    .items()
                    .iter()
                    .map(|p| NetworkPeer {
                        pod_selector: p.get("podSelector").map(|s| label_selector(s, meta, diagnostics)),
                        namespace_selector: p
                            .get("namespaceSelector")
                            .map(|s| label_selector(s, meta, diagnostics)),
                        ip_block: p.get("ipBlock").map(|b| {
                            (b.field("cidr").string().unwrap_or_default(), b.field("except").strings())
                        }),
                    })
                    .collect(),
                ports: r.field("ports").items().iter().filter_map(|p| p.field("port").string()).collect(),
                line: r.line,
            })
            .collect()
    };
    let ingress = rules("ingress", "from");
    let egress = rules("egress", "to");
    let written = spec.field("policyTypes");
    let mut policy_types = Vec::new();
    for t in written.items() {
        match t.string().as_deref().and_then(PolicyType::parse) {
            Some(t) => policy_types.push(t),
            None => diagnostics.push(Diagnostic {
                source: meta.source.at(t.line),
                reason: "NetworkPolicy: a policyTypes entry other than Ingress and Egress, which the API \
                         server refuses; it is left out"
                    .to_owned(),
            }),
        }
    }
    // The API server's default when `policyTypes` is absent or empty: every policy isolates
    // ingress, and egress too when it has at least one egress rule (`egress: []` does not count).
    if written.items().is_empty() {
        policy_types.push(PolicyType::Ingress);
        if !egress.is_empty() {
            policy_types.push(PolicyType::Egress);
        }
    }
    NetworkPolicy {
        meta: meta.clone(),
        pod_selector: label_selector(spec.field("podSelector"), meta, diagnostics),
        policy_types,
        ingress,
        egress,
    }
}

#[cfg(test)]
mod tests {
    use crate::files::read_text;
    use crate::inventory::{EnvValue, PolicyType, ProjectedSource, RoleKind, SelectorOperator, VolumeKind};

    const DEPLOY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: cart}
      annotations: {linkerd.io/inject: enabled}
    spec:
      serviceAccountName: cart
      automountServiceAccountToken: false
      containers:
      - name: app
        image: cart:1
        env:
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password}}
        - name: CATALOG_URL
          value: http://catalog:8080
        ports: [{containerPort: 8080, name: http}]
      volumes:
      - name: tok
        projected:
          sources:
          - serviceAccountToken: {expirationSeconds: 172800, audience: vault}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
data:
  password: c3VwZXItc2VjcmV0LXZhbHVl
  empty: ""
"#;

    #[test]
    fn only_syntactic_stand_ins_are_placeholders() {
        use super::{looks_like_placeholder, well_known_default};
        for p in [
            "",
            "  ",
            "<your-key>",
            "${DB_PASSWORD}",
            "$(TOKEN)",
            "{{ .Values.pw }}",
            "xxxx",
            "XXXXXXXX",
            "****",
        ] {
            assert!(looks_like_placeholder(p), "{p:?}");
        }
        for p in
            ["REPLACE_ME", "replace-with-your-key", "[REDACTED]", "redacted", "your-api-key-here", "TODO"]
        {
            assert!(looks_like_placeholder(p), "{p:?}");
        }
        for v in ["password", "secret", "admin", "changeme", "guest", "test", "a", "k9!", "example", "dummy"]
        {
            assert!(!looks_like_placeholder(v), "{v:?} is a value");
        }
        for d in ["password", "PASSWORD", "Admin", "CHANGE_ME", "change-me", "root", "1234"] {
            assert!(well_known_default(d), "{d:?}");
        }
        for v in ["Tr0ub4dor-demo-2019", "k9!", "admin-7f3a"] {
            assert!(!well_known_default(v), "{v:?}");
        }
    }

    #[test]
    fn secret_volume_items_are_kept() {
        let inv = read_text(
            "v.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers: [{name: c, image: i}]\n  volumes:\n  - name: a\n    secret: {secretName: tls, items: [{key: ca.crt, path: ca.crt}]}\n  - name: b\n    secret: {secretName: tls, items: []}\n  - name: c\n    projected: {sources: [{secret: {name: tls, items: [{key: tls.key, path: k}]}}]}\n",
        );
        let vols = &inv.workloads[0].pod.volumes;
        assert_eq!(
            vols[0].kind,
            VolumeKind::Secret { name: "tls".into(), items: Some(vec!["ca.crt".into()]) }
        );
        assert_eq!(vols[1].kind, VolumeKind::Secret { name: "tls".into(), items: None });
        assert_eq!(
            vols[2].kind,
            VolumeKind::Projected(vec![ProjectedSource::Secret {
                name: "tls".into(),
                items: Some(vec!["tls.key".into()])
            }])
        );
    }

    #[test]
    fn reads_pod_templates_and_secrets_without_keeping_values() {
        let inv = read_text("d.yaml", DEPLOY);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        let w = &inv.workloads[0];
        assert_eq!(w.meta.source.line, 2);
        assert_eq!(w.pod.service_account_name.as_deref(), Some("cart"));
        assert_eq!(w.pod.automount_token, Some(false));
        assert_eq!(w.pod.labels.get("app").map(String::as_str), Some("cart"));
        let env = &w.pod.containers[0].env;
        assert!(
            matches!(&env[0].value, EnvValue::SecretKey { secret, key } if secret == "db" && key == "password")
        );
        assert_eq!(env[1].line, 21);
        assert!(matches!(&w.pod.volumes[0].kind, VolumeKind::Projected(s)
            if matches!(s[0], ProjectedSource::ServiceAccountToken { expiration_seconds: Some(172_800), .. })));
        let s = &inv.secrets[0];
        assert!(s.entries[0].has_value);
        assert!(!s.entries[1].has_value);
        assert!(!format!("{s:?}").contains("super-secret"));
    }

    #[test]
    fn network_policy_types_are_defaulted_as_the_api_server_does() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: n}\n\
                    spec:\n  podSelector: {}\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b, namespace: n}\n\
                    spec:\n  podSelector: {}\n  egress: [{}]\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: c, namespace: n}\n\
                    spec:\n  podSelector: {}\n  egress: []\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d, namespace: n}\n\
                    spec:\n  podSelector: {}\n  policyTypes: [Egress]\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: e, namespace: n}\n\
                    spec:\n  podSelector: {}\n  policyTypes: [ingress]\n";
        let inv = read_text("np.yaml", text);
        let types: Vec<&[PolicyType]> =
            inv.network_policies.iter().map(|p| p.policy_types.as_slice()).collect();
        use PolicyType::{Egress, Ingress};
        assert_eq!(types, [&[Ingress][..], &[Ingress, Egress], &[Ingress], &[Egress], &[]]);
        assert!(inv.network_policies[0].applies_to(Ingress) && !inv.network_policies[3].applies_to(Ingress));
        // The misspelt entry is left out with a diagnostic that does not quote it.
        assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
        assert_eq!(inv.diagnostics[0].source.to_string(), "np.yaml:33");
        assert!(!inv.diagnostics[0].reason.contains("ingress"), "{}", inv.diagnostics[0].reason);
    }

    #[test]
    fn unknown_role_kinds_and_selector_operators_are_reported() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: a, namespace: n}\n\
                    roleRef: {kind: Role, name: r}\n---\n\
                    apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: n}\n\
                    roleRef: {name: r}\n---\n\
                    apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: c, namespace: n}\n\
                    roleRef:\n  kind: clusterrole\n  name: r\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\n\
                    spec:\n  podSelector:\n    matchExpressions:\n    - {key: app, operator: Gt, values: [\"1\"]}\n";
        let inv = read_text("rb.yaml", text);
        let kinds: Vec<RoleKind> = inv.role_bindings.iter().map(|b| b.role_kind).collect();
        assert_eq!(kinds, [RoleKind::Role, RoleKind::ClusterRole, RoleKind::Unknown]);
        let np = &inv.network_policies[0];
        let req = &np.pod_selector.match_expressions[0];
        assert_eq!(req.operator, SelectorOperator::Unknown);
        assert!(!np.pod_selector.matches(&[("app".to_owned(), "2".to_owned())].into()));
        let got: Vec<String> = inv.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("rb.yaml:15: RoleBinding: roleRef.kind"), "{got:?}");
        assert!(got[1].starts_with("rb.yaml:24: NetworkPolicy: a matchExpressions operator"), "{got:?}");
        assert!(got.iter().all(|d| !d.contains("clusterrole") && !d.contains("Gt")), "{got:?}");
    }
}
