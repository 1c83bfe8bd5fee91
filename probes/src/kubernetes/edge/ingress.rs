//! Ingress (`networking.k8s.io`), read into a proxy as soon as it is read; ingress-nginx and
//! AWS Load Balancer Controller annotations (see docs/semantics.md#ingress).

use super::helpers::ALB;
use super::helpers::BackendTls;
use super::helpers::NGINX;
use super::helpers::annotation_line;
use super::helpers::host_matches;
use super::helpers::new_proxy;
use super::helpers::parse_annotation;
use super::helpers::port_of;

use crate::inventory::{
    BackendTarget, ClientCertMode, Diagnostic, HeaderAction, IdentityHeader, ListenerTls, ObjectMeta, Proxy,
    ProxyBackend, ProxyKind, ProxyListener, ProxyRoute,
};
use crate::yaml::Node;
use std::collections::{BTreeSet, HashMap};

/// One path of an Ingress rule (or the default backend, with `host` None and path `*`).
pub(super) struct IngressPath {
    pub(super) host: Option<String>,
    pub(super) default: bool,
    pub(super) matches: String,
    pub(super) target: BackendTarget,
    pub(super) line: u32,
}

pub(super) fn ingress_backend(backend: &Node, namespace: &str, alb: bool) -> Option<BackendTarget> {
    if let Some(service) = backend.get("service") {
        let name = service.field("name").string()?;
        let port = service.field("port");
        let port = port.field("number").string().or_else(|| port.field("name").string());
        if alb && port.as_deref() == Some("use-annotation") {
            return Some(BackendTarget::Named(format!("ALB action {name}")));
        }
        return Some(BackendTarget::Service { namespace: namespace.to_owned(), name, port });
    }
    if let Some(name) = backend.field("serviceName").string() {
        let port = backend.field("servicePort").string();
        if alb && port.as_deref() == Some("use-annotation") {
            return Some(BackendTarget::Named(format!("ALB action {name}")));
        }
        return Some(BackendTarget::Service { namespace: namespace.to_owned(), name, port });
    }
    let resource = backend.get("resource")?;
    let kind = resource.field("kind").string().unwrap_or_default();
    let name = resource.field("name").string().unwrap_or_default();
    Some(BackendTarget::Named(format!("{kind}/{name}")))
}

pub(super) fn ingress_paths(spec: &Node, namespace: &str, alb: bool) -> Vec<IngressPath> {
    let mut out = Vec::new();
    for rule in spec.field("rules").items() {
        let host = rule.field("host").string().filter(|h| !h.is_empty());
        for path in rule.at(&["http", "paths"]).map(Node::items).unwrap_or_default() {
            let Some(target) = ingress_backend(path.field("backend"), namespace, alb) else { continue };
            let p = path.field("path").string().unwrap_or_else(|| "/".to_owned());
            out.push(IngressPath {
                matches: format!("{}{p}", host.as_deref().unwrap_or("*")),
                host: host.clone(),
                default: false,
                target,
                line: path.line,
            });
        }
    }
    let default = spec.get("defaultBackend").or_else(|| spec.get("backend"));
    if let Some(target) = default.and_then(|d| ingress_backend(d, namespace, alb)) {
        out.push(IngressPath {
            host: None,
            default: true,
            matches: "* (default backend)".to_owned(),
            target,
            line: default.map_or(spec.line, |d| d.line),
        });
    }
    out
}

pub(super) fn ingress(node: &Node, meta: &ObjectMeta, diagnostics: &mut Vec<Diagnostic>) -> Proxy {
    let spec = node.field("spec");
    let ann = &meta.annotations;
    let class =
        spec.field("ingressClassName").string().or_else(|| ann.get("kubernetes.io/ingress.class").cloned());
    let has_prefix = |prefix: &str| ann.keys().any(|k| k.starts_with(prefix));
    let kind = match class.as_deref() {
        Some("nginx") => ProxyKind::IngressNginx,
        Some("alb") => ProxyKind::IngressAlb,
        _ if has_prefix(NGINX) => ProxyKind::IngressNginx,
        _ if has_prefix(ALB) => ProxyKind::IngressAlb,
        _ => ProxyKind::Ingress,
    };
    let mut proxy = new_proxy(kind, meta);
    if let Some(class) = &class {
        proxy.attrs.insert("class".to_owned(), class.clone());
    }
    let paths = ingress_paths(spec, meta.ns(), kind == ProxyKind::IngressAlb);
    match kind {
        ProxyKind::IngressAlb => alb_ingress(node, meta, &paths, &mut proxy, diagnostics),
        _ => host_ingress(node, meta, &paths, kind == ProxyKind::IngressNginx, &mut proxy),
    }
    super::helpers::publish_address(node, &mut proxy);
    proxy
}

/// The ingress-nginx identity headers (`ssl-client-*`) and what the controller does with them.
pub(super) fn nginx_identity_headers(
    ca_configured: bool,
    pass_certificate: bool,
    line: u32,
) -> Vec<IdentityHeader> {
    let set = HeaderAction::Set { from_client_cert: true };
    let header = |name: &str, action: HeaderAction| IdentityHeader { name: name.to_owned(), action, line };
    let mut headers = Vec::new();
    for name in ["ssl-client-subject-dn", "ssl-client-issuer-dn", "ssl-client-verify"] {
        headers.push(header(name, if ca_configured { set.clone() } else { HeaderAction::PassThrough }));
    }
    // `ssl-client-cert` is only written with auth-tls-pass-certificate-to-upstream; otherwise a
    // client-supplied one goes through.
    let cert_action = if ca_configured && pass_certificate { set } else { HeaderAction::PassThrough };
    headers.push(header("ssl-client-cert", cert_action));
    headers
}

/// ingress-nginx and Ingresses of other host-routing controllers: one TLS listener per `tls`
/// entry, a plaintext listener for the rules no TLS entry covers.
pub(super) fn host_ingress(
    node: &Node,
    meta: &ObjectMeta,
    paths: &[IngressPath],
    nginx: bool,
    proxy: &mut Proxy,
) {
    let spec = node.field("spec");
    let ann = |key: &str| {
        if nginx { meta.annotations.get(&format!("{NGINX}{key}")).map(String::as_str) } else { None }
    };
    let ann_line = |key: &str| annotation_line(node, meta, &format!("{NGINX}{key}"));
    let tls_items = spec.field("tls").items();

    if ann("ssl-passthrough") == Some("true") {
        // L4: the controller forwards the TLS stream by SNI; every other annotation is ignored.
        proxy
            .attrs
            .insert("ssl-passthrough".to_owned(), "true (all other annotations are ignored)".to_owned());
        let mut hosts = BTreeSet::new();
        for p in paths {
            hosts.insert(p.host.clone().unwrap_or_else(|| "*".to_owned()));
        }
        for t in tls_items {
            hosts.extend(t.field("hosts").strings());
        }
        let mut l = ProxyListener::new(
            "ssl-passthrough".to_owned(),
            Some(443),
            hosts.into_iter().collect(),
            ListenerTls::Passthrough,
            ann_line("ssl-passthrough"),
        );
        let plain = BackendTls::default();
        for p in paths {
            l.routes.push(route_to(p.matches.clone(), plain.backend(p.target.clone(), p.line), p.line));
        }
        proxy.listeners.push(l);
        return;
    }

    // Client certificates (per host: every TLS listener of this Ingress).
    let auth_secret = ann("auth-tls-secret").filter(|s| !s.is_empty());
    let client_cert = match (auth_secret, ann("auth-tls-verify-client").unwrap_or("on")) {
        (None, _) => ClientCertMode::None,
        (Some(_), "optional") => ClientCertMode::Optional,
        (Some(_), "optional_no_ca") => ClientCertMode::Unverified,
        (Some(_), "off") => ClientCertMode::None,
        (Some(_), _) => ClientCertMode::Required,
    };
    let pass_cert = ann("auth-tls-pass-certificate-to-upstream") == Some("true");
    let headers_line = if auth_secret.is_some() { ann_line("auth-tls-secret") } else { meta.source.line };

    // Backends.
    let protocol = ann("backend-protocol").unwrap_or("HTTP").to_ascii_uppercase();
    let proxy_ssl_secret = ann("proxy-ssl-secret").filter(|s| !s.is_empty());
    let backend = if matches!(protocol.as_str(), "HTTPS" | "GRPCS") {
        // proxy-ssl-* settings are read only together with proxy-ssl-secret; verify defaults off.
        let verify = proxy_ssl_secret.is_some() && ann("proxy-ssl-verify") == Some("on");
        BackendTls {
            tls: true,
            verify_server: Some(verify),
            client_cert: proxy_ssl_secret.is_some(),
            substitutes_identity: proxy_ssl_secret
                .map(|s| format!("the ingress controller's client certificate (proxy-ssl-secret {s})")),
        }
    } else {
        BackendTls::default()
    };

    // Authentication at the controller.
    let mut authz = Vec::new();
    if let Some(url) = ann("auth-url") {
        // A `user:password@` in it is a credential the controller sends to the auth service.
        let (url, credential) = crate::urls::split_userinfo(url);
        if let Some(credential) = credential {
            proxy.credentials.push(crate::inventory::ProxyCredential {
                peer: crate::urls::authority(&url).to_owned(),
                credential,
                line: annotation_line(node, meta, &format!("{NGINX}auth-url")),
                file: None,
            });
        }
        authz.push(format!("ingress-nginx external authentication (auth-url {url})"));
    }
    if let Some(kind) = ann("auth-type") {
        authz.push(format!("ingress-nginx {kind} authentication (auth-secret)"));
    }

    if nginx {
        for key in [
            "backend-protocol",
            "auth-tls-secret",
            "auth-tls-verify-client",
            "auth-tls-verify-depth",
            "auth-tls-pass-certificate-to-upstream",
            "auth-tls-match-cn",
            "proxy-ssl-secret",
            "proxy-ssl-verify",
            "proxy-ssl-name",
            "ssl-redirect",
            "force-ssl-redirect",
        ] {
            if let Some(v) = ann(key) {
                proxy.attrs.insert(key.to_owned(), v.to_owned());
            }
        }
        let snippets: Vec<&str> = ["configuration-snippet", "server-snippet", "auth-snippet"]
            .into_iter()
            .filter(|k| ann(k).is_some())
            .collect();
        if !snippets.is_empty() {
            let sets_headers = snippets.iter().any(|k| {
                ann(k).is_some_and(|s| {
                    s.contains("proxy_set_header")
                        || s.contains("more_set_input_headers")
                        || s.contains("more_clear_input_headers")
                })
            });
            proxy.attrs.insert(
                "snippets".to_owned(),
                format!(
                    "{} (nginx configuration injected by the Ingress; {})",
                    snippets.join(", "),
                    if sets_headers { "sets request headers" } else { "can rewrite request headers" }
                ),
            );
        }
    } else {
        proxy.attrs.insert(
            "controller".to_owned(),
            "not modelled: TLS and header handling of this class are unknown".to_owned(),
        );
    }

    // TLS listeners, one per `tls` entry; a rule goes to the first entry covering its host.
    let covers = |t: &Node, host: &Option<String>| {
        let hosts = t.field("hosts").strings();
        match host {
            Some(h) => hosts.iter().any(|p| host_matches(p, h)),
            None => hosts.is_empty(),
        }
    };
    let mut covered = vec![false; paths.len()];
    for (i, t) in tls_items.iter().enumerate() {
        let name = t.field("secretName").string().unwrap_or_else(|| format!("tls-{i}"));
        let hosts = t.field("hosts").strings();
        let hosts = if hosts.is_empty() { vec!["*".to_owned()] } else { hosts };
        let mut l = ProxyListener::new(name, Some(443), hosts, ListenerTls::Terminate, t.line);
        l.client_cert = client_cert;
        if nginx {
            let line = if auth_secret.is_some() { headers_line } else { t.line };
            l.identity_headers = nginx_identity_headers(auth_secret.is_some(), pass_cert, line);
        }
        l.authz.clone_from(&authz);
        for (j, p) in paths.iter().enumerate() {
            if !covered[j] && !p.default && covers(t, &p.host) {
                covered[j] = true;
                l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
            }
        }
        proxy.listeners.push(l);
    }
    // The default backend also serves the TLS listeners (and plain HTTP, below).
    for p in paths.iter().filter(|p| p.default) {
        for l in &mut proxy.listeners {
            l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
        }
    }

    // Plain HTTP on port 80: rules no TLS entry covers; with TLS, ingress-nginx redirects the
    // covered hosts to HTTPS unless ssl-redirect is "false".
    let redirect_off =
        nginx && ann("ssl-redirect") == Some("false") && ann("force-ssl-redirect") != Some("true");
    if !tls_items.is_empty() && nginx && !redirect_off {
        proxy.attrs.get_or_insert_with("ssl-redirect".to_owned(), || "true (default with TLS)".to_owned());
    }
    let plain: Vec<&IngressPath> =
        paths.iter().zip(&covered).filter(|(_, c)| !**c || redirect_off).map(|(p, _)| p).collect();
    if !plain.is_empty() {
        let mut hosts = BTreeSet::new();
        for p in &plain {
            hosts.insert(p.host.clone().unwrap_or_else(|| "*".to_owned()));
        }
        let line = plain[0].line;
        let line = spec.field("rules").items().first().map_or(line, |r| r.line.min(line));
        let mut l = ProxyListener::new(
            "http".to_owned(),
            Some(80),
            hosts.into_iter().collect(),
            ListenerTls::Plaintext,
            line,
        );
        if nginx {
            // The ssl-client-* headers are written on the whole server block when a CA is set.
            l.identity_headers = nginx_identity_headers(
                auth_secret.is_some(),
                pass_cert,
                if auth_secret.is_some() { headers_line } else { line },
            );
        }
        l.authz = authz;
        for p in plain {
            l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
        }
        proxy.listeners.push(l);
    }
}

pub(super) fn route_to(matches: String, backend: ProxyBackend, line: u32) -> ProxyRoute {
    ProxyRoute { matches, backend, identity_headers: None, line }
}

/// An Ingress served by the AWS Load Balancer Controller: an ALB with listeners from
/// `listen-ports`.
pub(super) fn alb_ingress(
    node: &Node,
    meta: &ObjectMeta,
    paths: &[IngressPath],
    proxy: &mut Proxy,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let ann = |key: &str| meta.annotations.get(&format!("{ALB}{key}")).map(String::as_str);
    let ann_line = |key: &str| annotation_line(node, meta, &format!("{ALB}{key}"));
    let mut bad = |key: &str, reason: String| {
        diagnostics.push(Diagnostic {
            source: meta.source.at(ann_line(key)),
            reason: format!("{ALB}{key}: {reason}"),
        });
    };
    for key in [
        "scheme",
        "target-type",
        "listen-ports",
        "certificate-arn",
        "ssl-redirect",
        "backend-protocol",
        "backend-protocol-version",
        "group.name",
        "mutual-authentication",
        "auth-type",
        "ssl-policy",
    ] {
        if let Some(v) = ann(key) {
            proxy.attrs.insert(key.to_owned(), v.to_owned());
        }
    }

    // Listeners: listen-ports, defaulting to HTTPS:443 with a certificate, else HTTP:80.
    let mut ports: Vec<(String, u32)> = Vec::new();
    if let Some(text) = ann("listen-ports") {
        match parse_annotation(text) {
            Ok(list) if list.is_seq() => {
                for item in list.items() {
                    for (proto, port) in item.entries() {
                        match port_of(port) {
                            Some(p) => ports.push((proto.to_ascii_uppercase(), p)),
                            // The protocol is named only when it is one: the key may be anything.
                            None if ["HTTP", "HTTPS"].contains(&proto.to_ascii_uppercase().as_str()) => {
                                bad("listen-ports", format!("the port of {proto} is not a number"));
                            }
                            None => bad("listen-ports", "a port is not a number".to_owned()),
                        }
                    }
                }
            }
            Ok(_) => bad("listen-ports", "expected a JSON list such as [{\"HTTPS\": 443}]".to_owned()),
            Err(e) => bad("listen-ports", format!("not valid JSON: {e}")),
        }
    }
    if ports.is_empty() {
        ports.push(if ann("certificate-arn").is_some() {
            ("HTTPS".to_owned(), 443)
        } else {
            ("HTTP".to_owned(), 80)
        });
    }

    // Mutual TLS per port: off (default) | passthrough | verify.
    let mut mtls: HashMap<u32, String> = HashMap::new();
    if let Some(text) = ann("mutual-authentication") {
        match parse_annotation(text) {
            Ok(list) => {
                for item in list.items() {
                    if let Some(port) = port_of(item.field("port")) {
                        mtls.insert(
                            port,
                            item.field("mode").string().unwrap_or_default().to_ascii_lowercase(),
                        );
                    }
                }
            }
            Err(e) => bad("mutual-authentication", format!("not valid JSON: {e}")),
        }
    }

    let backend = if ann("backend-protocol").is_some_and(|p| p.eq_ignore_ascii_case("HTTPS")) {
        // ALB target groups never validate target certificates (docs/semantics.md#aws-elb).
        BackendTls { tls: true, verify_server: Some(false), ..BackendTls::default() }
    } else {
        BackendTls::default()
    };
    let mut hosts = BTreeSet::new();
    for p in paths {
        hosts.insert(p.host.clone().unwrap_or_else(|| "*".to_owned()));
    }
    let hosts: Vec<String> =
        if hosts.is_empty() { vec!["*".to_owned()] } else { hosts.into_iter().collect() };
    let listen_line = if ann("listen-ports").is_some() { ann_line("listen-ports") } else { meta.source.line };
    let redirect = ann("ssl-redirect").is_some();
    for (proto, port) in ports {
        let https = proto == "HTTPS";
        let tls = if https { ListenerTls::Terminate } else { ListenerTls::Plaintext };
        let mut l =
            ProxyListener::new(format!("{proto}:{port}"), Some(port), hosts.clone(), tls, listen_line);
        if https {
            let header = |name: &str| IdentityHeader {
                name: name.to_owned(),
                action: HeaderAction::Set { from_client_cert: true },
                line: ann_line("mutual-authentication"),
            };
            match mtls.get(&port).map(String::as_str) {
                Some("verify") => {
                    l.client_cert = ClientCertMode::Required;
                    for name in [
                        "X-Amzn-Mtls-Clientcert-Serial-Number",
                        "X-Amzn-Mtls-Clientcert-Issuer",
                        "X-Amzn-Mtls-Clientcert-Subject",
                        "X-Amzn-Mtls-Clientcert-Validity",
                        "X-Amzn-Mtls-Clientcert-Leaf",
                    ] {
                        l.identity_headers.push(header(name));
                    }
                }
                Some("passthrough") => {
                    // The ALB forwards whatever chain was presented, unverified.
                    l.client_cert = ClientCertMode::Unverified;
                    l.identity_headers.push(header("X-Amzn-Mtls-Clientcert"));
                }
                _ => {}
            }
            if let Some(kind) = ann("auth-type").filter(|k| *k != "none") {
                l.authz.push(format!("ALB user authentication (auth-type {kind})"));
            }
        }
        // With ssl-redirect the HTTP listener only redirects.
        if https || !redirect {
            for p in paths {
                l.routes.push(route_to(p.matches.clone(), backend.backend(p.target.clone(), p.line), p.line));
            }
        }
        proxy.listeners.push(l);
    }
}
