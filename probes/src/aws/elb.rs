//! AWS load balancers (ALB, NLB) from AWS Config configuration items, and from ELBv2
//! `describe-load-balancers` / `describe-listeners` / `describe-target-groups` output.
//!
//! Configuration items are taken out of their envelopes by the crate's `config_items` module (one item in
//! the API or the delivery shape, `configurationItems`, `baseConfigurationItems`,
//! `configurationItem`, string-wrapped `invokingEvent` / SNS `Message`, SelectResourceConfig
//! `Results`; docs/semantics.md#aws-elb), which also hands the IAM items of the same document to
//! [`crate::aws::iam`]. This module reads the ELBv2 ones and the `describe-*` output (`LoadBalancers`,
//! `Listeners`, `TargetGroups`).
//!
//! Only `AWS::ElasticLoadBalancingV2::{LoadBalancer, Listener, TargetGroup}` are read; a document
//! holding none of them is not this module's (other readers or the skip count take it). Keys of
//! the resource configuration are matched without regard to case: Config records a load
//! balancer in camelCase (`loadBalancerArn`, `type`) and a listener in PascalCase.
//!
//! A document is read on its own, but a listener, its load balancer and its target groups may
//! be anywhere in the estate, so the resources are collected in [`RawInventory::aws_lb_items`] and
//! joined by ARN by [`join_load_balancers`] (from `crate::finish`) once every file is read.
//!
//! Semantics (docs/semantics.md#aws-elb): HTTPS and TLS listeners terminate TLS; TCP, UDP and TCP_UDP
//! listeners pass bytes through; HTTP is plaintext. Mutual TLS `verify` requires and verifies
//! client certificates; `passthrough` verifies nothing and hands the presented chain to the
//! target in `X-Amzn-Mtls-Clientcert`. ALB and NLB never validate target certificates, so every
//! backend has `verify_server: Some(false)`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::aws::config_items::{self, str_value};
use crate::inventory::{
    AwsLbItem, BackendTarget, ClientCertMode, Diagnostic, HeaderAction, IdentityHeader, Inventory,
    ListenerTls, PortTls, Proxy, ProxyBackend, ProxyKind, ProxyListener, ProxyRoute, RawInventory, Source,
    StringMap,
};
use crate::yaml::{Node, Value};

pub(crate) const LOAD_BALANCER: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
const LISTENER: &str = "AWS::ElasticLoadBalancingV2::Listener";
const TARGET_GROUP: &str = "AWS::ElasticLoadBalancingV2::TargetGroup";

static NULL: Node = Node { line: 0, value: Value::Null };

/// Reads a document holding AWS Config configuration items (or ELBv2 describe output) of load
/// balancers, listeners or target groups; false when it holds none. (The file walker reads
/// Config envelopes once for every family instead, and calls [`read_describe_output`] itself.)
pub fn read_document(node: &Node, file: &Arc<str>, inventory: &mut RawInventory) -> bool {
    let items = config_items::items(node, &[config_items::ELBV2]);
    let items: Vec<&Node> = items.iter().map(|i| &**i).collect();
    read_config_items(&items, file, inventory) || read_describe_output(node, file, inventory)
}

/// Reads ELBv2 configuration items (found by [`config_items::items`]) into
/// [`RawInventory::aws_lb_items`]; other resource types are ignored. False when none was an ELBv2
/// load balancer, listener or target group.
pub(crate) fn read_config_items(items: &[&Node], file: &Arc<str>, inventory: &mut RawInventory) -> bool {
    let mut consumed = false;
    for item in items {
        consumed |= read_item(item, file, inventory);
    }
    consumed
}

/// Reads ELBv2 `describe-load-balancers` / `describe-listeners` / `describe-target-groups`
/// output; false when the document is none of them.
pub fn read_describe_output(node: &Node, file: &Arc<str>, inventory: &mut RawInventory) -> bool {
    if !node.is_map() {
        return false;
    }
    let mut consumed = false;
    for (field, resource_type, arn_key, name_key) in [
        ("LoadBalancers", LOAD_BALANCER, "LoadBalancerArn", "LoadBalancerName"),
        ("Listeners", LISTENER, "ListenerArn", ""),
        ("TargetGroups", TARGET_GROUP, "TargetGroupArn", "TargetGroupName"),
    ] {
        let Some(list) = node.get(field).filter(|l| l.is_seq()) else { continue };
        for entry in list.items() {
            let Some(arn) = entry.get(arn_key).and_then(Node::string).filter(|a| a.starts_with("arn:"))
            else {
                continue;
            };
            consumed = true;
            inventory.aws_lb_items.push(AwsLbItem {
                resource_type: resource_type.to_owned(),
                arn,
                name: entry.get(name_key).and_then(Node::string),
                status: None,
                capture_time: None,
                configuration: entry.clone(),
                supplementary: NULL.clone(),
                tags: StringMap::new(),
                source: Source { file: Arc::clone(file), line: entry.line },
            });
        }
    }
    consumed
}

/// One configuration item; ignored (false) unless it is an ELBv2 load balancer, listener or
/// target group.
fn read_item(node: &Node, file: &Arc<str>, inventory: &mut RawInventory) -> bool {
    let resource_type = node.field("resourceType").string().unwrap_or_default();
    if ![LOAD_BALANCER, LISTENER, TARGET_GROUP].contains(&resource_type.as_str()) {
        return false;
    }
    let line = node.line;
    let configuration = match config_items::configuration(node, file) {
        Ok(c) => c.into_owned(),
        Err(diagnostic) => {
            inventory.diagnostics.push(diagnostic);
            NULL.clone()
        }
    };
    let mut embedded = |text: &str, line: u32| match config_items::parse_embedded(text, line) {
        Ok(parsed) => Some(parsed),
        Err(reason) => {
            inventory.diagnostics.push(Diagnostic {
                source: Source { file: Arc::clone(file), line },
                reason: format!("configuration item: embedded JSON is not valid: {reason}"),
            });
            None
        }
    };
    let supplementary = match node.get("supplementaryConfiguration") {
        Some(s) if s.is_map() => Node {
            line: s.line,
            value: Value::Map(
                s.entries()
                    .iter()
                    .map(|(k, v)| {
                        let parsed = str_value(v)
                            .filter(|t| t.trim_start().starts_with(['{', '[']))
                            .and_then(|t| embedded(t, v.line));
                        (k.clone(), parsed.unwrap_or_else(|| v.clone()))
                    })
                    .collect(),
            ),
        },
        _ => NULL.clone(),
    };
    let mut tags: StringMap = node.field("tags").string_map().into_iter().collect();
    for tag in ci(&supplementary, "Tags").map(Node::items).unwrap_or_default() {
        if let (Some(k), Some(v)) =
            (ci(tag, "key").and_then(Node::string), ci(tag, "value").and_then(Node::string))
        {
            tags.insert(k, v);
        }
    }
    let own_arn_key = match resource_type.as_str() {
        LOAD_BALANCER => "loadBalancerArn",
        LISTENER => "ListenerArn",
        _ => "TargetGroupArn",
    };
    let arn = config_items::arn(node)
        .or_else(|| node.field("resourceId").string().filter(|r| r.starts_with("arn:")))
        .or_else(|| ci(&configuration, own_arn_key).and_then(Node::string))
        .or_else(|| node.field("resourceId").string())
        .unwrap_or_default();
    inventory.aws_lb_items.push(AwsLbItem {
        resource_type,
        arn,
        name: node.field("resourceName").string(),
        status: node.field("configurationItemStatus").string(),
        capture_time: node.field("configurationItemCaptureTime").string(),
        configuration,
        supplementary,
        tags,
        source: Source { file: Arc::clone(file), line },
    });
    true
}

/// The child at `key`, ignoring ASCII case.
fn ci<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.entries().iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

fn ci_str(node: &Node, key: &str) -> Option<String> {
    ci(node, key).and_then(Node::string).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Joining
// ---------------------------------------------------------------------------------------------

/// Joins the collected load balancers, listeners and target groups (by ARN, across documents and
/// files) into [`Proxy`] items of kind `AwsAlb` / `AwsNlb`, appended to `inventory.proxies`. Of several items for one resource the latest
/// (`configurationItemCaptureTime`, then reading order) wins; deleted resources are dropped. A
/// listener whose load balancer was not read still gives a proxy, named from the listener's ARN.
/// Gateway load balancers are not modelled.
pub(crate) fn join_load_balancers(items: Vec<AwsLbItem>, inventory: &mut Inventory) {
    if items.is_empty() {
        return;
    }
    // Latest item per resource.
    let mut latest: Vec<AwsLbItem> = Vec::new();
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for item in items {
        let k = (item.resource_type.clone(), item.arn.clone());
        match index.get(&k) {
            Some(&i) => {
                if item.capture_time >= latest[i].capture_time {
                    latest[i] = item;
                }
            }
            None => {
                index.insert(k, latest.len());
                latest.push(item);
            }
        }
    }
    latest.retain(|i| {
        !matches!(i.status.as_deref(), Some("ResourceDeleted" | "ResourceDeletedNotRecorded"))
            && !i.configuration.is_null()
    });

    let target_groups: BTreeMap<&str, &AwsLbItem> =
        latest.iter().filter(|i| i.resource_type == TARGET_GROUP).map(|i| (i.arn.as_str(), i)).collect();
    let mut listeners_by_lb: BTreeMap<String, Vec<&AwsLbItem>> = BTreeMap::new();
    for l in latest.iter().filter(|i| i.resource_type == LISTENER) {
        let lb = ci_str(&l.configuration, "LoadBalancerArn").unwrap_or_else(|| lb_arn_of_listener(&l.arn));
        listeners_by_lb.entry(lb).or_default().push(l);
    }

    let mut proxies = Vec::new();
    let mut seen_lbs: Vec<&str> = Vec::new();
    for lb in latest.iter().filter(|i| i.resource_type == LOAD_BALANCER) {
        seen_lbs.push(&lb.arn);
        let listeners = listeners_by_lb.get(&lb.arn).map(Vec::as_slice).unwrap_or_default();
        if let Some(p) = build_proxy(Some(lb), &lb.arn, listeners, &target_groups) {
            proxies.push(p);
        }
    }
    // Listeners whose load balancer was not read, in reading order.
    let mut orphans: Vec<(&String, &Vec<&AwsLbItem>)> =
        listeners_by_lb.iter().filter(|(arn, _)| !seen_lbs.contains(&arn.as_str())).collect();
    orphans.sort_by_key(|(_, ls)| ls.first().map(|l| (l.source.file.clone(), l.source.line)));
    for (arn, listeners) in orphans {
        if let Some(p) = build_proxy(None, arn, listeners, &target_groups) {
            proxies.push(p);
        }
    }
    inventory.proxies.extend(proxies);
}

/// `...:listener/app/NAME/LBID/LISTENERID` → `...:loadbalancer/app/NAME/LBID`.
fn lb_arn_of_listener(listener_arn: &str) -> String {
    let Some((prefix, rest)) = listener_arn.split_once(":listener/") else { return String::new() };
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() < 3 {
        return String::new();
    }
    format!("{prefix}:loadbalancer/{}", parts[..3].join("/"))
}

/// The name inside an ELBv2 ARN: `loadbalancer/app/NAME/ID` or `targetgroup/NAME/ID`.
fn name_in_arn(arn: &str) -> String {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    let parts: Vec<&str> = resource.split('/').collect();
    match parts.as_slice() {
        ["loadbalancer", "app" | "net" | "gwy", name, ..] => (*name).to_owned(),
        ["listener", "app" | "net" | "gwy", name, ..] => (*name).to_owned(),
        ["targetgroup", name, ..] => (*name).to_owned(),
        _ => resource.to_owned(),
    }
}

fn kind_of(lb_type: Option<&str>, arn: &str) -> Option<ProxyKind> {
    let ty = lb_type.map(str::to_ascii_lowercase).unwrap_or_else(|| {
        if arn.contains("/app/") {
            "application".into()
        } else if arn.contains("/net/") {
            "network".into()
        } else {
            String::new()
        }
    });
    match ty.as_str() {
        "application" => Some(ProxyKind::AwsAlb),
        "network" => Some(ProxyKind::AwsNlb),
        _ => None,
    }
}

fn build_proxy(
    lb: Option<&AwsLbItem>,
    arn: &str,
    listener_items: &[&AwsLbItem],
    target_groups: &BTreeMap<&str, &AwsLbItem>,
) -> Option<Proxy> {
    let cfg = lb.map_or(&NULL, |l| &l.configuration);
    let lb_type = ci_str(cfg, "type");
    let kind = kind_of(lb_type.as_deref(), arn)?;
    let source = match lb {
        Some(l) => l.source.clone(),
        None => listener_items.first()?.source.clone(),
    };
    let name = ci_str(cfg, "loadBalancerName")
        .or_else(|| lb.and_then(|l| l.name.clone()))
        .unwrap_or_else(|| name_in_arn(arn));
    let mut attrs = StringMap::new();
    attrs.insert("arn".into(), arn.to_owned());
    let arn_parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, _, _, region, account, _] = arn_parts.as_slice() {
        attrs.insert("region".into(), (*region).to_owned());
        attrs.insert("account".into(), (*account).to_owned());
    }
    if let Some(t) = &lb_type {
        attrs.insert("type".into(), t.clone());
    }
    if let Some(s) = ci_str(cfg, "scheme") {
        attrs.insert("scheme".into(), s);
    }
    if let Some(d) = ci_str(cfg, "dNSName") {
        attrs.insert("dns_name".into(), d);
    }
    if lb.is_none() {
        attrs.insert("load_balancer_item".into(), "not read: built from its listeners".into());
    }
    if let Some(lb) = lb {
        let attributes = ci(&lb.supplementary, "LoadBalancerAttributes").or_else(|| ci(cfg, "attributes"));
        for a in attributes.map(Node::items).unwrap_or_default() {
            if let (Some(k), Some(v)) = (ci_str(a, "key"), ci(a, "value").and_then(Node::string))
                && k.starts_with("routing.http.")
            {
                attrs.insert(format!("attribute:{k}"), v);
            }
        }
        for (k, v) in &lb.tags {
            if k.contains("k8s.aws/") || k.starts_with("kubernetes.io/") {
                attrs.insert(format!("tag:{k}"), v.clone());
            }
        }
    }

    let mut listeners: Vec<ProxyListener> = Vec::new();
    let mut used_target_groups: Vec<String> = Vec::new();
    let mut unresolved: Vec<String> = Vec::new();
    let mut sorted: Vec<&AwsLbItem> = listener_items.to_vec();
    sorted.sort_by_key(|l| (ci(&l.configuration, "Port").and_then(Node::as_i64), l.arn.clone()));
    for item in sorted {
        let listener = build_listener(item, &source, target_groups, &mut attrs, &mut unresolved);
        for r in &listener.routes {
            if let BackendTarget::Named(n) = &r.backend.target {
                used_target_groups.push(n.clone());
            }
        }
        listeners.push(listener);
    }
    if !unresolved.is_empty() {
        unresolved.sort();
        unresolved.dedup();
        attrs.insert("unresolved_target_groups".into(), unresolved.join(", "));
    }
    // Target groups attached to this load balancer but not reached by a default action (listener
    // rules, which Config does not record here).
    let mut others: Vec<String> = target_groups
        .values()
        .filter(|tg| {
            ci(&tg.configuration, "LoadBalancerArns").is_some_and(|l| l.strings().iter().any(|a| a == arn))
        })
        .map(|tg| target_group_name(tg))
        .filter(|n| !used_target_groups.contains(n))
        .collect();
    if !others.is_empty() {
        others.sort();
        others.dedup();
        attrs.insert("target_groups_not_in_default_actions".into(), others.join(", "));
    }
    Some(Proxy {
        kind,
        name,
        namespace: None,
        source,
        runs_on: None,
        listeners,
        attrs,
        credentials: Vec::new(),
    })
}

fn target_group_name(tg: &AwsLbItem) -> String {
    ci_str(&tg.configuration, "TargetGroupName")
        .or_else(|| tg.name.clone())
        .unwrap_or_else(|| name_in_arn(&tg.arn))
}

fn build_listener(
    item: &AwsLbItem,
    proxy_source: &Source,
    target_groups: &BTreeMap<&str, &AwsLbItem>,
    attrs: &mut StringMap,
    unresolved: &mut Vec<String>,
) -> ProxyListener {
    let cfg = &item.configuration;
    let protocol = ci_str(cfg, "Protocol").unwrap_or_default().to_ascii_uppercase();
    let port = ci(cfg, "Port").and_then(Node::as_i64).and_then(|p| u32::try_from(p).ok());
    let name = match port {
        Some(p) => format!("{protocol}:{p}"),
        None => protocol.clone(),
    };
    let other_file = item.source.file != proxy_source.file;
    let line = item.source.line;
    let tls = match protocol.as_str() {
        "HTTPS" | "TLS" => ListenerTls::Terminate,
        "HTTP" => ListenerTls::Plaintext,
        // TCP, UDP, TCP_UDP (and a Gateway Load Balancer's GENEVE): bytes pass through, TLS or
        // not as the targets speak.
        _ => ListenerTls::Layer4,
    };
    let mtls = ci(cfg, "MutualAuthentication").or_else(|| ci(&item.supplementary, "MutualAuthentication"));
    let mode = mtls.and_then(|m| ci_str(m, "Mode")).map(|m| m.to_ascii_lowercase());
    let mtls_line = mtls.map_or(line, |m| m.line);
    let mut identity_headers = Vec::new();
    let client_cert = match mode.as_deref() {
        Some("verify") => {
            for suffix in ["Serial-Number", "Issuer", "Subject", "Validity", "Leaf"] {
                identity_headers.push(IdentityHeader {
                    name: format!("X-Amzn-Mtls-Clientcert-{suffix}"),
                    action: HeaderAction::Set { from_client_cert: true },
                    line: mtls_line,
                });
            }
            ClientCertMode::Required
        }
        Some("passthrough") => {
            identity_headers.push(IdentityHeader {
                name: "X-Amzn-Mtls-Clientcert".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: mtls_line,
            });
            ClientCertMode::Unverified
        }
        _ => ClientCertMode::None,
    };
    let mut listener = ProxyListener {
        name,
        port,
        hosts: Vec::new(),
        tls,
        client_cert,
        xfcc: None,
        identity_headers,
        jwt: Vec::new(),
        authz: Vec::new(),
        routes: Vec::new(),
        local_only: false,
        address: None,
        line,
        file: other_file.then(|| Arc::clone(&item.source.file)),
    };

    let mut actions: Vec<&Node> =
        ci(cfg, "DefaultActions").map(Node::items).unwrap_or_default().iter().collect();
    actions.sort_by_key(|a| ci(a, "Order").and_then(Node::as_i64).unwrap_or(i64::MAX));
    for action in actions {
        let ty = ci_str(action, "Type").unwrap_or_default().to_ascii_lowercase();
        match ty.as_str() {
            "forward" => {
                let mut arns: Vec<String> = ci(action, "ForwardConfig")
                    .and_then(|fc| ci(fc, "TargetGroups"))
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|tg| ci_str(tg, "TargetGroupArn"))
                    .collect();
                if let Some(a) = ci_str(action, "TargetGroupArn")
                    && !arns.contains(&a)
                {
                    arns.insert(0, a);
                }
                for arn in arns {
                    let backend =
                        target_group_backend(&arn, item, target_groups, action.line, attrs, unresolved);
                    listener.routes.push(ProxyRoute {
                        matches: "default action".into(),
                        backend,
                        identity_headers: None,
                        line: action.line,
                    });
                }
            }
            "authenticate-oidc" | "authenticate-cognito" => {
                let (config_key, what) = if ty == "authenticate-oidc" {
                    ("AuthenticateOidcConfig", "Issuer")
                } else {
                    ("AuthenticateCognitoConfig", "UserPoolArn")
                };
                let config = ci(action, config_key).unwrap_or(&NULL);
                let by = ci_str(config, what).unwrap_or_default();
                let on_unauthenticated =
                    ci_str(config, "OnUnauthenticatedRequest").unwrap_or_else(|| "authenticate".into());
                listener
                    .authz
                    .push(format!("{ty} ({what} {by}; unauthenticated requests: {on_unauthenticated})"));
                for header in ["x-amzn-oidc-data", "x-amzn-oidc-identity", "x-amzn-oidc-accesstoken"] {
                    listener.identity_headers.push(IdentityHeader {
                        name: header.into(),
                        action: HeaderAction::Set { from_client_cert: false },
                        line: action.line,
                    });
                }
            }
            _ => {}
        }
    }
    listener
}

fn target_group_backend(
    arn: &str,
    listener: &AwsLbItem,
    target_groups: &BTreeMap<&str, &AwsLbItem>,
    line: u32,
    attrs: &mut StringMap,
    unresolved: &mut Vec<String>,
) -> ProxyBackend {
    let (name, tls, port_tls, line) = match target_groups.get(arn) {
        Some(tg) => {
            let name = target_group_name(tg);
            let cfg = &tg.configuration;
            let protocol = ci_str(cfg, "Protocol").unwrap_or_default().to_ascii_uppercase();
            let line = if tg.source.file == listener.source.file {
                tg.source.line
            } else {
                attrs.insert(format!("source:target group {name}"), tg.source.to_string());
                line
            };
            (name, protocol == "HTTPS" || protocol == "TLS", health_check_tls(cfg), line)
        }
        None => {
            let name = name_in_arn(arn);
            unresolved.push(name.clone());
            (name, false, PortTls::Unknown, line)
        }
    };
    ProxyBackend {
        target: BackendTarget::Named(name),
        tls,
        // ALB and NLB never validate target certificates.
        verify_server: Some(false),
        client_cert: false,
        substitutes_identity: None,
        credential: None,
        port_tls,
        line,
    }
}

/// What a target group's health check shows of the traffic port: an HTTP check on it means the
/// targets serve plain HTTP there, an HTTPS check that they serve TLS (`HealthCheckPort` is
/// `traffic-port` by default). A TCP check, or a check on another port, shows nothing.
fn health_check_tls(tg: &Node) -> PortTls {
    let port = ci(tg, "HealthCheckPort").and_then(Node::as_str);
    let traffic_port = ci(tg, "Port").and_then(Node::as_i64);
    let on_traffic_port = match port.as_deref() {
        None | Some("traffic-port") => true,
        Some(p) => p.parse::<i64>().ok().is_some_and(|p| Some(p) == traffic_port),
    };
    if !on_traffic_port {
        return PortTls::Unknown;
    }
    match ci_str(tg, "HealthCheckProtocol").map(|p| p.to_ascii_uppercase()).as_deref() {
        Some("HTTP") => PortTls::Plaintext,
        Some("HTTPS") => PortTls::Tls,
        _ => PortTls::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::read_text_raw;
    use crate::yaml;

    const LB_ARN: &str =
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
    const TG_ARN: &str =
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067";

    fn read_all(files: &[(&str, &str)]) -> Inventory {
        let mut raw = RawInventory::default();
        for (name, text) in files {
            raw.extend(read_text_raw(name, text, None));
        }
        crate::finish(raw)
    }

    /// An API-shape item: `configuration` is a JSON string.
    fn api_item(resource_type: &str, arn: &str, configuration: &str) -> String {
        let escaped = configuration.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " ");
        format!(
            r#"{{"version": "1.3", "accountId": "123456789012", "configurationItemStatus": "OK",
 "arn": "{arn}", "resourceType": "{resource_type}", "resourceId": "{arn}",
 "relationships": [{{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1", "relationshipName": "Is contained in Vpc"}}],
 "configuration": "{escaped}", "supplementaryConfiguration": {{}}}}"#
        )
    }

    #[test]
    fn api_shape_with_configuration_as_a_string() {
        let lb = api_item(
            LOAD_BALANCER,
            LB_ARN,
            &format!(
                r#"{{"loadBalancerArn": "{LB_ARN}", "loadBalancerName": "web", "type": "application", "scheme": "internet-facing"}}"#
            ),
        );
        let text = format!("{{\"configurationItems\": [\n{lb}\n]}}");
        let inv = read_all(&[("history.json", &text)]);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        assert_eq!(inv.proxies.len(), 1);
        let p = &inv.proxies[0];
        assert_eq!((p.kind, p.name.as_str()), (ProxyKind::AwsAlb, "web"));
        assert_eq!(p.attrs.get("scheme").map(String::as_str), Some("internet-facing"));
        assert_eq!(p.attrs.get("account").map(String::as_str), Some("123456789012"));
        assert_eq!(p.source.line, 2, "the item's line");
    }

    #[test]
    fn delivery_shape_with_configuration_as_an_object() {
        let text = format!(
            r#"{{"fileVersion": "1.0", "configSnapshotId": "x", "configurationItems": [
  {{"configurationItemVersion": "1.3", "awsAccountId": "123456789012", "ARN": "{LB_ARN}",
    "resourceType": "{LOAD_BALANCER}", "resourceName": "web",
    "relationships": [{{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1", "name": "Is contained in Vpc"}}],
    "configuration": {{"type": "network", "scheme": "internal"}},
    "supplementaryConfiguration": {{"LoadBalancerAttributes": "[{{\"key\": \"routing.http.drop_invalid_header_fields.enabled\", \"value\": \"true\"}}]"}},
    "tags": {{"elbv2.k8s.aws/cluster": "prod"}}}}
]}}"#
        );
        let inv = read_all(&[("snapshot.json", &text)]);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        let p = &inv.proxies[0];
        assert_eq!((p.kind, p.name.as_str()), (ProxyKind::AwsNlb, "web"));
        assert_eq!(p.attrs.get("scheme").map(String::as_str), Some("internal"));
        assert_eq!(p.attrs.get("tag:elbv2.k8s.aws/cluster").map(String::as_str), Some("prod"));
        assert_eq!(
            p.attrs.get("attribute:routing.http.drop_invalid_header_fields.enabled").map(String::as_str),
            Some("true")
        );
        assert_eq!(p.source.line, 2);
    }

    #[test]
    fn listener_joins_its_load_balancer_and_target_group_across_files() {
        let lb = format!(
            r#"{{"configurationItem": {{"ARN": "{LB_ARN}", "resourceType": "{LOAD_BALANCER}",
  "configuration": {{"loadBalancerName": "web", "type": "application"}}}},
  "messageType": "ConfigurationItemChangeNotification"}}"#
        );
        let listener_arn = LB_ARN.replace(":loadbalancer/", ":listener/") + "/f2f7dc8efc522ab2";
        let listener = api_item(
            LISTENER,
            &listener_arn,
            &format!(
                r#"{{"LoadBalancerArn": "{LB_ARN}", "Protocol": "HTTPS", "Port": 443,
  "Certificates": [{{"CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/x"}}],
  "MutualAuthentication": {{"Mode": "verify", "TrustStoreArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/ts/1"}},
  "DefaultActions": [{{"Type": "forward", "TargetGroupArn": "{TG_ARN}",
     "ForwardConfig": {{"TargetGroups": [{{"TargetGroupArn": "{TG_ARN}", "Weight": 1}}]}}}}]}}"#
            ),
        );
        let tg = format!(
            r#"{{"baseConfigurationItems": [{{"arn": "{TG_ARN}", "resourceType": "{TARGET_GROUP}",
  "configuration": "{{\"TargetGroupName\": \"web-tg\", \"Protocol\": \"HTTPS\", \"Port\": 8443, \"TargetType\": \"ip\"}}"}}]}}"#
        );
        let inv = read_all(&[("a-lb.json", &lb), ("b-listener.json", &listener), ("c-tg.json", &tg)]);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        assert_eq!(inv.proxies.len(), 1);
        let p = &inv.proxies[0];
        assert_eq!(&*p.source.file, "a-lb.json");
        let l = &p.listeners[0];
        assert_eq!((l.name.as_str(), l.port, l.tls), ("HTTPS:443", Some(443), ListenerTls::Terminate));
        assert_eq!(l.client_cert, ClientCertMode::Required);
        assert_eq!(l.file.as_deref(), Some("b-listener.json"));
        assert_eq!(l.identity_headers.len(), 5);
        assert_eq!(l.routes.len(), 1);
        let b = &l.routes[0].backend;
        assert_eq!(b.target, BackendTarget::Named("web-tg".into()));
        assert!(b.tls);
        assert_eq!(b.verify_server, Some(false), "ALBs never verify target certificates");
        assert!(p.attrs.contains_key("source:target group web-tg"));
    }

    #[test]
    fn passthrough_mtls_forwards_an_unverified_chain() {
        let listener_arn = LB_ARN.replace(":loadbalancer/", ":listener/") + "/1";
        let text = format!(
            r#"{{"Listeners": [{{"ListenerArn": "{listener_arn}", "LoadBalancerArn": "{LB_ARN}",
  "Port": 443, "Protocol": "HTTPS",
  "MutualAuthentication": {{"Mode": "passthrough"}},
  "DefaultActions": [{{"Type": "forward", "TargetGroupArn": "{TG_ARN}"}}]}}]}}"#
        );
        let inv = read_all(&[("listeners.json", &text)]);
        let p = &inv.proxies[0];
        assert_eq!((p.kind, p.name.as_str()), (ProxyKind::AwsAlb, "web"), "named from the ARN");
        let l = &p.listeners[0];
        assert_eq!(l.client_cert, ClientCertMode::Unverified);
        assert_eq!(
            l.identity_headers,
            vec![IdentityHeader {
                name: "X-Amzn-Mtls-Clientcert".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: 3,
            }]
        );
        assert_eq!(p.attrs.get("unresolved_target_groups").map(String::as_str), Some("web-tg"));
        assert!(!l.routes[0].backend.tls);
    }

    #[test]
    fn latest_item_wins_and_deleted_resources_are_dropped() {
        let tcp = |time: &str, status: &str, protocol: &str| {
            format!(
                r#"{{"arn": "{LB_ARN}/l1", "resourceType": "{LISTENER}", "configurationItemCaptureTime": "{time}",
  "configurationItemStatus": "{status}", "configuration": {{"LoadBalancerArn": "{LB_ARN}", "Protocol": "{protocol}", "Port": 443}}}}"#
            )
        };
        let text = format!(
            "{{\"configurationItems\": [{}, {}]}}",
            tcp("2024-02-01T00:00:00Z", "OK", "TCP"),
            tcp("2024-01-01T00:00:00Z", "OK", "TLS")
        );
        let inv = read_all(&[("h.json", &text)]);
        assert_eq!(inv.proxies[0].listeners.len(), 1);
        assert_eq!(inv.proxies[0].listeners[0].tls, ListenerTls::Layer4, "TCP passes bytes through");

        let text = format!(
            "{{\"configurationItems\": [{}, {}]}}",
            tcp("2024-01-01T00:00:00Z", "OK", "TCP"),
            tcp("2024-03-01T00:00:00Z", "ResourceDeleted", "TCP")
        );
        let inv = read_all(&[("h.json", &text)]);
        assert!(inv.proxies.is_empty());
    }

    #[test]
    fn a_bare_array_of_items_is_read_when_offered() {
        let text = format!(
            r#"[{{"arn": "{LB_ARN}", "resourceType": "{LOAD_BALANCER}", "configuration": {{"type": "network"}}}}]"#
        );
        let doc = yaml::parse_documents(&text).remove(0).unwrap();
        let mut raw = RawInventory::default();
        assert!(read_document(&doc, &Arc::from("array.json"), &mut raw));
        let inv = crate::finish(raw);
        assert_eq!(inv.proxies[0].kind, ProxyKind::AwsNlb);
    }

    #[test]
    fn other_documents_are_not_read() {
        for other in [
            // An IAM policy, a resource schema, an IAM Config item, an attributes dump.
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
            r#"{"accountId": "string", "arn": "string", "resourceType": "string", "configuration.type": "string"}"#,
            r#"{"arn": "arn:aws:iam::1:role/r", "resourceType": "AWS::IAM::Role", "configuration": "{}"}"#,
            r#"{"Attributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "60"}]}"#,
        ] {
            let inv = read_all(&[("other.json", other)]);
            assert!(inv.proxies.is_empty() && inv.diagnostics.is_empty(), "{other}");
            assert_eq!(inv.skipped_kinds.get("(no kind)"), Some(&1), "{other}");
        }
    }

    #[test]
    fn broken_embedded_configuration_is_reported_at_the_item() {
        let text = format!(
            "{{\n\"arn\": \"{LB_ARN}\", \"resourceType\": \"{LOAD_BALANCER}\",\n\"configuration\": \"{{not json\"}}"
        );
        let inv = read_all(&[("broken.json", &text)]);
        assert_eq!(inv.diagnostics.len(), 1);
        assert_eq!(inv.diagnostics[0].source.line, 3);
        assert!(inv.proxies.is_empty());
    }
}
